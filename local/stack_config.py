"""What ``make run`` is told: its settings from the environment, with the development
defaults that let a newcomer run it with none set."""

from __future__ import annotations

import os
from dataclasses import dataclass

from local.simulator.simulator import parse_seconds

DEFAULT_API_KEY = "local-dev-key"
# A fixed development secret so receivers (and `make demo`) can verify without setup.
DEFAULT_WEBHOOK_SECRET = "whsec_bG9jYWwtdmlkZW9ob29rLXNpZ25pbmctc2VjcmV0"
DEFAULT_UPSTREAM_KEY = "local-upstream-key"
# What boto3 needs to talk to moto; moto accepts any credentials.
LOCAL_AWS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
}


@dataclass(frozen=True)
class StackConfig:
    port: int
    api_keys: list[str]
    webhook_secret: str
    aimlapi_base_url: str | None
    aimlapi_api_key: str
    poll_interval_seconds: float
    callback_retry_delays: str
    moto_port: int
    simulator_port: int
    # A number, or a (shortest, longest) range each generation draws its duration from.
    simulator_seconds_to_complete: float | tuple[float, float]
    # 0.0.0.0 lets `sam local invoke`'s containers reach moto and the simulator.
    bind_host: str = "127.0.0.1"

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> StackConfig:
        env = dict(os.environ if environ is None else environ)
        return cls(
            port=int(env.get("VIDEOHOOK_PORT", "3000")),
            api_keys=[
                k.strip() for k in env.get("VIDEOHOOK_API_KEY", DEFAULT_API_KEY).split(",") if k.strip()
            ],
            webhook_secret=env.get("WEBHOOK_SECRET", DEFAULT_WEBHOOK_SECRET),
            aimlapi_base_url=env.get("AIMLAPI_BASE_URL") or None,
            aimlapi_api_key=env.get("AIMLAPI_API_KEY", DEFAULT_UPSTREAM_KEY),
            poll_interval_seconds=float(env.get("POLL_INTERVAL_SECONDS", "2")),
            callback_retry_delays=env.get("CALLBACK_RETRY_DELAYS", "2,5,10"),
            moto_port=int(env.get("VIDEOHOOK_MOTO_PORT", "0")),
            simulator_port=int(env.get("VIDEOHOOK_SIMULATOR_PORT", "0")),
            simulator_seconds_to_complete=parse_seconds(env.get("VIDEOHOOK_SIMULATOR_SECONDS", "3")),
            bind_host=env.get("VIDEOHOOK_BIND_HOST", "127.0.0.1"),
        )


class PortTaken(RuntimeError):
    """A port the stack was told to use is taken; ``variable`` is the setting that chose it."""

    def __init__(self, variable: str, port: int) -> None:
        super().__init__(
            f"port {port} is already in use (another `make run`?); set {variable} to a free port"
        )
        self.variable = variable


def masked(secret: str) -> str:
    return f"{secret[:6]}...({len(secret)} chars)" if secret else "(empty)"
