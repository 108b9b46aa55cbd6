"""Moves this Python process's wall clock to ``PODCAST_TEST_NOW``, for the tests only.

The test session puts this folder on PYTHONPATH when it runs with ``--now`` (or
``PODCAST_TEST_NOW``; see tests/conftest.py), so Python imports this module at start-up in every
process the tests start (``python -m podcast run``, ``podcast serve``) and they all see the same
"now" as the tests. Only the wall clock moves (time.time, datetime.now, date.today...): it ticks on
from that moment, while time.monotonic and file times stay real.

``PODCAST_TEST_NOW_SINCE``, when set, is the real Unix time at which the tests' clock read
``PODCAST_TEST_NOW``: a process started later starts that much later, so the test session and
every process it starts share one clock (without it, a process starts at the moment itself).

The value is an ISO 8601 moment with its UTC offset, ``2026-12-31T23:30:00+08:00``, optionally
followed by a time zone in brackets, ``2027-03-28T01:58:00+01:00[Europe/Berlin]``, which also
becomes the process's local zone (TZ).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

VARIABLE, SINCE = "PODCAST_TEST_NOW", "PODCAST_TEST_NOW_SINCE"
_traveller = None  # the travel started, and the value it started from


def parse(value: str) -> datetime:
    """The moment ``value`` names; ValueError unless it has an offset (and a known zone)."""
    text, _, zone = value.strip().partition("[")
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        raise ValueError(f"{value!r} has no UTC offset (write it like 2026-12-31T23:30:00+08:00)")
    if zone:
        if not zone.endswith("]"):
            raise ValueError(f"{value!r}: the time zone goes in brackets, like [Europe/Berlin]")
        moment = moment.astimezone(ZoneInfo(zone[:-1]))  # time-machine then sets TZ to it
    return moment


def start(value: str, since: float | None = None) -> None:
    """Travel to ``value`` (plus the real time passed ``since``, a Unix time) and keep ticking
    from there, for the rest of the process."""
    global _traveller
    if _traveller is not None:
        if _traveller[1] != value:
            raise RuntimeError(f"the clock already travelled to {_traveller[1]}, not {value}")
        return
    import time_machine

    moment = parse(value)
    if since is not None:  # added in UTC: on a zone's wall clock, an hour may repeat or be skipped
        passed = timedelta(seconds=max(0.0, time.time() - since))
        moment = (moment.astimezone(UTC) + passed).astimezone(moment.tzinfo)
    travel = time_machine.travel(moment, tick=True)
    travel.start()
    time.time()  # the clock ticks on from its first reading: from here
    _traveller = (travel, value)


def stop() -> None:
    global _traveller
    if _traveller is not None:
        _traveller[0].stop()
        _traveller = None


if __name__ == "sitecustomize" and os.environ.get(VARIABLE):
    try:
        start(os.environ[VARIABLE], float(os.environ[SINCE]) if os.environ.get(SINCE) else None)
    except Exception as exc:  # Python would only warn and run on at the real time
        sys.stderr.write(f"tests/now/sitecustomize.py: {VARIABLE}={os.environ[VARIABLE]!r}: {exc}\n")
        os._exit(70)
