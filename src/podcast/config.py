"""podcast.toml, read once and validated into typed objects that are passed down explicitly.

The file is found from ``--config``, else ``$PODCAST_CONFIG``, else ``./podcast.toml``, else the
built-in defaults apply. Relative paths in the file are relative to the file's folder. Any
unknown key or bad value is a :class:`ConfigError` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import i18n
from .errors import ConfigError
from .schema import (
    Context, between, check, clock_time, crontab, duration, email, fraction, http_url, one_of, parse_table,
    positive_number, reject_unknown, seconds, subtable, timezone,
)
from .voices import presets

CONFIG_FILE = "podcast.toml"
ENV_VAR = "PODCAST_CONFIG"

DEFAULT_PROJECT = {
    "zh-CN": "我们在用大语言模型打造一个垂直领域的智能助手：整理领域数据，做监督微调和强化学习，"
    "搭建评测集，再把模型高效、安全地部署上线。",
    "en-US": "We are building a domain-specific assistant on large language models: curating "
    "domain data, supervised fine-tuning and reinforcement learning, building evaluation sets, "
    "and deploying the model efficiently and safely.",
}
AUTO_WRITER = "auto"  # the llm writer when its API key is set, else the template writer

# Without a config file: today's arXiv listings and Hugging Face's picks; when neither can be
# reached (no network), the bundled sample papers.
DEFAULT_SOURCES = [{"type": "arxiv-rss"}, {"type": "hf-daily"}, {"type": "file", "fallback": True}]
DEFAULT_DESCRIPTION = {
    "zh-CN": "每天早上几分钟，听懂最新的 AI 论文，以及它们对我们项目的意义。",
    "en-US": "A few minutes every morning on new AI papers and what they mean for our project.",
}


# -- the typed configuration -----------------------------------------------------------------


@dataclass(frozen=True)
class ShowConfig:
    title: str = ""
    author: str = "podcast"
    email: str = field(default="", metadata=check(email))
    language: str = field(default="zh-CN", metadata=one_of(*i18n.LANGUAGES))
    timezone: str = field(default="Asia/Shanghai", metadata=check(timezone))
    max_papers: int = field(default=5, metadata=between(1, 10))
    target_minutes: float = field(default=8.0, metadata=check(positive_number))
    description: str = ""
    #: the show's cover: a square PNG or JPEG, 1400-3000 px; unset: drawn from the title
    artwork: Path | None = None

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
    base_url: str = field(default="https://api.openai.com/v1", metadata=check(http_url))
    api_key_env: str = "OPENAI_API_KEY"  # empty: the endpoint needs no key (a local server)
    timeout: float = field(default=60.0, metadata=check(positive_number))


@dataclass(frozen=True)
class EmbeddingsConfig(ModelEndpoint):
    weight: float = field(default=0.5, metadata=check(fraction))


@dataclass(frozen=True)
class RerankConfig(ModelEndpoint):
    candidates: int = field(default=15, metadata=between(2, 40))


@dataclass(frozen=True)
class SelectionConfig:
    on_empty: str = field(default="backlog", metadata=one_of("backlog", "skip"))
    backlog_days: int = field(default=7, metadata=between(1, 60))
    strict: bool = False  # one failing source fails the run
    embeddings: EmbeddingsConfig | None = None
    rerank: RerankConfig | None = None


@dataclass(frozen=True)
class LlmConfig:
    """The OpenAI-compatible chat endpoint that writes the script."""

    base_url: str = field(default="https://api.openai.com/v1", metadata=check(http_url))
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"  # empty: the endpoint needs no key (Ollama, vLLM)
    temperature: float = field(default=0.4, metadata=check(lambda v: _at_most(v, 2.0)))
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


def _at_most(value: float, most: float) -> None:
    if not 0 <= value <= most:
        raise ValueError(f"must be between 0 and {most:g}")


@dataclass(frozen=True)
class NetworkConfig:
    timeout: float = field(default=20.0, metadata=check(positive_number))
    retries: int = field(default=3, metadata=between(0, 10))
    cache_days: int = field(default=7, metadata=between(1, 60))


@dataclass(frozen=True)
class ScheduleConfig:
    """When ``podcast serve`` builds the day's episode, in the show's time zone."""

    enabled: bool = True
    cron: str = field(default="30 9 * * 1-5", metadata=check(crontab))
    #: started this long after a missed build time, the daemon still builds that day's episode
    misfire_grace: str = field(default="6h", metadata=check(duration))
    retries: int = field(default=3, metadata=between(0, 10))  # after a failed build
    retry_delay: str = field(default="5m", metadata=check(duration))  # doubled on each retry

    @property
    def grace_seconds(self) -> float:
        return seconds(self.misfire_grace)

    @property
    def retry_seconds(self) -> float:
        return seconds(self.retry_delay)


@dataclass(frozen=True)
class RecapConfig:
    """When ``podcast serve`` makes the weekly recap (a bonus episode), in the show's time zone."""

    enabled: bool = True
    cron: str = field(default="0 17 * * 5", metadata=check(crontab))  # Fridays at 17:00


