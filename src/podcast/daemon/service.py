"""`podcast serve` with its schedule: one process serving the publish folder and, with an
APScheduler 3 scheduler, building the day's episode at ``[schedule] cron`` and playing it in
the office at ``[playback] at``.

Jobs live in memory and are made anew from the config at every start (stable ids,
replace_existing); a daemon lock keeps a second scheduler off the same show, and the build lock
(taken inside :func:`pipeline.run_episode`) keeps the daemon and a manual `podcast run` from
building at once. SIGTERM or SIGINT stops the build at its next step, before it publishes
anything, and exits 0.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

from .. import pipeline
from ..config import Config
from ..errors import (
    ConfigError,
    Interrupted,
    NoSourceRead,
    NothingToBroadcast,
    PodcastError,
    PublishError,
    UnknownPaper,
)
from ..i18n import counted
from ..models import Week, default_week
from ..store import build_lock, daemon_lock, open_store
from .cron import LocalCronTrigger
from .playback import play
from .schedule import (
    build_trigger,
    catch_up_day,
    catch_up_week,
    playback_trigger,
    recap_trigger,
)
from .status import status

log = logging.getLogger(__name__)

BUILD_JOB, RETRY_JOB, CATCH_UP_JOB = "daily-build", "build-retry", "catch-up"
PLAYBACK_JOB = "office-playback"
RECAP_JOB, RECAP_RETRY_JOB, RECAP_CATCH_UP_JOB = "weekly-recap", "recap-retry", "recap-catch-up"
FINAL = (ConfigError, NothingToBroadcast, Interrupted)  # a retry would end the same way...
AGAIN = (NoSourceRead,)  # ...but for these: no source could be read, the network may come back


class ShowRatings:
    """The show page's 👍/👎 (`podcast serve`'s ``/ratings``), recorded in the show's state
    database as `podcast rate` records them, each at the time ``clock`` gives."""

    def __init__(self, config: Config, clock: Callable[[], datetime]) -> None:
        self.config, self.clock = config, clock

    def votes(self) -> dict[str, str]:
        return pipeline.votes(self.config)

    def rate(self, paper_id: str, vote: str) -> str | None:
        try:
            rating = pipeline.rate_paper(self.config, paper_id, vote, now=self.clock())
        except UnknownPaper:
            return None
        if rating.vote != "clear":
            log.info("Rated %s %s from the show page.", rating.vote, rating.paper.id)
        elif rating.changed:
            log.info("Cleared the rating of %s from the show page.", rating.paper.id)
        return rating.paper.id


class Daemon:
    """The schedule of one show. ``clock`` gives the current time (tests move it)."""

    def __init__(self, config: Config, env: Mapping[str, str],
                 clock: Callable[[], datetime] | None = None) -> None:
        self.config, self.env = config, env
        self.clock = clock or (lambda: datetime.now(config.show.zone))
        self.stop = threading.Event()
        self.scheduler = BackgroundScheduler(
            timezone=config.show.zone,
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(config.schedule.grace_seconds)},
        )

    def add_jobs(self) -> None:
        """The daily build, the weekly recap and the office playback, from the config
        (replacing any of the same id)."""
        self._add(self.build, build_trigger(self.config), BUILD_JOB, "daily build")
        recap = recap_trigger(self.config)
        if recap:
            self._add(self.recap, recap, RECAP_JOB, "weekly recap")
        playback = playback_trigger(self.config)
        if playback:
            self._add(self.play, playback, PLAYBACK_JOB, "office playback")

    def _add(self, function: Callable[[], None], trigger: LocalCronTrigger, job: str,
             name: str) -> None:
        """A job whose first run is the trigger's next time by the daemon's clock (APScheduler
        would read the system clock)."""
        first = trigger.get_next_fire_time(None, self.clock())
        self.scheduler.add_job(function, trigger, id=job, name=name, replace_existing=True,
                               next_run_time=first)

    def start(self, paused: bool = False) -> None:
        """Schedule the jobs, and today's build now if it was missed (``paused``: schedule
        only, run nothing: for tests that run the jobs themselves)."""
        self.add_jobs()
        self.scheduler.start(paused=paused)
        now = self.clock()
        with open_store(self.config.state.dir) as store:
            day = catch_up_day(self.config, store, now)
            week = catch_up_week(self.config, store, now)
        if day:
            log.info("Started after today's build time with the episode for %s missing: "
                     "building it now.", day)
            self.scheduler.add_job(self.build, DateTrigger(now), args=[day], id=CATCH_UP_JOB,
                                   replace_existing=True)
        if week:  # after the day's episode: the recap includes it
            log.info("Started after the recap time with the recap of %s missing: making it now.",
                     week)
            self.scheduler.add_job(self.recap, DateTrigger(now + timedelta(seconds=1)), args=[week],
                                   id=RECAP_CATCH_UP_JOB, replace_existing=True)
        build = self.scheduler.get_job(BUILD_JOB).next_run_time
        log.info("Next build at %s.", f"{build:%Y-%m-%d %H:%M %Z}" if build else "never")

    def build(self, day: date | None = None, attempt: int = 0) -> None:
        """Build ``day``'s episode (today's by default); after a failure, schedule a retry with
        backoff, up to ``[schedule] retries``."""
        now = self.clock()
        day = day or now.astimezone(self.config.show.zone).date()
        self._attempt(f"the episode for {day}",
                      lambda: pipeline.run_episode(self.config, day=day, now=now, env=self.env,
                                                   stop=self.stop, samples=False),
                      lambda: (RETRY_JOB, self.build, [day, attempt + 1]), attempt)

    def recap(self, week: Week | None = None, attempt: int = 0) -> None:
        """Make the weekly recap (of the week the recap day covers by default); retried as
        builds are."""
        now = self.clock()
        week = week or default_week(now.astimezone(self.config.show.zone).date())
        self._attempt(f"the recap of {week}",
                      lambda: pipeline.run_recap(self.config, week=week, now=now, env=self.env,
                                                 stop=self.stop),
                      lambda: (RECAP_RETRY_JOB, self.recap, [week, attempt + 1]), attempt)

    def _attempt(self, what: str, run: Callable[[], Any],
                 retry: Callable[[], tuple[str, Callable, list]], attempt: int) -> None:
        """Make ``what`` with ``run()`` and say what came of it; after a failure, logged in one
        line, schedule the retry (job id, function, arguments) with backoff, up to
        ``[schedule] retries``."""
        try:
            result = run()
        except Interrupted as exc:
            log.info("Making %s stopped: %s.", what, exc)
            return
        except Exception as exc:
            known = isinstance(exc, PodcastError)
            log.error("Making %s failed: %s", what, exc if known else repr(exc), exc_info=not known)
            final = isinstance(exc, FINAL) and not isinstance(exc, AGAIN)
        else:
            if result.episode is None:
                log.info("Made nothing for %s: %s.", what, result.skipped)
            elif not result.reused:
                log.info("Published %s (%s).", what, counted(len(result.episode.papers), "paper"))
            return
        retries = self.config.schedule.retries
        if final or attempt >= retries or self.stop.is_set():
            if attempt >= retries and retries:
                log.error("Giving up on %s after %s.", what, counted(attempt + 1, "attempt"))
            return
        delay = self.config.schedule.retry_seconds * 2**attempt
        at = self.clock() + timedelta(seconds=delay)
        log.info("Retrying at %s (retry %d of %d).", f"{at:%H:%M:%S}", attempt + 1, retries)
        job, function, args = retry()
        self.scheduler.add_job(function, DateTrigger(at), args=args, id=job, replace_existing=True)

    def play(self) -> None:
        day = self.clock().astimezone(self.config.show.zone).date()
        try:
            play(self.config, day)
        except PodcastError as exc:
            log.error("Office playback: %s", exc)

    def shutdown(self) -> None:
        """Stop scheduling; a build in flight stops at its next step (or finishes publishing)."""
        self.stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def run_daemon(config: Config, host: str, port: int, schedule: bool,
               env: Mapping[str, str], ready: Callable[[], None] = lambda: None) -> None:
    """Serve the publish folder and, with ``schedule``, run the show's schedule, until SIGTERM
    or SIGINT. ``ready`` is called once the show is this process's (the daemon lock) and the
    server listens: a refused start says nothing of serving."""
    lock = daemon_lock(config.state.dir).acquire(wait=False) if schedule else None
    try:
        config.publish.dir.mkdir(parents=True, exist_ok=True)
        asyncio.run(_serve(config, host, port, Daemon(config, env) if schedule else None, ready))
    finally:
        if lock:
            lock.release()


def served_url(host: str, port: int) -> str:
    """The address ``podcast serve --host host --port port`` answers at, as a URL."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def address_warning(base_url: str, host: str, port: int) -> str | None:
    """What is wrong, in one line, with serving at ``host``:``port`` while the feed, the page
    and its QR code link to ``base_url``; None when nothing is.

    A base_url on https names something else than this server, which speaks plain HTTP (a
    proxy, a CDN): nothing to compare. Else it must name the port served on, and a host this
    server answers at: listening on a public address (0.0.0.0, ::, an address of the network)
    while base_url names localhost sends listeners on other machines to their own; listening
    on loopback only while base_url names another host (or on one address, base_url naming
    another address) reaches them only through a proxy forwarding here."""
    url = urlsplit(base_url)
    if url.scheme != "http" or not url.hostname:
        return None
    named, named_port = url.hostname, url.port or 80
    served = served_url(host, port)
    if not _loopback(host) and _loopback(named):
        return (f"[publish] base_url {base_url} names {named}, but this server answers other "
                f"machines at {served}: to a listener elsewhere, {named} is their own machine, so "
                "the links of the feed, the page and its QR code lead nowhere. Set [publish] "
                "base_url to the address they reach this machine at, such as "
                f"\"{served_url(socket.gethostname(), port)}\".")
    other_host = (_loopback(host) and not _loopback(named)) or (
        not _everywhere(host) and _address(host) is not None and _address(named) is not None
        and _address(host) != _address(named))
    other_port = named_port != port
    if not (other_host or other_port):
        return None
    what = " and ".join(word for word, differs in (("host", other_host), ("port", other_port))
                        if differs)
    such = f", such as \"{served_url(named, port)}\"" if not other_host else ""
    return (f"[publish] base_url {base_url} names another {what} than this server's, "
            f"{served}: the links of the feed, the page and its QR code lead there, where "
            "nothing answers for this show unless a proxy forwards to this server. Set [publish] "
            f"base_url to the address listeners reach it at{such}.")


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _loopback(host: str) -> bool:
    """``host`` names this machine only: localhost, 127.0.0.0/8, ::1."""
    name = host.strip("[]").rstrip(".").lower()
    address = _address(name)
    return (address.is_loopback if address is not None
            else name == "localhost" or name.endswith(".localhost"))


