"""PostgreSQL send slots: a rate limit shared by every process on the database."""

from __future__ import annotations

from storage.postgres.database import PostgresDatabase


class PostgresSendSlots:
    """The SendSlotRepository of the PostgreSQL backend; an advisory lock serialises takers."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    async def take(self, key: str, *, at: float, limit: int, period: float) -> float:
        async with self._db.writing() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", key)
            await conn.execute(
                "DELETE FROM send_slots WHERE key = $1 AND taken <= $2", key, at - period
            )
            row = await conn.fetchrow(
                "SELECT count(*) AS taken, min(taken) AS oldest FROM send_slots WHERE key = $1",
                key,
            )
            assert row is not None
            if row["taken"] < limit:
                await conn.execute("INSERT INTO send_slots (key, taken) VALUES ($1, $2)", key, at)
                return 0.0
            return max(float(row["oldest"]) + period - at, 0.001)
