"""Publishing: files are added, never rewritten; the feed stays a valid podcast feed."""

from datetime import date, datetime
from pathlib import Path

import feedparser
import pytest

from podcast.errors import PublishError
from podcast.models import Chapter, Episode, ShowConfig
from podcast.publish import PublishConfig, free_stem, open_target, publish_cover, publish_site

from .conftest import SATURDAY_MORNING


def target(tmp_path: Path):
    return open_target(PublishConfig(dir=tmp_path / "feed", base_url="https://example.com/show/"))


def site(tmp_path: Path, show: ShowConfig | None = None):
    """The show's site in ``tmp_path``'s feed folder, with a stand-in cover (any bytes do here)."""
    return publish_cover(target(tmp_path), show or ShowConfig(), (b"\x89PNG cover", "image/png"))


def test_published_files_are_never_overwritten(tmp_path):
    site = target(tmp_path)
    site.add("episodes/a.mp3", b"first")
    with pytest.raises(PublishError, match="already published; published files are never rewritten"):
        site.add("episodes/a.mp3", b"second")
    assert (tmp_path / "feed" / "episodes" / "a.mp3").read_bytes() == b"first"
    assert [p.name for p in (tmp_path / "feed" / "episodes").iterdir()] == ["a.mp3"]  # no temp left


def test_replace_is_atomic_and_leaves_no_temporary_files(tmp_path):
    site = target(tmp_path)
    site.replace("feed.xml", b"one")
    site.replace("feed.xml", b"two")
    assert (tmp_path / "feed" / "feed.xml").read_bytes() == b"two"
    assert [p.name for p in (tmp_path / "feed").iterdir()] == ["feed.xml"]


def test_add_copies_a_file(tmp_path):
    source = tmp_path / "work.mp3"
    source.write_bytes(b"\xff\xfb" * 1000)
    site = target(tmp_path)
    site.add("episodes/x.mp3", source)
    assert (tmp_path / "feed" / "episodes" / "x.mp3").read_bytes() == source.read_bytes()
    assert site.url("episodes/x.mp3") == "https://example.com/show/episodes/x.mp3"


def test_free_stem_skips_names_already_taken(tmp_path):
    site = target(tmp_path)
    assert free_stem(site, "2026-11-21", 1) == "episodes/2026-11-21"
    site.add("episodes/2026-11-21.mp3", b"x")
    site.add("episodes/2026-11-21-r2.txt", b"x")
    assert free_stem(site, "2026-11-21", 1) == "episodes/2026-11-21-r3"


def test_unwritable_folder_is_a_publish_error(tmp_path):
    blocker = tmp_path / "feed"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(PublishError, match="cannot write"):
        target(tmp_path).replace("feed.xml", b"x")


def test_feed_escapes_and_orders_episodes(tmp_path):
    show = ShowConfig(title="AI <Papers> & Co", author="R&D", email="a@b.co", description="x")
    episodes = [
        Episode(date=date(2026, 11, d), guid=f"g{d}", title=f"Day {d} <&>", audio_name=f"episodes/{d}.mp3",
                audio_bytes=1000 + d, duration=61.6, transcript_name=f"episodes/{d}.txt",
                chapters=(Chapter("Opening", 0, 61.6),), papers=(),
                published_at=datetime(2026, 11, d, 9, 30, tzinfo=SATURDAY_MORNING.tzinfo))
        for d in (22, 21)
    ]
    publish_site(target(tmp_path), site(tmp_path, show), episodes, SATURDAY_MORNING)
    parsed = feedparser.parse((tmp_path / "feed" / "feed.xml").read_bytes())
    assert not parsed.bozo
    assert parsed.feed.title == "AI <Papers> & Co"
    assert parsed.feed.author_detail.email == "a@b.co"
    assert [e.title for e in parsed.entries] == ["Day 22 <&>", "Day 21 <&>"]
    assert [e.itunes_episode for e in parsed.entries] == ["2", "1"]
    assert parsed.entries[0].itunes_duration == "62"
    assert "&lt;Papers&gt; &amp; Co" in (tmp_path / "feed" / "index.html").read_text(encoding="utf-8")


