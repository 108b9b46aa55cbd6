"""Stage 5, produce: the spoken sections and the show's music laid out, mastered to a loudness
target, encoded to one MP3 and tagged (ID3 fields, cover art, transcript and chapters).

The layout: the intro plays alone until [audio] voice_entry, then drops [audio] duck dB and
fades out under the greeting; a sting between papers; the outro after the closing line. How it
is mastered, on every core at once: see :mod:`.mastering`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__, voices_dir
from ..errors import AudioError
from ..models import BRIEF, BROADCAST, Chapter, Cue, Pauses, ProducedAudio, SpokenSection, Voice
from ..progress import Advance
from ..schema import between
from ..speak.timing import Pace, clock
from ..speak.voices import PauseConfig
from .audio import DISK_FULL, RATE, AudioSegment, Encoding, Loudness, decode_measured, disk_error
from .mastering import HEADROOM, Intro, Planned, master_episode

if TYPE_CHECKING:
    from .tags import Tags

log = logging.getLogger(__name__)

MUSIC_UNDER_VOICE = 1.0  # LU the music alone sits below the voice
SAMPLE_PEAK_MAX = -0.5  # dBFS: PCM is never raised so far that it would clip
LEAD_IN = 0.3  # seconds of silence before the greeting when there is no intro


@dataclass(frozen=True)
class AudioConfig:
    """How the episode sounds and is encoded ([audio])."""

    loudness: float = field(default=-16.0, metadata=between(-30, -10))  # integrated, LUFS
    true_peak: float = field(default=-1.0, metadata=between(-9, 0))  # dBTP, at most
    # kbit/s, constant; at least 64: LAME's Info frame (how many samples to play) fits no
    # smaller frame, and speech is published at 64-128
    bitrate: int = field(default=96, metadata=between(64, 320))
    channels: int = field(default=1, metadata=between(1, 2))
    quality: int = field(default=7, metadata=between(0, 9))  # LAME: 0 slowest and best, 9 fastest
    music: bool = True  # false: no intro, sting or outro at all
    intro: Path | None = None  # any file ffmpeg reads; unset: the show's own in voices/music
    sting: Path | None = None
    outro: Path | None = None
    # dB the intro drops under the voice
    duck: float = field(default=15.0, metadata=between(12, 40))
    voice_entry: float = field(default=7.5, metadata=between(0, 60))  # seconds into the intro
    pauses: PauseConfig = field(default_factory=PauseConfig)


@dataclass(frozen=True)
class Music:
    """The show's music, already at its level in the mix (``None``: that piece is left out)."""

    intro: AudioSegment | None = None
    sting: AudioSegment | None = None
    outro: AudioSegment | None = None
    voice_entry: float = 0.0  # seconds into the intro when the greeting starts
    duck: float = 15.0  # dB the intro drops under the voice

    def of(self, format: str) -> Music:
        """The music of a show of ``format``: a brief has no sting between its papers (a chime
        every ten seconds would be most of what it says)."""
        return replace(self, sting=None) if format == BRIEF else self

    @classmethod
    def load(cls, config: AudioConfig | None = None) -> Music:
        """[audio]'s files, or the show's own from voices/music, each measured and levelled."""
        config = config or AudioConfig()
        if not config.music:
            return cls()
        folder = voices_dir() / "music"
        level = config.loudness - HEADROOM - MUSIC_UNDER_VOICE
        pieces = {}
        for name in ("intro", "sting", "outro"):
            path = getattr(config, name) or folder / f"{name}.flac"
            if not path.is_file():
                raise AudioError(f"{path}: [audio] {name} music file not found")
            found = path.stat()
            pieces[name] = _levelled(path, found.st_mtime_ns, found.st_size, level)
        intro = pieces["intro"]
        if config.voice_entry > intro.duration_seconds - 1:
            raise AudioError(f"[audio] voice_entry = {config.voice_entry} s: the intro lasts only "
                             f"{intro.duration_seconds:.1f} s")
        return cls(intro, pieces["sting"], pieces["outro"], config.voice_entry, config.duck)

    @property
    def lead(self) -> float:
        """Seconds before the first word."""
        return self.voice_entry if self.intro else LEAD_IN

    @property
    def greeting(self) -> Intro | None:
        """The intro as it plays before and under the greeting; None without one."""
        if self.intro is None:
            return None
        return Intro(self.intro, round(self.voice_entry * 1000), self.duck)


