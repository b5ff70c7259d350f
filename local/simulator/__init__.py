"""A local simulator of the AI/ML API Runway video endpoints (the poll-only upstream).

It speaks the provider's contract (see docs "The upstream contract"):

- ``POST /v2/generate/video/runway/generation`` (bearer auth, JSON body validated like the
  provider's reference) answers ``{"id", "status": "queued"}`` with 201, 200, 201, ...
- ``GET /v2/generate/video/runway/generation?generation_id=<id>`` answers
  ``{"id", "status", "video", "error"}``; progression is driven by the number of retrieves
  (``polls_to_complete``) or, optionally, by wall time (``seconds_to_complete``).
- ``GET``/``HEAD /files/<id>.mp4`` serves the video (the sample MP4, ``video_bytes`` or a
  streamed ``video_body_factory`` body).
- Errors use the provider's shape ``{"message", "path", "requestId", "statusCode",
  "timestamp"}``.

Prompt markers script outcomes: ``[fail]`` ends the generation with status ``error`` and a
moderation error; ``[status:XYZ]`` makes the final status the literal ``XYZ``.
``inject()`` scripts faults (status, ``Retry-After``, delay) for the next calls of a kind.

Modules: ``contract`` (routes, schema, status words, answer and error shapes), ``state``
(generations, calls, scripted faults), ``http`` (the wire), ``simulator`` (the server that
ties them), ``__main__`` (the command line). Standard library only; it binds to loopback
only, writes no request logs and never logs request headers.
"""

from local.simulator.__main__ import main
from local.simulator.contract import (
    GENERATION_PATH,
    MODEL_RATIOS,
    MODERATION_ERROR,
    SAMPLE_VIDEO_PATH,
    validate_create_body,
)
from local.simulator.simulator import UpstreamSimulator
from local.simulator.state import FAULT_KINDS, Call, Generation, RequestHeaders

__all__ = [
    "FAULT_KINDS",
    "GENERATION_PATH",
    "MODEL_RATIOS",
    "MODERATION_ERROR",
    "SAMPLE_VIDEO_PATH",
    "Call",
    "Generation",
    "RequestHeaders",
    "UpstreamSimulator",
    "main",
    "validate_create_body",
]
