"""Reading the picked papers in full ([fulltext]): each boiled down to a :class:`Digest` the
writers can use, within a budget of characters.

An arXiv paper is read from its LaTeXML HTML page, else from its PDF (no HTML version, or one
too broken to yield sections); an item known only by its link, from that page's main text. A
paper given with a digest keeps it. A paper that cannot be read keeps its abstract, with a
one-line note saying why; one failing paper never fails the run.

Every request goes through the shared HTTP client: arXiv's pages one every 3 seconds, as its
sources ask, the size capped, answers (a missing HTML version too) cached for the day.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from ..http import FetchError, HttpClient
from ..i18n import counted
from ..models import Digest, Paper, arxiv_id
from ..schema import between, check, http_url
from .arxiv import ARXIV_INTERVAL
from .normalize import web_address
from .papertext import PaperText, PdfUnreadable, decode_html, html_text, pdf_text

log = logging.getLogger(__name__)

# A paper's digest goes whole into the model writer's prompt for that paper, next to its
# abstract (~1,500 characters) and the instructions. 4,000 characters (about 1,000 English
# tokens) hold the core of each kind of section, a few captions and the headline figures; five
# papers add about 5,000 tokens to an episode's writing, and the prompt still fits a small local
# model's 8k context.
DIGEST_CHARS = 4000
MAX_HTML_BYTES = 15_000_000  # arXiv's HTML of a long, formula-heavy paper runs to megabytes
MAX_PAGE_BYTES = 5_000_000
MAX_PDF_BYTES = 20_000_000
MIN_PAPER_CHARS = 500  # less text from a paper's sections: it did not really yield any
MIN_PAGE_CHARS = 200
FIGURES = 5
FIGURE_CHARS = 300
CAPTIONS = 6
CAPTION_CHARS = 200
NOTE_CHARS = 160
_WEIGHTS = {"results": 2.0}  # its share of the room, against 1 for every other kind


@dataclass(frozen=True)
class FulltextConfig:
    """Reading the picked papers in full ([fulltext])."""

    enabled: bool = True
    html_url: str = field(default="https://arxiv.org/html/", metadata=check(http_url))
    pdf_url: str = field(default="https://arxiv.org/pdf/", metadata=check(http_url))
    #: the most characters of one paper's digest (sections, captions and figures together)
    digest_chars: int = field(default=DIGEST_CHARS, metadata=between(1000, 20000))


def read_in_full(papers: Sequence[Paper], http: HttpClient, config: FulltextConfig,
                 advance: Callable[[int], object] = lambda n: None) -> list[Paper]:
    """``papers``, each with its ``digest``, in the same order; says in one log line how they
    were read."""
    reader = _Reader(http, config)
    read = []
    for paper in papers:
        read.append(replace(paper, digest=reader.digest(paper)))
        advance(1)
    if read:
        log.info("%s", reading_summary(read))
    return read


def reading_summary(papers: Sequence[Paper]) -> str:
    """How ``papers`` were read, in one line: "Read 4 of 5 papers in full (3 from HTML, 1 from
    the PDF); 2409.17581 from its abstract: no HTML version, and the PDF failed: HTTP 503"."""
    full = [p for p in papers if p.digest and p.digest.full]
    full_ids = {p.id for p in full}
    ways: dict[str, int] = {}
    for paper in full:
        assert paper.digest is not None
        way = _WAYS.get(paper.digest.source, f"from {paper.digest.source}")
        ways[way] = ways.get(way, 0) + 1
    line = f"Read {len(full)} of {counted(len(papers), 'paper')} in full"
    if ways:
        line += " (" + ", ".join(f"{n} {way}" for way, n in ways.items()) + ")"
    unread: dict[str, list[str]] = {}
    for paper in papers:
        if paper.id not in full_ids:
            note = paper.digest.note if paper.digest else ""
            unread.setdefault(note or "nothing to read beyond it", []).append(paper.id)
    for note, ids in unread.items():
        whose = "its abstract" if len(ids) == 1 else "their abstracts"
        line += f"; {', '.join(ids)} from {whose}: {note}"
    return line + "."


_WAYS = {"html": "from HTML", "pdf": "from the PDF", "web": "from the web page",
         "file": "given with the paper"}


