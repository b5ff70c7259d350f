"""The upstream simulator's former home, kept so ``python -m local.upstream_simulator``
(``make simulator``) and existing imports keep working; the code is in ``local.simulator``."""

import sys

from local.simulator import (
    FAULT_KINDS,
    GENERATION_PATH,
    MODEL_RATIOS,
    MODERATION_ERROR,
    SAMPLE_VIDEO_PATH,
    Call,
    Generation,
    RequestHeaders,
    UpstreamSimulator,
    main,
    validate_create_body,
)

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

if __name__ == "__main__":
    sys.exit(main())
