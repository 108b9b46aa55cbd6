"""A real HTTP server on 127.0.0.1 for tests: it answers from recorded or locally made files,
and remembers every request it got."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).resolve().parent / "data"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (real time; the server's end cuts it short)
    #: the body sent piece by piece as the function yields it, without a Content-Length unless
    #: ``headers`` has one: a response that never ends, trickles, or stalls half-way
    stream: Callable[[], Iterable[bytes]] | None = None

    @classmethod
    def file(cls, path: Path, status: int | None = None, content_type: str = "application/xml") -> Reply:
        if status is None:  # recorded files carry their status in the name: x.200.xml, x.400.xml
            parts = path.name.split(".")
            status = int(parts[-2]) if len(parts) > 2 and parts[-2].isdigit() else 200
        return cls(status, path.read_bytes(), {"Content-Type": content_type})

    @classmethod
    def json(cls, data: object, status: int = 200) -> Reply:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes


Handler = Callable[[Request], Reply]


class WebServer:
    """Routes by path; a route is a Reply, a list of Replies (one per request, the last
    repeating) or a function of the Request."""

    def __init__(self, port: int = 0) -> None:
        """Listening on ``port`` of 127.0.0.1 (0: a free one)."""
        self.routes: dict[str, Reply | list[Reply] | Handler] = {}
        self.requests: list[Request] = []
        self.on_request: Callable[[Request], None] | None = None
        self.closing = threading.Event()  # set on exit: ends delays and streams still running
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length) if length else b"",
                )
                server.requests.append(request)
                if server.on_request:
                    server.on_request(request)
                reply = server._reply(request)
                if reply.delay:
                    server.closing.wait(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.stream is None:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.stream is None:
                        self.wfile.write(reply.body)
                        return
                    self.wfile.flush()
                    for piece in reply.stream():
                        if server.closing.is_set():
                            break
                        self.wfile.write(piece)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, as a timeout test wants

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def _reply(self, request: Request) -> Reply:
        route = self.routes.get(request.path)
        if route is None:
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        if isinstance(route, Reply):
            return route
        if isinstance(route, list):
            return route.pop(0) if len(route) > 1 else route[0]
        return route(request)

    def url(self, path: str = "/") -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def __enter__(self) -> WebServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
