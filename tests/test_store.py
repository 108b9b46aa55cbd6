"""The state database: older versions are upgraded in place, newer ones refused."""

import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from podcast.errors import StoreError
from podcast.models import RATED_DOWN, RATED_UP, Episode, Paper, Reference
from podcast.store import _MIGRATIONS, _SCHEMA_1, SCHEMA_VERSION, Store

from .conftest import SATURDAY_MORNING

RECAP = '{"week": "2026-W47", "trend": "t", "advice": ["a"], "themes": [{"name": "RL", "summary": "s", "papers": ["2409.17581"]}]}'


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


def test_a_version_8_database_moves_daily_episodes_and_recaps_into_one_table(tmp_path):
    """Schema 9: the recaps table joins the episodes table; every row, every broadcast and the
    run log stay as they were, and a recap still broadcasts nothing."""
    path = tmp_path / "podcast.db"
    with closing(sqlite3.connect(path)) as db, db:
        for step in range(1, 9):
            db.executescript(_MIGRATIONS[step])
        db.execute("PRAGMA user_version = 8")
        columns = ("'zh-CN', 'episodes/{k}.mp3', 10, 60.0, 'episodes/{k}.txt', '[]', "
                   "'[{{\"id\": \"2409.17581\", \"title\": \"T\", \"summary\": \"S\"}}]', '{at}', '{{}}', "
                   "'{{\"calls\": 2}}', '[\"episodes/{k}.vtt\"]', '', 'episodes/{k}.chapters.json', "
                   "'episodes/{k}.html', {removed}")
        for day, removed in (("2026-11-20", 1), ("2026-11-21", 0)):
            values = columns.format(k=day, at=f"{day}T09:30:00+08:00", removed=removed)
            db.execute(f"INSERT INTO episodes VALUES ('{day}', 'g-{day}', 1, 'daily {day}', {values})")
            db.execute(f"INSERT INTO broadcasts VALUES ('2409.1758{day[-1]}', '{day}', 1)")
        values = columns.format(k="2026-W47-recap", at="2026-11-21T17:00:00+08:00", removed=0)
        db.execute(f"INSERT INTO recaps VALUES ('2026-W47', '2026-11-21', 'g-recap', 2, 'recap', {values}, ?)",
                   (RECAP,))
        db.execute("INSERT INTO runs (day, started, finished, outcome, message) VALUES ('2026-11-21', "
                   "'2026-11-21T17:00:00+08:00', '2026-11-21T17:01:00+08:00', 'published', 'weekly recap 2026-W47')")
    with Store(path) as store:
        assert [(e.key, e.kind, e.guid, e.removed) for e in store.episodes()] == [
            ("2026-W47", "recap", "g-recap", False), ("2026-11-21", "daily", "g-2026-11-21", False),
            ("2026-11-20", "daily", "g-2026-11-20", True)]
        recap = store.episode("2026-W47")
        assert recap.revision == 2 and recap.recap.themes[0].paper_ids == ("2409.17581",)
        assert recap.usage == {"calls": 2} and recap.captions == ("episodes/2026-W47-recap.vtt",)
        assert [e.key for e in store.episodes("daily")] == ["2026-11-21", "2026-11-20"]
        assert store.broadcast_ids() == {"2409.17580", "2409.17581"}
        assert store.last_run().message == "weekly recap 2026-W47"
        store.save_episode(replace(recap, guid="g-recap-2"))  # a rebuilt recap replaces its row, broadcasts nothing
        assert store.broadcast_ids() == {"2409.17580", "2409.17581"} and len(store.episodes()) == 3
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 11
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM episodes WHERE key = '2026-11-20'")  # broadcasts still follow their episode
        assert db.execute("SELECT count(*) FROM broadcasts").fetchone()[0] == 1


def test_stores_opened_at_once_on_a_fresh_folder_all_open(tmp_path):
    """Several processes opening a new state database at once: each migration step runs once."""
    import subprocess
    import sys

    script = "import sys; from podcast.store import Store; Store(__import__('pathlib').Path(sys.argv[1])).close()"
    runs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "podcast.db")], stderr=subprocess.PIPE)
            for _ in range(4)]
    results = [(run.communicate(timeout=60)[1], run.returncode) for run in runs]
    assert results == [(b"", 0)] * 4


