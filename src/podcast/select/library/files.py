"""RIS and CSL-JSON files, as reference managers (Zotero, Mendeley, EndNote, JabRef) export
them."""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from typing import Any

from ...models import Reference
from .common import Shelf, day_of, read_text, reference, year_of

log = logging.getLogger(__name__)

# "TY  - JOUR": a two-character tag, two spaces (one, in some exports), a dash
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  ?-(?: (.*))?$")
_RIS_NAME = re.compile(r"\s*,\s*")


def read_ris(shelf: Shelf) -> list[Reference]:
    """TY starts a record and ``ER  -`` ends it; a line without a tag goes on the one before
    (a long abstract)."""
    records: list[dict[str, list[str]]] = []
    record: dict[str, list[str]] | None = None
    last = ""
    for line in read_text(shelf).splitlines():
        tagged = _RIS_LINE.match(line.rstrip())
        if tagged:
            tag, value = tagged[1], (tagged[2] or "").strip()
            if tag == "TY":
                record, last = {}, ""
                records.append(record)
            elif tag == "ER":
                record = None
            elif record is not None:
                record.setdefault(tag, []).append(value)
                last = tag
        elif record is not None and last and line.strip():
            record[last][-1] += " " + line.strip()
    references = [found for fields in records if (found := _ris_reference(fields))]
    _skipped(shelf, len(records) - len(references), "record")
    return references


def _ris_reference(fields: dict[str, list[str]]) -> Reference | None:
    def first(*tags: str) -> str:
        return next((value for tag in tags for value in fields.get(tag, ()) if value), "")

    names = [value for tag in ("AU", "A1") for value in fields.get(tag, ())]
    links = [value for tag in ("UR", "L1", "L2") for value in fields.get(tag, ())]
    return reference(first("TI", "T1"), first("AB", "N2"), [_ris_name(n) for n in names],
                     links[0] if links else "", day_of(first("Y2")),
                     year_of(first("DA", "PY", "Y1")),
                     ids=(first("DO"), *links),
                     notes=(first("AN"), first("M1"), first("N1"), first("JO", "T2")))


def _ris_name(name: str) -> str:
    """"Last, First" (RIS's form) as "First Last"."""
    parts = [part for part in _RIS_NAME.split(name.strip()) if part]
    return " ".join([parts[-1], *parts[:-1]]) if len(parts) > 1 else name


def read_csl_json(shelf: Shelf) -> list[Reference]:
    """A list of CSL items (title, abstract, DOI, URL, author, issued; accessed or date-added
    for when it was added)."""
    try:
        items = json.loads(read_text(shelf))
    except ValueError as exc:
        raise shelf.problem(f"not a JSON file: {exc}") from None
    if isinstance(items, dict):  # one item alone
        items = [items]
    if not isinstance(items, list):
        raise shelf.problem("not CSL-JSON: a list of items was expected")
    references = [found for item in items if (found := _csl_reference(item))]
    _skipped(shelf, len(items) - len(references), "item")
    return references


def _csl_reference(item: Any) -> Reference | None:
    if not isinstance(item, dict):
        return None

    def text(key: str) -> str:
        value = item.get(key)
        return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""

    names = []
    for author in item.get("author") or ():
        if isinstance(author, dict):
            parts = [author.get("literal")] if author.get("literal") else [
                author.get("given"), author.get("non-dropping-particle"), author.get("family")]
            names.append(" ".join(p for p in parts if isinstance(p, str) and p))
    added = _csl_date(item.get("date-added")) or _csl_date(item.get("accessed"))
    return reference(text("title"), text("abstract"), names, text("URL"), added,
                     _csl_date(item.get("issued")), ids=(text("DOI"), text("URL"), text("id")),
                     notes=(text("number"), text("note"), text("container-title")))


def _csl_date(value: Any) -> date | None:
    """A CSL date: {"date-parts": [[2024, 1, 15]]}, {"raw": "2024-01-15"}, or a string."""
    if isinstance(value, str):
        return day_of(value) or year_of(value)
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        numbers = [int(p) for p in parts[0][:3] if str(p).strip().isdigit()]
        if numbers:
            try:
                return date(*[*numbers, 1, 1][:3])
            except ValueError:
                return None
    raw = value.get("raw") or value.get("literal")
    return _csl_date(raw) if isinstance(raw, str) else None


def _skipped(shelf: Shelf, count: int, what: str) -> None:
    if count:
        log.warning("%s: skipped %d %s%s without a title.", shelf.given, count, what,
                    "" if count == 1 else "s")
