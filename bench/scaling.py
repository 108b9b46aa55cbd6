"""How `podcast run` scales with the episode: the real command, offline, at 1, 5 and 10 papers
and at a 60-minute target, each in a fresh folder; wall seconds ÷ audio seconds, the peak memory
of its whole process tree (the run and every ffmpeg it starts), and a forced rerun's wall time ÷
the first run's.

    .venv/bin/python bench/scaling.py [--only 1,5,10,60] [--language zh-CN]

Targets (issue 22): peak memory at most 150 MB in every case; a forced rerun of an unchanged
script (`run --force`: same papers, same script, every spoken piece cached) at most 0.3 of the
first run. The papers are the bundled samples, varied into 10 as bench/length.py does; the
60-minute case uses bench/length.py's writer that says exactly the budget it is given (the
template writer says all it has and stops short of so long a target). Memory is sampled every
50 ms by walking only the run's process tree (bench/treemem.py): proportional set sizes, pages
shared between processes counted once.
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
import subprocess
import tempfile
import time

from mutagen.mp3 import MP3
from treemem import TreeMemory

MAX_MEMORY_MB = 150
MAX_RERUN = 0.3
# name: (papers, target minutes, writer)
CASES = {
    "1": (1, 8.0, "template"),
    "5": (5, 8.0, "template"),
    "10": (10, 20.0, "exact"),
    "60": (10, 60.0, "exact"),
}


def run(root: Path, writer: str, force: bool = False) -> tuple[float, float, str]:
    """One `podcast run --offline` in ``root``: wall seconds, peak MB of its tree, its log."""
    from length import CHILD, EXACT_WRITER  # it takes this folder off the path: imported last
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    env["BENCH_WRITER"] = writer
    command = [sys.executable, "-c", f"EXACT_WRITER = {EXACT_WRITER!r}\n{CHILD}", "run", "--offline",
               "--date", "2026-11-20", "--config", "podcast.toml", *(["--force"] if force else [])]
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log)
        watch = TreeMemory(process.pid).start()
        code = process.wait()
        wall = time.perf_counter() - start
        peak = watch.stop()
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    if code or '"code": 0' not in text.splitlines()[-1]:
        raise SystemExit(f"the run failed:\n{text[-3000:]}")
    return wall, peak, text


def case(name: str, language: str) -> dict:
    from length import varied_papers

    papers, minutes, writer = CASES[name]
    with tempfile.TemporaryDirectory(prefix="podcast-scaling-") as folder:
        root = Path(folder)
        (root / "papers.json").write_text(json.dumps(varied_papers(papers), ensure_ascii=False),
                                          encoding="utf-8")
        (root / "podcast.toml").write_text(
            f'[show]\nlanguage = "{language}"\nmax_papers = {papers}\ntarget_minutes = {minutes}\n'
            f'[writer]\ntype = "{writer}"\n[selection]\nmin_score = 0\n'
            '[[sources]]\ntype = "file"\npath = "papers.json"\n[tts]\nengine = "espeak"\n',
            encoding="utf-8")
        wall, peak, _ = run(root, writer)
        (mp3,) = (root / "feed" / "episodes").glob("*.mp3")
        audio = MP3(mp3).info.length
        told = len(json.loads(mp3.with_suffix(".chapters.json").read_text(encoding="utf-8"))["chapters"]) - 2
        rerun, rerun_peak, log = run(root, writer, force=True)
        spoken = [line for line in log.splitlines() if "synthesised" in line]
    return {"name": name, "papers": told, "target": minutes, "audio": audio, "wall": wall, "peak": peak,
            "rerun": rerun, "rerun_peak": rerun_peak, "spoken": spoken[-1].split("] ")[-1] if spoken else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(CASES), help="cases to run: 1,5,10,60")
    parser.add_argument("--language", default="zh-CN")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"`podcast run --offline` ({args.language}, espeak-ng), {os.cpu_count()} cores, load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
    print("| papers | target | audio | wall | wall / audio | peak MB | rerun | rerun / first | rerun peak MB |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    results = []
    for name in args.only.split(","):
        got = case(name.strip(), args.language)
        results.append(got)
        print(f"| {got['papers']} | {got['target']:g} min | {got['audio']:.1f} s | {got['wall']:.1f} s | "
              f"{got['wall'] / got['audio']:.4f} | {got['peak']:.0f} | {got['rerun']:.1f} s | "
              f"{got['rerun'] / got['wall']:.2f} | {got['rerun_peak']:.0f} |", flush=True)
        if got["spoken"]:
            print(f"  rerun: {got['spoken']}", flush=True)
    worst = max(r["peak"] for r in results)
    print(f"peak memory: {worst:.0f} MB at most (target <= {MAX_MEMORY_MB}); rerun / first run: at most "
          f"{max(r['rerun'] / r['wall'] for r in results):.2f} (goal <= {MAX_RERUN})")


if __name__ == "__main__":
    main()
