"""The state folder: the database (SQLite) of every published episode, of every kind, of
which papers went out on which day and of the team's ratings; and the OS locks that keep one
build (and one scheduling daemon) per show.

The database is what makes papers never repeat, makes a second run on the same day reuse its
episode, and lets the feed be rebuilt from scratch.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from types import TracebackType
from typing import TextIO

from .errors import Busy, StoreError
from .models import (
    RATED_DOWN,
    RATED_UP,
    Chapter,
    Episode,
    Host,
    Paper,
    Recap,
    Reference,
    ShowNotes,
)

log = logging.getLogger(__name__)

STORE_NAME = "podcast.db"
SCHEMA_VERSION = 11
_SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS episodes (
    day TEXT PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE,
    revision INTEGER NOT NULL,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    audio_name TEXT NOT NULL,
    audio_bytes INTEGER NOT NULL,
    duration REAL NOT NULL,
    transcript_name TEXT NOT NULL,
    chapters TEXT NOT NULL,
    papers TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS broadcasts (
    paper_id TEXT NOT NULL,
    day TEXT NOT NULL REFERENCES episodes(day) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (paper_id, day)
);
CREATE INDEX IF NOT EXISTS broadcasts_by_paper ON broadcasts(paper_id);
"""
_SCHEMA_2 = """
CREATE TABLE IF NOT EXISTS candidates (
    paper_id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    paper TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS candidates_by_last_seen ON candidates(last_seen);
"""
_SCHEMA_3 = """
ALTER TABLE episodes ADD COLUMN notes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE episodes ADD COLUMN usage TEXT NOT NULL DEFAULT '{}';
"""
_SCHEMA_4 = """
ALTER TABLE episodes ADD COLUMN captions TEXT NOT NULL DEFAULT '[]';
ALTER TABLE episodes ADD COLUMN voice_note TEXT NOT NULL DEFAULT '';
"""
_SCHEMA_5 = """
ALTER TABLE episodes ADD COLUMN chapters_name TEXT NOT NULL DEFAULT '';
"""
_SCHEMA_6 = """
ALTER TABLE episodes ADD COLUMN page_name TEXT NOT NULL DEFAULT '';
ALTER TABLE episodes ADD COLUMN removed INTEGER NOT NULL DEFAULT 0;
"""
_SCHEMA_7 = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL
);
"""
# Weekly recaps: episodes of their own, keyed by ISO week; their papers were broadcast already.
_SCHEMA_8 = """
CREATE TABLE IF NOT EXISTS recaps (
    week TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    guid TEXT NOT NULL UNIQUE,
    revision INTEGER NOT NULL,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    audio_name TEXT NOT NULL,
    audio_bytes INTEGER NOT NULL,
    duration REAL NOT NULL,
    transcript_name TEXT NOT NULL,
    chapters TEXT NOT NULL,
    papers TEXT NOT NULL,
    published_at TEXT NOT NULL,
    notes TEXT NOT NULL,
    usage TEXT NOT NULL,
    captions TEXT NOT NULL,
    voice_note TEXT NOT NULL,
    chapters_name TEXT NOT NULL,
    page_name TEXT NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    recap TEXT NOT NULL
);
"""
# One table for the episodes of every kind, keyed by day ("2026-11-21") or ISO week ("2026-W47"),
# with the recap's themes on a recap. Both kinds move over as they were; the run log and the
# candidates stay. Only daily episodes broadcast papers.
_COLUMNS = ("guid, revision, title, language, audio_name, audio_bytes, duration, transcript_name, "
            "chapters, papers, published_at, notes, usage, captions, voice_note, chapters_name, "
            "page_name, removed")
_SCHEMA_9 = f"""
CREATE TABLE IF NOT EXISTS episodes_9 (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('daily', 'recap')),
    day TEXT NOT NULL,
    guid TEXT NOT NULL UNIQUE,
    revision INTEGER NOT NULL,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    audio_name TEXT NOT NULL,
    audio_bytes INTEGER NOT NULL,
    duration REAL NOT NULL,
    transcript_name TEXT NOT NULL,
    chapters TEXT NOT NULL,
    papers TEXT NOT NULL,
    published_at TEXT NOT NULL,
    notes TEXT NOT NULL,
    usage TEXT NOT NULL,
    captions TEXT NOT NULL,
    voice_note TEXT NOT NULL,
    chapters_name TEXT NOT NULL,
    page_name TEXT NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    recap TEXT
);
INSERT INTO episodes_9 (key, kind, day, {_COLUMNS}, recap)
    SELECT day, 'daily', day, {_COLUMNS}, NULL FROM episodes;
