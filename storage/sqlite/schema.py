"""Opening a SQLite database for the Store: pragmas, then every pending migration in one go."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered schema change shipped in storage/sqlite/migrations."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """Every migration in the package, numbered 1..N without gaps (a gap is a packaging bug)."""
    folder = resources.files("storage.sqlite") / "migrations"
    migrations = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            migrations.append(
                Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8"))
            )
    migrations.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {versions}")
    return migrations


def split_statements(script: str) -> list[str]:
    """Cut a migration into statements (trigger bodies included) so they run in our transaction."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if _strip_sql_comments(statement):
                statements.append(statement)
            buffer = ""
    if _strip_sql_comments(buffer).strip():
        raise ValueError(f"incomplete SQL statement at end of migration: {buffer.strip()[:80]!r}")
    return statements


def _strip_sql_comments(sql: str) -> str:
    """The SQL without whole-line -- comments; enough to tell a statement from a comment block."""
    return "\n".join(
        line for line in sql.splitlines() if line.strip() and not line.strip().startswith("--")
    ).strip(" ;\n")


async def user_version(conn: aiosqlite.Connection) -> int:
    """PRAGMA user_version: how many migrations have been applied."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def undo(conn: aiosqlite.Connection, statement: str) -> None:
    """Roll back after a failure; a transaction that is already gone is not a second error."""
    try:
        await conn.execute(statement)
    except sqlite3.OperationalError as error:
        log.debug("%s after a failed transaction: %s", statement, error)


async def apply_migrations(conn: aiosqlite.Connection, migrations: Sequence[Migration]) -> int:
    """Apply the pending migrations and the new user_version in ONE transaction; how many ran.

    The version is read after BEGIN IMMEDIATE, so two processes opening a new file at once
    apply each migration once; a failing migration leaves the database as it was.
    """
    try:
        await conn.execute("BEGIN IMMEDIATE")
        current = await user_version(conn)
        if current > len(migrations):
            raise RuntimeError(
                f"database is at schema {current}, newer than this code ({len(migrations)})"
            )
        pending = migrations[current:]
        for migration in pending:
            log.info("applying migration %s", migration.name)
            for statement in split_statements(migration.sql):
                await conn.execute(statement)
        if pending:
            # PRAGMA takes no parameters; the value is our own integer.
            await conn.execute(f"PRAGMA user_version = {len(migrations):d}")
        await conn.execute("COMMIT")
    except BaseException:
        await undo(conn, "ROLLBACK")
        raise
    return len(pending)


async def open_database(path: Path) -> aiosqlite.Connection:
    """A connection to `path` (created with its folders), our pragmas set, its schema current."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA foreign_keys = ON")
        async with connection.execute("PRAGMA journal_mode = WAL") as cursor:
            row = await cursor.fetchone()
        if row is None or str(row[0]).lower() != "wal":
            log.warning("SQLite refused WAL for %s (journal_mode=%s)", path, row)
        await connection.execute("PRAGMA synchronous = NORMAL")
        applied = await apply_migrations(connection, load_migrations())
        if applied:
            log.info("applied %d migration(s) to %s", applied, path)
        connection.row_factory = aiosqlite.Row
    except BaseException:
        await connection.close()
        raise
    return connection
