"""The tests' "now" (--now, PODCAST_TEST_NOW): the wall clock moves, in the processes the tests
start too; time.monotonic stays real, so timeouts still work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from .conftest import clock_at

CLOCKS = """
import json, time
from datetime import date, datetime, timezone
wall, steady = time.time(), time.monotonic()
time.sleep(0.5)
print(json.dumps({"now": datetime.now(timezone.utc).isoformat(), "today": date.today().isoformat(),
                  "local": datetime.now().astimezone().isoformat(), "zone": time.localtime().tm_zone,
                  "wall": time.time() - wall, "steady": time.monotonic() - steady}))
"""


def clocks(**env: str) -> dict:
    result = subprocess.run([sys.executable, "-c", CLOCKS], env=os.environ | env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_process_started_with_podcast_test_now_lives_at_that_moment():
    seen = clocks(**clock_at("2027-03-28T01:58:00+01:00[Europe/Berlin]"))
    start = datetime(2027, 3, 28, 0, 58, tzinfo=UTC)
    assert start <= datetime.fromisoformat(seen["now"]) < start + timedelta(seconds=30)  # ticking on from there
    assert seen["today"] == "2027-03-28" and seen["zone"] == "CET" and seen["local"].endswith("+01:00")
    assert 0.4 < seen["steady"] < 5 and abs(seen["wall"] - seen["steady"]) < 0.2  # sleeping takes real time


def test_a_process_started_later_starts_that_much_later_across_a_dst_change():
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_TEST_NOW", "PODCAST_TEST_NOW_SINCE")}
    real = float(subprocess.run([sys.executable, "-c", "import time; print(time.time())"], env=env,
                                capture_output=True, text=True, timeout=60, check=True).stdout)
    # the session's clock read 02:30 CEST two hours ago: Berlin has gone back an hour since
    seen = clocks(**clock_at("2026-10-25T02:30:00+02:00[Europe/Berlin]") | {"PODCAST_TEST_NOW_SINCE": str(real - 7200)})
    start = datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    assert start <= datetime.fromisoformat(seen["now"]) < start + timedelta(seconds=30)
    assert seen["zone"] == "CET" and seen["local"].startswith("2026-10-25T03:30:")


def test_a_bad_podcast_test_now_stops_the_process_instead_of_running_at_the_real_time():
    result = subprocess.run([sys.executable, "-c", "print('ran')"], capture_output=True, text=True, timeout=60,
                            env=os.environ | clock_at("2026-12-31T23:30:00"))
    assert result.returncode == 70 and result.stdout == "" and "has no UTC offset" in result.stderr


@pytest.mark.dated
def test_the_processes_the_tests_start_share_their_clock():
    """Under --now, the CLI and `podcast serve` started by the tests read the tests' clock, however
    long the session has been running."""
    time.sleep(1)  # the session has been running a while
    before = datetime.now(UTC)
    seen = clocks()
    assert before < datetime.fromisoformat(seen["now"]) < datetime.now(UTC)
    assert seen["zone"] == time.localtime().tm_zone
