"""``feed``: any RSS or Atom feed (a lab blog, a newsletter) read with feedparser."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..models import Paper, abs_url, arxiv_id
from ..schema import between, check, http_url
from .base import SOURCES, Source, parse_feed
from .normalize import clean_name, clean_text, link_id, web_address

MAX_FEED_BYTES = 5_000_000


@dataclass(frozen=True)
class FeedOptions:
    url: str = field(metadata=check(http_url))
    name: str = ""  # how logs and show notes call it; default: the feed's own title
    max_items: int = field(default=50, metadata=between(1, 500))


@SOURCES.register("feed")
class FeedSource(Source):
    Options = FeedOptions

    def describe(self) -> str:
        return self.options.name or self.options.url

    def fetch(self, day: date) -> list[Paper]:
        url = self.options.url
        feed = parse_feed(self.http.get(url, max_bytes=MAX_FEED_BYTES), url)
        name = self.options.name or clean_text(feed.feed.get("title")) or url
        return [p for entry in feed.entries[: self.options.max_items]
                if (p := _paper(entry, name, url))]


def _paper(entry: Any, name: str, feed_url: str) -> Paper | None:
    guid = str(entry.get("id") or "").strip()
    link = (entry.get("link") or guid).strip()
    found = arxiv_id(link) or arxiv_id(guid)  # a blog post may carry the paper's DOI as its id
    if not found:
        link = _web_link(link, feed_url)
    title = clean_text(entry.get("title"))
    if not link or not title:
        return None
    content = entry.get("content") or []
    body = max([entry.get("summary", "")] + [c.get("value", "") for c in content], key=len)
    paper_id = found or link_id(link)
    # (asked for an updated_parsed it lacks, feedparser gives published_parsed with a
    # DeprecationWarning)
    parsed = (entry.get("published_parsed")
              or (entry["updated_parsed"] if "updated_parsed" in entry else None))
    authors = [a.get("name", "") for a in entry.get("authors", [])] or [entry.get("author", "")]
    return Paper(
        id=paper_id,
        title=title,
        summary=clean_text(body),
        authors=tuple(clean_name(a) for a in authors if a),
        url=abs_url(paper_id) if found else link,
        published=_date(parsed),
        sources=(name,),
    )


def _web_link(link: str, feed_url: str) -> str:
    """``link`` as an absolute http(s) address; "" for anything else (javascript:, data:,
    file:, a tag: id, spaces or control characters, an address urllib cannot read)."""
    try:
        link = urljoin(feed_url, link) if link else ""
        urlsplit(link)
    except ValueError:  # "http://[::1" and the like
        return ""
    return link if web_address(link) else ""


def _date(parsed: Any) -> date | None:
    try:
        return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday) if parsed else None
    except ValueError:  # year 0: no calendar has it
        return None
