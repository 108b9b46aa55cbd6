"""Build the bundled 5-paper episode offline, from an empty state and publish folder, and print
wall seconds, audio seconds and their ratio (target: under 20 s wall on 2 cores).

    .venv/bin/python bench/episode.py [--runs N]

Each run is a fresh `podcast run --offline` process, as a user starts it, so interpreter start,
imports and espeak-ng initialisation are counted. Figures are from one machine in one sitting;
compare ratios, not seconds across machines.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import subprocess` (which imports select) would load the benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import os
import statistics
import subprocess
import tempfile
import time

from mutagen.mp3 import MP3

TARGET_SECONDS = 20.0


def build_once() -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="podcast-bench-") as folder:
        root = Path(folder)
        # five papers whatever their relevance to the default project: this measures the build
        (root / "podcast.toml").write_text("[show]\nmax_papers = 5\n[selection]\nmin_score = 0\n",
                                           encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PODCAST_CONFIG"}
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "podcast", "run", "--offline", "--quiet", "--config", "podcast.toml"],
            cwd=root, env=env, check=True, stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        (mp3,) = (root / "feed" / "episodes").glob("*.mp3")
        return wall, MP3(mp3).info.length, mp3.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = [build_once() for _ in range(parser.parse_args().runs)]
    walls = [wall for wall, _, _ in runs]
    wall, audio, size = statistics.median(walls), runs[0][1], runs[0][2]
    print(f"offline 5-paper episode, {len(runs)} runs on {os.cpu_count()} cores")
    print(f"  wall seconds:  {wall:.2f} (median; min {min(walls):.2f}, max {max(walls):.2f})")
    print(f"  audio seconds: {audio:.1f} ({size / 1e6:.1f} MB)")
    print(f"  wall / audio:  {wall / audio:.4f} ({audio / wall:.0f}x faster than real time)")
    print(f"  wall / target: {wall / TARGET_SECONDS:.2f} (target {TARGET_SECONDS:.0f} s; below 1 passes)")


if __name__ == "__main__":
    main()
