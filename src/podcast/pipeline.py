"""The stages strung together: sources → select → write → speak → produce → publish.

:func:`run_episode` makes the day's show from the sources, :func:`run_recap` the week's recap
from what the days broadcast; :mod:`making` turns either into a published episode. The front
ends (the CLI and the daemon) call these functions; nothing here prints, prompts or exits.
Every failure is a PodcastError.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path

from . import i18n
from .config import AUTO_WRITER, BackendConfig, Config, SourceConfig
from .errors import Interrupted, NothingToBroadcast, PodcastError
from .http import HttpClient, HttpPolicy, ResponseCache
from .i18n import counted
from .models import Episode, Paper, Pick, Recap, Script
from .making import Draft, EpisodeMaker, Written, load_artwork
from .progress import NoProgress, Progress, Stoppable
from .recap import Week, default_week, week_papers
from .publish import (
    FEED_NAME, PAGE_NAME, PENDING_NAME, PublishTarget, open_target, publish_cover, publish_site, recover,
)
from .refine import open_refiners
from .select import Profile, select_papers
from .sources import SOURCES, Gathered, Source, SourceReport, gather, open_sources
from .sources.file import FileOptions
from .speak import ENGINES
from .schedule import build_lock, update_frequency
from .store import Run, Store
from .timing import Pace
from .write import WRITERS, Brief, WriteContext, Writer, compose_script
from .write.recap import RECAP_WRITERS, RecapBrief, RecapWriter, compose_recap
from .write.template import TemplateWriter

log = logging.getLogger(__name__)

STORE_NAME = "podcast.db"


@dataclass(frozen=True)
class RunResult:
    episode: Episode | None  # None when the day was skipped
    reused: bool
    standins: tuple[str, ...]
    audio: str
    feed: str
    page: str
    skipped: str | None = None
    from_backlog: bool = False


def broadcast_moment(config: Config, day: date | None, now: datetime | None) -> datetime:
    """The local time the show greets with: now, on ``day`` if one is given."""
    now = (now or datetime.now(config.show.zone)).astimezone(config.show.zone)
    return now if day is None else datetime.combine(day, now.timetz())


def open_store(config: Config) -> Store:
    return Store(config.state.dir / STORE_NAME)


@dataclass(frozen=True)
class Choice:
    """Stages 1-2 for one day: what the sources offered and what was picked, and why."""

    day: date
    picks: list[Pick]
    ranked: list[Pick]
    excluded: list[tuple[Paper, str]]
    reports: list[SourceReport]
    from_backlog: bool
    standins: list[str]
    skipped: str | None = None  # why there is no episode today ([selection] on_empty = "skip")


def open_http(config: Config, day: date) -> HttpClient:
    policy = HttpPolicy(timeout=config.network.timeout, retries=config.network.retries)
    cache = ResponseCache(config.state.dir / "cache" / "http", day, config.network.cache_days)
    return HttpClient(policy, cache)


def choose_papers(
    config: Config, day: date, store: Store, env: Mapping[str, str] = {}, record: bool = True
) -> Choice:
    """Gather, remember what was offered, and select; from the backlog of recent days when
    nothing new came in. Raises NothingToBroadcast when there is nothing at all."""
    sources = open_sources(config.sources, open_http(config, day))
    gathered = gather(sources, day, strict=config.selection.strict)
    if record and not gathered.used_fallback:  # stand-in papers never make a backlog
        store.remember_candidates(day, gathered.papers)
    broadcast = store.broadcast_ids(other_than=day)
    profile = Profile(config.listener.project, config.listener.keywords, config.listener.exclude)
    refiners = open_refiners(config.selection, env)
    select = partial(select_papers, profile=profile, limit=config.show.max_papers,
                     already_broadcast=broadcast, language=config.show.language, refiners=refiners)
    selection, from_backlog = select(gathered.papers), False
    standins = _source_standins(sources, gathered)
    if not selection.picks:
        why = _nothing_new(day, gathered)
        if config.selection.on_empty == "skip":
            log.info("%s; no episode today (on_empty = \"skip\").", why)
            return Choice(day, [], [], selection.excluded, gathered.reports, False, standins, why)
        days = config.selection.backlog_days
        selection, from_backlog = select(store.backlog(day - timedelta(days=days), day)), True
        if not selection.picks:
            raise NothingToBroadcast(f"{why}, and nothing unbroadcast from the {days} days before")
        log.info("%s; taking the best of the last %d days instead.", why, days)
    log.info("Picked %s: %s.", counted(len(selection.picks), "paper"),
             ", ".join(p.paper.id for p in selection.picks))
    return Choice(day, selection.picks, selection.ranked, selection.excluded, gathered.reports,
                  from_backlog, standins)


def _nothing_new(day: date, gathered: Gathered) -> str:
    if gathered.all_failed:
        return f"no source could be read for {day}"
    if not gathered.papers:
        return f"no papers found for {day}"
    return f"no new papers for {day}: {counted(len(gathered.papers), 'paper')} found, none left to broadcast"


def _source_standins(sources: Sequence[Source], gathered: Gathered) -> list[str]:
    standins = []
    for source in sources:
        standin = source.standin()
        if standin and (not source.fallback or gathered.used_fallback):
            standins.append(f"{standin} (no source could be reached)" if source.fallback else standin)
    return standins


def preview(
    config: Config, day: date | None = None, now: datetime | None = None, env: Mapping[str, str] = {}
) -> Choice:
    """What ``run`` would broadcast, without recording anything."""
    moment = broadcast_moment(config, day, now)
    path = config.state.dir / STORE_NAME
    # Before the first episode there is no store yet, and a preview should not create one.
    with Store(path if path.exists() else Path(":memory:")) as store:
        return choose_papers(config, moment.date(), store, env, record=False)


def run_episode(
    config: Config,
    day: date | None = None,
    now: datetime | None = None,
    force: bool = False,
    progress: Progress | None = None,
    env: Mapping[str, str] = {},
    stop: threading.Event | None = None,
    wait: bool = True,
) -> RunResult:
    """Make and publish the episode for ``day`` (today in the show's time zone by default).

    An episode already published for that day is reused unless ``force``, which rebuilds it
    under a new file name. ``env`` holds the environment variables secrets are read from. One
    build per show at a time, across processes: a second one waits for the first (or raises
    Busy, without ``wait``), then finds its episode. ``stop``, once set, ends the build at its
    next step with Interrupted, as long as nothing has been published yet. Every attempt is
    recorded in the store for `podcast status`.
    """
    moment = broadcast_moment(config, day, now)
    return _attempt(config, moment.date(), wait, "",
                    lambda: _run_episode(config, moment, force, progress or NoProgress(), env, stop))


def _attempt(config: Config, day: date, wait: bool, label: str, build: Callable[[], RunResult]) -> RunResult:
    """``build()`` under the show's build lock, its outcome recorded in the store's run log."""
    on_wait = partial(log.info, "Another build of this show is running (%s); waiting for it to finish.")
    with build_lock(config).acquire(wait, on_wait):
        started = datetime.now(config.show.zone)
        try:
            result = build()
        except PodcastError as exc:
            outcome = "interrupted" if isinstance(exc, Interrupted) else "failed"
            _record(config, Run(day, started, datetime.now(config.show.zone), outcome, label + str(exc)))
            raise
        outcome = "skipped" if result.episode is None else "reused" if result.reused else "published"
        message = label + (result.skipped or "") if label or result.skipped else ""
        _record(config, Run(day, started, datetime.now(config.show.zone), outcome, message.rstrip(": ")))
    return result


def _record(config: Config, run: Run) -> None:
    try:
        with open_store(config) as store:
            store.record_run(run)
    except PodcastError as exc:  # the run's own outcome matters more than its log entry
        # after a failure it most likely failed the same way (a full disk), and the run's error says so
        (log.debug if run.outcome in ("failed", "interrupted") else log.warning)("Could not record the run: %s", exc)


def _run_episode(config: Config, moment: datetime, force: bool, progress: Progress, env: Mapping[str, str],
                 stop: threading.Event | None) -> RunResult:
    target = open_target(config.publish)
    with open_store(config) as store:
        _recover(config, target, store)
        previous = store.episode(moment.date())
        if previous and not force:
            log.info("The episode for %s is already published; reusing it.", moment.date())
            _publish_site(config, target, store, moment)
            return _result(previous, True, (), target)
        choice = choose_papers(config, moment.date(), store, env)
        if choice.skipped:
            return RunResult(None, False, tuple(choice.standins), "", target.location(FEED_NAME),
                             target.location(PAGE_NAME), skipped=choice.skipped)
        writer, opened = open_writer(config, env)
        show = config.show
        picks = choice.picks
        draft = Draft(
            stem=moment.date().isoformat(),
            title=i18n.phrases(show.language).episode_title.format(
                show=show.title, day=i18n.spoken_day(moment.date(), show.language)),
            papers=tuple(pick.paper for pick in picks),
            write=lambda timing: Written.daily(_write(writer, picks, config, moment, timing)),
            writer=writer,
            writer_standin=opened,
            standins=tuple(choice.standins),
            target_seconds=show.target_minutes * 60,
        )
        episode, standins = EpisodeMaker(config, target, store, Stoppable(progress, stop), env).make(
            moment, previous, draft)
        _publish_site(config, target, store, moment)
    return replace(_result(episode, False, standins, target), from_backlog=choice.from_backlog)


def run_recap(
    config: Config,
    week: Week | None = None,
    now: datetime | None = None,
    force: bool = False,
    progress: Progress | None = None,
    env: Mapping[str, str] = {},
    stop: threading.Event | None = None,
    wait: bool = True,
) -> RunResult:
    """Make and publish the weekly recap of ``week`` (by default this week from Friday on, the
    week before until then): the papers its daily episodes broadcast, by theme, in a bonus
    episode of the same feed. A week with no episode gets no recap (``skipped`` says so); a
    recap already published is reused unless ``force``. Shares the build lock and the run log
    with :func:`run_episode`."""
    moment = (now or datetime.now(config.show.zone)).astimezone(config.show.zone)
    week = week or default_week(moment.date())
    return _attempt(config, moment.date(), wait, f"weekly recap {week}: ",
                    lambda: _run_recap(config, week, moment, force, progress or NoProgress(), env, stop))


def _run_recap(config: Config, week: Week, moment: datetime, force: bool, progress: Progress,
               env: Mapping[str, str], stop: threading.Event | None) -> RunResult:
    target = open_target(config.publish)
    show = config.show
    with open_store(config) as store:
        _recover(config, target, store)
        previous = store.recap(str(week))
        if previous and not force:
            log.info("The recap of %s is already published; reusing it.", week)
            _publish_site(config, target, store, moment)
            return _result(previous, True, (), target)
        material = week_papers(store, week)
        if not material.papers:
            span = i18n.week_span(week.first, week.last, "en-US")
            return RunResult(None, False, (), "", target.location(FEED_NAME), target.location(PAGE_NAME),
                             skipped=f"no episodes in {week} ({span}), so nothing to recap")
        log.info("Recapping %s: %s from %s.", week, counted(len(material.papers), "paper"),
                 counted(len(material.days), "episode"))
        writer, opened = open_recap_writer(config, env)
        brief = RecapBrief(show.language, config.listener.project, moment, material)

        def write(timing: Pace) -> Written:
            text = writer.text(brief)
            log.info("Grouped the week into %s: %s.", counted(len(text.themes), "theme"),
                     "; ".join(f"{t.name} ({len(t.paper_ids)})" for t in text.themes))
            return Written(compose_recap(text, brief), material.notes, Recap(str(week), text.themes, text.trend,
                                                                              text.advice))

        words = i18n.recap_phrases(show.language)
        draft = Draft(
            stem=f"{week}-recap",
            title=words.title.format(show=show.title, span=i18n.week_span(week.first, week.last, show.language)),
            papers=material.papers,
            write=write,
            writer=writer,
            writer_standin=opened,
        )
        episode, standins = EpisodeMaker(config, target, store, Stoppable(progress, stop), env).make(
            moment, previous, draft)
        _publish_site(config, target, store, moment)
    return _result(episode, False, standins, target)


def open_recap_writer(config: Config, env: Mapping[str, str]) -> tuple[RecapWriter, str | None]:
    """The model writes the recap when [writer] lets the llm writer write and its key is set;
    the template recap writer otherwise."""
    context = WriteContext(config.llm, env, config.state.dir / "cache" / "llm")
    if config.writer.type in (AUTO_WRITER, "llm") and config.llm.key(env) is not None:
        return RECAP_WRITERS.get("llm")(None, context), None
    writer = RECAP_WRITERS.get("template")(None, context)
    missing = config.writer.type in (AUTO_WRITER, "llm")
    return writer, f"template recap writer (no ${config.llm.api_key_env})" if missing else writer.standin()


def open_writer(config: Config, env: Mapping[str, str]) -> tuple[Writer, str | None]:
    """The configured writer, and how to name it in the stand-ins line when it is not the one
    asked for: the llm writer needs its API key, else the template writes."""
    context = WriteContext(config.llm, env, config.state.dir / "cache" / "llm")
    kind = config.writer.type
    if kind in (AUTO_WRITER, "llm"):
        if config.llm.key(env) is None:
            if kind == "llm":
                log.warning('[writer] type = "llm" but $%s is not set; the template writes the script.',
                            config.llm.api_key_env)
            return TemplateWriter(None, context), f"template script writer (no ${config.llm.api_key_env})"
        return WRITERS.get("llm")(None, context), None
    return WRITERS.get(kind)(config.writer.options, context), None


def _write(writer: Writer, picks: list[Pick], config: Config, moment: datetime, timing: Pace) -> Script:
    """Stage 3, sized so the episode lasts about [show] target_minutes."""
    show = config.show
    brief = Brief(show.language, show.title, config.listener.project, moment)
    frame = compose_script([], [], brief)
    units = timing.paper_budget(show.target_minutes * 60, len(picks), frame)
    script = writer.write(picks, replace(brief, paper_units=units))
    log.info("Wrote the script: %s, %d characters.", counted(len(script.segments), "paper"), len(script.text()))
    return script


def rebuild_site(config: Config, now: datetime | None = None) -> tuple[int, str, str]:
    """Rewrite the feed and the page from the store: (episodes, feed location, page location).
    Under the build lock: a build starting meanwhile sweeps the target's temporary files."""
    target = open_target(config.publish)
    on_wait = partial(log.info, "A build of this show is running (%s); waiting for it to finish.")
    with build_lock(config).acquire(True, on_wait), open_store(config) as store:
        listed = _publish_site(config, target, store, now or datetime.now(config.show.zone))
    return listed, target.location(FEED_NAME), target.location(PAGE_NAME)


def _recover(config: Config, target: PublishTarget, store: Store) -> None:
    """Clear what a build that stopped half-way left: its work folders, its temporary files and
    the files it published without recording them. Under the build lock, so none is in use."""
    for work in config.state.dir.glob("episode-*"):
        shutil.rmtree(work, ignore_errors=True)
    recorded = {name for episode in store.episodes() + store.recaps() for name in episode.files}
    recover(target, config.state.dir / PENDING_NAME, recorded)


def _publish_site(config: Config, target: PublishTarget, store: Store, now: datetime) -> int:
    """The page and the feed for every episode in the store; the number of episodes listed."""
    site = publish_cover(target, config.show, load_artwork(config), update_frequency(config))
    episodes = sorted(store.episodes() + store.recaps(), key=lambda e: e.published_at, reverse=True)
    removed = publish_site(target, site, episodes, now)
    store.mark_removed(removed)
    return sum(1 for e in episodes if not e.removed) - len(removed)


def _result(episode: Episode, reused: bool, standins: tuple[str, ...], target: PublishTarget) -> RunResult:
    return RunResult(
        episode=episode,
        reused=reused,
        standins=standins,
        audio=target.location(episode.audio_name),
        feed=target.location(FEED_NAME),
        page=target.location(PAGE_NAME),
    )


def offline(config: Config) -> Config:
    """``config`` with every backend that needs the network swapped for its offline stand-in."""
    sources = tuple(s for s in config.sources if SOURCES.get(s.type).offline and not s.fallback)
    writer = config.writer
    if writer.type == AUTO_WRITER or not WRITERS.get(writer.type).offline:
        writer = BackendConfig("template", WRITERS.get("template").Options())
    tts = config.tts
    if not ENGINES.get(tts.engine).offline:
        tts = replace(tts, engine="espeak")
    return replace(
        config,
        sources=sources or (SourceConfig("file", FileOptions()),),
        selection=replace(config.selection, embeddings=None, rerank=None),
        writer=writer,
        tts=tts,
    )
