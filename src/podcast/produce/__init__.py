"""Stage 5, produce: the spoken sections and the show's music laid out, mastered to a loudness
target, encoded to one MP3 and tagged (ID3 fields, cover art, transcript and chapters).

The layout: the intro plays alone until [audio] voice_entry, then drops [audio] duck dB and
fades out under the greeting; a sting between papers; the outro after the closing line.

Mastering without a second pass over the episode. The timeline is cut into chunks, each one
paragraph with the pause or music before it. Every paragraph is measured (EBU R 128, ffmpeg)
and brought to the same level, which also matches voices from different engines; then the
whole chunk goes through a look-ahead limiter and is measured again, and a last small gain
puts it on the target. A chunk is mixed :data:`HEADROOM` dB low so nothing clips in 16 bits
before the limiter raises it in floating point. Chunks are mastered a few ahead on the second
core while the single MP3 encoder takes them in order, so memory holds a few paragraphs,
never the episode, however long it is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections import deque
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import astuple, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__, voices_dir
from ..errors import AudioError
from ..models import BRIEF, BROADCAST, Chapter, Cue, Pauses, ProducedAudio, SpokenSection, Voice
from ..progress import Advance
from ..schema import between
from ..speak.timing import Pace, clock
from ..speak.voices import PauseConfig
from .audio import (
    DISK_FULL,
    RATE,
    AudioSegment,
    Encoding,
    Loudness,
    Mp3Encoder,
    codec_loss,
    conform,
    decode_file,
    decode_measured,
    disk_error,
    master,
    measure,
    silence,
)

if TYPE_CHECKING:
    from .tags import Tags

log = logging.getLogger(__name__)

HEADROOM = 10.0  # dB a chunk is mixed below the target, and raised by in the limiter
MUSIC_UNDER_VOICE = 1.0  # LU the music alone sits below the voice
LIMITER_MARGIN = 2.5  # dB the limiter holds sample peaks under the true-peak ceiling
PEAK_MARGIN = 0.5  # dB the final sample peaks stay under it: inter-sample peaks, MP3 overshoot
SAMPLE_PEAK_MAX = -0.5  # dBFS: PCM is never raised so far that it would clip
DUCK_RAMP_MS = 300  # the intro's drop as the voice comes in
MUSIC_TAIL_FADE_MS = 2500
LEAD_IN = 0.3  # seconds of silence before the greeting when there is no intro
LOOKAHEAD = 2  # chunks mastered ahead of the encoder
CALIBRATION_MS = 30_000  # of the first chunk, through the MP3 encoder and back


@dataclass(frozen=True)
class AudioConfig:
    """How the episode sounds and is encoded ([audio])."""

    loudness: float = field(default=-16.0, metadata=between(-30, -10))  # integrated, LUFS
    true_peak: float = field(default=-1.0, metadata=between(-9, 0))  # dBTP, at most
    bitrate: int = field(default=96, metadata=between(32, 320))  # kbit/s, constant
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
            audio, loudness = decode_measured(path)
            pieces[name] = _at_level(audio, loudness, level)
        intro = pieces["intro"]
        if config.voice_entry > intro.duration_seconds - 1:
            raise AudioError(f"[audio] voice_entry = {config.voice_entry} s: the intro lasts only "
                             f"{intro.duration_seconds:.1f} s")
        return cls(intro, pieces["sting"], pieces["outro"], config.voice_entry, config.duck)

    @property
    def lead(self) -> float:
        """Seconds before the first word."""
        return self.voice_entry if self.intro else LEAD_IN

    def under_voice(self, voice: AudioSegment) -> tuple[AudioSegment, AudioSegment]:
        """The intro up to the voice's entry, ducking at its end; and the rest of it, ducked and
        faded out within ``voice``'s length, to lay under the voice."""
        assert self.intro is not None
        entry = round(self.voice_entry * 1000)
        head = self.intro[:entry]
        ramp = min(DUCK_RAMP_MS, len(head))
        head = head[: len(head) - ramp] + head[len(head) - ramp :].fade(
            to_gain=-self.duck, start=0, duration=ramp)
        tail = self.intro[entry : entry + len(voice)].apply_gain(-self.duck)
        return head, tail.fade_out(min(MUSIC_TAIL_FADE_MS, len(tail)))


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


