"""Issue 19: a conversation episode end to end, offline. A writer of the test's own gives each
paper's turns; espeak-ng voices the host and the analyst; the MP3, the captions, the
transcripts and the feed say who speaks, the two voices equally loud."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from statistics import mean

import feedparser
import podcastparser
import pytest

from podcast.config import load_config
from podcast.models import (
    CONVERSATION,
    Chapter,
    Cue,
    Host,
    Pick,
    Script,
    Segment,
    SpokenSection,
    Utterance,
)
from podcast.pipeline import run_episode
from podcast.produce import Music, produce_episode
from podcast.produce.audio import AudioSegment, decode_file, measure
from podcast.produce.tags import Tags
from podcast.publish.feed import PODCAST
from podcast.speak import open_speaker, speak_script
from podcast.speak.captions import render_html_transcript, render_srt, render_vtt
from podcast.speak.voices import TTSConfig
from podcast.write import WRITERS, Brief, PaperText, RecapBrief, RecapText, Writer

from .conftest import FILE_SOURCE, SATURDAY_MORNING

pytestmark = pytest.mark.slow


class TurnsWriter(Writer):
    """Each paper talked through in six turns, the host asking, the analyst answering."""

    offline = True

    def text(self, pick: Pick, brief: Brief) -> PaperText:
        assert brief.format == CONVERSATION and len(brief.hosts) == 2
        title = pick.paper.title
        turns = ((0, f"今天先聊这篇论文：{title}。它做了什么？"),
                 (1, "它把大模型用在了税务问答上，先整理数据，再做监督微调。"),
                 (0, "效果怎么样？"),
                 (1, "在作者的评测集上，准确率明显高于原来的模型，幻觉也更少。"),
                 (0, "对我们的项目有什么启发？"),
                 (1, "我们可以先在自己的小数据集上复现，再和现有模型对比。"))
        return PaperText(title, "", "", (), turns=turns)

    def recap(self, brief: RecapBrief) -> RecapText:
        raise NotImplementedError


@pytest.fixture
def turns_writer() -> Iterator[None]:
    WRITERS.register("turns")(TurnsWriter)
    try:
        yield
    finally:
        WRITERS.unregister("turns")


def levels(audio: AudioSegment, cues: list[Cue]) -> dict[str, tuple[float, float]]:
    """Each voice's loudness over the sentences it says: mean RMS (dBFS) and integrated (LUFS)."""
    found = {}
    for name in sorted({cue.speaker for cue in cues}):
        spans = [audio[round(c.start * 1000) : round(c.end * 1000)] for c in cues if c.speaker == name]
        said = sum(spans[1:], spans[0])
        found[name] = (mean(span.dBFS for span in spans if len(span) > 300), measure(said).integrated)
    return found


def test_a_conversation_episode_says_who_speaks_everywhere(turns_writer, write_config, tmp_path):
    config = load_config(write_config(f"""
        [show]
        format = "conversation"
        max_papers = 2
        target_minutes = 5
        [show.hosts.analyst]
        name = "周明"
        [selection]
        min_score = 0
        [writer]
        type = "turns"
        [tts]
        engine = "espeak"
        [publish]
        base_url = "https://example.com/show/"
        {FILE_SOURCE}
    """), tmp_path)
    result = run_episode(config, now=SATURDAY_MORNING)
    episode = result.episode
    assert episode.format == CONVERSATION and episode.hosts == (Host("云扬", "主持人"), Host("周明", "分析师"))
    folder = tmp_path / "feed" / "episodes"

    # WebVTT: every cue in the voice span of who says it
    vtt = (folder / "2026-11-21.vtt").read_text(encoding="utf-8")
    said = re.findall(r"\d\d:\d\d:\d\d\.\d{3} --> [\d:.]+\n(.*)", vtt)
    spans = [re.fullmatch(r"<v ([^>]+)>(.+)</v>", line) for line in said]
    assert len(episode.papers) == 2 and all(spans) and len(spans) >= 20
    assert {span[1] for span in spans} == {"云扬", "周明"}
    assert ("周明", "它把大模型用在了税务问答上，先整理数据，再做监督微调。") in [span.groups() for span in spans]
    assert spans[0][2].startswith("早上好") and spans[0][1] == "云扬"

    # SRT: a cue starts with the name where the voice changes
    srt = (folder / "2026-11-21.srt").read_text(encoding="utf-8")
    texts = re.findall(r"\d\d:\d\d:\d\d,\d{3} --> [\d:,]+\n(.*)", srt)
    assert texts[0].startswith("云扬：早上好")
    assert "周明：它把大模型用在了税务问答上，先整理数据，再做监督微调。" in texts
    assert "云扬：效果怎么样？" in texts
    assert sum(t.startswith(("云扬：", "周明：")) for t in texts) == 1 + 2 * 6  # a name per turn

    # the HTML transcript: a <cite> before each turn; the text transcript: a name before each turn
    html = (folder / "2026-11-21.transcript.html").read_text(encoding="utf-8")
    assert html.count("<cite>周明：</cite>") == 6 and "<cite>云扬：</cite>" in html
    text = (folder / "2026-11-21.txt").read_text(encoding="utf-8")
    assert text.startswith("云扬：早上好") and "\n\n周明：它把大模型用在了税务问答上" in text
    assert "\n\n云扬：效果怎么样？\n\n" in text
    page = (folder / "2026-11-21.html").read_text(encoding="utf-8")
    assert "<cite>周明：</cite>" in page and "格式：双人对谈" in page

    # the feed: the hosts as podcast:person, on the show and on the episode, and the format named
    xml = (tmp_path / "feed" / "feed.xml").read_bytes()
    root = ET.fromstring(xml)
    for parent in (root.find("channel"), root.find("channel/item")):
        persons = parent.findall(f"{{{PODCAST}}}person")
        assert [(p.text, p.get("role")) for p in persons] == [("云扬", "host"), ("周明", "host")]
    parsed = feedparser.parse(xml)
    assert not parsed.bozo and "格式：双人对谈" in parsed.entries[0].content[0].value
    show = podcastparser.parse(config.publish.base_url + "feed.xml", io.BytesIO(xml))
    assert show["episodes"][0]["enclosures"][0]["file_size"] == episode.audio_bytes
    # chapters per paper, as in a broadcast
    assert episode.chapters[0].title == "开场" and len(episode.chapters) == 4

    # turns follow each other closer than a broadcast's paragraphs; papers as far apart as ever
    cues = [Cue(c.start, c.end, c.text, c.speaker) for c in _cues(vtt)]
    answer = next(i for i, c in enumerate(cues) if c.text.startswith("它把大模型"))
    gap = cues[answer].start - cues[answer - 1].end
    assert 0.2 <= gap <= 0.45, gap

    # the two voices as loud as each other
    loud = levels(decode_file(folder / "2026-11-21.mp3"), cues)
    rms = [value[0] for value in loud.values()]
    lufs = [value[1] for value in loud.values()]
    assert abs(rms[0] - rms[1]) <= 1.0 and abs(lufs[0] - lufs[1]) <= 1.0, loud


