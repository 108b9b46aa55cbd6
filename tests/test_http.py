"""The HTTP client sources share: retries, Retry-After, spacing, size cap, cache; arXiv's hosts
as one; a source the gathering went on without asking no more."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest

from podcast.http import FetchError, HttpClient, HttpPolicy, ResponseCache, give_up_when, host_slot

from .webserver import Reply, WebServer

POLICY = HttpPolicy(timeout=2, retries=2, backoff=2.0, max_wait=60)


def test_retry_after_seconds_is_honoured(web, clock):
    web.routes["/x"] = [Reply(503, b"busy", {"Retry-After": "7"}), Reply(200, b"ok")]
    assert HttpClient(POLICY, clock=clock).get(web.url("/x")) == b"ok"
    assert clock.sleeps == [7.0]


@pytest.mark.dated
def test_retry_after_as_a_date(web, clock):
    later = format_datetime(datetime.fromtimestamp(clock.time(), UTC) + timedelta(seconds=30), usegmt=True)
    web.routes["/x"] = [Reply(429, b"", {"Retry-After": later}), Reply(200, b"ok")]
    HttpClient(POLICY, clock=clock).get(web.url("/x"))
    assert clock.sleeps == [30.0]  # from the client's clock, not the machine's


def test_backoff_doubles_and_gives_up(web, clock):
    web.routes["/x"] = Reply(502, b"bad gateway")
    with pytest.raises(FetchError, match=r"/x: HTTP 502 \(gave up after 3 attempts\)") as caught:
        HttpClient(POLICY, clock=clock).get(web.url("/x"))
    assert clock.sleeps == [2.0, 4.0]
    assert len(web.requests) == 3 and caught.value.status == 502


def test_too_long_a_wait_is_not_waited(web, clock):
    web.routes["/x"] = Reply(429, b"", {"Retry-After": "3600"})
    with pytest.raises(FetchError, match="asked to wait 3600 s"):
        HttpClient(POLICY, clock=clock).get(web.url("/x"))
    assert clock.sleeps == [] and len(web.requests) == 1


def test_client_errors_are_not_retried(web, clock):
    with pytest.raises(FetchError, match=r"/missing: HTTP 404 Not Found$"):
        HttpClient(POLICY, clock=clock).get(web.url("/missing"))
    assert len(web.requests) == 1


def test_headers_go_with_the_request_but_not_into_the_url(web, clock):
    web.routes["/x"] = Reply(200, b"ok")
    client = HttpClient(POLICY, clock=clock)
    assert client.get(web.url("/x"), {"a": 1}, headers={"Zotero-API-Key": "s3cret"}) == b"ok"
    request = web.requests[0]
    assert request.headers["zotero-api-key"] == "s3cret" and request.query == {"a": "1"}
    assert request.headers["user-agent"].startswith("podcast/")


def test_timeout_is_retried(web, clock):
    web.routes["/slow"] = [Reply(200, b"late", delay=1.0), Reply(200, b"ok")]
    client = HttpClient(HttpPolicy(timeout=0.3, retries=1), clock=clock)
    assert client.get(web.url("/slow")) == b"ok"
    assert len(web.requests) == 2


def test_nobody_listening_fails_at_once(clock):
    client = HttpClient(POLICY, clock=clock)
    with pytest.raises(FetchError, match="cannot connect") as caught:
        client.get("http://127.0.0.1:9/")  # the discard port: nothing listens there
    assert clock.sleeps == [] and caught.value.unreachable


def test_size_cap(web, clock):
    web.routes["/big"] = Reply(200, b"x" * 5000)
    with pytest.raises(FetchError, match="response larger than"):
        HttpClient(POLICY, clock=clock).get(web.url("/big"), max_bytes=4096)


def test_requests_to_one_host_are_spaced(web, clock):
    web.routes["/x"] = Reply(200, b"ok")
    times = []
    web.on_request = lambda request: times.append(clock.now)
    client = HttpClient(POLICY, clock=clock)
    for page in range(3):
        client.get(web.url("/x"), {"page": page}, min_interval=3.0)
    assert [b - a for a, b in itertools.pairwise(times)] == [3.0, 3.0]
    assert web.requests[0].headers["user-agent"].startswith("podcast/")


@pytest.mark.dated
def test_a_rerun_the_same_day_reads_the_cache(web, clock, tmp_path):
    web.routes["/x"] = Reply(200, b"first answer")
    day = date(2026, 11, 21)
    first = HttpClient(POLICY, ResponseCache(tmp_path, day), clock)
    assert first.get(web.url("/x"), {"q": 1}) == b"first answer"
    web.routes["/x"] = Reply(200, b"second answer")
    rerun = HttpClient(POLICY, ResponseCache(tmp_path, day), clock)
    assert rerun.get(web.url("/x"), {"q": 1}) == b"first answer"
    assert rerun.get(web.url("/x"), {"q": 1}, fresh=True) == b"second answer"
    tomorrow = HttpClient(POLICY, ResponseCache(tmp_path, day + timedelta(days=1)), clock)
    assert tomorrow.get(web.url("/x"), {"q": 1}) == b"second answer"
    assert len(web.requests) == 3
    errors = HttpClient(POLICY, ResponseCache(tmp_path, day), clock)
    web.routes["/y"] = Reply(500, b"")
    with pytest.raises(FetchError):
        errors.get(web.url("/y"))
    assert not errors.cache.get(web.url("/y"))  # failures are never cached


@pytest.mark.dated
def test_old_cache_days_are_removed(tmp_path):
    for old in ("2026-11-01", "2026-11-20", "notes"):
        (tmp_path / old).mkdir()
    ResponseCache(tmp_path, date(2026, 11, 21), keep_days=7)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-11-20", "notes"]


@pytest.mark.dated
def test_a_missing_document_is_remembered_for_the_day_only_when_asked(web, clock, tmp_path):
    day = date(2026, 11, 21)
    for _ in range(2):  # the second client reads the first one's cache
        client = HttpClient(POLICY, ResponseCache(tmp_path, day), clock)
        for path in ("/gone", "/missing"):
            with pytest.raises(FetchError) as caught:
                client.get(web.url(path), remember_missing=path == "/gone")
            assert caught.value.status == 404 and not caught.value.unreachable
    assert web.paths() == ["/gone", "/missing", "/missing"]
    tomorrow = HttpClient(POLICY, ResponseCache(tmp_path, day + timedelta(days=1)), clock)
    with pytest.raises(FetchError):
        tomorrow.get(web.url("/gone"), remember_missing=True)
    assert web.paths()[-1] == "/gone"


# -- arXiv's hosts: one slot ----------------------------------------------------------------


def test_every_arxiv_host_is_one_slot_and_other_hosts_their_own():
    arxiv = {"https://export.arxiv.org/api/query?x=1", "https://rss.arxiv.org/rss/cs.CL",
             "https://arxiv.org/html/2611.00001", "http://www.arxiv.org/abs/1", "https://ARXIV.org:443/pdf/1",
             "https://export.arxiv.org./api/query"}
    assert {host_slot(url) for url in arxiv} == {"arxiv.org"}
    assert host_slot("https://huggingface.co/api/daily_papers") == "huggingface.co"
    assert host_slot("http://127.0.0.1:8080/x") == "127.0.0.1:8080"
    assert host_slot("http://127.0.0.1:8081/x") == "127.0.0.1:8081"
    assert host_slot("https://notarxiv.org/feed") == "notarxiv.org"
    assert host_slot("https://arxiv.org.example.com/feed") == "arxiv.org.example.com"
    client = HttpClient()
    assert client._host("https://export.arxiv.org/api/query") is client._host("https://rss.arxiv.org/rss/")
    assert client._host("https://arxiv.org/html/1") is not client._host("https://huggingface.co/")


def as_arxiv(*servers: WebServer):
    """The client's slot function, with each local server standing for an arXiv host."""
    names = dict(zip((s.url("") for s in servers), ("http://export.arxiv.org", "http://rss.arxiv.org"), strict=False))

    def slot(url: str) -> str:
        for local, arxiv in names.items():
            url = url.replace(local, arxiv)
        return host_slot(url)

    return slot


