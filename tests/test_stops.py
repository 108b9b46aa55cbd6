"""A stop (SIGTERM to the whole process group, as `systemctl stop` or Ctrl-C send it) during a
build: ffmpeg dies with it, the run is recorded as interrupted, not failed, nothing outlives the
build, and the next run builds the day."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from podcast.store import open_store

from .conftest import FILE_SOURCE, OFFLINE_TTS, SHANGHAI, clock_at, free_port

pytestmark = [pytest.mark.dated, pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")]

BUILD_TIME = datetime(2026, 11, 23, 9, 45, tzinfo=SHANGHAI)  # 15 minutes after the cron time
DAY = "2026-11-23"


def group_children(group: int) -> list[tuple[int, str]]:
    """The processes of process group ``group`` running ffmpeg or espeak: (pid, command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp ...
        if int(fields[2]) == group and fields[0] != "Z" and ("ffmpeg" in command or "espeak" in command):
            found.append((int(entry.name), command))
    return found


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def stop_mid_build(tmp_path: Path, command: list[str]) -> tuple[int, str, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    env |= clock_at(BUILD_TIME)
    log = (tmp_path / "out.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "podcast", *command], cwd=tmp_path, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: process.poll() is not None or group_children(process.pid), 120, "an ffmpeg child")
        assert process.poll() is None, (tmp_path / "out.log").read_text()
        os.killpg(process.pid, signal.SIGTERM)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    text = (tmp_path / "out.log").read_text()
    wait_for(lambda: not group_children(process.pid) or None, 10, "the children to end")
    return code, text, env


def check_recorded_and_rebuilt(tmp_path: Path, env: dict, text: str) -> None:
    with open_store(tmp_path / ".podcast") as store:
        last = store.last_run()
        assert last is not None and last.outcome == "interrupted", text
        assert store.last_run("failed") is None, text
        assert store.episodes() == []
    report = subprocess.run([sys.executable, "-m", "podcast", "status", "--json"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert report.returncode == 0, report.stdout + report.stderr
    assert json.loads(report.stdout)["ok"] is True
    again = subprocess.run([sys.executable, "-m", "podcast", "run", "--date", DAY], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Published the episode for" in again.stdout
    assert len(list((tmp_path / "feed" / "episodes").glob("*.mp3"))) == 1


def write_show(tmp_path: Path, port: int) -> None:
    (tmp_path / "podcast.toml").write_text(
        f'[show]\nmax_papers = 1\ntarget_minutes = 1\n[publish]\nbase_url = "http://127.0.0.1:{port}/"\n'
        f'[schedule]\ncron = "30 9 * * *"\nmisfire_grace = "1h"\n{FILE_SOURCE}{OFFLINE_TTS}', encoding="utf-8")


def test_sigterm_to_the_daemons_group_mid_build_is_an_interruption_not_a_failure(tmp_path):
    port = free_port()
    write_show(tmp_path, port)
    code, text, env = stop_mid_build(tmp_path, ["serve", "--port", str(port)])
    assert code == 0, text
    assert f"Making the episode for {DAY} failed" not in text and text.rstrip().endswith("Stopped."), text
    check_recorded_and_rebuilt(tmp_path, env, text)


def test_sigterm_to_a_runs_group_mid_build_exits_130_and_the_next_run_builds(tmp_path):
    write_show(tmp_path, free_port())
    code, text, env = stop_mid_build(tmp_path, ["run", "--date", DAY])
    assert code == 130 and "podcast: error: " in text, text  # the Interrupted, in one line
    check_recorded_and_rebuilt(tmp_path, env, text)
