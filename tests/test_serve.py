"""`podcast serve` started as a user starts it, spoken to over real HTTP (and raw sockets for
requests no well-behaved client would send)."""

from __future__ import annotations

import io
import socket

import feedparser
import podcastparser
import pytest

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
