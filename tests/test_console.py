"""The console answers the slash commands with the real services (in process)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from bot.console import Console, parse_line
from tests.conftest import SEED


@pytest.fixture
async def console(tmp_path: Path, apps: Callable[..., Awaitable[App]]) -> Console:
    settings = Settings.from_env({"DIPLOBRIEF_DATABASE": str(tmp_path / "db.sqlite")})
    return Console(await apps(settings))


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
    assert "1 article matches" in await console.answer("/search query:Pyongyang")
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
    refused = await console.answer("/summarize url:https://127.0.0.1/x")
    assert refused.startswith("Error:") and "public internet" in refused


async def test_relations_and_brief_write_pictures_and_print_their_path(
    console: Console, tmp_path: Path
) -> None:
    await console.answer(f"/summarize url:{SEED}")
    network = tmp_path / "network.png"
    reply = await console.answer(f"/relations country:KP png:{network}")
    assert "China" in reply
    assert reply.endswith(f"Picture: {network}")
    assert network.read_bytes().startswith(b"\x89PNG")
    timeline = tmp_path / "timeline.png"
    reply = await console.answer(f"/brief days:3 png:{timeline}")
    assert reply.endswith(f"Picture: {timeline}") and timeline.exists()
    reply = await console.answer(f"/brief png:{tmp_path / 'day.png'}")
    assert reply.endswith(
        "No picture: a briefing of one day has nothing to chart (ask for 2 days or more)."
    )
    reply = await console.answer(f"/relations KP png:{tmp_path / 'missing' / 'x.png'}")
    assert "cannot write the picture" in reply.splitlines()[-1]
