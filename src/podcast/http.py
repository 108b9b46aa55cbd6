"""Polite HTTP for paper sources: timeouts, retries with backoff that honour Retry-After, a
minimum interval between requests to one host (arXiv asks for 3 seconds), one connection per
host at a time (all of arXiv's hosts counting as one), a size cap, and a per-day cache of raw
responses so a rerun does not hit the network again. The clock is injected, so tests check the
spacing without waiting for it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.client import HTTPException, IncompleteRead
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlencode, urlsplit

from . import __version__
from .errors import SourceError

log = logging.getLogger(__name__)

USER_AGENT = f"podcast/{__version__} (daily AI paper podcast; polite: cached, 1 request at a time)"
_RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class FetchError(SourceError):
    """A request failed for good (after any retries)."""

    def __init__(self, url: str, message: str, status: int | None = None,
                 body: bytes = b"", unreachable: bool = False) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message
        self.status = status
        self.body = body
        #: the host could not be reached or never answered (not: it answered with an error)
        self.unreachable = unreachable


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...
    def time(self) -> float: ...  # the wall clock, for a Retry-After date


class SystemClock:
    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)
    time = staticmethod(time.time)


@dataclass(frozen=True)
class HttpPolicy:
    timeout: float = 20.0  # seconds per attempt
    retries: int = 3  # further attempts after a timeout, a dropped connection, 429 or 5xx
    backoff: float = 2.0  # first wait between attempts, doubled each time
    max_wait: float = 60.0  # the longest Retry-After honoured; longer means give up
    max_bytes: int = 20_000_000  # the largest body read (and, gzipped, unpacked)
    deadline: float = 300.0  # seconds one attempt may take in all, however the server trickles


class ResponseCache:
    """Raw response bodies of one day, by URL, kept for ``keep_days`` days."""

    def __init__(self, folder: Path, day: date, keep_days: int = 7) -> None:
        self.folder = folder / day.isoformat()
        self._prune(folder, day - timedelta(days=keep_days))

    def _path(self, url: str) -> Path:
        return self.folder / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".body")

    def get(self, url: str) -> bytes | None:
        try:
            return self._path(url).read_bytes()
        except OSError:
            return None

    def missing(self, url: str) -> int | None:
        """The status (404, 410) ``url`` was answered with today, when it was found missing."""
        try:
            return int(self._path(url).with_suffix(".missing").read_text("ascii"))
        except (OSError, ValueError):
            return None

    def put_missing(self, url: str, status: int) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._path(url).with_suffix(".missing").write_text(str(status), "ascii")
        except OSError as exc:
            log.warning("Could not cache the answer of %s: %s", url, exc)

    def put(self, url: str, body: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self._path(url)
            temporary = path.with_suffix(".part")
            temporary.write_bytes(body)
            temporary.replace(path)
            path.with_suffix(".json").write_text(
                json.dumps({"url": url, "fetched": datetime.now(UTC).isoformat()}), "utf-8"
            )
        except OSError as exc:  # a cache that cannot be written only costs a refetch
            log.warning("Could not cache the response of %s: %s", url, exc)

    @staticmethod
    def _prune(folder: Path, before: date) -> None:
        if not folder.is_dir():
            return
        for day_folder in folder.iterdir():
            try:
                old = date.fromisoformat(day_folder.name) < before
            except ValueError:
                continue
            if old:
                shutil.rmtree(day_folder, ignore_errors=True)


def host_slot(url: str) -> str:
    """The name under which requests to ``url`` are spaced and made one at a time: every arXiv
    host (export.arxiv.org, rss.arxiv.org, arxiv.org, www.arxiv.org...) is the one slot
    "arxiv.org", since arXiv's one request every 3 seconds and one connection at a time are for
    the whole site; any other host is its own, by its host and port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if host == "arxiv.org" or host.endswith(".arxiv.org"):
        return "arxiv.org"
    return parts.netloc.lower()


