"""The llm writer's show formats, driven through the real openai client against a local server:
the broadcast's requests as they were, a conversation's turns and a brief's lines, each checked,
asked again once, and written by the template when still bad."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from podcast.models import Digest, Pick

from .fake_llm import FakeModel
from .test_llm_writer import brief, picks, writer

RECORDED = Path(__file__).parent / "data" / "llm" / "broadcast_requests.json"


@pytest.fixture
def model(web):
    fake = FakeModel()
    web.routes["/v1/chat/completions"] = fake
    return fake


def broadcast_requests(web, model, tmp_path, sample_papers) -> list[dict]:
    """What the broadcast asks the model, in both languages: a paper read in full, one asked again
    after an answer with two steps, the English show in json_schema mode."""
    chosen = picks(sample_papers, 2)
    digest = Digest("html", sections=(("method", "We segment each filing into its sections."),
                                      ("results", "The extractor reaches 87.6% accuracy.")),
                    captions=("Table 2: accuracy per section.",),
                    figures=("The extractor reaches 87.6% accuracy on held-out filings.",))
    read = Pick(replace(chosen[0].paper, digest=digest), chosen[0].score)
    model.script[chosen[1].paper.title] = ["two_steps", "valid"]
    writer(web, tmp_path / "zh", concurrency=1).write([read, chosen[1]], brief())
    writer(web, tmp_path / "en", json_mode="json_schema").write(chosen[:1], brief("en-US", units=150))
    return [json.loads(request.body) for request in model.requests]


def test_the_broadcast_asks_exactly_what_it_asked_before_the_formats(web, model, tmp_path, sample_papers):
    """Recorded from the writer before the show had formats: every request the same."""
    assert broadcast_requests(web, model, tmp_path, sample_papers) == json.loads(RECORDED.read_text("utf-8"))
