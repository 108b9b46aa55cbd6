"""The real sources against a local HTTP server answering with recorded arXiv responses and
feeds made from the documented formats."""

from __future__ import annotations

import itertools
import logging
import re
import socket
from datetime import date

import feedparser
import pytest

from podcast.errors import SourceError
from podcast.http import HttpClient, HttpPolicy
from podcast.sources import gather
from podcast.sources.arxiv import ArxivOptions, ArxivRssOptions, ArxivRssSource, ArxivSource
from podcast.sources.base import parse_feed
from podcast.sources.feed import FeedOptions, FeedSource
from podcast.sources.hf_daily import HfDailyOptions, HfDailySource

from .webserver import DATA, Reply

DAY = date(2026, 11, 20)
API = DATA / "arxiv-api"
SOURCES = DATA / "sources"
RECORDED = (API / "query-all-testing-start0-max100.200.xml").read_bytes()


def http(clock) -> HttpClient:
    return HttpClient(HttpPolicy(timeout=5, retries=2), clock=clock)


def arxiv_pages(request):
    """Pages cut from the recorded 100-entry answer, as the API pages them."""
    start, size = int(request.query["start"]), int(request.query["max_results"])
    head, *entries = re.split(rb"(?=  <entry>)", RECORDED.split(b"</feed>")[0])
    return Reply(200, head + b"".join(entries[start : start + size]) + b"</feed>\n")


def test_arxiv_api_pages_newest_first_three_seconds_apart(web, clock):
    web.routes["/api/query"] = arxiv_pages
    web.on_request = lambda request: times.append(clock.now)
    times: list[float] = []
    options = ArxivOptions(url=web.url("/api/query"), max_results=100, page_size=40)
    papers = ArxivSource(options, http(clock)).fetch(DAY)

    assert len(papers) == len({p.id for p in papers}) == 100
    queries = [r.query for r in web.requests]
    assert [(q["start"], q["max_results"]) for q in queries] == [("0", "40"), ("40", "40"), ("80", "20")]
    assert {(q["sortBy"], q["sortOrder"]) for q in queries} == {("submittedDate", "descending")}
    assert queries[0]["search_query"] == "cat:cs.CL OR cat:cs.AI OR cat:cs.LG"
    assert [round(b - a, 3) for a, b in itertools.pairwise(times)] == [3.0, 3.0]  # never sooner

    first = papers[0]
    assert first.id == "2202.12139"  # version stripped
    assert first.url == "https://arxiv.org/abs/2202.12139" and first.pdf_url == "https://arxiv.org/pdf/2202.12139"
    assert first.categories[:2] == ("cs.SE", "cs.LG") and first.published == date(2022, 2, 24)
    assert first.sources == ("arxiv",)
    authors = {a for p in papers for a in p.authors}
    assert "Aurora Ramírez" in authors and not any("Ã" in a for a in authors)  # mojibake repaired


def test_arxiv_query_is_anded_with_the_categories(web, clock):
    web.routes["/api/query"] = arxiv_pages
    options = ArxivOptions(url=web.url("/api/query"), categories=("cs.CL",), query='abs:"fine-tuning"', max_results=5)
    ArxivSource(options, http(clock)).fetch(DAY)
    assert web.requests[0].query["search_query"] == '(cat:cs.CL) AND (abs:"fine-tuning")'


def test_arxiv_error_feed_is_one_clear_line(web, clock):
    web.routes["/api/query"] = Reply.file(API / "id-list-abc-error.400.xml")
    with pytest.raises(SourceError) as caught:
        ArxivSource(ArxivOptions(url=web.url("/api/query")), http(clock)).fetch(DAY)
    assert str(caught.value) == f"{web.url('/api/query')}?search_query=cat%3Acs.CL+OR+cat%3Acs.AI+OR+cat%3Acs.LG&start=0&max_results=100&sortBy=submittedDate&sortOrder=descending: arXiv says: incorrect id format for abc"
    assert len(web.requests) == 1  # a 400 is not retried


