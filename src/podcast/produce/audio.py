"""The audio toolbox: pydub for pieces of sound, one ffmpeg binary (from imageio-ffmpeg) for
decoding and encoding, no system packages and no ffprobe.

All audio inside podcast is 16-bit mono PCM at :data:`RATE`; pieces are streamed into a single
encoder rather than grown into one giant segment (see ../shared/notes/audio.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import io
import re
import signal
import subprocess
import sys
import threading
import warnings
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any

from ..errors import AudioError, Interrupted

with warnings.catch_warnings():
    # pydub warns at import when no "ffmpeg" is on PATH (ours is not), and about audioop on 3.12.
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pydub import AudioSegment

RATE = 44100
CHANNELS = 1
SAMPLE_WIDTH = 2

# house-format PCM over pipes, as ffmpeg arguments
_PCM_IN = ["-f", "s16le", "-ar", str(RATE), "-ac", str(CHANNELS), "-i", "pipe:0"]
_PCM_OUT = ["-f", "s16le", "-acodec", "pcm_s16le", "-ac", str(CHANNELS), "-ar", str(RATE),
            "pipe:1"]
SILENT_LUFS = -70.0  # what ebur128 reports when nothing is loud enough to measure

__all__ = [
    "AudioSegment", "Encoding", "Loudness", "conform", "decode_bytes", "decode_file",
    "decode_measured", "ffmpeg_exe", "from_wav", "last_line", "measure", "run_ffmpeg", "silence",
    "stop_children", "through_encoder", "wav", "write_wav",
]


@cache
def _return_large_buffers() -> None:
    """Have glibc give buffers of a megabyte or more back to the system when freed. By default
    it raises that threshold as big buffers come and go, and keeps paragraphs of PCM that have
    long been freed as resident memory (measured: 40 MB more at the peak of a long episode)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)


_M_MMAP_THRESHOLD = -3


@cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped in the imageio-ffmpeg wheel."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise AudioError(f"ffmpeg from imageio-ffmpeg is not available: {exc}") from exc
    AudioSegment.converter = exe
    _return_large_buffers()
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
    """Any file ffmpeg reads, decoded into the house format; a 16-bit WAV file (a spoken piece
    kept on disk) read here, without ffmpeg."""
    if path.suffix == ".wav":
        try:
            return conform(from_wav(path.read_bytes()))
        except (OSError, wave.Error, EOFError):
            pass  # ffmpeg says what is wrong with it
    return _decode(["-nostdin", "-i", str(path)], None, str(path))


def wav(pcm: bytes, rate: int) -> bytes:
    """16-bit mono PCM at ``rate`` Hz as a WAV file: how spoken pieces are kept on disk."""
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(pcm)
    return out.getvalue()


def write_wav(segment: AudioSegment, path: Path) -> None:
    """``segment`` in the house format into the WAV file ``path``, written whole or not at all;
    raises AudioError naming the file when it cannot be written."""
    temporary = path.with_suffix(".part")
    try:
        with wave.open(str(temporary), "wb") as file:
            file.setnchannels(CHANNELS)
            file.setsampwidth(SAMPLE_WIDTH)
            file.setframerate(RATE)
            file.writeframes(conform(segment).raw_data)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise disk_error(path, exc) from exc


#: A disk that cannot take the episode's files: no build can go on.
DISK_FULL = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


def disk_error(path: Path, exc: OSError) -> AudioError:
    """One line naming ``path`` and why it could not be written."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.EFBIG:
        reason += " (the file size limit, ulimit -f, was reached)"
    return AudioError(f"{path}: {reason}")


def from_wav(data: bytes) -> AudioSegment:
    """A WAV file's audio; raises wave.Error or EOFError when it cannot be read."""
    with wave.open(io.BytesIO(data), "rb") as file:
        pcm = file.readframes(file.getnframes())
        rate, width, channels = file.getframerate(), file.getsampwidth(), file.getnchannels()
    if not pcm:
        raise EOFError("no audio")
    return AudioSegment(pcm, sample_width=width, frame_rate=rate, channels=channels)


def decode_bytes(data: bytes, what: str = "audio data") -> AudioSegment:
    """Encoded audio held in memory (an MP3 from a TTS service), decoded into the house format."""
    return _decode(["-i", "pipe:0"], data, what)


