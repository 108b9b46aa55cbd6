"""How the offline template script sounds across its papers: write the offline 5-paper episode
(the bundled sample papers, sized for espeak-ng as `podcast run --offline` sizes it) in Chinese
and in English, for the default project and the tests' tax project, and print the repetition of
the takes and steps, the figures said, and the length of each part.

    .venv/bin/python bench/script.py [--papers 5] [--show]

Targets (issue 17): at most 10% of the characters of the takes and steps in sentences two or
more papers say (42% before), figures said for at least 80% of the papers whose material reports
them; an English show with a Chinese-only project says no Chinese character. The measures are
defined in tests/script_measures.py; tests/test_template.py asserts them.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/select.py shares its name with the standard library's select module: keep this folder
# off the import path, or `import subprocess` (which imports select) would load the benchmark.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.script_measures

import argparse
import statistics

from tests.conftest import SATURDAY_MORNING, TAX_PROJECT
from tests.script_measures import cjk, figures_said, offline_episode, repetition, stray_latin

from podcast.config import DEFAULT_PROJECT
from podcast.sources.file import FileOptions, FileSource
from podcast.speak.timing import speech_units

MAX_REPETITION = 0.10
MIN_FIGURES = 0.8
CHINESE_ONLY_PROJECT = "我们在为税务领域微调大语言模型：监督微调、强化学习、评测与部署。"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=5)
    parser.add_argument("--show", action="store_true", help="print the scripts too")
    args = parser.parse_args()
    papers = FileSource(FileOptions()).fetch(SATURDAY_MORNING.date())
    print(f"offline {args.papers}-paper episode, template writer, sized for espeak-ng")
    print(f"{'show':22} {'budget':>6} {'repeated':>8} {'clauses':>8} {'figures':>7} "
          f"{'summary':>7} {'take':>5} {'steps':>5}  {'take chars':>10}")
    for language in ("zh-CN", "en-US"):
        for name, project in (("default", DEFAULT_PROJECT[language]), ("tax", TAX_PROJECT)):
            show = offline_episode(papers, language, project, SATURDAY_MORNING, args.papers)
            said, reporting = figures_said(show.script, show.picks)
            parts = [_parts(segment, language) for segment in show.script.segments]
            summary, take, steps, chars = (statistics.mean(p[i] for p in parts) for i in range(4))
            print(f"{language + ' ' + name + ' project':22} {show.paper_units:>6} "
                  f"{repetition(show.script):>8.1%} {repetition(show.script, True):>8.1%} "
                  f"{f'{said}/{reporting}':>7} {summary:>7.0f} {take:>5.0f} {steps:>5.0f}  "
                  f"{chars:>10.0f}")
            if args.show:
                print(show.script.text())
    english = offline_episode(papers, "en-US", CHINESE_ONLY_PROJECT, SATURDAY_MORNING, args.papers)
    chinese = offline_episode(papers, "zh-CN", DEFAULT_PROJECT["en-US"], SATURDAY_MORNING,
                              args.papers)
    print(f"English show, Chinese-only project: {len(cjk(english.script.text()))} CJK characters")
    stray = stray_latin(chinese.script, papers, DEFAULT_PROJECT["en-US"])
    print(f"Chinese show, English-only project: {len(stray)} English words not the papers' "
          f"{sorted(stray)}")
    print(f"targets: repeated at most {MAX_REPETITION:.0%}, figures said for at least "
          f"{MIN_FIGURES:.0%}; summary, take and steps in speech units per paper (mean), take "
          "chars: characters of the take (mean)")


def _parts(segment, language: str) -> tuple[float, float, float, int]:
    """Speech units of what the paper does, the take and the steps; characters of the take."""
    parts = segment.parts
    take = parts[segment.thoughts_at]
    return (speech_units(" ".join(parts[2:segment.thoughts_at]), language),
            speech_units(take, language),
            speech_units(" ".join(parts[segment.thoughts_at + 1:]), language),
            len(take.split("：", 1)[-1] if language == "zh-CN" else take.split(": ", 1)[-1]))


if __name__ == "__main__":
    main()
