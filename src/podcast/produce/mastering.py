"""Mastering without a second pass over the episode, on every core at once.

Every paragraph is brought to the target from its own level (its RMS level; the greeting, which
the intro lies under, is measured by EBU R 128), the music sits just under it, and the whole
chunk (the paragraph with the pause, sting or intro before it and the outro after it) goes
through a look-ahead limiter in floating point. The chunk is measured there and a last small
gain puts it on the target: the first paragraph, through the encoder and back, also tells how
much loudness the MP3 encoder will take away, and every chunk makes up for it.

The episode is cut into parts, one per core (see :mod:`.layout`). ffmpeg mixes, limits and
measures each part into WAV files, a few chunks at a time (:data:`BATCH`: it holds buffers for
every sound of a run), and LAME encodes each run as soon as it is mixed, with each chunk's last
gain (:mod:`.lame`); the parts' MP3s are joined frame by frame. Audio goes through Python only
on its way into LAME (a paragraph's level is measured as it is spoken), and memory holds a few
runs' buffers however long the episode is.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import tempfile
import threading
import wave
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import AudioError
from ..models import Chapter, Cue, Level
from ..progress import Advance
from .audio import (
    RATE,
    AudioSegment,
    Encoding,
    Loudness,
    conform,
    decode_file,
    stop_children,
    through_encoder,
    write_wav,
)
from .graph import limiter, mix, volume
from .lame import Mp3Writer
from .layout import Chunk, Part, Sound, split
from .mp3join import FRAME, join

log = logging.getLogger(__name__)

HEADROOM = 10.0  # dB the music is kept under its place in the mix, and raised by in it
LIMITER_MARGIN = 2.5  # dB the limiter holds sample peaks under the true-peak ceiling
PEAK_MARGIN = 0.5  # dB the final sample peaks stay under it: inter-sample peaks, MP3 overshoot
CALIBRATION = 30  # seconds of the first paragraph, through the limiter, the encoder and back
MAX_BOOST = 6.0  # dB at most the speech is moved from its RMS level, for what the limiter takes
PART_SECONDS = 60  # the shortest part worth a core of its own
BATCH = 6  # chunks ffmpeg mixes in one run: about 2.5 MB of buffers each, on 29 MB


@dataclass(frozen=True)
class Intro:
    """The show's intro: it plays alone until ``entry_ms``, then drops ``duck`` dB and fades out
    under the greeting."""

    audio: AudioSegment
    entry_ms: int
    duck: float
    ramp_ms: int = 300
    fade_ms: int = 2500

    def around(self, length_ms: int) -> tuple[AudioSegment, AudioSegment]:
        """The intro up to the voice's entry, ducking at its end; and the rest of it, ducked and
        faded out within ``length_ms``, to lay under a voice that long."""
        head = self.audio[: self.entry_ms]
        ramp = min(self.ramp_ms, len(head))
        head = head[: len(head) - ramp] + head[len(head) - ramp :].fade(
            to_gain=-self.duck, start=0, duration=ramp)
        tail = self.audio[self.entry_ms : self.entry_ms + length_ms].apply_gain(-self.duck)
        return head, tail.fade_out(min(self.fade_ms, len(tail)))


@dataclass(frozen=True)
class Planned:
    """One paragraph as the episode's plan has it: its speech, and what is written before it
    and after it (music at its level, or silence: a number of samples)."""

    piece: AudioSegment | Path
    cues: tuple[Cue, ...]
    level: Level | None  # the speech's, as measured when it was spoken
    before: tuple[AudioSegment | int, ...] = ()
    after: tuple[AudioSegment | int, ...] = ()
    chapter: str | None = None  # the title of the section this paragraph begins
    chapter_at: int = 0  # samples into the chunk where that chapter starts
    intro: Intro | None = None  # the greeting: the intro plays before it and under it


@dataclass(frozen=True)
class Mastered:
    duration: float  # seconds
    chapters: list[Chapter]  # their ends not yet known
    cues: list[Cue]


def master_episode(plan: Sequence[Planned], target: float, true_peak: float,
                   encoding: Encoding, out: Path, advance: Advance,
                   parts: int | None = None) -> Mastered:
    """``plan`` mastered to ``target`` LUFS with peaks under ``true_peak`` dBTP and encoded into
    ``out``, in as many parts at once as there are cores (or ``parts``, however short)."""
    ceiling = true_peak - LIMITER_MARGIN
    with tempfile.TemporaryDirectory(prefix="mix-", dir=out.parent) as name:
        work = Path(name)
        speech, boost, loss = _speech_all(plan, target, ceiling, encoding, work)
        chunks = _lay_out(plan, speech, target + boost, ceiling, work)
        cut = split(chunks, parts or _cores(), FRAME * 2 if parts else PART_SECONDS * RATE)
        log.debug("Mastering %d paragraphs in %d part(s) at once: the speech raised %.1f dB "
                  "more for the limiter, %.1f LU for the encoder.", len(chunks), len(cut),
                  boost, loss)
        try:
            files = _master(cut, plan, target + loss, true_peak, encoding, work, advance)
            if len(files) == 1:
                files[0].replace(out)
            else:
                join(files, out)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
    chapters, cues = [], []
    for planned, chunk in zip(plan, chunks, strict=True):
        if planned.chapter is not None:
            chapters.append(Chapter(planned.chapter, _seconds(chunk.start + planned.chapter_at),
                                    0.0))
        voice = (chunk.start + sum(s.samples for s in chunk.sounds[: chunk.voice])) / RATE
        cues += [replace(c, start=round(voice + c.start, 3), end=round(voice + c.end, 3))
                 for c in planned.cues]
    end = chunks[-1].start + chunks[-1].samples if chunks else 0
    return Mastered(end / RATE, chapters, cues)


def _master(parts: list[Part], plan: Sequence[Planned], target: float, true_peak: float,
            encoding: Encoding, work: Path, advance: Advance) -> list[Path]:
    """Each part mixed in runs of a few chunks, and encoded as its runs are mixed, each chunk
    with its last gain to ``target`` LUFS before the encoder; the MP3 files, in order."""
    batches = [part.batches(BATCH) for part in parts]
    mp3s = [work / f"part-{number}.mp3" for number in range(len(parts))]
    stopped = threading.Event()
    chapters: queue.Queue[int] = queue.Queue()  # as each run is encoded, the chapters it began
    with (ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="mix") as mixing,
          ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="encode") as encoders):
        # the parts' runs in turn, so that every part's encoder is fed as it goes
        mixed = {}
        for index in range(max(map(len, batches))):
            for number, runs in enumerate(batches):
                if index < len(runs):
                    mixed[number, index] = mixing.submit(
                        _mix, runs[index], work / f"part-{number}-{index}.wav", stopped)

        def finish(number: int) -> None:
            writer = Mp3Writer(mp3s[number], encoding)
            try:
                for index, run in enumerate(batches[number]):
                    levels = mixed[number, index].result()
                    wav = work / f"part-{number}-{index}.wav"
                    writer.add(wav, run.bounds, [_makeup(level, target, true_peak)
                                                 for level in levels])
                    wav.unlink()
                    chapters.put(sum(plan[n].chapter is not None for n in run.numbers))
                writer.close()
            except BaseException:
                writer.abort()
                raise

        encoded = {encoders.submit(finish, number) for number in range(len(parts))}
        try:
            left = sum(planned.chapter is not None for planned in plan) - 1
            while encoded:
                done, encoded = wait(encoded, timeout=0.25)
                for future in done:
                    future.result()
                while not chapters.empty():
                    step = min(chapters.get(), left)
                    if step > 0:
                        advance(step)
                        left -= step
        except BaseException:  # a part failed, or a stop: no ffmpeg of this build goes on
            stopped.set()
            mixing.shutdown(wait=False, cancel_futures=True)
            encoders.shutdown(wait=False, cancel_futures=True)
            stop_children()
            raise
    return mp3s


def _mix(run: Part, out: Path, stopped: threading.Event) -> list[Loudness]:
    if stopped.is_set():
        raise AudioError("stopped")  # the build is ending: nothing more is mixed
    return mix(run, out)


def _lay_out(plan: Sequence[Planned], speech: Sequence[Speech], target: float, ceiling: float,
             work: Path) -> list[Chunk]:
    """The plan on the timeline: every sound in a WAV file of ``work``, the speech brought to
    ``target`` by its level, and a limiter on every chunk that could go over ``ceiling``."""
    music: dict[int, Sound] = {}

    def sound(piece: AudioSegment | int) -> Sound:
        if isinstance(piece, int):
            return Sound(piece)
        if id(piece) not in music:  # each piece of music written once
            path = work / f"music-{len(music)}.wav"
            write_wav(piece, path)
            music[id(piece)] = Sound(len(piece.raw_data) // 2, path, HEADROOM, piece.max_dBFS)
        return music[id(piece)]

    chunks, start = [], 0
    for planned, (path, samples, level) in zip(plan, speech, strict=True):
        gain = target - level.integrated if level.measurable else 0.0
        voice = Sound(samples, path, gain, level.peak)
        before = [sound(piece) for piece in planned.before]
        under = None
        if planned.intro is not None:
            head, tail = planned.intro.around(round(samples * 1000 / RATE))
            before.append(sound(head))
            under = sound(tail)
        sounds = (*before, voice, *(sound(piece) for piece in planned.after))
        loudest = max(s.loudest for s in sounds)
        if under is not None:
            loudest = max(loudest, 20 * math.log10(10 ** (voice.loudest / 20)
                                                   + 10 ** (under.loudest / 20)))
        chunk = Chunk(start, sounds, len(before), under, ceiling if loudest > ceiling else None,
                      loudest)
        chunks.append(chunk)
        start += chunk.samples
    return chunks


Speech = tuple[Path, int, Loudness]  # a paragraph's WAV file, its samples, its RMS level


def _speech_all(plan: Sequence[Planned], target: float, ceiling: float, encoding: Encoding,
                work: Path) -> tuple[list[Speech], float, float]:
    """Every paragraph's speech (:func:`_speech`); how many dB more than its RMS level says the
    speech needs to come out of the limiter on ``target``, and how many LU the MP3 encoder takes
    away: both measured on the first 30 s of the first paragraph as it will be mixed, through
    the encoder and back, while the others are read."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="speech") as pool:
        found = [pool.submit(_speech, planned, work, number)
                 for number, planned in enumerate(plan)]
        boost, loss = _calibrate(found[0].result(), target, ceiling, encoding, work) \
            if plan else (0.0, 0.0)
        return [future.result() for future in found], boost, loss