def decode_measured(path: Path) -> tuple[AudioSegment, Loudness]:
    """:func:`decode_file` and the file's loudness, in the same ffmpeg run."""
    return _decode(["-nostdin", "-i", str(path)], None, str(path), measured=True)


def _decode(inputs: list[str], data: bytes | None, what: str, measured: bool = False) -> Any:
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "info" if measured else "error",
        *inputs, *(["-af", _EBUR128] if measured else []), *_PCM_OUT,
    ]
    pcm, stderr, code = _pipe(command, data)
    if code != 0 or not pcm:
        raise AudioError(f"{what}: ffmpeg cannot decode it: {last_line(stderr)}")
    audio = AudioSegment(pcm, sample_width=SAMPLE_WIDTH, frame_rate=RATE, channels=CHANNELS)
    return (audio, Loudness.parse(stderr, what)) if measured else audio


def run_ffmpeg(arguments: list[str], what: str) -> bytes:
    """ffmpeg run with ``arguments``, reading no stdin and writing files; what it printed on
    stderr. Raises AudioError saying what it was doing (``what``) when it fails."""
    _, stderr, code = _pipe([ffmpeg_exe(), "-hide_banner", "-nostdin", *arguments], None)
    if code != 0:
        raise AudioError(f"ffmpeg failed {what}: {last_line(stderr)}")
    return stderr


_running: set[subprocess.Popen[bytes]] = set()  # every ffmpeg the build's threads are waiting on
_running_lock = threading.Lock()


def stop_children() -> None:
    """Kill every ffmpeg still running for the build: it has ended early (another part failed,
    or a stop was asked for) and none of them outlives it."""
    with _running_lock:
        for process in _running:
            process.kill()


def _pipe(command: list[str], data: bytes | bytearray | None) -> tuple[bytearray, bytes, int]:
    """Run ``command`` with ``data`` on its stdin; its stdout, stderr and exit code."""
    process = start_child(
        command, stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    with _running_lock:
        _running.add(process)
    try:
        out, stderr = _drain(process, data)
    except BaseException:  # KeyboardInterrupt: ffmpeg does not outlive the build
        process.kill()
        process.wait()
        raise
    finally:
        with _running_lock:
            _running.discard(process)
    code = process.wait()
    if stopped_by_signal(code):
        raise Interrupted(f"ffmpeg was stopped ({_exit_status(code)}); {RESUMES}")
    return out, stderr, code


def _drain(process: subprocess.Popen[bytes],
           data: bytes | bytearray | None) -> tuple[bytearray, bytes]:
    # both PIPE, and unbuffered is not asked for (bufsize=-1): stdout is a BufferedReader
    stdout, errors = process.stdout, process.stderr
    assert isinstance(stdout, io.BufferedReader) and errors is not None
    stderr: list[bytes] = []

    def feed(stdin: IO[bytes], data: bytes | bytearray) -> None:
        with contextlib.suppress(BrokenPipeError):
            stdin.write(data)
        with contextlib.suppress(BrokenPipeError):
            stdin.close()

    helpers = [threading.Thread(target=lambda: stderr.append(errors.read()), daemon=True)]
    if data is not None:
        assert process.stdin is not None  # a PIPE whenever there is data
        helpers.append(threading.Thread(target=feed, args=(process.stdin, data), daemon=True))
    for helper in helpers:
        helper.start()
    out = bytearray()
    while chunk := stdout.read(1 << 20):
        out += chunk
    stdout.close()
    for helper in helpers:
        helper.join()
    errors.close()
    return out, stderr[0] if stderr else b""


# -- loudness (EBU R 128, as ffmpeg's ebur128 filter measures it) -----------------------------

_EBUR128 = "ebur128=framelog=quiet:peak=sample"
_SUMMARY = re.compile(rb"Integrated loudness:\s+I:\s+(-?[\d.]+|-?inf|nan) LUFS"
                      rb".*?Peak:\s+(-?[\d.]+|-?inf|nan) dBFS", re.S)


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS; SILENT_LUFS when too short or too quiet to measure
    peak: float  # dBFS (sample peak, or true peak where asked for)

    @property
    def measurable(self) -> bool:
        return self.integrated > SILENT_LUFS + 0.5

    @classmethod
    def parse(cls, stderr: bytes, what: str) -> Loudness:
        """The summary ffmpeg's ebur128 filter prints when its input ends."""
        found = _SUMMARY.findall(stderr)
        if not found:
            raise AudioError(f"{what}: ffmpeg printed no loudness summary: {last_line(stderr)}")
        integrated, peak = (_number(value) for value in found[-1])
        return cls(max(integrated, SILENT_LUFS), peak)


def _number(text: bytes) -> float:
    try:
        return float(text)
    except ValueError:
        return float("-inf")


def measure(audio: AudioSegment | Path, true_peak: bool = False) -> Loudness:
    """Integrated loudness and peak of a segment or any file ffmpeg reads."""
    what = str(audio) if isinstance(audio, Path) else "audio"
    if isinstance(audio, Path):
        inputs, data = ["-nostdin", "-i", str(audio)], None
    else:
        audio = conform(audio)
        inputs, data = _PCM_IN, audio.raw_data
    kind = "true" if true_peak else "sample"
    command = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "info", *inputs,
               "-vn", "-af", f"ebur128=framelog=quiet:peak={kind}", "-f", "null", "-"]
    _, stderr, code = _pipe(command, data)
    if code != 0:
        raise AudioError(f"{what}: ffmpeg cannot measure its loudness: {last_line(stderr)}")
    return Loudness.parse(stderr, what)


