"""How close a candidate is to the papers the team has told us about (models.Reference): the
papers it keeps in its library and those it rated up pull papers like them up, those it rated
down push papers like them down. Recent ones count more, as zotero-arxiv-daily weighs its
library by when an item was added.

Likeness is the cosine of the same tf-idf vectors the profile ranking uses (rank.py), so a
Chinese library entry meets an English abstract through the glossary's concepts; an inverted
index over the references' heaviest terms keeps 2,000 candidates against 1,000 references well
under a second.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..models import RATED_DOWN, RATED_UP, Reference
from .rank import TfIdf, analyse

HALF_LIFE_DAYS = 180.0  # a paper kept this long ago counts half as much as one kept today
OLDEST_WEIGHT = 0.25  # and never less than this
UNDATED_WEIGHT = 0.5  # a paper whose date added is unknown
RATED_WEIGHT = 1.5  # a rating is said outright: it counts more than a paper merely kept
NEAREST = 3  # likeness to the library: the mean of the nearest few, weighted
MOST_REFERENCES = 1000  # the most recent ones; older ones add little and cost time
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
        self.weights = [_weight(r, day) for r in self.references]
        self._index: dict[str, list[tuple[int, float]]] = {}

    def __bool__(self) -> bool:
        return bool(self.references)

    def index(self, tfidf: TfIdf) -> None:
        """Vectorise the references with the day's inverse document frequencies."""
        index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, document in enumerate(self.documents):
            vector = tfidf.vector(document)
            for term, value in sorted(vector.items(), key=lambda kv: -kv[1])[:TERMS_KEPT]:
                index[term].append((i, value))
        self._index = dict(index)

    def closeness(self, vector: dict[str, float]) -> Closeness:
        cosines: dict[int, float] = defaultdict(float)
        index = self._index
        for term, value in vector.items():
            for i, weight in index.get(term, ()):
                cosines[i] += value * weight
        if not cosines:
            return FAR
        liked = sorted(((cosine * self.weights[i], i) for i, cosine in cosines.items()
                        if self.references[i].kind != RATED_DOWN), reverse=True)
        disliked = max(((cosine * self.weights[i], i) for i, cosine in cosines.items()
                        if self.references[i].kind == RATED_DOWN), default=(0.0, -1))
        nearest = liked[:NEAREST]  # one paper alone, however close, is a third of the way
        return Closeness(
            like=sum(value for value, _ in nearest) / NEAREST,
            dislike=disliked[0],
            nearest=self.references[nearest[0][1]] if nearest else None,
            disliked=self.references[disliked[1]] if disliked[1] >= 0 else None,
        )


def _weight(reference: Reference, day: date | None) -> float:
    if reference.added is None or day is None:
        weight = UNDATED_WEIGHT if reference.added is None else 1.0
    else:
        age = max(0, (day - reference.added).days)
        weight = max(OLDEST_WEIGHT, 0.5 ** (age / HALF_LIFE_DAYS))
    return weight * (RATED_WEIGHT if reference.kind in (RATED_UP, RATED_DOWN) else 1.0)
