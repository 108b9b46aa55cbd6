"""Stage 3, write: the broadcast script for the chosen papers.

A writer backend fills in, for each paper, what it does, how it bears on the listeners' project
and the concrete steps to take; :func:`compose_script` puts that into the show's fixed frame
(greeting with date, time and weekday; "第 N 篇论文"; the closing line) and makes every line
speech-ready. Backends register in :data:`WRITERS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from datetime import datetime
from .. import i18n
from ..models import Pick, Script, Segment
from ..registry import Backend, Registry
from ..speakable import speakable


@dataclass(frozen=True)
class Brief:
    """What a writer needs to know besides the papers."""

    language: str
    show_title: str
    project: str
    moment: datetime  # local time of the broadcast, in the show's time zone


@dataclass(frozen=True)
class PaperNotes:
    """A writer's words on one paper, before they are framed and cleaned for speech."""

    title: str
    summary: str
    thoughts: str
    steps: tuple[str, ...]


class Writer(Backend, ABC):
    def write(self, picks: Sequence[Pick], brief: Brief) -> Script:
        return compose_script(picks, [self.notes(pick, brief) for pick in picks], brief)

    @abstractmethod
    def notes(self, pick: Pick, brief: Brief) -> PaperNotes:
        """Title, what the paper does, thoughts for our project and steps, in brief.language."""


WRITERS: Registry[type[Writer]] = Registry("writer")


def compose_script(picks: Sequence[Pick], notes: Sequence[PaperNotes], brief: Brief) -> Script:
    words = i18n.phrases(brief.language)
    say = partial(speakable, language=brief.language)
    segments = []
    for number, (pick, note) in enumerate(zip(picks, notes, strict=True), start=1):
        title = _one_line(say(note.title)).rstrip("。.")
        steps = [_one_line(say(step)) for step in note.steps if step.strip()]
        parts = [
            words.heading.format(n=number),
            words.title_line.format(title=title),
            *_paragraphs(words.summary_line, say(note.summary)),
            *_paragraphs(words.thoughts_line, say(note.thoughts)),
            *(i18n.step_line(i, step, brief.language) for i, step in enumerate(steps, start=1)),
        ]
        segments.append(Segment(number, pick.paper.id, title, tuple(parts)))
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


from . import template as _template  # noqa: E402,F401  (registers the built-in backends)
