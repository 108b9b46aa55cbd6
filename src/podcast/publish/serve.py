"""`podcast serve`: the publish folder over HTTP, the way podcast apps and browsers need it.

aiohttp's FileResponse does the HTTP: HEAD, single byte ranges (206 with Content-Range, 416
when unsatisfiable), Accept-Ranges, ETag and Last-Modified with the conditional requests. This
module decides what may be served: files under the publish folder only, never a dot-file or
dot-folder (the state database and caches when they live there, temporary files being
written), never a directory listing; and with which type, caching and CORS headers. It also
covers for what aiohttp lets through: HTTP/1.0 and 1.1 only, idle or half-sent connections
closed after 75 s, If-Range entity tags, no caching of errors, a malformed request is one log
line, not a traceback, and the access log counts the body bytes sent. tests/test_serve_abuse.py
is what it must withstand.

Given the show's :class:`Ratings`, ``/ratings`` is the one address that takes a write: the show
page's 👍/👎 buttons read the team's votes there (GET) and rate a paper (POST of a small JSON
object), from the page itself only: same origin, JSON, 2 KB at most, never cached.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger, AbstractStreamWriter
from aiohttp.http_exceptions import HttpProcessingError

from ..errors import PodcastError
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


RATINGS_PATH = "/ratings"  # the page asks it relative to itself: "ratings", "../ratings"
RATING_BYTES = 2048  # the most a rating's JSON body may hold
RATING_ID_CHARS = 200
VOTES = ("up", "down", "clear")


class Ratings(Protocol):
    """The team's ratings of papers, as `podcast serve` keeps them (in the show's state
    database); called off the event loop."""

    def votes(self) -> dict[str, str]:
        """The current votes: paper id → "up" or "down"."""

    def rate(self, paper_id: str, vote: str) -> str | None:
        """Rate a paper "up" or "down", or "clear" its rating: the paper's id, or None when the
        show has never seen the paper."""


def make_app(
    folder: Path, hidden: Iterable[Path] = (), health: Callable[[], dict] | None = None,
    ratings: Ratings | None = None,
) -> web.Application:
    """An application serving ``folder``; anything inside ``hidden`` (the state folder, the
    config file) is refused even if it lies in there. With ``health``, ``GET /healthz`` answers
    its report as JSON; with ``ratings``, ``/ratings`` reads and takes the team's votes."""
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

    async def rating(request: web.Request) -> web.StreamResponse:
        assert ratings is not None  # only routed when there are some
        loop = asyncio.get_running_loop()
        if request.method in ("GET", "HEAD"):
            try:
                votes = await loop.run_in_executor(None, ratings.votes)
            except PodcastError as exc:
                log.warning("Could not read the ratings: %s", exc)
                return _answer({"error": "the ratings cannot be read just now"}, 503)
            return _answer({"votes": votes})
        if request.method != "POST":
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "HEAD", "POST"])
        refused = _foreign(request)
        if refused:
            return _answer({"error": refused}, 403)
        if request.content_type != "application/json":
            return _answer({"error": "send the rating as JSON (Content-Type: application/json)"},
                           415)
        body = await _body(request, RATING_BYTES)
        if body is None:
            return _answer({"error": f"a rating is at most {RATING_BYTES} bytes"}, 413)
        wanted = _rating(body)
        if isinstance(wanted, str):
            return _answer({"error": wanted}, 400)
        paper_id, vote = wanted
        try:
            rated = await loop.run_in_executor(None, ratings.rate, paper_id, vote)
        except PodcastError as exc:
            log.warning("Could not rate %s: %s", paper_id, exc)
            return _answer({"error": "the rating could not be saved just now"}, 503)
        if rated is None:
            return _answer({"error": "no such paper among the papers this show has seen"}, 404)
        return _answer({"id": rated, "vote": None if vote == "clear" else vote})

    app = web.Application(handler_args={"logger": log, "access_log_class": AccessLog, **LIMITS},
                          middlewares=[_http_1])
    app.on_response_prepare.append(_errors_not_cached)
    if health:
        app.router.add_get("/healthz", healthz)
    if ratings:
        app.router.add_route("*", RATINGS_PATH, rating)
    app.router.add_route("*", "/{path:.*}", handle)
    return app


