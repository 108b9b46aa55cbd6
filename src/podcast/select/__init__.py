"""Stage 2, select: the papers that matter most to the listeners, none broadcast before, none
excluded, none below ``min_score``, no two alike.

Ranking is offline and explainable (see rank.py): tf-idf over words, Chinese character pairs
and bilingual glossary concepts against the project's text and keywords, plus likeness to the
papers the team keeps in its library and rated (affinity.py), a small boost for Hugging Face
upvotes, and, when configured, refinement by embeddings or an LLM reranker (refine.py). Every
pick says why it was chosen, in the show's language (reasons.py).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from ..models import LIBRARY, Paper, Pick, Reference
from .affinity import FAR, Affinity, Closeness
from .rank import CONCEPT, TOPIC, Document, TfIdf, analyse, rank, similarity, unit
from .reasons import explain

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
LIKE_WEIGHT = 2.0  # likeness to the library and the papers rated up, added to the relevance
DISLIKE_WEIGHT = 1.0  # likeness to a paper rated down takes this share of the score off
CLOSE = 0.05  # a reference at least this close (weighted cosine) is named among the reasons
EXPLAINED = 60  # candidates, from the top, whose reasons are spelled out


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

    @property
    def empty(self) -> bool:
        """Whether it says nothing to rank by (no project, keywords or references): then
        every paper scores 0, and none is left out for it."""
        return not (self.project.strip() or self.keywords or self.references)

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
    from_backlog: int = 0  # picks from the backlog of earlier days
    below: int = 0  # candidates left out for scoring under min_score


def select_papers(
    papers: Sequence[Paper],
    profile: Profile,
    limit: int,
    already_broadcast: Collection[str] = (),
    language: str = "zh-CN",
    refiners: Sequence[Refiner] = (),
    backlog: Sequence[Paper] = (),
    min_score: float = 0.0,
) -> Selection:
    """Rank the papers not yet broadcast and pick up to ``limit`` diverse ones scoring
    ``min_score`` or more: first from ``papers``, then from the ``backlog`` of earlier days (one
    ranking for both). ``min_score`` applies to the offline score, before any refiner, and
    not at all to an empty profile."""
    new = {paper.id for paper in papers}
    fresh = [paper for paper in papers if paper.id not in already_broadcast]
    fresh += list({paper.id: paper for paper in backlog
                   if paper.id not in already_broadcast and paper.id not in new}.values())
    eligible, excluded = apply_exclude(fresh, profile.exclude)
    candidates = rank_candidates(eligible, profile, language)
    floor = 0.0 if profile.empty else min_score
    relevant = {c.pick.paper.id for c in candidates if c.pick.score >= floor}
    for refiner in refiners:
        candidates = refiner.refine(profile, candidates, language)
    kept = [c for c in candidates if c.pick.paper.id in relevant]
    picks = pick_diverse([c for c in kept if c.pick.paper.id in new], limit)
    older = pick_diverse([c for c in kept if c.pick.paper.id not in new], limit - len(picks),
                         besides=[p.paper for p in picks])
    return Selection(picks + older, [c.pick for c in candidates], excluded, len(older),
                     len(candidates) - len(relevant))


def rank_candidates(papers: Sequence[Paper], profile: Profile, language: str) -> list[Candidate]:
    """Every paper scored against the profile, best first (ties keep source order); the top
    :data:`EXPLAINED` say why in words (explaining is the slow part, and nobody reads on)."""
    documents = [analyse(_text(paper)) for paper in papers]
    affinity = Affinity(profile.references, profile.day)
    tfidf = TfIdf(documents + affinity.documents)
    affinity.index(tfidf)
    matches = rank(profile.document(), documents, tfidf)
    keywords = [Term.of(k) for k in profile.keywords]
    top = max((m.score for m in matches), default=0.0)
    closeness = [affinity.closeness(m.vector) if affinity else FAR for m in matches]
    # Every abstract shares a little with a library of papers in its field: what counts is being
    # more like it than the day's typical paper is (most of a day's papers are not for us).
    usual = statistics.median(near.like for near in closeness) if closeness else 0.0
    scores = [
        (m.score * (1 + UPVOTE_BOOST * math.log1p(p.upvotes or 0))
         + KEYWORD_BONUS * top * sum(k.found_in(d) for k in keywords)
         + LIKE_WEIGHT * max(0.0, near.like - usual))
        * max(0.0, 1 - DISLIKE_WEIGHT * near.dislike)
        for p, m, d, near in zip(papers, matches, documents, closeness, strict=True)
    ]
    order = sorted(range(len(papers)), key=lambda i: (-scores[i], i))
    candidates = []
    for place, i in enumerate(order):
        paper, match = papers[i], matches[i]
        reasons = explain(
            paper, match, documents[i], profile.project,
            [k.text for k in keywords if k.found_in(documents[i])], _closest(closeness[i]),
            language,
        ) if place < EXPLAINED else ()
        pick = Pick(paper=paper, score=round(scores[i], 4), topics=match.topics, reasons=reasons)
        candidates.append(Candidate(pick, match.vector,
                                    match.concepts[0] if match.concepts else None))
    return candidates


def _closest(near: Closeness) -> list[tuple[str, Reference]]:
    """The references to name among a paper's reasons, with the wording of each."""
    named: list[tuple[str, Reference]] = []
    if near.nearest and near.like >= CLOSE:
        named.append(("library" if near.nearest.kind == LIBRARY else "liked", near.nearest))
    if near.disliked and near.dislike >= CLOSE:
        named.append(("disliked", near.disliked))
    return named


