"""The peak memory of a process tree, sampled cheaply: each sample walks only the tree of the
process watched (/proc/<pid>/task/<tid>/children, recursively) and reads the proportional set
size (Pss: resident memory, pages shared between processes counted once) of each process in it
from /proc/<pid>/smaps_rollup. Not all of /proc: reading every process's status and smaps every
20 ms took about 30% of a core on its own and skewed what it measured.

    watch = TreeMemory(process.pid); watch.start(); process.wait(); peak_mb = watch.stop()
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

INTERVAL = 0.05  # seconds between samples


def tree(root: int) -> list[int]:
    """``root`` and all its descendants still running."""
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:  # gone
            continue
        for task in tasks:
            try:
                queue += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def pss_kb(pid: int) -> int:
    """The proportional set size of ``pid`` in kB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as file:
            for line in file:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_kb(root: int) -> int:
    """Proportional set size in kB of ``root`` and all its descendants."""
    return sum(pss_kb(pid) for pid in tree(root))


class TreeMemory:
    """A thread sampling :func:`tree_kb` of ``root`` every :data:`INTERVAL` until stopped."""

    def __init__(self, root: int, interval: float = INTERVAL) -> None:
        self.root = root
        self.interval = interval
        self.peak_kb = 0
        self.samples = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> TreeMemory:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._done.is_set():
            self.peak_kb = max(self.peak_kb, tree_kb(self.root))
            self.samples += 1
            self._done.wait(self.interval)

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._done.set()
        self._thread.join()
        return self.peak_kb / 1024


def cost(root: int, samples: int = 200) -> float:
    """CPU seconds one sample of ``root``'s tree takes (for the benches' own report)."""
    start = time.process_time()
    for _ in range(samples):
        tree_kb(root)
    return (time.process_time() - start) / samples
