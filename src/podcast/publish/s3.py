"""The ``s3://bucket/prefix`` target: S3-compatible object storage (AWS S3, MinIO, Cloudflare
R2, Aliyun OSS, ...) through boto3, so a CDN or the bucket's own website serves a large
audience.

Credentials come from the environment the way every AWS tool reads them ($AWS_ACCESS_KEY_ID
and $AWS_SECRET_ACCESS_KEY, or a profile); ``[publish] endpoint_url`` names a store other than
AWS. Every object gets its content type and cache header: episode files are immutable, the
feed and the page are revalidated. A single PUT replaces an object atomically: readers see the
old feed or the new one, never a mix.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PublishError
from ..schema import check, http_url
from .target import TARGETS, PublishConfig, PublishTarget, cache_control, media_type

log = logging.getLogger(__name__)

DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes


def _split(target: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ("bucket", "some/prefix/")."""
    bucket, _, prefix = target.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    return bucket, prefix + "/" if prefix else ""


@dataclass(frozen=True)
class S3Options:
    #: an S3-compatible endpoint (MinIO, R2, OSS...); unset: AWS itself
    endpoint_url: str | None = field(default=None, metadata=check(http_url))
    region: str = ""  # unset: $AWS_DEFAULT_REGION, else us-east-1


@TARGETS.register("s3")
class S3Target(PublishTarget):
    Options = S3Options
    example = "s3://bucket/prefix"

    @classmethod
    def check(cls, target: str) -> None:
        bucket, _ = _split(target)
        if (not target.startswith("s3://")
                or not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket)):
            raise ValueError('must name a bucket, as in "s3://bucket" or "s3://bucket/prefix"')

    def __init__(self, config: PublishConfig) -> None:
        super().__init__(config)
        self.bucket, self.prefix = _split(config.target)
        try:
            import boto3
            from botocore.config import Config as BotoConfig
        except ImportError:
            raise PublishError(f"{config.target}: publishing to S3 needs boto3: "
                               "pip install 'podcast[s3]'") from None
        session = boto3.session.Session()
        self._client = session.client(
            "s3",
            endpoint_url=self.options.endpoint_url,
            region_name=self.options.region or session.region_name or "us-east-1",
            config=BotoConfig(
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=20, read_timeout=60,
                # other stores (MinIO, a proxy on an IP address) rarely resolve bucket.host names
                s3={"addressing_style": "path" if self.options.endpoint_url else "auto"},
            ),
        )

    def _key(self, name: str) -> str:
        return self.prefix + name

    def location(self, name: str) -> str:
        return f"s3://{self.bucket}/{self._key(name)}"

    @contextmanager
    def _errors(self, name: str, doing: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            yield
        except NoCredentialsError:
            raise PublishError(f"{self.location(name)}: no S3 credentials: set $AWS_ACCESS_KEY_ID "
                               "and $AWS_SECRET_ACCESS_KEY (or $AWS_PROFILE)") from None
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise PublishError(f"{self.location(name)}: cannot {doing}: {error.get('Code', '?')} "
                               f"{error.get('Message', '')}".rstrip()) from None
        except BotoCoreError as exc:
            raise PublishError(f"{self.location(name)}: cannot {doing}: {exc}") from None

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        with self._errors(name, "look up"):
            try:
                self._client.head_object(Bucket=self.bucket, Key=self._key(name))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
        return True

    def add(self, name: str, source: Path | bytes) -> None:
        if self.exists(name):
            raise PublishError(f"{self.location(name)}: already published; "
                               "published files are never rewritten")
        # If-None-Match makes the store itself refuse an overwrite should two runs race.
        if isinstance(source, bytes):
            self._put(name, source, IfNoneMatch="*")
            return
        try:
            with source.open("rb") as body:
                self._put(name, body, IfNoneMatch="*")
        except OSError as exc:
            raise PublishError(f"{source}: cannot read: {exc.strerror}") from exc

    def replace(self, name: str, data: bytes) -> None:
        self._put(name, data)

    def _put(self, name: str, body: Any, **extra: str) -> None:
        with self._errors(name, "upload"):
            self._client.put_object(Bucket=self.bucket, Key=self._key(name), Body=body,
                                    ContentType=media_type(name), CacheControl=cache_control(name),
                                    **extra)
        log.debug("Uploaded %s.", self.location(name))

    def remove(self, names: Sequence[str]) -> None:
        for start in range(0, len(names), DELETE_BATCH):
            batch = names[start:start + DELETE_BATCH]
            with self._errors(batch[0], "remove"):
                answer = self._client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self._key(n)} for n in batch], "Quiet": True})
            for error in answer.get("Errors", []):
                raise PublishError(f"s3://{self.bucket}/{error.get('Key')}: cannot remove: "
                                   f"{error.get('Code')} {error.get('Message', '')}".rstrip())
