"""Fixtures shared by the whole suite: the real spaCy pipeline and the shared datasets."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from spacy.language import Language

from bot.app import App, open_app
from bot.config import Settings
from bot.nlp.pipeline import load_nlp
from tests.postgres_cluster import PostgresServer, postgres_server

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = REPO / "seeds" / "000_e9df03318483bce7.txt"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/{'/'.join(parts)} (internal datasets, not in a plain clone)")
    return path


@pytest.fixture(scope="session")
def nlp() -> Language:
    """The real model with our components, loaded once for the whole run."""
    return load_nlp()


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
async def apps() -> AsyncIterator[Callable[..., Awaitable[App]]]:
    """`await apps(settings, analyzer=..., clock=...)` opens an App, closed after the test.

    Request it before `bot_runner`, so bots stop before their App closes.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def open_one(settings: Settings, **options: Any) -> App:
            return await stack.enter_async_context(open_app(settings, **options))

        yield open_one


pytest_plugins = ["tests.pages"]  # the `page_server` fixture: article pages on loopback


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this session (skips, or fails in CI, without one)."""
    with postgres_server() as server:
        yield server