def test_arxiv_empty_page_is_asked_again_once(web, clock):
    empty_but_valid = re.sub(rb"  <entry>.*</entry>\n", b"", RECORDED, flags=re.S)
    web.routes["/api/query"] = [Reply(200, empty_but_valid), Reply(200, RECORDED)]
    papers = ArxivSource(ArxivOptions(url=web.url("/api/query"), max_results=100), http(clock)).fetch(DAY)
    assert len(papers) == 100 and len(web.requests) == 2


def test_arxiv_empty_result_of_a_query_is_not_retried(web, clock):
    web.routes["/api/query"] = Reply.file(API / "id-list-0000.0000-empty.200.xml")
    options = ArxivOptions(url=web.url("/api/query"), query='abs:"no such words"')
    assert ArxivSource(options, http(clock)).fetch(DAY) == []
    assert len(web.requests) == 1


def test_arxiv_category_without_any_paper_is_asked_again_then_an_error(web, clock):
    web.routes["/api/query"] = Reply.file(API / "id-list-0000.0000-empty.200.xml")
    with pytest.raises(SourceError) as caught:
        ArxivSource(ArxivOptions(url=web.url("/api/query"), categories=("cs.XX",)), http(clock)).fetch(DAY)
    assert str(caught.value) == "arXiv has no paper at all in cs.XX; is the category name right?"
    assert len(web.requests) == 2


def arxiv_by_category(bad: Reply):
    """The recorded entries of the asked category, one category a query; ``bad`` for cs.XX."""

    def answer(request):
        category = request.query["search_query"].removeprefix("cat:")
        if category == "cs.XX":
            return bad
        head, *entries = re.split(rb"(?=  <entry>)", RECORDED.split(b"</feed>")[0])
        mine = [entry for entry in entries if f'term="{category}"'.encode() in entry]
        return Reply(200, head + b"".join(mine) + b"</feed>\n")

    return answer


def recorded_ids(*categories: str) -> set[str]:
    feed = feedparser.parse(RECORDED)
    return {e.id.rsplit("/", 1)[1].split("v")[0] for e in feed.entries
            if {tag.term for tag in e.tags} & set(categories)}


@pytest.mark.parametrize(
    ("bad", "asked", "error"),
    [
        (Reply.file(API / "id-list-abc-error.400.xml"), 1, "arXiv says: incorrect id format for abc"),
        (Reply.file(API / "id-list-0000.0000-empty.200.xml"), 2, "arXiv has no paper at all in cs.XX; is the category name right?"),
        (Reply(200, b"Bad category\n", {"Content-Type": "text/plain"}), 1, "not a well-formed feed"),
    ],
    ids=["error", "empty", "garbage"],
)
def test_one_bad_arxiv_category_costs_only_itself(web, clock, caplog, bad, asked, error):
    caplog.set_level(logging.INFO, logger="podcast")
    web.routes["/api/query"] = arxiv_by_category(bad)
    times: list[float] = []
    web.on_request = lambda request: times.append(clock.now)
    options = ArxivOptions(url=web.url("/api/query"), categories=("cs.CL", "cs.AI", "cs.XX"))
    result = gather([ArxivSource(options, http(clock))], DAY)

    assert {p.id for p in result.papers} == recorded_ids("cs.CL", "cs.AI") and len(result.papers) == 16
    assert [(r.source, r.papers, bool(r.error)) for r in result.reports] == [
        ("arXiv API (cs.CL)", 3, False), ("arXiv API (cs.AI)", 15, False), ("arXiv API (cs.XX)", 0, True)]
    assert error in result.reports[2].error and not result.all_failed
    queries = [r.query for r in web.requests]
    assert [q["search_query"] for q in queries] == ["cat:cs.CL", "cat:cs.AI"] + ["cat:cs.XX"] * asked
    assert {q["max_results"] for q in queries} == {"100"}  # the 300 shared among the three
    assert all(round(b - a, 3) >= 3.0 for a, b in itertools.pairwise(times))  # arXiv's spacing holds
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert warnings[0].startswith("arXiv API (cs.XX) failed, going on without it: ") and error in warnings[0]
    assert "Found 3 papers in arXiv API (cs.CL)." in caplog.messages