@dataclass(frozen=True)
class Term:
    """A keyword or an excluded term, matched in any of its forms: through the glossary concepts
    it names (robotics meets robot and 机器人), else through all its words, whatever their
    endings (robotics meets robotic), else as it is written."""

    text: str
    concepts: frozenset[str]
    roots: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Term:
        features = analyse(text).features
        concepts = frozenset(f for f in features if f[0] == CONCEPT)
        return cls(text, concepts, frozenset(_roots(features)))

    def found_in(self, document: Document, text: str = "") -> bool:
        if self.concepts:
            return self.concepts <= document.features.keys()
        if self.roots:
            return self.roots <= _roots(document.features)
        return bool(text) and self.text in text


def _roots(features: Collection[str]) -> set[str]:
    """Word stems and character pairs, English stems cut to their root (robotic → robot)."""
    roots = set()
    for feature in features:
        if feature[0] in (CONCEPT, TOPIC):
            continue
        for suffix in ("ical", "ic", "al"):
            if feature.endswith(suffix) and len(feature) - len(suffix) >= 4:
                feature = feature[: -len(suffix)]
                break
        roots.add(feature)
    return roots


def pick_diverse(candidates: Sequence[Candidate], limit: int,
                 besides: Sequence[Paper] = ()) -> list[Pick]:
    """The best candidates in order, a duplicate of a pick (the same paper) merged into it and,
    while others are left, a third paper led by the same concept put off; none that is the same
    paper as one of ``besides`` (picked already)."""
    chosen: list[Candidate] = []
    deferred: list[Candidate] = []
    wording = _Wording()
    for candidate in candidates:
        if len(chosen) >= limit:
            break
        if any(wording.same_paper(candidate.pick.paper, other) for other in besides):
            continue
        if _merge_duplicate(candidate, chosen, wording) or _merge_duplicate(candidate, deferred,
                                                                            wording):
            continue
        if candidate.lead and sum(c.lead == candidate.lead for c in chosen) >= SAME_CONCEPT_LIMIT:
            deferred.append(candidate)
            continue
        chosen.append(candidate)
    chosen += deferred[: max(0, limit - len(chosen))]
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


def apply_exclude(papers: Sequence[Paper],
                  terms: Sequence[str]) -> tuple[list[Paper], list[tuple[Paper, str]]]:
    """``papers`` without those naming an excluded term in any form (see :class:`Term`), and
    those left out with the term that matched."""
    if not terms:
        return list(papers), []
    excluded = [Term.of(term) for term in terms]
    kept, dropped = [], []
    for paper in papers:
        text = _text(paper)
        document = analyse(text)
        hit = next((term.text for term in excluded if term.found_in(document, text)), None)
        if hit:
            dropped.append((paper, hit))
        else:
            kept.append(paper)
    return kept, dropped


def refined(candidate: Candidate, score: float, reason: str | None = None) -> Candidate:
    """``candidate`` with a new score and, first among its reasons, the refiner's."""
    reasons = (reason, *candidate.pick.reasons) if reason else candidate.pick.reasons
    return replace(candidate, pick=replace(candidate.pick, score=round(score, 4), reasons=reasons))


