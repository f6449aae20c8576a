"""PostgreSQL feeds: feed rows shared by servers, subscriptions, seen items, live posts.

Several processes share these tables. What keeps them from stepping on each other:
- A due feed is claimed with FOR UPDATE SKIP LOCKED and a lease (`claimed_until`): each poll
  is one process's; a lease its process did not finish expires and another process polls.
- A live channel's work is leased a channel at a time (storage/postgres/live.py).
- Every "insert if absent" is an ON CONFLICT; a server's subscribes are serialised by an
  advisory lock (its feed limit is exact), and a feed row being subscribed to is locked, so
  the last reader's unsubscribe never deletes a feed another server is subscribing to.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import asyncpg

from bot.domain.feeds import (
    Feed,
    FeedAddResult,
    FeedListing,
    FeedSubscription,
)
from bot.domain.urls import canonical_url
from storage.feed_rows import (
    FEED_COLUMNS,
    SUBSCRIPTION_COLUMNS,
    feed_from_row,
    subscription_from_row,
)
from storage.postgres.database import PostgresDatabase, aware, optional_utc, utc
from storage.postgres.live import PostgresLive

log = logging.getLogger(__name__)

# pg_advisory_xact_lock(key1, key2) class of a scope's subscribes ("FEED"); key2 is the scope's
# hash. The two-key form is a lock space of its own, apart from the one-key locks elsewhere.
_SUBSCRIBE_LOCK = 0x46454544


def _feed(row: asyncpg.Record) -> Feed:
    return feed_from_row(row, utc)


def _subscription(row: asyncpg.Record) -> FeedSubscription:
    return subscription_from_row(row, utc)


def _changed(status: str) -> bool:
    """Whether an UPDATE/DELETE status tag ("UPDATE 1") says a row changed."""
    return not status.endswith(" 0")


def _rows(status: str) -> int:
    """How many rows an UPDATE/DELETE status tag ("DELETE 3") counts."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresFeeds(PostgresLive):
    """The FeedRepository of the PostgreSQL backend (its live channel half: PostgresLive)."""

    def __init__(self, database: PostgresDatabase) -> None:
        super().__init__(database)

    # --- subscriptions (scoped) -------------------------------------------------------------

    async def subscribe(
        self,
        scope: int,
        url: str,
        *,
        title: str | None,
        site_url: str | None,
        live_channel_id: int | None,
        topic: str | None,
        country: str | None,
        created_by: int | None,
        now: datetime,
        limit: int,
    ) -> FeedAddResult | None:
        key = canonical_url(url)
        aware(now)
        async with self._db.writing() as conn:
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1::integer, hashtext($2::text))",
                _SUBSCRIBE_LOCK,
                str(scope),
            )
            feed_id = await _lock_feed(conn, key)
            if feed_id is not None:
                existing = await _subscription_row(conn, scope, feed_id)
                if existing is not None:
                    if live_channel_id is not None or topic is not None or country is not None:
                        await conn.execute(
                            "UPDATE feed_subscriptions SET live_channel_id ="
                            " coalesce($1, live_channel_id), topic = coalesce($2, topic),"
                            " country = coalesce($3, country) WHERE id = $4",
                            live_channel_id,
                            topic,
                            country,
                            existing.id,
                        )
                    subscription = await _subscription_row(conn, scope, feed_id)
                    feed = await _feed_row(conn, feed_id)
                    assert subscription is not None and feed is not None
                    return FeedAddResult(subscription, feed, created=False)
            count = await conn.fetchval(
                "SELECT count(*) FROM feed_subscriptions WHERE guild_id = $1", scope
            )
            if int(count) >= limit:
                return None
            if feed_id is None:
                feed_id = await conn.fetchval(
                    "INSERT INTO feeds (url, canonical_url, title, site_url, created_at,"
                    " next_fetch_at) VALUES ($1, $2, $3, $4, $5, $5)"
                    " ON CONFLICT (canonical_url) DO NOTHING RETURNING id",
                    url,
                    key,
                    title,
                    site_url,
                    now,
                )
                if feed_id is None:
                    # Another server's process added this feed meanwhile (committed now).
                    feed_id = await _lock_feed(conn, key)
                    if feed_id is None:
                        raise RuntimeError(f"feed {key} was added and removed meanwhile")
                    await _refetch_in_full(conn, feed_id, now)
            else:
                await _refetch_in_full(conn, feed_id, now)
            await conn.execute(
                "INSERT INTO feed_subscriptions (guild_id, feed_id, live_channel_id, topic,"
                " country, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                scope,
                feed_id,
                live_channel_id,
                topic,
                country,
                created_by,
                now,
            )
            subscription = await _subscription_row(conn, scope, feed_id)
            feed = await _feed_row(conn, feed_id)
            assert subscription is not None and feed is not None
        log.info("scope %s subscribed to feed %d", scope, feed_id)
        return FeedAddResult(subscription, feed, created=True)

    async def subscriptions(self, scope: int) -> list[FeedListing]:
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                f"SELECT {FEED_COLUMNS}, {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s"
                " JOIN feeds f ON f.id = s.feed_id WHERE s.guild_id = $1"
                " ORDER BY s.created_at, s.id",
                scope,
            )
            skipped = await _skip_counts(conn, [row["feed_id"] for row in rows])
        return [
            FeedListing(_subscription(row), _feed(row), skipped.get(row["feed_id"], ()))
            for row in rows
        ]

    async def subscription(self, scope: int, subscription_id: int) -> FeedListing | None:
        async with self._db.reading() as conn:
            row = await conn.fetchrow(
                f"SELECT {FEED_COLUMNS}, {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s"
                " JOIN feeds f ON f.id = s.feed_id WHERE s.guild_id = $1 AND s.id = $2",
                scope,
                subscription_id,
            )
            if row is None:
                return None
            skipped = await _skip_counts(conn, [row["feed_id"]])
        return FeedListing(_subscription(row), _feed(row), skipped.get(row["feed_id"], ()))

    async def count(self, scope: int) -> int:
        async with self._db.reading() as conn:
            found = await conn.fetchval(
                "SELECT count(*) FROM feed_subscriptions WHERE guild_id = $1", scope
            )
        return int(found)

    async def unsubscribe(self, scope: int, subscription_id: int) -> bool:
        async with self._db.writing() as conn:
            feed_id = await conn.fetchval(
                "DELETE FROM feed_subscriptions WHERE guild_id = $1 AND id = $2 RETURNING feed_id",
                scope,
                subscription_id,
            )
            if feed_id is None:
                return False
            # A feed nobody reads any more is not fetched; its seen items go with it. The row
            # is locked first, so the next statement sees a subscription another server's
            # process committed meanwhile (subscribe locks the row it subscribes to).
            await conn.execute("SELECT 1 FROM feeds WHERE id = $1 FOR UPDATE", feed_id)
            await conn.execute(
                "DELETE FROM feeds WHERE id = $1 AND NOT EXISTS"
                " (SELECT 1 FROM feed_subscriptions WHERE feed_id = $1)",
                feed_id,
            )
        return True

    async def resume(self, scope: int, subscription_id: int, *, now: datetime) -> bool:
        async with self._db.writing() as conn:
            status = await conn.execute(
                "UPDATE feeds SET paused_at = NULL, paused_reason = NULL, failures = 0,"
                " failing_since = NULL, last_error = NULL, next_fetch_at = $1,"
                " claimed_until = NULL WHERE paused_reason IS NOT NULL AND id = (SELECT feed_id"
                " FROM feed_subscriptions WHERE guild_id = $2 AND id = $3)",
                aware(now),
                scope,
                subscription_id,
            )
        return _changed(status)

    # --- polling (every server's feeds: the poller's) ---------------------------------------

    async def claim_due(self, now: datetime, *, limit: int, lease: timedelta) -> list[Feed]:
        """Claim due feeds; SKIP LOCKED lets processes claim disjoint feeds at once."""
        async with self._db.writing() as conn:
            rows = await conn.fetch(
                "UPDATE feeds f SET claimed_until = $1 WHERE f.id IN (SELECT d.id FROM feeds d"
                "  WHERE d.paused_reason IS NULL AND d.next_fetch_at <= $2"
                "  AND (d.claimed_until IS NULL OR d.claimed_until <= $2)"
                "  AND EXISTS (SELECT 1 FROM feed_subscriptions s WHERE s.feed_id = d.id)"
                "  ORDER BY d.next_fetch_at, d.id LIMIT $3 FOR UPDATE OF d SKIP LOCKED)"
                f" RETURNING {FEED_COLUMNS}",
                aware(now) + lease,
                now,
                max(limit, 0),
            )
        return sorted((_feed(row) for row in rows), key=lambda feed: (feed.next_fetch_at, feed.id))

    async def next_due(self) -> datetime | None:
        async with self._db.reading() as conn:
            found = await conn.fetchval(
                "SELECT min(next_fetch_at) FROM feeds f WHERE paused_reason IS NULL"
                " AND EXISTS (SELECT 1 FROM feed_subscriptions s WHERE s.feed_id = f.id)"
            )
        return optional_utc(found)

    async def feed(self, feed_id: int) -> Feed | None:
        async with self._db.reading() as conn:
            return await _feed_row(conn, feed_id)

    async def subscribers(self, feed_id: int) -> list[FeedSubscription]:
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s WHERE s.feed_id = $1"
                " ORDER BY s.id",
                feed_id,
            )
        return [_subscription(row) for row in rows]

    async def known_items(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        wanted = sorted(set(keys))
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                "SELECT item_key FROM feed_items WHERE feed_id = $1 AND item_key = ANY($2::text[])",
                feed_id,
                wanted,
            )
        return {row["item_key"] for row in rows}

    async def analysed_copy(self, article_url: str) -> tuple[int, int] | None:
        async with self._db.reading() as conn:
            row = await conn.fetchrow(
                "SELECT i.article_scope, i.article_id FROM feed_items i"
                " JOIN articles a ON a.id = i.article_id AND a.guild_id = i.article_scope"
                " WHERE i.article_url = $1 AND i.article_id IS NOT NULL"
                " ORDER BY i.first_seen_at LIMIT 1",
                canonical_url(article_url),
            )
        return (int(row["article_scope"]), int(row["article_id"])) if row else None

    async def record_item(
        self,
        feed_id: int,
        key: str,
        *,
        outcome: str,
        now: datetime,
        reason: str | None = None,
        article_url: str | None = None,
        article_scope: int | None = None,
        article_id: int | None = None,
    ) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO feed_items AS i (feed_id, item_key, outcome, reason, article_url,"
                " article_scope, article_id, first_seen_at, last_seen_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
                " ON CONFLICT (feed_id, item_key) DO UPDATE"
                " SET last_seen_at = excluded.last_seen_at,"
                " outcome = CASE WHEN excluded.outcome = 'stored' THEN 'stored'"
                " ELSE i.outcome END,"
                " article_url = coalesce(i.article_url, excluded.article_url),"
                " article_scope = coalesce(i.article_scope, excluded.article_scope),"
                " article_id = coalesce(i.article_id, excluded.article_id)",
                feed_id,
                key,
                outcome,
                reason,
                canonical_url(article_url) if article_url else None,
                article_scope,
                article_id,
                aware(now),
            )

    async def count_stored(self, subscription_id: int, count: int = 1) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE feed_subscriptions SET items_stored = items_stored + $1 WHERE id = $2",
                count,
                subscription_id,
            )

    async def finish_baseline(self, subscription_id: int) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE feed_subscriptions SET baseline_done = TRUE WHERE id = $1",
                subscription_id,
            )

    async def fetched(
        self,
        feed_id: int,
        *,
        now: datetime,
        seen_keys: Iterable[str],
        url: str | None,
        title: str | None,
        site_url: str | None,
        etag: str | None,
        last_modified: str | None,
        ttl_s: int | None,
        next_fetch_at: datetime,
        complete: bool,
    ) -> None:
        aware(now)
        async with self._db.writing() as conn:
            # Items still in the document stay remembered from their last sighting.
            await conn.execute(
                "UPDATE feed_items SET last_seen_at = $1 WHERE feed_id = $2"
                " AND item_key = ANY($3::text[])",
                now,
                feed_id,
                sorted(set(seen_keys)),
            )
            if url is not None:
                await _move_feed(conn, feed_id, url)
            await conn.execute(
                "UPDATE feeds SET title = coalesce($1, title), site_url = coalesce($2, site_url),"
                " ttl_s = $3, last_fetched_at = $4, last_ok_at = $4, failures = 0,"
                " failing_since = NULL, last_error = NULL, next_fetch_at = $5,"
                " claimed_until = NULL, baselined = TRUE,"
                # The validators go with the processing of the items: kept only when every
                # new item of this response was handled, else the next poll fetches in full.
                " etag = CASE WHEN $6::boolean THEN $7::text END,"
                " last_modified = CASE WHEN $6::boolean THEN $8::text END WHERE id = $9",
                title,
                site_url,
                ttl_s,
                now,
                aware(next_fetch_at),
                complete,
                etag,
                last_modified,
                feed_id,
            )

    async def not_modified(
        self, feed_id: int, *, now: datetime, next_fetch_at: datetime, url: str | None = None
    ) -> None:
        async with self._db.writing() as conn:
            if url is not None:
                await _move_feed(conn, feed_id, url)
            await conn.execute(
                "UPDATE feeds SET last_fetched_at = $1, last_ok_at = $1, failures = 0,"
                " failing_since = NULL, last_error = NULL, next_fetch_at = $2,"
                " claimed_until = NULL WHERE id = $3",
                aware(now),
                aware(next_fetch_at),
                feed_id,
            )

    async def failed(
        self,
        feed_id: int,
        *,
        now: datetime,
        reason: str,
        next_fetch_at: datetime,
        pause: bool,
    ) -> Feed | None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE feeds SET last_fetched_at = $1, failures = failures + 1,"
                " failing_since = coalesce(failing_since, $1), last_error = $2,"
                " next_fetch_at = $3, claimed_until = NULL,"
                " paused_at = CASE WHEN $4::boolean THEN $1 ELSE paused_at END,"
                " paused_reason = CASE WHEN $4::boolean THEN $2 ELSE paused_reason END"
                " WHERE id = $5",
                aware(now),
                reason,
                aware(next_fetch_at),
                pause,
                feed_id,
            )
            return await _feed_row(conn, feed_id)

    async def release(self, feed_id: int) -> None:
        async with self._db.writing() as conn:
            await conn.execute("UPDATE feeds SET claimed_until = NULL WHERE id = $1", feed_id)

    async def forget_seen(self, before: datetime) -> int:
        async with self._db.writing() as conn:
            status = await conn.execute(
                "DELETE FROM feed_items WHERE last_seen_at < $1", aware(before)
            )
        return _rows(status)