def test_an_unreachable_arxiv_is_asked_once_not_per_category(clock, caplog):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/api/query"  # bound, never listening
        options = ArxivOptions(url=url, categories=("cs.CL", "cs.AI", "cs.LG"))
        client = HttpClient(HttpPolicy(timeout=5, retries=0), clock=clock)
        result = gather([ArxivSource(options, client)], DAY)
    assert [r.source for r in result.reports] == ["arXiv API (cs.CL)", "arXiv API (cs.AI)", "arXiv API (cs.LG)"]
    assert result.all_failed and client.requests == 1
    first = result.reports[0].error
    assert "cs.CL" in first and "cannot connect" in first
    assert [r.error for r in result.reports[1:]] == [f"not asked: {first}"] * 2


def rss_routes(web):
    for name in ("cs.AI+cs.CL", "cs.LG", "error", "empty"):
        web.routes[f"/rss/{name}"] = Reply.file(SOURCES / f"arxiv-rss-{name}.xml")
    for name in ("cs.XX", "cs.LG+cs.XX"):  # arXiv refuses a listing with one bad name in it whole
        web.routes[f"/rss/{name}"] = Reply.file(SOURCES / "arxiv-rss-error.xml")
    return web.url("/rss/")


def test_arxiv_rss_keeps_new_drops_replacements_and_dedupes_cross_lists(web, clock):
    url = rss_routes(web)
    source = ArxivRssSource(ArxivRssOptions(url=url, categories=("cs.AI+cs.CL", "cs.LG")), http(clock))
    result = gather([source], DAY)
    ids = [p.id for p in result.papers]
    assert ids == ["2611.04102", "2611.04117", "2611.04125", "2611.04139", "2611.04148",
                   "2611.04163", "2611.04188", "2611.04196", "2611.04203"]
    assert web.paths() == ["/rss/cs.AI+cs.CL", "/rss/cs.LG"]
    by_id = {p.id: p for p in result.papers}
    dpo = by_id["2611.04117"]
    assert "José García" in dpo.authors  # arrives as JosÃ© GarcÃ­a
    assert "<" in dpo.summary and "&" in dpo.summary and "&amp;" not in dpo.summary
    assert not dpo.summary.startswith("arXiv:") and "Announce Type" not in dpo.summary
    assert "\n" not in by_id["2611.04125"].summary  # a hard line break mid-sentence


def test_arxiv_rss_can_include_cross_lists(web, clock):
    url = rss_routes(web)
    options = ArxivRssOptions(url=url, categories=("cs.AI+cs.CL",), include_cross=True)
    papers = {p.id: p for p in ArxivRssSource(options, http(clock)).fetch(DAY)}
    assert {"2611.04163", "2611.04171"} <= papers.keys()
    assert not {"2611.01876", "2611.02214", "2611.00958"} & papers.keys()  # replace, replace-cross
    assert "O(n^2)" in papers["2611.04171"].summary and "α" in papers["2611.04171"].summary


@pytest.mark.dated
def test_arxiv_rss_error_feed_and_empty_weekend(web, clock):
    url = rss_routes(web)
    with pytest.raises(SourceError, match=r"rss/error: arXiv has no listing for 'error' \(Feed error for query: cs.XX\)"):
        ArxivRssSource(ArxivRssOptions(url=url, categories=("error",)), http(clock)).fetch(DAY)
    assert ArxivRssSource(ArxivRssOptions(url=url, categories=("empty",)), http(clock)).fetch(DAY) == []


def test_one_bad_listing_costs_only_itself(web, clock, caplog):
    url = rss_routes(web)
    options = ArxivRssOptions(url=url, categories=("cs.AI+cs.CL", "cs.XX", "cs.LG"))
    result = gather([ArxivRssSource(options, http(clock))], DAY)
    assert len(result.papers) == 9
    assert [(r.source, r.papers) for r in result.reports] == [
        ("arXiv listings (cs.AI+cs.CL)", 5), ("arXiv listings (cs.XX)", 0), ("arXiv listings (cs.LG)", 4)]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [f"arXiv listings (cs.XX) failed, going on without it: {url}cs.XX: "
                        "arXiv has no listing for 'cs.XX' (Feed error for query: cs.XX)"]


