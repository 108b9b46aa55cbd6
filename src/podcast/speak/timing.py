"""How long a script will take to say: sizing scripts to [show] target_minutes, and the
estimate printed before synthesis.

Speech is counted in units a voice speaks at a steady rate: Chinese characters (a Latin word
counts as two) for Chinese, words for English. Each voice preset says how many it speaks per
minute (voices/presets.toml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import Script

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z0-9]+(?:[.'-][A-Za-z0-9]+)*")
LATIN_WORD_IN_CHINESE = 2.0

# The fixed words around each paper (heading and title line) and the paper's share of the
# rest: what it does, then the thoughts, then the steps.
SHARES = {"summary": 0.45, "thoughts": 0.2, "steps": 0.35}
TITLE_UNITS = {"zh": 35, "en": 18}  # "第 1 篇论文。论文的标题是：…" and a title of usual length
PAPER_PAUSES = 7  # gaps between a paper's paragraphs: heading, title, summary, thoughts, steps
MIN_PAPER_UNITS = 60


def speech_units(text: str, language: str) -> float:
    latin = len(_LATIN_WORD.findall(text))
    if language.startswith("zh"):
        return len(_HAN.findall(text)) + LATIN_WORD_IN_CHINESE * latin
    return latin + len(_HAN.findall(text))


@dataclass(frozen=True)
class Pace:
    """How fast the voice speaks and how much silence and music the production adds."""

    units_per_minute: float
    language: str
    fixed_seconds: float  # music
    part_pause: float  # between paragraphs of a section
    section_pause: float  # after the greeting, before the closing
    paper_gap: float = 0.0  # from one paper to the next: the pause and the sting

    def seconds(self, text: str) -> float:
        return speech_units(text, self.language) / self.units_per_minute * 60

    def units(self, seconds: float) -> int:
        return int(seconds * self.units_per_minute / 60)

    def estimate(self, script: Script) -> float:
        """Seconds the produced episode will last."""
        sections = script.sections()
        speech = sum(self.seconds(part) for section in sections for part in section.parts)
        pauses = sum(self.part_pause * (len(s.parts) - 1) for s in sections)
        gaps = (self.section_pause * min(2, len(sections) - 1)
                + self.paper_gap * max(0, len(sections) - 3))
        return self.fixed_seconds + speech + pauses + gaps

    def paper_budget(self, target_seconds: float, papers: int, frame: Script) -> int:
        """Units each paper may speak (beyond its heading and title) for the show to last
        ``target_seconds``; ``frame`` is the script with no papers (greeting and closing)."""
        if papers <= 0:
            return 0
        per_paper = (target_seconds - self.estimate(frame)) / papers
        heading_and_title = TITLE_UNITS["zh" if self.language.startswith("zh") else "en"]
        per_paper -= ((self.section_pause + (papers - 1) * self.paper_gap) / papers
                      + PAPER_PAUSES * self.part_pause)
        return max(MIN_PAPER_UNITS, self.units(per_paper) - heading_and_title)


def clock(seconds: float) -> str:
    """``m:ss``, as people say a length."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"
