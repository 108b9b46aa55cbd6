"""Stage 6, publish: the episode's files, then the feed and the show page, onto a target.

Episode files are added under new names only, never rewritten (a podcast app may be half-way
through downloading them); the feed and page are replaced atomically. A target backend
subclasses :class:`PublishTarget` and registers in :data:`TARGETS`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from ..config import PublishConfig, ShowConfig
from ..i18n import counted
from ..models import Episode
from ..registry import Registry
from .feed import render_feed
from .page import render_page

log = logging.getLogger(__name__)

FEED_NAME = "feed.xml"
PAGE_NAME = "index.html"
EPISODES_DIR = "episodes"
EPISODE_FILES = (".mp3", ".txt", ".vtt", ".srt", ".chapters.json")  # what an episode publishes under one stem


class PublishTarget(ABC):
    name: ClassVar[str]

    def __init__(self, config: PublishConfig) -> None:
        self.config = config

    @abstractmethod
    def exists(self, name: str) -> bool:
        """Whether ``name`` (a relative path such as episodes/x.mp3) is already published."""

    @abstractmethod
    def add(self, name: str, source: Path | bytes) -> None:
        """Publish a new file; raises PublishError if ``name`` exists: published bytes never change."""

    @abstractmethod
    def replace(self, name: str, data: bytes) -> None:
        """Publish ``data`` as ``name``, atomically replacing what was there."""

    @abstractmethod
    def location(self, name: str) -> str:
        """Where a person finds ``name`` (a local path or a URL), for messages."""

    def url(self, name: str) -> str:
        return self.config.base_url + quote(name)


TARGETS: Registry[type[PublishTarget]] = Registry("publish target")


def open_target(config: PublishConfig) -> PublishTarget:
    return TARGETS.get(config.target)(config)


def free_stem(target: PublishTarget, day: str, revision: int) -> str:
    """``episodes/<day>`` for the first take, ``episodes/<day>-r2`` and on for rebuilds,
    skipping any name that is already taken."""
    while True:
        stem = f"{EPISODES_DIR}/{day}" + (f"-r{revision}" if revision > 1 else "")
        if not any(target.exists(stem + suffix) for suffix in EPISODE_FILES):
            return stem
        revision += 1


def publish_site(target: PublishTarget, show: ShowConfig, episodes: Sequence[Episode], now: datetime) -> None:
    """Write the feed and the page for ``episodes`` (newest first)."""
    target.replace(FEED_NAME, render_feed(show, episodes, target.url, target.url(FEED_NAME), now))
    target.replace(PAGE_NAME, render_page(show, episodes))
    log.info("Updated the feed and the page with %s.", counted(len(episodes), "episode"))


from . import folder as _folder  # noqa: E402,F401  (registers the built-in backends)
