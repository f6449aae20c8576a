"""Event-loop lag while the real bot summarizes 20 real articles at once.

The bot (real discord.py client) runs against the Discord double, articles come from a local page
server with real pages of the extraction benchmark, analysis runs in the process pool. A ticker
task measures how late the loop wakes it. Target: worst lag < 100 ms.
Run: `python -m bench.loop_lag [N]`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.analysis import ProcessPoolAnalyzer
from bot.app import open_app
from bot.config import Settings
from commands.client import DiplobriefBot
from commands.discord_endpoints import current_discord_endpoints, point_discord_at
from tests.discord_double.fixtures import start_bot
from tests.discord_double.server import DiscordDouble
from tests.pages import PageServer, benchmark_page_ids

TICK_S = 0.005


async def measure(count: int) -> None:
    page_ids = benchmark_page_ids()[:count]
    if len(page_ids) < count:
        sys.exit("bench: needs ../shared/data/article-extraction-benchmark beside the repository")
    double = DiscordDouble()
    pages = PageServer()
    await double.start()
    await pages.start()
    previous = current_discord_endpoints()
    point_discord_at(double.api_base, double.gateway_url)
    analyzer = ProcessPoolAnalyzer(None, workers=2)
    await analyzer.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(
            {"DIPLOBRIEF_DATABASE": str(Path(tmp) / "b.db"), "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1"}
        )
        async with open_app(settings, analyzer=analyzer) as app:
            running = await start_bot(double, DiplobriefBot(app))
            await running.sync_commands()
            lags: list[float] = []
            stop = asyncio.Event()

            async def ticker() -> None:
                while not stop.is_set():
                    before = time.perf_counter()
                    await asyncio.sleep(TICK_S)
                    lags.append(time.perf_counter() - before - TICK_S)

            ticking = asyncio.create_task(ticker())
            started = time.perf_counter()
            records = await asyncio.gather(
                *(
                    running.slash(
                        "summarize", {"url": pages.url(f"benchmark/{pid}.html")}, timeout_s=600
                    )
                    for pid in page_ids
                )
            )
            elapsed = time.perf_counter() - started
            stop.set()
            await ticking
            answered = sum(1 for r in records if r.visible_messages)
            await running.stop()
    await analyzer.close()
    await pages.close()
    await double.close()
    point_discord_at(previous[0], str(previous[1]))
    lags.sort()
    print(f"loop lag: {count} real articles summarized at once, 2 analysis workers")
    print(f"  answered {answered}/{count} in {elapsed:.1f} s")
    print(
        f"  ticks {len(lags)}, median lag {statistics.median(lags) * 1000:.1f} ms, "
        f"p99 {lags[int(len(lags) * 0.99)] * 1000:.1f} ms, worst {lags[-1] * 1000:.1f} ms "
        "(target < 100 ms)"
    )


def main(argv: list[str]) -> None:
    asyncio.run(measure(int(argv[0]) if argv else 20))


if __name__ == "__main__":
    main(sys.argv[1:])
