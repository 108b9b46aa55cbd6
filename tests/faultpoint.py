"""``python tests/faultpoint.py ARGS`` runs ``python -m podcast ARGS`` and injects one fault just
before its Nth write to the show's folders: a SIGKILL, or a disk that fills up.

An audit hook (PEP 578) sees every write the program itself makes (files opened for writing,
mkdir, chmod, link, rename, remove) before it happens; nothing of podcast is replaced or
faked. Environment:

- ``PODCAST_FAULT_ROOTS``: the folders whose writes count, separated by os.pathsep
- ``PODCAST_FAULT_AT``: N, 1-based; 0 (the default) injects nothing
- ``PODCAST_FAULT_MATCH``: instead of a number, a regular expression: the first write whose
  "event path" it matches (re.search), or the Nth with ``PODCAST_FAULT_MATCHES=N``
- ``PODCAST_FAULT``: ``kill`` (default): SIGKILL, so no ``finally``, ``atexit`` or buffer flush of
  Python runs after it; ``fill``: every free block of the file system holding
  ``PODCAST_FAULT_DISK`` is taken (a file ``filler`` there), so the write fails as on a full disk
- ``PODCAST_FAULT_TRACE``: a file that gets one line per counted write: number, event, path
"""

import os
import re
import runpy
import signal
import sys

ROOTS = tuple(os.path.join(os.path.abspath(root), "") for root in os.environ["PODCAST_FAULT_ROOTS"].split(os.pathsep))
AT = int(os.environ.get("PODCAST_FAULT_AT", "0"))
MATCH = re.compile(os.environ["PODCAST_FAULT_MATCH"]) if os.environ.get("PODCAST_FAULT_MATCH") else None
MATCHES = int(os.environ.get("PODCAST_FAULT_MATCHES", "1"))
FAULT = os.environ.get("PODCAST_FAULT", "kill")
DISK = os.environ.get("PODCAST_FAULT_DISK", "")
TRACE = open(os.environ["PODCAST_FAULT_TRACE"], "a", encoding="utf-8") if os.environ.get("PODCAST_FAULT_TRACE") else None
WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_count = _matched = 0
_done = False


def _written(event: str, args: tuple) -> object:
    """The path ``event`` writes to, or None (a read, or a path given relative to a dir_fd)."""
    if event == "open":
        path, mode, flags = args
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & WRITING)
        return path if writes else None
    if event in ("os.mkdir", "os.chmod", "os.remove", "os.rmdir"):
        return args[0] if args[-1] in (None, -1) else None
    if event == "os.truncate":
        return args[0]
    if event in ("os.link", "os.rename", "os.symlink"):
        return args[1] if args[-1] in (None, -1) else None
    return None


def _fill() -> None:
    free = os.statvfs(DISK)
    descriptor = os.open(os.path.join(DISK, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.posix_fallocate(descriptor, 0, free.f_bavail * free.f_frsize)
    finally:
        os.close(descriptor)


def _hook(event: str, args: tuple) -> None:
    global _count, _matched, _done
    path = _written(event, args)
    if path is None or isinstance(path, int):
        return
    path = os.path.abspath(os.fsdecode(path))
    if not path.startswith(ROOTS):
        return
    _count += 1
    if TRACE:
        TRACE.write(f"{_count}\t{event}\t{path}\n")
        TRACE.flush()
    _matched += bool(MATCH and MATCH.search(f"{event} {path}"))
    if not _done and (_count == AT or (MATCH and _matched == MATCHES)):
        _done = True
        if FAULT == "fill":
            _fill()
        else:
            os.kill(os.getpid(), signal.SIGKILL)


sys.addaudithook(_hook)
sys.argv[0] = "podcast"
runpy.run_module("podcast", run_name="__main__", alter_sys=True)
