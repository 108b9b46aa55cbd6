"""One clean form for whatever the sources send."""

import pytest

from podcast.models import arxiv_id
from podcast.sources.normalize import canonical_url, clean_text, link_id, repair_mojibake


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2409.17581", "2409.17581"),
        ("2409.17581v3", "2409.17581"),
        ("http://arxiv.org/abs/2202.12139v1", "2202.12139"),
        ("https://arxiv.org/pdf/2409.17581v1.pdf", "2409.17581"),
        ("https://arxiv.org/html/2611.01234v2#S3", "2611.01234"),
        ("oai:arXiv.org:2611.01234v2", "2611.01234"),
        ("http://arxiv.org/abs/cond-mat/0102536v1", "cond-mat/0102536"),
        ("https://blog.example.com/posts/x", None),
        ("test.0001", None),
    ],
)
def test_arxiv_ids(given, expected):
    assert arxiv_id(given) == expected


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://huggingface.co/papers/2409.17581", "2409.17581"),
        ("https://huggingface.co/papers/2409.17581#community", "2409.17581"),
        ("https://www.alphaxiv.org/abs/2409.17581", "2409.17581"),
        ("https://www.alphaxiv.org/abs/2409.17581v2?tab=comments", "2409.17581"),
        ("https://alphaxiv.org/overview/2409.17581", "2409.17581"),
        ("https://paperswithcode.com/paper/2409.17581", "2409.17581"),
        ("https://paperswithcode.com/arxiv/2409.17581", "2409.17581"),
        ("arxiv.org/abs/2409.17581v3", "2409.17581"),
        ("https://arxiv.org/pdf/2409.17581v2.pdf", "2409.17581"),
        ("https://arxiv.org/pdf/2409.17581", "2409.17581"),
        ("https://arxiv.org/html/2409.17581v1", "2409.17581"),
        ("https://arxiv.org/html/2409.17581v1/#S2", "2409.17581"),
        ("http://export.arxiv.org/abs/2409.17581v1", "2409.17581"),
        ("https://www.arxiv.org/abs/2409.17581/", "2409.17581"),
        ("https://arxiv.org/abs/cs/0112017", "cs/0112017"),
        ("https://arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001"),
        ("https://arxiv.org/pdf/hep-th/9901001v2.pdf", "hep-th/9901001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("arXiv:2409.17581v1", "2409.17581"),
        ("https://doi.org/10.48550/arXiv.2409.17581", "2409.17581"),
        ("https://dx.doi.org/10.48550/arxiv.2409.17581", "2409.17581"),
        ("10.48550/arXiv.2409.17581", "2409.17581"),
        ("doi:10.48550/arXiv.2409.17581", "2409.17581"),
        ("https://doi.org/10.48550/arXiv.hep-th/9901001", "hep-th/9901001"),
        # not a paper, or not one we can name
        ("https://arxiv.org/list/cs.CL/new", None),
        ("https://arxiv.org/abs/", None),
        ("https://huggingface.co/papers", None),
        ("https://huggingface.co/papers/trending", None),
        ("https://paperswithcode.com/paper/attention-is-all-you-need", None),
        ("https://doi.org/10.1145/3292500.3330701", None),
        ("https://notarxiv.org/abs/2409.17581", None),
        ("https://example.com/papers/2409.17581", None),
    ],
)
def test_every_link_to_an_arxiv_paper_gives_its_bare_id(link, expected):
    assert arxiv_id(link) == expected
    assert link_id(link) == expected if expected else link_id(link).startswith("web:")


def test_link_ids_are_stable_across_tracking_and_slashes():
    a = link_id("https://Blog.Example.com/posts/a/?utm_source=rss&id=3#comments")
    assert a == link_id("https://blog.example.com/posts/a?id=3")
    assert a.startswith("web:") and a != link_id("https://blog.example.com/posts/b")
    assert canonical_url("https://x.org/p/?utm_medium=x") == "https://x.org/p"


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("Aurora RamÃ­rez", "Aurora Ramírez"),
        ("JosÃ© RaÃºl Romero", "José Raúl Romero"),
        ("itâ€™s", "it’s"),  # Windows-1252 reading
        # a name the whole-string repair cannot handle: "ł" is in neither codec
        ("LucÃ­a RamÃ­rez, Paweł Zieliński", "Lucía Ramírez, Paweł Zieliński"),
        ("Weiß, naïve, café, Ål", "Weiß, naïve, café, Ål"),  # correct text is left alone
    ],
)
def test_mojibake_repair(broken, fixed):
    assert repair_mojibake(broken) == fixed


def test_clean_text_html_latex_whitespace():
    assert clean_text("<p>We use &lt;b&gt; &amp; <strong>LoRA</strong></p><p>again</p>") == "We use <b> & LoRA again"
    assert clean_text(r"Cost $\mathcal{O}(n^2)$ with $\alpha=0.5$, 50\% of \textbf{data}") == (
        "Cost O(n^2) with α=0.5, 50% of data"
    )
    assert clean_text("broken\n   line  and\ttabs") == "broken line and tabs"
    assert clean_text("x <script>alert(1)</script> y") == "x y"
    assert clean_text(None) == ""


def test_only_an_arxiv_paper_has_an_arxiv_pdf_link():
    from podcast.models import Paper

    assert Paper(id="2409.17581", title="t", summary="s").pdf_url == "https://arxiv.org/pdf/2409.17581"
    assert Paper(id="hep-th/9901001", title="t", summary="s").pdf_url == "https://arxiv.org/pdf/hep-th/9901001"
    for own in ("lab-note-7", "test.0001", "web:3f2a", "lib:9c1d"):  # a papers file's, a link's, a library's
        assert Paper(id=own, title="t", summary="s").pdf_url == ""


@pytest.mark.parametrize(("typed", "set_as"), [
    ("Foo -- Bar: Vision--Language Models", "Foo \u2013 Bar: Vision\u2013Language Models"),
    ("Scaling 10--20x --- cheaply", "Scaling 10\u201320x — cheaply"),
    ("隐私 -- 策略", "隐私——策略"),
    ("a --> b ----", "a --> b ----"),  # an arrow and a rule are no dashes
])
def test_a_title_typed_the_latex_way_gets_its_dashes(typed, set_as):
    assert clean_text(typed) == set_as
