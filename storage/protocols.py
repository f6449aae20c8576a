"""What the rest of Diplobrief may ask of storage: one typed Protocol per aggregate.

A backend (SQLite now, PostgreSQL next) implements every repository and the `Store` facade
that holds them; services and tests see only these Protocols. Every method takes the scope
(a server's or a user's library, an integer — see bot.domain.scope) first and sees only that
scope, except the digest scheduler's cross-guild reads (`due`, `next_due`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
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
from bot.domain.digests import DigestDelivery, DigestSubscription
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
    ) -> DigestSubscription:
        """Subscribe a channel or change its subscription; a paused one starts again."""
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

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Group several repository calls into one atomic write (nested: savepoints)."""
        ...

    async def schema_version(self) -> int:
        """How many migrations have been applied."""
        ...

    async def close(self) -> None:
        """Close the database; again is harmless."""
        ...
