"""The state database (SQLite): every published episode and which papers went out on which day.

It is what makes papers never repeat, makes a second run on the same day reuse its episode, and
lets the feed be rebuilt from scratch.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

from .errors import StoreError
from .models import Chapter, Episode, Paper, Recap, ShowNotes

SCHEMA_VERSION = 8
_SCHEMA_1 = """
CREATE TABLE episodes (
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
CREATE TABLE broadcasts (
    paper_id TEXT NOT NULL,
    day TEXT NOT NULL REFERENCES episodes(day) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (paper_id, day)
);
CREATE INDEX broadcasts_by_paper ON broadcasts(paper_id);
"""
_SCHEMA_2 = """
CREATE TABLE candidates (
    paper_id TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    paper TEXT NOT NULL
);
CREATE INDEX candidates_by_last_seen ON candidates(last_seen);
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
CREATE TABLE runs (
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
CREATE TABLE recaps (
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
# version → what brings the previous one to it
_MIGRATIONS = {1: _SCHEMA_1, 2: _SCHEMA_2, 3: _SCHEMA_3, 4: _SCHEMA_4, 5: _SCHEMA_5, 6: _SCHEMA_6, 7: _SCHEMA_7,
               8: _SCHEMA_8}
KEEP_RUNS = 500  # the run log keeps this many of the latest


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
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: made by a newer version of podcast (schema {version})")
        for step in range(version + 1, SCHEMA_VERSION + 1):
            with self._db:
                self._db.executescript(_MIGRATIONS[step])
                self._db.execute(f"PRAGMA user_version = {step}")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: state database error: {exc}") from exc

    def episode(self, day: date) -> Episode | None:
        with self._errors():
            row = self._db.execute("SELECT * FROM episodes WHERE day = ?", (day.isoformat(),)).fetchone()
            return _episode(row) if row else None

    def episodes(self) -> list[Episode]:
        """All episodes, newest first."""
        with self._errors():
            rows = self._db.execute("SELECT * FROM episodes ORDER BY day DESC").fetchall()
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
                [(p.id, day.isoformat(), day.isoformat(), json.dumps(p.to_dict(), ensure_ascii=False))
                 for p in papers],
            )

    def backlog(self, since: date, until: date) -> list[Paper]:
        """Papers the sources offered between ``since`` and ``until`` (inclusive), latest first;
        selection leaves out those already broadcast."""
        with self._errors():
            rows = self._db.execute(
                "SELECT paper FROM candidates WHERE last_seen BETWEEN ? AND ? ORDER BY last_seen DESC",
                (since.isoformat(), until.isoformat()),
            )
            return [Paper.from_dict(json.loads(row["paper"])) for row in rows]

    def save_episode(self, episode: Episode) -> None:
        """Record ``episode`` and its papers, replacing an earlier one of the same day."""
        day = episode.date.isoformat()
        with self._errors(), self._db:
            self._db.execute("DELETE FROM episodes WHERE day = ?", (day,))
            self._insert("episodes", _columns(episode))
            self._db.executemany(
                "INSERT INTO broadcasts VALUES (?, ?, ?)",
                [(paper.id, day, position) for position, paper in enumerate(episode.papers, start=1)],
            )

    def recap(self, week: str) -> Episode | None:
        with self._errors():
            row = self._db.execute("SELECT * FROM recaps WHERE week = ?", (week,)).fetchone()
            return _episode(row) if row else None

    def recaps(self) -> list[Episode]:
        """All weekly recaps, newest first."""
        with self._errors():
            return [_episode(row) for row in self._db.execute("SELECT * FROM recaps ORDER BY week DESC")]

    def save_recap(self, episode: Episode) -> None:
        """Record a weekly recap, replacing an earlier one of the same week (its papers stay
        as broadcast as they were)."""
        assert episode.recap is not None
        with self._errors(), self._db:
            self._db.execute("DELETE FROM recaps WHERE week = ?", (episode.recap.week,))
            self._insert("recaps", {"week": episode.recap.week, **_columns(episode),
                                    "recap": json.dumps(episode.recap.to_dict(), ensure_ascii=False)})

    def _insert(self, table: str, columns: dict[str, object]) -> None:
        self._db.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                         tuple(columns.values()))

    def mark_removed(self, episodes: Sequence[Episode]) -> None:
        """Record that these episodes' files were removed (they stay in the store: the papers
        stay broadcast and the episode numbers stay as they were)."""
        with self._errors(), self._db:
            for episode in episodes:
                table, key = ("recaps", "week") if episode.recap else ("episodes", "day")
                self._db.execute(f"UPDATE {table} SET removed = 1 WHERE {key} = ?", (episode.key,))

    def record_run(self, run: Run) -> None:
        with self._errors(), self._db:
            self._db.execute("INSERT INTO runs (day, started, finished, outcome, message) VALUES (?, ?, ?, ?, ?)",
                             (run.day.isoformat(), run.started.isoformat(), run.finished.isoformat(), run.outcome,
                              run.message))
            self._db.execute("DELETE FROM runs WHERE id <= (SELECT MAX(id) FROM runs) - ?", (KEEP_RUNS,))

    def last_run(self, outcome: str | None = None) -> Run | None:
        """The latest build attempt (with that ``outcome``)."""
        with self._errors():
            row = self._db.execute(
                "SELECT * FROM runs" + (" WHERE outcome = ?" if outcome else "") + " ORDER BY id DESC LIMIT 1",
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
    """The columns daily episodes and recaps share."""
    return {
        "day": episode.date.isoformat(), "guid": episode.guid, "revision": episode.revision,
        "title": episode.title, "language": episode.language, "audio_name": episode.audio_name,
        "audio_bytes": episode.audio_bytes, "duration": episode.duration,
        "transcript_name": episode.transcript_name,
        "chapters": json.dumps([[c.title, c.start, c.end] for c in episode.chapters], ensure_ascii=False),
        "papers": json.dumps([p.to_dict() for p in episode.papers], ensure_ascii=False),
        "published_at": episode.published_at.isoformat(),
        "notes": json.dumps({k: n.to_dict() for k, n in episode.notes.items()}, ensure_ascii=False),
        "usage": json.dumps(episode.usage),
        "captions": json.dumps(list(episode.captions)),
        "voice_note": episode.voice_note,
        "chapters_name": episode.chapters_name,
        "page_name": episode.page_name,
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
        recap=Recap.from_dict(json.loads(data["recap"])) if "recap" in data.keys() else None,
    )
