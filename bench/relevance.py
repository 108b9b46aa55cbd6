"""How good the picks are: precision@5 and nDCG@10 of the ranking on the labelled set, for the
project text alone, the team's library alone and both, and what min_score keeps and leaves out.

    .venv/bin/python bench/relevance.py

tests/data/ranking/judged.json holds 341 abstracts over six days (~57 a day), each judged for
three teams (tax-zh and testing-zh in Chinese, clinical-en in English): 0 not useful, 1 somewhat,
2 directly. Each team's library is read from its BibTeX export (library-<team>.bib) by the same
code a run uses. Every day is ranked on its own, as a run does, and the figures are the means
over the six days. precision@5 counts grade 1 and 2 as relevant; nDCG@10 gains 2^grade - 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import socket` (which imports select) would load that benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import json
import math
import statistics
import tempfile
import time
from datetime import date

from podcast.http import HttpClient
from podcast.models import Paper, Reference
from podcast.select import Profile, select_papers
from podcast.select.library import LibraryConfig, load_library, shelf
from podcast.select.refine import MIN_SCORE

RANKING = Path(__file__).resolve().parent.parent / "tests" / "data" / "ranking"
MODES = ("profile", "library", "both")
CUTS = (0.0, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1)


def dcg(grades: list[int]) -> float:
    return sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(grades))


def library(team: str, state: Path) -> list[Reference]:
    config = LibraryConfig(shelves=(shelf(str(RANKING / f"library-{team}.bib"), RANKING),))
    return load_library(config, HttpClient(), state, {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    judged = json.loads((RANKING / "judged.json").read_text(encoding="utf-8"))
    days = sorted({p["day"] for p in judged["papers"]})
    print(f"{len(judged['papers'])} judged abstracts over {len(days)} days, "
          f"{len(judged['profiles'])} teams; means over the days")
    print(f"  {'team':<12} {'ranked by':<9} {'P@5':>5} {'nDCG@10':>8}   {'picks a day':>11} "
          f"{'relevant picks':>14}")
    scored: list[tuple[float, int]] = []  # (score, grade) of every paper, profile alone
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as state:
        for team in judged["profiles"]:
            key, language = team["key"], team["language"]
            references = tuple(library(key, Path(state)))
            for mode in MODES:
                p5, ndcg, picks, good = [], [], [], []
                for day in days:
                    papers = [p for p in judged["papers"] if p["day"] == day]
                    grade = {p["id"]: p["judgements"][key]["grade"] for p in papers}
                    profile = Profile(team["project"] if mode != "library" else "",
                                      tuple(team["keywords"]),
                                      references=references if mode != "profile" else (),
                                      day=date.fromisoformat(day))
                    start = time.perf_counter()
                    selection = select_papers(
                        [Paper(id=p["id"], title=p["title"], summary=p["summary"]) for p in papers],
                        profile, 5, language=language, min_score=MIN_SCORE)
                    seconds.append(time.perf_counter() - start)
                    order = [grade[pick.paper.id] for pick in selection.ranked]
                    ideal = sorted(grade.values(), reverse=True)
                    p5.append(sum(g >= 1 for g in order[:5]) / 5)
                    ndcg.append(dcg(order[:10]) / dcg(ideal[:10]))
                    picks.append(len(selection.picks))
                    good += [grade[pick.paper.id] >= 1 for pick in selection.picks]
                    if mode == "profile":
                        scored += [(pick.score, grade[pick.paper.id]) for pick in selection.ranked]
                print(f"  {key:<12} {mode:<9} {statistics.mean(p5):>5.2f} {statistics.mean(ndcg):>8.2f}"
                      f"   {statistics.mean(picks):>11.1f} {sum(good) / max(1, len(good)):>14.0%}")
    print(f"min_score, profile alone (all teams and days; the default is {MIN_SCORE:g}):")
    print(f"  {'cut':>5} {'grade 2 kept':>13} {'grade 1 kept':>13} {'grade 0 let in':>15}")
    for cut in CUTS:
        kept = [sum(s >= cut for s, g in scored if g == grade) / sum(g == grade for _, g in scored)
                for grade in (2, 1, 0)]
        mark = "  <- default" if math.isclose(cut, MIN_SCORE) else ""
        print(f"  {cut:>5.2f} {kept[0]:>13.0%} {kept[1]:>13.0%} {kept[2]:>15.1%}{mark}")
    print(f"seconds to rank a day: {statistics.median(seconds):.3f} (median of {len(seconds)})")


if __name__ == "__main__":
    main()
