"""Selection: the papers that matter to the project, never one already broadcast."""

from podcast.select import select_papers

from .conftest import TAX_PROJECT


def test_ranks_by_relevance_to_the_project_and_says_why(sample_papers):
    picks = select_papers(sample_papers, TAX_PROJECT, 5)
    assert len(picks) == 5
    assert picks[0].paper.id == "2409.17581"  # SEC 10-K filings: finance for a tax project
    assert "finance" in picks[0].topics
    assert any("金融与财税" in reason for reason in picks[0].reasons)
    assert [p.score for p in picks] == sorted((p.score for p in picks), reverse=True)


def test_a_chinese_project_meets_english_only_papers(sample_papers):
    from dataclasses import replace

    english_only = [replace(p, title_zh="", summary_zh="") for p in sample_papers]
    picks = select_papers(english_only, "我们做医疗领域的临床问答助手。", 1)
    assert picks[0].paper.id == "2409.17650"  # Digital Twin Ecosystem for Oncology Clinical Operations
    assert "health" in picks[0].topics


def test_english_project(sample_papers):
    picks = select_papers(sample_papers, "Distilling and aligning LLMs with preference data.", 1, language="en-US")
    assert picks[0].paper.id == "2409.17169"  # REAL: response embedding-based alignment
    assert any("alignment" in reason for reason in picks[0].reasons)


def test_never_picks_a_paper_already_broadcast(sample_papers):
    first = select_papers(sample_papers, TAX_PROJECT, 5)
    rest = select_papers(sample_papers, TAX_PROJECT, 5, already_broadcast={p.paper.id for p in first})
    assert len(rest) == 3
    assert not {p.paper.id for p in first} & {p.paper.id for p in rest}


def test_unrelated_papers_still_fill_the_show_and_say_so(sample_papers):
    picks = select_papers(sample_papers[:2], "园艺和烹饪", 2)
    assert len(picks) == 2
    assert all(p.score == 0 for p in picks)
    assert any("no clear link" in r for r in picks[0].reasons)
