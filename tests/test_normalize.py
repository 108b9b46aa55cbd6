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
