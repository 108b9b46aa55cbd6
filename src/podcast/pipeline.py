"""The stages strung together, for every kind of episode: gather → select → write → speak →
produce → publish.

An episode is made from a :class:`Plan`: the daily show (:class:`DailyPlan`: the sources' new
papers, picked for the listeners' project) or the weekly recap (:class:`RecapPlan`: what the
week's episodes broadcast, by theme). :func:`_make` takes any plan through the six stages, in
order. The front ends (the CLI and the daemon) call :func:`run_episode`, :func:`run_recap`,
:func:`preview`, :func:`rebuild_site`, :func:`rate_paper` and :func:`votes`; nothing here
prints, prompts or exits. Every failure
is a PodcastError.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property, partial
from pathlib import Path

from . import i18n
from .config import Config
from .errors import (
    AudioError,
    Interrupted,
    NoSourceRead,
    NothingToBroadcast,
    PodcastError,
    SpeechError,
    UnknownPaper,
)
from .http import HttpClient, HttpPolicy, ResponseCache
from .i18n import counted
from .models import (
    BRIEF,
    BROADCAST,
    CONVERSATION,
    HISTORY_WEEKS,
    Episode,
    Host,
    HostsConfig,
    Paper,
    Pick,
    ProducedAudio,
    Recap,
    Script,
    ShowNotes,
    SpokenSection,
    Week,
    WeekPapers,
    bare_id,
    default_week,
)
from .produce import Music, pace, produce_episode
from .produce.artwork import show_artwork
from .produce.audio import RESUMES
from .produce.tags import Tags
from .progress import NoProgress, Progress, Stoppable
from .publish import (
    FEED_NAME,
    PAGE_NAME,
    PENDING_NAME,
    PublishTarget,
    Site,
    clear_pending,
    make_site,
    open_target,
    publish_cover,
    publish_episode,
    publish_site,
    recover,
)
from .publish.check import FeedCheck, check_feed
from .publish.feed import NO_OWNER_EMAIL
from .registry import BackendConfig
from .select import Profile, select_papers
from .select.library import load_library
from .select.refine import open_refiners
from .sources import SOURCES, Gathered, Source, SourceConfig, SourceReport, gather, open_sources
from .sources.fulltext import read_in_full
from .speak import (
    ENGINES,
    SpeakContext,
    Speaker,
    VoiceProblem,
    choose_speaker,
    conversation_hosts,
    resolve_voice,
    speak_script,
    stand_in_engine,
)
from .speak.timing import BRIEF_SECONDS, Pace, clock
from .store import STORE_NAME, Run, Store, build_lock, open_store
from .write import AUTO_WRITER, WRITERS, Brief, RecapBrief, Writer, compose_script, open_writer

log = logging.getLogger(__name__)

LENGTH_TOLERANCE = 0.10  # an episode this far off its target_minutes is said to be so


@dataclass(frozen=True)
class RunResult:
    episode: Episode | None  # None when there is nothing to make (``skipped`` says why)
    reused: bool
    standins: tuple[str, ...]
    audio: str
    feed: str
    page: str
    skipped: str | None = None
    from_backlog: bool = False


@dataclass
class Build:
    """What the stages of one build share."""

    config: Config
    store: Store
    env: Mapping[str, str]
    progress: Stoppable = field(default_factory=lambda: Stoppable(NoProgress(), None))

    @cached_property
    def target(self) -> PublishTarget:
        """Opened when first needed: choosing papers publishes nothing (and an S3 target would
        need its client)."""
        return open_target(self.config.publish)


@dataclass(frozen=True)
class Chosen:
    """Stages 1-2: the papers an episode is about, or why there is no episode."""

    papers: tuple[Paper, ...]
    standins: tuple[str, ...] = ()  # the sources' stand-ins
    skipped: str | None = None
    from_backlog: bool = False
    picks: tuple[Pick, ...] = ()  # a daily show's papers with their scores and topics
    week: WeekPapers | None = None  # a recap's week


@dataclass(frozen=True)
class Written:
    """Stage 3: a script and what the episode records besides it."""

    script: Script
    notes: dict[str, ShowNotes]  # by paper id
    recap: Recap | None = None


class Plan(ABC):
    """One episode to make: which one, what it is about, and how its script is written."""

    key: str  # in the store: the day, or the week
    stem: str  # its files are episodes/<stem>.mp3 and so on
    moment: datetime  # when it is made, in the show's time zone: its greeting
    label: str = ""  # what the run log says before the outcome
    what: str  # what it is, in log lines: "The episode for 2026-11-21"

    @abstractmethod
    def title(self, config: Config) -> str:
        """The episode's title."""

    @abstractmethod
    def gather(self, build: Build) -> Gathered:
        """Stage 1: the papers it may be about."""

    @abstractmethod
    def select(self, build: Build, gathered: Gathered, timing: Pace) -> Chosen:
        """Stage 2: the papers it is about (as many as there is time for), or why there is no
        episode."""

    @abstractmethod
    def write(self, build: Build, writer: Writer, chosen: Chosen, timing: Pace) -> Written:
        """Stage 3: the script, sized for the voice and music that will carry it."""

    def target_seconds(self, config: Config) -> float | None:
        """The length the script is sized for, if any."""
        return None

    def format(self, config: Config) -> str:
        """The show's format of its script (models.FORMATS)."""
        return BROADCAST


