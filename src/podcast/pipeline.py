"""The stages strung together: sources → select → write → speak → produce → publish.

The front ends (CLI, and later the daemon) call these functions; nothing here prints, prompts
or exits. Every failure is a PodcastError.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from . import i18n
from .config import BackendConfig, Config, TTSConfig
from .errors import NothingToBroadcast
from .i18n import counted
from .models import Episode, Pick, Script
from .produce import Tags, produce_episode
from .progress import NoProgress, Progress
from .publish import FEED_NAME, PAGE_NAME, PublishTarget, free_stem, open_target, publish_site
from .select import select_papers
from .sources import SOURCES, gather, open_sources
from .sources.file import FileOptions
from .speak import ENGINES, SpokenSection, open_speaker, speak_script
from .speak.espeak import EspeakOptions
from .store import Store
from .write import WRITERS, Brief

log = logging.getLogger(__name__)

STORE_NAME = "podcast.db"


@dataclass(frozen=True)
class RunResult:
    episode: Episode
    reused: bool
    standins: tuple[str, ...]
    audio: str
    feed: str
    page: str


def broadcast_moment(config: Config, day: date | None, now: datetime | None) -> datetime:
    """The local time the show greets with: now, on ``day`` if one is given."""
    now = (now or datetime.now(config.show.zone)).astimezone(config.show.zone)
    return now if day is None else datetime.combine(day, now.timetz())


def open_store(config: Config) -> Store:
    return Store(config.state.dir / STORE_NAME)


def choose_papers(config: Config, day: date, store: Store) -> tuple[list[Pick], list[str]]:
    """Stages 1-2: the picks for ``day`` and the stand-ins the sources used."""
    sources = open_sources(config.sources)
    papers = gather(sources, day)
    broadcast = store.broadcast_ids(other_than=day)
    picks = select_papers(
        papers, config.listener.project, config.show.max_papers, broadcast, config.show.language
    )
    if not picks:
        raise NothingToBroadcast(
            f"no new papers for {day}: {len(papers)} found, all broadcast before"
            if papers else f"no papers found for {day} in any source"
        )
    log.info(
        "Picked %d of %s (%d broadcast before): %s.",
        len(picks), counted(len(papers), "paper"), sum(p.id in broadcast for p in papers),
        ", ".join(pick.paper.id for pick in picks),
    )
    return picks, [s for source in sources if (s := source.standin())]


def preview(config: Config, day: date | None = None, now: datetime | None = None) -> list[Pick]:
    """What ``run`` would broadcast, without writing anything."""
    moment = broadcast_moment(config, day, now)
    path = config.state.dir / STORE_NAME
    # Before the first episode there is no store yet, and a preview should not create one.
    with Store(path if path.exists() else Path(":memory:")) as store:
        return choose_papers(config, moment.date(), store)[0]


def run_episode(
    config: Config,
    day: date | None = None,
    now: datetime | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Make and publish the episode for ``day`` (today in the show's time zone by default).

    An episode already published for that day is reused unless ``force``, which rebuilds it
    under a new file name.
    """
    moment = broadcast_moment(config, day, now)
    target = open_target(config.publish)
    with open_store(config) as store:
        previous = store.episode(moment.date())
        if previous and not force:
            log.info("The episode for %s is already published; reusing it.", moment.date())
            publish_site(target, config.show, store.episodes(), moment)
            return _result(previous, True, (), target)
        episode, standins = _make_episode(config, target, store, moment, previous, progress or NoProgress())
        publish_site(target, config.show, store.episodes(), moment)
    return _result(episode, False, standins, target)


def _make_episode(
    config: Config,
    target: PublishTarget,
    store: Store,
    moment: datetime,
    previous: Episode | None,
    progress: Progress,
) -> tuple[Episode, tuple[str, ...]]:
    """Every stage from gathering papers to the episode's files published and recorded."""
    show, day = config.show, moment.date()
    picks, standins = choose_papers(config, day, store)
    script, spoken, more_standins = _write_and_speak(config, picks, moment, progress)
    transcript = script.text()
    title = i18n.phrases(show.language).episode_title.format(
        show=show.title, day=i18n.spoken_day(day, show.language)
    )
    notes = "; ".join(pick.paper.title_for(show.language) for pick in picks)
    tags = Tags(title, show.author, show.title, day, show.language, notes, transcript)
    revision = previous.revision + 1 if previous else 1
    stem = free_stem(target, day.isoformat(), revision)
    config.state.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="episode-", dir=config.state.dir) as work:
        with progress.task("Producing", len(spoken)) as advance:
            audio = produce_episode(spoken, Path(work) / "episode.mp3", tags, advance=advance)
        size = audio.path.stat().st_size
        target.add(f"{stem}.mp3", audio.path)
    target.add(f"{stem}.txt", transcript.encode("utf-8"))
    episode = Episode(
        date=day,
        guid=previous.guid if previous else str(uuid.uuid4()),
        title=title,
        audio_name=f"{stem}.mp3",
        audio_bytes=size,
        duration=audio.duration,
        transcript_name=f"{stem}.txt",
        chapters=audio.chapters,
        papers=tuple(pick.paper for pick in picks),
        published_at=moment,
        revision=revision,
        language=show.language,
    )
    store.save_episode(episode)
    log.info("Published %s.", target.location(episode.audio_name))
    return episode, (*standins, *more_standins)


def _write_and_speak(
    config: Config, picks: list[Pick], moment: datetime, progress: Progress
) -> tuple[Script, list[SpokenSection], list[str]]:
    """Stages 3-4: the script for ``picks`` and its audio, and the stand-ins that made them."""
    show = config.show
    writer = WRITERS.get(config.writer.type)(config.writer.options)
    script = writer.write(picks, Brief(show.language, show.title, config.listener.project, moment))
    log.info("Wrote the script: %s, %d characters.", counted(len(script.segments), "paper"), len(script.text()))
    speaker = open_speaker(config.tts, show.language)
    with progress.task("Speaking", sum(len(s.parts) for s in script.sections())) as advance:
        spoken = speak_script(script, speaker, advance)
    return script, spoken, [s for s in (writer.standin(), speaker.standin()) if s]


def rebuild_site(config: Config, now: datetime | None = None) -> tuple[int, str, str]:
    """Rewrite the feed and the page from the store: (episodes, feed location, page location)."""
    target = open_target(config.publish)
    with open_store(config) as store:
        episodes = store.episodes()
    publish_site(target, config.show, episodes, now or datetime.now(config.show.zone))
    return len(episodes), target.location(FEED_NAME), target.location(PAGE_NAME)


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
    sources = tuple(s for s in config.sources if SOURCES.get(s.type).offline)
    writer = config.writer
    if not WRITERS.get(writer.type).offline:
        writer = BackendConfig("template", WRITERS.get("template").Options())
    tts = config.tts
    if not ENGINES.get(tts.engine).offline:
        tts = TTSConfig("espeak", "", EspeakOptions())
    return replace(
        config,
        sources=sources or (BackendConfig("file", FileOptions()),),
        writer=writer,
        tts=tts,
    )
