"""Stage 4, speak: every paragraph of the script turned into audio by a TTS engine, with the
time of every sentence in it.

Text is cut at sentence ends (then at ，；) into requests no longer than the engine allows; the
pronunciation lexicon is applied to what is sent, never to the sentences kept for captions.
Pauses are real silence added here and in the mix, not SSML. An engine subclasses
:class:`Speaker` and registers in :data:`ENGINES`.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar

from ..audio import AudioSegment, conform, silence
from ..config import PauseConfig, TTSConfig
from ..errors import ConfigError
from ..models import Cue, Script
from ..progress import Advance
from ..registry import Backend, Registry
from ..voices import Lexicon, preset

log = logging.getLogger(__name__)

_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]*[”’\"')）]*|[。！？!?]+")
_CLAUSE = re.compile(r"[^，；,;]+[，；,;]*")
_TRIM_DBFS = -50.0


@dataclass(frozen=True)
class Pauses:
    sentence: float = 0.25  # seconds, between sentences synthesised apart
    part: float = 0.65  # between paragraphs
    section: float = 1.3  # after the greeting and before the closing
    paper: float = 1.3  # from one paper to the next, around the sting


@dataclass(frozen=True)
class Voice:
    """One engine's settings for the show, the preset with the config's overrides applied."""

    language: str
    voice: str
    thoughts_voice: str  # empty: the host voice says the thoughts too
    units_per_minute: float
    pauses: Pauses
    options: Any  # the engine's Options, completed from the preset


@dataclass(frozen=True)
class Line:
    """A paragraph to say, and whether it belongs to "my thoughts" (the second voice)."""

    text: str
    thoughts: bool = False


@dataclass(frozen=True)
class Utterance:
    """A paragraph spoken: its audio (or a file holding it) and when each of its sentences is said."""

    audio: AudioSegment | Path
    cues: tuple[Cue, ...]


@dataclass(frozen=True)
class SpeakContext:
    cache_dir: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    concurrency: int = 4
    retries: int = 4
    backoff: float = 1.0  # seconds before the first retry; doubled each time, plus jitter


class Speaker(Backend, ABC):
    #: The longest request in UTF-8 bytes; 0 says one request per sentence.
    max_chunk_bytes: ClassVar[int] = 0

    def __init__(self, voice: Voice, context: SpeakContext | None = None) -> None:
        super().__init__(voice.options)
        self.settings = voice
        self.context = context or SpeakContext()
        self.language = voice.language
        self.voice = voice.voice

    @property
    def units_per_minute(self) -> float:
        return self.settings.units_per_minute

    def voice_for(self, line: Line) -> str:
        return self.settings.thoughts_voice if line.thoughts and self.settings.thoughts_voice else self.voice

    def speak_all(self, lines: Sequence[Line], lexicon: Lexicon, advance: Advance) -> list[Utterance]:
        """Every line in order; ``advance(1)`` after each. Engines that wait on a network
        override this to work on several at once."""
        spoken = []
        for line in lines:
            groups = chunk(line.text, self.max_chunk_bytes)
            results = [self.speak_chunk(lexicon.apply(" ".join(g)), self.voice_for(line)) for g in groups]
            spoken.append(assemble(groups, results, self.settings.pauses.sentence))
            advance(1)
        return spoken

    def check(self) -> str | None:
        """Why this engine cannot work now (a service out of reach), or None. Cheap."""
        return None

    @classmethod
    def pace_factor(cls, preset: dict[str, Any], options: Any) -> float:
        """How much faster than the preset's measured rate these options make the voice."""
        return 1.0

    @abstractmethod
    def speak_chunk(self, text: str, voice: str) -> tuple[AudioSegment, list[float] | None]:
        """Audio for ``text``, and where each of its sentences starts (seconds) if the engine
        says; raises SpeechError."""

    def describe(self) -> str:
        return f"{self.name} voice {self.voice}"


ENGINES: Registry[type[Speaker]] = Registry("TTS engine")


def resolve_voice(config: TTSConfig, engine: str, language: str, pauses: PauseConfig | None = None) -> Voice:
    """``engine``'s settings: the chosen preset, with [tts], [tts.<engine>] and the pauses of
    [audio] on top."""
    chosen = preset(language, config.preset)
    base = dict(chosen.get(engine, {}))
    options = config.engines.get(engine) or ENGINES.get(engine).Options()
    factor = ENGINES.get(engine).pace_factor(base, options)
    filled = {}
    for spec in fields(options):
        value = getattr(options, spec.name)
        if value in ("", None, 0, -1) and spec.name in base:
            filled[spec.name] = base[spec.name]
    voice = config.voice or base.get("voice", "")
    if not voice:
        raise ConfigError(f"voice preset {config.preset!r} has no {engine} voice for {language}")
    thoughts = config.thoughts_voice or base.get("thoughts_voice", "")
    preset_pauses = chosen.get("pauses", {})
    given = pauses or PauseConfig()

    def pause(name: str, key: str, default: float) -> float:
        value = getattr(given, name)
        return value if value is not None else preset_pauses.get(key, default) / 1000

    section = pause("section", "section_ms", 1300)
    return Voice(
        language=language,
        voice=voice,
        thoughts_voice="" if thoughts == "none" else thoughts,
        units_per_minute=factor * float(base.get("units_per_minute", 220 if language.startswith("zh") else 150)),
        pauses=Pauses(pause("sentence", "sentence_ms", 250), pause("paragraph", "part_ms", 650), section,
                      pause("paper", "paper_ms", section * 1000)),
        options=replace(options, **filled),
    )