# -- the daily show ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """Stages 1-2 for one day, as `podcast papers` shows them: what the sources offered, what
    was picked and why, and what came next."""

    day: date
    picks: list[Pick]
    ranked: list[Pick]
    excluded: list[tuple[Paper, str]]
    reports: list[SourceReport]
    from_backlog: bool
    standins: list[str]
    skipped: str | None = None  # why there is no episode today ([selection] on_empty = "skip")


class DailyPlan(Plan):
    """The day's show: the sources' new papers, the best for the listeners' project."""

    def __init__(self, moment: datetime, record: bool = True, samples: bool = True) -> None:
        self.moment = moment
        self.day = moment.date()
        self.key = self.stem = self.day.isoformat()
        self.what = f"The episode for {self.key}"
        self.record = record  # remember what the sources offered (not in a preview)
        #: may fall back on stand-in sources (the bundled sample papers) when no source can be
        #: read; the daemon may not: it publishes unattended, and tries the sources again
        self.samples = samples
        self.sources: list[Source] = []
        self.http: HttpClient | None = None

    def title(self, config: Config) -> str:
        show = config.show
        return i18n.phrases(show.language).episode_title.format(
            show=show.title, day=i18n.spoken_day(self.day, show.language))

    def target_seconds(self, config: Config) -> float | None:
        """The show's target; none for a brief, which lasts under BRIEF_SECONDS whatever it."""
        return None if config.show.format == BRIEF else config.show.target_minutes * 60

    def format(self, config: Config) -> str:
        return config.show.format

    def gather(self, build: Build) -> Gathered:
        config = build.config
        self.http = _open_http(config, self.day)
        self.sources = open_sources(config.sources, self.http)
        if not self.samples:
            self.sources = [s for s in self.sources if not (s.fallback and s.standin())]
        gathered = gather(self.sources, self.day, strict=config.selection.strict,
                          deadline=config.network.gather_deadline)
        if self.record and not gathered.used_fallback:  # stand-in papers never make a backlog
            build.store.remember_candidates(self.day, gathered.papers)
        return gathered

    def select(self, build: Build, gathered: Gathered, timing: Pace) -> Chosen:
        choice = self.choose(build, gathered, timing)
        picks = self.read(build, choice.picks)
        return Chosen(tuple(pick.paper for pick in picks), tuple(choice.standins),
                      choice.skipped, choice.from_backlog, tuple(picks))

    def read(self, build: Build, picks: list[Pick]) -> list[Pick]:
        """The picks read in full, each paper with its digest (not in a preview: `podcast
        papers` only shows the picks)."""
        config = build.config.fulltext
        if not config.enabled or not picks:
            return picks
        http = self.http or _open_http(build.config, self.day)
        with build.progress.task("Reading", len(picks)) as advance:
            papers = read_in_full([pick.paper for pick in picks], http, config, advance)
        return [replace(pick, paper=paper) for pick, paper in zip(picks, papers, strict=True)]

    def choose(self, build: Build, gathered: Gathered, timing: Pace) -> Choice:
        """Select as many papers as ``timing`` has room for in the target, none scoring under
        ``min_score``: the day's first, then the backlog of recent days (unless on_empty is
        "skip"). A day with none: no episode with "skip", else NothingToBroadcast."""
        config, store, day = build.config, build.store, self.day
        listener, show, selection = config.listener, config.show, config.selection
        room = timing.room(show.target_minutes * 60, self.frame(config))
        limit = min(show.max_papers, room)
        days = selection.backlog_days
        backlog = (store.backlog(day - timedelta(days=days), day)
                   if selection.on_empty == "backlog" else [])
        references = load_library(listener.library, self.http or _open_http(config, day),
                                  config.state.dir, build.env)
        chosen = select_papers(
            gathered.papers,
            Profile(listener.project, listener.keywords, listener.exclude,
                    references=(*references, *store.references()), day=day),
            limit, already_broadcast=store.broadcast_ids(other_than=day),
            language=show.language, refiners=open_refiners(selection, build.env),
            backlog=backlog, min_score=selection.min_score)
        standins = _source_standins(self.sources, gathered)
        if not chosen.picks:
            why = _nothing_new(day, gathered, chosen.below, selection.min_score)
            if selection.on_empty == "skip":
                log.info("%s; no episode today (on_empty = \"skip\").", why)
                return Choice(day, [], chosen.ranked, chosen.excluded, gathered.reports, False,
                              standins, why)
            nothing = NoSourceRead if gathered.all_failed else NothingToBroadcast
            raise nothing(f"{why}, and nothing unbroadcast from the {days} days before scores "
                          f"{selection.min_score:g} or more")
        if room < show.max_papers and len(chosen.ranked) > room and show.format == BRIEF:
            log.info("A brief tells %s at most, to stay under %s (max_papers = %d): the "
                     "others stay for another day.", counted(room, "paper"),
                     clock(BRIEF_SECONDS), show.max_papers)
        elif room < show.max_papers and len(chosen.ranked) > room:
            log.info("A target of %s has room for %s of at least %d s each (max_papers = %d): "
                     "the others stay for another day.", clock(show.target_minutes * 60),
                     counted(room, "paper"), timing.least_seconds(show.format),
                     show.max_papers)
        if len(chosen.picks) < limit:
            log.info("Only %s %s min_score %g or more%s: the show has %d, not %d.",
                     counted(len(chosen.picks), "paper"),
                     "scores" if len(chosen.picks) == 1 else "score", selection.min_score,
                     f" today or in the last {days} days" if backlog else " today",
                     len(chosen.picks), limit)
        log.info("Picked %s%s: %s.", counted(len(chosen.picks), "paper"),
                 f", {chosen.from_backlog} of them from the last {days} days"
                 if chosen.from_backlog else "", ", ".join(p.paper.id for p in chosen.picks))
        return Choice(day, chosen.picks, chosen.ranked, chosen.excluded, gathered.reports,
                      chosen.from_backlog > 0, standins)

    def brief(self, config: Config) -> Brief:
        show = config.show
        return Brief(show.language, show.title, config.listener.project, self.moment,
                     format=show.format,
                     hosts=(conversation_hosts(config.tts, show.language)
                            if show.format == CONVERSATION else ()))

    def frame(self, config: Config) -> Script:
        """The script with no papers: its greeting and closing."""
        return compose_script([], [], self.brief(config))

    def write(self, build: Build, writer: Writer, chosen: Chosen, timing: Pace) -> Written:
        config = build.config
        show = config.show
        brief, frame = self.brief(config), self.frame(config)
        target, papers = show.target_minutes * 60, len(chosen.picks)
        units = timing.paper_budget(target, papers, frame)
        shortest = timing.shortest(papers, frame)
        if shortest > target and show.format != BRIEF:  # a brief has no target
            log.info("A target of %s is too short for %s: each says the least a paper can "
                     "(about %d s), so the episode will last about %s.", clock(target),
                     counted(papers, "paper"), timing.least_seconds(show.format),
                     clock(shortest))
        script = writer.write(chosen.picks, replace(brief, paper_units=units))
        log.info("Wrote the script: %s, %d characters.", counted(len(script.segments), "paper"),
                 len(script.text()))
        return Written(script, {segment.paper_id: segment.notes for segment in script.segments})


