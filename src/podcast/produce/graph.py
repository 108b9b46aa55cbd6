"""One part of the episode mixed by ffmpeg into a WAV file, with no audio through Python:
every sound read from its file at its gain, in floating point so nothing clips before the
limiter, each chunk through its own limiter and measured (EBU R 128) as it goes by.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import AudioError
from .audio import (
    CHANNELS,
    RATE,
    SILENT_LUFS,
    Loudness,
    last_line,
    run_ffmpeg,
)
from .layout import Chunk, Part, Sound

#: Loudness is measured at half the rate: speech and the show's music have nothing above 11 kHz
#: that moves the figure (the same to 0.1 LU), and ebur128 costs half as much.
MEASURE_RATE = RATE // 2
_SUMMARY = re.compile(rb"\[ebur128@c(\d+) @ [^\]]*\] Summary:")
_INTEGRATED = re.compile(rb"I:\s+(-?[\d.]+|-?inf|nan) LUFS")


def mix(part: Part, out: Path) -> list[Loudness]:
    """``part`` mixed into the 16-bit WAV file ``out``: every sound at its gain, the voice over
    what lies under it, each chunk through its limiter; and each chunk's loudness, with the
    highest peak it can have (its limiter's ceiling, or the loudest of its sounds)."""
    inputs: list[Path] = []
    graph: list[str] = []
    labels = []
    for number, chunk in enumerate(part.chunks):
        graph.append(_chunk(chunk, number, inputs))
        labels.append(f"[c{number}]")
    if part.tail:
        graph.append(f"{_silence(part.tail)}[tail]")
        labels.append("[tail]")
    # the part as it is written is also measured, chunk by chunk, as it goes by
    measured = "".join(f"[m{number}]" for number in range(len(part.chunks)))
    cuts = "|".join(str(bound // (RATE // MEASURE_RATE)) for bound in part.bounds)
    graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=0:a=1,aformat=sample_fmts=s16,"
                 f"asplit[out][all];[all]aresample={MEASURE_RATE}"
                 + (f",asegment=samples={cuts}{measured}" if cuts else "[m0]"))
    graph += [f"[m{number}]ebur128@c{number}=framelog=quiet:peak=none,anullsink"
              for number in range(len(part.chunks))]
    command = ["-nostats", "-loglevel", "info", "-y"]
    for path in inputs:
        command += ["-i", str(path)]
    command += ["-filter_complex", ";".join(graph), "-map", "[out]", "-c:a", "pcm_s16le",
                "-ac", str(CHANNELS), "-ar", str(RATE), "-f", "wav", str(out)]
    stderr = run_ffmpeg(command, f"mixing into {out}")
    found = _summaries(stderr)
    if sorted(found) != list(range(len(part.chunks))):
        raise AudioError(f"ffmpeg measured {len(found)} of {len(part.chunks)} paragraphs while "
                         f"mixing into {out}: {last_line(stderr)}")
    return [Loudness(found[number], chunk.peak) for number, chunk in enumerate(part.chunks)]


def _chunk(chunk: Chunk, number: int, inputs: list[Path]) -> str:
    """The filters making chunk ``number`` of a part as ``[c<number>]``."""
    chains, labels = [], []
    for index, sound in enumerate(chunk.sounds):
        label = f"c{number}s{index}"
        chains.append(f"{_source(sound, inputs)}[{label}]")
        if index == chunk.voice and chunk.under is not None:
            chains.append(f"{_source(chunk.under, inputs)}[{label}u]")
            chains.append(f"[{label}][{label}u]amix=inputs=2:normalize=0:duration=first"
                          f"[{label}m]")
            label += "m"
        labels.append(f"[{label}]")
    chains.append(f"{''.join(labels)}concat=n={len(labels)}:v=0:a=1{limiter(chunk.limit)}"
                  f"[c{number}]")
    return ";".join(chains)


def _source(sound: Sound, inputs: list[Path]) -> str:
    """A filter chain giving ``sound`` (an input added to ``inputs``, or generated silence)."""
    if sound.path is None:
        return _silence(sound.samples)
    inputs.append(sound.path)
    return f"[{len(inputs) - 1}:a]{volume(sound.gain)}"


def volume(gain: float) -> str:
    """The filter raising a sound ``gain`` dB, in floating point."""
    return f"volume={gain:.4f}dB:precision=float"


def limiter(limit: float | None) -> str:
    """The filters (after others: a leading comma) holding peaks under ``limit`` dBFS, delay
    compensated: every sample stays where it was; nothing for None."""
    if limit is None:
        return ""
    return (f",alimiter=limit={10 ** (limit / 20):.5f}:level=false:latency=true"
            ":attack=5:release=80")


def _silence(samples: int) -> str:
    return f"anullsrc=r={RATE}:cl=mono,atrim=end_sample={samples}"


def _summaries(stderr: bytes) -> dict[int, float]:
    """Each chunk's integrated loudness (LUFS), from the summary its ebur128 filter printed."""
    found = {}
    marks = list(_SUMMARY.finditer(stderr))
    ends = [mark.start() for mark in marks[1:]] + [len(stderr)]
    for mark, end in zip(marks, ends, strict=True):
        if value := _INTEGRATED.search(stderr, mark.end(), end):
            found[int(mark.group(1))] = max(float(value.group(1)), SILENT_LUFS)
    return found
