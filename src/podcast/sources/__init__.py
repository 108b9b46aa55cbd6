"""Stage 1, gather: every configured source's papers for a day, merged and de-duplicated.

A source backend subclasses :class:`Source`, declares its ``Options`` dataclass (the keys its
``[[sources]]`` table accepts) and registers itself in :data:`SOURCES`. One failing source is
logged and the others go on (unless ``strict``); fallback sources are read only when every
other source failed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..errors import SourceError
from ..http import HttpClient
from ..models import Paper
from . import arxiv as _arxiv  # noqa: F401  (registers the built-in backends)
from . import feed as _feed  # noqa: F401
from . import file as _file  # noqa: F401
from . import hf_daily as _hf_daily  # noqa: F401
from .base import SOURCES, Source, SourceConfig

__all__ = ["SOURCES", "Gathered", "Source", "SourceConfig", "SourceReport", "gather",
           "open_sources"]

log = logging.getLogger(__name__)


def open_sources(configs: Sequence[SourceConfig], http: HttpClient | None = None) -> list[Source]:
    http = http or HttpClient()
    return [SOURCES.get(cfg.type)(cfg.options, http, cfg.fallback) for cfg in configs]


@dataclass(frozen=True)
class SourceReport:
    source: str
    papers: int
    error: str | None = None


@dataclass(frozen=True)
class Gathered:
    papers: list[Paper]
    reports: list[SourceReport]
    used_fallback: bool = False

    @property
    def all_failed(self) -> bool:
        return bool(self.reports) and all(report.error for report in self.reports)


def gather(sources: Sequence[Source], day: date, strict: bool = False) -> Gathered:
    """All papers from all sources, each id once (merged across sources), in source order."""
    primary = [source for source in sources if not source.fallback]
    papers, reports = _read(primary, day, strict)
    used_fallback = False
    if all(report.error for report in reports):  # also when every source is a fallback
        backups = [source for source in sources if source.fallback]
        if backups:
            log.warning("No source could be read; using the fallback sources instead.")
            more, more_reports = _read(backups, day, strict)
            papers, reports, used_fallback = papers + more, reports + more_reports, True
    merged: dict[str, Paper] = {}
    for paper in papers:
        merged[paper.id] = merged[paper.id].merged(paper) if paper.id in merged else paper
    return Gathered(list(merged.values()), reports, used_fallback)


def _read(sources: Sequence[Source], day: date,
          strict: bool) -> tuple[list[Paper], list[SourceReport]]:
    papers: list[Paper] = []
    reports = []
    for source in sources:
        try:
            found = source.fetch(day)
        except SourceError as exc:
            if strict:
                raise SourceError(f"{source.describe()}: {exc}") from exc
            log.warning("%s failed, going on without it: %s", source.describe(), exc)
            reports.append(SourceReport(source.describe(), 0, str(exc)))
            continue
        log.info("Found %d papers in %s.", len(found), source.describe())
        reports.append(SourceReport(source.describe(), len(found)))
        papers += found
    return papers, reports