def _open_http(config: Config, day: date) -> HttpClient:
    policy = HttpPolicy(timeout=config.network.timeout, retries=config.network.retries)
    cache = ResponseCache(config.state.dir / "cache" / "http", day, config.network.cache_days)
    return HttpClient(policy, cache)


def _nothing_new(day: date, gathered: Gathered, below: int, min_score: float) -> str:
    if gathered.all_failed:
        return f"no source could be read for {day}"
    if not gathered.papers:
        return f"no papers found for {day}"
    if below:
        return (f"no paper for {day} scores {min_score:g} or more ([selection] min_score): "
                f"{counted(len(gathered.papers), 'paper')} found")
    return (f"no new papers for {day}: {counted(len(gathered.papers), 'paper')} found, "
            "none left to broadcast")


def _source_standins(sources: Sequence[Source], gathered: Gathered) -> list[str]:
    standins = []
    for source in sources:
        standin = source.standin()
        if standin and (not source.fallback or gathered.used_fallback):
            standins.append(f"{standin} (no source could be reached)" if source.fallback
                            else standin)
    return standins


# -- the weekly recap ----------------------------------------------------------------------------


class RecapPlan(Plan):
    """The week's recap: the papers its daily episodes broadcast, by theme, in a bonus episode."""

    def __init__(self, week: Week, moment: datetime) -> None:
        self.week, self.moment = week, moment
        self.key = str(week)
        self.stem = f"{week}-recap"
        self.label = f"weekly recap {week}: "
        self.what = f"The recap of {week}"
        self.material = WeekPapers(week, (), {}, (), ())

    def format(self, config: Config) -> str:
        return config.show.format

    def title(self, config: Config) -> str:
        show = config.show
        span = i18n.week_span(self.week.first, self.week.last, show.language)
        when = i18n.recap_when(self.week.first, self.moment.date())  # 本周 or 上周
        return i18n.recap_phrases(show.language, when).title.format(show=show.title, span=span)

    def gather(self, build: Build) -> Gathered:
        self.material = _week_papers(build.store, self.week)
        return Gathered(list(self.material.papers), [])

    def select(self, build: Build, gathered: Gathered, timing: Pace) -> Chosen:
        week = self.material
        if not week.papers:
            span = i18n.week_span(self.week.first, self.week.last, "en-US")
            return Chosen((), skipped=f"no episodes in {self.week} ({span}), so nothing to recap")
        log.info("Recapping %s: %s from %s.", self.week, counted(len(week.papers), "paper"),
                 counted(len(week.days), "episode"))
        return Chosen(week.papers, week=week)

    def write(self, build: Build, writer: Writer, chosen: Chosen, timing: Pace) -> Written:
        config, week = build.config, chosen.week
        assert week is not None
        show = config.show
        script, text = writer.write_recap(RecapBrief(
            show.language, config.listener.project, self.moment, week, format=show.format,
            hosts=(conversation_hosts(config.tts, show.language)
                   if show.format == CONVERSATION else ())))
        log.info("Grouped the week into %s: %s.", counted(len(text.themes), "theme"),
                 "; ".join(f"{t.name} ({len(t.paper_ids)})" for t in text.themes))
        return Written(script, week.notes,
                       Recap(str(self.week), text.themes, text.trend, text.advice))


