"""Time the imports of `podcast --help` and `podcast status` in fresh processes and print their
medians against the 0.3 s budget.

    .venv/bin/python bench/startup.py [--runs 9] [--against OTHER/src] [--compile]

Each run is a new process, started as the `podcast` script starts (``from podcast.cli import
main``) under ``python -X importtime``, in a fresh show folder holding a copy of
podcast.example.toml (a show's config with every key); its import time is the sum of the
top-level imports that -X importtime reports, the interpreter's own start-up (about 10 ms)
included. Python's bytecode is cached, as in an installed copy: in a temporary
PYTHONPYCACHEPREFIX, filled by one run that is not counted. With --compile nothing is cached and
every process compiles the package first, as it does where PYTHONDONTWRITEBYTECODE is set.

With --against, the src folder of another checkout (the main branch, say) is timed in the same
runs, each of its runs next to one of this one's, so that the two compare even on a machine whose
load changes while they run: the ratio holds better than either figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import subprocess` (which imports select) would load the benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 0.3
COMMANDS = (("--help",), ("status",))
# what the `podcast` script runs
_SCRIPT = "import sys\nfrom podcast.cli import main\nsys.exit(main())\n"


def import_seconds(stderr: str) -> float:
    """The sum of the top-level imports in ``python -X importtime`` output: every import is
    counted once, inside the top-level one that caused it."""
    total = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, cumulative, name = line.split("|")
        if not name.startswith("  "):  # one space before a top-level name, more below it
            total += int(cumulative)
    return total / 1e6


def run_once(src: Path, args: tuple[str, ...], cache: Path | None) -> tuple[float, int]:
    """The import seconds of one `podcast` process and how many modules it imported."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("PODCAST_CONFIG", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))
    if cache is None:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        environment["PYTHONPYCACHEPREFIX"] = str(cache)
    with tempfile.TemporaryDirectory(prefix="podcast-startup-") as folder:
        shutil.copy(ROOT / "podcast.example.toml", Path(folder) / "podcast.toml")
        result = subprocess.run([sys.executable, "-X", "importtime", "-c", _SCRIPT, *args], cwd=folder,
                                env=environment, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"podcast {' '.join(args)} failed with {src}:\n{result.stderr[-2000:]}")
    modules = sum(1 for line in result.stderr.splitlines() if line.startswith("import time:")) - 1
    return import_seconds(result.stderr), modules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--against", type=Path, metavar="SRC",
                        help="another checkout's src folder, timed in the same runs")
    parser.add_argument("--compile", action="store_true",
                        help="cache no bytecode: every process compiles the package first")
    args = parser.parse_args()
    sources = {"this checkout": ROOT / "src"}
    if args.against:
        sources[str(args.against)] = args.against.resolve()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="podcast-pycache-") as cache_folder:
        cache = None if args.compile else Path(cache_folder)
        if cache:
            for src in sources.values():
                for command in COMMANDS:
                    run_once(src, command, cache)
        times: dict[tuple[str, tuple[str, ...]], list[float]] = {}
        modules: dict[tuple[str, tuple[str, ...]], int] = {}
        for _ in range(args.runs):
            for command in COMMANDS:
                for label, src in sources.items():
                    seconds, modules[label, command] = run_once(src, command, cache)
                    times.setdefault((label, command), []).append(seconds)
    bytecode = "compiled by every process" if args.compile else "bytecode cached"
    print(f"imports of a fresh `podcast` process, {args.runs} runs each, {bytecode}; "
          f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
          f"{os.cpu_count()} cores")
    for label in sources:
        print(f"  {label}:")
        for command in COMMANDS:
            runs = times[label, command]
            median = statistics.median(runs)
            print(f"    podcast {' '.join(command):<7} {median:.3f} s (median; min {min(runs):.3f}, "
                  f"max {max(runs):.3f}; {modules[label, command]} modules), "
                  f"{median / BUDGET_SECONDS:.2f} of the {BUDGET_SECONDS} s budget (below 1 passes)")
    if args.against:
        this, that = sources
        for command in COMMANDS:
            ratios = [a / b for a, b in zip(times[this, command], times[that, command], strict=True)]
            print(f"  podcast {' '.join(command)}: this / {that} = {statistics.median(ratios):.2f} "
                  f"(median of the {args.runs} side-by-side runs)")


if __name__ == "__main__":
    main()
