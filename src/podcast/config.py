"""podcast.toml, read once and validated into typed objects that are passed down explicitly.

The file is found from ``--config``, else ``$PODCAST_CONFIG``, else ``./podcast.toml``, else the
built-in defaults apply. Relative paths in the file are relative to the file's folder. Any
unknown key or bad value is a :class:`ConfigError` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import i18n
from .errors import ConfigError

CONFIG_FILE = "podcast.toml"
ENV_VAR = "PODCAST_CONFIG"

DEFAULT_PROJECT = {
    "zh-CN": "我们在用大语言模型打造一个垂直领域的智能助手：整理领域数据，做监督微调和强化学习，"
    "搭建评测集，再把模型高效、安全地部署上线。",
    "en-US": "We are building a domain-specific assistant on large language models: curating "
    "domain data, supervised fine-tuning and reinforcement learning, building evaluation sets, "
    "and deploying the model efficiently and safely.",
}
# Without a config file: today's arXiv listings and Hugging Face's picks; when neither can be
# reached (no network), the bundled sample papers.
DEFAULT_SOURCES = [{"type": "arxiv-rss"}, {"type": "hf-daily"}, {"type": "file", "fallback": True}]
DEFAULT_DESCRIPTION = {
    "zh-CN": "每天早上几分钟，听懂最新的 AI 论文，以及它们对我们项目的意义。",
    "en-US": "A few minutes every morning on new AI papers and what they mean for our project.",
}


# -- validators: each returns None or raises ValueError with what the value must be ----------


def _check(validate: Callable[[Any], None]) -> dict[str, Any]:
    return {"check": validate}


def _one_of(*choices: str) -> dict[str, Any]:
    def validate(value: str) -> None:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")

    return _check(validate)


def _between(low: int, high: int) -> dict[str, Any]:
    def validate(value: int) -> None:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")

    return _check(validate)


def _timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Asia/Shanghai or Europe/Berlin") from None


def _email(value: str) -> None:
    if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError("must be an e-mail address such as podcast@example.com")


def _positive_number(value: float) -> None:
    if value <= 0:
        raise ValueError("must be a positive number")


def _fraction(value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError("must be between 0 and 1")


def _http_url(value: str) -> None:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ValueError("must be an http:// or https:// URL")


# -- the typed configuration -----------------------------------------------------------------


@dataclass(frozen=True)
class ShowConfig:
    title: str = ""
    author: str = "podcast"
    email: str = field(default="", metadata=_check(_email))
    language: str = field(default="zh-CN", metadata=_one_of(*i18n.LANGUAGES))
    timezone: str = field(default="Asia/Shanghai", metadata=_check(_timezone))
    max_papers: int = field(default=5, metadata=_between(1, 10))
    description: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ListenerConfig:
    project: str = ""
    keywords: tuple[str, ...] = ()  # count extra when ranking
    exclude: tuple[str, ...] = ()  # a paper mentioning any of these is never picked


@dataclass(frozen=True)
class ModelEndpoint:
    """An OpenAI-compatible API: its key comes from the environment variable named here."""

    model: str
    base_url: str = field(default="https://api.openai.com/v1", metadata=_check(_http_url))
    api_key_env: str = "OPENAI_API_KEY"  # empty: the endpoint needs no key (a local server)
    timeout: float = field(default=60.0, metadata=_check(_positive_number))


@dataclass(frozen=True)
class EmbeddingsConfig(ModelEndpoint):
    weight: float = field(default=0.5, metadata=_check(_fraction))


@dataclass(frozen=True)
class RerankConfig(ModelEndpoint):
    candidates: int = field(default=15, metadata=_between(2, 40))


@dataclass(frozen=True)
class SelectionConfig:
    on_empty: str = field(default="backlog", metadata=_one_of("backlog", "skip"))
    backlog_days: int = field(default=7, metadata=_between(1, 60))
    strict: bool = False  # one failing source fails the run
    embeddings: EmbeddingsConfig | None = None
    rerank: RerankConfig | None = None


@dataclass(frozen=True)
class NetworkConfig:
    timeout: float = field(default=20.0, metadata=_check(_positive_number))
    retries: int = field(default=3, metadata=_between(0, 10))
    cache_days: int = field(default=7, metadata=_between(1, 60))


@dataclass(frozen=True)
class BackendConfig:
    """Which backend (``type``) and its own validated options object."""

    type: str
    options: Any


@dataclass(frozen=True)
class SourceConfig(BackendConfig):
    fallback: bool = False  # read only when every other source failed


@dataclass(frozen=True)
class TTSConfig:
    engine: str
    voice: str
    options: Any


@dataclass(frozen=True)
class PublishConfig:
    target: str = "folder"
    dir: Path = Path("feed")
    base_url: str = field(default="http://localhost:8000/", metadata=_check(_http_url))


@dataclass(frozen=True)
class StateConfig:
    dir: Path = Path(".podcast")


@dataclass(frozen=True)
class Config:
    show: ShowConfig
    listener: ListenerConfig
    sources: tuple[SourceConfig, ...]
    selection: SelectionConfig
    writer: BackendConfig
    tts: TTSConfig
    publish: PublishConfig
    state: StateConfig
    network: NetworkConfig
    path: Path | None = None

    def describe_origin(self) -> str:
        return str(self.path) if self.path else "built-in defaults"


# -- finding and reading the file ------------------------------------------------------------


def locate_config(explicit: str | None, environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The config file to read, or None for the built-in defaults."""
    for given, origin in ((explicit, "--config"), (environ.get(ENV_VAR), f"${ENV_VAR}")):
        if given:
            path = (cwd / given).expanduser()
            if not path.is_file():
                raise ConfigError(f"{given}: config file not found (from {origin})")
            return path
    default = cwd / CONFIG_FILE
    return default if default.is_file() else None