def _week_papers(store: Store, week: Week) -> WeekPapers:
    """What the daily episodes of ``week`` broadcast, in broadcast order, with their notes; and
    what the weeks before broadcast, for the trend."""
    papers: list[Paper] = []
    notes: dict[str, ShowNotes] = {}
    days: list[date] = []
    earlier: list[Paper] = []
    weeks: set[Week] = set()
    since = week.before(HISTORY_WEEKS).first
    for episode in sorted(store.episodes("daily"), key=lambda e: e.date):
        if week.first <= episode.date <= week.last:
            days.append(episode.date)
            for paper in episode.papers:
                if paper.id not in notes:
                    papers.append(paper)
                    notes[paper.id] = episode.notes.get(paper.id, ShowNotes())
        elif since <= episode.date < week.first:
            earlier.extend(episode.papers)
            weeks.add(Week.of(episode.date))
    return WeekPapers(week, tuple(papers), notes, tuple(days), tuple(earlier), len(weeks))


# -- one episode of any kind, through the six stages ---------------------------------------------


def _make(build: Build, plan: Plan, force: bool) -> RunResult:
    """Make and publish ``plan``'s episode, or reuse the one published already (unless ``force``,
    which rebuilds it under a new file name)."""
    config, store, target = build.config, build.store, build.target
    _recover(build)
    previous = store.episode(plan.key)
    if previous and not force:
        log.info("%s is already published; reusing it.", plan.what)
        _publish_site(build, plan.moment)
        return _result(previous, True, (), target)

    gathered = plan.gather(build)  # 1 gather
    context = _speak_context(config, build.env)
    # known before selecting and writing: how many papers the target has room for, and the
    # script is sized for the voice that will read it
    speaker, voice_problem = choose_speaker(config.tts, config.show.language, context,
                                            config.audio.pauses)
    music = Music.load(config.audio).of(plan.format(config))
    timing = pace(speaker.settings, music, plan.format(config))
    chosen = plan.select(build, gathered, timing)  # 2 select
    if chosen.skipped:
        return RunResult(None, False, chosen.standins, "", target.location(FEED_NAME),
                         target.location(PAGE_NAME), skipped=chosen.skipped)

    writer, writer_missing = open_writer(config.writer, config.llm, build.env,
                                         config.state.dir / "cache" / "llm")
    build.progress.check()
    written = plan.write(build, writer, chosen, timing)  # 3 write
    _log_estimate(written.script, speaker, music, plan.target_seconds(config))

    with tempfile.TemporaryDirectory(prefix="episode-", dir=config.state.dir) as work:
        # each paragraph's audio waits in the work folder for the mix, not in memory
        spoken, speaker, voice_failure = speak_script(
            written.script, speaker, build.progress, config.tts, config.audio.pauses,
            Path(work))  # 4 speak
        voice_problem = voice_problem or voice_failure
        audio = _produce(build, plan, chosen, written, spoken, music, speaker,
                         Path(work))  # 5 produce
        log.info("Produced %s (estimated %s for the %s).", clock(audio.duration),
                 clock(pace(speaker.settings, music, written.script.format).estimate(
                     written.script)), speaker.describe())
        episode = _publish(build, plan, previous, chosen, written, audio, writer,
                           voice_problem)  # 6 publish

    standins = _standins(chosen, writer, writer_missing, speaker, voice_problem)
    return replace(_result(episode, False, standins, target), from_backlog=chosen.from_backlog)