INSERT INTO episodes_9 (key, kind, day, {_COLUMNS}, recap)
    SELECT week, 'recap', day, {_COLUMNS}, recap FROM recaps;
CREATE TABLE IF NOT EXISTS broadcasts_9 (
    paper_id TEXT NOT NULL,
    day TEXT NOT NULL REFERENCES episodes(key) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (paper_id, day)
);
INSERT INTO broadcasts_9 SELECT paper_id, day, position FROM broadcasts;
DROP TABLE broadcasts;
DROP TABLE episodes;
DROP TABLE recaps;
ALTER TABLE episodes_9 RENAME TO episodes;
ALTER TABLE broadcasts_9 RENAME TO broadcasts;
CREATE INDEX IF NOT EXISTS broadcasts_by_paper ON broadcasts(paper_id);
CREATE INDEX IF NOT EXISTS episodes_by_kind ON episodes(kind, published_at);
"""
# The team's ratings, one per paper (the latest wins), with the paper's title and abstract: what
# ranking compares the day's candidates with, even once the paper is no longer a candidate.
_SCHEMA_10 = """
CREATE TABLE IF NOT EXISTS ratings (
    paper_id TEXT PRIMARY KEY,
    vote INTEGER NOT NULL CHECK (vote IN (1, -1)),
    rated_at TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL
);
"""
# An episode's format (models.FORMATS) and, in a conversation, its hosts: [[name, role], ...].
_SCHEMA_11 = """
ALTER TABLE episodes ADD COLUMN format TEXT NOT NULL DEFAULT 'broadcast';
ALTER TABLE episodes ADD COLUMN hosts TEXT NOT NULL DEFAULT '[]';
"""
# version → what brings the previous one to it
_MIGRATIONS = {1: _SCHEMA_1, 2: _SCHEMA_2, 3: _SCHEMA_3, 4: _SCHEMA_4, 5: _SCHEMA_5, 6: _SCHEMA_6,
               7: _SCHEMA_7, 8: _SCHEMA_8, 9: _SCHEMA_9, 10: _SCHEMA_10, 11: _SCHEMA_11}
_ADD_COLUMN = re.compile(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", re.IGNORECASE)
KEEP_RUNS = 500  # the run log keeps this many of the latest


def open_store(state_dir: Path) -> Store:
    """The show's state database in its state folder, created or migrated as needed."""
    return Store(state_dir / STORE_NAME)


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{path}: cannot open the state database: {exc}") from exc
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except (sqlite3.Error, StoreError) as exc:
            self._db.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{path}: cannot open the state database: {exc}") from exc

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        # The whole way to the latest version is one IMMEDIATE transaction: any number of
        # processes (or threads) opening the store at once, even the very first time, queue
        # here (the busy timeout), and each finds the version again inside it: the first one
        # migrates, the others find nothing left to do. A migration killed half-way leaves the
        # database as it was. Tables are rebuilt with their rows: foreign keys stay off until
        # the new ones stand (dropping the old episodes would otherwise delete every broadcast).
        self._db.execute("PRAGMA foreign_keys = OFF")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for step in range(self._version() + 1, SCHEMA_VERSION + 1):
                    for statement in _statements(_MIGRATIONS[step]):
                        if not self._has_column(statement):
                            self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()
        finally:
            self._db.execute("PRAGMA foreign_keys = ON")

    def _version(self) -> int:
        (version,) = self._db.execute("PRAGMA user_version").fetchall()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: made by a newer version of podcast (schema {version})")
        return int(version)

    def _has_column(self, statement: str) -> bool:
        """Whether ``statement`` adds a column the table has already (migrations are
        idempotent: CREATE … IF NOT EXISTS, and an ADD COLUMN only where it is missing)."""
        added = _ADD_COLUMN.match(statement)
        if added is None:
            return False
        table, column = added.groups()
        rows = self._db.execute(f"PRAGMA table_info({table})").fetchall()
        return any(row["name"] == column for row in rows)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: state database error: {exc}") from exc

    def episode(self, key: date | str) -> Episode | None:
        """The episode of a day (a date or "2026-11-21") or a recap's week ("2026-W47")."""
        with self._errors():
            row = self._db.execute("SELECT * FROM episodes WHERE key = ?", (str(key),)).fetchone()
            return _episode(row) if row else None

    def episodes(self, kind: str | None = None) -> list[Episode]:
        """All episodes (of one ``kind``: "daily" or "recap"), the latest published first."""
        with self._errors():
            rows = self._db.execute(
                "SELECT * FROM episodes" + (" WHERE kind = ?" if kind else "")
                + " ORDER BY published_at DESC, key DESC",
                (kind,) if kind else ()).fetchall()
            return [_episode(row) for row in rows]

    def broadcast_ids(self, other_than: date | None = None) -> set[str]:
        """Ids of papers already broadcast, except on ``other_than`` (a day being rebuilt)."""
        with self._errors():
            rows = self._db.execute(
                "SELECT paper_id FROM broadcasts WHERE day != ?",
                (other_than.isoformat() if other_than else "",),
            )
            return {row["paper_id"] for row in rows}

    def remember_candidates(self, day: date, papers: Sequence[Paper]) -> None:
        """Keep what the sources offered on ``day``, for days when they offer nothing new."""
        with self._errors(), self._db:
            self._db.executemany(
                "INSERT INTO candidates VALUES (?, ?, ?, ?) ON CONFLICT(paper_id) DO UPDATE SET"
                " last_seen = max(last_seen, excluded.last_seen), paper = excluded.paper",
                [(p.id, day.isoformat(), day.isoformat(),
                  json.dumps(p.to_dict(), ensure_ascii=False)) for p in papers],
            )

    def backlog(self, since: date, until: date) -> list[Paper]:
        """Papers the sources offered between ``since`` and ``until`` (inclusive), latest first;
        selection leaves out those already broadcast."""
        with self._errors():
            rows = self._db.execute(
                "SELECT paper FROM candidates WHERE last_seen BETWEEN ? AND ?"
                " ORDER BY last_seen DESC",
                (since.isoformat(), until.isoformat()),
            )
            return [Paper.from_dict(json.loads(row["paper"])) for row in rows]

    def save_episode(self, episode: Episode) -> None:
        """Record ``episode``, replacing an earlier one of the same day or week; a daily
        episode's papers count as broadcast on its day (a recap's were already)."""
        with self._errors(), self._db:
            self._db.execute("DELETE FROM episodes WHERE key = ?", (episode.key,))
            columns = {"key": episode.key, "kind": episode.kind, **_columns(episode)}
            self._db.execute(f"INSERT INTO episodes ({', '.join(columns)})"
                             f" VALUES ({', '.join('?' * len(columns))})", tuple(columns.values()))
            if episode.recap is None:
                self._db.executemany(
                    "INSERT INTO broadcasts VALUES (?, ?, ?)",
                    [(paper.id, episode.key, position)
                     for position, paper in enumerate(episode.papers, start=1)],
                )

    def mark_removed(self, episodes: Sequence[Episode]) -> None:
        """Record that these episodes' files were removed (they stay in the store: the papers
        stay broadcast and the episode numbers stay as they were)."""
        with self._errors(), self._db:
            self._db.executemany("UPDATE episodes SET removed = 1 WHERE key = ?",
                                 [(e.key,) for e in episodes])

    def paper(self, paper_id: str) -> Paper | None:
        """The paper of that (bare) id if the show has seen it: broadcast in an episode, offered
        by a source, or rated (its title and abstract kept with the rating); else None."""
        with self._errors():
            row = self._db.execute(
                "SELECT e.papers FROM broadcasts b JOIN episodes e ON e.key = b.day"
                " WHERE b.paper_id = ? ORDER BY b.day DESC LIMIT 1", (paper_id,)).fetchone()
            if row:
                found = [p for p in map(Paper.from_dict, json.loads(row["papers"]))
                         if p.id == paper_id]
                if found:
                    return found[0]
            row = self._db.execute("SELECT paper FROM candidates WHERE paper_id = ?",
                                   (paper_id,)).fetchone()
            if row:
                return Paper.from_dict(json.loads(row["paper"]))
            row = self._db.execute("SELECT * FROM ratings WHERE paper_id = ?",
                                   (paper_id,)).fetchone()
            return _rated(row).paper if row else None

    def rate(self, paper: Paper, vote: int, at: datetime) -> None:
        """Record the team's ``vote`` on ``paper`` (+1 up, -1 down) at ``at``, replacing any
        earlier one: the latest rating wins."""
        if vote not in (1, -1):
            raise ValueError(f"a vote is +1 or -1, not {vote!r}")
        with self._errors(), self._db:
            self._db.execute(
                "INSERT INTO ratings VALUES (?, ?, ?, ?, ?) ON CONFLICT(paper_id) DO UPDATE SET"
                " vote = excluded.vote, rated_at = excluded.rated_at, title = excluded.title,"
                " summary = excluded.summary",
                (paper.id, vote, at.isoformat(), paper.title, paper.summary))

    def unrate(self, paper_id: str) -> bool:
        """Forget the rating of that paper; whether there was one."""
        with self._errors(), self._db:
            return self._db.execute("DELETE FROM ratings WHERE paper_id = ?",
                                    (paper_id,)).rowcount > 0

    def references(self) -> list[Reference]:
        """The rated papers (kind RATED_UP or RATED_DOWN, ``added`` the day of the rating in the
        time zone it was made in), the latest rated first."""
        with self._errors():
            rows = self._db.execute(
                "SELECT * FROM ratings ORDER BY rated_at DESC, paper_id").fetchall()
        return [_rated(row) for row in rows]

    def record_run(self, run: Run) -> None:
        with self._errors(), self._db:
            self._db.execute("INSERT INTO runs (day, started, finished, outcome, message)"
                             " VALUES (?, ?, ?, ?, ?)",
                             (run.day.isoformat(), run.started.isoformat(),
                              run.finished.isoformat(), run.outcome, run.message))
            self._db.execute("DELETE FROM runs WHERE id <= (SELECT MAX(id) FROM runs) - ?",
                             (KEEP_RUNS,))

    def last_run(self, outcome: str | None = None) -> Run | None:
        """The latest build attempt (with that ``outcome``)."""
        with self._errors():
            row = self._db.execute(
                "SELECT * FROM runs" + (" WHERE outcome = ?" if outcome else "")
                + " ORDER BY id DESC LIMIT 1",
                (outcome,) if outcome else ()).fetchone()
        if not row:
            return None
        return Run(date.fromisoformat(row["day"]), datetime.fromisoformat(row["started"]),
                   datetime.fromisoformat(row["finished"]), row["outcome"], row["message"])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass(frozen=True)
