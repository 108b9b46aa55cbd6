"""Timed text published next to an episode's MP3: WebVTT (players and browsers) and SRT with
a cue per sentence, and the chapters as Podcasting 2.0 JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from html import escape

from ..i18n import colon, said_by
from ..models import Chapter, Cue

CHAPTERS_VERSION = "1.2.0"


def _stamp(seconds: float, separator: str) -> str:
    milliseconds = max(0, round(seconds * 1000))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, fraction = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}{separator}{fraction:03d}"


def _clean(text: str) -> str:
    # "-->" would end a cue's timing line; a blank line would end the cue
    return " ".join(text.replace("-->", "→").split())


def render_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT, a cue per sentence; a cue said by a named voice in its voice span
    (``<v 云扬>…</v>``), its name and text escaped as cue text must be."""
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        text = (f"<v {escape(_clean(cue.speaker), quote=False)}>"
                f"{escape(_clean(cue.text), quote=False)}</v>" if cue.speaker else _clean(cue.text))
        blocks.append(f"{number}\n{_stamp(cue.start, '.')} --> {_stamp(cue.end, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"


def render_srt(cues: Sequence[Cue], language: str = "zh-CN") -> str:
    """SRT, a cue per sentence; where the voice changes, the cue starts with the name of who
    speaks ("云扬：", "Andrew: "), as the Podcasting 2.0 transcript notes have it."""
    blocks, last = [], ""
    for number, cue in enumerate(cues, start=1):
        name = cue.speaker if cue.speaker != last else ""
        last = cue.speaker
        blocks.append(f"{number}\n{_stamp(cue.start, ',')} --> {_stamp(cue.end, ',')}\n"
                      f"{said_by(_clean(name), _clean(cue.text), language)}")
    return "\n\n".join(blocks) + "\n"


def render_chapters(chapters: Sequence[Chapter], title: str, show: str) -> str:
    """The Podcasting 2.0 JSON chapters file (version 1.2): what ``podcast:chapters`` points at."""
    document = {
        "version": CHAPTERS_VERSION,
        "title": title,
        "podcastName": show,
        "chapters": [
            {"startTime": round(c.start, 3), "endTime": round(c.end, 3), "title": c.title}
            for c in chapters
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def by_chapter(
    cues: Sequence[Cue], chapters: Sequence[Chapter]
) -> Iterator[tuple[Chapter | None, list[Cue]]]:
    """The cues said in each chapter (one group with no chapter when there are none)."""
    if not chapters:
        yield None, list(cues)
        return
    starts = [c.start for c in chapters[1:]] + [float("inf")]
    index = 0
    for chapter, end in zip(chapters, starts, strict=True):
        said = []
        while index < len(cues) and cues[index].start < end:
            said.append(cues[index])
            index += 1
        yield chapter, said


def render_html_transcript(
    cues: Sequence[Cue], chapters: Sequence[Chapter], title: str, language: str
) -> str:
    """The transcript as the Podcasting 2.0 HTML transcript format has it (``<time>`` then
    ``<p>`` per sentence, each turn of a named voice after its ``<cite>``), under chapter
    headings: what ``podcast:transcript type="text/html"`` points at."""
    lines = [f'<!doctype html>\n<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">',
             f"<title>{escape(title)}</title>\n</head>\n<body>\n<h1>{escape(title)}</h1>"]
    for chapter, said in by_chapter(cues, chapters):
        if chapter:
            lines.append(f"<h2>{escape(chapter.title)}</h2>")
        last = ""
        for cue in said:
            if cue.speaker and cue.speaker != last:
                lines.append(f"<cite>{escape(cue.speaker + colon(language))}</cite>")
            last = cue.speaker
            lines.append(f"<time>{_stamp(cue.start, '.')[:8]}</time>\n<p>{escape(cue.text)}</p>")
    lines.append("</body>\n</html>")
    return "\n".join(lines) + "\n"
