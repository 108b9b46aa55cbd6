"""How the core reports progress of long stages without printing: the front end passes a
:class:`Progress`, the core calls it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

from .errors import Interrupted

# called once per step; what it returns (tqdm's update returns a bool) is ignored
Advance = Callable[[int], object]


class Progress(Protocol):
    def task(self, label: str, total: int) -> AbstractContextManager[Advance]:
        """A context for one stage of ``total`` steps; call the yielded function per step."""


class NoProgress:
    @contextmanager
    def task(self, label: str, total: int) -> Iterator[Advance]:
        yield lambda n: None


@dataclass
class Stoppable:
    """Progress that also ends the build, before anything is published, once ``stop`` is set:
    between any two spoken paragraphs or produced chunks, and between stages."""

    progress: Progress
    stop: threading.Event | None

    def check(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Interrupted("stopped before publishing; the next run resumes from the cached "
                              "pieces")

    @contextmanager
    def task(self, label: str, total: int) -> Iterator[Advance]:
        self.check()
        with self.progress.task(label, total) as advance:
            def step(n: int) -> None:
                self.check()
                advance(n)

            yield step
