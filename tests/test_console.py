"""The console answers the slash commands with the real services (in process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.analysis import ThreadAnalyzer
from bot.console import Console, parse_line
from bot.domain.errors import FetchError
from bot.service import ArticleService
from storage import SqliteStore
from tests.conftest import SEED


async def refuse_fetch(url: str) -> object:
    raise FetchError("The network is not used in this test.")


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    store = await SqliteStore.open(tmp_path / "db.sqlite")
    service = ArticleService(store, ThreadAnalyzer(None), refuse_fetch)  # type: ignore[arg-type]
    try:
        yield Console(service)
    finally:
        await store.close()


def test_parse_line_options_and_positionals() -> None:
    command = parse_line('/quotes speaker:"John F. Kerry" limit=3')
    assert command is not None
    assert command.name == "quotes"
    assert command.options == {"speaker": "John F. Kerry", "limit": "3"}
    url = parse_line("/summarize https://example.org/a:b sentences:2")
    assert url is not None and url.args == ("https://example.org/a:b",)
    assert parse_line("/article remove 4") == parse_line("/article remove 4")
    assert parse_line("   ") is None


async def test_summarize_quotes_search_list_remove(console: Console) -> None:
    reply = await console.answer(f"/summarize url:{SEED} sentences:2")
    assert reply.startswith("#1 ")
    assert "Summary (" in reply
    assert "Countries:" in reply and "China" in reply
    again = await console.answer(f"/summarize {SEED}")
    assert again.startswith("(already stored)")
    quotes = await console.answer("/quotes speaker:Power")
    assert "Samantha Power" in quotes
    assert "Kerry" not in quotes
    assert "1 article(s)" in await console.answer("/search query:Pyongyang")
    assert "#1" in await console.answer("/article list")
    assert await console.answer("/article remove id:1") == "Removed article #1."
    assert await console.answer("/article list") == "No articles stored yet."


async def test_user_errors_are_one_short_line(console: Console) -> None:
    assert (await console.answer("/frobnicate")).startswith("Unknown command")
    assert (
        await console.answer("/summarize")
        == "Error: Give a link or a file path: /summarize url:<link>."
    )
    assert "no such file" in await console.answer("/summarize url:/nonexistent/file.txt")
    assert "whole number" in await console.answer("/quotes limit:many")
    assert "between 1 and 10" in await console.answer(f"/summarize url:{SEED} sentences:40")
    assert "Unknown summary method" in await console.answer(f"/summarize url:{SEED} method:magic")
    assert "No article #99" in await console.answer("/article remove id:99")
    assert "network is not used" in await console.answer("/summarize url:https://example.org/x")
