"""Property-based fuzzing (hypothesis) of everything that reads text from outside.

The sources run for real, over HTTP from a local server (or from a file): whatever bytes come
in, a source gives papers with clean text or raises SourceError with one line, never anything
else. Documents are random bytes, real recorded documents with random damage, and documents
built from random fields. The text cleaners (normalize.py, speakable.py) and the parser of a
model's answer are held to the properties the rest of the program relies on.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import fields
from datetime import date
from functools import partial
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podcast.errors import SourceError
from podcast.http import HttpClient, HttpPolicy
from podcast.llm import Incomplete, Question, Unusable, _checked
from podcast.models import Paper, arxiv_id
from podcast.sources.arxiv import ArxivOptions, ArxivRssOptions, ArxivRssSource, ArxivSource
from podcast.sources.feed import FeedOptions, FeedSource
from podcast.sources.file import FileOptions, FileSource
from podcast.sources.hf_daily import HfDailyOptions, HfDailySource
from podcast.sources.normalize import clean_name, clean_text, strip_unsafe
from podcast.write.llm import _parse, _text
from podcast.write.speakable import speakable

from .clock import FakeClock
from .webserver import DATA, Reply, WebServer

DAY = date(2026, 11, 20)
# Examples per property (the whole module takes about 20 s); FUZZ_SCALE=20 fuzzes 20 times longer.
SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
EXAMPLES = 150 * SCALE
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7}", re.IGNORECASE)


@pytest.fixture(scope="module")
def site():
    with WebServer() as server:
        yield server


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def client() -> HttpClient:
    return HttpClient(HttpPolicy(timeout=5, retries=0), clock=FakeClock())


def read(site, kind: str, body: bytes, folder=None) -> list[Paper]:
    """``body`` through the real source of ``kind``, served over HTTP (or as a file)."""
    reply = Reply(200, body, {"Content-Type": "application/octet-stream"})
    if kind == "arxiv":
        site.routes["/api/query"] = reply
        return ArxivSource(ArxivOptions(url=site.url("/api/query"), max_results=50, page_size=50), client()).fetch(DAY)
    if kind == "arxiv-rss":
        site.routes["/rss/cs.LG"] = reply
        return ArxivRssSource(ArxivRssOptions(url=site.url("/rss/"), categories=("cs.LG",), include_cross=True),
                              client()).fetch(DAY)
    if kind == "feed":
        site.routes["/feed.xml"] = reply
        return FeedSource(FeedOptions(url=site.url("/feed.xml")), client()).fetch(DAY)
    if kind == "hf-daily":
        site.routes["/api/daily_papers"] = reply
        return HfDailySource(HfDailyOptions(url=site.url("/api/daily_papers"), days=1), client()).fetch(DAY)
    path = folder / "papers.json"
    path.write_bytes(body)
    return FileSource(FileOptions(path=path)).fetch(DAY)


def papers_or_one_line(site, kind: str, body: bytes, folder=None) -> list[Paper]:
    """The property every source keeps: clean papers, or a SourceError of one line."""
    try:
        papers = read(site, kind, body, folder)
    except SourceError as exc:
        assert str(exc) and "\n" not in str(exc)
        return []
    for paper in papers:
        assert paper.id and paper.title, paper
        assert paper.url == "" or re.match(r"https?://[^\x00-\x20\x7f]+$", paper.url, re.IGNORECASE), paper.url
        for field in fields(paper):
            value = getattr(paper, field.name)
            for text in (value if isinstance(value, tuple) else (value,)):
                if isinstance(text, str):
                    assert not UNSAFE.search(text), (field.name, text)
                    text.encode("utf-8")
    return papers


# ---- documents: random bytes, damaged real ones, and ones built from random fields ----

def _cut_arxiv() -> bytes:
    recorded = (DATA / "arxiv-api" / "query-all-testing-start0-max100.200.xml").read_bytes()
    head, *entries = re.split(rb"(?=  <entry>)", recorded.split(b"</feed>")[0])
    return head + b"".join(entries[:3]) + b"</feed>\n"


REAL = {
    "arxiv": _cut_arxiv(),
    "arxiv-rss": (DATA / "sources" / "arxiv-rss-cs.LG.xml").read_bytes(),
    "feed": (DATA / "sources" / "blog-atom.xml").read_bytes(),
    "hf-daily": (DATA / "sources" / "hf-daily-2026-11-20.json").read_bytes(),
    "file": (DATA.parent.parent / "src" / "podcast" / "data" / "sample_papers.json").read_bytes(),
}
REAL["feed-rss"] = (DATA / "sources" / "blog-rss.xml").read_bytes()
KINDS = ["arxiv", "arxiv-rss", "feed", "hf-daily", "file"]

# bytes a damaged document gets: markup, quotes, entities, bad UTF-8, controls, deep nesting
SHARDS = st.one_of(
    st.binary(max_size=12),
    st.sampled_from([b"<", b">", b"</entry>", b"<entry>", b"]]>", b"<![CDATA[", b"&", b"&amp;", b"&#0;", b"&#xD800;",
                     b"&lol;", b'"', b"'", b"\x00", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"{", b"}", b"[", b"]",
                     b",", b":", b"null", b"1e999", b"[" * 3000, b"{\"a\":" * 1000, b"\\ud800", b"\\u0000",
                     b"<title>", b"</title>", b"<link>javascript:x</link>", b"0000-00-00T00:00:00Z",
                     b"<published>0000-01-01T00:00:00Z</published>", b"<!ENTITY x \"y\">", b"<!DOCTYPE x>"]),
)


@st.composite
def damaged(draw, original: bytes) -> bytes:
    """``original`` with a few random edits: inserted, deleted, replaced or repeated bytes."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "repeat"]))
        if op == "insert":
            data[at:at] = draw(SHARDS)
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 400))]
        elif op == "replace":
            data[at : at + draw(st.integers(1, 40))] = draw(SHARDS)
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 400))] * draw(st.integers(1, 3))
    return bytes(data)


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data())
def test_sources_survive_random_bytes_and_damaged_documents(site, folder, kind, data):
    body = data.draw(st.one_of(st.binary(max_size=4000), damaged(REAL[kind]),
                               damaged(REAL["feed-rss"]) if kind == "feed" else damaged(REAL[kind])))
    papers_or_one_line(site, kind, body, folder)


