"""The upstream simulator keeps the provider's contract, over real HTTP on loopback."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from local.simulator.simulator import parse_seconds
from local.upstream_simulator import (
    GENERATION_PATH,
    MODERATION_ERROR,
    SAMPLE_VIDEO_PATH,
    UNIVERSAL_PATH,
    UpstreamSimulator,
)
from videohook.adapters.provider_answers import parse_create

REPO_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sim-test-key-0123456789"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
ERROR_KEYS = {"message", "path", "requestId", "statusCode", "timestamp"}
TIMEOUT = 5
LEGACY_USAGE = {"usage": {"tokens_used": 525_000}}


@pytest.fixture
def sim() -> Iterator[UpstreamSimulator]:
    simulator = UpstreamSimulator(api_key=API_KEY).start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def body(**overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "model": "gen3a_turbo",
        "prompt": "A jellyfish in the ocean",
        "image_url": "https://example.com/first.png",
        "ratio": "16:9",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def create(sim: UpstreamSimulator, http: requests.Session, **overrides: object):
    return http.post(sim.base_url + GENERATION_PATH, json=body(**overrides), headers=AUTH, timeout=TIMEOUT)


def retrieve(sim: UpstreamSimulator, http: requests.Session, gen_id: str, **kwargs):
    return http.get(
        sim.base_url + GENERATION_PATH,
        params={"generation_id": gen_id},
        headers=kwargs.pop("headers", AUTH),
        timeout=kwargs.pop("timeout", TIMEOUT),
        **kwargs,
    )


def assert_error_shape(response: requests.Response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    payload = response.json()
    assert set(payload) == ERROR_KEYS
    assert payload["statusCode"] == status
    assert isinstance(payload["message"], str) and payload["message"]
    assert uuid.UUID(payload["requestId"])
    assert payload["timestamp"].endswith("Z")
    return payload


# -- create --------------------------------------------------------------------------


def test_create_alternates_201_and_200_and_answers_queued(sim, http):
    statuses = []
    ids = []
    for _ in range(3):
        response = create(sim, http)
        statuses.append(response.status_code)
        assert response.json()["status"] == "queued"
        assert response.json() == {
            "id": response.json()["id"],
            "status": "queued",
            "meta": {"usage": {"tokens_used": 525_000}},
        }
        ids.append(response.json()["id"])
    assert statuses == [201, 200, 201]
    assert all(uuid.UUID(i).version == 4 for i in ids)
    assert len(set(ids)) == 3
    assert set(sim.generations) == set(ids)
    assert sim.count("create") == 3


def test_create_can_answer_generation_id(sim, http):
    sim.id_field = "generation_id"
    response = create(sim, http)
    assert response.status_code == 201
    assert set(response.json()) == {"generation_id", "status", "meta"}
    gen_id = response.json()["generation_id"]
    assert retrieve(sim, http, gen_id).json()["id"] == gen_id


def test_create_records_the_request(sim, http):
    gen_id = create(sim, http, seed=7, duration=10).json()["id"]
    (call,) = sim.calls
    assert call.kind == "create"
    assert call.method == "POST"
    assert call.path == GENERATION_PATH
    assert call.status == 201
    assert call.json == body(seed=7, duration=10)
    assert call.headers["authorization"] == AUTH["Authorization"]
    assert API_KEY not in repr(call)
    gen = sim.generations[gen_id]
    assert (gen.model, gen.prompt, gen.status, gen.retrieves) == (
        "gen3a_turbo",
        "A jellyfish in the ocean",
        "queued",
        0,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"model": None}, id="missing-model"),
        pytest.param({"model": "gen4_turbo"}, id="unknown-model"),
        pytest.param({"image_url": None}, id="missing-image_url"),
        pytest.param({"image_url": "ftp://example.com/a.png"}, id="bad-image_url-scheme"),
        pytest.param({"image_url": "http://example.com/a.png"}, id="http-image"),
        pytest.param({"prompt": "x" * 1001}, id="prompt-too-long"),
        pytest.param({"prompt": 42}, id="prompt-not-a-string"),
        pytest.param({"duration": 7}, id="bad-duration"),
        pytest.param({"duration": "5"}, id="duration-as-string"),
        pytest.param({"ratio": "1:1"}, id="gen3a-ratio-1:1"),
        pytest.param({"ratio": "21:9"}, id="gen3a-ratio-21:9"),
        pytest.param({"seed": -1}, id="seed-negative"),
        pytest.param({"seed": 4_294_967_296}, id="seed-too-big"),
        pytest.param({"seed": True}, id="seed-bool"),
        pytest.param(
            {"model": "runway/gen4_turbo", "last_image_url": "https://example.com/l.png"},
            id="last_image_url-on-gen4",
        ),
        pytest.param({"aspect_ratio": "16:9"}, id="unknown-field"),
    ],
)
def test_create_rejects_invalid_bodies_with_400(sim, http, overrides):
    response = create(sim, http, **overrides)
    assert_error_shape(response, 400)
    assert sim.generations == {}
    assert [c.status for c in sim.calls] == [400]


def test_create_rejects_non_json_body(sim, http):
    response = http.post(
        sim.base_url + GENERATION_PATH,
        data=b"not json",
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert_error_shape(response, 400)
    assert sim.generations == {}


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"model": "runway/gen4_turbo", "ratio": "1:1"}, id="gen4-ratio-1:1"),
        pytest.param({"model": "runway/gen4_turbo", "ratio": "21:9"}, id="gen4-ratio-21:9"),
        pytest.param({"ratio": "9:16", "duration": 10}, id="gen3a-9:16-10s"),
        pytest.param({"last_image_url": "data:image/png;base64,AAAA"}, id="gen3a-last-image"),
        pytest.param({"seed": 0}, id="seed-0"),
        pytest.param({"seed": 4_294_967_295}, id="seed-max"),
        pytest.param({"prompt": "x" * 1000}, id="prompt-1000"),
        pytest.param({"prompt": None, "ratio": None}, id="minimal"),
    ],
)
def test_create_accepts_valid_bodies(sim, http, overrides):
    response = create(sim, http, **overrides)
    assert response.status_code == 201, response.text
    assert response.json()["id"] in sim.generations


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Authorization": "Bearer wrong-key"}, id="wrong-key"),
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": f"Basic {API_KEY}"}, id="not-bearer"),
        pytest.param({"Authorization": "Bearer "}, id="empty-bearer"),
    ],
)
def test_create_and_retrieve_reject_bad_credentials_with_401(sim, http, headers):
    response = http.post(sim.base_url + GENERATION_PATH, json=body(), headers=headers, timeout=TIMEOUT)
    payload = assert_error_shape(response, 401)
    assert API_KEY not in response.text and "wrong-key" not in payload["message"]
    assert sim.generations == {}

    gen_id = create(sim, http).json()["id"]
    assert_error_shape(retrieve(sim, http, gen_id, headers=headers), 401)
    assert sim.generations[gen_id].retrieves == 0


def test_any_non_empty_bearer_is_accepted_without_api_key(http):
    with UpstreamSimulator() as open_sim:
        url = open_sim.base_url + GENERATION_PATH
        ok = http.post(url, json=body(), headers={"Authorization": "Bearer x"}, timeout=TIMEOUT)
        assert ok.status_code == 201
        empty = http.post(url, json=body(), headers={"Authorization": "Bearer"}, timeout=TIMEOUT)
        assert_error_shape(empty, 401)


# -- retrieve and progression ---------------------------------------------------------


def test_progression_generating_then_completed_with_alternating_video_shape(sim, http):
    first = create(sim, http).json()["id"]
    second = create(sim, http).json()["id"]

    r1 = retrieve(sim, http, first)
    assert r1.status_code == 200
    assert r1.json() == {
        "id": first,
        "status": "generating",
        "video": None,
        "error": None,
        "meta": LEGACY_USAGE,
    }

    r2 = retrieve(sim, http, first).json()
    assert r2["status"] == "completed"
    assert r2["error"] is None
    assert r2["video"] == [f"{sim.base_url}/files/{first}.mp4"]
    # Terminal states stay put.
    assert retrieve(sim, http, first).json() == r2

    assert retrieve(sim, http, second).json()["status"] == "generating"
    done = retrieve(sim, http, second).json()
    assert done["status"] == "completed"
    assert done["video"] == {"url": f"{sim.base_url}/files/{second}.mp4"}

    gens = sim.generations
    assert (gens[first].status, gens[first].retrieves) == ("completed", 3)
    assert (gens[second].status, gens[second].retrieves) == ("completed", 2)
    assert sim.count("retrieve") == 5
    assert all(
        c.query == {"generation_id": [c.query["generation_id"][0]]} for c in sim.calls if c.kind == "retrieve"
    )


@pytest.mark.parametrize("shape", ["list", "object"])
def test_video_shape_can_be_fixed(sim, http, shape):
    sim.video_shape = shape
    sim.polls_to_complete = 1
    videos = []
    for _ in range(2):
        gen_id = create(sim, http).json()["id"]
        videos.append(retrieve(sim, http, gen_id).json()["video"])
    expected = list if shape == "list" else dict
    assert all(isinstance(v, expected) for v in videos)


def test_polls_to_complete_is_a_live_knob(sim, http):
    sim.polls_to_complete = 3
    gen_id = create(sim, http).json()["id"]
    statuses = [retrieve(sim, http, gen_id).json()["status"] for _ in range(3)]
    assert statuses == ["generating", "generating", "completed"]


def test_seconds_to_complete_mode(sim, http):
    sim.seconds_to_complete = 0.3
    sim.polls_to_complete = 1  # ignored in time mode
    gen_id = create(sim, http).json()["id"]
    assert retrieve(sim, http, gen_id).json()["status"] == "generating"
    assert retrieve(sim, http, gen_id).json()["status"] == "generating"
    time.sleep(0.4)
    done = retrieve(sim, http, gen_id).json()
    assert done["status"] == "completed"
    assert done["video"] == [sim.video_url_for(gen_id)]


def test_a_generations_own_duration_is_honoured_and_its_timeline_recorded(sim, http):
    """A duration set for one generation (the loopback admin route) or drawn from a range
    decides when it completes; the admin route shows when it completed at the provider and
    when the simulator first said so."""
    sim.polls_to_complete = 1  # ignored once a generation has its own duration
    quick, slow = (create(sim, http).json()["id"] for _ in range(2))
    admin = f"{sim.base_url}/_simulator/generations"
    for gen_id, seconds in ((quick, 0.3), (slow, 60)):
        answer = http.put(
            f"{admin}/{quote(gen_id, safe='')}", json={"seconds_to_complete": seconds}, timeout=5
        )
        assert answer.status_code == 200 and answer.json()["seconds_to_complete"] == seconds
    assert retrieve(sim, http, quick).json()["status"] == "generating"
    time.sleep(0.35)
    asked = time.time()
    assert retrieve(sim, http, quick).json()["status"] == "completed"
    assert retrieve(sim, http, slow).json()["status"] == "generating"
    timings = {t["id"]: t for t in http.get(admin, timeout=5).json()["generations"]}
    assert timings[quick]["completes_at"] == pytest.approx(timings[quick]["created_at"] + 0.3)
    assert timings[quick]["completes_at"] <= asked <= timings[quick]["reported_at"] <= time.time()
    assert timings[slow]["reported_at"] is None
    assert http.put(f"{admin}/nope", json={"seconds_to_complete": 1}, timeout=5).status_code == 404
    assert http.put(f"{admin}/{quick}", json={"seconds_to_complete": "1"}, timeout=5).status_code == 400
    assert sim.count("other") == 0  # the admin routes are not provider calls

    sim.seconds_to_complete = (0.2, 0.4)  # a range: each new generation draws its own
    sim.random.seed(7)
    drawn = [create(sim, http).json()["id"] for _ in range(3)]
    seconds = [sim.generations[gen_id].seconds_to_complete for gen_id in drawn]
    assert all(0.2 <= s <= 0.4 for s in seconds) and len(set(seconds)) == 3  # type: ignore[operator]
    assert {retrieve(sim, http, gen_id).json()["status"] for gen_id in drawn} == {"generating"}
    time.sleep(0.45)
    assert {retrieve(sim, http, gen_id).json()["status"] for gen_id in drawn} == {"completed"}


def test_seconds_to_complete_parses_a_number_or_a_range():
    assert parse_seconds("3") == 3.0
    assert parse_seconds(" 30-150 ") == (30.0, 150.0)
    for bad in ("", "-1", "150-30", "a-b", "1-2-3"):
        with pytest.raises(ValueError):
            parse_seconds(bad)


def test_fail_marker_ends_with_error(sim, http):
    gen_id = create(sim, http, prompt="a cat [fail]").json()["id"]
    first = retrieve(sim, http, gen_id).json()
    assert (first["status"], first["error"]) == ("generating", None)
    final = retrieve(sim, http, gen_id).json()
    # The legacy Runway path says what went wrong as a plain string.
    assert final == {
        "id": gen_id,
        "status": "error",
        "video": None,
        "error": MODERATION_ERROR["message"],
        "meta": LEGACY_USAGE,
    }
    assert final["error"] == "Content moderation rejected the prompt"


@pytest.mark.parametrize(
    ("status", "has_video"),
    [
        ("succeeded", True),
        ("completed", True),
        ("failed", False),
        ("cancelled", False),
        ("weird_unknown_status", False),
    ],
)
def test_status_marker_sets_the_literal_final_status(sim, http, status, has_video):
    gen_id = create(sim, http, prompt=f"a dog [status:{status}]").json()["id"]
    assert retrieve(sim, http, gen_id).json()["status"] == "generating"
    final = retrieve(sim, http, gen_id).json()
    assert final["status"] == status
    if has_video:
        assert final["video"] == [sim.video_url_for(gen_id)]
    else:
        assert final["video"] is None
    assert final["error"] is None


def test_retrieve_unknown_id_is_404_and_missing_id_is_400(sim, http):
    unknown = str(uuid.uuid4())
    payload = assert_error_shape(retrieve(sim, http, unknown), 404)
    assert payload["path"].startswith(GENERATION_PATH)
    missing = http.get(sim.base_url + GENERATION_PATH, headers=AUTH, timeout=TIMEOUT)
    assert_error_shape(missing, 400)


def test_unknown_route_is_404_in_error_shape(sim, http):
    response = http.put(sim.base_url + GENERATION_PATH, json={}, headers=AUTH, timeout=TIMEOUT)
    assert_error_shape(response, 404)


# -- fault injection --------------------------------------------------------------------


def test_injected_create_faults_answer_error_shape_with_retry_after_and_create_nothing(sim, http):
    sim.inject("create", 429, count=2, retry_after=7)
    for _ in range(2):
        response = create(sim, http)
        assert_error_shape(response, 429)
        assert response.headers["Retry-After"] == "7"
    assert sim.generations == {}

    ok = create(sim, http)
    assert ok.status_code == 201  # faulted calls don't advance the 201/200 alternation
    assert "Retry-After" not in ok.headers
    assert list(sim.generations) == [ok.json()["id"]]
    assert [(c.status, c.faulted) for c in sim.calls] == [(429, True), (429, True), (201, False)]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 400, 401, 403])
def test_injected_create_statuses(sim, http, status):
    sim.inject("create", status)
    response = create(sim, http)
    assert_error_shape(response, status)
    assert "Retry-After" not in response.headers
    assert sim.generations == {}


def test_injected_retrieve_faults_do_not_advance_progression(sim, http):
    gen_id = create(sim, http).json()["id"]
    sim.inject("retrieve", 503, retry_after=2)
    sim.inject("retrieve", 500)
    first = retrieve(sim, http, gen_id)
    assert_error_shape(first, 503)
    assert first.headers["Retry-After"] == "2"
    assert_error_shape(retrieve(sim, http, gen_id), 500)
    assert sim.generations[gen_id].retrieves == 0
    assert retrieve(sim, http, gen_id).json()["status"] == "generating"
    assert retrieve(sim, http, gen_id).json()["status"] == "completed"


def test_injected_delay_makes_clients_time_out(sim, http):
    gen_id = create(sim, http).json()["id"]
    sim.inject("retrieve", 504, delay=1.0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        retrieve(sim, http, gen_id, timeout=0.2)
    assert time.monotonic() - started < 0.9
    assert sim.generations[gen_id].retrieves == 0


def test_injected_delay_then_answer(sim, http):
    sim.inject("create", 502, delay=0.3)
    started = time.monotonic()
    assert_error_shape(create(sim, http), 502)
    assert time.monotonic() - started >= 0.3


def test_inject_rejects_unknown_kinds(sim):
    with pytest.raises(ValueError):
        sim.inject("delete", 500)


# -- video files --------------------------------------------------------------------------


def completed_video_url(sim, http) -> tuple[str, str]:
    sim.polls_to_complete = 1
    gen_id = create(sim, http).json()["id"]
    video = retrieve(sim, http, gen_id).json()["video"]
    return gen_id, video[0] if isinstance(video, list) else video["url"]


def test_video_bytes_equal_the_sample_file(sim, http):
    gen_id, url = completed_video_url(sim, http)
    response = http.get(url, timeout=TIMEOUT)
    sample = SAMPLE_VIDEO_PATH.read_bytes()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Length"] == str(len(sample))
    assert response.content == sample
    assert sim.video_bytes_for(gen_id) == sample
    assert sim.count("video") == 1


def test_head_answers_headers_only(sim, http):
    _, url = completed_video_url(sim, http)
    response = http.head(url, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(SAMPLE_VIDEO_PATH.stat().st_size)
    assert response.content == b""
    # The keep-alive connection is still usable after a HEAD.
    assert len(http.get(url, timeout=TIMEOUT).content) == SAMPLE_VIDEO_PATH.stat().st_size


def test_video_bytes_override(sim, http):
    sim.video_bytes = os.urandom(300_000)
    gen_id, url = completed_video_url(sim, http)
    assert http.get(url, timeout=TIMEOUT).content == sim.video_bytes
    assert sim.video_bytes_for(gen_id) == sim.video_bytes


def test_video_body_factory_streams_large_bodies(sim, http):
    chunk = b"\x00\x01\x02\x03" * 16_384  # 64 KiB
    chunks = 160  # 10 MiB

    def factory(gen_id: str):
        return len(chunk) * chunks, (chunk for _ in range(chunks))

    sim.video_body_factory = factory
    gen_id, url = completed_video_url(sim, http)
    digest = hashlib.sha256()
    received = 0
    with http.get(url, stream=True, timeout=TIMEOUT) as response:
        assert response.headers["Content-Length"] == str(len(chunk) * chunks)
        for part in response.iter_content(1 << 16):
            digest.update(part)
            received += len(part)
    assert received == len(chunk) * chunks
    assert digest.hexdigest() == hashlib.sha256(sim.video_bytes_for(gen_id)).hexdigest()


def test_truncated_download_fails_to_read_fully(sim, http):
    sim.truncate_video_at = 1000
    _, url = completed_video_url(sim, http)
    received = 0
    declared = None
    with (
        pytest.raises(requests.exceptions.ChunkedEncodingError),
        http.get(url, stream=True, timeout=TIMEOUT) as response,
    ):
        declared = int(response.headers["Content-Length"])
        for part in response.iter_content(256):
            received += len(part)
    assert declared == SAMPLE_VIDEO_PATH.stat().st_size
    # requests hands out whole 256-byte blocks only, so the tail of the 1000 bytes sent is
    # dropped with the error; what matters is that the body never reads as complete.
    assert 0 < received <= 1000 < declared


def test_truncation_really_closes_the_socket(sim, http):
    sim.truncate_video_at = 100
    _, url = completed_video_url(sim, http)
    path = url.removeprefix(sim.base_url)
    host, port = sim.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as raw:
        raw.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        data = b""
        while chunk := raw.recv(65536):  # returns b"" only once the server closes
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    assert f"Content-Length: {SAMPLE_VIDEO_PATH.stat().st_size}".encode() in head
    assert payload == SAMPLE_VIDEO_PATH.read_bytes()[:100]


@pytest.mark.parametrize("status", [403, 404, 410])
def test_video_status_simulates_expired_urls(sim, http, status):
    _, url = completed_video_url(sim, http)
    sim.video_status = status
    payload = assert_error_shape(http.get(url, timeout=TIMEOUT), status)
    assert payload["path"] == url.removeprefix(sim.base_url)


def test_unknown_video_is_404_and_video_faults_inject(sim, http):
    assert_error_shape(http.get(f"{sim.base_url}/files/{uuid.uuid4()}.mp4", timeout=5), 404)
    _, url = completed_video_url(sim, http)
    sim.inject("video", 502, retry_after=1)
    faulted = http.get(url, timeout=TIMEOUT)
    assert_error_shape(faulted, 502)
    assert faulted.headers["Retry-After"] == "1"
    assert http.get(url, timeout=TIMEOUT).status_code == 200


# -- transport behaviour ------------------------------------------------------------------


def test_keep_alive_reuses_one_connection(sim):
    host, port = sim.base_url.removeprefix("http://").split(":")
    conn = HTTPConnection(host, int(port), timeout=TIMEOUT)
    try:
        conn.request("GET", f"{GENERATION_PATH}?generation_id=nope", headers=AUTH)
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        assert first.status == 404 and sock is not None
        conn.request("GET", f"{GENERATION_PATH}?generation_id=nope", headers=AUTH)
        second = conn.getresponse()
        second.read()
        assert second.status == 404
        assert conn.sock is sock
    finally:
        conn.close()


def test_no_request_logs_on_stderr(sim, http, capfd):
    gen_id = create(sim, http).json()["id"]
    retrieve(sim, http, gen_id)
    create(sim, http, model="nope")
    http.get(f"{sim.base_url}/nowhere", headers=AUTH, timeout=TIMEOUT)
    out, err = capfd.readouterr()
    assert err == ""
    assert API_KEY not in out


def test_stop_returns_promptly_with_open_keep_alive_connections(http):
    local_sim = UpstreamSimulator().start()
    http.post(
        local_sim.base_url + GENERATION_PATH,
        json=body(),
        headers={"Authorization": "Bearer x"},
        timeout=TIMEOUT,
    )
    started = time.monotonic()
    local_sim.stop()
    assert time.monotonic() - started < 2
    with pytest.raises(requests.exceptions.ConnectionError):
        http.post(local_sim.base_url + GENERATION_PATH, json=body(), timeout=1)


def test_refuses_non_loopback_hosts():
    with pytest.raises(ValueError):
        UpstreamSimulator(host="0.0.0.0")


def test_cli_prints_base_url_and_serves_until_interrupted():
    proc = subprocess.Popen(
        [sys.executable, "-m", "local.upstream_simulator", "--port", "0", "--api-key", "cli"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        response = requests.post(
            base_url + GENERATION_PATH,
            json=body(),
            headers={"Authorization": "Bearer cli"},
            timeout=TIMEOUT,
        )
        assert response.status_code == 201
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=TIMEOUT) == 0
        assert "cli" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- the whole catalog: the universal pair and the legacy vendor paths ----------------------


def post(sim: UpstreamSimulator, http: requests.Session, path: str, payload: dict):
    return http.post(sim.base_url + path, json=payload, headers=AUTH, timeout=TIMEOUT)


def get(sim: UpstreamSimulator, http: requests.Session, path: str, gen_id: str):
    return http.get(sim.base_url + path, params={"generation_id": gen_id}, headers=AUTH, timeout=TIMEOUT)


def test_universal_pair_answers_in_the_models_family_shape(sim, http):
    sim.polls_to_complete = 1
    created = post(sim, http, UNIVERSAL_PATH, {"model": "veo2", "prompt": "a fox"})
    assert created.status_code == 201
    gen_id = created.json()["id"]
    assert gen_id.endswith(":veo2") and uuid.UUID(gen_id.removesuffix(":veo2"))
    assert created.json()["meta"] == {"usage": {"credits_used": 126_000}}

    done = get(sim, http, UNIVERSAL_PATH, gen_id).json()
    assert done["status"] == "completed"
    assert done["video"] == {
        "url": sim.video_url_for(gen_id),
        "content_type": "video/mp4",
        "file_name": "1.mp4",
        "file_size": SAMPLE_VIDEO_PATH.stat().st_size,
    }
    # An id holding ":" and "/" still names one downloadable file.
    assert http.get(done["video"]["url"], timeout=TIMEOUT).content == SAMPLE_VIDEO_PATH.read_bytes()


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        pytest.param({"model": "no/such-model", "prompt": "x"}, "no/such-model", id="unknown-model"),
        pytest.param(
            {"model": "gen3a_turbo", "image_url": "https://e.com/a.png"}, "not served", id="legacy-only"
        ),
        pytest.param({"model": "veo2"}, "prompt: is required", id="missing-required"),
        pytest.param({"model": "veo2", "prompt": "x", "duration": "8"}, "duration", id="wrong-type"),
    ],
)
def test_universal_pair_rejects_with_400_naming_the_problem(sim, http, payload, named):
    problem = assert_error_shape(post(sim, http, UNIVERSAL_PATH, payload), 400)
    assert named in problem["message"]
    assert sim.generations == {}


def test_legacy_minimax_create_answers_generation_id_only_and_the_service_reads_it(sim, http):
    path = "/v2/generate/video/minimax/generation"
    created = post(sim, http, path, {"model": "video-01", "prompt": "a kite"})
    assert created.status_code == 201
    assert set(created.json()) == {"generation_id"}
    gen_id = created.json()["generation_id"]
    assert gen_id.isdigit()
    assert parse_create(created.json()).id == gen_id
    # The generation is the legacy path's: the universal pair does not know it.
    assert_error_shape(get(sim, http, UNIVERSAL_PATH, gen_id), 404)
    assert get(sim, http, path, gen_id).json()["status"] == "waiting"


def test_succeeded_families_fail_with_failed_and_kling_errors_are_validation_answers(sim, http):
    sim.polls_to_complete = 1
    seedance = post(
        sim, http, UNIVERSAL_PATH, {"model": "bytedance/seedance-1-0-lite-t2v", "prompt": "a [fail]"}
    )
    failed = get(sim, http, UNIVERSAL_PATH, seedance.json()["id"]).json()
    assert (failed["status"], failed["error"]) == ("failed", MODERATION_ERROR)

    sim.fail_next()
    kling = post(
        sim, http, UNIVERSAL_PATH, {"model": "kling-video/v1/standard/text-to-video", "prompt": "sea"}
    )
    error = get(sim, http, UNIVERSAL_PATH, kling.json()["id"]).json()["error"]
    assert error == {
        "detail": [{"loc": ["body", "prompt"], "msg": MODERATION_ERROR["message"], "type": "value_error"}]
    }
