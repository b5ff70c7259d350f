"""Invariant 4: a video's copy uses memory independent of its size.

For each size, a fresh process copies a video of that size from the upstream simulator into
S3 (moto's server, in this parent process) with the production ``S3VideoStore``, and reports
its peak resident memory. If the copy buffered the file, the peak would grow with the size.

    .venv/bin/python -m benchmarks.copy_memory [sizes in MiB, default 16 64 256 1024]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

MIB = 1024 * 1024
CHUNK = bytes(range(256)) * 4096  # 1 MiB of a repeating pattern


def child(endpoint: str, video_url: str, size: int) -> None:
    """Runs in the measured process: set up, note the baseline, copy, note the peak."""
    import boto3
    import requests

    from videohook.adapters.videos import S3VideoStore

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    store = S3VideoStore(
        s3_client=s3,
        bucket="bench",
        http=requests.Session(),
        download_timeout_seconds=60,
        allow_plain_http=True,
    )
    baseline = peak_rss_kib()
    started = time.perf_counter()
    video = store.copy_from_url(video_url, f"videos/{size}.mp4", {"job-id": "bench"})
    elapsed = time.perf_counter() - started
    peak = peak_rss_kib()
    assert video.size == size, (video.size, size)
    print(json.dumps({"size": size, "baseline_kib": baseline, "peak_kib": peak, "seconds": elapsed}))


def peak_rss_kib() -> int:
    """This process's own high-water mark (VmHWM). Not ``ru_maxrss``: Linux carries that
    over from the parent through fork and exec, and the parent holds moto's copy of S3."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def body(size: int) -> tuple[int, Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        left = size
        while left > 0:
            piece = CHUNK[: min(left, len(CHUNK))]
            left -= len(piece)
            yield piece

    return size, chunks()


def main(sizes_mib: list[int]) -> None:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from local.upstream_simulator import UpstreamSimulator

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="bench")
    print(f"{'video':>9} {'peak RSS':>10} {'RSS added by the copy':>22} {'time':>8} {'throughput':>11}")
    with UpstreamSimulator(polls_to_complete=1) as simulator:
        for size_mib in sizes_mib:
            size = size_mib * MIB
            simulator.video_body_factory = lambda _id, size=size: body(size)
            created = simulator_create(simulator)
            answer = subprocess.run(
                [sys.executable, __file__, "--child", endpoint, simulator.video_url_for(created), str(size)],
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(answer.stdout.strip().splitlines()[-1])
            added = (row["peak_kib"] - row["baseline_kib"]) / 1024
            print(
                f"{size_mib:>6} MiB {row['peak_kib'] / 1024:>6.0f} MiB {added:>18.0f} MiB "
                f"{row['seconds']:>7.1f}s {size_mib / row['seconds']:>7.0f} MiB/s"
            )
    server.stop()


def simulator_create(simulator) -> str:
    import requests

    answer = requests.post(
        f"{simulator.base_url}/v2/generate/video/runway/generation",
        json={"model": "gen3a_turbo", "image_url": "https://example.com/a.png"},
        headers={"Authorization": "Bearer bench"},
        timeout=10,
    )
    return answer.json()["id"]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main([int(arg) for arg in sys.argv[1:]] or [16, 64, 256, 1024])
