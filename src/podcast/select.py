"""Stage 2, select: the papers that matter most to the listeners' project, none broadcast before.

Relevance is scored offline and explainably: topics shared between the paper and the
``[listener] project`` text (a bilingual topic vocabulary, so a Chinese project meets English
abstracts), plus plain word overlap for what the vocabulary does not cover.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence

from .models import Paper, Pick
from .topics import TOPICS_BY_KEY, find_topics

_WORD = re.compile(r"[a-z][a-z0-9-]{3,}")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_STOPWORDS = frozenset(
    "this that with from their there these those which while where when what into onto than then"
    " have been were will would could should about also such more most other over under using used"
    " based paper propose proposed show shows results approach method methods model models large"
    " language work study across each both between among within".split()
    + "一个 我们 这个 这些 进行 通过 可以 以及 他们 如何 什么 一种 的是 是一".split()
)


def select_papers(
    papers: Sequence[Paper],
    project: str,
    limit: int,
    already_broadcast: Collection[str] = (),
    language: str = "zh-CN",
) -> list[Pick]:
    """The ``limit`` most relevant papers not in ``already_broadcast``, best first."""
    fresh = [paper for paper in papers if paper.id not in already_broadcast]
    project_topics = find_topics(project)
    project_terms = _terms(project)
    picks = [_score(paper, project, project_terms, project_topics, language) for paper in fresh]
    order = sorted(range(len(picks)), key=lambda i: (-picks[i].score, i))
    return [picks[i] for i in order[:limit]]


def _score(
    paper: Paper, project: str, project_terms: set[str], project_topics: dict[str, int], language: str
) -> Pick:
    title = f"{paper.title} {paper.title_zh}"
    body = f"{paper.summary} {paper.summary_zh}"
    in_title = find_topics(title)
    in_body = find_topics(body)
    shared = [key for key in project_topics if key in in_title or key in in_body]
    # A topic in the title counts double; repeated mentions add with diminishing returns.
    topic_score = sum(
        2.0 * bool(in_title.get(key)) + math.log1p(in_body.get(key, 0)) for key in shared
    )
    text = f"{title} {body}"
    overlap = project_terms & _terms(text)
    word_score = len(overlap) / math.sqrt(len(project_terms) or 1)
    shared.sort(key=lambda key: (-(2 * in_title.get(key, 0) + in_body.get(key, 0)), key))
    reasons = []
    if shared:
        labels = ", ".join(TOPICS_BY_KEY[key].label(language) for key in shared)
        reasons.append(f"shares topics with the project: {labels}")
    words = _shared_words(project, text)
    if words:
        reasons.append(f"uses the project's words: {', '.join(words[:6])}")
    if not reasons:
        reasons.append("no clear link to the project; picked to fill the show")
    return Pick(
        paper=paper,
        score=round(topic_score + word_score, 3),
        topics=tuple(shared),
        reasons=tuple(reasons),
    )


def _terms(text: str) -> set[str]:
    """Lower-case English words and Chinese character pairs, the units word overlap counts."""
    lowered = text.lower()
    words = {word for word in _WORD.findall(lowered) if word not in _STOPWORDS}
    pairs = {run[i : i + 2] for run in _HAN.findall(text) for i in range(len(run) - 1)}
    return words | (pairs - _STOPWORDS)


def _shared_words(project: str, text: str) -> list[str]:
    """What the two texts say alike, for people: whole English words and the longest shared
    runs of Chinese characters ("大语言模型" rather than its character pairs), longest first."""
    lowered = text.lower()
    found = {word for word in _WORD.findall(project.lower()) if word not in _STOPWORDS}
    found &= set(_WORD.findall(lowered))
    for run in _HAN.findall(project):
        start = 0
        while start < len(run) - 1:
            end = start + 2
            if run[start:end] not in text:
                start += 1
                continue
            while end < len(run) and run[start : end + 1] in text:
                end += 1
            found.add(run[start:end])
            start = end
    found -= _STOPWORDS
    whole = [word for word in found if not any(word != other and word in other for other in found)]
    return sorted(whole, key=lambda word: (-len(word), word))
