"""`podcast serve`: the publish folder over HTTP, the way podcast apps and browsers need it.

aiohttp's FileResponse does the HTTP: HEAD, single byte ranges (206 with Content-Range, 416
when unsatisfiable), Accept-Ranges, ETag and Last-Modified with the conditional requests. This
module decides what may be served: files under the publish folder only, never a dot-file or
dot-folder (the state database and caches when they live there, temporary files being
written), never a directory listing; and with which type, caching and CORS headers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from aiohttp import web

from .errors import PublishError
from .publish import CORS, PAGE_NAME, cache_control, media_type

log = logging.getLogger(__name__)

def make_app(folder: Path, hidden: Iterable[Path] = ()) -> web.Application:
    """An application serving ``folder``; anything inside ``hidden`` (the state folder, the
    config file) is refused even if it lies in there."""
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
        return web.FileResponse(path, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", handle)
    return app


def _resolve(root: Path, requested: str, refused: tuple[Path, ...]) -> Path | None:
    """The file ``requested`` (already percent-decoded by aiohttp) names, or None when it is
    not one we serve."""
    parts = PurePosixPath("/" + requested).parts[1:]
    if any(part in ("..", ".") or part.startswith(".") or "\\" in part or "\0" in part for part in parts):
        return None
    path = root.joinpath(*parts)
    if path == root or path.is_dir():
        path = path / PAGE_NAME
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root) or not real.is_file():
        return None
    if any(real == hidden or real.is_relative_to(hidden) for hidden in refused):
        return None
    return real


def serve(folder: Path, host: str, port: int, hidden: Iterable[Path] = ()) -> None:
    """Serve ``folder`` until interrupted."""
    try:
        web.run_app(make_app(folder, hidden), host=host, port=port, print=None,
                    access_log=logging.getLogger("podcast.access"))
    except OSError as exc:  # the port is taken, the address is not ours
        raise PublishError(f"cannot serve at {host}:{port}: {exc.strerror or exc}") from exc