def test_a_bad_name_in_a_joined_listing_is_found_category_by_category(web, clock, caplog):
    url = rss_routes(web)
    options = ArxivRssOptions(url=url, categories=("cs.LG+cs.XX", "cs.AI+cs.CL"))
    result = gather([ArxivRssSource(options, http(clock))], DAY)
    assert web.paths() == ["/rss/cs.LG+cs.XX", "/rss/cs.LG", "/rss/cs.XX", "/rss/cs.AI+cs.CL"]
    assert len(result.papers) == 9  # cs.LG's papers, and the other listing's
    assert [(r.source, r.papers, bool(r.error)) for r in result.reports] == [
        ("arXiv listings (cs.LG)", 4, False), ("arXiv listings (cs.XX)", 0, True),
        ("arXiv listings (cs.AI+cs.CL)", 5, False)]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and warnings[0].startswith("arXiv listings (cs.XX) failed, going on without it: ")

    with pytest.raises(SourceError) as caught:  # strict: the run stops, naming the bad category
        gather([ArxivRssSource(options, http(clock))], DAY, strict=True)
    assert str(caught.value) == (f"arXiv listings (cs.XX): {url}cs.XX: "
                                 "arXiv has no listing for 'cs.XX' (Feed error for query: cs.XX)")


@pytest.mark.dated
def test_hf_daily_reads_the_day_and_the_day_before_with_upvotes(web, clock):
    def daily(request):
        name = SOURCES / f"hf-daily-{request.query['date']}.json"
        return Reply.file(name, 200, "application/json") if name.exists() else Reply.json([])

    web.routes["/api/daily_papers"] = daily
    papers = HfDailySource(HfDailyOptions(url=web.url("/api/daily_papers")), http(clock)).fetch(DAY)
    assert [r.query["date"] for r in web.requests] == ["2026-11-20", "2026-11-19"]
    assert len(papers) == 9
    top = max(papers, key=lambda p: p.upvotes or 0)
    assert (top.id, top.upvotes, top.sources) == ("2611.03811", 178, ("hf-daily",))
    assert all(p.url.startswith("https://arxiv.org/abs/2611.") for p in papers)

    picky = HfDailySource(HfDailyOptions(url=web.url("/api/daily_papers"), days=1, min_upvotes=50), http(clock))
    assert sorted(p.upvotes for p in picky.fetch(DAY)) == [64, 88, 93, 178]


def test_hf_daily_bad_json_names_the_url(web, clock):
    web.routes["/api/daily_papers"] = Reply(200, b"<html>rate limited</html>", {"Content-Type": "text/html"})
    with pytest.raises(SourceError, match=r"daily_papers\?date=2026-11-20: not JSON"):
        HfDailySource(HfDailyOptions(url=web.url("/api/daily_papers"), days=1), http(clock)).fetch(DAY)


def test_blog_feeds_rss_and_atom(web, clock):
    web.routes["/blog.rss"] = Reply.file(SOURCES / "blog-rss.xml")
    web.routes["/blog.atom"] = Reply.file(SOURCES / "blog-atom.xml")
    rss = FeedSource(FeedOptions(url=web.url("/blog.rss")), http(clock)).fetch(DAY)
    atom = FeedSource(FeedOptions(url=web.url("/blog.atom"), name="NLP group"), http(clock)).fetch(DAY)
    assert len(rss) == 5 and len(atom) == 3
    announced = [p for p in rss if p.is_arxiv]
    assert [(p.id, p.url) for p in announced] == [("2611.05210", "https://arxiv.org/abs/2611.05210")]
    posts = [p for p in rss if not p.is_arxiv]
    assert all(re.fullmatch(r"web:[0-9a-f]{16}", p.id) and p.url.startswith("https://blog.example.com/") for p in posts)
    assert {p.sources for p in rss} == {("Example AI Lab Blog",)} and {p.sources for p in atom} == {("NLP group",)}
    for paper in rss + atom:
        assert "<" not in paper.summary.replace("< ", "") and "&amp;" not in paper.summary
        assert paper.published and paper.published.year == 2026
    # the same feed read again gives the same ids
    again = FeedSource(FeedOptions(url=web.url("/blog.rss")), http(clock)).fetch(DAY)
    assert [p.id for p in again] == [p.id for p in rss]


