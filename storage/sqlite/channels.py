"""SQLite per-channel settings: link auto-summaries on or off."""

from __future__ import annotations

from storage.sqlite.database import SqliteDatabase


class SqliteChannels:
    """The ChannelRepository of the SQLite backend."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    async def set_autosummary(self, scope: int, channel_id: int, enabled: bool) -> None:
        """Turn automatic summaries of posted links on or off for one channel."""
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO autosummary_channels (guild_id, channel_id, enabled) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id, channel_id) DO UPDATE SET enabled = excluded.enabled",
                (scope, channel_id, int(enabled)),
            )

    async def autosummary_enabled(self, scope: int, channel_id: int) -> bool:
        """Whether links posted in this channel are summarized automatically (off by default)."""
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT enabled FROM autosummary_channels WHERE guild_id = ? AND channel_id = ?",
                (scope, channel_id),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return bool(row["enabled"]) if row else False

    async def autosummary_channels(self, scope: int) -> list[int]:
        """The scope's channels with automatic summaries on."""
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT channel_id FROM autosummary_channels WHERE guild_id = ? AND enabled"
                " ORDER BY channel_id",
                (scope,),
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [row["channel_id"] for row in rows]
