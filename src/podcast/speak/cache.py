"""Spoken pieces kept on disk, for any engine: a rerun of an unchanged script synthesises
nothing, and one that stopped half-way resumes where it stopped.

A piece is known by its engine, its voice, the engine's settings and the text as sent (the
lexicon applied). Its audio is stored in whatever form the engine produced it (edge-tts's MP3,
Kokoro's and espeak-ng's WAV), with an optional note beside it as JSON (edge-tts's sentence
boundaries). The audio is written last, so a piece is there whole or not at all; one that
cannot be read is synthesised again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..produce.audio import DISK_FULL, AudioSegment, disk_error, from_wav

log = logging.getLogger(__name__)


class PieceCache:
    """One engine's pieces in ``folder`` (shared with the other engines: keys name the engine),
    their audio in files ending in ``suffix``. Without a folder nothing is kept."""

    def __init__(self, folder: Path | None, engine: str, suffix: str) -> None:
        self.folder = folder
        self.engine = engine
        self.suffix = suffix
        self.hits = 0  # pieces found, for logs and tests
        self.made = 0  # pieces synthesised by :meth:`wav` (not found), for logs and tests
        self._warned = False  # a folder that cannot be written is said once

    def key(self, voice: str, settings: Sequence[object], text: str) -> str:
        """The piece's name: a hash of everything that changes its audio."""
        identity = [self.engine, voice, *settings, text]
        return hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode()).hexdigest()[:40]

    def get(self, key: str) -> tuple[bytes, Any] | None:
        """The piece's audio and its note (None without one), if it is kept."""
        if self.folder is None:
            return None
        audio, note = self.folder / f"{key}{self.suffix}", self.folder / f"{key}.json"
        try:
            data = audio.read_bytes()
            kept = json.loads(note.read_text(encoding="utf-8")) if note.is_file() else None
        except (OSError, ValueError):  # not there, or half there: synthesised again
            return None
        self.hits += 1
        return data, kept

    def wav(self, key: str, synthesize: Callable[[], bytes]) -> AudioSegment:
        """The piece kept under ``key`` as WAV, else the WAV ``synthesize()`` makes, kept."""
        found = self.get(key)
        if found is not None:
            try:
                return from_wav(found[0])
            except (wave.Error, EOFError):  # a damaged piece: synthesised again
                pass
        data = synthesize()
        self.put(key, data)
        self.made += 1
        return from_wav(data)

    def counted(self, engine: str, unit: str) -> None:
        """Say how many pieces (``unit``) ``engine`` synthesised and how many were kept."""
        log.info("%s synthesised %d %s; %d came from the cache.", engine, self.made, unit,
                 self.hits)

    def put(self, key: str, audio: bytes, note: Any = None) -> None:
        """Keep a piece; a folder that cannot be written costs a warning, not the episode, unless
        the disk is full (AudioError)."""
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if note is not None:
                _write(self.folder / f"{key}.json", json.dumps(note, ensure_ascii=False).encode())
            _write(self.folder / f"{key}{self.suffix}", audio)  # last: the piece is complete
        except OSError as exc:
            if exc.errno in DISK_FULL:  # nor can the episode be made: stop now, in one line
                raise disk_error(self.folder / f"{key}{self.suffix}", exc) from exc
            if not self._warned:
                log.warning("Could not keep a spoken piece in %s: %s", self.folder, exc)
                self._warned = True


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_suffix(path.suffix + ".part")
    temporary.write_bytes(data)
    temporary.replace(path)

