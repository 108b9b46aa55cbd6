"""`podcast serve` started as a user starts it, spoken to over real HTTP (and raw sockets for
requests no well-behaved client would send)."""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import time
from collections.abc import Iterator

import feedparser
import podcastparser
import pytest

from podcast.models import RATED_DOWN, RATED_UP
from podcast.store import open_store

from .conftest import fetch

pytestmark = pytest.mark.slow


def raw(port: int, target: str) -> int:
    """The status for a request line sent exactly as written."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    return int(reply.split(b" ", 2)[1])


def test_feed_parses_over_http_and_every_enclosure_downloads_by_ranges(server):
    base, folder, episode, _ = server
    status, headers, xml = fetch(f"{base}/feed.xml")
    assert status == 200 and headers["content-type"].startswith("application/rss+xml")
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    podcast = podcastparser.parse(f"{base}/feed.xml", io.BytesIO(xml))
    assert len(podcast["episodes"]) == len(parsed.entries) == 1
    for entry in podcast["episodes"]:
        (enclosure,) = entry["enclosures"]
        size = enclosure["file_size"]
        pieces, start = [], 0
        while start < size:  # the way podcast apps fetch: in ranges
            end = min(start + 64 * 1024, size) - 1
            status, headers, body = fetch(enclosure["url"], headers={"Range": f"bytes={start}-{end}"})
            assert status == 206 and headers["content-range"] == f"bytes {start}-{end}/{size}"
            pieces.append(body)
            start = end + 1
        assert b"".join(pieces) == (folder / episode.audio_name).read_bytes()


def test_head_suffix_ranges_and_unsatisfiable_ranges(server):
    base, folder, episode, _ = server
    url = f"{base}/{episode.audio_name}"
    size = (folder / episode.audio_name).stat().st_size
    status, headers, body = fetch(url, method="HEAD")
    assert status == 200 and body == b""
    assert int(headers["content-length"]) == size and headers["accept-ranges"] == "bytes"
    assert headers["content-type"] == "audio/mpeg" and headers["etag"] and headers["last-modified"]

    status, headers, body = fetch(url, headers={"Range": "bytes=-500"})
    assert status == 206 and headers["content-range"] == f"bytes {size - 500}-{size - 1}/{size}"
    assert body == (folder / episode.audio_name).read_bytes()[-500:]

    status, headers, _ = fetch(url, headers={"Range": f"bytes={size + 10}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{size}"

    status, _, _ = fetch(url, headers={"If-None-Match": fetch(url, method="HEAD")[1]["etag"]})
    assert status == 304


def test_types_cors_and_caching(server):
    base, _, episode, _ = server
    stem = episode.audio_name.removesuffix(".mp3")
    status, headers, _ = fetch(f"{base}/{stem}.vtt")
    assert status == 200 and headers["content-type"].startswith("text/vtt")
    assert headers["access-control-allow-origin"] == "*"
    status, headers, _ = fetch(f"{base}/{episode.chapters_name}")
    assert headers["content-type"].startswith("application/json") and headers["access-control-allow-origin"] == "*"
    status, headers, _page = fetch(f"{base}/")
    assert status == 200 and headers["content-type"].startswith("text/html") and headers["cache-control"] == "no-cache"
    assert "access-control-allow-origin" not in fetch(f"{base}/{episode.audio_name}", method="HEAD")[1]


def access_logged(log, request: str) -> tuple[str, str]:
    """The status and byte count of the access log's line for ``request`` ("GET /x HTTP/1.1"),
    once it is there (the server writes it after the answer)."""
    pattern = re.compile(rf'"{re.escape(request)}" (\d+) (\S+) ')
    deadline = time.monotonic() + 10
    while not (found := pattern.search(log.read_text(encoding="utf-8", errors="replace"))):
        assert time.monotonic() < deadline, f"no access log line for {request}"
        time.sleep(0.05)
    return found[1], found[2]


def test_the_access_log_counts_the_body_bytes_sent(server):
    """Not what aiohttp's own %b counts: the status line and headers, and none of a file sent
    with sendfile (a 163,270-byte cover was logged as 326 bytes)."""
    base, folder, episode, _ = server
    log = folder.parent / "serve.log"
    size = (folder / episode.audio_name).stat().st_size
    cover = next(folder.glob("cover-*"))
    url = f"/{episode.audio_name}"
    assert fetch(f"{base}{url}?log=whole")[0] == 200
    assert access_logged(log, f"GET {url}?log=whole HTTP/1.1") == ("200", str(size))
    assert fetch(f"{base}/{cover.name}?log=cover")[0] == 200
    assert access_logged(log, f"GET /{cover.name}?log=cover HTTP/1.1") == ("200", str(cover.stat().st_size))
    assert fetch(f"{base}{url}?log=range", headers={"Range": "bytes=100-1099"})[0] == 206
    assert access_logged(log, f"GET {url}?log=range HTTP/1.1") == ("206", "1000")
    assert fetch(f"{base}{url}?log=tail", headers={"Range": "bytes=-500"})[0] == 206
    assert access_logged(log, f"GET {url}?log=tail HTTP/1.1") == ("206", "500")
    assert fetch(f"{base}{url}?log=head", method="HEAD")[0] == 200
    assert access_logged(log, f"HEAD {url}?log=head HTTP/1.1") == ("200", "-")  # no body: "-", as CLF has it
    assert fetch(f"{base}{url}?log=past", headers={"Range": f"bytes={size}-"})[0] == 416
    assert access_logged(log, f"GET {url}?log=past HTTP/1.1") == ("416", "-")
    status, _, body = fetch(f"{base}/nothing-here.mp3?log=missing")
    assert status == 404 and access_logged(log, "GET /nothing-here.mp3?log=missing HTTP/1.1") == ("404", str(len(body)))


def test_traversal_listing_and_the_state_database_are_refused(server):
    base, folder, _, port = server
    assert (folder / ".state").is_dir()  # the state database really is inside the served folder
    assert any((folder / ".state").glob("*.db")) or any((folder / ".state").glob("*.sqlite*"))
    for target in ("/../podcast.toml", "/%2e%2e/podcast.toml", "/episodes/..%2f..%2fpodcast.toml",
                   "/.state/podcast.db", "/%2estate/podcast.db", "/episodes/", "/episodes",
                   "/..%5cpodcast.toml", "/nothing-here.mp3"):
        assert raw(port, target) in (400, 403, 404), target
    for name in (p.name for p in (folder / ".state").iterdir()):
        assert fetch(f"{base}/.state/{name}")[0] == 404
    assert fetch(f"{base}/feed.xml", method="POST")[0] == 405


# ---------------------------------------------------------------------------------------------
# /ratings: the show page's 👍/👎


def rate(port: int, body: bytes | Iterator[bytes] = b"", method: str = "POST", **headers: str) -> tuple[int, dict, bytes]:
    """A request to /ratings as the show page sends one (same origin, JSON) unless ``headers``
    say otherwise (a header given as "" is left out)."""
    sent = {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}
    sent |= {name.replace("_", "-"): value for name, value in headers.items()}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, "/ratings", body=body, headers={k: v for k, v in sent.items() if v},
                           encode_chunked=not isinstance(body, bytes))
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def votes(port: int) -> dict[str, str]:
    status, headers, body = fetch(f"http://127.0.0.1:{port}/ratings")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert headers["cache-control"] == "no-store"
    return json.loads(body)["votes"]


def stored(folder) -> list[tuple[str, str]]:
    with open_store(folder / ".state") as store:
        return [(r.paper.id, r.kind) for r in store.references()]


def logged(log, line: str) -> bool:
    deadline = time.monotonic() + 10
    while line not in log.read_text(encoding="utf-8", errors="replace"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_ratings_are_read_and_taken_as_json_and_stored(server):
    base, folder, episode, port = server
    paper = episode.papers[0].id
    assert votes(port) == {}
    status, headers, body = rate(port, json.dumps({"id": paper, "vote": "down"}).encode())
    assert status == 200 and json.loads(body) == {"id": paper, "vote": "down"}
    assert headers["cache-control"] == "no-store" and headers["content-type"].startswith("application/json")
    assert votes(port) == {paper: "down"} and stored(folder) == [(paper, RATED_DOWN)]
    assert logged(folder.parent / "serve.log", f"Rated down {paper} from the show page.")

    # any form of the id, no Origin or Sec-Fetch-Site (not a browser): up, the latest wins
    status, _, body = rate(port, json.dumps({"id": f"arXiv:{paper}v2", "vote": "up"}).encode(), Origin="",
                           Sec_Fetch_Site="")
    assert status == 200 and json.loads(body) == {"id": paper, "vote": "up"}
    assert votes(port) == {paper: "up"} and stored(folder) == [(paper, RATED_UP)]

    status, _, body = rate(port, json.dumps({"id": paper, "vote": "clear"}).encode())
    assert status == 200 and json.loads(body) == {"id": paper, "vote": None}
    assert votes(port) == {} and stored(folder) == []
    assert logged(folder.parent / "serve.log", f"Cleared the rating of {paper} from the show page.")
    assert fetch(f"{base}/ratings", method="HEAD")[:1] == (200,)


BAD_RATINGS = {
    # label: (body, extra headers, status, what the answer says)
    "not JSON": (b"{nope", {}, 400, "not JSON"),
    "not UTF-8": (b'{"id": "\xff", "vote": "up"}', {}, 400, "not JSON"),
    "a list": (b'["2409.17581", "up"]', {}, 400, '"vote"'),
    "no id": (b'{"vote": "up"}', {}, 400, "no paper id"),
    "an empty id": (b'{"id": " ", "vote": "up"}', {}, 400, "no paper id"),
    "a number for an id": (b'{"id": 2409.17581, "vote": "up"}', {}, 400, "no paper id"),
    "an id with a line break": (b'{"id": "2409.17581\\nX-A: b", "vote": "up"}', {}, 400, "no paper id"),
    "a 300-character id": (json.dumps({"id": "a" * 300, "vote": "up"}).encode(), {}, 400, "no paper id"),
    "a wrong vote": (b'{"id": "PAPER", "vote": "sideways"}', {}, 400, "up, down or clear"),
    "a vote as a number": (b'{"id": "PAPER", "vote": 1}', {}, 400, "up, down or clear"),
    "no vote": (b'{"id": "PAPER"}', {}, 400, "up, down or clear"),
    "an unknown paper": (b'{"id": "2409.99999", "vote": "up"}', {}, 404, "no such paper"),
    "a paper of nothing": (b'{"id": "web:ffffffffffff", "vote": "down"}', {}, 404, "no such paper"),
    "another site's Origin": (b'{"id": "PAPER", "vote": "down"}', {"Origin": "http://evil.example"}, 403, "own page"),
    "another port's Origin": (b'{"id": "PAPER", "vote": "down"}', {"Origin": "http://127.0.0.1:1"}, 403, "own page"),
    "a null Origin": (b'{"id": "PAPER", "vote": "down"}', {"Origin": "null"}, 403, "own page"),
    "cross-site": (b'{"id": "PAPER", "vote": "down"}', {"Sec_Fetch_Site": "cross-site"}, 403, "own page"),
    "same-site, other origin": (b'{"id": "PAPER", "vote": "down"}', {"Sec_Fetch_Site": "same-site"}, 403, "own page"),
    "a plain form": (b"id=PAPER&vote=down", {"Content_Type": "application/x-www-form-urlencoded"}, 415, "JSON"),
    "a text/plain form": (b'{"id": "PAPER", "vote": "down"}', {"Content_Type": "text/plain"}, 415, "JSON"),
    "no Content-Type": (b'{"id": "PAPER", "vote": "down"}', {"Content_Type": ""}, 415, "JSON"),
    "3 KB": (json.dumps({"id": "PAPER", "vote": "down", "pad": "x" * 3000}).encode(), {}, 413, "2048 bytes"),
}


@pytest.mark.parametrize("label", BAD_RATINGS)
def test_a_bad_rating_gets_a_short_reason_and_changes_nothing(server, label):
    _, folder, episode, port = server
    body, headers, expected, reason = BAD_RATINGS[label]
    before = stored(folder)
    status, answer, text = rate(port, body.replace(b"PAPER", episode.papers[0].id.encode()), **headers)
    assert status == expected, (label, text)
    assert reason in json.loads(text)["error"] and answer["cache-control"] == "no-store"
    assert stored(folder) == before and votes(port) == {}


def test_a_body_sent_in_chunks_is_capped_too_and_only_get_head_and_post_are_allowed(server):
    _, folder, episode, port = server
    chunks = iter([b'{"id": "' + episode.papers[0].id.encode() + b'", "vote": "down", "pad": "', b"x" * 1500,
                   b"x" * 1500, b'"}'])
    assert rate(port, chunks, Transfer_Encoding="chunked")[0] == 413
    small = iter([b'{"id": "' + episode.papers[0].id.encode() + b'", ', b'"vote": "clear"}'])
    assert rate(port, small, Transfer_Encoding="chunked")[0] == 200
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        status, headers, _ = rate(port, b"{}", method=method)
        assert status == 405 and set(headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}, method
    assert stored(folder) == []


def test_the_ratings_leave_the_files_as_they_were(server):
    base, folder, episode, _ = server
    status, headers, page = fetch(f"{base}/")
    assert status == 200 and page == (folder / "index.html").read_bytes() and headers["cache-control"] == "no-cache"
    assert b'class="rate" hidden data-ratings="ratings"' in page  # the buttons are there, hidden until asked
    assert fetch(f"{base}/ratings/")[0] == 404 and fetch(f"{base}/feed.xml", method="POST")[0] == 405
    status, headers, _ = fetch(f"{base}/{episode.audio_name}", headers={"Range": "bytes=0-9"})
    assert status == 206 and "immutable" in headers["cache-control"]
