"""PostgreSQL live channels: candidates, story posts and notices, and the channel leases
that let one process at a time do a channel's live work (whether an article joins a posted
story depends on the channel's earlier posts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bot.domain.feeds import LiveCandidate, LiveChannel, LiveNotice, LivePost
from storage.postgres.database import PostgresDatabase, aware, optional_utc, utc

_POST_SELECT = (
    "SELECT p.id, p.guild_id, p.channel_id, p.created_at, p.updated_at, p.status,"
    " p.message_id, p.rendered_at, ARRAY(SELECT a.article_id FROM live_post_articles a"
    " WHERE a.post_id = p.id ORDER BY a.added_at, a.article_id) AS article_ids"
    " FROM live_posts p"
)
# Posts Discord has not accepted yet, or whose sources changed since they were last shown.
_TO_FINISH = (
    "(p.status = 'sending' OR (p.status = 'posted'"
    " AND (p.rendered_at IS NULL OR p.rendered_at < p.updated_at)))"
)

# Every live channel's waiting work, one row per item (channel, since when it waits).
_WAITING = (
    "(SELECT guild_id, channel_id, created_at FROM live_candidates WHERE outcome = 'pending'"
    f" UNION ALL SELECT guild_id, channel_id, created_at FROM live_posts p WHERE {_TO_FINISH}"
    " UNION ALL SELECT guild_id, channel_id, created_at FROM live_notices"
    " WHERE sent_at IS NULL) waiting"
)


def _post(row: asyncpg.Record) -> LivePost:
    return LivePost(
        id=row["id"],
        scope=row["guild_id"],
        channel_id=row["channel_id"],
        article_ids=tuple(int(i) for i in row["article_ids"]),
        created_at=utc(row["created_at"]),
        updated_at=utc(row["updated_at"]),
        status=row["status"],
        message_id=row["message_id"],
        rendered_at=optional_utc(row["rendered_at"]),
    )


def _changed(status: str) -> bool:
    """Whether an UPDATE status tag ("UPDATE 1") says a row changed."""
    return not status.endswith(" 0")


def _in_channel(channel: LiveChannel | None, first: int, alias: str) -> tuple[str, list[Any]]:
    """An AND clause limiting a query to one live channel (or nothing), and its arguments."""
    if channel is None:
        return "", []
    return (
        f" AND {alias}.guild_id = ${first} AND {alias}.channel_id = ${first + 1}",
        [channel.scope, channel.channel_id],
    )


class PostgresLive:
    """The live channel half of the PostgreSQL FeedRepository (PostgresFeeds extends it)."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    # --- live channels ----------------------------------------------------------------------

    async def add_live_candidate(
        self, scope: int, channel_id: int, article_id: int, *, feed_id: int | None, now: datetime
    ) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO live_candidates (guild_id, channel_id, article_id, feed_id,"
                " created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                scope,
                channel_id,
                article_id,
                feed_id,
                aware(now),
            )

    async def pending_live(
        self, *, limit: int = 200, channel: LiveChannel | None = None
    ) -> list[LiveCandidate]:
        where, args = _in_channel(channel, 2, "c")
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                "SELECT c.id, c.guild_id, c.channel_id, c.article_id, c.feed_id, c.created_at"
                f" FROM live_candidates c WHERE c.outcome = 'pending'{where}"
                " ORDER BY c.created_at, c.id LIMIT $1",
                max(limit, 0),
                *args,
            )
        return [
            LiveCandidate(
                id=row["id"],
                scope=row["guild_id"],
                channel_id=row["channel_id"],
                article_id=row["article_id"],
                created_at=utc(row["created_at"]),
                feed_id=row["feed_id"],
            )
            for row in rows
        ]

    async def finish_live_candidate(
        self, candidate_id: int, outcome: str, *, now: datetime
    ) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE live_candidates SET outcome = $1, done_at = $2 WHERE id = $3",
                outcome,
                aware(now),
                candidate_id,
            )

    async def live_posts(self, scope: int, channel_id: int, since: datetime) -> list[LivePost]:
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                f"{_POST_SELECT} WHERE p.guild_id = $1 AND p.channel_id = $2"
                " AND p.created_at >= $3 ORDER BY p.created_at, p.id",
                scope,
                channel_id,
                aware(since),
            )
        return [_post(row) for row in rows]

    async def live_posts_to_finish(self, channel: LiveChannel | None = None) -> list[LivePost]:
        where, args = _in_channel(channel, 1, "p")
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                f"{_POST_SELECT} WHERE {_TO_FINISH}{where} ORDER BY p.created_at, p.id", *args
            )
        return [_post(row) for row in rows]

    async def create_live_post(self, candidate: LiveCandidate, *, now: datetime) -> LivePost:
        aware(now)
        async with self._db.writing() as conn:
            post_id = await conn.fetchval(
                "INSERT INTO live_posts (guild_id, channel_id, created_at, updated_at)"
                " VALUES ($1, $2, $3, $3) RETURNING id",
                candidate.scope,
                candidate.channel_id,
                now,
            )
            await conn.execute(
                "INSERT INTO live_post_articles (post_id, article_id, added_at)"
                " VALUES ($1, $2, $3)",
                post_id,
                candidate.article_id,
                now,
            )
            await conn.execute(
                "UPDATE live_candidates SET outcome = 'posted', done_at = $1 WHERE id = $2",
                now,
                candidate.id,
            )
            row = await conn.fetchrow(f"{_POST_SELECT} WHERE p.id = $1", post_id)
        assert row is not None
        return _post(row)

    async def extend_live_post(
        self, candidate: LiveCandidate, post_id: int, *, now: datetime
    ) -> None:
        aware(now)
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO live_post_articles (post_id, article_id, added_at)"
                " SELECT id, $1, $2 FROM live_posts WHERE id = $3 AND guild_id = $4"
                " ON CONFLICT DO NOTHING",
                candidate.article_id,
                now,
                post_id,
                candidate.scope,
            )
            await conn.execute(
                "UPDATE live_posts SET updated_at = $1 WHERE id = $2 AND guild_id = $3",
                now,
                post_id,
                candidate.scope,
            )
            await conn.execute(
                "UPDATE live_candidates SET outcome = 'edited', done_at = $1 WHERE id = $2",
                now,
                candidate.id,
            )

    async def mark_live_rendered(
        self, scope: int, post_id: int, *, message_id: int, rendered: datetime
    ) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE live_posts SET status = 'posted', message_id = $1, rendered_at = $2"
                " WHERE id = $3 AND guild_id = $4",
                message_id,
                aware(rendered),
                post_id,
                scope,
            )

    async def abandon_live_post(self, scope: int, post_id: int) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE live_posts SET status = 'abandoned' WHERE id = $1 AND guild_id = $2",
                post_id,
                scope,
            )

    async def live_posts_made(self, scope: int, channel_id: int, since: datetime) -> int:
        async with self._db.reading() as conn:
            found = await conn.fetchval(
                "SELECT count(*) FROM live_posts WHERE guild_id = $1 AND channel_id = $2"
                " AND created_at >= $3 AND status != 'abandoned'",
                scope,
                channel_id,
                aware(since),
            )
        return int(found)

    async def add_notice(self, scope: int, channel_id: int, text: str, *, now: datetime) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO live_notices (guild_id, channel_id, text, created_at)"
                " VALUES ($1, $2, $3, $4)",
                scope,
                channel_id,
                text,
                aware(now),
            )

    async def pending_notices(self, channel: LiveChannel | None = None) -> list[LiveNotice]:
        where, args = _in_channel(channel, 1, "n")
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                "SELECT n.id, n.guild_id, n.channel_id, n.text, n.created_at FROM live_notices n"
                f" WHERE n.sent_at IS NULL{where} ORDER BY n.id",
                *args,
            )
        return [
            LiveNotice(
                id=row["id"],
                scope=row["guild_id"],
                channel_id=row["channel_id"],
                text=row["text"],
                created_at=utc(row["created_at"]),
            )
            for row in rows
        ]

    async def notice_sent(self, notice_id: int, *, now: datetime) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE live_notices SET sent_at = $1 WHERE id = $2", aware(now), notice_id
            )

    # --- live channel leases (one process does a channel's live work at a time) --------------

    async def claim_live_channels(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[LiveChannel]:
        """Claim channels with live work; SKIP LOCKED lets processes claim disjoint ones."""
        aware(now)
        # Every channel with work gets a lease row first (committed at once, so claimers
        # never wait on each other's new rows); the claim then locks free rows as the digest
        # and feed claims do.
        async with self._db.writing() as conn:
            await conn.execute(
                f"INSERT INTO live_channel_leases (guild_id, channel_id) SELECT DISTINCT"
                f" guild_id, channel_id FROM {_WAITING} ORDER BY guild_id, channel_id"
                " ON CONFLICT DO NOTHING"
            )
        async with self._db.writing() as conn:
            rows = await conn.fetch(
                "UPDATE live_channel_leases l SET owner = $1, lease_until = $2 FROM ("
                "  SELECT k.guild_id, k.channel_id, w.since FROM live_channel_leases k"
                "  JOIN (SELECT guild_id, channel_id, min(created_at) AS since"
                f"   FROM {_WAITING} GROUP BY guild_id, channel_id) w"
                "  ON w.guild_id = k.guild_id AND w.channel_id = k.channel_id"
                "  WHERE k.lease_until IS NULL OR k.lease_until <= $3"
                "  ORDER BY w.since, k.guild_id, k.channel_id LIMIT $4"
                "  FOR UPDATE OF k SKIP LOCKED) c"
                " WHERE l.guild_id = c.guild_id AND l.channel_id = c.channel_id"
                " RETURNING l.guild_id, l.channel_id, c.since",
                owner,
                now + lease,
                now,
                max(limit, 0),
            )
        rows = sorted(rows, key=lambda row: (row["since"], row["guild_id"], row["channel_id"]))
        return [LiveChannel(row["guild_id"], row["channel_id"]) for row in rows]

    async def renew_live_channel(
        self, channel: LiveChannel, *, owner: str, now: datetime, lease: timedelta
    ) -> bool:
        async with self._db.writing() as conn:
            status = await conn.execute(
                "UPDATE live_channel_leases SET lease_until = $1"
                " WHERE guild_id = $2 AND channel_id = $3 AND owner = $4",
                aware(now) + lease,
                channel.scope,
                channel.channel_id,
                owner,
            )
        return _changed(status)

    async def release_live_channel(self, channel: LiveChannel, *, owner: str) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "UPDATE live_channel_leases SET owner = NULL, lease_until = NULL"
                " WHERE guild_id = $1 AND channel_id = $2 AND owner = $3",
                channel.scope,
                channel.channel_id,
                owner,
            )
