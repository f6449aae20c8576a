"""A time range [since, until): what every briefing, relation and digest reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain.errors import UserFacingError
from bot.domain.limits import MAX_DAYS, MIN_DAYS


def require_aware(moment: datetime) -> None:
    """Refuse naive datetimes: every time here is timezone-aware."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware time")


@dataclass(frozen=True)
class Window:
    """Articles added at or after `since` and before `until` (both aware, kept in UTC)."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        require_aware(self.since)
        require_aware(self.until)
        if self.since > self.until:
            raise ValueError(f"window starts after it ends: {self.since} > {self.until}")
        object.__setattr__(self, "since", self.since.astimezone(UTC))
        object.__setattr__(self, "until", self.until.astimezone(UTC))

    @classmethod
    def last_days(cls, days: int, now: datetime) -> Window:
        """The `days` days up to `now`; days outside the allowed range are the user's error."""
        if not MIN_DAYS <= days <= MAX_DAYS:
            raise UserFacingError(f"Days must be between {MIN_DAYS} and {MAX_DAYS}.")
        require_aware(now)
        return cls(now - timedelta(days=days), now)

    @property
    def length(self) -> timedelta:
        """How long the window is."""
        return self.until - self.since

    @property
    def days(self) -> int:
        """The window's length in whole days, at least 1 (for labels such as "last 3 days")."""
        return max(1, round(self.length.total_seconds() / 86400))

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.since <= moment < self.until
