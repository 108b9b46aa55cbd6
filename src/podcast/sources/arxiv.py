"""arXiv, two ways: ``arxiv`` (the export API: categories and keywords, newest first, paged)
and ``arxiv-rss`` (the daily announcement listings at rss.arxiv.org).

arXiv's terms: at most one request every 3 seconds, one connection at a time. Metadata is CC0;
PDFs are linked, never re-hosted.
"""

from __future__ import annotations

import io
import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from ..errors import SourceError
from ..http import FetchError, HttpClient
from ..models import Paper, abs_url, arxiv_id
from ..schema import between, check
from .base import SOURCES, Source, parse_feed
from .normalize import clean_name, clean_text

log = logging.getLogger(__name__)

DEFAULT_CATEGORIES = ("cs.CL", "cs.AI", "cs.LG")
ARXIV_API = "https://export.arxiv.org/api/query"
ARXIV_INTERVAL = 3.0
ID_BATCH = 100  # ids asked for in one id_list query
STALE_DAYS = 4  # a listing older than this (beyond a long weekend) is worth a warning
_ANNOUNCE_PREFIX = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(Abstract:\s*)?",
                              re.IGNORECASE)


def _at_least_3(value: float) -> None:
    if value < ARXIV_INTERVAL:
        raise ValueError("must be at least 3 seconds: arXiv allows one request every 3 seconds")


# archive.SUBJECT (cs.CL, math.OC, q-bio.NC, cond-mat.stat-mech) or an archive alone (hep-th)
CATEGORY = re.compile(r"[a-z]+(-[a-z]+)?(\.[A-Za-z]+(-[A-Za-z]+)*)?")


def _categories(value: tuple[str, ...]) -> None:
    """Names of the arXiv form; several in one listing joined with "+" (cs.AI+cs.CL)."""
    if not value:
        raise ValueError("must be a list of arXiv categories such as cs.CL")
    for name in (name for entry in value for name in entry.split("+")):
        if not CATEGORY.fullmatch(name):
            raise ValueError(f"must be arXiv categories such as cs.CL, math.OC, stat.ML, "
                             f"q-bio.NC or hep-th; {name!r} is not one")


def _names(categories: tuple[str, ...]) -> tuple[str, ...]:
    """Each category once, those joined with "+" apart."""
    return tuple(dict.fromkeys(name for entry in categories for name in entry.split("+")))


@dataclass(frozen=True)
class ArxivOptions:
    url: str = ARXIV_API
    categories: tuple[str, ...] = field(default=DEFAULT_CATEGORIES, metadata=check(_categories))
    #: arXiv query syntax, ANDed with the categories, e.g. 'abs:"fine-tuning" OR abs:distillation'
    query: str = ""
    max_results: int = field(default=300, metadata=between(1, 2000))
    page_size: int = field(default=100, metadata=between(1, 2000))
    interval: float = field(default=ARXIV_INTERVAL, metadata=check(_at_least_3))


