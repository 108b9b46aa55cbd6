"""Shared fixtures: real bundled data, real config files in a temporary folder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from .clock import FakeClock
from .webserver import WebServer

from podcast.config import Config, TTSConfig, load_config
from podcast.models import Paper
from podcast.sources.file import FileOptions, FileSource
from podcast.speak import Line, Speaker, Utterance, open_speaker
from podcast.speak.espeak import EspeakOptions
from podcast.voices import Lexicon

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Saturday morning, as in the issue: "上午 9 点 30 分，星期六".
SATURDAY_MORNING = datetime(2026, 11, 21, 9, 30, tzinfo=SHANGHAI)
TAX_PROJECT = "我们在为税务和财报分析微调大语言模型：读上市公司年报，回答税务问题。"


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
    """Proxy settings of the machine must not send requests for 127.0.0.1 elsewhere."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def web():
    with WebServer() as server:
        yield server


@pytest.fixture
def clock():
    return FakeClock()


# A show's config that reads only local data: tests never depend on the network being absent.
FILE_SOURCE = '[[sources]]\ntype = "file"\n'
# ...and speaks with the offline voice, unless a test brings its own edge-tts server.
OFFLINE_TTS = '[tts]\nengine = "espeak"\n'


def espeak_speaker(language: str, voice: str = "", **espeak) -> Speaker:
    """The offline engine for ``language`` (the preset's voice unless ``voice``)."""
    config = TTSConfig(engine="espeak", voice=voice, engines={"espeak": EspeakOptions(**espeak)})
    return open_speaker(config, language, context=None)


def say(engine: Speaker, text: str, thoughts: bool = False) -> Utterance:
    """One paragraph spoken by ``engine``, no lexicon applied."""
    return engine.speak_all([Line(text, thoughts)], Lexicon(None, {}), lambda n: None)[0]
