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

Standard library only. It binds to loopback only, writes no request logs and never logs
request headers. Run it standalone with ``python -m local.upstream_simulator``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hmac
import ipaddress
import json
import logging
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

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

_log = logging.getLogger(__name__)

GENERATION_PATH = "/v2/generate/video/runway/generation"
FILES_PREFIX = "/files/"
SAMPLE_VIDEO_PATH = Path(__file__).resolve().parent / "assets" / "sample.mp4"

MODEL_RATIOS: dict[str, tuple[str, ...]] = {
    "gen3a_turbo": ("16:9", "9:16"),
    "runway/gen4_turbo": ("16:9", "9:16", "4:3", "3:4", "1:1", "21:9"),
}
LAST_IMAGE_MODELS = frozenset({"gen3a_turbo"})
DURATIONS = (5, 10)
MAX_PROMPT_CHARS = 1000
MAX_SEED = 4_294_967_295
IMAGE_URL_PREFIXES = ("https://", "http://", "data:")
KNOWN_FIELDS = frozenset({"model", "prompt", "image_url", "last_image_url", "duration", "ratio", "seed"})
SUCCESS_STATUSES = frozenset({"completed", "succeeded"})
FAIL_MARKER = "[fail]"
STATUS_MARKER = re.compile(r"\[status:([^\]\s]+)\]")
MODERATION_ERROR = {"name": "GenerationError", "message": "Content moderation rejected the prompt"}
FAULT_KINDS = ("create", "retrieve", "video")
VIDEO_SHAPES = ("alternate", "list", "object")
ID_FIELDS = ("id", "generation_id")
MAX_REQUEST_BODY = 64 * 1024 * 1024

_ERROR_MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: insufficient credits",
    404: "Not Found",
    410: "Gone: the file has expired",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Generation timeout",
}

VideoBodyFactory = Callable[[str], tuple[int, Iterable[bytes]]]


class RequestHeaders(dict[str, str]):
    """Request headers as a dict: keys stored lower-case, looked up case-insensitively.

    Its repr masks the Authorization header so a failing assertion never prints a key.
    """

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        for key, value in items:
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __repr__(self) -> str:
        shown = {k: ("<redacted>" if k == "authorization" else v) for k, v in self.items()}
        return f"RequestHeaders({shown!r})"


@dataclass(frozen=True)
class Call:
    """One request the simulator answered."""

    kind: str  # "create" | "retrieve" | "video" ("other" for unknown routes)
    method: str
    path: str
    query: dict[str, list[str]]
    headers: RequestHeaders
    json: Any  # the parsed JSON body, or None
    status: int  # the status answered
    faulted: bool = False  # answered by an injected fault
    at: float = 0.0  # time.time() when answered


@dataclass
class Generation:
    """The simulator's state for one generation (``sim.generations`` returns copies)."""

    id: str
    index: int  # 1-based creation order (drives the alternating video shape)
    model: str
    prompt: str | None
    request: dict[str, Any]
    created_at: float  # time.monotonic() at create
    final_status: str
    final_error: Any
    status: str = "queued"  # the status last reported
    retrieves: int = 0  # successful (non-faulted) retrieves so far
    finished: bool = False  # the final status has been reported

    @property
    def has_video(self) -> bool:
        return self.finished and self.final_status in SUCCESS_STATUSES


@dataclass
class _Fault:
    status: int
    remaining: int | None  # None: until clear_faults()
    retry_after: Any
    delay: float | None


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stream: tuple[int, Iterable[bytes]] | None = None  # (Content-Length, chunks)
    truncate_at: int | None = None
    delay: float | None = None


