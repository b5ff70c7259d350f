"""The upstream simulator's former home, kept so ``python -m local.upstream_simulator``
(``make simulator``) and existing imports keep working; the code is in ``local.simulator``."""

import sys

from local.simulator import *  # noqa: F403 - this module re-exports the package, all of it
from local.simulator import __all__, main  # noqa: F401 - __all__ says what that is

if __name__ == "__main__":
    sys.exit(main())