def _answer(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status,
                             dumps=lambda value: json.dumps(value, ensure_ascii=False),
                             headers={"Cache-Control": "no-store",
                                      "X-Content-Type-Options": "nosniff"})


def _foreign(request: web.Request) -> str | None:
    """Why a write comes from elsewhere than the show's own page, if it does: browsers say
    where a request comes from (Sec-Fetch-Site, Origin), and a page on another site cannot
    keep them from saying it. (A plain form on another site cannot send JSON at all.)"""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site != "same-origin":
        return "ratings come from the show's own page only"
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
        return "ratings come from the show's own page only"
    return None


async def _body(request: web.Request, limit: int) -> bytes | None:
    """The request's body, or None when it is longer than ``limit`` bytes (read no further)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = b""
    while len(body) <= limit:
        chunk = await request.content.read(limit + 1 - len(body))
        if not chunk:
            return body
        body += chunk
    return None


def _rating(body: bytes) -> tuple[str, str] | str:
    """The paper id and the vote a rating's body asks for, or what is wrong with it."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "the body is not JSON"
    if not isinstance(data, dict):
        return 'send {"id": "<paper id>", "vote": "up" | "down" | "clear"}'
    paper_id, vote = data.get("id"), data.get("vote")
    if (not isinstance(paper_id, str) or not paper_id.strip() or len(paper_id) > RATING_ID_CHARS
            or not paper_id.isprintable()):
        return "no paper id, or not one"
    if vote not in VOTES:
        return "the vote is up, down or clear"
    return paper_id.strip(), vote


class AccessLog(AbstractAccessLogger):
    """One line per request as aiohttp writes it (the common log format, with the referrer and
    the user agent), but with the body bytes really sent: aiohttp's own count is what went
    through its writer, the status line and headers but none of a file sent with sendfile (a
    163,270-byte cover was logged as 326 bytes). No body is "-", as in the common log format."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        started = datetime.now().astimezone() - timedelta(seconds=time)
        sent = _body_bytes(request, response)
        self.logger.info('%s [%s] "%s %s HTTP/%d.%d" %d %s "%s" "%s"', request.remote or "-",
                         f"{started:%d/%b/%Y:%H:%M:%S %z}", request.method, request.path_qs,
                         *request.version, response.status, sent or "-",
                         request.headers.get("Referer", "-"),
                         request.headers.get("User-Agent", "-"))

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def _body_bytes(request: web.BaseRequest, response: web.StreamResponse) -> int:
    """How many bytes of body ``response`` sent: a file's as far as it got, an answer's all."""
    if request.method == "HEAD" or response.status in (204, 304) or response.status < 200:
        return 0
    if isinstance(response, _File):
        return response.sent
    body = response.body if isinstance(response, web.Response) else None
    return len(body) if isinstance(body, bytes | bytearray) else 0


class _File(web.FileResponse):
    """FileResponse, which reads a date in If-Range but not the entity tag that browsers and
    podcast apps resuming a download send: it served the range whatever the tag, so a file
    changed since (the feed, the page) came back as old bytes spliced to new. A tag that is not
    the file's current one now gets the whole file (RFC 9110, 13.1.5).

    It also counts the bytes of the file it sent (``sent``) for the access log."""

    def __init__(self, path: Path, headers: dict[str, str]) -> None:
        super().__init__(path, headers=headers)
        self.file = path
        self.sent = 0

    async def _sendfile(self, request: web.BaseRequest, fobj: IO[Any], offset: int,
                        count: int) -> AbstractStreamWriter:
        """FileResponse's one step that holds the open file: asyncio's sendfile leaves the
        file's position after the last byte sent, also when the client went away half-way."""
        try:
            return await super()._sendfile(request, fobj, offset, count)
        finally:
            self.sent = max(0, min(fobj.tell() - offset, count))

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