def _cues(vtt: str) -> list[Cue]:
    def seconds(stamp: str) -> float:
        hours, minutes, rest = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest)

    found = re.findall(r"([\d:.]+) --> ([\d:.]+)\n<v ([^>]+)>(.+)</v>", vtt)
    return [Cue(seconds(start), seconds(end), text, name) for start, end, name, text in found]


def test_two_voices_at_different_levels_come_out_equally_loud(tmp_path):
    """The analyst's espeak variant arriving 8 dB quieter than the host's: in the MP3 the two
    voices' sentences measure within 1 dB of each other."""
    hosts = (Host("云扬", "主持人"), Host("晓晓", "分析师"))
    turns = ["这篇论文做了什么？", "它把偏好对齐用在了税务问答上，效果比原来的模型好。", "数据从哪里来？",
             "作者整理了十万条年报问答，还做了人工检查。", "对我们有什么用？", "我们可以先在小数据集上复现，再和现有模型对比。"]
    script = Script("zh-CN", "各位早上好。", "今天聊一篇论文。",
                    (Segment(1, "2409.00001", "一篇论文", ("第 1 篇论文。", *turns), speakers=(0, 0, 1, 0, 1, 0, 1)),),
                    "今天就到这里。", format=CONVERSATION, hosts=hosts)
    speaker = open_speaker(TTSConfig(engine="espeak"), "zh-CN", None)
    assert speaker.settings.cast == ("cmn", "cmn+f3")
    spoken, _, _ = speak_script(script, speaker)
    quieter = [SpokenSection(section.title, tuple(
        Utterance(part.audio.apply_gain(-8) if part.cues[0].speaker == "晓晓" else part.audio, part.cues)
        for part in section.parts)) for section in spoken]
    raw = {name: mean(part.audio.dBFS for section in quieter for part in section.parts if part.cues[0].speaker == name)
           for name in ("云扬", "晓晓")}
    assert raw["云扬"] - raw["晓晓"] > 6  # before: far apart

    produced = produce_episode(quieter, tmp_path / "talk.mp3",
                               Tags("t", "a", "b", date(2026, 11, 21), "zh-CN", "", script.text()),
                               Music(), pauses=speaker.settings.pauses.of(CONVERSATION))
    loud = levels(decode_file(produced.path), list(produced.cues))
    (host_rms, host_lufs), (analyst_rms, analyst_lufs) = loud["云扬"], loud["晓晓"]
    assert abs(host_rms - analyst_rms) <= 1.0 and abs(host_lufs - analyst_lufs) <= 1.0, (raw, loud)
    # and the turns 250 ms apart
    first_answer = next(c for c in produced.cues if c.text.startswith("它把偏好"))
    question = next(c for c in produced.cues if c.text == "这篇论文做了什么？")
    assert first_answer.start - question.end == pytest.approx(0.25, abs=0.02)


def test_a_broadcast_keeps_its_captions_without_names():
    cues = [Cue(0.0, 1.5, "早上好。"), Cue(1.5, 3.0, "A < B & C。")]
    chapters = [Chapter("开场", 0.0, 3.0)]
    assert render_vtt(cues) == "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.500\n早上好。\n\n2\n00:00:01.500 --> 00:00:03.000\nA < B & C。\n"
    assert "：" not in render_srt(cues) and "<cite>" not in render_html_transcript(cues, chapters, "t", "zh-CN")
    named = [Cue(0.0, 1.5, "Hello.", "Andrew"), Cue(1.5, 3.0, "A < B & C.", "Emma <3"), Cue(3.0, 4.0, "Yes.", "Emma <3")]
    vtt = render_vtt(named)
    assert "<v Andrew>Hello.</v>" in vtt and "<v Emma &lt;3>A &lt; B &amp; C.</v>" in vtt
    srt = render_srt(named, "en-US")
    assert "\nAndrew: Hello.\n" in srt and "\nEmma <3: A < B & C.\n" in srt and "\nYes.\n" in srt
