"""Daily digest subscriptions, their deliveries, and one occurrence's digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from bot.domain.stories import Briefing
from bot.domain.window import Window

MAX_WINDOW = timedelta(days=7)  # a digest never covers more than this
FIRST_WINDOW = timedelta(days=1)  # a first digest covers at least the last day

# What one subscription's turn did: sent; quiet (nothing posted, as asked); skipped (too late,
# or possibly posted before a restart); paused (Discord refused the channel); retry (outcome
# unknown, tried again with the same nonce); done (this occurrence was finished before); gone
# (unsubscribed meanwhile).
Outcome = Literal["sent", "quiet", "skipped", "paused", "retry", "done", "gone"]
DONE_STATUSES = frozenset({"sent", "quiet", "skipped"})

# Where a digest goes: a text channel or thread (one message), an announcement channel (the
# message is also published to following servers), or a forum (a new post each day).
ChannelKind = Literal["text", "announcement", "forum"]
CHANNEL_KINDS: tuple[ChannelKind, ...] = ("text", "announcement", "forum")


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
    channel_kind: ChannelKind = "text"  # as seen when subscribed

    @property
    def paused(self) -> bool:
        """Whether deliveries are stopped until someone subscribes the channel again."""
        return self.paused_reason is not None

    def window(self, until: datetime) -> Window:
        """What the digest due at `until` covers: from where the previous digest stopped (the
        first: from subscribing, and at least the last day), never more than MAX_WINDOW back."""
        since = self.last_digest_until
        if since is None:
            since = min(self.created_at, until - FIRST_WINDOW)
        return Window(max(since, until - MAX_WINDOW), until)


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
class DigestRequest:
    """A checked /digest subscribe: what to store."""

    local_time: str
    timezone: str
    topic: str | None
    country: str | None
    quiet: bool
    channel_kind: ChannelKind = "text"


@dataclass(frozen=True)
class Digest:
    """One occurrence's briefing, ready to post: what arrived in its window."""

    subscription: DigestSubscription
    briefing: Briefing
    local_date: date
    nonce: str

    @property
    def window(self) -> Window:
        return self.briefing.window

    @property
    def since(self) -> datetime:
        return self.briefing.window.since

    @property
    def until(self) -> datetime:
        return self.briefing.window.until

    @property
    def has_news(self) -> bool:
        """False on a quiet day: nothing new arrived in the window."""
        return bool(self.briefing.stories)


@dataclass(frozen=True)
class DigestResult:
    """What one due subscription's turn did: sent, quiet, skipped, paused, retry, done, gone."""

    subscription_id: int
    guild_id: int
    channel_id: int
    outcome: Outcome
    local_date: date | None = None
    message_id: int | None = None
    detail: str | None = None


@dataclass(frozen=True)
class DigestPreview:
    """/digest preview: the digest as it would be now, and whether the channel has one at all."""

    digest: Digest
    subscribed: bool


class DeliveryRefused(Exception):
    """Discord refused the channel itself (deleted, no access): pause the subscription."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeliveryRejected(Exception):
    """Discord answered that this message was not posted (e.g. 400): skip this occurrence."""
