"""A plain list of arXiv papers: one id or link (arXiv, Hugging Face, alphaXiv) a line, ``#``
comments and blank lines ignored, and after the id, optionally, the day it was added
(``2401.12345  2026-10-02``); without one, when it was added is not known. Titles and abstracts
are asked of the arXiv API once, and kept under the state folder for good: an id never changes
its paper."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...http import HttpClient
from ...models import Paper, Reference, arxiv_id
from ...sources.arxiv import papers_by_id
from .common import Shelf, day_of, load_json, read_text, reference, save_json

log = logging.getLogger(__name__)

_COMMENT = re.compile(r"(^|\s)#.*$")
SHOWN = 5  # ids or lines named in a warning, at most


def read_ids(shelf: Shelf, http: HttpClient, api: str, known_path: Path,
             offline: bool) -> list[Reference]:
    listed, unreadable = parse_ids(read_text(shelf))
    if unreadable:
        log.warning("%s: %s not an arXiv id or link (line %s); left out.", shelf.given,
                    "1 line is" if len(unreadable) == 1 else f"{len(unreadable)} lines are",
                    _some(map(str, unreadable)))
    known = _load_known(known_path)
    missing = [paper_id for paper_id in listed if paper_id not in known]
    if missing and offline:
        log.warning("%s: %s not looked up yet and the run is offline; left out for now.",
                    shelf.given, _ids(missing))
    elif missing:
        try:
            found = papers_by_id(http, missing, api)
        except SourceError as exc:
            log.warning("%s: could not look up %s on arXiv (%s); left out for now.", shelf.given,
                        _ids(missing), exc)
        else:
            known.update({paper.id: _stored(paper) for paper in found})
            save_json(known_path, known)
            unknown = [paper_id for paper_id in missing if paper_id not in known]
            if unknown:
                log.warning("%s: arXiv has no paper %s; left out.", shelf.given, _some(unknown))
    references = []
    for paper_id, added in listed.items():
        stored = known.get(paper_id)
        if isinstance(stored, dict):
            found_reference = reference(stored.get("title"), stored.get("summary"),
                                        stored.get("authors") or (), stored.get("url"), added,
                                        day_of(stored.get("published")), ids=(paper_id,))
            if found_reference:
                references.append(found_reference)
    return references


def parse_ids(text: str) -> tuple[dict[str, date | None], list[int]]:
    """The ids listed (each once, with the day it was added if the line gives one), and the
    numbers of the lines that name no arXiv paper."""
    listed: dict[str, date | None] = {}
    unreadable = []
    for number, line in enumerate(text.splitlines(), 1):
        words = _COMMENT.sub("", line).split()
        if not words:
            continue
        paper_id = arxiv_id(words[0])
        if not paper_id:
            unreadable.append(number)
            continue
        added = day_of(words[1]) if len(words) > 1 else None
        if paper_id not in listed or (added and not listed[paper_id]):
            listed[paper_id] = added
    return listed, unreadable


def _load_known(path: Path) -> dict[str, Any]:
    """The papers looked up before, by id (what is not one, left out)."""
    known = load_json(path)
    if not isinstance(known, dict):
        return {}
    return {paper_id: stored for paper_id, stored in known.items()
            if isinstance(stored, dict) and isinstance(stored.get("title"), str)
            and all(isinstance(stored.get(k) or "", str) for k in ("summary", "url", "published"))
            and all(isinstance(a, str) for a in stored.get("authors") or ())}


def _stored(paper: Paper) -> dict[str, Any]:
    return {"title": paper.title, "summary": paper.summary, "authors": list(paper.authors),
            "url": paper.url, "published": paper.published.isoformat() if paper.published else None}


def _ids(ids: list[str]) -> str:
    return f"the id {ids[0]}" if len(ids) == 1 else f"{len(ids)} ids ({_some(ids)})"


def _some(items: Any) -> str:
    items = list(items)
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more