def _log_estimate(script: Script, speaker: Speaker, music: Music, target: float | None) -> None:
    estimate = pace(speaker.settings, music, script.format).estimate(script)
    log.info("Estimated length %s%s.", clock(estimate),
             f" (target {clock(target)})" if target else "")
    if target and abs(estimate / target - 1) > LENGTH_TOLERANCE:
        log.info("The script will last about %s, %d%% %s the target of %s.", clock(estimate),
                 round(abs(estimate / target - 1) * 100),
                 "over" if estimate > target else "under", clock(target))


def _produce(build: Build, plan: Plan, chosen: Chosen, written: Written,
             spoken: list[SpokenSection], music: Music, speaker: Speaker,
             work: Path) -> ProducedAudio:
    """Stage 5: the episode's MP3 in ``work``, mixed, mastered and tagged."""
    config = build.config
    show = config.show
    listing = "; ".join(written.notes.get(p.id, ShowNotes()).title or p.title_for(show.language)
                        for p in chosen.papers)
    tags = Tags(plan.title(config), show.author, show.title, plan.moment.date(), show.language,
                listing, written.script.text(), _artwork(config))
    with build.progress.task("Producing", len(spoken)) as advance:
        return produce_episode(spoken, work / "episode.mp3", tags, music, advance,
                               speaker.settings.pauses.of(written.script.format), config.audio,
                               config.state.dir / "cache" / "episodes")


