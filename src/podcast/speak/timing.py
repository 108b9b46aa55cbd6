"""How long a script will take to say: sizing scripts to [show] target_minutes, and the
estimate printed before synthesis.

Speech is counted in units a voice speaks at a steady rate: Chinese characters (a Latin word
counts as two) for Chinese, words for English. Each voice preset says how many it speaks per
minute (voices/presets.toml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from .. import i18n
from ..models import BRIEF, BROADCAST, CONVERSATION, Script

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

# A conversation's paper: its heading and twelve turns, host and analyst by turns (the template
# writer's: the problem, the method, the results, a caution, the take and the steps, each asked
# and answered), the voice changing at every turn but the first. The production adds
# TURN_PAUSE where the voice changes, besides the pause between paragraphs. The least it says
# besides its heading: the template writer's shortest, measured (265 Chinese characters, 175
# English words).
CONVERSATION_PARAGRAPHS = 13
CONVERSATION_CHANGES = 12
TURN_PAUSE = 0.25
MIN_CONVERSATION_SECONDS = 80.0
# A brief ignores [show] target_minutes: it tells BRIEF_PAPERS papers at most, each in about
# BRIEF_PAPER_SECONDS (what it found and why it matters to us; a headline figure may take
# longer) after its number and a short title (BRIEF_TITLE_LIMIT), so that with the music, the
# greeting and the stings it stays under BRIEF_SECONDS (offline, five papers: 1:50-1:52).
BRIEF_PAPERS = 5
BRIEF_PAPER_SECONDS = 6.0
BRIEF_TITLE_LIMIT = {"zh": 26, "en": 10}
BRIEF_TITLE_UNITS = {"zh": 12, "en": 6}
BRIEF_SECONDS = 120.0


def speech_units(text: str, language: str) -> float:
    latin = len(_LATIN_WORD.findall(text))
    if language.startswith("zh"):
        return len(_HAN.findall(text)) + LATIN_WORD_IN_CHINESE * latin
    return latin + len(_HAN.findall(text))


def frame_units(language: str, format: str = BROADCAST) -> float:
    """What the frame says around a paper besides its budget: "第 1 篇论文。论文的标题是：" and a
    title of usual length, "论文的内容是：", "以下是我的思考：", "第一步，" for three steps (or
    their English). A conversation's frame is its heading (the host says the title in the
    first turn); a brief's its number and a short title."""
    words = i18n.phrases(language)
    key = "zh" if language.startswith("zh") else "en"
    if format == CONVERSATION:
        return speech_units(words.heading.format(n=1), language)
    if format == BRIEF:
        return (speech_units(words.brief_line.format(n=1, title="", text=""), language)
                + BRIEF_TITLE_UNITS[key])
    said = [words.heading.format(n=1), words.title_line.format(title=""),
            words.summary_line.format(text=""), words.thoughts_line.format(text=""),
            *(i18n.step_line(number, "", language) for number in range(1, PAPER_STEPS + 1))]
    return speech_units(" ".join(said), language) + TITLE_UNITS[key]


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
    turn_pause: float = TURN_PAUSE  # where a conversation's voice changes

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
        return self.fixed_seconds + speech + pauses + gaps + self.turn_pause * _changes(script)

    def paper_budget(self, target_seconds: float, papers: int, frame: Script) -> int:
        """Units each paper may speak, besides the frame's words around it (heading, title,
        labels: :func:`frame_units`), for the show to last ``target_seconds``; ``frame`` is the
        script with no papers (greeting and closing), in the show's format. Never less than
        :meth:`least_units`: a target too short for the papers is not met. A brief ignores the
        target: its papers say BRIEF_PAPER_SECONDS each."""
        if papers <= 0:
            return 0
        if frame.format == BRIEF:
            return self.least_units(frame.format)
        per_paper = (target_seconds - self._around_papers(papers, frame)) / papers
        speech = per_paper - self._paper_overhead(frame.format)
        return max(self.least_units(frame.format),
                   int(self.units(speech) - frame_units(self.language, frame.format)))

    def least_units(self, format: str = BROADCAST) -> int:
        """The least a paper says besides the frame's words (:meth:`least_seconds`)."""
        return self.units(self.least_seconds(format))

    @staticmethod
    def least_seconds(format: str = BROADCAST) -> float:
        """MIN_PAPER_SECONDS; a conversation's MIN_CONVERSATION_SECONDS; a brief's paper says
        BRIEF_PAPER_SECONDS."""
        seconds = {CONVERSATION: MIN_CONVERSATION_SECONDS, BRIEF: BRIEF_PAPER_SECONDS}
        return seconds.get(format, MIN_PAPER_SECONDS)

    def room(self, target_seconds: float, frame: Script) -> int:
        """How many papers a show of ``target_seconds`` has room for, each saying at least
        :meth:`least_units`; one at least. A brief has room for BRIEF_PAPERS, whatever the
        target."""
        if frame.format == BRIEF:
            return BRIEF_PAPERS
        papers = 1
        while self.shortest(papers + 1, frame) <= target_seconds:
            papers += 1
        return papers

    def shortest(self, papers: int, frame: Script) -> float:
        """Seconds the episode lasts with every paper at :meth:`least_units`: a target below
        this cannot be met."""
        units = self.least_units(frame.format) + frame_units(self.language, frame.format)
        paper = units / self.units_per_minute * 60 + self._paper_overhead(frame.format)
        return self._around_papers(papers, frame) + papers * paper

    def _around_papers(self, papers: int, frame: Script) -> float:
        """The frame (music, greeting, intro, closing) and the gaps that papers bring: the
        section pause before the first, the sting and pause between the others."""
        return self.estimate(frame) + self.section_pause + (papers - 1) * self.paper_gap

    def _paper_overhead(self, format: str = BROADCAST) -> float:
        """Seconds each paper adds besides its words: pauses between its paragraphs (and, in a
        conversation, where the voice changes), less the silence trimmed off them."""
        if format == CONVERSATION:
            return ((CONVERSATION_PARAGRAPHS - 1) * self.part_pause
                    + CONVERSATION_CHANGES * self.turn_pause
                    - CONVERSATION_PARAGRAPHS * self.trim)
        paragraphs = 1 if format == BRIEF else PAPER_PARAGRAPHS
        return (paragraphs - 1) * self.part_pause - paragraphs * self.trim


def _changes(script: Script) -> int:
    """How often a conversation's voice changes from one paragraph to the next (0 for other
    formats: their second voice is no turn)."""
    if script.format != CONVERSATION:
        return 0
    said = [section.speaker(i) for section in script.sections() for i in range(len(section.parts))]
    return sum(a != b for a, b in pairwise(said))


def clock(seconds: float) -> str:
    """``m:ss``, as people say a length."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"
