"""SQLite feeds: feed rows shared by servers, subscriptions, seen items, live posts."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import aiosqlite

from bot.domain.feeds import (
    Feed,
    FeedAddResult,
    FeedListing,
    FeedSubscription,
    LiveCandidate,
    LiveChannel,
    LiveNotice,
    LivePost,
)
from bot.domain.urls import canonical_url
from storage.feed_rows import (
    FEED_COLUMNS,
    SUBSCRIPTION_COLUMNS,
    feed_from_row,
    subscription_from_row,
)
from storage.sqlite.database import SqliteDatabase, format_time, optional_time, parse_time

_TO_FINISH = (
    "(p.status = 'sending' OR (p.status = 'posted' AND"
    " (p.rendered_at IS NULL OR p.rendered_at < p.updated_at)))"
)

log = logging.getLogger(__name__)


def _feed(row: aiosqlite.Row) -> Feed:
    return feed_from_row(row, parse_time)


def _subscription(row: aiosqlite.Row) -> FeedSubscription:
    return subscription_from_row(row, parse_time)


def _post(row: aiosqlite.Row) -> LivePost:
    ids = tuple(int(i) for i in json.loads(row["article_ids"] or "[]"))
    return LivePost(
        id=row["id"],
        scope=row["guild_id"],
        channel_id=row["channel_id"],
        article_ids=ids,
        created_at=parse_time(row["created_at"]),
        updated_at=parse_time(row["updated_at"]),
        status=row["status"],
        message_id=row["message_id"],
        rendered_at=optional_time(row["rendered_at"]),
    )


_POST_SELECT = (
    "SELECT p.id, p.guild_id, p.channel_id, p.created_at, p.updated_at, p.status,"
    " p.message_id, p.rendered_at, (SELECT json_group_array(article_id) FROM"
    " (SELECT article_id FROM live_post_articles WHERE post_id = p.id ORDER BY added_at,"
    " article_id)) AS article_ids FROM live_posts p"
)


class SqliteFeeds:
    """The FeedRepository of the SQLite backend."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

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
        stamp = format_time(now)
        async with self._db.writing() as conn:
            async with conn.execute(
                "SELECT id FROM feeds WHERE canonical_url = ?", (key,)
            ) as cursor:
                row = await cursor.fetchone()
            feed_id = int(row["id"]) if row else None
            if feed_id is not None:
                existing = await _subscription_row(conn, scope, feed_id)
                if existing is not None:
                    if live_channel_id is not None or topic is not None or country is not None:
                        await conn.execute(
                            "UPDATE feed_subscriptions SET live_channel_id ="
                            " coalesce(?, live_channel_id), topic = coalesce(?, topic),"
                            " country = coalesce(?, country) WHERE id = ?",
                            (live_channel_id, topic, country, existing.id),
                        )
                    subscription = await _subscription_row(conn, scope, feed_id)
                    feed = await _feed_row(conn, feed_id)
                    assert subscription is not None and feed is not None
                    return FeedAddResult(subscription, feed, created=False)
            async with conn.execute(
                "SELECT count(*) AS n FROM feed_subscriptions WHERE guild_id = ?", (scope,)
            ) as cursor:
                count_row = await cursor.fetchone()
            if count_row is not None and int(count_row["n"]) >= limit:
                return None
            if feed_id is None:
                cursor = await conn.execute(
                    "INSERT INTO feeds (url, canonical_url, title, site_url, created_at,"
                    " next_fetch_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (url, key, title, site_url, stamp, stamp),
                )
                feed_id = cursor.lastrowid
                assert feed_id is not None
            else:
                # The new server's first newest items come from a full fetch: forget the
                # validators (a 304 would show nothing) and look now.
                await conn.execute(
                    "UPDATE feeds SET etag = NULL, last_modified = NULL, next_fetch_at = ?"
                    " WHERE id = ? AND paused_reason IS NULL",
                    (stamp, feed_id),
                )
            await conn.execute(
                "INSERT INTO feed_subscriptions (guild_id, feed_id, live_channel_id, topic,"
                " country, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (scope, feed_id, live_channel_id, topic, country, created_by, stamp),
            )
            subscription = await _subscription_row(conn, scope, feed_id)
            feed = await _feed_row(conn, feed_id)
            assert subscription is not None and feed is not None
        log.info("scope %s subscribed to feed %d", scope, feed_id)
        return FeedAddResult(subscription, feed, created=True)

    async def subscriptions(self, scope: int) -> list[FeedListing]:
        async with self._db.reading() as conn:
            async with conn.execute(
                f"SELECT {FEED_COLUMNS}, {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s"
                " JOIN feeds f ON f.id = s.feed_id WHERE s.guild_id = ?"
                " ORDER BY s.created_at, s.id",
                (scope,),
            ) as cursor:
                rows = list(await cursor.fetchall())
            listings = []
            for row in rows:
                skipped = await _skip_counts(conn, row["feed_id"])
                listings.append(FeedListing(_subscription(row), _feed(row), skipped))
        return listings

    async def subscription(self, scope: int, subscription_id: int) -> FeedListing | None:
        async with self._db.reading() as conn:
            async with conn.execute(
                f"SELECT {FEED_COLUMNS}, {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s"
                " JOIN feeds f ON f.id = s.feed_id WHERE s.guild_id = ? AND s.id = ?",
                (scope, subscription_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            skipped = await _skip_counts(conn, row["feed_id"])
        return FeedListing(_subscription(row), _feed(row), skipped)

    async def count(self, scope: int) -> int:
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT count(*) AS n FROM feed_subscriptions WHERE guild_id = ?", (scope,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return int(row["n"]) if row else 0

    async def unsubscribe(self, scope: int, subscription_id: int) -> bool:
        async with self._db.writing() as conn:
            async with conn.execute(
                "DELETE FROM feed_subscriptions WHERE guild_id = ? AND id = ? RETURNING feed_id",
                (scope, subscription_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return False
            # A feed nobody reads any more is not fetched; its seen items go with it.
            await conn.execute(
                "DELETE FROM feeds WHERE id = ? AND NOT EXISTS"
                " (SELECT 1 FROM feed_subscriptions WHERE feed_id = ?)",
                (row["feed_id"], row["feed_id"]),
            )
        return True

    async def resume(self, scope: int, subscription_id: int, *, now: datetime) -> bool:
        async with self._db.writing() as conn:
            cursor = await conn.execute(
                "UPDATE feeds SET paused_at = NULL, paused_reason = NULL, failures = 0,"
                " failing_since = NULL, last_error = NULL, next_fetch_at = ?, claimed_until = NULL"
                " WHERE paused_reason IS NOT NULL AND id = (SELECT feed_id FROM"
                " feed_subscriptions WHERE guild_id = ? AND id = ?)",
                (format_time(now), scope, subscription_id),
            )
            return cursor.rowcount > 0

    # --- polling (every server's feeds: the poller's) ---------------------------------------

    async def claim_due(self, now: datetime, *, limit: int, lease: timedelta) -> list[Feed]:
        stamp = format_time(now)
        async with self._db.writing() as conn:
            async with conn.execute(
                "UPDATE feeds SET claimed_until = ? WHERE id IN (SELECT id FROM feeds"
                " WHERE paused_reason IS NULL AND next_fetch_at <= ?"
                " AND (claimed_until IS NULL OR claimed_until <= ?)"
                " AND EXISTS (SELECT 1 FROM feed_subscriptions WHERE feed_id = feeds.id)"
                " ORDER BY next_fetch_at, id LIMIT ?) RETURNING id",
                (format_time(now + lease), stamp, stamp, limit),
            ) as cursor:
                ids = [int(row["id"]) for row in await cursor.fetchall()]
            feeds = [await _feed_row(conn, feed_id) for feed_id in ids]
        found = [feed for feed in feeds if feed is not None]
        found.sort(key=lambda feed: (feed.next_fetch_at, feed.id))
        return found

    async def next_due(self) -> datetime | None:
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT min(next_fetch_at) AS due FROM feeds WHERE paused_reason IS NULL"
                " AND EXISTS (SELECT 1 FROM feed_subscriptions WHERE feed_id = feeds.id)"
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return optional_time(row["due"]) if row else None

    async def feed(self, feed_id: int) -> Feed | None:
        async with self._db.reading() as conn:
            return await _feed_row(conn, feed_id)

    async def subscribers(self, feed_id: int) -> list[FeedSubscription]:
        async with (
            self._db.reading() as conn,
            conn.execute(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s WHERE s.feed_id = ?"
                " ORDER BY s.id",
                (feed_id,),
            ) as cursor,
        ):
            return [_subscription(row) for row in await cursor.fetchall()]

    async def known_items(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        wanted = json.dumps(sorted(set(keys)))
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT item_key FROM feed_items WHERE feed_id = ? AND item_key IN"
                " (SELECT value FROM json_each(?))",
                (feed_id, wanted),
            ) as cursor,
        ):
            return {row["item_key"] for row in await cursor.fetchall()}

    async def analysed_copy(self, article_url: str) -> tuple[int, int] | None:
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT i.article_scope, i.article_id FROM feed_items i"
                " JOIN articles a ON a.id = i.article_id AND a.guild_id = i.article_scope"
                " WHERE i.article_url = ? AND i.article_id IS NOT NULL"
                " ORDER BY i.first_seen_at LIMIT 1",
                (canonical_url(article_url),),
            ) as cursor,
        ):
            row = await cursor.fetchone()
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
        stamp = format_time(now)
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO feed_items (feed_id, item_key, outcome, reason, article_url,"
                " article_scope, article_id, first_seen_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_id, item_key) DO UPDATE"
                " SET last_seen_at = excluded.last_seen_at,"
                " outcome = CASE WHEN excluded.outcome = 'stored' THEN 'stored' ELSE outcome END,"
                " article_url = coalesce(article_url, excluded.article_url),"
                " article_scope = coalesce(article_scope, excluded.article_scope),"
                " article_id = coalesce(article_id, excluded.article_id)",
                (
                    feed_id,
                    key,
                    outcome,
                    reason,
                    canonical_url(article_url) if article_url else None,
                    article_scope,
                    article_id,
                    stamp,
                    stamp,
                ),
            )

    async def count_stored(self, subscription_id: int, count: int = 1) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE feed_subscriptions SET items_stored = items_stored + ? WHERE id = ?",
                (count, subscription_id),
            )

    async def finish_baseline(self, subscription_id: int) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE feed_subscriptions SET baseline_done = 1 WHERE id = ?", (subscription_id,)
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
        stamp = format_time(now)
        async with self._db.writing() as conn:
            # Items still in the document stay remembered from their last sighting.
            await conn.execute(
                "UPDATE feed_items SET last_seen_at = ? WHERE feed_id = ? AND item_key IN"
                " (SELECT value FROM json_each(?))",
                (stamp, feed_id, json.dumps(sorted(set(seen_keys)))),
            )
            if url is not None:
                await _move_feed(conn, feed_id, url)
            await conn.execute(
                "UPDATE feeds SET title = coalesce(?, title), site_url = coalesce(?, site_url),"
                " ttl_s = ?, last_fetched_at = ?, last_ok_at = ?, failures = 0,"
                " failing_since = NULL, last_error = NULL, next_fetch_at = ?,"
                " claimed_until = NULL, baselined = 1,"
                # The validators go with the processing of the items: kept only when every
                # new item of this response was handled, else the next poll fetches in full.
                " etag = CASE WHEN ? THEN ? ELSE NULL END,"
                " last_modified = CASE WHEN ? THEN ? ELSE NULL END WHERE id = ?",
                (
                    title,
                    site_url,
                    ttl_s,
                    stamp,
                    stamp,
                    format_time(next_fetch_at),
                    complete,
                    etag,
                    complete,
                    last_modified,
                    feed_id,
                ),
            )

    async def not_modified(
        self, feed_id: int, *, now: datetime, next_fetch_at: datetime, url: str | None = None
    ) -> None:
        stamp = format_time(now)
        async with self._db.writing() as conn:
            if url is not None:
                await _move_feed(conn, feed_id, url)
            await conn.execute(
                "UPDATE feeds SET last_fetched_at = ?, last_ok_at = ?, failures = 0,"
                " failing_since = NULL, last_error = NULL, next_fetch_at = ?,"
                " claimed_until = NULL WHERE id = ?",
                (stamp, stamp, format_time(next_fetch_at), feed_id),
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
        stamp = format_time(now)
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE feeds SET last_fetched_at = ?, failures = failures + 1,"
                " failing_since = coalesce(failing_since, ?), last_error = ?,"
                " next_fetch_at = ?, claimed_until = NULL,"
                " paused_at = CASE WHEN ? THEN ? ELSE paused_at END,"
                " paused_reason = CASE WHEN ? THEN ? ELSE paused_reason END WHERE id = ?",
                (
                    stamp,
                    stamp,
                    reason,
                    format_time(next_fetch_at),
                    pause,
                    stamp,
                    pause,
                    reason,
                    feed_id,
                ),
            )
            return await _feed_row(conn, feed_id)

    async def release(self, feed_id: int) -> None:
        async with self._db.writing() as conn:
            await conn.execute("UPDATE feeds SET claimed_until = NULL WHERE id = ?", (feed_id,))

    async def forget_seen(self, before: datetime) -> int:
        async with self._db.writing() as conn:
            cursor = await conn.execute(
                "DELETE FROM feed_items WHERE last_seen_at < ?", (format_time(before),)
            )
            return cursor.rowcount

    # --- live channels ----------------------------------------------------------------------

    async def add_live_candidate(
        self, scope: int, channel_id: int, article_id: int, *, feed_id: int | None, now: datetime
    ) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO live_candidates (guild_id, channel_id, article_id, feed_id,"
                " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (scope, channel_id, article_id, feed_id, format_time(now)),
            )

    async def pending_live(
        self, *, limit: int = 200, channel: LiveChannel | None = None
    ) -> list[LiveCandidate]:
        where, args = _in_channel(channel)
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT id, guild_id, channel_id, article_id, feed_id, created_at"
                f" FROM live_candidates WHERE outcome = 'pending'{where}"
                " ORDER BY created_at, id LIMIT ?",
                (*args, limit),
            ) as cursor,
        ):
            return [
                LiveCandidate(
                    id=row["id"],
                    scope=row["guild_id"],
                    channel_id=row["channel_id"],
                    article_id=row["article_id"],
                    created_at=parse_time(row["created_at"]),
                    feed_id=row["feed_id"],
                )
                for row in await cursor.fetchall()
            ]

    async def finish_live_candidate(
        self, candidate_id: int, outcome: str, *, now: datetime
    ) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE live_candidates SET outcome = ?, done_at = ? WHERE id = ?",
                (outcome, format_time(now), candidate_id),
            )

    async def live_posts(self, scope: int, channel_id: int, since: datetime) -> list[LivePost]:
        async with (
            self._db.reading() as conn,
            conn.execute(
                f"{_POST_SELECT} WHERE p.guild_id = ? AND p.channel_id = ? AND p.created_at >= ?"
                " ORDER BY p.created_at, p.id",
                (scope, channel_id, format_time(since)),
            ) as cursor,
        ):
            return [_post(row) for row in await cursor.fetchall()]

    async def live_posts_to_finish(self, channel: LiveChannel | None = None) -> list[LivePost]:
        where, args = _in_channel(channel, "p.")
        async with (
            self._db.reading() as conn,
            conn.execute(
                f"{_POST_SELECT} WHERE {_TO_FINISH}{where} ORDER BY p.created_at, p.id", args
            ) as cursor,
        ):
            return [_post(row) for row in await cursor.fetchall()]

    async def create_live_post(self, candidate: LiveCandidate, *, now: datetime) -> LivePost:
        stamp = format_time(now)
        async with self._db.writing() as conn:
            cursor = await conn.execute(
                "INSERT INTO live_posts (guild_id, channel_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (candidate.scope, candidate.channel_id, stamp, stamp),
            )
            post_id = cursor.lastrowid
            assert post_id is not None
            await conn.execute(
                "INSERT INTO live_post_articles (post_id, article_id, added_at) VALUES (?, ?, ?)",
                (post_id, candidate.article_id, stamp),
            )
            await conn.execute(
                "UPDATE live_candidates SET outcome = 'posted', done_at = ? WHERE id = ?",
                (stamp, candidate.id),
            )
            async with conn.execute(f"{_POST_SELECT} WHERE p.id = ?", (post_id,)) as found:
                row = await found.fetchone()
        assert row is not None
        return _post(row)

    async def extend_live_post(
        self, candidate: LiveCandidate, post_id: int, *, now: datetime
    ) -> None:
        stamp = format_time(now)
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO live_post_articles (post_id, article_id, added_at)"
                " SELECT id, ?, ? FROM live_posts WHERE id = ? AND guild_id = ?"
                " ON CONFLICT DO NOTHING",
                (candidate.article_id, stamp, post_id, candidate.scope),
            )
            await conn.execute(
                "UPDATE live_posts SET updated_at = ? WHERE id = ? AND guild_id = ?",
                (stamp, post_id, candidate.scope),
            )
            await conn.execute(
                "UPDATE live_candidates SET outcome = 'edited', done_at = ? WHERE id = ?",
                (stamp, candidate.id),
            )

    async def mark_live_rendered(
        self, scope: int, post_id: int, *, message_id: int, rendered: datetime
    ) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE live_posts SET status = 'posted', message_id = ?, rendered_at = ?"
                " WHERE id = ? AND guild_id = ?",
                (message_id, format_time(rendered), post_id, scope),
            )

    async def abandon_live_post(self, scope: int, post_id: int) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE live_posts SET status = 'abandoned' WHERE id = ? AND guild_id = ?",
                (post_id, scope),
            )

    async def live_posts_made(self, scope: int, channel_id: int, since: datetime) -> int:
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT count(*) AS n FROM live_posts WHERE guild_id = ? AND channel_id = ?"
                " AND created_at >= ? AND status != 'abandoned'",
                (scope, channel_id, format_time(since)),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return int(row["n"]) if row else 0

    async def add_notice(self, scope: int, channel_id: int, text: str, *, now: datetime) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO live_notices (guild_id, channel_id, text, created_at)"
                " VALUES (?, ?, ?, ?)",
                (scope, channel_id, text, format_time(now)),
            )

    async def pending_notices(self, channel: LiveChannel | None = None) -> list[LiveNotice]:
        where, args = _in_channel(channel)
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT id, guild_id, channel_id, text, created_at FROM live_notices"
                f" WHERE sent_at IS NULL{where} ORDER BY id",
                args,
            ) as cursor,
        ):
            return [
                LiveNotice(
                    id=row["id"],
                    scope=row["guild_id"],
                    channel_id=row["channel_id"],
                    text=row["text"],
                    created_at=parse_time(row["created_at"]),
                )
                for row in await cursor.fetchall()
            ]

    async def notice_sent(self, notice_id: int, *, now: datetime) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE live_notices SET sent_at = ? WHERE id = ?", (format_time(now), notice_id)
            )

    # --- live channel leases (one poster does a channel's live work at a time) ---------------

    async def claim_live_channels(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[LiveChannel]:
        stamp = format_time(now)
        async with self._db.writing() as conn:  # the write lock: claims never overlap
            async with conn.execute(
                "SELECT w.guild_id, w.channel_id FROM ("
                "  SELECT guild_id, channel_id, created_at FROM live_candidates"
                "  WHERE outcome = 'pending'"
                f" UNION ALL SELECT guild_id, channel_id, created_at FROM live_posts p"
                f"  WHERE {_TO_FINISH}"
                "  UNION ALL SELECT guild_id, channel_id, created_at FROM live_notices"
                "  WHERE sent_at IS NULL) w"
                " WHERE NOT EXISTS (SELECT 1 FROM live_channel_leases l"
                "  WHERE l.guild_id = w.guild_id AND l.channel_id = w.channel_id"
                "  AND l.lease_until > ?)"
                " GROUP BY w.guild_id, w.channel_id"
                " ORDER BY min(w.created_at), w.guild_id, w.channel_id LIMIT ?",
                (stamp, max(limit, 0)),
            ) as cursor:
                channels = [
                    LiveChannel(row["guild_id"], row["channel_id"])
                    for row in await cursor.fetchall()
                ]
            await conn.executemany(
                "INSERT INTO live_channel_leases (guild_id, channel_id, owner, lease_until)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, channel_id) DO UPDATE"
                " SET owner = excluded.owner, lease_until = excluded.lease_until",
                [
                    (channel.scope, channel.channel_id, owner, format_time(now + lease))
                    for channel in channels
                ],
            )
        return channels

    async def renew_live_channel(
        self, channel: LiveChannel, *, owner: str, now: datetime, lease: timedelta
    ) -> bool:
        async with self._db.writing() as conn:
            cursor = await conn.execute(
                "UPDATE live_channel_leases SET lease_until = ?"
                " WHERE guild_id = ? AND channel_id = ? AND owner = ?",
                (format_time(now + lease), channel.scope, channel.channel_id, owner),
            )
            return cursor.rowcount > 0

    async def release_live_channel(self, channel: LiveChannel, *, owner: str) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE live_channel_leases SET owner = NULL, lease_until = NULL"
                " WHERE guild_id = ? AND channel_id = ? AND owner = ?",
                (channel.scope, channel.channel_id, owner),
            )