def test_show_notes_in_the_feed_and_on_the_page(tmp_path, sample_papers):
    from podcast.models import ShowNotes

    paper = sample_papers[0]
    notes = ShowNotes(title="用大模型分析年报", one_line="一句话。", problem="年报太多。", method="流水线。",
                      results="三家公司。", stars=4, star_reason="值得一读。")
    episode = Episode(date=date(2026, 11, 21), guid="g", title="t", audio_name="episodes/x.mp3", audio_bytes=1,
                      duration=60, transcript_name="episodes/x.txt", chapters=(), papers=(paper,),
                      published_at=SATURDAY_MORNING, notes={paper.id: notes})
    publish_site(target(tmp_path), site(tmp_path), [episode], SATURDAY_MORNING)
    entry = feedparser.parse((tmp_path / "feed" / "feed.xml").read_bytes()).entries[0]
    full = entry.content[0].value
    for expected in ("用大模型分析年报", paper.title, "一句话。", "问题与挑战：年报太多。", "方法：流水线。", "结果：三家公司。",
                     "★★★★☆ 值得一读。", f'href="{paper.pdf_url}"'):
        assert expected in full
    assert "用大模型分析年报" in entry.description and "★" not in entry.description
    assert len(entry.description.encode()) < 4000
    page = (tmp_path / "feed" / "index.html").read_text(encoding="utf-8")
    assert "问题与挑战：年报太多。" in page and "★★★★☆" in page


def test_notes_follow_the_digest_and_say_when_only_the_abstract_was_read(tmp_path, sample_papers):
    from dataclasses import replace

    from podcast.models import Digest, ShowNotes

    read, unread = sample_papers[0], replace(sample_papers[1], digest=Digest(note="no HTML and no PDF"))
    notes = {read.id: ShowNotes(background="年报很长。", problem="难读。", conclusion="可以自动化。"),
             unread.id: ShowNotes(one_line="只看了摘要。")}
    episode = Episode(date=date(2026, 11, 21), guid="g", title="t", audio_name="episodes/x.mp3", audio_bytes=1,
                      duration=60, transcript_name="episodes/x.txt", chapters=(), papers=(read, unread),
                      published_at=SATURDAY_MORNING, notes=notes)
    publish_site(target(tmp_path), site(tmp_path), [episode], SATURDAY_MORNING)
    full = feedparser.parse((tmp_path / "feed" / "feed.xml").read_bytes()).entries[0].content[0].value
    background, problem, conclusion = (full.index(text) for text in ("背景：年报很长。", "问题与挑战：难读。",
                                                                      "结论：可以自动化。"))
    assert background < problem < conclusion  # the digest's order
    assert full.count("本篇只读了摘要") == 1 and "（本篇只读了摘要：no HTML and no PDF）" in full


def test_description_stays_within_4000_bytes_however_long_the_papers(tmp_path):
    from podcast.models import Paper

    papers = tuple(Paper(id=f"2411.{n:05d}", title="很长的标题" * 60, summary="s", authors=("作者",) * 40,
                         url=f"https://arxiv.org/abs/2411.{n:05d}") for n in range(10))
    episode = Episode(date=date(2026, 11, 21), guid="g", title="t", audio_name="episodes/x.mp3", audio_bytes=1,
                      duration=60, transcript_name="episodes/x.txt", chapters=(), papers=papers,
                      published_at=SATURDAY_MORNING)
    publish_site(target(tmp_path), site(tmp_path), [episode], SATURDAY_MORNING)
    entry = feedparser.parse((tmp_path / "feed" / "feed.xml").read_bytes()).entries[0]
    assert 3000 < len(entry.description.encode()) <= 4000
    assert entry.description.count("<li>") < 10 and entry.description.endswith("<li>…</li></ol>")
    assert entry.content[0].value.count("https://arxiv.org/abs/2411.") == 10  # the full notes keep them all


def test_description_bytes_are_counted_in_utf_8_up_to_the_last_byte():
    """However long the papers' lines, the short notes never pass 4000 bytes: "…" is 3 bytes."""
    from podcast.models import Paper
    from podcast.publish.feed import DESCRIPTION_BYTES, notes_html

    sizes = []
    for length in range(200, 1000):  # papers whose lines end at every byte near the limit
        papers = tuple(Paper(id=f"2411.{n:05d}", title="x" * length, summary="s") for n in range(30))
        episode = Episode(date=date(2026, 11, 21), guid="g", title="t", audio_name="a.mp3", audio_bytes=1,
                          duration=60, transcript_name="a.txt", chapters=(), papers=papers,
                          published_at=SATURDAY_MORNING)
        sizes.append(len(notes_html(episode, full=False).encode("utf-8")))
    assert max(sizes) <= DESCRIPTION_BYTES and max(sizes) >= DESCRIPTION_BYTES - 2


