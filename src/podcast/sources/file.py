"""The ``file`` source: papers from a JSON file; without a path, the bundled sample papers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from .. import DATA_DIR
from ..errors import SourceError
from ..models import Digest, Paper
from .base import SOURCES, Source
from .normalize import dashes, strip_unsafe, web_address

SAMPLE_PAPERS = DATA_DIR / "sample_papers.json"


@dataclass(frozen=True)
class FileOptions:
    #: A JSON list of papers (see README); None means the sample papers shipped with podcast.
    path: Path | None = None


@SOURCES.register("file")
class FileSource(Source):
    Options = FileOptions
    offline = True
    stands_in = True  # without a path: the bundled sample papers

    @property
    def path(self) -> Path:
        return self.options.path or SAMPLE_PAPERS

    def fetch(self, day: date) -> list[Paper]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SourceError(f"{self.path}: cannot read papers file: {exc.strerror}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"{self.path}: not a JSON papers file: {exc}") from exc
        except RecursionError:
            raise SourceError(f"{self.path}: not a JSON papers file we can read: "
                              "nested too deeply") from None
        if not isinstance(data, list):
            raise SourceError(f"{self.path}: must hold a JSON list of papers")
        return [self._paper(entry, index) for index, entry in enumerate(data, start=1)]

    def _paper(self, entry: object, index: int) -> Paper:
        if not isinstance(entry, dict):
            raise SourceError(f"{self.path}: paper {index} is not a JSON object")
        try:
            paper = Paper.from_dict(entry)
        except KeyError as exc:
            raise SourceError(f"{self.path}: paper {index} has no {exc.args[0]}") from None
        except (TypeError, ValueError) as exc:
            raise SourceError(f"{self.path}: paper {index}: {exc}") from None
        title = _prose(paper.title)
        if not title:
            raise SourceError(f"{self.path}: paper {index} has no title")
        if paper.url and not web_address(paper.url):
            raise SourceError(f"{self.path}: paper {index}: url must be an http or https address")
        paper_id = _plain(paper.id)
        if not paper_id:
            raise SourceError(f"{self.path}: paper {index} has no id")
        return replace(
            paper, id=paper_id, title=title, summary=_prose(paper.summary),
            authors=_all_plain(paper.authors),
            title_zh=_prose(paper.title_zh), summary_zh=_prose(paper.summary_zh),
            categories=_all_plain(paper.categories), sources=_all_plain(paper.sources) or ("file",),
            digest=_plain_digest(paper.digest), digest_zh=_plain_digest(paper.digest_zh),
        )

    def standin(self) -> str | None:
        return "bundled sample papers" if self.options.path is None else None

    def describe(self) -> str:
        return "the bundled sample papers" if self.options.path is None else str(self.path)


def _plain(text: str) -> str:
    """Text on one line, as every source gives it, without control characters, lone surrogates
    (JSON can spell them as "\\ud800", and no encoding can write them) or bidi overrides."""
    return " ".join(strip_unsafe(text).split())


def _prose(text: str) -> str:
    """A title or an abstract: plain, with its typed dashes set as dashes (as arXiv's are)."""
    return dashes(_plain(text))


def _paragraphs(text: str) -> str:
    """Each paragraph of ``text`` on one line, as :func:`_plain` makes it; paragraphs apart by
    one blank line."""
    paragraphs = (_plain(part) for part in re.split(r"\n[ \t\r]*\n", strip_unsafe(text)))
    return "\n\n".join(part for part in paragraphs if part)


def _plain_digest(digest: Digest | None) -> Digest | None:
    if digest is None:
        return None
    sections = ((kind, _paragraphs(text)) for kind, text in digest.sections)
    return replace(digest, sections=tuple((kind, text) for kind, text in sections if text),
                   captions=_all_plain(digest.captions), figures=_all_plain(digest.figures),
                   note=_plain(digest.note))


def _all_plain(texts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(text for text in map(_plain, texts) if text)
