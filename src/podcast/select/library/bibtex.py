"""BibTeX (and BibLaTeX) files, read by a small forgiving parser: @string macros and ``#``
joins, @comment and @preamble skipped, LaTeX accents and escapes made plain text. An entry that
cannot be read is skipped, and counted in one warning."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from ...models import Reference
from ...sources.normalize import clean_text
from .common import Shelf, day_of, read_text, reference, year_of

log = logging.getLogger(__name__)

_START = re.compile(r"@\s*([A-Za-z][\w-]*)\s*([{(])")
_NAME = re.compile(r"[^\s\"#%'(),={}]+")
_KEY = re.compile(r"[^\s,{}()]*")
_NUMBER = re.compile(r"\d+")
_SPACE = re.compile(r"\s*")
_NEXT_ENTRY = re.compile(r"\n\s*@\s*[A-Za-z][\w-]*\s*[{(]")
_MONTHS = {name: str(number) for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}

# \"o, \"{o}, {\"o}, \'{\i}; \v{c}, \c c
_ACCENT_MARKS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303",
                 "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
                 "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331"}
_SYMBOL_ACCENT = re.compile(r"\\([\"'`^~=.])\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))")
_LETTER_ACCENT = re.compile(r"\\([uvHckrdb])(?:\s*\{\s*(\\?[A-Za-z])\s*\}|\s+([A-Za-z]))")
_LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
            "aa": "å", "AA": "Å", "l": "ł", "L": "Ł", "i": "\u0131", "j": "\u0237"}
_LETTER = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])(?:\s*\{\})?")
_HREF = re.compile(r"\\href\s*\{[^{}]*\}")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_COMMA = re.compile(r"\s*,\s*")

# where a date of adding is kept, by tool (JabRef, BibLaTeX, BibSonomy, Zotero, Mendeley), the
# day of a visit last
_ADDED = ("dateadded", "date-added", "added-at", "timestamp", "creationdate", "urldate")
_ID_FIELDS = ("arxivid", "arxiv", "doi", "url")
_VERBATIM = ("url", "doi", "eprint", "arxivid", "arxiv")
_NOTE_FIELDS = ("journal", "journaltitle", "note", "howpublished", "number", "eprint")


class _Broken(Exception):
    """An entry that cannot be read."""


@dataclass(frozen=True)
class Entry:
    kind: str  # article, misc, ... in lower case
    key: str
    fields: dict[str, str]  # by name in lower case, values as written (LaTeX and all)
    line: int


def read_bibtex(shelf: Shelf) -> list[Reference]:
    entries, broken = parse_bibtex(read_text(shelf))
    references, untitled = [], 0
    for entry in entries:
        found = _reference(entry)
        if found:
            references.append(found)
        else:
            untitled += 1
    skipped = [f"{_entries(len(broken))} that cannot be read (line {', '.join(map(str, broken))})"
               if broken else "", f"{_entries(untitled)} without a title" if untitled else ""]
    if broken or untitled:
        log.warning("%s: skipped %s.", shelf.given, " and ".join(filter(None, skipped)))
    return references


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def _reference(entry: Entry) -> Reference | None:
    # links and ids as written (a ~ in a URL is no tie), without grouping braces
    fields = {name: value.replace("{", "").replace("}", "").strip() if name in _VERBATIM
              else latex_text(value) for name, value in entry.fields.items()}
    prefix = fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv"
    eprint = fields.get("eprint") if prefix.lower() == "arxiv" else None
    added = next((day for name in _ADDED if (day := day_of(entry.fields.get(name)))), None)
    published = year_of(fields.get("date")) or year_of(
        " ".join(filter(None, (fields.get("year"), fields.get("month")))) or None)
    return reference(fields.get("title"), fields.get("abstract"),
                     authors(entry.fields.get("author", "")), fields.get("url"), added, published,
                     ids=(eprint, *(fields.get(name) for name in _ID_FIELDS)),
                     notes=[fields.get(name) for name in _NOTE_FIELDS])


def authors(value: str) -> list[str]:
    """The names of a BibTeX author list ("Last, First and First Last and others"), each as
    "First Last"."""
    names = []
    for name in _split_top(value, _AND):
        parts = [latex_text(part) for part in _split_top(name, _COMMA)]
        if len(parts) == 1 and parts[0].lower() == "others":
            continue
        if len(parts) > 1:  # Last, First  or  Last, Jr, First
            parts = [parts[-1], parts[0], *parts[1:-1]]
        names.append(" ".join(part for part in parts if part))
    return [name for name in names if name]


def _split_top(text: str, separator: re.Pattern[str]) -> list[str]:
    """``text`` split at ``separator`` outside braces."""
    pieces, start, depth, at = [], 0, 0, 0
    while at < len(text):
        char = text[at]
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif depth == 0 and (match := separator.match(text, at)) and match.end() > at:
            pieces.append(text[start:at])
            start = at = match.end()
            continue
        at += 1
    pieces.append(text[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


def latex_text(value: str) -> str:
    """A BibTeX value as plain text: accents composed ({\\"o} → ö), special letters (\\ss → ß),
    dashes, ties and quotes; what is left (commands, escapes, math, braces) as the sources clean
    it, with the braces that only group."""
    if "\\" in value:
        value = _HREF.sub("", value)
        value = _SYMBOL_ACCENT.sub(_accented, value)
        value = _LETTER_ACCENT.sub(_accented, value)
        value = _LETTER.sub(lambda m: _LETTERS[m[1]], value)
        value = value.replace("\\\\", " ")
    value = re.sub(r"(?<!\\)~", " ", value)
    value = value.replace("``", "“").replace("''", "”")
    # what is left as the sources clean it (dashes too); braces that only group ({LoRA}) go too
    text = clean_text(unicodedata.normalize("NFC", value))
    return text.replace("{", "").replace("}", "")


def _accented(match: re.Match[str]) -> str:
    letter = match[2] or match[3]
    letter = {"\\i": "i", "\\j": "j"}.get(letter, letter.lstrip("\\"))
    return letter + _ACCENT_MARKS[match[1]]


# -- the parser ----------------------------------------------------------------------------------


def parse_bibtex(text: str) -> tuple[list[Entry], list[int]]:
    """The entries of a BibTeX file, and the lines of those that cannot be read. Text between
    entries is a comment, as in BibTeX itself."""
    entries: list[Entry] = []
    broken: list[int] = []
    macros = dict(_MONTHS)
    at = 0
    while (at := text.find("@", at)) >= 0:
        start = _START.match(text, at)
        if not start:
            at += 1
            continue
        kind, closer = start[1].lower(), ")" if start[2] == "(" else "}"
        if kind == "comment":
            end = _braced_end(text, start.end() - 1) if start[2] == "{" else -1
            at = end if end > 0 else start.end()
            continue
        reader = _Reader(text, start.end(), macros)
        try:
            entry = reader.entry(kind, closer)
        except _Broken:
            broken.append(text.count("\n", 0, at) + 1)
            at = start.end()
            continue
        at = reader.at
        if entry:
            entries.append(Entry(kind, entry[0], entry[1], text.count("\n", 0, start.start()) + 1))
    return entries, broken


def _braced_end(text: str, at: int) -> int:
    """Where the braces opened at ``at`` close (just after), or -1."""
    depth = 0
    for index in range(at, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return -1


class _Reader:
    """One entry, from just after its opening brace."""

    def __init__(self, text: str, at: int, macros: dict[str, str]) -> None:
        self.text, self.at, self.macros = text, at, macros

    def entry(self, kind: str, closer: str) -> tuple[str, dict[str, str]] | None:
        """(key, fields) of an entry; None for @string and @preamble (a macro is kept)."""
        if kind == "preamble":
            self.value()
            self.close(closer)
            return None
        if kind == "string":
            name = self.name()
            self.expect("=")
            self.macros[name] = self.value()
            self.close(closer)
            return None
        self.skip()
        key = _KEY.match(self.text, self.at)
        assert key is not None  # it matches the empty string
        self.at = key.end()
        fields: dict[str, str] = {}
        while True:
            self.skip()
            if self.peek() == closer:
                self.at += 1
                return key[0], fields
            self.expect(",")
            self.skip()
            if self.peek() == closer:  # a comma after the last field
                continue
            name = self.name()
            self.expect("=")
            fields.setdefault(name, self.value())

    def value(self) -> str:
        """A field's value: braced, quoted, a number or a macro, joined by #."""
        parts = []
        while True:
            self.skip()
            char = self.peek()
            if char == "{":
                parts.append(self.delimited("}"))
            elif char == '"':
                parts.append(self.delimited('"'))
            elif number := _NUMBER.match(self.text, self.at):
                parts.append(number[0])
                self.at = number.end()
            else:
                parts.append(self.macros.get(self.name(), ""))
            self.skip()
            if self.peek() != "#":
                return "".join(parts)
            self.at += 1

    def delimited(self, closer: str) -> str:
        """The text from here to its ``closer`` (braces inside balanced, \\{ and \\"
        escaped); an entry that runs on into the next one is broken."""
        depth, start, index = 0, self.at + 1, self.at + 1
        while index < len(self.text):
            char = self.text[index]
            if char == "\\":
                index += 2
                continue
            if char == "\n" and _NEXT_ENTRY.match(self.text, index):
                break
            if char == closer and depth == 0:
                self.at = index + 1
                return self.text[start:index]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth < 0:
                    break
            index += 1
        raise _Broken

    def name(self) -> str:
        self.skip()
        found = _NAME.match(self.text, self.at)
        if not found:
            raise _Broken
        self.at = found.end()
        return found[0].lower()

    def expect(self, char: str) -> None:
        self.skip()
        if self.peek() != char:
            raise _Broken
        self.at += 1

    def close(self, closer: str) -> None:
        self.skip()
        if self.peek() == ",":
            self.at += 1
            self.skip()
        self.expect(closer)

    def peek(self) -> str:
        if self.at >= len(self.text):
            raise _Broken
        return self.text[self.at]

    def skip(self) -> None:
        found = _SPACE.match(self.text, self.at)
        self.at = found.end() if found else self.at

