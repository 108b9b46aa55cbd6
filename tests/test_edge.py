"""The edge engine driving the real edge_tts package through a local server that speaks the
service's websocket protocol and answers with real MP3."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime

import feedparser
import pytest
from mutagen.id3 import ID3

from podcast import DATA_DIR
from podcast.config import load_config
from podcast.errors import SpeechError
from podcast.pipeline import run_episode
from podcast.produce.audio import decode_file
from podcast.speak import Line, SpeakContext, open_speaker
from podcast.speak.edge import ENDPOINT_ENV, EdgeOptions
from podcast.speak.voices import Lexicon, TTSConfig

from .conftest import FILE_SOURCE, SHANGHAI, TAX_PROJECT
from .fake_edge import EdgeServer, FakeEdge

pytestmark = pytest.mark.slow


@pytest.fixture
def edge():
    with EdgeServer(FakeEdge()) as server:
        yield server


def speaker(server, tmp_path=None, language="zh-CN", concurrency=4, retries=3, **options):
    config = TTSConfig(engine="edge", engines={"edge": EdgeOptions(**options)})
    context = SpeakContext(tmp_path / "tts" if tmp_path else None, {ENDPOINT_ENV: server.url}, concurrency, retries, 0.01)
    return open_speaker(config, language, context)


def speak(engine, *texts, thoughts=False):
    return engine.speak_all([Line(t, int(thoughts)) for t in texts], Lexicon.load(engine.language), lambda n: None)


def test_the_request_is_the_service_protocol_with_clean_ssml(edge):
    engine = speaker(edge, rate="+10%")
    (spoken,) = speak(engine, "大型语言模型 LLM 的召回率 < 93.2%。第二句话！")
    (request,) = edge.fake.requests
    assert request.voice == "Microsoft Server Speech Text to Speech Voice (zh-CN, YunyangNeural)"
    assert (request.rate, request.pitch, request.volume) == ("+10%", "+0Hz", "+0%")
    assert "&lt;" in request.raw_ssml and request.text == "大型语言模型 L L M 的召回率 < 百分之93.2。 第二句话！"
    assert '"outputFormat":"audio-24khz-48kbitrate-mono-mp3"' in request.config
    assert '"sentenceBoundaryEnabled":"true"' in request.config
    assert [c.text for c in spoken.cues] == ["大型语言模型 LLM 的召回率 < 93.2%。", "第二句话！"]  # captions keep the text
    assert spoken.cues[1].start > spoken.cues[0].start + 1.0  # from the SentenceBoundary events
    thoughts = speak(engine, "以下是我的思考：很有用。", thoughts=True)
    assert edge.fake.requests[-1].voice.endswith("(zh-CN, XiaoxiaoNeural)") and thoughts[0].audio


def test_a_long_chinese_paragraph_without_spaces_is_cut_under_3000_bytes(edge):
    paragraph = "".join(f"第{i}句，研究表明，这种方法能够显著提升模型在长文本上的表现。" for i in range(200))
    assert len(paragraph) > 6000 and " " not in paragraph
    edge.fake.brief = True  # short answers: this is about what is asked
    (spoken,) = speak(speaker(edge), paragraph)
    sizes = [len(r.raw_ssml.split("volume='+0%'>", 1)[1].rsplit("</prosody>", 1)[0].encode()) for r in edge.fake.requests]
    assert len(sizes) >= 7 and max(sizes) < 3000
    assert "".join(c.text for c in spoken.cues) == paragraph  # every sentence, in order


def test_concurrency_is_bounded(edge):
    edge.fake.latency = 0.2
    speak(speaker(edge, concurrency=3), *[f"这是第{i}段。" for i in range(10)])
    assert edge.fake.most_active == 3


def test_failures_are_retried_until_audio_comes(edge):
    edge.fake.failures = ["no_audio", "drop", "403", "403", "no_audio"]
    engine = speaker(edge, retries=4)
    (spoken,) = speak(engine, "重试之后应当成功。")
    assert spoken.audio.duration_seconds > 1
    assert len(edge.fake.requests) == 4  # the two 403s never got to send a request
    assert edge.fake.handshakes == 6


def test_giving_up_is_a_clear_error_and_what_was_spoken_is_kept(edge, tmp_path):
    engine = speaker(edge, tmp_path, retries=1)
    edge.fake.failures = ["ok", "no_audio", "no_audio"]
    with pytest.raises(SpeechError, match=r"edge-tts failed 2 times on '第二段。': NoAudioReceived"):
        speak(speaker(edge, tmp_path, retries=1, concurrency=1), "第一段。", "第二段。")
    requests = len(edge.fake.requests)
    speak(engine, "第一段。", "第二段。")  # the service is back: only the missing piece is asked for
    assert len(edge.fake.requests) == requests + 1


def retrying(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]


def test_a_service_that_refuses_everything_is_found_out_once(edge, caplog):
    """Ten paragraphs, four at a time, and the service refuses every handshake: one request
    finds out, with its own retries (three lines), while the others wait for it instead of
    retrying each on its own; then every one gives up, and the error says the service cannot
    be reached."""
    caplog.set_level(logging.INFO, logger="podcast")
    edge.fake.failures = ["403"] * 1000
    with pytest.raises(SpeechError, match="edge-tts cannot be reached: 4 attempts in a row failed, "
                                          "the last with HTTP 403") as raised:
        speak(speaker(edge, retries=3), *[f"这是第{i}段。" for i in range(10)])
    assert raised.value.unreachable
    assert len(retrying(caplog)) == 3
    assert edge.fake.handshakes <= 2 * (4 + 3)  # the first four, then the retries (403s twice)


def test_one_piece_failing_among_many_is_retried_alone(edge, caplog):
    caplog.set_level(logging.INFO, logger="podcast")
    edge.fake.failures = ["ok", "no_audio"]
    spoken = speak(speaker(edge, retries=3), *[f"这是第{i}段。" for i in range(6)])
    assert len(spoken) == 6 and all(said.audio.duration_seconds > 0.5 for said in spoken)
    assert len(retrying(caplog)) == 1 and len(edge.fake.requests) == 7


def test_a_cached_rerun_makes_no_requests(edge, tmp_path):
    texts = ["第一段话。", "第二段话！", "Third paragraph."]
    first = speak(speaker(edge, tmp_path), *texts)
    handshakes = edge.fake.handshakes
    again = speak(speaker(edge, tmp_path), *texts)
    assert edge.fake.handshakes == handshakes
    assert [u.cues for u in again] == [u.cues for u in first]


def test_unreachable_service_fails_at_once():
    config = TTSConfig(engine="edge")
    context = SpeakContext(None, {ENDPOINT_ENV: "ws://127.0.0.1:9/edge/v1?x=1"}, 4, 4, 5.0)
    with pytest.raises(SpeechError, match="edge-tts cannot be reached"):
        speak(open_speaker(config, "zh-CN", context), "你好。")  # no retries: 5 s backoff would show


def config_with_edge(tmp_path, extra="", language="zh-CN"):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "podcast.toml").write_text(
        f'[show]\nmax_papers = 2\ntarget_minutes = 3\nlanguage = "{language}"\n'
        f'[listener]\nproject = "{TAX_PROJECT}"\n{extra}\n{FILE_SOURCE}',
        encoding="utf-8",
    )
    return load_config(tmp_path / "podcast.toml", tmp_path)


MORNING = datetime(2026, 11, 21, 9, 30, tzinfo=SHANGHAI)


def test_an_episode_voiced_by_edge_has_captions_on_speech(edge, tmp_path):
    config = config_with_edge(tmp_path)
    result = run_episode(config, now=MORNING, env={ENDPOINT_ENV: edge.url})
    assert result.standins == ("bundled sample papers", "template script writer (no $OPENAI_API_KEY)")
    feed = tmp_path / "feed"
    vtt = (feed / "episodes" / "2026-11-21.vtt").read_text(encoding="utf-8")
    srt = (feed / "episodes" / "2026-11-21.srt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n\n1\n00:00:0")
    cues = re.findall(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> [\d:.]+\n(.+)", vtt)
    assert len(cues) == srt.count(" --> ") > 20
    assert cues[0][4].startswith("早上好！")
    audio = decode_file(feed / "episodes" / "2026-11-21.mp3")
    for hours, minutes, seconds, millis, text in cues:
        start = ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)
        assert audio[start : start + 200].dBFS > -35, f"silence at the cue for {text!r}"
    assert result.episode.captions == ("episodes/2026-11-21.vtt", "episodes/2026-11-21.srt",
                                       "episodes/2026-11-21.transcript.html")
    html = (feed / "episodes" / "2026-11-21.transcript.html").read_text(encoding="utf-8")
    stamps = re.findall(r"<time>(\d\d:\d\d:\d\d)</time>\n<p>(.+)</p>", html)
    assert [(f"{h}:{m}:{s}", text) for h, m, s, _, text in cues] == stamps
    assert edge.fake.requests and not any(re.search(r"[*#_`\[\]]|https?:", r.text) for r in edge.fake.requests)
    assert 'href="episodes/2026-11-21.vtt"' in (feed / "index.html").read_text(encoding="utf-8")


def test_typed_dashes_are_heard_as_pauses_and_shown_as_dashes(edge, tmp_path):
    """Titles typed the LaTeX way (a real arXiv title: "... Models -- A Probabilistic
    Perspective"; a Chinese one with "--"): the voice is sent a pause, never "--" nor a dash,
    and the script, the chapters in the MP3 (read back with mutagen), the chapters file and the
    episode's page show the dash it stands for."""
    sample = {p["id"]: p for p in json.loads((DATA_DIR / "sample_papers.json").read_text("utf-8"))}
    english = {k: v for k, v in sample["2409.18028"].items() if k != "title_zh"}
    chinese = {**sample["2409.17642"], "title_zh": "兼顾两头的AI代表--守住隐私"}
    assert " -- " in english["title"]
    (tmp_path / "papers.json").write_text(json.dumps([english, chinese]), encoding="utf-8")
    (tmp_path / "podcast.toml").write_text(
        f'[show]\nmax_papers = 2\ntarget_minutes = 4\n[selection]\nmin_score = 0\n'
        f'[listener]\nproject = "{TAX_PROJECT}"\n[[sources]]\ntype = "file"\npath = "papers.json"\n'
        '[fulltext]\nenabled = false\n', encoding="utf-8")
    config = load_config(tmp_path / "podcast.toml", tmp_path)
    episode = run_episode(config, now=MORNING, env={ENDPOINT_ENV: edge.url}).episode
    sent = " ".join(request.text for request in edge.fake.requests)
    assert "兼顾两头的AI代表，守住隐私" in sent and "A Probabilistic Perspective" in sent
    assert not re.search("--|[\u2013\u2014]", sent)
    folder = tmp_path / "feed"
    script = (folder / episode.transcript_name).read_text(encoding="utf-8")
    assert "兼顾两头的AI代表——守住隐私" in script and "Models \u2013 A Probabilistic" in script
    chapters = [frame.sub_frames["TIT2"].text[0]
                for frame in ID3(folder / episode.audio_name).getall("CHAP")]
    assert "第 2 篇：兼顾两头的AI代表——守住隐私" in chapters or "第 1 篇：兼顾两头的AI代表——守住隐私" in chapters
    assert any("Models \u2013 A Probabilistic" in title for title in chapters)
    listed = json.loads((folder / episode.chapters_name).read_text(encoding="utf-8"))["chapters"]
    assert [chapter["title"] for chapter in listed] == chapters
    page = (folder / episode.page_name).read_text(encoding="utf-8")
    assert all(title in page for title in chapters)
    assert not any("--" in text for text in (script, *chapters))


def test_fallback_offline_revoices_the_whole_episode_and_says_so(edge, tmp_path):
    config = config_with_edge(tmp_path, "[tts]\nretries = 1\n")
    edge.fake.failures = ["ok"] * 3 + ["no_audio"] * 1000  # fails a few pieces in
    result = run_episode(config, now=MORNING, env={ENDPOINT_ENV: edge.url})
    assert result.standins[-1] == "espeak-ng voice (edge-tts failed)"
    assert result.episode.voice_note == "本期由离线语音朗读（edge-tts 出错）。"
    feed = (tmp_path / "feed" / "feed.xml").read_text(encoding="utf-8")
    assert "本期由离线语音朗读" in feed

    strict = config_with_edge(tmp_path / "strict", '[tts]\nretries = 1\nfallback = "fail"\n')
    with pytest.raises(SpeechError, match="a rerun resumes"):
        run_episode(strict, now=MORNING, env={ENDPOINT_ENV: edge.url})
    assert not (tmp_path / "strict" / "feed").exists()  # nothing published


def test_a_service_that_is_down_costs_one_piece_of_retries_and_one_line(edge, tmp_path, caplog):
    """edge-tts answers the check (its host takes connections) but refuses every request: a
    few "retrying" lines, of one piece only, then one line saying it cannot be reached and the
    offline voice reads the episode instead."""
    caplog.set_level(logging.INFO, logger="podcast")
    config = config_with_edge(tmp_path, "[tts]\nretries = 2\n")
    edge.fake.failures = ["403"] * 1000
    result = run_episode(config, now=MORNING, env={ENDPOINT_ENV: edge.url})
    assert len(retrying(caplog)) == 2
    (fallback,) = [r.getMessage() for r in caplog.records if "instead" in r.getMessage()]
    assert fallback.startswith("edge-tts cannot be reached: 3 attempts in a row failed")
    assert fallback.endswith("; espeak-ng voices the episode instead.")
    assert result.standins[-1] == "espeak-ng voice (edge-tts could not be reached)"
    assert result.episode.voice_note == "本期由离线语音朗读（未能连接 edge-tts）。"


def test_an_unreachable_service_is_known_before_writing(tmp_path):
    config = config_with_edge(tmp_path)
    closed = {ENDPOINT_ENV: "ws://127.0.0.1:9/edge/v1?x=1"}
    result = run_episode(config, now=MORNING, env=closed)
    assert result.standins[-1] == "espeak-ng voice (edge-tts could not be reached)"
    strict = config_with_edge(tmp_path / "strict", '[tts]\nfallback = "fail"\n')
    with pytest.raises(SpeechError, match=re.escape("edge-tts cannot be reached at 127.0.0.1:9")):
        run_episode(strict, now=MORNING, env=closed)
    assert not (tmp_path / "strict" / "feed").exists()


@pytest.mark.parametrize(("language", "note"), [
    ("zh-CN", "本期由离线语音朗读（未能连接 edge-tts）。"),
    ("en-US", "This episode is read by the offline voice (edge-tts could not be reached)."),
])
def test_the_offline_voice_note_is_wholly_in_the_shows_language(tmp_path, language, note):
    """The note says why in the show's language; the program's own line stays English."""
    config = config_with_edge(tmp_path, language=language)
    result = run_episode(config, now=MORNING, env={ENDPOINT_ENV: "ws://127.0.0.1:9/edge/v1?x=1"})
    assert result.episode.voice_note == note
    assert result.standins[-1] == "espeak-ng voice (edge-tts could not be reached)"
    (item,) = feedparser.parse((tmp_path / "feed" / "feed.xml").read_bytes()).entries
    assert note in item.content[0].value


def test_a_connection_failure_is_said_without_the_tls_context():
    """aiohttp's message names the TLS context it would have used ("ssl:<ssl.SSLContext object
    at 0x…>"): the log line says what failed, not that."""
    import asyncio
    import ssl

    import aiohttp

    from podcast.speak.edge import _describe

    async def fail() -> BaseException:
        async with aiohttp.ClientSession() as session:
            try:
                await session.get("https://127.0.0.1:9/", ssl=ssl.create_default_context())
            except aiohttp.ClientError as exc:
                return exc
        raise AssertionError("port 9 answered")

    said = _describe(asyncio.run(fail()))
    assert "127.0.0.1:9" in said and "ssl:" not in said and "SSLContext" not in said
