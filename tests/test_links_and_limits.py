"""Links found in chat, and the auto-summary rate limiter."""

from __future__ import annotations

from bot.domain.links import find_links
from bot.services.ratelimit import SlidingWindowLimiter


def test_find_links_order_dedupe_limit_and_skips() -> None:
    text = (
        "see https://example.com/a-b_(c), and <https://x.org/news?id=1>. also "
        "https://cdn.discordapp.com/x.png https://example.com/a-b_(c) https://b.com/1 https://c.com/2"
    )
    assert find_links(text) == [
        "https://example.com/a-b_(c)",
        "https://x.org/news?id=1",
        "https://b.com/1",
    ]
    assert find_links("(https://example.com/story).") == ["https://example.com/story"]
    assert find_links("https://discord.com/channels/1/2 and https://example.org/x.pdf") == []
    assert find_links("no links at all") == []


def test_sliding_window_limits_per_key_and_recovers() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(limit=3, window=60.0, clock=lambda: now[0])
    assert limiter.try_acquire("alice", 2) == 2
    assert limiter.try_acquire("alice", 2) == 1
    assert limiter.try_acquire("alice") == 0
    assert limiter.try_acquire("bob", 3) == 3
    now[0] = 59.9
    assert limiter.remaining("alice") == 0
    now[0] = 60.0
    assert limiter.remaining("alice") == 3