def pace(voice: Voice, music: Music, format: str = BROADCAST) -> Pace:
    """How long scripts of ``format`` take in this production: the voice's rate, the music,
    the pauses."""
    pauses = voice.pauses.of(format)
    fixed = music.lead
    if music.outro:
        fixed += pauses.section + music.outro.duration_seconds
    sting = music.sting.duration_seconds if music.sting else 0.0
    return Pace(voice.units_per_minute, voice.language, fixed, pauses.part, pauses.section,
                pauses.paper + sting, voice.trim)


def produce_episode(
    sections: Sequence[SpokenSection],
    out: Path,
    tags: Tags,
    music: Music | None = None,
    advance: Advance = lambda n: None,
    pauses: Pauses | None = None,
    config: AudioConfig | None = None,
    cache_dir: Path | None = None,
    parts: int | None = None,
) -> ProducedAudio:
    """Encode ``sections`` (the opening, the papers, the closing) with the music into ``out``
    and tag it; every sentence's cue and every section's chapter lands on the episode's
    timeline exactly where its samples were written. With a ``cache_dir``, the mastered audio
    of the same speech, music and settings made before is reused (a forced rerun of an
    unchanged script), and what is made is kept there for next time. The audio is mastered
    and encoded in one part per core (or ``parts``, for tests), joined without a gap."""
    config = config or AudioConfig()
    music = music if music is not None else Music.load(config)
    plan = _plan(sections, music, pauses or Pauses())
    encoding = Encoding(config.bitrate, config.channels, config.quality)
    key = _identity(plan, music, config, encoding) if cache_dir is not None else ""
    found = _reuse(cache_dir, key, out) if cache_dir is not None else None
    if found is not None:
        duration, chapters, cues = found
        advance(len(chapters) - 1)
        log.info("The episode's audio is as last mastered: reused, nothing mixed or encoded "
                 "again.")
    else:
        mastered = master_episode(plan, config.loudness, config.true_peak, encoding, out,
                                  advance, parts)
        duration, chapters, cues = mastered.duration, mastered.chapters, mastered.cues
        if cache_dir is not None:
            _keep(cache_dir, key, out, duration, chapters, cues)
    advance(1)
    ends = [c.start for c in chapters[1:]] + [duration]
    chapters = [Chapter(c.title, c.start, round(end, 3))
                for c, end in zip(chapters, ends, strict=True)]
    from .tags import write_tags  # mutagen, loaded only when an episode is made

    write_tags(out, tags, chapters, duration)
    log.info("Encoded %s of audio into %s (%d KB), mastered to %g LUFS with peaks under %g dBTP.",
             clock(duration), out.name, out.stat().st_size // 1024, config.loudness,
             config.true_peak)
    return ProducedAudio(path=out, duration=duration, chapters=tuple(chapters), cues=tuple(cues))


# -- the mastered audio of an unchanged episode, kept for a rerun ------------------------------

MASTERING_VERSION = 2  # raised whenever the same input would be mastered differently
KEEP_EPISODES = 3  # the most recent kept; older ones are removed


def _identity(plan: Sequence[Planned], music: Music, config: AudioConfig,
              encoding: Encoding) -> str:
    """A hash of everything the mastered audio is made of: the speech (its samples), the music,
    the layout, the cues and the settings."""
    digest = hashlib.sha256(json.dumps(
        [MASTERING_VERSION, __version__, repr(config), repr(encoding), music.voice_entry,
         music.duck]).encode())
    for piece in (music.intro, music.sting, music.outro):
        digest.update(piece.raw_data if piece is not None else b"-")
    for chunk in plan:
        digest.update(json.dumps([chunk.chapter, chunk.chapter_at, chunk.intro is not None,
                                  [astuple(cue) for cue in chunk.cues]],
                                 ensure_ascii=False).encode())
        for part in (*chunk.before, chunk.piece, *chunk.after):
            digest.update(str(part).encode() if isinstance(part, int) else
                          part.read_bytes() if isinstance(part, Path) else part.raw_data)
    return digest.hexdigest()[:40]