def _calibrate(first: Speech, target: float, ceiling: float, encoding: Encoding,
               work: Path) -> tuple[float, float]:
    """See :func:`_speech_all`; (0, 0) for speech too quiet to measure."""
    path, _, level = first
    if not level.measurable:
        return 0.0, 0.0
    limited, encoded = through_encoder(path, CALIBRATION, volume(target - level.integrated)
                                       + limiter(ceiling), encoding, work)
    if not (limited.measurable and encoded.measurable):
        return 0.0, 0.0
    boost = min(max(target - limited.integrated, -MAX_BOOST), MAX_BOOST)
    return boost, limited.integrated - encoded.integrated


def _speech(planned: Planned, work: Path, number: int) -> Speech:
    """A paragraph's speech as a 16-bit WAV file in the house format (its own file when it is
    one), its length in samples and its RMS level (as measured when it was spoken, when it
    was)."""
    piece = planned.piece
    if isinstance(piece, Path) and planned.level is not None:
        samples = _house_samples(piece)
        if samples is not None:  # nothing to read
            return piece, samples, Loudness(planned.level.rms, planned.level.peak)
    audio = decode_file(piece) if isinstance(piece, Path) else conform(piece)
    path = piece if isinstance(piece, Path) and _house_samples(piece) is not None else None
    if path is None:
        path = work / f"speech-{number:04d}.wav"
        write_wav(audio, path)
    return path, len(audio.raw_data) // 2, Loudness(audio.dBFS, audio.max_dBFS)


def _house_samples(path: Path) -> int | None:
    """How many samples the WAV file ``path`` holds, when it is 16-bit mono at the house rate;
    else None."""
    if path.suffix != ".wav":
        return None
    try:
        with wave.open(str(path), "rb") as file:
            if (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (1, 2, RATE):
                return file.getnframes()
    except (OSError, wave.Error, EOFError):
        pass
    return None


def _makeup(level: Loudness, target: float, true_peak: float) -> float:
    """The gain putting a chunk measured at ``level`` on ``target``, as far as its peaks allow."""
    if not level.measurable:
        return 0.0
    return min(target - level.integrated, true_peak - PEAK_MARGIN - level.peak)


def _seconds(samples: int) -> float:
    return round(samples / RATE, 3)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1