def _publish(build: Build, plan: Plan, previous: Episode | None, chosen: Chosen, written: Written,
             audio: ProducedAudio, writer: Writer, voice_problem: VoiceProblem | None) -> Episode:
    """Stage 6: the episode's files onto the target, then its record in the store, then the page
    and the feed."""
    config, store, target = build.config, build.store, build.target
    show = config.show
    journal = config.state.dir / PENDING_NAME
    record = Episode(
        date=plan.moment.date(),
        guid=previous.guid if previous else str(uuid.uuid4()),
        title=plan.title(config),
        audio_name="", audio_bytes=0, duration=0.0, transcript_name="", chapters=(),
        papers=chosen.papers,
        published_at=plan.moment,
        revision=previous.revision + 1 if previous else 1,
        language=show.language,
        notes=written.notes,
        usage=writer.usage,
        voice_note=(i18n.phrases(show.language).offline_voice.format(
            reason=voice_problem.said(show.language)) if voice_problem else ""),
        recap=written.recap,
        format=written.script.format,
        hosts=written.script.hosts,
    )
    site = make_site(target.url, show, _artwork(config), config.schedule.frequency,
                     _show_hosts(config))
    episode = publish_episode(target, site, journal, plan.stem, record, audio,
                              written.script.text())
    store.save_episode(episode)
    clear_pending(journal)
    log.info("Published %s.", target.location(episode.audio_name))
    _publish_site(build, plan.moment)
    return episode


def _standins(chosen: Chosen, writer: Writer, writer_missing: str | None, speaker: Speaker,
              voice_problem: VoiceProblem | None) -> tuple[str, ...]:
    """The 'offline stand-ins' line: what stood in for the real sources, writer and voice, and
    why."""
    named = []
    for standin, why in ((writer.standin(), writer_missing), (speaker.standin(), voice_problem)):
        if standin:
            named.append(f"{standin} ({why})" if why else standin)
    return (*chosen.standins, *named)


# -- the front ends' entry points ----------------------------------------------------------------


def broadcast_moment(config: Config, day: date | None, now: datetime | None) -> datetime:
    """The local time the show greets with: now, on ``day`` if one is given."""
    now = (now or datetime.now(config.show.zone)).astimezone(config.show.zone)
    return now if day is None else datetime.combine(day, now.timetz())


def run_episode(
    config: Config,
    day: date | None = None,
    now: datetime | None = None,
    force: bool = False,
    progress: Progress | None = None,
    env: Mapping[str, str] = {},
    stop: threading.Event | None = None,
    wait: bool = True,
    samples: bool = True,
) -> RunResult:
    """Make and publish the episode for ``day`` (today in the show's time zone by default).

    An episode already published for that day is reused unless ``force``, which rebuilds it
    under a new file name. ``env`` holds the environment variables secrets are read from. One
    build per show at a time, across processes: a second one waits for the first (or raises
    Busy, without ``wait``), then finds its episode. ``stop``, once set, ends the build at its
    next step with Interrupted, as long as nothing has been published yet. Every attempt is
    recorded in the store for `podcast status`. Without ``samples``, a day no source can be read
    raises NoSourceRead instead of falling back on the bundled sample papers.
    """
    plan = DailyPlan(broadcast_moment(config, day, now), samples=samples)
    return _attempt(config, plan, wait, force, progress, env, stop)


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
    plan = RecapPlan(week or default_week(moment.date()), moment)
    return _attempt(config, plan, wait, force, progress, env, stop)


def _attempt(config: Config, plan: Plan, wait: bool, force: bool, progress: Progress | None,
             env: Mapping[str, str], stop: threading.Event | None) -> RunResult:
    """``plan`` made under the show's build lock, its outcome recorded in the store's run log."""
    on_wait = partial(log.info, "Another build of this show is running (%s); waiting for it to "
                                "finish.")
    day = plan.moment.date()
    with build_lock(config.state.dir).acquire(wait, on_wait):
        started = datetime.now(config.show.zone)
        try:
            with open_store(config.state.dir) as store:
                build = Build(config, store, env, Stoppable(progress or NoProgress(), stop))
                result = _make(build, plan, force)
        except PodcastError as exc:
            # a child process (ffmpeg) killed by the stop request too: the stop, not a failure
            stopped = isinstance(exc, (AudioError, SpeechError)) and stop is not None \
                and stop.is_set()
            outcome = "interrupted" if stopped or isinstance(exc, Interrupted) else "failed"
            _record(config, Run(day, started, datetime.now(config.show.zone), outcome,
                                plan.label + str(exc)))
            if stopped:
                raise Interrupted(f"stopped before publishing ({exc}); {RESUMES}") from exc
            raise
        outcome = ("skipped" if result.episode is None else "reused" if result.reused
                   else "published")
        message = plan.label + (result.skipped or "") if plan.label or result.skipped else ""
        _record(config, Run(day, started, datetime.now(config.show.zone), outcome,
                            message.rstrip(": ")))
    return result


