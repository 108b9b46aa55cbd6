"""Stage 2, select: the papers that matter most to the listeners, none broadcast before, none
excluded, no two alike.

Ranking is offline and explainable (see rank.py): tf-idf over words, Chinese character pairs
and bilingual glossary concepts, a small boost for Hugging Face upvotes, and, when configured,
refinement by embeddings or an LLM reranker (refine.py). Every pick says why it was chosen.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from ..models import Paper, Pick, Reference
from .glossary import glossary, han_runs, words
from .rank import CONCEPT, TOPIC, Document, Match, analyse, rank, similarity, unit
from .topics import TOPICS_BY_KEY

# Two items are one paper when they have one id, or when their titles AND their abstracts are
# nearly the same words (cosine of word counts, stop words left out) and the shorter abstract
# has at least half the words of the longer. A paper reposted with its title and abstract scores
# about 0.9 to 1 on both; different papers of one day stay under 0.5; a short post on the same
# topic scored 0.58 (title) and 0.61 (abstract) in tests/test_select.py, and the length rule
# keeps any post of a few sentences out, whatever words it shares.
SAME_TITLE = 0.8
SAME_ABSTRACT = 0.8
SAME_LENGTH = 0.5
SAME_CONCEPT_LIMIT = 2  # at most this many picks led by the same concept, while others remain
UPVOTE_BOOST = 0.05  # relevance × (1 + boost × ln(1 + upvotes))
KEYWORD_BONUS = 0.5  # each keyword matched adds half the best relevance of the day
EXPLAINED = 60  # candidates, from the top, whose reasons are spelled out
_ENGLISH = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True)
class Profile:
    """What the listeners care about: their project in their own words, plus keywords, and
    the papers they keep in their library or rated (each weighted by how recent it is on
    ``day``)."""

    project: str
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    day: date | None = None

    def document(self) -> Document:
        profile = analyse(self.project)
        for keyword in self.keywords:  # a keyword counts as much as saying it twice
            for feature, count in analyse(keyword).features.items():
                profile.features[feature] += 2 * count
        return profile


@dataclass(frozen=True)
class Candidate:
    pick: Pick
    vector: dict[str, float]
    lead: str | None  # the strongest shared concept


class Refiner(Protocol):
    """An optional model-based step between lexical ranking and picking (refine.py)."""

    def refine(self, profile: Profile, candidates: list[Candidate],
               language: str) -> list[Candidate]: ...


@dataclass(frozen=True)
class Selection:
    picks: list[Pick]  # in broadcast order
    ranked: list[Pick]  # every eligible candidate, best first
    excluded: list[tuple[Paper, str]]  # dropped by [listener] exclude, with the term that matched


def select_papers(
    papers: Sequence[Paper],
    profile: Profile,
    limit: int,
    already_broadcast: Collection[str] = (),
    language: str = "zh-CN",
    refiners: Sequence[Refiner] = (),
) -> Selection:
    """Rank the papers not yet broadcast and pick up to ``limit`` diverse ones."""
    fresh = [paper for paper in papers if paper.id not in already_broadcast]
    eligible, excluded = _apply_exclude(fresh, profile.exclude)
    candidates = rank_candidates(eligible, profile, language)
    for refiner in refiners:
        candidates = refiner.refine(profile, candidates, language)
    return Selection(pick_diverse(candidates, limit), [c.pick for c in candidates], excluded)


def rank_candidates(papers: Sequence[Paper], profile: Profile, language: str) -> list[Candidate]:
    """Every paper scored against the profile, best first (ties keep source order); the top
    :data:`EXPLAINED` say why in words (explaining is the slow part, and nobody reads on)."""
    documents = [analyse(_text(paper)) for paper in papers]
    matches = rank(profile.document(), documents)
    keyword_features = [(k, set(analyse(k).features)) for k in profile.keywords]
    top = max((m.score for m in matches), default=0.0)
    scores = [
        m.score * (1 + UPVOTE_BOOST * math.log1p(p.upvotes or 0))
        + KEYWORD_BONUS * top * len(_keyword_hits(keyword_features, d))
        for p, m, d in zip(papers, matches, documents, strict=True)
    ]
    order = sorted(range(len(papers)), key=lambda i: (-scores[i], i))
    candidates = []
    for place, i in enumerate(order):
        paper, match = papers[i], matches[i]
        reasons = (
            _reasons(paper, match, documents[i], profile, keyword_features, language)
            if place < EXPLAINED else ()
        )
        pick = Pick(paper=paper, score=round(scores[i], 4), topics=match.topics, reasons=reasons)
        candidates.append(Candidate(pick, match.vector,
                                    match.concepts[0] if match.concepts else None))
    return candidates


def pick_diverse(candidates: Sequence[Candidate], limit: int) -> list[Pick]:
    """The best candidates in order, a duplicate of a pick (the same paper) merged into it and,
    while others are left, a third paper led by the same concept put off."""
    chosen: list[Candidate] = []
    deferred: list[Candidate] = []
    wording = _Wording()
    for candidate in candidates:
        if len(chosen) == limit:
            break
        if _merge_duplicate(candidate, chosen, wording) or _merge_duplicate(candidate, deferred,
                                                                            wording):
            continue
        if candidate.lead and sum(c.lead == candidate.lead for c in chosen) >= SAME_CONCEPT_LIMIT:
            deferred.append(candidate)
            continue
        chosen.append(candidate)
    chosen += deferred[: limit - len(chosen)]
    return [c.pick for c in chosen]


def _merge_duplicate(candidate: Candidate, picked: list[Candidate], wording: _Wording) -> bool:
    """Whether ``candidate`` is the same paper as one in ``picked``; if so, that one becomes the
    richer of the two, offered by the sources of both."""
    for place, other in enumerate(picked):
        if wording.same_paper(candidate.pick.paper, other.pick.paper):
            keep, drop = sorted((other, candidate), key=lambda c: _richness(c.pick.paper),
                                reverse=True)
            sources = tuple(dict.fromkeys(keep.pick.paper.sources + drop.pick.paper.sources))
            paper = replace(keep.pick.paper, sources=sources)
            picked[place] = replace(keep, pick=replace(keep.pick, paper=paper))
            return True
    return False


def _richness(paper: Paper) -> tuple[bool, int, int]:
    """What makes one item of a paper better to tell than another: an arXiv entry (its full
    text can be read) before a web post, then the longer abstract, then more fields known."""
    known = (paper.authors, paper.url, paper.published, paper.categories, paper.title_zh,
             paper.summary_zh, paper.upvotes is not None, paper.digest)
    return paper.is_arxiv, len(paper.summary), sum(bool(value) for value in known)


class _Wording:
    """Whether two items are one paper: one id, or nearly the same title and abstract of about
    the same length. Each text's words are counted once."""

    def __init__(self) -> None:
        self._words: dict[str, tuple[dict[str, float], int]] = {}

    def same_paper(self, a: Paper, b: Paper) -> bool:
        if a.id == b.id:
            return True
        (shorter, few), (longer, many) = sorted(
            (self._counted(a.summary), self._counted(b.summary)), key=lambda words: words[1])
        if not few or few < SAME_LENGTH * many:
            return False
        return (similarity(self._counted(a.title)[0], self._counted(b.title)[0]) >= SAME_TITLE
                and similarity(shorter, longer) >= SAME_ABSTRACT)

    def _counted(self, text: str) -> tuple[dict[str, float], int]:
        """The words of ``text`` (stop words, concepts and topics left out) as a unit vector of
        their counts, and how many there are."""
        if text not in self._words:
            counts = {f: n for f, n in analyse(text).features.items()
                      if f[0] not in (CONCEPT, TOPIC)}
            self._words[text] = unit(counts), sum(counts.values())
        return self._words[text]


