"""Time-of-day travel-time factors (simple congestion model)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TimeBand", "TimeOfDayProfile", "DEFAULT_TIME_BANDS"]

DAY_S = 86_400


def _hm(h: int, m: int = 0) -> int:
    return h * 3600 + m * 60


@dataclass(frozen=True)
class TimeBand:
    """Travel times are multiplied by ``factor`` for departures in [start_s, end_s) (seconds since midnight)."""

    start_s: int
    end_s: int
    factor: float
    label: str = ""

    def __post_init__(self) -> None:
        if not (0 <= self.start_s < self.end_s <= DAY_S):
            raise ValueError(
                f"time band {self.label or ''!s} [{self.start_s}, {self.end_s}) must satisfy "
                f"0 <= start < end <= 86400 (split bands that wrap around midnight in two)"
            )
        if not self.factor > 0:
            raise ValueError(f"time band {self.label!r}: factor must be > 0, got {self.factor}")


# Default Paris profile. Free-flow travel times come from the graph (speed limits x van factor);
# these factors add congestion. Times outside every band use ``base_factor`` (1.0).
DEFAULT_TIME_BANDS: tuple[TimeBand, ...] = (
    TimeBand(_hm(0), _hm(6, 30), 0.85, "night"),
    TimeBand(_hm(7, 30), _hm(9, 30), 1.30, "morning rush"),
    TimeBand(_hm(16, 30), _hm(19, 30), 1.35, "evening rush"),
    TimeBand(_hm(21), DAY_S, 0.85, "night"),
)


@dataclass(frozen=True)
class TimeOfDayProfile:
    """Multiplicative travel-time factors by hour band.

    ``factor_at(t)`` returns the factor of the first band containing ``t`` (seconds since
    midnight, taken modulo 24 h), else ``base_factor``. Bands must not overlap.
    """

    bands: tuple[TimeBand, ...] = DEFAULT_TIME_BANDS
    base_factor: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "bands", tuple(sorted(self.bands, key=lambda b: b.start_s)))
        if not self.base_factor > 0:
            raise ValueError(f"base_factor must be > 0, got {self.base_factor}")
        for a, b in zip(self.bands, self.bands[1:]):
            if b.start_s < a.end_s:
                raise ValueError(f"time bands {a.label!r} and {b.label!r} overlap")

    @classmethod
    def default(cls) -> TimeOfDayProfile:
        return cls()

    @classmethod
    def flat(cls, factor: float = 1.0) -> TimeOfDayProfile:
        """A profile with no bands: every departure time uses ``factor``."""
        return cls(bands=(), base_factor=factor)

    def factor_at(self, seconds_since_midnight: int | float) -> float:
        t = seconds_since_midnight % DAY_S
        for band in self.bands:
            if band.start_s <= t < band.end_s:
                return band.factor
        return self.base_factor

    def mean_factor(self, start_s: int, end_s: int) -> float:
        """The time-weighted mean factor over [start_s, end_s): one factor for a whole working day.

        The solver takes one travel-time matrix per day, so a day from 08:00 to 16:00 uses the mean
        of its bands (morning rush included) rather than the free-flow times.
        """
        if end_s <= start_s:
            return self.factor_at(start_s)
        cuts = sorted({start_s, end_s, *(b.start_s for b in self.bands if start_s < b.start_s < end_s),
                       *(b.end_s for b in self.bands if start_s < b.end_s < end_s)})
        total = sum((b - a) * self.factor_at(a) for a, b in zip(cuts, cuts[1:]))
        return total / (end_s - start_s)

    def signature(self) -> str:
        """Stable text used in the network fingerprint."""
        parts = [f"{b.start_s}-{b.end_s}:{b.factor!r}" for b in self.bands]
        return f"base={self.base_factor!r};" + ",".join(parts)