@dataclass(frozen=True)
class Encoding:
    """How the episode's MP3 is made: constant bit rate, 44.1 kHz."""

    bitrate: int = 96  # kbit/s
    channels: int = 1
    quality: int = 7  # LAME's algorithm quality, 0 (slowest) to 9

    def lame(self) -> list[str]:
        return ["-codec:a", "libmp3lame", "-b:a", f"{self.bitrate}k",
                "-compression_level", str(self.quality),
                "-ac", str(self.channels), "-ar", str(RATE)]


def through_encoder(source: Path, seconds: float, filters: str, encoding: Encoding,
                    work: Path) -> tuple[Loudness, Loudness]:
    """The loudness of the first ``seconds`` of the file ``source`` through ffmpeg's
    ``filters``, and once more through the MP3 encoder and back: LAME drops some of what it
    cannot hear, and that counts in the loudness of some voices. ``work``: a folder for the
    encoded file."""
    encoded = work / "calibration.mp3"
    before = run_ffmpeg(["-nostats", "-loglevel", "info", "-y", "-t", f"{seconds:.3f}",
                         "-i", str(source), "-af", f"{filters},{_EBUR128}", *encoding.lame(),
                         "-f", "mp3", str(encoded)], f"encoding {encoded}")
    after = measure(encoded)
    encoded.unlink()
    return Loudness.parse(before, str(source)), after


_SAYS_WHY = re.compile(r"(?i)error|invalid|no such|denied|cannot|unable|not found|no space")


def last_line(stderr: bytes) -> str:
    """What ffmpeg last said of why it failed: its last line naming an error, not the "Conversion
    failed!" after it nor a summary printed at the end; else its last line."""
    lines = [line for line in stderr.decode("utf-8", "replace").strip().splitlines()
             if line.strip() and not line.startswith("Conversion failed")]
    why = [line for line in lines if _SAYS_WHY.search(line)]
    # without ffmpeg's "[out#0/mp3 @ 0x55d0c0e0a700] " context, which means nothing to a user
    return re.sub(r"^\[[^\]]* @ 0x[0-9a-f]+\] ", "", (why or lines)[-1]) if lines else "no message"


# -- child processes ---------------------------------------------------------------------------

RESUMES = "the next run resumes from the cached pieces"
_PR_SET_PDEATHSIG = 1


def start_child(command: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """``command`` started so that it cannot outlive the build: on Linux the kernel sends it
    SIGKILL when the thread that started it ends (the process killed, or the build's thread
    gone); everywhere, the callers kill it when the build ends early."""
    death = _die_with_parent() if sys.platform == "linux" else None
    return subprocess.Popen(command, preexec_fn=death, **options)


def _die_with_parent() -> Any:
    """A preexec_fn asking the kernel to kill the child with its parent (prctl
    PR_SET_PDEATHSIG); None where libc has no prctl."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    kill = int(signal.SIGKILL)
    return lambda: prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0)


def stopped_by_signal(code: int | None) -> bool:
    """Whether a child's exit status says a stop request ended it: killed by SIGTERM or SIGINT,
    or exiting 255, as ffmpeg does when it catches one of them."""
    return code in (-signal.SIGTERM, -signal.SIGINT, 255)


def _exit_status(code: int) -> str:
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
