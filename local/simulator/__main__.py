"""``python -m local.simulator`` (also ``python -m local.upstream_simulator``, ``make
simulator``): serve the simulator alone until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from local.simulator.contract import ID_FIELDS, VIDEO_SHAPES
from local.simulator.simulator import UpstreamSimulator, parse_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.simulator",
        description="Serve a simulator of the AI/ML API video endpoints on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8089, help="port (0: any free port)")
    parser.add_argument("--api-key", default=None, help="required bearer (default: any)")
    parser.add_argument("--polls-to-complete", type=int, default=2)
    parser.add_argument(
        "--seconds-to-complete",
        type=parse_seconds,
        default=None,
        help="complete generations after this many seconds (or a range, 30-150, drawn per "
        "generation) instead of after N polls",
    )
    parser.add_argument(
        "--video-shape", choices=VIDEO_SHAPES, default=None, help="for every family (default: its own)"
    )
    parser.add_argument(
        "--id-field", choices=ID_FIELDS, default=None, help="for every family (default: its own)"
    )
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
