"""Rank 2,000 candidate abstracts against a Chinese project profile and print the seconds it
takes and their ratio to the 1 s budget (the goal: 0.4 s on a quiet machine).

    .venv/bin/python bench/select.py [--papers 2000] [--runs 5] [--library 0] [--against SRC]

With --library N, the team keeps N papers in its library (more rotated texts, none of them a
candidate), and ranking weighs each candidate's likeness to them too.

With --against, the src folder of another checkout (the main branch, say) is timed too: each
checkout in its own processes, taking turns (--rounds of them), so that both meet the same load
on a busy machine; the ratio of their medians holds better than either figure.

The abstracts are real: the 100 of the recorded arXiv API response in tests/data, the 64 of the
labelled ranking set and the 8 bundled samples, their sentences rotated to make 2,000 distinct
texts. Timing covers the whole stage (analysis, tf-idf, reasons and the diverse pick); the
glossary is loaded before timing, as it is once per process in a run.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import subprocess` (which imports select) would load the benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import json
import os
import re
import statistics
import subprocess
import time
from datetime import date

import feedparser

from podcast.models import Paper, Reference
from podcast.select import Profile, select_papers
from podcast.select.glossary import glossary
from podcast.sources.normalize import clean_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TARGET_SECONDS = 1.0  # the budget
GOAL_SECONDS = 0.4  # what ranking a day's candidates should take on a quiet machine (issue 22)


def pool() -> list[tuple[str, str]]:
    feed = feedparser.parse((DATA / "arxiv-api" / "query-all-testing-start0-max100.200.xml").read_bytes())
    texts = [(clean_text(e.title), clean_text(e.summary)) for e in feed.entries]
    labelled = json.loads((DATA / "ranking" / "labelled.json").read_text(encoding="utf-8"))
    texts += [(p["title"], p["summary"]) for p in labelled["papers"]]
    samples = json.loads((ROOT / "src" / "podcast" / "data" / "sample_papers.json").read_text(encoding="utf-8"))
    texts += [(p["title"], p["summary"]) for p in samples]
    return texts


def candidates(count: int) -> list[Paper]:
    texts = pool()
    papers = []
    for i in range(count):
        title, summary = texts[i % len(texts)]
        sentences = re.split(r"(?<=\.)\s+", summary)
        turn = (i // len(texts)) % max(1, len(sentences))
        papers.append(Paper(id=f"bench.{i:05d}", title=title, summary=" ".join(sentences[turn:] + sentences[:turn])))
    return papers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--library", type=int, default=0)
    parser.add_argument("--against", type=Path, metavar="SRC",
                        help="another checkout's src folder, timed in turns with this one")
    parser.add_argument("--rounds", type=int, default=3, help="turns of each, with --against")
    parser.add_argument("--times", action="store_true", help=argparse.SUPPRESS)  # a turn's figures
    args = parser.parse_args()
    if args.against:
        compare(args)
        return
    labelled = json.loads((DATA / "ranking" / "labelled.json").read_text(encoding="utf-8"))
    every = candidates(args.papers + args.library)
    papers = every[: args.papers]
    library = tuple(Reference(paper, added=date(2026, 11, 1)) for paper in every[args.papers :])
    profile = Profile(labelled["profile"], references=library, day=date(2026, 11, 30))
    glossary()
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        selection = select_papers(papers, profile, 5)
        times.append(time.perf_counter() - start)
    if args.times:
        print(json.dumps(times))
        return
    median = statistics.median(times)
    print(f"ranking {len(papers)} abstracts ({sum(len(p.summary) for p in papers) / 1e6:.1f} MB of text) against a "
          f"library of {len(library)}, {args.runs} runs")
    print(f"  seconds:          {median:.3f} (median; min {min(times):.3f}, max {max(times):.3f})")
    print(f"  per abstract:     {median / len(papers) * 1e3:.2f} ms")
    print(f"  seconds / budget: {median / TARGET_SECONDS:.2f} (budget {TARGET_SECONDS:.0f} s; below 1 passes; "
          f"the goal is {GOAL_SECONDS} s, {GOAL_SECONDS / TARGET_SECONDS:.1f} of it)")
    print(f"  top pick:         {selection.picks[0].paper.title[:70]}")
    print(f"  load average:     {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def compare(args: argparse.Namespace) -> None:
    """This checkout and ``args.against`` timed in turns, each turn a process of its own."""
    sources = {"this checkout": ROOT / "src", str(args.against): args.against.resolve()}
    times: dict[str, list[float]] = {label: [] for label in sources}
    load = os.getloadavg()[0]
    for _ in range(args.rounds):
        for label, src in sources.items():
            environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])))
            turn = subprocess.run([sys.executable, __file__, "--times", "--papers", str(args.papers), "--runs",
                                   str(args.runs), "--library", str(args.library)],
                                  env=environment, capture_output=True, text=True, check=True)
            times[label] += json.loads(turn.stdout)
    print(f"ranking {args.papers} abstracts against a library of {args.library}, {args.rounds} turns of "
          f"{args.runs} runs each; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
          f"{os.cpu_count()} cores")
    for label, runs in times.items():
        median = statistics.median(runs)
        print(f"  {label}: {median:.3f} s (median; min {min(runs):.3f}, max {max(runs):.3f}), "
              f"{median / TARGET_SECONDS:.2f} of the {TARGET_SECONDS:.0f} s budget")
    this, that = (statistics.median(runs) for runs in times.values())
    print(f"  this / {args.against}: {this / that:.2f}")


if __name__ == "__main__":
    main()
