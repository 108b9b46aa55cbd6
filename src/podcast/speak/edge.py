"""The ``edge`` engine: Microsoft Edge's neural voices through the edge-tts package.

The service fails now and then (no audio, 403 bursts, dropped connections), refuses nothing
but splits nothing in Chinese, and strips SSML pauses; so requests are cut small at sentence
ends, run several at a time, retried with backoff and jitter, cached, and pauses are silence
added in the mix. Sentence timings come from its SentenceBoundary events. When a request fails,
one request at a time finds out whether the service is down (:class:`_Service`): the others
wait for the answer instead of each retrying on its own.

``$PODCAST_EDGE_TTS_URL`` points the library at another websocket endpoint (tests, relays);
:func:`_point_library_at` is the only code that touches the library's module state.

edge-tts and aiohttp (over a tenth of a second to import) are imported when the engine first speaks
or lists its voices, not with this module: reading podcast.toml's [tts.edge] loads neither.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import voices_dir
from ..errors import AudioError, SpeechError
from ..models import Utterance, Voice
from ..produce.audio import AudioSegment, decode_bytes
from ..progress import Advance
from ..schema import check
from .cache import PieceCache
from .engine import (
    ENGINES,
    Line,
    Marks,
    SpeakContext,
    Speaker,
    VoiceInfo,
    align,
    assemble,
    chunk,
    keep,
)
from .voices import Lexicon

log = logging.getLogger(__name__)

ENDPOINT_ENV = "PODCAST_EDGE_TTS_URL"
CHECK_TIMEOUT = 5.0
_TICKS_PER_SECOND = 10_000_000


def _retryable() -> tuple[type[BaseException], ...]:
    """The failures a request is tried again after."""
    import aiohttp
    from edge_tts.exceptions import (
        NoAudioReceived,
        UnexpectedResponse,
        UnknownResponse,
        WebSocketError,
    )

    return (NoAudioReceived, WebSocketError, UnexpectedResponse, UnknownResponse,
            aiohttp.ClientResponseError, aiohttp.ClientPayloadError,
            aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, asyncio.TimeoutError,
            ConnectionError)


def _prosody(pattern: str, example: str) -> dict[str, Any]:
    def validate(value: str) -> None:
        if value and not re.fullmatch(pattern, value):
            raise ValueError(f"must look like {example}")

    return check(validate)


@dataclass(frozen=True)
class EdgeOptions:
    # "": the preset's
    rate: str = field(default="", metadata=_prosody(r"[+-]\d+%", '"+10%" or "-5%"'))
    pitch: str = field(default="", metadata=_prosody(r"[+-]\d+Hz", '"+0Hz" or "-2Hz"'))
    volume: str = field(default="", metadata=_prosody(r"[+-]\d+%", '"+0%"'))


@dataclass(frozen=True)
class _Job:
    line: int
    index: int
    text: str  # as sent: the lexicon applied
    voice: str


class _Service:
    """What the requests of one episode know together about the service: whether it answered
    any of them, whether it is down, and which request, if any, is finding out (retrying
    after a failure: the others wait for it rather than retry each on its own)."""

    def __init__(self) -> None:
        self.answered = False
        self.down: SpeechError | None = None
        self.prober: object | None = None
        self._settled = asyncio.Event()
        self._settled.set()

    async def turn(self, request: object) -> None:
        """Wait while another request finds out; SpeechError once the service is down."""
        while self.prober not in (None, request):
            await self._settled.wait()
        if self.down:
            raise SpeechError(str(self.down), self.down.unreachable)

    def probe(self, request: object) -> bool:
        """Whether ``request``, which just failed, is the one to retry now (no other is)."""
        if self.prober is None:
            self.prober = request
            self._settled.clear()
        return self.prober is request

    def worked(self, request: object) -> None:
        self.answered = True
        if self.prober is request:
            self.prober = None
            self._settled.set()

    def failed(self, error: SpeechError) -> SpeechError:
        """The service is down: every request waiting or to come gets ``error``."""
        self.down = self.down or error
        self.prober = None
        self._settled.set()
        return error


def _point_library_at(endpoint: str | None) -> None:
    """edge-tts takes its endpoint from a module constant; this sets it, or puts it back."""
    import edge_tts.communicate
    import edge_tts.constants

    url = endpoint or edge_tts.constants.WSS_URL  # the library's own: it never changes it
    edge_tts.communicate.WSS_URL = url if "?" in url else url + "?"


@ENGINES.register("edge")
class EdgeSpeaker(Speaker):
    Options = EdgeOptions
    label = "edge-tts"
    cache: PieceCache
    max_chunk_bytes = 2800  # requests stay well under the 3,000 bytes that work reliably

    def __init__(self, voice: Voice, context: SpeakContext | None = None) -> None:
        super().__init__(voice, context)
        _point_library_at(self.context.env.get(ENDPOINT_ENV) or None)
        self.requests = 0
        self.cache = PieceCache(self.context.cache_dir, "edge", ".mp3")

    @classmethod
    def pace_factor(cls, preset: dict, options: EdgeOptions) -> float:
        def percent(value: str) -> float:
            return float(value.rstrip("%")) if value else 0.0

        if not options.rate:
            return 1.0
        return (100 + percent(options.rate)) / (100 + percent(preset.get("rate", "+0%")))

    def check(self) -> str | None:
        """Whether the service's host answers at all: a name lookup and a TCP connection."""
        import edge_tts.communicate

        url = urlsplit(edge_tts.communicate.WSS_URL)
        port = url.port or (443 if url.scheme == "wss" else 80)
        try:
            socket.create_connection((url.hostname, port), timeout=CHECK_TIMEOUT).close()
        except OSError as exc:
            return f"edge-tts cannot be reached at {url.hostname}:{port}: {exc.strerror or exc}"
        return None

    def speak_chunk(self, text: str, voice: str) -> tuple[AudioSegment, list[float] | None]:
        audio, marks = asyncio.run(self._one(text, voice, _Service()))
        return audio, [start for start, _ in marks]

    def speak_all(
        self, lines: Sequence[Line], lexicon: Lexicon, advance: Advance,
        folder: Path | None = None,
    ) -> list[Utterance]:
        groups = [chunk(line.text, self.max_chunk_bytes) for line in lines]
        jobs = [
            _Job(number, index, lexicon.apply(" ".join(group)), self.voice_for(line))
            for number, (line, line_groups) in enumerate(zip(lines, groups, strict=True))
            for index, group in enumerate(line_groups)
        ]
        results = asyncio.run(self._all(jobs, [len(g) for g in groups], advance))
        spoken = []
        for number, line_groups in enumerate(groups):
            mine = [results[job] for job in jobs if job.line == number]
            timed = [(audio, align([lexicon.apply(s) for s in group], marks,
                                   audio.duration_seconds))
                     for group, (audio, marks) in zip(line_groups, mine, strict=True)]
            spoken.append(keep(assemble(line_groups, timed, self.settings.pauses.sentence),
                               folder, number))
            for job in jobs:
                if job.line == number:
                    del results[job]  # kept on disk now
        return spoken

    async def _all(self, jobs: list[_Job], per_line: list[int], advance: Advance) -> dict:
        gate = asyncio.Semaphore(self.context.concurrency)
        service = _Service()
        left = list(per_line)
        results: dict[_Job, tuple[AudioSegment, Marks]] = {}

        async def run(job: _Job) -> None:
            async with gate:
                results[job] = await self._one(job.text, job.voice, service)
            left[job.line] -= 1
            if not left[job.line]:
                advance(1)

        await asyncio.gather(*(run(job) for job in jobs))
        return results

    async def _one(self, text: str, voice: str, service: _Service) -> tuple[AudioSegment, Marks]:
        """One request's audio and the service's sentence boundaries, from the cache or the
        service."""
        import aiohttp

        options = self.options
        key = self.cache.key(voice, [options.rate, options.pitch, options.volume], text)
        cached = self._cached(key)
        if cached:
            return cached
        me, attempt = object(), 0
        while True:
            await service.turn(me)
            try:
                data, marks = await self._synthesize(text, voice)
                break
            except aiohttp.ClientConnectorError as exc:  # no route, no name, nobody listening
                raise service.failed(SpeechError(f"edge-tts cannot be reached: {_describe(exc)}",
                                                 unreachable=True)) from exc
            except _retryable() as exc:
                if not service.probe(me):  # another request is finding out: wait for it
                    continue
                if attempt == self.context.retries:
                    raise service.failed(_given_up(service, attempt + 1, text, exc)) from exc
                delay = self.context.backoff * 2**attempt * (1 + random.random() / 2)
                log.info("edge-tts: %s; retrying in %.1f s.", _describe(exc), delay)
                await asyncio.sleep(delay)
                attempt += 1
        service.worked(me)
        self.cache.put(key, data, [list(mark) for mark in marks])
        # decoding runs ffmpeg: in a thread, so other requests go on meanwhile
        try:
            audio = await asyncio.get_running_loop().run_in_executor(
                None, decode_bytes, data, "edge-tts audio")
        except AudioError as exc:  # the service sent something that is not audio
            raise SpeechError(f"edge-tts sent audio that cannot be decoded: {exc}") from exc
        return audio, marks

    async def _synthesize(self, text: str, voice: str) -> tuple[bytes, list[tuple[float, str]]]:
        import edge_tts

        self.requests += 1
        options = self.options
        communicate = edge_tts.Communicate(
            text, voice, rate=options.rate or "+0%", pitch=options.pitch or "+0Hz",
            volume=options.volume or "+0%", boundary="SentenceBoundary",
            connect_timeout=10, receive_timeout=30,
        )
        audio = bytearray()
        marks = []
        async for message in communicate.stream():
            if message["type"] == "audio":
                audio += message["data"]
            elif message["type"] == "SentenceBoundary":
                marks.append((message["offset"] / _TICKS_PER_SECOND, message.get("text", "")))
        return bytes(audio), marks

    def _cached(self, key: str) -> tuple[AudioSegment, Marks] | None:
        found = self.cache.get(key)
        if found is None:
            return None
        data, stored = found
        try:
            # [[seconds, sentence], ...]; earlier versions stored the seconds alone
            marks = [(float(m[0]), str(m[1])) if isinstance(m, list) else (float(m), "")
                     for m in stored]
            return decode_bytes(data, "cached edge-tts audio"), marks
        except (ValueError, TypeError, IndexError, AudioError):  # fetched again
            return None

    def describe(self) -> str:
        second = f" and {self.settings.thoughts_voice}" if self.settings.thoughts_voice else ""
        return f"edge-tts voices {self.voice}{second}"

    @classmethod
    def voices(cls, prefix: str, online: bool) -> tuple[list[VoiceInfo], bool] | None:
        return available_voices(prefix, online)


