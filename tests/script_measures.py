"""How a daily script sounds across its papers, measured (the tests and bench/script.py share it).

- Repetition: the share of the characters of the takes and steps (what follows "以下是我的思考：" /
  "My take: ", the fixed frame and the step ordinals left out) that belong to sentences said
  for two or more papers of the episode. A sentence ends at 。！？；： or . ! ? ; : (a colon
  ends one: "建议分三步来做：" is a sentence of its own), so a sentence that differs from
  another only in a name still counts as its own.
- Figures: a paper's material reports figures when its digest in the show language (else its
  digest, else its abstract in the show language) states numbers outside the title: the
  numbers of the digest's figure sentences, or of the abstract; they are said when one of them
  is in the paper's part of the script.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from podcast import i18n
from podcast.models import BROADCAST, CONVERSATION, Paper, Pick, Script, Segment
from podcast.produce import Music, pace
from podcast.registry import NoOptions
from podcast.select import Profile, select_papers
from podcast.speak import SpeakContext, open_speaker
from podcast.speak.timing import Pace
from podcast.speak.voices import TTSConfig, hosts
from podcast.write import WRITERS, Brief, compose_script

_SENTENCE_END = re.compile(r"(?<=[。！？；：])|(?<=[.!?;:])(?=\s|$)")
_CLAUSE_END = re.compile(r"(?<=[。！？；：，、])|(?<=[.!?;:,])(?=\s|$)")
# A number as said: 93.2, 53,000, 6.9; not part of a name (10-K, SHP2, Llama-2).
NUMBER = re.compile(r"(?<![A-Za-z0-9_.-])\d+(?:[.,]\d+)*(?![A-Za-z0-9_-]|\.\d)")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")


def sentences(text: str, clauses: bool = False) -> list[str]:
    pieces = (_CLAUSE_END if clauses else _SENTENCE_END).split(text)
    return [s.strip() for s in pieces if s and s.strip()]


def take_and_steps(segment: Segment, language: str, clauses: bool = False) -> list[str]:
    """The sentences of a paper's take and steps, without the frame's words."""
    words = i18n.phrases(language)
    lead = words.thoughts_line.split("{text}")[0]
    step = re.compile("^" + re.escape(words.step).replace(r"\{ordinal\}", r"\S+?")
                      .replace(r"\{step\}", ""))
    found = []
    for part in segment.parts[segment.thoughts_at:]:
        part = part.removeprefix(lead)
        found += sentences(step.sub("", part, count=1), clauses)
    return found


def repetition(script: Script, clauses: bool = False) -> float:
    """The share of the characters of the takes and steps in sentences (or, stricter, clauses:
    a comma ends one too) that two or more papers say."""
    said_by: dict[str, set[int]] = defaultdict(set)
    per_paper = [take_and_steps(segment, script.language, clauses) for segment in script.segments]
    for number, found in enumerate(per_paper):
        for sentence in found:
            said_by[sentence].add(number)
    total = sum(len(s) for found in per_paper for s in found)
    repeated = sum(len(s) for found in per_paper for s in found if len(said_by[s]) > 1)
    return repeated / total if total else 0.0


def repeated_sentences(script: Script, clauses: bool = False) -> list[str]:
    said_by: dict[str, set[int]] = defaultdict(set)
    for number, segment in enumerate(script.segments):
        for sentence in take_and_steps(segment, script.language, clauses):
            said_by[sentence].add(number)
    return [s for s, papers in said_by.items() if len(papers) > 1]


def reported_figures(paper: Paper, language: str) -> set[str]:
    """The numbers the paper's material (as the show's language sees it) reports."""
    in_title = set(NUMBER.findall(f"{paper.title} {paper.title_zh}"))
    digest = paper.digest_zh if i18n.is_chinese(language) and paper.digest_zh else paper.digest
    if digest is not None and digest.full:
        text = " ".join(digest.figures)
    else:
        text = paper.summary_for(language)
    return {n for n in NUMBER.findall(text) if n not in in_title} | ({"百分之"} if "百分之" in text else set())


def figures_said(script: Script, picks: Sequence[Pick]) -> tuple[int, int]:
    """(papers whose figures are said, papers whose material reports figures)."""
    said = reporting = 0
    for segment, pick in zip(script.segments, picks, strict=True):
        figures = reported_figures(pick.paper, script.language)
        if not figures:
            continue
        reporting += 1
        spoken = set(NUMBER.findall(" ".join(segment.parts))) | ({"百分之"} if "百分之" in " ".join(segment.parts) else set())
        said += bool(figures & spoken)
    return said, reporting


def cjk(text: str) -> list[str]:
    return _CJK.findall(text)


def stray_latin(script: Script, papers: Sequence[Paper], project: str) -> set[str]:
    """Latin words of a Chinese script that neither the papers nor the project say: framing."""
    known = " ".join([project, *(_material(p) for p in papers)])
    allowed = {w.lower() for w in LATIN_WORD.findall(known)}
    return {w for w in LATIN_WORD.findall(script.text()) if w.lower() not in allowed}


def _material(paper: Paper) -> str:
    digests = [d for d in (paper.digest, paper.digest_zh) if d is not None]
    return " ".join([paper.title, paper.title_zh, paper.summary, paper.summary_zh,
                     *(d.text() for d in digests)])


@dataclass(frozen=True)
class Episode:
    language: str
    project: str
    picks: list[Pick]
    script: Script
    paper_units: int


def offline_episode(papers: Sequence[Paper], language: str, project: str, moment: datetime,
                    count: int = 5, target_minutes: float = 8.0,
                    format: str = BROADCAST) -> Episode:
    """The script the offline run writes in ``format``: the template writer, sized for
    espeak-ng."""
    picks = select_papers(papers, Profile(project), count, language=language).picks
    brief = Brief(language, i18n.phrases(language).show_title, project, moment, format=format,
                  hosts=hosts(language) if format == CONVERSATION else ())
    units = espeak_pace(language, format).paper_budget(target_minutes * 60, len(picks),
                                               compose_script([], [], brief))
    writer = WRITERS.get("template")(NoOptions())
    script = writer.write(picks, replace(brief, paper_units=units))
    return Episode(language, project, picks, script, units)


def espeak_pace(language: str, format: str = BROADCAST) -> Pace:
    """How long the offline voice (espeak-ng) takes in ``format``, with the music and pauses as
    shipped."""
    speaker = open_speaker(TTSConfig(engine="espeak"), language, SpeakContext())
    return pace(speaker.settings, Music.load().of(format), format)
