"""Timed transcripts of an episode: WebVTT (players and browsers) and SRT, a cue per sentence."""

from __future__ import annotations

from collections.abc import Sequence

from .models import Cue


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
