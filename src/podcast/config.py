"""podcast.toml, read once and validated into typed objects that are passed down explicitly.

The file is found from ``--config``, else ``$PODCAST_CONFIG``, else ``./podcast.toml``, else the
built-in defaults apply. Relative paths in the file are relative to the file's folder. Any
unknown key or bad value is a :class:`ConfigError` naming the file and the key.

Each stage declares the settings it takes (``SelectionConfig`` in select, ``TTSConfig`` in
speak, ...) and each backend its own ``Options``; this module composes them into one
:class:`Config` and validates every table up front. The stages never import it.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import i18n
from .daemon.cron import cron_trigger, update_frequency
from .errors import ConfigError
from .llm import LlmConfig
from .models import HostConfig, HostsConfig, ShowConfig
from .produce import AudioConfig
from .publish import TARGETS, PublishConfig
from .publish.target import target_kind
from .registry import BackendConfig, Registry
from .schema import (
    Context,
    between,
    check,
    clock_time,
    coerce,
    duration,
    parse_table,
    positive_number,
    reject_unknown,
    seconds,
    subtable,
)
from .select.library import LibraryConfig, Shelf, shelf
from .select.refine import SelectionConfig
from .sources import SOURCES, SourceConfig
from .sources.fulltext import FulltextConfig
from .speak import ENGINES, TTSConfig
from .speak.voices import presets
from .write import AUTO_WRITER, WRITERS

CONFIG_FILE = "podcast.toml"
ENV_VAR = "PODCAST_CONFIG"

DEFAULT_PROJECT = {
    "zh-CN": "我们在用大语言模型打造一个垂直领域的智能助手：整理领域文档和数据，做监督微调、"
    "强化学习和偏好对齐，搭建评测集检查回答的准确性和幻觉，再把模型高效、安全地部署上线，"
    "保护用户隐私。",
    "en-US": "We are building a domain-specific assistant on large language models: curating "
    "domain documents and data, supervised fine-tuning, reinforcement learning and preference "
    "alignment, building evaluation sets that check answers for accuracy and hallucination, and "
    "deploying the model efficiently and safely, protecting user privacy.",
}

# Without a config file: today's arXiv listings and Hugging Face's picks; when neither can be
# reached (no network), the bundled sample papers.
DEFAULT_SOURCES = [{"type": "arxiv-rss"}, {"type": "hf-daily"}, {"type": "file", "fallback": True}]
DEFAULT_DESCRIPTION = {
    "zh-CN": "每天早上几分钟，听懂最新的 AI 论文，以及它们对我们项目的意义。",
    "en-US": "A few minutes every morning on new AI papers and what they mean for our project.",
}


# -- the typed configuration -----------------------------------------------------------------


@dataclass(frozen=True)
class ListenerConfig:
    #: the project in the show's language when given so, else in the language given
    project: str = ""
    keywords: tuple[str, ...] = ()  # count extra when ranking
    exclude: tuple[str, ...] = ()  # a paper mentioning any of these is never picked
    #: the team's library (``library``, a path or a list of paths and zotero: sources) and how
    #: to reach it (``zotero_api``, ``zotero_key_env``, ``arxiv_api``): papers like those it
    #: keeps rank higher
    library: LibraryConfig = field(default_factory=LibraryConfig, metadata={"internal": True})
    #: the texts of a [listener.project] table, by language (empty for one project text)
    projects: dict[str, str] = field(default_factory=dict, metadata={"internal": True})


@dataclass(frozen=True)
class NetworkConfig:
    timeout: float = field(default=20.0, metadata=check(positive_number))
    retries: int = field(default=3, metadata=between(0, 10))
    cache_days: int = field(default=7, metadata=between(1, 60))
    #: seconds the sources are read for in all (they are read at the same time): one still
    #: reading then is reported failed and the episode is made without it
    gather_deadline: float = field(default=90.0, metadata=check(positive_number))


def crontab(value: str) -> None:
    try:
        cron_trigger(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"must be a crontab line of five fields, such as \"30 9 * * 1-5\" "
                         f"({exc})") from None


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

    @property
    def frequency(self) -> tuple[str, str] | None:
        """The schedule as the feed's ``podcast:updateFrequency``: a label and an RFC 5545 rule."""
        return update_frequency(self.cron) if self.enabled else None


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
    fulltext: FulltextConfig = field(default_factory=FulltextConfig)
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
    known = ("show", "listener", "sources", "selection", "llm", "writer", "tts", "audio", "publish",
             "state", "network", "schedule", "playback", "recap", "fulltext")
    reject_unknown(data, known, "", ctx)
    show_table = dict(subtable(data, "show", ctx))
    hosts = _hosts(show_table.pop("hosts", {}), ctx)
    show = parse_table(ShowConfig, show_table, "show", ctx)
    show = dataclasses.replace(
        show,
        title=show.title or i18n.phrases(show.language).show_title,
        description=show.description or DEFAULT_DESCRIPTION[show.language],
        hosts=hosts,
    )
    listener = _listener(subtable(data, "listener", ctx), show.language, ctx)

    raw_sources = data.get("sources", DEFAULT_SOURCES)
    if not isinstance(raw_sources, list) or not all(isinstance(s, dict) for s in raw_sources):
        raise ctx.error("sources", "must be a list of [[sources]] tables")
    if not raw_sources:
        raise ctx.error("sources", "needs at least one [[sources]] entry")
    sources = tuple(_source(entry, f"sources[{i}]", ctx)
                    for i, entry in enumerate(raw_sources, start=1))
    selection = parse_table(SelectionConfig, subtable(data, "selection", ctx), "selection", ctx)
    llm = parse_table(LlmConfig, subtable(data, "llm", ctx), "llm", ctx)
    writer = _writer(subtable(data, "writer", ctx), ctx)
    tts = dataclasses.replace(_tts(subtable(data, "tts", ctx), ctx), hosts=hosts)
    known_presets = presets(show.language)
    if tts.preset not in known_presets:
        raise ctx.error("tts.preset", f"no such voice preset for {show.language}; choose one of: "
                        f"{', '.join(known_presets)}", tts.preset)
    audio = parse_table(AudioConfig, subtable(data, "audio", ctx), "audio", ctx)
    publish = _publish(subtable(data, "publish", ctx), ctx)
    if not publish.base_url.endswith("/"):
        publish = dataclasses.replace(publish, base_url=publish.base_url + "/")
    state = parse_table(StateConfig, subtable(data, "state", ctx), "state", ctx)
    network = parse_table(NetworkConfig, subtable(data, "network", ctx), "network", ctx)
    schedule = parse_table(ScheduleConfig, subtable(data, "schedule", ctx), "schedule", ctx)
    playback = parse_table(PlaybackConfig, subtable(data, "playback", ctx), "playback", ctx)
    recap = parse_table(RecapConfig, subtable(data, "recap", ctx), "recap", ctx)
    fulltext = parse_table(FulltextConfig, subtable(data, "fulltext", ctx), "fulltext", ctx)
    return Config(show, listener, sources, selection, llm, writer, tts, audio, publish, state,
                  network, schedule, playback, recap, fulltext)