async def _lock_feed(conn: asyncpg.Connection, key: str) -> int | None:
    """The id of the feed at this canonical URL, its row locked until the transaction ends."""
    found = await conn.fetchval(
        "SELECT id FROM feeds WHERE canonical_url = $1 FOR NO KEY UPDATE", key
    )
    return int(found) if found is not None else None


async def _refetch_in_full(conn: asyncpg.Connection, feed_id: int, now: datetime) -> None:
    """A new server's first newest items come from a full fetch: forget the validators (a
    304 would show nothing) and look now."""
    await conn.execute(
        "UPDATE feeds SET etag = NULL, last_modified = NULL, next_fetch_at = $1"
        " WHERE id = $2 AND paused_reason IS NULL",
        now,
        feed_id,
    )


async def _feed_row(conn: asyncpg.Connection, feed_id: int) -> Feed | None:
    row = await conn.fetchrow(f"SELECT {FEED_COLUMNS} FROM feeds f WHERE f.id = $1", feed_id)
    return _feed(row) if row else None


async def _subscription_row(
    conn: asyncpg.Connection, scope: int, feed_id: int
) -> FeedSubscription | None:
    row = await conn.fetchrow(
        f"SELECT {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s"
        " WHERE s.guild_id = $1 AND s.feed_id = $2",
        scope,
        feed_id,
    )
    return _subscription(row) if row else None


