"""Timed text published next to an episode's MP3: WebVTT (players and browsers) and SRT with a
cue per sentence, and the chapters as Podcasting 2.0 JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .models import Chapter, Cue

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
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        blocks.append(f"{number}\n{_stamp(cue.start, '.')} --> {_stamp(cue.end, '.')}\n{_clean(cue.text)}")
    return "\n\n".join(blocks) + "\n"


def render_srt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{number}\n{_stamp(cue.start, ',')} --> {_stamp(cue.end, ',')}\n{_clean(cue.text)}"
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n\n".join(blocks) + "\n"


def render_chapters(chapters: Sequence[Chapter], title: str, show: str) -> str:
    """The Podcasting 2.0 JSON chapters file (version 1.2): what ``podcast:chapters`` points at."""
    document = {
        "version": CHAPTERS_VERSION,
        "title": title,
        "podcastName": show,
        "chapters": [
            {"startTime": round(c.start, 3), "endTime": round(c.end, 3), "title": c.title} for c in chapters
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
