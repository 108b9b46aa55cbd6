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
from functools import cache, lru_cache
from pathlib import Path

from .. import DATA_DIR

GLOSSARY_FILE = DATA_DIR / "glossary.toml"
_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff]+")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light English stemmer: plural s, -ing, -ed and a final e go, so tune, tuned and
    tuning meet, as do model and models. Crude on purpose: fast, and the same on both sides."""
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
    return [stem(word) for word in _WORD.findall(text.lower())]


def tokens(text: str) -> tuple[list[str], list[str]]:
    """The English words of ``text`` twice, aligned: stemmed, and as written (lower case)."""
    found = _WORD.findall(text.lower())
    return [stem(word) for word in found], found


# Words that name a concept except in these phrases: "accounting for 10% of the error" is no
# accounting. Matched on the words as written; the first is the one that would have matched.
IDIOMS = frozenset({("accounting", "for")})


def han_runs(text: str) -> list[str]:
    return _HAN.findall(text)


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
        self._starts = {term[0] for term in self._english}
        self._longest_english = max((len(t) for t in self._english), default=1)
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
        idiom."""
        english, single, starts, longest = (self._english, self._single, self._starts,
                                            self._longest_english)
        found: list[str] = []
        i, count = 0, len(stems)
        while i < count:
            if stems[i] in starts:
                for n in range(min(longest, count - i), 1, -1):
                    key = english.get(tuple(stems[i : i + n]))
                    if key:
                        found.append(key)
                        i += n
                        break
                else:
                    key = None
                if key:
                    continue
            key = single.get(stems[i])
            if (key and (stems[i] not in self._gerunds or written[i].endswith("ing"))
                    and tuple(written[i : i + 2]) not in IDIOMS):
                found.append(key)
            i += 1
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
