"""What every page and the feed of a show share: the show, its published cover and its URLs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from ..models import Episode, Host, ShowConfig
from .target import FEED_NAME


@dataclass(frozen=True)
class Site:
    """What every page and the feed share: the show, its published cover and its URLs."""

    show: ShowConfig
    url_for: Callable[[str], str]  # a published name → its absolute URL
    cover: str  # the cover's published name
    cover_type: str
    frequency: tuple[str, str] | None = None  # podcast:updateFrequency: label, RFC 5545 rule
    # the cover's bytes, to publish
    cover_data: bytes = field(default=b"", repr=False, compare=False)
    hosts: tuple[Host, ...] = ()  # a conversation show's voices by name (podcast:person)

    @property
    def feed_url(self) -> str:
        return self.url_for(FEED_NAME)

    def download_name(self, episode: Episode) -> str:
        """A file name a person recognises in their downloads folder."""
        revision = f" r{episode.revision}" if episode.revision > 1 else ""
        name = f"{self.show.title} {episode.key}{revision}"
        return "".join("_" if c in '\\/:*?"<>|' or ord(c) < 32 else c for c in name) + ".mp3"


def make_site(url_for: Callable[[str], str], show: ShowConfig, artwork: tuple[bytes, str],
              frequency: tuple[str, str] | None = None, hosts: tuple[Host, ...] = ()) -> Site:
    """The show's :class:`Site`, its cover named after its bytes (a new cover is a new name: the
    old one's bytes never change); ``hosts``: a conversation show's voices by name."""
    data, mime = artwork
    suffix = ".png" if mime == "image/png" else ".jpg"
    name = f"cover-{hashlib.sha256(data).hexdigest()[:12]}{suffix}"
    return Site(show, url_for, name, mime, frequency, data, hosts)
