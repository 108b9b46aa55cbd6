"""The bundled bilingual glossary of AI research terms (data/glossary.toml).

Each concept matches Chinese and English wording alike, so a Chinese project description
meets English abstracts on the same concept: 知识蒸馏 ↔ knowledge distillation. Concepts carry a
coarse topic, which the template writer uses to suggest steps.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import compress, pairwise
from pathlib import Path

from .. import DATA_DIR

GLOSSARY_FILE = DATA_DIR / "glossary.toml"
_WORD = re.compile(r"[a-z0-9]+")
# ASCII text to its words: every byte but a-z and 0-9 made a space (translating and splitting
# bytes is twice as fast as finding the words with _WORD, with the same words)
_WORD_BYTES = b"0123456789abcdefghijklmnopqrstuvwxyz"
_ASCII_WORDS = bytes(c if c in _WORD_BYTES else 0x20 for c in range(256))
_HAN = re.compile(r"[\u3400-\u9fff]+")
KEPT_WORDS = 200_000  # words whose stems are remembered; past that, they are found anew


class _Remembered(dict[str, str]):
    """Each word's stem, worked out the first time the word is seen: a day's abstracts say most
    of their words many times over. Looked up as a dict (in C) when ranking thousands."""

    def __missing__(self, word: str) -> str:
        if len(self) >= KEPT_WORDS:
            self.clear()
        found = self[word] = _stem(word)
        return found


_STEMS = _Remembered()


def stem(word: str) -> str:
    """A light English stemmer: plural s, -ing, -ed and a final e go, so tune, tuned and
    tuning meet, as do model and models. Crude on purpose: fast, and the same on both sides."""
    return _STEMS[word]


def _stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # running → run
            break
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """Stemmed lower-case English words of ``text``; hyphens and punctuation split words."""
    return list(map(_STEMS.__getitem__, _written(text)))


def tokens(text: str) -> tuple[list[str], list[str]]:
    """The English words of ``text`` twice, aligned: stemmed, and as written (lower case)."""
    found = _written(text)
    return list(map(_STEMS.__getitem__, found)), found


def _written(text: str) -> list[str]:
    """The lower-case English words of ``text``, as written: its runs of a-z and 0-9."""
    lower = text.lower()
    if lower.isascii():
        return lower.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    return _WORD.findall(lower)


# Words that name a concept except in these phrases: "accounting for 10% of the error" is no
# accounting. Matched on the words as written; the first is the one that would have matched.
IDIOMS = frozenset({("accounting", "for")})


def han_runs(text: str) -> list[str]:
    """The runs of Chinese characters in ``text`` (none in ASCII text, which is known at once)."""
    return [] if text.isascii() else _HAN.findall(text)


@dataclass(frozen=True)
class Concept:
    key: str
    topic: str | None
    zh: str  # display labels
    en: str

    def label(self, language: str) -> str:
        return self.zh if language.startswith("zh") else self.en


class Glossary:
    def __init__(self, concepts: Sequence[tuple[Concept, Sequence[str], Sequence[str]]]) -> None:
        self.concepts: dict[str, Concept] = {}
        self._english: dict[tuple[str, ...], str] = {}  # terms of two words or more, stemmed
        self._single: dict[str, str] = {}  # one-word terms, stemmed
        # one-word terms in -ing, which name their concept only in that form: the stems of
        # "coding", "trading" and "grading" are those of "code", "trade-off" and "automotive-grade"
        self._gerunds: set[str] = set()
        self._chinese: dict[str, str] = {}
        for concept, zh_terms, en_terms in concepts:
            self.concepts[concept.key] = concept
            for term in en_terms:
                stems, written = tokens(term)
                if len(stems) == 1:
                    self._single.setdefault(stems[0], concept.key)
                    if written[0].endswith("ing"):
                        self._gerunds.add(stems[0])
                else:
                    self._english.setdefault(tuple(stems), concept.key)
            for term in zh_terms:
                self._chinese.setdefault(term, concept.key)
        self._english.pop((), None)
        self._single.pop("", None)
        # the first stem of every term of two words or more → the terms' lengths, longest first;
        # and the first two stems of every such term
        lengths: dict[str, set[int]] = {}
        for stemmed in self._english:
            lengths.setdefault(stemmed[0], set()).add(len(stemmed))
        self._lengths = {first: sorted(found, reverse=True) for first, found in lengths.items()}
        self._pairs = frozenset(stemmed[:2] for stemmed in self._english)
        # one-word terms that name their concept only in some places: in -ing, or not in an idiom
        self._guarded = frozenset(self._gerunds | {stem(first) for first, _ in IDIOMS})
        self._longest_chinese = max((len(t) for t in self._chinese), default=1)

    @classmethod
    def load(cls, path: Path = GLOSSARY_FILE) -> Glossary:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = []
        for item in data.get("concept", []):
            zh, en = list(item.get("zh", [])), list(item.get("en", []))
            concept = Concept(item["key"], item.get("topic"), zh[0] if zh else item["key"],
                              en[0] if en else item["key"])
            entries.append((concept, zh, en))
        return cls(entries)

    def in_words(self, stems: Sequence[str], written: Sequence[str]) -> list[str]:
        """Concept keys named in a text's words (both forms of :func:`tokens`), longest terms
        first, by their stems; a one-word term in -ing only in that form, and none in an
        idiom.

        Only the words that may start a term are looked at, found in C: a one-word term, or
        the first two words of a longer one (most words are neither); at the second kind,
        only the lengths of the terms that start with the word. The words of a term found are
        not looked at again."""
        english, single, lengths, guarded = (self._english, self._single, self._lengths,
                                             self._guarded)
        count = len(stems)
        places = range(count)
        longer = set(compress(places, map(self._pairs.__contains__, pairwise(stems))))
        one_word = compress(places, map(single.__contains__, stems))
        found: list[str] = []
        after = 0  # the first word past the last term found
        for i in sorted(longer.union(one_word)) if longer else one_word:
            if i < after:
                continue
            word = stems[i]
            if i in longer:
                for n in lengths[word]:
                    key = english.get(tuple(stems[i : i + n])) if n <= count - i else None
                    if key:
                        found.append(key)
                        after = i + n
                        break
                if i < after:
                    continue
            key = single.get(word)
            if key and (word not in guarded or (
                    (word not in self._gerunds or written[i].endswith("ing"))
                    and tuple(written[i : i + 2]) not in IDIOMS)):
                found.append(key)
        return found

    def in_chinese(self, run: str) -> Iterator[str]:
        """Concept keys named in a run of Chinese characters, longest terms first."""
        chinese, longest = self._chinese, self._longest_chinese
        i = 0
        while i < len(run):
            for n in range(min(longest, len(run) - i), 1, -1):
                key = chinese.get(run[i : i + n])
                if key:
                    yield key
                    i += n
                    break
            else:
                i += 1

    def chinese_term(self, key: str, text: str) -> str | None:
        """The word ``text`` uses for concept ``key`` in Chinese (its longest term there)."""
        found = [term for term, concept in self._chinese.items() if concept == key and term in text]
        return max(found, key=len, default=None)

    def find(self, text: str) -> dict[str, int]:
        """Concept key → mentions in ``text`` (English and Chinese)."""
        found: dict[str, int] = {}
        keys = self.in_words(*tokens(text))
        for run in han_runs(text):
            keys += self.in_chinese(run)
        for key in keys:
            found[key] = found.get(key, 0) + 1
        return found


@cache
def glossary() -> Glossary:
    return Glossary.load()
