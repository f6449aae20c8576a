"""SQLite digest subscriptions (one per channel) and their per-occurrence delivery log."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.domain.digests import ChannelKind, DigestDelivery, DigestSubscription
from storage.sqlite.database import SqliteDatabase, format_time, optional_time, parse_time

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


class SqliteDigests:
    """The DigestRepository of the SQLite backend."""

    def __init__(self, database: SqliteDatabase) -> None:
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
        """Subscribe a channel, or change its subscription; a paused one starts again.

        Re-subscribing keeps the subscription's id, delivery log and the end of the last
        digest's window, so the next digest still covers only what is new.
        """
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO digest_subscriptions (guild_id, channel_id, local_time, timezone,"
                " topic, country, quiet, created_by, created_at, next_due_at, channel_kind)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id, channel_id) DO UPDATE SET"
                " local_time = excluded.local_time, timezone = excluded.timezone,"
                " topic = excluded.topic, country = excluded.country, quiet = excluded.quiet,"
                " next_due_at = excluded.next_due_at, paused_reason = NULL, paused_at = NULL,"
                " channel_kind = excluded.channel_kind",
                (
                    guild_id,
                    channel_id,
                    local_time,
                    timezone,
                    topic,
                    country,
                    int(quiet),
                    created_by,
                    format_time(now),
                    format_time(next_due_at),
                    channel_kind,
                ),
            )
            subscriptions = await _select_subscriptions(
                conn, "WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
            )
        log.info("digest subscription for channel %d in guild %d", channel_id, guild_id)
        return subscriptions[0]

    async def unsubscribe(self, guild_id: int, channel_id: int) -> bool:
        """Stop a channel's digest (its delivery log goes with it); False if it had none."""
        async with self._db.writing() as conn:
            cursor = await conn.execute(
                "DELETE FROM digest_subscriptions WHERE guild_id = ? AND channel_id = ?",
                (guild_id, channel_id),
            )
            return cursor.rowcount > 0

    async def subscription(self, guild_id: int, channel_id: int) -> DigestSubscription | None:
        """The channel's subscription, paused or not, or None."""
        async with self._db.reading() as conn:
            found = await _select_subscriptions(
                conn, "WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
            )
        return found[0] if found else None

    async def subscriptions(self, guild_id: int) -> list[DigestSubscription]:
        """The guild's subscriptions, paused ones included, in channel order."""
        async with self._db.reading() as conn:
            return await _select_subscriptions(
                conn, "WHERE guild_id = ? ORDER BY channel_id", (guild_id,)
            )

    async def due(self, now: datetime, *, limit: int = 100_000) -> list[DigestSubscription]:
        async with self._db.reading() as conn:
            return await _select_subscriptions(
                conn,
                "WHERE paused_reason IS NULL AND next_due_at <= ? ORDER BY next_due_at, id LIMIT ?",
                (format_time(now), max(limit, 0)),
            )

    async def next_due(self) -> datetime | None:
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT min(next_due_at) AS next_due FROM digest_subscriptions"
                " WHERE paused_reason IS NULL"
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return parse_time(row["next_due"]) if row and row["next_due"] else None

    async def delivery(
        self, guild_id: int, subscription_id: int, local_date: str
    ) -> DigestDelivery | None:
        """How far one occurrence of the guild's subscription got, or None if never tried."""
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
        """Record that an occurrence is being sent, before asking Discord; None if unsubscribed.

        An occurrence already begun or finished is returned as it is (the caller decides from
        its status and start time); one that failed is begun again.
        """
        async with self._db.writing() as conn:
            async with conn.execute(
                "SELECT 1 FROM digest_subscriptions WHERE id = ? AND guild_id = ?",
                (subscription_id, guild_id),
            ) as cursor:
                if await cursor.fetchone() is None:
                    return None
            await conn.execute(
                "INSERT INTO digest_deliveries (subscription_id, local_date, status, nonce,"
                " due_at, started_at) VALUES (?, ?, 'sending', ?, ?, ?)"
                " ON CONFLICT (subscription_id, local_date) DO UPDATE SET status = 'sending',"
                " nonce = excluded.nonce, started_at = excluded.started_at,"
                " finished_at = NULL, detail = NULL WHERE status = 'failed'",
                (subscription_id, local_date, nonce, format_time(due_at), format_time(now)),
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
        """Record an occurrence Discord accepted (message_id None: nothing to post) and move on.

        One transaction: the delivery row, the end of the window the digest covered, and the
        next occurrence. Call it only after Discord accepted the message.
        """
        status = "sent" if message_id is not None else "quiet"
        async with self._db.writing() as conn:
            cursor = await conn.execute(
                "UPDATE digest_subscriptions SET next_due_at = ?, last_digest_until = ?,"
                " last_sent_at = CASE WHEN ? IS NULL THEN last_sent_at ELSE ? END"
                " WHERE id = ? AND guild_id = ?",
                (
                    format_time(next_due_at),
                    format_time(covered_until),
                    message_id,
                    format_time(now),
                    subscription_id,
                    guild_id,
                ),
            )
            if cursor.rowcount == 0:
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
        """Give up one occurrence (too late, or possibly sent already) and move to the next."""
        async with self._db.writing() as conn:
            cursor = await conn.execute(
                "UPDATE digest_subscriptions SET next_due_at = ? WHERE id = ? AND guild_id = ?",
                (format_time(next_due_at), subscription_id, guild_id),
            )
            if cursor.rowcount == 0:
                return False
            await conn.execute(
                "INSERT INTO digest_deliveries (subscription_id, local_date, status, nonce,"
                " due_at, started_at) VALUES (?, ?, 'skipped', ?, ?, ?)"
                " ON CONFLICT (subscription_id, local_date) DO NOTHING",
                (subscription_id, local_date, nonce, format_time(due_at), format_time(now)),
            )
            await _finish_delivery(conn, subscription_id, local_date, "skipped", now, detail=reason)
        return True

    async def pause(
        self, guild_id: int, subscription_id: int, local_date: str, *, reason: str, now: datetime
    ) -> bool:
        """Stop a subscription Discord refused (deleted channel, lost permission) until renewed."""
        async with self._db.writing() as conn:
            cursor = await conn.execute(
                "UPDATE digest_subscriptions SET paused_reason = ?, paused_at = ?"
                " WHERE id = ? AND guild_id = ?",
                (reason, format_time(now), subscription_id, guild_id),
            )
            if cursor.rowcount == 0:
                return False
            await _finish_delivery(conn, subscription_id, local_date, "failed", now, detail=reason)
        log.info("paused digest %d in guild %d: %s", subscription_id, guild_id, reason)
        return True

    async def reschedule(
        self, guild_id: int, subscription_id: int, *, next_due_at: datetime
    ) -> bool:
        """Move a subscription to its next occurrence without recording a delivery."""
        async with self._db.writing() as conn:
            cursor = await conn.execute(
                "UPDATE digest_subscriptions SET next_due_at = ? WHERE id = ? AND guild_id = ?",
                (format_time(next_due_at), subscription_id, guild_id),
            )
            return cursor.rowcount > 0

    async def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[DigestSubscription]:
        """Claim due subscriptions (the write lock serialises claimers across processes)."""
        async with self._db.writing() as conn:
            due = await _select_subscriptions(
                conn,
                "WHERE paused_reason IS NULL AND next_due_at <= ?"
                " AND (lease_until IS NULL OR lease_until <= ?)"
                " ORDER BY next_due_at, id LIMIT ?",
                (format_time(now), format_time(now), max(limit, 0)),
            )
            await conn.executemany(
                "UPDATE digest_subscriptions SET lease_owner = ?, lease_until = ? WHERE id = ?",
                [(owner, format_time(now + lease), sub.id) for sub in due],
            )
        return due

    async def release(
        self, subscription_id: int, *, owner: str, not_before: datetime | None = None
    ) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE digest_subscriptions SET lease_owner = NULL, lease_until = ?"
                " WHERE id = ? AND lease_owner = ?",
                (format_time(not_before) if not_before else None, subscription_id, owner),
            )


