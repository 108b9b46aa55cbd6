"""OpenAI-compatible chat and embedding endpoints, through the openai client: one place that
builds clients, calls for a JSON object, counts tokens and money, and caches answers.

openai is imported only when a model is actually used: importing it costs most of a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)


def openai_client(base_url: str, api_key: str, timeout: float, max_retries: int) -> openai.OpenAI:
    """A client that retries connection errors, 408, 409, 429 (honouring Retry-After) and 5xx."""
    import openai

    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries)


def api_errors() -> tuple[type[Exception], ...]:
    import openai

    return (openai.OpenAIError,)


def api_problem(exc: BaseException, secret: str | None) -> str:
    """An API failure as one line for the log, ``secret`` (the API key) masked: some endpoints
    echo a wrong key back in their 401 body, which the openai client puts in the message."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


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
    return json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")


class Unusable(ValueError):
    """The model's answer is not the JSON object asked for."""


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
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:40]

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
