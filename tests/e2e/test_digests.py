"""Daily digests end to end: the real bot posting to the Discord double (restarts, refusals)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from spacy.language import Language

from bot.analysis import ThreadAnalyzer
from bot.app import App
from bot.config import Settings
from bot.domain.digests import Digest
from bot.domain.schedule import (
    digest_nonce,
)
from commands.client import DiplobriefBot
from commands.digest import DigestCog, DiscordDigestSender
from storage import Store
from tests.conftest import SEED
from tests.digest_texts import BORDER_TALKS, LITHIUM_DEAL, NILE_TREATY, store_article
from tests.discord_double import payloads as p
from tests.discord_double.fixtures import RunningBot, bot_runner, discord_double  # noqa: F401
from tests.discord_double.server import DiscordDouble, SentMessage

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
GUILD = 4242


ANALYZER = ThreadAnalyzer(None)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)  # type: ignore[misc]


# --- the real bot against the Discord double -----------------------------------------------


@dataclass
class FakeClock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


@dataclass
class DigestBot:
    running: RunningBot
    cog: DigestCog
    clock: FakeClock
    double: DiscordDouble

    @property
    def store(self) -> Store:
        return self.running.bot.app.store  # type: ignore[attr-defined, no-any-return]

    @property
    def guild_id(self) -> int:
        return self.double.world.guild.id

    async def subscribe(self, channel: p.FakeChannel, **options: Any) -> Any:
        record = await self.running.slash(
            "digest subscribe", options, member="olivia_owner", channel=channel
        )
        [message] = record.visible_messages
        return message

    async def run_once(self, moment: datetime) -> list[Any]:
        self.clock.moment = moment
        return await self.cog.scheduler.run_once(moment)


START = utc(2024, 6, 3, 4, 0)  # Monday 3 June 2024, 06:00 in Berlin, 00:00 in New York


async def start_digest_bot(
    double: DiscordDouble,
    apps: Callable[..., Awaitable[App]],
    runner: Callable[..., Awaitable[RunningBot]],
    database: Path,
    clock: FakeClock,
    *,
    sender_class: type[DiscordDigestSender] = DiscordDigestSender,
    expect_logged_errors: bool = False,
) -> DigestBot:
    settings = Settings.from_env({"DIPLOBRIEF_DATABASE": str(database)})
    app = await apps(settings, analyzer=ANALYZER, clock=clock.now)
    bot = DiplobriefBot(app)
    running = await runner(bot, expect_logged_errors=expect_logged_errors)
    if bot.get_cog("DigestCog") is not None:  # once wired into COGS, with its own loop
        await bot.remove_cog("DigestCog")
    cog = DigestCog(bot, run_scheduler=False)
    cog.scheduler.sender = sender_class(bot)
    await bot.add_cog(cog)
    await running.sync_commands()
    return DigestBot(running, cog, clock, double)


def add_channels(double: DiscordDouble, count: int) -> list[p.FakeChannel]:
    guild = double.world.guild
    made = [
        p.FakeChannel(p.new_snowflake(), f"desk-{index}", guild.id, 10 + index)
        for index in range(count)
    ]
    guild.channels.extend(made)
    return made


@pytest.fixture
async def digest_bot(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,  # noqa: F811
    bot_runner: Callable[..., Awaitable[RunningBot]],  # noqa: F811
) -> DigestBot:
    add_channels(discord_double, 6)
    return await start_digest_bot(
        discord_double, apps, bot_runner, tmp_path / "bot.db", FakeClock(START)
    )


def digest_posts(double: DiscordDouble, channel: p.FakeChannel) -> list[SentMessage]:
    return [m for m in double.channel_messages(channel) if not m.deleted]


def story_titles(message: SentMessage) -> list[str]:
    return [e["title"] for e in message.embeds[1:]]


async def test_subscribe_command_is_for_channel_managers_and_checks_input_first(
    digest_bot: DigestBot,
) -> None:
    running, double = digest_bot.running, digest_bot.double
    synced = {c["name"]: c for c in double.global_commands}
    assert synced["digest"]["default_member_permissions"] == str(p.MANAGE_CHANNELS)
    assert {o["name"] for o in synced["digest"]["options"]} == {
        "subscribe",
        "unsubscribe",
        "list",
        "preview",
    }
    news = double.channel("news")
    for options, expected in [
        ({"time": "25:00"}, "HH:MM"),
        ({"timezone": "Mars/Olympus"}, "IANA"),
        ({"country": "Atlantis"}, "Atlantis"),
    ]:
        record = await running.slash(
            "digest subscribe", options, channel=news, member="olivia_owner"
        )
        [error] = record.visible_messages
        assert error.ephemeral and expected in error.embeds[0]["description"]
    refused = await running.slash(
        "digest subscribe",
        {},
        member="pat_member",
        channel=news,
        permissions=p.EVERYDAY_PERMISSIONS,
    )
    assert "Manage Channels" in refused.visible_messages[0].embeds[0]["description"]
    assert await digest_bot.store.digests.subscriptions(digest_bot.guild_id) == []

    choices = await running.autocomplete("digest subscribe", {"timezone": "berl"}, "timezone")
    assert [c["value"] for c in choices] == ["Europe/Berlin"]
    confirmation = await digest_bot.subscribe(news, time="7:30", timezone="europe/berlin")
    assert confirmation.ephemeral
    assert "07:30 (Europe/Berlin)" in confirmation.content
    [stored] = await digest_bot.store.digests.subscriptions(digest_bot.guild_id)
    assert stored.channel_id == news.id
    assert stored.next_due_at == utc(2024, 6, 3, 5, 30)
    removed = await running.slash("digest unsubscribe", channel=news, member="olivia_owner")
    assert "no longer" in removed.visible_messages[0].content
    assert await digest_bot.store.digests.subscriptions(digest_bot.guild_id) == []


async def test_digests_arrive_at_local_time_in_two_timezones_with_only_new_stories(
    digest_bot: DigestBot, nlp: Language
) -> None:
    store, double, guild = digest_bot.store, digest_bot.double, digest_bot.guild_id
    berlin, new_york = double.channel("news"), double.channel("general")
    await digest_bot.subscribe(berlin, time="08:00", timezone="Europe/Berlin")  # 06:00 UTC
    await digest_bot.subscribe(new_york, time="08:00", timezone="America/New_York")  # 12:00 UTC
    seed = SEED.read_text(encoding="utf-8")
    await store_article(
        store, nlp, seed, url="https://example.org/kerry", when=utc(2024, 6, 2, 20), guild_id=guild
    )
    await store_article(
        store,
        nlp,
        BORDER_TALKS,
        url="https://example.org/b",
        when=utc(2024, 6, 3, 3),
        guild_id=guild,
    )

    assert await digest_bot.run_once(utc(2024, 6, 3, 5, 59)) == []
    [berlin_result] = await digest_bot.run_once(utc(2024, 6, 3, 6, 0))
    assert (berlin_result.channel_id, berlin_result.outcome) == (berlin.id, "sent")
    [berlin_digest] = digest_posts(double, berlin)
    assert berlin_digest.embeds[0]["title"] == "Daily digest · Monday 3 June 2024"
    titles = " ".join(story_titles(berlin_digest))
    assert "Poland and Germany agree on joint border patrols" in titles
    assert "Kerry" in titles or "North Korea" in titles or "Chinese" in titles
    assert berlin_digest.nonce == digest_nonce(berlin_result.subscription_id, date(2024, 6, 3))
    assert berlin_digest.allowed_mentions == {"parse": []}
    assert digest_posts(double, new_york) == []

    # A story arriving between the two digests is in New York's, which covers the last day.
    await store_article(
        store,
        nlp,
        NILE_TREATY,
        url="https://example.org/n",
        when=utc(2024, 6, 3, 9),
        guild_id=guild,
    )
    assert await digest_bot.run_once(utc(2024, 6, 3, 11, 59)) == []
    [ny_result] = await digest_bot.run_once(utc(2024, 6, 3, 12, 0))
    assert ny_result.channel_id == new_york.id
    ny_titles = " ".join(story_titles(digest_posts(double, new_york)[0]))
    assert "Nile" in ny_titles and "border patrols" in ny_titles

    # Next morning in Berlin: only what arrived since Berlin's previous digest.
    await store_article(
        store,
        nlp,
        LITHIUM_DEAL,
        url="https://example.org/l",
        when=utc(2024, 6, 4, 1),
        guild_id=guild,
    )
    [again] = await digest_bot.run_once(utc(2024, 6, 4, 6, 0))
    assert again.channel_id == berlin.id
    second = digest_posts(double, berlin)[1]
    second_titles = " ".join(story_titles(second))
    assert "lithium" in second_titles and "Nile" in second_titles
    assert "border patrols" not in second_titles


async def test_quiet_day_posts_one_line_or_nothing_if_asked(digest_bot: DigestBot) -> None:
    double = digest_bot.double
    talkative, silent = double.channel("news"), double.channel("general")
    await digest_bot.subscribe(talkative, time="08:00", timezone="UTC")
    await digest_bot.subscribe(silent, time="08:00", timezone="UTC", quiet=True)
    results = await digest_bot.run_once(utc(2024, 6, 3, 8, 0))
    assert sorted(r.outcome for r in results) == ["quiet", "sent"]
    [note] = digest_posts(double, talkative)
    assert note.content.startswith("Quiet day: nothing new since <t:")
    assert "\n" not in note.content and note.embeds == []
    assert digest_posts(double, silent) == []
    assert await digest_bot.run_once(utc(2024, 6, 3, 9, 0)) == []


class ProcessKilled(BaseException):
    """Stands for the process dying: nothing after it runs, no handler catches it."""


class CrashAfterDiscordAccepted(DiscordDigestSender):
    async def send_digest(self, digest: Digest) -> int:
        await super().send_digest(digest)
        raise ProcessKilled


class CrashBeforeSending(DiscordDigestSender):
    async def send_digest(self, digest: Digest) -> int:
        raise ProcessKilled


@pytest.mark.parametrize("sender_class", [CrashAfterDiscordAccepted, CrashBeforeSending])
async def test_restart_mid_send_neither_duplicates_nor_loses_the_digest(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,  # noqa: F811
    bot_runner: Callable[..., Awaitable[RunningBot]],  # noqa: F811
    nlp: Language,
    sender_class: type[DiscordDigestSender],
) -> None:
    database = tmp_path / "bot.db"
    clock = FakeClock(START)
    first = await start_digest_bot(
        discord_double, apps, bot_runner, database, clock, sender_class=sender_class
    )
    news = discord_double.channel("news")
    await first.subscribe(news, time="08:00", timezone="Europe/Berlin")
    await store_article(
        first.store,
        nlp,
        BORDER_TALKS,
        url="https://example.org/b",
        when=utc(2024, 6, 3, 3),
        guild_id=first.guild_id,
    )
    with pytest.raises(ProcessKilled):
        await first.run_once(utc(2024, 6, 3, 6, 0))
    accepted = len(digest_posts(discord_double, news))
    assert accepted == (1 if sender_class is CrashAfterDiscordAccepted else 0)
    await first.running.stop()

    second = await start_digest_bot(discord_double, apps, bot_runner, database, clock)
    [result] = await second.run_once(utc(2024, 6, 3, 6, 1))  # restarted a minute later
    assert result.outcome == "sent"
    [digest] = digest_posts(discord_double, news)
    assert result.message_id == digest.id
    posts = discord_double.requests_to("POST", f"/channels/{news.id}/messages")
    assert len(posts) == accepted + 1  # sent again with the same nonce; Discord kept one
    assert {r.json["nonce"] for r in posts} == {digest.nonce}
    assert all(r.json["enforce_nonce"] is True for r in posts)
    assert await second.run_once(utc(2024, 6, 3, 6, 2)) == []


async def test_deleted_channel_and_lost_permission_pause_and_show_in_list(
    digest_bot: DigestBot,
) -> None:
    double, running = digest_bot.double, digest_bot.running
    gone, forbidden, fine = double.world.guild.channels[2:5]
    for channel in (gone, forbidden, fine):
        await digest_bot.subscribe(channel, time="08:00", timezone="UTC")
    double.world.guild.channels.remove(gone)  # deleted: Discord answers 404 Unknown Channel
    double.inject_fault("POST", f"/channels/{forbidden.id}/messages", 403, times=1)
    results = {r.channel_id: r.outcome for r in await digest_bot.run_once(utc(2024, 6, 3, 8))}
    assert results == {gone.id: "paused", forbidden.id: "paused", fine.id: "sent"}

    listing = await running.slash("digest list", member="olivia_owner")
    [message] = listing.visible_messages
    assert message.ephemeral
    lines = {line.split(" · ")[0]: line for line in message.embeds[0]["description"].splitlines()}
    assert "**paused**" in lines[f"<#{gone.id}>"] and "deleted" in lines[f"<#{gone.id}>"]
    assert "Missing Permissions" in lines[f"<#{forbidden.id}>"]
    assert "paused" not in lines[f"<#{fine.id}>"]
    assert "2 paused" in message.embeds[0]["footer"]["text"]

    posts_before = len(double.requests_to("POST", "/channels/{id}/messages"))
    next_day = await digest_bot.run_once(utc(2024, 6, 4, 8))
    assert [r.channel_id for r in next_day] == [fine.id]  # paused ones are not retried
    assert len(double.requests_to("POST", "/channels/{id}/messages")) == posts_before + 1

    await digest_bot.subscribe(forbidden, time="09:00", timezone="UTC")  # permission restored
    [resumed] = await digest_bot.run_once(utc(2024, 6, 4, 9))
    assert (resumed.channel_id, resumed.outcome) == (forbidden.id, "sent")


async def test_burst_with_429s_is_retried_delivered_once_and_slow_channel_delays_no_one(
    digest_bot: DigestBot,
) -> None:
    double = digest_bot.double
    channels = double.world.guild.channels
    for channel in channels:
        await digest_bot.subscribe(channel, time="08:00", timezone="UTC")
    slow, limited = channels[0], channels[3]
    double.inject_fault("POST", f"/channels/{slow.id}/messages", 429, retry_after=1.0, times=1)
    double.inject_fault("POST", f"/channels/{limited.id}/messages", 429, retry_after=0.05, times=2)
    results = await digest_bot.run_once(utc(2024, 6, 3, 8))
    assert sorted(r.outcome for r in results) == ["sent"] * len(channels)
    for channel in channels:
        assert len(digest_posts(double, channel)) == 1
    assert len(double.requests_to("POST", f"/channels/{limited.id}/messages")) == 3

    def accepted_at(channel: p.FakeChannel) -> float:
        path = f"/channels/{channel.id}/messages"
        return max(r.at for r in double.requests_to("POST", path) if r.status == 200)

    assert all(accepted_at(c) < accepted_at(slow) for c in channels if c is not slow)


async def test_preview_is_private_and_changes_nothing(digest_bot: DigestBot, nlp: Language) -> None:
    double, running = digest_bot.double, digest_bot.running
    news = double.channel("news")
    await store_article(
        digest_bot.store,
        nlp,
        BORDER_TALKS,
        url="https://example.org/b",
        when=utc(2024, 6, 3, 3),
        guild_id=digest_bot.guild_id,
    )
    refused = await running.slash("digest preview", channel=news, member="pat_member")
    assert "Manage Channels" in refused.visible_messages[0].embeds[0]["description"]
    record = await running.slash(
        "digest preview", channel=news, member="olivia_owner", timeout_s=30
    )
    [message] = record.visible_messages
    assert message.ephemeral
    assert "no digest yet" in message.content
    assert "border patrols" in " ".join(story_titles(message))
    assert digest_posts(double, news) == []
    assert await digest_bot.store.digests.subscriptions(digest_bot.guild_id) == []


async def test_cog_runs_the_scheduler_in_the_background_and_stops_it_on_unload(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,  # noqa: F811
    bot_runner: Callable[..., Awaitable[RunningBot]],  # noqa: F811
) -> None:
    clock = FakeClock(utc(2024, 6, 3, 7, 59))
    settings = Settings.from_env({"DIPLOBRIEF_DATABASE": str(tmp_path / "bot.db")})
    bot = DiplobriefBot(await apps(settings, analyzer=ANALYZER, clock=clock.now))
    running = await bot_runner(bot)
    if bot.get_cog("DigestCog") is not None:
        await bot.remove_cog("DigestCog")
    news = discord_double.channel("news")

    async def fake_sleep(seconds: float) -> None:
        if clock.moment >= utc(2024, 6, 3, 8, 0):
            await asyncio.Event().wait()  # after the digest: sleep until cancelled
        clock.moment += timedelta(seconds=seconds)

    cog = DigestCog(bot, sleep=fake_sleep)
    await bot.add_cog(cog)
    await running.sync_commands()
    await running.slash("digest subscribe", {"time": "08:00"}, member="olivia_owner", channel=news)
    [digest] = await running.wait_for_channel_messages(1, channel=news, timeout_s=10)
    assert digest.content.startswith("Quiet day")
    [task] = list(cog.tasks._tasks)
    await bot.remove_cog("DigestCog")
    assert task.cancelled()
