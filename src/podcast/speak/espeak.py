"""The ``espeak`` engine: espeak-ng 1.52 from the espeakng-loader wheel, through its C API.

Offline, fast and robotic: the stand-in when neural voices cannot be reached. Debian's
espeak-ng 1.51 reads Mandarin tones as English digits, so the library and data come from the
wheel, never from the system.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import logging
import threading
from dataclasses import dataclass
from functools import cache

from ..errors import SpeechError
from ..models import Voice
from ..produce.audio import AudioSegment, wav
from .cache import PieceCache
from .engine import ENGINES, SpeakContext, Speaker

log = logging.getLogger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_RATE, _PITCH = 1, 3

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


@dataclass(frozen=True)
class EspeakOptions:
    speed: int = 0  # words per minute, 80-450; 0: the preset's
    pitch: int = -1  # 0-99; -1: the preset's


class _Library:
    """The process-wide espeak-ng library: it keeps global state, so one user at a time."""

    _instance: _Library | None = None
    _create_lock = threading.Lock()

    def __init__(self) -> None:
        try:
            import espeakng_loader

            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path()
        except (ImportError, OSError, RuntimeError) as exc:
            raise SpeechError(
                f"espeak-ng from the espeakng-loader wheel cannot be loaded: {exc}") from exc
        self.lib.espeak_Initialize.argtypes = [
            ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
        ]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        self.rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0)
        if self.rate <= 0:
            raise SpeechError(f"espeak-ng failed to start with its data in {data_path}")
        self.lock = threading.Lock()
        self._buffer = bytearray()
        self._callback = _SynthCallback(self._collect)  # kept referenced while the library lives
        self.lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> _Library:
        with cls._create_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, wav: ctypes.Array[ctypes.c_short], samples: int, events: int) -> int:
        if samples > 0:
            self._buffer.extend(ctypes.string_at(wav, samples * 2))
        return 0

    def synthesize(self, text: str, voice: str, speed: int, pitch: int) -> bytes:
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechError(f"espeak-ng has no voice {voice!r} "
                                  "(try cmn for Mandarin, en-us for English)")
            self.lib.espeak_SetParameter(_RATE, speed, 0)
            self.lib.espeak_SetParameter(_PITCH, pitch, 0)
            self._buffer.clear()
            data = text.encode("utf-8") + b"\0"
            status = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0,
                                           _ESPEAK_CHARS_UTF8, None, None)
            if status != 0:
                raise SpeechError(
                    f"espeak-ng failed to synthesise text (error {status}): {text[:40]}")
            return bytes(self._buffer)


@cache
def _wheel() -> str:
    """The espeakng-loader wheel's version, part of every kept piece's key: another espeak-ng
    speaks anew."""
    try:
        return importlib.metadata.version("espeakng-loader")
    except importlib.metadata.PackageNotFoundError:
        return ""


@ENGINES.register("espeak")
class EspeakSpeaker(Speaker):
    Options = EspeakOptions
    offline = True
    stands_in = True
    label = "espeak-ng"
    cache: PieceCache

    def __init__(self, voice: Voice, context: SpeakContext | None = None) -> None:
        super().__init__(voice, context)
        self.cache = PieceCache(self.context.cache_dir, "espeak", ".wav")

    @property
    def speed(self) -> int:
        return self.options.speed or 175

    @classmethod
    def pace_factor(cls, preset: dict, options: EspeakOptions) -> float:
        # the preset's rate was measured at the preset's speed
        return options.speed / preset["speed"] if options.speed and preset.get("speed") else 1.0

    def speak_chunk(self, text: str, voice: str) -> tuple[AudioSegment, list[float] | None]:
        pitch = self.options.pitch if self.options.pitch >= 0 else 50
        key = self.cache.key(voice, [_wheel(), self.speed, pitch], text)

        def synthesize() -> bytes:
            library = _Library.get()
            pcm = library.synthesize(text, voice, self.speed, pitch)
            if not pcm:
                raise SpeechError(f"espeak-ng produced no audio for: {text[:40]}")
            return wav(pcm, library.rate)

        return self.cache.wav(key, synthesize), None

    def describe(self) -> str:
        return f"espeak-ng voice {self.voice}"

    def standin(self) -> str | None:
        return "espeak-ng voice"
