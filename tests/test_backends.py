"""A new backend is one class and its registration: a source, a TTS engine and a publish target
written here, each registered under its own name, carry a whole episode from podcast.toml to a
published feed, without a line of the core changed."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

import feedparser
import pytest

from podcast.config import load_config
from podcast.errors import PublishError
from podcast.models import Paper
from podcast.pipeline import run_episode
from podcast.produce.audio import AudioSegment, decode_file
from podcast.publish import EPISODE_FILES, TARGETS, PublishTarget
from podcast.sources import SOURCES, Source
from podcast.speak import ENGINES, Speaker

from .conftest import SATURDAY_MORNING


@dataclass(frozen=True)
class NotesOptions:
    titles: tuple[str, ...] = ()


class NotesSource(Source):
    """Papers from titles written in podcast.toml."""

    Options = NotesOptions
    offline = True

    def fetch(self, day: date) -> list[Paper]:
        return [Paper(f"2611.{9000 + n:05d}", title, f"{title}. We fine-tune a large language model with LoRA on "
                      "tax questions and evaluate it on a new benchmark.", ("A. Author",), published=day)
                for n, title in enumerate(self.options.titles)]


@dataclass(frozen=True)
class ToneOptions:
    hz: int = 440


class ToneSpeaker(Speaker):
    """Every sentence a tone, as long as the sentence would take to say."""

    Options = ToneOptions
    offline = True

    def speak_chunk(self, text: str, voice: str) -> tuple[AudioSegment, list[float] | None]:
        rate, seconds = 24_000, max(0.3, len(text) / 12)
        samples = (round(8000 * math.sin(2 * math.pi * self.options.hz * i / rate)) for i in range(int(rate * seconds)))
        return AudioSegment(struct.pack(f"<{int(rate * seconds)}h", *samples), sample_width=2, frame_rate=rate,
                            channels=1), None


class MemoryTarget(PublishTarget):
    """Files kept in a dictionary, as an object store would keep them."""

    example = "memory://name"
    stores: ClassVar[dict[str, dict[str, bytes]]] = {}

    @property
    def files(self) -> dict[str, bytes]:
        return self.stores.setdefault(self.config.target, {})

    def exists(self, name: str) -> bool:
        return name in self.files

    def add(self, name: str, source: Path | bytes) -> None:
        if name in self.files:
            raise PublishError(f"{name}: already published")
        self.files[name] = source if isinstance(source, bytes) else source.read_bytes()

    def replace(self, name: str, data: bytes) -> None:
        self.files[name] = data

    def remove(self, names: Sequence[str]) -> None:
        for name in names:
            self.files.pop(name, None)

    def location(self, name: str) -> str:
        return f"{self.config.target}/{name}"


@pytest.fixture
def registered() -> Iterator[None]:
    SOURCES.register("notes")(NotesSource)
    ENGINES.register("tone")(ToneSpeaker)
    TARGETS.register("memory")(MemoryTarget)
    try:
        yield
    finally:
        SOURCES.unregister("notes")
        ENGINES.unregister("tone")
        TARGETS.unregister("memory")
        MemoryTarget.stores.clear()


def test_a_source_an_engine_and_a_target_of_our_own_carry_an_episode(registered, write_config, tmp_path):
    config = load_config(write_config("""
        [show]
        max_papers = 2
        target_minutes = 1
        [selection]
        min_score = 0
        [[sources]]
        type = "notes"
        titles = ["TaxBench: fine-tuning LLMs for tax law", "LoRA for annual reports"]
        [fulltext]
        enabled = false
        [writer]
        type = "template"
        [tts]
        engine = "tone"
        voice = "beep"
        [tts.tone]
        hz = 660
        [publish]
        target = "memory://show"
        base_url = "https://example.com/show/"
    """), tmp_path)
    result = run_episode(config, now=SATURDAY_MORNING)

    files = MemoryTarget.stores["memory://show"]
    stem = "episodes/2026-11-21"
    assert {stem + suffix for suffix in EPISODE_FILES} <= set(files) and {"feed.xml", "index.html"} <= set(files)
    assert result.audio == f"memory://show/{stem}.mp3" and result.standins == ("template script writer",)
    (tmp_path / "episode.mp3").write_bytes(files[stem + ".mp3"])
    audio = decode_file(tmp_path / "episode.mp3")
    assert abs(audio.duration_seconds - result.episode.duration) < 0.1 and audio.duration_seconds > 20
    feed = feedparser.parse(files["feed.xml"])
    (entry,) = feed.entries
    assert entry.enclosures[0].href == f"https://example.com/show/{stem}.mp3"
    titles = [p.title for p in result.episode.papers]
    assert titles and set(titles) <= {"TaxBench: fine-tuning LLMs for tax law", "LoRA for annual reports"}
    assert all(title in entry.description for title in titles)


def test_an_unknown_backend_lists_the_registered_ones(registered, write_config, tmp_path):
    from podcast.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown TTS engine; choose one of: edge, espeak, kokoro, tone"):
        load_config(write_config('[tts]\nengine = "piper"\n'), tmp_path)
    with pytest.raises(ConfigError, match=r'choose one of: "folder", "memory://name", "s3://bucket/prefix"'):
        load_config(write_config('[publish]\ntarget = "ftp://x"\n'), tmp_path)


def test_choosing_papers_opens_no_publish_target(registered, write_config, tmp_path):
    """`podcast papers` publishes nothing: a target that cannot be opened here (an S3 bucket
    without boto3, say) does not stop it."""
    from podcast.pipeline import preview

    class Unreachable(MemoryTarget):
        def __init__(self, config):
            raise PublishError("this target cannot be opened here")

    TARGETS.register("unreachable")(Unreachable)
    try:
        config = load_config(write_config('[selection]\nmin_score = 0\n[[sources]]\ntype = "notes"\n'
                                          'titles = ["LoRA for tax law"]\n'
                                          '[publish]\ntarget = "unreachable://x"\n'), tmp_path)
        choice = preview(config, now=SATURDAY_MORNING)
    finally:
        TARGETS.unregister("unreachable")
    assert [pick.paper.title for pick in choice.picks] == ["LoRA for tax law"]


def test_every_kind_declares_its_offline_stand_in():
    assert SOURCES.stand_in().name == "file" and ENGINES.stand_in().name == "espeak"
    from podcast.write import WRITERS

    assert WRITERS.stand_in().name == "template"
