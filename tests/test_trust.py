"""Picks a team can trust: nothing under min_score, the backlog before anything irrelevant, the
team's library and ratings moving the ranking, reasons in the show's language, excluded terms and
keywords in every form.

tests/data/ranking/judged.json holds 341 abstracts judged for three teams (bench/relevance.py
measures the ranking on them); its libraries are also BibTeX files beside it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from podcast.models import RATED_DOWN, RATED_UP, Paper, Reference
from podcast.select import Profile, select_papers
from podcast.select.library import LibraryConfig, load_library, shelf

from .conftest import TAX_PROJECT
from .test_library import FIELDS, TYPES, ZOTERO_SCHEMA, add_item, arxiv_id_list, client
from .webserver import DATA

RANKING = DATA / "ranking"
JUDGED = json.loads((RANKING / "judged.json").read_text(encoding="utf-8"))
PROFILES = {profile["key"]: profile for profile in JUDGED["profiles"]}
DAY = date(2026, 11, 26)
MIN_SCORE = 0.05


def pool(leave_out=()) -> list[Paper]:
    return [Paper(id=p["id"], title=p["title"], summary=p["summary"])
            for p in JUDGED["papers"] if p["id"] not in leave_out]


def relevant(key: str) -> set[str]:
    return {p["id"] for p in JUDGED["papers"] if p["judgements"][key]["grade"] >= 1}


# papers only the testing team wants: a tax team's ranking has no reason to put them first
TESTING_ONLY = relevant("testing-zh") - relevant("tax-zh")


def top(references=(), project=TAX_PROJECT, leave_out=(), count=10, language="zh-CN"):
    profile = Profile(project, references=tuple(references), day=DAY)
    return select_papers(pool(leave_out), profile, 5, language=language).ranked[:count]


def library_of(tmp_path: Path, clock, *given: str, **settings) -> list[Reference]:
    config = LibraryConfig(shelves=tuple(shelf(g, tmp_path) for g in given), **settings)
    return load_library(config, client(clock), tmp_path / "state", {})


def count_testing(picks) -> int:
    return sum(p.paper.id in TESTING_ONLY for p in picks)


def test_a_bibtex_library_shifts_the_picks_toward_it_and_names_the_closest_paper(tmp_path, clock):
    """A tax team that keeps unit-testing papers in its library hears about unit testing."""
    references = library_of(tmp_path, clock, str(RANKING / "library-testing-zh.bib"))
    assert len(references) == len(PROFILES["testing-zh"]["library"])
    assert count_testing(top()) == 0
    shifted = top(references)
    assert count_testing(shifted) >= 6
    titles = {r.paper.title for r in references}
    named = [re.fullmatch(r"与团队资料库中的《(.+)》最相近", reason)
             for pick in shifted if pick.paper.id in TESTING_ONLY for reason in pick.reasons]
    assert {m[1] for m in named if m} and {m[1] for m in named if m} <= titles


def test_a_zotero_database_shifts_the_picks_toward_it(tmp_path, clock):
    path = tmp_path / "zotero.sqlite"
    db = sqlite3.connect(path)
    db.executescript(ZOTERO_SCHEMA)
    db.executemany("INSERT INTO itemTypes (itemTypeID, typeName) VALUES (?, ?)",
                   [(i, n) for n, i in TYPES.items()])
    db.executemany("INSERT INTO fields (fieldID, fieldName) VALUES (?, ?)",
                   [(i, n) for n, i in FIELDS.items()])
    for item_id, paper in enumerate(PROFILES["testing-zh"]["library"], 1):
        add_item(db, item_id, "journalArticle", f"{paper['date_added']} 09:30:00",
                 {"title": paper["title"], "abstractNote": paper["summary"]}, [("Brandt", "Helena")])
    db.commit()
    db.close()
    references = library_of(tmp_path, clock, str(path))
    assert len(references) == len(PROFILES["testing-zh"]["library"])
    assert references[0].added is not None
    assert count_testing(top(references)) >= 6


def test_an_id_list_shifts_the_picks_toward_it(web, tmp_path, clock):
    """Six real arXiv papers on unit testing, listed by id and looked up on the (local) arXiv API,
    bring the others of their kind up; they are not candidates themselves."""
    web.routes["/api/query"] = arxiv_id_list
    kept = sorted(i for i in TESTING_ONLY if re.fullmatch(r"\d{4}\.\d{4,5}", i)
                  and next(p for p in JUDGED["papers"] if p["id"] == i)["origin"] == "arxiv-api")[:6]
    assert len(kept) == 6
    (tmp_path / "ids.txt").write_text("".join(f"{i}  2026-11-{10 + n}\n" for n, i in enumerate(kept)),
                                      encoding="utf-8")
    references = library_of(tmp_path, clock, "ids.txt", arxiv_api=web.url("/api/query"))
    assert [r.paper.id for r in references] == kept and all(r.paper.summary for r in references)
    before = count_testing(top(leave_out=kept, count=20))
    after = count_testing(top(references, leave_out=kept, count=20))
    assert before <= 1 and after >= 8


def paper(key: str) -> Paper:
    return next(p for p in pool() if p.id == key)


def position(picks, paper_id: str) -> int:
    return [p.paper.id for p in picks].index(paper_id)


def test_rating_a_paper_down_and_up_moves_papers_like_it():
    """The tax team rates a paper on distilling a 70B model into small ones down: another paper
    on distilling language models goes down with it, and up when the team rates it up instead."""
    project = PROFILES["tax-zh"]["project"]
    rated, alike = paper("test.0005"), "test.0022"  # both distil instruction-following LLMs
    ranked = {kind: top([Reference(rated, kind, DAY)] if kind else [], project, [rated.id], 400)
              for kind in (None, RATED_DOWN, RATED_UP)}
    neutral = position(ranked[None], alike)
    assert position(ranked[RATED_DOWN], alike) > neutral + 20
    assert position(ranked[RATED_UP], alike) < neutral - 20
    said = f"与团队点踩过的《{rated.title}》相近，因此排后"
    assert [p.paper.id for p in ranked[RATED_DOWN] if said in p.reasons]  # named where it shows
    up = ranked[RATED_UP][position(ranked[RATED_UP], alike)]
    assert f"与团队点赞过的《{rated.title}》相近" in up.reasons


def test_recent_library_papers_count_more_than_old_ones():
    library = PROFILES["testing-zh"]["library"]
    item = Paper(id=library[0]["id"], title=library[0]["title"], summary=library[0]["summary"])
    fresh = top([Reference(item, added=DAY)], project="", count=400)
    stale = top([Reference(item, added=date(2024, 1, 1))], project="", count=400)
    nearest = fresh[0].paper.id
    old_score = next(p.score for p in stale if p.paper.id == nearest)
    assert 0 < old_score < fresh[0].score / 2


def judged(key: str, grade: int, count: int) -> list[Paper]:
    ids = [p["id"] for p in JUDGED["papers"] if p["judgements"][key]["grade"] == grade]
    return [paper(i) for i in ids[:count]]


# a weekend's listings for a tax team, the examples: nothing in them is for it
OFF_TOPIC = [
    Paper(id=f"o.{n}", title=title, summary=summary) for n, (title, summary) in enumerate([
        ("Robot Grasping with Tactile Feedback",
         "A robot arm learns to grasp deformable objects from tactile signals, raising the success "
         "rate from 61% to 84% on 40 household objects."),
        ("A Deep Survey of Low-Surface-Brightness Galaxies",
         "We image 12 square degrees to a depth of 29 mag per square arcsecond and catalogue 1,204 "
         "faint galaxies, a third of them new."),
        ("Photonic Processors for Matrix Multiplication",
         "A photonic chip multiplies 64 by 64 matrices with light at 2 pJ per operation."),
        ("Nowcasting Rain from Radar with Diffusion",
         "A diffusion model predicts radar echoes 90 minutes ahead, improving CSI by 0.07."),
        ("Protein Backbone Design with Flow Matching",
         "We design binders for 12 targets; 7 bind with nanomolar affinity in the wet lab."),
    ])]


def test_a_weekend_with_two_good_papers_has_two_and_nothing_under_min_score():
    day = judged("tax-zh", 2, 2) + OFF_TOPIC
    selection = select_papers(day, Profile(PROFILES["tax-zh"]["project"]), 5, min_score=MIN_SCORE)
    assert [p.paper.id for p in selection.picks] == [p.id for p in day[:2]]
    assert selection.below == len(OFF_TOPIC)
    assert all(p.score < 0.01 for p in selection.ranked[2:])
    anything = select_papers(day, Profile(PROFILES["tax-zh"]["project"]), 5, min_score=0)
    assert len(anything.picks) == 5  # with no minimum, as before: a 0.00 pick fills the show


def test_the_backlog_fills_after_the_days_papers_and_before_anything_irrelevant():
    good = judged("tax-zh", 2, 4)
    today = good[:1] + OFF_TOPIC[:3]
    backlog = good[1:3] + OFF_TOPIC[3:]
    selection = select_papers(today, Profile(PROFILES["tax-zh"]["project"]), 5,
                              backlog=backlog, min_score=MIN_SCORE)
    assert [p.paper.id for p in selection.picks][:1] == [good[0].id]
    assert {p.paper.id for p in selection.picks[1:]} == {good[1].id, good[2].id}
    assert selection.from_backlog == 2
    already = select_papers(today, Profile(PROFILES["tax-zh"]["project"]), 5, backlog=backlog,
                            min_score=MIN_SCORE, already_broadcast={good[1].id})
    assert [p.paper.id for p in already.picks] == [good[0].id, good[2].id]


ROBOT = Paper(id="r.1", title="Robot Grasping with Tactile Feedback",
              summary="A robot arm learns to grasp deformable objects from tactile signals.")
ROBOT_ZH = Paper(id="r.2", title="Tactile grasping", summary="",
                 title_zh="面向机器人抓取的触觉反馈", summary_zh="我们让机器人从触觉信号中学会抓取柔软物体。")
PHOTONIC = Paper(id="r.3", title="Photonic Processors for Matrix Multiplication",
                 summary="We build a photonic chip that multiplies matrices with light.")
LLM = Paper(id="r.4", title="Instruction tuning for tax question answering",
            summary="We fine-tune a large language model on tax law questions and answers.")


@pytest.mark.parametrize("term", ["robotics", "robot", "机器人", "Robotics"])
def test_an_excluded_term_drops_every_form_of_it_in_both_languages(term):
    selection = select_papers([ROBOT, ROBOT_ZH, LLM], Profile(TAX_PROJECT, exclude=(term,)), 3)
    assert {p.id for p, _ in selection.excluded} == {"r.1", "r.2"}
    assert [p.paper.id for p in selection.picks] == ["r.4"]


def test_a_term_outside_the_glossary_matches_its_other_endings():
    selection = select_papers([PHOTONIC, LLM], Profile(TAX_PROJECT, exclude=("photonics",)), 3)
    assert [(p.id, term) for p, term in selection.excluded] == [("r.3", "photonics")]


def test_a_chinese_keyword_finds_an_english_paper():
    selection = select_papers([ROBOT, PHOTONIC], Profile("园艺", keywords=("机器人",)), 2)
    assert selection.ranked[0].paper.id == "r.1"
    assert "命中关键词：机器人" in selection.ranked[0].reasons


def test_reasons_are_in_the_shows_language():
    chinese = select_papers([LLM], Profile(TAX_PROJECT, keywords=("tax",)), 1).picks[0].reasons
    english = select_papers([LLM], Profile(TAX_PROJECT, keywords=("tax",)), 1,
                            language="en-US").picks[0].reasons
    assert chinese[0].startswith("与项目共同的概念：") and "命中关键词：tax" in chinese
    assert not any(re.search(r"[a-z]{3,} [a-z]{3,}", reason) for reason in chinese)
    assert english[0].startswith("shares with the project: ") and "matches keywords: tax" in english
    assert not any(re.search(r"[\u4e00-\u9fff]{2}", reason.split(":")[0]) for reason in english)


def test_a_field_needs_a_real_term_and_names_it():
    """"Accounting for 10.0%" in a driving paper is no accounting; a paper that does name a
    finance term says which."""
    driving = Paper(id="d.1", title="Lane detection for autonomous driving",
                    summary="Occluded lanes cause most misses, accounting for 10.0% of all frames. "
                            "We fine-tune a detector and cut misses by half.")
    audit = Paper(id="d.2", title="Auditing invoices with vision models",
                  summary="We fine-tune a detector to read invoices for audits.")
    picks = select_papers([driving, audit], Profile(TAX_PROJECT), 2, min_score=0).ranked
    reasons = {p.paper.id: " ".join(p.reasons) for p in picks}
    assert "金融与财税" not in reasons["d.1"]
    assert re.search(r"同一领域：金融与财税（(审计|会计)）", reasons["d.2"])
