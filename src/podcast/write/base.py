"""What a writer is given and what it gives back, and the show's frame around its words.

A writer backend says, for each paper of a daily show, what it does, how it bears on the
listeners' project and the concrete steps to take, plus the show notes; for a weekly recap, the
week's themes, the trend and recommendations. :func:`compose_script` and :func:`compose_recap`
put that into the show's fixed frame (greeting with date, time and weekday computed here, never
by a model; "第 N 篇论文"; the closing line) and make every line speech-ready. Backends subclass
:class:`Writer` and register in :data:`WRITERS`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from .. import i18n
from ..i18n import how_many
from ..llm import LlmConfig
from ..models import (
    BRIEF,
    BROADCAST,
    CONVERSATION,
    Host,
    Pick,
    Script,
    Segment,
    ShowNotes,
    Theme,
    WeekPapers,
)
from ..registry import Backend, Registry
from ..speak.engine import sentences
from ..speak.timing import BRIEF_TITLE_LIMIT
from .fit import Words, bounded, clip, fit_papers, fit_turns, spoken_title
from .phrasing import (
    RECAP_ADVICE_ASK,
    RECAP_ADVICE_LEAD,
    RECAP_FIRST_THEME,
    RECAP_HOST_STEP,
    RECAP_THEME_ASKS,
    RECAP_TREND_ASK,
)
from .phrasing import pick as in_language
from .speakable import speakable


@dataclass(frozen=True)
class Brief:
    """What a writer needs to know about the daily show besides the papers."""

    language: str
    show_title: str
    project: str
    moment: datetime  # local time of the broadcast, in the show's time zone
    # speech each paper's summary, thoughts and steps may take (timing.speech_units), the
    # frame's words around them aside (heading, title, labels: timing.frame_units)
    paper_units: int = 400
    format: str = BROADCAST  # models.FORMATS
    hosts: tuple[Host, ...] = ()  # a conversation's two voices: the host, then the analyst


@dataclass(frozen=True)
class PaperText:
    """A writer's words on one paper, before they are framed and cleaned for speech."""

    title: str
    summary: str  # a brief's one or two sentences: what it found and why it matters to us
    thoughts: str
    steps: tuple[str, ...]
    notes: ShowNotes = field(default_factory=ShowNotes)
    #: a conversation's turns on the paper, (speaker, words): 0 the host, who introduces the
    #: paper by its title, 1 the analyst; summary, thoughts and steps are what they talk over
    turns: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class RecapBrief:
    """What a writer needs to know about a weekly recap: the week's broadcast papers."""

    language: str
    project: str
    moment: datetime  # local time of the broadcast
    week: WeekPapers
    format: str = BROADCAST  # models.FORMATS: the recap speaks as the daily show does
    hosts: tuple[Host, ...] = ()  # a conversation's two voices: the host, then the analyst

    @property
    def when(self) -> str:
        """How the recap speaks of its week, seen from the day it is made (i18n.recap_when):
        "本周" while the week lasts, "上周" after it."""
        return i18n.recap_when(self.week.week.first, self.moment.date())


@dataclass(frozen=True)
class RecapText:
    """A writer's words on a week, before they are framed and cleaned for speech."""

    themes: tuple[Theme, ...]
    trend: str
    advice: tuple[str, ...]


