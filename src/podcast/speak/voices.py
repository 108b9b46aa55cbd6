"""The voice settings of [tts], the voice presets and the pronunciation lexicon from the
``voices/`` folder."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import voices_dir
from ..errors import ConfigError
from ..models import Host, HostsConfig
from ..schema import between, one_of


@dataclass(frozen=True)
class TTSConfig:
    engine: str = "edge"  # neural voices; the offline stand-in reads when they cannot be reached
    preset: str = "default"  # a voice preset of the show's language in voices/presets.toml
    voice: str = ""  # the host voice; empty: the preset's
    # the voice of "my thoughts"; empty: the preset's; "none": the host's
    thoughts_voice: str = ""
    concurrency: int = field(default=4, metadata=between(1, 8))
    retries: int = field(default=4, metadata=between(0, 10))
    fallback: str = field(default="offline", metadata=one_of("offline", "fail"))
    #: engine name → its options from [tts.<engine>], for the engines given one (the others
    #: take their defaults); not a key of its own
    engines: dict[str, Any] = field(default_factory=dict, metadata={"internal": True})
    #: a conversation's voices as [show.hosts] gives them (config.py puts them here)
    hosts: HostsConfig = field(default_factory=HostsConfig, metadata={"internal": True})


@dataclass(frozen=True)
class PauseConfig:
    """Silences in the mix ([audio.pauses]), in seconds; unset: the voice preset's."""

    # between sentences synthesised apart
    sentence: float | None = field(default=None, metadata=between(0, 5))
    paragraph: float | None = field(default=None, metadata=between(0, 5))
    # after the greeting, before the closing
    section: float | None = field(default=None, metadata=between(0, 10))
    # between papers, around the sting
    paper: float | None = field(default=None, metadata=between(0, 10))
    # between a conversation's turns, in place of ``paragraph``
    turn: float | None = field(default=None, metadata=between(0, 5))


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc


def presets(language: str, folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """The voice presets for a language, by name (voices/presets.toml)."""
    return dict(_read((folder or voices_dir()) / "presets.toml").get(language, {}))


def preset(language: str, name: str, folder: Path | None = None) -> dict[str, Any]:
    """One preset: ``pauses``, and per engine its voice settings; ConfigError if unknown."""
    known = presets(language, folder)
    if name not in known:
        raise ConfigError(
            f"tts.preset = {name!r}: no such voice preset for {language}; "
            f"choose one of: {', '.join(known)}"
        )
    return known[name]


@dataclass(frozen=True)
class Cast:
    """A conversation's two voices by default, in one language ([hosts."<language>"] in
    voices/presets.toml): the host, then the analyst, each with its name, role and voice per
    engine; and the names of the presets' other voices."""

    hosts: tuple[Host, Host]
    voices: tuple[dict[str, str], dict[str, str]]  # engine → voice
    names: dict[str, str]  # voice → name

    def name_of(self, voice: str) -> str:
        """The name a voice goes by, if it has one ("" if not)."""
        for host, voices in zip(self.hosts, self.voices, strict=True):
            if voice in voices.values():
                return host.name
        return self.names.get(voice, "")


def cast(language: str, folder: Path | None = None) -> Cast:
    """The default voices of a conversation in ``language``."""
    path = (folder or voices_dir()) / "presets.toml"
    given = _read(path).get("hosts", {}).get(language, {})

    def one(part: str) -> tuple[Host, dict[str, str]]:
        table = dict(given.get(part, {}))
        host = Host(str(table.pop("name", part)), str(table.pop("role", part)))
        return host, {engine: str(voice) for engine, voice in table.items()}

    (host, host_voices), (analyst, analyst_voices) = one("host"), one("analyst")
    names = given.get("names", {})
    if not isinstance(names, dict):
        raise ConfigError(f"{path}: [hosts.\"{language}\"] names must be a table")
    return Cast((host, analyst), (host_voices, analyst_voices),
                {str(voice): str(name) for voice, name in names.items()})


def hosts(language: str, folder: Path | None = None) -> tuple[Host, Host]:
    """A conversation's two voices by name and role: the host, then the analyst."""
    return cast(language, folder).hosts


@dataclass(frozen=True)
class Lexicon:
    """Replacements applied to text just before it is synthesised: whole words, then patterns."""

    pattern: re.Pattern[str] | None
    replacements: dict[str, str]
    rules: tuple[tuple[re.Pattern[str], str], ...] = ()

    @classmethod
    def load(cls, language: str, folder: Path | None = None) -> Lexicon:
        path = (folder or voices_dir()) / "lexicon.toml"
        data = _read(path)
        words: dict[str, str] = {}
        for table in ("all", language):
            entries = data.get(table, {})
            if not all(isinstance(v, str) for v in entries.values()):
                raise ConfigError(f"{path}: [{table}] values must be strings")
            words.update(entries)
        rules = []
        for expression, replacement in data.get("patterns", {}).get(language, {}).items():
            try:
                rules.append((re.compile(expression), str(replacement)))
            except re.error as exc:
                raise ConfigError(f"{path}: [patterns.{language}] {expression!r}: {exc}") from None
        alternatives = sorted(words, key=len, reverse=True)
        parts = [
            rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])"
            if w[0].isascii() and w[0].isalnum() else re.escape(w)
            for w in alternatives
        ]
        return cls(re.compile("|".join(parts)) if parts else None, words, tuple(rules))

    def apply(self, text: str) -> str:
        if self.pattern is not None:
            text = self.pattern.sub(lambda m: self.replacements[m.group(0)], text)
        for expression, replacement in self.rules:
            text = expression.sub(replacement, text)
        return text
