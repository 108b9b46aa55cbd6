"""The file source: the bundled sample, a user's own file, and what is wrong with a bad one."""

import json
import logging
import re
from datetime import date

import pytest

from podcast.errors import SourceError
from podcast.models import Paper
from podcast.sources import gather
from podcast.sources.file import FileOptions, FileSource

DAY = date(2026, 11, 21)


def test_bundled_sample_is_the_eight_seed_papers(sample_papers):
    assert [p.id for p in sample_papers] == [
        "2409.17581", "2409.17642", "2409.17650", "2409.17904",
        "2409.18014", "2409.18028", "2409.17169", "2409.17171",
    ]
    for paper in sample_papers:
        assert paper.url == f"https://arxiv.org/abs/{paper.id}"
        assert paper.authors and paper.title and paper.title_zh
        assert len(paper.summary.split()) > 50 and len(paper.summary_zh) > 100
    assert FileSource(FileOptions()).standin() == "bundled sample papers"


# The papers' own headline figures (seed 001), which the bundled digests must state.
SAMPLE_FIGURES = {
    "2409.17581": ["0 to 2", "6 sections"], "2409.17642": ["70 participants"],
    "2409.17650": ["86%"], "2409.17904": ["92%", "98.7%", "99.9%", "6.9%", "2.6%"],
    "2409.18014": ["93.2%", "79.4%"], "2409.18028": [], "2409.17169": ["65%"],
    "2409.17171": ["94%", "2.29", "2.01", "2.15"],
}


def test_bundled_sample_papers_are_read_in_full_in_both_languages(sample_papers):
    for paper in sample_papers:
        for digest in (paper.digest, paper.digest_zh):
            assert digest is not None and digest.full and digest.source == "file"
            assert [kind for kind, _ in digest.sections] == [
                "introduction", "method", "results", "conclusion"]
            assert len(digest.text()) > 1.3 * len(paper.summary_for("zh-CN" if digest is paper.digest_zh
                                                                  else "en-US"))
        assert not re.search(r"[\u3400-\u9fff]", paper.digest.text())
        assert len(re.findall(r"[\u3400-\u9fff]", paper.digest_zh.text())) > 250
        figures = SAMPLE_FIGURES[paper.id]
        english = " ".join(paper.digest.figures)
        assert all(figure in english for figure in figures), paper.id
        chinese = " ".join(paper.digest_zh.figures)
        assert all(figure.split()[0] in chinese for figure in figures), paper.id
        assert bool(paper.digest.figures) == bool(figures) == bool(paper.digest_zh.figures)


def test_a_papers_file_may_give_digests_which_are_cleaned_like_the_other_fields(tmp_path):
    path = tmp_path / "papers.json"
    path.write_text(json.dumps([{
        "id": "2501.00001", "title": "A", "summary": "S.",
        "digest": {"source": "file",
                   "sections": {"method": "We  add\nlayers.\r\n\r\nThen \u202eonly\tthose.\n\n \n",
                                "results": "  \n "},
                   "figures": ["It saved\n 65% of\u0007 the labels.", " "], "captions": ["Table 1:\n the runs."]},
        "digest_zh": {"sections": [["results", "省下\n\n\n65%的标注。"]], "figures": ["省下65%。"]},
    }]), encoding="utf-8")
    (paper,) = FileSource(FileOptions(path=path)).fetch(DAY)
    assert paper.digest.sections == (("method", "We add layers.\n\nThen only those."),)
    assert paper.digest.figures == ("It saved 65% of the labels.",)
    assert paper.digest.captions == ("Table 1: the runs.",)
    assert paper.digest_zh.source == "file" and paper.digest_zh.figures == ("省下65%。",)
    assert paper.digest_zh.sections == (("results", "省下\n\n65%的标注。"),)
    assert paper.digest_for("zh-CN") is paper.digest_zh and paper.digest_for("en-US") is paper.digest
    assert Paper.from_dict(paper.to_dict()) == paper  # stored and read back as it was


def test_own_file_with_versions_and_comma_authors(tmp_path):
    path = tmp_path / "papers.json"
    path.write_text(json.dumps([
        {"id": "2501.00001v3", "title": "A", "summary": "S.", "authors": "Ann One, Bo Two",
         "published": "2025-01-02T10:00:00Z"},
        {"id": "2501.00001v4", "title": "A again", "summary": "S."},
    ]), encoding="utf-8")
    source = FileSource(FileOptions(path=path))
    papers = gather([source], DAY).papers
    assert len(papers) == 1  # the same paper in two versions is one paper
    assert papers[0].id == "2501.00001"
    assert papers[0].authors == ("Ann One", "Bo Two")
    assert papers[0].published == date(2025, 1, 2)
    assert papers[0].sources == ("file",)
    assert source.standin() is None


def test_the_log_counts_one_paper_and_two_papers(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="podcast")
    for count in (1, 2):
        path = tmp_path / f"{count}.json"
        path.write_text(json.dumps([{"id": f"2501.0000{n}", "title": "A", "summary": "S."}
                                    for n in range(1, count + 1)]), encoding="utf-8")
        source = FileSource(FileOptions(path=path))
        gather([source], DAY)
        papers = f"{count} paper{'s' if count > 1 else ''}"
        assert caplog.messages[-2] == f"Found {papers} in {source.describe()}."
        assert re.fullmatch(rf"Gathered {papers} from 1 source in \d+\.\d s\.", caplog.messages[-1])
    assert any(m.startswith("Found 1 paper in ") for m in caplog.messages)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read papers file"),
        ("{not json", "not a JSON papers file"),
        ('{"id": "1"}', "must hold a JSON list of papers"),
        ('[{"title": "x", "summary": "y"}]', "paper 1 has no id"),
        ('[{"id": "1", "title": "x", "summary": "y"}, 3]', "paper 2 is not a JSON object"),
        ('[{"id": "1", "title": ["x"], "summary": "y"}]', "paper 1: title must be a string"),
        ('[{"id": "1", "title": "x", "summary": "y", "published": "soon"}]', "paper 1: Invalid isoformat"),
    ],
)
def test_bad_papers_file_names_the_file_and_the_problem(tmp_path, content, message):
    path = tmp_path / "papers.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        FileSource(FileOptions(path=path)).fetch(DAY)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