def test_sweep_removes_only_the_temporary_files_of_unfinished_writes(tmp_path):
    site = target(tmp_path)
    site.add("episodes/a.mp3", b"episode")
    site.replace("feed.xml", b"feed")
    root = tmp_path / "feed"
    leftovers = [root / ".feed.xml.k2_9xq0a", root / "episodes" / ".a.mp3.abcdefgh", root / ".cover-0123.png.zz_zz_zz"]
    kept = [root / ".htaccess", root / ".state" / "podcast.db", root / ".well-known.abcdefgh",
            root / "episodes" / ".notes.txt", root / ".feed.xml.too-long-suffix"]
    for path in leftovers + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    site.sweep()
    assert not any(path.exists() for path in leftovers)
    assert all(path.exists() for path in kept)
    assert (root / "feed.xml").read_bytes() == b"feed" and (root / "episodes" / "a.mp3").read_bytes() == b"episode"


def test_replace_all_changes_nothing_when_one_file_cannot_be_written(tmp_path):
    site = target(tmp_path)
    site.replace("index.html", b"old page")
    (tmp_path / "feed" / "blocked").write_text("a file where a folder should be")
    with pytest.raises(PublishError, match="blocked: cannot write"):
        site.replace_all([("index.html", b"new page"), ("blocked/feed.xml", b"new feed")])
    assert (tmp_path / "feed" / "index.html").read_bytes() == b"old page"  # not replaced before the failure
    assert sorted(p.name for p in (tmp_path / "feed").iterdir()) == ["blocked", "index.html"]  # no temporary left


def test_recover_removes_what_was_published_but_never_recorded(tmp_path):
    from podcast.publish import note_pending, recover

    site = target(tmp_path)
    journal = tmp_path / "state" / "publishing.json"
    recorded = ["episodes/2026-11-20.mp3", "episodes/2026-11-20.txt"]
    for name in recorded:
        site.add(name, b"published and recorded")
    note_pending(journal, ["episodes/2026-11-21.mp3", "episodes/2026-11-21.txt", "episodes/2026-11-20.mp3",
                           "feed.xml", "episodes/../../outside"])
    site.add("episodes/2026-11-21.mp3", b"published, never recorded")  # the build stopped here
    site.replace("feed.xml", b"feed")
    (tmp_path / "outside").write_text("not the show's")
    recover(site, journal, set(recorded))
    assert sorted(p.name for p in (tmp_path / "feed" / "episodes").iterdir()) == ["2026-11-20.mp3", "2026-11-20.txt"]
    assert (tmp_path / "feed" / "feed.xml").exists() and (tmp_path / "outside").exists()  # only episode files
    assert not journal.exists()
    recover(site, journal, set(recorded))  # nothing noted: nothing to do
    assert len(list((tmp_path / "feed" / "episodes").iterdir())) == 2


@pytest.mark.slow
def test_the_offline_voice_note_is_in_the_feed_and_in_sight_on_every_page(tmp_path):
    """A day and the week's recap read by the offline voice (edge-tts out of reach): the feed
    item, in full and in its description, and the episode's card on the show page and on its own
    page say so once, above the player, not folded away among the papers."""
    import re
    from datetime import timedelta

    from podcast.config import load_config
    from podcast.models import Week
    from podcast.pipeline import run_episode, run_recap
    from podcast.speak.edge import ENDPOINT_ENV

    from .conftest import FILE_SOURCE, TAX_PROJECT

    (tmp_path / "podcast.toml").write_text(
        f'[show]\nmax_papers = 2\ntarget_minutes = 3\n[listener]\nproject = "{TAX_PROJECT}"\n'
        f"[selection]\nmin_score = 0\n{FILE_SOURCE}", encoding="utf-8")
    config = load_config(tmp_path / "podcast.toml", tmp_path)
    closed = {ENDPOINT_ENV: "ws://127.0.0.1:9/edge/v1?x=1"}
    note = "本期由离线语音朗读（未能连接 edge-tts）。"
    daily = run_episode(config, now=SATURDAY_MORNING - timedelta(days=5), env=closed).episode
    recap = run_recap(config, week=Week(2026, 47), now=SATURDAY_MORNING, env=closed).episode
    assert daily.voice_note == recap.voice_note == note
    folder = tmp_path / "feed"
    entries = feedparser.parse((folder / "feed.xml").read_bytes()).entries
    assert [entry.title for entry in entries] == [recap.title, daily.title]
    for entry in entries:
        assert entry.content[0].value.count(note) == entry.description.count(note) == 1

    def in_sight(html: str) -> str:
        return re.sub(r"<details.*?</details>", "", html, flags=re.DOTALL)

    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.count(note) == in_sight(index).count(note) == 2
    for episode in (daily, recap):
        page = (folder / episode.page_name).read_text(encoding="utf-8")
        assert page.count(note) == in_sight(page).count(note) == 1
        assert page.index(note) < page.index("<audio")
