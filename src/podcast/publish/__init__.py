"""Stage 6, publish: the episode's files, then the show page and, last, the feed, onto a target.

Episode files are added under new names only, never rewritten (a podcast app may be half-way
through downloading them); the page and feed are replaced atomically, the feed last so that it
never names a file that is not there yet. A build notes the files it is about to add in the
state folder (:func:`note_pending`), so that if it stops before recording its episode (killed, a
full disk), the next build removes them (:func:`recover`): no feed or page ever named them. A
target backend subclasses :class:`PublishTarget` and registers in :data:`TARGETS` under the
scheme of ``[publish] target``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from ..config import PublishConfig, ShowConfig
from ..errors import PublishError
from ..i18n import counted
from ..models import Episode
from ..registry import Registry
from .feed import render_feed
from .page import render_page

log = logging.getLogger(__name__)

FEED_NAME = "feed.xml"
PAGE_NAME = "index.html"
EPISODES_DIR = "episodes"
PENDING_NAME = "publishing.json"  # in the state folder: what a build is publishing, until it is recorded
# what an episode publishes under one stem
EPISODE_FILES = (".mp3", ".txt", ".vtt", ".srt", ".chapters.json", ".transcript.html", ".html")

TYPES = {
    ".mp3": "audio/mpeg",
    ".xml": "application/rss+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
}
CORS = (".vtt", ".srt", ".json", ".txt", ".xml")  # read by web players on other origins
CHANGING = (FEED_NAME, PAGE_NAME)  # rewritten on every episode; every other name keeps its bytes


def media_type(name: str) -> str:
    return TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def cache_control(name: str) -> str:
    """Caches revalidate the feed and the page; every other published file never changes."""
    return "no-cache" if name in CHANGING else "public, max-age=31536000, immutable"


class PublishTarget(ABC):
    name: ClassVar[str]

    def __init__(self, config: PublishConfig) -> None:
        self.config = config

    @classmethod  # noqa: B027  (a default: most targets need no check)
    def check(cls, config: PublishConfig) -> None:
        """Raise ValueError saying what is wrong when ``config`` cannot name a target of this kind."""

    @abstractmethod
    def exists(self, name: str) -> bool:
        """Whether ``name`` (a relative path such as episodes/x.mp3) is already published."""

    @abstractmethod
    def add(self, name: str, source: Path | bytes) -> None:
        """Publish a new file; raises PublishError if ``name`` exists: published bytes never change."""

    @abstractmethod
    def replace(self, name: str, data: bytes) -> None:
        """Publish ``data`` as ``name``, atomically replacing what was there."""

    def replace_all(self, files: Sequence[tuple[str, bytes]]) -> None:
        """:meth:`replace` each (name, data) in order. A target that can writes them all before
        replacing any, so that a failure (a full disk) leaves every one as it was."""
        for name, data in files:
            self.replace(name, data)

    @abstractmethod
    def remove(self, names: Sequence[str]) -> None:
        """Delete these files; names already gone are no error."""

    def sweep(self) -> None:  # noqa: B027  (a default: most targets write nothing temporary)
        """Remove what writes that never finished left (a build killed half-way). Called only
        under the show's build lock, when nothing else writes to the target."""

    @abstractmethod
    def location(self, name: str) -> str:
        """Where a person finds ``name`` (a local path or a URL), for messages."""

    def url(self, name: str) -> str:
        return self.config.base_url + quote(name)


TARGETS: Registry[type[PublishTarget]] = Registry("publish target")


def open_target(config: PublishConfig) -> PublishTarget:
    return TARGETS.get(config.kind)(config)


def free_stem(target: PublishTarget, day: str, revision: int) -> str:
    """``episodes/<day>`` for the first take, ``episodes/<day>-r2`` and on for rebuilds,
    skipping any name that is already taken."""
    while True:
        stem = f"{EPISODES_DIR}/{day}" + (f"-r{revision}" if revision > 1 else "")
        if not any(target.exists(stem + suffix) for suffix in EPISODE_FILES):
            return stem
        revision += 1


