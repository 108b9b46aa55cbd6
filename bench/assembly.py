"""Assemble a 60-minute episode from 27 speech segment MP3s, the project's way (music, pauses,
loudness, limiter, tags) against one `ffmpeg -f concat` decode+encode pass of the same
segments, in the same run; print both wall times, their ratio and both peak memories.

    .venv/bin/python bench/assembly.py [--minutes 60] [--segments 27]

Targets (issue 6): ratio at most 1.0, peak memory at most 200 MB. The segments are espeak-ng
speech at 24 kHz / 48 kbit/s, the shape of edge-tts output, made once per run (not timed). Each
side runs in its own process; its peak memory is the largest sum of the proportional set sizes
(resident memory, pages shared between processes counted once) of that process and every ffmpeg
it has running, sampled every 50 ms by walking that process's tree only (bench/treemem.py).
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
import random
import subprocess
import tempfile
import time

from treemem import TreeMemory

MAX_RATIO = 1.0
MAX_MEMORY_MB = 200


def make_segments(folder: Path, minutes: float, count: int) -> list[Path]:
    """``count`` MP3s of espeak-ng speech, ``minutes`` in all, sentences shuffled with pauses."""
    from podcast.produce.audio import ffmpeg_exe
    from podcast.sources.file import SAMPLE_PAPERS
    from podcast.speak.espeak import _Library

    ffmpeg = ffmpeg_exe()
    library = _Library.get()
    abstracts = [paper["summary"] for paper in json.loads(SAMPLE_PAPERS.read_text(encoding="utf-8"))]
    clips = [library.synthesize(text[:600], "en-us", 175, 50) for text in abstracts[:12]]
    pause = bytes(2 * int(library.rate * 0.4))
    shuffle = random.Random(1)
    paths = []
    for number in range(count):
        pcm, seconds = bytearray(), 0.0
        while seconds < minutes * 60 / count:
            clip = shuffle.choice(clips)
            pcm += clip + pause
            seconds += (len(clip) + len(pause)) / 2 / library.rate
        path = folder / f"segment-{number:02d}.mp3"
        subprocess.run([ffmpeg, "-v", "error", "-f", "s16le", "-ar", str(library.rate), "-ac", "1", "-i", "pipe:0",
                        "-ar", "24000", "-b:a", "48k", str(path)], input=bytes(pcm), check=True)
        paths.append(path)
    return paths


def ours(segments: list[Path], out: Path) -> None:
    """The project's assembly: an opening, five papers of five paragraphs, a closing."""
    from datetime import date

    from podcast.models import Pauses, SpokenSection, Utterance
    from podcast.produce import Music, produce_episode
    from podcast.produce.artwork import render_artwork
    from podcast.produce.tags import Tags

    parts = [Utterance(path, ()) for path in segments]
    middle = parts[1:-1]
    per_paper = max(1, len(middle) // 5)
    sections = [SpokenSection("Opening", (parts[0],))]
    sections += [SpokenSection(f"Paper {i // per_paper + 1}", tuple(middle[i : i + per_paper]))
                 for i in range(0, len(middle), per_paper)]
    sections.append(SpokenSection("Closing", (parts[-1],)))
    artwork = (render_artwork("Daily AI Papers", "bench"), "image/png")
    tags = Tags("Bench episode", "bench", "Daily AI Papers", date(2026, 11, 21), "en-US", "bench", "words " * 5000,
                artwork)
    produce_episode(sections, out, tags, Music.load(), pauses=Pauses())


def baseline(segments: list[Path], out: Path, quality: int | None) -> None:
    from podcast.produce.audio import ffmpeg_exe

    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{path}'\n" for path in segments), encoding="utf-8")
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-ar", "44100", "-ac", "1", "-codec:a", "libmp3lame", "-b:a", "96k",
                    *(["-compression_level", str(quality)] if quality is not None else []), str(out)], check=True)


def timed(mode: str, folder: Path, quality: int | None = None) -> tuple[float, float]:
    """Run one side in a fresh process: wall seconds and the peak MB of its process tree."""
    call = (f"assembly.ours(segments, Path({str(folder / 'ours.mp3')!r}))" if mode == "ours" else
            f"assembly.baseline(segments, Path({str(folder / 'base.mp3')!r}), {quality!r})")
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import assembly;"
            f"from pathlib import Path; segments = sorted(Path({str(folder)!r}).glob('segment-*.mp3')); {call}")
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podcast-assembly-") as name:
        folder = Path(name)
        print(f"making {args.segments} segments, {args.minutes:g} minutes of speech...", flush=True)
        make_segments(folder, args.minutes, args.segments)
        base_wall, base_memory = timed("baseline", folder)
        same_wall, _ = timed("baseline", folder, quality=7)
        wall, memory = timed("ours", folder)
        from mutagen.mp3 import MP3

        from podcast.produce.audio import measure

        length = MP3(folder / "ours.mp3").info.length
        loudness = measure(folder / "ours.mp3", true_peak=True)
    print(f"{length / 60:.1f} minutes of audio, {args.segments} segments, {os.cpu_count()} cores")
    print(f"  ffmpeg concat, decode + encode (96k, LAME default quality): {base_wall:6.1f} s, peak {base_memory:5.0f} MB")
    print(f"  ffmpeg concat, decode + encode (96k, LAME quality 7):       {same_wall:6.1f} s")
    print(f"  podcast assembly (music, pauses, loudness, limiter, tags):  {wall:6.1f} s, peak {memory:5.0f} MB")
    print(f"  result: {loudness.integrated:.1f} LUFS, true peak {loudness.peak:.1f} dBTP")
    print(f"  ratio to the default concat pass: {wall / base_wall:.2f} (target <= {MAX_RATIO}); "
          f"to the quality-7 pass: {wall / same_wall:.2f}")
    print(f"  peak memory: {memory:.0f} MB, with every ffmpeg it runs (target <= {MAX_MEMORY_MB})")


if __name__ == "__main__":
    main()