async def _skip_counts(
    conn: asyncpg.Connection, feed_ids: list[int]
) -> dict[int, tuple[tuple[str, int], ...]]:
    """Each feed's skipped items by reason, most frequent first (as SQLite orders them)."""
    rows = await conn.fetch(
        "SELECT feed_id, reason, count(*) AS n FROM feed_items"
        " WHERE feed_id = ANY($1::bigint[]) AND outcome = 'skipped'"
        " GROUP BY feed_id, reason ORDER BY feed_id, n DESC, reason NULLS FIRST",
        feed_ids,
    )
    counts: dict[int, list[tuple[str, int]]] = {}
    for row in rows:
        counts.setdefault(row["feed_id"], []).append((row["reason"] or "unknown", int(row["n"])))
    return {feed_id: tuple(found) for feed_id, found in counts.items()}


async def _move_feed(conn: asyncpg.Connection, feed_id: int, url: str) -> None:
    """A permanent redirect: the feed lives at `url` now (unless another feed row has it)."""
    key = canonical_url(url)
    taken = await conn.fetchval(
        "SELECT id FROM feeds WHERE canonical_url = $1 AND id != $2", key, feed_id
    )
    if taken is None:
        try:
            async with conn.transaction():  # a savepoint: a lost race keeps the rest
                await conn.execute(
                    "UPDATE feeds SET url = $1, canonical_url = $2 WHERE id = $3",
                    url,
                    key,
                    feed_id,
                )
            return
        except asyncpg.UniqueViolationError:
            # Another process added a feed at that URL since the look above.
            taken = await conn.fetchval("SELECT id FROM feeds WHERE canonical_url = $1", key)
    log.warning("feed %d moved to %s, which feed %d has; URL kept", feed_id, url, taken)
