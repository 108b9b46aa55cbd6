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

import json
import logging
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from ..errors import PublishError
from ..i18n import counted
from ..models import Episode, Host, ProducedAudio, ShowConfig
from ..speak.captions import render_chapters, render_html_transcript, render_srt, render_vtt
from .feed import render_feed
from .page import render_episode_page, render_page
from .site import Site, make_site
from .target import (
    EPISODES_DIR,
    FEED_NAME,
    PAGE_NAME,
    TARGETS,
    PublishConfig,
    PublishTarget,
    open_target,
)

__all__ = ["EPISODE_FILES", "FEED_NAME", "PAGE_NAME", "PENDING_NAME", "TARGETS", "EpisodeFiles",
           "PublishConfig", "PublishTarget", "Site", "clear_pending", "free_stem", "make_site",
           "note_pending", "open_target", "publish_cover", "publish_episode", "publish_site",
           "recover"]

log = logging.getLogger(__name__)

# in the state folder: what a build is publishing, until it is recorded
PENDING_NAME = "publishing.json"
# Every file an episode publishes under its stem: the one list of them.
EPISODE_FILES = (".mp3", ".txt", ".vtt", ".srt", ".chapters.json", ".transcript.html", ".html")


@dataclass(frozen=True)
class EpisodeFiles:
    """The names of an episode's files: ``<stem>`` and one of :data:`EPISODE_FILES` each."""

    stem: str  # "episodes/2026-11-21", "episodes/2026-W47-recap-r2"

    def name(self, suffix: str) -> str:
        assert suffix in EPISODE_FILES, suffix
        return self.stem + suffix

    def names(self) -> tuple[str, ...]:
        return tuple(self.stem + suffix for suffix in EPISODE_FILES)


def free_stem(target: PublishTarget, name: str, revision: int) -> str:
    """``episodes/<name>`` for the first take, ``episodes/<name>-r2`` and on for rebuilds,
    skipping any name that is already taken."""
    while True:
        stem = f"{EPISODES_DIR}/{name}" + (f"-r{revision}" if revision > 1 else "")
        if not any(target.exists(stem + suffix) for suffix in EPISODE_FILES):
            return stem
        revision += 1


def publish_cover(target: PublishTarget, show: ShowConfig, artwork: tuple[bytes, str],
                  frequency: tuple[str, str] | None = None, hosts: tuple[Host, ...] = ()) -> Site:
    """Publish the show's cover under a name made from its bytes and return the :class:`Site`
    it belongs to."""
    site = make_site(target.url, show, artwork, frequency, hosts)
    _add_cover(target, site)
    return site


def _add_cover(target: PublishTarget, site: Site) -> None:
    if not target.exists(site.cover):
        target.add(site.cover, site.cover_data)


def publish_episode(target: PublishTarget, site: Site, journal: Path, stem: str, record: Episode,
                    audio: ProducedAudio, transcript: str) -> Episode:
    """Add every file of an episode to ``target``: the MP3, the transcript as text, WebVTT, SRT
    and a web page, the chapters, and last the episode's page (after the show's cover it
    shows). Under the first free name for ``stem`` (a rebuild goes under "-r2"), each noted in
    ``journal`` before the first is added; ``stem`` is the day or "2026-W47-recap". Returns
    ``record`` with its files, size, duration and chapters."""
    files = EpisodeFiles(free_stem(target, stem, record.revision))
    note_pending(journal, files.names())
    title, language = record.title, record.language
    target.add(files.name(".mp3"), audio.path)
    target.add(files.name(".txt"), transcript.encode("utf-8"))
    target.add(files.name(".vtt"), render_vtt(audio.cues).encode("utf-8"))
    target.add(files.name(".srt"), render_srt(audio.cues, language).encode("utf-8"))
    target.add(files.name(".transcript.html"),
               render_html_transcript(audio.cues, audio.chapters, title, language).encode("utf-8"))
    target.add(files.name(".chapters.json"),
               render_chapters(audio.chapters, title, site.show.title).encode("utf-8"))
    episode = replace(
        record,
        audio_name=files.name(".mp3"),
        audio_bytes=audio.path.stat().st_size,
        duration=audio.duration,
        chapters=audio.chapters,
        transcript_name=files.name(".txt"),
        captions=(files.name(".vtt"), files.name(".srt"), files.name(".transcript.html")),
        chapters_name=files.name(".chapters.json"),
        page_name=files.name(".html"),
    )
    _add_cover(target, site)
    target.add(episode.page_name, render_episode_page(site, episode, audio.cues))
    log.info("Added the %d files of the episode to %s.", len(EPISODE_FILES),
             target.location(files.stem + "*"))
    return episode


def publish_site(
    target: PublishTarget, site: Site, episodes: Sequence[Episode], now: datetime
) -> list[Episode]:
    """Write the page and then the feed for ``episodes`` (every episode ever published, daily
    ones and recaps, newest first); with ``keep_episodes``, list the newest only and remove the
    files of older ones once the feed no longer names them. Returns the episodes whose files
    were removed."""
    keep = target.config.keep_episodes
    listed = [e for e in episodes if not e.removed][:keep]
    daily = [e for e in episodes if not e.recap]
    # numbers stay put when old ones go; recaps are bonus episodes, without one
    numbers = {e.key: len(daily) - i for i, e in enumerate(daily)}
    page = render_page(site, listed)
    feed = render_feed(site, [(numbers.get(e.key), e) for e in listed], now)
    target.replace_all([(PAGE_NAME, page), (FEED_NAME, feed)])
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
    orphans = [name for name in names
               if isinstance(name, str) and name.startswith(f"{EPISODES_DIR}/")
               and ".." not in name.split("/") and name not in recorded]
    try:
        orphans = [name for name in orphans if target.exists(name)]
        if orphans:
            target.remove(orphans)
            log.info("Removed %s that a build which stopped half-way had published without "
                     "recording its episode.", counted(len(orphans), "file"))
        target.sweep()
        for leftover in (journal, journal.with_name(journal.name + ".part")):
            leftover.unlink(missing_ok=True)
    except (PublishError, OSError) as exc:  # tidying up; the build itself can still succeed
        log.warning("Could not clear what a build that stopped half-way left: %s", exc)
