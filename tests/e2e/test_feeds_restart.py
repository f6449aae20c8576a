"""The real bot as a process, SIGKILLed after Discord accepted a live post but before the bot
could record it, then started again: the story is in the channel once, and an item that
arrived meanwhile is posted too. The bot runs `diplobrief run` against the Discord double."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.analysis import ThreadAnalyzer
from bot.app import App
from bot.config import Settings
from tests.conftest import REPO
from tests.discord_double.server import BOT_TOKEN, DiscordDouble
from tests.feed_server import (
    FISHERIES_WIRE,
    SUDAN_TALKS,
    FeedServer,
    Item,
    article_html,
    at,
    feed_server,  # noqa: F401
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

ANALYZER = ThreadAnalyzer(None)
START_TIMEOUT_S = 240.0  # a process loads spaCy in its analysis worker first


@pytest.fixture
async def bot_processes() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Bot processes this test starts (each in its own process group with its worker)."""
    started: list[asyncio.subprocess.Process] = []
    yield started
    for process in started:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


async def start_bot_process(
    double: DiscordDouble, db: Path, started: list[asyncio.subprocess.Process]
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DISCORD_TOKEN": BOT_TOKEN,
        "DISCORD_API_BASE": double.api_base,
        "DISCORD_GATEWAY_URL": double.gateway_url,
        "DIPLOBRIEF_DATABASE": str(db),
        "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1",
        "DIPLOBRIEF_FEED_INTERVAL": "5",
        "DIPLOBRIEF_FEED_HOST_INTERVAL": "0",
        "DIPLOBRIEF_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,  # its analysis worker dies with it
    )
    started.append(process)
    return process


async def settled_posts(db: Path, timeout_s: float = 60.0) -> list[str]:
    """The live posts' statuses once none is still being sent (re-read until then)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        with sqlite3.connect(db) as conn:
            statuses = [row[0] for row in conn.execute("SELECT status FROM live_posts ORDER BY id")]
        if "sending" not in statuses or asyncio.get_running_loop().time() > deadline:
            return statuses
        await asyncio.sleep(0.1)


def make_due(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE feeds SET next_fetch_at = '2000-01-01T00:00:00.000000+00:00'")


async def test_sigkill_between_discord_accepting_and_recording_a_post_then_restart(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,
    feed_server: FeedServer,  # noqa: F811
    bot_processes: list[asyncio.subprocess.Process],
) -> None:
    db = tmp_path / "bot.db"
    news = discord_double.channel("news")
    guild = discord_double.world.guild.id
    settings = Settings.from_env(
        {"DIPLOBRIEF_DATABASE": str(db), "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1"}
    )
    app = await apps(settings, analyzer=ANALYZER)
    served = feed_server.feed("wire", "Nordic Wire")
    await app.feeds.add(guild, feed_server.url("feeds/wire"), live_channel_id=news.id)
    await app.feed_poller.poll_due()  # the first fetch: an empty feed, nothing to post

    served.items = [
        Item("w-1", FISHERIES_WIRE[0], feed_server.page("w1", article_html(*FISHERIES_WIRE)), at(1))
    ]
    make_due(db)
    discord_double.hold_channel_posts = asyncio.Event()  # accepted, never answered
    first = await start_bot_process(discord_double, db, bot_processes)
    [accepted] = await discord_double.wait_until(
        lambda: discord_double.channel_messages(news) or None,
        START_TIMEOUT_S,
        "the first live post",
    )
    os.killpg(first.pid, signal.SIGKILL)
    await first.wait()
    discord_double.hold_channel_posts.set()
    discord_double.hold_channel_posts = None

    served.items.insert(
        0, Item("w-2", SUDAN_TALKS[0], feed_server.page("w2", article_html(*SUDAN_TALKS)), at(2))
    )
    make_due(db)
    second = await start_bot_process(discord_double, db, bot_processes)

    def two_posts() -> list[Any] | None:
        found = discord_double.channel_messages(news)
        return found if len(found) >= 2 else None

    posts = await discord_double.wait_until(two_posts, START_TIMEOUT_S, "the second story's post")
    statuses = await settled_posts(db)  # the interrupted post was finished, not left hanging
    os.killpg(second.pid, signal.SIGKILL)
    await second.wait()
    titles = [message.embeds[0]["title"] for message in posts]
    assert titles == [FISHERIES_WIRE[0], SUDAN_TALKS[0]]  # each story once, none lost
    assert posts[0].id == accepted.id
    assert statuses[1] == "posted" and statuses[0] in ("posted", "abandoned")
    creates = discord_double.requests_to("POST", f"/channels/{news.id}/messages")
    if statuses[0] == "posted":  # sent again with its nonce; Discord kept one message
        assert [r.json["nonce"] for r in creates].count(accepted.nonce) == 2
