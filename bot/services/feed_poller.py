"""Polling feeds: every due feed fetched once, new items fetched and analysed once, stored in
every server that reads the feed, never twice, never a flood.

What "never lost, never doubled" rests on:
- A poll claims due feeds in the Store (`claim_due`, with a lease: the job interface a shared
  queue can take over). Conditional GET with the validators of the last good response.
- Each new item is handled in ONE transaction: its article stored in every subscribed server
  (plus a live candidate where the server has a live channel) and the item marked seen. A
  process killed in between leaves the item unseen; the next poll does it again, and the
  article dedupe makes that harmless.
- The response's validators are saved only after every new item of it was handled, so a crash
  never turns the next poll into a 304 that hides unprocessed items.
- A new subscription's first fetch marks everything seen and stores only the newest items; the
  live channel gets nothing from it.
- One fetch and analysis per article URL: items of several feeds linking one page share the
  work in flight, and a page analysed before is copied from its stored copy, not refetched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.analysis import AnalysisRequest, AnalyzedArticle, Analyzer
from bot.domain.clock import Clock, utc_now
from bot.domain.errors import (
    FetchError,
    NotAFeedError,
    NotEnglishError,
    UserFacingError,
)
from bot.domain.feeds import (
    FEED_LEASE,
    FEED_TEXT_MIN_WORDS,
    FIRST_FETCH_STORED,
    MAX_NEW_ITEMS_PER_POLL,
    SEEN_RETENTION,
    Feed,
    FeedEntry,
    FeedSubscription,
    ParsedFeed,
    PollReport,
    backoff,
    next_fetch_after_success,
    should_pause,
)
from bot.domain.text import display_title
from bot.domain.urls import canonical_url
from bot.fetch import FeedHttpError, FeedResponse, FetchedPage
from bot.nlp.feeds import cache_max_age, parse_feed
from bot.services.feeds import FeedFetcher
from storage.protocols import Store

log = logging.getLogger(__name__)

PageFetcher = Callable[[str], Awaitable[FetchedPage]]
MAX_FEEDS_AT_ONCE = 32  # feeds polled concurrently (each host is limited by the fetcher)
CLAIM_BATCH = 1000
BACKLOG_RETRY = timedelta(minutes=1)  # a feed with more new items than one poll takes
FEED_TEXT_NOTE = "from the feed's text"


class _Filtered(Exception):
    """Rolls back an article that does not match a subscription's topic."""


@dataclass(frozen=True)
class Skip:
    """Why an item was not stored (counted in /feed list)."""

    reason: str


@dataclass(frozen=True)
class Target:
    """A subscription an item goes to, and whether it may go live there."""

    subscription: FeedSubscription
    live: bool


