"""Copy a SQLite database into PostgreSQL: `diplobrief migrate-db --to postgresql://…`.

Every table of the PostgreSQL schema is copied from the SQLite file in foreign-key order with
its ids (so `#12` stays the same article), in batches, each row inserted with ON CONFLICT DO
NOTHING: a copy interrupted half-way is finished by running it again, and a run over a complete
copy changes nothing. Afterwards every table's row count is compared with the source, and the
identity sequences are moved past the copied ids.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from storage.postgres.schema import open_pool
from storage.sqlite.schema import load_migrations as load_sqlite_migrations

BATCH_ROWS = 2000


@dataclass(frozen=True)
class TableCopy:
    """One table's outcome: rows in the source, rows written now, rows in the target after."""

    table: str
    source_rows: int
    copied_rows: int
    target_rows: int

    @property
    def complete(self) -> bool:
        return self.source_rows == self.target_rows


class TransferError(Exception):
    """The copy cannot start or did not end complete (message for the operator, one line)."""


@dataclass(frozen=True)
class _Column:
    name: str
    convert: Callable[[Any], Any]


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).astimezone(UTC)


def _boolean(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _identity(value: Any) -> Any:
    return value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "timestamp with time zone": _timestamp,
    "boolean": _boolean,
}


async def _tables_in_dependency_order(conn: asyncpg.Connection) -> list[str]:
    """The target's tables, each after the tables its foreign keys point to."""
    names = [
        row["table_name"]
        for row in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            " AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'"
            " ORDER BY table_name"
        )
    ]
    depends: dict[str, set[str]] = {name: set() for name in names}
    for row in await conn.fetch(
        "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent"
        " FROM pg_constraint c WHERE c.contype = 'f'"
    ):
        if row["child"] in depends and row["parent"] != row["child"]:
            depends[row["child"]].add(row["parent"])
    ordered: list[str] = []
    while depends:
        ready = sorted(name for name, parents in depends.items() if parents <= set(ordered))
        if not ready:
            raise TransferError(f"circular foreign keys among {sorted(depends)}")
        ordered.extend(ready)
        for name in ready:
            del depends[name]
    return ordered


async def _columns(conn: asyncpg.Connection, table: str) -> list[_Column]:
    rows = await conn.fetch(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER'"
        " ORDER BY ordinal_position",
        table,
    )
    return [
        _Column(row["column_name"], _CONVERTERS.get(row["data_type"], _identity)) for row in rows
    ]


def _source_rows(
    path: Path, table: str, columns: Sequence[_Column]
) -> Iterator[list[tuple[Any, ...]]]:
    """The SQLite table's rows, converted for PostgreSQL, BATCH_ROWS at a time (in a thread)."""
    names = ", ".join(column.name for column in columns)
    # Each batch is read by whichever worker thread asyncio.to_thread picks.
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    try:
        cursor = connection.execute(f"SELECT {names} FROM {table}")
        while batch := cursor.fetchmany(BATCH_ROWS):
            yield [
                tuple(column.convert(value) for column, value in zip(columns, row, strict=True))
                for row in batch
            ]
    finally:
        connection.close()


def _source_count(path: Path, table: str) -> int | None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        exists = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        if exists is None:
            return None
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        connection.close()


def _check_source(path: Path) -> None:
    if not path.is_file():
        raise TransferError(f"{path}: no SQLite database there to copy.")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise TransferError(f"{path}: not a SQLite database ({error}).") from None
    expected = len(load_sqlite_migrations())
    if version != expected:
        raise TransferError(
            f"{path}: schema version {version}, expected {expected}; open it once with this "
            "version of Diplobrief (any command) to bring it up to date, then copy."
        )


async def copy_database(
    source: Path, target_url: str, *, progress: Callable[[TableCopy], None] | None = None
) -> list[TableCopy]:
    """Copy every table of `source` into the PostgreSQL database at `target_url`."""
    await asyncio.to_thread(_check_source, source)
    pool = await open_pool(target_url, max_size=2)
    results: list[TableCopy] = []
    try:
        async with pool.acquire() as conn:
            for table in await _tables_in_dependency_order(conn):
                source_rows = await asyncio.to_thread(_source_count, source, table)
                if source_rows is None:
                    continue  # a table only PostgreSQL has (none today)
                columns = await _columns(conn, table)
                placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
                insert = (
                    f"INSERT INTO {table} ({', '.join(c.name for c in columns)})"
                    f" VALUES ({placeholders}) ON CONFLICT DO NOTHING"
                )
                before = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
                batches = _source_rows(source, table, columns)
                while batch := await asyncio.to_thread(next, batches, None):
                    async with conn.transaction():
                        await conn.executemany(insert, batch)
                after = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
                if any(column.name == "id" for column in columns):
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" greatest((SELECT max(id) FROM {table}), 1))"
                    )
                result = TableCopy(table, source_rows, after - before, after)
                results.append(result)
                if progress is not None:
                    progress(result)
    finally:
        await pool.close()
    incomplete = [r for r in results if not r.complete]
    if incomplete:
        details = ", ".join(f"{r.table} {r.target_rows}/{r.source_rows}" for r in incomplete)
        raise TransferError(
            f"row counts differ after the copy ({details}): the target was not empty."
        )
    return results
