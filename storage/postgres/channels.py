"""PostgreSQL per-channel settings: link auto-summaries on or off."""

from __future__ import annotations

from storage.postgres.database import PostgresDatabase


class PostgresChannels:
    """The ChannelRepository of the PostgreSQL backend."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    async def set_autosummary(self, scope: int, channel_id: int, enabled: bool) -> None:
        async with self._db.writing() as conn:
            await conn.execute(
                "INSERT INTO autosummary_channels (guild_id, channel_id, enabled)"
                " VALUES ($1, $2, $3) ON CONFLICT (guild_id, channel_id)"
                " DO UPDATE SET enabled = excluded.enabled",
                scope,
                channel_id,
                enabled,
            )

    async def autosummary_enabled(self, scope: int, channel_id: int) -> bool:
        async with self._db.reading() as conn:
            enabled = await conn.fetchval(
                "SELECT enabled FROM autosummary_channels WHERE guild_id = $1 AND channel_id = $2",
                scope,
                channel_id,
            )
        return bool(enabled)

    async def autosummary_channels(self, scope: int) -> list[int]:
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                "SELECT channel_id FROM autosummary_channels WHERE guild_id = $1 AND enabled"
                " ORDER BY channel_id",
                scope,
            )
        return [row["channel_id"] for row in rows]