@SOURCES.register("arxiv")
class ArxivSource(Source):
    Options = ArxivOptions

    def describe(self) -> str:
        return f"arXiv API ({'+'.join(_names(self.options.categories))})"

    def parts(self) -> list[Source]:
        """One query per category, sharing ``max_results``: a category arXiv does not know
        then costs only itself, and says so."""
        names = _names(self.options.categories)
        if len(names) < 2:
            return [self]
        share = math.ceil(self.options.max_results / len(names))
        return [ArxivSource(replace(self.options, categories=(name,), max_results=share),
                            self.http, self.fallback) for name in names]

    def search_query(self) -> str:
        query = " OR ".join(f"cat:{category}" for category in _names(self.options.categories))
        if self.options.query:
            query = f"({query}) AND ({self.options.query})"
        return query

    def fetch(self, day: date) -> list[Paper]:
        papers: list[Paper] = []
        start = 0
        while start < self.options.max_results:
            size = min(self.options.page_size, self.options.max_results - start)
            feed, total = self._page(start, size)
            if not feed.entries and (start < total or self._unheard_of(start, total)):
                # The API sometimes answers an empty page that looks valid: ask once more.
                log.info("arXiv answered an empty page at %d of %d; asking again.", start, total)
                feed, total = self._page(start, size, fresh=True)
            if not feed.entries and self._unheard_of(start, total):
                raise SourceError(f"arXiv has no paper at all in "
                                  f"{' or '.join(_names(self.options.categories))}; "
                                  "is the category name right?")
            papers += [paper for entry in feed.entries if (paper := _api_paper(entry)).title]
            if len(feed.entries) < size:
                break
            start += len(feed.entries)
        return papers

    def _unheard_of(self, start: int, total: int) -> bool:
        """No paper at all in the categories, which only a category arXiv does not have can
        answer (with a query, no match is an answer)."""
        return start == 0 and total == 0 and not self.options.query

    def _page(self, start: int, size: int, fresh: bool = False) -> tuple[Any, int]:
        params: dict[str, str | int] = {
            "search_query": self.search_query(),
            "start": start,
            "max_results": size,
            "sortBy": "submittedDate",
            "sortOrder": "descending",
        }
        try:
            body = self.http.get(self.options.url, params, min_interval=self.options.interval,
                                 fresh=fresh)
        except FetchError as exc:
            message = _api_error(exc)
            if message:
                raise SourceError(message) from None
            raise  # as it is: whether arXiv could be reached at all counts
        feed = parse_feed(body, self.options.url)
        error = _error_entry(feed)
        if error:
            raise SourceError(f"{self.options.url}: arXiv says: {error}")
        total = _int(feed.feed.get("opensearch_totalresults"), 0)
        return feed, total


def papers_by_id(http: HttpClient, ids: Sequence[str], url: str = ARXIV_API,
                 interval: float = ARXIV_INTERVAL) -> list[Paper]:
    """The papers arXiv has for ``ids`` (bare ids), asked :data:`ID_BATCH` at a time with the
    API's id_list query; an id arXiv does not know is left out. Raises SourceError (FetchError
    when arXiv cannot be reached)."""
    papers: list[Paper] = []
    for start in range(0, len(ids), ID_BATCH):
        batch = ids[start : start + ID_BATCH]
        params: dict[str, str | int] = {"id_list": ",".join(batch), "max_results": len(batch)}
        try:
            body = http.get(url, params, min_interval=interval)
        except FetchError as exc:
            message = _api_error(exc)
            if message:
                raise SourceError(message) from None
            raise
        feed = parse_feed(body, url)
        error = _error_entry(feed)
        if error:
            raise SourceError(f"{url}: arXiv says: {error}")
        papers += [paper for entry in feed.entries if (paper := _api_paper(entry)).title]
    return papers


@dataclass(frozen=True)
class ArxivRssOptions:
    url: str = "https://rss.arxiv.org/rss/"
    categories: tuple[str, ...] = field(default=DEFAULT_CATEGORIES, metadata=check(_categories))
    include_cross: bool = False  # papers from other categories cross-listed into these


