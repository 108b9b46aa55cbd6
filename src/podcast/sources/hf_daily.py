"""``hf-daily``: Hugging Face Daily Papers, the papers the community picked, with upvotes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..errors import SourceError
from ..models import Paper, abs_url, arxiv_id
from ..schema import between
from .base import SOURCES, Source
from .normalize import clean_name, clean_text


@dataclass(frozen=True)
class HfDailyOptions:
    url: str = "https://huggingface.co/api/daily_papers"
    #: How many daily lists to read, ending with the episode's day. Beijing mornings come
    #: before the day's list fills up in US hours, so the default also reads the day before.
    days: int = field(default=2, metadata=between(1, 7))
    min_upvotes: int = 0


@SOURCES.register("hf-daily")
class HfDailySource(Source):
    Options = HfDailyOptions

    def describe(self) -> str:
        return "Hugging Face Daily Papers"

    def fetch(self, day: date) -> list[Paper]:
        papers: list[Paper] = []
        for back in range(self.options.days):
            listed = (day - timedelta(days=back)).isoformat()
            body = self.http.get(self.options.url, {"date": listed})
            papers += [p for p in self._papers(body, listed)
                       if (p.upvotes or 0) >= self.options.min_upvotes]
        return papers

    def _papers(self, body: bytes, listed: str) -> list[Paper]:
        where = f"{self.options.url}?date={listed}"
        try:
            items = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"{where}: not JSON: {exc}") from None
        except RecursionError:
            raise SourceError(f"{where}: not JSON we can read: nested too deeply") from None
        if not isinstance(items, list):
            raise SourceError(f"{where}: expected a JSON list of papers")
        return [paper for item in items if (paper := _paper(item))]


def _paper(item: Any) -> Paper | None:
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        return None
    data = item["paper"]
    paper_id = arxiv_id(str(data.get("id", "")))
    title = clean_text(_text(data, "title") or _text(item, "title"))
    if not paper_id or not title:
        return None
    published = str(data.get("publishedAt") or item.get("publishedAt") or "")[:10]
    upvotes = data.get("upvotes")
    authors = data.get("authors")
    return Paper(
        id=paper_id,
        title=title,
        summary=clean_text(_text(data, "summary") or _text(item, "summary")),
        authors=tuple(
            clean_name(a["name"]) for a in (authors if isinstance(authors, list) else [])
            if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"]
            and not a.get("hidden")
        ),
        url=abs_url(paper_id),
        published=_iso_date(published),
        sources=("hf-daily",),
        upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) else None,
    )


def _text(data: dict, key: str) -> str:
    """A string field; anything else (a number, a list, null) counts as missing."""
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
