"""Ranking scores what it scored when the figures were recorded: tests/data/ranking/scores.json,
written by :func:`ranking` with the code of 2026-12-01, before the analysis was made faster.

For each of the three teams of the labelled set, its project alone and with its library, over
all 341 abstracts: every abstract's relevance (the tf-idf cosine, unrounded), the 30 best in
order with their scores, the picks, and the reasons of the five best. A change that means to
change the ranking records them again, and says so in its commit:

    PYTHONPATH=src .venv/bin/python -m tests.test_ranking_unchanged > tests/data/ranking/scores.json
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

from podcast.models import Paper, Reference
from podcast.select import Profile, _text, rank_candidates, select_papers
from podcast.select.rank import analyse, rank

RANKING = Path(__file__).parent / "data" / "ranking"
RECORDED = RANKING / "scores.json"
TOP = 30


def ranking() -> dict[str, dict]:
    """What the ranking makes of the labelled set, team by team ("tax-zh project", "tax-zh both")."""
    judged = json.loads((RANKING / "judged.json").read_text(encoding="utf-8"))
    papers = [Paper(id=p["id"], title=p["title"], summary=p["summary"]) for p in judged["papers"]]
    documents = [analyse(_text(paper)) for paper in papers]
    found = {}
    for team in judged["profiles"]:
        library = tuple(Reference(Paper(id=r["id"], title=r["title"], summary=r["summary"]),
                                  added=date.fromisoformat(r["date_added"])) for r in team["library"])
        for mode, references in (("project", ()), ("both", library)):
            profile = Profile(team["project"], tuple(team["keywords"]), references=references,
                              day=date(2026, 11, 30))
            ranked = [c.pick for c in rank_candidates(papers, profile, team["language"])]
            picks = select_papers(papers, profile, 5, language=team["language"]).picks
            found[f"{team['key']} {mode}"] = {
                "relevance": [m.score for m in rank(profile.document(), documents)],
                "top": [[pick.paper.id, pick.score] for pick in ranked[:TOP]],
                "picks": [pick.paper.id for pick in picks],
                "reasons": [list(pick.reasons) for pick in ranked[:5]],
            }
    return found


@pytest.fixture(scope="module")
def now() -> dict[str, dict]:
    return ranking()


@pytest.fixture(scope="module")
def recorded() -> dict[str, dict]:
    return json.loads(RECORDED.read_text(encoding="utf-8"))


def test_every_team_and_mode_is_recorded(now, recorded):
    assert len(recorded) == 6 and now.keys() == recorded.keys()
    assert all(len(r["relevance"]) == 341 and len(r["top"]) == TOP for r in recorded.values())


@pytest.mark.parametrize("key", ["tax-zh project", "tax-zh both", "testing-zh project", "testing-zh both",
                                 "clinical-en project", "clinical-en both"])
def test_the_ranking_is_the_recorded_one(now, recorded, key):
    was, is_ = recorded[key], now[key]
    assert max(abs(a - b) for a, b in zip(is_["relevance"], was["relevance"], strict=True)) <= 1e-12
    assert sum(score > 0 for score in was["relevance"]) > 100  # the scores say something
    assert is_["top"] == was["top"]
    assert is_["picks"] == was["picks"] and len(was["picks"]) == 5
    assert is_["reasons"] == was["reasons"]


if __name__ == "__main__":
    json.dump(ranking(), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
