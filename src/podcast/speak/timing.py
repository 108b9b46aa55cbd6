"""How long a script will take to say: sizing scripts to [show] target_minutes, and the
estimate printed before synthesis.

Speech is counted in units a voice speaks at a steady rate: Chinese characters (a Latin word
counts as two) for Chinese, words for English. Each voice preset says how many it speaks per
minute (voices/presets.toml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import i18n
from ..models import Script

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z0-9]+(?:[.'-][A-Za-z0-9]+)*")
LATIN_WORD_IN_CHINESE = 2.0

# A paper's share of its budget: what it does, then the thoughts, then the steps.
SHARES = {"summary": 0.45, "thoughts": 0.2, "steps": 0.35}
# A title of usual length, the bundled papers' average (24 units, 12 words); a spoken title is
# shortened to TITLE_LIMIT. The frame's own words around a paper come from i18n.
TITLE_UNITS = {"zh": 24, "en": 12}
TITLE_LIMIT = {"zh": 40, "en": 20}
# A paper's paragraphs: heading, title, what it does, the thoughts and three steps.
PAPER_PARAGRAPHS = 7
PAPER_STEPS = 3
# The least a paper says besides the frame's words, in seconds of speech: a sentence on what
# it does, the take and three short steps (the template writer's shortest, measured: 130
# Chinese characters, 90 English words). A show tells no more papers than its target has room
# for at this length each.
MIN_PAPER_SECONDS = 35.0


def speech_units(text: str, language: str) -> float:
    latin = len(_LATIN_WORD.findall(text))
    if language.startswith("zh"):
        return len(_HAN.findall(text)) + LATIN_WORD_IN_CHINESE * latin
    return latin + len(_HAN.findall(text))


def frame_units(language: str) -> float:
    """What the frame says around a paper besides its budget: "第 1 篇论文。论文的标题是：" and a
    title of usual length, "论文的内容是：", "以下是我的思考：", "第一步，" for three steps (or
    their English)."""
    words = i18n.phrases(language)
    said = [words.heading.format(n=1), words.title_line.format(title=""),
            words.summary_line.format(text=""), words.thoughts_line.format(text=""),
            *(i18n.step_line(number, "", language) for number in range(1, PAPER_STEPS + 1))]
    return (speech_units(" ".join(said), language)
            + TITLE_UNITS["zh" if language.startswith("zh") else "en"])


@dataclass(frozen=True)
class Pace:
    """How fast the voice speaks and how much silence and music the production adds.

    A paragraph lasts its units at the voice's rate, less the silence the engine leaves around
    it that assembly trims (``trim``); the production adds ``part_pause`` between paragraphs,
    ``section_pause`` after the opening and before the closing, ``paper_gap`` (the pause and
    the sting) from one paper to the next, and the music (``fixed_seconds``)."""

    units_per_minute: float
    language: str
    fixed_seconds: float  # music
    part_pause: float  # between paragraphs of a section
    section_pause: float  # after the greeting, before the closing
    paper_gap: float = 0.0  # from one paper to the next: the pause and the sting
    trim: float = 0.0  # silence trimmed off each paragraph's ends

    def seconds(self, text: str) -> float:
        return speech_units(text, self.language) / self.units_per_minute * 60

    def units(self, seconds: float) -> int:
        return int(seconds * self.units_per_minute / 60)

    def paragraph(self, text: str) -> float:
        """Seconds one paragraph lasts once spoken and trimmed."""
        return max(0.0, self.seconds(text) - self.trim)

    def estimate(self, script: Script) -> float:
        """Seconds the produced episode will last."""
        sections = script.sections()
        speech = sum(self.paragraph(part) for section in sections for part in section.parts)
        pauses = sum(self.part_pause * (len(s.parts) - 1) for s in sections)
        gaps = (self.section_pause * min(2, len(sections) - 1)
                + self.paper_gap * max(0, len(sections) - 3))
        return self.fixed_seconds + speech + pauses + gaps

    def paper_budget(self, target_seconds: float, papers: int, frame: Script) -> int:
        """Units each paper may speak, besides the frame's words around it (heading, title,
        labels: :func:`frame_units`), for the show to last ``target_seconds``; ``frame`` is the
        script with no papers (greeting and closing). Never less than :meth:`least_units`: a
        target too short for the papers is not met."""
        if papers <= 0:
            return 0
        per_paper = (target_seconds - self._around_papers(papers, frame)) / papers
        speech = per_paper - self._paper_overhead()
        return max(self.least_units(), int(self.units(speech) - frame_units(self.language)))

    def least_units(self) -> int:
        """The least a paper says besides the frame's words (MIN_PAPER_SECONDS)."""
        return self.units(MIN_PAPER_SECONDS)

    def room(self, target_seconds: float, frame: Script) -> int:
        """How many papers a show of ``target_seconds`` has room for, each saying at least
        :meth:`least_units`; one at least."""
        papers = 1
        while self.shortest(papers + 1, frame) <= target_seconds:
            papers += 1
        return papers

    def shortest(self, papers: int, frame: Script) -> float:
        """Seconds the episode lasts with every paper at :meth:`least_units`: a target below
        this cannot be met."""
        units = self.least_units() + frame_units(self.language)
        paper = units / self.units_per_minute * 60 + self._paper_overhead()
        return self._around_papers(papers, frame) + papers * paper

    def _around_papers(self, papers: int, frame: Script) -> float:
        """The frame (music, greeting, intro, closing) and the gaps that papers bring: the
        section pause before the first, the sting and pause between the others."""
        return self.estimate(frame) + self.section_pause + (papers - 1) * self.paper_gap

    def _paper_overhead(self) -> float:
        """Seconds each paper adds besides its words: pauses between its paragraphs, less the
        silence trimmed off them."""
        return (PAPER_PARAGRAPHS - 1) * self.part_pause - PAPER_PARAGRAPHS * self.trim


def clock(seconds: float) -> str:
    """``m:ss``, as people say a length."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"