class _Reader:
    def __init__(self, http: HttpClient, config: FulltextConfig) -> None:
        self.http = http
        self.config = config
        self.unreachable: dict[str, str] = {}  # host → why: not asked again in this run

    def digest(self, paper: Paper) -> Digest:
        if paper.digest is not None:
            return paper.digest
        try:
            return self._read(paper)
        except Exception as exc:  # a paper nobody can read must not cost the episode
            log.warning("Could not read %s in full: %s: %s", paper.id, type(exc).__name__, exc,
                        exc_info=log.isEnabledFor(logging.DEBUG))
            return _abstract(f"reading it failed ({type(exc).__name__})")

    def _read(self, paper: Paper) -> Digest:
        paper_id = arxiv_id(paper.id)
        if paper_id:
            return self._arxiv(paper_id)
        if paper.url and web_address(paper.url):
            return self._web(paper.url)
        return _abstract("no link to read it from")

    def _arxiv(self, paper_id: str) -> Digest:
        try:
            page = html_text(decode_html(self._get(self.config.html_url + paper_id,
                                                   MAX_HTML_BYTES, ARXIV_INTERVAL)), paper=True)
            if page.chars >= MIN_PAPER_CHARS:
                return self._digest("html", page)
            problem = "its HTML version has no sections to read"
        except FetchError as exc:
            problem = ("no HTML version" if exc.status in (404, 410)
                       else f"its HTML version failed ({exc.message})")
        try:
            pdf = pdf_text(self._get(self.config.pdf_url + paper_id, MAX_PDF_BYTES,
                                     ARXIV_INTERVAL))
        except FetchError as exc:
            return _abstract(exc.message if exc.unreachable
                             else f"{problem}, and the PDF failed: {exc.message}")
        except PdfUnreadable as exc:
            return _abstract(f"{problem}, and the PDF could not be read: {exc}")
        if pdf.chars < MIN_PAPER_CHARS:
            return _abstract(f"{problem}, and the PDF has no numbered sections to read")
        return self._digest("pdf", pdf)

    def _web(self, url: str) -> Digest:
        try:
            body = self._get(url, MAX_PAGE_BYTES)
        except FetchError as exc:
            return _abstract(exc.message if exc.unreachable else f"its page failed: {exc.message}")
        if body.startswith(b"%PDF-"):  # a link straight to a paper's PDF
            try:
                pdf = pdf_text(body)
            except PdfUnreadable as exc:
                return _abstract(f"its PDF could not be read: {exc}")
            if pdf.chars >= MIN_PAPER_CHARS:
                return self._digest("pdf", pdf)
            return _abstract("its PDF has no numbered sections to read")
        page = html_text(decode_html(body), paper=False)
        if page.chars < MIN_PAGE_CHARS:
            return _abstract("its page has no text to read")
        return self._digest("web", page)

    def _get(self, url: str, max_bytes: int, interval: float = 0.0) -> bytes:
        """The body at ``url``; a host that could not be reached is not asked again."""
        host = urlsplit(url).netloc.lower()
        if host in self.unreachable:
            raise FetchError(url, self.unreachable[host], unreachable=True)
        try:
            return self.http.get(url, min_interval=interval, max_bytes=max_bytes,
                                 remember_missing=True)
        except FetchError as exc:
            if not exc.unreachable:
                raise
            self.unreachable[host] = f"{host} could not be reached: {exc.message}"
            raise FetchError(url, self.unreachable[host], unreachable=True) from None

    def _digest(self, source: str, text: PaperText) -> Digest:
        sections = [(kind, " ".join(paragraphs)) for kind, paragraphs in text.sections.items()]
        return fit(source, sections, text.captions, headline_figures(sections),
                   self.config.digest_chars)


def _abstract(note: str) -> Digest:
    note = " ".join(note.split())
    return Digest(source="abstract", note=note if len(note) <= NOTE_CHARS
                  else note[: NOTE_CHARS - 1].rstrip() + "…")


# -- the headline figures --------------------------------------------------------------------

_NUMBER = r"[-+]?\d+(?:[.,]\d+)*"
_PERCENT = re.compile(rf"{_NUMBER}\s*(?:%|percent\b|pp\b|(?:percentage )?points?\b)", re.I)
_TIMES = re.compile(rf"{_NUMBER}\s*(?:×|x\b|times\b|-fold\b)", re.I)
_FROM_TO = re.compile(rf"\bfrom\s+{_NUMBER}\S*\s+(?:\w+\s+)?to\s+{_NUMBER}", re.I)
_CLAIM = re.compile(r"\b(?:outperform|improv|surpass|exceed|beat|reduc|increas|boost|gain|"
                    r"achiev|reach|speed|faster|slower|fewer|less|more|higher|lower|better|"
                    r"drop|cut|sav|attain|yield|obtain|state-of-the-art|up from|down from|"
                    r"compared|than|above|below)", re.I)
_METRIC = re.compile(r"\b(?:accuracy|f1|bleu|rouge|exact match|pass@\d+|win rate|score|"
                     r"perplexity|auc|recall|precision|latency|throughput|error|points?)\b", re.I)