@dataclass(frozen=True)
class Site:
    """What every page and the feed share: the show, its published cover and its URLs."""

    show: ShowConfig
    url_for: Callable[[str], str]  # a published name → its absolute URL
    cover: str  # the cover's published name
    cover_type: str
    frequency: tuple[str, str] | None = None  # podcast:updateFrequency: label, RFC 5545 rule

    @property
    def feed_url(self) -> str:
        return self.url_for(FEED_NAME)

    def download_name(self, episode: Episode) -> str:
        """A file name a person recognises in their downloads folder."""
        name = f"{self.show.title} {episode.key}" + (f" r{episode.revision}" if episode.revision > 1 else "")
        return "".join("_" if c in '\\/:*?"<>|' or ord(c) < 32 else c for c in name) + ".mp3"


def publish_cover(target: PublishTarget, show: ShowConfig, artwork: tuple[bytes, str],
                  frequency: tuple[str, str] | None = None) -> Site:
    """Publish the show's cover under a name made from its bytes (a new cover is a new name: the
    old one's bytes never change) and return the :class:`Site` it belongs to."""
    data, mime = artwork
    name = f"cover-{hashlib.sha256(data).hexdigest()[:12]}{'.png' if mime == 'image/png' else '.jpg'}"
    if not target.exists(name):
        target.add(name, data)
    return Site(show, target.url, name, mime, frequency)


def publish_site(target: PublishTarget, site: Site, episodes: Sequence[Episode], now: datetime) -> list[Episode]:
    """Write the page and then the feed for ``episodes`` (every episode ever published, daily
    ones and recaps, newest first); with ``keep_episodes``, list the newest only and remove the
    files of older ones once the feed no longer names them. Returns the episodes whose files
    were removed."""
    keep = target.config.keep_episodes
    listed = [e for e in episodes if not e.removed][:keep]
    daily = [e for e in episodes if not e.recap]
    numbers = {e.key: len(daily) - i for i, e in enumerate(daily)}  # stay put when old ones go; recaps are bonus
    target.replace_all([(PAGE_NAME, render_page(site, listed)),
                        (FEED_NAME, render_feed(site, [(numbers.get(e.key), e) for e in listed], now))])
    log.info("Updated the page and the feed with %s.", counted(len(listed), "episode"))
    shown = {e.key for e in listed}
    retired = [e for e in episodes if not e.removed and e.key not in shown]
    if retired:
        target.remove([name for episode in retired for name in episode.files])
        log.info("Removed the files of %s older than the newest %d (keep_episodes).",
                 counted(len(retired), "episode"), keep)
    return retired


def note_pending(journal: Path, names: Sequence[str]) -> None:
    """Write down, before the first of them is added, the files a build is about to publish; the
    build deletes the note once it has recorded the episode (:func:`clear_pending`)."""
    part = journal.with_name(journal.name + ".part")
    try:
        journal.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(json.dumps(list(names)), encoding="utf-8")
        os.replace(part, journal)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise PublishError(f"{journal}: cannot write: {exc.strerror}") from exc


def clear_pending(journal: Path) -> None:
    try:
        journal.unlink(missing_ok=True)
    except OSError as exc:  # harmless: the next build keeps every file the store records
        log.debug("Could not delete %s: %s", journal, exc.strerror)


def recover(target: PublishTarget, journal: Path, recorded: Collection[str]) -> None:
    """Undo what a build that stopped half-way (killed, or failed on a full disk) left on the
    target: the files it published without recording their episode, which no feed or page ever
    named, and half-written temporary files. Only under the show's build lock."""
    try:
        names = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        names = []
    except (OSError, ValueError) as exc:
        log.warning("Ignoring %s: %s", journal, exc)
        names = []
    orphans = [name for name in names if isinstance(name, str) and name.startswith(f"{EPISODES_DIR}/")
               and ".." not in name.split("/") and name not in recorded]
    try:
        orphans = [name for name in orphans if target.exists(name)]
        if orphans:
            target.remove(orphans)
            log.info("Removed %s that a build which stopped half-way had published without recording its "
                     "episode.", counted(len(orphans), "file"))
        target.sweep()
        for leftover in (journal, journal.with_name(journal.name + ".part")):
            leftover.unlink(missing_ok=True)
    except (PublishError, OSError) as exc:  # tidying up; the build itself can still succeed
        log.warning("Could not clear what a build that stopped half-way left: %s", exc)


from . import folder as _folder  # noqa: E402,F401  (registers the built-in backends)
from . import s3 as _s3  # noqa: E402,F401
