"""The audio toolbox: pydub for pieces of sound, one ffmpeg binary (from imageio-ffmpeg) for
decoding and encoding, no system packages and no ffprobe.

All audio inside podcast is 16-bit mono PCM at :data:`RATE`; pieces are streamed into a single
encoder rather than grown into one giant segment (see ../shared/notes/audio.md).
"""

from __future__ import annotations

import contextlib
import subprocess
import warnings
from functools import cache
from pathlib import Path
from types import TracebackType

from .errors import AudioError

with warnings.catch_warnings():
    # pydub warns at import when no "ffmpeg" is on PATH (ours is not), and about audioop on 3.12.
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pydub import AudioSegment

RATE = 44100
CHANNELS = 1
SAMPLE_WIDTH = 2

__all__ = ["AudioSegment", "Mp3Encoder", "conform", "decode_bytes", "decode_file", "ffmpeg_exe", "silence"]


@cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise AudioError(f"ffmpeg from imageio-ffmpeg is not available: {exc}") from exc
    AudioSegment.converter = exe
    return exe


def silence(ms: float) -> AudioSegment:
    return AudioSegment.silent(duration=ms, frame_rate=RATE)


def conform(segment: AudioSegment) -> AudioSegment:
    """``segment`` in the house format: mono, 16 bit, RATE Hz."""
    if segment.channels != CHANNELS:
        segment = segment.set_channels(CHANNELS)
    if segment.sample_width != SAMPLE_WIDTH:
        segment = segment.set_sample_width(SAMPLE_WIDTH)
    if segment.frame_rate != RATE:
        segment = segment.set_frame_rate(RATE)
    return segment


def decode_file(path: Path) -> AudioSegment:
    """Any file ffmpeg reads, decoded into the house format."""
    return _decode(["-nostdin", "-i", str(path)], None, str(path))


def decode_bytes(data: bytes, what: str = "audio data") -> AudioSegment:
    """Encoded audio held in memory (an MP3 from a TTS service), decoded into the house format."""
    return _decode(["-i", "pipe:0"], data, what)


def _decode(inputs: list[str], data: bytes | None, what: str) -> AudioSegment:
    command = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", *inputs,
        "-f", "s16le", "-acodec", "pcm_s16le", "-ac", str(CHANNELS), "-ar", str(RATE), "pipe:1",
    ]
    result = subprocess.run(command, input=data, capture_output=True, check=False)
    if result.returncode != 0 or not result.stdout:
        raise AudioError(f"{what}: ffmpeg cannot decode it: {_last_line(result.stderr)}")
    return AudioSegment(result.stdout, sample_width=SAMPLE_WIDTH, frame_rate=RATE, channels=CHANNELS)


class Mp3Encoder:
    """One ffmpeg process turning house-format PCM written to it into an MP3 file."""

    def __init__(self, path: Path, bitrate: str = "64k") -> None:
        self.path = path
        self.samples = 0
        command = [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "s16le", "-ar", str(RATE), "-ac", str(CHANNELS), "-i", "pipe:0",
            "-codec:a", "libmp3lame", "-b:a", bitrate, "-write_xing", "1", "-id3v2_version", "0",
            "-f", "mp3", str(path),
        ]
        try:
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
            )
        except OSError as exc:
            raise AudioError(f"cannot start ffmpeg: {exc}") from exc

    @property
    def seconds(self) -> float:
        """How much audio has been written so far."""
        return self.samples / RATE

    def write(self, segment: AudioSegment) -> None:
        data = conform(segment).raw_data
        try:
            self._process.stdin.write(data)
        except BrokenPipeError:
            self._process.wait()
            raise AudioError(f"ffmpeg stopped encoding {self.path}: {self._stderr()}") from None
        self.samples += len(data) // (SAMPLE_WIDTH * CHANNELS)

    def close(self) -> None:
        """Finish the file; raises AudioError if ffmpeg failed."""
        self._process.stdin.close()
        code = self._process.wait()
        message = self._stderr()
        if code != 0:
            raise AudioError(f"ffmpeg failed to encode {self.path}: {message}")

    def abort(self) -> None:
        """Stop ffmpeg; the partial file is the caller's to delete."""
        self._process.kill()
        self._process.wait()
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.close()
        self._process.stderr.close()

    def _stderr(self) -> str:
        with self._process.stderr:
            return _last_line(self._process.stderr.read())

    def __enter__(self) -> Mp3Encoder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else "no message"
