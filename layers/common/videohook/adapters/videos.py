"""The S3 adapter: streams finished videos from the provider into the videos bucket.

The copy never holds the whole file: the HTTP body is read in chunks and handed to boto3's
managed transfer, which uploads multipart with a fixed number of part buffers. Memory is
about ``multipart_chunksize x max_in_memory_upload_chunks`` whatever the video's size.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from videohook.adapters.aws_errors import NOT_FOUND_CODES, aws_errors, error_code
from videohook.errors import StorageError, VideoCopyFailed, VideoUnavailable
from videohook.models.jobs import StoredVideo

PART_SIZE = 8 * 1024 * 1024
TRANSFER_CONFIG = TransferConfig(
    multipart_threshold=PART_SIZE,
    multipart_chunksize=PART_SIZE,
    max_concurrency=2,
    use_threads=True,
)
# For a stream, s3transfer reads parts ahead into memory: 10 by default (80 MiB here). Two in
# flight plus one being read is enough to keep the upload busy (benchmarks/copy_memory.py).
TRANSFER_CONFIG.max_in_memory_upload_chunks = 3
# Answers that mean the provider's URL is gone for good (expired links answer these).
GONE_STATUSES = frozenset({403, 404, 410})
# S3 keeps at most 2 KB of user metadata (keys and values, UTF-8 bytes) and sends it as HTTP
# headers, so only header-safe names and printable ASCII values survive the round trip.
MAX_USER_METADATA_BYTES = 2048
METADATA_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")
# The service's own keys, which ``find_copy`` and consumers rely on: never dropped.
SERVICE_METADATA = ("job-id", "upstream-id", "model")
# A CDN may send a download on once or twice; each hop is checked like the first URL.
MAX_REDIRECTS = 3


class _CountingReader:
    """A file-like view of an HTTP body that hashes and counts what passes through, and
    refuses to end early: a short body must fail the upload, never complete it."""

    def __init__(self, raw: Any, expected_length: int | None) -> None:
        self._raw = raw
        self._expected = expected_length
        self.size = 0
        self.sha256 = hashlib.sha256()

    def read(self, amount: int = -1) -> bytes:
        try:
            chunk = self._raw.read(amount if amount and amount > 0 else PART_SIZE)
        except Exception as exc:  # urllib3 raises several types for a cut connection
            raise VideoCopyFailed(f"The video download broke off after {self.size} bytes") from exc
        if chunk:
            self.size += len(chunk)
            self.sha256.update(chunk)
        elif self._expected is not None and self.size != self._expected:
            raise VideoCopyFailed(f"The video download ended after {self.size} of {self._expected} bytes")
        return chunk


class S3VideoStore:
    def __init__(
        self,
        *,
        s3_client: Any,
        bucket: str,
        http: requests.Session,
        download_timeout_seconds: float,
        transfer_config: TransferConfig = TRANSFER_CONFIG,
        allow_plain_http: bool = False,
    ) -> None:
        # Plain http only for the local stack's simulator: elsewhere a video (what the client
        # gets) must come over TLS, from the provider's URL or wherever it redirects.
        self._schemes = ("https", "http") if allow_plain_http else ("https",)
        self._s3 = s3_client
        self._bucket = bucket
        self._http = http
        self._timeout = download_timeout_seconds
        self._transfer_config = transfer_config

    def _download(self, url: str) -> requests.Response:
        """The video's answer, following redirects only to URLs that pass the same check."""
        for _ in range(MAX_REDIRECTS + 1):
            if urlsplit(url).scheme not in self._schemes:
                raise VideoCopyFailed(f"The video URL must use {' or '.join(self._schemes)}")
            try:
                response = self._http.get(url, stream=True, timeout=self._timeout, allow_redirects=False)
            except requests.RequestException as exc:
                raise VideoCopyFailed(f"Could not download the video: {type(exc).__name__}") from exc
            if not response.is_redirect:
                return response
            url = urljoin(url, response.headers["Location"])
            response.close()
        raise VideoCopyFailed(f"The video URL redirected more than {MAX_REDIRECTS} times")

    @staticmethod
    def key_for(job_id: str) -> str:
        return f"videos/{job_id}.mp4"

    @staticmethod
    def manifest_key_for(job_id: str) -> str:
        return f"videos/{job_id}.json"

    def put_manifest(self, job_id: str, document: dict[str, Any]) -> None:
        """The job view beside the video; written again unchanged by a repeated run."""
        with aws_errors("store the video's manifest"):
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self.manifest_key_for(job_id),
                Body=json.dumps(document, separators=(",", ":")).encode(),
                ContentType="application/json",
            )

    def copy_from_url(self, url: str, key: str, metadata: dict[str, str]) -> StoredVideo:
        with self._download(url) as response:
            if response.status_code in GONE_STATUSES:
                raise VideoUnavailable(
                    f"The provider's video URL answered {response.status_code} (expired or gone)"
                )
            if response.status_code != 200:
                raise VideoCopyFailed(f"The provider's video URL answered {response.status_code}")
            length = response.headers.get("Content-Length")
            content_type = response.headers.get("Content-Type", "video/mp4").split(";")[0]
            reader = _CountingReader(response.raw, int(length) if length else None)
            try:
                self._s3.upload_fileobj(
                    reader,
                    self._bucket,
                    key,
                    # S3 checks every part against its SHA-256 as it arrives.
                    ExtraArgs={
                        "ContentType": content_type,
                        "Metadata": fit_user_metadata(metadata),
                        "ChecksumAlgorithm": "SHA256",
                    },
                    Config=self._transfer_config,
                )
            except VideoCopyFailed:
                raise
            except Exception as exc:
                # s3transfer wraps errors raised by our reader; surface the real cause.
                cause = _find_cause(exc, VideoCopyFailed)
                if cause is not None:
                    raise cause from exc
                raise VideoCopyFailed(f"Could not store the video: {type(exc).__name__}") from exc
        return StoredVideo(
            bucket=self._bucket,
            key=key,
            size=reader.size,
            sha256=reader.sha256.hexdigest(),
            content_type=content_type,
        )

    def find_copy(self, key: str, upstream_id: str) -> StoredVideo | None:
        """A finished copy of this generation left by a run that died before recording it.
        Its checksum is recomputed by streaming it back, so the job's figures stay true."""
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND_CODES:
                return None
            raise StorageError("Could not look up an existing video copy") from exc
        if head.get("Metadata", {}).get("upstream-id") != upstream_id:
            return None
        digest, size = hashlib.sha256(), 0
        with aws_errors("read back an existing video copy"):
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
            for chunk in iter(lambda: body.read(PART_SIZE), b""):
                digest.update(chunk)
                size += len(chunk)
        return StoredVideo(
            bucket=self._bucket,
            key=key,
            size=size,
            sha256=digest.hexdigest(),
            content_type=head.get("ContentType", "video/mp4"),
        )

    def read_range(self, bucket: str, key: str, offset: int, length: int) -> bytes:
        try:
            answer = self._s3.get_object(
                Bucket=bucket, Key=key, Range=f"bytes={offset}-{offset + length - 1}"
            )
        except ClientError as exc:
            if error_code(exc) in NOT_FOUND_CODES:
                raise VideoUnavailable(f"No object {key!r}") from exc
            raise StorageError("Could not read the video") from exc
        with aws_errors("read the video"):
            return bytes(answer["Body"].read())

    def tag(self, bucket: str, key: str, tags: dict[str, str]) -> None:
        with aws_errors("tag the video"):
            self._s3.put_object_tagging(
                Bucket=bucket,
                Key=key,
                Tagging={"TagSet": [{"Key": name, "Value": value} for name, value in tags.items()]},
            )

    def presigned_url(self, video: StoredVideo, ttl_seconds: int) -> str:
        return self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": video.bucket, "Key": video.key},
            ExpiresIn=ttl_seconds,
        )


def fit_user_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """What S3 can keep of ``metadata``: the service's keys always; then, in order, each
    other entry whose name is header-safe (lowercased), whose value is printable ASCII, and
    that still fits in the 2 KB. The manifest beside the video keeps the client's metadata
    whole."""
    kept = {name: metadata[name] for name in SERVICE_METADATA if name in metadata}
    used = sum(len(name) + len(value) for name, value in kept.items())
    for raw_name, value in metadata.items():
        name = raw_name.lower()
        if name in kept or not METADATA_NAME.match(name) or not PRINTABLE_ASCII.match(value):
            continue
        if used + len(name) + len(value) > MAX_USER_METADATA_BYTES:
            continue
        kept[name] = value
        used += len(name) + len(value)
    return kept


def _find_cause(exc: BaseException, wanted: type[Exception]) -> Exception | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, wanted):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