def open_speaker(config: TTSConfig, language: str, context: SpeakContext, engine: str | None = None,
                 pauses: PauseConfig | None = None) -> Speaker:
    engine = engine or config.engine
    return ENGINES.get(engine)(resolve_voice(config, engine, language, pauses), context)


# -- cutting text into requests, and putting the audio back together ------------------------


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def chunk(text: str, max_bytes: int) -> list[list[str]]:
    """Sentences of ``text`` grouped into requests of at most ``max_bytes`` UTF-8 bytes (one
    sentence each when 0). A sentence too long alone is cut at ，；, then at characters."""
    limit = max_bytes or 2000
    pieces: list[str] = []
    for sentence in sentences(text):
        pieces += _fit(sentence, limit)
    if not max_bytes:
        return [[piece] for piece in pieces]
    groups: list[list[str]] = []
    size = 0
    for piece in pieces:  # a group is sent joined by spaces
        length = len(piece.encode())
        if groups and size + 1 + length <= limit:
            groups[-1].append(piece)
            size += 1 + length
        else:
            groups.append([piece])
            size = length
    return groups


def _fit(sentence: str, limit: int) -> list[str]:
    if len(sentence.encode()) <= limit:
        return [sentence]
    parts: list[str] = []
    for clause in _CLAUSE.findall(sentence):
        while len(clause.encode()) > limit:  # no punctuation at all: cut between characters
            cut = len(clause.encode()[:limit].decode("utf-8", "ignore"))
            parts.append(clause[:cut])
            clause = clause[cut:]
        if parts and len((parts[-1] + clause).encode()) <= limit:
            parts[-1] += clause
        elif clause:
            parts.append(clause)
    return parts


def assemble(
    groups: Sequence[Sequence[str]],
    results: Sequence[tuple[AudioSegment, list[float] | None]],
    pause: float,
) -> Utterance:
    """The chunks' audio joined by ``pause`` seconds of silence, each trimmed of the silence
    it starts and ends with, and a cue for every sentence."""
    audio = AudioSegment.empty()
    cues: list[Cue] = []
    for index, (group, (clip, starts)) in enumerate(zip(groups, results, strict=True)):
        clip = conform(clip)
        lead = _leading_silence(clip)
        tail = _leading_silence(clip.reverse())
        clip = clip[lead : len(clip) - tail] if len(clip) - tail > lead else clip
        if index:
            audio += silence(pause * 1000)
        offset = audio.duration_seconds
        length = clip.duration_seconds
        if starts is None or len(starts) != len(group):
            starts = _proportional(group, length)
        else:
            starts = [min(max(0.0, s - lead / 1000), length) for s in starts]
        ends = [*starts[1:], length]
        cues += [Cue(round(offset + s, 3), round(offset + e, 3), t) for s, e, t in zip(starts, ends, group, strict=True)]
        audio += clip
    return Utterance(audio, tuple(cues))


def _proportional(group: Sequence[str], length: float) -> list[float]:
    total = sum(len(s) for s in group) or 1
    starts, position = [], 0.0
    for sentence in group:
        starts.append(position)
        position += length * len(sentence) / total
    return starts


def _leading_silence(clip: AudioSegment, step: int = 10) -> int:
    """Milliseconds of silence at the start of ``clip``."""
    position = 0
    while position < len(clip) and clip[position : position + step].dBFS < _TRIM_DBFS:
        position += step
    return min(position, len(clip))


@dataclass(frozen=True)
class SpokenSection:
    title: str
    parts: tuple[Utterance, ...]


def script_lines(script: Script) -> list[tuple[str, list[Line]]]:
    """Every section's paragraphs, the thoughts and steps of each paper marked for the second voice."""
    sections = []
    for section, segment in zip(script.sections(), (None, *script.segments, None), strict=True):
        thoughts_from = segment.thoughts_at if segment and segment.thoughts_at >= 0 else len(section.parts)
        sections.append((section.title, [Line(p, i >= thoughts_from) for i, p in enumerate(section.parts)]))
    return sections


def speak_script(script: Script, speaker: Speaker, advance: Advance = lambda n: None) -> list[SpokenSection]:
    """Audio for every section of ``script``, one utterance per paragraph."""
    lexicon = Lexicon.load(script.language)
    sections = script_lines(script)
    lines = [line for _, section in sections for line in section]
    spoken = speaker.speak_all(lines, lexicon, advance)
    log.info("Spoke %d paragraphs with the %s.", len(lines), speaker.describe())
    result, start = [], 0
    for title, section in sections:
        result.append(SpokenSection(title, tuple(spoken[start : start + len(section)])))
        start += len(section)
    return result


from . import edge as _edge  # noqa: E402,F401  (registers the built-in backends)
from . import espeak as _espeak  # noqa: E402,F401
