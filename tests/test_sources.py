"""The file source: the bundled sample, a user's own file, and what is wrong with a bad one."""

import json
from datetime import date

import pytest

from podcast.errors import SourceError
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
