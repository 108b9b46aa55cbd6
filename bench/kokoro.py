"""Kokoro-82M beside espeak-ng: the bundled 5-paper episode built offline by each, as a fresh
`podcast run --offline` process from an empty state folder, with wall seconds, audio seconds,
their ratio (the real-time factor: under 1 is faster than real time), peak memory and the
episode's loudness. Needs the neural extra and its files (./scripts/setup neural).

    .venv/bin/python bench/kokoro.py [--languages zh-CN,en-US]
    .venv/bin/python bench/kokoro.py --calibrate     # units_per_minute, trimmed_ms per voice

Peak memory is the largest resident set of the run's process or of any ffmpeg it started
(getrusage, in the run's own process). With --calibrate, every paragraph of the template
writer's scripts (8 sample papers at 4 and 8 minutes) is spoken by each preset's Kokoro voices,
and its length fitted by least squares to units / rate - trim, as voices/presets.toml wants
them. Figures are from one machine in one sitting.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import subprocess` (which imports select) would load the benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import json
import os
import subprocess
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from mutagen.mp3 import MP3

LANGUAGES = ("zh-CN", "en-US")
ENGINES = ("espeak", "kokoro")


# Run inside the child: the episode, then its own peak RSS and its children's (ffmpeg), in KB.
CHILD = """
import json, resource, sys
from podcast.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}),
      file=sys.stderr)
"""


def build(engine: str, language: str) -> dict:
    """One fresh offline build; its figures."""
    with tempfile.TemporaryDirectory(prefix="podcast-bench-") as folder:
        root = Path(folder)
        (root / "podcast.toml").write_text(
            f'[show]\nlanguage = "{language}"\nmax_papers = 5\n[selection]\nmin_score = 0\n'
            f'[tts]\nengine = "{engine}"\n', encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PODCAST_CONFIG"}
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, "run", "--offline", "--quiet", "--config", "podcast.toml"],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        figures = json.loads(done.stderr.strip().splitlines()[-1])
        if figures["code"] != 0:
            raise SystemExit(f"{engine} {language}: podcast run failed:\n{done.stderr}")
        (mp3,) = (root / "feed" / "episodes").glob("*.mp3")
        from podcast.produce.audio import decode_measured

        _, loudness = decode_measured(mp3)
        return {"wall": wall, "audio": MP3(mp3).info.length, "lufs": loudness.integrated,
                "peak": max(figures["self_kb"], figures["children_kb"]) / 1024}


def compare(languages: list[str]) -> None:
    print(f"the bundled 5-paper episode, offline, on {os.cpu_count()} cores "
          "(peak: the largest process of the run, MB)")
    print("| language | engine | wall s | audio s | wall / audio | peak MB | LUFS |")
    print("|---|---|---|---|---|---|---|")
    for language in languages:
        for engine in ENGINES:
            got = build(engine, language)
            print(f"| {language} | {engine} | {got['wall']:.1f} | {got['audio']:.1f} | "
                  f"{got['wall'] / got['audio']:.3f} | {got['peak']:.0f} | {got['lufs']:.1f} |", flush=True)


# -- --calibrate ------------------------------------------------------------------------------


def paragraphs(language: str) -> list[str]:
    """Every paragraph of the template writer's daily scripts over the 8 sample papers, at
    two targets (paragraphs from a few words to about half a minute)."""
    from podcast import i18n
    from podcast.models import BROADCAST
    from podcast.produce import Music, pace
    from podcast.registry import NoOptions
    from podcast.select import Profile, select_papers
    from podcast.sources.file import FileOptions, FileSource
    from podcast.speak import SpeakContext, TTSConfig, open_speaker
    from podcast.write import WRITERS, Brief, compose_script

    moment = datetime(2026, 11, 21, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    papers = FileSource(FileOptions()).fetch(moment.date())
    project = "我们在为税务和财报分析微调大语言模型。" if language == "zh-CN" else "We fine-tune language models for tax questions."
    picks = select_papers(papers, Profile(project), 8, language=language).picks
    brief = Brief(language, i18n.phrases(language).show_title, project, moment, format=BROADCAST)
    speaker = open_speaker(TTSConfig(engine="espeak"), language, SpeakContext())
    timing = pace(speaker.settings, Music.load().of(BROADCAST), BROADCAST)
    found: dict[str, None] = {}
    for minutes in (4, 8):
        units = timing.paper_budget(minutes * 60, len(picks), compose_script([], [], brief))
        script = WRITERS.get("template")(NoOptions()).write(picks, replace(brief, paper_units=units))
        for section in script.sections():
            found.update(dict.fromkeys(section.parts))
    return list(found)


def calibrate(languages: list[str]) -> None:
    import numpy

    from podcast.speak import Line, SpeakContext, TTSConfig, open_speaker
    from podcast.speak.timing import speech_units
    from podcast.speak.voices import Lexicon, presets

    cache = Path(tempfile.gettempdir()) / "podcast-bench-kokoro"
    for language in languages:
        texts = paragraphs(language)
        lexicon = Lexicon.load(language)
        for name, preset in presets(language).items():
            config = TTSConfig(engine="kokoro", preset=name)
            for voice in filter(None, (preset["kokoro"]["voice"], preset["kokoro"]["thoughts_voice"])):
                engine = open_speaker(replace(config, voice=voice, thoughts_voice="none"), language,
                                      SpeakContext(cache, dict(os.environ)))
                started = time.perf_counter()
                spoken = engine.speak_all([Line(t) for t in texts], lexicon, lambda n: None)
                wall = time.perf_counter() - started
                units = numpy.array([speech_units(t, language) for t in texts])
                seconds = numpy.array([s.audio.duration_seconds for s in spoken])
                slope, intercept = numpy.polyfit(units, seconds, 1)
                error = seconds - (slope * units + intercept)
                print(f"{language} {name} {voice}: {len(texts)} paragraphs, {seconds.sum():.0f} s; "
                      f"units_per_minute = {60 / slope:.0f}, trimmed_ms = {max(0, -intercept) * 1000:.0f} "
                      f"(intercept {intercept * 1000:+.0f} ms, rms error {numpy.sqrt((error ** 2).mean()):.2f} s); "
                      f"synthesised {engine.cache.made} sentences in {wall:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default=",".join(LANGUAGES))
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    languages = args.languages.split(",")
    calibrate(languages) if args.calibrate else compare(languages)


if __name__ == "__main__":
    main()
