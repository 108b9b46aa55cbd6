"""MP3 parts encoded in parallel and joined frame by frame (podcast.produce.mp3join), checked on
real encodes by the episode's own encoder: the join decoded by ffmpeg against the whole timeline
encoded at once, its tags read back with mutagen and ffprobe, its CRCs recomputed bit by bit."""

from __future__ import annotations

import array
import math
import re
import shutil
import struct
import subprocess
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mutagen.mp3 import MP3, BitrateMode
from mutagen.mp3._util import LAMEHeader, XingHeader

from podcast.errors import AudioError
from podcast.produce.audio import AudioSegment, Encoding, decode_file, write_wav
from podcast.produce.lame import encode as encode_episode
from podcast.produce.mp3join import (
    FRAME,
    PRIMING,
    crc16_combine,
    crc16_prefix,
    encoded_frames,
    frames_for,
    join,
    read_part,
)

RATE = 44100
# The timeline: 3.15 s of silence with tone bursts of distinct pitches (start, Hz), none near a
# seam of either plan; a last part of 832 samples past a frame boundary (see test_lame_writes...).
LENGTH = 120 * FRAME + 832
BURST = 6000
BURSTS = ((3000, 440), (12000, 1000), (38000, 700), (50000, 2500), (72000, 1500), (100000, 300),
          (120000, 3000))
PLANS = {2: (57 * FRAME,), 3: (27 * FRAME, 80 * FRAME)}  # where each part after the first starts
QUIET = 32  # -60 dBFS


def timeline() -> array.array:
    samples = array.array("h", bytes(2 * LENGTH))
    for start, pitch in BURSTS:
        for n in range(BURST):
            samples[start + n] = round(12000 * math.sin(2 * math.pi * pitch * n / RATE))
    return samples


def encode(samples: array.array, path: Path, channels: int = 1, bitrate: int = 96) -> Path:
    """``samples`` through the episode's encoder, as a part of an episode is encoded."""
    source = path.with_suffix(".wav")
    write_wav(AudioSegment(data=samples.tobytes(), sample_width=2, frame_rate=RATE, channels=1), source)
    encode_episode(source, [], [0.0], Encoding(bitrate=bitrate, channels=channels), path)
    return path


def encode_parts(samples: array.array, seams: tuple[int, ...], folder: Path, channels: int = 1,
                 bitrate: int = 96) -> list[Path]:
    """Part k holds the timeline [S(k-1), S(k) - PRIMING), the last one up to its end."""
    starts, ends = (0, *seams), (*(seam - PRIMING for seam in seams), len(samples))
    return [encode(samples[start:end], folder / f"part{k}.mp3", channels, bitrate)
            for k, (start, end) in enumerate(zip(starts, ends, strict=True))]


def decode(path: Path) -> array.array:
    return array.array("h", decode_file(path).raw_data)


def onsets(samples: array.array) -> list[int]:
    """Where each burst starts: the first sample over a quarter of its amplitude."""
    found, i = [], 0
    while i < len(samples):
        if abs(samples[i]) > 3000:
            found.append(i)
            i += BURST + 1000
        else:
            i += 1
    return found


def rms(samples) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def slow_crc(data: bytes) -> int:
    """CRC-16/ARC by its definition, one bit at a time."""
    crc = 0
    for byte in data:
        for bit in range(8):
            feedback = (crc ^ byte >> bit) & 1
            crc >>= 1
            if feedback:
                crc ^= 0xA001
    return crc


def frame_offsets(data: bytes) -> list[int]:
    """Where each MPEG-1 Layer III frame at 44.1 kHz starts, walking the headers from byte 0."""
    kbits = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
    offsets, at = [], 0
    while at < len(data):
        assert data[at] == 0xFF and data[at + 1] & 0xFE == 0xFA, f"no frame header at byte {at}"
        offsets.append(at)
        at += 144_000 * kbits[data[at + 2] >> 4] // RATE + (data[at + 2] >> 1 & 1)
    assert at == len(data)
    return offsets


def tags(path: Path) -> tuple[XingHeader, LAMEHeader]:
    """mutagen's reading of the Xing and LAME tags, with its own header classes (MP3().info
    reads a LAME tag only after a "LAME" encoder string, as ours is written)."""
    with path.open("rb") as file:
        offset = 21 if MP3(path).info.channels == 1 else 36
        file.seek(offset)
        xing = XingHeader(file)
        file.seek(offset + 120 + 9)
        return xing, LAMEHeader(xing, file)


def tag_crc(data: bytes) -> int:
    """The tag CRC as LAME writes it: over the Info frame's bytes before it (190 in stereo;
    ffmpeg's own encoder counts 190 in mono too, its CRC's 2 bytes and zeros among them)."""
    lame = 21 + 120 if data[3] >> 6 == 3 else 36 + 120  # mono (channel mode 3) or not
    return slow_crc(data[:lame + 34])


