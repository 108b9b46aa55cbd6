"""The episode's timeline to the sample: what sounds where, and how it is cut into parts that
are mixed and encoded at once, one per core, and joined into one MP3 without a gap.

A chunk is one paragraph with what is written before it (silence, the sting, the intro) and
after it (the outro). A part is a run of whole chunks. LAME starts every stream with
:data:`~.mp3join.PRIMING` samples of its own, so a part that is to follow another starts on a
frame boundary inside a pause, and the part before it stops that many samples short: in the
joined file the next part's priming takes the place of those samples of silence, and every
sample plays exactly where it lies on the timeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from .mp3join import FRAME, PRIMING


@dataclass(frozen=True)
class Sound:
    """A stretch of the timeline: a WAV file's samples raised ``gain`` dB, or silence."""

    samples: int
    path: Path | None = None  # None: silence
    gain: float = 0.0  # dB
    peak: float = -math.inf  # dBFS, before the gain

    @property
    def loudest(self) -> float:
        """The sample peak it reaches in the mix, dBFS."""
        return self.peak + self.gain


@dataclass(frozen=True)
class Chunk:
    """One paragraph on the timeline, and what surrounds it."""

    start: int  # samples into the episode
    sounds: tuple[Sound, ...]  # in order: what goes before, the voice, what goes after
    voice: int  # the voice's index in ``sounds``
    under: Sound | None = None  # laid under the voice from its first sample (the intro's tail)
    limit: float | None = None  # dBFS the limiter holds the peaks under; None: no limiter
    loudest: float = -math.inf  # dBFS the mix can reach before the limiter

    @property
    def peak(self) -> float:
        """The highest its samples can be once limited, dBFS."""
        return self.loudest if self.limit is None else min(self.loudest, self.limit)

    @property
    def samples(self) -> int:
        return sum(sound.samples for sound in self.sounds)

    @property
    def lead(self) -> int:
        """Samples of silence it begins with."""
        first = self.sounds[0]
        return first.samples if first.path is None else 0

    def after_trim(self, samples: int) -> Chunk:
        """This chunk less the first ``samples`` of its leading silence."""
        if not samples:
            return self
        assert samples <= self.lead
        rest = self.sounds[0].samples - samples
        sounds = ((Sound(rest),) if rest else ()) + self.sounds[1:]
        return replace(self, start=self.start + samples, sounds=sounds,
                       voice=self.voice - (0 if rest else 1))


@dataclass(frozen=True)
class Part:
    """A run of whole chunks, from ``start`` to ``end`` on the timeline (samples); the first
    chunk may begin later than it would (its leading silence cut at ``start``) and the part
    may end with silence that belongs to the next chunk."""

    chunks: tuple[Chunk, ...]
    numbers: range  # the chunks' places in the episode
    start: int
    end: int

    @property
    def tail(self) -> int:
        """Samples of silence after the last chunk."""
        last = self.chunks[-1]
        return self.end - (last.start + last.samples)

    @property
    def bounds(self) -> list[int]:
        """Where each chunk but the first begins, in samples from the part's start."""
        return [chunk.start - self.start for chunk in self.chunks[1:]]

    def batches(self, size: int) -> list[Part]:
        """The part in runs of at most ``size`` chunks, one after the other (ffmpeg holds the
        buffers of every sound of a run at once)."""
        runs = []
        for first in range(0, len(self.chunks), size):
            chunks = self.chunks[first : first + size]
            after = first + len(chunks)
            end = self.chunks[after].start if after < len(self.chunks) else self.end
            runs.append(Part(chunks, self.numbers[first:after], chunks[0].start, end))
        return runs


def split(chunks: list[Chunk], count: int, shortest: int) -> list[Part]:
    """The episode cut into at most ``count`` parts of about equal length, none shorter than
    ``shortest`` samples; a cut only where a chunk begins with enough silence."""
    end = chunks[-1].start + chunks[-1].samples if chunks else 0
    count = max(1, min(count, end // max(shortest, 1)))
    cuts: list[tuple[int, int]] = []  # (chunk number, where the part starts)
    for number in range(1, count):
        wanted = end * number // count
        best: tuple[int, int] | None = None
        for index in range(cuts[-1][0] + 1 if cuts else 1, len(chunks)):
            chunk = chunks[index]
            start = _frame_after(chunk.start + PRIMING)
            if start > chunk.start + chunk.lead:
                continue  # too little silence to cut in
            if best is None or abs(start - wanted) < abs(best[1] - wanted):
                best = (index, start)
        if best is not None and best[1] - (cuts[-1][1] if cuts else 0) >= shortest \
                and end - best[1] >= shortest:
            cuts.append(best)
    starts = [(0, 0), *cuts]
    parts = []
    for (first, start), (after, following) in zip(starts, [*cuts, (len(chunks), end + PRIMING)],
                                                  strict=True):
        taken = list(chunks[first:after])
        taken[0] = taken[0].after_trim(start - taken[0].start)
        parts.append(Part(tuple(taken), range(first, after), start, following - PRIMING))
    return parts


def _frame_after(sample: int) -> int:
    """The first frame boundary at or after ``sample``."""
    return -(-sample // FRAME) * FRAME