def test_broken_feed_is_a_one_line_error(web, clock):
    web.routes["/broken.xml"] = Reply.file(SOURCES / "broken.xml")
    assert feedparser.parse((SOURCES / "broken.xml").read_bytes()).entries  # feedparser half-reads it
    with pytest.raises(SourceError) as caught:
        FeedSource(FeedOptions(url=web.url("/broken.xml")), http(clock)).fetch(DAY)
    assert str(caught.value).startswith(f"{web.url('/broken.xml')}: not a well-formed feed: ")
    assert "\n" not in str(caught.value)


def test_one_paper_from_three_sources_is_one_paper(web, clock):
    url = rss_routes(web)
    web.routes["/api/daily_papers"] = Reply.file(SOURCES / "hf-daily-2026-11-20.json", 200, "application/json")
    sources = [
        ArxivRssSource(ArxivRssOptions(url=url, categories=("cs.AI+cs.CL", "cs.LG"), include_cross=True), http(clock)),
        HfDailySource(HfDailyOptions(url=web.url("/api/daily_papers"), days=1), http(clock)),
    ]
    papers = {p.id: p for p in gather(sources, DAY).papers}
    lora = papers["2611.04102"]  # new in cs.AI, cross-listed in cs.LG, on Hugging Face
    assert lora.sources == ("arxiv-rss", "hf-daily")
    assert lora.upvotes == 88
    assert set(lora.categories) >= {"cs.AI", "cs.CL", "cs.LG"}
    assert len(papers) == 10 + 4  # 10 arXiv papers, 4 only on Hugging Face


@pytest.mark.dated
def test_a_stale_listing_is_reported(web, clock, caplog):
    url = rss_routes(web)
    ArxivRssSource(ArxivRssOptions(url=url, categories=("cs.LG",)), http(clock)).fetch(date(2026, 12, 1))
    assert "The cs.LG listing was last built on 2026-11-20; it looks stale." in caplog.text
    caplog.clear()
    ArxivRssSource(ArxivRssOptions(url=url, categories=("cs.LG",)), http(clock)).fetch(DAY)
    assert "stale" not in caplog.text


@pytest.mark.parametrize("page", [
    b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><p>Hello<br>there</body></html>",
    b"<html><head><title>Sign in</title></head><body><p>Well-formed</p></body></html>",
    b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- a comment -->\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
    b"  <!doctype HTML><HTML lang=en><body>Moved</body></HTML>",
], ids=["doctype", "bare", "xhtml", "upper-case"])
def test_an_html_page_is_not_a_feed(page):
    with pytest.raises(SourceError, match=r"^https://lab\.example/feed: not an RSS or Atom feed: it is an HTML page$"):
        parse_feed(page, "https://lab.example/feed")


def test_an_html_page_answered_with_200_is_reported_as_not_a_feed(web, clock):
    web.routes["/feed"] = Reply(200, b"<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>",
                                {"Content-Type": "text/html"})
    url = web.url("/feed")
    result = gather([FeedSource(FeedOptions(url=url, name="Lab"), http(clock))], DAY)
    assert result.all_failed
    assert result.reports[0].error == f"{url}: not an RSS or Atom feed: it is an HTML page"


def test_a_document_that_is_no_feed_at_all_is_not_an_empty_feed():
    with pytest.raises(SourceError, match="not an RSS or Atom feed: feedparser found no feed in it"):
        parse_feed(b'<?xml version="1.0"?><result><count>0</count></result>', "https://x.example/f")
    assert parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>', "u").entries == []
    assert parse_feed(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>', "u").entries == []
