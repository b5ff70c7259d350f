"""The example consumer's use case: for a ``Generation Completed`` event, read the video's
duration from its MP4 header (ranged reads, never the whole file) and record duration and
size on the object as tags, where anyone with the bucket can see them."""

from __future__ import annotations

from typing import Any

from videohook.errors import VideoUnavailable
from videohook.mp4 import duration_seconds
from videohook.observability import logger
from videohook.ports import StoredObjects


class VideoProbe:
    def __init__(self, *, objects: StoredObjects) -> None:
        self._objects = objects

    def record(self, detail: dict[str, Any]) -> dict[str, Any]:
        video = detail["video"]
        bucket, key, size = video["bucket"], video["key"], int(video["size"])
        try:
            duration = duration_seconds(
                lambda offset, length: self._objects.read_range(bucket, key, offset, length), size
            )
        except VideoUnavailable:
            # Deleted since (a lifecycle rule, an operator): nothing left to describe.
            logger.warning("The video is gone", extra={"job_id": detail["id"], "key": key})
            return {"job_id": detail["id"], "key": key, "status": "missing"}
        tags = {"duration-seconds": f"{duration:.3f}", "size-bytes": str(size)}
        self._objects.tag(bucket, key, tags)
        logger.info("Video probed", extra={"job_id": detail["id"], **tags})
        return {
            "job_id": detail["id"],
            "key": key,
            "status": "recorded",
            "duration_seconds": duration,
            "size": size,
        }