@dataclass(frozen=True)
class Case:
    channels: int
    bitrate: int
    seams: tuple[int, ...]
    whole: Path
    parts: list[Path]
    out: Path


CASES = [(1, 96, 2), (1, 96, 3), (2, 128, 3), (1, 64, 3), (2, 320, 3)]


@pytest.fixture(scope="module")
def samples() -> array.array:
    return timeline()


@pytest.fixture(scope="module", params=CASES, ids=[f"{c}ch-{b}k-{k}parts" for c, b, k in CASES])
def case(request, samples, tmp_path_factory) -> Case:
    channels, bitrate, count = request.param
    folder = tmp_path_factory.mktemp(f"join-{channels}-{bitrate}-{count}")
    whole = encode(samples, folder / "whole.mp3", channels, bitrate)
    parts = encode_parts(samples, PLANS[count], folder, channels, bitrate)
    join(parts, folder / "joined.mp3")
    return Case(channels, bitrate, PLANS[count], whole, parts, folder / "joined.mp3")


def test_every_sample_plays_where_it_lies_on_the_timeline(case, samples):
    joined, whole = decode(case.out), decode(case.whole)
    assert len(whole) == len(joined) == LENGTH
    expected = onsets(whole)
    assert len(expected) == len(BURSTS)
    assert all(abs(a - b) <= 3 for a, b in zip(expected, onsets(samples), strict=True))
    found = onsets(joined)
    assert len(found) == len(BURSTS)
    assert all(abs(a - b) <= 2 for a, b in zip(found, expected, strict=True)), (found, expected)
    for seam in case.seams:
        assert max(map(abs, joined[seam - PRIMING - FRAME:seam + FRAME])) <= QUIET, seam
    noise = rms([a - b for a, b in zip(joined, whole, strict=True)])
    assert 20 * math.log10(max(noise, 1e-9) / rms(whole)) < -40