# figures that are no results: references to tables and sections, years, citations
_NOT_RESULTS = re.compile(r"\b(?:Tables?|Tab\.|Figures?|Fig\.|Sections?|Sec\.|Eq\.|Equation|"
                          r"Appendix|Algorithm|Step)\s*\d+|\b(?:19|20)\d\d\b|\[\d+(?:[,\u2013-]\s*\d+)*\]")
_SECTION_BONUS = {"results": 1.0, "conclusion": 0.5}


def headline_figures(sections: Sequence[tuple[str, str]], limit: int = FIGURES) -> list[str]:
    """The sentences that state the paper's results with numbers (percentages, speed-ups,
    scores, "from X to Y"), best first: those with the most telling figures, from the results
    first."""
    scored: list[tuple[float, int, str]] = []
    seen: set[str] = set()
    for kind, text in sections:
        for sentence in sentences(text):
            score = _figure_score(sentence) + _SECTION_BONUS.get(kind, 0.0)
            key = re.sub(r"\W+", "", sentence.lower())[:80]
            if score >= 4 and key not in seen:
                seen.add(key)
                scored.append((-score, len(scored), sentence))
    return [sentence for _, _, sentence in sorted(scored)[:limit]]


def _figure_score(sentence: str) -> float:
    if not 15 <= len(sentence) <= 500:
        return 0.0
    probe = _NOT_RESULTS.sub(" ", sentence)
    digits = sum(char.isdigit() for char in probe)
    if not digits or digits > 0.3 * len(probe):  # no figure, or a row of a table
        return 0.0
    amounts = len(_PERCENT.findall(probe)) + len(_TIMES.findall(probe))
    strong = 3 * (bool(_PERCENT.search(probe)) + bool(_TIMES.search(probe))
                  + bool(_FROM_TO.search(probe)))
    claim = bool(_CLAIM.search(probe))
    metric = bool(_METRIC.search(probe))
    if not (strong or (claim and metric)):
        return 0.0
    return strong + 2 * claim + metric + (amounts > 1)  # "91%, up from 78%" says more


# -- fitting the budget ------------------------------------------------------------------------

_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "etc.", "vs.", "Fig.", "Figs.", "Eq.", "Eqs.",
                  "Sec.", "Tab.", "cf.", "resp.", "approx.", "No.", "i.i.d.", "w.r.t.")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[A-Z0-9])|(?<=[。！？])")


def sentences(text: str) -> list[str]:
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if pieces and pieces[-1].endswith(_ABBREVIATIONS):
            pieces[-1] += " " + piece
        elif piece.strip():
            pieces.append(piece.strip())
    return pieces


def trim(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a sentence's end; a first sentence too
    long for it is cut at a word, with an ellipsis ("" when less than a few words fit)."""
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in sentences(text):
        longer = f"{kept} {sentence}" if kept else sentence
        if len(longer) > limit:
            break
        kept = longer
    if kept or limit < 80:
        return kept
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def fit(source: str, sections: Sequence[tuple[str, str]], captions: Sequence[str],
        figures: Sequence[str], budget: int) -> Digest:
    """A digest of at most ``budget`` characters (as :meth:`Digest.text` joins it): the
    figures first (up to 30% of it), then the captions (15%), then every kind of section a fair
    share of the rest (results a double one; what a short section leaves goes to the others),
    each cut at a sentence's end."""
    kept_figures = _take(figures, FIGURE_CHARS, budget * 0.3)
    kept_captions = _take(captions[:CAPTIONS], CAPTION_CHARS, budget * 0.15)
    used = sum(len(item) + 2 for item in (*kept_figures, *kept_captions))
    room = budget - used - 2 * len(sections)
    shares = _shares({kind: len(text) for kind, text in sections}, room)
    kept_sections = tuple((kind, cut) for kind, text in sections
                          if (cut := trim(text, int(shares[kind]))))
    return Digest(source=source, sections=kept_sections, captions=tuple(kept_captions),
                  figures=tuple(kept_figures))


def _take(items: Sequence[str], each: int, total: float) -> list[str]:
    kept: list[str] = []
    used = 0
    for item in items:
        item = trim(item, each)
        if item and used + len(item) + 2 <= total:
            kept.append(item)
            used += len(item) + 2
    return kept


def _shares(lengths: dict[str, int], room: float) -> dict[str, float]:
    """Each kind's characters: ``room`` split by weight, a kind needing less than its share
    taking only what it needs and leaving the rest to the others."""
    shares: dict[str, float] = {}
    pending = dict(lengths)
    while pending:
        weights = {kind: _WEIGHTS.get(kind, 1.0) for kind in pending}
        offered = {kind: max(room, 0) * w / sum(weights.values()) for kind, w in weights.items()}
        short = [kind for kind in pending if pending[kind] <= offered[kind]]
        if not short:
            shares.update(offered)
            break
        for kind in short:
            shares[kind] = pending.pop(kind)
            room -= shares[kind]
    return shares
