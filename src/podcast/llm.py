"""OpenAI-compatible chat and embedding endpoints, through the openai client: one place that
builds clients, asks a chat model for a JSON object (repairing a broken answer once), counts
tokens and money, and caches answers.

openai is imported only when a model is actually used: importing it costs most of a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .schema import between, check, http_url, one_of, positive_number

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletionMessageParam
    from openai.types.shared_params import ResponseFormatJSONObject, ResponseFormatJSONSchema

log = logging.getLogger(__name__)

BLANK_RETRIES = 2  # some endpoints (DeepSeek) sometimes answer nothing at all


@dataclass(frozen=True)
class ModelEndpoint:
    """An OpenAI-compatible API: its key comes from the environment variable named here."""

    model: str
    base_url: str = field(default="https://api.openai.com/v1", metadata=check(http_url))
    api_key_env: str = "OPENAI_API_KEY"  # empty: the endpoint needs no key (a local server)
    timeout: float = field(default=60.0, metadata=check(positive_number))


def _at_most_two(value: float) -> None:
    if not 0 <= value <= 2.0:
        raise ValueError("must be between 0 and 2")


@dataclass(frozen=True)
class LlmConfig:
    """The OpenAI-compatible chat endpoint that writes the script ([llm])."""

    base_url: str = field(default="https://api.openai.com/v1", metadata=check(http_url))
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"  # empty: the endpoint needs no key (Ollama, vLLM)
    temperature: float = field(default=0.4, metadata=check(_at_most_two))
    timeout: float = field(default=90.0, metadata=check(positive_number))
    max_retries: int = field(default=3, metadata=between(0, 10))
    concurrency: int = field(default=4, metadata=between(1, 16))
    json_mode: str = field(default="json_object", metadata=one_of("json_object", "json_schema"))
    price_per_mtok_in: float = 0.0  # your price per million prompt tokens, for the cost line
    price_per_mtok_out: float = 0.0

    def key(self, env: Mapping[str, str]) -> str | None:
        """The API key from the environment; a placeholder when none is needed; None if missing."""
        if not self.api_key_env:
            return "not-needed"
        return env.get(self.api_key_env) or None


def openai_client(base_url: str, api_key: str, timeout: float, max_retries: int) -> openai.OpenAI:
    """A client that retries connection errors, 408, 409, 429 (honouring Retry-After) and 5xx."""
    import openai

    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout,
                         max_retries=max_retries)


def api_errors() -> tuple[type[Exception], ...]:
    import openai

    return (openai.OpenAIError,)


def api_problem(exc: BaseException, secret: str | None) -> str:
    """An API failure as one line for the log, ``secret`` (the API key) masked: some endpoints
    echo a wrong key back in their 401 body, which the openai client puts in the message."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return masked(text, secret) if secret else text


SECRET_RUN = 8  # characters of a secret in a row that give it away


def masked(text: str, secret: str) -> str:
    """``text`` with every run of :data:`SECRET_RUN` or more characters of ``secret`` as "***":
    the whole key, and the part of it an error page shows ("sk-proj-abc...xyz", a key cut off at
    its last characters). A secret shorter than that is masked where it appears whole."""
    if len(secret) < SECRET_RUN:
        return text.replace(secret, "***") if len(secret) >= 4 else text
    pieces = {secret[i : i + SECRET_RUN] for i in range(len(secret) - SECRET_RUN + 1)}
    covered = [False] * len(text)
    for start in range(len(text) - SECRET_RUN + 1):
        if text[start : start + SECRET_RUN] in pieces:
            covered[start : start + SECRET_RUN] = [True] * SECRET_RUN
    out, start = [], 0
    while start < len(text):
        if covered[start]:
            while start < len(text) and covered[start]:
                start += 1
            out.append("***")
        else:
            out.append(text[start])
            start += 1
    return "".join(out)


@dataclass
class Usage:
    """Calls and tokens spent, and what they cost at the configured prices."""

    calls: int = 0
    cached: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, response: Any) -> tuple[int, int]:
        usage = getattr(response, "usage", None)
        tokens_in = getattr(usage, "prompt_tokens", 0) or 0
        tokens_out = getattr(usage, "completion_tokens", 0) or 0
        with self._lock:
            self.calls += 1
            self.tokens_in += tokens_in
            self.tokens_out += tokens_out
        return tokens_in, tokens_out

    def hit(self) -> None:
        with self._lock:
            self.cached += 1

    def cost(self, price_in: float, price_out: float) -> float:
        return (self.tokens_in * price_in + self.tokens_out * price_out) / 1_000_000

    def as_dict(self, price_in: float = 0.0, price_out: float = 0.0) -> dict[str, Any]:
        data: dict[str, Any] = {"calls": self.calls, "cached": self.cached,
                                "tokens_in": self.tokens_in, "tokens_out": self.tokens_out}
        if price_in or price_out:
            data["cost"] = round(self.cost(price_in, price_out), 6)
        return data


def quoted(data: Any) -> str:
    """``data`` as JSON to put between the prompt's material tags: ``<`` and ``>`` escaped
    (the same JSON), so a title or abstract can never close the tag and speak as the prompt."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


class Unusable(ValueError):
    """The model's answer is not the JSON object asked for."""


