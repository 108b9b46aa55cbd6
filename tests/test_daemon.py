"""The schedule: when builds fire (across DST), catch-up after downtime, exactly one episode per
day across restarts and between the daemon and `podcast run`, retries, a stop mid-build, office
playback, status. Times come from an injected clock; jobs are run by the test, not waited for.
The last test runs `podcast serve` for real and stops it with SIGTERM."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest

from podcast.config import load_config
from podcast.daemon.schedule import build_trigger, catch_up_day, next_time
from podcast.daemon.service import BUILD_JOB, CATCH_UP_JOB, PLAYBACK_JOB, RETRY_JOB, Daemon, status
from podcast.errors import Busy, Interrupted
from podcast.models import Week
from podcast.pipeline import run_episode, run_recap
from podcast.progress import NoProgress
from podcast.store import build_lock, daemon_lock, open_store

from .conftest import FILE_SOURCE, OFFLINE_TTS, SHANGHAI, clock_at, fetch, free_port
from .webserver import Reply, WebServer

pytestmark = pytest.mark.dated  # the schedule, the daemon and status are all about the current time

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_0800 = datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)


def show(root: Path, extra: str = "", timezone: str = "Asia/Shanghai"):
    (root / "podcast.toml").write_text(
        f'[show]\nmax_papers = 1\ntarget_minutes = 1\ntimezone = "{timezone}"\n{extra}\n{FILE_SOURCE}{OFFLINE_TTS}',
        encoding="utf-8")
    return load_config(root / "podcast.toml", root)


@contextmanager
def daemon(config, now: datetime):
    """A daemon whose clock reads ``now`` (a list: the test may move it), its scheduler paused."""
    clock = [now]
    instance = Daemon(config, env={}, clock=lambda: clock[0])
    instance.clock_value = clock
    instance.start(paused=True)
    try:
        yield instance
    finally:
        instance.shutdown()


def run_job(instance: Daemon, job_id: str) -> None:
    job = instance.scheduler.get_job(job_id)
    assert job is not None, f"no {job_id} job scheduled"
    job.func(*job.args, **job.kwargs)


# -- when ---------------------------------------------------------------------------------------


def test_the_build_keeps_its_local_hour_across_both_dst_changes(tmp_path):
    config = show(tmp_path, '[schedule]\ncron = "30 9 * * 1-5"', timezone="Europe/Berlin")
    trigger = build_trigger(config)
    spring = next_time(trigger, datetime(2026, 3, 27, 10, 0, tzinfo=BERLIN))  # Friday, CET
    assert spring == datetime(2026, 3, 30, 9, 30, tzinfo=BERLIN)  # Monday, CEST
    assert spring.utcoffset() == timedelta(hours=2) and spring.astimezone(ZoneInfo("UTC")).hour == 7
    autumn = next_time(trigger, datetime(2026, 10, 23, 10, 0, tzinfo=BERLIN))
    assert autumn == datetime(2026, 10, 26, 9, 30, tzinfo=BERLIN) and autumn.utcoffset() == timedelta(hours=1)


def test_a_build_time_inside_the_dst_gap_or_overlap_fires_once(tmp_path):
    config = show(tmp_path, '[schedule]\ncron = "30 2 * * *"', timezone="Europe/Berlin")
    trigger = build_trigger(config)
    # 2026-03-29 02:30 does not exist in Berlin; 2026-10-25 02:30 happens twice

    def fires(start: datetime, count: int) -> list[datetime]:
        """As the scheduler asks: the next time after the previous one."""
        times = [next_time(trigger, start)]
        while len(times) < count:
            times.append(trigger.get_next_fire_time(times[-1], times[-1] + timedelta(microseconds=1)))
        return times

    spring = fires(datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN), 3)
    utc = [f.astimezone(ZoneInfo("UTC")) for f in spring]  # when it really happens
    assert [(f.day, f.hour, f.minute) for f in utc] == [(29, 1, 30), (30, 0, 30), (31, 0, 30)]  # 03:30 CEST, then 02:30
    autumn = fires(datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN), 2)
    assert [(f.day, f.hour, f.minute) for f in autumn] == [(25, 2, 30), (26, 2, 30)]


@pytest.mark.parametrize("cron, expected", [
    ("30 9 * * 1-5", ("Weekdays", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")),
    ("0 7 * * *", ("Daily", "FREQ=DAILY")),
    ("0 17 * * 5", ("Weekly", "FREQ=WEEKLY;BYDAY=FR")),
    ("0 7 1 * *", None),
])
def test_the_feed_announces_the_schedule(tmp_path, cron, expected):
    assert show(tmp_path, f'[schedule]\ncron = "{cron}"').schedule.frequency == expected
    assert show(tmp_path, "[schedule]\nenabled = false").schedule.frequency is None


def test_catch_up_only_today_within_the_grace(tmp_path):
    config = show(tmp_path, '[schedule]\ncron = "30 9 * * *"\nmisfire_grace = "6h"')
    with open_store(config.state.dir) as store:
        def due(hour: int, minute: int = 0):
            return catch_up_day(config, store, MONDAY_0800.replace(hour=hour, minute=minute))

        assert due(8) is None  # before today's time; yesterday's missed build is not back-filled
        assert due(9, 31) == MONDAY_0800.date()
        assert due(15, 30) == MONDAY_0800.date()
        assert due(15, 31) is None  # more than 6 h late: wait for tomorrow
        run_episode(config, now=MONDAY_0800.replace(hour=9, minute=30))
        assert due(10) is None  # already there


# -- exactly once -------------------------------------------------------------------------------


@pytest.mark.slow
def test_downtime_catch_up_builds_once_and_a_restart_builds_nothing(tmp_path):
    config = show(tmp_path, '[schedule]\ncron = "30 9 * * 1-5"')
    late = MONDAY_0800.replace(hour=11)
    with daemon(config, late) as first:
        assert first.scheduler.get_job(BUILD_JOB) is not None
        run_job(first, CATCH_UP_JOB)
    with daemon(config, late + timedelta(minutes=5)) as second:  # restarted
        assert second.scheduler.get_job(CATCH_UP_JOB) is None
        second.build()  # and were the daily job to fire again the same day: reused
    with open_store(config.state.dir) as store:
        assert [e.date for e in store.episodes()] == [late.date()]
        assert store.last_run().outcome == "reused"
    assert len(list((tmp_path / "feed" / "episodes").glob("*.mp3"))) == 1
    assert len(feedparser.parse((tmp_path / "feed" / "feed.xml").read_bytes()).entries) == 1


@pytest.mark.slow
def test_the_cli_waits_for_the_daemons_build_and_then_reuses_it(tmp_path):
    config = show(tmp_path)
    lock = build_lock(config.state.dir).acquire()  # the daemon is building
    with pytest.raises(Busy, match="a build of this show is already running \\(pid"):
        run_episode(config, now=MONDAY_0800, wait=False)
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    cli = subprocess.Popen([sys.executable, "-m", "podcast", "run", "--date", "2026-11-23"], cwd=tmp_path, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = ""
    deadline = time.monotonic() + 30
    while "waiting for it to finish" not in waiting and time.monotonic() < deadline:
        waiting += cli.stderr.readline()
    assert "Another build of this show is running (pid" in waiting and cli.poll() is None
    lock.release()
    built = threading.Thread(target=run_episode, args=(config,), kwargs={"now": MONDAY_0800})
    built.start()  # the daemon's next attempt races the CLI for the lock: one builds, one reuses
    _out, err = cli.communicate(timeout=120)
    built.join()
    assert cli.returncode == 0, err
    with open_store(config.state.dir) as store:
        assert len(store.episodes()) == 1
    assert len(list((tmp_path / "feed" / "episodes").glob("*.mp3"))) == 1


# -- failures -----------------------------------------------------------------------------------


def test_failures_are_one_line_each_and_retried_with_backoff(tmp_path, caplog, capsys):
    config = show(tmp_path, '[schedule]\nretries = 2\nretry_delay = "1m"\n[publish]\ndir = "blocked"')
    (tmp_path / "blocked").write_text("a file where the publish folder should be")
    caplog.set_level(logging.INFO, logger="podcast")
    with daemon(config, MONDAY_0800) as instance:
        instance.build()
        retries = []
        while (job := instance.scheduler.get_job(RETRY_JOB)) is not None:
            retries.append(job.trigger.run_date - MONDAY_0800)
            instance.clock_value[0] = job.trigger.run_date
            instance.scheduler.remove_job(RETRY_JOB)
            job.func(*job.args)
    assert retries == [timedelta(minutes=1), timedelta(minutes=1 + 2)]  # 1 min, then 2 more
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and "failed" in r.getMessage()]
    assert len(failures) == 3 and all("\n" not in r.getMessage() and not r.exc_info for r in failures)
    assert "blocked" in failures[0].getMessage()
    assert any("Giving up on the episode for 2026-11-23 after 3 attempts" in r.getMessage() for r in caplog.records)
    report = status(config, MONDAY_0800)
    assert not report["ok"] and "blocked" in report["last_error"]["message"]
    from podcast.cli import main

    assert main(["status", "--config", str(tmp_path / "podcast.toml")]) == 1  # for monitoring scripts
    printed = capsys.readouterr().out
    assert "Daemon:        not running" in printed and "Next build:    " in printed
    assert "Last run:      2026-11-23: failed at " in printed and "blocked/episodes: cannot write" in printed


@pytest.mark.slow
def test_a_build_that_could_read_no_source_is_tried_again_and_then_publishes(tmp_path, caplog):
    """As at a start before the network is up (a user unit has no network-online.target to wait
    for): no source answers, which a later try may well mend. The bundled sample papers, which
    `podcast run` falls back on, are no episode to publish unattended."""
    port = free_port()  # nobody listens there yet
    (tmp_path / "podcast.toml").write_text(
        '[show]\nmax_papers = 1\ntarget_minutes = 1\n[selection]\nmin_score = 0\n[network]\nretries = 0\n'
        '[schedule]\nretries = 2\nretry_delay = "1m"\n[fulltext]\nenabled = false\n'
        f'[[sources]]\ntype = "feed"\nurl = "http://127.0.0.1:{port}/news.rss"\n'
        f'[[sources]]\ntype = "file"\nfallback = true\n{OFFLINE_TTS}', encoding="utf-8")
    config = load_config(tmp_path / "podcast.toml", tmp_path)
    caplog.set_level(logging.INFO, logger="podcast")
    with daemon(config, MONDAY_0800) as instance:
        instance.build()
        retry = instance.scheduler.get_job(RETRY_JOB)
        assert retry is not None, "no retry after a build that could read no source"
        assert retry.trigger.run_date - MONDAY_0800 == timedelta(minutes=1)
        assert any("no source could be read for 2026-11-23" in r.getMessage() for r in caplog.records
                   if r.levelno == logging.ERROR)
        with WebServer(port) as web:  # the network is back
            web.routes["/news.rss"] = Reply(200, NEWS, {"Content-Type": "application/rss+xml"})
            instance.clock_value[0] = retry.trigger.run_date
            instance.scheduler.remove_job(RETRY_JOB)
            retry.func(*retry.args)
        assert instance.scheduler.get_job(RETRY_JOB) is None
    entries = feedparser.parse((tmp_path / "feed" / "feed.xml").read_bytes()).entries
    assert [e.enclosures[0].href for e in entries] == ["http://localhost:8000/episodes/2026-11-23.mp3"]


NEWS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Lab news</title><link>https://lab.example.org/</link>
<item><title>Fine-tuning for financial reports</title><link>https://arxiv.org/abs/2611.07777</link>
  <description>Fine-tuning large language models to read annual reports and answer tax questions.</description>
  <pubDate>Mon, 23 Nov 2026 00:00:00 GMT</pubDate></item>
</channel></rss>"""


