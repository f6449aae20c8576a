"""PostgreSQL send slots: a rate limit shared by every process on the database."""

from __future__ import annotations

from storage.postgres.database import PostgresDatabase


class PostgresSendSlots:
    """The SendSlotRepository of the PostgreSQL backend (one upsert: the row lock serialises)."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    async def take(self, key: str, *, at: float, limit: int, period: float) -> float:
        async with self._db.writing() as conn:
            reserved = await conn.fetchval(
                "INSERT INTO send_slots (key, next_at) VALUES ($1, $2)"
                " ON CONFLICT (key) DO UPDATE"
                " SET next_at = greatest(send_slots.next_at + $3, excluded.next_at)"
                " RETURNING next_at",
                key,
                at,
                period / limit,
            )
        return max(float(reserved) - at, 0.0)
