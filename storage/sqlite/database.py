"""One SQLite connection shared by the repositories: transactions, savepoints, row helpers."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.errors import StorageError
from storage.sqlite.schema import undo, user_version

log = logging.getLogger(__name__)

# Rows turned into objects between two awaits: a big read never holds the event loop for long
# (500 article leads take ~2 ms of Python).
ROWS_PER_CHUNK = 500


# What the disk (not our SQL) did wrong, in SQLite's primary result codes, as users read it.
_DISK_FAILURES = {
    sqlite3.SQLITE_FULL: "the disk holding the database is full",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_IOERR: "the disk holding the database failed to read or write",
    sqlite3.SQLITE_CANTOPEN: "the database file could not be opened",
}


def disk_failure(error: BaseException) -> StorageError | None:
    """A StorageError for SQLite errors the machine caused (full, read-only, failing disk)."""
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(error, sqlite3.Error) or code is None:
        return None
    reason = _DISK_FAILURES.get(code & 0xFF)  # extended codes: SQLITE_IOERR_WRITE and kin
    if reason is None:
        return None
    return StorageError(f"Nothing was saved: {reason}.")


def format_time(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds: one fixed format, so text order is time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware time")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(value: str) -> datetime:
    """The aware UTC datetime stored by format_time."""
    return datetime.fromisoformat(value).astimezone(UTC)


def optional_time(value: str | None) -> datetime | None:
    """parse_time for a column that may be NULL."""
    return parse_time(value) if value else None


async def chunks(cursor: aiosqlite.Cursor) -> AsyncIterator[list[sqlite3.Row]]:
    """A cursor's rows ROWS_PER_CHUNK at a time, awaiting between chunks."""
    while rows := list(await cursor.fetchmany(ROWS_PER_CHUNK)):
        yield rows


class SqliteDatabase:
    """The connection, and transactions owned by one task at a time.

    One connection serves every repository; an asyncio lock keeps one task's transaction from
    interleaving with another task's reads. Other processes may open the same file: writes take
    SQLite's write lock up front and wait for it up to the busy timeout. Rows come back as
    sqlite3.Row, read by column name.
    """

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._conn = connection
        self.path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._savepoints = 0
        self._closed = False

    async def close(self) -> None:
        """Close the connection (again is harmless)."""
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                # SQLite's advice for long-lived connections: refresh planner statistics on close.
                await self._conn.execute("PRAGMA optimize")
            except sqlite3.Error as error:
                log.warning("PRAGMA optimize failed on %s: %s", self.path, error)
            await self._conn.close()

    async def schema_version(self) -> int:
        async with self.reading() as conn:
            return await user_version(conn)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """An IMMEDIATE transaction (takes the write lock up front, so no upgrade deadlock)."""
        async with self._transaction("BEGIN IMMEDIATE") as conn:
            yield conn

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read transaction: a consistent snapshot across several SELECTs."""
        async with self._transaction("BEGIN") as conn:
            yield conn

    @asynccontextmanager
    async def _transaction(self, begin: str) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in a transaction owned by this task; re-entry uses a savepoint.

        The block owns the connection: calls inside it must run in the same task (awaited
        directly), not in tasks it starts and waits for, which would wait forever.
        """
        conn = self._conn
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            self._savepoints += 1
            name = f"nested_{self._savepoints}"
            try:
                await conn.execute(f"SAVEPOINT {name}")
                yield conn
                await conn.execute(f"RELEASE {name}")
            except BaseException as error:
                await undo(conn, f"ROLLBACK TO {name}")
                await undo(conn, f"RELEASE {name}")
                failure = disk_failure(error)
                if failure is not None:
                    raise failure from error
                raise
            finally:
                self._savepoints -= 1
            return
        async with self._lock:
            self._owner = task
            try:
                # BEGIN inside the try: a cancel while it is queued must still roll back.
                await conn.execute(begin)
                yield conn
                await conn.execute("COMMIT")
            except BaseException as error:
                await undo(conn, "ROLLBACK")
                failure = disk_failure(error)
                if failure is not None:  # a full disk is the machine's, not a bug: say it
                    log.info("transaction on %s rolled back: %s", self.path, error)
                    raise failure from error
                raise
            finally:
                self._owner = None
