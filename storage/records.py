"""Frozen rows the Store returns, so callers never see SQL rows or connections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.nlp.models import Country, ExtractedArticle


@dataclass(frozen=True)
class StoredArticle:
    """An article as kept for one guild (None = the console), with its summary sentences."""

    id: int
    guild_id: int | None
    url: str | None
    canonical_url: str | None
    title: str | None
    byline: str | None
    published: str | None
    site_name: str | None
    text: str
    added_at: datetime
    added_by: int | None
    summary_method: str
    summary: tuple[str, ...]
    source_kind: str = "text"
    language: str = "en"
    source_path: str | None = None  # the file it was read from, as typed on the command line

    def to_extracted(self) -> ExtractedArticle:
        """The article as the pipeline saw it, so it can be re-rendered without re-fetching."""
        return ExtractedArticle(
            text=self.text,
            title=self.title,
            byline=self.byline,
            published=self.published,
            site_name=self.site_name,
            url=self.url,
            source_kind=self.source_kind,
        )


@dataclass(frozen=True)
class ArticleDigest:
    """What clustering and ranking need of one article: its opening, actors and time, no more."""

    id: int
    title: str | None
    url: str | None
    site_name: str | None
    added_at: datetime
    lead: str  # the text's first characters (the lead says what the event is)
    text_length: int
    countries: tuple[Country, ...]
    names: tuple[str, ...]  # people and organisations, in the analysis' order
    source_path: str | None = None


@dataclass(frozen=True)
class AddResult:
    """The stored article and whether this call created it (False: it was already there)."""

    article: StoredArticle
    created: bool


@dataclass(frozen=True)
class SearchHit:
    """One search result; the snippet marks matched words with HIGHLIGHT_START/END ("**").

    `snippet_parts` is the same text as (text, is_match) pieces, for renderers that must
    escape the article's own markup before adding their own emphasis.
    """

    article_id: int
    title: str | None
    url: str | None
    snippet: str
    added_at: datetime
    snippet_parts: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class SearchPage:
    """One page of search hits, best first, and how many articles matched in total."""

    hits: tuple[SearchHit, ...]
    total: int


@dataclass(frozen=True)
class StoredQuote:
    """A quotation with its speaker and the article it came from."""

    text: str
    speaker: str | None
    title: str | None
    cue: str | None
    partial: bool
    article_id: int
    article_title: str | None
    article_url: str | None
    added_at: datetime


@dataclass(frozen=True)
class DigestSubscription:
    """A channel's daily digest: when (local clock), what (topic, country), and its state."""

    id: int
    guild_id: int
    channel_id: int
    local_time: str  # "HH:MM" on the subscription's clock
    timezone: str  # IANA name
    topic: str | None
    country: str | None
    quiet: bool  # True: post nothing on a day with no news
    created_by: int | None
    created_at: datetime
    next_due_at: datetime
    last_digest_until: datetime | None  # the previous digest covered articles up to here
    last_sent_at: datetime | None
    paused_reason: str | None = None  # Discord refused the channel; not sent until re-subscribed
    paused_at: datetime | None = None

    @property
    def paused(self) -> bool:
        """Whether deliveries are stopped until someone subscribes the channel again."""
        return self.paused_reason is not None


@dataclass(frozen=True)
class DigestDelivery:
    """One occurrence of a subscription (its local date) and how far its delivery got."""

    subscription_id: int
    local_date: str  # ISO date on the subscription's clock
    status: str  # sending | sent | quiet | skipped | failed
    nonce: str
    due_at: datetime
    started_at: datetime
    finished_at: datetime | None
    message_id: int | None
    detail: str | None


@dataclass(frozen=True)
class CountrySentence:
    """One stored sentence that names a country, with every country it names: /relations' input."""

    article_id: int
    sentence_index: int
    text: str  # the sentence as the pipeline split it ("" when its span is missing)
    codes: tuple[str, ...]  # every country the sentence names, the asked one included
    title: str | None  # the article's title
    opening: str  # the text's first characters, for an article without a title ("" otherwise)
