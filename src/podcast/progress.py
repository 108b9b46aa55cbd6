"""How the core reports progress of long stages without printing: the front end passes a
:class:`Progress`, the core calls it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

Advance = Callable[[int], None]


class Progress(Protocol):
    def task(self, label: str, total: int) -> AbstractContextManager[Advance]:
        """A context for one stage of ``total`` steps; call the yielded function per step."""


class NoProgress:
    @contextmanager
    def task(self, label: str, total: int) -> Iterator[Advance]:
        yield lambda n: None