def _in_channel(channel: LiveChannel | None, prefix: str = "") -> tuple[str, tuple[int, ...]]:
    """An AND clause limiting a query to one live channel (or nothing), and its arguments."""
    if channel is None:
        return "", ()
    return (
        f" AND {prefix}guild_id = ? AND {prefix}channel_id = ?",
        (channel.scope, channel.channel_id),
    )


async def _feed_row(conn: aiosqlite.Connection, feed_id: int) -> Feed | None:
    async with conn.execute(f"SELECT {FEED_COLUMNS} FROM feeds f WHERE f.id = ?", (feed_id,)) as c:
        row = await c.fetchone()
    return _feed(row) if row else None


async def _subscription_row(
    conn: aiosqlite.Connection, scope: int, feed_id: int
) -> FeedSubscription | None:
    async with conn.execute(
        f"SELECT {SUBSCRIPTION_COLUMNS} FROM feed_subscriptions s"
        " WHERE s.guild_id = ? AND s.feed_id = ?",
        (scope, feed_id),
    ) as cursor:
        row = await cursor.fetchone()
    return _subscription(row) if row else None


async def _skip_counts(conn: aiosqlite.Connection, feed_id: int) -> tuple[tuple[str, int], ...]:
    async with conn.execute(
        "SELECT reason, count(*) AS n FROM feed_items WHERE feed_id = ? AND outcome = 'skipped'"
        " GROUP BY reason ORDER BY n DESC, reason",
        (feed_id,),
    ) as cursor:
        return tuple((row["reason"] or "unknown", int(row["n"])) for row in await cursor.fetchall())


async def _move_feed(conn: aiosqlite.Connection, feed_id: int, url: str) -> None:
    """A permanent redirect: the feed lives at `url` now (unless another feed row has it)."""
    key = canonical_url(url)
    async with conn.execute(
        "SELECT id FROM feeds WHERE canonical_url = ? AND id != ?", (key, feed_id)
    ) as cursor:
        taken = await cursor.fetchone()
    if taken is not None:
        log.warning("feed %d moved to %s, which feed %d has; URL kept", feed_id, url, taken["id"])
        return
    await conn.execute(
        "UPDATE feeds SET url = ?, canonical_url = ? WHERE id = ?", (url, key, feed_id)
    )