def test_a_version_9_database_gains_the_ratings_keeping_everything_else(tmp_path):
    """Schema 10: a ratings table; the episodes, broadcasts and candidates stay as they were."""
    path = tmp_path / "podcast.db"
    with closing(sqlite3.connect(path)) as db, db:
        for step in range(1, 10):
            db.executescript(_MIGRATIONS[step])
        db.execute("PRAGMA user_version = 9")
        db.execute("INSERT INTO candidates VALUES ('2409.17581', '2026-11-20', '2026-11-21',"
                   " '{\"id\": \"2409.17581\", \"title\": \"Tax LLMs\", \"summary\": \"Annual reports.\"}')")
    with Store(path) as store:
        assert store.references() == []
        paper = store.paper("2409.17581")
        assert (paper.title, paper.summary) == ("Tax LLMs", "Annual reports.")
        store.rate(paper, -1, SATURDAY_MORNING)
        assert store.references() == [Reference(Paper("2409.17581", "Tax LLMs", "Annual reports."), RATED_DOWN,
                                                date(2026, 11, 21))]
        assert [p.id for p in store.backlog(date(2026, 11, 20), date(2026, 11, 21))] == ["2409.17581"]
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 11
        with pytest.raises(sqlite3.IntegrityError):  # a vote is +1 or -1, nothing else
            db.execute("INSERT INTO ratings VALUES ('x', 2, '2026-11-21T09:30:00+08:00', 't', 's')")


def test_the_latest_rating_of_a_paper_wins_and_clear_forgets_it(tmp_path):
    first = Paper(id="2409.17581", title="Tax LLMs", summary="Annual reports.", authors=("A. Author",))
    second = Paper(id="web:1a2b3c", title="A blog post", summary="About LoRA.")
    with Store(tmp_path / "podcast.db") as store:
        store.rate(first, -1, SATURDAY_MORNING)
        store.rate(second, 1, SATURDAY_MORNING + timedelta(hours=1))
        # down, then up a day later (16:30 UTC is already Sunday in Shanghai): up, on Sunday
        store.rate(first, 1, datetime.fromisoformat("2026-11-22T16:30:00+00:00").astimezone(SATURDAY_MORNING.tzinfo))
        assert [(r.paper.id, r.kind, r.added) for r in store.references()] == [
            ("2409.17581", RATED_UP, date(2026, 11, 23)), ("web:1a2b3c", RATED_UP, date(2026, 11, 21))]
        assert store.references()[0].paper == Paper("2409.17581", "Tax LLMs", "Annual reports.")  # id, title, abstract
        store.rate(second, -1, SATURDAY_MORNING + timedelta(days=2))
        assert {r.paper.id: r.kind for r in store.references()} == {"2409.17581": RATED_UP, "web:1a2b3c": RATED_DOWN}
        assert store.unrate("2409.17581") is True
        assert store.unrate("2409.17581") is False  # nothing left to clear
        assert [r.paper.id for r in store.references()] == ["web:1a2b3c"]
        assert store.paper("web:1a2b3c").title == "A blog post"  # a rated paper stays known, even gone elsewhere
        assert store.paper("2409.17581") is None
        with pytest.raises(ValueError, match="a vote is"):
            store.rate(first, 0, SATURDAY_MORNING)


def test_a_paper_is_known_from_its_episode_before_its_candidate_row(tmp_path):
    offered = Paper(id="2409.17581", title="Tax LLMs", summary="short")
    broadcast = Paper(id="2409.17581", title="Tax LLMs", summary="The abstract as broadcast.", title_zh="税务大模型")
    with Store(tmp_path / "podcast.db") as store:
        store.remember_candidates(date(2026, 11, 21), [offered, Paper(id="2409.00001", title="Other", summary="x")])
        assert store.paper("2409.17581") == offered
        store.save_episode(Episode(date=date(2026, 11, 21), guid="g", title="t", audio_name="a.mp3", audio_bytes=1,
                                   duration=1.0, transcript_name="a.txt", chapters=(), papers=(broadcast,),
                                   published_at=SATURDAY_MORNING))
        assert store.paper("2409.17581") == broadcast
        assert store.paper("2409.00001").title == "Other"
        assert store.paper("2409.99999") is None
