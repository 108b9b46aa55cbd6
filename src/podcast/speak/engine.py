"""What every TTS engine is: a :class:`Speaker` registered in :data:`ENGINES`, given the voice
settings it speaks with; and how text is cut into requests and the audio put back together,
with the time of every sentence in it.

Text is cut into sentences (in Chinese at 。！？, in English at full stops, question and
exclamation marks, abbreviations, initials, decimals and versions kept whole), and sentences are
grouped into requests no longer than the engine allows; only a sentence too long alone is cut
(at ，；, then between words). Every sentence gets its caption cue.
Pauses are real silence added here and in the mix, not SSML.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .. import i18n
from ..errors import SpeechError
from ..models import Cue, Level, Utterance, Voice
from ..produce.audio import AudioSegment, conform, silence, write_wav
from ..progress import Advance
from ..registry import Backend, Registry
from .cache import PieceCache
from .voices import Lexicon

# Where a sentence may end: its stop, then any closing quotes and brackets.
_STOP = re.compile(r"(?:[。！？]+|[!?]+|\.+|…+)[!?。！？]*[”’\"'»)）\]】」』]*")
_FULL_STOP = frozenset("。！？")
# Words whose full stop ends no sentence, lower case, without that stop: "e.g. GPT-4",
# "Smith et al. show", "Fig. 3", "vs. baseline", "Dr. Li"; single letters (initials, "U.S.") too.
ABBREVIATIONS = frozenset(
    "e.g i.e cf vs viz al fig figs eq eqs sec secs tab ref refs no nos vol pp ch dr mr mrs ms"
    " prof st approx resp ca w.r.t a.k.a incl esp dept univ jan feb mar apr jun jul aug sep"
    " sept oct nov dec".split()
)
# "J" of "J. Smith", "U.S" of "U.S. economy"; a lower-case letter ("a b. C d.") is a word
_INITIALS = re.compile(r"[A-Z]|(?:[A-Za-z]\.)+[A-Za-z]")
_NEXT = re.compile(r"\s*(\S?)")
_CLAUSE = re.compile(r"[^，；,;]+[，；,;]*")
_TRIM_DBFS = -50.0


@dataclass(frozen=True)
class Line:
    """A paragraph to say, and which voice says it: 0 the first (the host), 1 the second ("my
    thoughts" in a broadcast, the analyst in a conversation)."""

    text: str
    speaker: int = 0
    conversation: bool = False  # a conversation's turn: said in the voices of Voice.cast


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
    #: How people know the engine, in messages: "edge-tts", "espeak-ng".
    label: ClassVar[str] = ""
    #: An offline engine that stands in for the others before the last resort (the registry's
    #: stand-in) whenever it is :meth:`ready`.
    stands_in_first: ClassVar[bool] = False
    #: What the engine's spoken pieces are, in the log line :meth:`speak_all` ends with
    pieces: ClassVar[str] = "pieces"
    #: Where an engine that keeps its spoken pieces keeps them (set in its ``__init__``)
    cache: PieceCache | None = None

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
        if line.conversation and line.speaker < len(self.settings.cast):
            return self.settings.cast[line.speaker]
        if line.speaker and self.settings.thoughts_voice:
            return self.settings.thoughts_voice
        return self.voice

    def speak_all(
        self, lines: Sequence[Line], lexicon: Lexicon, advance: Advance,
        folder: Path | None = None,
    ) -> list[Utterance]:
        """Every line in order; ``advance(1)`` after each. With a ``folder``, each line's audio
        goes to a file there as soon as it is spoken (see :func:`keep`). Engines that wait on a
        network override this to work on several at once."""
        spoken = []
        for number, line in enumerate(lines):
            groups = chunk(line.text, self.max_chunk_bytes)
            results = [self.speak_chunk(lexicon.apply(" ".join(g)), self.voice_for(line))
                       for g in groups]
            spoken.append(keep(assemble(groups, results, self.settings.pauses.sentence),
                               folder, number))
            advance(1)
        if self.cache is not None:
            self.cache.counted(self.label or self.name, self.pieces)
        return spoken

    def check(self) -> str | None:
        """Why this engine cannot work now (a service out of reach), or None. Cheap."""
        return None

    @classmethod
    def ready(cls, voice: Voice, context: SpeakContext) -> bool:
        """Whether the engine can speak with ``voice`` here without a network: installed, its
        files found. Cheap."""
        return cls.offline

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

    def problem(self, exc: SpeechError) -> VoiceProblem:
        """Why this engine did not read the episode, for the show notes and the log."""
        return VoiceProblem(self.label or self.name, exc.unreachable)

    @classmethod
    def voices(cls, prefix: str, online: bool) -> tuple[list[VoiceInfo], bool] | None:
        """The engine's voices whose locale starts with ``prefix``, and whether the list is the
        service's own (live) or a bundled snapshot; None for an engine without a list."""
        return None


@dataclass(frozen=True)
class VoiceProblem:
    """Why the engine that was to read an episode did not: which one, as people know it, and
    whether it could not be reached at all or failed."""

    engine: str
    unreachable: bool

    def said(self, language: str) -> str:
        """In a few words of ``language``, for the show notes: "未能连接 edge-tts"."""
        words = i18n.phrases(language)
        reason = words.voice_unreachable if self.unreachable else words.voice_failed
        return reason.format(engine=self.engine)

    def __str__(self) -> str:  # the program's own messages are in English
        return self.said("en-US")


@dataclass(frozen=True)
class VoiceInfo:
    name: str
    locale: str
    gender: str
    traits: str


#: The engines that come with the program, each module imported when its engine is asked for.
ENGINES: Registry[type[Speaker]] = Registry("TTS engine", {
    "edge": "podcast.speak.edge",
    "espeak": "podcast.speak.espeak",
    "kokoro": "podcast.speak.kokoro",
})


# -- cutting text into requests, and putting the audio back together ------------------------


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences, each with its stop and closing quotes: at 。！？ always; at
    ! ? and at an English full stop before a space (or the end), except after an abbreviation
    or an initial, or before a lower-case word. Decimals, versions and ids ("93.2%", "v1.5",
    "GPT-4.5", "2409.17581") have no space after their dot and stay whole."""
    found, start = [], 0
    for stop in _STOP.finditer(text):
        if _ends_sentence(text, stop):
            found.append(text[start : stop.end()].strip())
            start = stop.end()
    found.append(text[start:].strip())
    return [sentence for sentence in found if sentence]


def _ends_sentence(text: str, stop: re.Match[str]) -> bool:
    marks, after = stop.group(0), stop.end()
    if _FULL_STOP.intersection(marks):
        return True
    following = text[after : after + 1]
    if following and not following.isspace() and not _is_han(following):
        return False  # "3.5", "v1.5", "Yahoo!Inc"
    if "." not in marks and "…" not in marks:
        return True  # ! and ?
    ahead = _NEXT.match(text, after)
    if ahead and ahead.group(1).islower():
        return False  # "approx. five", "wait... what"
    if marks.startswith("."):
        words = text[max(0, stop.start() - 16) : stop.start()].split()
        word = words[-1].lstrip("([{（“‘\"'") if words else ""
        if word.lower() in ABBREVIATIONS or _INITIALS.fullmatch(word):
            return False
    return True


def _is_han(char: str) -> bool:
    """A Chinese character or Chinese punctuation: what may follow a stop without a space."""
    return "\u3400" <= char <= "\u9fff" or "\u3000" <= char <= "\u303f" or "\uff00" <= char


def chunk(text: str, max_bytes: int) -> list[list[str]]:
    """Sentences of ``text`` grouped into requests of at most ``max_bytes`` UTF-8 bytes (one
    sentence each when 0); a request ends at a sentence's end. Only a sentence too long alone
    is cut: at ，；,; then between words, then between characters."""
    limit = max_bytes or 2000
    pieces: list[str] = []
    for sentence in sentences(text):
        pieces += [piece.strip() for piece in _fit(sentence, limit) if piece.strip()]
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
        while len(clause.encode()) > limit:  # no punctuation: cut between words, or characters
            cut = len(clause.encode()[:limit].decode("utf-8", "ignore"))
            space = clause.rfind(" ", cut // 2, cut)
            cut = space + 1 if space > 0 else cut
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
        cues += [Cue(round(offset + s, 3), round(offset + e, 3), t)
                 for s, e, t in zip(starts, ends, group, strict=True)]
        audio += clip
    return Utterance(audio, tuple(cues))


def keep(said: Utterance, folder: Path | None, number: int) -> Utterance:
    """``said`` with its audio written to ``folder`` as the WAV file of paragraph ``number``
    and let go, and its level measured while it is at hand: an episode's speech waits on disk
    for the mix, not in memory, however long the episode. Without a folder, ``said`` as it
    is."""
    if folder is None or isinstance(said.audio, Path):
        return said
    if not folder.is_dir():
        folder.mkdir(parents=True)
    path = folder / f"paragraph-{number:04d}.wav"
    audio = conform(said.audio)
    write_wav(audio, path)
    return Utterance(path, said.cues, Level(audio.dBFS, audio.max_dBFS))


#: A service's sentence boundaries in a request's audio: (seconds, the sentence as it heard it).
Marks = Sequence[tuple[float, str]]
_SPACE = re.compile(r"\s+")


def align(said: Sequence[str], marks: Marks, length: float) -> list[float] | None:
    """Where each of ``said`` (a request's sentences, as sent) starts in its audio of
    ``length`` seconds, from the service's sentence boundaries: the boundary it begins at, or
    a point inside a boundary's sentence when the service cut the text elsewhere (a
    proportional share of it by characters). None when the boundaries are not in the text."""
    if len(marks) == len(said):
        return [start for start, _ in marks]
    text = "".join(_SPACE.sub("", sentence) for sentence in said)
    at, where = 0, []
    for _, mark in marks:
        found = text.find(_SPACE.sub("", mark)[:16], at)
        if found < 0 or not mark.strip():
            return None
        where.append(found)
        at = found + 1
    if not where or where[0] > 2:  # the service may drop an opening quote
        return None
    where[0] = 0
    starts, offset = [], 0
    for sentence in said:
        j = bisect_right(where, offset) - 1
        begin, end = where[j], where[j + 1] if j + 1 < len(where) else len(text)
        first, then = marks[j][0], marks[j + 1][0] if j + 1 < len(marks) else length
        starts.append(first + (then - first) * (offset - begin) / max(1, end - begin))
        offset += len(_SPACE.sub("", sentence))
    return starts


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


