"""The feed service: a server's feeds added (a feed or a page naming one), listed, removed,
resumed, imported from and exported to OPML. Polling is the poller's (feed_poller.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.analysis import Analyzer
from bot.domain.clock import Clock, utc_now
from bot.domain.errors import FetchError, NotAFeedError, NotFoundError, UserFacingError
from bot.domain.feeds import (
    DiscoveredFeed,
    FeedAddResult,
    FeedListing,
    ImportReport,
    ParsedFeed,
)
from bot.domain.limits import MAX_TOPIC_CHARS
from bot.domain.text import plural
from bot.fetch import FeedResponse, check_link
from bot.nlp.country_lookup import resolve_country
from bot.nlp.feeds import cache_max_age, discover_feeds, is_html, parse_feed, parse_opml, write_opml
from storage.protocols import Store

log = logging.getLogger(__name__)

FeedFetcher = Callable[[str, str | None, str | None], Awaitable[FeedResponse]]
MAX_OPML_BYTES = 2_000_000


@dataclass(frozen=True)
class FeedChoice:
    """A subscription offered by autocomplete."""

    subscription_id: int
    label: str


def check_feed_filters(topic: str | None, country: str | None) -> tuple[str | None, str | None]:
    """A subscription's topic (normalised) and country (ISO code), or UserFacingError."""
    clean_topic = " ".join(topic.split()) if topic and topic.strip() else None
    if clean_topic is not None and len(clean_topic) > MAX_TOPIC_CHARS:
        raise UserFacingError(f"Keep the topic under {MAX_TOPIC_CHARS} characters.")
    code = resolve_country(country).code if country and country.strip() else None
    return clean_topic, code


def feed_label(listing: FeedListing) -> str:
    """How a feed is named in lists and autocomplete: its title, else its URL."""
    return listing.feed.title or listing.feed.url


