"""A full offline run on two papers, checked on what it publishes: the MP3 decoded, its tags
read back, the feed parsed by two real podcast parsers, the page, the transcript, the store."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import podcastparser
import pytest
from mutagen.id3 import ID3
from PIL import Image

from podcast.config import load_config
from podcast.errors import NothingToBroadcast
from podcast.pipeline import preview, rebuild_site, run_episode
from podcast.produce.audio import decode_file, measure
from podcast.store import open_store

from .conftest import FILE_SOURCE, OFFLINE_TTS, SATURDAY_MORNING, TAX_PROJECT

pytestmark = pytest.mark.slow

CONFIG = f"""
[show]
author = "研究组"
email = "team@example.com"
max_papers = 2

[listener]
project = "{TAX_PROJECT}"

[publish]
base_url = "https://podcasts.example.com/ai"

{OFFLINE_TTS}
{FILE_SOURCE}"""


EPISODE_FILES = sorted(f"2026-11-21{suffix}" for suffix in (
    ".chapters.json", ".html", ".mp3", ".srt", ".transcript.html", ".txt", ".vtt"))


def new_show(root: Path):
    (root / "podcast.toml").write_text(CONFIG, encoding="utf-8")
    return load_config(root / "podcast.toml", root)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("show")
    config = new_show(root)
    return config, run_episode(config, now=SATURDAY_MORNING), root


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_publishes_mp3_feed_page_and_transcript(published):
    config, result, root = published
    feed = root / "feed"
    assert not result.reused
    assert result.standins == ("bundled sample papers", "template script writer (no $OPENAI_API_KEY)", "espeak-ng voice")
    assert Path(result.audio) == feed / "episodes" / "2026-11-21.mp3"
    assert Path(result.feed) == feed / "feed.xml" and Path(result.page) == feed / "index.html"
    assert sorted(p.name for p in (feed / "episodes").iterdir()) == EPISODE_FILES
    assert not list(config.state.dir.glob("episode-*"))  # work files are cleaned up


def test_mp3_decodes_and_carries_its_tags(published):
    _, result, _ = published
    audio = decode_file(Path(result.audio))
    assert audio.duration_seconds > 120  # two papers make more than two minutes
    assert audio.duration_seconds == pytest.approx(result.episode.duration, abs=0.1)
    tags = ID3(result.audio)
    assert str(tags["TIT2"]) == "AI 论文早报：2026 年 11 月 21 日，星期六"
    assert str(tags["TPE1"]) == "研究组"
    assert len(tags.getall("CHAP")) == 4  # opening, two papers, closing
    (cover,) = tags.getall("APIC")  # the artwork drawn from the show's title
    assert cover.mime == "image/png" and Image.open(io.BytesIO(cover.data)).size == (1400, 1400)
    loudness = measure(Path(result.audio), true_peak=True)
    assert loudness.integrated == pytest.approx(-16, abs=1) and loudness.peak <= -1


def test_chapters_file_matches_the_id3_chapters(published):
    _, result, root = published
    document = json.loads((root / "feed" / result.episode.chapters_name).read_text(encoding="utf-8"))
    assert document["version"] == "1.2.0" and document["podcastName"] == "AI 论文早报"
    frames = sorted(ID3(result.audio).getall("CHAP"), key=lambda frame: frame.start_time)
    assert [c["title"] for c in document["chapters"]] == [str(f.sub_frames["TIT2"]) for f in frames]
    for chapter, frame in zip(document["chapters"], frames, strict=True):
        assert abs(chapter["startTime"] - frame.start_time / 1000) <= 0.001
        assert abs(chapter["endTime"] - frame.end_time / 1000) <= 0.001
    assert document["chapters"][-1]["endTime"] == pytest.approx(result.episode.duration, abs=0.001)


def test_feed_parses_in_feedparser_and_podcastparser(published):
    _, result, root = published
    xml = (root / "feed" / "feed.xml").read_bytes()
    mp3 = Path(result.audio)

    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "AI 论文早报"
    assert parsed.feed.language == "zh-cn"
    (entry,) = parsed.entries
    (enclosure,) = entry.enclosures
    assert enclosure.href == "https://podcasts.example.com/ai/episodes/2026-11-21.mp3"
    assert int(enclosure.length) == mp3.stat().st_size
    assert enclosure.type == "audio/mpeg"
    assert entry.id == result.episode.guid
    assert "arxiv.org/abs/2409.17581" in entry.description

    podcast = podcastparser.parse("https://podcasts.example.com/ai/feed.xml", __import__("io").BytesIO(xml))
    (episode,) = podcast["episodes"]
    assert episode["enclosures"][0]["file_size"] == mp3.stat().st_size
    assert episode["total_time"] == round(result.episode.duration)
    assert episode["guid"] == result.episode.guid
    assert episode["published"] > 0


def test_transcript_is_the_broadcast_in_speech_ready_chinese(published):
    _, result, root = published
    text = (root / "feed" / result.episode.transcript_name).read_text(encoding="utf-8")
    assert "今天是 2026 年 11 月 21 日，上午 9 点 30 分，星期六" in text
    assert "第 1 篇论文" in text and "第 2 篇论文" in text and "第 3 篇" not in text
    assert text.count("以下是我的思考：") == 2
    assert text.count("我们在为税务和财报分析微调大语言模型") == 1  # the project, in the first take
    assert not re.search(r"[*#_`\[\]<>]|https?:", text)
    assert str(ID3(result.audio).getall("USLT")[0].text) == text


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_page_lists_the_episode_with_player_and_download(published):
    _, result, root = published
    page = _Page()
    page.feed((root / "feed" / "index.html").read_text(encoding="utf-8"))
    audio = [a for tag, a in page.tags if tag == "audio"]
    assert [a["src"] for a in audio] == ["episodes/2026-11-21.mp3"]
    links = {a.get("href") for tag, a in page.tags if tag == "a"}
    assert {"episodes/2026-11-21.mp3", "episodes/2026-11-21.txt", "episodes/2026-11-21.html", "feed.xml"} <= links
    assert "https://arxiv.org/abs/2409.17581" in links
    (download,) = [a for tag, a in page.tags if tag == "a" and "download" in a]
    assert download["download"] == "AI 论文早报 2026-11-21.mp3"
    (cover,) = [a["src"] for tag, a in page.tags if tag == "img"]
    with Image.open(root / "feed" / cover) as image:
        assert image.size == (1400, 1400)
    for href in ("episodes/2026-11-21.mp3", "episodes/2026-11-21.txt", "episodes/2026-11-21.html"):
        assert (root / "feed" / href).is_file()
    seeks = [float(a["data-t"]) for tag, a in page.tags if tag == "button" and "data-t" in a]
    assert seeks == [round(c.start, 2) for c in result.episode.chapters]


def test_episode_page_has_the_timed_transcript(published):
    _, result, root = published
    html = (root / "feed" / result.episode.page_name).read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    assert [a["src"] for tag, a in page.tags if tag == "audio"] == ["../episodes/2026-11-21.mp3"]
    links = {a.get("href") for tag, a in page.tags if tag == "a"}
    assert {"../", "../feed.xml", "../episodes/2026-11-21.txt"} <= links
    starts = [float(a["data-t"]) for tag, a in page.tags if tag == "span" and "data-t" in a]
    vtt = (root / "feed" / "episodes" / "2026-11-21.vtt").read_text(encoding="utf-8")
    cues = [int(h) * 3600 + int(m) * 60 + float(s) for h, m, s in re.findall(r"(\d\d):(\d\d):([\d.]+) -->", vtt)]
    assert len(starts) == len(cues) > 10 and starts == pytest.approx(cues, abs=0.006)
    assert "今天是 2026 年 11 月 21 日" in html and html.count("<h3>") == len(result.episode.chapters)


@pytest.mark.dated
def test_same_day_reuses_and_force_rebuilds_under_a_new_name(tmp_path):
    config = new_show(tmp_path)
    first = run_episode(config, now=SATURDAY_MORNING)
    first_mp3 = Path(first.audio)
    before = digest(first_mp3)

    again = run_episode(config, now=SATURDAY_MORNING)
    assert again.reused and again.episode == first.episode
    assert sorted(p.name for p in first_mp3.parent.iterdir()) == EPISODE_FILES

    rebuilt = run_episode(config, now=SATURDAY_MORNING, force=True)
    assert not rebuilt.reused
    assert Path(rebuilt.audio).name == "2026-11-21-r2.mp3"
    assert digest(first_mp3) == before  # the bytes behind the old URL never change
    assert rebuilt.episode.guid == first.episode.guid  # still the same episode to podcast apps
    assert [p.id for p in rebuilt.episode.papers] == [p.id for p in first.episode.papers]
    (entry,) = feedparser.parse(Path(rebuilt.feed).read_bytes()).entries
    assert entry.enclosures[0].href.endswith("/episodes/2026-11-21-r2.mp3")
    assert int(entry.enclosures[0].length) == Path(rebuilt.audio).stat().st_size


def test_papers_never_repeat_and_an_empty_day_damages_nothing(tmp_path):
    # short episodes: what matters here is which papers they tell
    (tmp_path / "podcast.toml").write_text(
        CONFIG.replace("max_papers = 2", "max_papers = 2\ntarget_minutes = 3") + "[selection]\nmin_score = 0\n",
        encoding="utf-8")
    config = load_config(tmp_path / "podcast.toml", tmp_path)
    seen: list[str] = []
    for offset in range(4):  # eight sample papers, two a day, whatever their relevance
        result = run_episode(config, now=SATURDAY_MORNING + timedelta(days=offset))
        seen += [p.id for p in result.episode.papers]
    assert len(seen) == len(set(seen)) == 8

    feed = Path(result.feed)
    before = digest(feed)
    with pytest.raises(NothingToBroadcast, match="no new papers for 2026-11-25: 8 papers found, none left to broadcast, and nothing unbroadcast"):
        run_episode(config, now=SATURDAY_MORNING + timedelta(days=4))
    assert digest(feed) == before
    assert len(feedparser.parse(feed.read_bytes()).entries) == 4

    with open_store(config.state.dir) as store:
        assert next(e.date for e in store.episodes()) == date(2026, 11, 24)
        assert store.broadcast_ids(other_than=date(2026, 11, 24)) == set(seen[:6])


def test_preview_explains_and_feed_rebuilds_from_the_store(tmp_path):
    config = new_show(tmp_path)
    picks = preview(config, now=SATURDAY_MORNING).picks
    assert next(p.paper.id for p in picks) == "2409.17581"
    assert not (tmp_path / "feed").exists()  # a preview publishes nothing
    assert not (tmp_path / ".podcast").exists()  # and records nothing
    run_episode(config, now=SATURDAY_MORNING)
    (tmp_path / "feed" / "feed.xml").unlink()
    (tmp_path / "feed" / "index.html").unlink()
    count, feed, page = rebuild_site(config)
    assert count == 1 and Path(feed).is_file() and Path(page).is_file()
    assert len(feedparser.parse(Path(feed).read_bytes()).entries) == 1


@pytest.mark.dated
def test_english_show(tmp_path, caplog):
    (tmp_path / "podcast.toml").write_text(
        '[show]\nlanguage = "en-US"\nmax_papers = 1\ntimezone = "Europe/Berlin"\n' + OFFLINE_TTS + FILE_SOURCE,
        encoding="utf-8",
    )
    config = load_config(tmp_path / "podcast.toml", tmp_path)
    caplog.set_level(logging.INFO, logger="podcast")
    result = run_episode(config, now=SATURDAY_MORNING)  # 02:30 in Berlin
    # no [show] email: said once, in one line
    assert [m for m in caplog.messages if "email" in m] == [
        "[show] email is not set: the feed names no owner e-mail (itunes:owner), which Apple Podcasts needs "
        "to verify the show."]
    text = (tmp_path / "feed" / result.episode.transcript_name).read_text(encoding="utf-8")
    assert text.startswith("Hello! It's Saturday, November 21, 2026, 2:30 a.m.")  # the night
    assert result.episode.title == "AI Papers Daily: Saturday, November 21, 2026"
    assert feedparser.parse(Path(result.feed).read_bytes()).feed.language == "en-us"


def test_a_bad_artwork_file_stops_the_run_before_any_work(tmp_path):
    from PIL import Image as PillowImage

    from podcast.errors import ConfigError

    PillowImage.new("RGB", (1000, 1000), "navy").save(tmp_path / "small.png")
    (tmp_path / "podcast.toml").write_text(CONFIG.replace("[show]\n", '[show]\nartwork = "small.png"\n'),
                                           encoding="utf-8")
    config = load_config(tmp_path / "podcast.toml", tmp_path)
    with pytest.raises(ConfigError, match=r"small\.png.*1400"):
        run_episode(config, now=SATURDAY_MORNING)
    assert not (tmp_path / "feed" / "episodes").exists()


def test_feed_carries_the_podcasting_2_tags(published):
    import uuid
    import xml.etree.ElementTree as ET

    _, _result, root = published
    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    channel = ET.parse(root / "feed" / "feed.xml").getroot().find("channel")
    # the namespace's own example: podcastindex.org/namespace/1.0 computes this for podnews.net/rss
    from podcast.publish.feed import podcast_guid

    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert channel.find("podcast:guid", ns).text == podcast_guid("https://podcasts.example.com/ai/feed.xml")
    assert uuid.UUID(channel.find("podcast:guid", ns).text).version == 5
    assert channel.find("podcast:locked", ns).text == "yes" and channel.find("podcast:medium", ns).text == "podcast"
    item = channel.find("item")
    transcripts = {t.get("type"): t.get("url") for t in item.findall("podcast:transcript", ns)}
    base = "https://podcasts.example.com/ai/episodes/2026-11-21"
    assert transcripts == {"text/vtt": f"{base}.vtt", "application/x-subrip": f"{base}.srt", "text/plain": f"{base}.txt",
                           "text/html": f"{base}.transcript.html"}
    frequency = channel.find("podcast:updateFrequency", ns)
    assert frequency.get("rrule") == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" and frequency.text == "Weekdays"
    cover = channel.find("{http://www.itunes.com/dtds/podcast-1.0.dtd}image").get("href")
    assert channel.find("image/url").text == cover and re.fullmatch(r"https://podcasts\.example\.com/ai/cover-[0-9a-f]{12}\.png", cover)
    with Image.open(root / "feed" / cover.rsplit("/", 1)[1]) as image:
        assert image.size == (1400, 1400)
    assert item.find("link").text == f"{base}.html"
    chapters = item.find("podcast:chapters", ns)
    assert chapters.get("url") == f"{base}.chapters.json" and chapters.get("type") == "application/json+chapters"
    for url in (*transcripts.values(), chapters.get("url"), item.find("link").text):
        assert (root / "feed" / url.removeprefix("https://podcasts.example.com/ai/")).is_file()


def test_keep_episodes_lists_the_newest_and_removes_older_files_after_the_feed(tmp_path):
    (tmp_path / "podcast.toml").write_text(
        CONFIG.replace("max_papers = 2", "max_papers = 1\ntarget_minutes = 1")
        .replace("[publish]\n", "[publish]\nkeep_episodes = 2\n") + "[selection]\nmin_score = 0\n",
        encoding="utf-8")
    config = load_config(tmp_path / "podcast.toml", tmp_path)
    results = [run_episode(config, now=SATURDAY_MORNING + timedelta(days=d)) for d in range(3)]
    feed = tmp_path / "feed"
    parsed = feedparser.parse((feed / "feed.xml").read_bytes())
    assert [e.id for e in parsed.entries] == [r.episode.guid for r in results[:0:-1]]
    assert [e.itunes_episode for e in parsed.entries] == ["3", "2"]  # numbers stay with their episodes
    for entry in parsed.entries:  # everything the feed names is there
        assert (feed / entry.enclosures[0].href.removeprefix("https://podcasts.example.com/ai/")).is_file()
    assert not list(feed.glob("episodes/2026-11-21*"))  # the oldest episode's files are gone
    assert len(list(feed.glob("episodes/2026-11-22*"))) == len(EPISODE_FILES)
    page = (feed / "index.html").read_text(encoding="utf-8")
    assert "2026-11-22.mp3" in page and "2026-11-21" not in page
    with open_store(config.state.dir) as store:  # the store still knows it: its papers stay broadcast
        assert [(e.date.day, e.removed) for e in store.episodes()] == [(23, False), (22, False), (21, True)]
        assert results[0].episode.papers[0].id in store.broadcast_ids()
    assert rebuild_site(config)[0] == 2