def validate_create_body(payload: Any, *, reject_unknown_fields: bool = True) -> list[str]:
    """Check a create body against the provider's schema; return the problems found."""
    if not isinstance(payload, dict):
        return ["body must be a JSON object"]
    problems: list[str] = []
    if reject_unknown_fields:
        unknown = sorted(set(payload) - KNOWN_FIELDS)
        if unknown:
            problems.append(f"unknown field(s): {', '.join(unknown)}")

    model = payload.get("model")
    model_ok = isinstance(model, str) and model in MODEL_RATIOS
    if "model" not in payload:
        problems.append("model is required")
    elif not model_ok:
        problems.append(f"model must be one of: {', '.join(MODEL_RATIOS)}")

    if "image_url" not in payload:
        problems.append("image_url is required")
    elif not _valid_image_url(payload["image_url"]):
        problems.append("image_url must be an https URL or a data URI")

    if "prompt" in payload:
        prompt = payload["prompt"]
        if not isinstance(prompt, str):
            problems.append("prompt must be a string")
        elif len(prompt) > MAX_PROMPT_CHARS:
            problems.append(f"prompt must be at most {MAX_PROMPT_CHARS} characters")

    if "duration" in payload and not (_is_int(payload["duration"]) and payload["duration"] in DURATIONS):
        problems.append(f"duration must be one of: {', '.join(map(str, DURATIONS))}")

    if "ratio" in payload:
        ratio = payload["ratio"]
        allowed = (
            MODEL_RATIOS[model]
            if model_ok
            else tuple(dict.fromkeys(r for rs in MODEL_RATIOS.values() for r in rs))
        )
        if not (isinstance(ratio, str) and ratio in allowed):
            suffix = f" for model {model}" if model_ok else ""
            problems.append(f"ratio must be one of: {', '.join(allowed)}{suffix}")

    if "seed" in payload and not (_is_int(payload["seed"]) and 0 <= payload["seed"] <= MAX_SEED):
        problems.append(f"seed must be an integer between 0 and {MAX_SEED}")

    if "last_image_url" in payload:
        if model_ok and model not in LAST_IMAGE_MODELS:
            problems.append(f"last_image_url is not supported by model {model}")
        elif not _valid_image_url(payload["last_image_url"]):
            problems.append("last_image_url must be an https URL or a data URI")
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_image_url(value: Any) -> bool:
    return isinstance(value, str) and any(
        value.startswith(prefix) and len(value) > len(prefix) for prefix in IMAGE_URL_PREFIXES
    )


def _final_outcome(prompt: str | None) -> tuple[str, Any]:
    """The (final status, final error) a prompt's markers script."""
    text = prompt or ""
    status, error = "completed", None
    if FAIL_MARKER in text:
        status, error = "error", dict(MODERATION_ERROR)
    match = STATUS_MARKER.search(text)
    if match:
        status = match.group(1)
    return status, error