class Incomplete(Unusable):
    """The answer is usable in part: ``answer`` is it, checked, with the parts missing that the
    message names. It is asked for once more like any unusable answer; if the second answer is
    incomplete too, :meth:`ChatModel.ask` returns it, and the asker fills in what it lacks."""

    def __init__(self, problem: str, answer: dict[str, Any]) -> None:
        super().__init__(problem)
        self.answer = answer


def json_object(content: str) -> dict[str, Any]:
    """The JSON object a model answered (in a fenced block too, despite JSON mode); Unusable
    says what is wrong with it."""
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unusable(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    except RecursionError:
        raise Unusable("not valid JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise Unusable("not a JSON object")
    return data


class AnswerCache:
    """Validated model answers by a hash of everything that shaped them."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @staticmethod
    def key(*parts: Any) -> str:
        text = json.dumps(parts, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def get(self, key: str) -> Any | None:
        if not self.folder:
            return None
        try:
            return json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def put(self, key: str, value: Any) -> None:
        if not self.folder:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self.folder / f"{key}.part"
            temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
            temporary.replace(self.folder / f"{key}.json")
        except OSError as exc:
            log.warning("Could not cache a model answer in %s: %s", self.folder, exc)


@dataclass(frozen=True)
class Question:
    """One request for a JSON object: the conversation, how to check the answer, how to ask
    for a repair, and everything that shaped it (the cache key)."""

    what: str  # who asks, for the log: "Paper 2409.12345", "The recap"
    messages: list[ChatCompletionMessageParam]
    parse: Callable[[str], dict[str, Any]]  # the answer as a checked dict, or Unusable/Incomplete
    repair: str  # the follow-up for an unusable answer, "{problem}" standing for what is wrong
    cache_key: tuple[Any, ...]
    schema: dict[str, Any] | None = None  # for json_mode = "json_schema"
    schema_name: str = "answer"


class ChatModel:
    """The chat model every writer that calls one uses: ask for a JSON object, ask once more when
    the answer is unusable, retry blank answers, count what it costs, cache what it answered.
    Thread-safe: writers ask several questions at once."""

    def __init__(self, config: LlmConfig, env: Mapping[str, str], cache_dir: Path | None) -> None:
        self.config = config
        key = config.key(env)
        self.client = (openai_client(config.base_url, key, config.timeout, config.max_retries)
                       if key else None)
        self.cache = AnswerCache(cache_dir)
        self.tally = Usage()

    def missing(self) -> str | None:
        """What the model lacks to be asked anything (its API key), or None."""
        return None if self.client is not None else f"no ${self.config.api_key_env}"

    def ask(self, question: Question) -> dict[str, Any]:
        """The checked answer, from the cache when this exact question was answered before; an
        answer still :class:`Incomplete` after the repair request, as it is. Raises Unusable
        (two unusable answers, or no key) or one of :func:`api_errors`."""
        key = self.cache.key(self.config.model, self.config.base_url, self.config.json_mode,
                             self.config.temperature, *question.cache_key)
        answer = self.cache.get(key)
        if answer is not None:
            self.tally.hit()
            return answer
        answer = self._ask(question)
        self.cache.put(key, answer)
        return answer

    def _ask(self, question: Question) -> dict[str, Any]:
        messages = list(question.messages)
        content, finish = self.complete(messages, question)
        try:
            return _checked(question, content, finish)
        except Unusable as problem:
            log.info("%s: the answer was unusable (%s); asking once more.", question.what, problem)
            messages += [{"role": "assistant", "content": content},
                         {"role": "user", "content": question.repair.format(problem=problem)}]
            try:
                return _checked(question, *self.complete(messages, question))
            except Incomplete as again:
                log.info("%s: the answer is still incomplete (%s).", question.what, again)
                return again.answer
            except Unusable as again:
                raise Unusable(f"the answer was unusable twice ({again})") from None

    def complete(self, messages: list[ChatCompletionMessageParam],
                 question: Question) -> tuple[str, str | None]:
        """The model's answer to ``messages`` and why it ended; blank answers are asked again."""
        if self.client is None:
            raise Unusable(f"no API key in ${self.config.api_key_env}")
        response_format: ResponseFormatJSONObject | ResponseFormatJSONSchema
        response_format = {"type": "json_object"}
        if self.config.json_mode == "json_schema" and question.schema:
            response_format = {"type": "json_schema",
                               "json_schema": {"name": question.schema_name, "strict": True,
                                               "schema": question.schema}}
        for _ in range(1 + BLANK_RETRIES):
            response = self.client.chat.completions.create(
                model=self.config.model, messages=messages, temperature=self.config.temperature,
                response_format=response_format,
            )
            self.tally.add(response)
            choice = response.choices[0] if response.choices else None
            content = (choice.message.content or "") if choice else ""
            if choice and content.strip():
                return content, choice.finish_reason
            log.info("The model answered nothing; asking again.")
        raise Unusable(f"blank answers {1 + BLANK_RETRIES} times")

    def problem(self, exc: BaseException) -> str:
        """A failure as one line for the log, the API key masked."""
        return api_problem(exc, self.client.api_key if self.client else None)

    def usage(self) -> dict[str, Any]:
        return self.tally.as_dict(self.config.price_per_mtok_in, self.config.price_per_mtok_out)


def _checked(question: Question, content: str, finish: str | None) -> dict[str, Any]:
    if finish == "length":
        raise Unusable("it was cut off (too long); answer shorter")
    return question.parse(content)
