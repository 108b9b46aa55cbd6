"""Optional model-based refinement of the ranking, over any OpenAI-compatible API:
``[selection.embeddings]`` blends embedding similarity into the lexical score, and
``[selection.rerank]`` lets a chat model reorder the top candidates and say why.

Both are best effort: when the API fails, the run goes on with the ranking it had, and says so.
"""

from __future__ import annotations

import heapq
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ..i18n import counted
from ..llm import ModelEndpoint, api_errors, api_problem, openai_client
from ..models import RATED_DOWN
from ..schema import between, check, fraction, one_of
from . import Candidate, Profile, Refiner, refined
from .affinity import NEAREST, reference_text, weight
from .reasons import wording

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

EMBED_LIMIT = 300  # candidates embedded per run (the best by lexical score)
EMBED_BATCH = 64
EMBED_LIBRARY = 100  # kept and liked papers embedded per run, the most recent
ABSTRACT_CHARS = 1200
MIN_SCORE = 0.05


@dataclass(frozen=True)
class EmbeddingsConfig(ModelEndpoint):
    weight: float = field(default=0.5, metadata=check(fraction))


@dataclass(frozen=True)
class RerankConfig(ModelEndpoint):
    candidates: int = field(default=15, metadata=between(2, 40))


@dataclass(frozen=True)
class SelectionConfig:
    """How the picks are chosen ([selection])."""

    #: a paper scoring less than this is never picked (the offline score, before refiners);
    #: the default is the best cut on the labelled set (bench/relevance.py)
    min_score: float = field(default=MIN_SCORE, metadata=check(fraction))
    on_empty: str = field(default="backlog", metadata=one_of("backlog", "skip"))
    backlog_days: int = field(default=7, metadata=between(1, 60))
    strict: bool = False  # one failing source fails the run
    embeddings: EmbeddingsConfig | None = None
    rerank: RerankConfig | None = None


def open_refiners(config: SelectionConfig, env: Mapping[str, str]) -> list[Refiner]:
    refiners: list[Refiner] = []
    if config.embeddings:
        client = _client(config.embeddings, env, "selection.embeddings")
        if client:
            refiners.append(EmbeddingRefiner(client, config.embeddings))
    if config.rerank:
        client = _client(config.rerank, env, "selection.rerank")
        if client:
            refiners.append(LlmReranker(client, config.rerank))
    return refiners


def _client(endpoint: ModelEndpoint, env: Mapping[str, str], where: str) -> openai.OpenAI | None:
    key = env.get(endpoint.api_key_env, "") if endpoint.api_key_env else "not-needed"
    if not key:
        log.warning("%s is configured but $%s is not set; ranking without it.", where,
                    endpoint.api_key_env)
        return None
    return openai_client(endpoint.base_url, key, endpoint.timeout, max_retries=2)


def _api_errors() -> tuple[type[Exception], ...]:
    return (*api_errors(), ValueError)


class EmbeddingRefiner:
    def __init__(self, client: openai.OpenAI, config: EmbeddingsConfig) -> None:
        self.client = client
        self.config = config

    def refine(self, profile: Profile, candidates: list[Candidate],
               language: str) -> list[Candidate]:
        """The head of the ranking reordered by a blend of its lexical score and its closeness
        by embeddings: to the project's text, and to the papers the team keeps and liked (the
        most recent :data:`EMBED_LIBRARY`, weighted as the lexical ranking weighs them)."""
        head, tail = candidates[:EMBED_LIMIT], candidates[EMBED_LIMIT:]
        if not head:
            return candidates
        wanted = " ".join((profile.project, *profile.keywords)).strip()
        liked = sorted((r for r in profile.references if r.kind != RATED_DOWN),
                       key=lambda r: r.added or date.min, reverse=True)[:EMBED_LIBRARY]
        if not (wanted or liked):
            return candidates
        texts = ([wanted] if wanted else []) + [_paper_text(c) for c in head]
        try:
            vectors = self._embed(texts + [reference_text(r)[:ABSTRACT_CHARS] for r in liked])
        except _api_errors() as exc:
            log.warning("Embeddings from %s failed, ranking without them: %s", self.config.base_url,
                        api_problem(exc, self.client.api_key))
            return candidates
        first = 1 if wanted else 0
        papers, kept = vectors[first : first + len(head)], vectors[first + len(head) :]
        signals = []  # each a cosine per paper: to the project, to the library
        if wanted:
            signals.append([_cosine(vectors[0], vector) for vector in papers])
        if kept:
            weights = [weight(r, profile.day) for r in liked]
            signals.append([
                sum(heapq.nlargest(NEAREST, (_cosine(vector, k) * w
                                             for k, w in zip(kept, weights, strict=True))))
                / NEAREST
                for vector in papers
            ])
        closeness = [sum(values) / len(values) for values in zip(*map(_spread, signals),
                                                                    strict=True)]
        said = signals[0]
        top = max(c.pick.score for c in head) or 1.0
        share, say = self.config.weight, wording(language)
        blended = [
            refined(candidate, (1 - share) * candidate.pick.score / top + share * close,
                    say.embedding.format(cosine))
            for candidate, close, cosine in zip(head, closeness, said, strict=True)
        ]
        order = sorted(range(len(blended)), key=lambda i: (-blended[i].pick.score, i))
        log.info("Blended %s embeddings into the ranking of %s%s.", self.config.model,
                 counted(len(head), "paper"),
                 f", with {counted(len(liked), 'library paper')}" if liked else "")
        return [blended[i] for i in order] + tail

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), EMBED_BATCH):
            batch = list(texts[start : start + EMBED_BATCH])
            response = self.client.embeddings.create(model=self.config.model, input=batch)
            data = sorted(response.data, key=lambda item: item.index)
            if len(data) != len(batch):
                raise ValueError(f"asked for {len(batch)} embeddings, got {len(data)}")
            vectors += [list(item.embedding) for item in data]
        return vectors


