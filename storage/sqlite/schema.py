"""Open the Store's SQLite file and bring its schema up to date, from any number of processes.

Several processes (the bot, the CLI, a second bot) may open the same new file at the same moment.
Two SQLite facts make that a race unless the steps below are kept in this order:

- Turning a new file into WAL takes an exclusive lock, and SQLite reads the file under a shared
  lock first and then upgrades. A connection that fails to upgrade because another is doing the
  same gets SQLITE_BUSY at once: SQLite calls no busy handler on an upgrade (waiting while
  holding a shared lock could deadlock), so busy_timeout does not help. `_switch_to_wal` retries
  that one statement on that one error.
- Schema changes (the migrations, and the FTS5 virtual table whose constructor runs SQL of its
  own) must run while holding the write lock and against the schema as it is under that lock.
  `apply_migrations` takes the lock with BEGIN IMMEDIATE (which does wait in the busy handler),
  re-reads the schema, then reads the version: whoever is second sees the first one's work and
  applies nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiosqlite

from bot.domain.errors import StorageError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# The pauses of SQLite's own busy handler (sqliteDefaultBusyCallback), used where SQLite calls
# none: short first, because the connection we wait for holds the lock for a millisecond or so.
WAL_RETRY_DELAYS_MS = (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100)
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
        # This connection may have parsed the schema before another process migrated the file.
        # Reading sqlite_schema checks the schema cookie against the locked snapshot and reloads
        # the schema if it changed, so no later statement is prepared against a stale one. That
        # matters most for FTS5: its constructor runs SQL of its own, and an SQLITE_SCHEMA there
        # cannot be retried ("vtable constructor failed"). PRAGMA user_version does not check
        # the cookie, hence this statement first.
        await conn.execute("SELECT count(*) FROM sqlite_schema")
        current = await _refuse_unknown(conn, len(migrations))
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


class NewerDatabaseError(RuntimeError):
    """The file was migrated by newer code than this: its schema is unknown here."""


class ForeignDatabaseError(RuntimeError):
    """The file is an SQLite database of another program: never migrate someone else's data."""