class Run:
    """One attempt at a day's episode: published, reused, skipped, failed or interrupted."""

    day: date
    started: datetime
    finished: datetime
    outcome: str
    message: str = ""


def _columns(episode: Episode) -> dict[str, object]:
    return {
        "day": episode.date.isoformat(), "guid": episode.guid, "revision": episode.revision,
        "title": episode.title, "language": episode.language, "audio_name": episode.audio_name,
        "audio_bytes": episode.audio_bytes, "duration": episode.duration,
        "transcript_name": episode.transcript_name,
        "chapters": json.dumps([[c.title, c.start, c.end] for c in episode.chapters],
                               ensure_ascii=False),
        "papers": json.dumps([p.to_dict() for p in episode.papers], ensure_ascii=False),
        "published_at": episode.published_at.isoformat(),
        "notes": json.dumps({k: n.to_dict() for k, n in episode.notes.items()}, ensure_ascii=False),
        "usage": json.dumps(episode.usage),
        "captions": json.dumps(list(episode.captions)),
        "voice_note": episode.voice_note,
        "chapters_name": episode.chapters_name,
        "page_name": episode.page_name,
        "recap": json.dumps(episode.recap.to_dict(), ensure_ascii=False) if episode.recap else None,
        "format": episode.format,
        "hosts": json.dumps([[host.name, host.role] for host in episode.hosts], ensure_ascii=False),
    }


