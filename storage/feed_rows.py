"""Feed and subscription rows as domain values, the same for both backends.

The two backends select the same columns under the same names and differ only in how a stored
time reads back (SQLite: ISO text; PostgreSQL: timestamptz), so each passes its own reader.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from bot.domain.feeds import Feed, FeedSubscription

FEED_COLUMNS = (
    "f.id, f.url, f.title, f.site_url, f.etag, f.last_modified, f.ttl_s, f.created_at,"
    " f.next_fetch_at, f.last_fetched_at, f.last_ok_at, f.failures, f.failing_since,"
    " f.last_error, f.paused_at, f.paused_reason, f.baselined"
)
SUBSCRIPTION_COLUMNS = (
    "s.id AS sub_id, s.guild_id, s.feed_id, s.live_channel_id, s.topic, s.country,"
    " s.created_by, s.created_at AS sub_created_at, s.baseline_done, s.items_stored"
)


class Row(Protocol):
    """A result row read by column name (aiosqlite.Row and asyncpg.Record both are)."""

    def __getitem__(self, key: str) -> Any: ...


TimeReader = Callable[[Any], datetime]


def feed_from_row(row: Row, time: TimeReader) -> Feed:
    """A FEED_COLUMNS row as a Feed; `time` reads a stored (non-NULL) time back."""

    def optional(value: Any) -> datetime | None:
        return time(value) if value is not None else None

    return Feed(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        site_url=row["site_url"],
        created_at=time(row["created_at"]),
        next_fetch_at=time(row["next_fetch_at"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        ttl_s=row["ttl_s"],
        last_fetched_at=optional(row["last_fetched_at"]),
        last_ok_at=optional(row["last_ok_at"]),
        failures=row["failures"],
        failing_since=optional(row["failing_since"]),
        last_error=row["last_error"],
        paused_at=optional(row["paused_at"]),
        paused_reason=row["paused_reason"],
        baselined=bool(row["baselined"]),
    )


def subscription_from_row(row: Row, time: TimeReader) -> FeedSubscription:
    """A SUBSCRIPTION_COLUMNS row as a FeedSubscription."""
    return FeedSubscription(
        id=row["sub_id"],
        scope=row["guild_id"],
        feed_id=row["feed_id"],
        created_at=time(row["sub_created_at"]),
        live_channel_id=row["live_channel_id"],
        topic=row["topic"],
        country=row["country"],
        created_by=row["created_by"],
        baseline_done=bool(row["baseline_done"]),
        items_stored=row["items_stored"],
    )
