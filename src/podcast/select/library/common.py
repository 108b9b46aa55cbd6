"""What the library readers share: one :class:`Reference` from what an entry says, its arXiv id
found wherever a reference manager keeps it, dates however they are written, and the copies
kept under the state folder."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from ...errors import SourceError
from ...models import LIBRARY, Paper, Reference, abs_url, arxiv_id
from ...sources.normalize import clean_name, clean_text

log = logging.getLogger(__name__)

# "arXiv:2401.12345", "arXiv: 2401.12345v2 [cs.CL]", "arXiv preprint arXiv:2401.12345" in a
# free-text field (Zotero's extra, a BibTeX note or journal)
_ARXIV_MENTION = re.compile(r"arxiv[:\s.]*((?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?)",
                            re.IGNORECASE)
_ISO_DAY = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Shelf:
    """One library named in ``[listener] library``: its form (one of :data:`FORMS` in the
    package), where it is (a path, or ``user/<id>``, ``group/<id>`` for the Zotero web API),
    and how the config file wrote it, for messages."""

    form: str
    where: str
    given: str

    def problem(self, what: str) -> SourceError:
        """An error naming the setting and the library: one line for the user."""
        where = f" ({self.where})" if Path(self.where).is_absolute() else ""  # a file: where it is
        return SourceError(f"listener.library = {json.dumps(self.given, ensure_ascii=False)}"
                           f"{where}: {what}")


def reference(title: str | None, summary: str | None = "", authors: Iterable[str] = (),
              url: str | None = "", added: date | None = None, published: date | None = None,
              ids: Iterable[str | None] = (), notes: Iterable[str | None] = ()) -> Reference | None:
    """The reference an entry makes, or None without a title. Its id is the bare arXiv id that
    one of ``ids`` (an eprint, a DOI, a link) names or one of ``notes`` (free text) mentions,
    else ``lib:`` and a hash of its title's words."""
    title = clean_text(title)
    if not title:
        return None
    paper_id = find_arxiv_id(ids, notes) or title_key(title)
    url = (url or "").strip()
    if not url and not paper_id.startswith("lib:"):
        url = abs_url(paper_id)
    paper = Paper(id=paper_id, title=title, summary=clean_text(summary),
                  authors=tuple(name for name in (clean_name(a) for a in authors) if name),
                  url=url, published=published, sources=("library",))
    return Reference(paper, LIBRARY, added)


def find_arxiv_id(ids: Iterable[str | None], notes: Iterable[str | None] = ()) -> str | None:
    for text in ids:
        found = arxiv_id(text) if text else None
        if found:
            return found
    for text in notes:
        mention = _ARXIV_MENTION.search(text) if text else None
        if mention:
            return arxiv_id(mention.group(1))
    return None


def title_key(title: str) -> str:
    """A stable id for a paper without an arXiv id: its title's words, case and punctuation
    aside, hashed (one paper in two libraries is one id)."""
    words = " ".join(_WORDS.findall(title.casefold()))
    return "lib:" + hashlib.sha1(words.encode()).hexdigest()[:16]


def day_of(text: str | None) -> date | None:
    """The day a date names: ISO-like ("2024-01-15", "2024-01-15T10:23:45Z", "2024/01/15/",
    "2024-01-15 10:23:45"; Zotero's "2024-03-00 March 2024" as the 1st) or as in an e-mail
    ("Mon, 15 Jan 2024 10:23:45 +0000"); else None."""
    if not text:
        return None
    found = _ISO_DAY.search(text)
    if found:
        try:
            return date(int(found[1]), max(1, int(found[2])), max(1, int(found[3])))
        except ValueError:
            return None
    try:
        return parsedate_to_datetime(text.strip()).date()
    except (TypeError, ValueError, IndexError):
        return None


def year_of(text: str | None) -> date | None:
    """A publication date: the day when one is given, else the 1st of January of its year."""
    day = day_of(text)
    if day or not text:
        return day
    year = re.search(r"\b(1[89]\d\d|2\d\d\d)\b", text)
    return date(int(year[1]), 1, 1) if year else None


def read_text(shelf: Shelf) -> str:
    """A library file's text (UTF-8, with or without a byte-order mark, else Latin-1)."""
    try:
        data = Path(shelf.where).read_bytes()
    except OSError as exc:
        raise shelf.problem(f"cannot read the file: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# -- copies kept under the state folder ------------------------------------------------------


def save_copy(path: Path, references: Sequence[Reference]) -> None:
    """``references`` kept in ``path``, for a day their library cannot be reached."""
    save_json(path, [_to_dict(r) for r in references])


def load_copy(path: Path) -> list[Reference] | None:
    """The references kept in ``path``; None when there is no copy (or none that can be read)."""
    data = load_json(path)
    if not isinstance(data, list):
        return None
    try:
        return [_from_dict(item) for item in data]
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("The copy of the library in %s cannot be read (%s); ignoring it.", path, exc)
        return None


def copy_day(path: Path) -> date | None:
    """The day the copy in ``path`` was written."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime).date()
    except OSError:
        return None


def save_json(path: Path, data: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        part.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        part.replace(path)
    except OSError as exc:  # costs a lookup next time, nothing more
        log.warning("Could not keep a copy of the library in %s: %s", path, exc)


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("The copy in %s cannot be read (%s); ignoring it.", path, exc)
        return None


def _to_dict(ref: Reference) -> dict[str, Any]:
    paper = ref.paper
    return {"id": paper.id, "title": paper.title, "summary": paper.summary,
            "authors": list(paper.authors), "url": paper.url,
            "published": paper.published.isoformat() if paper.published else None,
            "kind": ref.kind, "added": ref.added.isoformat() if ref.added else None}


def _from_dict(item: dict[str, Any]) -> Reference:
    if not isinstance(item, dict) or not all(isinstance(item.get(k, ""), str)
                                             for k in ("id", "title", "summary", "url")):
        raise TypeError("not a reference")
    published, added = item.get("published"), item.get("added")
    paper = Paper(id=item["id"], title=item["title"], summary=item.get("summary", ""),
                  authors=tuple(str(a) for a in item.get("authors") or ()),
                  url=item.get("url", ""),
                  published=date.fromisoformat(published) if published else None,
                  sources=("library",))
    return Reference(paper, str(item.get("kind") or LIBRARY),
                     date.fromisoformat(added) if added else None)