async def _select_subscriptions(
    conn: aiosqlite.Connection, where: str, params: Sequence[Any]
) -> list[DigestSubscription]:
    """Subscriptions matching a WHERE/ORDER clause."""
    async with conn.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM digest_subscriptions {where}", params
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        DigestSubscription(
            id=row["id"],
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            local_time=row["local_time"],
            timezone=row["timezone"],
            topic=row["topic"],
            country=row["country"],
            quiet=bool(row["quiet"]),
            created_by=row["created_by"],
            created_at=parse_time(row["created_at"]),
            next_due_at=parse_time(row["next_due_at"]),
            last_digest_until=optional_time(row["last_digest_until"]),
            last_sent_at=optional_time(row["last_sent_at"]),
            paused_reason=row["paused_reason"],
            paused_at=optional_time(row["paused_at"]),
            channel_kind=row["channel_kind"],
        )
        for row in rows
    ]


async def _get_delivery(
    conn: aiosqlite.Connection, guild_id: int, subscription_id: int, local_date: str
) -> DigestDelivery | None:
    """One occurrence's delivery row, if the subscription is the guild's."""
    async with conn.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM digest_deliveries WHERE subscription_id = ?"
        " AND local_date = ? AND subscription_id IN"
        " (SELECT id FROM digest_subscriptions WHERE guild_id = ?)",
        (subscription_id, local_date, guild_id),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return DigestDelivery(
        subscription_id=row["subscription_id"],
        local_date=row["local_date"],
        status=row["status"],
        nonce=row["nonce"],
        due_at=parse_time(row["due_at"]),
        started_at=parse_time(row["started_at"]),
        finished_at=optional_time(row["finished_at"]),
        message_id=row["message_id"],
        detail=row["detail"],
    )


async def _finish_delivery(
    conn: aiosqlite.Connection,
    subscription_id: int,
    local_date: str,
    status: str,
    now: datetime,
    *,
    message_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Close an occurrence's delivery row with its outcome."""
    await conn.execute(
        "UPDATE digest_deliveries SET status = ?, finished_at = ?, message_id = ?, detail = ?"
        " WHERE subscription_id = ? AND local_date = ?",
        (status, format_time(now), message_id, detail, subscription_id, local_date),
    )