def _everywhere(host: str) -> bool:
    """``host`` is every address of this machine: 0.0.0.0, ::."""
    address = _address(host)
    return host == "" or (address is not None and address.is_unspecified)


async def _serve(config: Config, host: str, port: int, daemon: Daemon | None,
                 ready: Callable[[], None]) -> None:
    from aiohttp import web

    from ..publish.serve import make_app

    hidden = [config.state.dir, *([config.path] if config.path else [])]
    clock = daemon.clock if daemon else lambda: datetime.now(config.show.zone)
    app = make_app(config.publish.dir, hidden, health=lambda: status(config, clock()),
                   ratings=ShowRatings(config, clock))
    runner = web.AppRunner(app, access_log=logging.getLogger("podcast.access"))
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:  # the port is taken, the address is not ours
        await runner.cleanup()
        raise PublishError(f"cannot serve at {host}:{port}: {exc.strerror or exc}") from exc
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stopping.set)
    ready()
    warning = address_warning(config.publish.base_url, host, port)
    if warning:
        log.warning(warning)
    try:
        if daemon:
            await loop.run_in_executor(None, daemon.start)
        await stopping.wait()
        building = build_lock(config.state.dir).holder()
        log.info("Stopping%s.",
                 ": the build in progress stops at its next step" if building else "")
    finally:
        if daemon:
            await loop.run_in_executor(None, daemon.shutdown)
        await runner.cleanup()
    log.info("Stopped.")
