"""What a paper says, by part, for a writer that cannot read it as a model does: the problem, the
method, the results (headline figures first), the conclusion and the limitations, as sentences.

From the paper's digest when it was read in full (in the show language when there is one), else
from its abstract, whose sentences are sorted by what they say: numbers and findings are results,
"we propose" and "作者设计" are the method, the opening is the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..i18n import is_chinese
from ..models import Digest, Paper

_HAN = re.compile(r"[\u3400-\u9fff]")
# Sentence ends: Chinese 。！？ (with closing quotes), English .!? before a space and a capital.
_ZH_END = re.compile(r"(?<=[。！？])(?![”’」』）)])|(?<=[。！？][”’」』）)])")
_EN_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|et al|Fig|Figs|Eq|Tab|Sec|No|vs|cf|approx)|"
                           r"\b[A-Z])\.$")
# A figure: a number not part of a name (10-K, SHP2, GPT-4), or a percentage said in Chinese.
FIGURE = re.compile(r"(?<![A-Za-z0-9_.-])\d+(?:[.,]\d+)*(?![A-Za-z0-9_-]|\.\d)|百分之")
_METHOD = re.compile(
    r"\b(?:we|this paper|this work|this study|the authors|they|our)\b[^.]{0,60}?\b(?:propos|"
    r"introduc|present|develop|design|buil|release|use|train|add|combin|appl|formulat|measur)"
    r"|\b(?:is|are) proposed\b|提出|设计|搭了|搭建|构建|公开了|引入|办法是|做法是|方法是|采用")
_RESULT = re.compile(
    r"\b(?:achiev|outperform|improv|reach|show(?:s|ed)? that|find|found|result|reduc|sav(?:e|es|"
    r"ed|ing)\b|gain|lift|cut|beat|surpass)|结果|达到|提升|提高|降低|省下|显示|表明|发现|更好|优于")
# the characters (Chinese) or words (English) a sentence said as it is stays within
_LONG = {True: 120, False: 60}


_PERSONS = ((re.compile(r"^We\b"), "The authors"), (re.compile(r"\bwe\b"), "they"),
            (re.compile(r"^Our\b"), "Their"), (re.compile(r"\bour\b"), "their"),
            (re.compile(r"\bus\b"), "them"), (re.compile(r"\bourselves\b"), "themselves"))


@dataclass(frozen=True)
class Material:
    """A paper's sentences by part, in ``language`` (the language the text is in)."""

    language: str
    problem: tuple[str, ...] = ()
    method: tuple[str, ...] = ()
    results: tuple[str, ...] = ()  # the headline figures first
    conclusion: tuple[str, ...] = ()
    limitations: tuple[str, ...] = ()
    full: bool = False  # read from the paper in full, not only its abstract
    order: tuple[str, ...] = ()  # an abstract's sentences as it says them

    @property
    def figures(self) -> tuple[str, ...]:
        """The result sentences that state a figure."""
        return tuple(sentence for sentence in self.results if FIGURE.search(sentence))


def read(paper: Paper, language: str) -> Material:
    """The paper's material for a show in ``language``: its digest in that language, else its
    abstract in that language, else its digest or abstract as they are."""
    digest = paper.digest_for(language)
    if is_chinese(language) and digest is not paper.digest_zh and paper.summary_zh:
        return from_abstract(paper.summary_zh, paper.title)  # a Chinese show hears Chinese
    if digest is not None and digest.full:
        return from_digest(digest, paper.title)
    return from_abstract(paper.summary_for(language), paper.title)


def from_digest(digest: Digest, title: str = "") -> Material:
    language = text_language(digest.text())
    said = {kind: _spoken(sentences(digest.section(kind), language), language)
            for kind in ("introduction", "method", "results", "conclusion", "limitations")}
    figures = _spoken([s for f in digest.figures for s in sentences(f, language)], language)
    stated = {n for sentence in figures for n in _numbers(sentence, title)}
    # a result sentence whose figures the figure sentences state already is not said twice
    results = [*figures, *(s for s in said["results"] if s not in figures
                           and (not _numbers(s, title) or not _numbers(s, title) <= stated))]
    return Material(language, tuple(said["introduction"]), tuple(said["method"]), tuple(results),
                    tuple(said["conclusion"]), tuple(said["limitations"]), full=True)


def from_abstract(abstract: str, title: str = "") -> Material:
    language = text_language(abstract)
    found = [third_person(s, language) for s in _spoken(sentences(abstract, language), language)]
    figures = [s for s in found if _numbers(s, title)]
    method = [s for s in found if _METHOD.search(s) and s not in figures]
    findings = [s for s in found if _RESULT.search(s) and s not in figures and s not in method]
    problem = [s for s in found[:1] if s not in figures and s not in method]
    placed = {*figures, *method, *findings, *problem}
    rest = [s for s in found if s not in placed]
    if not method and rest:  # the sentence after the problem says what they did
        method, rest = rest[:1], rest[1:]
    return Material(language, tuple(problem), tuple(method), tuple(figures + findings),
                    tuple(rest), order=tuple(found))


def third_person(sentence: str, language: str) -> str:
    """An abstract's "we" as the show tells it: "the authors" ("We propose" → "The authors
    propose", "our method" → "their method", "我们提出" → "作者提出")."""
    if is_chinese(language):
        return sentence.replace("本文", "这篇论文").replace("我们", "作者")
    for pattern, said in _PERSONS:
        sentence = pattern.sub(said, sentence)
    return sentence


def sentences(text: str, language: str) -> list[str]:
    """The sentences of ``text``, whitespace tidied."""
    text = " ".join(text.split())
    if not text:
        return []
    if is_chinese(language):
        return [s.strip() for s in _ZH_END.split(text) if s.strip()]
    pieces: list[str] = []
    for piece in _EN_END.split(text):
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return [s.strip() for s in pieces if s.strip()]


def text_language(text: str) -> str:
    """"zh-CN" for text mostly in Chinese, else "en-US"."""
    han = len(_HAN.findall(text))
    return "zh-CN" if han and han >= len(re.findall(r"[A-Za-z]+", text)) else "en-US"


def _numbers(sentence: str, title: str) -> set[str]:
    """The figures a sentence states, those of the title aside (10-K is no result)."""
    in_title = set(FIGURE.findall(title))
    return {n for n in FIGURE.findall(sentence) if n not in in_title}


def _spoken(found: list[str], language: str) -> list[str]:
    """Sentences short enough to be said as they are; all of them when none is."""
    chinese = is_chinese(language)
    limit = _LONG[chinese]
    fit = [s for s in found if (len(s) if chinese else len(s.split())) <= limit]
    return fit or found[:1]
