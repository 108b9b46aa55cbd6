"""Publishing to S3-compatible object storage, against moto's S3 server on 127.0.0.1: the real
boto3 client over real HTTP, the feed then read back over HTTP as a podcast app would."""

from __future__ import annotations

import json
import threading
import urllib.request
from datetime import timedelta

import feedparser
import pytest

from podcast.config import load_config
from podcast.errors import PublishError
from podcast.pipeline import run_episode

from .conftest import FILE_SOURCE, OFFLINE_TTS, SATURDAY_MORNING

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")
werkzeug_serving = pytest.importorskip("werkzeug.serving")

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test-key-id", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_DEFAULT_REGION": "us-east-1"}


class S3Server:
    """moto's S3 in server mode, logging every request it answers."""

    def __init__(self) -> None:
        app = moto_server.DomainDispatcherApplication(moto_server.create_backend_app)
        self.requests: list[tuple[str, str]] = []

        def logged(environ, start_response):
            self.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
            return app(environ, start_response)

        self._server = werkzeug_serving.make_server("127.0.0.1", 0, logged, threaded=True,
                                                    request_handler=moto_server.MotoRequestHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def public_bucket(self, name: str) -> None:
        """A bucket anyone may read, as a podcast's bucket is (a policy, not per-object ACLs)."""
        client = self.client()
        client.create_bucket(Bucket=name)
        client.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]}))

    def client(self):
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="test-key-id", aws_secret_access_key="test-secret")

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


@pytest.fixture(scope="module")
def s3():
    server = S3Server()
    yield server
    server.stop()


def show(tmp_path, s3, bucket: str, extra: str = ""):
    (tmp_path / "podcast.toml").write_text(
        f'[show]\nmax_papers = 1\ntarget_minutes = 1\n[publish]\ntarget = "s3://{bucket}/daily"\n'
        f'endpoint_url = "{s3.url}"\nbase_url = "{s3.url}/{bucket}/daily/"\n{extra}{FILE_SOURCE}{OFFLINE_TTS}',
        encoding="utf-8")
    return load_config(tmp_path / "podcast.toml", tmp_path)


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


@pytest.mark.slow
def test_an_episode_published_to_s3_is_a_feed_a_podcast_app_can_read(tmp_path, s3, monkeypatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    s3.public_bucket("show")
    config = show(tmp_path, s3, "show")
    s3.requests.clear()
    result = run_episode(config, now=SATURDAY_MORNING)
    assert result.feed == "s3://show/daily/feed.xml" and result.audio == "s3://show/daily/episodes/2026-11-21.mp3"

    puts = [path.removeprefix("/show/daily/") for method, path in s3.requests if method == "PUT"]
    assert puts[-1] == "feed.xml" and puts[-2] == "index.html"  # the feed last: it never names a missing file
    assert {f"episodes/2026-11-21{s}" for s in (".mp3", ".txt", ".vtt", ".srt", ".transcript.html",
                                                ".chapters.json", ".html")} <= set(puts[:-2])

    status, headers, xml = get(f"{s3.url}/show/daily/feed.xml")
    assert headers["content-type"] == "application/rss+xml; charset=utf-8" and headers["cache-control"] == "no-cache"
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    (entry,) = parsed.entries
    (enclosure,) = entry.enclosures
    head = s3.client().head_object(Bucket="show", Key="daily/episodes/2026-11-21.mp3")
    assert head["ContentType"] == "audio/mpeg" and head["CacheControl"] == "public, max-age=31536000, immutable"
    assert int(enclosure.length) == head["ContentLength"] == result.episode.audio_bytes
    body = b""
    while len(body) < int(enclosure.length):  # the enclosure fetched the way players fetch it
        status, headers, chunk = get(enclosure.href, {"Range": f"bytes={len(body)}-{len(body) + 65535}"})
        assert status == 206 and headers["content-range"].startswith(f"bytes {len(body)}-")
        body += chunk
    original = s3.client().get_object(Bucket="show", Key="daily/episodes/2026-11-21.mp3")["Body"].read()
    assert body == original and body[:3] == b"ID3"
    cover = parsed.feed.image.href
    assert get(cover)[1]["content-type"] == "image/png"
    for transcript in ("vtt", "transcript.html"):
        assert get(f"{s3.url}/show/daily/episodes/2026-11-21.{transcript}")[0] == 200

    # a second take of the day is a new object; the first one's bytes are untouched
    rebuilt = run_episode(config, now=SATURDAY_MORNING, force=True)
    assert rebuilt.audio == "s3://show/daily/episodes/2026-11-21-r2.mp3"
    assert s3.client().get_object(Bucket="show", Key="daily/episodes/2026-11-21.mp3")["Body"].read() == original


@pytest.mark.slow
def test_s3_retention_removes_old_objects_after_the_feed(tmp_path, s3, monkeypatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    s3.public_bucket("kept")
    config = show(tmp_path, s3, "kept", "keep_episodes = 1\n")
    run_episode(config, now=SATURDAY_MORNING)
    s3.requests.clear()
    run_episode(config, now=SATURDAY_MORNING + timedelta(days=1))
    methods = [method for method, _ in s3.requests]
    assert methods.index("POST") > max(i for i, (m, p) in enumerate(s3.requests) if p.endswith("/feed.xml"))
    keys = {o["Key"] for o in s3.client().list_objects_v2(Bucket="kept")["Contents"]}
    assert not any("2026-11-21" in key for key in keys) and "daily/episodes/2026-11-22.mp3" in keys


def test_missing_credentials_or_bucket_is_one_clear_line(tmp_path, s3, monkeypatch):
    from podcast.publish import open_target

    for name in (*CREDENTIALS, "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    target = open_target(show(tmp_path, s3, "absent").publish)
    with pytest.raises(PublishError, match=r"^s3://absent/daily/feed\.xml: no S3 credentials: set \$AWS_ACCESS_KEY_ID"):
        target.replace("feed.xml", b"<rss/>")
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    target = open_target(show(tmp_path, s3, "absent").publish)
    with pytest.raises(PublishError, match=r"^s3://absent/daily/feed\.xml: cannot upload: NoSuchBucket"):
        target.replace("feed.xml", b"<rss/>")
    assert not target.exists("feed.xml")