TEXT = st.text(max_size=60)
DATES = st.one_of(TEXT, st.sampled_from(["0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z",
                                         "Mon, 99 Foo 2026 25:61:61 +9999", "2026-11-19", "", "-1", "1e9"]))
LINKS = st.one_of(TEXT, st.sampled_from(["https://arxiv.org/abs/2611.04102v2", "http://arxiv.org/abs/cs/0102536v1",
                                         "javascript:alert(1)", "/relative/post", "//host.example/x", "http://[::1",
                                         "oai:arXiv.org:2611.04102v1", "https://blog.example.com/p?utm_source=x",
                                         "https://arxiv.org/pdf/2611.04102v1.pdf", "data:,x", "tag:x,2026:1"]))


def field_text(draw, strategy=TEXT) -> str:
    """Random text as an XML element's content: escaped, or raw (markup and all)."""
    text = draw(strategy)
    return escape(text) if draw(st.booleans()) else text


@st.composite
def built_xml(draw, kind: str) -> bytes:
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        title, summary, author = field_text(draw), field_text(draw), field_text(draw)
        link, when = field_text(draw, LINKS), field_text(draw, DATES)
        if kind == "arxiv":
            entries.append(f"<entry><id>{link}</id><title>{title}</title><summary>{summary}</summary>"
                           f"<author><name>{author}</name></author><published>{when}</published>"
                           f'<arxiv:primary_category term="{escape(draw(TEXT), {chr(34): "&quot;"})}"/></entry>')
        elif kind == "feed" and draw(st.booleans()):
            entries.append(f'<entry><id>{link}</id><title>{title}</title><link href="{escape(draw(LINKS), {chr(34): "&quot;"})}"/>'
                           f"<summary type=\"html\">{summary}</summary><author><name>{author}</name></author>"
                           f"<updated>{when}</updated></entry>")
        else:
            announce = field_text(draw, st.one_of(TEXT, st.sampled_from(["new", "cross", "replace", "NEW "])))
            entries.append(f"<item><title>{title}</title><link>{link}</link><description>{summary}</description>"
                           f"<dc:creator>{author}</dc:creator><pubDate>{when}</pubDate>"
                           f"<arxiv:announce_type>{announce}</arxiv:announce_type><guid>{field_text(draw, LINKS)}</guid></item>")
    body = "".join(entries)
    namespaces = ('xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
                  'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"')
    if kind == "arxiv" or (kind == "feed" and body.startswith("<entry")):
        total = field_text(draw, st.one_of(TEXT, st.integers(-5, 10**30).map(str)))
        document = (f'<feed xmlns="http://www.w3.org/2005/Atom" {namespaces}><title>{field_text(draw)}</title>'
                    f"<opensearch:totalResults>{total}</opensearch:totalResults>{body}</feed>")
    else:
        document = (f'<rss version="2.0" {namespaces}><channel><title>{field_text(draw)}</title>'
                    f"<lastBuildDate>{field_text(draw, DATES)}</lastBuildDate>{body}</channel></rss>")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{document}'.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("kind", ["arxiv", "arxiv-rss", "feed"])
