"""Stage 3, write: the broadcast script for the chosen papers.

A writer backend says, for each paper, what it does, how it bears on the listeners' project and
the concrete steps to take, plus the show notes; :func:`compose_script` puts that into the
show's fixed frame (greeting with date, time and weekday computed here, never by a model;
"第 N 篇论文"; the closing line) and makes every line speech-ready. Backends register in
:data:`WRITERS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from .. import i18n
from ..config import LlmConfig
from ..models import Pick, Script, Segment, ShowNotes
from ..registry import Backend, Registry
from ..speakable import speakable


@dataclass(frozen=True)
class Brief:
    """What a writer needs to know besides the papers."""

    language: str
    show_title: str
    project: str
    moment: datetime  # local time of the broadcast, in the show's time zone
    paper_units: int = 400  # speech each paper may take (timing.speech_units), heading and title aside


@dataclass(frozen=True)
class PaperText:
    """A writer's words on one paper, before they are framed and cleaned for speech."""

    title: str
    summary: str
    thoughts: str
    steps: tuple[str, ...]
    notes: ShowNotes = ShowNotes()


@dataclass(frozen=True)
class WriteContext:
    """What writers that call out need: the LLM endpoint, secrets, a cache folder."""

    llm: LlmConfig = field(default_factory=LlmConfig)
    env: Mapping[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None


class Writer(Backend, ABC):
    def __init__(self, options: Any, context: WriteContext | None = None) -> None:
        super().__init__(options)
        self.context = context or WriteContext()
        self.usage: dict[str, Any] = {}  # calls, tokens and cost, for writers that spend them
        self.fallbacks = 0  # papers another writer had to write

    def write(self, picks: Sequence[Pick], brief: Brief) -> Script:
        return compose_script(picks, self.texts(picks, brief), brief)

    def texts(self, picks: Sequence[Pick], brief: Brief) -> list[PaperText]:
        return [self.text(pick, brief) for pick in picks]

    @abstractmethod
    def text(self, pick: Pick, brief: Brief) -> PaperText:
        """Title, what the paper does, thoughts for our project and steps, in brief.language."""


WRITERS: Registry[type[Writer]] = Registry("writer")


def compose_script(picks: Sequence[Pick], texts: Sequence[PaperText], brief: Brief) -> Script:
    words = i18n.phrases(brief.language)
    say = partial(speakable, language=brief.language)
    segments = []
    for number, (pick, text) in enumerate(zip(picks, texts, strict=True), start=1):
        title = _one_line(say(text.title)).rstrip("。.")
        steps = [_one_line(say(step)) for step in text.steps if step.strip()]
        opening = [
            words.heading.format(n=number),
            words.title_line.format(title=title),
            *_paragraphs(words.summary_line, say(text.summary)),
        ]
        thoughts = [
            *_paragraphs(words.thoughts_line, say(text.thoughts)),
            *(i18n.step_line(i, step, brief.language) for i, step in enumerate(steps, start=1)),
        ]
        segments.append(Segment(number, pick.paper.id, title, (*opening, *thoughts),
                                replace(text.notes, title=title), thoughts_at=len(opening)))
    count = len(segments)
    intro = words.intro_one if count == 1 else words.intro.format(n=count)
    return Script(
        language=brief.language,
        greeting=i18n.greeting(brief.moment, brief.language),
        intro=intro,
        segments=tuple(segments),
        closing=words.closing,
    )


def _paragraphs(lead: str, text: str) -> list[str]:
    """The lead phrase in front of the first paragraph of ``text``."""
    paragraphs = text.split("\n\n") if text else [""]
    return [lead.format(text=paragraphs[0]), *paragraphs[1:]]


def _one_line(text: str) -> str:
    return " ".join(text.split("\n\n"))


from . import llm as _llm  # noqa: E402,F401  (registers the built-in backends)
from . import template as _template  # noqa: E402,F401
