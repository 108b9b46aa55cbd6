"""The show's formats measured on the offline template writer: for each format and language,
over the 8 bundled sample papers (the default project), the turns, speaker-alternation
violations, repeated turns, papers whose figures are said, and the estimated length against the
target; then, with --audio, real offline episodes (espeak-ng, music as shipped): a conversation
of 3 papers at 6:00 and a 5-paper brief, their MP3 length against the promise.

    .venv/bin/python bench/formats.py [--minutes 16] [--audio] [--show]

A brief tells the papers that fit in 2:00 (five), as the pipeline does, whatever the target.

Targets (issue 19): turns alternate strictly (0 violations), no turn said twice, figures said
for every paper whose material reports them (a brief: all but those whose figure sentence is too
long for its line), a conversation within 10% of its target, a 5-paper brief under 2:00. The
tests (tests/test_formats.py) assert them.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import subprocess` (which imports select) would load the benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.script_measures

import argparse
import re
import tempfile
from itertools import pairwise

from mutagen.mp3 import MP3
from tests.conftest import FILE_SOURCE, OFFLINE_TTS, SATURDAY_MORNING
from tests.script_measures import espeak_pace, figures_said, offline_episode

from podcast.config import DEFAULT_PROJECT, load_config
from podcast.models import FORMATS
from podcast.pipeline import run_episode
from podcast.sources.file import FileOptions, FileSource
from podcast.speak.timing import BRIEF_SECONDS, clock
from podcast.write import Brief, compose_script

LANGUAGES = ("zh-CN", "en-US")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=16.0,
                        help="target for the 8 papers (a brief ignores it)")
    parser.add_argument("--audio", action="store_true", help="also build offline episodes")
    parser.add_argument("--show", action="store_true", help="print the scripts too")
    args = parser.parse_args()
    papers = FileSource(FileOptions()).fetch(SATURDAY_MORNING.date())
    print(f"offline episode of the {len(papers)} sample papers, template writer, sized for "
          f"espeak-ng, target {clock(args.minutes * 60)}")
    print(f"{'format':13} {'language':8} {'papers':>6} {'turns':>5} {'alternation':>11} "
          f"{'repeated':>8} "
          f"{'figures':>7} {'estimate':>8} {'vs target':>9}")
    for format in FORMATS:
        for language in LANGUAGES:
            frame = compose_script([], [], Brief(language, "", "", SATURDAY_MORNING,
                                                 format=format))
            count = min(len(papers), espeak_pace(language, format).room(args.minutes * 60, frame))
            show = offline_episode(papers, language, DEFAULT_PROJECT[language],
                                   SATURDAY_MORNING, count, args.minutes, format)
            script = show.script
            turns = [(segment.speaker(i), part) for segment in script.segments
                     for i, part in enumerate(segment.parts) if i > 0]
            violations = (sum(a == b for (a, _), (b, _) in pairwise(turns))
                          if format == "conversation" else 0)
            said = [re.sub(r"[\W_]+", "", part).lower() for _, part in turns]
            repeated = len(said) - len(set(said))
            figures, reporting = figures_said(script, show.picks)
            estimate = espeak_pace(language, format).estimate(script)
            target = BRIEF_SECONDS if format == "brief" else args.minutes * 60
            print(f"{format:13} {language:8} {count:>6} "
                  f"{len(turns) if format == 'conversation' else '-':>5} "
                  f"{violations:>11} {repeated:>8} {f'{figures}/{reporting}':>7} "
                  f"{clock(estimate):>8} {estimate / target:>9.3f}"
                  + ("  (of the 2:00 ceiling)" if format == "brief" else ""))
            if args.show:
                print(script.text())
    if args.audio:
        print("offline episodes (MP3 length):")
        for format, count, minutes in (("conversation", 3, 6.0), ("brief", 5, 30.0)):
            for language in LANGUAGES:
                length = _episode(language, format, count, minutes)
                promise = minutes * 60 if format == "conversation" else BRIEF_SECONDS
                print(f"  {format:13} {language:8} {count} papers: {clock(length)} "
                      f"({length:.1f} s), {length / promise:.3f} of "
                      f"{'the target' if format == 'conversation' else 'the 2:00 ceiling'} "
                      f"{clock(promise)}")


def _episode(language: str, format: str, papers: int, minutes: float) -> float:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "podcast.toml").write_text(
            f'[show]\nlanguage = "{language}"\nformat = "{format}"\nmax_papers = {papers}\n'
            f'target_minutes = {minutes}\n[selection]\nmin_score = 0\n{OFFLINE_TTS}{FILE_SOURCE}',
            encoding="utf-8")
        result = run_episode(load_config(root / "podcast.toml", root), now=SATURDAY_MORNING)
        return float(MP3(result.audio).info.length)


if __name__ == "__main__":
    main()