@FUZZ
@given(data=st.data())
def test_feeds_built_from_random_fields_give_clean_papers_or_one_line(site, kind, data):
    papers_or_one_line(site, kind, data.draw(built_xml(kind)))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
IDS = st.one_of(JSON, st.sampled_from(["2611.03811", "2611.03811v2", "cs/0102536", "https://arxiv.org/abs/2611.00001",
                                       "web:x", "../../etc/passwd", "", " "]))


def maybe(strategy):
    """A field that is the expected kind of value, or anything at all, or missing."""
    return st.one_of(strategy, JSON)


HF_ITEM = st.one_of(JSON, st.fixed_dictionaries({"paper": st.one_of(JSON, st.fixed_dictionaries({}, optional={
    "id": IDS, "title": maybe(TEXT), "summary": maybe(TEXT), "upvotes": maybe(st.integers()),
    "publishedAt": maybe(DATES), "authors": maybe(st.lists(st.one_of(JSON, st.fixed_dictionaries(
        {"name": maybe(TEXT)}, optional={"hidden": JSON})), max_size=3)),
}))}, optional={"title": maybe(TEXT), "summary": maybe(TEXT), "publishedAt": maybe(DATES)}))
FILE_ITEM = st.one_of(JSON, st.fixed_dictionaries({}, optional={
    "id": IDS, "title": maybe(TEXT), "summary": maybe(TEXT), "summary_zh": maybe(TEXT), "title_zh": maybe(TEXT),
    "authors": maybe(st.one_of(TEXT, st.lists(TEXT, max_size=3))), "url": maybe(LINKS), "published": maybe(DATES),
    "categories": maybe(st.lists(TEXT, max_size=2)), "sources": maybe(st.lists(TEXT, max_size=2)),
    "source": maybe(TEXT), "upvotes": maybe(st.integers()),
}))


@pytest.mark.parametrize("kind", ["hf-daily", "file"])
@FUZZ
@given(data=st.data())
def test_json_built_from_random_values_gives_clean_papers_or_one_line(site, folder, kind, data):
    items = data.draw(st.one_of(JSON, st.lists(HF_ITEM if kind == "hf-daily" else FILE_ITEM, max_size=4)))
    papers_or_one_line(site, kind, json.dumps(items).encode(), folder)


# ---- the text cleaners ----

# Pieces of what sources and models send: markup of every kind around real words, and the
# characters that break things.
PIECES = st.sampled_from([
    "1. ", "2) ", "11. ", "- ", "* ", "# ", "> ", "**", "_", "`", "~", "|", "[", "]", "(", ")", "（", "）", "{", "}",
    "\\", "$", "<b>", "</b>", "<script>x</script>", "<", ">", "&", "&amp;", "&lt;", "&#0;", "/", "http://x.y/z",
    "www.", "https://", "\n", "\n\n", " ", "\t", "\r", "。", ".", "，", ",", "：", "笑", "(laughs)", "[music]", "Host:",
    "主持人：", "\\alpha", "\\textbf{", "$x$", "![a](b)", "[a](b)", "🤖", "\u200b", "\x01", "\x7f", "\x85", "\ud800",
    "\u2028", "\u202e", "\u3000", "\u00a0", "e\u0301", "Ã©", "â€™", "the model", "知识蒸馏", "LoRA", "93.2%",
])
MARKED_UP = st.one_of(st.text(max_size=120), st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=30).map("".join))
LANGUAGES = st.sampled_from(["zh-CN", "en-US"])
SPOKEN_DROPS = re.compile(r"[*_`~|^#<>\[\]{}\\$]")
SPOKEN_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"'，。；！？、）)]", re.IGNORECASE)  # "www.)" is none


@settings(max_examples=300 * SCALE, deadline=None, database=None)
@given(MARKED_UP, LANGUAGES)
def test_speakable_gives_clean_paragraphs_and_cleaning_twice_changes_nothing(text, language):
    spoken = speakable(text, language)
    assert speakable(spoken, language) == spoken
    assert unicodedata.is_normalized("NFC", spoken)
    assert not SPOKEN_DROPS.search(spoken) and not SPOKEN_URL.search(spoken)
    for character in spoken:
        assert character == "\n" or unicodedata.category(character) not in ("Cc", "Cs", "Co", "So"), repr(character)
        assert not UNSAFE.search(character)
    if spoken:
        for paragraph in spoken.split("\n\n"):
            assert paragraph and paragraph == paragraph.strip() and "\n" not in paragraph