class FeedService:
    """A server's (or the CLI's) feeds; the front ends call this, never the Store."""

    def __init__(
        self,
        store: Store,
        analyzer: Analyzer,
        fetch_feed: FeedFetcher,
        now: Clock = utc_now,
        *,
        feeds_per_server: int,
        allow_private: bool = False,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self._fetch = fetch_feed
        self.now = now
        self.feeds_per_server = feeds_per_server
        self.allow_private = allow_private
        self._listeners: list[Callable[[], None]] = [on_change] if on_change else []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` when a feed is added or resumed (the poller wakes up)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    async def add(
        self,
        scope: int,
        url: str,
        *,
        live_channel_id: int | None = None,
        topic: str | None = None,
        country: str | None = None,
        created_by: int | None = None,
    ) -> FeedAddResult:
        """Subscribe to a feed, or to the first feed a web page names; refused with a reason."""
        topic, code = check_feed_filters(topic, country)
        url = check_link(url, allow_private=self.allow_private)
        feed_url, parsed, discovered = await self._find_feed(url)
        added = await self.store.feeds.subscribe(
            scope,
            feed_url,
            title=parsed.title,
            site_url=parsed.site_url,
            live_channel_id=live_channel_id,
            topic=topic,
            country=code,
            created_by=created_by,
            now=self.now(),
            limit=self.feeds_per_server,
        )
        if added is None:
            raise UserFacingError(
                f"This server already reads {plural(self.feeds_per_server, 'feed')}, the limit: "
                "remove one with /feed remove first."
            )
        self._changed()
        return FeedAddResult(added.subscription, added.feed, added.created, tuple(discovered))

    async def _find_feed(self, url: str) -> tuple[str, ParsedFeed, list[DiscoveredFeed]]:
        """The feed at `url`, or the first one the page at `url` names."""
        response = await self._fetch_checked(url)
        discovered: list[DiscoveredFeed] = []
        if is_html(response.content_type, response.body):
            page = response.body.decode(response.charset or "utf-8", errors="replace")
            discovered = await self.analyzer.run(discover_feeds, page, response.url)
            if not discovered:
                raise NotAFeedError(f"No feed found at {url}: the page names none.")
            url = discovered[0].url
            response = await self._fetch_checked(url)
        try:
            parsed = await self.analyzer.run(
                parse_feed,
                response.body,
                response.url,
                response.content_type,
                response.charset,
                cache_max_age(response.cache_control),
            )
        except NotAFeedError as error:
            raise NotAFeedError(f"No feed found at {url}: {error}") from None
        return response.moved_to or url, parsed, discovered

    async def _fetch_checked(self, url: str) -> FeedResponse:
        try:
            response = await self._fetch(url, None, None)
        except FetchError as error:
            raise FetchError(f"{url} was refused: {error}") from None
        if response.truncated:
            raise NotAFeedError(f"No feed found at {url}: the document is over 5 MB.")
        return response

    async def feeds(self, scope: int) -> list[FeedListing]:
        """The scope's feeds with their state, oldest subscription first."""
        return await self.store.feeds.subscriptions(scope)

    async def find(self, scope: int, reference: str) -> FeedListing:
        """A subscription by its id (as autocomplete gives it), URL or title."""
        text = reference.strip()
        listings = await self.feeds(scope)
        for listing in listings:
            if text in (str(listing.subscription.id), f"#{listing.subscription.id}"):
                return listing
        for listing in listings:
            if text in (listing.feed.url, listing.feed.title):
                return listing
        raise NotFoundError("This server reads no such feed (see /feed list).")

    async def remove(self, scope: int, reference: str) -> FeedListing:
        listing = await self.find(scope, reference)
        await self.store.feeds.unsubscribe(scope, listing.subscription.id)
        return listing

    async def resume(self, scope: int, reference: str) -> FeedListing:
        listing = await self.find(scope, reference)
        if not await self.store.feeds.resume(scope, listing.subscription.id, now=self.now()):
            raise UserFacingError(f"{feed_label(listing)} is not paused.")
        self._changed()
        return listing

    async def choices(
        self, scope: int, typed: str, *, paused_only: bool = False
    ) -> list[FeedChoice]:
        """Subscriptions for autocomplete: title or URL containing what was typed."""
        needle = typed.strip().casefold()
        found = []
        for listing in await self.feeds(scope):
            if paused_only and listing.feed.status != "paused":
                continue
            label = feed_label(listing)
            if needle and needle not in label.casefold() and needle not in listing.feed.url:
                continue
            found.append(FeedChoice(listing.subscription.id, label[:100]))
        return found[:25]

    async def import_opml(
        self, scope: int, data: bytes, *, created_by: int | None = None
    ) -> ImportReport:
        """Subscribe to every outline with an xmlUrl; a malformed file imports nothing."""
        if len(data) > MAX_OPML_BYTES:
            raise UserFacingError("That OPML file is over 2 MB.")
        outlines = await self.analyzer.run(parse_opml, data)
        if not outlines:
            raise NotAFeedError("That OPML file lists no feeds (no outline has an xmlUrl).")
        added: list[str] = []
        already: list[str] = []
        over: list[str] = []
        refused: list[tuple[str, str]] = []
        now = self.now()
        async with self.store.transaction():
            for outline in outlines:
                try:
                    url = check_link(outline.url, allow_private=self.allow_private)
                except FetchError as error:
                    refused.append((outline.url, str(error)))
                    continue
                result = await self.store.feeds.subscribe(
                    scope,
                    url,
                    title=outline.title,
                    site_url=None,
                    live_channel_id=None,
                    topic=None,
                    country=None,
                    created_by=created_by,
                    now=now,
                    limit=self.feeds_per_server,
                )
                if result is None:
                    over.append(url)
                elif result.created:
                    added.append(url)
                else:
                    already.append(url)
        if added:
            self._changed()
        log.info("scope %s imported %d feeds (%d refused)", scope, len(added), len(refused))
        return ImportReport(tuple(added), tuple(already), tuple(over), tuple(refused))

    async def export_opml(self, scope: int, title: str = "Diplobrief feeds") -> bytes:
        """The scope's feeds as an OPML document."""
        listings = await self.feeds(scope)
        return await self.analyzer.run(
            write_opml, title, [(item.feed.url, item.feed.title) for item in listings], self.now()
        )
