"""What every publish target is: a :class:`PublishTarget` registered in :data:`TARGETS`, and
the names, media types and cache headers of what a show publishes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from ..registry import Backend, NoOptions, Registry
from ..schema import between, check, http_url

FEED_NAME = "feed.xml"
PAGE_NAME = "index.html"
EPISODES_DIR = "episodes"

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


@dataclass(frozen=True)
class PublishConfig:
    """[publish]: the target and where its files are served from, plus the target's own keys."""

    #: a target's name ("folder", writing into ``dir``) or a URL naming one ("s3://bucket/prefix")
    target: str = "folder"
    dir: Path = Path("feed")
    base_url: str = field(default="http://localhost:8000/", metadata=check(http_url))
    #: how many of the newest episodes the feed and page list; older ones' files are removed
    keep_episodes: int | None = field(default=None, metadata=between(1, 100_000))
    #: the target's own Options, from the same table; not a key of its own
    options: Any = field(default=NoOptions(), metadata={"internal": True})

    @property
    def kind(self) -> str:
        """The target backend's name: the URL scheme of "s3://...", else the target itself."""
        return target_kind(self.target)


def target_kind(target: str) -> str:
    return target.split("://", 1)[0] if "://" in target else target


class PublishTarget(Backend, ABC):
    """Where the show is published. ``[publish] target`` names the backend (a name, or the
    scheme of a URL such as "s3://bucket/prefix"); the backend's own keys sit in [publish] too."""

    #: how [publish] target names one, for messages: "folder", "s3://bucket/prefix"
    example: ClassVar[str] = ""

    def __init__(self, config: PublishConfig) -> None:
        super().__init__(config.options)
        self.config = config

    @classmethod
    def check(cls, target: str) -> None:
        """Raise ValueError saying what is wrong when ``target`` cannot name a target of this
        kind."""

    @abstractmethod
    def exists(self, name: str) -> bool:
        """Whether ``name`` (a relative path such as episodes/x.mp3) is already published."""

    @abstractmethod
    def add(self, name: str, source: Path | bytes) -> None:
        """Publish a new file; raises PublishError if ``name`` exists: published bytes never
        change."""

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

    def sweep(self) -> None:
        """Remove what writes that never finished left (a build killed half-way). Called only
        under the show's build lock, when nothing else writes to the target."""

    @abstractmethod
    def location(self, name: str) -> str:
        """Where a person finds ``name`` (a local path or a URL), for messages."""

    def local_path(self, name: str) -> Path | None:
        """Where ``name`` is on this machine, for a target that keeps its files here."""
        return None

    def url(self, name: str) -> str:
        return published_url(self.config, name)


def published_url(config: PublishConfig, name: str) -> str:
    """Where podcast apps and browsers fetch ``name`` once published: under [publish] base_url,
    whatever the target (known without opening it: an S3 target's client asks for credentials).
    """
    return config.base_url + quote(name)


#: The targets that come with the program, each module imported when its target is asked for.
TARGETS: Registry[type[PublishTarget]] = Registry("publish target", {
    "folder": "podcast.publish.folder",
    "s3": "podcast.publish.s3",
})


def open_target(config: PublishConfig) -> PublishTarget:
    return TARGETS.get(config.kind)(config)


