"""Offline, explainable relevance ranking: tf-idf cosine between the listeners' profile and
each candidate, over English word stems, Chinese character pairs and glossary concepts.

Concepts are what let a Chinese profile (知识蒸馏) meet an English abstract (knowledge
distillation); they count double. Nothing is downloaded: ranking 2,000 abstracts takes well
under a second (bench/select.py).

The loops over every word of every abstract run in C (``map``, ``compress``, ``zip`` over dicts
that remember what they worked out once); each figure is computed with the same operations in
the same order as a plain loop would, so the scores are the same to the last bit
(tests/test_ranking_unchanged.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, compress, repeat
from operator import mul, truediv

from .glossary import KEPT_WORDS, Glossary, glossary, han_runs, tokens, words

CONCEPT = "@"  # feature prefix of a glossary concept
TOPIC = "%"  # feature prefix of a concept's coarse topic
# a topic weighs 1, like a word; a power of two, so that weighting before or after the idf is
# the same multiplication to the last bit
CONCEPT_WEIGHT = 2.0


class _Sublinear(dict[int, float]):
    """1 + ln(tf) by term frequency tf, each worked out once."""

    def __missing__(self, count: int) -> float:
        found = self[count] = 1 + math.log(count)
        return found


_SUBLINEAR = _Sublinear()
STOPWORDS = frozenset(words(
    "a an and are as at be been being between both but by can could do does for from had has have"
    " how however in into is it its may more most much not of on one or our over such than that the"
    " their them then there these they this those through to two under up upon using use used via"
    " was we were what when where which while who will with within without would also each other"
    " new novel approach approaches method methods paper propose proposed present show shows study"
    " result results based across well further first second third its it's can't"
    " model models task tasks data performance work framework existing large language"
))
_HAN_STOP = frozenset((
    "我们 一个 这个 这些 进行 通过 可以 以及 他们 如何 什么 一种"
    " 的是 是一 我们在 在为 用于 以上"
).split())


class _Counted(dict[str, bool]):
    """Whether a word stem is a feature: not a stop word, a number or a single letter."""

    def __missing__(self, term: str) -> bool:
        if len(self) >= KEPT_WORDS:
            self.clear()
        found = self[term] = not (len(term) < 2 or term in STOPWORDS or term.isdigit())
        return found


_COUNTED = _Counted()


@dataclass(frozen=True)
class Document:
    """A text as counted features: word stems, Chinese character pairs, @concepts."""

    features: Counter[str]


def analyse(text: str, terms: Glossary | None = None) -> Document:
    terms = terms or glossary()
    stems, written = tokens(text)
    features: Counter[str] = Counter(compress(stems, map(_COUNTED.__getitem__, stems)))
    keys = terms.in_words(stems, written)
    for run in han_runs(text):
        features.update(pair for i in range(len(run) - 1)
                        if (pair := run[i : i + 2]) not in _HAN_STOP)
        keys += terms.in_chinese(run)
    features.update(chain.from_iterable(map(_concept_features(terms).__getitem__, keys)))
    return Document(features)


@cache
def _concept_features(terms: Glossary) -> dict[str, tuple[str, ...]]:
    """The features a mention of each concept counts: the concept, and its topic when it has
    one (tax and annual reports are different concepts, but both finance)."""
    return {key: (CONCEPT + key, TOPIC + concept.topic) if concept.topic else (CONCEPT + key,)
            for key, concept in terms.concepts.items()}


@dataclass(frozen=True)
class Match:
    """How one document relates to the profile."""

    score: float  # cosine similarity, 0 to 1
    concepts: tuple[str, ...]  # shared glossary concepts, strongest first
    topics: tuple[str, ...]  # shared topics, strongest first
    terms: tuple[str, ...]  # other shared features (stems, character pairs), strongest first
    vector: dict[str, float]  # the document's normalised tf-idf vector, for diversity


class TfIdf:
    """Inverse document frequencies over one day's candidates."""

    def __init__(self, documents: Sequence[Document]) -> None:
        frequency: Counter[str] = Counter()
        for document in documents:
            frequency.update(document.features.keys())
        total = len(documents)
        self._idf = {term: math.log((1 + total) / (1 + df)) + 1 for term, df in frequency.items()}
        self._unseen = math.log(1 + total) + 1
        self._weights = _Weights(self._idf, self._unseen)

    def vector(self, document: Document) -> dict[str, float]:
        """(1 + ln tf) × idf, doubled for a concept, scaled to length one."""
        features = document.features
        return _scaled(features, list(map(mul, map(_SUBLINEAR.__getitem__, features.values()),
                                          map(self._weights.__getitem__, features))))


class _Weights(dict[str, float]):
    """Each term's idf, doubled for a concept; a term no document has weighs as one that only
    one document has."""

    def __init__(self, idf: Mapping[str, float], unseen: float) -> None:
        super().__init__({term: value * CONCEPT_WEIGHT if term[0] == CONCEPT else value
                          for term, value in idf.items()})
        self.unseen = unseen

    def __missing__(self, term: str) -> float:
        return self.unseen * CONCEPT_WEIGHT if term[0] == CONCEPT else self.unseen


def rank(profile: Document, documents: Sequence[Document],
         tfidf: TfIdf | None = None) -> list[Match]:
    """Each document's match with ``profile``, in the documents' order (weighted by ``tfidf``,
    by default the documents' own)."""
    tfidf = tfidf or TfIdf(documents)
    wanted = tfidf.vector(profile)
    matches = []
    for document in documents:
        vector = tfidf.vector(document)
        shared = sorted(((wanted[t] * vector[t], t) for t in vector.keys() & wanted.keys()),
                        reverse=True)
        matches.append(Match(
            score=sum(value for value, _ in shared),
            concepts=tuple(t[1:] for _, t in shared if t[0] == CONCEPT),
            topics=tuple(t[1:] for _, t in shared if t[0] == TOPIC),
            terms=tuple(t for _, t in shared if t[0] not in (CONCEPT, TOPIC)),
            vector=vector,
        ))
    return matches


def unit(weights: Mapping[str, float]) -> dict[str, float]:
    """``weights`` scaled to length one, so that :func:`similarity` of two is their cosine."""
    return _scaled(weights, list(weights.values()))


def _scaled(terms: Iterable[str], weights: list[float]) -> dict[str, float]:
    """Each term with its weight (in the same order), the weights scaled to length one."""
    norm = math.sqrt(sum(map(mul, weights, weights))) or 1.0
    return dict(zip(terms, map(truediv, weights, repeat(norm)), strict=True))


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(map(mul, a.values(), map(b.get, a, repeat(0.0))))
