"""Stage 4, speak: every paragraph of the script turned into audio by a TTS engine.

An engine subclasses :class:`Speaker` and registers in :data:`ENGINES`. The stage applies the
pronunciation lexicon, then asks the engine for all paragraphs at once so that engines with
network round trips can work on several at a time.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..audio import AudioSegment
from ..config import TTSConfig
from ..models import Script
from ..progress import Advance
from ..registry import Backend, Registry
from ..voices import Lexicon, preset

log = logging.getLogger(__name__)


class Speaker(Backend, ABC):
    def __init__(self, options: Any, language: str, voice: str = "") -> None:
        super().__init__(options)
        self.language = language
        self.defaults = preset(self.name, language)
        self.voice = voice or self.defaults.get("voice", "")

    @abstractmethod
    def speak(self, text: str) -> AudioSegment:
        """One paragraph of speech-ready text as audio; raises SpeechError."""

    def speak_all(self, texts: Sequence[str], advance: Advance) -> list[AudioSegment]:
        """All paragraphs in order; ``advance(1)`` after each one is done."""
        spoken = []
        for text in texts:
            spoken.append(self.speak(text))
            advance(1)
        return spoken

    @property
    def units_per_minute(self) -> float:
        """How fast this voice speaks (timing.speech_units per minute), from its preset."""
        return float(self.defaults.get("units_per_minute", 220 if self.language.startswith("zh") else 150))

    def describe(self) -> str:
        return f"{self.name} voice {self.voice}"


ENGINES: Registry[type[Speaker]] = Registry("TTS engine")


def open_speaker(config: TTSConfig, language: str) -> Speaker:
    return ENGINES.get(config.engine)(config.options, language, config.voice)


@dataclass(frozen=True)
class SpokenSection:
    title: str
    parts: tuple[AudioSegment, ...]


def speak_script(script: Script, speaker: Speaker, advance: Advance = lambda n: None) -> list[SpokenSection]:
    """Audio for every section of ``script``, one segment per paragraph."""
    lexicon = Lexicon.load(script.language)
    sections = script.sections()
    texts = [lexicon.apply(part) for section in sections for part in section.parts]
    audio = speaker.speak_all(texts, advance)
    log.info("Spoke %d paragraphs with the %s.", len(texts), speaker.describe())
    spoken, start = [], 0
    for section in sections:
        end = start + len(section.parts)
        spoken.append(SpokenSection(section.title, tuple(audio[start:end])))
        start = end
    return spoken


from . import espeak as _espeak  # noqa: E402,F401  (registers the built-in backends)
