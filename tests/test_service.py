"""Running unattended: the systemd user unit (checked by systemd-analyze itself), and what
`podcast serve` says when it starts: the serve line once, only once it holds the show and
listens; a warning when the feed's links (`[publish] base_url`) lead elsewhere than where it
serves."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from podcast.daemon.service import address_warning

from .conftest import FILE_SOURCE, OFFLINE_TTS, SHANGHAI, clock_at, free_port

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "scripts" / "podcast.service"
BEFORE_THE_BUILD = datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)  # a Monday, 90 minutes before 09:30


# -- the unit ------------------------------------------------------------------------------------


def unit_settings(text: str) -> dict[str, dict[str, list[str]]]:
    """Each section's settings, every value of a key repeated (as systemd reads them)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def installed(tmp_path: Path, text: str | None = None) -> Path:
    """The unit as its install instructions make it (@ROOT@ replaced by a checkout), next to an
    executable .venv/bin/podcast in that checkout, as systemd checks ExecStart."""
    checkout = tmp_path / "checkout"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    program = checkout / ".venv" / "bin" / "podcast"
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    unit = tmp_path / "podcast.service"
    unit.write_text((text or UNIT.read_text()).replace("@ROOT@", str(checkout)))
    return unit


def verify(tmp_path: Path, unit: Path) -> list[str]:
    """What `systemd-analyze verify --user` says about ``unit``, with a runtime folder and home
    of its own (a test run as root or outside a login has none)."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_COLOR": "0"}
    result = subprocess.run(["systemd-analyze", "verify", "--user", str(unit)], env=env,
                            capture_output=True, text=True, timeout=60)
    said = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 0 or said, "systemd-analyze failed without saying why"
    return [line for line in said if unit.name in line or str(tmp_path) in line]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian: apt-get install systemd)")
def test_systemd_verifies_the_unit_as_a_user_service(tmp_path):
    assert verify(tmp_path, installed(tmp_path)) == []
    # and it would say so: a value systemd cannot read, a setting it does not know
    broken = UNIT.read_text().replace("KillMode=mixed", "KillMode=mixed\nRestartPreventExitStatus=seventy\nRestartOnce=yes")
    said = verify(tmp_path / "broken", installed(tmp_path / "broken", broken))
    assert any("seventy" in line for line in said) and any("RestartOnce" in line for line in said), said


def test_the_unit_stops_gently_and_does_not_restart_on_what_a_restart_cannot_mend():
    text = UNIT.read_text()
    settings = unit_settings(text)
    service, unit = settings["Service"], settings["Unit"]
    assert service["KillMode"] == ["mixed"] and service["Restart"] == ["on-failure"]
    prevented = {code for value in service["RestartPreventExitStatus"] for code in value.split()}
    assert {"75", "78"} <= prevented  # another daemon holds the show; a configuration error
    # a user manager has no network-online.target: naming it waits for nothing
    assert not any("network-online" in value for key in ("After", "Wants", "Requires")
                   for value in unit.get(key, []))
    (start,) = service["ExecStart"]
    assert start.startswith("@ROOT@/.venv/bin/podcast serve ") and "--host 0.0.0.0" in start
    assert "[publish] base_url" in text  # what serving the office needs, said where it is set up


# -- what `podcast serve` says when it starts ----------------------------------------------------


def show(root: Path, base_url: str | None = None) -> Path:
    publish = f'[publish]\nbase_url = "{base_url}"\n' if base_url else ""
    (root / "podcast.toml").write_text(
        f"[show]\nmax_papers = 1\ntarget_minutes = 1\n[selection]\nmin_score = 0\n{publish}"
        f"{FILE_SOURCE}{OFFLINE_TTS}", encoding="utf-8")
    return root


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    return env | extra


def start(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "podcast", "serve", *args], cwd=root,
                            env=env or environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_listening(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                raise AssertionError(process.communicate()) from None
            assert time.monotonic() < deadline, "podcast serve never listened"
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return out, err


def serve_once(root: Path, *args: str) -> tuple[str, str]:
    """`podcast serve --no-schedule` in ``root`` with ``args``, until it listens, then stopped:
    its stdout and stderr."""
    port = int(args[args.index("--port") + 1])
    process = start(root, "--no-schedule", *args)
    try:
        wait_listening(process, port)
    finally:
        out, err = stop(process)
    return out, err


def test_the_serve_line_comes_once_and_nothing_warns_when_base_url_is_where_it_serves(tmp_path):
    port = free_port()
    out, err = serve_once(show(tmp_path, f"http://localhost:{port}/"), "--port", str(port))
    lines = (out + err).splitlines()
    serving = [line for line in lines if "Serving" in line]
    assert serving == [f"Serving {tmp_path / 'feed'} at http://127.0.0.1:{port}/, not building (Ctrl-C stops)."]
    assert out.splitlines() == serving  # a result, on stdout
    assert "base_url" not in err and err.rstrip().endswith("Stopped."), err


def test_serving_on_another_port_than_base_url_names_is_one_warning(tmp_path):
    """The default base_url, http://localhost:8000/, while serving on another port: the page
    and its QR code would advertise a port where nothing answers."""
    port = free_port()
    out, err = serve_once(show(tmp_path), "--port", str(port))
    warnings = [line for line in err.splitlines() if "base_url" in line]
    assert warnings == [
        f"[publish] base_url http://localhost:8000/ names another port than this server's, http://127.0.0.1:{port}/: "
        "the links of the feed, the page and its QR code lead there, where nothing answers for this show unless a "
        "proxy forwards to this server. Set [publish] base_url to the address listeners reach it at, such as "
        f"\"http://localhost:{port}/\"."]
    assert [line for line in (out + err).splitlines() if "Serving" in line] == out.splitlines()  # the line, once


def test_serving_other_machines_with_links_to_localhost_says_how_to_fix_it(tmp_path):
    port = free_port()
    out, err = serve_once(show(tmp_path, f"http://127.0.0.1:{port}/"), "--host", "0.0.0.0", "--port", str(port))
    (warning,) = [line for line in err.splitlines() if "base_url" in line]
    assert warning.startswith(f"[publish] base_url http://127.0.0.1:{port}/ names 127.0.0.1, but this server answers "
                              f"other machines at http://0.0.0.0:{port}/: to a listener elsewhere, 127.0.0.1 is their "
                              "own machine, so the links of the feed, the page and its QR code lead nowhere. Set "
                              "[publish] base_url to the address they reach this machine at, such as ")
    assert warning.endswith(f':{port}/".')
    assert out.startswith(f"Serving {tmp_path / 'feed'} at http://0.0.0.0:{port}/, not building")


@pytest.mark.parametrize("base_url, host, port, expected", [
    ("http://localhost:8000/", "127.0.0.1", 8000, None),
    ("http://127.0.0.1:8000/", "localhost", 8000, None),
    ("http://[::1]:8000/", "::1", 8000, None),
    ("http://podcast-box:8000/", "0.0.0.0", 8000, None),
    ("http://192.168.1.5:8000/", "192.168.1.5", 8000, None),
    ("https://podcast.example.com/", "127.0.0.1", 8000, None),  # TLS: a proxy or CDN in front
    ("http://localhost:8000/", "127.0.0.1", 8661, "another port"),
    ("http://podcast-box/", "0.0.0.0", 8000, "another port"),  # port 80
    ("http://podcast-box:8000/", "127.0.0.1", 8000, "another host"),
    ("http://192.168.1.6:8000/", "192.168.1.5", 8000, "another host"),
    ("http://[::1]:8000/", "127.0.0.1", 8000, "another host"),  # IPv6 loopback, served on IPv4 only
    ("http://podcast-box:8001/", "127.0.0.1", 8000, "another host and port"),
    ("http://localhost:8000/", "0.0.0.0", 8000, "their own machine"),
    ("http://localhost:8000/", "::", 8000, "their own machine"),
    ("http://127.0.0.1:8000/", "192.168.1.5", 8000, "their own machine"),
])
def test_which_addresses_base_url_does_not_name(base_url, host, port, expected):
    warning = address_warning(base_url, host, port)
    if expected is None:
        assert warning is None
    else:
        assert warning is not None and expected in warning and "\n" not in warning
        assert ("such as" in warning) == (expected in ("another port", "their own machine"))


@pytest.mark.dated
def test_a_refused_second_daemon_says_one_line_and_nothing_of_serving(tmp_path):
    """Another `podcast serve` holds the show: exit 75 (the unit does not restart on it), one
    line on stderr, no "Serving" before it."""
    show(tmp_path)
    env = environment(**clock_at(BEFORE_THE_BUILD))  # before the build time: nothing to build
    port = free_port()
    first = start(tmp_path, "--port", str(port), env=env)
    try:
        wait_listening(first, port)
        second = subprocess.run([sys.executable, "-m", "podcast", "serve", "--port", str(free_port())],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    finally:
        out, _ = stop(first)
    assert second.returncode == 75 and second.stdout == ""
    (line,) = second.stderr.splitlines()
    assert line.startswith("podcast: error: ") and f"is already running (pid {first.pid} since " in line
    assert out.startswith(f"Serving {tmp_path / 'feed'} at http://127.0.0.1:{port}/, building on ")
