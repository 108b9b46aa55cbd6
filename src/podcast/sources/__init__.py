"""Stage 1, gather: every configured source's papers for a day, merged and de-duplicated.

A source backend subclasses :class:`Source`, declares its ``Options`` dataclass (the keys its
``[[sources]]`` table accepts) and registers itself in :data:`SOURCES`. One failing source is
logged and the others go on (unless ``strict``), and so is one failing part of a source (an
arXiv category); fallback sources are read only when every other source failed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..errors import SourceError
from ..http import FetchError, HttpClient
from ..i18n import counted
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
    """Each source's parts (an arXiv source's categories) read and reported each on its own;
    once a host cannot be reached, the source's other parts are not asked."""
    papers: list[Paper] = []
    reports: list[SourceReport] = []
    for source in sources:
        down: SourceError | None = None
        for part in source.parts():
            if down:
                reports.append(_failed(part, SourceError(f"not asked: {down}"), strict))
                continue
            try:
                found, told = _read_part(part, day, strict)
            except _Failed:
                raise  # strict, and already named by the part that failed
            except SourceError as exc:
                reports.append(_failed(part, exc, strict))
                down = exc if _unreachable(exc) else None
                continue
            papers += found
            reports += told
    return papers, reports


def _read_part(source: Source, day: date,
               strict: bool) -> tuple[list[Paper], list[SourceReport]]:
    """One part read; when it fails as a whole and can be split (several arXiv categories in
    one request), its pieces are read one by one, so that a bad one costs only itself."""
    try:
        found = source.fetch(day)
    except SourceError as exc:
        pieces = [] if _unreachable(exc) else source.split()
        if not pieces:
            raise
        log.info("%s failed (%s); asking for each of its parts on its own.",
                 source.describe(), exc)
        return _read(pieces, day, strict)
    log.info("Found %s in %s.", counted(len(found), "paper"), source.describe())
    return found, [SourceReport(source.describe(), len(found))]


def _failed(source: Source, exc: SourceError, strict: bool) -> SourceReport:
    """A failed source logged in one line and reported (raised again when ``strict``)."""
    if strict:
        raise _Failed(f"{source.describe()}: {exc}") from exc
    log.warning("%s failed, going on without it: %s", source.describe(), exc)
    return SourceReport(source.describe(), 0, str(exc))


class _Failed(SourceError):
    """A source failed under ``strict``: the run stops with this message as it is."""


def _unreachable(exc: SourceError) -> bool:
    return isinstance(exc, FetchError) and exc.unreachable
