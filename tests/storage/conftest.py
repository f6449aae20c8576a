"""Storage fixtures: a real Store on a fresh SQLite file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's database lives (a parent folder that does not exist yet)."""
    return tmp_path / "data" / "diplobrief.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    """An open Store, closed after the test."""
    async with await Store.open(db_path) as opened:
        yield opened