@settings(max_examples=300 * SCALE, deadline=None, database=None)
@given(MARKED_UP)
def test_clean_text_gives_one_safe_normalised_line(text):
    for cleaned in (clean_text(text), clean_name(text)):
        assert not UNSAFE.search(cleaned)
        assert cleaned == " ".join(cleaned.split())  # one line, single spaces, no ends
        assert unicodedata.is_normalized("NFC", cleaned)
        cleaned.encode("utf-8")


PLAIN = st.text(st.characters(categories=["L", "N", "Zs", "Pd", "Po", "Ps", "Pe"],
                              exclude_characters="&<>\\$;{}ÃÂÅÆÐØâ"), max_size=120)


@settings(max_examples=200 * SCALE, deadline=None, database=None)
@given(PLAIN)
def test_clean_text_leaves_plain_text_as_it_is(text):
    assert clean_text(text) == unicodedata.normalize("NFC", " ".join(text.split()))


@settings(max_examples=200 * SCALE, deadline=None, database=None)
@given(st.text())
def test_strip_unsafe_replaces_exactly_the_unsafe_characters(text):
    stripped = strip_unsafe(text)
    assert len(stripped) == len(text) and not UNSAFE.search(stripped)
    assert all(a == b or (UNSAFE.match(a) and b == " ") for a, b in zip(text, stripped, strict=True))


NEW_ID = st.from_regex(r"\d{4}\.\d{4,5}", fullmatch=True)
OLD_ID = st.from_regex(r"[a-z][a-z-]{0,8}(\.[A-Z]{2})?/\d{7}", fullmatch=True)


@settings(max_examples=200 * SCALE, deadline=None, database=None)
@given(st.one_of(NEW_ID, OLD_ID), st.integers(1, 30), st.sampled_from([
    "{id}", "{id}v{v}", "http://arxiv.org/abs/{id}v{v}", "https://arxiv.org/pdf/{id}v{v}.pdf",
    "https://arxiv.org/html/{id}v{v}#S3", "oai:arXiv.org:{id}v{v}", "  https://arxiv.org/abs/{id}/  "]))
def test_every_form_of_an_arxiv_id_gives_the_bare_id(paper_id, version, form):
    assert arxiv_id(form.format(id=paper_id, v=version)) == paper_id


@settings(max_examples=200 * SCALE, deadline=None, database=None)
@given(st.one_of(st.text(), st.builds("https://arxiv.org/abs/{}".format, st.text())))
def test_arxiv_id_is_an_id_or_none(text):
    found = arxiv_id(text)
    assert found is None or ARXIV_ID.fullmatch(found)


# ---- a model's answer ----

ANSWER_FIELDS = st.fixed_dictionaries({}, optional={
    "title": maybe(MARKED_UP), "summary": maybe(MARKED_UP), "thoughts": maybe(MARKED_UP),
    "steps": maybe(st.lists(maybe(MARKED_UP), max_size=6)),
    "notes": maybe(st.fixed_dictionaries({}, optional={"one_line": maybe(MARKED_UP), "stars": maybe(st.integers()),
                                                        "results": maybe(MARKED_UP)})),
})


@settings(max_examples=200 * SCALE, deadline=None, database=None)
@given(st.one_of(st.text(max_size=300), ANSWER_FIELDS.map(json.dumps), st.sampled_from(["[" * 5000, "{\"a\":" * 5000])),
       st.sampled_from(["stop", "length", None]))
def test_a_model_answer_is_used_or_unusable(content, finish):
    paper = Paper("2611.00001", "Tax questions", "We answer tax questions with 3 models.")
    parse = partial(_parse, paper=paper, language="zh-CN", own=frozenset())
    try:
        answer = _checked(Question("Paper x", [], parse, "", ()), content, finish)
    except Incomplete as lacking:  # usable in part: the writer completes it
        assert str(lacking)
        answer = lacking.answer
    except Unusable as problem:
        assert str(problem)
        return
    text = _text(answer)
    for value in (text.title, text.summary, text.thoughts, *text.steps, text.notes.one_line, text.notes.results):
        assert not UNSAFE.search(value)
        value.encode("utf-8")
    assert text.notes.stars is None or 1 <= text.notes.stars <= 5