@dataclass(frozen=True)
class WriteContext:
    """What writers that call out need: the model endpoint, secrets, a cache folder."""

    llm: LlmConfig = field(default_factory=LlmConfig)
    env: Mapping[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None


class Writer(Backend, ABC):
    """Writes every kind of episode: a paper at a time for the daily show, a week at a time for
    the recap."""

    def __init__(self, options: Any, context: WriteContext | None = None) -> None:
        super().__init__(options)
        self.context = context or WriteContext()
        self.usage: dict[str, Any] = {}  # calls, tokens and cost, for writers that spend them
        self.fallbacks = 0  # papers (or weeks) another writer had to write
        self.wrote = "script"  # what it wrote last, for the stand-ins line: "script" or "recap"

    def missing(self) -> str | None:
        """What this writer lacks to work at all (an API key), or None."""
        return None

    def write(self, picks: Sequence[Pick], brief: Brief) -> Script:
        """The daily show's script for ``picks``, in rank order."""
        self.wrote = "script"
        return compose_script(picks, self.texts(picks, brief), brief)

    def write_recap(self, brief: RecapBrief) -> tuple[Script, RecapText]:
        """The weekly recap's script, and the themes, trend and advice it says."""
        self.wrote = "recap"
        text = self.recap(brief)
        return compose_recap(text, brief), text

    def texts(self, picks: Sequence[Pick], brief: Brief) -> list[PaperText]:
        return [self.text(pick, brief) for pick in picks]

    @abstractmethod
    def text(self, pick: Pick, brief: Brief) -> PaperText:
        """Title, what the paper does, thoughts for our project and steps, in brief.language."""

    @abstractmethod
    def recap(self, brief: RecapBrief) -> RecapText:
        """Themes covering every paper of the week once, the trend and the advice."""


#: The writers that come with the program, each module imported when its writer is asked for.
WRITERS: Registry[type[Writer]] = Registry("writer", {
    "llm": "podcast.write.llm",
    "template": "podcast.write.template",
})


def compose_script(picks: Sequence[Pick], texts: Sequence[PaperText], brief: Brief) -> Script:
    """The daily show's script in its format: the writers' words, held to the time the show has
    (fit.py), in the show's frame."""
    if brief.format == CONVERSATION:
        return _conversation(picks, texts, brief)
    if brief.format == BRIEF:
        return _brief(picks, texts, brief)
    words = i18n.phrases(brief.language)
    say = partial(speakable, language=brief.language)
    said = fit_papers([Words(say(text.summary), say(text.thoughts),
                             tuple(filter(None, (_one_line(say(s)) for s in text.steps))))
                       for text in texts], brief.paper_units, brief.language)
    segments = []
    for number, (pick, text, spoken) in enumerate(zip(picks, texts, said, strict=True), start=1):
        title = _one_line(say(text.title)).rstrip("。.")
        short = spoken_title(title, brief.language)  # the notes keep the whole title
        opening = [
            words.heading.format(n=number),
            words.title_line.format(title=short),
            *_paragraphs(words.summary_line, spoken.summary),
        ]
        thoughts = [
            *_paragraphs(words.thoughts_line, spoken.thoughts),
            *(i18n.step_line(i, step, brief.language)
              for i, step in enumerate(spoken.steps, start=1)),
        ]
        segments.append(Segment(number, pick.paper.id, short, (*opening, *thoughts),
                                _clean_notes(text.notes, title, brief.language),
                                thoughts_at=len(opening)))
    return _frame(brief, segments)


def _frame(brief: Brief, segments: Sequence[Segment], hosts: tuple[Host, ...] = ()) -> Script:
    """The writers' segments between the greeting and the closing, which code says."""
    return Script(
        language=brief.language,
        greeting=i18n.greeting(brief.moment, brief.language),
        intro=i18n.intro(len(segments), brief.moment, brief.language),
        segments=tuple(segments),
        closing=i18n.closing(brief.moment, brief.language),
        format=brief.format,
        hosts=hosts,
    )


def _conversation(picks: Sequence[Pick], texts: Sequence[PaperText], brief: Brief) -> Script:
    """Each paper as its heading, then the hosts' turns, each turn a paragraph of one voice, held
    to the paper's share of the time as the broadcast's words are."""
    words = i18n.phrases(brief.language)
    say = partial(speakable, language=brief.language)
    segments = []
    for number, (pick, text) in enumerate(zip(picks, texts, strict=True), start=1):
        title = _one_line(say(text.title)).rstrip("。.")
        turns = [(speaker, _one_line(spoken)) for speaker, line in text.turns
                 if (spoken := say(line))]
        kept = fit_turns([line for _, line in turns], brief.paper_units, brief.language)
        said = [(speaker, paragraph) for (speaker, _), paragraphs in zip(turns, kept, strict=False)
                for paragraph in paragraphs]
        segments.append(Segment(
            number, pick.paper.id, spoken_title(title, brief.language),
            (words.heading.format(n=number), *(paragraph for _, paragraph in said)),
            _clean_notes(text.notes, title, brief.language),
            speakers=(0, *(speaker for speaker, _ in said)),
        ))
    return _frame(brief, segments, brief.hosts[:2])


def _brief(picks: Sequence[Pick], texts: Sequence[PaperText], brief: Brief) -> Script:
    """Each paper in one paragraph: its title, then what it found and why it matters to us."""
    words = i18n.phrases(brief.language)
    say = partial(speakable, language=brief.language)
    segments = []
    for number, (pick, text) in enumerate(zip(picks, texts, strict=True), start=1):
        whole = _one_line(say(text.title)).rstrip("。.")
        title = spoken_title(whole, brief.language)
        short = brief_title(whole, brief.language)  # the notes keep more
        line = words.brief_line.format(n=number, title=short, text=_one_line(say(text.summary)))
        segments.append(Segment(number, pick.paper.id, title, (line,),
                                _clean_notes(text.notes, title, brief.language)))
    return _frame(brief, segments)


def brief_title(title: str, language: str) -> str:
    """A paper's title as a brief says it: the part before its colon (its name, "Role-RL"),
    else the title up to BRIEF_TITLE_LIMIT."""
    head = re.split(r"\s*[:：]\s*", title, maxsplit=1)[0].strip()
    if head != title.strip() and len(head) >= 2:
        return head
    return spoken_title(title, language, BRIEF_TITLE_LIMIT)


def compose_recap(text: RecapText, brief: RecapBrief) -> Script:
    """The recap as a script in the show's format: the opening, a section per theme, the trend
    and advice, the closing."""
    if brief.format == CONVERSATION:
        return _recap_conversation(text, brief)
    if brief.format == BRIEF:
        return _recap_brief(text, brief)
    language = brief.language
    words = i18n.recap_phrases(language, brief.when)
    say = partial(speakable, language=language)
    segments = []
    for number, theme in enumerate(text.themes, start=1):
        ordinal = i18n.phrases(language).ordinals[number - 1]
        name = say(theme.name).rstrip("。.")
        summary = bounded(say(theme.summary), language)
        count = how_many(len(theme.paper_ids), "paper", language)
        parts = (words.theme_heading.format(ordinal=ordinal, name=name, papers=count),
                 *(summary.split("\n\n") if summary else ()))
        segments.append(Segment(number, "", name, parts,
                                chapter=words.theme_chapter.format(ordinal=ordinal, name=name)))
    advice = [say(step) for step in text.advice if step.strip()]
    trend = [words.trend_line.format(text=say(text.trend))] if text.trend.strip() else []
    steps = [words.advice_line,
             *(i18n.step_line(i, step, language) for i, step in enumerate(advice, start=1))]
    segments.append(Segment(len(segments) + 1, "", words.trend_chapter,
                            (*trend, *(steps if advice else ())),
                            thoughts_at=len(trend), chapter=words.trend_chapter))
    return _recap_frame(text, brief, words.intro, segments)


def _recap_frame(text: RecapText, brief: RecapBrief, intro: str, segments: Sequence[Segment],
                 hosts: tuple[Host, ...] = ()) -> Script:
    """The recap's segments between the greeting, the intro (``intro`` filled in with the
    week's span and counts) and the closing, which code says."""
    language, week = brief.language, brief.week
    span = i18n.week_span(week.days[0], week.days[-1], language)
    said = intro.format(span=span, papers=how_many(len(week.papers), "paper", language),
                        themes=how_many(len(text.themes), "theme", language))
    closing = i18n.closing(brief.moment, language, recap=True, when=brief.when)
    greeting = i18n.greeting(brief.moment, language)
    if brief.format == BROADCAST:  # as it always was, byte for byte
        return Script(language, greeting, said, tuple(segments), closing)
    return Script(language, greeting, said, tuple(segments), closing, format=brief.format,
                  hosts=hosts)


def _theme_names(text: RecapText, language: str) -> list[tuple[str, str, str]]:
    """Each theme's ordinal, its name as said, and its chapter title."""
    words = i18n.recap_phrases(language)
    ordinals = i18n.phrases(language).ordinals
    named = []
    for number, theme in enumerate(text.themes, start=1):
        name = speakable(theme.name, language).rstrip("。.")
        ordinal = ordinals[number - 1]
        named.append((ordinal, name, words.theme_chapter.format(ordinal=ordinal, name=name)))
    return named


def _recap_conversation(text: RecapText, brief: RecapBrief) -> Script:
    """The recap as the hosts' turns: the host brings in each theme and asks, the analyst
    summarises it; the host asks what the week says and what to do, the analyst answers and
    the host adds the last step."""
    language = brief.language
    words = i18n.recap_phrases(language, brief.when)
    week = i18n.recap_week(language, brief.when).week
    say = partial(speakable, language=language)
    hosts = brief.hosts[:2]
    analyst = hosts[1].name if len(hosts) > 1 else ""
    asks = in_language(RECAP_THEME_ASKS, language)
    segments = []
    for number, (theme, (ordinal, name, chapter)) in enumerate(
            zip(text.themes, _theme_names(text, language), strict=True), start=1):
        papers = how_many(len(theme.paper_ids), "paper", language)
        ask = (in_language(RECAP_FIRST_THEME, language)[0] if number == 1
               else asks[(number - 2) % len(asks)])
        summary = bounded(say(theme.summary), language)
        answer = [paragraph for paragraph in summary.split("\n\n") if paragraph]
        asked = _addressed(ask.format(analyst=analyst, ordinal=ordinal, name=name, papers=papers,
                                      week=week))
        parts = (asked, *answer)
        segments.append(Segment(number, "", name, parts, chapter=chapter,
                                speakers=(0, *(1 for _ in answer))))
    said: list[tuple[int, str]] = []
    trend = say(text.trend).replace("\n\n", " " if not i18n.is_chinese(language) else "")
    if trend.strip():
        ask = in_language(RECAP_TREND_ASK, language)[0].format(analyst=analyst)
        said += [(0, _addressed(ask)), (1, trend)]
    advice = [_one_line(say(step)) for step in text.advice if step.strip()]
    if advice:
        theirs, mine = (advice[:-1], advice[-1]) if len(advice) > 1 else (advice, "")
        lead = in_language(RECAP_ADVICE_LEAD, language)[0]
        joiner = "" if i18n.is_chinese(language) else " "
        steps = joiner.join(i18n.step_line(i, step, language)
                            for i, step in enumerate(theirs, start=1))
        said += [(0, in_language(RECAP_ADVICE_ASK, language)[0]), (1, f"{lead}{joiner}{steps}")]
        if mine:
            step = i18n.step_line(len(advice), mine, language)
            said.append((0, in_language(RECAP_HOST_STEP, language)[0].format(step=step)))
    if said:
        segments.append(Segment(len(segments) + 1, "", words.trend_chapter,
                                tuple(line for _, line in said), chapter=words.trend_chapter,
                                speakers=tuple(speaker for speaker, _ in said)))
    return _recap_frame(text, brief, words.intro, segments, hosts)


def _untitled(sentence: str) -> str:
    """A summary's sentence without the 《title》 it opens with, when more follows: a brief has
    no time for titles."""
    rest = re.sub(r"^《[^》]+》[：:]\s*", "", sentence)
    return rest if len(rest) >= 8 else sentence


def _addressed(line: str) -> str:
    """A host's line with the analyst's name left out where the show has none."""
    line = line.replace("，，", "，").replace(", ,", ",").lstrip("，, ")
    return line[:1].upper() + line[1:]


# a brief recap's sentence on a theme, at most (Chinese characters, English words): five themes
# and the trend stay well under two minutes with the music
RECAP_BRIEF_UNITS = {"zh": 40, "en": 24}
# themes a brief says a line on; any further ones (up to seven) share one line, name and count
RECAP_BRIEF_THEMES = 5


def _recap_brief(text: RecapText, brief: RecapBrief) -> Script:
    """The recap in brief: a line per theme (its name, how many papers, the first sentence of
    its summary), the themes beyond five in one line, the trend in a sentence."""
    language = brief.language
    words = i18n.recap_phrases(language, brief.when)
    say = partial(speakable, language=language)
    named = list(zip(text.themes, _theme_names(text, language), strict=True))
    segments = []
    for number, (theme, (ordinal, name, chapter)) in enumerate(named[:RECAP_BRIEF_THEMES],
                                                                start=1):
        first = clip(_untitled(next(iter(sentences(_one_line(say(theme.summary)))), "")),
                     RECAP_BRIEF_UNITS["zh" if i18n.is_chinese(language) else "en"], language)
        line = words.brief_theme.format(ordinal=ordinal, name=name, text=first,
                                        papers=how_many(len(theme.paper_ids), "paper", language))
        segments.append(Segment(number, "", name, (line.strip(),), chapter=chapter))
    comma, semicolon = ("，", "；") if i18n.is_chinese(language) else (", ", "; ")
    more = semicolon.join(f"{name}{comma}{how_many(len(theme.paper_ids), 'paper', language)}"
                          for theme, (_, name, _) in named[RECAP_BRIEF_THEMES:])
    if more:
        segments.append(Segment(len(segments) + 1, "", words.brief_more_chapter,
                                (words.brief_more.format(themes=more),),
                                chapter=words.brief_more_chapter))
    trend = next(iter(sentences(_one_line(say(text.trend)))), "")
    if trend:
        segments.append(Segment(len(segments) + 1, "", words.trend, (
            words.brief_trend.format(text=trend),), chapter=words.trend))
    return _recap_frame(text, brief, words.brief_intro, segments)


def _clean_notes(notes: ShowNotes, title: str, language: str) -> ShowNotes:
    """The notes cleaned as speech is (they go into the feed and the pages as they are): no
    address, markup or stray symbol from a writer, so the only links there are the paper's own."""
    joiner = "" if i18n.is_chinese(language) else " "
    cleaned: dict[str, Any] = {name: joiner.join(speakable(value, language).split("\n\n"))
                               for name, value in asdict(notes).items() if isinstance(value, str)}
    return ShowNotes.from_dict({**cleaned, "title": title, "stars": notes.stars})


def _paragraphs(lead: str, text: str) -> list[str]:
    """The lead phrase in front of the first paragraph of ``text``."""
    paragraphs = text.split("\n\n") if text else [""]
    return [lead.format(text=paragraphs[0]), *paragraphs[1:]]


def _one_line(text: str) -> str:
    return " ".join(text.split("\n\n"))
