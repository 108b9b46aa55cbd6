"""The text of a paper, by section kind: from arXiv's LaTeXML HTML, from a PDF, or from a plain
web page. What comes out is clean plain text (:func:`normalize.clean_text`), bounded in size;
what the text says is data, whatever it says.
"""

from __future__ import annotations

import codecs
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .normalize import clean_text

MAX_PARAGRAPH = 20_000  # characters kept of one paragraph (a page may be one endless <p>)
MAX_KIND = 60_000  # characters kept of one kind of section, far more than any digest holds
MAX_CAPTIONS = 40
MAX_PDF_PAGES = 30  # the body of a paper; appendices come later
MIN_PARAGRAPH = 20  # shorter is a label or a stray symbol
MATH_CHARS = 40  # inline math read out when its LaTeX is this short (86.4\%, \times); else dropped

# A section's title (lower case, no numbering) → its kind; the first match wins. None: a section
# not worth reading.
_KINDS: tuple[tuple[str | None, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern)) for kind, pattern in (
        (None, r"^abstract$|acknowledg|reference|bibliograph|appendi|supplementa|ethic|"
               r"impact statement|broader impact|reproducibility|contribution statement|"
               r"author contributions|funding|competing interest|declaration|availability"),
        ("limitations", r"limitation|threats to validity|failure (case|mode)|shortcoming|caveat"),
        ("results", r"experiment|evaluat|result|analys|ablation|benchmark|empirical|"
                    r"performance|comparison|case stud|finding|\bfound\b"),
        ("conclusion", r"conclu|discussion|summary|future (work|direction)|outlook|remarks"),
        ("introduction", r"introduc|background|motivation|overview"),
        (None, r"related work|prior work|literature"),
        ("method", r"method|approach|model|framework|architecture|algorithm|design|system|"
                   r"propos|formulation|preliminar|training|data|implementation|setup"),
    )
)
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVX]+\.|[IVX]+(?=\s))\s*")


def known_kind(title: str) -> tuple[bool, str | None]:
    """Whether ``title`` (numbering and all) names a kind of section, and which (None: one
    not worth reading, such as the references)."""
    title = _NUMBERING.sub("", title).lower()
    for kind, pattern in _KINDS:
        if pattern.search(title):
            return True, kind
    return False, None


def section_kind(title: str, seen: set[str]) -> str | None:
    """The kind of a paper's section called ``title``; one whose title says nothing takes its
    place in the usual order: method before any results, results before the conclusion, nothing
    after it."""
    known, kind = known_kind(title)
    if known:
        return kind
    if "results" not in seen:
        return "method"
    return "results" if "conclusion" not in seen else None


_SPACE_BEFORE = re.compile(r"\s+([.,;:!?)\]])")


def tidy(text: str) -> str:
    """Clean text without the spaces a dropped citation or formula leaves before punctuation,
    and without parentheses it left empty."""
    text = re.sub(r"\(\s*[;,]?\s*\)|\[\s*\]", "", text)
    return _SPACE_BEFORE.sub(r"\1", re.sub(r"([(\[])\s+", r"\1", text)).strip()


@dataclass
class PaperText:
    """Paragraphs by kind of section (kinds in the order they first appear), and captions
    (tables first)."""

    sections: dict[str, list[str]] = field(default_factory=dict)
    captions: list[str] = field(default_factory=list)

    def add(self, kind: str, text: str) -> None:
        paragraphs = self.sections.setdefault(kind, [])
        if sum(map(len, paragraphs)) < MAX_KIND:
            paragraphs.append(text)

    @property
    def chars(self) -> int:
        return sum(len(text) for texts in self.sections.values() for text in texts)


# -- HTML: arXiv's LaTeXML pages and plain web pages ---------------------------------------------