@dataclass(frozen=True)
class PlaybackConfig:
    """The day's episode played aloud in the office."""

    at: str = field(default="", metadata=check(clock_time))  # "10:00"; "": never
    #: the player, {file} standing for the episode's MP3 (its URL when there is no local file);
    #: "": the first of mpv, ffplay, cvlc, mpg123 that is installed
    command: str = ""


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
    engine: str = "edge"  # neural voices; falls back to espeak when they cannot be reached
    preset: str = "default"  # a voice preset of the show's language in voices/presets.toml
    voice: str = ""  # the host voice; empty: the preset's
    thoughts_voice: str = ""  # the voice of "my thoughts"; empty: the preset's; "none": the host's
    concurrency: int = field(default=4, metadata=between(1, 8))
    retries: int = field(default=4, metadata=between(0, 10))
    fallback: str = field(default="offline", metadata=one_of("offline", "fail"))
    #: engine name → its options from [tts.<engine>]; not a key of its own
    engines: dict[str, Any] = field(default_factory=dict, metadata={"internal": True})


@dataclass(frozen=True)
class PauseConfig:
    """Silences in the mix, in seconds; unset: the voice preset's."""

    sentence: float | None = field(default=None, metadata=between(0, 5))  # sentences synthesised apart
    paragraph: float | None = field(default=None, metadata=between(0, 5))
    section: float | None = field(default=None, metadata=between(0, 10))  # after the greeting, before the closing
    paper: float | None = field(default=None, metadata=between(0, 10))  # between papers, around the sting


@dataclass(frozen=True)
class AudioConfig:
    loudness: float = field(default=-16.0, metadata=between(-30, -10))  # integrated, LUFS
    true_peak: float = field(default=-1.0, metadata=between(-9, 0))  # dBTP, at most
    bitrate: int = field(default=96, metadata=between(32, 320))  # kbit/s, constant
    channels: int = field(default=1, metadata=between(1, 2))
    quality: int = field(default=7, metadata=between(0, 9))  # LAME: 0 slowest and best, 9 fastest
    music: bool = True  # false: no intro, sting or outro at all
    intro: Path | None = None  # any file ffmpeg reads; unset: the show's own in voices/music
    sting: Path | None = None
    outro: Path | None = None
    duck: float = field(default=15.0, metadata=between(12, 40))  # dB the intro drops under the voice
    voice_entry: float = field(default=7.5, metadata=between(0, 60))  # seconds into the intro
    pauses: PauseConfig = field(default_factory=PauseConfig)


@dataclass(frozen=True)
class PublishConfig:
    #: "folder" (``dir``) or "s3://bucket/prefix" (S3-compatible object storage)
    target: str = "folder"
    dir: Path = Path("feed")
    base_url: str = field(default="http://localhost:8000/", metadata=check(http_url))
    #: how many of the newest episodes the feed and page list; older ones' files are removed
    keep_episodes: int | None = field(default=None, metadata=between(1, 100_000))
    #: an S3-compatible endpoint (MinIO, R2, OSS...); unset: AWS itself
    endpoint_url: str | None = field(default=None, metadata=check(http_url))
    region: str = ""  # unset: $AWS_DEFAULT_REGION, else us-east-1

    @property
    def kind(self) -> str:
        """The target backend's name: the URL scheme of "s3://...", else the target itself."""
        return self.target.split("://", 1)[0] if "://" in self.target else self.target


@dataclass(frozen=True)
class StateConfig:
    dir: Path = Path(".podcast")


@dataclass(frozen=True)
class Config:
    show: ShowConfig
    listener: ListenerConfig
    sources: tuple[SourceConfig, ...]
    selection: SelectionConfig
    llm: LlmConfig
    writer: BackendConfig
    tts: TTSConfig
    audio: AudioConfig
    publish: PublishConfig
    state: StateConfig
    network: NetworkConfig
    schedule: ScheduleConfig = ScheduleConfig()
    playback: PlaybackConfig = PlaybackConfig()
    recap: RecapConfig = RecapConfig()
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
        return _build({}, Context(file="built-in defaults", base_dir=cwd))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    config = _build(data, Context(file=str(path), base_dir=path.resolve().parent))
    return dataclasses.replace(config, path=path)


