"""Feeds a server reads, the items they carry, and the pure rules of polling them.

Identity of an item: its id/guid; else its canonical link (tracking parameters and fragments
removed); else a hash of its title and date. Polling rules (intervals, back-off, pausing) are
pure functions of the feed's state and an injected time, so the poller and its tests agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.domain.urls import canonical_url

# --- limits of polling (every one a user may meet is also named in README) --------------------

DEFAULT_FEED_INTERVAL_S = 900
MIN_FEED_INTERVAL_S = 5  # accepted for tests; real feeds want minutes
MAX_FEED_INTERVAL = timedelta(hours=6)  # a feed's own ttl / max-age lengthens up to this
JITTER_SHARE = 0.1  # intervals are stretched by up to 10% so feeds do not fire together
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=24)
PAUSE_AFTER_FAILURES = 10
SEEN_RETENTION = timedelta(days=60)  # seen items are remembered at least this long
FIRST_FETCH_STORED = 10  # a new subscription stores only the newest items (no flood)
MAX_ITEMS_PER_DOCUMENT = 200  # newest first; a 100,000-item feed is cut here
MAX_NEW_ITEMS_PER_POLL = 25  # articles fetched per feed per poll; the rest wait for the next
FEED_TEXT_MIN_WORDS = 80  # the feed's own text stands in for an unreachable page from here
MAX_FEED_BYTES = 5_000_000
DEFAULT_FEEDS_PER_SERVER = 20
DEFAULT_HOST_CONCURRENCY = 2
DEFAULT_HOST_INTERVAL_S = 1.0
FEED_LEASE = timedelta(minutes=10)  # a claimed feed is another process's after this

# --- live channels ------------------------------------------------------------------------------

DEFAULT_LIVE_PER_HOUR = 6
LIVE_STORY_WINDOW = timedelta(hours=24)  # a story seen within this is not new again
LIVE_MAX_DELAY = timedelta(hours=6)  # a live post not made by then waits for the digest
ALSO_REPORTED_MAX = 5  # links in the "Also reported by" line

FEEDS_PER_PAGE = 5

FeedStatus = Literal["ok", "failing", "paused"]
ItemOutcome = Literal["stored", "skipped", "baseline", "filtered"]
LiveOutcome = Literal["posted", "edited", "seen", "deferred", "expired", "failed", "pending"]


@dataclass(frozen=True)
class Feed:
    """One feed URL, fetched once per interval however many servers read it."""

    id: int
    url: str
    title: str | None
    site_url: str | None
    created_at: datetime
    next_fetch_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    ttl_s: int | None = None  # the feed's own hint: Cache-Control max-age, <ttl>, sy:update*
    last_fetched_at: datetime | None = None
    last_ok_at: datetime | None = None
    failures: int = 0
    failing_since: datetime | None = None
    last_error: str | None = None
    paused_at: datetime | None = None
    paused_reason: str | None = None
    baselined: bool = False  # the first good fetch marked everything seen

    @property
    def status(self) -> FeedStatus:
        if self.paused_reason is not None:
            return "paused"
        return "failing" if self.failures else "ok"


@dataclass(frozen=True)
class FeedSubscription:
    """A server (scope) reading a feed: where its stories go live and what it keeps."""

    id: int
    scope: int
    feed_id: int
    created_at: datetime
    live_channel_id: int | None = None
    topic: str | None = None
    country: str | None = None  # ISO code
    created_by: int | None = None
    baseline_done: bool = False  # the subscription got its first newest items
    items_stored: int = 0


@dataclass(frozen=True)
class FeedListing:
    """One line of /feed list: the subscription, its feed, and what the feed's items became."""

    subscription: FeedSubscription
    feed: Feed
    skipped: tuple[tuple[str, int], ...] = ()  # reason → count, most frequent first


@dataclass(frozen=True)
class FeedEntry:
    """One item of a parsed feed (pure data, picklable)."""

    key: str  # identity (see item_key)
    link: str | None
    title: str | None
    published: datetime | None
    text: str  # the feed's own text of the item (content:encoded or summary), tags removed
    source: str | None = None  # the outlet an aggregator names (<source>)

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class ParsedFeed:
    """What a feed document says: its title and site, newest items first, its refresh hint."""

    kind: str  # rss20, rss10, atom10, json1, …
    title: str | None
    site_url: str | None
    entries: tuple[FeedEntry, ...]
    ttl_s: int | None = None
    total_entries: int = 0  # before the per-document cap
    warnings: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DiscoveredFeed:
    """A feed a web page names in `<link rel="alternate">`."""

    url: str
    title: str | None
    kind: str  # rss, atom, rdf, json