def _text(paper: Paper) -> str:
    return f"{paper.title}. {paper.title_zh} {paper.summary} {paper.summary_zh}"


def _reasons(
    paper: Paper,
    match: Match,
    document: Document,
    profile: Profile,
    keyword_features: list[tuple[str, set[str]]],
    language: str,
) -> tuple[str, ...]:
    concepts = [glossary().concepts[key] for key in match.concepts]
    reasons = []
    if concepts:
        labels = ", ".join(dict.fromkeys(c.label(language) for c in concepts[:4]))
        reasons.append(f"shares with the project: {labels}")
    named = {c.topic for c in concepts}
    fields = [TOPICS_BY_KEY[t].label(language) for t in match.topics
              if t in TOPICS_BY_KEY and t not in named]
    if fields:
        reasons.append(f"same field: {', '.join(fields[:3])}")
    hits = _keyword_hits(keyword_features, document)
    if hits:
        reasons.append(f"matches keywords: {', '.join(hits)}")
    shared = _shared_words(profile.project, _text(paper), set(match.terms))
    if shared:
        reasons.append(f"also mentions: {', '.join(shared[:5])}")
    if paper.upvotes:
        reasons.append(f"{paper.upvotes} upvotes on Hugging Face")
    if not match.terms and not concepts and not fields:
        reasons.append("no clear link to the project; picked to fill the show")
    return tuple(reasons)


def _keyword_hits(keyword_features: list[tuple[str, set[str]]], document: Document) -> list[str]:
    """The keywords all of whose features (words, character pairs, concepts) the paper has."""
    return [k for k, features in keyword_features
            if features and features <= document.features.keys()]


def _shared_words(project: str, text: str, features: set[str]) -> list[str]:
    """The shared features as people read them: whole English words rather than stems, and
    the longest shared runs of Chinese characters rather than character pairs."""
    found: list[str] = []
    for word in dict.fromkeys(_ENGLISH.findall(text.lower())):
        stems = words(word)
        if len(stems) == 1 and stems[0] in features and word not in found:
            found.append(word)
    for run in han_runs(project):
        start = 0
        while start < len(run) - 1:
            end = start + 2
            if run[start:end] not in features or run[start:end] not in text:
                start += 1
                continue
            while end < len(run) and run[start : end + 1] in text:
                end += 1
            found.append(run[start:end])
            start = end
    distinct = [w for w in dict.fromkeys(found) if not any(w != o and w in o for o in found)]
    return sorted(distinct, key=lambda w: -len(w))


def _apply_exclude(papers: Sequence[Paper],
                   terms: Sequence[str]) -> tuple[list[Paper], list[tuple[Paper, str]]]:
    if not terms:
        return list(papers), []
    patterns = [(term, tuple(words(term))) for term in terms]
    kept, dropped = [], []
    for paper in papers:
        text = _text(paper)
        stems = " " + " ".join(words(text)) + " "
        hit = next(
            (term for term, seq in patterns
             if (seq and f" {' '.join(seq)} " in stems) or (not seq and term in text)),
            None,
        )
        if hit:
            dropped.append((paper, hit))
        else:
            kept.append(paper)
    return kept, dropped


def refined(candidate: Candidate, score: float, reason: str | None = None) -> Candidate:
    """``candidate`` with a new score and, first among its reasons, the refiner's."""
    reasons = (reason, *candidate.pick.reasons) if reason else candidate.pick.reasons
    return replace(candidate, pick=replace(candidate.pick, score=round(score, 4), reasons=reasons))


