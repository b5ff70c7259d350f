"""What the simulator remembers: the generations it created, the calls it answered and the
faults a test scripted for the next calls. One lock guards all of it; the HTTP threads hold
it for a whole answer so a call and its effect are seen together."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from local.simulator.contract import FAIL_MARKER, SUCCESS_STATUSES, final_outcome, is_int
from local.simulator.families import AnswerShape

FAULT_KINDS = ("create", "retrieve", "video")


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

    def get(self, key: str, default: Any = None) -> Any:
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
    final_error: Any  # as scripted ({name, message}); ``shape`` renders it
    shape: AnswerShape  # how this generation's family answers on the path it was created on
    route: str  # "universal" or the legacy vendor path it was created on
    status: str = "queued"  # the status last reported
    retrieves: int = 0  # successful (non-faulted) retrieves so far
    finished: bool = False  # the final status has been reported
    # How long this generation runs (wall time from its create); None: the simulator's
    # ``seconds_to_complete`` (or ``polls_to_complete``) decides.
    seconds_to_complete: float | None = None
    created_wall: float = 0.0  # time.time() at create
    reported_at: float | None = None  # time.time() when the final status was first answered

    @property
    def completes_at(self) -> float | None:
        """When the provider finishes it (time.time()), in wall-time mode; None otherwise."""
        if self.seconds_to_complete is None:
            return None
        return self.created_wall + self.seconds_to_complete

    def timing(self) -> dict[str, Any]:
        """What the admin endpoint shows of this generation's timeline."""
        return {
            "id": self.id,
            "model": self.model,
            "status": self.status,
            "final_status": self.final_status,
            "created_at": self.created_wall,
            "seconds_to_complete": self.seconds_to_complete,
            "completes_at": self.completes_at,
            "reported_at": self.reported_at,
        }

    @property
    def has_video(self) -> bool:
        return self.finished and self.final_status in SUCCESS_STATUSES

    def advance(self, *, seconds_to_complete: float | None, polls_to_complete: int) -> None:
        """One retrieve: progression by wall time when the generation's own or the
        simulator's ``seconds_to_complete`` is set, else by the number of retrieves."""
        self.retrieves += 1
        if self.finished:
            return
        if self.seconds_to_complete is not None:
            seconds_to_complete = self.seconds_to_complete
        if seconds_to_complete is not None:
            done = time.monotonic() - self.created_at >= float(seconds_to_complete)
        else:
            done = self.retrieves >= max(1, int(polls_to_complete))
        self.finished = done
        self.status = self.final_status if done else self.shape.in_flight_status(self.retrieves)
        if done:
            self.reported_at = time.time()


@dataclass
class Fault:
    status: int
    remaining: int | None  # None: until cleared
    retry_after: Any
    delay: float | None


class SimulatorState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.generations: dict[str, Generation] = {}
        self.faults: dict[str, list[Fault]] = {kind: [] for kind in FAULT_KINDS}
        self.creates = 0
        self.failures_scripted = 0  # the next creates that end as if failed by a [fail] marker

    def inject(
        self, kind: str, status: int, count: int | None, retry_after: Any, delay: float | None
    ) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        if not (is_int(status) and 100 <= status <= 599):
            raise ValueError("status must be an HTTP status code")
        if count is not None and count < 1:
            raise ValueError("count must be >= 1 (or None for 'until cleared')")
        with self.lock:
            self.faults[kind].append(Fault(status, count, retry_after, delay))

    def clear_faults(self, kind: str | None = None) -> None:
        with self.lock:
            for k in FAULT_KINDS if kind is None else (kind,):
                self.faults[k].clear()

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.generations.clear()
            self.creates = 0
            self.failures_scripted = 0
            self.clear_faults()

    def take_fault(self, kind: str) -> Fault | None:
        """The fault scripted for this call of ``kind``, if any (used up by one call)."""
        queue = self.faults.get(kind)
        if not queue:
            return None
        fault = queue[0]
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
        return fault

    def create(self, payload: dict[str, Any], shape: AnswerShape, route: str) -> Generation:
        self.creates += 1
        prompt = payload.get("prompt")
        script = prompt
        if self.failures_scripted:
            self.failures_scripted -= 1
            script = FAIL_MARKER
        final_status, final_error = final_outcome(script, done=shape.done, failed=shape.failed)
        generation_id = shape.new_id(payload["model"])
        while generation_id in self.generations:
            generation_id = shape.new_id(payload["model"])
        generation = Generation(
            id=generation_id,
            index=self.creates,
            model=payload["model"],
            prompt=prompt,
            request=copy.deepcopy(payload),
            created_at=time.monotonic(),
            created_wall=time.time(),
            final_status=final_status,
            final_error=final_error,
            shape=shape,
            route=route,
        )
        self.generations[generation.id] = generation
        return generation

    def snapshot(self) -> dict[str, Generation]:
        with self.lock:
            return copy.deepcopy(self.generations)