@dataclass(frozen=True)
class OpmlOutline:
    """One outline with an xmlUrl in an OPML file."""

    url: str
    title: str | None


@dataclass(frozen=True)
class FeedAddResult:
    """What /feed add did."""

    subscription: FeedSubscription
    feed: Feed
    created: bool  # False: the server already had this feed
    discovered: tuple[DiscoveredFeed, ...] = ()  # feeds the page named (the first was added)


@dataclass(frozen=True)
class ImportReport:
    """What /feed import did with each outline."""

    added: tuple[str, ...] = ()
    already: tuple[str, ...] = ()
    over_limit: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()  # url, why


@dataclass(frozen=True)
class PollReport:
    """One feed's poll: what happened to its document and its items."""

    feed_id: int
    url: str
    status: Literal["new", "not-modified", "failed", "paused", "gone", "skipped"]
    new_items: int = 0
    stored: int = 0
    skipped: int = 0
    detail: str | None = None


@dataclass(frozen=True)
class LivePost:
    """A story's message in a live channel, edited as more outlets report it.

    status: "sending" (recorded, not yet accepted by Discord), "posted", "abandoned" (a send
    older than Discord's nonce memory: repeating it could post twice). The message needs an
    edit when its articles changed after it was last rendered.
    """

    id: int
    scope: int
    channel_id: int
    article_ids: tuple[int, ...]
    created_at: datetime
    updated_at: datetime
    status: str = "sending"
    message_id: int | None = None
    rendered_at: datetime | None = None

    @property
    def nonce(self) -> str:
        return live_nonce(self.id)

    @property
    def needs_edit(self) -> bool:
        return self.status == "posted" and (
            self.rendered_at is None or self.rendered_at < self.updated_at
        )


@dataclass(frozen=True)
class LiveNotice:
    """A short message for a live channel (its feed was paused), sent once."""

    id: int
    scope: int
    channel_id: int
    text: str
    created_at: datetime


@dataclass(frozen=True)
class LiveCandidate:
    """A stored feed article waiting to be told in a live channel (persisted across crashes)."""

    id: int
    scope: int
    channel_id: int
    article_id: int
    created_at: datetime
    feed_id: int | None = None


# --- pure rules ---------------------------------------------------------------------------------


def item_key(guid: str | None, link: str | None, title: str | None, date: str | None) -> str:
    """An item's identity: guid, else canonical link, else a hash of title and date."""
    if guid and guid.strip():
        return "id:" + guid.strip()
    if link and link.strip():
        return "link:" + canonical_url(link)
    digest = hashlib.sha256(f"{(title or '').strip()}\x1f{(date or '').strip()}".encode())
    return "hash:" + digest.hexdigest()[:32]


def jitter_fraction(url: str, moment: datetime) -> float:
    """A stable fraction in [0, 1) for a feed and a poll: spreads feeds without randomness."""
    digest = hashlib.sha256(f"{url}\x1f{int(moment.timestamp())}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def poll_interval(base_s: int, ttl_s: int | None) -> timedelta:
    """The feed's interval: the setting, lengthened by the feed's own hint up to 6 hours."""
    seconds = max(base_s, min(ttl_s or 0, int(MAX_FEED_INTERVAL.total_seconds())))
    return timedelta(seconds=seconds)


def next_fetch_after_success(url: str, now: datetime, base_s: int, ttl_s: int | None) -> datetime:
    """When a feed that answered is fetched next: its interval, jittered by up to 10%."""
    interval = poll_interval(base_s, ttl_s)
    return now + interval * (1 + JITTER_SHARE * jitter_fraction(url, now))


def backoff(failures: int) -> timedelta:
    """5 min × 2ⁿ⁻¹ after the n-th failure in a row, at most 24 h."""
    if failures <= 0:
        return timedelta(0)
    return min(BACKOFF_BASE * 2 ** min(failures - 1, 20), BACKOFF_MAX)


def should_pause(failures: int) -> bool:
    """After this many failures in a row the feed is paused until someone resumes it."""
    return failures >= PAUSE_AFTER_FAILURES


def live_nonce(post_id: int) -> str:
    """The per-story nonce of a live post (Discord allows 25 characters)."""
    return f"live-{post_id}"
