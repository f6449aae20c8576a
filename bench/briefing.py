"""A briefing over 10,000 stored articles in a 30-day window: target < 1 s (median of runs).

About 200 real articles (BBC News Summary dev, DUC 2006 documents) are analysed once, then
stored many times as wire copies (cut after a sentence, a credit line added), spread over
the window in episodes, so stories of many copies and near-duplicates exist as in real feeds.
Run: `python -m bench.briefing [ARTICLES] [--db PATH] [--runs N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import bbc_articles, read_jsonl, shared_path
from bot import briefing
from bot.nlp.countries import count_countries
from bot.nlp.extract import extract_text
from bot.nlp.models import Analysis, Country, ExtractedArticle
from bot.nlp.pipeline import analyze_many, load_nlp
from storage.store import Store, fts_query

GUILD = 1
WINDOW_DAYS = 30
TARGET_SECONDS = 1.0
MAX_NAMES = 12  # people and organisations per article the digest carries
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
    store = await Store.open(path)
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
                    result = await store.add_article(
                        GUILD, text_copy, analysis_copy, now=min(when, NOW - timedelta(minutes=1))
                    )
                    written += int(result.created)
    finally:
        await store.close()
    print(f"stored {written} articles in {time.perf_counter() - started:.0f} s", flush=True)


class ProposedDigestSource:
    """A prototype of the Store method the briefing asks for: digests read with three SELECTs.

    Bench-only: it reads the SQLite file directly to measure what `Store.article_digests`
    would cost; the product reads only through the Store.
    """

    def __init__(self, store: Store, path: Path) -> None:
        self.store = store
        self.path = path

    def _digests(
        self, guild_id: int | None, since: datetime, until: datetime
    ) -> list[briefing.ArticleDigest]:
        window = (
            guild_id,
            since.astimezone(UTC).isoformat(timespec="microseconds"),
            until.astimezone(UTC).isoformat(timespec="microseconds"),
        )
        with sqlite3.connect(self.path) as conn:
            rows = conn.execute(
                "SELECT a.id, a.title, a.url, a.site_name, a.added_at,"
                f" substr(a.text, 1, {briefing.LEAD_CHARS}), length(a.text),"
                " (SELECT group_concat(c.code || ' ' || c.mentions, ',') FROM countries c"
                "  WHERE c.article_id = a.id),"
                " (SELECT group_concat(e.name, char(31)) FROM entities e"
                f"  WHERE e.article_id = a.id AND e.position < {MAX_NAMES}"
                "  AND e.label IN ('PERSON', 'ORG'))"
                " FROM articles a WHERE a.guild_id IS ? AND a.added_at >= ? AND a.added_at < ?"
                " ORDER BY a.added_at, a.id",
                window,
            ).fetchall()
        digests = []
        for row in rows:
            countries = []
            for pair in (row[7] or "").split(","):
                if pair:
                    code, mentions = pair.split(" ")
                    countries.append(Country(code, briefing.country_name(code), int(mentions)))
            digests.append(
                briefing.ArticleDigest(
                    id=row[0],
                    title=row[1],
                    url=row[2],
                    site_name=row[3],
                    added_at=datetime.fromisoformat(row[4]),
                    lead=row[5],
                    text_length=row[6],
                    countries=tuple(countries),
                    names=tuple(row[8].split("\x1f")) if row[8] else (),
                )
            )
        return digests

    async def digests(
        self, guild_id: int | None, since: datetime, until: datetime
    ) -> list[briefing.ArticleDigest]:
        return await asyncio.to_thread(self._digests, guild_id, since, until)

    async def matching(self, guild_id: int | None, topic: str, ids: Sequence[int]) -> set[int]:
        query = fts_query(topic)
        if query is None:
            return set()

        def read() -> set[int]:
            with sqlite3.connect(self.path) as conn:
                rows = conn.execute(
                    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (query,)
                )
                return {row[0] for row in rows} & set(ids)

        return await asyncio.to_thread(read)

    async def articles(
        self, guild_id: int | None, ids: Sequence[int]
    ) -> dict[int, briefing.LoadedArticle]:
        analyses = await self.store.load_analyses(guild_id, ids)
        found = {}
        for article_id in ids:
            article = await self.store.get_article(guild_id, article_id)
            if article is not None and article_id in analyses:
                found[article_id] = briefing.LoadedArticle(article, analyses[article_id])
        return found


async def _median_seconds(runs: int, make: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await make()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def time_briefing(path: Path, runs: int) -> None:
    """Median wall time of build_briefing today and with the proposed digest read."""
    since = NOW - timedelta(days=WINDOW_DAYS)
    store = await Store.open(path)
    try:
        count = await store.count_articles(GUILD)
        proposed = ProposedDigestSource(store, path)
        result = await briefing.build_briefing(proposed, GUILD, now=NOW, days=WINDOW_DAYS)
        today = await _median_seconds(
            runs, lambda: briefing.build_briefing(store, GUILD, now=NOW, days=WINDOW_DAYS)
        )
        with_digests = await _median_seconds(
            runs, lambda: briefing.build_briefing(proposed, GUILD, now=NOW, days=WINDOW_DAYS)
        )
        read = await _median_seconds(runs, lambda: proposed.digests(GUILD, since, NOW))
        digests = await proposed.digests(GUILD, since, NOW)
        started = time.perf_counter()
        cpu_times = []
        for _ in range(runs):
            started = time.perf_counter()
            briefing.plan_briefing(digests, until=NOW, window=NOW - since)
            cpu_times.append(time.perf_counter() - started)
        cpu = statistics.median(cpu_times)
        by_country = await _median_seconds(
            runs,
            lambda: briefing.build_briefing(
                proposed, GUILD, now=NOW, days=WINDOW_DAYS, country="China"
            ),
        )
        by_topic = await _median_seconds(
            runs,
            lambda: briefing.build_briefing(
                proposed, GUILD, now=NOW, days=WINDOW_DAYS, topic="election"
            ),
        )
    finally:
        await store.close()
    load = os.getloadavg()[0]
    print(
        f"briefing: {count} stored articles, {WINDOW_DAYS}-day window, load average {load:.1f}, "
        f"{result.stories_found} stories, median of {runs} (target < {TARGET_SECONDS:.1f} s)"
    )
    print(
        f"  build_briefing, today's Store API       {today:6.3f} s  ({today / TARGET_SECONDS:.2f}×)"
    )
    print(
        f"  build_briefing, proposed digest read    {with_digests:6.3f} s  "
        f"({with_digests / TARGET_SECONDS:.2f}×)"
    )
    print(f"    digest read                           {read:6.3f} s")
    print(f"    cluster + rank (worker thread)        {cpu:6.3f} s")
    print(f"  … with country=China                    {by_country:6.3f} s")
    print(f"  … with topic=election                   {by_topic:6.3f} s")
    for story in result.stories:
        print(f"  - {story.title[:70]} ({story.reports} reports, {len(story.sources)} links)")


def main(argv: list[str]) -> None:
    """Build (or reuse) the benchmark database, then time the briefing."""
    parser = argparse.ArgumentParser(prog="python -m bench.briefing")
    parser.add_argument("articles", nargs="?", type=int, default=10_000)
    parser.add_argument("--db", type=Path, help="reuse or create this SQLite file")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "briefing-bench.sqlite"
        if not path.exists():
            asyncio.run(build_database(path, args.articles))
        asyncio.run(time_briefing(path, args.runs))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
