"""The weekly recap in the show's format: a conversation's two voices taking turns on each theme,
a brief under two minutes, and the broadcast's recap as it always was (offline writer, a week of
two-paper daily episodes, the moments injected)."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import feedparser
import pytest

from podcast.config import load_config
from podcast.models import BRIEF, BROADCAST, CONVERSATION
from podcast.pipeline import run_recap
from podcast.produce.audio import decode_file

from . import test_recap
from .test_recap import FRIDAY_1700

pytestmark = pytest.mark.slow

PODCAST = "https://podcastindex.org/namespace/1.0"
EXPECTED = Path(__file__).parent / "data" / "formats" / "recap-broadcast-zh.txt"

week_show = test_recap.week_show  # four daily broadcasts of two papers each, Monday to Thursday


def recap_in(week: Path, folder: Path, format: str):
    root = folder / "show"
    shutil.copytree(week, root)
    config = load_config(root / "podcast.toml", root)
    config = replace(config, show=replace(config.show, format=format))
    return config, run_recap(config, now=FRIDAY_1700)


@pytest.fixture(scope="module")
def conversation(week_show, tmp_path_factory):
    return recap_in(week_show, tmp_path_factory.mktemp("conversation"), CONVERSATION)


def test_broadcast_recap_is_unchanged(week_show, tmp_path):
    config, result = recap_in(week_show, tmp_path, BROADCAST)
    episode = result.episode
    assert episode.format == BROADCAST and episode.hosts == ()
    text = (config.publish.dir / episode.transcript_name).read_text(encoding="utf-8")
    assert text == EXPECTED.read_text(encoding="utf-8")


def test_conversation_recap_takes_turns_on_each_theme(conversation):
    config, result = conversation
    episode = result.episode
    host, analyst = (h.name for h in episode.hosts)
    assert episode.format == CONVERSATION and host != analyst
    text = (config.publish.dir / episode.transcript_name).read_text(encoding="utf-8")
    turns = [p for p in text.split("\n\n") if p.startswith((f"{host}：", f"{analyst}："))]
    speakers = [t.split("：", 1)[0] for t in turns]
    # a name starts each turn (and each section): from the first theme to the last step, no
    # two turns in a row have one voice; the host says the opening and the closing
    assert all(a != b for a, b in pairwise(speakers[1:-1]))
    assert speakers[0] == speakers[1] == speakers[-1] == host
    themes = episode.recap.themes
    for number, theme in enumerate(themes):  # the host brings in the theme, the analyst answers
        ordinal = "一二三四五六七"[number]
        asked = next(i for i, t in enumerate(turns) if f"主题{ordinal}" in t)
        assert speakers[asked] == host and theme.name in turns[asked]
        assert turns[asked].rstrip().endswith("？")
        assert speakers[asked + 1] == analyst
    trend = next(i for i, t in enumerate(turns) if "趋势" in t and t.startswith(host))
    assert speakers[trend + 1] == analyst and episode.recap.trend[:10] in turns[trend + 1]
    assert "第一步" in text and turns[-2].startswith(f"{host}：我再补一步。")
    sentences = [s for s in re.split(r"(?<=[。？！])", text) if len(s.strip()) > 6]
    assert len(sentences) == len(set(sentences))  # no sentence said twice
    assert not re.search(r"[*#`\[\]<>（(]", text)  # no markup, no stage directions

    vtt = (config.publish.dir / episode.captions[0]).read_text(encoding="utf-8")
    voices = set(re.findall(r"<v ([^>]+)>", vtt))
    assert voices == {host, analyst}
    root = ET.fromstring((config.publish.dir / "feed.xml").read_bytes())
    item = next(i for i in root.iter("item") if i.findtext("guid") == episode.guid)
    assert [p.text for p in item.findall(f"{{{PODCAST}}}person")] == [host, analyst]
    assert not feedparser.parse((config.publish.dir / "feed.xml").read_bytes()).bozo


def test_conversation_recap_chapters_are_its_themes(conversation):
    _, result = conversation
    episode = result.episode
    titles = [c.title for c in episode.chapters]
    assert titles[0] == "开场" and titles[-2:] == ["趋势与建议", "结束语"]
    assert titles[1:-2] == [f"主题{o}：{t.name}" for o, t in zip("一二三四五六七", episode.recap.themes,
                                                               strict=False)]


def test_brief_recap_is_under_two_minutes(week_show, tmp_path):
    config, result = recap_in(week_show, tmp_path, BRIEF)
    episode = result.episode
    themes = episode.recap.themes
    assert episode.format == BRIEF and len(themes) == 7
    audio = decode_file(Path(result.audio))
    assert audio.duration_seconds < 120  # 117.6 s on 2026-12-01: no sting between themes
    text = (config.publish.dir / episode.transcript_name).read_text(encoding="utf-8")
    paragraphs = text.strip().split("\n\n")
    assert paragraphs[0].startswith("下午好！今天是 2026 年 11 月 20 日")
    lines = [p for p in paragraphs if p.startswith("主题")]  # a line on each of the first five
    assert len(lines) == 5 and all(t.name in line for t, line in zip(themes, lines, strict=False))
    more = "；".join(f"{t.name}，{len(t.paper_ids)} 篇论文" for t in themes[5:])
    assert f"另外还有：{more}。" in paragraphs  # the other two in one line, names and counts
    assert [c.title for c in episode.chapters][-4:] == ["主题五：" + themes[4].name, "更多主题", "趋势", "结束语"]
    assert any(p.startswith("趋势：") for p in paragraphs) and "第一步" not in text
    assert paragraphs[-1].startswith("以上就是本周的论文回顾")