def load_config(path: Path | None, cwd: Path) -> Config:
    """Read and validate ``path`` (or the defaults when None) into a :class:`Config`."""
    if path is None:
        return _build({}, _Context(file="built-in defaults", base_dir=cwd))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    config = _build(data, _Context(file=str(path), base_dir=path.resolve().parent))
    return dataclasses.replace(config, path=path)


@dataclass(frozen=True)
class _Context:
    file: str
    base_dir: Path

    def error(self, key: str, problem: str, value: Any = dataclasses.MISSING) -> ConfigError:
        shown = "" if value is dataclasses.MISSING else f" = {_toml_repr(value)}"
        return ConfigError(f"{self.file}: {key}{shown}: {problem}")


def _build(data: dict[str, Any], ctx: _Context) -> Config:
    from .publish import TARGETS
    from .speak import ENGINES
    from .write import WRITERS

    known = ("show", "listener", "sources", "selection", "writer", "tts", "publish", "state", "network")
    _reject_unknown(data, known, "", ctx)
    show = parse_table(ShowConfig, _table(data, "show", ctx), "show", ctx)
    show = dataclasses.replace(
        show,
        title=show.title or i18n.phrases(show.language).show_title,
        description=show.description or DEFAULT_DESCRIPTION[show.language],
    )
    listener = parse_table(ListenerConfig, _table(data, "listener", ctx), "listener", ctx)
    if not listener.project.strip():
        listener = dataclasses.replace(listener, project=DEFAULT_PROJECT[show.language])

    raw_sources = data.get("sources", DEFAULT_SOURCES)
    if not isinstance(raw_sources, list) or not all(isinstance(s, dict) for s in raw_sources):
        raise ctx.error("sources", "must be a list of [[sources]] tables")
    if not raw_sources:
        raise ctx.error("sources", "needs at least one [[sources]] entry")
    sources = tuple(_source(entry, f"sources[{i}]", ctx) for i, entry in enumerate(raw_sources, start=1))
    selection = parse_table(SelectionConfig, _table(data, "selection", ctx), "selection", ctx)
    writer = _backend(_table(data, "writer", ctx), "type", WRITERS, "writer", ctx, default="template")
    tts_table = dict(_table(data, "tts", ctx))
    voice = tts_table.pop("voice", "")
    if not isinstance(voice, str):
        raise ctx.error("tts.voice", "must be a string", voice)
    tts_backend = _backend(tts_table, "engine", ENGINES, "tts", ctx, default="espeak")
    tts = TTSConfig(engine=tts_backend.type, voice=voice.strip(), options=tts_backend.options)
    publish = parse_table(PublishConfig, _table(data, "publish", ctx), "publish", ctx)
    if publish.target not in TARGETS:
        raise ctx.error(
            "publish.target", f"unknown publish target; choose one of: {', '.join(TARGETS)}",
            publish.target,
        )
    if not publish.base_url.endswith("/"):
        publish = dataclasses.replace(publish, base_url=publish.base_url + "/")
    state = parse_table(StateConfig, _table(data, "state", ctx), "state", ctx)
    network = parse_table(NetworkConfig, _table(data, "network", ctx), "network", ctx)
    return Config(show, listener, sources, selection, writer, tts, publish, state, network)


