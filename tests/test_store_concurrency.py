"""The state database opens safely from any number of processes and threads at once, even the
very first time on a new state folder (issue 20): one migration, every table once."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from podcast.config import load_config
from podcast.daemon.service import status
from podcast.publish.serve import make_app
from podcast.store import _MIGRATIONS, SCHEMA_VERSION, STORE_NAME, Store, open_store

from .conftest import FILE_SOURCE, OFFLINE_TTS, SATURDAY_MORNING, free_port

TABLES = ["broadcasts", "candidates", "episodes", "ratings", "runs"]
INDEXES = ["broadcasts_by_paper", "candidates_by_last_seen", "episodes_by_kind"]
OPEN = "import sys, pathlib; from podcast.store import Store; Store(pathlib.Path(sys.argv[1])).close()"


def assert_latest(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = db.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        assert sorted(n for t, n in names if t == "table") == TABLES  # each once, no leftover
        assert sorted(n for t, n in names if t == "index") == INDEXES
        columns = [row[1] for row in db.execute("PRAGMA table_info(episodes)")]
        assert len(columns) == len(set(columns)) and {"captions", "format", "hosts"} <= set(columns)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def open_at_once(path: Path, processes: int) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = [subprocess.Popen([sys.executable, "-c", OPEN, str(path)], stderr=subprocess.PIPE, env=env)
            for _ in range(processes)]
    results = [(run.communicate(timeout=120)[1].decode(), run.returncode) for run in runs]
    assert results == [("", 0)] * processes


def test_twenty_threads_open_a_new_state_folder_at_once(tmp_path):
    state = tmp_path / "deep" / "state"  # neither the folder nor its parent exists yet
    start, errors = threading.Barrier(20), []

    def first_open() -> None:
        start.wait()
        try:
            with open_store(state) as store:
                assert store.episodes() == []
        except BaseException as exc:  # noted for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=first_open) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert_latest(state / STORE_NAME)


@pytest.mark.slow
def test_twenty_processes_open_a_new_state_folder_at_once(tmp_path):
    path = tmp_path / "deep" / "state" / STORE_NAME
    open_at_once(path, 20)
    assert_latest(path)


@pytest.mark.slow
def test_twenty_status_commands_on_a_fresh_show_at_once(tmp_path):
    (tmp_path / "podcast.toml").write_text(f"{FILE_SOURCE}{OFFLINE_TTS}", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    runs = [subprocess.Popen([sys.executable, "-m", "podcast", "status", "--json"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(20)]
    results = [(*run.communicate(timeout=120), run.returncode) for run in runs]
    for stdout, stderr, _ in results:
        assert "Traceback" not in stderr and "already exists" not in stderr and "duplicate" not in stderr
        assert json.loads(stdout)["last_episode"] is None
    assert_latest(tmp_path / ".podcast" / STORE_NAME)


@pytest.mark.slow
def test_an_old_database_migrated_by_ten_processes_at_once_ends_correct(tmp_path):
    path = tmp_path / STORE_NAME
    with closing(sqlite3.connect(path)) as db, db:
        for step in range(1, 4):
            db.executescript(_MIGRATIONS[step])
        db.execute("PRAGMA user_version = 3")
        db.execute(
            "INSERT INTO episodes (day, guid, revision, title, language, audio_name, audio_bytes, duration,"
            " transcript_name, chapters, papers, published_at) VALUES ('2026-11-20', 'g1', 1, 't', 'zh-CN',"
            " 'episodes/2026-11-20.mp3', 10, 60.0, 'episodes/2026-11-20.txt', '[]',"
            " '[{\"id\": \"2409.17581\", \"title\": \"T\", \"summary\": \"S\"}]', '2026-11-20T09:30:00+08:00')")
        db.execute("INSERT INTO broadcasts VALUES ('2409.17581', '2026-11-20', 1)")
    open_at_once(path, 10)
    assert_latest(path)
    with Store(path) as store:
        (episode,) = store.episodes()
        assert (episode.key, episode.guid, episode.kind) == ("2026-11-20", "g1", "daily")
        assert store.broadcast_ids() == {"2409.17581"}


def test_a_migration_step_finding_its_work_done_does_it_again_harmlessly(tmp_path):
    """Idempotent steps: a column or table already there is not added twice."""
    path = tmp_path / STORE_NAME
    with closing(sqlite3.connect(path)) as db, db:
        for step in range(1, SCHEMA_VERSION + 1):
            db.executescript(_MIGRATIONS[step])
        db.execute("PRAGMA user_version = 10")  # as if step 11 ran but its version was lost
    Store(path).close()
    assert_latest(path)


def test_the_first_healthz_requests_of_a_fresh_show_at_once_log_no_traceback(tmp_path, caplog):
    (tmp_path / "podcast.toml").write_text(f"{FILE_SOURCE}{OFFLINE_TTS}", encoding="utf-8")
    config = load_config(tmp_path / "podcast.toml", tmp_path)
    app = make_app(tmp_path / "public", health=lambda: status(config, SATURDAY_MORNING))
    caplog.set_level(logging.DEBUG)

    async def serve_and_ask() -> list[tuple[int, dict]]:
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as session:
                async def ask() -> tuple[int, dict]:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        return response.status, await response.json()
                return await asyncio.gather(*(ask() for _ in range(8)))
        finally:
            await runner.cleanup()

    answers = asyncio.run(serve_and_ask())
    assert [code for code, _ in answers] == [200] * 8
    assert all(health["last_episode"] is None for _, health in answers)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text
    assert_latest(config.state.dir / STORE_NAME)
