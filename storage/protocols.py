"""What the rest of Diplobrief may ask of storage: one typed Protocol per aggregate.

A backend (SQLite now, PostgreSQL next) implements every repository and the `Store` facade
that holds them; services and tests see only these Protocols. Every method takes the scope
(a server's or a user's library, an integer — see bot.domain.scope) first and sees only that
scope, except the digest scheduler's cross-guild reads (`due`, `next_due`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.analysis import Analysis
from bot.domain.articles import (
    AddResult,
    ArticleLead,
    ArticleOrigin,
    CountrySentence,
    ExtractedArticle,
    SearchPage,
    StoredArticle,
    StoredQuote,
)
from bot.domain.digests import ChannelKind, DigestDelivery, DigestSubscription
from bot.domain.feeds import (
    Feed,
    FeedAddResult,
    FeedListing,
    FeedSubscription,
    LiveCandidate,
    LiveChannel,
    LiveNotice,
    LivePost,
)
from bot.domain.window import Window


class ArticleRepository(Protocol):
    """Articles with their analyses; deduplicated by every URL that led to them and by text."""

    async def add(
        self,
        scope: int,
        article: ExtractedArticle,
        analysis: Analysis,
        *,
        now: datetime,
        added_by: int | None = None,
        source_path: str | None = None,
        also_known_as: Sequence[str] = (),
        origin: ArticleOrigin = ArticleOrigin.FETCHED,
    ) -> AddResult:
        """Store an article and its analysis atomically; an article already here is returned.

        `also_known_as` are other URLs that led to it (the link typed before redirects): a
        later lookup of any of them finds this article without fetching. Only a FETCHED
        article is kept under its URL: any other origin's `article.url` is stored as
        `given_url` (its giver's word), is never found by URL, and dedupes by text alone; a
        fetched page whose text matches such an article turns it into the fetched one.
        """
        ...

    async def remember_url(self, scope: int, url: str, article_id: int) -> None:
        """Record one more URL that leads to a stored article (a redirect's first hop)."""
        ...

    async def get(self, scope: int, article_id: int) -> StoredArticle | None:
        """The scope's article with this id, or None (also when another scope has it)."""
        ...

    async def get_many(self, scope: int, article_ids: Iterable[int]) -> list[StoredArticle]:
        """The scope's articles with these ids, in the order asked, missing ones left out."""
        ...

    async def find_by_url(self, scope: int, url: str) -> StoredArticle | None:
        """The article at this URL or any variant of it, or one it redirected to."""
        ...

    async def newest(self, scope: int, *, limit: int, offset: int = 0) -> list[StoredArticle]:
        """The scope's articles, newest first."""
        ...

    async def count(self, scope: int) -> int:
        """How many articles the scope has stored."""
        ...

    async def remove(self, scope: int, article_id: int) -> bool:
        """Delete an article with its analysis and search entry; False if not there."""
        ...

    async def leads(
        self, scope: int, window: Window, *, lead_chars: int = 1200, max_names: int = 12
    ) -> list[ArticleLead]:
        """Light views of the articles added in the window, oldest first (for clustering)."""
        ...

    async def country_sentences(
        self, scope: int, code: str, window: Window
    ) -> list[CountrySentence]:
        """The stored sentences naming `code` in the window's articles, oldest article first."""
        ...

    async def analysis(self, scope: int, article_id: int) -> Analysis | None:
        """The stored analysis of one article."""
        ...

    async def analyses(self, scope: int, article_ids: Iterable[int]) -> dict[int, Analysis]:
        """Analyses by article id; ids of other scopes' or missing articles are left out."""
        ...


class SearchRepository(Protocol):
    """Full-text search of titles and bodies (see bot.domain.search for the query syntax)."""

    async def search(
        self, scope: int, query: str, *, limit: int = 5, offset: int = 0
    ) -> SearchPage:
        """One page of hits, best first, with snippets; any user text is safe."""
        ...

    async def matching_ids(self, scope: int, query: str) -> set[int]:
        """Ids of the articles `search` would find: no ranking, no snippets."""
        ...


class QuoteRepository(Protocol):
    """Quotes with their speakers across a scope's articles."""

    async def find(
        self,
        scope: int,
        *,
        speaker: str | None = None,
        article_id: int | None = None,
        limit: int = 10,
    ) -> list[StoredQuote]:
        """Quotes, newest article first; the speaker matches any part of the name, any case."""
        ...

    async def speakers(self, scope: int, prefix: str, *, limit: int = 25) -> list[str]:
        """Speakers whose name or any word of it starts with prefix, most quoted first."""
        ...


class ChannelRepository(Protocol):
    """Per-channel settings: where links posted in chat are summarised automatically."""

    async def set_autosummary(self, scope: int, channel_id: int, enabled: bool) -> None: ...

    async def autosummary_enabled(self, scope: int, channel_id: int) -> bool: ...

    async def autosummary_channels(self, scope: int) -> list[int]: ...


class DigestRepository(Protocol):
    """Daily digest subscriptions (one per channel) and their per-occurrence deliveries."""

    async def subscribe(
        self,
        guild_id: int,
        channel_id: int,
        *,
        local_time: str,
        timezone: str,
        topic: str | None,
        country: str | None,
        quiet: bool,
        created_by: int | None,
        next_due_at: datetime,
        now: datetime,
        channel_kind: ChannelKind = "text",
    ) -> DigestSubscription:
        """Subscribe a channel or change its subscription; a paused one starts again (the
        channel's kind as it is now: a forum gets posts, an announcement channel publishes)."""
        ...

    async def unsubscribe(self, guild_id: int, channel_id: int) -> bool: ...

    async def subscription(self, guild_id: int, channel_id: int) -> DigestSubscription | None: ...

    async def subscriptions(self, guild_id: int) -> list[DigestSubscription]: ...

    async def due(self, now: datetime, *, limit: int = 100_000) -> list[DigestSubscription]:
        """Every guild's unpaused subscriptions due at `now`, earliest first."""
        ...

    async def next_due(self) -> datetime | None:
        """When the earliest unpaused subscription is due (any guild)."""
        ...

    async def delivery(
        self, guild_id: int, subscription_id: int, local_date: str
    ) -> DigestDelivery | None: ...

    async def begin_delivery(
        self,
        guild_id: int,
        subscription_id: int,
        local_date: str,
        *,
        nonce: str,
        due_at: datetime,
        now: datetime,
    ) -> DigestDelivery | None:
        """Record that an occurrence is being sent, before asking Discord; None if unsubscribed."""
        ...

    async def mark_sent(
        self,
        guild_id: int,
        subscription_id: int,
        local_date: str,
        *,
        message_id: int | None,
        covered_until: datetime,
        next_due_at: datetime,
        now: datetime,
    ) -> bool:
        """Record an occurrence Discord accepted (None: nothing to post) and move on."""
        ...

    async def skip(
        self,
        guild_id: int,
        subscription_id: int,
        local_date: str,
        *,
        nonce: str,
        due_at: datetime,
        reason: str,
        next_due_at: datetime,
        now: datetime,
    ) -> bool:
        """Give up one occurrence (too late, or possibly sent already) and move to the next."""
        ...

    async def pause(
        self, guild_id: int, subscription_id: int, local_date: str, *, reason: str, now: datetime
    ) -> bool:
        """Stop a subscription Discord refused until someone subscribes again."""
        ...

    async def reschedule(
        self, guild_id: int, subscription_id: int, *, next_due_at: datetime
    ) -> bool: ...

    async def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[DigestSubscription]:
        """Claim up to `limit` due, unleased subscriptions for `owner` until now + lease.

        Processes sharing the database never claim the same subscription at once; a claim not
        released in time expires, and the subscription can be claimed again.
        """
        ...

    async def release(
        self, subscription_id: int, *, owner: str, not_before: datetime | None = None
    ) -> None:
        """End `owner`'s claim; `not_before`: nobody claims it again before then (a retry)."""
        ...


class SendSlotRepository(Protocol):
    """A rate limit shared by every process on the database (Discord's is per bot)."""

    async def take(self, key: str, *, at: float, limit: int, period: float) -> float:
        """Reserve the next moment to send at, `limit` per `period` seconds evenly spaced on a
        clock every process shares; how many seconds after `at` (its caller's now) it is.

        The slot is the caller's: it waits that long and sends, without asking again.
        """
        ...


class FeedRepository(Protocol):
    """Feeds, subscriptions per scope, seen items, poll state and live channel posts.

    Subscriptions are scoped; the poller's methods (claim_due, subscribers, record_item,
    live candidates and posts) span scopes, as the digest scheduler's `due` does. Every write
    joins the caller's `store.transaction()` when there is one, so an item is marked seen in
    the same transaction as its stored article.
    """

    async def subscribe(
        self,
        scope: int,
        url: str,
        *,
        title: str | None,
        site_url: str | None,
        live_channel_id: int | None,
        topic: str | None,
        country: str | None,
        created_by: int | None,
        now: datetime,
        limit: int,
    ) -> FeedAddResult | None:
        """Subscribe a scope to a feed (created if new); None when the scope is at `limit`.

        Subscribing again changes the live channel and filters given. A feed other servers
        already read forgets its validators, so the next poll fetches it in full."""
        ...

    async def subscriptions(self, scope: int) -> list[FeedListing]:
        """The scope's feeds with their state and skipped-item reasons, oldest first."""
        ...

    async def subscription(self, scope: int, subscription_id: int) -> FeedListing | None:
        """One of the scope's subscriptions, or None."""
        ...

    async def count(self, scope: int) -> int:
        """How many feeds the scope reads."""
        ...

    async def unsubscribe(self, scope: int, subscription_id: int) -> bool:
        """Stop reading a feed; a feed no server reads is deleted with its items."""
        ...

    async def resume(self, scope: int, subscription_id: int, *, now: datetime) -> bool:
        """Unpause the scope's paused feed (its failures forgotten); False if not paused."""
        ...

    async def claim_due(self, now: datetime, *, limit: int, lease: timedelta) -> list[Feed]:
        """Every server's due, unpaused feeds, claimed for `lease` (a poll in progress)."""
        ...

    async def next_due(self) -> datetime | None:
        """When the earliest unpaused feed is due."""
        ...

    async def feed(self, feed_id: int) -> Feed | None:
        """A feed by id (the poller's view, every scope)."""
        ...

    async def subscribers(self, feed_id: int) -> list[FeedSubscription]:
        """Every subscription of a feed, any scope."""
        ...

    async def known_items(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        """Which of these item keys the feed has seen."""
        ...

    async def analysed_copy(self, article_url: str) -> tuple[int, int] | None:
        """(scope, article id) of a stored copy of the article at this URL, if any."""
        ...

    async def record_item(
        self,
        feed_id: int,
        key: str,
        *,
        outcome: str,
        now: datetime,
        reason: str | None = None,
        article_url: str | None = None,
        article_scope: int | None = None,
        article_id: int | None = None,
    ) -> None:
        """Mark an item seen with what became of it (in the caller's transaction)."""
        ...

    async def count_stored(self, subscription_id: int, count: int = 1) -> None:
        """Count items stored for a subscription."""
        ...

    async def finish_baseline(self, subscription_id: int) -> None:
        """The subscription got its first newest items."""
        ...

    async def fetched(
        self,
        feed_id: int,
        *,
        now: datetime,
        seen_keys: Iterable[str],
        url: str | None,
        title: str | None,
        site_url: str | None,
        etag: str | None,
        last_modified: str | None,
        ttl_s: int | None,
        next_fetch_at: datetime,
        complete: bool,
    ) -> None:
        """A good response was processed: validators kept only if `complete`, claim released."""
        ...

    async def not_modified(
        self, feed_id: int, *, now: datetime, next_fetch_at: datetime, url: str | None = None
    ) -> None:
        """A 304: nothing to parse; the next fetch is scheduled, the claim released."""
        ...

    async def failed(
        self,
        feed_id: int,
        *,
        now: datetime,
        reason: str,
        next_fetch_at: datetime,
        pause: bool,
    ) -> Feed | None:
        """One more failure in a row (paused when `pause`); the feed as it is now."""
        ...

    async def release(self, feed_id: int) -> None:
        """Give a claimed feed back without changing it."""
        ...

    async def forget_seen(self, before: datetime) -> int:
        """Forget items not seen since `before`; how many."""
        ...

    async def add_live_candidate(
        self, scope: int, channel_id: int, article_id: int, *, feed_id: int | None, now: datetime
    ) -> None:
        """A stored feed article to tell in a live channel (in the article's transaction)."""
        ...

    async def pending_live(
        self, *, limit: int = 200, channel: LiveChannel | None = None
    ) -> list[LiveCandidate]:
        """Live candidates not handled yet, oldest first (every scope, or one channel's)."""
        ...

    async def finish_live_candidate(
        self, candidate_id: int, outcome: str, *, now: datetime
    ) -> None:
        """Record what became of a live candidate."""
        ...

    async def live_posts(self, scope: int, channel_id: int, since: datetime) -> list[LivePost]:
        """A channel's live posts since a moment, oldest first."""
        ...

    async def live_posts_to_finish(self, channel: LiveChannel | None = None) -> list[LivePost]:
        """Posts not yet accepted by Discord, or changed since last shown (every scope, or
        one channel's)."""
        ...

    async def create_live_post(self, candidate: LiveCandidate, *, now: datetime) -> LivePost:
        """A new story post for a candidate (status sending), the candidate done."""
        ...

    async def extend_live_post(
        self, candidate: LiveCandidate, post_id: int, *, now: datetime
    ) -> None:
        """Add a candidate's article to a story post; it needs an edit."""
        ...

    async def mark_live_rendered(
        self, scope: int, post_id: int, *, message_id: int, rendered: datetime
    ) -> None:
        """Discord shows the post as of `rendered` (message id kept)."""
        ...

    async def abandon_live_post(self, scope: int, post_id: int) -> None:
        """Give up a send that may have been posted already."""
        ...

    async def live_posts_made(self, scope: int, channel_id: int, since: datetime) -> int:
        """Story posts started in a channel since a moment (the hourly limit)."""
        ...

    async def add_notice(self, scope: int, channel_id: int, text: str, *, now: datetime) -> None:
        """A short notice for a live channel."""
        ...

    async def pending_notices(self, channel: LiveChannel | None = None) -> list[LiveNotice]:
        """Notices not sent yet (every scope, or one channel's)."""
        ...

    async def claim_live_channels(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[LiveChannel]:
        """Channels with live work waiting and no live lease, leased to `owner` (the longest
        waiting first): each channel's work is done by one process at a time."""
        ...

    async def renew_live_channel(
        self, channel: LiveChannel, *, owner: str, now: datetime, lease: timedelta
    ) -> bool:
        """Extend `owner`'s lease from `now`; False if another process holds the channel."""
        ...

    async def release_live_channel(self, channel: LiveChannel, *, owner: str) -> None:
        """Give the channel's lease back (if `owner` still holds it)."""
        ...

    async def notice_sent(self, notice_id: int, *, now: datetime) -> None:
        """A notice was sent."""
        ...


class Store(Protocol):
    """One database, its repositories, and transactions spanning them."""

    @property
    def articles(self) -> ArticleRepository: ...

    @property
    def search(self) -> SearchRepository: ...

    @property
    def quotes(self) -> QuoteRepository: ...

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def digests(self) -> DigestRepository: ...

    @property
    def send_slots(self) -> SendSlotRepository: ...

    @property
    def feeds(self) -> FeedRepository: ...

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Group several repository calls into one atomic write (nested: savepoints)."""
        ...

    async def schema_version(self) -> int:
        """How many migrations have been applied."""
        ...

    async def close(self) -> None:
        """Close the database; again is harmless."""
        ...
