"""`podcast feed --check`: a real published show's feed and artwork against what Apple Podcasts
and Spotify require, each gap one line naming the requirement, who has it, what was found and
the fix; and the one-line warning of `podcast feed` when the show has no owner e-mail."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import feedparser
import pytest
from PIL import Image

from podcast.config import load_config
from podcast.pipeline import check_site, run_episode
from podcast.publish.feed import NO_OWNER_EMAIL

from .conftest import FILE_SOURCE, OFFLINE_TTS, SATURDAY_MORNING
from .test_cli import podcast

pytestmark = pytest.mark.slow

EMAIL = 'email = "team@example.com"\n'
# a show as it should be: an owner e-mail, a public address; papers regardless of relevance
COMPLETE = (f'[show]\n{EMAIL}max_papers = 1\ntarget_minutes = 1\n'
            '[publish]\nbase_url = "https://podcast.example.com/ai/"\n'
            f'[selection]\nmin_score = 0\n{OFFLINE_TTS}{FILE_SOURCE}')
HEADING = re.compile(r"(.+): (\d+) gaps? against Apple Podcasts' and Spotify's requirements:")


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A complete show with one episode, built once; each test checks a copy of it."""
    root = tmp_path_factory.mktemp("show")
    (root / "podcast.toml").write_text(COMPLETE, encoding="utf-8")
    run_episode(load_config(root / "podcast.toml", root), now=SATURDAY_MORNING)
    return root


@pytest.fixture
def show(published, tmp_path) -> Path:
    """A copy of the published show to change."""
    return Path(shutil.copytree(published, tmp_path / "show"))


def check(root: Path) -> tuple[int, list[str]]:
    """`podcast feed --check` as a user runs it: its exit code and the gaps it lists."""
    result = podcast("feed", "--check", cwd=root)
    assert "Traceback" not in result.stderr and result.stdout.endswith("\n")
    lines = result.stdout.splitlines()
    heading = HEADING.fullmatch(lines[0])
    if result.returncode == 0:
        assert heading is None and len(lines) == 1
        return 0, []
    assert heading, result.stdout + result.stderr
    assert heading[1] == str(root / "feed" / "feed.xml") and int(heading[2]) == len(lines) - 1
    gaps = [line.removeprefix("  ") for line in lines[1:]]
    assert all(line.startswith("  ") and line.endswith(".") for line in lines[1:])
    return result.returncode, gaps


