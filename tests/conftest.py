"""Shared fixtures: real bundled data, real config files in a temporary folder."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from podcast.config import Config, load_config
from podcast.models import Paper, Utterance
from podcast.pipeline import run_episode
from podcast.sources.file import FileOptions, FileSource
from podcast.speak import Line, Speaker, kokoro_files, open_speaker
from podcast.speak.espeak import EspeakOptions
from podcast.speak.voices import Lexicon, TTSConfig

from .clock import FakeClock
from .webserver import WebServer

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Saturday morning, as in the issue: "上午 9 点 30 分，星期六".
SATURDAY_MORNING = datetime(2026, 11, 21, 9, 30, tzinfo=SHANGHAI)
TAX_PROJECT = "我们在为税务和财报分析微调大语言模型：读上市公司年报，回答税务问题。"


# The tests' "now": tests/now/sitecustomize.py moves the wall clock of this process and, through
# PYTHONPATH, of every Python process the tests start. Tests inject their clocks, so the suite
# passes whatever the date; .ci/run proves it on a few awkward ones (the tests marked dated).
NOW_FOLDER = Path(__file__).parent / "now"
_NOW_MODULE = pytest.StashKey[object]()
_SAVED_ENVIRONMENT = pytest.StashKey[dict]()


def pytest_addoption(parser):
    parser.addoption("--soak", action="store_true", help="also run the slow fault-injection sweeps (marked soak)")
    parser.addoption("--now", metavar="ISO", default=None,
                     help="run the tests at this moment: 2026-12-31T23:30:00+08:00, optionally followed by a time "
                          "zone that becomes the local one, [Europe/Berlin]; the wall clock ticks on from there, in "
                          "the processes the tests start too (default: $PODCAST_TEST_NOW, else the real time)")


def _now_module():
    """tests/now/sitecustomize.py: the one Python already ran at start-up, if it is on PYTHONPATH."""
    path = NOW_FOLDER / "sitecustomize.py"
    module = sys.modules.get("sitecustomize")
    if module is not None and Path(getattr(module, "__file__", "") or "").resolve() == path.resolve():
        return module
    spec = importlib.util.spec_from_file_location("podcast_tests_now", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_configure(config):
    value = config.getoption("--now") or os.environ.get("PODCAST_TEST_NOW")
    if not value:
        return
    module = _now_module()
    try:
        module.parse(value)
    except (ValueError, LookupError) as exc:
        raise pytest.UsageError(f"--now / PODCAST_TEST_NOW: {exc}") from None
    saved = {k: os.environ.get(k) for k in ("PODCAST_TEST_NOW", "PODCAST_TEST_NOW_SINCE", "PYTHONPATH")}
    config.stash[_SAVED_ENVIRONMENT] = saved
    # the real time the clock reads ``value`` (a session started by one at --now keeps its parent's)
    since = float(saved["PODCAST_TEST_NOW_SINCE"] or time.time())
    module.start(value, since)
    os.environ.update(clock_at(value))
    os.environ["PODCAST_TEST_NOW_SINCE"] = repr(since)
    config.stash[_NOW_MODULE] = module


def clock_at(moment: datetime | str) -> dict[str, str]:
    """The environment that starts a Python process the tests start (the CLI, `podcast serve`)
    with its wall clock at ``moment``, ticking on from there (tests/now/sitecustomize.py)."""
    return {
        "PYTHONPATH": os.pathsep.join(dict.fromkeys(filter(None, [str(NOW_FOLDER), os.environ.get("PYTHONPATH")]))),
        "PODCAST_TEST_NOW": moment if isinstance(moment, str) else moment.isoformat(),
        "PODCAST_TEST_NOW_SINCE": "",
    }


def pytest_unconfigure(config):
    module = config.stash.get(_NOW_MODULE, None)
    if module is None:
        return
    module.stop()
    for key, value in config.stash[_SAVED_ENVIRONMENT].items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def pytest_report_header(config):
    if config.stash.get(_NOW_MODULE, None) is not None:
        local = datetime.now().astimezone()
        return f"now: {os.environ['PODCAST_TEST_NOW']}, ticking on (local time {local:%A %Y-%m-%d %H:%M %Z})"
    return None


def pytest_collection_modifyitems(config, items):
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="slow fault-injection; run with --soak (.ci/run does)")
    # Kokoro-82M's tests cost a minute of the two cores where the neural extra is set up
    neural = pytest.mark.skip(reason="loads Kokoro-82M; run with --soak (.ci/run does)")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)
        elif "neural" in item.keywords:
            item.add_marker(neural)


@pytest.fixture
def sample_papers() -> list[Paper]:
    return FileSource(FileOptions()).fetch(SATURDAY_MORNING.date())


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a podcast.toml (dedented) into a fresh folder and return its path."""

    def write(text: str, name: str = "podcast.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_config(write_config: Callable[[str], Path], tmp_path: Path) -> Callable[[str], Config]:
    def make(text: str = "") -> Config:
        return load_config(write_config(text), tmp_path)

    return make


@pytest.fixture(autouse=True)
def _no_proxy_for_local_servers(monkeypatch):
    """Proxy settings of the machine must not send requests for 127.0.0.1 elsewhere; and any
    request for anywhere else goes to a proxy that is not there, so a test that would reach the
    internet fails at once, the same way on every machine (the processes it starts too)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")


# Kokoro-82M's files as this machine prepared them (./scripts/setup neural), known before any
# test hides them: only the tests marked neural use them.
PREPARED_MODELS = kokoro_files.folders(None, os.environ)[:1]


@pytest.fixture(scope="session")
def _no_models(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("no-models")


@pytest.fixture(autouse=True)
def _no_prepared_models(monkeypatch, _no_models):
    """No test finds the Kokoro-82M files this machine prepared, unless it asks for them
    (``kokoro_env``): espeak-ng stays the offline voice of the tests, whether the neural extra
    is installed or not."""
    monkeypatch.setenv(kokoro_files.ENV_FOLDER, str(_no_models))


@pytest.fixture
def kokoro_env() -> dict[str, str]:
    """The environment in which Kokoro-82M finds the files this machine prepared; the test is
    skipped, saying why, when the neural extra or its files are not here."""
    missing = [name for name in ("onnxruntime", "kokoro_onnx", "misaki") if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"the neural extra is not installed (no {', '.join(missing)}): ./scripts/setup neural")
    where = kokoro_files.Where(folders=PREPARED_MODELS)
    if not kokoro_files.found(where, kokoro_files.VOICES):
        pytest.skip(f"Kokoro-82M's files are not prepared in {PREPARED_MODELS[0]}: ./scripts/setup neural")
    return {kokoro_files.ENV_FOLDER: str(PREPARED_MODELS[0].parent)}


@pytest.fixture
def web():
    with WebServer() as server:
        yield server


@pytest.fixture
def clock():
    return FakeClock()


# A show's config that reads only local data: tests never depend on the network being absent.
# (The bundled papers are real arXiv papers: reading them in full would fetch them from arXiv.)
FILE_SOURCE = '[[sources]]\ntype = "file"\n[fulltext]\nenabled = false\n'
# ...and speaks with the offline voice, unless a test brings its own edge-tts server.
OFFLINE_TTS = '[tts]\nengine = "espeak"\n'


def espeak_speaker(language: str, voice: str = "", **espeak) -> Speaker:
    """The offline engine for ``language`` (the preset's voice unless ``voice``)."""
    config = TTSConfig(engine="espeak", voice=voice, engines={"espeak": EspeakOptions(**espeak)})
    return open_speaker(config, language, context=None)


def say(engine: Speaker, text: str, thoughts: bool = False) -> Utterance:
    """One paragraph spoken by ``engine``, no lexicon applied."""
    return engine.speak_all([Line(text, int(thoughts))], Lexicon(None, {}), lambda n: None)[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A show with one episode, its state folder inside the publish folder (the worst case),
    served on a free port."""
    root = tmp_path_factory.mktemp("served")
    port = free_port()
    (root / "podcast.toml").write_text(
        f'[show]\nmax_papers = 1\ntarget_minutes = 1\n[publish]\nbase_url = "http://127.0.0.1:{port}/"\n'
        f'[state]\ndir = "feed/.state"\n{FILE_SOURCE}{OFFLINE_TTS}', encoding="utf-8")
    config = load_config(root / "podcast.toml", root)
    episode = run_episode(config, now=SATURDAY_MORNING).episode
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    log = (root / "serve.log").open("wb")  # a file, not a pipe: a full pipe would stall the server
    process = subprocess.Popen([sys.executable, "-m", "podcast", "serve", "--no-schedule", "--port", str(port)], cwd=root, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None:
                raise AssertionError((root / "serve.log").read_text()) from None
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", root / "feed", episode, port
    process.terminate()
    assert process.wait(timeout=10) == 0
    log.close()


def fetch(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