def _episode(data: sqlite3.Row) -> Episode:
    return Episode(
        date=date.fromisoformat(data["day"]),
        guid=data["guid"],
        title=data["title"],
        audio_name=data["audio_name"],
        audio_bytes=data["audio_bytes"],
        duration=data["duration"],
        transcript_name=data["transcript_name"],
        chapters=tuple(Chapter(t, s, e) for t, s, e in json.loads(data["chapters"])),
        papers=tuple(Paper.from_dict(p) for p in json.loads(data["papers"])),
        published_at=datetime.fromisoformat(data["published_at"]),
        revision=data["revision"],
        language=data["language"],
        notes={k: ShowNotes.from_dict(v) for k, v in json.loads(data["notes"]).items()},
        usage=json.loads(data["usage"]),
        captions=tuple(json.loads(data["captions"])),
        voice_note=data["voice_note"],
        chapters_name=data["chapters_name"],
        page_name=data["page_name"],
        removed=bool(data["removed"]),
        recap=Recap.from_dict(json.loads(data["recap"])) if data["recap"] else None,
        format=data["format"],
        hosts=tuple(Host(name, role) for name, role in json.loads(data["hosts"])),
    )


def _rated(row: sqlite3.Row) -> Reference:
    paper = Paper(id=row["paper_id"], title=row["title"], summary=row["summary"])
    return Reference(paper, RATED_UP if row["vote"] > 0 else RATED_DOWN,
                     datetime.fromisoformat(row["rated_at"]).date())