class LlmReranker:
    def __init__(self, client: openai.OpenAI, config: RerankConfig) -> None:
        self.client = client
        self.config = config

    def refine(self, profile: Profile, candidates: list[Candidate],
               language: str) -> list[Candidate]:
        head, tail = candidates[: self.config.candidates], candidates[self.config.candidates :]
        if len(head) < 2:
            return candidates
        try:
            verdicts = self._ask(profile, head, language)
        except _api_errors() as exc:
            log.warning("The reranker at %s failed, keeping the ranking: %s", self.config.base_url,
                        api_problem(exc, self.client.api_key))
            return candidates
        by_id = {c.pick.paper.id: c for c in head}
        judged = [
            refined(by_id[paper_id], score / 10, wording(language).reranker.format(score, reason))
            for paper_id, (score, reason) in sorted(verdicts.items(), key=lambda kv: -kv[1][0])
        ]
        unjudged = [c for c in head if c.pick.paper.id not in verdicts]
        log.info("%s reranked the top %s.", self.config.model, counted(len(head), "paper"))
        return judged + unjudged + tail

    def _ask(self, profile: Profile, head: Sequence[Candidate],
             language: str) -> dict[str, tuple[float, str]]:
        reason_language = "Chinese" if language.startswith("zh") else "English"
        papers = [
            {"id": c.pick.paper.id, "title": c.pick.paper.title,
             "abstract": c.pick.paper.summary[:ABSTRACT_CHARS]}
            for c in head
        ]
        prompt = (
            "Our team's project:\n" + profile.project
            + (f"\nKeywords: {', '.join(profile.keywords)}" if profile.keywords else "")
            + "\n\nRate how useful each paper below is to this project, from 0 (unrelated) to 10 "
            "(directly usable). Answer with JSON only: "
            "{\"ranking\": [{\"id\": \"...\", \"score\": 0-10, "
            f"\"reason\": \"one sentence in {reason_language} on how it helps the project\"}}]}}, "
            "one item per paper.\n\nPapers (JSON):\n" + json.dumps(papers, ensure_ascii=False)
        )
        response = self.client.chat.completions.create(
            model=self.config.model,
            messages=[
                {"role": "system",
                 "content": "You select research papers for a team. You answer in JSON."},
                {"role": "user", "content": prompt},
            ],
            response_format={"type": "json_object"},
            temperature=0,
        )
        return _verdicts(response.choices[0].message.content or "",
                         {c.pick.paper.id for c in head})


def _verdicts(content: str, ids: set[str]) -> dict[str, tuple[float, str]]:
    """The reranker's scores and reasons by paper id; ValueError when the answer is unusable."""
    try:
        data: Any = json.loads(content)
    except json.JSONDecodeError as exc:
        raise ValueError(f"answer is not JSON ({exc.msg})") from None
    items = data.get("ranking") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError("answer has no ranking list")
    verdicts: dict[str, tuple[float, str]] = {}
    for item in items:
        paper_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(paper_id, str) or paper_id not in ids:
            continue
        try:
            score = min(10.0, max(0.0, float(item["score"])))
        except (KeyError, TypeError, ValueError):  # no score, or not a number
            continue
        verdicts[item["id"]] = (score, " ".join(str(item.get("reason", "")).split()))
    if not verdicts:
        raise ValueError("answer rates none of the papers")
    return verdicts


def _paper_text(candidate: Candidate) -> str:
    paper = candidate.pick.paper
    return f"{paper.title}\n{paper.summary[:ABSTRACT_CHARS]}"


def _spread(values: list[float]) -> list[float]:
    """``values`` scaled to run from 0 (the lowest) to 1 (the highest)."""
    low, high = min(values), max(values)
    return [(v - low) / (high - low) if high > low else 0.0 for v in values]


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
