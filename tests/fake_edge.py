"""A local edge-tts service speaking the real websocket protocol, for driving the real
edge_tts package: speech.config and ssml in; turn.start, audio.metadata (SentenceBoundary),
binary audio frames (2-byte header length, CRLF headers, MP3) and turn.end out.

Its audio is real MP3 (24 kHz, 48 kbit/s mono, as the service sends) made locally with
espeak-ng, one sentence at a time so the boundaries it reports are true. It can be slow on
purpose (first-byte latency, streaming at a multiple of real time) and fail on cue.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import unescape

from aiohttp import web

from podcast.produce.audio import ffmpeg_exe
from podcast.speak import sentences
from podcast.speak.espeak import _Library

TICKS = 10_000_000
_SSML = re.compile(r"<voice name='([^']+)'><prosody pitch='([^']+)' rate='([^']+)' volume='([^']+)'>(.*)</prosody></voice>", re.S)


@dataclass
class Synthesis:
    voice: str
    pitch: str
    rate: str
    volume: str
    text: str  # unescaped
    raw_ssml: str
    config: str


@dataclass
class FakeEdge:
    latency: float = 0.0  # seconds before the first byte
    speed: float = 0.0  # audio is sent at this multiple of real time; 0: all at once
    failures: list[str] = field(default_factory=list)  # "no_audio", "drop", "403", one per request
    brief: bool = False  # answer every request with a short clip (tests about the requests themselves)
    naive: bool = False  # cut sentences at every stop, as a service might ("e.g." and "Fig." too)
    requests: list[Synthesis] = field(default_factory=list)
    handshakes: int = 0
    active: int = 0
    most_active: int = 0
    _audio: dict[str, tuple[bytes, list[tuple[int, int, str]]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the service ------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.handshakes += 1
        failure = self.failures.pop(0) if self.failures else None
        if failure == "403":
            return web.Response(status=403, text="Forbidden", headers={"Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())})
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            config = (await ws.receive()).data
            ssml_message = (await ws.receive()).data
            synthesis = self._parse(config, ssml_message)
            self.requests.append(synthesis)
            if self.latency:
                await asyncio.sleep(self.latency)
            request_id = uuid.uuid4().hex
            await ws.send_str(f"X-RequestId:{request_id}\r\nPath:turn.start\r\n\r\n{{}}")
            if failure == "drop":
                await ws.close()
                return ws
            if failure != "no_audio":
                loop = asyncio.get_running_loop()
                text = "好的。" if self.brief else synthesis.text
                mp3, bounds = await loop.run_in_executor(None, self.audio_for, text)
                await self._send(ws, request_id, mp3, bounds)
            await ws.send_str(f"X-RequestId:{request_id}\r\nPath:turn.end\r\n\r\n{{}}")
            await ws.close()
        finally:
            self.active -= 1
        return ws

    async def _send(self, ws, request_id: str, mp3: bytes, bounds) -> None:
        for start, length, sentence in bounds:
            meta = {"Metadata": [{"Type": "SentenceBoundary", "Data": {
                "Offset": start, "Duration": length,
                "text": {"Text": sentence, "Length": len(sentence), "BoundaryType": "SentenceBoundary"}}}]}
            await ws.send_str(f"X-RequestId:{request_id}\r\nContent-Type:application/json; charset=utf-8\r\n"
                              f"Path:audio.metadata\r\n\r\n{json.dumps(meta, ensure_ascii=False)}")
        header = f"X-RequestId:{request_id}\r\nContent-Type:audio/mpeg\r\nPath:audio\r\n".encode()
        piece = 4800  # 0.8 s of 48 kbit/s audio per frame
        for offset in range(0, len(mp3), piece):
            await ws.send_bytes(len(header).to_bytes(2, "big") + header + mp3[offset : offset + piece])
            if self.speed:
                await asyncio.sleep(min(piece, len(mp3) - offset) / 6000 / self.speed)

    @staticmethod
    def _parse(config: str, message: str) -> Synthesis:
        headers, _, body = message.partition("\r\n\r\n")
        assert "Path:ssml" in headers, headers
        match = _SSML.search(body)
        assert match, body
        voice, pitch, rate, volume, text = match.groups()
        return Synthesis(voice, pitch, rate, volume, unescape(text), body, config)

    # -- real audio, one sentence at a time ---------------------------------------------
    def audio_for(self, text: str) -> tuple[bytes, list[tuple[int, int, str]]]:
        with self._lock:
            if text in self._audio:
                return self._audio[text]
        library = _Library.get()
        voice = "cmn" if re.search(r"[\u4e00-\u9fff]", text) else "en-us"
        pcm = bytearray()
        bounds = []
        cut = [s for s in re.split(r"(?<=[.!?。！？])\s*", text) if s] if self.naive else sentences(text)
        for sentence in cut or [text]:
            start = len(pcm) // 2 / library.rate
            pcm += library.synthesize(sentence, voice, 175, 50)
            end = len(pcm) // 2 / library.rate
            bounds.append((int(start * TICKS), int((end - start) * TICKS), sentence))
        mp3 = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(library.rate),
             "-ac", "1", "-i", "pipe:0", "-ar", "24000", "-ac", "1", "-b:a", "48k", "-f", "mp3", "pipe:1"],
            input=bytes(pcm), capture_output=True, check=True,
        ).stdout
        with self._lock:
            self._audio[text] = (mp3, bounds)
        return mp3, bounds


class EdgeServer:
    """FakeEdge served on 127.0.0.1 from a thread of its own."""

    def __init__(self, fake: FakeEdge | None = None) -> None:
        self.fake = fake or FakeEdge()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/consumer/speech/synthesize/readaloud/edge/v1", self.fake.handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/consumer/speech/synthesize/readaloud/edge/v1?TrustedClientToken=test"

    def __enter__(self) -> EdgeServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
