"""Stage 1, gather: every configured source's papers for a day, merged and de-duplicated.

A source backend subclasses :class:`Source`, declares its ``Options`` dataclass (the keys its
``[[sources]]`` table accepts) and registers itself in :data:`SOURCES`. The sources are read at
the same time, each in a thread of its own (its parts, such as an arXiv source's categories,
one after another); the reports and papers come in the configured order whichever finishes
first. One failing source is logged and the others go on (unless ``strict``), and so is one
failing part of a source; a source still unanswered at the gathering's deadline is gone on
without. Fallback sources are read only when every other source failed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from ..errors import SourceError
from ..http import FetchError, HttpClient, give_up_when
from ..i18n import counted
from ..models import Paper
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


def gather(sources: Sequence[Source], day: date, strict: bool = False,
           deadline: float | None = None) -> Gathered:
    """All papers from all sources, each id once (merged across sources), in source order.

    The sources are read at the same time; with a ``deadline`` (seconds), those still reading
    then are reported failed and gone on without. The fallback sources, when they are read,
    have a deadline of their own."""
    if deadline is not None and deadline <= 0:
        raise ValueError(f"the gathering deadline must be positive, not {deadline}")
    started = time.monotonic()
    primary = [source for source in sources if not source.fallback]
    papers, reports, answered = _read(primary, day, strict, deadline)
    asked = len(primary)
    used_fallback = False
    if all(report.error for report in reports):  # also when every source is a fallback
        backups = [source for source in sources if source.fallback]
        if backups:
            log.warning("No source could be read; using the fallback sources instead.")
            more, more_reports, more_answered = _read(backups, day, strict, deadline)
            papers, reports, used_fallback = papers + more, reports + more_reports, True
            asked, answered = asked + len(backups), answered + more_answered
    merged: dict[str, Paper] = {}
    for paper in papers:
        merged[paper.id] = merged[paper.id].merged(paper) if paper.id in merged else paper
    read = counted(asked, "source")
    if answered < asked:
        read = f"{answered} of {read}"
    log.info("Gathered %s from %s in %.1f s.", counted(len(merged), "paper"), read,
             time.monotonic() - started)
    return Gathered(list(merged.values()), reports, used_fallback)


def _read(sources: Sequence[Source], day: date, strict: bool,
          deadline: float | None) -> tuple[list[Paper], list[SourceReport], int]:
    """Every source read in a thread of its own, taken in source order: the papers, the reports
    and how many sources gave at least one answer. A source still reading at the deadline gives
    what its finished parts found, and its other parts are reported failed; its thread (a
    daemon, which keeps no process alive) is left to end on its own, asking no more."""
    readings = [_Reading(source, day, strict) for source in sources]
    for reading in readings:
        reading.thread.start()
    until = None if deadline is None else time.monotonic() + deadline
    papers: list[Paper] = []
    reports: list[SourceReport] = []
    answered = 0
    try:
        for reading in readings:
            left = None if until is None else max(0.0, until - time.monotonic())
            finished = reading.finished.wait(left)
            done = reading.abandon()
            if finished and reading.crash:
                raise reading.crash
            for found, told in done:
                papers += found
                reports += told
            answered += any(not report.error for _, told in done for report in told)
            if not finished and deadline is not None:  # without one, every reading finishes
                reports += [_late(part, deadline, strict) for part in reading.parts[len(done):]]
    finally:  # also when strict stops the gathering: the other sources stop asking too
        for reading in readings:
            reading.abandon()
    return papers, reports, answered


class _Reading:
    """One source read in a thread of its own, part after part. Once abandoned (the gathering
    went on without it), it neither logs nor keeps what it finds."""

    def __init__(self, source: Source, day: date, strict: bool) -> None:
        self.source, self.day, self.strict = source, day, strict
        self.parts = source.parts()
        #: each finished part's papers and reports, in the order of ``parts``
        self.done: list[tuple[list[Paper], list[SourceReport]]] = []
        self.crash: BaseException | None = None  # raised again in the gathering thread
        self.finished = threading.Event()
        self.abandoned = threading.Event()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"gather {source.describe()}",
                                       daemon=True)

    def abandon(self) -> list[tuple[list[Paper], list[SourceReport]]]:
        """What the finished parts gave; nothing more is kept, logged or asked."""
        with self._lock:
            self.abandoned.set()
            return list(self.done)

    def _run(self) -> None:
        try:
            with give_up_when(self.abandoned):
                for told in self._each(self.parts):
                    with self._lock:
                        if self.abandoned.is_set():
                            return
                        self.done.append(told)
        except BaseException as exc:  # _Failed under strict, or a bug: the gathering raises it
            self.crash = exc
        finally:
            self.finished.set()

    def _each(self, parts: Sequence[Source]) -> Iterator[tuple[list[Paper], list[SourceReport]]]:
        """Each part's papers and reports, read and reported each on its own; once a host cannot
        be reached, the other parts are not asked."""
        down: SourceError | None = None
        for part in parts:
            if down:
                yield [], [self._failed(part, SourceError(f"not asked: {down}"))]
                continue
            try:
                found = self._read_part(part)
            except _Failed:
                raise  # strict, and already named by the part that failed
            except SourceError as exc:
                yield [], [self._failed(part, exc)]
                down = exc if _unreachable(exc) else None
                continue
            yield found

    def _read_part(self, source: Source) -> tuple[list[Paper], list[SourceReport]]:
        """One part read; when it fails as a whole and can be split (several arXiv categories
        in one request), its pieces are read one by one, so that a bad one costs only itself."""
        try:
            found = source.fetch(self.day)
        except SourceError as exc:
            pieces = [] if _unreachable(exc) else source.split()
            if not pieces:
                raise
            self._log(logging.INFO, "%s failed (%s); asking for each of its parts on its own.",
                      source.describe(), exc)
            papers: list[Paper] = []
            reports: list[SourceReport] = []
            for more, told in self._each(pieces):
                papers += more
                reports += told
            return papers, reports
        self._log(logging.INFO, "Found %s in %s.", counted(len(found), "paper"),
                  source.describe())
        return found, [SourceReport(source.describe(), len(found))]

    def _failed(self, source: Source, exc: SourceError) -> SourceReport:
        """A failed part logged in one line and reported (raised again when ``strict``)."""
        if self.strict:
            raise _Failed(f"{source.describe()}: {exc}") from exc
        self._log(logging.WARNING, "%s failed, going on without it: %s", source.describe(), exc)
        return SourceReport(source.describe(), 0, str(exc))

    def _log(self, level: int, message: str, *args: object) -> None:
        if not self.abandoned.is_set():
            log.log(level, message, *args)


def _late(source: Source, deadline: float, strict: bool) -> SourceReport:
    """A part still unread at the deadline, logged in one line and reported (raised when
    ``strict``)."""
    late = f"no answer within {deadline:g} s (the gathering deadline)"
    if strict:
        raise _Failed(f"{source.describe()}: {late}")
    error = f"{late}; going on without it"
    log.warning("%s: %s.", source.describe(), error)
    return SourceReport(source.describe(), 0, error)


class _Failed(SourceError):
    """A source failed under ``strict``: the run stops with this message as it is."""


def _unreachable(exc: SourceError) -> bool:
    return isinstance(exc, FetchError) and exc.unreachable
