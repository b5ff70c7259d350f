"""How often a job is checked and how long it may take, per model.

The catalog gives each model its timing (a Hailuo job takes minutes, a Sora one under one);
the deployment may scale the checking pace (0: check at every tick, as the local stack and
the tests do) but not the age limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from videohook.catalog import Catalog, Timing


@dataclass(frozen=True)
class Pacing:
    catalog: Catalog
    # Multiplies first-check delays and check intervals; never the age limit.
    scale: float
    # For a job whose model has since left the catalog.
    fallback: Timing
    # The longest wait between two checks once the first is done, whatever the catalog
    # says: it bounds how late a finished generation is noticed.
    max_interval_seconds: float = float("inf")

    def timing(self, model: str) -> Timing:
        spec = self.catalog.get(model)
        return spec.timing if spec is not None else self.fallback

    def first_check_delay(self, model: str) -> int:
        return round(self.timing(model).first_check_delay_seconds * self.scale)

    def next_check_delay(self, model: str, poll_count: int) -> float:
        """A young job is checked often, an old one less, so each sweep spends its upstream
        calls where a change is likely; never less often than ``max_interval_seconds``."""
        timing = self.timing(model)
        interval = timing.min_check_interval_seconds * 2 ** min(poll_count, 10)
        return min(min(timing.max_check_interval_seconds, interval) * self.scale, self.max_interval_seconds)

    def max_age_seconds(self, model: str) -> int:
        return self.timing(model).max_age_seconds
