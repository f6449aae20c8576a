"""Past one process: three shard processes and a worker on one PostgreSQL database.

Real `diplobrief run --shard-ids i --shard-count 3` and `diplobrief worker` subprocesses
against the Discord double: each guild's commands are answered by its own shard; 200 digests
due at once are each posted exactly once; a process SIGKILLed in the middle loses nothing,
doubles nothing — its claims expire and the others finish its work. Feeds: however many
processes poll, each feed is fetched once per interval, a new item's page once, and its story
posted once in each server's live channel.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import open_store
from tests.conftest import REPO
from tests.discord_double import payloads as p
from tests.discord_double.records import SentMessage
from tests.discord_double.server import BOT_TOKEN, DiscordDouble
from tests.feed_server import (
    FISHERIES_WIRE,
    KOREA_DIALOGUE,
    SUDAN_TALKS,
    FeedServer,
    Item,
    article_html,
    feed_server,  # noqa: F401
)
from tests.postgres_cluster import PostgresServer, new_database
from tests.processes import Processes

SHARDS = 3
DIGESTS = 200
LEASE_S = 5
FEEDS = 4
FEED_INTERVAL_S = 5


def snowflake_on_shard(shard: int, count: int) -> int:
    """A fresh snowflake whose guild Discord would give to `shard` of `count`."""
    snowflake = p.new_snowflake()
    millis = snowflake >> 22
    millis -= (millis - shard) % count
    return (millis << 22) | (snowflake & 0x3FFFFF)


def world_with_a_guild_per_shard(channels_per_guild: int) -> p.World:
    world = p.default_world()
    template = world.guild
    bot_member = next(m for m in template.members if m.user.bot)
    guilds = []
    for shard in range(SHARDS):
        guild_id = snowflake_on_shard(shard, SHARDS)
        everyone = p.FakeRole(guild_id, "@everyone", p.EVERYDAY_PERMISSIONS)
        bot_role = p.FakeRole(p.new_snowflake(), "Diplobrief", p.BOT_PERMISSIONS, 1, managed=True)
        guilds.append(
            p.FakeGuild(
                id=guild_id,
                name=f"Mission {shard}",
                owner_id=template.owner_id,
                channels=[
                    p.FakeChannel(p.new_snowflake(), f"desk-{n}", guild_id, n)
                    for n in range(channels_per_guild)
                ],
                roles=[everyone, bot_role],
                members=[p.FakeMember(m.user) for m in template.members if m is not bot_member]
                + [p.FakeMember(bot_member.user, (bot_role.id,))],
            )
        )
    world.guilds = guilds
    return world


@pytest.fixture
async def double() -> AsyncIterator[DiscordDouble]:
    started = DiscordDouble(world_with_a_guild_per_shard(DIGESTS // SHARDS + 1))
    await started.start()
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
async def processes(tmp_path: Path, double: DiscordDouble) -> AsyncIterator[Processes]:
    env = {
        **os.environ,
        "DISCORD_TOKEN": BOT_TOKEN,
        "DISCORD_API_BASE": double.api_base,
        "DISCORD_GATEWAY_URL": double.gateway_url,
        "DIPLOBRIEF_JOB_LEASE": str(LEASE_S),
        "DIPLOBRIEF_LOG_LEVEL": "INFO",
    }
    running = Processes(tmp_path, env)
    try:
        yield running
    finally:
        await running.stop_all()


async def wait_for(
    condition: object, what: str, processes: Processes, timeout_s: float = 180
) -> None:
    """Until `condition()` holds (checked every 0.2 s; the clock only bounds a hung test)."""
    assert callable(condition)
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{processes.logs()}")
        dead = [n for n, proc in processes.running.items() if proc.poll() not in (None, -9)]
        if dead:
            raise AssertionError(f"{dead} exited\n{processes.logs()}")
        await asyncio.sleep(0.2)


async def test_three_shards_and_a_worker_answer_their_guilds_and_post_each_digest_once(
    double: DiscordDouble, processes: Processes, postgres: PostgresServer
) -> None:
    database = await new_database(postgres)
    processes.env["DIPLOBRIEF_DATABASE"] = database
    # All four start at once on a new database: the migrations run once (advisory lock).
    for shard in range(SHARDS):
        processes.start(f"shard{shard}", "run", "--shard-ids", str(shard), "--shard-count", "3")
    processes.start("worker", "worker")

    # Register the commands (the double answers only synced ones) while the others start.
    sync = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sync",
        cwd=REPO,
        env=processes.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await sync.communicate()
    assert sync.returncode == 0, errors.decode()
    sync_log = errors.decode(errors="replace")  # `sync` opens the database too: it may migrate

    def identified() -> set[tuple[int, int]]:
        return {tuple(e.detail["shard"]) for e in double.gateway_events_of("identify")}  # type: ignore[misc]

    await wait_for(
        lambda: identified() == {(i, SHARDS) for i in range(SHARDS)}, "3 shards", processes
    )
    await wait_for(lambda: "worker ready" in processes.log("worker"), "the worker", processes)

    for guild in double.world.guilds:
        session = double.gateway.session_for(guild.id)
        assert session is not None and session.owns(guild.id)
        channel = guild.channels[0]
        owner = double.member(guild.owner_id, guild)
        record = await double.send_slash_command("help", member=owner, channel=channel)
        await double.wait_answered(record, 120)
        assert record.visible_messages[0].embeds[0]["title"] == "Diplobrief"

    store = await open_store(database)
    try:
        now = datetime.now(UTC)
        channels = [c for g in double.world.guilds for c in g.channels][:DIGESTS]
        for channel in channels:
            await store.digests.subscribe(
                channel.guild_id,
                channel.id,
                local_time="08:00",
                timezone="UTC",
                topic=None,
                country=None,
                quiet=False,
                created_by=None,
                next_due_at=now - timedelta(seconds=1),
                now=now - timedelta(days=1),
            )
    finally:
        await store.close()
    # Discord's global limit: a 429 is retried by discord.py (the bench counts them; this
    # test only needs every digest once whatever the timing).
    double.set_rate_limit(50, 1.0, is_global=True)

    def posted() -> int:
        return len({m.channel_id for m in double.channel_messages() if not m.deleted})

    await wait_for(lambda: posted() >= 20, "the first digests", processes)
    await processes.kill("shard1")  # as the OOM killer would: no goodbye, claims left behind
    await wait_for(lambda: posted() == DIGESTS, "every digest", processes)
    await asyncio.sleep(LEASE_S * 2)  # the killed process's leases have expired by now
    per_channel: dict[int, int] = {}
    for message in double.channel_messages():
        if not message.deleted:
            per_channel[message.channel_id] = per_channel.get(message.channel_id, 0) + 1
    assert set(per_channel) == {c.id for c in channels}
    assert set(per_channel.values()) == {1}, "a digest was posted twice"
    logs = [sync_log, *(processes.log(n) for n in processes.running)]
    assert sum(log.count("applying migration 0001") for log in logs) == 1  # once, by any of five


async def test_each_feed_is_fetched_once_per_interval_across_three_shards_and_a_worker(
    double: DiscordDouble,
    processes: Processes,
    postgres: PostgresServer,
    feed_server: FeedServer,  # noqa: F811
) -> None:
    database = await new_database(postgres)
    processes.env.update(
        {
            "DIPLOBRIEF_DATABASE": database,
            "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1",  # the publisher is on 127.0.0.1
            "DIPLOBRIEF_FEED_INTERVAL": str(FEED_INTERVAL_S),
            "DIPLOBRIEF_FEED_HOST_INTERVAL": "0",
        }
    )
    paths = [f"/feeds/desk{n}" for n in range(FEEDS)]
    # Feed 0 (live) starts empty; two others carry other stories than the one posted later.
    stories = {1: SUDAN_TALKS, 2: KOREA_DIALOGUE}
    for n in range(FEEDS):
        served = feed_server.feed(f"desk{n}", f"Desk {n}")
        if n in stories:
            page = feed_server.page(f"d{n}-0", article_html(*stories[n]))
            served.items = [Item(f"d{n}-0", stories[n][0], page)]
    guilds = double.world.guilds
    live_channels = {guild.id: guild.channels[0].id for guild in guilds}
    # Every server reads every feed (one feed row each, however many servers), feed 0 live.
    # Subscribed before the processes start, so each finds them in the database at once.
    store = await open_store(database)
    try:
        now = datetime.now(UTC)
        for guild in guilds:
            for n in range(FEEDS):
                added = await store.feeds.subscribe(
                    guild.id,
                    feed_server.url(paths[n]),
                    title=None,
                    site_url=None,
                    live_channel_id=live_channels[guild.id] if n == 0 else None,
                    topic=None,
                    country=None,
                    created_by=None,
                    now=now,
                    limit=FEEDS,
                )
                assert added is not None
        for shard in range(SHARDS):
            processes.start(f"shard{shard}", "run", "--shard-ids", str(shard), "--shard-count", "3")
        processes.start("worker", "worker")

        def fetched_at_least(times: int, which: list[str] = paths) -> bool:
            return all(len(feed_server.arrivals.get(path, [])) >= times for path in which)

        # The first fetch stores each feed's items (no live post: no flood), then 304s.
        await wait_for(lambda: fetched_at_least(3), "three polls of every feed", processes)
        assert double.channel_messages() == []

        page = feed_server.page("d0-1", article_html(*FISHERIES_WIRE))
        feed_server.feed("desk0").items.insert(0, Item("d0-1", FISHERIES_WIRE[0], page))

        def live_posts() -> list[SentMessage]:
            return [m for m in double.channel_messages() if not m.deleted]

        await wait_for(lambda: len(live_posts()) >= len(guilds), "a post per server", processes)
        # Two more polls of the feed after the posts: time for any double to show.
        seen = len(feed_server.arrivals[paths[0]])
        await wait_for(lambda: fetched_at_least(seen + 2, paths[:1]), "two more polls", processes)
        for guild in guilds:
            assert await store.articles.count(guild.id) == len(stories) + 1
    finally:
        await store.close()

    for path in paths:
        arrivals = feed_server.arrivals[path]
        gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
        # A feed is due again only an interval after its last answer (jitter only lengthens):
        # two processes fetching it in one interval would show a shorter gap.
        assert min(gaps) >= FEED_INTERVAL_S - 0.001, f"{path} fetched twice in an interval"
    assert feed_server.count("/pages/d0-1") == 1  # one fetch of the page for three servers
    posts = live_posts()
    assert sorted(m.channel_id for m in posts) == sorted(live_channels.values())
    assert {m.embeds[0]["title"] for m in posts} == {FISHERIES_WIRE[0]}
