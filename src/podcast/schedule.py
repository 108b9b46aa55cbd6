"""When the daily build is due, and who may build: the show's cron in its time zone, catch-up
after downtime, and the OS locks that keep one build (and one daemon) per show.

Everything takes ``now`` from the caller, so tests move the clock instead of waiting.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from .config import Config
from .errors import Busy
from .recap import Week, default_week
from .store import Store

log = logging.getLogger(__name__)


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbers them 0 (or 7) to 6


def cron_trigger(line: str, zone: ZoneInfo | None = None) -> LocalCronTrigger:
    """A trigger for a crontab line read as cron reads it. APScheduler 3's own from_crontab
    numbers weekdays from Monday = 0, so "1-5" would mean Tuesday to Saturday: the weekday
    field is turned into day names first."""
    fields = line.split()
    if len(fields) != 5:
        raise ValueError(f"{len(fields)} fields instead of 5")
    minute, hour, day, month, weekday = fields
    return LocalCronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(weekday),
                            timezone=zone)


class LocalCronTrigger(CronTrigger):
    """A cron trigger that fires once at a wall-clock time the clocks pass twice (02:30 on the
    night summer time ends): APScheduler 3 fires at both."""

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        if fire and previous_fire_time and _wall(fire) == _wall(previous_fire_time.astimezone(fire.tzinfo)):
            # the repeated hour: look again once it is over (given a previous time, APScheduler
            # searches on from it and ignores "now")
            fire = super().get_next_fire_time(None, fire.astimezone(UTC) + timedelta(hours=1))
        return fire


def _wall(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None, fold=0)


def _weekdays(field: str) -> str:
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step = part.partition("/")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            first, last = (_weekday(x) for x in span.split("-", 1))
        else:
            first = last = _weekday(span)
        if last < first:  # "5-0": Friday to Sunday
            last += 7
        days.update(d % 7 for d in range(first, last + 1, int(step) if step else 1))
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def _weekday(text: str) -> int:
    if text[:3] in _WEEKDAYS:
        return _WEEKDAYS.index(text[:3])
    if text.isdigit() and int(text) <= 7:
        return int(text) % 7 if int(text) != 7 else 0
    raise ValueError(f"{text!r} is not a weekday (0-7 or sun-sat)")


def update_frequency(config: Config) -> tuple[str, str] | None:
    """The schedule as ``podcast:updateFrequency`` has it: a label and an RFC 5545 rule; None
    when nothing is scheduled or the cron line has no simple rule (days of the month)."""
    minute, hour, day, month, weekday = config.schedule.cron.split()
    if not config.schedule.enabled or day not in ("*", "?") or month != "*":
        return None
    days = _weekdays(weekday)
    if days == "*" or days.count(",") == 6:
        return "Daily", "FREQ=DAILY"
    label = "Weekdays" if days == "mon,tue,wed,thu,fri" else "Weekly"
    return label, "FREQ=WEEKLY;BYDAY=" + ",".join(d[:2].upper() for d in days.split(","))


def build_trigger(config: Config) -> LocalCronTrigger:
    return cron_trigger(config.schedule.cron, config.show.zone)


def recap_trigger(config: Config) -> LocalCronTrigger | None:
    return cron_trigger(config.recap.cron, config.show.zone) if config.recap.enabled else None


def playback_trigger(config: Config) -> LocalCronTrigger | None:
    if not config.playback.at:
        return None
    hour, minute = config.playback.at.split(":")
    return LocalCronTrigger(hour=int(hour), minute=int(minute), timezone=config.show.zone)


def next_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The trigger's first time after ``now``."""
    return trigger.get_next_fire_time(None, now + timedelta(microseconds=1))


def last_due_today(trigger: CronTrigger, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The latest time the trigger fired today (in ``zone``) up to ``now``, if any."""
    moment = datetime.combine(now.astimezone(zone).date(), time(0), zone)
    last = None
    while (fire := trigger.get_next_fire_time(None, moment)) and fire <= now:
        last, moment = fire, fire + timedelta(seconds=1)
    return last


def catch_up_day(config: Config, store: Store, now: datetime) -> date | None:
    """The day to build now, at start-up: today, when its build time has passed within
    ``[schedule] misfire_grace`` and its episode is missing. Earlier days are never back-filled."""
    due = last_due_today(build_trigger(config), now, config.show.zone)
    if due is None or (now - due).total_seconds() > config.schedule.grace_seconds:
        return None
    day = due.astimezone(config.show.zone).date()
    return None if store.episode(day) else day


def catch_up_week(config: Config, store: Store, now: datetime) -> Week | None:
    """The week to recap now, at start-up: the one today's recap time covers, when that time
    has passed within ``[schedule] misfire_grace`` and its recap is missing."""
    trigger = recap_trigger(config)
    due = last_due_today(trigger, now, config.show.zone) if trigger else None
    if due is None or (now - due).total_seconds() > config.schedule.grace_seconds:
        return None
    week = default_week(due.astimezone(config.show.zone).date())
    return None if store.recap(str(week)) else week


class FileLock:
    """An exclusive OS lock (flock) on a file holding who has it. The OS releases it when the
    holder exits, however it exits: a killed build never leaves the show locked."""

    def __init__(self, path: Path, what: str) -> None:
        self.path, self.what = path, what
        self._file = None

    def holder(self) -> str | None:
        """Who holds the lock ("pid 123 since 09:30:00"), or None when nobody does."""
        try:
            with self.path.open("r") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return probe.read().strip() or "another process"
                return None
        except FileNotFoundError:
            return None

    def acquire(self, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if not wait:
                handle.close()
                raise Busy(f"{self.path}: {self.what} is already running ({holder})") from None
            if on_wait:
                on_wait(holder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        note = f"pid {os.getpid()} since {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z}\n"
        try:  # unbuffered: a note that cannot be written (a full disk) leaves nothing to flush later
            os.ftruncate(handle.fileno(), 0)
            os.write(handle.fileno(), note.encode())
        except OSError as exc:  # the lock holds all the same; only `podcast status` misses who holds it
            log.debug("Could not note the holder in %s: %s", self.path, exc.strerror)
        self._file = handle
        return self

    def release(self) -> None:
        if self._file:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> FileLock:
        return self.acquire() if self._file is None else self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def build_lock(config: Config) -> FileLock:
    """Held while a day's episode is built: by the daemon or by `podcast run`, never both."""
    return FileLock(config.state.dir / "build.lock", "a build of this show")


def daemon_lock(config: Config) -> FileLock:
    """Held for the life of `podcast serve` with its schedule: one scheduler per show."""
    return FileLock(config.state.dir / "daemon.lock", "a scheduling `podcast serve` for this show")
