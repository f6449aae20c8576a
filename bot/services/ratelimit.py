"""Sliding-window rate limits for link auto-summaries (time injected, so tests need no sleeping)."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Hashable

Monotonic = Callable[[], float]


class SlidingWindowLimiter:
    """At most `limit` events per key in any `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = defaultdict(deque)

    def _prune(self, key: Hashable, now: float) -> deque[float]:
        events = self._events[key]
        while events and now - events[0] >= self.window:
            events.popleft()
        return events

    def remaining(self, key: Hashable) -> int:
        return self.limit - len(self._prune(key, self._clock()))

    def try_acquire(self, key: Hashable, count: int = 1) -> int:
        """Take up to `count` slots for `key`; returns how many were granted."""
        now = self._clock()
        events = self._prune(key, now)
        granted = max(0, min(count, self.limit - len(events)))
        events.extend([now] * granted)
        if not events:
            del self._events[key]
        return granted
