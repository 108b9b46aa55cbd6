"""`podcast serve`: the publish folder over HTTP, the way podcast apps and browsers need it.

aiohttp's FileResponse does the HTTP: HEAD, single byte ranges (206 with Content-Range, 416
when unsatisfiable), Accept-Ranges, ETag and Last-Modified with the conditional requests. This
module decides what may be served: files under the publish folder only, never a dot-file or
dot-folder (the state database and caches when they live there, temporary files being
written), never a directory listing; and with which type, caching and CORS headers. It also
covers for what aiohttp lets through: HTTP/1.0 and 1.1 only, idle or half-sent connections
closed after 75 s, If-Range entity tags, no caching of errors, and a malformed request is one
log line, not a traceback. tests/test_serve_abuse.py is what it must withstand.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http_exceptions import HttpProcessingError

from .target import CORS, PAGE_NAME, cache_control, media_type

log = logging.getLogger(__name__)


class _ClientFaults(logging.Filter):
    """aiohttp logs every request it cannot parse (garbage, a header too large, a NUL byte) at
    ERROR with a traceback, though the fault is the client's and the answer a 400 that the
    access log shows: make that one line at INFO. A failure of ours (a 500) keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError) and 400 <= (error.code or 400) < 500:
            reason = " ".join(str(error.message or type(error).__name__).split())[:200]
            record.msg, record.args = "%s: %s", (record.getMessage(), reason)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            return log.isEnabledFor(logging.INFO)
        return True


log.addFilter(_ClientFaults())

# How much of a request aiohttp reads before it answers 400 (aiohttp 3.14's defaults, named here
# so that they stay put), and how long a connection may sit idle or half sent, as a slow-loris
# client keeps it: 75 s, as nginx does, not aiohttp's hour.
LIMITS = {"max_line_size": 8190, "max_field_size": 8190, "max_headers": 128,
          "keepalive_timeout": 75}


def make_app(
    folder: Path, hidden: Iterable[Path] = (), health: Callable[[], dict] | None = None
) -> web.Application:
    """An application serving ``folder``; anything inside ``hidden`` (the state folder, the
    config file) is refused even if it lies in there. With ``health``, ``GET /healthz`` answers
    its report as JSON."""
    root = folder.resolve()
    refused = tuple(path.resolve() for path in hidden)

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "HEAD"])
        path = _resolve(root, request.match_info["path"], refused)
        if path is None:
            raise web.HTTPNotFound()
        name = path.relative_to(root).as_posix()
        headers = {"Content-Type": media_type(name), "Cache-Control": cache_control(name),
                   "X-Content-Type-Options": "nosniff"}
        if path.suffix.lower() in CORS:
            headers["Access-Control-Allow-Origin"] = "*"
        return _File(path, headers=headers)

    async def healthz(request: web.Request) -> web.Response:
        assert health is not None  # only routed when there is one
        report = await asyncio.get_running_loop().run_in_executor(None, health)
        return web.json_response(report, dumps=lambda data: json.dumps(data, ensure_ascii=False),
                                 headers={"Cache-Control": "no-store"})

    app = web.Application(handler_args={"logger": log, **LIMITS}, middlewares=[_http_1])
    app.on_response_prepare.append(_errors_not_cached)
    if health:
        app.router.add_get("/healthz", healthz)
    app.router.add_route("*", "/{path:.*}", handle)
    return app


class _File(web.FileResponse):
    """FileResponse, which reads a date in If-Range but not the entity tag that browsers and
    podcast apps resuming a download send: it served the range whatever the tag, so a file
    changed since (the feed, the page) came back as old bytes spliced to new. A tag that is not
    the file's current one now gets the whole file (RFC 9110, 13.1.5)."""

    def __init__(self, path: Path, headers: dict[str, str]) -> None:
        super().__init__(path, headers=headers)
        self.file = path

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        validator = request.headers.get("If-Range")
        if validator and "Range" in request.headers and request.if_range is None:
            try:
                stat = self.file.stat()
                current = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'  # the ETag FileResponse sends
            except OSError:
                current = None
            if validator.strip() != current:
                request = request.clone(headers=[(k, v) for k, v in request.headers.items()
                                                 if k.lower() != "range"])
        return await super().prepare(request)


@web.middleware
async def _http_1(request: web.Request, handler: Callable) -> web.StreamResponse:
    """HTTP/1.0 and 1.1 only: aiohttp answers an HTTP/0.9 request line, or one claiming HTTP/2.0,
    with a status line and headers of that version, which no such client could read."""
    if request.version not in ((1, 0), (1, 1)):
        raise web.HTTPBadRequest(text="HTTP/1.0 or HTTP/1.1 only")
    return await handler(request)


async def _errors_not_cached(request: web.Request, response: web.StreamResponse) -> None:
    """FileResponse answers 416 (no such range) and 412 (a failed precondition) with the headers
    of the file, a year's immutable caching among them: a shared cache must not keep that."""
    if response.status >= 400:
        response.headers["Cache-Control"] = "no-store"


def _resolve(root: Path, requested: str, refused: tuple[Path, ...]) -> Path | None:
    """The file ``requested`` (already percent-decoded by aiohttp) names, or None when it is
    not one we serve."""
    parts = PurePosixPath("/" + requested).parts[1:]
    if any(part in ("..", ".") or part.startswith(".") or "\\" in part or "\0" in part
           for part in parts):
        return None
    path = root.joinpath(*parts)
    # a name too long for the file system is as absent as any other (is_dir raises ENAMETOOLONG)
    try:
        if path == root or path.is_dir():
            path = path / PAGE_NAME
        real = path.resolve(strict=True)
    except (OSError, ValueError, RuntimeError):
        return None
    if not real.is_relative_to(root) or not real.is_file():
        return None
    if any(part.startswith(".") for part in real.relative_to(root).parts):  # a link to a dot-file
        return None
    if any(real == hidden or real.is_relative_to(hidden) for hidden in refused):
        return None
    return real