@SOURCES.register("arxiv-rss")
class ArxivRssSource(Source):
    """Each category's listing on its own (one can be stale while others are fresh)."""

    Options = ArxivRssOptions
    KEEP = frozenset({"new"})

    def describe(self) -> str:
        return f"arXiv listings ({'+'.join(self.options.categories)})"

    def parts(self) -> list[Source]:
        """Each listing asked for (a category, or several joined with "+") on its own."""
        if len(self.options.categories) < 2:
            return [self]
        return [self._with((entry,)) for entry in self.options.categories]

    def split(self) -> list[Source]:
        """A listing of several categories (cs.AI+cs.CL), which arXiv refuses whole for one bad
        name, asked again category by category."""
        names = _names(self.options.categories)
        return [self._with((name,)) for name in names] if len(names) > 1 else []

    def _with(self, categories: tuple[str, ...]) -> ArxivRssSource:
        return ArxivRssSource(replace(self.options, categories=categories), self.http,
                              self.fallback)

    def fetch(self, day: date) -> list[Paper]:
        keep = self.KEEP | ({"cross"} if self.options.include_cross else set())
        papers: list[Paper] = []
        for category in self.options.categories:
            url = self.options.url.rstrip("/") + "/" + category
            feed = parse_feed(self.http.get(url, min_interval=ARXIV_INTERVAL), url)
            title = feed.feed.get("title", "")
            if "feed error for query" in title.lower():
                raise SourceError(f"{url}: arXiv has no listing for {category!r} ({_shown(title)})")
            kinds: dict[str, int] = {}
            for entry in feed.entries:
                kind = entry.get("arxiv_announce_type", "new").strip().lower()
                kinds[kind] = kinds.get(kind, 0) + 1
                # no title, nothing to say
                if kind in keep and (paper := _rss_paper(entry, url)).title:
                    papers.append(paper)
            built = _date(feed.feed.get("updated_parsed") or feed.feed.get("published_parsed"))
            if built and (day - built).days > STALE_DAYS:
                log.warning("The %s listing was last built on %s; it looks stale.", category, built)
            if not feed.entries:
                log.info("The %s listing is empty (weekend, holiday or not yet announced).",
                         category)
            else:
                log.debug("%s listing: %s.", category,
                          ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
        return papers


def _error_entry(feed: Any) -> str | None:
    for entry in feed.entries:
        if entry.get("title", "").strip() == "Error" and "api/errors" in entry.get("id", ""):
            return clean_text(entry.get("summary", "")) or "unknown error"
    return None


def _api_error(exc: FetchError) -> str | None:
    """arXiv explains a 400 in an Atom feed with one entry titled Error."""
    if exc.status == 400 and exc.body:
        import feedparser

        # as a file object: bytes could name a local file
        message = _error_entry(feedparser.parse(io.BytesIO(exc.body)))
        if message:
            return f"{exc.url}: arXiv says: {message}"
    return None


def _api_paper(entry: Any) -> Paper:
    paper_id = arxiv_id(entry.get("id", "")) or arxiv_id(entry.get("link", ""))
    if not paper_id:
        raise SourceError(f"arXiv entry without an arXiv id: {_shown(entry.get('id'))}")
    return Paper(
        id=paper_id,
        title=clean_text(entry.get("title")),
        summary=clean_text(entry.get("summary")),
        authors=tuple(clean_name(a.get("name", "")) for a in entry.get("authors", [])
                      if a.get("name")),
        url=abs_url(paper_id),
        published=_date(entry.get("published_parsed")),
        categories=_categories_of(entry),
        sources=("arxiv",),
    )


def _rss_paper(entry: Any, url: str) -> Paper:
    paper_id = arxiv_id(entry.get("id", "")) or arxiv_id(entry.get("link", ""))
    if not paper_id:
        raise SourceError(f"{url}: item without an arXiv id: {_shown(entry.get('title'))}")
    summary = _ANNOUNCE_PREFIX.sub("", entry.get("summary", ""))
    authors = re.split(r",\s*|\s+and\s+", entry.get("author", ""))
    return Paper(
        id=paper_id,
        title=clean_text(entry.get("title")),
        summary=clean_text(summary),
        authors=tuple(clean_name(a) for a in authors if a.strip()),
        url=abs_url(paper_id),
        published=_date(entry.get("published_parsed")),
        categories=_categories_of(entry),
        sources=("arxiv-rss",),
    )


def _categories_of(entry: Any) -> tuple[str, ...]:
    seen: list[str] = []
    primary = entry.get("arxiv_primary_category", {}).get("term")
    for term in [primary, *(tag.get("term") for tag in entry.get("tags", []))]:
        term = clean_name(term) if isinstance(term, str) else ""
        if term and term not in seen:
            seen.append(term)
    return tuple(seen)


def _shown(text: str | None) -> str:
    """A title or id from the feed, as an error message quotes it: one clean line, not too long."""
    text = clean_text(text)
    return (text[:100] + "…" if len(text) > 100 else text) or "?"


def _date(parsed: time.struct_time | None) -> date | None:
    """The day of a date feedparser read; None for none, or one no calendar has (year 0)."""
    try:
        return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday) if parsed else None
    except ValueError:
        return None


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
