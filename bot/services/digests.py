"""The digest service: subscribe, unsubscribe, list and preview; and the scheduler that sends."""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import UTC, timedelta

from bot.domain.clock import Clock, utc_now
from bot.domain.digests import ChannelKind, DigestPreview, DigestRequest, DigestSubscription
from bot.domain.errors import InvalidScheduleError
from bot.domain.limits import MAX_TOPIC_CHARS
from bot.domain.schedule import (
    DEFAULT_TIME,
    DEFAULT_TIMEZONE,
    first_due,
    format_local_time,
    matching_timezones,
    parse_local_time,
    parse_timezone,
)
from bot.nlp.country_lookup import resolve_country
from bot.services.briefings import BriefingService
from bot.services.scheduler import (
    LEASE,
    DigestScheduler,
    DigestSender,
    SharedSendPacer,
    Sleep,
)
from storage.protocols import Store

log = logging.getLogger(__name__)


def check_subscription(
    local_time: str | None,
    timezone: str | None,
    topic: str | None,
    country: str | None,
    quiet: bool = False,
    channel_kind: ChannelKind = "text",
) -> DigestRequest:
    """Validate /digest subscribe's options before anything is stored; UserFacingError if not."""
    parsed_time = parse_local_time(local_time or DEFAULT_TIME)
    zone = parse_timezone(timezone or DEFAULT_TIMEZONE)
    topic = " ".join(topic.split()) if topic and topic.strip() else None
    if topic is not None and len(topic) > MAX_TOPIC_CHARS:
        raise InvalidScheduleError(f"Keep the topic under {MAX_TOPIC_CHARS} characters.")
    country_code = resolve_country(country).code if country and country.strip() else None
    return DigestRequest(
        local_time=format_local_time(parsed_time),
        timezone=zone.key,
        topic=topic,
        country=country_code,
        quiet=quiet,
        channel_kind=channel_kind,
    )


class DigestService:
    """Daily digests per channel; the scheduler is built here and started by the front end."""

    def __init__(
        self,
        store: Store,
        briefings: BriefingService,
        now: Clock = utc_now,
        *,
        lease: timedelta = LEASE,
    ) -> None:
        self.store = store
        self.lease = lease
        self.briefings = briefings
        self.now = now
        self._schedulers: weakref.WeakSet[DigestScheduler] = weakref.WeakSet()

    def scheduler(self, sender: DigestSender, *, sleep: Sleep = asyncio.sleep) -> DigestScheduler:
        """The scheduler that posts due digests through `sender`; subscriptions wake it."""
        scheduler = DigestScheduler(
            self.store,
            self.briefings,
            sender,
            now=self.now,
            sleep=sleep,
            pacer=SharedSendPacer(self.store.send_slots, sleep=sleep),
            lease=self.lease,
        )
        self._schedulers.add(scheduler)
        return scheduler

    def timezones(self, typed: str) -> list[str]:
        """Timezone names for autocomplete."""
        return matching_timezones(typed)

    async def subscribe(
        self, guild_id: int, channel_id: int, request: DigestRequest, *, created_by: int | None
    ) -> DigestSubscription:
        """Subscribe a channel (or change its digest); the schedulers look again at once."""
        now = self.now()
        subscription = await self.store.digests.subscribe(
            guild_id,
            channel_id,
            local_time=request.local_time,
            timezone=request.timezone,
            topic=request.topic,
            country=request.country,
            quiet=request.quiet,
            created_by=created_by,
            next_due_at=first_due(request.local_time, request.timezone, now),
            now=now,
            channel_kind=request.channel_kind,
        )
        for scheduler in self._schedulers:
            scheduler.wake()
        return subscription

    async def unsubscribe(self, guild_id: int, channel_id: int) -> bool:
        return await self.store.digests.unsubscribe(guild_id, channel_id)

    async def subscriptions(self, guild_id: int) -> list[DigestSubscription]:
        return await self.store.digests.subscriptions(guild_id)

    async def preview(self, guild_id: int, channel_id: int) -> DigestPreview:
        """The channel's digest as it would be now (a default one if it has none)."""
        now = self.now()
        subscription = await self.store.digests.subscription(guild_id, channel_id)
        subscribed = subscription is not None
        if subscription is None:
            subscription = DigestSubscription(
                id=0,
                guild_id=guild_id,
                channel_id=channel_id,
                local_time=DEFAULT_TIME,
                timezone=DEFAULT_TIMEZONE,
                topic=None,
                country=None,
                quiet=False,
                created_by=None,
                created_at=now.astimezone(UTC),
                next_due_at=first_due(DEFAULT_TIME, DEFAULT_TIMEZONE, now),
                last_digest_until=None,
                last_sent_at=None,
            )
        scheduler = DigestScheduler(self.store, self.briefings, _NoSender(), now=self.now)
        return DigestPreview(await scheduler.preview(subscription, now), subscribed)


class _NoSender:
    """A preview sends nothing."""

    async def send_digest(self, digest: object) -> int:
        raise AssertionError("a preview never sends")
