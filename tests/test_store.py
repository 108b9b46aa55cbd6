"""The state database: older versions are upgraded in place, newer ones refused."""

import sqlite3
from contextlib import closing
from datetime import date

import pytest

from podcast.errors import StoreError
from podcast.models import Paper
from podcast.store import _SCHEMA_1, SCHEMA_VERSION, Store


def test_a_first_version_database_is_upgraded_keeping_its_episodes(tmp_path):
    path = tmp_path / "podcast.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(_SCHEMA_1)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO episodes VALUES ('2026-11-20', 'g1', 1, 't', 'zh-CN', 'episodes/2026-11-20.mp3', 10,"
            " 60.0, 'episodes/2026-11-20.txt', '[[\"开场\", 0, 60]]', '[{\"id\": \"2409.17581\", \"title\": \"T\","
            " \"summary\": \"S\", \"source\": \"file\"}]', '2026-11-20T09:30:00+08:00')"
        )
        db.execute("INSERT INTO broadcasts VALUES ('2409.17581', '2026-11-20', 1)")
    with Store(path) as store:
        (episode,) = store.episodes()
        assert episode.guid == "g1" and episode.notes == {} and episode.usage == {}
        assert episode.papers[0].sources == ("file",)  # the old single "source" field
        assert store.broadcast_ids() == {"2409.17581"}
        store.remember_candidates(date(2026, 11, 21), [Paper(id="2611.00001", title="x", summary="y")])
        assert [p.id for p in store.backlog(date(2026, 11, 20), date(2026, 11, 21))] == ["2611.00001"]
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_database_from_a_newer_podcast_is_refused(tmp_path):
    path = tmp_path / "podcast.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="made by a newer version of podcast"):
        Store(path)


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path):
    path = tmp_path / "podcast.db"
    path.write_text("not sqlite, just text " * 100)
    with pytest.raises(StoreError, match="cannot open the state database"):
        Store(path)