async def _refuse_unknown(conn: aiosqlite.Connection, known: int) -> int:
    """The file's schema version, unless newer code or another program made it (raises).

    The version and the table names are read in ONE statement, so both come from one snapshot:
    read apart, another process's migration could commit between them, and a new file being
    migrated would look like version 0 with tables — someone else's database.
    """
    async with conn.execute(
        "SELECT (SELECT user_version FROM pragma_user_version) AS version,"
        " (SELECT group_concat(name, char(31)) FROM sqlite_master"
        "  WHERE type = 'table' AND name NOT LIKE 'sqlite_%') AS tables"
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    current = int(row[0] or 0)
    tables = set(row[1].split("\x1f")) if row[1] else set()
    if current > known:
        raise NewerDatabaseError(
            f"the database is at schema {current}, newer than this code ({known}): "
            "run a newer Diplobrief, or restore an older copy"
        )
    # A database with tables but no schema version, or a version but no articles table, was
    # not made by Diplobrief.
    if (current == 0 and tables) or (current > 0 and "articles" not in tables):
        raise ForeignDatabaseError(
            "this is another program's SQLite database (its tables are not Diplobrief's); "
            "point DIPLOBRIEF_DATABASE at a new file"
        )
    return current


def _open_failure(path: Path, error: BaseException) -> StorageError:
    """One line naming the file and what is wrong with it."""
    if isinstance(error, NewerDatabaseError | ForeignDatabaseError):
        reason = str(error)
    elif isinstance(error, sqlite3.DatabaseError) and "not a database" in str(error):
        reason = "not a database (the file holds something else, or its start is damaged)"
    elif isinstance(error, sqlite3.DatabaseError) and "malformed" in str(error):
        reason = (
            "the database is damaged (SQLite: database disk image is malformed); restore a backup"
        )
    elif isinstance(error, IsADirectoryError) or path.is_dir():
        reason = "is a folder, not a database file"
    elif isinstance(error, FileExistsError | NotADirectoryError) or _under_a_file(path):
        reason = "cannot be created there: a file stands where its folder should be"
    elif isinstance(error, PermissionError):
        reason = "permission denied"
    else:
        reason = f"cannot be opened ({error})"
    return StorageError(f"{path}: {reason}.")


def _prepare_folder(path: Path) -> None:
    """Create the database's folders; refuse a path that is itself a folder."""
    if path.is_dir():
        raise IsADirectoryError(path)
    path.parent.mkdir(parents=True, exist_ok=True)


def _under_a_file(path: Path) -> bool:
    return any(parent.exists() and not parent.is_dir() for parent in path.parents)


async def open_database(path: Path) -> aiosqlite.Connection:
    """A connection to `path` (created with its folders), our pragmas set, its schema current.

    A file that cannot be our database (random bytes, text, damaged, another program's, from
    newer code, a folder, under a file) raises StorageError naming the file and the cause.
    """
    try:
        # Checked before connecting: aiosqlite's thread outlives a failed connect.
        await asyncio.to_thread(_prepare_folder, path)
        connection = await aiosqlite.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise _open_failure(path, error) from error
    try:
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA foreign_keys = ON")
        # Before WAL is switched on (that rewrites the file's header): refuse someone else's
        # file untouched. apply_migrations checks again inside its transaction.
        await _refuse_unknown(connection, len(load_migrations()))
        # SQLite does not change into WAL inside a transaction (an error, or on a new file the
        # old mode kept without a word), so this cannot run under the migrations' write lock. It
        # comes first: the migrations and every later write then run in WAL, and only the first
        # switch of a new file needs the file to itself.
        await _switch_to_wal(connection, path)
        await connection.execute("PRAGMA synchronous = NORMAL")
        applied = await apply_migrations(connection, load_migrations())
        if applied:
            log.info("applied %d migration(s) to %s", applied, path)
        connection.row_factory = aiosqlite.Row
    except (OSError, sqlite3.Error, NewerDatabaseError, ForeignDatabaseError) as error:
        await connection.close()
        raise _open_failure(path, error) from error
    except BaseException:
        await connection.close()
        raise
    return connection


async def _switch_to_wal(conn: aiosqlite.Connection, path: Path) -> None:
    """PRAGMA journal_mode = WAL, retried while another connection holds the lock it needs.

    SQLite returns SQLITE_BUSY here without calling the busy handler (see the module docstring),
    so this does the busy handler's job for this one statement: the same pauses and the same
    BUSY_TIMEOUT_MS budget, counted as time slept rather than read from a clock (as SQLite's
    handler counts), so a loaded machine that wakes us late does not use the budget up. On a new
    file a busy answer means another connection is switching it right now; the next try finds
    WAL and only reads. Only SQLITE_BUSY is retried: SQLITE_LOCKED is a conflict inside one
    process's shared cache, which we do not use, so it stays an error, like everything else.
    """
    slept_ms = 0
    attempt = 0
    while True:
        try:
            async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
                row = await cursor.fetchone()
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or slept_ms >= BUSY_TIMEOUT_MS:
                raise
        else:
            if row is None or str(row[0]).lower() != "wal":
                # A file system without shared memory (some network mounts) keeps the old mode.
                log.warning("SQLite refused WAL for %s (journal_mode=%s)", path, row)
            return
        delay_ms = min(
            WAL_RETRY_DELAYS_MS[min(attempt, len(WAL_RETRY_DELAYS_MS) - 1)],
            BUSY_TIMEOUT_MS - slept_ms,
        )
        attempt += 1
        log.debug("journal_mode=WAL busy on %s, try %d in %d ms", path, attempt + 1, delay_ms)
        await asyncio.sleep(delay_ms / 1000)
        slept_ms += delay_ms


def _is_busy(error: sqlite3.OperationalError) -> bool:
    """Whether SQLite said SQLITE_BUSY (any extended form, e.g. SQLITE_BUSY_SNAPSHOT)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY
