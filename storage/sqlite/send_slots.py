"""SQLite send slots: a rate limit shared by the processes that open one file."""

from __future__ import annotations

from storage.sqlite.database import SqliteDatabase


class SqliteSendSlots:
    """The SendSlotRepository of the SQLite backend (one upsert: the write lock serialises)."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    async def take(self, key: str, *, at: float, limit: int, period: float) -> float:
        interval = period / limit
        async with (
            self._db.writing() as conn,
            conn.execute(
                "INSERT INTO send_slots (key, next_at) VALUES (:key, :at)"
                " ON CONFLICT (key) DO UPDATE SET next_at = max(next_at + :interval, :at)"
                " RETURNING next_at",
                {"key": key, "at": at, "interval": interval},
            ) as cursor,
        ):
            row = await cursor.fetchone()
        assert row is not None
        return max(float(row["next_at"]) - at, 0.0)
