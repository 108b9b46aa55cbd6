"""Stage 5, produce: the spoken sections and the show's music laid out, encoded to one MP3 and
tagged (ID3 title, artist, album, date, transcript and chapters).

Sections are streamed into a single ffmpeg encoder one piece at a time, so memory stays flat
however long the episode is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import (
    CHAP, COMM, CTOC, TALB, TCON, TDRC, TIT2, TLAN, TLEN, TPE1, USLT, CTOCFlags, Encoding,
)
from mutagen.mp3 import MP3

from .audio import AudioSegment, Mp3Encoder, conform, decode_file, silence
from .errors import AudioError
from .models import Chapter, Cue, ProducedAudio
from .progress import Advance
from .resources import voices_dir
from .speak import Pauses, SpokenSection, Voice
from .timing import Pace, clock

log = logging.getLogger(__name__)

PAUSE_AFTER_INTRO_MS = 400
PAUSE_BEFORE_OUTRO_MS = 900
SPEECH_DBFS = -19.0  # average level of speech
MUSIC_DBFS = -25.0  # the music bed sits under the voice
PEAK_CEILING_DBFS = -1.0
BITRATE = "64k"


@dataclass(frozen=True)
class Music:
    intro: AudioSegment
    outro: AudioSegment

    @classmethod
    def load(cls, folder: Path | None = None) -> Music:
        folder = folder or voices_dir() / "music"
        return cls(_level(decode_file(folder / "intro.flac"), MUSIC_DBFS),
                   _level(decode_file(folder / "outro.flac"), MUSIC_DBFS))


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str
    album: str
    day: date
    language: str
    description: str
    transcript: str


def pace(voice: Voice, music: Music) -> Pace:
    """How long scripts take in this production: the voice's rate, the music, the pauses."""
    fixed = music.intro.duration_seconds + music.outro.duration_seconds
    fixed += (PAUSE_AFTER_INTRO_MS + PAUSE_BEFORE_OUTRO_MS) / 1000
    return Pace(voice.units_per_minute, voice.language, fixed, voice.pauses.part, voice.pauses.section)


def produce_episode(
    sections: Sequence[SpokenSection],
    out: Path,
    tags: Tags,
    music: Music | None = None,
    advance: Advance = lambda n: None,
    pauses: Pauses | None = None,
) -> ProducedAudio:
    """Encode ``sections`` between the intro and outro music into ``out`` and tag it; every
    sentence's cue is placed on the episode's timeline."""
    music = music or Music.load()
    pauses = pauses or Pauses()
    chapters: list[Chapter] = []
    cues: list[Cue] = []
    try:
        with Mp3Encoder(out, BITRATE) as encoder:
            encoder.write(music.intro)
            encoder.write(silence(PAUSE_AFTER_INTRO_MS))
            for index, section in enumerate(sections):
                if index:
                    encoder.write(silence(pauses.section * 1000))
                start = encoder.seconds if index else 0.0  # the opening includes the intro music
                for number, part in enumerate(section.parts):
                    if number:
                        encoder.write(silence(pauses.part * 1000))
                    offset = encoder.seconds
                    cues += [Cue(round(offset + c.start, 3), round(offset + c.end, 3), c.text) for c in part.cues]
                    encoder.write(_level(conform(part.audio), SPEECH_DBFS))
                chapters.append(Chapter(section.title, round(start, 3), 0.0))
                advance(1)
            encoder.write(silence(PAUSE_BEFORE_OUTRO_MS))
            encoder.write(music.outro)
            duration = encoder.seconds
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    ends = [c.start for c in chapters[1:]] + [duration]
    chapters = [Chapter(c.title, c.start, round(end, 3)) for c, end in zip(chapters, ends, strict=True)]
    write_tags(out, tags, chapters, duration)
    log.info("Encoded %s of audio into %s (%d KB).", clock(duration), out.name, out.stat().st_size // 1024)
    return ProducedAudio(path=out, duration=duration, chapters=tuple(chapters), cues=tuple(cues))


def _level(segment: AudioSegment, target_dbfs: float) -> AudioSegment:
    """``segment`` at an average loudness of ``target_dbfs``, its peaks kept below the ceiling."""
    if segment.rms == 0:
        return segment
    gain = target_dbfs - segment.dBFS
    gain = min(gain, PEAK_CEILING_DBFS - segment.max_dBFS)
    return segment.apply_gain(gain)


def write_tags(path: Path, tags: Tags, chapters: Sequence[Chapter], duration: float) -> None:
    """ID3v2.3 tags (which keep Chinese intact in every player we know) with chapters."""
    try:
        audio = MP3(path)
        if audio.tags is None:
            audio.add_tags()
        frames = audio.tags
        lang = "chi" if tags.language.startswith("zh") else "eng"
        for frame in (
            TIT2(encoding=Encoding.UTF16, text=tags.title),
            TPE1(encoding=Encoding.UTF16, text=tags.artist),
            TALB(encoding=Encoding.UTF16, text=tags.album),
            TDRC(encoding=Encoding.UTF16, text=tags.day.isoformat()),
            TCON(encoding=Encoding.UTF16, text="Podcast"),
            TLAN(encoding=Encoding.UTF16, text=lang),
            TLEN(encoding=Encoding.UTF16, text=str(int(duration * 1000))),
            COMM(encoding=Encoding.UTF16, lang=lang, desc="", text=tags.description),
            USLT(encoding=Encoding.UTF16, lang=lang, desc="", text=tags.transcript),
        ):
            frames.add(frame)
        ids = [f"chp{i}" for i in range(len(chapters))]
        frames.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                        child_element_ids=ids, sub_frames=[TIT2(encoding=Encoding.UTF16, text=tags.title)]))
        for element_id, chapter in zip(ids, chapters, strict=True):
            frames.add(CHAP(element_id=element_id, start_time=int(chapter.start * 1000),
                            end_time=int(chapter.end * 1000),
                            sub_frames=[TIT2(encoding=Encoding.UTF16, text=chapter.title)]))
        audio.save(v2_version=3)
    except MutagenError as exc:
        raise AudioError(f"{path}: cannot write ID3 tags: {exc}") from exc