def _listener(table: dict[str, Any], language: str, ctx: Context) -> ListenerConfig:
    """[listener]: ``project`` is one text, or a [listener.project] table of texts by language
    (zh-CN, en-US); the show takes the one in its language, else the one given, else the
    default project in its language."""
    table = dict(table)
    given = table.pop("project", "")
    projects: dict[str, str] = {}
    if isinstance(given, dict):
        reject_unknown(given, i18n.LANGUAGES, "listener.project", ctx)
        for key, text in given.items():
            if not isinstance(text, str) or not text.strip():
                raise ctx.error(f"listener.project.{key}", "must be a non-empty string", text)
            projects[key] = text.strip()
        if not projects:
            raise ctx.error("listener.project", "must give the project in zh-CN, en-US or both")
        project = projects.get(language) or next(iter(projects.values()))
    elif isinstance(given, str):
        project = given.strip() or DEFAULT_PROJECT[language]
    else:
        raise ctx.error("listener.project", "must be a string, or a [listener.project] table "
                        "with zh-CN and/or en-US", given)
    own = tuple(spec.name for spec in dataclasses.fields(LibraryConfig)
                if not spec.metadata.get("internal"))
    library = parse_table(LibraryConfig, {k: v for k, v in table.items() if k in own}, "listener",
                          ctx)
    library = dataclasses.replace(library, shelves=_library(table.get("library", []), ctx))
    listener = parse_table(ListenerConfig, {k: v for k, v in table.items() if k not in own},
                           "listener", ctx, extra_known=("project", "library", *own))
    return dataclasses.replace(listener, project=project, projects=projects, library=library)


def _library(value: Any, ctx: Context) -> tuple[Shelf, ...]:
    """[listener] library: one path or source, or a list of them; each file must exist."""
    given = [value] if isinstance(value, str) else value
    if not isinstance(given, list) or not all(isinstance(v, str) and v.strip() for v in given):
        raise ctx.error("listener.library", "must be a path, or a list of paths and "
                        "zotero:user/<id> or zotero:group/<id> sources", value)
    shelves = []
    for text in given:
        try:
            shelves.append(shelf(text, ctx.base_dir))
        except ValueError as exc:
            raise ctx.error("listener.library", str(exc), text) from None
    return tuple(shelves)


