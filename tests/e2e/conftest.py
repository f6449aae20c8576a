"""End-to-end tests share the Discord double fixtures, and a real Diplobrief bot on them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bot.analysis import ProcessPoolAnalyzer
from bot.app import App
from bot.config import Settings
from commands.client import DiplobriefBot
from tests.discord_double.fixtures import RunningBot, bot_runner, discord_double
from tests.pages import PageServer

__all__ = ["analyzer", "bot_runner", "diplobrief", "discord_double", "pages"]


@pytest.fixture(scope="module")
def analyzer() -> Iterator[ProcessPoolAnalyzer]:
    """One real worker process per module: it loads the model once, as in production."""
    pool = ProcessPoolAnalyzer(None, workers=1)
    yield pool
    pool.shutdown()


@pytest.fixture
async def pages() -> AsyncIterator[PageServer]:
    """Article pages on loopback."""
    server = PageServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def diplobrief(
    tmp_path: Path,
    analyzer: ProcessPoolAnalyzer,
    apps: Callable[..., Awaitable[App]],
    bot_runner: Callable[..., Awaitable[RunningBot]],
) -> RunningBot:
    """The real bot on a fresh database, its commands synced (guild copies and global)."""
    settings = Settings.from_env(
        {"DIPLOBRIEF_DATABASE": str(tmp_path / "bot.db"), "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1"}
    )
    running = await bot_runner(DiplobriefBot(await apps(settings, analyzer=analyzer)))
    await running.sync_commands()
    return running
