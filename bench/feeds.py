"""Feed polling benchmarks, printed as ratios (never asserted).

1. One poll round of 500 feeds on a local publisher (each on its own host name, all on
   127.0.0.1), 90% answering 304: wall time and CPU against bare aiohttp GETs of the same URLs
   with the same conditional headers; the process's resident memory with 500 feeds.
2. 200 new items ingested (fetch, extract, analyse, store; real pages of the extraction
   benchmark) against a bare spaCy pass over the same texts (target ≤ 1.5×), and the worst
   event-loop stall meanwhile (target < 50 ms).
Run: `python -m bench.feeds`.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import spacy
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.analysis import ProcessPoolAnalyzer, ThreadAnalyzer
from bot.app import open_app
from bot.config import Settings
from bot.nlp.pipeline import default_model_name
from tests.feed_server import FeedServer, Item, at
from tests.pages import PageServer, benchmark_page_ids

TICK_S = 0.005


class LoopbackResolver(AbstractResolver):
    """Every host name is 127.0.0.1: many publishers on one machine."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        return None


def rss_kib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    return 0.0


def settings_for(folder: str) -> Settings:
    return Settings.from_env(
        {
            "DIPLOBRIEF_DATABASE": str(Path(folder) / "feeds.db"),
            "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1",
            "DIPLOBRIEF_FEEDS_PER_SERVER": "1000",
            "DIPLOBRIEF_FEED_INTERVAL": "5",
        }
    )


async def poll_round(count: int = 500) -> None:
    server = FeedServer()
    await server.start()
    port = server.url("").split(":")[2].strip("/")
    urls = [f"http://feed-{i}.bench.test:{port}/feeds/f{i}" for i in range(count)]
    for i in range(count):
        served = server.feed(f"f{i}", f"Feed {i}")
        served.items = [Item(f"f{i}-0", f"Item {i}", None, at(0), "short text")]
    before_kib = rss_kib()
    with tempfile.TemporaryDirectory() as tmp:
        clock = [at(0)]
        analyzer = ThreadAnalyzer(None)
        async with open_app(
            settings_for(tmp),
            analyzer=analyzer,
            clock=lambda: clock[0],
            resolver=LoopbackResolver(),
        ) as app:
            async with app.store.transaction():
                for url in urls:
                    await app.store.feeds.subscribe(
                        1, url, title=None, site_url=None, live_channel_id=None, topic=None,
                        country=None, created_by=None, now=clock[0], limit=10_000,
                    )  # fmt: skip
            await app.feed_poller.poll_due()  # the first fetch of every feed
            for i in range(0, count, 10):  # 10% change
                server.feeds[f"f{i}"].items.insert(0, Item(f"f{i}-1", "New", None, at(1), "new"))
            clock[0] = at(60)
            cpu, wall = time.process_time(), time.perf_counter()
            reports = await app.feed_poller.poll_due()
            poll_wall, poll_cpu = time.perf_counter() - wall, time.process_time() - cpu
            memory = rss_kib() / 1024
            statuses = {r.status for r in reports}
            feeds = [await app.store.feeds.feed(i + 1) for i in range(count)]
        etags = {f.url: f.etag for f in feeds if f is not None}
    connector = aiohttp.TCPConnector(resolver=LoopbackResolver(), limit_per_host=2)
    async with aiohttp.ClientSession(connector=connector) as session:
        slots = asyncio.Semaphore(32)

        async def get(url: str) -> int:
            headers = {"If-None-Match": etags[url]} if etags.get(url) else {}
            async with slots, session.get(url, headers=headers) as response:
                await response.read()
                return response.status

        cpu, wall = time.process_time(), time.perf_counter()
        codes = await asyncio.gather(*(get(url) for url in urls))
        bare_wall, bare_cpu = time.perf_counter() - wall, time.process_time() - cpu
    await server.close()
    print(f"poll round: {count} feeds, {codes.count(304)} answered 304, statuses {statuses}")
    print(f"  bare aiohttp GETs   wall {bare_wall:.2f} s   cpu {bare_cpu:.2f} s")
    print(f"  Diplobrief poll     wall {poll_wall:.2f} s   cpu {poll_cpu:.2f} s")
    print(
        f"  ratio               wall {poll_wall / bare_wall:.2f}×   cpu {poll_cpu / bare_cpu:.2f}×"
    )
    print(
        f"  resident memory with {count} feeds: {memory:.0f} MB for the whole process "
        f"({memory - before_kib / 1024:.0f} MB more than before the feeds; the model not loaded)"
    )


async def ingest(count: int = 200, feeds: int = 8) -> None:
    page_ids = benchmark_page_ids()[:count]
    pages = PageServer()
    await pages.start()
    server = FeedServer()
    await server.start()
    analyzer = ProcessPoolAnalyzer(None, workers=1)
    await analyzer.start()
    page_port = pages.port
    feed_port = server.url("").split(":")[2].strip("/")
    with tempfile.TemporaryDirectory() as tmp:
        clock = [at(0)]
        async with open_app(
            settings_for(tmp),
            analyzer=analyzer,
            clock=lambda: clock[0],
            resolver=LoopbackResolver(),
        ) as app:
            for f in range(feeds):
                server.feed(f"i{f}", f"Ingest {f}")
                await app.feeds.add(1, f"http://feeds-{f}.bench.test:{feed_port}/feeds/i{f}")
            await app.feed_poller.poll_due()
            for index, page_id in enumerate(page_ids):
                link = f"http://site-{index}.bench.test:{page_port}/benchmark/{page_id}.html"
                server.feeds[f"i{index % feeds}"].items.append(
                    Item(f"p{index}", f"Page {index}", link, at(1))
                )
            clock[0] = at(60)
            gc.collect()
            gc.freeze()  # as the bot does after start-up (DiplobriefBot.setup_hook)
            lags: list[float] = []
            stop = asyncio.Event()

            async def ticker() -> None:
                while not stop.is_set():
                    before = time.perf_counter()
                    await asyncio.sleep(TICK_S)
                    lags.append(time.perf_counter() - before - TICK_S)

            ticking = asyncio.create_task(ticker())
            wall = time.perf_counter()
            reports = await app.feed_poller.poll_due()
            ingest_s = time.perf_counter() - wall
            stop.set()
            await ticking
            stored = sum(r.stored for r in reports)
            skipped = sum(r.skipped for r in reports)
            articles = await app.store.articles.newest(1, limit=10_000)
            texts = [a.text for a in articles]
    await analyzer.close()
    await pages.close()
    await server.close()
    bare = spacy.load(default_model_name())
    list(bare.pipe(texts[:5]))
    start = time.perf_counter()
    list(bare.pipe(texts))
    bare_s = time.perf_counter() - start
    words = sum(len(t.split()) for t in texts)
    print(f"ingest: {len(page_ids)} new items in {feeds} feeds: {stored} stored, {skipped} skipped")
    print(f"  bare spaCy pass over the {len(texts)} stored texts ({words} words): {bare_s:.2f} s")
    print(f"  fetch + extract + analyse + store: {ingest_s:.2f} s")
    print(f"  ratio {ingest_s / bare_s:.2f}×   (target ≤ 1.5×)")
    print(
        f"  event loop: worst stall {max(lags) * 1000:.1f} ms, median "
        f"{statistics.median(lags) * 1000:.2f} ms   (target < 50 ms)"
    )


def main(argv: list[str]) -> None:
    asyncio.run(poll_round())
    asyncio.run(ingest())


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
