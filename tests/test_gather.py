"""Gathering: the sources read at the same time and reported in the configured order, a hung one
gone on without at the deadline (from [network] gather_deadline in a run), strict stopping at the
first failing source in that order."""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import date

import pytest

from podcast.config import load_config
from podcast.errors import SourceError
from podcast.http import HttpClient, HttpPolicy
from podcast.models import Paper
from podcast.pipeline import choose_papers
from podcast.sources import Source, gather
from podcast.sources.feed import FeedOptions, FeedSource
from podcast.sources.file import FileOptions, FileSource
from podcast.store import open_store

from .webserver import DATA, Reply, WebServer

DAY = date(2026, 11, 20)
HUNG = 600.0  # seconds a hung server keeps a request waiting (the end of the test cuts it short)


def rss(*ids: str) -> bytes:
    items = "".join(f"<item><title>Paper {i}</title><link>https://arxiv.org/abs/{i}</link>"
                    f"<description>What {i} found.</description></item>" for i in ids)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def feed(server: WebServer, name: str, reply: Reply) -> str:
    server.routes[f"/{name}.xml"] = reply
    return server.url(f"/{name}.xml")


class Scripted(Source):
    """A source that runs ``read`` when fetched: waits, fails, or finds papers."""

    name = "scripted"

    def __init__(self, label: str, read) -> None:
        super().__init__(None)
        self.label, self.read = label, read

    def describe(self) -> str:
        return self.label

    def fetch(self, day: date) -> list[Paper]:
        return self.read()


def finds(*ids: str) -> list[Paper]:
    return [Paper(id=i, title=f"Paper {i}", summary="S.") for i in ids]


# -- the deadline ---------------------------------------------------------------------------


def test_a_hung_source_is_gone_on_without_at_the_deadline(caplog):
    caplog.set_level(logging.INFO, logger="podcast")
    client = HttpClient(HttpPolicy(timeout=60, retries=3))  # alone, it would cost minutes
    with WebServer() as hung, WebServer() as healthy:
        sources = [
            FeedSource(FeedOptions(url=feed(hung, "late", Reply(200, rss("2611.00001"), delay=HUNG)),
                                   name="Late lab"), client),
            FeedSource(FeedOptions(url=feed(healthy, "blog", Reply.file(DATA / "sources" / "blog-rss.xml")),
                                   name="Blog"), client),
        ]
        start = time.monotonic()
        result = gather(sources, DAY, deadline=1.5)
        elapsed = time.monotonic() - start
        assert hung.paths() == ["/late.xml"]  # it was asked, and is still answering

    assert 1.4 < elapsed < 15  # the deadline, not the hung source's 60 s timeout (4 tries: minutes)
    deadline = "no answer within 1.5 s (the gathering deadline); going on without it"
    assert [(r.source, r.papers, r.error) for r in result.reports] == [("Late lab", 0, deadline), ("Blog", 5, None)]
    assert len(result.papers) == 5 and {p.sources for p in result.papers} == {("Blog",)}
    assert not result.all_failed and not result.used_fallback
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [f"Late lab: {deadline}."]
    assert re.fullmatch(r"Gathered 5 papers from 1 of 2 sources in \d+\.\d s\.", caplog.messages[-1])


def test_the_parts_a_hung_source_finished_are_kept(caplog):
    caplog.set_level(logging.INFO, logger="podcast")
    release = threading.Event()
    parts = [Scripted("cs.CL", lambda: finds("2611.00001")), Scripted("cs.AI", lambda: release.wait(30) and [])]
    source = Scripted("arXiv", lambda: [])
    source.parts = lambda: parts  # one source of two parts, read one after the other
    try:
        result = gather([source], DAY, deadline=0.5)
    finally:
        release.set()
    assert [(r.source, r.papers, bool(r.error)) for r in result.reports] == [("cs.CL", 1, False), ("cs.AI", 0, True)]
    assert [p.id for p in result.papers] == ["2611.00001"]
    assert result.reports[1].error.startswith("no answer within 0.5 s (the gathering deadline)")


def test_fallback_sources_are_read_when_every_source_hung():
    release = threading.Event()
    hung = Scripted("Hung", lambda: release.wait(30) and [])
    try:
        result = gather([hung, FileSource(FileOptions(), fallback=True)], DAY, deadline=0.3)
    finally:
        release.set()
    assert result.used_fallback and len(result.papers) == 8
    assert [(r.source, bool(r.error)) for r in result.reports] == [("Hung", True), ("the bundled sample papers", False)]