@pytest.mark.slow
def test_a_stop_mid_build_publishes_nothing_and_the_next_run_resumes(tmp_path):
    config = show(tmp_path)
    run_episode(config, now=MONDAY_0800 - timedelta(days=1))
    feed = tmp_path / "feed"
    before = {p: p.read_bytes() for p in feed.rglob("*") if p.is_file()}
    stop = threading.Event()

    class StopWhileSpeaking(NoProgress):
        @contextmanager
        def task(self, label, total):
            with super().task(label, total) as advance:
                def step(n):
                    advance(n)
                    if label.startswith("Speaking"):
                        stop.set()  # SIGTERM arrives after the first paragraph
                yield step

    with pytest.raises(Interrupted, match="stopped before publishing"):
        run_episode(config, now=MONDAY_0800, progress=StopWhileSpeaking(), stop=stop)
    assert {p: p.read_bytes() for p in feed.rglob("*") if p.is_file()} == before  # not one byte more
    parsed = feedparser.parse((feed / "feed.xml").read_bytes())
    assert not parsed.bozo and len(parsed.entries) == 1
    with open_store(config.state.dir) as store:
        assert store.last_run().outcome == "interrupted" and store.episode(MONDAY_0800.date()) is None
    # the next attempt builds it (edge-tts pieces and LLM answers come from their caches:
    # test_edge and test_llm_writer show reruns making no new requests)
    assert run_episode(config, now=MONDAY_0800).episode.date == MONDAY_0800.date()


