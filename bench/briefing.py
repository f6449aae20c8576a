"""A briefing over 10,000 stored articles in a 30-day window: target < 1 s (median of runs).

About 200 real articles (BBC News Summary dev, DUC 2006 documents) are analysed once, then
stored many times as wire copies (cut after a sentence, a credit line added), spread over
the window in episodes, so stories of many copies and near-duplicates exist as in real feeds.
Besides wall times it prints the worst event-loop stall while each call ran (a task ticking
every 2 ms) and the longest garbage-collector pause within it.
Run: `python -m bench.briefing [ARTICLES] [--db PATH] [--runs N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import bbc_articles, read_jsonl, shared_path
from bot.analysis import ProcessPoolAnalyzer
from bot.domain.analysis import Analysis
from bot.domain.articles import ExtractedArticle
from bot.domain.stories import BriefingQuery
from bot.domain.window import Window
from bot.nlp.countries import count_countries
from bot.nlp.extract import extract_text
from bot.nlp.pipeline import analyze_many, load_nlp
from bot.nlp.stories import plan_stories
from bot.services.briefings import BriefingService
from storage import SqliteStore, is_postgres_url, open_store
from storage.transfer import copy_database
from tests.postgres_cluster import new_database, postgres_server

GUILD = 1
WINDOW_DAYS = 30
TARGET_SECONDS = 1.0
NOW = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)
DATELINES = ("LONDON (Wire)", "WASHINGTON (AP)", "GENEVA (Reuters)", "BEIJING (AFP)")
OUTLETS = ("wire.example", "courier.example", "herald.example", "gazette.example", "post.example")


def real_articles(bbc: int = 120, duc_per_cluster: int = 4) -> list[ExtractedArticle]:
    """Real news text to replicate: BBC dev articles of every category and DUC documents."""
    found = [
        extract_text(record["text"].replace("\n\n", "\n"))
        for record in bbc_articles(bbc, category=None)
    ]
    for cluster in read_jsonl(shared_path("data", "human-refs", "duc2006-dev.jsonl")):
        for title, text in list(zip(cluster["doc_titles"], cluster["documents"], strict=True))[
            :duc_per_cluster
        ]:
            found.append(replace(extract_text(text), title=title))
    return found


def wire_copy(
    article: ExtractedArticle, analysis: Analysis, copy: int, rng: random.Random
) -> tuple[ExtractedArticle, Analysis]:
    """The article as another outlet ran it: cut after a sentence, with its own credit line.

    Every third copy also gets a dateline, and every third other one loses its first
    paragraph, so copies do not all share their opening words.
    """
    text, spans = article.text, analysis.sentence_spans
    if not copy or len(spans) < 5:
        return replace(article, url=f"https://{OUTLETS[0]}/story/0"), analysis
    last = rng.randint(max(3, int(len(spans) * 0.6)), len(spans))  # sentences kept: [first, last)
    first = 0
    if copy % 3 == 2 and "\n" in text[: spans[last - 1][0]]:
        newline = text.index("\n")
        first = next(i for i, (start, _) in enumerate(spans) if start > newline)
    begin, end = spans[first][0], spans[last - 1][1]
    prefix = f"{DATELINES[copy % len(DATELINES)]} -- " if copy % 3 == 1 else ""
    shift = len(prefix) - begin
    outlet = OUTLETS[copy % len(OUTLETS)]
    new_spans = [(start + shift, stop + shift) for start, stop in spans[first:last]]
    new_spans[0] = (0, new_spans[0][1])
    mentions = tuple(
        replace(m, start=m.start + shift, end=m.end + shift, sentence=m.sentence - first)
        for m in analysis.country_mentions
        if first <= m.sentence < last
    )
    copied = replace(
        analysis,
        sentence_spans=tuple(new_spans),
        country_mentions=mentions,
        countries=count_countries(mentions),
        quotes=tuple(
            replace(q, start=q.start + shift, end=q.end + shift)
            for q in analysis.quotes
            if q.start >= begin and q.end <= end
        ),
    )
    new_text = prefix + text[begin:end] + f"\nReporting by desk {copy} for {outlet}."
    return replace(article, text=new_text, url=f"https://{outlet}/story/{copy}"), copied


async def build_database(path: Path, articles: int, seed: int = 7) -> None:
    """Store `articles` copies of ~200 analysed real articles across the 30-day window."""
    rng = random.Random(seed)
    base = real_articles()
    print(f"analysing {len(base)} real articles once …", flush=True)
    nlp = load_nlp()
    analyses = analyze_many(nlp, base)
    # A few stories get many copies, most get a handful (Zipf-like), over 1-3 episodes each.
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(base))]
    rng.shuffle(weights)
    scale = articles / sum(weights)
    copies = [max(1, round(w * scale)) for w in weights]
    copies[-1] += articles - sum(copies)
    store = await SqliteStore.open(path)
    written = 0
    started = time.perf_counter()
    try:
        for index, (article, analysis) in enumerate(zip(base, analyses, strict=True)):
            episodes = [
                NOW - timedelta(hours=rng.uniform(1, WINDOW_DAYS * 24 - 12))
                for _ in range(rng.randint(1, 3))
            ]
            async with store.transaction():
                for copy in range(max(copies[index], 1)):
                    text_copy, analysis_copy = wire_copy(article, analysis, copy, rng)
                    text_copy = replace(text_copy, url=f"{text_copy.url}/{index}")
                    when = rng.choice(episodes) + timedelta(minutes=rng.uniform(-600, 600))
                    result = await store.articles.add(
                        GUILD, text_copy, analysis_copy, now=min(when, NOW - timedelta(minutes=1))
                    )
                    written += int(result.created)
    finally:
        await store.close()
    print(f"stored {written} articles in {time.perf_counter() - started:.0f} s", flush=True)


class LoopStalls:
    """The longest time the event loop could not run a task, measured by a ticking task.

    Also the longest garbage-collector pause seen meanwhile: a full collection stops the loop
    too, however the code that triggered it was written.
    """

    TICK = 0.002

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_gc = 0.0
        self._gc_started = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.TICK)
            self.worst = max(self.worst, loop.time() - before - self.TICK)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.worst_gc = max(self.worst_gc, time.perf_counter() - self._gc_started)

    async def __aenter__(self) -> LoopStalls:
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._on_gc)
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def _median_seconds(
    runs: int, make: Callable[[], Awaitable[object]]
) -> tuple[float, LoopStalls]:
    """Median wall time of `runs` calls, and the worst loop stall across them."""
    times = []
    async with LoopStalls() as stalls:
        for _ in range(runs):
            started = time.perf_counter()
            await make()
            times.append(time.perf_counter() - started)
    return statistics.median(times), stalls


def _stall(stalls: LoopStalls) -> str:
    return (
        f"worst loop stall {stalls.worst * 1000:4.0f} ms (longest GC {stalls.worst_gc * 1000:.0f})"
    )


async def time_briefing(path: Path | str, runs: int, *, freeze_gc: bool = False) -> None:
    """Median wall time of build_briefing and its parts, and how long the event loop stalled.

    With `freeze_gc`, objects alive after the first briefing (imported modules, caches) are
    moved out of the collector's sight with gc.freeze(), as a long-running bot could do after
    start-up: full collections then no longer walk them, and stalls show our code alone.
    """
    window = Window(NOW - timedelta(days=WINDOW_DAYS), NOW)
    store = await open_store(path)
    backend = "PostgreSQL" if is_postgres_url(path) else "SQLite"
    # The real path: the CPU work goes to one analysis worker process, as in the bot.
    pool = ProcessPoolAnalyzer(None, workers=1)
    await pool.start()
    service = BriefingService(store, pool, lambda: NOW)

    def brief(**filters: str) -> Awaitable[object]:
        return service.brief(GUILD, BriefingQuery(window, **filters))  # type: ignore[arg-type]

    try:
        count = await store.articles.count(GUILD)
        result = await service.brief(GUILD, BriefingQuery(window))
        if freeze_gc:
            gc.collect()
            gc.freeze()
        whole, whole_stalls = await _median_seconds(runs, brief)
        read, read_stalls = await _median_seconds(runs, lambda: store.articles.leads(GUILD, window))
        leads = await store.articles.leads(GUILD, window)
        cpu_times = []
        for _ in range(runs):
            started = time.perf_counter()
            plan_stories(leads, window)
            cpu_times.append(time.perf_counter() - started)
        cpu = statistics.median(cpu_times)
        by_country, country_stalls = await _median_seconds(runs, lambda: brief(country="China"))
        by_topic, topic_stalls = await _median_seconds(runs, lambda: brief(topic="election"))
        relations, relations_stalls = await _median_seconds(
            runs, lambda: service.relations(GUILD, "China", window)
        )
    finally:
        await pool.close()
        await store.close()
    load = os.getloadavg()[0]
    print(
        f"briefing on {backend}: {count} stored articles, {WINDOW_DAYS}-day window, "
        f"load average {load:.1f}, "
        f"{result.stories_found} stories, median of {runs} (target < {TARGET_SECONDS:.1f} s)"
        + (", start-up objects frozen (gc.freeze)" if freeze_gc else "")
    )
    print(
        f"  BriefingService.brief            {whole:6.3f} s  ({whole / TARGET_SECONDS:.2f}×)"
        f"  {_stall(whole_stalls)}"
    )
    print(f"    store.articles.leads           {read:6.3f} s           {_stall(read_stalls)}")
    print(f"    cluster + rank (in process)    {cpu:6.3f} s")
    print(
        f"  … with country=China             {by_country:6.3f} s           {_stall(country_stalls)}"
    )
    print(f"  … with topic=election            {by_topic:6.3f} s           {_stall(topic_stalls)}")
    print(
        f"  relations China, 30 days          {relations:6.3f} s"
        f"           {_stall(relations_stalls)}"
    )
    for story in result.stories:
        print(f"  - {story.title[:70]} ({story.reports} reports, {len(story.sources)} links)")


def main(argv: list[str]) -> None:
    """Build (or reuse) the benchmark database, then time the briefing."""
    parser = argparse.ArgumentParser(prog="python -m bench.briefing")
    parser.add_argument("articles", nargs="?", type=int, default=10_000)
    parser.add_argument("--db", type=Path, help="reuse or create this SQLite file")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--freeze-gc", action="store_true", help="gc.freeze() after the first briefing"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="also copy the database into a throw-away PostgreSQL server and time it there",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "briefing-bench.sqlite"
        if not path.exists():
            asyncio.run(build_database(path, args.articles))
        asyncio.run(time_briefing(path, args.runs, freeze_gc=args.freeze_gc))
        if args.postgres:
            with postgres_server() as server:
                url = asyncio.run(new_database(server))
                started = time.perf_counter()
                asyncio.run(copy_database(path, url))
                print(f"copied into PostgreSQL in {time.perf_counter() - started:.0f} s")
                asyncio.run(time_briefing(url, args.runs, freeze_gc=args.freeze_gc))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
