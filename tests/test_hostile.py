"""Hostile input, through the real sources over real HTTP and through a whole episode.

Every string of tests/data/hostile/strings.json (markup that would run as script, CDATA ends,
control characters, lone surrogates, bidi overrides, zero-width characters, emoji, caption
breakers...) and a 1 MB abstract go into a paper's title, abstract and author list as each
source's format carries them: the arXiv API's Atom, arXiv's RSS listings, an RSS and an Atom
feed, Hugging Face's JSON, a papers file. Each source must give the paper with clean text or
fail with one line (a SourceError): nothing else. Then come the attacks on the parsers and the
HTTP client (entity expansion, external entities, a body naming a local file, invalid UTF-8, a
response that never ends, trickles, stalls, or unpacks to gigabytes), and last an episode made
from hostile papers, its feed read by two podcast parsers and its pages by a browser.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import re
import socket
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest

from podcast.errors import SourceError
from podcast.http import HttpClient, HttpPolicy
from podcast.models import Paper
from podcast.sources.arxiv import ArxivOptions, ArxivRssOptions, ArxivRssSource, ArxivSource
from podcast.sources.feed import FeedOptions, FeedSource
from podcast.sources.file import FileOptions, FileSource
from podcast.sources.hf_daily import HfDailyOptions, HfDailySource

from .webserver import DATA, Reply

DAY = date(2026, 11, 20)
CASES: list[dict] = json.loads((DATA / "hostile" / "strings.json").read_text(encoding="ascii"))
MEGABYTE = ("We fine-tune language models on tax questions and measure recall. " * 16000)[:1_000_000]
CASES.append({"name": "one-megabyte-abstract", "text": MEGABYTE, "keep": []})
# What must never come out of a source: control characters (whitespace aside), lone surrogates,
# U+FFFE/U+FFFF, and the invisible bidi controls that reorder the text around them.
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
# What XML 1.0 cannot carry at all, even as a character reference.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def http(clock, **policy) -> HttpClient:
    return HttpClient(HttpPolicy(**({"timeout": 5, "retries": 1} | policy)), clock=clock)


def served(text: str) -> bytes:
    """A document as a broken server sends it: lone surrogates become invalid UTF-8 bytes."""
    return text.encode("utf-8", "surrogatepass")


# ---- the documents each source reads, with one paper made of ``text`` ----

def arxiv_api_document(title: str, summary: str, author: str, paper_id: str = "2611.09001") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title>arXiv Query</title>
  <opensearch:totalResults>1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/abs/{paper_id}v1</id>
    <title>{escape(title)}</title>
    <summary>{escape(summary)}</summary>
    <author><name>{escape(author)}</name></author>
    <published>2026-11-19T17:00:00Z</published>
    <arxiv:primary_category term="cs.CL"/>
  </entry>
</feed>
"""


def arxiv_rss_document(title: str, summary: str, author: str, paper_id: str = "2611.09002") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>cs.CL updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.CL</link>
    <description>cs.CL updates</description>
    <lastBuildDate>Fri, 20 Nov 2026 00:30:00 +0000</lastBuildDate>
    <item>
      <title>{escape(title)}</title>
      <link>https://arxiv.org/abs/{paper_id}</link>
      <description>{escape(f"arXiv:{paper_id}v1 Announce Type: new Abstract: {summary}")}</description>
      <guid isPermaLink="false">oai:arXiv.org:{paper_id}v1</guid>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:creator>{escape(author)}</dc:creator>
    </item>
  </channel>
</rss>
"""


def rss_document(title: str, summary: str, author: str, link: str = "https://blog.example.com/posts/1") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Hostile blog</title>
    <link>https://blog.example.com/</link>
    <description>posts</description>
    <item>
      <title>{escape(title)}</title>
      <link>{escape(link)}</link>
      <description>{escape(summary)}</description>
      <dc:creator>{escape(author)}</dc:creator>
      <pubDate>Thu, 19 Nov 2026 09:00:00 +0000</pubDate>
    </item>
  </channel>
</rss>
"""