_stopping = threading.local()


@contextmanager
def give_up_when(event: threading.Event) -> Iterator[None]:
    """Requests this thread makes inside the block give up (FetchError) before their next
    attempt once ``event`` is set: a source the gathering went on without stops retrying and
    lets others have its host (an attempt already waiting for its answer still runs out)."""
    outer = getattr(_stopping, "event", None)
    _stopping.event = event
    try:
        yield
    finally:
        _stopping.event = outer


class HttpClient:
    def __init__(
        self,
        policy: HttpPolicy | None = None,
        cache: ResponseCache | None = None,
        clock: Clock | None = None,
        slot: Callable[[str], str] = host_slot,
    ) -> None:
        self.policy = policy or HttpPolicy()
        self.cache = cache
        self.clock = clock or SystemClock()
        self.slot = slot  # which requests share one connection and one spacing
        self._hosts: dict[str, tuple[threading.Lock, list[float]]] = {}
        self._hosts_lock = threading.Lock()
        self.requests = 0  # real network requests made, for logs and tests

    def get(
        self,
        url: str,
        params: dict[str, str | int] | None = None,
        *,
        min_interval: float = 0.0,
        fresh: bool = False,
        max_bytes: int | None = None,
        remember_missing: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """The body of a 2xx answer to GET ``url``; raises FetchError.

        ``min_interval`` spaces requests to the same host; ``fresh`` skips the cache (the
        answer is still cached). ``remember_missing`` caches a 404 or 410 too, for a document
        that may well not exist (a paper without an HTML version): a rerun does not ask again.
        Other failures are never cached. ``headers`` go with the request (an API key: never in
        the URL, which error messages and the cache's index show); the cache knows answers by
        URL alone.
        """
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        if self.cache and not fresh:
            cached = self.cache.get(url)
            if cached is not None:
                log.debug("Using the cached response of %s.", url)
                return cached
            missing = self.cache.missing(url) if remember_missing else None
            if missing:
                raise FetchError(url, f"HTTP {missing} (cached today)", missing)
        lock, last = self._host(url)
        try:
            with lock:  # one connection per host at a time
                body = self._fetch(url, last, min_interval, max_bytes or self.policy.max_bytes,
                                   headers or {})
        except FetchError as exc:
            if remember_missing and self.cache and exc.status in (404, 410):
                self.cache.put_missing(url, exc.status)
            raise
        if self.cache:
            self.cache.put(url, body)
        return body

    def _host(self, url: str) -> tuple[threading.Lock, list[float]]:
        """The lock held during a request to ``url``'s slot and the time of its last request."""
        slot = self.slot(url)
        with self._hosts_lock:
            return self._hosts.setdefault(slot, (threading.Lock(), [float("-inf")]))

    def _fetch(self, url: str, last: list[float], min_interval: float, max_bytes: int,
               headers: Mapping[str, str]) -> bytes:
        attempt = 0
        while True:
            _check_stopping(url)
            wait = last[0] + min_interval - self.clock.monotonic()
            if wait > 0:
                self.clock.sleep(wait)
                _check_stopping(url)
            last[0] = self.clock.monotonic()
            with self._hosts_lock:  # sources run in threads of their own
                self.requests += 1
            try:
                return self._request(url, max_bytes, headers)
            except _Retryable as exc:
                if attempt >= self.policy.retries:
                    tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                    raise FetchError(url, f"{exc.reason} (gave up after {tries})",
                                     exc.status, exc.body, exc.status is None) from None
                delay = (exc.retry_after if exc.retry_after is not None
                         else self.policy.backoff * 2**attempt)
                if delay > self.policy.max_wait:
                    raise FetchError(url, f"{exc.reason}; asked to wait {delay:.0f} s",
                                     exc.status) from None
                log.info("%s: %s; retrying in %.0f s.", url, exc.reason, delay)
                self.clock.sleep(delay)
                attempt += 1

    def _request(self, url: str, max_bytes: int, headers: Mapping[str, str]) -> bytes:
        request = urllib.request.Request(url, headers={**headers, "User-Agent": USER_AGENT,
                                                       "Accept-Encoding": "gzip"})
        try:
            with urllib.request.urlopen(request, timeout=self.policy.timeout) as response:
                body = self._read(response, url, max_bytes)
                if response.headers.get("Content-Encoding") == "gzip":
                    body = _gunzip(body, url, max_bytes)
                return body
        except urllib.error.HTTPError as exc:
            with exc:
                try:
                    body = exc.read(65536)
                except (OSError, HTTPException):  # an error page that stalls or breaks off
                    body = b""
            if exc.code in _RETRY_STATUSES:
                wait = _retry_after(exc.headers.get("Retry-After"), self.clock.time())
                raise _Retryable(f"HTTP {exc.code}", exc.code, body, wait) from None
            raise FetchError(url, f"HTTP {exc.code} {exc.reason}", exc.code, body) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (socket.gaierror, ConnectionRefusedError)):
                # No name resolution or nobody listening: retrying will not help.
                raise FetchError(url, "cannot connect: "
                                 f"{getattr(reason, 'strerror', None) or reason}",
                                 unreachable=True) from None
            raise _Retryable(f"connection failed: {reason}") from None
        except TimeoutError:
            raise _Retryable(f"no answer within {self.policy.timeout:g} s") from None
        except (ConnectionError, HTTPException, OSError) as exc:
            raise _Retryable(f"connection broke: {exc}") from None

    def _read(self, response: BinaryIO, url: str, max_bytes: int) -> bytes:
        """The body, piece by piece: at most ``max_bytes`` (a feed that never ends is cut off)
        and within the policy's deadline (a server sending a byte a second never times out)."""
        deadline = time.monotonic() + self.policy.deadline
        read = getattr(response, "read1", response.read)
        pieces, size = [], 0
        while piece := read(65536):
            pieces.append(piece)
            size += len(piece)
            if size > max_bytes:
                raise FetchError(url, f"response larger than {_size(max_bytes)}; stopped reading")
            if time.monotonic() > deadline:
                raise FetchError(url, f"still sending after {self.policy.deadline:g} s; gave up")
        missing = getattr(response, "length", None)  # read1, unlike read, does not notice a cut
        if missing:
            raise IncompleteRead(b"".join(pieces), missing)
        return b"".join(pieces)