def decode_html(body: bytes) -> str:
    """A page's bytes as text, in the charset it declares (UTF-8 if none, or one unknown)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace")
    declared = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", body[:4096], re.I)
    try:
        return body.decode(declared.group(1).decode() if declared else "utf-8", "replace")
    except (LookupError, UnicodeError):  # an unknown codec, or one that is no text encoding
        return body.decode("utf-8", "replace")


def html_text(page: str, paper: bool) -> PaperText:
    """The text of an HTML page: a paper (LaTeXML: sections by their h2 titles, the front
    matter, abstract, bibliography, appendices and footnotes left out) or, not ``paper``, a web
    page (the paragraphs of its article or main element, "introduction" until a heading says
    otherwise)."""
    parser = _PageParser(paper)
    parser.feed(page)
    parser.close()
    return parser.result()


_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_SKIP_TAGS = frozenset("head script style noscript template svg nav header footer form aside "
                       "button select textarea iframe object canvas cite".split())
_SKIP_CLASSES = frozenset("ltx_bibliography ltx_appendix ltx_note ltx_ERROR ltx_abstract "
                          "ltx_acknowledgement ltx_acknowledgements ltx_authors ltx_dates "
                          "ltx_keywords ltx_classification ltx_TOC ltx_page_footer ltx_tabular "
                          "package-alerts".split())
_PARAGRAPHS = frozenset("p li blockquote dd".split())
_BLOCKS = frozenset("p div section article main h1 h2 h3 h4 h5 h6 ul ol dl table figure "
                    "blockquote pre header footer nav aside form".split())
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


@dataclass
class _Open:
    tag: str
    effect: str  # skip, math, caption, figure, title, para, main or ""
    table: bool = False  # a table, or a figure holding one


class _PageParser(HTMLParser):
    def __init__(self, paper: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.paper = paper
        self.stack: list[_Open] = []
        self.depth: Counter[str] = Counter()
        self.kind: str | None = None if paper else "introduction"
        self.seen: set[str] = set()
        self.buffer: list[str] = []
        self.size = 0
        self.title: list[str] = []
        self.caption: list[str] = []
        self.paragraphs: list[tuple[str, str, bool]] = []  # kind, text, inside article/main
        self.tables: list[str] = []
        self.figures: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS and self.stack and self.stack[-1].tag == "p":
            self._close(len(self.stack) - 1)  # a block ends an open <p>, as browsers do
        elif tag == "body":
            self.handle_endtag("head")  # a <head> never closed ends here
        if tag in _VOID:
            self.handle_data(" " if tag == "br" else "")
            return
        values = {name: value or "" for name, value in attrs}
        effect = self._effect(tag, values)
        if effect in ("para", "title", "caption"):
            self._flush()
        if effect == "math":
            self._math(values)
        table = tag == "table" or "ltx_table" in values.get("class", "").split()
        self.stack.append(_Open(tag, effect, table))
        self.depth[effect] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "math":  # <math alttext="..."/>: its alttext is all there is
            self._math({name: value or "" for name, value in attrs})
        elif tag == "br":
            self.handle_data(" ")

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                self._close(index)
                return

    def handle_data(self, data: str) -> None:
        if self.depth["skip"] or self.depth["math"]:
            return
        if self.depth["title"]:
            self.title.append(data)
        elif self.depth["caption"]:
            self.caption.append(data)
        elif self.depth["para"] and not self.depth["figure"]:
            self._keep(data)

    def _effect(self, tag: str, attrs: dict[str, str]) -> str:
        classes = set(attrs.get("class", "").split())
        hidden = ("hidden" in attrs or attrs.get("aria-hidden") == "true"
                  or _HIDDEN_STYLE.search(attrs.get("style", "")))
        if tag in _SKIP_TAGS or classes & _SKIP_CLASSES or hidden:
            return "skip"
        if tag == "math":
            return "math"
        if tag in ("figcaption", "caption"):
            return "caption"
        if tag in ("figure", "table"):
            return "figure"
        if tag == "h2" or (not self.paper and tag == "h3"):
            return "title"
        if tag in _PARAGRAPHS or "ltx_p" in classes:
            return "para"
        return "main" if tag in ("article", "main") else ""

    def _math(self, attrs: dict[str, str]) -> None:
        alttext = attrs.get("alttext", "")
        if self.depth["skip"] or attrs.get("display") == "block" or len(alttext) > MATH_CHARS:
            return
        self.handle_data(clean_text(alttext))  # \times, 86.4\%: read as ×, 86.4%

    def _close(self, index: int) -> None:
        while len(self.stack) > index:
            closed = self.stack.pop()
            self.depth[closed.effect] -= 1
            if closed.effect == "para":
                self._flush()
            elif closed.effect == "title":
                self._end_title()
            elif closed.effect == "caption":
                self._end_caption()

    def _keep(self, data: str) -> None:
        if self.size < MAX_PARAGRAPH:
            self.buffer.append(data[: MAX_PARAGRAPH - self.size])
            self.size += len(self.buffer[-1])

    def _flush(self) -> None:
        text = tidy(clean_text("".join(self.buffer)))
        self.buffer, self.size = [], 0
        if len(text) >= MIN_PARAGRAPH and self.kind:
            self.paragraphs.append((self.kind, text, bool(self.depth["main"])))

    def _end_title(self) -> None:
        title = clean_text("".join(self.title))[:200]
        self.title = []
        if not title:
            return
        if self.paper:
            self.kind = section_kind(title, self.seen)
        else:  # a web page's headings say what follows only when they clearly do
            known, kind = known_kind(title)
            self.kind = kind if known else self.kind
        if self.kind:
            self.seen.add(self.kind)

    def _end_caption(self) -> None:
        text = clean_text("".join(self.caption))[:MAX_PARAGRAPH]
        self.caption = []
        table = any(item.table for item in self.stack if item.effect == "figure")
        kept = self.tables if table else self.figures
        if len(text) >= MIN_PARAGRAPH and len(kept) < MAX_CAPTIONS:
            kept.append(text)

    def result(self) -> PaperText:
        self._flush()
        text = PaperText(captions=(self.tables + self.figures)[:MAX_CAPTIONS])
        in_main = any(inside for _, _, inside in self.paragraphs)
        for kind, paragraph, inside in self.paragraphs:
            if inside or not in_main or self.paper:
                text.add(kind, paragraph)
        return text


# -- PDF ---------------------------------------------------------------------------------------

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl",
                            "ﬅ": "ft", "ﬆ": "st"})
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9,
          "X": 10, "XI": 11, "XII": 12}
_HEADING = re.compile(r"(?:(\d{1,2})\.?\s*|([IVX]{1,4})(?:\.\s*|\s+))"
                      r"([A-Z][A-Za-z][A-Za-z0-9 &:,/()'-]{1,60})")
_UNNUMBERED = frozenset({"abstract", "references", "bibliography", "acknowledgments",
                         "acknowledgements", "acknowledgment", "limitations", "appendix",
                         "ethics statement", "ethical considerations", "broader impact"})
_ENDS_BODY = re.compile(r"references|bibliography|appendi", re.I)
_SUBHEADING = re.compile(r"\d+\.\d+(\.\d+)?\.?\s*[A-Z][\w -]{1,60}")
_STAMP = re.compile(r"arXiv:\d{4}\.\d{4,5}(v\d+)?\b")
_CAPTION = re.compile(r"\b(Table|Figure|Fig\.)\s*(\d{1,2})\s*[:|]\s+([A-Z].{10,300}?[.!?])(?=\s|$)")
_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to vs with via".split())


class PdfUnreadable(Exception):
    """pypdf could not read the document."""


def pdf_text(body: bytes, max_pages: int = MAX_PDF_PAGES) -> PaperText:
    """The text of a paper's PDF, split into sections by its numbered headings ("1
    Introduction", "IV. EXPERIMENTS"), cleaned of ligatures, line-end hyphens, running headers
    and page numbers; raises PdfUnreadable."""
    pages = _pdf_pages(body, max_pages)
    lines = body_lines(pages)
    text = PaperText()
    kind: str | None = None
    expected = 1
    chunk: list[str] = []
    every: list[str] = []
    for line in lines:
        heading = _heading(line, expected)
        if heading is None:
            if not _SUBHEADING.fullmatch(line):
                chunk.append(line)
                every.append(line)
            continue
        number, title = heading
        _add_chunk(text, kind, chunk)
        chunk = []
        if _ENDS_BODY.match(title):
            break
        expected = number + 1 if number else expected
        kind = section_kind(title, set(text.sections))
    else:
        _add_chunk(text, kind, chunk)
    text.captions = _pdf_captions(_join(every))
    return text


def _pdf_pages(body: bytes, max_pages: int) -> list[str]:
    from pypdf import PdfReader  # imported when a PDF is read: it costs a moment to load

    try:
        reader = PdfReader(io.BytesIO(body))
        return [reader.pages[i].extract_text() or "" for i in range(min(len(reader.pages),
                                                                        max_pages))]
    except Exception as exc:  # pypdf raises many kinds on a broken or hostile file
        raise PdfUnreadable(f"{type(exc).__name__}: {' '.join(str(exc).split())[:100]}") from None


def body_lines(pages: list[str]) -> list[str]:
    """Every page's lines, without running headers and footers (a line at the top or bottom
    of several pages), page numbers, arXiv's side stamp and rows of table figures."""
    split = [[" ".join(line.translate(_LIGATURES).split()) for line in page.splitlines()]
             for page in pages]
    split = [[line for line in page if line] for page in split]
    edges = Counter(_shape(line) for page in split for line in {*page[:3], *page[-3:]})
    running = {shape for shape, count in edges.items() if count >= max(2, len(split) // 2)}
    kept = []
    for page in split:
        for index, line in enumerate(page):
            at_edge = index < 3 or index >= len(page) - 3
            if (at_edge and _shape(line) in running) or _STAMP.match(line) or _numbers(line):
                continue
            kept.append(line)
    return kept


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())


def _numbers(line: str) -> bool:
    """A page number, or a row of a table: as many figures as words."""
    tokens = line.split()
    figures = sum(bool(re.fullmatch(r"[-+±]?\d[\d.,%×]*", token)) for token in tokens)
    return sum(c.isalpha() for c in line) < 3 or (figures >= 2 and 2 * figures >= len(tokens))


def _heading(line: str, expected: int) -> tuple[int, str] | None:
    """(its number, its title) if ``line`` is the next top-level heading; (0, title) for an
    unnumbered one such as "References"."""
    if line.lower().rstrip(":") in _UNNUMBERED:
        return 0, line.rstrip(":")
    match = _HEADING.fullmatch(line)
    if not match:
        return None
    arabic, roman, title = match.groups()
    words = title.split()
    title_case = all(w[0].isupper() or w[0].isdigit() or w in _SMALL_WORDS for w in words)
    if len(words) > 8 or title.endswith(",") or not (title_case or known_kind(title)[0]):
        return None  # a line of text that starts with a figure ("2 The results show ...")
    number = int(arabic) if arabic else _ROMAN.get(roman, 0)
    return (number, title) if number == expected else None


def _add_chunk(text: PaperText, kind: str | None, lines: list[str]) -> None:
    if kind and lines:  # captions are kept apart
        joined = tidy(clean_text(_CAPTION.sub(" ", _join(lines))))
        if joined:
            text.add(kind, joined[:MAX_KIND])


def _join(lines: list[str]) -> str:
    """Lines as running text: a word hyphenated at a line's end made whole again."""
    out = ""
    for line in lines:
        if out.endswith("-") and out[-2:-1].isalpha() and line[:1].islower():
            out = out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return out


def _pdf_captions(text: str) -> list[str]:
    """The first sentence of each table's and figure's caption ("Table 2: ..."), tables first."""
    found: dict[tuple[str, str], str] = {}
    for label, number, sentence in _CAPTION.findall(text):
        name = "Table" if label == "Table" else "Figure"
        found.setdefault((name, number), clean_text(f"{name} {number}: {sentence}"))
    ordered = sorted(found.items(), key=lambda item: item[0][0] != "Table")
    return [caption for _, caption in ordered][:MAX_CAPTIONS]