def test_the_tags_say_what_plays(case):
    data = case.out.read_bytes()
    xing, lame = tags(case.out)
    offsets = frame_offsets(data)
    frames = len(offsets) - 1  # the Info frame is no audio frame
    assert xing.is_info and xing.frames == frames and xing.bytes == len(data) == lame.music_length
    assert frames == len(frame_offsets(case.whole.read_bytes())) - 1 == encoded_frames(LENGTH)
    last_padding = tags(case.parts[-1])[1].encoder_padding_end
    assert lame.encoder_delay_start == 576 and lame.encoder_padding_end == last_padding
    assert frames * FRAME - 576 - last_padding == LENGTH == len(decode(case.out))
    info = MP3(case.out).info
    assert info.bitrate_mode == BitrateMode.CBR and (info.channels, info.sample_rate) == (case.channels, RATE)
    assert abs(info.bitrate - 1000 * case.bitrate) < 100
    # the tag names LAME, so mutagen reads its delay and padding: what plays, as for the whole
    assert info.length == LENGTH / RATE == MP3(case.whole).info.length
    assert xing.toc[0] == 0
    for i, entry in enumerate(xing.toc[1:], 1):
        assert abs(entry - min(255, 256 * offsets[1 + i * frames // 100] // len(data))) <= 1, i


def test_the_tag_and_music_crcs_are_right(case):
    data = case.out.read_bytes()
    _, lame = tags(case.out)
    audio = frame_offsets(data)[1]
    assert lame.music_crc == slow_crc(data[audio:])
    assert lame.header_crc == tag_crc(data)
    for encoded in (case.whole, *case.parts):  # the rule is LAME's own
        assert tags(encoded)[1].header_crc == tag_crc(encoded.read_bytes())


def test_the_slow_crc_is_crc16_arc():
    assert slow_crc(b"123456789") == 0xBB3D  # the check value of CRC-16/ARC


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_crcs_combine_and_split_as_the_slow_crc_says(a, b):
    assert crc16_combine(slow_crc(a), slow_crc(b), len(b)) == slow_crc(a + b)
    assert crc16_prefix(slow_crc(a + b), slow_crc(b), len(b)) == slow_crc(a)


@pytest.mark.parametrize("samples", [
    3 * FRAME - PRIMING, 40 * FRAME - PRIMING, 113900, 114100, 115200, 47,
    1153, 126761,  # 1 and 41 samples past a frame
])
def test_lame_writes_the_frames_the_join_expects(samples, tmp_path):
    """What the join relies on, measured on the encoder: a part holding 1152 k - 1105 samples
    ends on a frame boundary and LAME adds one frame after it, which holds nothing played. The
    tag's padding is all of it (ffmpeg's own encoder says at most 1681, and a file of 1 to 46
    samples past a frame then played up to 46 samples of the encoder's silent tail too)."""
    path = encode(array.array("h", bytes(2 * samples)), tmp_path / "part.mp3")
    part = read_part(path)
    assert part.frames == encoded_frames(samples) == len(frame_offsets(path.read_bytes())) - 1
    assert part.padding == part.frames * FRAME - samples - 576
    assert part.played_frames == frames_for(samples)
    if (samples + PRIMING) % FRAME == 0:
        assert part.padding == 1152 + 529 and part.played_frames == part.frames - 1
    assert len(decode(path)) == part.frames * FRAME - 576 - part.padding == samples


def test_one_part_is_copied(samples, tmp_path):
    part = encode(samples[:50000], tmp_path / "part.mp3")
    join([part], tmp_path / "out.mp3")
    assert (tmp_path / "out.mp3").read_bytes() == part.read_bytes()


@pytest.fixture(scope="module")
def short() -> array.array:
    return timeline()[:20 * FRAME]


@pytest.mark.parametrize(("first", "other", "differs"), [
    ((1, 96), (1, 128), "128 kbit/s"),
    ((1, 96), (2, 96), "stereo"),
    ((1, 64), (1, 80), "80 kbit/s"),
])
def test_parts_of_different_bitrates_or_channels_are_refused(first, other, differs, short, tmp_path):
    start = encode(short[:10 * FRAME - PRIMING], tmp_path / "first.mp3", *first)
    rest = encode(short[10 * FRAME:], tmp_path / "other.mp3", *other)
    with pytest.raises(AudioError, match=re.escape(f"cannot join {rest} (") + f".*{differs}.*the parts must match"):
        join([start, rest], tmp_path / "out.mp3")
    assert not (tmp_path / "out.mp3").exists()


def test_a_part_ending_within_a_frame_goes_only_last(short, tmp_path):
    early = encode(short[:10 * FRAME - 2000], tmp_path / "early.mp3")
    aligned = encode(short[:10 * FRAME - PRIMING], tmp_path / "aligned.mp3")
    with pytest.raises(AudioError, match=re.escape(f"{early} cannot go before another part")):
        join([early, aligned], tmp_path / "out.mp3")
    join([aligned, early], tmp_path / "out.mp3")
    assert len(decode(tmp_path / "out.mp3")) == 10 * FRAME + 10 * FRAME - 2000


def test_what_is_not_an_ffmpeg_mp3_part_is_named(short, tmp_path):
    part = encode(short, tmp_path / "part.mp3")
    text = tmp_path / "notes.mp3"
    text.write_text("not an MP3 at all\n")
    with pytest.raises(AudioError, match=re.escape(f"{text} is not an MP3 file")):
        join([part, text], tmp_path / "out.mp3")
    bare = tmp_path / "bare.mp3"  # MP3 frames, but no Info frame
    bare.write_bytes(part.read_bytes()[frame_offsets(part.read_bytes())[1]:])
    with pytest.raises(AudioError, match=re.escape(f"{bare} has no Info or Xing frame")):
        join([bare, part], tmp_path / "out.mp3")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(part.read_bytes()[:-100])
    with pytest.raises(AudioError, match=re.escape(f"{cut} has {cut.stat().st_size} bytes but its Info frame says")):
        read_part(cut)
    with pytest.raises(AudioError, match=re.escape(f"cannot read the MP3 part {tmp_path / 'gone.mp3'}")):
        join([part, tmp_path / "gone.mp3"], tmp_path / "out.mp3")
    assert not (tmp_path / "out.mp3").exists()


def test_the_parts_are_streamed_not_read_whole(short, tmp_path):
    """Two parts of 6 MB each (one real part's frames, repeated) join within 3 MB of memory."""
    real = read_part(encode(short[:10 * FRAME - PRIMING], tmp_path / "real.mp3"))
    data = real.path.read_bytes()
    frames = data[real.audio_start:]
    copies = 6_000_000 // len(frames) + 1
    big = bytearray(real.info + frames * copies)
    struct.pack_into(">II", big, real.tag + 8, real.frames * copies, len(big))
    for name in ("a.mp3", "b.mp3"):
        (tmp_path / name).write_bytes(big)
    tracemalloc.start()
    try:
        join([tmp_path / "a.mp3", tmp_path / "b.mp3"], tmp_path / "out.mp3")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(big) > 6_000_000 and (tmp_path / "out.mp3").stat().st_size > 2 * 6_000_000 - 1000
    assert peak < 3_000_000  # 1 MB chunks, the last still held while the next is read; a part: 6 MB


@pytest.mark.skipif(not shutil.which("ffprobe"), reason="ffprobe is not installed (Debian package ffmpeg)")
def test_ffprobe_gives_the_join_the_whole_encodes_duration(case):
    def duration(path: Path) -> float:
        result = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                 str(path)], capture_output=True, check=True, text=True)
        return float(result.stdout)

    frames = tags(case.out)[0].frames
    found = duration(case.out)
    assert abs(found - duration(case.whole)) < 1 / RATE
    # FFmpeg 9 (imageio-ffmpeg's) counts what plays; ffprobe 5.1 (Debian 12) every frame
    assert min(abs(found - LENGTH / RATE), abs(found - frames * FRAME / RATE)) < 1 / RATE