def _publish(table: dict[str, Any], ctx: Context) -> PublishConfig:
    """[publish]: its own keys, and those of the targets (each checked by its target's Options;
    the chosen target keeps its own)."""
    target = table.get("target", PublishConfig.target)
    kind = target_kind(target) if isinstance(target, str) else ""
    if kind not in TARGETS:
        examples = [f'"{TARGETS.get(name).example or name}"' for name in TARGETS]
        choices = " or ".join(examples) if len(examples) < 3 else f"one of: {', '.join(examples)}"
        raise ctx.error("publish.target", f"unknown publish target; choose {choices}", target)
    options: dict[str, Any] = {}
    for name in TARGETS:
        own = {spec.name for spec in dataclasses.fields(TARGETS.get(name).Options)}
        options[name] = parse_table(TARGETS.get(name).Options,
                                    {k: v for k, v in table.items() if k in own}, "publish", ctx)
    backend_keys = {spec.name for name in TARGETS
                    for spec in dataclasses.fields(TARGETS.get(name).Options)}
    common = {k: v for k, v in table.items() if k not in backend_keys}
    publish = parse_table(PublishConfig, common, "publish", ctx,
                          extra_known=tuple(sorted(backend_keys)))
    try:
        TARGETS.get(kind).check(publish.target)
    except ValueError as exc:
        raise ctx.error("publish.target", str(exc), publish.target) from None
    return dataclasses.replace(publish, options=options[kind])


def _hosts(table: Any, ctx: Context) -> HostsConfig:
    """[show.hosts]: [show.hosts.host] and [show.hosts.analyst], each with ``name``, ``role``,
    ``voice`` (in the [tts] engine) and ``<engine>_voice`` for a voice in one engine."""
    if not isinstance(table, dict):
        raise ctx.error("show.hosts", "must be a [show.hosts] table", table)
    reject_unknown(table, ("host", "analyst"), "show.hosts", ctx)
    engine_keys = {f"{name}_voice": name for name in ENGINES}
    parsed = {}
    for part in ("host", "analyst"):
        where = f"show.hosts.{part}"
        given = table.get(part, {})
        if not isinstance(given, dict):
            raise ctx.error(where, f"must be a [{where}] table", given)
        own = {k: v for k, v in given.items() if k not in engine_keys}
        host = parse_table(HostConfig, own, where, ctx, extra_known=tuple(engine_keys))
        voices = {}
        for key, engine in engine_keys.items():
            if key in given:
                voice = coerce(given[key], str, f"{where}.{key}", ctx)
                if not voice:
                    raise ctx.error(f"{where}.{key}", "must name a voice", given[key])
                voices[engine] = voice
        parsed[part] = dataclasses.replace(host, voices=voices)
    hosts = HostsConfig(**parsed)
    if hosts.host.name and hosts.host.name == hosts.analyst.name:
        raise ctx.error("show.hosts.analyst.name", "must differ from the host's",
                        hosts.analyst.name)
    pairs = [("voice", hosts.host.voice, hosts.analyst.voice),
             *((key, hosts.host.voices.get(engine), hosts.analyst.voices.get(engine))
               for key, engine in engine_keys.items())]
    for key, host_voice, analyst_voice in pairs:
        if host_voice and host_voice == analyst_voice:
            raise ctx.error(f"show.hosts.analyst.{key}", "must differ from the host's",
                            analyst_voice)
    return hosts


def _tts(table: dict[str, Any], ctx: Context) -> TTSConfig:
    table = dict(table)
    engines = {}
    for name in ENGINES:  # each engine's own keys live in [tts.<engine>]
        if name not in table:  # its defaults: the engine is not loaded to learn them
            continue
        own = table.pop(name)
        if not isinstance(own, dict):
            raise ctx.error(f"tts.{name}", f"must be a [tts.{name}] table", own)
        engines[name] = parse_table(ENGINES.get(name).Options, own, f"tts.{name}", ctx)
    tts = parse_table(TTSConfig, table, "tts", ctx)
    if tts.engine not in ENGINES:
        raise ctx.error("tts.engine", f"unknown TTS engine; choose one of: {', '.join(ENGINES)}",
                        tts.engine)
    return dataclasses.replace(tts, engines=engines)


def _writer(table: dict[str, Any], ctx: Context) -> BackendConfig:
    if table.get("type", AUTO_WRITER) != AUTO_WRITER:
        return _backend(table, "type", WRITERS, "writer", ctx)
    reject_unknown(table, ("type",), "writer", ctx)
    # decided at run time (a model needs its key)
    return BackendConfig(type=AUTO_WRITER, options=None)


def _source(entry: dict[str, Any], where: str, ctx: Context) -> SourceConfig:
    entry = dict(entry)
    fallback = entry.pop("fallback", False)
    if not isinstance(fallback, bool):
        raise ctx.error(f"{where}.fallback", "must be true or false", fallback)
    backend = _backend(entry, "type", SOURCES, where, ctx, required=True)
    return SourceConfig(backend.type, backend.options, fallback)


def _backend(
    table: dict[str, Any],
    selector: str,
    registry: Registry[Any],
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