def _build(data: dict[str, Any], ctx: Context) -> Config:
    from .publish import TARGETS

    known = ("show", "listener", "sources", "selection", "llm", "writer", "tts", "audio", "publish", "state",
             "network", "schedule", "playback", "recap")
    reject_unknown(data, known, "", ctx)
    show = parse_table(ShowConfig, subtable(data, "show", ctx), "show", ctx)
    show = dataclasses.replace(
        show,
        title=show.title or i18n.phrases(show.language).show_title,
        description=show.description or DEFAULT_DESCRIPTION[show.language],
    )
    listener = parse_table(ListenerConfig, subtable(data, "listener", ctx), "listener", ctx)
    if not listener.project.strip():
        listener = dataclasses.replace(listener, project=DEFAULT_PROJECT[show.language])

    raw_sources = data.get("sources", DEFAULT_SOURCES)
    if not isinstance(raw_sources, list) or not all(isinstance(s, dict) for s in raw_sources):
        raise ctx.error("sources", "must be a list of [[sources]] tables")
    if not raw_sources:
        raise ctx.error("sources", "needs at least one [[sources]] entry")
    sources = tuple(_source(entry, f"sources[{i}]", ctx) for i, entry in enumerate(raw_sources, start=1))
    selection = parse_table(SelectionConfig, subtable(data, "selection", ctx), "selection", ctx)
    llm = parse_table(LlmConfig, subtable(data, "llm", ctx), "llm", ctx)
    writer = _writer(subtable(data, "writer", ctx), ctx)
    tts = _tts(subtable(data, "tts", ctx), ctx)
    known_presets = presets(show.language)
    if tts.preset not in known_presets:
        raise ctx.error("tts.preset", f"no such voice preset for {show.language}; choose one of: "
                        f"{', '.join(known_presets)}", tts.preset)
    audio = parse_table(AudioConfig, subtable(data, "audio", ctx), "audio", ctx)
    publish = parse_table(PublishConfig, subtable(data, "publish", ctx), "publish", ctx)
    if publish.kind not in TARGETS:
        raise ctx.error(
            "publish.target", 'unknown publish target; choose "folder" or "s3://bucket/prefix"', publish.target)
    try:
        TARGETS.get(publish.kind).check(publish)
    except ValueError as exc:
        raise ctx.error("publish.target", str(exc), publish.target) from None
    if not publish.base_url.endswith("/"):
        publish = dataclasses.replace(publish, base_url=publish.base_url + "/")
    state = parse_table(StateConfig, subtable(data, "state", ctx), "state", ctx)
    network = parse_table(NetworkConfig, subtable(data, "network", ctx), "network", ctx)
    schedule = parse_table(ScheduleConfig, subtable(data, "schedule", ctx), "schedule", ctx)
    playback = parse_table(PlaybackConfig, subtable(data, "playback", ctx), "playback", ctx)
    recap = parse_table(RecapConfig, subtable(data, "recap", ctx), "recap", ctx)
    return Config(show, listener, sources, selection, llm, writer, tts, audio, publish, state, network, schedule,
                  playback, recap)


def _tts(table: dict[str, Any], ctx: Context) -> TTSConfig:
    from .speak import ENGINES

    table = dict(table)
    engines = {}
    for name in ENGINES:  # each engine's own keys live in [tts.<engine>]
        own = table.pop(name, {})
        if not isinstance(own, dict):
            raise ctx.error(f"tts.{name}", f"must be a [tts.{name}] table", own)
        engines[name] = parse_table(ENGINES.get(name).Options, own, f"tts.{name}", ctx)
    tts = parse_table(TTSConfig, table, "tts", ctx)
    if tts.engine not in ENGINES:
        raise ctx.error("tts.engine", f"unknown TTS engine; choose one of: {', '.join(ENGINES)}", tts.engine)
    return dataclasses.replace(tts, engines=engines)


def _writer(table: dict[str, Any], ctx: Context) -> BackendConfig:
    from .write import WRITERS

    if table.get("type", AUTO_WRITER) != AUTO_WRITER:
        return _backend(table, "type", WRITERS, "writer", ctx)
    reject_unknown(table, ("type",), "writer", ctx)
    return BackendConfig(type=AUTO_WRITER, options=None)  # decided at run time, by the API key


def _source(entry: dict[str, Any], where: str, ctx: Context) -> SourceConfig:
    from .sources import SOURCES

    entry = dict(entry)
    fallback = entry.pop("fallback", False)
    if not isinstance(fallback, bool):
        raise ctx.error(f"{where}.fallback", "must be true or false", fallback)
    backend = _backend(entry, "type", SOURCES, where, ctx, required=True)
    return SourceConfig(backend.type, backend.options, fallback)


def _backend(
    table: dict[str, Any],
    selector: str,
    registry: Any,
    where: str,
    ctx: Context,
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
