"""Synthesize the 5-paper script through the edge engine against a local fake edge-tts server
with 300 ms first-byte latency that streams audio at 20x real time, at concurrency 1 and 4,
and print wall seconds and their ratio (target: concurrency 4 at least 3x faster).

    .venv/bin/python bench/tts.py

The server's audio is made before timing (it is espeak-ng encoded to MP3, which the real
service does not spend our CPU on); the client's cache is off, so every run makes every request.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import subprocess` (which imports select) would load the benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.fake_edge

import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.fake_edge import EdgeServer, FakeEdge

from podcast.produce import Music, pace
from podcast.registry import NoOptions
from podcast.select import Profile, select_papers
from podcast.sources.file import FileOptions, FileSource
from podcast.speak import SpeakContext, open_speaker, script_lines
from podcast.speak.edge import ENDPOINT_ENV
from podcast.speak.voices import Lexicon, TTSConfig
from podcast.write import WRITERS, Brief, compose_script

PROJECT = "我们在为税务领域微调大语言模型：监督微调、强化学习、评测与部署。"


def script():
    moment = datetime(2026, 11, 21, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    papers = FileSource(FileOptions()).fetch(moment.date())
    picks = select_papers(papers, Profile(PROJECT), 5).picks
    speaker = open_speaker(TTSConfig(engine="espeak"), "zh-CN", SpeakContext())
    timing = pace(speaker.settings, Music.load())
    brief = Brief("zh-CN", "AI 论文早报", PROJECT, moment)
    units = timing.paper_budget(8 * 60, len(picks), compose_script([], [], brief))
    return WRITERS.get("template")(NoOptions()).write(picks, Brief("zh-CN", "AI 论文早报", PROJECT, moment, units))


def synthesize(server: EdgeServer, lines, concurrency: int) -> tuple[float, float, int]:
    context = SpeakContext(None, {ENDPOINT_ENV: server.url}, concurrency, 2, 0.1)
    engine = open_speaker(TTSConfig(engine="edge"), "zh-CN", context)
    before = len(server.fake.requests)
    start = time.perf_counter()
    spoken = engine.speak_all(lines, Lexicon.load("zh-CN"), lambda n: None)
    wall = time.perf_counter() - start
    return wall, sum(u.audio.duration_seconds for u in spoken), len(server.fake.requests) - before


def main() -> None:
    os.environ.setdefault("NO_PROXY", "127.0.0.1")
    lines = [line for _, section in script_lines(script()) for line in section]
    with EdgeServer(FakeEdge()) as server:
        synthesize(server, lines, 8)  # the server makes its audio once, before timing
        server.fake.latency, server.fake.speed = 0.3, 20.0
        one = synthesize(server, lines, 1)
        four = synthesize(server, lines, 4)
    print(f"5-paper script: {len(lines)} paragraphs, {one[2]} requests, {one[1]:.0f} s of speech")
    print("  fake service: 300 ms to first byte, audio streamed at 20x real time")
    print(f"  concurrency 1: {one[0]:.2f} s wall")
    print(f"  concurrency 4: {four[0]:.2f} s wall")
    print(f"  speed-up:      {one[0] / four[0]:.2f}x (target at least 3x)")


if __name__ == "__main__":
    main()
