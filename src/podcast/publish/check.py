"""``podcast feed --check``: the published feed and the show's artwork against what Apple
Podcasts and Spotify require of a show before they list it.

The feed is read back from the publish folder and parsed as podcast directories parse it, the
cover the feed names and ``[show] artwork`` are opened as images, and each episode's enclosure
is compared with its file. Every gap is one :class:`Gap`: the requirement, who requires it,
what was found and how to fix it (the config key, or the command that rewrites the feed).
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ..errors import PublishError
from ..i18n import counted
from ..models import ShowConfig
from ..produce.artwork import MAX_SIZE, MIN_SIZE, ArtworkFault, inspect_artwork
from .feed import DESCRIPTION_BYTES, ITUNES
from .target import FEED_NAME, PublishTarget

APPLE, BOTH = "Apple", "Apple, Spotify"
REWRITE = "run `podcast feed` to write the feed again"
# Apple Podcasts' categories and their subcategories (Apple's list of 2024, as itunes:category
# text; "&" is written "&amp;" in the XML)
APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing",
                 "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health",
                         "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
                "Home & Garden", "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
             "Sports News", "Tech News"),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism",
                                "Religion", "Spirituality"),
    "Science": ("Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
                "Natural Sciences", "Nature", "Physics", "Social Sciences"),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel",
                          "Relationships"),
    "Sports": ("Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf",
               "Hockey", "Rugby", "Running", "Soccer", "Softball", "Swimming", "Tennis",
               "Volleyball", "Wilderness", "Wrestling"),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews",
                  "TV Reviews"),
}
# what Apple Podcasts plays, by enclosure type
MEDIA_TYPES = ("audio/mpeg", "audio/x-m4a", "audio/mp4", "video/mp4", "video/quicktime",
               "video/x-m4v")
_LANGUAGE = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*")
_ARTWORK_FIX = (f"set [show] artwork to a square PNG or JPEG of {MIN_SIZE} to {MAX_SIZE} px in "
                "RGB (or leave it unset for the drawn cover)")
# an artwork rule → the requirement's name and who has it
_ARTWORK_RULES = {
    "readable": ("artwork", BOTH), "format": ("artwork format", APPLE),
    "square": ("square artwork", BOTH), "size": ("artwork size", APPLE),
    "colour": ("artwork colour space", APPLE),
}
_NAMED = 3  # episodes named in a gap, before "and N more"


@dataclass(frozen=True)
class Gap:
    """A requirement the feed does not meet: its name, who requires it ("Apple" or "Apple,
    Spotify"), what was found and how to fix it."""

    requirement: str
    who: str
    found: str
    fix: str

    def __str__(self) -> str:
        return f"{self.requirement} ({self.who}): {self.found}; {self.fix}"


@dataclass(frozen=True)
class FeedCheck:
    """What ``podcast feed --check`` found: the feed read, its episodes and every gap."""

    feed: str  # where the feed was read
    episodes: int
    gaps: tuple[Gap, ...]


def check_feed(target: PublishTarget, show: ShowConfig) -> FeedCheck:
    """The published feed of ``target`` and the show's artwork against Apple's and Spotify's
    requirements. Raises PublishError when there is no feed to read."""
    path = target.local_path(FEED_NAME)
    if path is None:
        raise PublishError(f"{target.location(FEED_NAME)}: the check reads the feed from the "
                           f"publish folder, and [publish] target = \"{target.config.target}\" "
                           "keeps no files on this machine")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PublishError(f"{path}: no feed to check: nothing is published yet "
                           "(`podcast run` publishes the first episode)") from None
    except OSError as exc:
        raise PublishError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return FeedCheck(str(path), 0, (Gap("well-formed RSS 2.0", BOTH,
                                            f"the feed is not well-formed XML ({exc})", REWRITE),))
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        found = f"the document is <{root.tag}>, not <rss> with a <channel>"
        return FeedCheck(str(path), 0, (Gap("RSS 2.0", BOTH, found, REWRITE),))
    local = _Local(target)
    items = channel.findall("item")
    gaps = [*_channel(channel, show), *_artwork(channel, show, local), *_address(channel),
            *_items(items, local)]
    return FeedCheck(str(path), len(items), tuple(gaps))


class _Local:
    """The publish folder's file behind a URL the feed names, when it is under base_url."""

    def __init__(self, target: PublishTarget) -> None:
        self.target = target
        self.base = target.config.base_url

    def path(self, url: str) -> Path | None:
        if not url.startswith(self.base):
            return None
        name = unquote(url[len(self.base):].split("#")[0].split("?")[0])
        if not name or ".." in PurePosixPath(name).parts:
            return None
        return self.target.local_path(name)


def _text(parent: ET.Element, tag: str) -> str:
    return (parent.findtext(tag) or "").strip()


def _channel(channel: ET.Element, show: ShowConfig) -> Iterator[Gap]:
    if not _text(channel, "title"):
        yield Gap("show title", BOTH, "the channel has no <title>",
                  "set [show] title and run `podcast feed`")
    description = _text(channel, "description")
    size = len(description.encode("utf-8"))
    if not description:
        yield Gap("show description", BOTH, "the channel has no <description>",
                  "set [show] description and run `podcast feed`")
    elif size > DESCRIPTION_BYTES:
        yield Gap("show description length", APPLE,
                  f"the description is {size:,} bytes ({len(description):,} characters), more "
                  f"than the {DESCRIPTION_BYTES:,} bytes allowed",
                  f"shorten [show] description to at most {DESCRIPTION_BYTES:,} bytes (a Chinese "
                  "character takes 3) and run `podcast feed`")
    language = _text(channel, "language")
    if not _LANGUAGE.fullmatch(language):
        found = f'<language> is "{language}", not a language code' if language else "none"
        yield Gap("show language", APPLE, found, "set [show] language and run `podcast feed`")
    if not _text(channel, f"{{{ITUNES}}}author"):
        yield Gap("show author", APPLE, "the channel has no itunes:author",
                  "set [show] author and run `podcast feed`")
    yield from _category(channel)
    explicit = _text(channel, f"{{{ITUNES}}}explicit")
    if explicit not in ("true", "false"):
        found = (f'itunes:explicit is "{explicit}", not true or false' if explicit
                 else "the channel has no itunes:explicit")
        yield Gap("explicit flag", APPLE, found, REWRITE)
    owner = channel.find(f"{{{ITUNES}}}owner")
    if owner is None or not _text(owner, f"{{{ITUNES}}}email"):
        yield Gap("owner e-mail", BOTH, "itunes:owner has no itunes:email, so neither can "
                  "send the e-mail that verifies who owns the show",
                  "set [show] email and run `podcast feed`")
    if not channel.findall("item"):
        yield Gap("an episode", BOTH, "the feed lists no episode",
                  "`podcast run` publishes one")


def _category(channel: ET.Element) -> Iterator[Gap]:
    categories = channel.findall(f"{{{ITUNES}}}category")
    if not categories:
        yield Gap("category", APPLE, "the channel has no itunes:category", REWRITE)
    for category in categories:
        name = category.get("text", "")
        if name not in APPLE_CATEGORIES:
            yield Gap("category", APPLE, f'itunes:category "{name}" is not one of Apple\'s',
                      REWRITE)
            continue
        for sub in category.findall(f"{{{ITUNES}}}category"):
            if sub.get("text", "") not in APPLE_CATEGORIES[name]:
                yield Gap("category", APPLE, f'"{sub.get("text", "")}" is not one of Apple\'s '
                          f'subcategories of "{name}"', REWRITE)


def _artwork(channel: ET.Element, show: ShowConfig, local: _Local) -> Iterator[Gap]:
    """The cover the feed names, as published, then ``[show] artwork`` when it is another
    image: what the next build publishes."""
    image = channel.find(f"{{{ITUNES}}}image")
    href = image.get("href", "").strip() if image is not None else ""
    published = None
    if not href:
        yield Gap("artwork", BOTH, "the channel has no itunes:image", REWRITE)
    else:
        path = local.path(href)
        try:
            published = path.read_bytes() if path else None
        except OSError:
            published = None
        if published is None:
            yield Gap("artwork", BOTH, f"itunes:image names {href}, which is not in the publish "
                      "folder", REWRITE + " (it publishes the cover)")
        else:
            mime, faults = inspect_artwork(published)
            yield from _artwork_gaps(f"the cover {href}", faults, REWRITE + " with a cover that "
                                     "fits, " + _ARTWORK_FIX)
            suffix = PurePosixPath(urlsplit(href).path).suffix.lower()
            expected = {"image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}.get(mime or "")
            if expected and suffix not in expected:
                yield Gap("artwork file name", APPLE, f"the cover {href} is {mime} under a "
                          f"{suffix or 'missing'} extension", REWRITE)
    if show.artwork is not None:
        try:
            own = show.artwork.read_bytes()
        except OSError as exc:
            yield Gap("artwork", BOTH, f"[show] artwork {show.artwork}: {exc.strerror}",
                      _ARTWORK_FIX)
            return
        if own != published:
            _, faults = inspect_artwork(own)
            yield from _artwork_gaps(f"[show] artwork {show.artwork}", faults, _ARTWORK_FIX)


def _artwork_gaps(what: str, faults: Sequence[ArtworkFault], fix: str) -> Iterator[Gap]:
    for fault in faults:
        requirement, who = _ARTWORK_RULES[fault.rule]
        problem = fault.problem if fault.rule != "readable" else f"is {fault.problem}"
        yield Gap(requirement, who, f"{what} {problem}", fix)


def _address(channel: ET.Element) -> Iterator[Gap]:
    """The feed's own address: a directory fetches it, and every file, over the internet."""
    self_link = next((link.get("href", "") for link in channel.findall("{http://www.w3.org/2005/"
                      "Atom}link") if link.get("rel") == "self"), "") or _text(channel, "link")
    host = urlsplit(self_link).hostname or ""
    if self_link and _only_here(host):
        yield Gap("public address", BOTH, f"the feed's address is {self_link}, which no "
                  "directory can reach", "set [publish] base_url to the address listeners reach "
                  "and run `podcast feed`")


def _only_here(host: str) -> bool:
    """Whether ``host`` names this machine or a private network."""
    if host == "localhost" or host.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def _items(items: Sequence[ET.Element], local: _Local) -> Iterator[Gap]:
    """The episodes' gaps, one per requirement, naming the episodes that miss it."""
    found: dict[tuple[str, str, str], list[str]] = {}

    def miss(requirement: str, who: str, fix: str) -> Callable[[str], None]:
        return found.setdefault((requirement, who, fix), []).append

    guids = Counter(_text(item, "guid") for item in items)
    urls = Counter(_enclosure_url(item) for item in items)
    numbers = Counter(_text(item, f"{{{ITUNES}}}episode") for item in items)
    for index, item in enumerate(items, start=1):
        title = _text(item, "title")
        name = f'"{title}"' if title else f"item {index}"
        if not title:
            miss("episode title", BOTH, REWRITE)(f"{name} has none")
        enclosure = item.find("enclosure")
        if enclosure is None or not _enclosure_url(item):
            miss("enclosure", BOTH, REWRITE)(f"{name} has none")
        else:
            _enclosure(enclosure, name, urls, local, miss)
        guid = _text(item, "guid")
        if not guid:
            miss("episode guid", APPLE, REWRITE)(f"{name} has none")
        elif guids[guid] > 1:
            miss("unique episode guid", APPLE, REWRITE)(f"{name} shares {guid}")
        published = _text(item, "pubDate")
        if not _rfc2822(published):
            miss("episode pubDate", APPLE, REWRITE)(
                f'{name} has "{published}"' if published else f"{name} has none")
        number = _text(item, f"{{{ITUNES}}}episode")
        kind = _text(item, f"{{{ITUNES}}}episodeType") or "full"
        if not number:
            if kind == "full":  # a bonus or trailer episode goes without a number
                miss("episode number", APPLE, REWRITE)(f"{name} has no itunes:episode")
        elif not number.isdigit() or int(number) < 1:
            miss("episode number", APPLE, REWRITE)(f'{name} has itunes:episode "{number}"')
        elif numbers[number] > 1:
            miss("unique episode number", APPLE, REWRITE)(f"{name} shares number {number}")
        size = len(_text(item, "description").encode("utf-8"))
        if size > DESCRIPTION_BYTES:
            miss("episode description length", APPLE, REWRITE)(
                f"{name} has {size:,} bytes, more than {DESCRIPTION_BYTES:,}")
    for (requirement, who, fix), names in found.items():
        shown = ", ".join(names[:_NAMED]) + (f", and {len(names) - _NAMED} more"
                                             if len(names) > _NAMED else "")
        yield Gap(requirement, who, f"{counted(len(names), 'episode')} of {len(items)}: {shown}",
                  fix)


def _enclosure_url(item: ET.Element) -> str:
    enclosure = item.find("enclosure")
    return enclosure.get("url", "").strip() if enclosure is not None else ""


def _enclosure(enclosure: ET.Element, name: str, urls: Counter[str], local: _Local,
               miss: Callable[[str, str, str], Callable[[str], None]]) -> None:
    url, kind, length = (enclosure.get(key, "").strip() for key in ("url", "type", "length"))
    if kind not in MEDIA_TYPES:
        miss("enclosure type", BOTH, REWRITE)(f'{name} has type "{kind}"')
    if urls[url] > 1:
        miss("unique enclosure URL", APPLE, REWRITE)(f"{name} shares {url}")
    if not length.isdigit() or int(length) < 1:
        miss("enclosure length", BOTH, REWRITE)(f'{name} has length "{length}"')
        return
    path = local.path(url)
    if path is None:
        miss("episode file", BOTH, REWRITE)(f"{name}: {url} is not under [publish] base_url "
                                            f"{local.base}")
        return
    try:
        size = path.stat().st_size
    except OSError:
        miss("episode file", BOTH, "republish the episode (`podcast run --force` for its day)")(
            f"{name}: {url} is not in the publish folder")
        return
    if size != int(length):
        miss("enclosure length", BOTH, "republish the episode (`podcast run --force` for its "
             "day): published files never change")(
            f"{name} says {int(length):,} bytes, the file has {size:,}")


def _rfc2822(text: str) -> bool:
    try:
        parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return False
    return bool(text)