@dataclass(frozen=True)
class _Chunk:
    """One paragraph on the timeline, with what is written before it (silence, the sting, the
    intro) and after it (the outro)."""

    piece: AudioSegment | Path
    cues: tuple[Cue, ...]
    before: tuple[AudioSegment, ...] = ()
    after: tuple[AudioSegment, ...] = ()
    chapter: str | None = None  # the title of the section this chunk begins
    chapter_at: float = 0.0  # seconds into the chunk where that chapter starts
    under_intro: bool = False  # the greeting: the intro's tail lies under it


def produce_episode(
    sections: Sequence[SpokenSection],
    out: Path,
    tags: Tags,
    music: Music | None = None,
    advance: Advance = lambda n: None,
    pauses: Pauses | None = None,
    config: AudioConfig | None = None,
    cache_dir: Path | None = None,
) -> ProducedAudio:
    """Encode ``sections`` (the opening, the papers, the closing) with the music into ``out``
    and tag it; every sentence's cue and every section's chapter lands on the episode's
    timeline exactly where its samples were written. With a ``cache_dir``, the mastered audio
    of the same speech, music and settings made before is reused (a forced rerun of an
    unchanged script), and what is made is kept there for next time."""
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
        duration, chapters, cues = _encode(plan, music, config, encoding, out, advance)
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


def _encode(plan: Sequence[_Chunk], music: Music, config: AudioConfig, encoding: Encoding,
            out: Path, advance: Advance) -> tuple[float, list[Chapter], list[Cue]]:
    """``plan`` mastered and encoded into ``out``: its length, chapters (ends not yet known)
    and cues."""
    chapters: list[Chapter] = []
    cues: list[Cue] = []
    try:
        with (closing(_mastered(plan, music, config, encoding)) as mastered,
              Mp3Encoder(out, encoding) as encoder):
            for chunk, (audio, voice_at) in zip(plan, mastered, strict=True):
                start = encoder.seconds
                if chunk.chapter is not None:
                    if chapters:
                        advance(1)
                    chapters.append(
                        Chapter(chunk.chapter, round(start + chunk.chapter_at, 3), 0.0))
                offset = start + voice_at
                cues += [replace(c, start=round(offset + c.start, 3), end=round(offset + c.end, 3))
                         for c in chunk.cues]
                encoder.write(audio)
            return encoder.seconds, chapters, cues
    except BaseException:
        out.unlink(missing_ok=True)
        raise


# -- the mastered audio of an unchanged episode, kept for a rerun ------------------------------

MASTERING_VERSION = 1  # raised whenever the same input would be mastered differently
KEEP_EPISODES = 3  # the most recent kept; older ones are removed


def _identity(plan: Sequence[_Chunk], music: Music, config: AudioConfig,
              encoding: Encoding) -> str:
    """A hash of everything the mastered audio is made of: the speech (its samples), the music,
    the layout, the cues and the settings."""
    digest = hashlib.sha256(json.dumps(
        [MASTERING_VERSION, __version__, repr(config), repr(encoding), music.voice_entry,
         music.duck]).encode())
    for piece in (music.intro, music.sting, music.outro):
        digest.update(piece.raw_data if piece is not None else b"-")
    for chunk in plan:
        digest.update(json.dumps([chunk.chapter, chunk.chapter_at, chunk.under_intro,
                                  [astuple(cue) for cue in chunk.cues]],
                                 ensure_ascii=False).encode())
        for part in (*chunk.before, chunk.piece, *chunk.after):
            digest.update(part.read_bytes() if isinstance(part, Path) else part.raw_data)
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


