"""The team's library as references for ranking: the papers it keeps in Zotero (its database
on this machine, or a library on zotero.org), in a BibTeX, RIS or CSL-JSON export, or in a plain
list of arXiv ids. :func:`load_library` is the one entry point; ``[listener] library`` names the
libraries (:func:`shelf` reads each)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...http import HttpClient
from ...i18n import counted
from ...models import Reference
from ...schema import check, http_url
from ...sources.arxiv import ARXIV_API
from .bibtex import read_bibtex
from .common import Shelf
from .files import read_csl_json, read_ris
from .ids import read_ids
from .zotero import ZOTERO_API, read_database, read_web

log = logging.getLogger(__name__)

ZOTERO_KEY_ENV = "ZOTERO_API_KEY"
_ZOTERO_WEB = re.compile(r"zotero:(user|group)/(\d+)", re.IGNORECASE)

#: each form of library: what the log calls it, and the file endings that name it
FORMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "zotero": ("the Zotero library", (".sqlite",)),
    "zotero-web": ("the Zotero web library", ()),
    "bibtex": ("the BibTeX file", (".bib", ".bibtex")),
    "ris": ("the RIS file", (".ris",)),
    "csl-json": ("the CSL-JSON file", (".json",)),
    "ids": ("the list of arXiv ids", (".txt", ".text", ".list", "")),
}
ACCEPTED = ("a Zotero database (zotero.sqlite), zotero:user/<id> or zotero:group/<id> (the "
            "Zotero web API), a .bib, .ris or CSL-JSON .json export, or a .txt list of arXiv "
            "ids or links")


@dataclass(frozen=True)
class LibraryConfig:
    """``[listener] library`` and the keys that say how to reach what it names."""

    zotero_api: str = field(default=ZOTERO_API, metadata=check(http_url))
    #: the environment variable holding the Zotero API key (a public library needs none)
    zotero_key_env: str = ZOTERO_KEY_ENV
    arxiv_api: str = field(default=ARXIV_API, metadata=check(http_url))  # looks up listed ids
    shelves: tuple[Shelf, ...] = field(default=(), metadata={"internal": True})
    #: read no service: the copies kept of web libraries and of looked-up ids stand in
    offline: bool = field(default=False, metadata={"internal": True})


def shelf(given: str, base_dir: Path) -> Shelf:
    """One entry of ``[listener] library``: a file (relative to ``base_dir``, ``~`` expanded),
    which must exist, or ``zotero:user/<id>``, ``zotero:group/<id>``; raises ValueError saying
    what is wrong."""
    text = given.strip()
    web = _ZOTERO_WEB.fullmatch(text)
    if web:
        return Shelf("zotero-web", f"{web[1].lower()}/{web[2]}", text)
    if re.match(r"[a-z][a-z0-9+.-]+:", text, re.IGNORECASE):  # a scheme (C:\ is a drive)
        raise ValueError(f"not a library podcast can read; give {ACCEPTED}")
    path = (base_dir / Path(text).expanduser()).resolve()
    ending = path.suffix.lower()
    form = next((name for name, (_, endings) in FORMS.items() if ending in endings), None)
    if form is None:
        raise ValueError(f"not a library podcast can read ({ending} file); give {ACCEPTED}")
    if not path.exists():
        raise ValueError(f"no such file: {path}")
    if not path.is_file():
        raise ValueError(f"not a file: {path}")
    return Shelf(form, str(path), text)


@dataclass(frozen=True)
class _Access:
    config: LibraryConfig
    http: HttpClient
    state_dir: Path
    env: Mapping[str, str]


def _zotero_web(shelf: Shelf, access: _Access) -> list[Reference]:
    config = access.config
    key = access.env.get(config.zotero_key_env) if config.zotero_key_env else None
    copy = access.state_dir / "library" / f"zotero-{shelf.where.replace('/', '-')}.json"
    return read_web(shelf, access.http, config.zotero_api, key or None, config.zotero_key_env,
                    copy, config.offline)


def _ids(shelf: Shelf, access: _Access) -> list[Reference]:
    return read_ids(shelf, access.http, access.config.arxiv_api,
                    access.state_dir / "library" / "arxiv-ids.json", access.config.offline)


_READERS: dict[str, Callable[[Shelf, _Access], list[Reference]]] = {
    "zotero": lambda shelf, access: read_database(shelf),
    "zotero-web": _zotero_web,
    "bibtex": lambda shelf, access: read_bibtex(shelf),
    "ris": lambda shelf, access: read_ris(shelf),
    "csl-json": lambda shelf, access: read_csl_json(shelf),
    "ids": _ids,
}


def load_library(config: LibraryConfig, http: HttpClient, state_dir: Path,
                 env: Mapping[str, str]) -> list[Reference]:
    """The papers in every library ``config`` names, each once (by id: the entry with the
    longer abstract, added when it was first added to any). Logs a line per library; raises
    SourceError for a library that cannot be read (a file, a key the Zotero API refuses), and
    warns when a web library stands in with the copy kept of it."""
    access = _Access(config, http, state_dir, env)
    found: list[Reference] = []
    for one in config.shelves:
        references = _READERS[one.form](one, access)
        newest = max((r.added for r in references if r.added), default=None)
        log.info("Read %s from %s %s%s.", counted(len(references), "paper"), FORMS[one.form][0],
                 one.where if one.form == "zotero-web" else one.given,
                 f" (newest added {newest})" if newest else "")
        found += references
    return merge(found)


def merge(references: Iterable[Reference]) -> list[Reference]:
    """One reference a paper: the one with the longer abstract, added on the earliest day any
    was added."""
    by_id: dict[str, Reference] = {}
    for reference in references:
        other = by_id.get(reference.paper.id)
        if other is None:
            by_id[reference.paper.id] = reference
            continue
        keep = reference if len(reference.paper.summary) > len(other.paper.summary) else other
        added = min((day for day in (reference.added, other.added) if day), default=None)
        by_id[reference.paper.id] = replace(keep, added=added)
    return list(by_id.values())


__all__ = ["ACCEPTED", "FORMS", "LibraryConfig", "Shelf", "load_library", "merge", "shelf"]
