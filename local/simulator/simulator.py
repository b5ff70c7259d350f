"""``UpstreamSimulator``: the AI/ML API video endpoints (the universal pair and the legacy
per-vendor paths, for every catalog model), in-process, over real HTTP on loopback. It
routes each request, applies a scripted fault or answers by the contract in the model
family's shape, and records the call."""

from __future__ import annotations

import hmac
import json
import random
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from local.loopback import LoopbackServer
from local.simulator.contract import (
    FILES_PREFIX,
    ID_FIELDS,
    SAMPLE_VIDEO_PATH,
    VIDEO_SHAPES,
    check_create_body,
    format_retry_after,
    generation_route,
)
from local.simulator.families import answer_shape, render_reference_video
from local.simulator.http import Answer, SimulatorHandler, close_iterable
from local.simulator.state import FAULT_KINDS, Call, Generation, RequestHeaders, SimulatorState

ADMIN_GENERATIONS = "/_simulator/generations"

VideoBodyFactory = Callable[[str], tuple[int, Iterable[bytes]]]


class UpstreamSimulator(LoopbackServer):
    """Knobs are plain attributes and may be changed while the server runs."""

    name = "upstream-simulator"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        polls_to_complete: int = 2,
        seconds_to_complete: float | tuple[float, float] | None = None,
        video_shape: str | None = None,
        id_field: str | None = None,
        create_status: int | str = "alternate",
        video_bytes: bytes | None = None,
        video_body_factory: VideoBodyFactory | None = None,
        video_status: int | None = None,
        truncate_video_at: int | None = None,
        reject_unknown_fields: bool = True,
        create_latency_seconds: float = 0.0,
        retrieve_latency_seconds: float = 0.0,
    ) -> None:
        if video_shape is not None and video_shape not in VIDEO_SHAPES:
            raise ValueError(f"video_shape must be one of {VIDEO_SHAPES}")
        if id_field is not None and id_field not in ID_FIELDS:
            raise ValueError(f"id_field must be one of {ID_FIELDS}")
        if polls_to_complete < 1:
            raise ValueError("polls_to_complete must be >= 1")
        super().__init__(SimulatorHandler, host=host, port=port)
        self.api_key = api_key
        self.polls_to_complete = polls_to_complete
        # A number: every generation completes that long after its create. A (shortest,
        # longest) pair: each generation draws its own duration, uniformly, at create.
        self.seconds_to_complete = seconds_to_complete
        self.random = random.Random()  # draws the durations; seed it for a repeatable run
        # None: each family's own shape and create id key; a value overrides every family.
        self.video_shape = video_shape
        self.id_field = id_field
        self.create_status = create_status  # "alternate" (201, 200, ...) or a fixed status
        self.video_bytes = video_bytes
        self.video_body_factory = video_body_factory
        self.video_status = video_status
        self.truncate_video_at = truncate_video_at
        self.reject_unknown_fields = reject_unknown_fields
        # How long a successful create takes (the provider takes a second or two).
        self.create_latency_seconds = create_latency_seconds
        # How long a status answer takes (benchmarks: the provider's ~100 ms).
        self.retrieve_latency_seconds = retrieve_latency_seconds
        self._state = SimulatorState()
        self._sample: bytes | None = None

    # -- scripting ---------------------------------------------------------------------

    def inject(
        self,
        kind: str,
        status: int,
        count: int | None = 1,
        retry_after: Any = None,
        delay: float | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``kind`` with ``status`` in the error shape.

        ``retry_after`` adds a ``Retry-After`` header; ``delay`` (seconds) sleeps before
        answering. ``count=None`` keeps faulting until ``clear_faults()``. Faulted calls
        create nothing and advance nothing. Injections of one kind queue up in order.
        """
        self._state.inject(kind, status, count, retry_after, delay)

    def clear_faults(self, kind: str | None = None) -> None:
        self._state.clear_faults(kind)

    def fail_next(self, count: int = 1) -> None:
        """The next ``count`` generations end as a ``[fail]`` prompt scripts it: for models
        whose schema has no prompt to carry the marker."""
        with self._state.lock:
            self._state.failures_scripted += count

    def reset(self) -> None:
        """Forget calls, generations and faults (knobs are kept)."""
        self._state.reset()

    def set_duration(self, gen_id: str, seconds: float) -> dict[str, Any]:
        """Make generation ``gen_id`` complete ``seconds`` after its create (wall time),
        whatever the simulator's ``seconds_to_complete``; returns its timing."""
        if not (isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0):
            raise ValueError("seconds must be a number >= 0")
        with self._state.lock:
            generation = self._state.generations[gen_id]
            generation.seconds_to_complete = float(seconds)
            return generation.timing()

    def timings(self) -> list[dict[str, Any]]:
        """Each generation's timeline, in creation order: its create, its duration, when it
        completes at the provider (``completes_at``) and when the simulator first answered
        its final status (``reported_at``), all as ``time.time()``."""
        with self._state.lock:
            return [g.timing() for g in sorted(self._state.generations.values(), key=lambda g: g.index)]

    def admin(self, method: str, raw_path: str, body: bytes) -> Answer:
        """The loopback-only admin routes (not the provider's contract; the wire refuses
        them to any other peer): ``GET /_simulator/generations`` (``timings()``) and
        ``PUT /_simulator/generations/<id>`` with ``{"seconds_to_complete": s}``
        (``set_duration``)."""
        path = urlsplit(raw_path).path
        rest = path[len(ADMIN_GENERATIONS) :]
        if method == "GET" and rest in ("", "/"):
            return Answer.json(200, {"generations": self.timings()})
        if method == "PUT" and rest.startswith("/") and len(rest) > 1:
            payload = _parse_json(body)
            seconds = payload.get("seconds_to_complete") if isinstance(payload, dict) else None
            try:
                return Answer.json(200, self.set_duration(unquote(rest[1:]), seconds))  # type: ignore[arg-type]
            except KeyError:
                return Answer.error(404, raw_path, "Generation not found")
            except ValueError as exc:
                return Answer.error(400, raw_path, str(exc))
        return Answer.error(404, raw_path, f"Cannot {method} {path}")

    # -- observation -------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._state.lock:
            return list(self._state.calls)

    def count(self, kind: str) -> int:
        with self._state.lock:
            return sum(1 for call in self._state.calls if call.kind == kind)

    @property
    def generations(self) -> dict[str, Generation]:
        return self._state.snapshot()

    def video_url_for(self, gen_id: str) -> str:
        # Ids may hold ":" and "/" (``<uuid>:kling-video/v1/...``): one path segment, encoded.
        return f"{self.base_url}{FILES_PREFIX}{quote(gen_id, safe='')}.mp4"

    def video_bytes_for(self, gen_id: str) -> bytes:
        """The full bytes served (or that would be served) for a generation's video."""
        with self._state.lock:
            if gen_id not in self._state.generations:
                raise KeyError(gen_id)
        _, chunks = self._video_body(gen_id)
        return b"".join(chunks)

    # -- answering (called from the HTTP threads) ----------------------------------------

    def answer(self, method: str, raw_path: str, headers: RequestHeaders, body: bytes) -> Answer:
        split = urlsplit(raw_path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        kind, route = _route(method, path)
        payload = _parse_json(body)
        with self._state.lock:
            fault = self._state.take_fault(kind)
            if fault is not None:
                answer = Answer.error(fault.status, raw_path)
                if fault.retry_after is not None:
                    answer.headers["Retry-After"] = format_retry_after(fault.retry_after)
                answer.delay = fault.delay
            elif kind == "create":
                answer = self._create(headers, payload, route, raw_path)
            elif kind == "retrieve":
                answer = self._retrieve(headers, query, route, raw_path)
                # Waited out by the HTTP thread after the lock: answers overlap, as upstream.
                answer.delay = self.retrieve_latency_seconds or None
            elif kind == "video":
                answer = self._video(path, raw_path)
            else:
                answer = Answer.error(404, raw_path, f"Cannot {method} {path}")
            # Recorded before the answer is written, so a test that has its answer also
            # sees the call.
            self._state.calls.append(
                Call(
                    kind, method, path, query, headers, payload, answer.status, fault is not None, time.time()
                )
            )
        return answer

    def _check_auth(self, headers: RequestHeaders, raw_path: str) -> Answer | None:
        scheme, _, token = (headers.get("authorization") or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return Answer.error(401, raw_path, "Missing or malformed Authorization header")
        if self.api_key is not None and not hmac.compare_digest(token.encode(), self.api_key.encode()):
            return Answer.error(401, raw_path, "Invalid API key")
        return None

    def _create(self, headers: RequestHeaders, payload: Any, route: str, raw_path: str) -> Answer:
        denied = self._check_auth(headers, raw_path)
        if denied is not None:
            return denied
        if payload is None:
            return Answer.error(400, raw_path, "Request body must be a JSON object")
        spec, problems = check_create_body(payload, route, reject_unknown_fields=self.reject_unknown_fields)
        if spec is None or problems:
            return Answer.error(400, raw_path, "Invalid request: " + "; ".join(problems))
        if self.create_latency_seconds:
            self.stopping.wait(self.create_latency_seconds)
        shape = answer_shape(spec.family, None if route == "universal" else route)
        generation = self._state.create(payload, shape, route)
        if isinstance(self.seconds_to_complete, tuple):
            generation.seconds_to_complete = self.random.uniform(*self.seconds_to_complete)
        if self.create_status == "alternate":
            status = 201 if generation.index % 2 == 1 else 200
        else:
            status = int(self.create_status)
        if self.id_field is None and shape.create_id_key == "generation_id":
            return Answer.json(status, {"generation_id": generation.id})  # legacy MiniMax, nothing more
        id_key = self.id_field or "id"
        return Answer.json(status, {id_key: generation.id, "status": "queued", "meta": shape.usage()})

    def _retrieve(
        self, headers: RequestHeaders, query: dict[str, list[str]], route: str, raw_path: str
    ) -> Answer:
        denied = self._check_auth(headers, raw_path)
        if denied is not None:
            return denied
        gen_id = (query.get("generation_id") or [""])[0]
        if not gen_id:
            return Answer.error(400, raw_path, "generation_id is required")
        generation = self._state.generations.get(gen_id)
        if generation is None or generation.route != route:
            return Answer.error(404, raw_path, f"Generation {gen_id} not found")
        seconds = self.seconds_to_complete
        generation.advance(
            # A range applies to generations created since it was set (each drew its own).
            seconds_to_complete=None if isinstance(seconds, tuple) else seconds,
            polls_to_complete=self.polls_to_complete,
        )
        shape = generation.shape
        return Answer.json(
            200,
            {
                "id": generation.id,
                "status": generation.status,
                "video": self._render_video(generation) if generation.has_video else None,
                "error": shape.render_error(generation.final_error) if generation.finished else None,
                "meta": shape.usage(),
            },
        )

    def _render_video(self, generation: Generation) -> Any:
        url = self.video_url_for(generation.id)
        if self.video_shape is not None:
            return render_reference_video(url, self.video_shape, generation.index)
        length, chunks = self._video_body(generation.id)
        close_iterable(chunks)  # asked for its length only
        return generation.shape.render_video(
            url, file_name=f"{generation.index}.mp4", file_size=length, index=generation.index
        )

    def _video(self, path: str, raw_path: str) -> Answer:
        gen_id = unquote(path[len(FILES_PREFIX) : -len(".mp4")])
        if gen_id not in self._state.generations:
            return Answer.error(404, raw_path, "File not found")
        if self.video_status is not None:
            return Answer.error(int(self.video_status), raw_path)
        return Answer(
            status=200,
            content_type="video/mp4",
            stream=self._video_body(gen_id),
            truncate_at=self.truncate_video_at,
        )

    def _video_body(self, gen_id: str) -> tuple[int, Iterable[bytes]]:
        factory = self.video_body_factory
        if factory is not None:
            length, chunks = factory(gen_id)
            return int(length), chunks
        data = self.video_bytes
        if data is None:
            if self._sample is None:
                self._sample = SAMPLE_VIDEO_PATH.read_bytes()
            data = self._sample
        return len(data), (data,)


def _route(method: str, path: str) -> tuple[str, str]:
    """The call's kind and, for generation calls, its route (see ``generation_route``)."""
    route = generation_route(path)
    if route is not None:
        return {"POST": "create", "GET": "retrieve"}.get(method, "other"), route
    if (
        method in ("GET", "HEAD")
        and path.startswith(FILES_PREFIX)
        and path.endswith(".mp4")
        and "/" not in path[len(FILES_PREFIX) :]
    ):
        return "video", ""
    return "other", ""


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def parse_seconds(text: str) -> float | tuple[float, float]:
    """``"3"`` -> 3.0; ``"30-150"`` -> (30.0, 150.0), a range each generation draws from."""
    low, dash, high = text.strip().partition("-")
    try:
        if not dash:
            value = float(low)
            if value >= 0:
                return value
        else:
            pair = (float(low), float(high))
            if 0 <= pair[0] <= pair[1]:
                return pair
    except ValueError:
        pass
    raise ValueError(f"expected seconds (3) or a range (30-150), got {text!r}")


__all__ = ["ADMIN_GENERATIONS", "FAULT_KINDS", "UpstreamSimulator", "VideoBodyFactory", "parse_seconds"]
