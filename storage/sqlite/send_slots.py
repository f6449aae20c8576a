"""SQLite send slots: a rate limit shared by the processes that open one file."""

from __future__ import annotations

from storage.sqlite.database import SqliteDatabase


class SqliteSendSlots:
    """The SendSlotRepository of the SQLite backend (the write lock serialises takers)."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    async def take(self, key: str, *, at: float, limit: int, period: float) -> float:
        async with self._db.writing() as conn:
            await conn.execute(
                "DELETE FROM send_slots WHERE key = ? AND taken <= ?", (key, at - period)
            )
            async with conn.execute(
                "SELECT count(*) AS taken, min(taken) AS oldest FROM send_slots WHERE key = ?",
                (key,),
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            if row["taken"] < limit:
                await conn.execute("INSERT INTO send_slots (key, taken) VALUES (?, ?)", (key, at))
                return 0.0
            return max(float(row["oldest"]) + period - at, 0.001)
