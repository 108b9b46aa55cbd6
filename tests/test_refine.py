"""Optional refinement over an OpenAI-compatible API, against a local server speaking it."""

from __future__ import annotations

import json
import logging
from datetime import date

from podcast.models import Paper, Reference
from podcast.select import Profile, select_papers
from podcast.select.refine import EmbeddingsConfig, RerankConfig, SelectionConfig, open_refiners

from .conftest import TAX_PROJECT
from .webserver import Reply

ENV = {"OPENAI_API_KEY": "sk-test"}


def embeddings_by(favourite: str):
    """An embedding endpoint whose vectors put texts mentioning ``favourite`` next to the profile."""

    def answer(request):
        body = json.loads(request.body)
        inputs = body["input"]
        data = [
            {"object": "embedding", "index": i,
             "embedding": [1.0, 0.0] if i == 0 or favourite in text else [0.0, 1.0]}
            for i, text in enumerate(inputs)
        ]
        return Reply.json({"object": "list", "data": data, "model": body["model"],
                           "usage": {"prompt_tokens": 1, "total_tokens": 1}})

    return answer


def chat(content: str):
    def answer(request):
        return Reply.json({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    return answer


def test_embeddings_blend_into_the_ranking(web, sample_papers):
    web.routes["/v1/embeddings"] = embeddings_by("Oncology")
    config = SelectionConfig(embeddings=EmbeddingsConfig(model="embed-1", base_url=web.url("/v1"), weight=0.9))
    refiners = open_refiners(config, ENV)
    plain = select_papers(sample_papers, Profile(TAX_PROJECT), 3)
    blended = select_papers(sample_papers, Profile(TAX_PROJECT), 3, refiners=refiners)
    assert plain.ranked[0].paper.id == "2409.17581"
    assert blended.ranked[0].paper.id == "2409.17650"  # the oncology paper, closest by embedding
    assert blended.ranked[0].reasons[0] == "向量相似度 1.00"
    request = web.requests[0]
    assert request.headers["authorization"] == "Bearer sk-test"
    sent = json.loads(request.body)
    assert sent["model"] == "embed-1" and sent["input"][0] == TAX_PROJECT and len(sent["input"]) == 9


def test_reranker_reorders_the_top_and_says_why(web, sample_papers):
    verdict = {"ranking": [
        {"id": "2409.18028", "score": 9, "reason": "教我们把代码任务拆给多个智能体。"},
        {"id": "2409.17581", "score": 6, "reason": "财报分析的流程可以借鉴。"},
        {"id": "not-a-candidate", "score": 10, "reason": "ignored"},
    ]}
    web.routes["/v1/chat/completions"] = chat(json.dumps(verdict, ensure_ascii=False))
    config = SelectionConfig(rerank=RerankConfig(model="chat-1", base_url=web.url("/v1"), candidates=4))
    selection = select_papers(sample_papers, Profile(TAX_PROJECT), 3, refiners=open_refiners(config, ENV))
    ranked = [p.paper.id for p in selection.ranked]
    assert ranked[:2] == ["2409.18028", "2409.17581"]
    assert selection.ranked[0].reasons[0] == "重排模型评分 9/10：教我们把代码任务拆给多个智能体。"
    assert selection.ranked[0].score == 0.9
    sent = json.loads(web.requests[0].body)
    assert sent["response_format"] == {"type": "json_object"} and "JSON" in sent["messages"][1]["content"]
    assert len(json.loads(sent["messages"][1]["content"].split("Papers (JSON):\n")[1])) == 4


def test_a_reranker_answer_with_ids_of_the_wrong_type_keeps_what_it_can(web, sample_papers):
    """Ids that are lists or objects are skipped like unknown ones, not a crash of the run."""
    verdict = {"ranking": [{"id": ["2409.17581"], "score": 10}, {"id": {"x": 1}, "score": 10},
                           {"id": "2409.18028", "score": 9, "reason": "拆分任务。"}]}
    web.routes["/v1/chat/completions"] = chat(json.dumps(verdict, ensure_ascii=False))
    config = SelectionConfig(rerank=RerankConfig(model="chat-1", base_url=web.url("/v1"), candidates=4))
    selection = select_papers(sample_papers, Profile(TAX_PROJECT), 3, refiners=open_refiners(config, ENV))
    assert selection.ranked[0].paper.id == "2409.18028"
    assert selection.ranked[0].reasons[0] == "重排模型评分 9/10：拆分任务。"


def test_a_failing_reranker_keeps_the_ranking(web, sample_papers, caplog):
    web.routes["/v1/chat/completions"] = chat("Sure! Here is my ranking: 1. the first paper")
    config = SelectionConfig(rerank=RerankConfig(model="chat-1", base_url=web.url("/v1")))
    plain = select_papers(sample_papers, Profile(TAX_PROJECT), 3)
    refined = select_papers(sample_papers, Profile(TAX_PROJECT), 3, refiners=open_refiners(config, ENV))
    assert [p.paper.id for p in refined.ranked] == [p.paper.id for p in plain.ranked]
    assert "The reranker at" in caplog.text and "answer is not JSON" in caplog.text


def test_embedding_server_down_keeps_the_ranking(sample_papers, caplog):
    config = SelectionConfig(embeddings=EmbeddingsConfig(model="e", base_url="http://127.0.0.1:9/v1", timeout=2))
    plain = select_papers(sample_papers, Profile(TAX_PROJECT), 3)
    refined = select_papers(sample_papers, Profile(TAX_PROJECT), 3, refiners=open_refiners(config, ENV))
    assert [p.paper.id for p in refined.picks] == [p.paper.id for p in plain.picks]
    assert "Embeddings from http://127.0.0.1:9/v1 failed" in caplog.text


def test_missing_key_skips_the_refiner_and_says_so(caplog):
    caplog.set_level(logging.WARNING)
    config = SelectionConfig(rerank=RerankConfig(model="m", api_key_env="MY_KEY"))
    assert open_refiners(config, {}) == []
    assert "selection.rerank is configured but $MY_KEY is not set" in caplog.text
    local = SelectionConfig(rerank=RerankConfig(model="m", base_url="http://127.0.0.1:11434/v1", api_key_env=""))
    assert len(open_refiners(local, {})) == 1  # a local server needs no key


def test_embeddings_measure_closeness_to_the_library_too(web, sample_papers, caplog):
    """A team with no project text but a library paper on oncology: by embedding, the oncology
    paper of the day is the closest, and the library's text was sent to be embedded."""
    def by_content(request):
        body = json.loads(request.body)
        data = [{"object": "embedding", "index": i,
                 "embedding": [1.0, 0.0] if "Oncology" in text or "oncology" in text else [0.0, 1.0]}
                for i, text in enumerate(body["input"])]
        return Reply.json({"object": "list", "data": data, "model": body["model"],
                           "usage": {"prompt_tokens": 1, "total_tokens": 1}})

    web.routes["/v1/embeddings"] = by_content
    kept = Paper(id="lib:1", title="Scheduling oncology clinics with digital twins",
                 summary="We model the patient flow of a cancer centre.")
    profile = Profile("", references=(Reference(kept, added=date(2026, 11, 1)),), day=date(2026, 11, 20))
    config = SelectionConfig(embeddings=EmbeddingsConfig(model="embed-1", base_url=web.url("/v1"), weight=1.0))
    caplog.set_level(logging.INFO, logger="podcast")
    blended = select_papers(sample_papers, profile, 3, refiners=open_refiners(config, ENV))
    assert blended.ranked[0].paper.id == "2409.17650"
    sent = json.loads(web.requests[0].body)["input"]
    assert len(sent) == len(sample_papers) + 1 and sent[-1].startswith("Scheduling oncology clinics")
    assert "Blended embed-1 embeddings into the ranking of 8 papers, with 1 library paper." in caplog.messages
