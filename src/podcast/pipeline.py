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
from .config import Config
from .errors import NothingToBroadcast
from .models import Episode, Pick
from .produce import Tags, produce_episode
from .progress import NoProgress, Progress
from .publish import FEED_NAME, PAGE_NAME, PublishTarget, free_stem, open_target, publish_site
from .select import select_papers
from .sources import gather, open_sources
from .speak import open_speaker, speak_script
from .store import Store
from .write import WRITERS, Brief

log = logging.getLogger(__name__)


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
    return Store(config.state.dir / "podcast.db")


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
        "Picked %d of %d papers (%d broadcast before): %s.",
        len(picks), len(papers), sum(p.id in broadcast for p in papers),
        ", ".join(pick.paper.id for pick in picks),
    )
    return picks, [s for source in sources if (s := source.standin())]


def preview(config: Config, day: date | None = None, now: datetime | None = None) -> list[Pick]:
    """What ``run`` would broadcast, without writing anything."""
    moment = broadcast_moment(config, day, now)
    with open_store(config) as store:
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
    progress = progress or NoProgress()
    moment = broadcast_moment(config, day, now)
    day = moment.date()
    target = open_target(config.publish)
    with open_store(config) as store:
        previous = store.episode(day)
        if previous and not force:
            log.info("The episode for %s is already published; reusing it.", day)
            publish_site(target, config.show, store.episodes(), moment)
            return _result(previous, True, (), target)
        picks, standins = choose_papers(config, day, store)
        writer = WRITERS.get(config.writer.type)(config.writer.options)
        script = writer.write(picks, Brief(config.show.language, config.show.title,
                                           config.listener.project, moment))
        log.info("Wrote the script: %d papers, %d characters.", len(script.segments), len(script.text()))
        speaker = open_speaker(config.tts, config.show.language)
        sections = script.sections()
        paragraphs = sum(len(section.parts) for section in sections)
        with progress.task("Speaking", paragraphs) as advance:
            spoken = speak_script(script, speaker, advance)
        standins += [s for s in (writer.standin(), speaker.standin()) if s]

        words = i18n.phrases(config.show.language)
        title = words.episode_title.format(
            show=config.show.title, day=i18n.spoken_day(day, config.show.language)
        )
        revision = previous.revision + 1 if previous else 1
        stem = free_stem(target, day.isoformat(), revision)
        config.state.dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="episode-", dir=config.state.dir) as work:
            tags = Tags(title=title, artist=config.show.author, album=config.show.title, day=day,
                        language=config.show.language, description=f"{title}",
                        transcript=script.text())
            with progress.task("Producing", len(spoken)) as advance:
                audio = produce_episode(spoken, Path(work) / "episode.mp3", tags, advance=advance)
            episode = Episode(
                date=day,
                guid=previous.guid if previous else str(uuid.uuid4()),
                title=title,
                audio_name=f"{stem}.mp3",
                audio_bytes=audio.path.stat().st_size,
                duration=audio.duration,
                transcript_name=f"{stem}.txt",
                chapters=audio.chapters,
                papers=tuple(pick.paper for pick in picks),
                published_at=moment,
                revision=revision,
                language=config.show.language,
            )
            target.add(episode.audio_name, audio.path)
        target.add(episode.transcript_name, script.text().encode("utf-8"))
        store.save_episode(episode)
        log.info("Published %s.", target.location(episode.audio_name))
        publish_site(target, config.show, store.episodes(), moment)
    return _result(episode, False, tuple(standins), target)


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
    from .config import BackendConfig, TTSConfig
    from .sources import SOURCES
    from .sources.file import FileOptions
    from .speak import ENGINES
    from .speak.espeak import EspeakOptions
    from .write import WRITERS

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
