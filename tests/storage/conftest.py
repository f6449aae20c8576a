"""Storage fixtures: a real Store on a fresh database per test, seen only through its Protocol.

The suite is written against storage.protocols, so every backend runs the same tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Store, open_store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's database lives (a parent folder that does not exist yet)."""
    return tmp_path / "data" / "diplobrief.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    """An open Store, closed after the test."""
    opened = await open_store(db_path)
    try:
        yield opened
    finally:
        await opened.close()
