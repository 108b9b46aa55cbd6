"""`podcast serve` against what no podcast app sends: malformed and oversized requests, bad
ranges, writes, traversal and links out of the folder, slow clients, and a burst of concurrent
range requests, all over real sockets to the real server process.

Every answer is a 4xx (or a closed connection, for bytes that are not HTTP), never a 5xx; no
byte of the state database, the config, /etc/passwd or a file outside the folder ever comes
back; the server answers a normal request afterwards; and its log has no traceback.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from .conftest import fetch, free_port

pytestmark = pytest.mark.slow

TIMEOUT = 10  # seconds: only so that a hang fails instead of blocking the suite
CANARY = b"canary-5c1e0b7d"  # in every file the tests place where no request may reach
PASSWD = Path("/etc/passwd").read_bytes().split(b"\n", 1)[0] if Path("/etc/passwd").is_file() else CANARY
# Bytes no answer may carry: the SQLite header of the state database, /etc/passwd's first line,
# the session server's config (its [state] line) and the canary.
LEAKS = (b"SQLite format 3\x00", PASSWD, b'dir = "feed/.state"', CANARY)
CLIENT_ERROR_OR_CLOSED = frozenset(range(400, 500)) | {None}
REFUSED = frozenset({400, 403, 404})


def exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` exactly as given and return what the server answers: all it sends until
    it closes the connection or its answer is complete by its Content-Length (b"" when it closes
    without a word)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        try:
            connection.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it refused the request before reading all of it
        reply = b""
        try:
            while chunk := connection.recv(65536):
                reply += chunk
                head, done, body = reply.partition(b"\r\n\r\n")
                length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
                if done and length and len(body) >= int(length[1]) and not data.startswith(b"HEAD"):
                    break
        except ConnectionResetError:
            pass
    for leak in LEAKS:
        assert leak not in reply, f"{data[:80]!r} got {leak!r} back"
    return reply


def status_of(reply: bytes) -> int | None:
    if not reply:
        return None
    match = re.match(rb"HTTP/\d\.\d (\d{3}) ", reply)
    assert match, reply[:200]
    return int(match[1])


def head_and_body(reply: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}, body


def get(target: str | bytes, *headers: str | bytes, method: bytes = b"GET", body: bytes = b"") -> bytes:
    """A request with ``target`` and ``headers`` as given, plus Host and Connection: close."""
    as_bytes = [h if isinstance(h, bytes) else h.encode() for h in headers]
    target = target if isinstance(target, bytes) else target.encode()
    return (method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + b"".join(h + b"\r\n" for h in as_bytes) + b"\r\n" + body)


def assert_alive(port: int, folder: Path, name: str = "feed.xml") -> None:
    """A normal request still gets the file."""
    reply = exchange(port, get(f"/{name}"))
    assert status_of(reply) == 200 and head_and_body(reply)[1] == (folder / name).read_bytes()


def assert_log_clean(port: int, log: Path, since: int) -> None:
    """No traceback and no 5xx in what the server logged after byte ``since`` of its log, read
    once a request made now shows in its access log (so everything before it is written)."""
    probe = uuid.uuid4().hex
    assert status_of(exchange(port, get(f"/feed.xml?probe={probe}"))) in (200, 404)
    deadline = time.monotonic() + TIMEOUT
    while probe not in (text := log.read_bytes()[since:].decode("utf-8", errors="replace")):
        assert time.monotonic() < deadline, f"the access log never showed the probe:\n{text[-2000:]}"
        time.sleep(0.05)
    assert "Traceback" not in text, text[max(0, text.index("Traceback") - 300):][:3000]
    fives = [line for line in text.splitlines() if re.search(r'" 5\d\d \d', line)]
    assert not fives, fives[:5]


@pytest.fixture(scope="module")
def served(server):
    """The session server: (port, publish folder, episode MP3 path inside it, server log)."""
    _, folder, episode, port = server
    return port, folder, episode.audio_name, folder.parent / "serve.log"


# ---------------------------------------------------------------------------------------------
# Malformed requests

GARBAGE = bytes(random.Random(10).randrange(256) for _ in range(2048))
TLS_HELLO = bytes.fromhex("16030100a5010000a10303") + bytes(range(160))
MALFORMED = {
    # label: (request bytes, the answers allowed)
    "plain text": (b"hello world\r\n\r\n", CLIENT_ERROR_OR_CLOSED),
    "TLS client hello": (TLS_HELLO, CLIENT_ERROR_OR_CLOSED),
    "random bytes": (GARBAGE, CLIENT_ERROR_OR_CLOSED),
    "HTTP/0.9 request line": (b"GET /feed.xml\r\n\r\n", {400, None}),
    "HTTP/2.0 request line": (b"GET /feed.xml HTTP/2.0\r\nHost: x\r\n\r\n", {400, None}),
    "HTTP/9.9": (b"GET /feed.xml HTTP/9.9\r\nHost: x\r\n\r\n", {400, None}),
    "HTTP/1.1x": (b"GET /feed.xml HTTP/1.1x\r\nHost: x\r\n\r\n", {400, None}),
    "no version": (b"GET /feed.xml\r\nHost: x\r\n\r\n", {400, None}),
    "no target": (b"GET HTTP/1.1\r\nHost: x\r\n\r\n", {400, None}),
    "missing Host": (b"GET /feed.xml HTTP/1.1\r\nConnection: close\r\n\r\n", {400}),
    "two Hosts": (get("/feed.xml", "Host: evil.example"), {400}),
    "100 KB header": (get("/feed.xml", "X-Big: " + "a" * 100_000), {400, 431, None}),
    "10,000 headers": (get("/feed.xml", *(f"X-{i}: a" for i in range(10_000))), {400, 431, None}),
    "200 headers": (get("/feed.xml", *(f"X-{i}: a" for i in range(200))), {400, 431, None}),
    "9 KB request line": (get("/" + "a" * 9000), {400, 414, None}),
    "header without colon": (get("/feed.xml", "NoColon"), {400}),
    "folded header": (get("/feed.xml", "X-A: a", "  folded"), {400}),
    "space in header name": (get("/feed.xml", "X A: b"), {400}),
    "NUL in header value": (get("/feed.xml", b"X-A: a\x00b"), {400}),
    "NUL in path": (get(b"/feed.xml\x00"), {400, 404}),
    "CR in path": (get(b"/feed.xml\rSet-Cookie: pwned=1"), {400, 404}),
    "CRLF in path": (b"GET /feed.xml\r\nSet-Cookie: pwned=1 HTTP/1.1\r\nHost: x\r\n\r\n", {400, None}),
    "encoded CRLF in path": (get("/feed.xml%0d%0aSet-Cookie:%20pwned=1"), {400, 404}),
    "encoded NUL": (get("/feed.xml%00"), {400, 404}),
    "lone percent": (get("/%"), {400, 404}),
    "bad escape": (get("/%zz"), {400, 404}),
    "invalid UTF-8": (get("/%ff%fe.mp3"), {400, 404}),
    "UTF-8 surrogate": (get("/%ed%a0%80"), {400, 404}),
    "300-byte name": (get("/" + "a" * 300), {400, 404}),
    "300-byte name in a folder": (get("/episodes/" + "b" * 300 + ".mp3"), {400, 404}),
    "3,000 folders deep": (get("/a" * 3000), {400, 404}),
    "huge Content-Length": (get("/feed.xml", "Content-Length: 99999999999999999999999"), {400, 413}),
    "negative Content-Length": (get("/feed.xml", "Content-Length: -1"), {400}),
    "two Content-Lengths": (get("/feed.xml", "Content-Length: 1", "Content-Length: 2") + b"ab", {400}),
    "Content-Length and chunked": (get("/feed.xml", "Content-Length: 5", "Transfer-Encoding: chunked"), {400}),
    "unknown Transfer-Encoding": (get("/feed.xml", "Transfer-Encoding: gzip"), {400}),
    # A GET announcing a gigabyte it never sends is answered at once (a body is legal, if odd)
    "GET with 1 GB Content-Length": (get("/feed.xml", "Content-Length: 1000000000"), {200, 400, 413}),
    "unknown method": (get("/feed.xml", method=b"FOO"), {400, 405}),
    "lower-case method": (get("/feed.xml", method=b"get"), {400, 405}),
    "CONNECT": (b"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nConnection: close\r\n\r\n", {400, 404, 405}),
    "OPTIONS *": (b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {400, 404, 405}),
    "absolute-form target": (get("http://evil.example/etc/passwd"), {400, 404}),
    "asterisk target": (get("*"), {400, 404}),
}


@pytest.mark.parametrize("label", MALFORMED)
def test_malformed_requests_get_a_4xx_and_the_server_goes_on(served, label):
    port, folder, _, log = served
    since = log.stat().st_size
    request, allowed = MALFORMED[label]
    reply = exchange(port, request)
    status = status_of(reply)
    assert status in allowed, (label, reply[:300])
    assert b"pwned" not in reply.partition(b"\r\n\r\n")[0]  # no header ever made of the path
    assert_alive(port, folder)
    assert_log_clean(port, log, since)


def test_writes_are_405_and_change_nothing(served):
    port, folder, mp3, log = served
    since = log.stat().st_size

    def snapshot() -> dict[str, tuple[int, int, str]]:
        return {path.relative_to(folder).as_posix(): (path.stat().st_size, path.stat().st_mtime_ns,
                                                      hashlib.sha256(path.read_bytes()).hexdigest())
                for path in sorted(folder.rglob("*")) if path.is_file()}

    before = snapshot()
    answers = []
    for method in (b"POST", b"PUT", b"DELETE", b"PATCH", b"PROPFIND", b"MKCOL", b"MOVE", b"COPY",
                   b"TRACE", b"OPTIONS"):
        for target in ("/feed.xml", f"/{mp3}", "/new.mp3", "/episodes/new.mp3", "/.state/podcast.db",
                       "/episodes/", "/"):
            reply = exchange(port, get(target, "Content-Length: 5", "Content-Type: audio/mpeg",
                                       "Destination: /moved.mp3", method=method, body=b"pwned"))
            headers, _ = head_and_body(reply)
            answers.append((method, target, status_of(reply), headers.get("allow")))
        reply = exchange(port, get("/feed.xml", "Transfer-Encoding: chunked", method=method,
                                   body=b"5\r\npwned\r\n0\r\n\r\n"))
        answers.append((method, "/feed.xml (chunked)", status_of(reply), head_and_body(reply)[0].get("allow")))
    wrong = [a for a in answers if a[2] != 405 or a[3] is None or set(a[3].replace(" ", "").split(",")) != {"GET", "HEAD"}]
    assert not wrong, wrong
    assert snapshot() == before
    assert not any(b"pwned" in path.read_bytes() for path in folder.rglob("*") if path.is_file())
    assert_alive(port, folder)
    assert_log_clean(port, log, since)


# ---------------------------------------------------------------------------------------------
# Ranges

def test_bad_and_overflowing_ranges(served):
    port, folder, mp3, log = served
    since = log.stat().st_size
    data = (folder / mp3).read_bytes()
    size = len(data)
    # A server may ignore a Range it cannot parse (200, the whole file) or refuse it (416): either
    # is fine, a 206 or a 5xx is not.
    for value in ("bytes=abc", "bytes=5-1", "bytes=--1", "bytes=-1-2", "bytes=", "bytes= ", "items=0-1",
                  "bytes=0-1,5-6", "bytes=0-0,-1", "bytes=1-2,3-4,5-6,7-8,9-10", "bytes=0x10-0x20",
                  "bytes=1e3-2e3", "bytes=" + "1" * 5000 + "-", "bytes=-" + "9" * 5000,
                  "bytes=0-1, " * 300, "bytes=\u00b9-\u00b2"):
        for method in (b"GET", b"HEAD"):
            reply = exchange(port, get(f"/{mp3}", f"Range: {value}".encode(), method=method))
            status, (headers, body) = status_of(reply), head_and_body(reply)
            assert status in (200, 416), (value[:40], reply[:300])
            if status == 416:
                assert headers["content-range"] == f"bytes */{size}"
                assert headers["cache-control"] == "no-store"  # no shared cache keeps a refusal a year
            elif method == b"GET":
                assert body == data
    # Unsatisfiable: no byte of the file lies at or after the first position.
    for value in (f"bytes={size}-", f"bytes={size}-{size + 10}", "bytes=99999999999999999999-",
                  "bytes=99999999999999999999-99999999999999999999"):
        reply = exchange(port, get(f"/{mp3}", f"Range: {value}"))
        assert status_of(reply) == 416, (value, reply[:300])
        assert head_and_body(reply)[0]["content-range"] == f"bytes */{size}"
    # Overflowing ends are cut at the end of the file, as RFC 9110 says.
    for value, start in (("bytes=0-99999999999999999999", 0), ("bytes=-99999999999999999999", 0),
                         (f"bytes={size - 7}-99999999999999999999", size - 7), (f"bytes=-{size + 1}", 0)):
        reply = exchange(port, get(f"/{mp3}", f"Range: {value}"))
        headers, body = head_and_body(reply)
        assert status_of(reply) == 206 and headers["content-range"] == f"bytes {start}-{size - 1}/{size}", value
        assert body == data[start:]
    # If-Range, as a resumed download sends it: the range while the file is the one the client
    # has part of; the whole file once it is not (a stale, weak or unreadable validator).
    headers = head_and_body(exchange(port, get(f"/{mp3}", method=b"HEAD")))[0]
    for validator in (headers["etag"], headers["last-modified"]):
        reply = exchange(port, get(f"/{mp3}", "Range: bytes=10-19", f"If-Range: {validator}"))
        assert status_of(reply) == 206 and head_and_body(reply)[1] == data[10:20], validator
    for validator in ('"no-such-etag"', f"W/{headers['etag']}", "garbage", "Thu, 01 Jan 1970 00:00:00 GMT"):
        reply = exchange(port, get(f"/{mp3}", "Range: bytes=10-19", f"If-Range: {validator}"))
        assert status_of(reply) == 200 and head_and_body(reply)[1] == data, validator
    # Validators that mean nothing: the whole file; a precondition that cannot hold: 412.
    reply = exchange(port, get(f"/{mp3}", "If-Modified-Since: yesterday", "If-None-Match: nonsense"))
    assert status_of(reply) == 200 and head_and_body(reply)[1] == data
    reply = exchange(port, get(f"/{mp3}", "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT"))
    assert status_of(reply) == 412 and head_and_body(reply)[0]["cache-control"] == "no-store"
    assert_alive(port, folder)
    assert_log_clean(port, log, since)


# ---------------------------------------------------------------------------------------------
# Traversal

TRAVERSALS = (
    "/../podcast.toml", "/../../../../../../etc/passwd", "/%2e%2e/podcast.toml", "/%2e%2e%2fpodcast.toml",
    "/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/.%2e/podcast.toml", "/%2e./podcast.toml",
    "/%252e%252e/podcast.toml", "/%252e%252e%252fpodcast.toml", "/..%252fpodcast.toml",
    "/%c0%ae%c0%ae/podcast.toml", "/%c0%2e%c0%2e/podcast.toml", "/%u002e%u002e/podcast.toml",
    "/..\\podcast.toml", "/..%5cpodcast.toml", "/episodes/..%5c..%5cpodcast.toml", "/episodes\\..\\..\\podcast.toml",
    "/episodes/../../podcast.toml", "/episodes/%2e%2e/%2e%2e/podcast.toml", "/./../podcast.toml",
    "/..;/podcast.toml", "/;/../podcast.toml",
    "//etc/passwd", "///etc/passwd", "/%2Fetc%2Fpasswd", "/%2f%2fetc%2fpasswd", "/file:///etc/passwd",
    "/C:/Windows/win.ini", "/podcast.toml", "/feed/.state/podcast.db",
    "/.state/podcast.db", "/.state/", "/.state", "/%2estate/podcast.db", "/%2Estate/podcast.db",
    "/.state%2fpodcast.db", "/%2e%73tate/podcast.db", "/.state/podcast.db%00.mp3", "/./.state/podcast.db",
    "/episodes/../.state/podcast.db", "/episodes/..%2f.state%2fpodcast.db", "/episodes/./../.state/podcast.db",
    "/.state/podcast.db-journal", "/.state/podcast.db-wal", "/.state/build.lock", "/.state/cache/",
    "/.git/config", "/.env", "/.htaccess", "/episodes/", "/episodes", "/episodes/.",
)


def test_traversal_and_the_state_database_are_refused(served):
    port, folder, _, log = served
    since = log.stat().st_size
    assert (folder / ".state" / "podcast.db").read_bytes().startswith(LEAKS[0])  # what must not leak
    outcomes = {}
    for target in TRAVERSALS:
        for method in (b"GET", b"HEAD"):
            reply = exchange(port, get(target, method=method))
            outcomes[method.decode(), target] = status_of(reply)
    bad = {k: v for k, v in outcomes.items() if v not in REFUSED}
    assert not bad, bad
    # The page of a folder is its index.html, never a listing.
    reply = exchange(port, get("/"))
    assert status_of(reply) == 200
    assert head_and_body(reply)[1] == (folder / "index.html").read_bytes()
    assert_alive(port, folder)
    assert_log_clean(port, log, since)


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """A second server whose publish folder is the show folder itself: the config and a state
    folder without a dot in its name lie inside it, beside links pointing everywhere."""
    root = tmp_path_factory.mktemp("bare")
    show, outside = root / "show", root / "outside"
    (show / "episodes").mkdir(parents=True)
    (show / ".hidden").mkdir()
    outside.mkdir()
    port = free_port()
    (show / "podcast.toml").write_bytes(
        b'# ' + CANARY + b'\n[publish]\ndir = "."\nbase_url = "http://127.0.0.1:%d/"\n'
        b'[state]\ndir = "state"\n[[sources]]\ntype = "file"\n' % port)
    (show / "hello.txt").write_text("hello\n", encoding="utf-8")
    (show / "episodes" / "2026-11-21.mp3").write_bytes(os.urandom(50_000))
    (show / "episodes" / ".2026-11-21.mp3.k3j9").write_bytes(CANARY)  # a file being written
    (show / ".hidden" / "secret.txt").write_bytes(CANARY)
    (outside / "secret.txt").write_bytes(CANARY)
    links = {"leak.txt": outside / "secret.txt", "outside": outside, "passwd": Path("/etc/passwd"),
             "root": Path("/"), "config.txt": show / "podcast.toml", "db.mp3": show / "state" / "podcast.db",
             "state-link": show / "state", "temp.mp3": show / "episodes" / ".2026-11-21.mp3.k3j9",
             "hidden": show / ".hidden", "loop": show / "loop", "dangling": root / "nowhere",
             "ok.mp3": show / "episodes" / "2026-11-21.mp3"}
    for name, target in links.items():
        (show / name).symlink_to(target)
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    log = root / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "podcast", "serve", "--no-schedule", "--port", str(port)],
                                   cwd=show, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield port, show, log
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_links_out_of_the_folder_the_config_and_a_state_folder_inside_are_refused(bare):
    port, show, log = bare
    since = log.stat().st_size
    # The status check opens the state database: now it exists, inside the served folder.
    status, _, body = fetch(f"http://127.0.0.1:{port}/healthz")
    assert status == 200 and b'"ok": true' in body
    assert (show / "state" / "podcast.db").read_bytes().startswith(LEAKS[0])
    # Links within the folder to published files are followed...
    assert status_of(reply := exchange(port, get("/ok.mp3"))) == 200
    assert head_and_body(reply)[1] == (show / "episodes" / "2026-11-21.mp3").read_bytes()
    assert head_and_body(exchange(port, get("/hello.txt")))[1] == b"hello\n"
    # ...and nothing else is: outside, dot-files, the config, the state folder, loops.
    refused = ("/leak.txt", "/outside/secret.txt", "/passwd", "/root/etc/passwd", "/config.txt",
               "/podcast.toml", "/%70odcast.toml", "/db.mp3", "/state/podcast.db", "/state/", "/state",
               "/state-link/podcast.db", "/temp.mp3", "/episodes/.2026-11-21.mp3.k3j9",
               "/episodes/%2e2026-11-21.mp3.k3j9", "/hidden/secret.txt", "/.hidden/secret.txt",
               "/loop", "/loop/x", "/dangling", "/episodes/", "/", "/outside/", "/root/")
    outcomes = {target: status_of(exchange(port, get(target))) for target in refused}
    bad = {target: status for target, status in outcomes.items() if status not in REFUSED}
    assert not bad, bad
    assert_log_clean(port, log, since)


# ---------------------------------------------------------------------------------------------
# Slow clients

def test_slow_and_idle_clients_do_not_hold_up_others(served):
    port, folder, mp3, log = served
    since = log.stat().st_size
    data = (folder / mp3).read_bytes()
    held = []
    try:
        for i in range(120):
            connection = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
            held.append(connection)
            kind = i % 4
            if kind == 1:  # a request line cut short
                connection.sendall(b"GET /feed.x")
            elif kind == 2:  # headers that never end (slow loris)
                connection.sendall(b"GET /feed.xml HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            elif kind == 3:  # a request whose announced body never comes
                connection.sendall(b"GET /feed.xml HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nab")
            # kind 0: connected, silent
        for round_ in range(10):
            for connection in held[2::4]:  # the slow loris adds a byte between others' requests
                connection.sendall(b"a")
            start = 1000 * round_
            reply = exchange(port, get(f"/{mp3}", f"Range: bytes={start}-{start + 999}"))
            assert status_of(reply) == 206 and head_and_body(reply)[1] == data[start:start + 1000]
            assert_alive(port, folder)
    finally:
        for connection in held:
            connection.close()
    assert_alive(port, folder)
    assert_log_clean(port, log, since)


# ---------------------------------------------------------------------------------------------
# A burst of concurrent range requests

BURST = 200


async def burst(url: str, data: bytes, rng: random.Random) -> tuple[list[str], int, float]:
    """``BURST`` requests at once, each on its own connection: random ranges of the file, some
    whole GETs and HEADs. Returns the failures, the bytes received and the wall time."""
    size = len(data)
    plans = []
    for i in range(BURST):
        if i % 10 == 0:
            plans.append(("GET", None))
        elif i % 10 == 1:
            plans.append(("HEAD", None))
        else:
            start = rng.randrange(size)
            kind = rng.random()
            if kind < 0.6:
                plans.append(("GET", (start, rng.randrange(start, size), "bytes={}-{}")))
            elif kind < 0.8:
                plans.append(("GET", (start, size - 1, "bytes={}-")))
            else:
                plans.append(("GET", (start, size - 1, f"bytes=-{size - start}")))
    rng.shuffle(plans)
    failures, received = [], 0

    async def one(session: aiohttp.ClientSession, method: str, plan) -> None:
        nonlocal received
        headers = {"Range": plan[2].format(plan[0], plan[1])} if plan else {}
        try:
            async with session.request(method, url, headers=headers) as response:
                body = await response.read()
        except (TimeoutError, aiohttp.ClientError) as error:
            failures.append(f"{method} {headers}: {error!r}")
            return
        received += len(body)
        if plan:
            start, end, _ = plan
            expected = (206, f"bytes {start}-{end}/{size}", data[start:end + 1])
            got = (response.status, response.headers.get("Content-Range"), body)
        elif method == "HEAD":
            expected = (200, str(size), b"")
            got = (response.status, response.headers.get("Content-Length"), body)
        else:
            expected = (200, "bytes", data)
            got = (response.status, response.headers.get("Accept-Ranges"), body)
        if got != expected:
            failures.append(f"{method} {headers}: {got[:2]} and {len(got[2])} bytes, expected {expected[:2]}")

    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        await asyncio.gather(*(one(session, method, plan) for method, plan in plans))
        wall = time.perf_counter() - start
    return failures, received, wall


def test_a_burst_of_concurrent_range_requests_is_answered_byte_for_byte(served, server):
    port, folder, mp3, log = served
    since = log.stat().st_size
    data = (folder / mp3).read_bytes()
    failures, received, wall = asyncio.run(burst(f"http://127.0.0.1:{port}/{mp3}", data, random.Random(10)))
    print(f"\nburst: {BURST} concurrent requests ({len(data):,}-byte MP3), {BURST - len(failures)} correct, "
          f"{len(failures)} errors, {received / 1e6:.1f} MB in {wall:.2f} s: "
          f"{BURST / wall:.0f} requests/s, {received / 1e6 / wall:.0f} MB/s")
    assert not failures, failures[:10]
    status, _, body = fetch(f"{server[0]}/healthz")
    assert status == 200 and b'"ok"' in body
    assert_alive(port, folder)
    assert_log_clean(port, log, since)
