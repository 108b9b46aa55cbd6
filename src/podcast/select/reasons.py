"""Why a paper was ranked where it was, in the show's language, as a listener reads it: the
concepts it shares with the project, its field named by the term that put it there, the
keywords it matches, the library paper or rated paper it is closest to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..i18n import is_chinese
from ..models import Paper, Reference
from .glossary import glossary, han_runs, words
from .rank import CONCEPT, Document, Match
from .topics import TOPICS_BY_KEY

_ENGLISH = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True)
class Wording:
    shares: str
    field: str
    term: str  # a field and the term that put the paper in it
    keywords: str
    mentions: str
    upvotes: str
    library: str
    liked: str
    disliked: str
    unrelated: str
    embedding: str
    reranker: str
    separator: str


_WORDING = {
    "zh": Wording(
        shares="与项目共同的概念：{}",
        field="同一领域：{}",
        term="{field}（{term}）",
        keywords="命中关键词：{}",
        mentions="还提到：{}",
        upvotes="Hugging Face 上有 {} 人点赞",
        library="与团队资料库中的《{}》最相近",
        liked="与团队点赞过的《{}》相近",
        disliked="与团队点踩过的《{}》相近，因此排后",
        unrelated="与项目没有明确关联",
        embedding="向量相似度 {:.2f}",
        reranker="重排模型评分 {:g}/10：{}",
        separator="、",
    ),
    "en": Wording(
        shares="shares with the project: {}",
        field="same field: {}",
        term="{field} ({term})",
        keywords="matches keywords: {}",
        mentions="also mentions: {}",
        upvotes="{} upvotes on Hugging Face",
        library="closest to “{}” in the team's library",
        liked="like “{}”, which the team rated up",
        disliked="like “{}”, which the team rated down, so ranked lower",
        unrelated="no clear link to the project",
        embedding="embedding similarity {:.2f}",
        reranker="reranker ({:g}/10): {}",
        separator=", ",
    ),
}


def wording(language: str) -> Wording:
    return _WORDING["zh" if is_chinese(language) else "en"]


def explain(
    paper: Paper,
    match: Match,
    document: Document,
    project: str,
    keyword_hits: Sequence[str],
    closest: Sequence[tuple[str, Reference]],
    language: str,
) -> tuple[str, ...]:
    """The reasons for ``paper``'s rank; ``closest`` are (wording slot, reference) pairs of the
    library or rated papers it is closest to ("library", "liked" or "disliked")."""
    say = wording(language)
    join = say.separator.join
    terms = glossary().concepts
    concepts = [terms[key] for key in match.concepts]
    reasons = []
    if concepts:
        reasons.append(say.shares.format(join(dict.fromkeys(
            c.label(language) for c in concepts[:4]))))
    named = {c.topic for c in concepts}
    fields = []
    for topic in match.topics:
        if topic in named or topic not in TOPICS_BY_KEY:
            continue
        term = next((terms[f[1:]] for f in document.features
                     if f[0] == CONCEPT and terms[f[1:]].topic == topic), None)
        if term:  # a topic is shared only through a concept the paper names
            field, named_as = TOPICS_BY_KEY[topic].label(language), term.label(language)
            fields.append(field if named_as == field else say.term.format(field=field,
                                                                           term=named_as))
    if fields:
        reasons.append(say.field.format(join(fields[:3])))
    if keyword_hits:
        reasons.append(say.keywords.format(join(keyword_hits)))
    shared = shared_words(project, f"{paper.title}. {paper.title_zh} {paper.summary} "
                          f"{paper.summary_zh}", set(match.terms))
    if shared:
        reasons.append(say.mentions.format(join(shared[:5])))
    for slot, reference in closest:
        reasons.append(getattr(say, slot).format(reference.paper.title_for(language)))
    if paper.upvotes:
        reasons.append(say.upvotes.format(paper.upvotes))
    if not reasons or reasons == [say.upvotes.format(paper.upvotes)]:
        reasons.insert(0, say.unrelated)
    return tuple(reasons)


def shared_words(project: str, text: str, features: set[str]) -> list[str]:
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
