"""Papers grouped by what they are about: the weekly recap's themes when no model writes it.

Lexical clustering: average-linkage agglomerative clustering over the same tf-idf vectors ranking
uses (word stems, Chinese character pairs, glossary concepts and their topics), each group named
after the topic most of its papers share. The catch-all "other" group stays small: at most a
quarter of the papers, and never the biggest group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..models import Paper
from .rank import TfIdf, analyse, similarity, unit
from .topics import find_topics

MAX_THEMES = 7
OTHER_SHARE = 0.25  # at most this share of the papers go under "other"
TOPIC_WEIGHT = 0.7  # how much sharing a topic counts against sharing words, in clustering
THRESHOLD = 0.3  # groups less alike than this stay apart

Groups = list[tuple[str | None, list[int]]]  # (topic, or None for "other"; paper positions)


def group(papers: Sequence[Paper], limit: int = MAX_THEMES) -> list[tuple[str | None, list[Paper]]]:
    """``papers`` grouped by what they are about, each group with its topic (topics.TOPICS
    key), largest first, papers in broadcast order; the "other" group (topic None), if any,
    last. Average-linkage clustering merges the most similar groups while they are alike enough
    (THRESHOLD); a group is named after its main topic, and a group with none is split by its
    papers' own leading topics. Beyond ``limit`` groups, the smallest go under "other", as do
    papers with no known topic; then, while "other" holds more than OTHER_SHARE of the papers or
    is as big as the biggest group, its paper most alike to a group joins that group.
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
    named = _named(_clusters(alike), profiles)
    groups = _folded(named, limit)
    groups = _small_other(groups, alike, int(len(papers) * OTHER_SHARE))
    return [(topic, [papers[i] for i in sorted(members)]) for topic, members in groups]


def _clusters(alike: list[list[float]]) -> list[list[int]]:
    """Average-linkage agglomerative clustering of the papers by ``alike``."""
    clusters = [[i] for i in range(len(alike))]
    while len(clusters) > 1:
        best, merge = -1.0, (0, 1)
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                link = _link(alike, clusters[i], clusters[j])
                if link > best:
                    best, merge = link, (i, j)
        if best < THRESHOLD:
            break
        i, j = merge
        clusters[i] = sorted(clusters[i] + clusters.pop(j))
    return clusters


def _link(alike: list[list[float]], one: Sequence[int], other: Sequence[int]) -> float:
    """How alike two groups of papers are: the average over their pairs."""
    return sum(alike[a][b] for a in one for b in other) / (len(one) * len(other))


def _named(clusters: list[list[int]], profiles: Sequence[dict[str, float]]
           ) -> dict[str | None, list[int]]:
    """The clusters by topic: each under its main topic, those of one topic together; the papers
    of a cluster without one each under its own leading topic (None: no known topic), so that
    three multimodal papers clustered with two on efficiency make two themes, not "other"."""
    named: dict[str | None, list[int]] = {}
    for members in clusters:
        topic = _main_topic([profiles[i] for i in members])
        if topic:
            named.setdefault(topic, []).extend(members)
            continue
        for i in members:
            named.setdefault(_leading_topic(profiles[i]), []).append(i)
    return named


def _folded(named: dict[str | None, list[int]], limit: int) -> Groups:
    """The largest ``limit`` topic groups, or ``limit - 1`` and "other" holding the rest."""
    other = list(named.get(None, []))
    ranked = sorted(((topic, members) for topic, members in named.items() if topic),
                    key=lambda item: (-len(item[1]), min(item[1])))
    room = limit if not other and len(ranked) <= limit else limit - 1
    for _, members in ranked[room:]:
        other.extend(members)
    return [*ranked[:room], *([(None, sorted(other))] if other else [])]


def _small_other(groups: Groups, alike: list[list[float]], most: int) -> Groups:
    """``groups`` with "other" at most ``most`` papers and smaller than the biggest group: its
    papers most alike to a named group join that group, one at a time."""
    themes = [(topic, list(members)) for topic, members in groups if topic]
    other = next((list(members) for topic, members in groups if topic is None), [])
    while themes and other and (len(other) > most
                                or len(other) >= max(len(members) for _, members in themes)):
        _, paper, theme = max(((_link(alike, [i], members), i, t)
                               for i in other for t, (_, members) in enumerate(themes)),
                              key=lambda found: (found[0], -found[1], -found[2]))
        themes[theme][1].append(paper)
        other.remove(paper)
    themes.sort(key=lambda item: (-len(item[1]), min(item[1])))
    return [*themes, *([(None, other)] if other else [])]


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


def _leading_topic(profile: dict[str, float]) -> str | None:
    """The paper's most mentioned topic (the first of equals), if it has any."""
    return max(profile, key=lambda topic: profile[topic]) if profile else None


def topic_counts(papers: Sequence[Paper]) -> Counter[str]:
    """Papers per main topic."""
    return Counter(topic for paper in papers if (topic := _main_topic([_topic_profile(paper)])))


def _text(paper: Paper) -> str:
    return f"{paper.title} {paper.title_zh} {paper.summary}"
