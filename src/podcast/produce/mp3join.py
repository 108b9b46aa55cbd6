"""Join MP3 parts encoded at the same time from consecutive stretches of one timeline into one
gapless MP3, frame by frame, without decoding.

Every part is as LAME writes it (see :mod:`.lame`): an Info frame holding the Xing and LAME
tags, then the audio frames. A decoder skips ``PRIMING`` samples at the
start (the encoder's delay of 576, written in the tag, and its own 529) and the tag's padding less
529 at the end. A part holding the timeline ``[start, S - PRIMING)``, where S (a multiple of
``FRAME``) is where the next part starts, ends on a frame boundary; the next part's priming takes
the place of the ``PRIMING`` samples left out (silence), so every sample plays where it lies on
the timeline. LAME writes one frame more than such a part needs (a padding of 1681, not 529: see
:func:`encoded_frames`); that frame holds nothing a decoder plays and stays out of the join.

The join's Info frame is the first part's with the frame and byte counts, seek table, padding,
music length and both CRCs patched. The music CRC is the parts' own combined in GF(2), as zlib's
``crc32_combine`` does, rather than megabytes read through a pure-Python CRC.
"""

from __future__ import annotations

import logging
import shutil
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from ..errors import AudioError

log = logging.getLogger(__name__)

FRAME = 1152  # samples in an MPEG-1 Layer III frame
PRIMING = 1105  # samples a decoder skips at the start: the encoder's delay 576 and its own 529
DECODER_DELAY = 529
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)  # kbit/s, MPEG-1 L3
_RATES = (44100, 48000, 32000)  # Hz, MPEG-1


