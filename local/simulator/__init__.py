"""A local simulator of the AI/ML API video endpoints (the poll-only upstream), for every
model in the catalog.

It speaks the provider's contract (see docs "The upstream contract" and
``/work/shared/provider/README.md``):

- ``POST /v2/video/generations`` and ``POST /v2/generate/video/{vendor}/generation`` (bearer
  auth, the body validated with the catalog's schema of the body's ``model``; a model is
  served where the catalog routes it, and on its own vendor's legacy path) answer
  ``{"id", "status": "queued", "meta": {"usage"}}`` with 201, 200, 201, ...
- ``GET`` on the same path ``?generation_id=<id>`` answers ``{"id", "status", "video",
  "error", "meta"}``; progression is driven by the number of retrieves
  (``polls_to_complete``) or, optionally, by wall time (``seconds_to_complete``: a number,
  or a range each generation draws its own duration from; ``set_duration`` sets one's).
- ``GET /_simulator/generations`` and ``PUT /_simulator/generations/<id>``
  (``{"seconds_to_complete": s}``), for loopback peers only: each generation's timeline
  (created, completes, first reported complete) and a duration set for one generation.
- Each family answers in its own shape (``families``): id form, status words, ``video``
  and ``error`` shapes, ``credits_used`` or ``tokens_used``.
- ``GET``/``HEAD /files/<id>.mp4`` serves the video (the sample MP4, ``video_bytes`` or a
  streamed ``video_body_factory`` body).
- Errors use the provider's shape ``{"message", "path", "requestId", "statusCode",
  "timestamp"}``.

Prompt markers script outcomes: ``[fail]`` ends the generation with the family's failure
word and a moderation error; ``[status:XYZ]`` makes the final status the literal ``XYZ``.
``inject()`` scripts faults (status, ``Retry-After``, delay) for the next calls of a kind.

Modules: ``contract`` (routes, schema, status words, error shape), ``families`` (each
family's answer shape), ``state`` (generations, calls, scripted faults), ``http`` (the
wire), ``simulator`` (the server that ties them), ``__main__`` (the command line). Standard
library and the catalog only; it binds to loopback only, writes no request logs and never
logs request headers.
"""

from local.simulator.__main__ import main
from local.simulator.contract import (
    GENERATION_PATH,
    MODERATION_ERROR,
    SAMPLE_VIDEO_PATH,
    UNIVERSAL_PATH,
    check_create_body,
)
from local.simulator.families import AnswerShape, answer_shape
from local.simulator.simulator import UpstreamSimulator
from local.simulator.state import FAULT_KINDS, Call, Generation, RequestHeaders

__all__ = [
    "FAULT_KINDS",
    "GENERATION_PATH",
    "MODERATION_ERROR",
    "SAMPLE_VIDEO_PATH",
    "UNIVERSAL_PATH",
    "AnswerShape",
    "Call",
    "Generation",
    "RequestHeaders",
    "UpstreamSimulator",
    "answer_shape",
    "check_create_body",
    "main",
]
