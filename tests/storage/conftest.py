"""Storage fixtures: a real Store on a fresh database per test, seen only through its Protocol.

The suite is written against storage.protocols, so every backend runs the same tests: `store`
is each test once on SQLite and once on PostgreSQL (a throw-away server, see
tests/postgres_cluster.py; skipped with a reason where none is installed, never in CI). Tests
that look at SQLite's own files take `sqlite_store` instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import SqliteStore, Store, open_store
from tests.postgres_cluster import new_database

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a SQLite test database lives (a parent folder that does not exist yet)."""
    return tmp_path / "data" / "diplobrief.db"


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, db_path: Path) -> AsyncIterator[Store]:
    """An open Store of each backend in turn, closed after the test."""
    if request.param == "postgresql":
        database: str | Path = await new_database(request.getfixturevalue("postgres"))
    else:
        database = db_path
    opened = await open_store(database)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def sqlite_store(db_path: Path) -> AsyncIterator[SqliteStore]:
    """An open SQLite Store at db_path, for tests that read the file itself."""
    async with await SqliteStore.open(db_path) as opened:
        yield opened