def frames_for(samples: int) -> int:
    """The frames holding ``samples`` samples after the priming: what a part gives a join."""
    return -(-(samples + PRIMING) // FRAME)


def encoded_frames(samples: int) -> int:
    """The frames LAME writes for ``samples`` (> 0) samples, as measured: whole frames with at
    least 576 samples of padding."""
    return -(-samples // FRAME) + 1


class _Header(NamedTuple):
    bitrate: int  # kbit/s
    sample_rate: int
    channels: int
    length: int  # bytes, the header included
    tag: int  # where a Xing tag starts: after the header, its CRC if any, and the side info


def _header(data: bytes) -> _Header | None:
    """The MPEG-1 Layer III frame header at the start of ``data``, None if there is none."""
    word = int.from_bytes(data[:4].ljust(4, b"\0"), "big")
    version, layer, crc = word >> 19 & 3, word >> 17 & 3, 1 - (word >> 16 & 1)
    bitrate, rate, padding = word >> 12 & 15, word >> 10 & 3, word >> 9 & 1
    mono = word >> 6 & 3 == 3  # the channel mode
    if word >> 21 != 0x7FF or version != 3 or layer != 1 or bitrate in (0, 15) or rate == 3:
        return None  # no sync, not MPEG-1 (3) Layer III (1), a free or bad bitrate, no rate
    kbits, hertz = _BITRATES[bitrate], _RATES[rate]
    return _Header(kbits, hertz, 1 if mono else 2, 144_000 * kbits // hertz + padding,
                   4 + 2 * crc + (17 if mono else 32))


@dataclass(frozen=True)
class Part:
    """An MP3 part as its Info frame and its frames around it say."""

    path: Path
    info: bytes  # the Info (or Xing) frame
    audio_start: int  # where the audio frames start: len(info)
    tag: int  # where "Info" or "Xing" is in info; the LAME tag is 120 bytes further on
    frames: int  # audio frames, the Info frame not counted
    delay: int
    padding: int
    music_crc: int  # CRC-16/ARC of all the audio frames
    size: int  # the file's bytes, the Info frame included
    bitrate: int  # kbit/s of the audio frames (the Info frame's may be higher, to hold the tags)
    sample_rate: int
    channels: int
    played_frames: int  # the frames holding a sample a decoder plays (all but LAME's extra
    played_end: int  # frame, if any): how many, where they end, their CRC-16/ARC
    played_crc: int

    @property
    def stream(self) -> str:
        return (f"{self.bitrate} kbit/s, {self.sample_rate} Hz, "
                f"{'mono' if self.channels == 1 else 'stereo'}, encoder delay {self.delay}")


def read_part(path: Path) -> Part:
    """The part ``path``; raises AudioError naming it when it is not an MP3 as ffmpeg writes it."""
    try:
        with path.open("rb") as file:
            return _read(path, file)
    except OSError as exc:
        raise AudioError(f"cannot read the MP3 part {path}: {exc.strerror or exc}") from exc


def _read(path: Path, file: BinaryIO) -> Part:
    size = file.seek(0, 2)
    file.seek(0)
    first = _header(file.read(4))
    if first is None:
        raise AudioError(f"{path} is not an MP3 file: it does not start with an MPEG-1 Layer III "
                         "frame")
    file.seek(0)
    info, tag = file.read(first.length), first.tag
    lame = tag + 120
    encoder = info[lame:lame + 9].rstrip(b"\0")  # "LAME3.100", "LAME4.0 \0", "Lavc63.1."
    if (len(info) < lame + 36 or info[tag:tag + 4] not in (b"Info", b"Xing")
            or info[tag + 7] & 15 != 15  # frames, bytes, seek table and quality: all there
            or not encoder[:1].isalpha() or not all(32 <= c < 127 for c in encoder)):
        raise AudioError(f"{path} has no Info or Xing frame with a LAME tag at its start")
    frames, declared = struct.unpack_from(">II", info, tag + 8)
    coded = int.from_bytes(info[lame + 21:lame + 24])  # delay and padding, 12 bits each
    (music_crc,) = struct.unpack_from(">H", info, lame + 32)
    if declared != size:
        raise AudioError(f"{path} has {size} bytes but its Info frame says {declared}")
    audio = _header(file.read(4))
    if audio is None or frames == 0:
        raise AudioError(f"{path} has no audio frame after its Info frame")
    padding = coded & 0xFFF
    unplayed = min(frames, max(0, padding - DECODER_DELAY) // FRAME)
    end = size
    for _ in range(unplayed):
        end = _frame_before(file, end, audio)
        if end < 0:
            raise AudioError(f"{path} does not end with {unplayed} whole MP3 frames")
    file.seek(end)
    tail = file.read(size - end)
    return Part(path, info, len(info), tag, frames, coded >> 12, padding, music_crc, size,
                audio.bitrate, audio.sample_rate, audio.channels, frames - unplayed, end,
                crc16_prefix(music_crc, crc16(tail), len(tail)))


def _frame_before(file: BinaryIO, end: int, like: _Header) -> int:
    """Where the frame like ``like`` (but for its padding byte) that ends at ``end`` starts, -1
    if none does."""
    plain = 144_000 * like.bitrate // like.sample_rate
    for start in (end - plain - 1, end - plain):
        file.seek(start)
        if _header(file.read(4)) == like._replace(length=end - start):
            return start
    return -1


def join(parts: Sequence[Path], out: Path) -> None:
    """``out`` = the MP3 parts one after the other, played as one gapless file (one part: a
    copy). Raises AudioError naming the part when one cannot be read, differs from the first
    in bitrate, sample rate, channels or encoder delay, or (but the last) ends within a frame."""
    read = [read_part(path) for path in parts]
    if not read:
        raise AudioError(f"no MP3 parts to join into {out}")
    first, last = read[0], read[-1]
    for part in read:
        if part.stream != first.stream:
            raise AudioError(f"cannot join {part.path} ({part.stream}) to {first.path} "
                             f"({first.stream}): the parts must match")
    for part in read[:-1]:
        if (part.padding - DECODER_DELAY) % FRAME:
            raise AudioError(f"{part.path} cannot go before another part: its samples end within a "
                             f"frame (padding {part.padding}), so the next part would play late")
    # (part, end, frames, CRC) of what each part gives: all but the last its played frames
    pieces = [(p, p.played_end, p.played_frames, p.played_crc) for p in read[:-1]]
    pieces.append((last, last.size, last.frames, last.music_crc))
    try:
        if len(read) == 1:
            shutil.copyfile(first.path, out)
            return
        with out.open("wb") as sink:
            sizes = [(end - p.audio_start, frames, crc) for p, end, frames, crc in pieces]
            sink.write(_patched(first, last.padding, sizes))
            for part, end, _, _ in pieces:
                with part.path.open("rb") as source:
                    source.seek(part.audio_start)
                    _copy(source, sink, end - part.audio_start, part.path)
    except AudioError:
        out.unlink(missing_ok=True)
        raise
    except OSError as exc:
        out.unlink(missing_ok=True)
        raise AudioError(f"cannot join MP3 parts into {out}: {exc.strerror or exc}") from exc
    log.debug("Joined %d MP3 parts into %s.", len(read), out)


def _patched(first: Part, padding: int, pieces: list[tuple[int, int, int]]) -> bytes:
    """The first part's Info frame made the join's, whose parts give ``pieces``: (bytes,
    frames, music CRC) each."""
    info, tag, lame = bytearray(first.info), first.tag, first.tag + 120
    total, music_crc = first.audio_start + sum(size for size, _, _ in pieces), 0
    for size, _, crc in pieces:
        music_crc = crc16_combine(music_crc, crc, size)
    struct.pack_into(">II", info, tag + 8, sum(frames for _, frames, _ in pieces), total)
    info[tag + 16:tag + 116] = _toc(pieces, first.audio_start, total)
    info[lame + 21:lame + 24] = (first.delay << 12 | padding).to_bytes(3)
    struct.pack_into(">IH", info, lame + 28, total, music_crc)
    _seal(info, lame)
    return bytes(info)


def _seal(info: bytearray, lame: int) -> None:
    """Write the CRC of the LAME tag starting at ``lame`` in the Info frame ``info``: as LAME
    does, over every byte of the frame before that CRC (190 of them in stereo, 175 in mono)."""
    struct.pack_into(">H", info, lame + 34, crc16(bytes(info[:lame + 34])))


def _toc(pieces: list[tuple[int, int, int]], start: int, total: int) -> bytes:
    """The Xing seek table: entry i is where the frame i % into the audio starts, in 256ths of
    the file, taking a part's frames to be all of one size (CBR)."""
    frames, toc = sum(count for _, count, _ in pieces), bytearray(100)
    for i in range(1, 100):
        index, offset = i * frames // 100, start
        for size, count, _ in pieces:
            if index < count:
                offset += index * size // count
                break
            index, offset = index - count, offset + size
        toc[i] = min(255, 256 * offset // total)
    return bytes(toc)


def _copy(source: BinaryIO, sink: BinaryIO, count: int, path: Path) -> None:
    while count > 0:
        chunk = source.read(min(count, 1 << 20))
        if not chunk:
            raise AudioError(f"{path} ended {count} bytes early while it was being joined")
        sink.write(chunk)
        count -= len(chunk)


# CRC-16/ARC: x^16 + x^15 + x^2 + 1 bit-reflected (0xA001), from 0, not inverted. A register value
# is a polynomial of degree < 16 whose bit 15 is x^0 and bit 0 is x^15.
_POLY, _ONE, _X, _X_INVERSE = 0xA001, 0x8000, 0x4000, 0x4003  # x * (x^15 + x^14 + x) = 1


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC of ``data``, bit by bit: for a tag or a frame, not for megabytes."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = crc >> 1 ^ _POLY if crc & 1 else crc >> 1
    return crc


def _times(a: int, b: int) -> int:
    """a * b modulo the polynomial."""
    product = 0
    for bit in range(16):
        if a & _ONE >> bit:
            product ^= b
        b = b >> 1 ^ _POLY if b & 1 else b >> 1  # b * x
    return product


def _power(base: int, exponent: int) -> int:
    result = _ONE
    while exponent:
        if exponent & 1:
            result = _times(result, base)
        base, exponent = _times(base, base), exponent >> 1
    return result


def crc16_combine(crc_a: int, crc_b: int, length_b: int) -> int:
    """The CRC of A then B, from the CRCs of A and B and B's length in bytes."""
    return _times(crc_a, _power(_X, 8 * length_b)) ^ crc_b


def crc16_prefix(crc_ab: int, crc_b: int, length_b: int) -> int:
    """The CRC of A, from the CRC of A then B, the CRC of B and B's length in bytes."""
    return _times(crc_ab ^ crc_b, _power(_X_INVERSE, 8 * length_b))
