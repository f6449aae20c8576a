"""The one composition root: settings in, the opened Store, analyser, fetcher, clock and the
services built from them out. The Discord bot, the console and the CLI all start from here."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from aiohttp.abc import AbstractResolver

from bot.analysis import Analyzer, ProcessPoolAnalyzer, ThreadAnalyzer
from bot.config import Settings
from bot.domain.clock import Clock, utc_now
from bot.fetch import (
    FeedResponse,
    FetchedPage,
    HostLimiter,
    fetch_feed,
    fetch_page,
    new_fetch_session,
)
from bot.services.articles import ArticleService
from bot.services.briefings import BriefingService
from bot.services.digests import DigestService
from bot.services.feed_poller import FeedPoller
from bot.services.feeds import FeedService
from bot.services.live import LivePoster, LiveSender
from bot.services.pictures import PictureService
from storage import Store, open_store


@dataclass(frozen=True)
class App:
    """Everything a front end needs, built once per process."""

    settings: Settings
    store: Store
    analyzer: Analyzer
    clock: Clock
    articles: ArticleService
    briefings: BriefingService
    digests: DigestService
    feeds: FeedService
    feed_poller: FeedPoller

    def live_poster(self, sender: LiveSender) -> LivePoster:
        """The live channel poster over a front end's sender (the Discord bot's)."""
        return LivePoster(
            self.store,
            self.analyzer,
            sender,
            now=self.clock,
            per_hour=self.settings.live_per_hour,
        )

    pictures: PictureService


@contextlib.asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    analyzer: Analyzer | None = None,
    worker_processes: bool = False,
    clock: Clock = utc_now,
    resolver: AbstractResolver | None = None,
    host_limiter: HostLimiter | None = None,
) -> AsyncIterator[App]:
    """Open the Store, the analyser and an HTTP session; close them all on the way out.

    `worker_processes` runs analysis in DIPLOBRIEF_ANALYSIS_WORKERS spawned processes (the
    bot, where the event loop serves everyone); otherwise one thread (the CLI and console).
    An analyser passed in (tests share one pool) is used as is and not closed here.
    `resolver` maps host names (tests and benchmarks serve many hosts on loopback);
    `host_limiter` replaces the per-host politeness built from the settings.
    """
    async with contextlib.AsyncExitStack() as stack:
        store = await open_store(settings.database_target)
        stack.push_async_callback(store.close)
        if analyzer is None:
            if worker_processes:
                pool = ProcessPoolAnalyzer(settings.spacy_model, settings.analysis_workers)
                stack.push_async_callback(pool.close)
                await pool.start()
                analyzer = pool
            else:
                analyzer = ThreadAnalyzer(settings.spacy_model)
                stack.push_async_callback(analyzer.close)
        session = await stack.enter_async_context(
            new_fetch_session(allow_private=settings.fetch_allow_private, resolver=resolver)
        )
        limiter = host_limiter or HostLimiter(
            settings.feed_host_concurrency, settings.feed_host_interval_s
        )

        async def fetch(url: str) -> FetchedPage:
            return await fetch_page(
                url, session=session, allow_private=settings.fetch_allow_private
            )

        async def fetch_feed_document(
            url: str, etag: str | None, last_modified: str | None
        ) -> FeedResponse:
            async with limiter.slot(url):
                return await fetch_feed(
                    url,
                    session=session,
                    allow_private=settings.fetch_allow_private,
                    etag=etag,
                    last_modified=last_modified,
                )

        async def fetch_feed_article(url: str) -> FetchedPage:
            async with limiter.slot(url):
                return await fetch_page(
                    url, session=session, allow_private=settings.fetch_allow_private
                )

        briefings = BriefingService(store, analyzer, clock)
        poller = FeedPoller(
            store,
            analyzer,
            fetch_feed_document,
            fetch_feed_article,
            now=clock,
            interval_s=settings.feed_interval_s,
        )
        yield App(
            settings=settings,
            store=store,
            analyzer=analyzer,
            clock=clock,
            articles=ArticleService(store, analyzer, fetch, clock),
            briefings=briefings,
            digests=DigestService(
                store, briefings, clock, lease=timedelta(seconds=settings.job_lease_s)
            ),
            feeds=FeedService(
                store,
                analyzer,
                fetch_feed_document,
                clock,
                feeds_per_server=settings.feeds_per_server,
                allow_private=settings.fetch_allow_private,
            ),
            feed_poller=poller,
            pictures=PictureService(analyzer),
        )
