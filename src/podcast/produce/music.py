"""The show's music, composed here so it is ours and royalty free.

``python -m podcast.produce.music voices/music`` renders ``intro.flac`` (a 12 s bed the
greeting starts over), ``sting.flac`` (the chime between papers) and ``outro.flac``; the
committed files were made this way. Four instruments synthesised sample by sample from sines
and noise: a slow pad, a plucked bass, a bell with inharmonic partials and a soft shaker,
playing a I-vi-IV-V progression in C major at 96 beats a minute. No samples or loops from
anywhere else.
"""

from __future__ import annotations

import array
import math
import random
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from .audio import RATE, AudioSegment, ffmpeg_exe

BEAT = 60 / 96

# (pad chord, bass note) per bar, MIDI note numbers
_C, _AM, _F, _G = (60, 64, 67, 72), (57, 60, 64, 69), (53, 57, 60, 65), (55, 59, 62, 67)
_PROGRESSION = ((_C, 36), (_AM, 33), (_F, 29), (_G, 31))
# (beat, note) of the bell melody over the four bars, pentatonic so every overlap is consonant
_MELODY = (
    (0, 72), (1, 76), (1.5, 79), (2.5, 76), (4, 81), (5, 79), (5.5, 76), (6.5, 72),
    (8, 77), (9, 76), (9.5, 72), (10.5, 69), (12, 74), (13, 79), (13.5, 83), (14.5, 86),
)

Instrument = Callable[[float, float], float]  # (frequency, seconds since the note began) -> sample


def _hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _pad(freq: float, age: float) -> float:
    detuned = sum(math.sin(2 * math.pi * freq * d * age) for d in (0.997, 1.0, 1.003))
    return detuned / 3 * (1 + 0.25 * math.sin(2 * math.pi * 0.4 * age))


def _bass(freq: float, age: float) -> float:
    phase = 2 * math.pi * freq * age
    return (math.sin(phase) + 0.3 * math.sin(2 * phase)) * math.exp(-1.6 * age)


def _bell(freq: float, age: float) -> float:
    phase = 2 * math.pi * freq * age
    return (math.sin(phase) * math.exp(-2.0 * age)
            + 0.4 * math.sin(2.76 * phase) * math.exp(-4.5 * age)
            + 0.15 * math.sin(5.4 * phase) * math.exp(-8.0 * age))


class _Score:
    """A mono buffer notes are added into; each note only touches its own samples."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.samples = [0.0] * int(seconds * RATE)
        self.noise = random.Random(7)

    def note(self, instrument: Instrument, start: float, note: float, length: float, gain: float,
             attack: float = 0.005, release: float = 0.05) -> None:
        freq = _hz(note)
        first = int(start * RATE)
        last = min(len(self.samples), int((start + length + release) * RATE))
        for i in range(first, last):
            age = (i - first) / RATE
            envelope = (min(1.0, age / attack) if age < length
                        else max(0.0, 1 - (age - length) / release))
            self.samples[i] += gain * envelope * instrument(freq, age)

    def shaker(self, start: float, gain: float) -> None:
        first = int(start * RATE)
        previous = 0.0
        for i in range(first, min(len(self.samples), first + int(0.09 * RATE))):
            white = self.noise.uniform(-1, 1)
            age = (i - first) / RATE
            # a difference: bright noise
            self.samples[i] += gain * (white - previous) * math.exp(-45 * age)
            previous = white

    def render(self, fade_in: float, fade_out: float, peak: float = 0.7) -> AudioSegment:
        loudest = max(abs(s) for s in self.samples) or 1.0
        out = array.array("h", bytes(2 * len(self.samples)))
        for i, value in enumerate(self.samples):
            t = i / RATE
            envelope = max(0.0, min(1.0, t / fade_in if fade_in else 1.0,
                                    (self.seconds - t) / fade_out))
            out[i] = int(value / loudest * peak * envelope * 32767)
        return AudioSegment(out.tobytes(), sample_width=2, frame_rate=RATE, channels=1)


def _bars(score: _Score, bars: Iterable[tuple[tuple[int, ...], int]], start: float = 0.0) -> None:
    for number, (chord, bass) in enumerate(bars):
        at = start + number * 4 * BEAT
        for note in chord:
            score.note(_pad, at, note - 12, 4 * BEAT, 0.10, attack=0.6, release=1.2)
        score.note(_bass, at, bass, 1.6 * BEAT, 0.45)
        score.note(_bass, at + 2.5 * BEAT, bass, 1.2 * BEAT, 0.30)
        for eighth in range(8):
            score.shaker(at + eighth * BEAT / 2, 0.05 if eighth % 2 else 0.025)


def intro() -> AudioSegment:
    """Four bars and a held chord: about 12 s, the greeting starts over the last few."""
    score = _Score(4 * 4 * BEAT + 2.0)
    _bars(score, _PROGRESSION)
    for beat, note in _MELODY:
        score.note(_bell, beat * BEAT, note, 1.5, 0.22, release=0.8)
    for note in _C:  # the tonic again, ringing under the first words
        score.note(_pad, 16 * BEAT, note - 12, 2.0, 0.10, attack=0.3, release=1.0)
    return score.render(fade_in=0.5, fade_out=1.5)


def sting() -> AudioSegment:
    """Three rising bell notes over a fifth: the turn of a page between papers."""
    score = _Score(1.8)
    for beat, note in ((0, 79), (0.5, 84), (1.0, 88)):
        score.note(_bell, beat * BEAT, note, 1.0, 0.3, release=0.6)
    score.note(_pad, 0.0, 48, 1.0, 0.08, attack=0.2, release=0.6)
    score.note(_pad, 0.0, 55, 1.0, 0.08, attack=0.2, release=0.6)
    return score.render(fade_in=0.0, fade_out=0.5)


def outro() -> AudioSegment:
    """IV-V-I with the melody coming home, then a long fade."""
    score = _Score(3 * 4 * BEAT + 1.5)
    _bars(score, ((_F, 29), (_G, 31), (_C, 36)))
    for beat, note in ((0, 77), (1, 81), (2, 84), (4, 79), (5, 83), (6, 86), (8, 84), (9, 79),
                       (10, 72)):
        score.note(_bell, beat * BEAT, note, 1.5, 0.22, release=0.8)
    return score.render(fade_in=0.3, fade_out=3.0)


def write_flac(segment: AudioSegment, path: Path) -> None:
    segment.export(str(path), format="flac", parameters=["-compression_level", "8"]).close()


def main(folder: str) -> None:
    ffmpeg_exe()  # points pydub at our ffmpeg
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, piece in (("intro", intro), ("sting", sting), ("outro", outro)):
        write_flac(piece(), target / f"{name}.flac")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "voices/music")
