"""Stage 1, gather: every configured source's papers for a day, merged and de-duplicated.

A source backend subclasses :class:`Source`, declares its ``Options`` dataclass (the keys its
``[[sources]]`` table accepts) and registers itself in :data:`SOURCES`.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date

from ..config import BackendConfig
from ..models import Paper
from ..registry import Backend, Registry

log = logging.getLogger(__name__)


class Source(Backend, ABC):
    @abstractmethod
    def fetch(self, day: date) -> list[Paper]:
        """Papers this source offers for ``day``; raises SourceError when it cannot tell."""

    def describe(self) -> str:
        return self.name


SOURCES: Registry[type[Source]] = Registry("source")


def open_sources(configs: Sequence[BackendConfig]) -> list[Source]:
    return [SOURCES.get(cfg.type)(cfg.options) for cfg in configs]


def gather(sources: Sequence[Source], day: date) -> list[Paper]:
    """All papers from all sources, first occurrence of each id kept, in source order."""
    seen: dict[str, Paper] = {}
    for source in sources:
        papers = source.fetch(day)
        log.info("Found %d papers in %s.", len(papers), source.describe())
        for paper in papers:
            seen.setdefault(paper.id, paper)
    return list(seen.values())


from . import file as _file  # noqa: E402,F401  (registers the built-in backends)
