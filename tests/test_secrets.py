"""No secret ever lands in a file, a log line or the terminal.

Distinctive fake keys are planted in every variable the configuration reads secrets from (the
[llm] key, the [selection.embeddings] and [selection.rerank] keys, the AWS credentials), then
`podcast run` and `podcast papers` run with --debug as separate processes against a local
OpenAI-compatible server that misbehaves the worst way: its 401s and 500s echo the key it got,
as some providers and proxies do. Then every byte produced is searched for the keys: the
publish folder, the state folder (SQLite database, caches), stdout and stderr.
"""

from __future__ import annotations

import json
import threading

import pytest

from .conftest import TAX_PROJECT
from .fake_llm import FakeModel, paper_of
from .test_cli import podcast
from .webserver import Reply

pytestmark = pytest.mark.slow

SECRETS = {
    "LLM_CANARY_KEY": "sk-proj-CANARYllm7f3a9c2e4b6d8f0a1c3e5g7i9k",
    "EMBED_CANARY_KEY": "sk-CANARYembed5b7d9f1h3j5l7n9p1r3t5v",
    "RERANK_CANARY_KEY": "sk-CANARYrerank2c4e6g8i0k2m4o6q8s0u",
    "AWS_ACCESS_KEY_ID": "AKIACANARY7F3A9C2E4B",
    "AWS_SECRET_ACCESS_KEY": "CANARYawsSecret/7f3a9c2e4b6d8f0a+1c3e5g7i9k",
    "AWS_SESSION_TOKEN": "CANARYawsSession7f3a9c2e4b6d8f0a1c3e5g7i9k",
    "OPENAI_API_KEY": "sk-CANARYdefault9f8e7d6c5b4a3f2e1d0c9b8a",
}


def echoing(status: int):
    """An endpoint that refuses with ``status`` and puts the key it was sent in its error, whole
    and cut off before its last characters, as some providers show it."""

    def answer(request):
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        message = {"error": {"message": f"Incorrect API key provided: {key} ({key[:-4]}...). "
                                        "Check it at the console.",
                             "type": "invalid_request_error", "code": "invalid_api_key"}}
        return Reply(status, json.dumps(message).encode(), {"Content-Type": "application/json"})

    return answer


def refusing_then_answering(model: FakeModel):
    """The first paper asked about gets a 401, the second a 500 (retried, then given up), both
    echoing the key, and fall back to the template writer; the third gets a good answer."""
    seen: list[str] = []
    lock = threading.Lock()

    def answer(request):
        title = paper_of(request)["title"]
        with lock:
            if title not in seen:
                seen.append(title)
        return {0: echoing(401), 1: echoing(500)}.get(seen.index(title), model)(request)

    return answer


def found_in(text: bytes) -> list[str]:
    """The planted secrets in ``text``, whole or any 8 characters of them in a row."""
    return [name for name, secret in SECRETS.items()
            if any(secret[i : i + 8].encode() in text for i in range(len(secret) - 7))]


def test_any_run_of_eight_characters_of_a_key_is_masked():
    from podcast.llm import masked

    key = SECRETS["LLM_CANARY_KEY"]
    said = f"bad key {key}; shown as {key[:-4]}... or ...{key[10:]}, and 'sk-proj' alone"
    assert masked(said, key) == "bad key ***; shown as ***... or ...***, and 'sk-proj' alone"
    assert masked("no secret here", key) == "no secret here"
    assert masked(f"short {key[:7]}", key) == f"short {key[:7]}"  # seven in a row give nothing away


def test_no_secret_in_files_logs_or_output_even_when_the_server_echoes_it(web, tmp_path):
    model = FakeModel()
    web.routes["/v1/chat/completions"] = refusing_then_answering(model)
    web.routes["/embed/v1/embeddings"] = echoing(401)
    web.routes["/rerank/v1/chat/completions"] = echoing(401)
    (tmp_path / "podcast.toml").write_text(f"""
[show]
max_papers = 3
target_minutes = 4

[listener]
project = "{TAX_PROJECT}"

[selection]
min_score = 0

[[sources]]
type = "file"

[fulltext]
enabled = false

[selection.embeddings]
model = "test-embeddings"
base_url = "{web.url('/embed/v1')}"
api_key_env = "EMBED_CANARY_KEY"

[selection.rerank]
model = "test-reranker"
base_url = "{web.url('/rerank/v1')}"
api_key_env = "RERANK_CANARY_KEY"

[writer]
type = "llm"

[llm]
base_url = "{web.url('/v1')}"
model = "test-model"
api_key_env = "LLM_CANARY_KEY"
max_retries = 1
timeout = 5

[tts]
engine = "espeak"
""", encoding="utf-8")
    outputs: list[bytes] = []

    def run(*args: str) -> None:
        result = podcast(*args, "--debug", cwd=tmp_path, env=SECRETS)
        outputs.extend([result.stdout.encode(), result.stderr.encode()])
        assert result.returncode == 0, result.stderr

    run("papers", "--date", "2026-11-21")
    run("run", "--date", "2026-11-21")
    run("status")
    # the failures were reported, one line each, with the key masked
    stderr = outputs[-3].decode()
    assert "Incorrect API key provided: *** (***...). Check it at the console." in stderr
    assert "Error code: 500" in stderr and "Error code: 401" in stderr
    assert stderr.count("the template writes this paper instead") == 2
    assert "Embeddings from" in stderr and "The reranker at" in stderr
    assert "template script writer for 2 papers" in outputs[-4].decode()  # the third was the model's
    # ... and the keys were really used: the server got each one it should have
    sent = {r.headers.get("authorization") for r in web.requests}
    for name in ("LLM_CANARY_KEY", "EMBED_CANARY_KEY", "RERANK_CANARY_KEY"):
        assert f"Bearer {SECRETS[name]}" in sent

    files = [path for path in tmp_path.rglob("*") if path.is_file() and path.name != "podcast.toml"]
    assert any(path.name == "podcast.db" for path in files) and any(path.suffix == ".mp3" for path in files)
    assert any("llm" in path.parts for path in files)  # the answers' cache
    leaks = {str(path.relative_to(tmp_path)): found for path in files if (found := found_in(path.read_bytes()))}
    leaks |= {f"output {n}": found for n, text in enumerate(outputs) if (found := found_in(text))}
    assert leaks == {}
