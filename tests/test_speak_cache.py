"""The spoken pieces' cache every engine shares (speak/cache.py): keyed by engine, voice,
settings and text; a piece is there whole or not at all; edge-tts's pieces kept before the cache
was shared are still found."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import subprocess
from pathlib import Path

import pytest

from podcast.config import load_config
from podcast.pipeline import run_episode
from podcast.produce.audio import RATE, decode_bytes, decode_file, ffmpeg_exe
from podcast.speak import Line, SpeakContext, TTSConfig, open_speaker
from podcast.speak.cache import PieceCache
from podcast.speak.edge import ENDPOINT_ENV
from podcast.speak.voices import Lexicon

from .conftest import OFFLINE_TTS, SATURDAY_MORNING, espeak_speaker, say
from .webserver import DATA, Reply


def test_a_piece_is_found_by_engine_voice_settings_and_text(tmp_path):
    cache = PieceCache(tmp_path, "kokoro", ".wav")
    key = cache.key("zf_xiaoxiao", [1.0], "你好。")
    assert cache.get(key) is None
    cache.put(key, b"RIFF...")
    assert cache.get(key) == (b"RIFF...", None) and cache.hits == 1
    others = {cache.key("zf_xiaobei", [1.0], "你好。"), cache.key("zf_xiaoxiao", [1.1], "你好。"),
              cache.key("zf_xiaoxiao", [1.0], "你好！"), PieceCache(tmp_path, "edge", ".wav").key("zf_xiaoxiao", [1.0], "你好。")}
    assert len(others | {key}) == 5
    assert not any(cache.get(other) for other in others)


def test_a_note_is_kept_beside_the_audio_and_a_half_kept_piece_is_missing(tmp_path):
    cache = PieceCache(tmp_path, "edge", ".mp3")
    cache.put("a", b"ID3", [[0.0, "One."], [1.5, "Two."]])
    assert cache.get("a") == (b"ID3", [[0.0, "One."], [1.5, "Two."]])
    (tmp_path / "b.json").write_text("[]", encoding="utf-8")  # stopped before its audio was written
    assert cache.get("b") is None
    assert not list(tmp_path.glob("*.part"))
    PieceCache(None, "edge", ".mp3").put("c", b"x")  # no folder: nothing kept, no error
    assert PieceCache(None, "edge", ".mp3").get("c") is None


def test_edge_finds_the_pieces_it_kept_before_the_cache_was_shared(tmp_path):
    """A piece as edge-tts kept it until now (its own hash of the request, MP3 and JSON marks):
    a rerun after the upgrade still asks the service nothing (none is listening here)."""
    text = "缓存里的一句话。"
    voice = "zh-CN-YunyangNeural"
    request = ["edge", voice, "+0%", "+0Hz", "+0%", text]
    key = hashlib.sha256(json.dumps(request, ensure_ascii=False).encode()).hexdigest()[:40]
    spoken = say(espeak_speaker("zh-CN"), text).audio
    (tmp_path / f"{key}.json").write_text(json.dumps([[0.0, text]], ensure_ascii=False), encoding="utf-8")
    (tmp_path / f"{key}.mp3").write_bytes(encode_mp3(spoken))
    context = SpeakContext(tmp_path, {ENDPOINT_ENV: "ws://127.0.0.1:9/edge/v1?x=1"}, 1, 0)
    engine = open_speaker(TTSConfig(engine="edge"), "zh-CN", context)
    (utterance,) = engine.speak_all([Line(text)], Lexicon(None, {}), lambda n: None)
    assert engine.requests == 0 and engine.cache.hits == 1
    assert abs(utterance.audio.duration_seconds - decode_bytes(encode_mp3(spoken), "x").duration_seconds) < 0.3
    assert [cue.text for cue in utterance.cues] == [text]


def encode_mp3(audio) -> bytes:
    """MP3 as edge-tts sends it (24 kHz, 48 kbit/s)."""
    return subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0",
                           "-ar", "24000", "-b:a", "48k", "-f", "mp3", "pipe:1"],
                          input=audio.raw_data, capture_output=True, check=True).stdout



def _spoken_line(caplog) -> str:
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("espeak-ng synthesised")]
    return line


@pytest.mark.slow
@pytest.mark.dated
def test_a_forced_offline_rerun_synthesises_fetches_and_masters_nothing(tmp_path, web, caplog):
    caplog.set_level(logging.INFO, logger="podcast")
    web.routes["/blog.rss"] = Reply.file(DATA / "sources" / "blog-rss.xml", content_type="application/rss+xml")
    (tmp_path / "podcast.toml").write_text(
        '[show]\nmax_papers = 2\ntarget_minutes = 2\n[selection]\nmin_score = 0\n[fulltext]\nenabled = false\n'
        f'[[sources]]\ntype = "feed"\nurl = "{web.url("/blog.rss")}"\n{OFFLINE_TTS}', encoding="utf-8")
    config = load_config(tmp_path / "podcast.toml", tmp_path)

    first = run_episode(config, now=SATURDAY_MORNING)
    synthesised = int(re.match(r"espeak-ng synthesised (\d+) pieces; 0 came", _spoken_line(caplog))[1])
    assert synthesised > 10 and len(web.requests) == 1

    caplog.clear()
    again = run_episode(config, now=SATURDAY_MORNING, force=True)
    assert _spoken_line(caplog) == f"espeak-ng synthesised 0 pieces; {synthesised} came from the cache."
    assert len(web.requests) == 1  # the day's response is cached: nothing fetched again
    assert any("reused, nothing mixed or encoded again" in r.getMessage() for r in caplog.records)
    assert Path(again.audio).name == "2026-11-21-r2.mp3"
    assert decode_file(Path(again.audio)).raw_data == decode_file(Path(first.audio)).raw_data
    assert again.episode.chapters == first.episode.chapters and again.episode.duration == first.episode.duration
    assert Path(again.audio).with_suffix(".vtt").read_text(encoding="utf-8") == Path(first.audio).with_suffix(".vtt").read_text(encoding="utf-8")