def test_the_deadline_must_be_positive():
    with pytest.raises(ValueError, match="must be positive"):
        gather([], DAY, deadline=0)


def test_the_deadline_comes_from_the_config(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="podcast")
    with WebServer() as hung, WebServer() as healthy:
        late = feed(hung, "late", Reply(200, rss("2611.00001"), delay=HUNG))
        blog = feed(healthy, "blog", Reply.file(DATA / "sources" / "blog-rss.xml"))
        (tmp_path / "podcast.toml").write_text(
            f'[network]\ntimeout = 60\ngather_deadline = 1\n[fulltext]\nenabled = false\n'
            f'[selection]\nmin_score = 0\n'
            f'[[sources]]\ntype = "feed"\nurl = "{late}"\nname = "Late lab"\n'
            f'[[sources]]\ntype = "feed"\nurl = "{blog}"\nname = "Blog"\n', encoding="utf-8")
        config = load_config(tmp_path / "podcast.toml", tmp_path)
        assert config.network.gather_deadline == 1.0
        start = time.monotonic()
        with open_store(config.state.dir) as store:
            choice = choose_papers(config, DAY, store, record=False)
        elapsed = time.monotonic() - start
    assert elapsed < 15
    assert [(r.source, r.error) for r in choice.reports] == [
        ("Late lab", "no answer within 1 s (the gathering deadline); going on without it"), ("Blog", None)]


# -- order, strictness ----------------------------------------------------------------------


def test_reports_and_papers_keep_the_configured_order_whatever_finishes_first():
    finished: list[str] = []
    turns = {name: threading.Event() for name in "ABC"}

    def reads(name: str, after: str | None, ids: tuple[str, ...]):
        def read() -> list[Paper]:
            if after:  # C finishes first, then B, then A: read one after another, A would wait forever
                assert turns[after].wait(10), f"{name} waited for {after} in vain: not read at the same time"
            finished.append(name)
            turns[name].set()
            return finds(*ids)
        return read

    sources = [Scripted("A", reads("A", "B", ("2611.00001", "2611.00002"))),
               Scripted("B", reads("B", "C", ("2611.00003",))),
               Scripted("C", reads("C", None, ("2611.00004", "2611.00001")))]
    result = gather(sources, DAY, deadline=30)
    assert finished == ["C", "B", "A"]
    assert [(r.source, r.papers) for r in result.reports] == [("A", 2), ("B", 1), ("C", 2)]
    assert [p.id for p in result.papers] == ["2611.00001", "2611.00002", "2611.00003", "2611.00004"]


def test_strict_fails_with_the_first_failing_source_in_the_configured_order():
    second_failed = threading.Event()

    def first() -> list[Paper]:
        second_failed.wait(10)  # fails after the one configured after it
        raise SourceError("https://a.example/feed: HTTP 500")

    def second() -> list[Paper]:
        second_failed.set()
        raise SourceError("https://b.example/feed: HTTP 404")

    sources = [Scripted("Fine", lambda: finds("2611.00001")), Scripted("First", first), Scripted("Second", second)]
    with pytest.raises(SourceError) as caught:
        gather(sources, DAY, strict=True, deadline=30)
    assert str(caught.value) == "First: https://a.example/feed: HTTP 500"
    # without strict: both reported, in order, and the fine one's papers kept
    second_failed.clear()
    result = gather(sources, DAY, deadline=30)
    assert [(r.source, bool(r.error)) for r in result.reports] == [("Fine", False), ("First", True), ("Second", True)]


def test_strict_fails_on_a_hung_source_at_the_deadline():
    release = threading.Event()
    sources = [Scripted("Fine", lambda: finds("2611.00001")), Scripted("Hung", lambda: release.wait(30) and [])]
    start = time.monotonic()
    try:
        with pytest.raises(SourceError) as caught:
            gather(sources, DAY, strict=True, deadline=0.3)
    finally:
        release.set()
    assert str(caught.value) == "Hung: no answer within 0.3 s (the gathering deadline)"
    assert time.monotonic() - start < 10


def test_a_bug_in_a_source_is_raised_not_swallowed():
    def broken() -> list[Paper]:
        raise KeyError("oops")

    with pytest.raises(KeyError, match="oops"):
        gather([Scripted("Broken", broken)], DAY, deadline=30)
