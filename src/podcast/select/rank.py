"""Offline, explainable relevance ranking: tf-idf cosine between the listeners' profile and
each candidate, over English word stems, Chinese character pairs and glossary concepts.

Concepts are what let a Chinese profile (知识蒸馏) meet an English abstract (knowledge
distillation); they count double. Nothing is downloaded: ranking 2,000 abstracts takes well
under a second (bench/select.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .glossary import Glossary, glossary, han_runs, tokens, words

CONCEPT = "@"  # feature prefix of a glossary concept
TOPIC = "%"  # feature prefix of a concept's coarse topic
CONCEPT_WEIGHT = 2.0  # a topic weighs 1, like a word
_SUBLINEAR = [0.0] + [1 + math.log(n) for n in range(1, 64)]  # 1 + ln(tf), precomputed
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


@dataclass(frozen=True)
class Document:
    """A text as counted features: word stems, Chinese character pairs, @concepts."""

    features: Counter[str]


def analyse(text: str, terms: Glossary | None = None) -> Document:
    terms = terms or glossary()
    stems, written = tokens(text)
    features: Counter[str] = Counter(stems)
    for term in [t for t in features if len(t) < 2 or t in STOPWORDS or t.isdigit()]:
        del features[term]
    keys = terms.in_words(stems, written)
    for run in han_runs(text):
        features.update(pair for i in range(len(run) - 1)
                        if (pair := run[i : i + 2]) not in _HAN_STOP)
        keys += terms.in_chinese(run)
    concepts = terms.concepts
    for key in keys:
        features[CONCEPT + key] += 1
        topic = concepts[key].topic
        if topic:  # tax and annual reports are different concepts, but both finance
            features[TOPIC + topic] += 1
    return Document(features)


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

    def vector(self, document: Document) -> dict[str, float]:
        idf, unseen, tf = self._idf, self._unseen, _SUBLINEAR
        vector = {
            term: (tf[count] if count < len(tf) else 1 + math.log(count)) * idf.get(term, unseen)
            * (CONCEPT_WEIGHT if term[0] == CONCEPT else 1.0)
            for term, count in document.features.items()
        }
        return unit(vector)


def rank(profile: Document, documents: Sequence[Document],
         tfidf: TfIdf | None = None) -> list[Match]:
    """Each document's match with ``profile``, in the documents' order (weighted by ``tfidf``,
    by default the documents' own)."""
    tfidf = tfidf or TfIdf(documents)
    wanted = tfidf.vector(profile)
    matches = []
    for document in documents:
        vector = tfidf.vector(document)
        shared = sorted(
            ((wanted[t] * w, t) for t, w in vector.items() if t in wanted), reverse=True
        )
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
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {term: w / norm for term, w in weights.items()}


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())