def _reuse(folder: Path, key: str,
           out: Path) -> tuple[float, list[Chapter], list[Cue]] | None:
    """The kept audio of ``key`` copied to ``out``, and its length, chapters and cues; None
    when it is not kept (or cannot be read)."""
    try:
        kept = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        shutil.copyfile(folder / f"{key}.mp3", out)
        chapters = [Chapter(title, start, 0.0) for title, start in kept["chapters"]]
        cues = [Cue(*cue) for cue in kept["cues"]]
        return float(kept["duration"]), chapters, cues
    except (OSError, ValueError, KeyError, TypeError):
        out.unlink(missing_ok=True)
        return None


def _keep(folder: Path, key: str, out: Path, duration: float, chapters: Sequence[Chapter],
          cues: Sequence[Cue]) -> None:
    """``out`` (not yet tagged) kept as ``key``'s audio; a folder that cannot be written costs
    a warning, not the episode, unless the disk is full (AudioError: nor can the episode be
    made)."""
    temporary = folder / f"{key}.part"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, temporary)
        temporary.replace(folder / f"{key}.mp3")
        note = {"duration": duration, "chapters": [[c.title, c.start] for c in chapters],
                "cues": [astuple(cue) for cue in cues]}
        (folder / f"{key}.json").write_text(json.dumps(note, ensure_ascii=False),
                                            encoding="utf-8")  # last: the entry is complete
        kept = sorted(folder.glob("*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
        for old in kept[KEEP_EPISODES:]:
            old.unlink(missing_ok=True)
            old.with_suffix(".mp3").unlink(missing_ok=True)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        if exc.errno in DISK_FULL:
            raise disk_error(folder / f"{key}.mp3", exc) from exc
        log.warning("Could not keep the mastered audio in %s: %s", folder, exc)


def _plan(sections: Sequence[SpokenSection], music: Music, pauses: Pauses) -> list[Planned]:
    """The episode's timeline as paragraphs: what goes before and after each (silence as a
    number of samples)."""
    chunks: list[Planned] = []
    last = len(sections) - 1
    for index, section in enumerate(sections):
        for number, part in enumerate(section.parts):
            before: tuple[AudioSegment | int, ...] = ()
            chapter_at = 0
            if number:
                before = (_samples(pauses.part),)
            elif index == 0:
                before = () if music.intro else (_samples(LEAD_IN),)
            elif 1 < index < last:  # paper to paper: the sting in the middle of the pause
                half = _samples(pauses.paper / 2)
                before = (half, music.sting, half) if music.sting else (half, half)
                chapter_at = half
            else:
                chapter_at = _samples(pauses.section)
                before = (chapter_at,)
            after: tuple[AudioSegment | int, ...] = ()
            if index == last and number == len(section.parts) - 1 and music.outro:
                after = (_samples(pauses.section), music.outro)
            chunks.append(Planned(part.audio, part.cues, part.level, before, after,
                                  None if number else section.title, chapter_at,
                                  music.greeting if index == 0 and number == 0 else None))
    return chunks


def _samples(seconds: float) -> int:
    return round(seconds * RATE)


@lru_cache(maxsize=6)
def _levelled(path: Path, mtime_ns: int, size: int, level: float) -> AudioSegment:
    """The music file ``path`` (as it was at ``mtime_ns`` and ``size``) decoded and brought to
    ``level`` LUFS: once a process (a daemon's builds, a day's two stages), not every time."""
    audio, loudness = decode_measured(path)
    return _at_level(audio, loudness, level)


def _at_level(audio: AudioSegment, loudness: Loudness, target: float) -> AudioSegment:
    """``audio`` at ``target`` LUFS, as far as its peaks allow."""
    if not loudness.measurable:
        return audio
    return audio.apply_gain(min(target - loudness.integrated, SAMPLE_PEAK_MAX - loudness.peak))
