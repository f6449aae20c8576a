"""Daily digests: N subscriptions due in the same minute, sent against Discord's rate limits.

The real discord.py HTTP client posts to the Discord double, which enforces a global limit of
50 requests per second (fixed one-second windows, as Discord's "50 per second") and a per-channel
limit of 5 messages per 5 seconds. The scheduler's pacer and bounded worker pool should send
everything with no 429 and within 10% of the time the global limit allows (N / 50 s).
Run: `python -m bench.digest [N] [--workers W] [--margin S]` (N defaults to 5,000: ~100 s).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord

from bot.analysis import AnalysisRequest, ThreadAnalyzer, run_request
from bot.domain.schedule import first_due
from bot.nlp.pipeline import load_nlp
from bot.services.briefings import BriefingService
from bot.services.scheduler import MAX_CONCURRENT_SENDS, PACER_MARGIN_S, DigestScheduler
from commands.digest import DiscordDigestSender
from commands.discord_endpoints import current_discord_endpoints, point_discord_at
from storage import SqliteStore
from tests.discord_double import payloads as p
from tests.discord_double.server import BOT_TOKEN, DiscordDouble

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_e9df03318483bce7.txt"
GLOBAL_LIMIT = 50  # requests per second, Discord's global limit for a bot
CHANNEL_LIMIT = (5, 5.0)  # messages per channel per 5 s, Discord's usual channel bucket
DUE = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


async def measure(count: int, workers: int, margin: float) -> None:
    double = DiscordDouble()
    guild = double.world.guild
    channels = [p.FakeChannel(p.new_snowflake(), f"desk-{i}", guild.id, i) for i in range(count)]
    guild.channels.extend(channels)
    await double.start()
    previous = current_discord_endpoints()
    point_discord_at(double.api_base, double.gateway_url)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(BOT_TOKEN)
        with tempfile.TemporaryDirectory() as tmp:
            async with await SqliteStore.open(Path(tmp) / "digest.db") as store:
                nlp = load_nlp()
                seed = run_request(nlp, AnalysisRequest(data=SEED.read_text(encoding="utf-8")))
                await store.articles.add(guild.id, seed.article, seed.analysis, now=DUE)
                created = datetime(2024, 6, 2, 12, 0, tzinfo=UTC)
                for channel in channels:
                    await store.digests.subscribe(
                        guild.id,
                        channel.id,
                        local_time="08:00",
                        timezone="UTC",
                        topic=None,
                        country=None,
                        quiet=False,
                        created_by=None,
                        next_due_at=first_due("08:00", "UTC", created),
                        now=created,
                    )
                scheduler = DigestScheduler(
                    store,
                    BriefingService(store, ThreadAnalyzer(None), lambda: DUE),
                    DiscordDigestSender(client),
                    now=lambda: DUE,
                    max_concurrency=workers,
                    requests_per_second=GLOBAL_LIMIT,
                    pacer_margin_s=margin,
                )
                global_limit = double.set_rate_limit(GLOBAL_LIMIT, 1.0, is_global=True)
                channel_limit = double.set_rate_limit(
                    *CHANNEL_LIMIT, path="/channels/{id}/messages", method="POST"
                )
                started = time.perf_counter()
                results = await scheduler.run_once(DUE.replace(second=30))
                elapsed = time.perf_counter() - started
    finally:
        await client.close()
        await double.close()
        point_discord_at(previous[0], str(previous[1]))
    outcomes = Counter(r.outcome for r in results)
    posted = len(double.channel_messages())
    posts = double.requests_to("POST", "/channels/{id}/messages")
    allowed = count / GLOBAL_LIMIT
    # With fixed one-second windows the last burst may start at ceil(N / 50) - 1 s.
    floor = max(0, -(-count // GLOBAL_LIMIT) - 1)
    print(f"digest: {count} subscriptions due in the same minute, {workers} concurrent sends")
    print(f"  outcomes           {dict(outcomes)}")
    print(f"  messages posted    {posted} ({len(posts)} POST requests)")
    print(f"  429 answers        {global_limit.refused} global, {channel_limit.refused} channel")
    print(
        f"  time               {elapsed:.1f} s; the global limit allows {allowed:.1f} s "
        f"(strict floor {floor} s)"
    )
    print(f"  ratio              {elapsed / allowed:.3f}   (target ≤ 1.10, no 429)")
    print(f"  throughput         {posted / elapsed:.1f} messages/s (limit {GLOBAL_LIMIT}/s)")


async def measure_processes(count: int, processes: int) -> None:
    """`processes` real `diplobrief worker` processes on one PostgreSQL database share the work."""
    import os

    from storage import open_store
    from tests.postgres_cluster import new_database, postgres_server
    from tests.processes import Processes

    double = DiscordDouble()
    guild = double.world.guild
    channels = [p.FakeChannel(p.new_snowflake(), f"desk-{i}", guild.id, i) for i in range(count)]
    guild.channels.extend(channels)
    await double.start()
    with postgres_server() as server, tempfile.TemporaryDirectory() as tmp:
        database = await new_database(server)
        store = await open_store(database)
        try:
            now = datetime.now(UTC)
            for channel in channels:
                await store.digests.subscribe(
                    guild.id,
                    channel.id,
                    local_time="08:00",
                    timezone="UTC",
                    topic=None,
                    country=None,
                    quiet=False,
                    created_by=None,
                    next_due_at=now + timedelta(seconds=30),
                    now=now - timedelta(days=1),
                )
        finally:
            await store.close()
        env = {
            **os.environ,
            "DISCORD_TOKEN": BOT_TOKEN,
            "DISCORD_API_BASE": double.api_base,
            "DISCORD_GATEWAY_URL": double.gateway_url,
            "DIPLOBRIEF_DATABASE": database,
            "DIPLOBRIEF_LOG_LEVEL": "WARNING",
        }
        running = Processes(Path(tmp), env)
        try:
            for number in range(processes):
                running.start(f"worker{number}", "worker")
            global_limit = double.set_rate_limit(GLOBAL_LIMIT, 1.0, is_global=True)
            # Every digest has a story to tell (quiet days would post nothing).
            store = await open_store(database)
            try:
                nlp = load_nlp()
                seed = run_request(nlp, AnalysisRequest(data=SEED.read_text(encoding="utf-8")))
                await store.articles.add(guild.id, seed.article, seed.analysis, now=now)
            finally:
                await store.close()
            # The clock starts when the digests fall due (the workers have started by then).
            await asyncio.sleep(
                max((now + timedelta(seconds=30) - datetime.now(UTC)).total_seconds(), 0)
            )
            started = time.perf_counter()
            try:
                await double.wait_until(
                    lambda: len({m.channel_id for m in double.channel_messages()}) >= count,
                    3 * count / GLOBAL_LIMIT + 120,
                    "every digest",
                )
            except AssertionError:
                print(running.logs())
                raise
            elapsed = time.perf_counter() - started
        finally:
            await running.stop_all()
            await double.close()
    messages = double.channel_messages()
    per_channel = Counter(m.channel_id for m in messages)
    allowed = count / GLOBAL_LIMIT
    print(f"digest: {count} subscriptions due at once, {processes} worker processes, PostgreSQL")
    print(f"  messages posted    {len(messages)} in {len(per_channel)} channels")
    print(f"  posted twice       {sum(1 for n in per_channel.values() if n > 1)}")
    print(f"  429 answers        {global_limit.refused} global")
    routes = Counter(f"{r.method} {r.path.split('/')[1]}" for r in double.requests)
    print(f"  requests           {dict(routes)}")
    print(f"  time               {elapsed:.1f} s; the global limit allows {allowed:.1f} s")
    print(f"  ratio              {elapsed / allowed:.3f}   (target ≤ 1.10, no 429)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.digest", description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=MAX_CONCURRENT_SENDS)
    parser.add_argument("--margin", type=float, default=PACER_MARGIN_S)
    parser.add_argument(
        "--processes", type=int, default=0, help="N worker processes on PostgreSQL instead"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord").setLevel(logging.ERROR)  # voice and intents notices
    if args.processes:
        asyncio.run(measure_processes(args.count, args.processes))
    else:
        asyncio.run(measure(args.count, args.workers, args.margin))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