def _given_up(service: _Service, attempts: int, text: str, exc: BaseException) -> SpeechError:
    """Why the request for ``text`` gave up: the service answered none of this episode's (it
    cannot be reached), or it failed on this one."""
    if not service.answered:
        return SpeechError(f"edge-tts cannot be reached: {attempts} attempts in a row failed, "
                           f"the last with {_describe(exc)}", unreachable=True)
    return SpeechError(f"edge-tts failed {attempts} times on {text[:30]!r}: {_describe(exc)}")


def _describe(exc: BaseException) -> str:
    import aiohttp

    if isinstance(exc, aiohttp.ClientResponseError):
        return f"HTTP {exc.status}"
    # aiohttp names the TLS context it would have used: "ssl:<ssl.SSLContext object at 0x…>"
    said = _SSL_CONTEXT.sub("", str(exc))
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


_SSL_CONTEXT = re.compile(r"\s*ssl:(?:<[^>]*>|default|None|True|False)")


def available_voices(prefix: str = "", online: bool = True) -> tuple[list[VoiceInfo], bool]:
    """edge-tts voices whose locale starts with ``prefix``, and whether the list is live (the
    service's own) or the snapshot in voices/edge-voices.json."""
    import aiohttp
    import edge_tts

    raw: Sequence[Mapping[str, Any]] | None = None
    if online:
        try:
            raw = asyncio.run(edge_tts.list_voices())
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            log.info("The live voice list cannot be fetched (%s); showing the bundled one.",
                     _describe(exc))
    live = raw is not None
    if raw is None:
        raw = json.loads((voices_dir() / "edge-voices.json").read_text(encoding="utf-8"))["voices"]
    voices = [
        VoiceInfo(item["ShortName"], item["Locale"], item.get("Gender", ""),
                  ", ".join(item.get("VoiceTag", {}).get("VoicePersonalities", [])))
        for item in raw
        if item.get("Locale", "").lower().startswith(prefix.lower())
    ]
    return sorted(voices, key=lambda v: (v.locale, v.name)), live