def atom_document(title: str, summary: str, author: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Hostile group</title>
  <id>tag:hostile.example,2026:blog</id>
  <updated>2026-11-19T10:00:00Z</updated>
  <entry>
    <id>tag:hostile.example,2026:1</id>
    <title type="text">{escape(title)}</title>
    <link rel="alternate" href={quoteattr("https://hostile.example/posts/1")}/>
    <published>2026-11-19T09:00:00Z</published>
    <author><name>{escape(author)}</name></author>
    <content type="html">{escape(summary)}</content>
  </entry>
</feed>
"""


def hf_document(title: str, summary: str, author: str) -> bytes:
    return json.dumps([{"paper": {"id": "2611.09003", "title": title, "summary": summary, "upvotes": 3,
                                  "publishedAt": "2026-11-19T17:00:00.000Z",
                                  "authors": [{"name": author, "hidden": False}]}}]).encode()


def file_document(title: str, summary: str, author: str) -> bytes:
    return json.dumps([{"id": "2611.09004", "title": title, "summary": summary, "authors": [author],
                        "url": "https://arxiv.org/abs/2611.09004"}]).encode()


# Each entry point: (how its document is made, whether it is XML, how the real source reads it).
Read = Callable[[object, Path, object, bytes], list[Paper]]


def read_arxiv(web, tmp_path, clock, body: bytes) -> list[Paper]:
    web.routes["/api/query"] = Reply(200, body, {"Content-Type": "application/atom+xml"})
    return ArxivSource(ArxivOptions(url=web.url("/api/query"), max_results=10), http(clock)).fetch(DAY)


def read_arxiv_rss(web, tmp_path, clock, body: bytes) -> list[Paper]:
    web.routes["/rss/cs.CL"] = Reply(200, body, {"Content-Type": "application/rss+xml"})
    return ArxivRssSource(ArxivRssOptions(url=web.url("/rss/"), categories=("cs.CL",)), http(clock)).fetch(DAY)


def read_feed(web, tmp_path, clock, body: bytes) -> list[Paper]:
    web.routes["/feed.xml"] = Reply(200, body, {"Content-Type": "application/xml"})
    return FeedSource(FeedOptions(url=web.url("/feed.xml")), http(clock)).fetch(DAY)


def read_hf(web, tmp_path, clock, body: bytes) -> list[Paper]:
    web.routes["/api/daily_papers"] = Reply(200, body, {"Content-Type": "application/json"})
    return HfDailySource(HfDailyOptions(url=web.url("/api/daily_papers"), days=1), http(clock)).fetch(DAY)


def read_file(web, tmp_path, clock, body: bytes) -> list[Paper]:
    path = tmp_path / "papers.json"
    path.write_bytes(body)
    return FileSource(FileOptions(path=path)).fetch(DAY)


ENTRY_POINTS: dict[str, tuple[Callable[[str, str, str], str | bytes], Read]] = {
    "arxiv-api": (arxiv_api_document, read_arxiv),
    "arxiv-rss": (arxiv_rss_document, read_arxiv_rss),
    "feed-rss": (rss_document, read_feed),
    "feed-atom": (atom_document, read_feed),
    "hf-daily": (hf_document, read_hf),
    "file": (file_document, read_file),
}


def assert_clean(paper: Paper) -> None:
    """Every text of a paper: writable in UTF-8 and XML, no control or bidi-override characters."""
    for field in fields(paper):
        value = getattr(paper, field.name)
        for text in (value if isinstance(value, tuple) else (value,)):
            if isinstance(text, str):
                assert not UNSAFE.search(text), (field.name, text[:200])
                assert text == text.strip(), field.name
                text.encode("utf-8")


def one_line_error(exc: SourceError) -> str:
    message = str(exc)
    assert message and "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_hostile_text_comes_out_clean_or_as_one_line(web, tmp_path, clock, entry, case):
    make, read = ENTRY_POINTS[entry]
    text = case["text"]
    title, summary, author = f"Case {case['name']}: {text}", f"{text} An abstract about fine-tuning.", f"Eve {text}"
    document = make(title, summary, author)
    body = document if isinstance(document, bytes) else served(document)
    xml_legal = isinstance(document, bytes) or not NOT_XML.search(document)
    try:
        papers = read(web, tmp_path, clock, body)
    except SourceError as exc:
        assert not xml_legal, f"{entry} refused a well-formed document: {exc}"
        one_line_error(exc)
        return
    assert len(papers) == 1
    paper = papers[0]
    assert_clean(paper)
    assert paper.title.startswith(f"Case {case['name']}:")
    assert re.fullmatch(r"https://[^\s<>\"']+", paper.url)
    for kept in case["keep"]:
        assert kept in paper.title, (kept, paper.title[:300])
    if case["name"] == "one-megabyte-abstract":
        assert len(paper.summary) > 999_000  # the abstract itself is not cut at the source


# ---- attacks on the XML parser ----

BILLION_LAUGHS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
""" + "".join(f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">\n' for n in range(1, 10)) + "]>\n"
# A second kind: one big entity used many times (no nesting for a depth limit to catch).
QUADRATIC = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE kaboom [\n <!ENTITY a "' + "x" * 100_000
             + '">\n]>\n')
XML_ENTRIES = [name for name in ENTRY_POINTS if name not in ("hf-daily", "file")]


def with_doctype(entry: str, doctype: str, reference: str) -> bytes:
    """The entry's document with ``doctype`` in front and ``reference`` in its title and abstract."""
    make, _ = ENTRY_POINTS[entry]
    document = make("Case title MARK", "Abstract MARK about fine-tuning.", "Eve")
    document = document.replace("MARK", reference)
    return (doctype + document.split("?>", 1)[1]).encode()


@pytest.mark.parametrize("entry", XML_ENTRIES)
@pytest.mark.parametrize("bomb", ["billion-laughs", "quadratic-blowup"])
def test_entity_expansion_is_never_performed(web, tmp_path, clock, entry, bomb):
    doctype, reference = (BILLION_LAUGHS, "&lol9;") if bomb == "billion-laughs" else (QUADRATIC, "&a;" * 10_000)
    body = with_doctype(entry, doctype, reference)
    tracemalloc.start()
    try:
        papers = ENTRY_POINTS[entry][1](web, tmp_path, clock, body)
    except SourceError as exc:
        papers, message = [], one_line_error(exc)
        assert "lollol" not in message and "xxxxxxxxxx" not in message
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 50_000_000  # expanded, the bomb is 3 GB (billion laughs) or 1 GB (quadratic)
    for paper in papers:
        assert "lollol" not in repr(paper) and "xxxxxxxxxx" not in repr(paper)


@pytest.fixture
def local_secret(tmp_path) -> tuple[Path, str]:
    """A local file with a unique marker, shaped as a feed so that read as one it would show."""
    marker = "LOCAL-FILE-MARKER-7f3a9c"
    path = tmp_path / "secret.xml"
    path.write_text(rss_document(f"{marker} title", f"{marker} summary", marker,
                                 link="https://arxiv.org/abs/2611.09999"), encoding="utf-8")
    return path, marker


@pytest.mark.parametrize("entry", XML_ENTRIES)
@pytest.mark.parametrize("form", ["general-entity", "parameter-entity", "external-dtd", "etc-passwd"])
def test_external_entities_are_never_read(web, tmp_path, clock, local_secret, entry, form):
    path, marker = local_secret
    secret_text = tmp_path / "secret.txt"
    secret_text.write_text(marker, encoding="utf-8")
    doctype, reference = {
        "general-entity": (f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "{secret_text.as_uri()}">]>\n', "&xxe;"),
        "parameter-entity": (f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY % p SYSTEM "{path.as_uri()}"> %p;]>\n', "x"),
        "external-dtd": (f'<?xml version="1.0"?>\n<!DOCTYPE x SYSTEM "{path.as_uri()}">\n', "x"),
        "etc-passwd": ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n', "&xxe;"),
    }[form]
    try:
        seen = repr(ENTRY_POINTS[entry][1](web, tmp_path, clock, with_doctype(entry, doctype, reference)))
    except SourceError as exc:
        seen = one_line_error(exc)
    assert marker not in seen and "root:" not in seen


@pytest.mark.parametrize("entry", XML_ENTRIES)
def test_a_body_naming_a_local_file_is_not_read_as_that_file(web, tmp_path, clock, local_secret, entry):
    """feedparser given bytes first tries them as a file name: a server answering with the
    path of a local feed had us read it."""
    path, marker = local_secret
    for body in (str(path).encode(), b"/etc/passwd"):
        try:
            seen = repr(ENTRY_POINTS[entry][1](web, tmp_path, clock, body))
        except SourceError as exc:
            seen = one_line_error(exc)
        assert marker not in seen and "root:" not in seen


def test_a_body_naming_a_local_file_in_an_arxiv_400_is_not_read(web, tmp_path, clock, local_secret):
    path, marker = local_secret
    web.routes["/api/query"] = Reply(400, str(path).encode())
    with pytest.raises(SourceError) as caught:
        ArxivSource(ArxivOptions(url=web.url("/api/query")), http(clock)).fetch(DAY)
    assert marker not in one_line_error(caught.value) and caught.value.__cause__ is None


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_invalid_utf8_gives_papers_or_one_line(web, tmp_path, clock, entry):
    make, read = ENTRY_POINTS[entry]
    document = make("Case invalid-utf8: BAD", "Abstract BAD about fine-tuning.", "Eve BAD")
    if isinstance(document, str):
        document = document.encode()
    body = document.replace(b"BAD", b"\xff\xfe \xc3\x28 \xa0\xa1 \xe2\x82 \xf0\x28\x8c\xbc \xed\xa0\x80")
    try:
        papers = read(web, tmp_path, clock, body)
    except SourceError as exc:
        one_line_error(exc)
        return
    assert len(papers) == 1
    assert_clean(papers[0])
    assert papers[0].title.startswith("Case invalid-utf8:")


# ---- attacks on the HTTP client, through the sources that use it ----

def forever():
    piece = b"<item><title>again</title></item>" * 2000
    while True:
        yield piece


NETWORK_SOURCES = {
    "arxiv-api": lambda web, client: ArxivSource(ArxivOptions(url=web.url("/x")), client),
    "arxiv-rss": lambda web, client: ArxivRssSource(ArxivRssOptions(url=web.url("/x/"), categories=("cs.CL",)), client),
    "feed": lambda web, client: FeedSource(FeedOptions(url=web.url("/x")), client),
    "hf-daily": lambda web, client: HfDailySource(HfDailyOptions(url=web.url("/x"), days=1), client),
}


def route_all(web, reply: Reply) -> None:
    web.routes["/x"] = web.routes["/x/cs.CL"] = reply


@pytest.mark.parametrize("kind", NETWORK_SOURCES)
def test_a_response_that_never_ends_is_cut_off_at_the_size_cap(web, clock, kind):
    route_all(web, Reply(200, headers={"Content-Type": "application/xml"}, stream=forever))
    client = http(clock, max_bytes=2_000_000)
    with pytest.raises(SourceError) as caught:
        NETWORK_SOURCES[kind](web, client).fetch(DAY)
    cap = "5 MB" if kind == "feed" else "2 MB"  # a feed has its own, smaller cap
    assert one_line_error(caught.value).endswith(f": response larger than {cap}; stopped reading")
    assert client.requests == 1  # not retried: it would only stream again


def stall_after(first: bytes, web):
    def stream():
        yield first
        web.closing.wait(60)  # until the test ends
    return stream


@pytest.mark.parametrize("kind", NETWORK_SOURCES)
@pytest.mark.parametrize("how", ["nothing-at-all", "headers-then-nothing", "half-a-body", "error-status-then-nothing"])
def test_a_stalled_server_times_out_within_the_timeout(web, clock, kind, how):
    route_all(web, {
        "nothing-at-all": Reply(200, b"<rss/>", delay=60),
        "headers-then-nothing": Reply(200, headers={"Content-Length": "5000"}, stream=stall_after(b"", web)),
        "half-a-body": Reply(200, headers={"Content-Length": "5000"}, stream=stall_after(b"<rss version=", web)),
        "error-status-then-nothing": Reply(503, headers={"Content-Length": "5000"}, stream=stall_after(b"", web)),
    }[how])
    start = time.monotonic()
    with pytest.raises(SourceError) as caught:
        NETWORK_SOURCES[kind](web, http(clock, timeout=0.2, retries=1)).fetch(DAY)
    elapsed = time.monotonic() - start
    message = one_line_error(caught.value)
    if how == "error-status-then-nothing":  # the status came; its error page never did
        assert message.endswith(": HTTP 503 (gave up after 2 attempts)")
    else:
        assert message.endswith(": no answer within 0.2 s (gave up after 2 attempts)")
    assert elapsed < 2 * 0.2 + 5  # two attempts of 0.2 s, against a stall of 60 s


def test_a_server_that_accepts_and_never_answers_times_out(clock):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel accepts connections; nobody ever reads or answers them
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
        start = time.monotonic()
        with pytest.raises(SourceError) as caught:
            FeedSource(FeedOptions(url=url), http(clock, timeout=0.2, retries=0)).fetch(DAY)
        assert one_line_error(caught.value).endswith(": no answer within 0.2 s (gave up after 1 attempt)")
        assert time.monotonic() - start < 5
    finally:
        listener.close()


def test_a_trickling_server_is_given_up_at_the_deadline(web, clock):
    """A byte every 20 ms never trips the timeout between bytes; the whole answer has a deadline."""
    def trickle():
        while True:
            time.sleep(0.02)
            yield b" "

    web.routes["/x"] = Reply(200, headers={"Content-Type": "application/xml"}, stream=trickle)
    client = http(clock, timeout=0.5, deadline=1.0)
    with pytest.raises(SourceError) as caught:
        FeedSource(FeedOptions(url=web.url("/x")), client).fetch(DAY)
    assert one_line_error(caught.value).endswith(": still sending after 1 s; gave up")


def test_a_gzip_bomb_is_not_unpacked_past_the_cap(web, clock):
    """100 MB of zeros in 100 KB: unpacked whole, it would take 100 MB of memory (and a 10 GB
    bomb, 10 GB); it is unpacked only up to the size cap."""
    bomb = gzip.compress(b"\0" * 100_000_000, compresslevel=9)
    assert len(bomb) < 200_000
    web.routes["/x"] = Reply(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(SourceError) as caught:
            NETWORK_SOURCES["hf-daily"](web, http(clock, max_bytes=2_000_000)).fetch(DAY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert one_line_error(caught.value).endswith(": response larger than 2 MB unpacked; stopped unpacking")
    assert peak < 20_000_000


def test_gzip_that_is_truncated_or_corrupt_is_one_line(web, clock):
    whole = gzip.compress(json.dumps([]).encode() * 50)
    for body, problem in ((whole[:-12], "it ends before the end of the stream"), (b"\x1f\x8b" + b"junk" * 10, "bad gzip data")):
        web.routes["/x"] = Reply(200, body, {"Content-Encoding": "gzip"})
        with pytest.raises(SourceError, match=problem) as caught:
            NETWORK_SOURCES["hf-daily"](web, http(clock)).fetch(DAY)
        one_line_error(caught.value)
    two_members = gzip.compress(b"[") + gzip.compress(b"]")  # gzip -c a b: still one body
    web.routes["/x"] = Reply(200, two_members, {"Content-Encoding": "gzip"})
    assert NETWORK_SOURCES["hf-daily"](web, http(clock)).fetch(DAY) == []


def test_a_body_cut_short_is_noticed_and_retried(web, clock):
    cut = Reply(200, headers={"Content-Length": "5000"}, stream=lambda: iter([b"<rss version='2.0'>"]))
    whole = served(rss_document("Whole", "An abstract.", "Eve"))
    web.routes["/x"] = [cut, Reply(200, whole)]
    papers = NETWORK_SOURCES["feed"](web, http(clock)).fetch(DAY)
    assert [p.title for p in papers] == ["Whole"] and len(web.requests) == 2


# ---- hostile links ----

@pytest.mark.parametrize("link", ["javascript:window.pwned=1", " JaVaScRiPt:alert(1)", "data:text/html,x",
                                  "vbscript:x", "file:///etc/passwd", "http://[::1", "https://ok.example/a b"])
def test_feed_links_that_are_not_web_addresses_are_dropped(web, clock, link):
    web.routes["/feed.xml"] = Reply(200, served(rss_document("A post", "About fine-tuning.", "Eve", link=link)))
    assert FeedSource(FeedOptions(url=web.url("/feed.xml")), http(clock)).fetch(DAY) == []


def test_feed_links_relative_to_the_feed_become_absolute(web, clock):
    web.routes["/blog/feed.xml"] = Reply(200, served(rss_document("A post", "About fine-tuning.", "Eve", link="../posts/1")))
    (paper,) = FeedSource(FeedOptions(url=web.url("/blog/feed.xml")), http(clock)).fetch(DAY)
    assert paper.url == web.url("/posts/1")


@pytest.mark.parametrize("url", ["javascript:window.pwned=1", "file:///etc/passwd", "https://ok.example/a\nb"])
def test_a_papers_file_with_a_non_web_url_is_one_line(tmp_path, url):
    path = tmp_path / "papers.json"
    path.write_text(json.dumps([{"id": "2611.00001", "title": "T", "summary": "S", "url": url}]), encoding="utf-8")
    with pytest.raises(SourceError, match=r"papers.json: paper 1: url must be an http or https address$"):
        FileSource(FileOptions(path=path)).fetch(DAY)


# ---- a whole episode of hostile papers ----

SHOW_TITLE = 'AI <script>window.pwned=10</script> "早报" ]]> & \u202e\x01 🤖'
SHOW_TITLE_IN_XML = SHOW_TITLE.replace("\x01", "")  # XML cannot carry \x01 at all; HTML can


def hostile_papers(sample_papers: list[Paper]) -> list[dict]:
    """Four papers with real abstracts (so that none is a near-duplicate of another), carrying
    every hostile string between them, two each in titles, authors and abstracts; one with the
    1 MB abstract, one with an id that is itself an attack."""
    strings = [case["text"] for case in CASES if case["name"] != "one-megabyte-abstract"]
    assert len(strings) == 24
    papers = []
    for index, sample in enumerate(sample_papers[:4]):
        mine = strings[index * 6 : index * 6 + 6]
        papers.append({
            "id": f"2611.0{9100 + index}", "title": f"Case {index}: {mine[0]} {mine[1]} {sample.title}",
            "summary": f"{sample.summary} {mine[2]} {mine[3]}", "authors": [f"Eve {mine[4]}", f"{mine[5]} Mallory"],
            "url": f"https://arxiv.org/abs/2611.0{9100 + index}",
        })
    papers[0]["summary"] += " " + MEGABYTE
    papers[3]["id"] = 'web:"><script>window.pwned=11</script>'
    papers[3]["url"] = "https://blog.example.com/posts/7?a=1&b=<2>"
    return papers


@pytest.mark.slow
def test_an_episode_of_hostile_papers_publishes_a_clean_feed_pages_and_captions(
        web, tmp_path, sample_papers, caplog):
    import logging

    import feedparser
    import podcastparser

    from podcast.config import load_config
    from podcast.pipeline import run_episode

    from .conftest import SATURDAY_MORNING

    (tmp_path / "hostile.json").write_text(json.dumps(hostile_papers(sample_papers)), encoding="utf-8")
    cases = {case["name"]: case["text"] for case in CASES}
    web.routes["/blog.xml"] = Reply(200, served(rss_document(
        f"Blog {cases['attribute-breakout']} {cases['emoji']}", f"{cases['script-tag']} Distilling reasoning into small models.",
        cases["rtl-override"], link="https://blog.example.com/posts/hostile")))
    web.routes["/hf"] = Reply(200, hf_document(f"HF {cases['lone-surrogates']} {cases['c0-controls']}",
                                               "Retrieval for annual reports.", cases["zalgo"]))
    web.routes["/endless.xml"] = Reply(200, stream=forever)
    web.routes["/stalled"] = Reply(200, b"", delay=60)
    (tmp_path / "podcast.toml").write_text(f"""
[show]
title = {json.dumps(SHOW_TITLE, ensure_ascii=False)}
author = {json.dumps("Eve " + cases["attribute-breakout"], ensure_ascii=False)}
description = {json.dumps(cases["single-quote-breakout"] + " " + cases["cdata-end"], ensure_ascii=False)}
max_papers = 6
target_minutes = 7

[listener]
project = "fine-tuning and distilling language models for tax questions"

[selection]
min_score = 0  # every hostile paper is told, whatever it is about

[[sources]]
type = "file"
path = "hostile.json"

[[sources]]
type = "feed"
url = "{web.url('/blog.xml')}"
name = "Blog <b>feed</b>"

[[sources]]
type = "hf-daily"
url = "{web.url('/hf')}"
days = 1

[[sources]]
type = "feed"
url = "{web.url('/endless.xml')}"
name = "Endless feed"

[[sources]]
type = "arxiv"
url = "{web.url('/stalled')}"
categories = ["cs.CL"]

[network]
timeout = 0.5
retries = 0

[fulltext]
enabled = false

[tts]
engine = "espeak"
""", encoding="utf-8")
    config = load_config(tmp_path / "podcast.toml", tmp_path)
    with caplog.at_level(logging.INFO, logger="podcast"):
        episode = run_episode(config, now=SATURDAY_MORNING).episode

    # the failing sources were each named in one line, and the run went on with the others (in
    # whichever order they failed: the sources are read at the same time)
    failures = sorted(r.getMessage() for r in caplog.records if "going on without it" in r.getMessage())
    assert failures == [
        f"Endless feed failed, going on without it: {web.url('/endless.xml')}: response larger than 5 MB; stopped reading",
        f"arXiv API (cs.CL) failed, going on without it: {web.url('/stalled')}?search_query=cat%3Acs.CL&start=0"
        "&max_results=100&sortBy=submittedDate&sortOrder=descending: no answer within 0.5 s (gave up after 1 attempt)",
    ]
    assert len(episode.papers) == 6  # 4 from the file, the blog post, the Hugging Face paper
    folder = tmp_path / "feed"

    # (a) the feed: well-formed for a strict reader, and the hostile text arrives as text
    feed_bytes = (folder / "feed.xml").read_bytes()
    parsed = feedparser.parse(io.BytesIO(feed_bytes))
    assert not parsed.bozo, parsed.get("bozo_exception")
    show = podcastparser.parse(config.publish.base_url + "feed.xml", io.BytesIO(feed_bytes))
    assert show["title"] == parsed.feed.title == SHOW_TITLE_IN_XML
    (item,) = show["episodes"]
    assert item["title"].startswith(SHOW_TITLE_IN_XML)
    notes = html_text(item["description_html"])
    for paper in episode.papers:
        assert paper.title in notes  # every hostile title, as the text of the show notes
    import xml.etree.ElementTree as ET

    from podcast.publish.feed import CONTENT

    element = ET.fromstring(feed_bytes).find("channel/item")
    for markup in (element.findtext("description"), element.findtext(f"{{{CONTENT}}}encoded")):
        # the show notes' own markup, and nothing else
        tags = html_tags(markup)
        assert {tag for tag, _ in tags} <= {"p", "ol", "ul", "li", "a", "br"}, tags
        assert all(name == "href" and re.fullmatch(r"https://\S+", value) for _, attrs in tags for name, value in attrs)
    assert len(item["description"].encode()) < 4000 and MEGABYTE[:200] not in feed_bytes.decode()

    # (b) the pages: nothing runs but the page's own script, nothing is broken
    browse_without_incident(folder, episode)

    # (c) the transcript, captions and chapters: no control characters that break them
    stem = episode.audio_name.removesuffix(".mp3")
    broken = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
    for suffix in (".txt", ".vtt", ".srt", ".transcript.html"):
        text = (folder / f"{stem}{suffix}").read_text(encoding="utf-8")
        text = text.replace(SHOW_TITLE, "").replace(html.escape(SHOW_TITLE), "")  # the operator's own
        assert not broken.search(text), suffix
        assert "<script" not in text.lower() and "<img" not in text.lower(), suffix
    for suffix, stamp in ((".vtt", r"\d\d:\d\d:\d\d\.\d{3}"), (".srt", r"\d\d:\d\d:\d\d,\d{3}")):
        blocks = (folder / f"{stem}{suffix}").read_text(encoding="utf-8").rstrip("\n").split("\n\n")
        if suffix == ".vtt":
            assert blocks.pop(0) == "WEBVTT"
        assert len(blocks) > 20
        for number, block in enumerate(blocks, start=1):
            lines = block.split("\n")
            assert len(lines) == 3 and lines[0] == str(number), block
            assert re.fullmatch(f"{stamp} --> {stamp}", lines[1]), block
            assert lines[2].strip() and "-->" not in lines[2], block
    chapters = json.loads((folder / f"{stem}.chapters.json").read_text(encoding="utf-8"))["chapters"]
    assert len(chapters) == 8  # greeting, six papers, closing
    assert not any(broken.search(chapter["title"]) for chapter in chapters)


def html_text(markup: str) -> str:
    """The text of an HTML fragment, as a browser shows it (entities resolved, tags gone)."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Text()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def html_tags(markup: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every start tag of an HTML fragment, with its attributes."""
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.found: list[tuple[str, list[tuple[str, str]]]] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:
            self.found.append((tag, attrs))

    parser = Tags()
    parser.feed(markup)
    parser.close()
    return parser.found


def browse_without_incident(folder: Path, episode) -> None:
    """Both pages in headless Chromium: no dialog, no injected script run (it would set
    window.pwned), no console error (a CSP violation would be one), the titles shown as text."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from .test_page import FLAGS, Console

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        try:
            for name in ("index.html", episode.page_name):
                page = browser.new_page()
                dialogs: list[str] = []
                page.on("dialog", lambda dialog, seen=dialogs: (seen.append(dialog.message), dialog.dismiss()))
                console = Console(page)
                page.goto((folder / name).as_uri())
                page.wait_for_load_state("load")
                assert page.evaluate("typeof window.pwned") == "undefined", name
                assert dialogs == [] and console.errors == [], (name, dialogs, console.errors)
                assert page.inner_text("h1") == SHOW_TITLE
                shown = page.text_content("main")  # the show notes are folded away on the show page
                for paper in episode.papers:
                    assert " ".join(paper.title.split()) in " ".join(shown.split()), (name, paper.title[:80])
                assert page.evaluate("document.querySelectorAll('script').length") == 1  # the page's own
                assert page.evaluate("document.querySelectorAll('img[onerror], svg[onload], [onerror], [onload]').length") == 0
                page.close()
        finally:
            browser.close()