def test_requests_to_two_arxiv_hosts_are_spaced_as_one(clock):
    times: list[float] = []
    with WebServer() as api, WebServer() as listings:
        for server in (api, listings):
            server.routes["/x"] = Reply(200, b"ok")
            server.on_request = lambda request: times.append(clock.now)
        client = HttpClient(HttpPolicy(timeout=5), clock=clock, slot=as_arxiv(api, listings))
        for url in (api.url("/x"), listings.url("/x"), api.url("/x?again"), listings.url("/x?again")):
            client.get(url, min_interval=3.0)
    assert [b - a for a, b in itertools.pairwise(times)] == [3.0, 3.0, 3.0]
    assert clock.sleeps == [3.0, 3.0, 3.0]

    other = HttpClient(HttpPolicy(timeout=5), clock=clock)  # the same two servers as two hosts
    times.clear()
    clock.sleeps.clear()
    with WebServer() as a, WebServer() as b:
        for server in (a, b):
            server.routes["/x"] = Reply(200, b"ok")
        other.get(a.url("/x"), min_interval=3.0)
        other.get(b.url("/x"), min_interval=3.0)
    assert clock.sleeps == []


def most_at_once(shared: bool) -> int:
    """How many requests two threads had in flight at once to two servers, as two arXiv hosts
    (``shared``) or as two hosts of their own; each request waits (up to a while) for the other."""
    in_flight, most = [0], [0]
    lock, arrived = threading.Lock(), threading.Event()

    def answer(request) -> Reply:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
            if in_flight[0] == 2:
                arrived.set()
        arrived.wait(0.5 if shared else 10)  # ends at once when both are in flight
        with lock:
            in_flight[0] -= 1
        return Reply(200, b"ok")

    with WebServer() as api, WebServer() as listings:
        api.routes["/x"] = listings.routes["/x"] = answer
        slot = as_arxiv(api, listings) if shared else host_slot
        client = HttpClient(HttpPolicy(timeout=20), slot=slot)
        threads = [threading.Thread(target=client.get, args=(server.url("/x"),)) for server in (api, listings)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(api.requests) == len(listings.requests) == 1
    return most[0]


def test_one_connection_at_a_time_across_arxiv_hosts():
    assert most_at_once(shared=True) == 1
    assert most_at_once(shared=False) == 2  # the check can see two at once


# -- an abandoned source stops asking -------------------------------------------------------


def test_requests_given_up_on_make_no_further_attempt(web, clock):
    web.routes["/x"] = Reply(503, b"busy")
    stop = threading.Event()
    client = HttpClient(HttpPolicy(timeout=5, retries=3), clock=clock)
    clock.sleep = lambda seconds: stop.set()  # the gathering goes on without it during the back-off
    with give_up_when(stop), pytest.raises(FetchError, match="not asked: the gathering went on without it"):
        client.get(web.url("/x"))
    assert len(web.requests) == 1  # not the 4 attempts it had
    with give_up_when(stop), pytest.raises(FetchError):
        client.get(web.url("/x?other"))
    assert len(web.requests) == 1
    web.routes["/y"] = Reply(200, b"ok")
    assert client.get(web.url("/y")) == b"ok"  # outside the block, and in other threads, as ever