def _record(config: Config, run: Run) -> None:
    try:
        with open_store(config.state.dir) as store:
            store.record_run(run)
    except PodcastError as exc:  # the run's own outcome matters more than its log entry
        # after a failure it most likely failed the same way (a full disk), and the run's error
        # says so
        say = log.debug if run.outcome in ("failed", "interrupted") else log.warning
        say("Could not record the run: %s", exc)


def choose_papers(config: Config, day: date, store: Store, env: Mapping[str, str] = {},
                  record: bool = True) -> Choice:
    """Stages 1-2 of the day's show: gather, remember what was offered (``record``), select."""
    plan = DailyPlan(datetime.combine(day, datetime.min.time(), config.show.zone), record)
    build = Build(config, store, env)
    tts = config.tts  # the configured voice's pace, unchecked: a preview reaches no voice
    voice = resolve_voice(tts, tts.engine, config.show.language, config.audio.pauses)
    return plan.choose(build, plan.gather(build),
                       pace(voice, Music.load(config.audio).of(plan.format(config)),
                            plan.format(config)))


def preview(
    config: Config, day: date | None = None, now: datetime | None = None,
    env: Mapping[str, str] = {},
) -> Choice:
    """What ``run`` would broadcast, without recording anything."""
    moment = broadcast_moment(config, day, now)
    path = config.state.dir / STORE_NAME
    # Before the first episode there is no store yet, and a preview should not create one.
    with Store(path if path.exists() else Path(":memory:")) as store:
        return choose_papers(config, moment.date(), store, env, record=False)


def rebuild_site(config: Config, now: datetime | None = None) -> tuple[int, str, str]:
    """Rewrite the feed and the page from the store: (episodes, feed location, page location).
    Under the build lock: a build starting meanwhile sweeps the target's temporary files."""
    on_wait = partial(log.info, "A build of this show is running (%s); waiting for it to finish.")
    with build_lock(config.state.dir).acquire(True, on_wait), open_store(config.state.dir) as store:
        build = Build(config, store, {})
        listed = _publish_site(build, now or datetime.now(config.show.zone))
    return listed, build.target.location(FEED_NAME), build.target.location(PAGE_NAME)


def check_site(config: Config) -> FeedCheck:
    """The published feed and the show's artwork against what Apple Podcasts and Spotify
    require (``podcast feed --check``); reads and changes nothing else."""
    return check_feed(open_target(config.publish), config.show)


VOTES = {"up": 1, "down": -1}  # and "clear", which forgets the paper's rating


@dataclass(frozen=True)
class Rating:
    """A rating recorded (or cleared) by :func:`rate_paper`."""

    paper: Paper
    vote: str  # "up", "down" or "clear"
    changed: bool = True  # False when clearing a paper that was not rated


def rate_paper(config: Config, paper_id: str, vote: str, now: datetime | None = None) -> Rating:
    """Record the team's ``vote`` ("up", "down", or "clear" to forget it) on a paper the show
    has seen: one a source offered or an episode broadcast (or rated before), named by its id in
    any form :func:`models.arxiv_id` reads, or its ``web:`` id. The latest rating of a paper
    wins; ranking moves papers like the up-rated ones up and like the down-rated ones down.
    Raises UnknownPaper for a paper the show has never seen."""
    if vote not in (*VOTES, "clear"):
        raise ValueError(f"a vote is up, down or clear, not {vote!r}")
    key = bare_id(paper_id)
    unknown = UnknownPaper(f"no paper {key or repr(paper_id)} among the papers this show has "
                           "seen; `podcast papers` lists them")
    if not key or not (config.state.dir / STORE_NAME).exists():  # nothing seen yet: create nothing
        raise unknown
    moment = (now or datetime.now(config.show.zone)).astimezone(config.show.zone)
    with open_store(config.state.dir) as store:
        paper = store.paper(key)
        if paper is None:
            raise unknown
        if vote == "clear":
            return Rating(paper, vote, store.unrate(paper.id))
        store.rate(paper, VOTES[vote], moment)
        return Rating(paper, vote)


