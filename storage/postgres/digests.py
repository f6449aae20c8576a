"""PostgreSQL digest subscriptions (one per channel) and their per-occurrence delivery log.

Background jobs are claimed here (and in feeds.py) with our own leases instead of a queue
library such as procrastinate or pgqueuer: every job already is a row with its due time — the
subscription, the feed, the live channel — so claiming is one `UPDATE … WHERE id IN (SELECT …
FOR UPDATE SKIP LOCKED)` on that row, and the same Protocol method runs on SQLite too. A queue
would copy each schedule into a second table and keep the two in step.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import asyncpg

from bot.domain.digests import ChannelKind, DigestDelivery, DigestSubscription
from storage.postgres.database import PostgresDatabase, aware, optional_utc, utc

log = logging.getLogger(__name__)

_SUBSCRIPTION_COLUMNS = (
    "id, guild_id, channel_id, local_time, timezone, topic, country, quiet, created_by,"
    " created_at, next_due_at, last_digest_until, last_sent_at, paused_reason, paused_at,"
    " channel_kind"
)
_DELIVERY_COLUMNS = (
    "subscription_id, local_date, status, nonce, due_at, started_at, finished_at, message_id,"
    " detail"
)


def _subscription(row: asyncpg.Record) -> DigestSubscription:
    return DigestSubscription(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        local_time=row["local_time"],
        timezone=row["timezone"],
        topic=row["topic"],
        country=row["country"],
        quiet=row["quiet"],
        created_by=row["created_by"],
        created_at=utc(row["created_at"]),
        next_due_at=utc(row["next_due_at"]),
        last_digest_until=optional_utc(row["last_digest_until"]),
        last_sent_at=optional_utc(row["last_sent_at"]),
        paused_reason=row["paused_reason"],
        paused_at=optional_utc(row["paused_at"]),
        channel_kind=row["channel_kind"],
    )


def _delivery(row: asyncpg.Record) -> DigestDelivery:
    return DigestDelivery(
        subscription_id=row["subscription_id"],
        local_date=row["local_date"],
        status=row["status"],
        nonce=row["nonce"],
        due_at=utc(row["due_at"]),
        started_at=utc(row["started_at"]),
        finished_at=optional_utc(row["finished_at"]),
        message_id=row["message_id"],
        detail=row["detail"],
    )


def _changed(status: str) -> bool:
    """Whether an UPDATE/DELETE status tag ("UPDATE 1") says a row changed."""
    return not status.endswith(" 0")


class PostgresDigests:
    """The DigestRepository of the PostgreSQL backend."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    async def subscribe(
        self,
        guild_id: int,
        channel_id: int,
        *,
        local_time: str,
        timezone: str,
        topic: str | None,
        country: str | None,
        quiet: bool,
        created_by: int | None,
        next_due_at: datetime,
        now: datetime,
        channel_kind: ChannelKind = "text",
    ) -> DigestSubscription:
        async with self._db.writing() as conn:
            row = await conn.fetchrow(
                "INSERT INTO digest_subscriptions (guild_id, channel_id, local_time, timezone,"
                " topic, country, quiet, created_by, created_at, next_due_at, channel_kind)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                " ON CONFLICT (guild_id, channel_id) DO UPDATE SET"
                " local_time = excluded.local_time, timezone = excluded.timezone,"
                " topic = excluded.topic, country = excluded.country, quiet = excluded.quiet,"
                " next_due_at = excluded.next_due_at, paused_reason = NULL, paused_at = NULL,"
                " channel_kind = excluded.channel_kind"
                f" RETURNING {_SUBSCRIPTION_COLUMNS}",
                guild_id,
                channel_id,
                local_time,
                timezone,
                topic,
                country,
                quiet,
                created_by,
                aware(now),
                aware(next_due_at),
                channel_kind,
            )
        log.info("digest subscription for channel %d in guild %d", channel_id, guild_id)
        return _subscription(row)

    async def unsubscribe(self, guild_id: int, channel_id: int) -> bool:
        async with self._db.writing() as conn:
            status = await conn.execute(
                "DELETE FROM digest_subscriptions WHERE guild_id = $1 AND channel_id = $2",
                guild_id,
                channel_id,
            )
        return _changed(status)

    async def subscription(self, guild_id: int, channel_id: int) -> DigestSubscription | None:
        async with self._db.reading() as conn:
            row = await conn.fetchrow(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM digest_subscriptions"
                " WHERE guild_id = $1 AND channel_id = $2",
                guild_id,
                channel_id,
            )
        return _subscription(row) if row else None

    async def subscriptions(self, guild_id: int) -> list[DigestSubscription]:
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM digest_subscriptions WHERE guild_id = $1"
                " ORDER BY channel_id",
                guild_id,
            )
        return [_subscription(row) for row in rows]

    async def due(self, now: datetime, *, limit: int = 100_000) -> list[DigestSubscription]:
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM digest_subscriptions"
                " WHERE paused_reason IS NULL AND next_due_at <= $1"
                " ORDER BY next_due_at, id LIMIT $2",
                aware(now),
                max(limit, 0),
            )
        return [_subscription(row) for row in rows]

    async def next_due(self) -> datetime | None:
        async with self._db.reading() as conn:
            found = await conn.fetchval(
                "SELECT min(next_due_at) FROM digest_subscriptions WHERE paused_reason IS NULL"
            )
        return optional_utc(found)

    async def delivery(
        self, guild_id: int, subscription_id: int, local_date: str
    ) -> DigestDelivery | None:
        async with self._db.reading() as conn:
            return await _get_delivery(conn, guild_id, subscription_id, local_date)

    async def begin_delivery(
        self,
        guild_id: int,
        subscription_id: int,
        local_date: str,
        *,
        nonce: str,
        due_at: datetime,
        now: datetime,
    ) -> DigestDelivery | None:
        async with self._db.writing() as conn:
            exists = await conn.fetchval(
                "SELECT 1 FROM digest_subscriptions WHERE id = $1 AND guild_id = $2",
                subscription_id,
                guild_id,
            )
            if exists is None:
                return None
            await conn.execute(
                "INSERT INTO digest_deliveries (subscription_id, local_date, status, nonce,"
                " due_at, started_at) VALUES ($1, $2, 'sending', $3, $4, $5)"
                " ON CONFLICT (subscription_id, local_date) DO UPDATE SET status = 'sending',"
                " nonce = excluded.nonce, started_at = excluded.started_at,"
                " finished_at = NULL, detail = NULL WHERE digest_deliveries.status = 'failed'",
                subscription_id,
                local_date,
                nonce,
                aware(due_at),
                aware(now),
            )
            return await _get_delivery(conn, guild_id, subscription_id, local_date)

    async def mark_sent(
        self,
        guild_id: int,
        subscription_id: int,
        local_date: str,
        *,
        message_id: int | None,
        covered_until: datetime,
        next_due_at: datetime,
        now: datetime,
    ) -> bool:
        status = "sent" if message_id is not None else "quiet"
        async with self._db.writing() as conn:
            changed = await conn.execute(
                "UPDATE digest_subscriptions SET next_due_at = $1, last_digest_until = $2,"
                " last_sent_at = CASE WHEN $3::bigint IS NULL THEN last_sent_at ELSE $4 END"
                " WHERE id = $5 AND guild_id = $6",
                aware(next_due_at),
                aware(covered_until),
                message_id,
                aware(now),
                subscription_id,
                guild_id,
            )
            if not _changed(changed):
                return False
            await _finish_delivery(
                conn, subscription_id, local_date, status, now, message_id=message_id
            )
        return True

    async def skip(
        self,
        guild_id: int,
        subscription_id: int,
        local_date: str,
        *,
        nonce: str,
        due_at: datetime,
        reason: str,
        next_due_at: datetime,
        now: datetime,
    ) -> bool:
        async with self._db.writing() as conn:
            changed = await conn.execute(
                "UPDATE digest_subscriptions SET next_due_at = $1 WHERE id = $2 AND guild_id = $3",
                aware(next_due_at),
                subscription_id,
                guild_id,
            )
            if not _changed(changed):
                return False
            await conn.execute(
                "INSERT INTO digest_deliveries (subscription_id, local_date, status, nonce,"
                " due_at, started_at) VALUES ($1, $2, 'skipped', $3, $4, $5)"
                " ON CONFLICT (subscription_id, local_date) DO NOTHING",
                subscription_id,
                local_date,
                nonce,
                aware(due_at),
                aware(now),
            )
            await _finish_delivery(conn, subscription_id, local_date, "skipped", now, detail=reason)
        return True

    async def pause(
        self, guild_id: int, subscription_id: int, local_date: str, *, reason: str, now: datetime
    ) -> bool:
        async with self._db.writing() as conn:
            changed = await conn.execute(
                "UPDATE digest_subscriptions SET paused_reason = $1, paused_at = $2"
                " WHERE id = $3 AND guild_id = $4",
                reason,
                aware(now),
                subscription_id,
                guild_id,
            )
            if not _changed(changed):
                return False
            await _finish_delivery(conn, subscription_id, local_date, "failed", now, detail=reason)
        log.info("paused digest %d in guild %d: %s", subscription_id, guild_id, reason)
        return True

    async def reschedule(
        self, guild_id: int, subscription_id: int, *, next_due_at: datetime
    ) -> bool:
        async with self._db.writing() as conn:
            changed = await conn.execute(
                "UPDATE digest_subscriptions SET next_due_at = $1 WHERE id = $2 AND guild_id = $3",
                aware(next_due_at),
                subscription_id,
                guild_id,
            )
        return _changed(changed)

    async def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[DigestSubscription]:
        """Claim due subscriptions; SKIP LOCKED lets processes claim disjoint rows at once."""
        async with self._db.writing() as conn:
            rows = await conn.fetch(
                "UPDATE digest_subscriptions SET lease_owner = $1, lease_until = $2"
                " WHERE id IN (SELECT id FROM digest_subscriptions"
                "  WHERE paused_reason IS NULL AND next_due_at <= $3"
                "  AND (lease_until IS NULL OR lease_until <= $3)"
                "  ORDER BY next_due_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)"
                f" RETURNING {_SUBSCRIPTION_COLUMNS}",
                owner,
                aware(now) + lease,
                now,
                max(limit, 0),
            )
        return sorted((_subscription(row) for row in rows), key=lambda s: (s.next_due_at, s.id))

    async def release(
        self, subscription_id: int, *, owner: str, not_before: datetime | None = None
    ) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE digest_subscriptions SET lease_owner = NULL, lease_until = $1"
                " WHERE id = $2 AND lease_owner = $3",
                aware(not_before) if not_before else None,
                subscription_id,
                owner,
            )


async def _get_delivery(
    conn: asyncpg.Connection, guild_id: int, subscription_id: int, local_date: str
) -> DigestDelivery | None:
    row = await conn.fetchrow(
        f"SELECT {_DELIVERY_COLUMNS} FROM digest_deliveries WHERE subscription_id = $1"
        " AND local_date = $2 AND subscription_id IN"
        " (SELECT id FROM digest_subscriptions WHERE guild_id = $3)",
        subscription_id,
        local_date,
        guild_id,
    )
    return _delivery(row) if row else None


async def _finish_delivery(
    conn: asyncpg.Connection,
    subscription_id: int,
    local_date: str,
    status: str,
    now: datetime,
    *,
    message_id: int | None = None,
    detail: str | None = None,
) -> None:
    await conn.execute(
        "UPDATE digest_deliveries SET status = $1, finished_at = $2, message_id = $3, detail = $4"
        " WHERE subscription_id = $5 AND local_date = $6",
        status,
        aware(now),
        message_id,
        detail,
        subscription_id,
        local_date,
    )