def _plan(sections: Sequence[SpokenSection], music: Music, pauses: Pauses) -> list[_Chunk]:
    """The episode's timeline as chunks: what goes before and after each paragraph."""
    chunks: list[_Chunk] = []
    last = len(sections) - 1
    for index, section in enumerate(sections):
        for number, part in enumerate(section.parts):
            before: tuple[AudioSegment, ...] = ()
            chapter_at = 0.0
            if number:
                before = (silence(pauses.part * 1000),)
            elif index == 0:
                before = () if music.intro else (silence(LEAD_IN * 1000),)
            elif 1 < index < last:  # paper to paper: the sting in the middle of the pause
                half = silence(pauses.paper * 500)
                before = (half, music.sting, half) if music.sting else (half, half)
                chapter_at = half.duration_seconds
            else:
                before = (silence(pauses.section * 1000),)
                chapter_at = pauses.section
            after: tuple[AudioSegment, ...] = ()
            if index == last and number == len(section.parts) - 1 and music.outro:
                after = (silence(pauses.section * 1000), music.outro)
            chunks.append(_Chunk(part.audio, part.cues, before, after,
                                 None if number else section.title, chapter_at,
                                 index == 0 and number == 0 and bool(music.intro)))
    return chunks


def _mastered(plan: Sequence[_Chunk], music: Music, config: AudioConfig,
              encoding: Encoding) -> Generator[tuple[AudioSegment, float], None, None]:
    """Each chunk mastered, in order, and where its voice starts in it (seconds). A few chunks
    are worked on ahead, on another core, while the encoder takes the current one. The first
    tells how much loudness the MP3 encoder will take away, and every chunk makes up for it."""
    if not plan:
        return
    first, voice_at = _master_chunk(plan[0], music, config)
    loss = codec_loss(first[: CALIBRATION_MS], encoding)
    yield _raise(first, loss, config), voice_at
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="master") as pool:
        ahead: deque[Future[tuple[AudioSegment, float]]] = deque()
        chunks = iter(plan[1:])
        try:
            while True:
                while len(ahead) < LOOKAHEAD and (chunk := next(chunks, None)) is not None:
                    ahead.append(pool.submit(_master_chunk, chunk, music, config, loss))
                if not ahead:
                    return
                yield ahead.popleft().result()
        finally:
            for future in ahead:
                future.cancel()


def _master_chunk(
    chunk: _Chunk, music: Music, config: AudioConfig, loss: float = 0.0
) -> tuple[AudioSegment, float]:
    target = config.loudness + loss
    voice = decode_file(chunk.piece) if isinstance(chunk.piece, Path) else conform(chunk.piece)
    # The voice's level going into the mix: measured where the intro lies under it, else its RMS
    # level (speech measures within a few LU of it, and the chunk is measured exactly below).
    level = measure(voice) if chunk.under_intro else Loudness(voice.dBFS, voice.max_dBFS)
    voice = _at_level(voice, level, target - HEADROOM)
    before = list(chunk.before)
    if chunk.under_intro:
        head, under = music.under_voice(voice)
        before.append(head)
        voice = voice.overlay(under)
    voice_at = sum(len(piece.raw_data) for piece in before) / (RATE * 2)
    # one buffer for the chunk, and the paragraph's own copy let go before mastering doubles it
    mixed = AudioSegment(b"".join([*(p.raw_data for p in before), voice.raw_data,
                                   *(p.raw_data for p in chunk.after)]),
                         sample_width=2, frame_rate=RATE, channels=1)
    del voice
    ceiling = config.true_peak - LIMITER_MARGIN
    limit = ceiling if mixed.max_dBFS + HEADROOM > ceiling else None
    mixed, loudness = master(mixed, HEADROOM, limit)
    if loudness.measurable:
        makeup = min(target - loudness.integrated, config.true_peak - PEAK_MARGIN - loudness.peak)
        mixed = mixed.apply_gain(makeup)
    return mixed, voice_at


def _at_level(audio: AudioSegment, loudness: Loudness, target: float) -> AudioSegment:
    """``audio`` at ``target`` LUFS, as far as its peaks allow."""
    if not loudness.measurable:
        return audio
    return audio.apply_gain(min(target - loudness.integrated, SAMPLE_PEAK_MAX - loudness.peak))


def _raise(audio: AudioSegment, gain: float, config: AudioConfig) -> AudioSegment:
    """``audio`` ``gain`` dB louder, as far as its peaks allow."""
    room = config.true_peak - PEAK_MARGIN - audio.max_dBFS
    return audio.apply_gain(min(gain, room)) if gain else audio
