"""One clean form for what sources send: text without markup or mojibake, stable ids for
papers known only by a web link.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..models import arxiv_id

# A UTF-8 lead byte read as a Western character, followed by a continuation byte read the same
# way: "Ã©" for é, "â€™" for ’.
_MOJIBAKE = re.compile("[ÃÂÅÆÐØâ][\u0080-\u00bf\u2018-\u203a\u20ac\u0152\u0153\u0160\u0161\u0178"
                       "\u017d\u017e\u02c6\u02dc]")
# Runs of characters a single-byte Western codec can hold: where UTF-8 misread as one lies.
_SINGLE_BYTE_RUN = re.compile("[\u0000-\u00ff\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6"
                              "\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013"
                              "\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]+")
_SPACES = re.compile(r"\s+")
# What never belongs in a title, an abstract or a name: control characters (C0 but the
# whitespace ones, DEL, C1), lone surrogates (no encoding can write them), the noncharacters
# U+FFFE/U+FFFF (not allowed in XML), and the bidi embeddings, overrides and isolates, invisible
# characters that reorder how the text around them is displayed (the "gnp.exe" trick). Marks
# (U+200E, U+200F) and zero-width joiners stay: scripts and emoji need them.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
                     "\u202a-\u202e\u2066-\u2069]")
_GREEK = {
    name: chr(code)
    for name, code in (
        ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5),
        ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("kappa", 0x3BA), ("lambda", 0x3BB),
        ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1),
        ("sigma", 0x3C3), ("tau", 0x3C4), ("phi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8),
        ("omega", 0x3C9), ("Delta", 0x394), ("Omega", 0x3A9), ("Sigma", 0x3A3), ("Phi", 0x3A6),
    )
}
_LATEX_SYMBOLS = {"times": "×", "leq": "≤", "geq": "≥", "le": "≤", "ge": "≥", "approx": "≈",
                  "sim": "~", "cdot": "·", "infty": "∞", "to": "→", "rightarrow": "→", "pm": "±",
                  "in": "∈", "ell": "\u2113", "neq": "≠", "ldots": "…", "cdots": "…", "dots": "…"}
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)\s*(?:\{([^{}]*)\})?")
_LATEX_ESCAPE = re.compile(r"\\([%&$#_{}])")
_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|ref$|source$)")
# LaTeX's dashes, as arXiv titles and abstracts write them, with the spaces around them; not an
# arrow ("-->", "<--", "<!--") nor a longer run (a rule)
_TYPED_DASH = re.compile(r"(?<![-<!])(\s*)(-{2,3})(\s*)(?![->])")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def link_id(link: str) -> str:
    """A stable id for a paper known only by its web link: the arXiv id if it is one."""
    return arxiv_id(link) or "web:" + hashlib.sha1(canonical_url(link).encode()).hexdigest()[:16]


def canonical_url(link: str) -> str:
    """``link`` without tracking parameters, fragment or trailing slash, host in lower case."""
    parts = urlsplit(link.strip())
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)])
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"),
                       query, ""))


def clean_text(text: str | None) -> str:
    """Plain text: HTML tags and entities resolved, light LaTeX read out, mojibake repaired
    where the repair is unambiguous, whitespace collapsed."""
    if not text:
        return ""
    if "<" in text and ">" in text:
        text = _HtmlText.extract(text)
    else:
        text = html.unescape(text)
    text = repair_mojibake(text)
    text = dashes(_latex(text))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", strip_unsafe(text))).strip()


def dashes(text: str) -> str:
    """``text`` with the dashes typed as hyphens set as dashes, as LaTeX sets them: "---" an em
    dash, "--" an en dash ("Vision--Language", "10--20", "Foo -- Bar"); between Chinese words,
    Chinese's own dash "——"; only between words or figures. A voice reads them as the pause or
    the link they are, where "--" is read as symbols or not at all."""

    def typeset(match: re.Match[str]) -> str:
        before, run, after = match.groups()
        left, right = text[match.start() - 1 : match.start()], text[match.end() : match.end() + 1]
        if not (left.isalnum() and right.isalnum()):  # "1=1 --", "';--": code, not prose
            return match.group()
        if _HAN.search(left + right):
            return "——"
        return before + ("—" if len(run) == 3 else "\u2013") + after

    return _TYPED_DASH.sub(typeset, text)


def clean_name(name: str) -> str:
    name = strip_unsafe(repair_mojibake(html.unescape(name)))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()


def web_address(link: str) -> bool:
    """Whether ``link`` is an absolute http(s) address with nothing in it that an address cannot
    hold (spaces, control characters): what may go into a page's or a feed's links."""
    return bool(re.fullmatch(r"https?://\S+", link, re.IGNORECASE)) and not _UNSAFE.search(link)


def strip_unsafe(text: str) -> str:
    """``text`` without the characters :data:`_UNSAFE` lists, each replaced by a space (a control
    character may be all that separates two words)."""
    return _UNSAFE.sub(" ", text)


def repair_mojibake(text: str) -> str:
    """UTF-8 that was read as Latin-1 or Windows-1252 ("JosÃ©" → "José"), repaired run by run
    where decoding it back succeeds; anything else is left as it is."""
    if not _MOJIBAKE.search(text):
        return text
    return _SINGLE_BYTE_RUN.sub(_repair_run, text)


def _repair_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if not _MOJIBAKE.search(run):
        return run
    for codec in ("cp1252", "latin-1"):
        try:
            return run.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return run


def _latex(text: str) -> str:
    if "\\" not in text and "$" not in text:
        return text
    text = _LATEX_ESCAPE.sub(r"\1", text)

    def command(match: re.Match[str]) -> str:
        name, argument = match.groups()
        if name in _GREEK:
            return _GREEK[name] + (argument or "")
        if name in _LATEX_SYMBOLS:
            return _LATEX_SYMBOLS[name] + (argument or "")
        return argument or ""

    text = _LATEX_COMMAND.sub(command, text)
    return re.sub(r"\$([^$]*)\$", r"\1", text).replace("{", "").replace("}", "")


class _HtmlText(HTMLParser):
    """Text content of an HTML fragment, block elements separated by spaces."""

    _BLOCKS = frozenset({"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                         "tr", "blockquote"})
    _SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    @classmethod
    def extract(cls, markup: str) -> str:
        parser = cls()
        parser.feed(markup)
        parser.close()
        return "".join(parser.parts)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)
