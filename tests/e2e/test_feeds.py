"""Feeds and live channels end to end: the real bot against the Discord double, a local
publisher, an injected clock (each pass of the poller is run by the test, no sleeping)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.analysis import ThreadAnalyzer
from bot.app import App
from bot.config import Settings
from commands.client import DiplobriefBot
from commands.feeds import FeedCog
from tests.discord_double import payloads as p
from tests.discord_double.fixtures import RunningBot
from tests.discord_double.server import DiscordDouble, InteractionRecord
from tests.feed_server import (
    FISHERIES_DAILY,
    FISHERIES_WIRE,
    KOREA_DIALOGUE,
    SUDAN_TALKS,
    FeedServer,
    Item,
    article_html,
    at,
    feed_server,  # noqa: F401
)

ANALYZER = ThreadAnalyzer(None)


@dataclass
class Clock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


@dataclass
class FeedBot:
    running: RunningBot
    cog: FeedCog
    clock: Clock
    double: DiscordDouble
    server: FeedServer

    async def run_once(self, minutes: int) -> None:
        self.clock.moment = at(minutes)
        await self.cog.run_once()

    async def slash(self, name: str, options: dict[str, Any], **kwargs: Any) -> InteractionRecord:
        kwargs.setdefault("member", "olivia_owner")
        kwargs.setdefault("channel", "news")
        return await self.running.slash(name, options, timeout_s=30, **kwargs)


def only_text(record: InteractionRecord) -> str:
    [message] = record.visible_messages
    assert message.ephemeral
    return message.content or message.embeds[0].get("description", "")


def page(server: FeedServer, name: str, story: tuple[str, str, list[str]]) -> str:
    return server.page(name, article_html(*story))


@pytest.fixture
async def feed_bot(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,
    bot_runner: Callable[..., Awaitable[RunningBot]],
    feed_server: FeedServer,  # noqa: F811
) -> FeedBot:
    clock = Clock(at(0))
    settings = Settings.from_env(
        {
            "DIPLOBRIEF_DATABASE": str(tmp_path / "bot.db"),
            "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1",
            "DIPLOBRIEF_FEED_INTERVAL": "300",
            "DIPLOBRIEF_FEED_HOST_INTERVAL": "0",
        }
    )
    app = await apps(settings, analyzer=ANALYZER, clock=clock.now)
    bot = DiplobriefBot(app)
    running = await bot_runner(bot)
    await bot.remove_cog("FeedCog")  # its background loop; the test runs each pass itself
    cog = FeedCog(bot, run_poller=False)
    await bot.add_cog(cog)
    await running.sync_commands()
    return FeedBot(running, cog, clock, discord_double, feed_server)


async def test_live_channel_posts_each_story_once_and_edits_it_for_more_outlets(
    feed_bot: FeedBot,
) -> None:
    server, double = feed_bot.server, feed_bot.double
    news = double.channel("news")
    synced = next(c for c in double.global_commands if c["name"] == "feed")
    assert synced["default_member_permissions"] == str(p.MANAGE_CHANNELS)

    wire = server.feed("wire", "Nordic Wire: World")
    wire.items = [Item("w-0", KOREA_DIALOGUE[0], page(server, "korea", KOREA_DIALOGUE), at(-30))]
    home = server.page(
        "home",
        '<html><head><link rel="alternate" type="application/rss+xml" '
        'title="World" href="/feeds/wire"></head><body>Nordic Wire</body></html>',
    )
    refused = await feed_bot.slash("feed add", {"url": home, "live": True}, member="pat_member")
    assert "Manage Channels" in only_text(refused)
    added = await feed_bot.slash("feed add", {"url": home, "live": True})
    assert "Nordic Wire: World" in only_text(added) and f"<#{news.id}>" in only_text(added)

    await feed_bot.run_once(0)  # the first poll: the newest items stored, nothing posted
    assert double.channel_messages(news) == []

    wire.items.insert(
        0, Item("w-1", FISHERIES_WIRE[0], page(server, "fish-wire", FISHERIES_WIRE), at(10))
    )
    await feed_bot.run_once(10)
    [post] = double.channel_messages(news)
    assert post.embeds[0]["title"] == FISHERIES_WIRE[0]
    assert post.nonce and post.allowed_mentions == {"parse": []}
    assert "Norway" in str(post.embeds[0]["fields"])

    daily = server.feed("daily", "Pacific Daily")
    daily.items = [Item("d-0", SUDAN_TALKS[0], page(server, "sudan-old", SUDAN_TALKS), at(-50))]
    await feed_bot.slash("feed add", {"url": server.url("feeds/daily"), "live": True})
    await feed_bot.run_once(12)
    assert len(double.channel_messages(news)) == 1  # the second feed's first poll: no post
    daily.items.insert(
        0, Item("d-1", FISHERIES_DAILY[0], page(server, "fish-daily", FISHERIES_DAILY), at(20))
    )
    await feed_bot.run_once(20)
    [post] = double.channel_messages(news)  # the same story: edited, not posted again
    assert post.edit_count == 1
    sources = next(f for f in post.embeds[0]["fields"] if f["name"] == "2 reports")
    assert "Nordic Wire" in sources["value"] and "Pacific Daily" in sources["value"]

    # /summarize of one report names the server's other report of the story.
    summary = await feed_bot.slash(
        "summarize", {"url": server.url("pages/fish-wire")}, member="pat_member"
    )
    [answer] = summary.visible_messages
    also = next(f for f in answer.embeds[0]["fields"] if f["name"] == "Also reported by")
    assert "Pacific Daily" in also["value"] and "fish-daily" in also["value"]
    assert server.count("/pages/fish-wire") == 1  # stored by the feed: not fetched again

    # The feed's stories are in the server's briefing (and so its digests).
    brief = await feed_bot.slash("brief", {"days": 1}, member="pat_member")
    assert FISHERIES_WIRE[0] in str(brief.visible_messages[0].embeds) or FISHERIES_DAILY[0] in str(
        brief.visible_messages[0].embeds
    )

    # A failing feed says why in /feed list.
    wire.fail_times = 3
    await feed_bot.run_once(40)
    listing = await feed_bot.slash("feed list", {})
    [embed] = listing.visible_messages[0].embeds
    wire_field = next(f for f in embed["fields"] if "Nordic Wire" in f["name"])
    assert "failing" in wire_field["value"] and "HTTP 500" in wire_field["value"]
    assert "Live in" in wire_field["value"]
    choices = await feed_bot.running.autocomplete("feed remove", {"feed": "pac"}, "feed")
    assert [c["name"] for c in choices] == ["Pacific Daily"]
    removed = await feed_bot.slash("feed remove", {"feed": choices[0]["value"]})
    assert "no longer reads" in only_text(removed)


async def test_opml_import_and_export_as_attachments(feed_bot: FeedBot) -> None:
    server = feed_bot.server
    opml = server.page(
        "subs.opml",
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="Folder">'
        '<outline text="A" xmlUrl="https://a.example/feed"/></outline>'
        '<outline text="B" type="rss" xmlUrl="https://b.example/rss"/></body></opml>',
        content_type="text/x-opml",
    )
    attachment = {"filename": "subs.opml", "size": 300, "url": opml}
    imported = await feed_bot.slash("feed import", {"file": attachment})
    assert "Added 2 feeds" in only_text(imported)
    broken = server.page("broken.opml", "<opml><body><outline xmlUrl='x' & ></body>")
    bad = await feed_bot.slash("feed import", {"file": {**attachment, "url": broken}})
    assert "well-formed" in only_text(bad)
    exported = await feed_bot.slash("feed export", {})
    [message] = exported.visible_messages
    assert message.ephemeral and message.files[0].filename == "diplobrief-feeds.opml"
    assert b"https://b.example/rss" in message.files[0].data