# -- playback and status ------------------------------------------------------------------------


RECORDER = "import json, sys\nwith open(sys.argv[1], 'w') as out:\n    out.write(json.dumps(sys.argv[2:]))\n"


@pytest.mark.slow
def test_office_playback_plays_the_days_file_at_the_set_time(tmp_path):
    record, recorder = tmp_path / "played.json", tmp_path / "player.py"
    recorder.write_text(RECORDER, encoding="utf-8")  # a stand-in player that records its arguments
    command = f"{sys.executable} {recorder} {record} --volume=80 {{file}}"
    config = show(tmp_path, f'[playback]\nat = "10:00"\ncommand = \'{command}\'')
    run_episode(config, now=MONDAY_0800)
    with daemon(config, MONDAY_0800.replace(hour=9)) as instance:
        job = instance.scheduler.get_job(PLAYBACK_JOB)
        assert job.trigger.get_next_fire_time(None, MONDAY_0800.replace(hour=9)) == MONDAY_0800.replace(hour=10)
        assert status(config, MONDAY_0800.replace(hour=9))["next_playback"] == MONDAY_0800.replace(hour=10).isoformat()
        instance.clock_value[0] = MONDAY_0800.replace(hour=10)
        run_job(instance, PLAYBACK_JOB)
    assert json.loads(record.read_text()) == ["--volume=80", str(tmp_path / "feed" / "episodes" / "2026-11-23.mp3")]

    record.unlink()  # `podcast play --date` plays now; a day without an episode is one clear line
    env = {k: v for k, v in os.environ.items() if k != "PODCAST_CONFIG"}
    done = subprocess.run([sys.executable, "-m", "podcast", "play", "--date", "2026-11-23"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(record.read_text())[-1].endswith("2026-11-23.mp3")
    done = subprocess.run([sys.executable, "-m", "podcast", "play", "--date", "2026-11-20"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr == "podcast: error: no episode for 2026-11-20 to play\n"


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("ffplay"), reason="ffplay is not installed")
def test_play_without_an_audio_device_is_one_line_and_not_a_success(tmp_path, monkeypatch, caplog):
    # ffplay says "audio open failed" and exits 0 when SDL opens no output; SDL's ALSA output on card 99, which no
    # machine has, is that case wherever the test runs
    monkeypatch.setenv("SDL_AUDIODRIVER", "alsa")
    monkeypatch.setenv("AUDIODEV", "hw:99")
    config = show(tmp_path, '[selection]\nmin_score = 0\n'
                            '[playback]\nat = "10:00"\ncommand = "ffplay -nodisp -autoexit -loglevel error {file}"')
    run_episode(config, now=MONDAY_0800)
    mp3 = tmp_path / "feed" / "episodes" / "2026-11-23.mp3"
    expected = (f"no audio device could be opened on this machine (ffplay: No more combinations to try, audio open "
                f"failed): play {mp3} on a machine with speakers, or subscribe to http://localhost:8000/feed.xml in a "
                f"podcast app")
    env = {k: v for k, v in os.environ.items() if k != "PODCAST_CONFIG"}
    done = subprocess.run([sys.executable, "-m", "podcast", "play", "-q", "--date", "2026-11-23"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    # one line, none of the player's (ALSA's) chatter, nothing on stdout, and not exit 0
    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"podcast: error: {expected}\n")

    caplog.set_level(logging.INFO, logger="podcast")  # the office playback says the same in the daemon's log
    with daemon(config, MONDAY_0800.replace(hour=10)) as instance:
        run_job(instance, PLAYBACK_JOB)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [f"Office playback: {expected}"]


@pytest.mark.slow
def test_status_tells_the_next_build_and_the_last_episode(tmp_path):
    config = show(tmp_path, '[schedule]\ncron = "30 9 * * 1-5"')
    report = status(config, MONDAY_0800)
    assert report["next_build"] == MONDAY_0800.replace(hour=9, minute=30).isoformat()
    assert report["last_episode"] is None and report["daemon"] is None and report["ok"]
    run_episode(config, now=MONDAY_0800)
    report = status(config, MONDAY_0800.replace(hour=10))
    assert report["next_build"] == (MONDAY_0800 + timedelta(days=1)).replace(hour=9, minute=30).isoformat()
    assert report["last_episode"]["date"] == "2026-11-23" and report["last_run"]["outcome"] == "published"
    assert report["last_error"] is None


def test_status_tells_the_daemons_start_in_the_shows_zone_whatever_the_machines(tmp_path):
    # the daemon and `podcast status` run in New York; the show is in Shanghai, as every other time status tells
    port = free_port()
    config = show(tmp_path, f'[publish]\nbase_url = "http://127.0.0.1:{port}/"\n[selection]\nmin_score = 0\n'
                            '[schedule]\ncron = "30 9 * * 1-5"')
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    env |= clock_at(MONDAY_0800) | {"TZ": "America/New_York"}  # before the build time: it only waits
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "podcast", "serve", "--port", str(port)], cwd=tmp_path,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (daemon_lock(config.state.dir).holder() or "").startswith("pid"):  # locked, then noted
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.1)
        # the daemon notes its start in its own zone, New York's
        assert re.fullmatch(rf"pid {process.pid} since 2026-11-22 19:0\d:\d\d -0500",
                            daemon_lock(config.state.dir).holder())
        done = subprocess.run([sys.executable, "-m", "podcast", "status"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=60)
        shown = subprocess.run([sys.executable, "-m", "podcast", "status", "--json"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        log.close()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(rf"Daemon: +running, pid {process.pid} since 2026-11-23 08:0\d:\d\d \+0800", lines[0])
    assert "Next build:    Mon 2026-11-23 09:30 (Asia/Shanghai)" in lines
    report = json.loads(shown.stdout)
    assert re.fullmatch(rf"pid {process.pid} since 2026-11-23 08:0\d:\d\d \+0800", report["daemon"])


@pytest.mark.slow
def test_status_counts_and_lists_the_recap_as_the_feed_does(tmp_path):
    config = show(tmp_path, "[selection]\nmin_score = 0")
    for day in range(2):
        run_episode(config, now=MONDAY_0800 + timedelta(days=day))
    friday = MONDAY_0800.replace(day=27, hour=17)
    recap = run_recap(config, week=Week(2026, 48), now=friday).episode
    items = feedparser.parse((config.publish.dir / "feed.xml").read_bytes()).entries
    assert len(items) == 3 and items[0].id == recap.guid  # two days and the recap

    env = {k: v for k, v in os.environ.items() if k != "PODCAST_CONFIG"} | clock_at(friday + timedelta(hours=1))
    done = subprocess.run([sys.executable, "-m", "podcast", "status"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with open_store(config.state.dir) as store:
        tuesday = store.episode(MONDAY_0800.date() + timedelta(days=1))
    assert f"Last episode:  2026-11-24, {tuesday.title} (3 episodes listed: 2 daily, 1 recap)" in done.stdout
    assert f"Last recap:    2026-W48, {recap.title}" in done.stdout.splitlines()
    shown = subprocess.run([sys.executable, "-m", "podcast", "status", "--json"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
    report = json.loads(shown.stdout)
    assert report["episodes"] == len(items) and report["recaps"] == 1
    assert report["last_episode"]["date"] == "2026-11-24"
    assert report["last_recap"] == {"week": "2026-W48", "date": recap.date.isoformat(), "title": recap.title,
                                    "published_at": recap.published_at.isoformat(),
                                    "url": f"http://localhost:8000/{recap.audio_name}"}


# -- end to end ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_serve_builds_a_missed_episode_serves_it_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    (tmp_path / "podcast.toml").write_text(
        f'[show]\nmax_papers = 1\ntarget_minutes = 1\n[publish]\nbase_url = "http://127.0.0.1:{port}/"\n'
        f'[schedule]\ncron = "30 9 * * *"\nmisfire_grace = "1h"\n{FILE_SOURCE}{OFFLINE_TTS}', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    env |= clock_at(MONDAY_0800.replace(minute=45, hour=9))  # its clock: 15 minutes after the build time
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "podcast", "serve", "--port", str(port)], cwd=tmp_path,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    today = "2026-11-23"
    try:
        deadline, entries = time.monotonic() + 120, []
        while not entries and time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                status_code, _, xml = fetch(f"http://127.0.0.1:{port}/feed.xml")
            except OSError:
                status_code = 0
            if status_code == 200:
                entries = feedparser.parse(xml).entries
            time.sleep(0.3)
        assert [e.enclosures[0].href for e in entries] == [f"http://127.0.0.1:{port}/episodes/{today}.mp3"]
        code, headers, body = fetch(f"http://127.0.0.1:{port}/healthz")
        health = json.loads(body)
        assert code == 200 and headers["content-type"].startswith("application/json")
        assert health["last_episode"]["date"] == today and health["daemon"].startswith(f"pid {process.pid} ")
        assert health["next_build"] == "2026-11-24T09:30:00+08:00"
        busy = subprocess.run([sys.executable, "-m", "podcast", "serve", "--port", str(free_port())], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=60)
        assert busy.returncode == 75 and "is already running (pid" in busy.stderr  # one scheduler per show
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        log.close()
    text = (tmp_path / "serve.log").read_text()
    assert code == 0, text
    assert "Published the episode for" in text and text.rstrip().endswith("Stopped.")
