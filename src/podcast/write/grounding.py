"""Numbers a model says must come from the paper: a sentence carrying a figure the title and
abstract do not contain is dropped, and the drop is logged.

Invented figures are what listeners cannot check by ear, so they are the fabrication we guard
against mechanically; the prompt asks for the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?!\w)")
_ZH_SENTENCE = re.compile(r"[^。！？；]*[。！？；]?")
_EN_SENTENCE = re.compile(r"\S.*?(?:[.!?](?=\s|$)|$)", re.S)
SMALL = 10  # counts like "two weeks" or "3 steps" are the writer's own, not claims


def _value(token: str) -> str:
    """A number written as in ``1,000.50`` compared as ``1000.5``; ``0.50`` as ``0.5``."""
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", token):
        token = token.replace(",", "")
    whole, _, fraction = token.replace(",", ".").partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def numbers(text: str) -> set[str]:
    return {_value(token) for token in _NUMBER.findall(text)}


@dataclass(frozen=True)
class Dropped:
    sentence: str
    figure: str


def ground(text: str, source: set[str], language: str,
           allow_small: bool = False) -> tuple[str, list[Dropped]]:
    """``text`` without the sentences that state a number absent from ``source``."""
    splitter = _ZH_SENTENCE if language.startswith("zh") else _EN_SENTENCE
    kept: list[str] = []
    dropped: list[Dropped] = []
    for sentence in (s for s in splitter.findall(text) if s.strip()):
        stray = [
            n for n in (_value(t) for t in _NUMBER.findall(sentence))
            if n not in source and not (allow_small and n.isdigit() and int(n) <= SMALL)
        ]
        if stray:
            dropped.append(Dropped(sentence.strip(), stray[0]))
        else:
            kept.append(sentence.strip())
    joiner = "" if language.startswith("zh") else " "
    return joiner.join(kept), dropped
