"""Assemble a 60-minute episode from 27 spoken paragraphs, the project's way (music, pauses,
loudness, limiter, tags) against one `ffmpeg -f concat` decode+encode pass of the same files at
the same encoder settings (96 kbit/s CBR, LAME quality 7), in three pairs in the same run; print
both wall times, their ratios (the median is the figure) and both peak memories.

    .venv/bin/python bench/assembly.py [--minutes 60] [--segments 27] [--pairs 3]

Targets (issue 22): ratio at most 0.9, peak memory at most 150 MB. The paragraphs are what the
speak stage hands the produce stage: 16-bit WAV files at 44.1 kHz, each with the level measured
as it was written (speak.engine.keep), here of espeak-ng speech, made once per run (not timed).
Each side runs in its own process; its peak memory is the largest sum of the proportional set
sizes (resident memory, pages shared between processes counted once) of that process and every
ffmpeg it has running, sampled every 50 ms by walking that process's tree only
(bench/treemem.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import subprocess` (which imports select) would load the benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.append(str(Path(__file__).resolve().parent))  # last: the standard library comes first

import argparse
import json
import os
import pickle
import random
import statistics
import subprocess
import tempfile
import time

from treemem import TreeMemory

from podcast.models import Utterance

MAX_RATIO = 0.9
MAX_MEMORY_MB = 150


def make_segments(folder: Path, minutes: float, count: int) -> list[Utterance]:
    """``count`` paragraphs of espeak-ng speech, ``minutes`` in all, sentences shuffled with
    pauses, kept in ``folder`` as the speak stage keeps them."""
    from podcast.produce.audio import AudioSegment
    from podcast.sources.file import SAMPLE_PAPERS
    from podcast.speak.engine import keep
    from podcast.speak.espeak import _Library

    library = _Library.get()
    abstracts = [paper["summary"] for paper in json.loads(SAMPLE_PAPERS.read_text(encoding="utf-8"))]
    clips = [library.synthesize(text[:600], "en-us", 175, 50) for text in abstracts[:12]]
    pause = bytes(2 * int(library.rate * 0.4))
    shuffle = random.Random(1)
    spoken = []
    for number in range(count):
        pcm, seconds = bytearray(), 0.0
        while seconds < minutes * 60 / count:
            clip = shuffle.choice(clips)
            pcm += clip + pause
            seconds += (len(clip) + len(pause)) / 2 / library.rate
        audio = AudioSegment(bytes(pcm), sample_width=2, frame_rate=library.rate, channels=1)
        spoken.append(keep(Utterance(audio, ()), folder, number))
    return spoken


def ours(segments: list[Utterance], out: Path) -> None:
    """The project's assembly: an opening, five papers of five paragraphs, a closing."""
    from datetime import date

    from podcast.models import Pauses, SpokenSection
    from podcast.produce import Music, produce_episode
    from podcast.produce.artwork import render_artwork
    from podcast.produce.tags import Tags

    middle = segments[1:-1]
    per_paper = max(1, len(middle) // 5)
    sections = [SpokenSection("Opening", (segments[0],))]
    sections += [SpokenSection(f"Paper {i // per_paper + 1}", tuple(middle[i : i + per_paper]))
                 for i in range(0, len(middle), per_paper)]
    sections.append(SpokenSection("Closing", (segments[-1],)))
    artwork = (render_artwork("Daily AI Papers", "bench"), "image/png")
    tags = Tags("Bench episode", "bench", "Daily AI Papers", date(2026, 11, 21), "en-US", "bench", "words " * 5000,
                artwork)
    produce_episode(sections, out, tags, Music.load(), pauses=Pauses())


def baseline(segments: list[Utterance], out: Path) -> None:
    from podcast.produce.audio import Encoding, ffmpeg_exe

    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{said.audio}'\n" for said in segments), encoding="utf-8")
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    *Encoding().lame(), str(out)], check=True)


def timed(mode: str, folder: Path, spoken: list[Utterance]) -> tuple[float, float]:
    """Run one side in a fresh process: wall seconds and the peak MB of its process tree."""
    kept = folder / "spoken.pickle"
    kept.write_bytes(pickle.dumps(spoken))
    code = (f"import sys, pickle; sys.path.insert(0, {str(Path(__file__).parent)!r}); import assembly;"
            f"from pathlib import Path; spoken = pickle.loads(Path({str(kept)!r}).read_bytes());"
            f"assembly.{mode}(spoken, Path({str(folder / (mode + '.mp3'))!r}))")
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code])
    watch = TreeMemory(process.pid).start()
    if process.wait():
        raise SystemExit(f"the {mode} run failed")
    wall = time.perf_counter() - start
    return wall, watch.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--segments", type=int, default=27)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podcast-assembly-") as name:
        folder = Path(name)
        print(f"making {args.segments} paragraphs, {args.minutes:g} minutes of speech...", flush=True)
        spoken = make_segments(folder, args.minutes, args.segments)
        pairs = []
        for number in range(args.pairs):
            base_wall, base_memory = timed("baseline", folder, spoken)
            wall, memory = timed("ours", folder, spoken)
            pairs.append((wall / base_wall, base_wall, wall, base_memory, memory))
            print(f"  pair {number + 1}: ffmpeg {base_wall:5.1f} s, podcast {wall:5.1f} s, "
                  f"ratio {wall / base_wall:.2f}; peak {base_memory:.0f} MB and {memory:.0f} MB",
                  flush=True)
        from mutagen.mp3 import MP3

        from podcast.produce.audio import measure

        length = MP3(folder / "ours.mp3").info.length
        loudness = measure(folder / "ours.mp3", true_peak=True)
    ratio = statistics.median(pair[0] for pair in pairs)
    print(f"{length / 60:.1f} minutes of audio, {args.segments} paragraphs, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  ffmpeg concat, decode + encode (96k, LAME quality 7): "
          f"{min(pair[1] for pair in pairs):5.1f}-{max(pair[1] for pair in pairs):.1f} s")
    print(f"  podcast assembly (music, pauses, loudness, limiter, tags): "
          f"{min(pair[2] for pair in pairs):5.1f}-{max(pair[2] for pair in pairs):.1f} s")
    print(f"  result: {loudness.integrated:.1f} LUFS, true peak {loudness.peak:.1f} dBTP")
    print(f"  ratio, median of {len(pairs)}: {ratio:.2f} "
          f"({', '.join(f'{pair[0]:.2f}' for pair in pairs)}; target <= {MAX_RATIO})")
    print(f"  peak memory: {max(pair[4] for pair in pairs):.0f} MB with every ffmpeg it runs "
          f"(target <= {MAX_MEMORY_MB}); the ffmpeg pass {max(pair[3] for pair in pairs):.0f} MB")


if __name__ == "__main__":
    main()