def configure(root: Path, old: str, new: str) -> None:
    path = root / "podcast.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def tamper(root: Path, old: str, new: str, count: int = 1) -> None:
    """Change the published feed.xml (as a hand edit or another tool might)."""
    path = root / "feed" / "feed.xml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def rebuild(root: Path) -> str:
    """`podcast feed`: rewrite the feed from the store and the config; its log lines."""
    result = podcast("feed", cwd=root)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_a_complete_show_has_no_gaps(show):
    feed = feedparser.parse((show / "feed" / "feed.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == 1 and feed.feed.publisher_detail.email == "team@example.com"
    result = podcast("feed", "--check", cwd=show)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        f"{show / 'feed' / 'feed.xml'} meets Apple Podcasts' and Spotify's requirements: no gaps (1 episode listed)."]
    assert result.stderr == ""


def test_a_show_without_email_is_warned_about_once_and_the_gap_listed(show):
    configure(show, EMAIL, "")
    # `podcast feed` says so in one line, the words `podcast run` uses
    assert [line for line in rebuild(show).splitlines() if "email" in line] == [NO_OWNER_EMAIL]
    assert "itunes:email" not in (show / "feed" / "feed.xml").read_text(encoding="utf-8")
    code, gaps = check(show)
    assert code == 1
    assert gaps == ["owner e-mail (Apple, Spotify): itunes:owner has no itunes:email, so neither can send the e-mail "
                    "that verifies who owns the show; set [show] email and run `podcast feed`."]
    # fixed as it says: no gap
    configure(show, '[show]\n', f'[show]\n{EMAIL}')
    assert "email" not in rebuild(show)
    assert check(show) == (0, [])


def small_image(path: Path, size: tuple[int, int], format: str = "PNG", mode: str = "RGB") -> Path:
    Image.new(mode, size, (200, 40, 40) if mode == "RGB" else (200, 40, 40, 100)).save(path, format=format)
    return path


def test_artwork_too_small_in_the_config(show):
    small_image(show / "small.png", (600, 600))
    configure(show, "[show]\n", '[show]\nartwork = "small.png"\n')
    code, gaps = check(show)
    assert code == 1
    assert gaps == [f"artwork size (Apple): [show] artwork {show / 'small.png'} is 600x600 px; it must be 1400 to "
                    "3000 px square; set [show] artwork to a square PNG or JPEG of 1400 to 3000 px in RGB (or leave "
                    "it unset for the drawn cover)."]
    # an image that breaks every rule: each one named
    small_image(show / "small.png", (700, 500), mode="RGBA")
    code, gaps = check(show)
    assert [gap.split(" (")[0] for gap in gaps] == ["square artwork", "artwork size", "artwork colour space"]
    assert "is 700x500 px; it must be square" in gaps[0] and "RGBA with transparency" in gaps[2]


def test_the_published_cover_is_read_as_it_is(show):
    """The cover the feed names, as the directories fetch it: here replaced by a small JPEG under its .png name."""
    (cover,) = (show / "feed").glob("cover-*.png")
    small_image(cover, (1000, 1000), "JPEG")
    url = f"https://podcast.example.com/ai/{cover.name}"
    code, gaps = check(show)
    assert code == 1
    assert gaps[0].startswith(f"artwork size (Apple): the cover {url} is 1000x1000 px; it must be 1400 to 3000 px "
                              "square; run `podcast feed` to write the feed again with a cover that fits")
    assert gaps[1] == (f"artwork file name (Apple): the cover {url} is image/jpeg under a .png extension; "
                       "run `podcast feed` to write the feed again.")
    assert len(gaps) == 2


def test_a_description_longer_than_4000_bytes(show):
    configure(show, "[show]\n", '[show]\ndescription = "' + "Papers, read aloud. " * 200 + 'x"\n')
    rebuild(show)
    code, gaps = check(show)
    assert code == 1
    assert gaps == ["show description length (Apple): the description is 4,001 bytes (4,001 characters), more than "
                    "the 4,000 bytes allowed; shorten [show] description to at most 4,000 bytes (a Chinese character "
                    "takes 3) and run `podcast feed`."]
    # Apple counts bytes: 1,334 Chinese characters are 4,002 of them
    configure(show, "Papers, read aloud. " * 200 + "x", "论文" * 667)
    rebuild(show)
    assert check(show)[1][0].startswith("show description length (Apple): the description is 4,002 bytes (1,334 "
                                        "characters)")


def test_an_item_without_its_episode_number(show):
    tamper(show, "<itunes:episode>1</itunes:episode>", "")
    title = feedparser.parse((show / "feed" / "feed.xml").read_bytes()).entries[0].title
    code, gaps = check(show)
    assert code == 1
    assert gaps == [f'episode number (Apple): 1 episode of 1: "{title}" has no itunes:episode; run `podcast feed` '
                    "to write the feed again."]
    # a bonus episode (a recap) goes without a number
    tamper(show, "<itunes:episodeType>full</itunes:episodeType>", "<itunes:episodeType>bonus</itunes:episodeType>")
    assert check(show) == (0, [])


def test_nothing_published_yet_is_one_line(tmp_path):
    (tmp_path / "podcast.toml").write_text(COMPLETE, encoding="utf-8")
    result = podcast("feed", "--check", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"podcast: error: {tmp_path / 'feed' / 'feed.xml'}: no feed to check: nothing is published yet "
        "(`podcast run` publishes the first episode)"]
    assert not (tmp_path / "feed").exists() and not (tmp_path / ".podcast").exists()  # nothing made


def gaps_of(root: Path) -> list[str]:
    """The check in this process, on the same files: for the rarer gaps."""
    return [str(gap) for gap in check_site(load_config(root / "podcast.toml", root)).gaps]


@pytest.mark.parametrize(
    ("old", "new", "count", "gap"),
    [
        ("<itunes:explicit>false</itunes:explicit>\n    <itunes:category", "<itunes:category", 1,
         "explicit flag (Apple): the channel has no itunes:explicit; run `podcast feed`"),
        ('<itunes:category text="Technology" />', '<itunes:category text="Tech" />', 1,
         'category (Apple): itunes:category "Tech" is not one of Apple\'s; run `podcast feed`'),
        ('<itunes:category text="Technology" />', "", 1, "category (Apple): the channel has no itunes:category"),
        ('<itunes:category text="Technology" />',
         '<itunes:category text="Science"><itunes:category text="Robots" /></itunes:category>', 1,
         'category (Apple): "Robots" is not one of Apple\'s subcategories of "Science"'),
        ("<language>zh-cn</language>", "<language>Chinese</language>", 1,
         'show language (Apple): <language> is "Chinese", not a language code; set [show] language'),
        ("<itunes:author>podcast</itunes:author>\n    <itunes:summary>", "<itunes:summary>", 1,
         "show author (Apple): the channel has no itunes:author; set [show] author"),
        ('type="audio/mpeg"', 'type="audio/wav"', 1,
         'enclosure type (Apple, Spotify): 1 episode of 1: "'),
        ("https://podcast.example.com/ai/", "http://192.168.1.20:8000/", None,
         "public address (Apple, Spotify): the feed's address is http://192.168.1.20:8000/feed.xml, which no "
         "directory can reach; set [publish] base_url"),
    ],
)
def test_each_rarer_gap_of_a_tampered_feed(show, old, new, count, gap):
    path = show / "feed" / "feed.xml"
    tamper(show, old, new, count if count is not None else path.read_text(encoding="utf-8").count(old))
    found = gaps_of(show)
    assert [g for g in found if g.startswith(gap)], found
    if "public address" in gap:  # the files are no longer under base_url either
        assert any(g.startswith("episode file (Apple, Spotify): 1 episode of 1:") for g in found)
    else:
        assert len(found) == 1, found


def test_a_second_copy_of_an_episode_shares_its_guid_number_and_file(show):
    path = show / "feed" / "feed.xml"
    text = path.read_text(encoding="utf-8")
    item = text[text.index("<item>"):text.index("</item>") + len("</item>")]
    path.write_text(text.replace(item, item + "\n    " + item), encoding="utf-8")
    requirements = [gap.split(" (")[0] for gap in gaps_of(show)]
    assert requirements == ["unique enclosure URL", "unique episode guid", "unique episode number"]


def test_a_changed_episode_file_and_a_bad_date(show):
    (mp3,) = (show / "feed" / "episodes").glob("*.mp3")
    size = mp3.stat().st_size
    with mp3.open("ab") as out:
        out.write(b"\0" * 10)
    tamper(show, re.search(r"<pubDate>[^<]+</pubDate>", (show / "feed" / "feed.xml").read_text()).group(),
           "<pubDate>2026-11-21 09:30</pubDate>")
    found = gaps_of(show)
    assert len(found) == 2
    assert re.fullmatch(rf'enclosure length \(Apple, Spotify\): 1 episode of 1: ".+" says {size:,} bytes, the file '
                        rf"has {size + 10:,}; republish the episode \(`podcast run --force` for its day\): published "
                        "files never change", found[0])
    assert re.fullmatch(r'episode pubDate \(Apple\): 1 episode of 1: ".+" has "2026-11-21 09:30"; run `podcast feed` '
                        "to write the feed again", found[1])


def test_a_feed_that_is_not_xml(show):
    (show / "feed" / "feed.xml").write_text("<rss><channel><title>cut off", encoding="utf-8")
    (gap,) = gaps_of(show)
    assert gap.startswith("well-formed RSS 2.0 (Apple, Spotify): the feed is not well-formed XML (")
