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
from ..models import Host
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
    #: engine name → its options from [tts.<engine>]; not a key of its own
    engines: dict[str, Any] = field(default_factory=dict, metadata={"internal": True})


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


def hosts(language: str, folder: Path | None = None) -> tuple[Host, Host]:
    """A conversation's two voices by name and role: the host, then the analyst."""
    given = _read((folder or voices_dir()) / "presets.toml").get("hosts", {}).get(language, {})

    def one(part: str) -> Host:
        table = given.get(part, {})
        return Host(str(table.get("name", part)), str(table.get("role", part)))

    return one("host"), one("analyst")


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
