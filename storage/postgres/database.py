"""The pool shared by the PostgreSQL repositories, and transactions spanning them.

A transaction holds one pooled connection for its task (a context variable), so repository
calls inside `store.transaction()` run on it; nested blocks become savepoints. As with SQLite,
the work inside a transaction must be awaited by the task that opened it.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg

from storage.postgres.schema import schema_version


def utc(moment: datetime) -> datetime:
    """A timestamptz as Diplobrief keeps times: aware, in UTC."""
    return moment.astimezone(UTC)


def optional_utc(moment: datetime | None) -> datetime | None:
    return utc(moment) if moment is not None else None


def aware(moment: datetime) -> datetime:
    """Refuse naive datetimes before they reach the database (as the SQLite backend does)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware time")
    return moment


class PostgresDatabase:
    """The pool, and the connection of the transaction the current task is in (if any)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._current: contextvars.ContextVar[asyncpg.Connection | None] = contextvars.ContextVar(
            f"diplobrief_pg_{id(self)}", default=None
        )
        self._closed = False

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[asyncpg.Connection]:
        """A read-write transaction (or a savepoint inside the current one)."""
        async with self._transaction(readonly=False) as connection:
            yield connection

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[asyncpg.Connection]:
        """A consistent snapshot across several SELECTs (REPEATABLE READ, read only)."""
        async with self._transaction(readonly=True) as connection:
            yield connection

    @asynccontextmanager
    async def _transaction(self, *, readonly: bool) -> AsyncIterator[asyncpg.Connection]:
        current = self._current.get()
        if current is not None:
            async with current.transaction():
                yield current
            return
        async with self.pool.acquire() as connection:
            token = self._current.set(connection)
            try:
                if readonly:
                    transaction = connection.transaction(isolation="repeatable_read", readonly=True)
                else:
                    transaction = connection.transaction()
                async with transaction:
                    yield connection
            finally:
                self._current.reset(token)

    async def schema_version(self) -> int:
        async with self.pool.acquire() as connection:
            return await schema_version(connection)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self.pool.close()
