"""Zotero, two ways: its own database on this machine (zotero.sqlite), read from a copy while
Zotero keeps it open, and a library on zotero.org through the web API (v3)."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ...http import FetchError, HttpClient
from ...models import Reference
from .common import Shelf, copy_day, day_of, load_copy, reference, save_copy, year_of

log = logging.getLogger(__name__)

#: items that are not papers: files, notes, and highlights in files
SKIPPED_TYPES = ("attachment", "note", "annotation")
_FIELDS = ("title", "abstractNote", "DOI", "url", "extra", "archiveID", "date")
_TABLES = ("items", "itemTypes", "fields", "itemData", "itemDataValues", "creators",
           "itemCreators", "deletedItems")
COPY_ATTEMPTS = 3  # a database Zotero wrote to while it was being copied is copied again
COPY_PAUSE = 0.5  # seconds between those attempts

ZOTERO_API = "https://api.zotero.org"
PAGE = 100  # items a page of the web API (its most)
MAX_PAGES = 2000  # 200,000 items: a server that never stops answering full pages is stopped


# -- the database on this machine --------------------------------------------------------------


def read_database(shelf: Shelf) -> list[Reference]:
    """The papers in a Zotero database, read from a copy of it: Zotero keeps its database open
    (with an exclusive lock, a write-ahead log or a journal) while it runs, and the user's file
    is never opened, let alone written. The copy is taken with its -wal and -journal files, so
    SQLite finishes or undoes in the copy what Zotero was in the middle of writing; a file that
    changed while it was being copied is copied again."""
    source = Path(shelf.where)
    with tempfile.TemporaryDirectory(prefix="podcast-zotero-") as work:
        for attempt in range(1, COPY_ATTEMPTS + 1):
            copy, steady = _copy(shelf, source, Path(work))
            if steady:
                return _read_copy(shelf, copy)
            if attempt < COPY_ATTEMPTS:
                log.info("%s changed while it was being copied; copying it again.", shelf.given)
                time.sleep(COPY_PAUSE)
    raise shelf.problem(f"the database kept changing while it was being copied "
                        f"({COPY_ATTEMPTS} times); Zotero is busy writing to it, try again later")


def _copy(shelf: Shelf, source: Path, work: Path) -> tuple[Path, bool]:
    """``source`` and its -wal and -journal files copied into ``work``; whether none of them
    changed meanwhile."""
    copy = work / "zotero.sqlite"
    for leftover in work.iterdir():
        leftover.unlink()
    names = [source, *(source.with_name(source.name + end) for end in ("-wal", "-journal"))]
    before = [_stamp(path) for path in names]
    try:
        shutil.copyfile(source, copy)
    except OSError as exc:
        raise shelf.problem(f"cannot read the database: {exc.strerror or exc}") from None
    for path in names[1:]:
        try:
            shutil.copyfile(path, copy.with_name(copy.name + path.name[len(source.name):]))
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise shelf.problem(f"cannot read {path.name}: {exc.strerror or exc}") from None
    return copy, before == [_stamp(path) for path in names]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def _read_copy(shelf: Shelf, copy: Path) -> list[Reference]:
    try:
        # our own copy: opened for writing only so SQLite may roll back a half-written
        # transaction or take in the write-ahead log; the queries themselves cannot write
        db = sqlite3.connect(copy, timeout=1)
    except sqlite3.Error as exc:
        raise shelf.problem(f"cannot open the copy of the Zotero database: {exc}") from None
    try:
        db.execute("PRAGMA query_only = ON")
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        absent = [table for table in _TABLES if table not in tables]
        if absent:
            raise shelf.problem(f"not a Zotero database (no table {', '.join(absent)})")
        return _items(db, "feedItems" in tables)
    except sqlite3.DatabaseError as exc:
        raise shelf.problem(f"cannot read the Zotero database: {exc}") from None
    finally:
        db.close()


def _items(db: sqlite3.Connection, has_feeds: bool) -> list[Reference]:
    feeds = "AND i.itemID NOT IN (SELECT itemID FROM feedItems)" if has_feeds else ""
    marks = ", ".join("?" * len(SKIPPED_TYPES))
    items = db.execute(
        "SELECT i.itemID, i.dateAdded FROM items i JOIN itemTypes t ON t.itemTypeID = i.itemTypeID "
        f"WHERE t.typeName NOT IN ({marks}) "
        f"AND i.itemID NOT IN (SELECT itemID FROM deletedItems) {feeds} ORDER BY i.itemID",
        SKIPPED_TYPES).fetchall()
    values: dict[int, dict[str, str]] = defaultdict(dict)
    marks = ", ".join("?" * len(_FIELDS))
    for item, name, value in db.execute(
            "SELECT d.itemID, f.fieldName, v.value FROM itemData d "
            "JOIN fields f ON f.fieldID = d.fieldID JOIN itemDataValues v ON v.valueID = d.valueID "
            f"WHERE f.fieldName IN ({marks})", _FIELDS):
        values[item][name] = str(value)
    authors: dict[int, list[str]] = defaultdict(list)
    for item, first, last in db.execute(
            "SELECT c.itemID, r.firstName, r.lastName FROM itemCreators c "
            "JOIN creators r ON r.creatorID = c.creatorID ORDER BY c.itemID, c.orderIndex"):
        authors[item].append(" ".join(part for part in (first, last) if part))
    references = []
    for item, added in items:
        fields = values.get(item, {})
        found = reference(fields.get("title"), fields.get("abstractNote"), authors.get(item, ()),
                          fields.get("url"), day_of(str(added or "")),
                          year_of(fields.get("date")),
                          ids=(fields.get("archiveID"), fields.get("DOI"), fields.get("url")),
                          notes=(fields.get("extra"),))
        if found:
            references.append(found)
    return references


# -- a library on zotero.org ---------------------------------------------------------------------


def read_web(shelf: Shelf, http: HttpClient, api: str, key: str | None, key_env: str,
             copy: Path, offline: bool) -> list[Reference]:
    """The papers in a zotero.org library (``user/<id>`` or ``group/<id>``), page by page,
    with the API key of ``$key_env`` when it is set (a public library needs none). The last
    answer is kept in ``copy``: when the API cannot be reached (or the run is offline), that
    copy stands in, with a warning. A key the API refuses, or a library it does not have, is an
    error: waiting will not mend it."""
    if offline:
        return _kept(shelf, copy, "the run is offline")
    kind, number = shelf.where.split("/", 1)
    url = f"{api.rstrip('/')}/{kind}s/{number}/items"
    headers = {"Zotero-API-Version": "3", **({"Zotero-API-Key": key} if key else {})}
    references: list[Reference] = []
    try:
        for page in range(MAX_PAGES):
            body = http.get(url, {"format": "json", "limit": PAGE, "start": page * PAGE},
                            headers=headers)
            items = _page(body)
            references += [r for item in items if (r := _web_reference(item))]
            if len(items) < PAGE:
                break
    except FetchError as exc:
        if exc.status in (401, 403):
            raise shelf.problem(
                f"the Zotero API refused the key in ${key_env} (HTTP {exc.status})" if key else
                f"the library is not public and ${key_env} holds no Zotero API key "
                f"(HTTP {exc.status})") from None
        if exc.status == 404:
            raise shelf.problem(f"the Zotero API has no such library (HTTP 404 at {url})") from None
        return _kept(shelf, copy, f"the Zotero API cannot be reached: {exc.message}")
    except ValueError as exc:
        return _kept(shelf, copy, f"the Zotero API answered something else than items ({exc})")
    save_copy(copy, references)
    return references


def _page(body: bytes) -> list[dict[str, Any]]:
    try:
        items = json.loads(body)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(items, list):
        raise ValueError("not a list")
    return [item for item in items if isinstance(item, dict)]


def _web_reference(item: dict[str, Any]) -> Reference | None:
    data = item.get("data")
    if not isinstance(data, dict) or data.get("itemType") in SKIPPED_TYPES or data.get("deleted"):
        return None
    text = {key: value if isinstance(value, str) else ""
            for key in (*_FIELDS, "dateAdded") for value in (data.get(key),)}
    authors = []
    for creator in data.get("creators") or ():
        if isinstance(creator, dict):
            parts = (creator.get("name"),) if creator.get("name") else (
                creator.get("firstName"), creator.get("lastName"))
            authors.append(" ".join(p for p in parts if isinstance(p, str) and p))
    return reference(text["title"], text["abstractNote"], authors, text["url"],
                     day_of(text["dateAdded"]), year_of(text["date"]),
                     ids=(text["archiveID"], text["DOI"], text["url"]), notes=(text["extra"],))


def _kept(shelf: Shelf, copy: Path, why: str) -> list[Reference]:
    kept = load_copy(copy)
    if kept is None:
        log.warning("%s; no copy of the Zotero library %s was kept yet, so it counts for "
                    "nothing today.", why, shelf.where)
        return []
    log.warning("%s; using the copy of the Zotero library %s kept on %s.", why, shelf.where,
                copy_day(copy))
    return kept