class FeedPoller:
    """Polls due feeds: `poll_due(now)` once (the CLI, tests); the front end loops it."""

    def __init__(
        self,
        store: Store,
        analyzer: Analyzer,
        fetch_feed: FeedFetcher,
        fetch_page: PageFetcher,
        *,
        now: Clock = utc_now,
        interval_s: int,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self._fetch_feed = fetch_feed
        self._fetch_page = fetch_page
        self.now = now
        self.interval_s = interval_s
        self._in_flight: dict[str, asyncio.Future[AnalyzedArticle | Skip]] = {}
        self._run_lock = asyncio.Lock()

    # --- a pass -----------------------------------------------------------------------------

    async def poll_due(self, now: datetime | None = None) -> list[PollReport]:
        """Poll every due feed once; one failing feed stops nothing."""
        async with self._run_lock:
            moment = now or self.now()
            forgotten = await self.store.feeds.forget_seen(moment - SEEN_RETENTION)
            if forgotten:
                log.info("forgot %d feed items not seen for %s", forgotten, SEEN_RETENTION)
            due = await self.store.feeds.claim_due(moment, limit=CLAIM_BATCH, lease=FEED_LEASE)
            if not due:
                return []
            slots = asyncio.Semaphore(MAX_FEEDS_AT_ONCE)

            async def one(feed: Feed) -> PollReport:
                async with slots:
                    return await self._poll_safely(feed)

            reports = await asyncio.gather(*(one(feed) for feed in due))
            log.info("polled %d feeds: %s", len(reports), _counts(reports))
            return list(reports)

    async def next_due(self) -> datetime | None:
        return await self.store.feeds.next_due()

    async def _poll_safely(self, feed: Feed) -> PollReport:
        try:
            return await self.poll_feed(feed)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("polling feed %d (%s) failed", feed.id, feed.url)
            await self.store.feeds.release(feed.id)
            return PollReport(feed.id, feed.url, "failed", detail=repr(error))

    # --- one feed ---------------------------------------------------------------------------

    async def poll_feed(self, feed: Feed) -> PollReport:
        """Fetch one claimed feed, handle its new items, record the outcome."""
        subscriptions = await self.store.feeds.subscribers(feed.id)
        pending = [s for s in subscriptions if not s.baseline_done]
        conditional = feed.baselined and not pending
        try:
            response = await self._fetch_feed(
                feed.url,
                feed.etag if conditional else None,
                feed.last_modified if conditional else None,
            )
        except FeedHttpError as error:
            if error.status == 410:
                return await self._fail(feed, "HTTP 410: the feed was removed", pause=True)
            return await self._fail(feed, error.reason)
        except FetchError as error:
            return await self._fail(feed, str(error))
        now = self.now()
        if response.status == 304:
            await self.store.feeds.not_modified(
                feed.id, now=now, next_fetch_at=self._next(feed, now), url=response.moved_to
            )
            return PollReport(feed.id, feed.url, "not-modified")
        if response.truncated:
            return await self._fail(feed, "the document is over 5 MB")
        try:
            parsed = await self._parse(response)
        except NotAFeedError as error:
            return await self._fail(feed, f"unreadable: {error}")
        return await self._handle_items(feed, response, parsed, subscriptions)

    async def _parse(self, response: FeedResponse) -> ParsedFeed:
        return await self.analyzer.run(
            parse_feed,
            response.body,
            response.url,
            response.content_type,
            response.charset,
            cache_max_age(response.cache_control),
        )

    async def _handle_items(
        self,
        feed: Feed,
        response: FeedResponse,
        parsed: ParsedFeed,
        subscriptions: Sequence[FeedSubscription],
    ) -> PollReport:
        entries = list(parsed.entries)
        keys = [entry.key for entry in entries]
        known = await self.store.feeds.known_items(feed.id, keys)
        newest = entries[:FIRST_FETCH_STORED]
        newest_keys = {entry.key for entry in newest}
        established = [s for s in subscriptions if s.baseline_done]
        pending = [s for s in subscriptions if not s.baseline_done]
        first_fetch = not feed.baselined
        # Oldest new item first, so a story's first report is the first one told.
        work: list[tuple[FeedEntry, list[Target]]] = []
        for entry in reversed(entries):
            is_new = entry.key not in known and not first_fetch
            targets = [Target(s, live=True) for s in established] if is_new else []
            if entry.key in newest_keys:
                targets += [Target(s, live=False) for s in pending]
            if targets:
                work.append((entry, targets))
        now = self.now()
        if first_fetch:
            # Everything in the first document is seen; only the newest are stored.
            async with self.store.transaction():
                for entry in entries:
                    if entry.key not in newest_keys and entry.key not in known:
                        await self.store.feeds.record_item(
                            feed.id, entry.key, outcome="baseline", now=now
                        )
        fetches = 0
        stored = skipped = 0
        complete = True
        for entry, targets in work:
            if fetches >= MAX_NEW_ITEMS_PER_POLL:
                complete = False
                break
            result, fetched = await self._article_for(entry)
            fetches += fetched
            outcome = await self._store_item(feed, entry, targets, result)
            stored += outcome == "stored"
            skipped += outcome == "skipped"
        now = self.now()
        if complete:
            for subscription in pending:
                await self.store.feeds.finish_baseline(subscription.id)
        next_fetch = self._next(feed, now, parsed.ttl_s) if complete else now + BACKLOG_RETRY
        await self.store.feeds.fetched(
            feed.id,
            now=now,
            seen_keys=keys,
            url=response.moved_to,
            title=parsed.title,
            site_url=parsed.site_url,
            etag=response.etag,
            last_modified=response.last_modified,
            ttl_s=parsed.ttl_s,
            next_fetch_at=next_fetch,
            complete=complete,
        )
        new_items = sum(1 for entry in entries if entry.key not in known) if not first_fetch else 0
        return PollReport(
            feed.id, feed.url, "new", new_items=new_items, stored=stored, skipped=skipped
        )

    async def _fail(self, feed: Feed, reason: str, *, pause: bool = False) -> PollReport:
        now = self.now()
        failures = feed.failures + 1
        pause = pause or should_pause(failures)
        updated = await self.store.feeds.failed(
            feed.id, now=now, reason=reason, next_fetch_at=now + backoff(failures), pause=pause
        )
        if pause:
            log.warning("paused feed %d (%s): %s", feed.id, feed.url, reason)
            title = (updated.title if updated else None) or feed.title or feed.url
            why = reason if reason.startswith("HTTP 410") else f"{failures} failures in a row"
            text = (
                f"The feed {title} is paused ({why}; last: {reason}). "
                "Run /feed resume to try it again."
                if not reason.startswith("HTTP 410")
                else f"The feed {title} is paused: {reason}. Run /feed resume to try it again."
            )
            for subscription in await self.store.feeds.subscribers(feed.id):
                if subscription.live_channel_id is not None:
                    await self.store.feeds.add_notice(
                        subscription.scope, subscription.live_channel_id, text, now=now
                    )
            return PollReport(feed.id, feed.url, "paused", detail=reason)
        log.info("feed %d (%s) failed (%d in a row): %s", feed.id, feed.url, failures, reason)
        return PollReport(feed.id, feed.url, "failed", detail=reason)

    def _next(self, feed: Feed, now: datetime, ttl_s: int | None = None) -> datetime:
        return next_fetch_after_success(feed.url, now, self.interval_s, ttl_s or feed.ttl_s)

    # --- one item ---------------------------------------------------------------------------

    async def _article_for(self, entry: FeedEntry) -> tuple[AnalyzedArticle | Skip, int]:
        """The item's analysed article (shared in flight, or copied), and whether it fetched."""
        if entry.link is None:
            return await self._from_feed_text(entry, "no link"), 0
        copy = await self._stored_copy(entry.link)
        if copy is not None:
            return copy, 0
        key = canonical_url(entry.link)
        running = self._in_flight.get(key)
        if running is not None:
            return await asyncio.shield(running), 0
        future: asyncio.Future[AnalyzedArticle | Skip] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await self._fetch_and_analyse(entry)
            future.set_result(result)
            return result, 1
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            self._in_flight.pop(key, None)

    async def _stored_copy(self, link: str) -> AnalyzedArticle | None:
        """An article analysed before (for any server): copied, not fetched again."""
        found = await self.store.feeds.analysed_copy(link)
        if found is None:
            return None
        scope, article_id = found
        article = await self.store.articles.get(scope, article_id)
        analysis = await self.store.articles.analysis(scope, article_id) if article else None
        if article is None or analysis is None:
            return None
        return AnalyzedArticle(article.to_extracted(), analysis)

    async def _fetch_and_analyse(self, entry: FeedEntry) -> AnalyzedArticle | Skip:
        assert entry.link is not None
        try:
            page = await self._fetch_page(entry.link)
            if page.truncated:
                raise FetchError("the page is over 5 MB")
            result = await self.analyzer.analyze(
                AnalysisRequest(
                    data=page.text(),
                    name=page.url,
                    url=page.url,
                    content_type=page.content_type,
                    title=entry.title,
                )
            )
        except NotEnglishError:
            return Skip("not in English")
        except UserFacingError as error:
            return await self._from_feed_text(entry, _short(str(error)))
        article = result.article
        if entry.title and not article.title:
            article = replace(article, title=entry.title)
        return AnalyzedArticle(article, result.analysis)

    async def _from_feed_text(self, entry: FeedEntry, why: str) -> AnalyzedArticle | Skip:
        """The feed's own text stands in for a page that cannot be had, if it is long enough."""
        if entry.words < FEED_TEXT_MIN_WORDS:
            return Skip(f"page unavailable ({why}); feed text under {FEED_TEXT_MIN_WORDS} words")
        title = entry.title or display_title(None, entry.text)
        try:
            result = await self.analyzer.analyze(
                AnalysisRequest(
                    data=f"{title}\n\n{entry.text}",
                    name=entry.link or title,
                    url=entry.link,
                    content_type="text/plain",
                    title=title,
                )
            )
        except NotEnglishError:
            return Skip("not in English")
        except UserFacingError as error:
            return Skip(_short(str(error)))
        article = replace(
            result.article, title=title, source_kind="feed", url=entry.link, segments=()
        )
        return AnalyzedArticle(article, result.analysis)

    async def _store_item(
        self,
        feed: Feed,
        entry: FeedEntry,
        targets: Sequence[Target],
        result: AnalyzedArticle | Skip,
    ) -> str:
        """Store the item in every target server and mark it seen, in one transaction."""
        now = self.now()
        if isinstance(result, Skip):
            await self.store.feeds.record_item(
                feed.id, entry.key, outcome="skipped", reason=result.reason, now=now
            )
            return "skipped"
        article, analysis = result.article, result.analysis
        also = tuple(u for u in (entry.link,) if u and u != article.url)
        first: tuple[int, int] | None = None
        outcome = "filtered"
        async with self.store.transaction():
            for target in targets:
                subscription = target.subscription
                if subscription.country and all(
                    c.code != subscription.country for c in analysis.countries
                ):
                    continue
                try:
                    async with self.store.transaction():
                        added = await self.store.articles.add(
                            subscription.scope, article, analysis, now=now, also_known_as=also
                        )
                        if (
                            subscription.topic
                            and added.created
                            and added.article.id
                            not in await self.store.search.matching_ids(
                                subscription.scope, subscription.topic
                            )
                        ):
                            raise _Filtered
                except _Filtered:
                    continue
                outcome = "stored"
                if first is None:
                    first = (subscription.scope, added.article.id)
                if added.created:
                    await self.store.feeds.count_stored(subscription.id)
                    if target.live and subscription.live_channel_id is not None:
                        await self.store.feeds.add_live_candidate(
                            subscription.scope,
                            subscription.live_channel_id,
                            added.article.id,
                            feed_id=feed.id,
                            now=now,
                        )
            await self.store.feeds.record_item(
                feed.id,
                entry.key,
                outcome=outcome,
                now=now,
                article_url=article.url or entry.link,
                article_scope=first[0] if first else None,
                article_id=first[1] if first else None,
            )
        return outcome


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _counts(reports: Sequence[PollReport]) -> str:
    counts: dict[str, int] = {}
    for report in reports:
        counts[report.status] = counts.get(report.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
