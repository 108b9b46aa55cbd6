"""How close a candidate is to the papers the team has told us about (models.Reference): the
papers it keeps in its library and those it rated up pull papers like them up, those it rated
down push papers like them down. Recent ones count more, as zotero-arxiv-daily weighs its
library by when an item was added.

Likeness is the cosine of the same tf-idf vectors the profile ranking uses (rank.py), so a
Chinese library entry meets an English abstract through the glossary's concepts. An inverted
index over the heaviest terms of the 500 most recent references ranks 2,000 candidates against
them in about a second (bench/select.py --library 500).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

from ..models import RATED_DOWN, RATED_UP, Reference
from .rank import TfIdf, analyse

HALF_LIFE_DAYS = 180.0  # a paper kept this long ago counts half as much as one kept today
OLDEST_WEIGHT = 0.25  # and never less than this
UNDATED_WEIGHT = 0.5  # a paper whose date added is unknown
RATED_WEIGHT = 1.5  # a rating is said outright: it counts more than a paper merely kept
NEAREST = 3  # likeness to the library: the mean of the nearest few, weighted
MOST_REFERENCES = 500  # the most recent ones; older ones add little and cost time
TERMS_KEPT = 60  # of each reference's vector, the heaviest terms (enough for the cosine)


@dataclass(frozen=True)
class Closeness:
    """How like one candidate is to the kept and liked papers, and to the disliked ones."""

    like: float  # 0 to 1
    dislike: float  # 0 to 1
    nearest: Reference | None  # the kept or liked paper most like it
    disliked: Reference | None  # the disliked paper most like it


FAR = Closeness(0.0, 0.0, None, None)


def reference_text(reference: Reference) -> str:
    paper = reference.paper
    return f"{paper.title}. {paper.title_zh} {paper.summary} {paper.summary_zh}"


class Affinity:
    """The references of one ranking, weighted by kind and age on ``day``, as vectors."""

    def __init__(self, references: Sequence[Reference], day: date | None) -> None:
        dated = sorted(references, key=lambda r: r.added or date.min, reverse=True)
        self.references = dated[:MOST_REFERENCES]
        self.documents = [analyse(reference_text(r)) for r in self.references]
        self.weights = [weight(r, day) for r in self.references]
        self._liked: dict[str, list[tuple[int, float]]] = {}
        self._disliked: dict[str, list[tuple[int, float]]] = {}

    def __bool__(self) -> bool:
        return bool(self.references)

    def index(self, tfidf: TfIdf) -> None:
        """Vectorise the references with the day's inverse document frequencies, each weighted
        into its terms, the liked and the disliked apart."""
        liked: dict[str, list[tuple[int, float]]] = defaultdict(list)
        disliked: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, (reference, document) in enumerate(zip(self.references, self.documents,
                                                      strict=True)):
            index = disliked if reference.kind == RATED_DOWN else liked
            weight = self.weights[i]
            for term, value in heaviest(tfidf.vector(document)):
                index[term].append((i, value * weight))
        self._liked, self._disliked = dict(liked), dict(disliked)

    def closeness(self, vector: dict[str, float]) -> Closeness:
        terms = list(vector.items())
        likes = _cosines(self._liked, terms)
        nearest = heapq.nlargest(NEAREST, likes.items(), key=itemgetter(1))
        dislikes = _cosines(self._disliked, terms) if self._disliked else {}
        worst = max(dislikes.items(), key=itemgetter(1), default=None)
        return Closeness(
            # one paper alone, however close, is a third of the way
            like=sum(value for _, value in nearest) / NEAREST,
            dislike=worst[1] if worst else 0.0,
            nearest=self.references[nearest[0][0]] if nearest else None,
            disliked=self.references[worst[0]] if worst else None,
        )


def heaviest(vector: dict[str, float]) -> list[tuple[str, float]]:
    """The :data:`TERMS_KEPT` heaviest terms of a reference's vector: enough for its cosines,
    and less work than all of them."""
    return heapq.nlargest(TERMS_KEPT, vector.items(), key=itemgetter(1))


def _cosines(index: dict[str, list[tuple[int, float]]],
             terms: list[tuple[str, float]]) -> dict[int, float]:
    """Reference → weighted cosine with the vector of ``terms``."""
    sums: dict[int, float] = defaultdict(float)
    for term, value in terms:
        for i, weight in index.get(term, ()):
            sums[i] += value * weight
    return sums


def weight(reference: Reference, day: date | None) -> float:
    """How much ``reference`` counts on ``day``: by its age, more when rated."""
    if reference.added is None or day is None:
        weight = UNDATED_WEIGHT if reference.added is None else 1.0
    else:
        age = max(0, (day - reference.added).days)
        weight = max(OLDEST_WEIGHT, 0.5 ** (age / HALF_LIFE_DAYS))
    return weight * (RATED_WEIGHT if reference.kind in (RATED_UP, RATED_DOWN) else 1.0)
