"""What every paper source is: a :class:`Source` registered in :data:`SOURCES`, with the keys
its ``[[sources]]`` table accepts as its ``Options``; and the feed reader the feed-based ones share.
"""

from __future__ import annotations

import codecs
import io
import re
import xml.sax
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import SourceError
from ..http import HttpClient
from ..models import Paper
from ..registry import Backend, BackendConfig, Registry


@dataclass(frozen=True)
class SourceConfig(BackendConfig):
    """One ``[[sources]]`` entry: its type and options, and whether it is read only when every
    other source failed."""

    fallback: bool = False


class Source(Backend, ABC):
    def __init__(self, options: Any, http: HttpClient | None = None,
                 fallback: bool = False) -> None:
        super().__init__(options)
        self.http = http or HttpClient()
        self.fallback = fallback

    @abstractmethod
    def fetch(self, day: date) -> list[Paper]:
        """Papers this source offers for ``day``; raises SourceError when it cannot tell."""

    def describe(self) -> str:
        return self.name

    def parts(self) -> list[Source]:
        """The pieces of this source read and reported each on its own (one per arXiv category),
        so that one failing costs only itself; by default the source is one piece."""
        return [self]

    def split(self) -> list[Source]:
        """Smaller sources that together ask what this one asks, read one by one when this one
        failed as a whole (several arXiv categories in one request); none by default."""
        return []


#: The sources that come with the program, each module imported when its source is asked for.
SOURCES: Registry[type[Source]] = Registry("source", {
    "arxiv": "podcast.sources.arxiv",
    "arxiv-rss": "podcast.sources.arxiv",
    "feed": "podcast.sources.feed",
    "file": "podcast.sources.file",
    "hf-daily": "podcast.sources.hf_daily",
})


def parse_feed(body: bytes, url: str) -> Any:
    """An RSS or Atom document read by feedparser; SourceError if it is not well-formed
    (feedparser reads broken XML half-way, which must not pass for a short day).

    The body goes in as a stream: given bytes, feedparser first tries them as a file name, and a
    server answering "/etc/passwd" or the path of a local feed would have it read that file."""
    import feedparser  # here: loading a config or a papers file needs no feed reader

    if _declares_entities(body):
        raise SourceError(f"{url}: the feed declares its own XML entities (<!ENTITY>), "
                          "which can expand to gigabytes; not read")
    if _HTML_PAGE.match(body[:4096]):  # a login, error or landing page answered with 200
        raise SourceError(f"{url}: not an RSS or Atom feed: it is an HTML page")
    try:
        feed = feedparser.parse(io.BytesIO(body))
    except Exception as exc:
        problem = " ".join(str(exc).split())
        raise SourceError(f"{url}: not a feed that can be read: {type(exc).__name__}: "
                          f"{problem}") from None
    problem = feed.get("bozo_exception")
    if feed.bozo and isinstance(problem, xml.sax.SAXException):
        message = problem.getMessage() if hasattr(problem, "getMessage") else str(problem)
        raise SourceError(f"{url}: not a well-formed feed: {message}")
    if feed.bozo and not feed.entries and not feed.feed.get("title"):
        raise SourceError(f"{url}: not an RSS or Atom feed: {problem}")
    if not feed.entries and not feed.feed.get("title") and not feed.get("version"):
        # well-formed, but neither RSS nor Atom, which feedparser reads as an empty feed
        what = ("it is an HTML page" if _HTML_ROOT.search(body[:4096])
                else "feedparser found no feed in it")
        raise SourceError(f"{url}: not an RSS or Atom feed: {what}")
    return feed


# The start of an HTML document: a doctype or an <html> element, after any byte order mark,
# XML declaration, comments and white space (XHTML pages have them).
_HTML_PAGE = re.compile(rb"(\xef\xbb\xbf)?\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*"
                        rb"<(!doctype\s+html|html)[\s>]", re.IGNORECASE | re.DOTALL)
_HTML_ROOT = re.compile(rb"<html[\s>]", re.IGNORECASE)


# How a document's first bytes tell its encoding (XML 1.0, appendix F), for the prolog alone.
_XML_STARTS = (
    (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF32_LE, "utf-32"), (b"\0\0\0<", "utf-32-be"),
    (b"<\0\0\0", "utf-32-le"), (codecs.BOM_UTF16_BE, "utf-16"), (codecs.BOM_UTF16_LE, "utf-16"),
    (b"\0<\0?", "utf-16-be"), (b"<\0?\0", "utf-16-le"), (b"Lo\xa7\x94", "cp037"),
)


def _declares_entities(body: bytes) -> bool:
    """Whether the document declares entities before its first element, as the "billion laughs"
    and "quadratic blowup" bombs do. Expat refuses the worst of them, but feedparser then reads
    the document again with its lenient parser, which expands the entities it kept, and unlimited:
    a 130 kB feed took 4 GB. Feeds have no need of their own entities (defusedxml refuses them
    too), so such a document is not read at all."""
    codec = next((name for start, name in _XML_STARTS if body.startswith(start)), "latin-1")
    # latin-1 reads every ASCII-compatible encoding (UTF-8, GB18030, Shift_JIS...) well enough to
    # see markup: none of them has "<" inside a multi-byte character
    head = body.decode(codec, "replace")
    first_element = re.search(r"<[A-Za-z0-9_]", head)  # where feedparser ends the prolog too
    return "<!ENTITY" in head[: first_element.start() if first_element else None]