def _check_stopping(url: str) -> None:
    event = getattr(_stopping, "event", None)
    if event is not None and event.is_set():
        raise FetchError(url, "not asked: the gathering went on without it")


def _gunzip(body: bytes, url: str, max_bytes: int) -> bytes:
    """A gzipped body unpacked, to at most ``max_bytes``: a few kilobytes can unpack to
    gigabytes."""
    out: list[bytes] = []
    size = 0
    while body:  # one gzip member after another, as gzip.decompress reads them
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = member.decompress(body, max_bytes + 1 - size)
        except zlib.error as exc:
            raise FetchError(url, f"bad gzip data: {exc}") from None
        size += len(data)
        if size > max_bytes:
            raise FetchError(url, f"response larger than {_size(max_bytes)} unpacked; "
                                  "stopped unpacking")
        if not member.eof:
            raise FetchError(url, "bad gzip data: it ends before the end of the stream")
        out.append(data)
        body = member.unused_data.lstrip(b"\0")  # gzip allows zero padding after a member
    return b"".join(out)


def _size(count: int) -> str:
    return f"{count / 1_000_000:g} MB" if count >= 100_000 else f"{count:,} bytes"


class _Retryable(Exception):
    def __init__(self, reason: str, status: int | None = None, body: bytes = b"",
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.body = body
        self.retry_after = retry_after


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date (from ``now``, a
    Unix time)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)