def _timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _format_retry_after(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


def _loopback_host(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        addr = None
    if addr is None or addr.version != 4 or not addr.is_loopback:
        raise ValueError(f"the simulator binds to loopback IPv4 only, got host {host!r}")
    return host


class UpstreamSimulator:
    """The AI/ML API Runway endpoints, in-process, over real HTTP on loopback.

    Knobs are plain attributes and may be changed while the server runs.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        polls_to_complete: int = 2,
        seconds_to_complete: float | None = None,
        video_shape: str = "alternate",
        id_field: str = "id",
        create_status: int | str = "alternate",
        video_bytes: bytes | None = None,
        video_body_factory: VideoBodyFactory | None = None,
        video_status: int | None = None,
        truncate_video_at: int | None = None,
        reject_unknown_fields: bool = True,
        create_latency_seconds: float = 0.0,
    ) -> None:
        if video_shape not in VIDEO_SHAPES:
            raise ValueError(f"video_shape must be one of {VIDEO_SHAPES}")
        if id_field not in ID_FIELDS:
            raise ValueError(f"id_field must be one of {ID_FIELDS}")
        if polls_to_complete < 1:
            raise ValueError("polls_to_complete must be >= 1")
        self.host = _loopback_host(host)
        self.port = port
        self.api_key = api_key
        self.polls_to_complete = polls_to_complete
        self.seconds_to_complete = seconds_to_complete
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
        self.base_url = ""

        self._lock = threading.RLock()
        self._calls: list[Call] = []
        self._generations: dict[str, Generation] = {}
        self._faults: dict[str, list[_Fault]] = {kind: [] for kind in FAULT_KINDS}
        self._creates = 0
        self._sample: bytes | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a daemon thread; ``base_url`` is valid afterwards."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.simulator = self
        self._server = server
        self.base_url = f"http://{self.host}:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="upstream-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open keep-alive connections and release the port."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes handlers sleeping on an injected delay
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

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
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        if not (_is_int(status) and 100 <= status <= 599):
            raise ValueError("status must be an HTTP status code")
        if count is not None and count < 1:
            raise ValueError("count must be >= 1 (or None for 'until cleared')")
        with self._lock:
            self._faults[kind].append(_Fault(status, count, retry_after, delay))

    def clear_faults(self, kind: str | None = None) -> None:
        with self._lock:
            for k in FAULT_KINDS if kind is None else (kind,):
                self._faults[k].clear()

    def reset(self) -> None:
        """Forget calls, generations and faults (knobs are kept)."""
        with self._lock:
            self._calls.clear()
            self._generations.clear()
            self._creates = 0
            for faults in self._faults.values():
                faults.clear()

    # -- observation -------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def count(self, kind: str) -> int:
        with self._lock:
            return sum(1 for call in self._calls if call.kind == kind)

    @property
    def generations(self) -> dict[str, Generation]:
        with self._lock:
            return copy.deepcopy(self._generations)

    def video_url_for(self, gen_id: str) -> str:
        return f"{self.base_url}{FILES_PREFIX}{gen_id}.mp4"

    def video_bytes_for(self, gen_id: str) -> bytes:
        """The full bytes served (or that would be served) for a generation's video."""
        with self._lock:
            if gen_id not in self._generations:
                raise KeyError(gen_id)
        _, chunks = self._video_body(gen_id)
        return b"".join(chunks)

    # -- request handling (called from handler threads) --------------------------------

    def _handle(self, method: str, raw_path: str, headers: RequestHeaders, body: bytes) -> _Response:
        split = urlsplit(raw_path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        kind = self._route(method, path)
        payload = _parse_json(body)
        with self._lock:
            fault = self._take_fault(kind) if kind in FAULT_KINDS else None
            if fault is not None:
                response = self._error(fault.status, raw_path)
                if fault.retry_after is not None:
                    response.headers["Retry-After"] = _format_retry_after(fault.retry_after)
                response.delay = fault.delay
            elif kind == "create":
                response = self._create(headers, body, payload, raw_path)
            elif kind == "retrieve":
                response = self._retrieve(headers, query, raw_path)
            elif kind == "video":
                response = self._video(path, raw_path)
            else:
                response = self._error(404, raw_path, f"Cannot {method} {path}")
            # Recorded before the answer is written, so a test that has its answer also
            # sees the call.
            self._calls.append(
                Call(
                    kind=kind,
                    method=method,
                    path=path,
                    query=query,
                    headers=headers,
                    json=payload,
                    status=response.status,
                    faulted=fault is not None,
                    at=time.time(),
                )
            )
        return response

    @staticmethod
    def _route(method: str, path: str) -> str:
        if path.rstrip("/") == GENERATION_PATH:
            return {"POST": "create", "GET": "retrieve"}.get(method, "other")
        if (
            method in ("GET", "HEAD")
            and path.startswith(FILES_PREFIX)
            and path.endswith(".mp4")
            and "/" not in path[len(FILES_PREFIX) :]
        ):
            return "video"
        return "other"

    def _take_fault(self, kind: str) -> _Fault | None:
        queue = self._faults[kind]
        if not queue:
            return None
        fault = queue[0]
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
        return fault

    def _check_auth(self, headers: RequestHeaders, raw_path: str) -> _Response | None:
        scheme, _, token = (headers.get("authorization") or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return self._error(401, raw_path, "Missing or malformed Authorization header")
        if self.api_key is not None and not hmac.compare_digest(token.encode(), self.api_key.encode()):
            return self._error(401, raw_path, "Invalid API key")
        return None

    def _create(self, headers: RequestHeaders, body: bytes, payload: Any, raw_path: str) -> _Response:
        denied = self._check_auth(headers, raw_path)
        if denied is not None:
            return denied
        if payload is None:
            return self._error(400, raw_path, "Request body must be a JSON object")
        problems = validate_create_body(payload, reject_unknown_fields=self.reject_unknown_fields)
        if problems:
            return self._error(400, raw_path, "; ".join(problems))

        if self.create_latency_seconds:
            self._stopping.wait(self.create_latency_seconds)
        self._creates += 1
        prompt = payload.get("prompt")
        final_status, final_error = _final_outcome(prompt)
        gen = Generation(
            id=str(uuid.uuid4()),
            index=self._creates,
            model=payload["model"],
            prompt=prompt,
            request=copy.deepcopy(payload),
            created_at=time.monotonic(),
            final_status=final_status,
            final_error=final_error,
        )
        self._generations[gen.id] = gen
        if self.create_status == "alternate":
            status = 201 if gen.index % 2 == 1 else 200
        else:
            status = int(self.create_status)
        return self._json(status, {self.id_field: gen.id, "status": "queued"})

    def _retrieve(self, headers: RequestHeaders, query: dict[str, list[str]], raw_path: str) -> _Response:
        denied = self._check_auth(headers, raw_path)
        if denied is not None:
            return denied
        gen_id = (query.get("generation_id") or [""])[0]
        if not gen_id:
            return self._error(400, raw_path, "generation_id is required")
        gen = self._generations.get(gen_id)
        if gen is None:
            return self._error(404, raw_path, f"Generation {gen_id} not found")

        gen.retrieves += 1
        if not gen.finished:
            if self.seconds_to_complete is not None:
                done = time.monotonic() - gen.created_at >= float(self.seconds_to_complete)
            else:
                done = gen.retrieves >= max(1, int(self.polls_to_complete))
            gen.finished = done
            gen.status = gen.final_status if done else "generating"
        return self._json(
            200,
            {
                "id": gen.id,
                "status": gen.status,
                "video": self._render_video(gen) if gen.has_video else None,
                "error": gen.final_error if gen.finished else None,
            },
        )

    def _render_video(self, gen: Generation) -> Any:
        url = self.video_url_for(gen.id)
        shape = self.video_shape
        if shape == "alternate":
            shape = "list" if gen.index % 2 == 1 else "object"
        return [url] if shape == "list" else {"url": url}

    def _video(self, path: str, raw_path: str) -> _Response:
        gen_id = path[len(FILES_PREFIX) : -len(".mp4")]
        if gen_id not in self._generations:
            return self._error(404, raw_path, "File not found")
        if self.video_status is not None:
            return self._error(int(self.video_status), raw_path)
        return _Response(
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

    @staticmethod
    def _json(status: int, body: Any) -> _Response:
        return _Response(status=status, body=json.dumps(body).encode())

    @classmethod
    def _error(cls, status: int, raw_path: str, message: str | None = None) -> _Response:
        if message is None:
            message = _ERROR_MESSAGES.get(status)
        if message is None:
            try:
                message = HTTPStatus(status).phrase
            except ValueError:
                message = "Error"
        return cls._json(
            status,
            {
                "message": message,
                "path": raw_path,
                "requestId": str(uuid.uuid4()),
                "statusCode": status,
                "timestamp": _timestamp(),
            },
        )

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


def _parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait on idle keep-alive connections at stop
    simulator: UpstreamSimulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # client went away, socket shut down at stop, ...
            return
        _log.error("upstream simulator: unhandled %s", type(exc).__name__, exc_info=exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aimlapi-sim/1.0"
    timeout = 120  # idle keep-alive connections are dropped after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.simulator._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.simulator._track(self.connection, add=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """No request logs (and so never a header) on stderr."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        sim = self.server.simulator
        try:
            body = self._read_body()
            if body is None:
                response = sim._error(413, self.path, "Request body too large")
                self.close_connection = True
            else:
                headers = RequestHeaders(self.headers.items())
                response = sim._handle(method, self.path, headers, body)
            if response.delay:
                sim._stopping.wait(response.delay)
                if sim._stopping.is_set():
                    self.close_connection = True
                    return
            self._write(response, head=method == "HEAD")
        except OSError:
            self.close_connection = True
        except Exception:  # noqa: BLE001 - a simulator bug must still answer
            _log.exception("upstream simulator: error answering %s", method)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._write(sim._error(500, self.path, "Simulator error"), head=False)

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_REQUEST_BODY:
                    return None
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BODY:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, response: _Response, *, head: bool) -> None:
        if response.stream is not None:
            length, chunks = response.stream
        else:
            length, chunks = len(response.body), (response.body,)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(length))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if head:
            _close_iterable(chunks)
            return
        limit = length
        if response.truncate_at is not None:
            limit = min(length, max(0, int(response.truncate_at)))
        sent = 0
        try:
            for chunk in chunks:
                if sent >= limit:
                    break
                piece = chunk[: limit - sent]
                self.wfile.write(piece)
                sent += len(piece)
        finally:
            _close_iterable(chunks)
        if sent < length:
            # Truncated on purpose (or a short factory body): the framing is broken, so
            # really close the socket for the client to see an incomplete read.
            self.close_connection = True
            self.wfile.flush()
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)


def _close_iterable(chunks: Iterable[bytes]) -> None:
    close = getattr(chunks, "close", None)
    if callable(close):
        close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.upstream_simulator",
        description="Serve a simulator of the AI/ML API Runway video endpoints on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8089, help="port (0: any free port)")
    parser.add_argument("--api-key", default=None, help="required bearer (default: any)")
    parser.add_argument("--polls-to-complete", type=int, default=2)
    parser.add_argument(
        "--seconds-to-complete",
        type=float,
        default=None,
        help="complete generations after this many seconds instead of after N polls",
    )
    parser.add_argument("--video-shape", choices=VIDEO_SHAPES, default="alternate")
    parser.add_argument("--id-field", choices=ID_FIELDS, default="id")
    args = parser.parse_args(argv)

    sim = UpstreamSimulator(
        args.host,
        args.port,
        api_key=args.api_key,
        polls_to_complete=args.polls_to_complete,
        seconds_to_complete=args.seconds_to_complete,
        video_shape=args.video_shape,
        id_field=args.id_field,
    ).start()
    done = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: done.set())
    print(sim.base_url, flush=True)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
