"""Stages 3-6 for one episode, daily or recap: write its script, speak it, produce the MP3,
publish its files and record it in the store. :mod:`pipeline` decides what to make; this makes it.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from . import i18n
from .artwork import show_artwork
from .captions import render_chapters, render_html_transcript, render_srt, render_vtt
from .config import Config
from .errors import SpeechError
from .models import Episode, Paper, Recap, Script, ShowNotes
from .produce import Music, Tags, pace, produce_episode
from .progress import Stoppable
from .publish import EPISODE_FILES, PENDING_NAME, PublishTarget, clear_pending, free_stem, note_pending, publish_cover
from .publish.page import render_episode_page
from .schedule import update_frequency
from .speak import Pauses, SpeakContext, Speaker, open_speaker, speak_script
from .store import Store
from .timing import Pace, clock
from .write import Writer
from .write.recap import RecapWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Written:
    """A written script and what the episode records besides it."""

    script: Script
    notes: dict[str, ShowNotes]  # by paper id
    recap: Recap | None = None

    @classmethod
    def daily(cls, script: Script) -> Written:
        return cls(script, {segment.paper_id: segment.notes for segment in script.segments})


@dataclass(frozen=True)
class Draft:
    """One episode to make: its name, its papers and how its script gets written."""

    stem: str  # its files are episodes/<stem>.mp3 and so on: the day, or the week and "recap"
    title: str
    papers: tuple[Paper, ...]
    write: Callable[[Pace], Written]  # the script, sized for the voice and music that will carry it
    writer: Writer | RecapWriter
    writer_standin: str | None = None  # how opening the writer named it, when not the one asked for
    standins: tuple[str, ...] = ()  # the sources' stand-ins
    target_seconds: float | None = None  # the length the script was sized for, if any


@dataclass
class EpisodeMaker:
    """Stages 3-6 for the chosen papers: write, speak, produce, publish and record."""

    config: Config
    target: PublishTarget
    store: Store
    progress: Stoppable
    env: Mapping[str, str]

    def make(self, moment: datetime, previous: Episode | None, draft: Draft) -> tuple[Episode, tuple[str, ...]]:
        config, show = self.config, self.config.show
        context = SpeakContext(config.state.dir / "cache" / "tts", self.env, config.tts.concurrency, config.tts.retries)
        speaker = open_speaker(config.tts, show.language, context, pauses=config.audio.pauses)
        fallback_reason = None
        problem = speaker.check()
        if problem:  # known before writing: the script is sized for the voice that will read it
            speaker, fallback_reason = self._fallback(speaker, context, SpeechError(problem))
        music = Music.load(config.audio)
        artwork = load_artwork(config)
        self.progress.check()
        written = draft.write(pace(speaker.settings, music))
        estimate = pace(speaker.settings, music).estimate(written.script)
        target = f" (target {clock(draft.target_seconds)})" if draft.target_seconds else ""
        log.info("Estimated length %s%s.", clock(estimate), target)
        spoken, speaker, failed = self._speak(written.script, speaker, context)
        fallback_reason = fallback_reason or failed
        episode = self._publish(moment, previous, draft, written, spoken, music, speaker.settings.pauses, artwork)
        log.info("Produced %s (estimated %s for the %s).", clock(episode.duration),
                 clock(pace(speaker.settings, music).estimate(written.script)), speaker.describe())
        if fallback_reason:
            episode = replace(episode, voice_note=i18n.phrases(show.language).offline_voice.format(reason=fallback_reason))
        episode = replace(episode, usage=draft.writer.usage)
        if episode.recap:
            self.store.save_recap(episode)
        else:
            self.store.save_episode(episode)
        clear_pending(config.state.dir / PENDING_NAME)
        log.info("Published %s.", self.target.location(episode.audio_name))
        voice = speaker.standin()
        if voice and fallback_reason:
            voice = f"{voice} ({fallback_reason})"
        writer = draft.writer_standin or draft.writer.standin()
        return episode, (*draft.standins, *(s for s in (writer, voice) if s))

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

    def _publish(self, moment: datetime, previous: Episode | None, draft: Draft, written: Written,
                 spoken: list, music: Music, pauses: Pauses, artwork: tuple[bytes, str]) -> Episode:
        show, day, title = self.config.show, moment.date(), draft.title
        transcript = written.script.text()
        listing = "; ".join(written.notes.get(p.id, ShowNotes()).title or p.title_for(show.language) for p in draft.papers)
        tags = Tags(title, show.author, show.title, day, show.language, listing, transcript, artwork)
        revision = previous.revision + 1 if previous else 1
        stem = free_stem(self.target, draft.stem, revision)
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
            papers=draft.papers,
            published_at=moment,
            revision=revision,
            language=show.language,
            notes=written.notes,
            captions=(f"{stem}.vtt", f"{stem}.srt", f"{stem}.transcript.html"),
            chapters_name=f"{stem}.chapters.json",
            page_name=f"{stem}.html",
            recap=written.recap,
        )
        site = publish_cover(self.target, show, artwork, update_frequency(self.config))
        self.target.add(episode.page_name, render_episode_page(site, episode, audio.cues))
        return episode


def _short_reason(exc: Exception) -> str:
    text = str(exc)
    return "edge-tts could not be reached" if "cannot be reached" in text else "edge-tts failed"


def load_artwork(config: Config) -> tuple[bytes, str]:
    show = config.show
    return show_artwork(show.artwork, show.title, show.author, config.state.dir / "cache")