def _source(entry: dict[str, Any], where: str, ctx: _Context) -> SourceConfig:
    from .sources import SOURCES

    entry = dict(entry)
    fallback = entry.pop("fallback", False)
    if not isinstance(fallback, bool):
        raise ctx.error(f"{where}.fallback", "must be true or false", fallback)
    backend = _backend(entry, "type", SOURCES, where, ctx, required=True)
    return SourceConfig(backend.type, backend.options, fallback)


def _table(data: dict[str, Any], key: str, ctx: _Context) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ctx.error(key, f"must be a [{key}] table", value)
    return value


def _backend(
    table: dict[str, Any],
    selector: str,
    registry: Any,
    where: str,
    ctx: _Context,
    default: str | None = None,
    required: bool = False,
) -> BackendConfig:
    if required and selector not in table:
        raise ctx.error(f"{where}.{selector}", f"is required; choose one of: {', '.join(registry)}")
    name = table.get(selector, default)
    if not isinstance(name, str) or name not in registry:
        raise ctx.error(
            f"{where}.{selector}", f"unknown {registry.kind}; choose one of: {', '.join(registry)}",
            name,
        )
    rest = {key: value for key, value in table.items() if key != selector}
    options = parse_table(registry.get(name).Options, rest, where, ctx, extra_known=(selector,))
    return BackendConfig(type=name, options=options)


def parse_table(
    cls: type[Any], table: dict[str, Any], where: str, ctx: _Context, extra_known: tuple[str, ...] = ()
) -> Any:
    """Validate ``table`` against the frozen dataclass ``cls`` and build it."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _reject_unknown(table, (*fields, *extra_known), where, ctx)
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        key = f"{where}.{name}" if where else name
        if name not in table:
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                raise ctx.error(key, "is required")
            if isinstance(spec.default, Path):  # defaults are relative to the config file too
                values[name] = (ctx.base_dir / spec.default).resolve()
            continue
        value = _coerce(table[name], hints[name], key, ctx)
        check = spec.metadata.get("check")
        if check:
            try:
                check(value)
            except ValueError as exc:
                raise ctx.error(key, str(exc), table[name]) from None
        values[name] = value
    return cls(**values)


def _reject_unknown(table: dict[str, Any], known: tuple[str, ...], where: str, ctx: _Context) -> None:
    for key in table:
        if key not in known:
            full = f"{where}.{key}" if where else key
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"expected one of: {', '.join(known)}"
            raise ctx.error(full, f"unknown key; {hint}")


def _coerce(value: Any, hint: Any, key: str, ctx: _Context) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _coerce(value, options[0], key, ctx)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ctx.error(key, f"must be a [{key}] table", value)
        return parse_table(hint, value, key, ctx)
    if hint is bool:
        if not isinstance(value, bool):
            raise ctx.error(key, "must be true or false", value)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.error(key, "must be a whole number", value)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.error(key, "must be a number", value)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ctx.error(key, "must be a string", value)
        return value.strip()
    if hint is Path:
        if not isinstance(value, str) or not value.strip():
            raise ctx.error(key, "must be a path (a non-empty string)", value)
        return (ctx.base_dir / Path(value.strip()).expanduser()).resolve()
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ctx.error(key, "must be a list of strings", value)
        return tuple(item.strip() for item in value)
    raise TypeError(f"config type {hint!r} of {key} is not supported")  # a bug, not user error


def _toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)[:60]
    return json.dumps(value, ensure_ascii=False)
