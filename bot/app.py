"""The one composition root: settings in, the opened Store, analyser, fetcher, clock and the
services built from them out. The Discord bot, the console and the CLI all start from here."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from bot.analysis import Analyzer, ProcessPoolAnalyzer, ThreadAnalyzer
from bot.config import Settings
from bot.domain.clock import Clock, utc_now
from bot.fetch import FetchedPage, fetch_page, new_fetch_session
from bot.services.articles import ArticleService
from bot.services.briefings import BriefingService
from bot.services.digests import DigestService
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
    pictures: PictureService


@contextlib.asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    analyzer: Analyzer | None = None,
    worker_processes: bool = False,
    clock: Clock = utc_now,
) -> AsyncIterator[App]:
    """Open the Store, the analyser and an HTTP session; close them all on the way out.

    `worker_processes` runs analysis in DIPLOBRIEF_ANALYSIS_WORKERS spawned processes (the
    bot, where the event loop serves everyone); otherwise one thread (the CLI and console).
    An analyser passed in (tests share one pool) is used as is and not closed here.
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
            new_fetch_session(allow_private=settings.fetch_allow_private)
        )

        async def fetch(url: str) -> FetchedPage:
            return await fetch_page(
                url, session=session, allow_private=settings.fetch_allow_private
            )

        briefings = BriefingService(store, analyzer, clock)
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
            pictures=PictureService(analyzer),
        )
