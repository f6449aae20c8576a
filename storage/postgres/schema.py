"""Opening a PostgreSQL database for the Store: a pool, then every pending migration once.

Migrations are numbered files in storage/postgres/migrations, recorded in `schema_migrations`.
They run in one transaction under an advisory lock, so processes starting at once migrate once:
the second waits for the lock, then finds nothing pending.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key: any constant of ours; "DIPLOBRI" as a 64-bit integer.
MIGRATION_LOCK = 0x444950_4C4F4252
POOL_MIN = 1
POOL_MAX = 10
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered schema change shipped in storage/postgres/migrations."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """Every PostgreSQL migration in the package, numbered 1..N without gaps."""
    folder = resources.files("storage.postgres") / "migrations"
    migrations = [
        Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if (match := _MIGRATION_NAME.match(entry.name))
    ]
    migrations.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {versions}")
    return migrations


async def apply_migrations(connection: asyncpg.Connection, migrations: list[Migration]) -> int:
    """Apply the pending migrations in one transaction under the advisory lock; how many ran."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        current = await connection.fetchval(
            "SELECT coalesce(max(version), 0) FROM schema_migrations"
        )
        if current > len(migrations):
            raise RuntimeError(
                f"database is at schema {current}, newer than this code ({len(migrations)})"
            )
        pending = migrations[current:]
        for migration in pending:
            log.info("applying migration %s", migration.name)
            await connection.execute(migration.sql)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
    return len(pending)


async def schema_version(connection: asyncpg.Connection) -> int:
    return int(await connection.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))


async def open_pool(
    url: str, *, min_size: int = POOL_MIN, max_size: int = POOL_MAX
) -> asyncpg.Pool:
    """A connection pool to `url` with the schema brought up to date."""
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
    try:
        async with pool.acquire() as connection:
            applied = await apply_migrations(connection, load_migrations())
        if applied:
            log.info("applied %d PostgreSQL migration(s)", applied)
    except BaseException:
        await pool.close()
        raise
    return pool
