"""Papers grouped by what they are about: the weekly recap's themes when no model writes it.

Lexical clustering: average-linkage agglomerative clustering over the same tf-idf vectors ranking
uses (word stems, Chinese character pairs, glossary concepts and their topics), each group named
after the topic most of its papers share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..models import Paper
from .rank import TfIdf, analyse, similarity, unit
from .topics import find_topics

MAX_THEMES = 5


def group(papers: Sequence[Paper], limit: int = MAX_THEMES) -> list[tuple[str | None, list[Paper]]]:
    """``papers`` grouped by what they are about, each group with its topic (topics.TOPICS
    key), largest first, papers in broadcast order. Average-linkage clustering merges the most
    similar groups while they are alike enough (THRESHOLD); beyond ``limit`` groups, the
    smallest go together as the "other" group (topic None), as do papers with no known topic.
    Deterministic: ties go to the earlier papers."""
    if not papers:
        return []
    profiles = [_topic_profile(paper) for paper in papers]
    documents = [analyse(_text(paper)) for paper in papers]
    tfidf = TfIdf(documents)
    vectors = [tfidf.vector(document) for document in documents]
    alike = [[TOPIC_WEIGHT * similarity(profiles[a], profiles[b])
              + (1 - TOPIC_WEIGHT) * similarity(vectors[a], vectors[b])
              for b in range(len(papers))] for a in range(len(papers))]
    clusters = [[i] for i in range(len(papers))]
    while len(clusters) > 1:
        best, merge = -1.0, (0, 1)
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                link = (sum(alike[a][b] for a in clusters[i] for b in clusters[j])
                        / (len(clusters[i]) * len(clusters[j])))
                if link > best:
                    best, merge = link, (i, j)
        if best < THRESHOLD:
            break
        i, j = merge
        clusters[i] = sorted(clusters[i] + clusters.pop(j))
    named: dict[str | None, list[int]] = {}
    for members in clusters:
        named.setdefault(_main_topic([profiles[i] for i in members]), []).extend(members)
    ranked = sorted(named.items(), key=lambda item: (item[0] is None, -len(item[1]), min(item[1])))
    topical = [item for item in ranked if item[0] is not None]
    kept = topical[: limit - 1 if len(ranked) > limit else limit]
    other = sorted(i for topic, members in ranked if (topic, members) not in kept for i in members)
    groups = [*kept, *([(None, other)] if other else [])]
    return [(topic, [papers[i] for i in sorted(members)]) for topic, members in groups]


TOPIC_WEIGHT = 0.7  # how much sharing a topic counts against sharing words, in clustering
THRESHOLD = 0.3  # groups less alike than this stay apart


def _topic_profile(paper: Paper) -> dict[str, float]:
    """The paper's topics as a unit vector of mentions."""
    return unit(find_topics(_text(paper)))


def _main_topic(profiles: Sequence[dict[str, float]]) -> str | None:
    """The topic that carries most of a group's weight, if it carries a third of it at least."""
    mass: Counter[str] = Counter()
    for profile in profiles:
        mass.update(profile)
    if not mass:
        return None
    topic, weight = mass.most_common(1)[0]
    return topic if weight >= sum(mass.values()) / 3 else None


def topic_counts(papers: Sequence[Paper]) -> Counter[str]:
    """Papers per main topic."""
    return Counter(topic for paper in papers if (topic := _main_topic([_topic_profile(paper)])))


def _text(paper: Paper) -> str:
    return f"{paper.title} {paper.title_zh} {paper.summary}"