def _statements(script: str) -> list[str]:
    """The statements of a migration script, to run inside one transaction (executescript
    would commit first)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [statement for statement in statements if statement]


HOLDER_TIME = "%Y-%m-%d %H:%M:%S %z"  # when a lock's holder took it, in the holder's zone
_HOLDER = re.compile(r"(pid \d+ since )(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4})")


def _in_zone(note: str, zone: tzinfo | None) -> str:
    """A lock's note ("pid 123 since 2026-11-23 02:30:00 +0100") with its time in ``zone``
    ("... 09:30:00 +0800"): the holder may run in another zone than the reader."""
    found = _HOLDER.fullmatch(note)
    if zone is None or not found:
        return note
    since = datetime.strptime(found[2], HOLDER_TIME).astimezone(zone)
    return f"{found[1]}{since:{HOLDER_TIME}}"


class FileLock:
    """An exclusive OS lock (flock) on a file holding who has it. The OS releases it when the
    holder exits, however it exits: a killed build never leaves the show locked."""

    def __init__(self, path: Path, what: str) -> None:
        self.path, self.what = path, what
        self._file: TextIO | None = None

    def holder(self, zone: tzinfo | None = None) -> str | None:
        """Who holds the lock ("pid 123 since 2026-11-23 09:30:00 +0800"), the time in
        ``zone`` (the holder's own zone when None), or None when nobody does."""
        try:
            with self.path.open("r") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return _in_zone(probe.read().strip(), zone) or "another process"
                return None
        except FileNotFoundError:
            return None

    def acquire(self, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if not wait:
                handle.close()
                raise Busy(f"{self.path}: {self.what} is already running ({holder})") from None
            if on_wait:
                on_wait(holder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        note = f"pid {os.getpid()} since {datetime.now().astimezone():{HOLDER_TIME}}\n"
        # unbuffered: a note that cannot be written (a full disk) leaves nothing to flush later
        try:
            os.ftruncate(handle.fileno(), 0)
            os.write(handle.fileno(), note.encode())
        except OSError as exc:
            # the lock holds all the same; only `podcast status` misses who holds it
            log.debug("Could not note the holder in %s: %s", self.path, exc.strerror)
        self._file = handle
        return self

    def release(self) -> None:
        if self._file:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> FileLock:
        return self.acquire() if self._file is None else self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def build_lock(state_dir: Path) -> FileLock:
    """Held while an episode is built: by the daemon or by `podcast run`, never both."""
    return FileLock(state_dir / "build.lock", "a build of this show")


def daemon_lock(state_dir: Path) -> FileLock:
    """Held for the life of `podcast serve` with its schedule: one scheduler per show."""
    return FileLock(state_dir / "daemon.lock", "a scheduling `podcast serve` for this show")
