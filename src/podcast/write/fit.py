"""Holding what writers say to the time the show has, whatever they were given or give back.

Writers aim for their budget (:attr:`Brief.paper_units`); the frame holds them to it:

- A spoken title is at most TITLE_LIMIT units: the part before a colon when that is a title
  in itself, else its first words up to a clause break. The full title stays in the notes.
- A paper more than SLACK over its budget is cut back to it: the summary's later sentences
  and the thoughts' middle ones go, in the same proportion (the summary's first sentence and
  its first stating a figure, and the thoughts' first and the one leading to the steps, stay;
  other sentences stating figures go last); then a sentence longer than SENTENCE_LIMIT is cut
  short. Steps are never dropped: the thoughts may count them.
- No paper runs longer than MEDIAN_CAP times the median paper; one that does is cut the same
  way.
- No paragraph is longer than PARAGRAPH_LIMIT: a longer one is split at a sentence end. A
  paragraph is what a voice speaks and the mix masters in one piece, so this keeps memory flat
  however long a paper's text is.

Each text is read once, front to back; a 40,000-character title or abstract costs little more
than a normal one.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ..speak.engine import sentences
from ..speak.timing import LATIN_WORD_IN_CHINESE, TITLE_LIMIT, speech_units

SLACK = 0.10
MEDIAN_CAP = 3.0
# Units of one paragraph at most (about 80 s of Chinese, 60 s of English), and of a sentence
# kept whole when a paper must be cut (about 25 s).
PARAGRAPH_LIMIT = {"zh": 300, "en": 150}
SENTENCE_LIMIT = {"zh": 90, "en": 60}
_CHINESE_ENDS = frozenset("。！？；：，、…”’」』）】")
_CHARS_PER_UNIT = 12  # no unit of speech is written in more characters than this

_FIGURE = re.compile(r"\d")  # a sentence with a number in it states a figure
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.'-][A-Za-z0-9]+)*|[\u3400-\u9fff]")
_BREAK = re.compile(r"[，、；：,;:]|\s[-\u2013—]\s|——")
_SUBTITLE = re.compile(r"\s*(?::|：|\s[-\u2013—]\s|——|\|)\s*")
_TRAILING_EN = re.compile(
    r"(?:[\s,;:\u2013—-]+|\s+(?:a|an|the|of|for|and|or|with|in|on|to|via|using|by|from|at|as|into|"
    r"towards?|through|over|under|without|is|are|its|their))+$", re.IGNORECASE)
_TRAILING_ZH = re.compile(r"[\s，、；：,;:的和与及在对用从向为]+$")


@dataclass(frozen=True)
class Words:
    """What a paper says besides its heading and title, clean for speech: paragraphs separated
    by blank lines, a step per paragraph."""

    summary: str
    thoughts: str
    steps: tuple[str, ...]


def _key(language: str) -> str:
    return "zh" if language.startswith("zh") else "en"


def _clip_end(text: str, limit: float, language: str) -> int:
    """Where the start of ``text`` that says at most ``limit`` units ends (len(text): all of
    it)."""
    latin = LATIN_WORD_IN_CHINESE if language.startswith("zh") else 1
    total, end = 0.0, 0
    for token in _TOKEN.finditer(text):
        total += 1 if token.group(0) >= "\u3400" else latin
        if total > limit:
            return end
        end = token.end()
    return len(text)


def clip(text: str, limit: float, language: str, at_break: bool = True) -> str:
    """The start of ``text`` up to ``limit`` units, ending at a clause break when one falls in
    its second half (``at_break``), else between words, and never on a dangling "of" or
    "的"."""
    end = _clip_end(text, limit, language)
    if end == len(text):
        return text.strip()
    head = text[:end]
    breaks = [m.start() for m in _BREAK.finditer(head) if m.start() > len(head) // 2]
    if breaks and at_break and not _BREAK.match(text, end):  # a break right after: cut there
        head = head[: breaks[-1]]
    trailing = _TRAILING_ZH if language.startswith("zh") else _TRAILING_EN
    return trailing.sub("", head).strip() or text[:end].strip()


def spoken_title(title: str, language: str, limits: dict[str, int] = TITLE_LIMIT) -> str:
    """``title`` short enough to say (``limits``: a brief's are shorter): whole when it is, else
    the part before its colon when that has a few words, else its first words."""
    limit = limits[_key(language)]
    start = title[: limit * _CHARS_PER_UNIT]
    if start == title and speech_units(title, language) <= limit:
        return title
    head = _SUBTITLE.split(start, maxsplit=1)[0].strip()
    if head != start.strip() and limit / 10 <= speech_units(head, language) <= limit:
        return head
    return clip(start, limit, language)


def fit_papers(papers: Sequence[Words], budget: int, language: str) -> list[Words]:
    """Each paper held to ``budget`` units (with SLACK) and to MEDIAN_CAP times the median
    paper, every paragraph to PARAGRAPH_LIMIT."""
    cut = [_Cut.of(words, language) for words in papers]
    if budget > 0:
        for paper in cut:
            if paper.total() > budget * (1 + SLACK):
                paper.cut_to(budget)
    if len(cut) > 2:
        cap = MEDIAN_CAP * statistics.median(paper.total() for paper in cut)
        for paper in cut:
            if paper.total() > cap:
                paper.cut_to(cap)
    return [paper.words() for paper in cut]


def fit_turns(turns: Sequence[str], budget: int, language: str) -> list[list[str]]:
    """A conversation's turns on one paper, the first ones whole up to ``budget`` units (with
    SLACK): the turn that would go beyond it ends the paper, the first always kept. Each turn
    as its paragraphs, none over PARAGRAPH_LIMIT."""
    kept: list[list[str]] = []
    used = 0.0
    for turn in turns:
        units = speech_units(turn, language)
        if budget > 0 and kept and used + units > budget * (1 + SLACK):
            break
        kept.append(bounded(turn, language).split("\n\n"))
        used += units
    return kept


def bounded(text: str, language: str) -> str:
    """``text`` (paragraphs separated by blank lines) with no paragraph over PARAGRAPH_LIMIT:
    for what has no budget (a recap's themes), so that memory stays flat all the same."""
    return _joined([_Sentence(s, speech_units(s, language), number)
                    for number, paragraph in enumerate(text.split("\n\n"))
                    for s in sentences(paragraph)], language)


@dataclass
class _Sentence:
    text: str
    units: float
    paragraph: int  # which paragraph of its block it begins or continues


@dataclass
class _Cut:
    """A paper's words as sentences with their units, cut by whole sentences."""

    summary: list[_Sentence]
    thoughts: list[_Sentence]
    steps: list[str]
    steps_units: float
    language: str

    @classmethod
    def of(cls, words: Words, language: str) -> _Cut:
        def split(block: str) -> list[_Sentence]:
            return [_Sentence(s, speech_units(s, language), number)
                    for number, paragraph in enumerate(block.split("\n\n"))
                    for s in sentences(paragraph)]

        steps = [_one_paragraph(step, language) for step in words.steps]
        return cls(split(words.summary), split(words.thoughts), steps,
                   sum(speech_units(step, language) for step in steps), language)

    def total(self) -> float:
        return (sum(s.units for s in self.summary) + sum(s.units for s in self.thoughts)
                + self.steps_units)

    def cut_to(self, budget: float) -> None:
        """The summary's sentences and the thoughts' middle ones that fit in ``budget``, both
        cut in the same proportion (the summary's first sentence and its first stating a
        figure, and the thoughts' first and last, always stay; of the rest of the summary,
        those stating figures go last); then, if still over, long sentences cut short."""
        stays = _summary_stays(self.summary)
        summary = [s for i, s in enumerate(self.summary) if i not in stays]
        middle = self.thoughts[1:-1]
        spare = sum(s.units for s in (*summary, *middle))
        if spare:
            keep = max(0.0, 1 - (self.total() - budget) / spare)
            kept = {id(s) for s in _figures_first(summary, keep * sum(s.units for s in summary))}
            self.summary = [s for i, s in enumerate(self.summary) if i in stays or id(s) in kept]
            self.thoughts = [*self.thoughts[:1],
                             *_prefix(middle, keep * sum(s.units for s in middle)),
                             *self.thoughts[1:][-1:]]
        limit = SENTENCE_LIMIT[_key(self.language)]
        for sentence in (*self.summary, *self.thoughts):
            if self.total() <= budget:
                break
            if sentence.units > limit:
                sentence.text = _ended(clip(sentence.text, limit, self.language), self.language)
                sentence.units = speech_units(sentence.text, self.language)

    def words(self) -> Words:
        return Words(_joined(self.summary, self.language), _joined(self.thoughts, self.language),
                     tuple(self.steps))


def _summary_stays(summary: list[_Sentence]) -> set[int]:
    """What a summary keeps however short the time: its first sentence, and the first one
    stating a figure (the paper's own result), when that is another."""
    first_figure = next((i for i, s in enumerate(summary) if _FIGURE.search(s.text)), 0)
    return {0, first_figure} if summary else set()


def _figures_first(found: list[_Sentence], room: float) -> list[_Sentence]:
    """The sentences of ``found`` that fit in ``room`` units, those stating a figure (the
    paper's results) first, the rest from the start; in their own order."""
    ranked = sorted(range(len(found)), key=lambda i: (not _FIGURE.search(found[i].text), i))
    kept: set[int] = set()
    used = 0.0
    for index in ranked:
        if used + found[index].units <= room:
            kept.add(index)
            used += found[index].units
    return [sentence for index, sentence in enumerate(found) if index in kept]


def _prefix(found: list[_Sentence], room: float) -> list[_Sentence]:
    """The first sentences of ``found`` that fit in ``room`` units."""
    kept: list[_Sentence] = []
    used = 0.0
    for sentence in found:
        if used + sentence.units > room:
            break
        kept.append(sentence)
        used += sentence.units
    return kept


def _joined(found: list[_Sentence], language: str) -> str:
    """Sentences as paragraphs again; one over PARAGRAPH_LIMIT split at a sentence end (a
    sentence over it alone, between words)."""
    limit = PARAGRAPH_LIMIT[_key(language)]
    paragraphs: list[str] = []
    current: list[str] = []
    size, number = 0.0, -1
    for sentence in found:
        for piece in _pieces(sentence.text, limit, language):
            weight = speech_units(piece, language)
            if current and (size + weight > limit or sentence.paragraph != number):
                paragraphs.append(_glued(current))
                current, size = [], 0.0
            current.append(piece)
            size += weight
            number = sentence.paragraph
    if current:
        paragraphs.append(_glued(current))
    return "\n\n".join(paragraphs)


def _glued(pieces: list[str]) -> str:
    """Sentences run together as written: no space after a Chinese stop or before a Chinese
    character, a space otherwise."""
    text = pieces[0]
    for piece in pieces[1:]:
        chinese = text[-1] in _CHINESE_ENDS or "\u3000" <= piece[0] <= "\u9fff"
        text += piece if chinese else f" {piece}"
    return text


def _pieces(sentence: str, limit: float, language: str) -> list[str]:
    """``sentence`` in pieces of at most ``limit`` units, cut between words."""
    pieces = []
    while (end := _clip_end(sentence, limit, language)) < len(sentence):
        if end == 0:  # a word longer than the limit: impossible with real words
            break
        pieces.append(sentence[:end].strip())
        sentence = sentence[end:].lstrip(" ，、；：,;:")
    return [*pieces, sentence.strip()] if sentence.strip() else pieces


def _one_paragraph(step: str, language: str) -> str:
    """A step is one paragraph: cut short if it runs past PARAGRAPH_LIMIT."""
    limit = PARAGRAPH_LIMIT[_key(language)]
    if _clip_end(step, limit, language) == len(step):
        return step
    return _ended(clip(step, limit, language), language)


def _ended(text: str, language: str) -> str:
    text = text.rstrip(" ，、；：,;:")
    if text and text[-1] in "。！？.!?":
        return text
    return text + ("。" if language.startswith("zh") else ".")