def votes(config: Config) -> dict[str, str]:
    """The team's current ratings: paper id → "up" or "down"."""
    if not (config.state.dir / STORE_NAME).exists():
        return {}
    with open_store(config.state.dir) as store:
        return {reference.paper.id: reference.kind for reference in store.references()}


def offline(config: Config, env: Mapping[str, str] = {}) -> Config:
    """``config`` with every backend that needs the network swapped for its offline stand-in
    (the voice: the most natural one ready here, its files found through ``env``)."""
    sources = tuple(s for s in config.sources if SOURCES.get(s.type).offline and not s.fallback)
    source = SOURCES.stand_in()
    writer = config.writer
    if writer.type == AUTO_WRITER or not WRITERS.get(writer.type).offline:
        stand_in = WRITERS.stand_in()
        writer = BackendConfig(stand_in.name, stand_in.Options())
    tts = config.tts
    if not ENGINES.get(tts.engine).offline:  # the voices named for it are not the stand-in's
        hosts = HostsConfig(*(replace(host, voice="") for host in tts.hosts))
        tts = replace(tts, engine=stand_in_engine(tts, config.show.language,
                                                  _speak_context(config, env)),
                      voice="", thoughts_voice="", hosts=hosts)
    return replace(
        config,
        listener=replace(config.listener, library=replace(config.listener.library, offline=True)),
        sources=sources or (SourceConfig(source.name, source.Options()),),
        selection=replace(config.selection, embeddings=None, rerank=None),
        writer=writer,
        tts=tts,
        fulltext=replace(config.fulltext, enabled=False),
    )


# -- shared by every build -----------------------------------------------------------------------


def _speak_context(config: Config, env: Mapping[str, str]) -> SpeakContext:
    """Where the voices keep their spoken pieces and find their files, and how hard they try."""
    return SpeakContext(config.state.dir / "cache" / "tts", env, config.tts.concurrency,
                        config.tts.retries)


def _recover(build: Build) -> None:
    """Clear what a build that stopped half-way left: its work folders, its temporary files and
    the files it published without recording them. Under the build lock, so none is in use."""
    state = build.config.state.dir
    for work in state.glob("episode-*"):
        shutil.rmtree(work, ignore_errors=True)
    recorded = {name for episode in build.store.episodes() for name in episode.files}
    recover(build.target, state / PENDING_NAME, recorded)


def _site(build: Build) -> Site:
    config = build.config
    return publish_cover(build.target, config.show, _artwork(config), config.schedule.frequency,
                         _show_hosts(config))


def _show_hosts(config: Config) -> tuple[Host, ...]:
    """A conversation show's voices by name, for the feed; none for another format."""
    show = config.show
    return conversation_hosts(config.tts, show.language) if show.format == CONVERSATION else ()


def _publish_site(build: Build, now: datetime) -> int:
    """The page and the feed for every episode in the store; the number of episodes listed."""
    if not build.config.show.email:
        log.warning(NO_OWNER_EMAIL)
    episodes = build.store.episodes()
    removed = publish_site(build.target, _site(build), episodes, now)
    build.store.mark_removed(removed)
    return sum(1 for e in episodes if not e.removed) - len(removed)


def _artwork(config: Config) -> tuple[bytes, str]:
    show = config.show
    return show_artwork(show.artwork, show.title, show.author, config.state.dir / "cache")


def _result(episode: Episode, reused: bool, standins: tuple[str, ...],
            target: PublishTarget) -> RunResult:
    return RunResult(
        episode=episode,
        reused=reused,
        standins=standins,
        audio=target.location(episode.audio_name),
        feed=target.location(FEED_NAME),
        page=target.location(PAGE_NAME),
    )
