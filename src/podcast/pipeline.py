"""The stages strung together: sources → select → write → speak → produce → publish.

The front ends (CLI, and later the daemon) call these functions; nothing here prints, prompts
or exits. Every failure is a PodcastError.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path

from . import i18n
from .artwork import show_artwork
from .captions import render_chapters, render_html_transcript, render_srt, render_vtt
from .config import AUTO_WRITER, BackendConfig, Config, SourceConfig
from .errors import Interrupted, NothingToBroadcast, PodcastError, SpeechError
from .http import HttpClient, HttpPolicy, ResponseCache
from .i18n import counted
from .models import Episode, Paper, Pick, Script
from .produce import Music, Tags, pace, produce_episode
from .progress import NoProgress, Progress, Stoppable
from .publish import (
    EPISODE_FILES, FEED_NAME, PAGE_NAME, PENDING_NAME, PublishTarget, clear_pending, free_stem, note_pending,
    open_target, publish_cover, publish_site, recover,
)
from .publish.page import render_episode_page
from .refine import open_refiners
from .select import Profile, select_papers
from .sources import SOURCES, Gathered, Source, SourceReport, gather, open_sources
from .sources.file import FileOptions
from .speak import ENGINES, Pauses, SpeakContext, Speaker, open_speaker, speak_script
from .schedule import build_lock, update_frequency
from .store import Run, Store
from .timing import Pace, clock
from .write import WRITERS, Brief, WriteContext, Writer, compose_script
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
    on_wait = partial(log.info, "Another build of this show is running (%s); waiting for it to finish.")
    with build_lock(config).acquire(wait, on_wait):
        started = datetime.now(config.show.zone)
        try:
            result = _run_episode(config, moment, force, progress or NoProgress(), env, stop)
        except PodcastError as exc:
            outcome = "interrupted" if isinstance(exc, Interrupted) else "failed"
            _record(config, Run(moment.date(), started, datetime.now(config.show.zone), outcome, str(exc)))
            raise
        outcome = "skipped" if result.episode is None else "reused" if result.reused else "published"
        _record(config, Run(moment.date(), started, datetime.now(config.show.zone), outcome, result.skipped or ""))
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
        maker = _EpisodeMaker(config, target, store, Stoppable(progress, stop), env)
        episode, standins = maker.make(moment, previous, choice)
        _publish_site(config, target, store, moment)
    return replace(_result(episode, False, standins, target), from_backlog=choice.from_backlog)


@dataclass
class _EpisodeMaker:
    """Stages 3-6 for the chosen papers: write, speak, produce, publish and record."""

    config: Config
    target: PublishTarget
    store: Store
    progress: Stoppable
    env: Mapping[str, str]

    def make(self, moment: datetime, previous: Episode | None, choice: Choice) -> tuple[Episode, tuple[str, ...]]:
        config, show = self.config, self.config.show
        context = SpeakContext(config.state.dir / "cache" / "tts", self.env, config.tts.concurrency, config.tts.retries)
        speaker = open_speaker(config.tts, show.language, context, pauses=config.audio.pauses)
        fallback_reason = None
        problem = speaker.check()
        if problem:  # known before writing: the script is sized for the voice that will read it
            speaker, fallback_reason = self._fallback(speaker, context, SpeechError(problem))
        music = Music.load(config.audio)
        artwork = _artwork(config)
        writer, writer_standin = open_writer(config, self.env)
        self.progress.check()
        script = _write(writer, choice.picks, config, moment, pace(speaker.settings, music))
        estimate = pace(speaker.settings, music).estimate(script)
        log.info("Estimated length %s (target %s).", clock(estimate), clock(show.target_minutes * 60))
        spoken, speaker, failed = self._speak(script, speaker, context)
        fallback_reason = fallback_reason or failed
        episode = self._publish(moment, previous, choice, script, spoken, music, speaker.settings.pauses, artwork)
        log.info("Produced %s (estimated %s for the %s).", clock(episode.duration),
                 clock(pace(speaker.settings, music).estimate(script)), speaker.describe())
        if fallback_reason:
            episode = replace(episode, voice_note=i18n.phrases(show.language).offline_voice.format(reason=fallback_reason))
        episode = replace(episode, usage=writer.usage)
        self.store.save_episode(episode)
        clear_pending(self.config.state.dir / PENDING_NAME)
        log.info("Published %s.", self.target.location(episode.audio_name))
        voice = speaker.standin()
        if voice and fallback_reason:
            voice = f"{voice} ({fallback_reason})"
        return episode, (*choice.standins, *(s for s in (writer_standin or writer.standin(), voice) if s))

    def _speak(self, script: Script, speaker: Speaker, context: SpeakContext) -> tuple[list, Speaker, str | None]:
        """The script's audio; with [tts] fallback = "offline", the offline voice re-voices the
        whole episode when the configured one fails (a mixed episode would sound broken)."""
        lines = sum(len(s.parts) for s in script.sections())
        try:
            with self.progress.task("Speaking", lines) as advance:
                return speak_script(script, speaker, advance), speaker, None
        except SpeechError as exc:
            offline, reason = self._fallback(speaker, context, exc)
            with self.progress.task("Speaking (offline)", lines) as advance:
                return speak_script(script, offline, advance), offline, reason

    def _fallback(self, speaker: Speaker, context: SpeakContext, exc: SpeechError) -> tuple[Speaker, str]:
        """The offline voice in place of one that fails, if [tts] fallback allows; else the error."""
        if speaker.offline or self.config.tts.fallback != "offline":
            raise SpeechError(f"{exc} (pieces already spoken are cached: a rerun resumes)") from exc
        log.warning("%s; espeak-ng voices the episode instead.", exc)
        offline = open_speaker(self.config.tts, speaker.language, context, "espeak", self.config.audio.pauses)
        return offline, _short_reason(exc)

    def _publish(self, moment: datetime, previous: Episode | None, choice: Choice, script: Script,
                 spoken: list, music: Music, pauses: Pauses, artwork: tuple[bytes, str]) -> Episode:
        show, day = self.config.show, moment.date()
        transcript = script.text()
        title = i18n.phrases(show.language).episode_title.format(show=show.title, day=i18n.spoken_day(day, show.language))
        listing = "; ".join(pick.paper.title_for(show.language) for pick in choice.picks)
        tags = Tags(title, show.author, show.title, day, show.language, listing, transcript, artwork)
        revision = previous.revision + 1 if previous else 1
        stem = free_stem(self.target, day.isoformat(), revision)
        note_pending(self.config.state.dir / PENDING_NAME, [stem + suffix for suffix in EPISODE_FILES])
        with tempfile.TemporaryDirectory(prefix="episode-", dir=self.config.state.dir) as work:
            with self.progress.task("Producing", len(spoken)) as advance:
                audio = produce_episode(spoken, Path(work) / "episode.mp3", tags, music, advance, pauses,
                                        self.config.audio)
            size = audio.path.stat().st_size
            self.target.add(f"{stem}.mp3", audio.path)
        self.target.add(f"{stem}.txt", transcript.encode("utf-8"))
        self.target.add(f"{stem}.vtt", render_vtt(audio.cues).encode("utf-8"))
        self.target.add(f"{stem}.srt", render_srt(audio.cues).encode("utf-8"))
        self.target.add(f"{stem}.transcript.html",
                        render_html_transcript(audio.cues, audio.chapters, title, show.language).encode("utf-8"))
        self.target.add(f"{stem}.chapters.json", render_chapters(audio.chapters, title, show.title).encode("utf-8"))
        episode = Episode(
            date=day,
            guid=previous.guid if previous else str(uuid.uuid4()),
            title=title,
            audio_name=f"{stem}.mp3",
            audio_bytes=size,
            duration=audio.duration,
            transcript_name=f"{stem}.txt",
            chapters=audio.chapters,
            papers=tuple(pick.paper for pick in choice.picks),
            published_at=moment,
            revision=revision,
            language=show.language,
            notes={segment.paper_id: segment.notes for segment in script.segments},
            captions=(f"{stem}.vtt", f"{stem}.srt", f"{stem}.transcript.html"),
            chapters_name=f"{stem}.chapters.json",
            page_name=f"{stem}.html",
        )
        site = publish_cover(self.target, show, artwork, update_frequency(self.config))
        self.target.add(episode.page_name, render_episode_page(site, episode, audio.cues))
        return episode


def _short_reason(exc: Exception) -> str:
    text = str(exc)
    return "edge-tts could not be reached" if "cannot be reached" in text else "edge-tts failed"


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
    recover(target, config.state.dir / PENDING_NAME, {name for e in store.episodes() for name in e.files})


def _artwork(config: Config) -> tuple[bytes, str]:
    show = config.show
    return show_artwork(show.artwork, show.title, show.author, config.state.dir / "cache")


def _publish_site(config: Config, target: PublishTarget, store: Store, now: datetime) -> int:
    """The page and the feed for every episode in the store; the number of episodes listed."""
    site = publish_cover(target, config.show, _artwork(config), update_frequency(config))
    episodes = store.episodes()
    removed = publish_site(target, site, episodes, now)
    store.mark_removed([episode.date for episode in removed])
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
