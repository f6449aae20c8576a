"""Sending each channel's daily digest once: the scheduler, paced under Discord's limits.

- `DigestScheduler.run_once(now)` sends everything due: one Store row per subscription says
  when it is next due, one row per (subscription, local date) says how far that occurrence got.
  A digest missed by at most MISSED_GRACE is sent late, once; older ones are skipped and logged.
- Exactly once across a crash: the occurrence is recorded as "sending" before Discord is asked
  and "sent" only after Discord accepted the message. The message carries a nonce derived from
  (subscription, local date) and Discord (with enforce_nonce, which discord.py always sets)
  returns the first message instead of posting a second one, so a restart that sends again is
  harmless; a "sending" occurrence older than Discord's dedupe window is not repeated.
- Discord refusing the channel (deleted, no permission) pauses the subscription with the reason.
  Sends run in a bounded worker pool behind a sliding-window pacer (Discord's global limit of
  50 requests per second); discord.py itself waits out per-route buckets and 429s.
- A digest covers exactly its window (from where the previous one stopped): the briefing
  ranks only what arrived inside it, so a new story is never pushed out by older ones.

This module holds no Discord objects: a `DigestSender` (the Discord front end's) posts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time as time_module
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from bot.domain.clock import Clock
from bot.domain.digests import (
    DONE_STATUSES,
    DeliveryRefused,
    DeliveryRejected,
    Digest,
    DigestDelivery,
    DigestResult,
    DigestSubscription,
    Outcome,
)
from bot.domain.limits import DIGEST_SENTENCES, DIGEST_STORIES
from bot.domain.schedule import (
    digest_nonce,
    latest_occurrence,
    next_occurrence,
    occurrence_date,
    parse_local_time,
    parse_timezone,
)
from bot.domain.stories import Briefing, BriefingQuery
from bot.domain.window import Window, require_aware
from bot.services.briefings import BriefingService
from storage.protocols import SendSlotRepository, Store

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]

MISSED_GRACE = timedelta(hours=6)  # a digest later than this is skipped, not sent
# Discord dedupes a nonce "in the past few minutes"; past this a "sending" occurrence might have
# been posted already, and sending it again could post it twice, so it is skipped instead.
NONCE_DEDUPE_WINDOW = timedelta(minutes=2)

MAX_CONCURRENT_SENDS = 50
GLOBAL_REQUESTS_PER_SECOND = 50  # Discord's global limit per bot
PACER_MARGIN_S = 0.05  # spare time per window: requests do not arrive exactly when sent
RETRY_DELAY_S = 30.0  # an occurrence whose send failed for an unclear reason is retried this soon
# The loop looks at the schedule at least this often: another process's new subscription is
# seen within this, and the wall clock may jump.
MAX_IDLE_S = 20.0
# A claimed digest is this process's for this long; if the process dies, another takes it
# after the lease, still inside Discord's nonce window, so a half-sent digest is not doubled.
LEASE = timedelta(seconds=60)


class DigestSender(Protocol):
    """Posts a digest in its channel and returns the message id (the Discord front end's).

    Raises DeliveryRefused or DeliveryRejected when Discord said no; any other exception means
    the outcome is unknown (the message may have been posted), and the same nonce is reused.
    """

    async def send_digest(self, digest: Digest) -> int:
        """Post the digest with `digest.nonce`; the id of the message Discord accepted."""
        ...


async def digest_briefing(
    briefings: BriefingService, subscription: DigestSubscription, window: Window
) -> Briefing:
    """The stories of what arrived in the digest's window, with the subscription's filters."""
    return await briefings.brief(
        subscription.guild_id,
        BriefingQuery(
            window=window,
            topic=subscription.topic,
            country=subscription.country,
            stories=DIGEST_STORIES,
            sentences=DIGEST_SENTENCES,
        ),
    )


class Pacer(Protocol):
    """Waits until one more request fits in Discord's global limit, and counts it."""

    async def acquire(self) -> None: ...


class SharedSendPacer:
    """The global limit shared by every process on the database (Discord counts per bot).

    Each request reserves the next free moment on the Store's clock (`store.send_slots`):
    requests of every process are spaced evenly, `limit` per `period`, so no burst of several
    processes can exceed the limit; the wall clock is shared by the processes.
    """

    def __init__(
        self,
        slots: SendSlotRepository,
        *,
        limit: int = GLOBAL_REQUESTS_PER_SECOND,
        period: float = 1.0 + PACER_MARGIN_S,
        key: str = "discord-global",
        clock: Callable[[], float] = time_module.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._slots = slots
        self.limit = limit
        self.period = period
        self.key = key
        self._clock = clock
        self._sleep = sleep

    async def acquire(self) -> None:
        """Reserve one moment and wait for it: the slot is ours, asking again would take two."""
        wait = await self._slots.take(
            self.key, at=self._clock(), limit=self.limit, period=self.period
        )
        if wait > 0:
            await self._sleep(wait)


class SendPacer:
    """At most `limit` sends start in any `period` seconds (Discord's global limit), waiting
    with the injected sleep; sends beyond it queue in arrival order."""

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        monotonic: Monotonic = time_module.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.period = period
        self._monotonic = monotonic
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more send fits in the window, and count it."""
        async with self._lock:
            while True:
                now = self._monotonic()
                while self._starts and now - self._starts[0] >= self.period:
                    self._starts.popleft()
                if len(self._starts) < self.limit:
                    self._starts.append(now)
                    return
                await self._sleep(self.period - (now - self._starts[0]))


BriefingKey = tuple[int, str | None, str | None, Window]


class DigestScheduler:
    """Sends due digests: `run_once(now)` for one pass (tests call it), `run_forever()` loops."""

    def __init__(
        self,
        store: Store,
        briefings: BriefingService,
        sender: DigestSender,
        *,
        now: Clock,
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time_module.monotonic,
        max_concurrency: int = MAX_CONCURRENT_SENDS,
        requests_per_second: int = GLOBAL_REQUESTS_PER_SECOND,
        pacer_margin_s: float = PACER_MARGIN_S,
        missed_grace: timedelta = MISSED_GRACE,
        nonce_window: timedelta = NONCE_DEDUPE_WINDOW,
        pacer: Pacer | None = None,
        owner: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.store = store
        self.briefings = briefings
        self.sender = sender
        self._now = now
        self._sleep = sleep
        self.max_concurrency = max_concurrency
        self.missed_grace = missed_grace
        self.nonce_window = nonce_window
        self.pacer: Pacer = pacer or SendPacer(
            requests_per_second, 1.0 + pacer_margin_s, monotonic=monotonic, sleep=sleep
        )
        # Who holds a claim: unique per scheduler, readable in the database when debugging.
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = lease
        self.claim_batch = max(1, max_concurrency)
        self._run_lock = asyncio.Lock()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the schedule now (a subscription was added or changed)."""
        self._wake.set()

    # --- one pass ---------------------------------------------------------------------------

    async def run_once(self, now: datetime) -> list[DigestResult]:
        """Send every digest due at `now`, several at a time; one failing channel stops nothing."""
        require_aware(now)
        now = now.astimezone(UTC)  # arithmetic on a zone's wall clock would skip DST hours
        async with self._run_lock:
            briefings: dict[BriefingKey, asyncio.Task[Briefing]] = {}
            results: list[tuple[int, DigestResult]] = []
            claimed: deque[tuple[int, DigestSubscription]] = deque()
            claiming = asyncio.Lock()
            exhausted = False
            order = 0

            async def next_claim() -> tuple[int, DigestSubscription] | None:
                # Claimed a batch at a time, as the workers need them: every process on the
                # database takes its share, and a claim's lease is never held long unused.
                nonlocal exhausted, order
                async with claiming:
                    if not claimed and not exhausted:
                        batch = await self.store.digests.claim_due(
                            now, owner=self.owner, lease=self.lease, limit=self.claim_batch
                        )
                        exhausted = not batch
                        for subscription in batch:
                            claimed.append((order, subscription))
                            order += 1
                    return claimed.popleft() if claimed else None

            async def worker() -> None:
                while (claim := await next_claim()) is not None:
                    index, subscription = claim
                    result = await self._deliver_safely(subscription, now, briefings)
                    results.append((index, result))
                    retry_at = now + timedelta(seconds=RETRY_DELAY_S)
                    await self.store.digests.release(
                        subscription.id,
                        owner=self.owner,
                        not_before=retry_at if result.outcome == "retry" else None,
                    )

            await asyncio.gather(*(worker() for _ in range(self.max_concurrency)))
            done = [result for _, result in sorted(results, key=lambda item: item[0])]
            if done:
                log.info(
                    "digests due at %s: %s",
                    now.isoformat(timespec="seconds"),
                    _outcome_counts(done),
                )
            return done

    async def _deliver_safely(
        self,
        subscription: DigestSubscription,
        now: datetime,
        briefings: dict[BriefingKey, asyncio.Task[Briefing]],
    ) -> DigestResult:
        try:
            return await self._deliver(subscription, now, briefings)
        except Exception as error:
            log.exception(
                "digest %d for channel %d in guild %d failed; retrying later",
                subscription.id,
                subscription.channel_id,
                subscription.guild_id,
            )
            return _result(subscription, "retry", detail=repr(error))

    async def _deliver(
        self,
        subscription: DigestSubscription,
        now: datetime,
        briefings: dict[BriefingKey, asyncio.Task[Briefing]],
    ) -> DigestResult:
        store, guild_id, sub_id = self.store, subscription.guild_id, subscription.id
        tz = parse_timezone(subscription.timezone)
        local_time = parse_local_time(subscription.local_time)
        due_at = subscription.next_due_at
        latest = latest_occurrence(local_time, tz, now)
        if latest > due_at:
            log.warning(
                "digest %d: skipped occurrences from %s to before %s (the bot was down)",
                sub_id,
                due_at.isoformat(timespec="minutes"),
                latest.isoformat(timespec="minutes"),
            )
            due_at = latest
        local_date = occurrence_date(due_at, tz)
        nonce = digest_nonce(sub_id, local_date)
        next_due = next_occurrence(local_time, tz, max(now, due_at))

        async def skip(reason: str) -> DigestResult:
            await store.digests.skip(
                guild_id,
                sub_id,
                local_date.isoformat(),
                nonce=nonce,
                due_at=due_at,
                reason=reason,
                next_due_at=next_due,
                now=now,
            )
            log.warning("skipped digest %d for %s: %s", sub_id, local_date, reason)
            return _result(subscription, "skipped", local_date, detail=reason)

        late = now - due_at
        if late >= self.missed_grace:
            return await skip(
                f"missed by {_duration(late)} (more than {_duration(self.missed_grace)})"
            )
        earlier = await store.digests.delivery(guild_id, sub_id, local_date.isoformat())
        if earlier is not None and earlier.status in DONE_STATUSES:
            await store.digests.reschedule(guild_id, sub_id, next_due_at=next_due)
            return _result(subscription, "done", local_date, earlier.message_id, earlier.status)
        if earlier is not None and self._may_have_been_posted(earlier, now):
            return await skip("may have been posted before a restart; not repeated")

        window = subscription.window(now)
        briefing = await self._briefing(subscription, window, briefings)
        digest = Digest(subscription, briefing, local_date, nonce)

        if not digest.has_news and subscription.quiet:
            await store.digests.begin_delivery(
                guild_id, sub_id, local_date.isoformat(), nonce=nonce, due_at=due_at, now=now
            )
            await store.digests.mark_sent(
                guild_id,
                sub_id,
                local_date.isoformat(),
                message_id=None,
                covered_until=window.until,
                next_due_at=next_due,
                now=now,
            )
            return _result(subscription, "quiet", local_date)

        delivery = await store.digests.begin_delivery(
            guild_id, sub_id, local_date.isoformat(), nonce=nonce, due_at=due_at, now=now
        )
        if delivery is None:
            return _result(subscription, "gone", local_date, detail="unsubscribed meanwhile")
        if delivery.status in DONE_STATUSES:
            return _result(subscription, "done", local_date, delivery.message_id, delivery.status)
        # Paced right before the request: waiting on the Store after taking a slot would let
        # requests of one window drift into the next.
        await self.pacer.acquire()
        try:
            message_id = await self.sender.send_digest(digest)
        except DeliveryRefused as refused:
            await store.digests.pause(
                guild_id, sub_id, local_date.isoformat(), reason=refused.reason, now=now
            )
            log.warning(
                "paused digest %d (channel %d, guild %d): %s",
                sub_id,
                subscription.channel_id,
                guild_id,
                refused.reason,
            )
            return _result(subscription, "paused", local_date, detail=refused.reason)
        except DeliveryRejected as rejected:
            return await skip(f"Discord rejected the message: {rejected}")
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning(
                "digest %d for %s: outcome unknown (%r); retrying with the same nonce",
                sub_id,
                local_date,
                error,
            )
            return _result(subscription, "retry", local_date, detail=repr(error))
        await store.digests.mark_sent(
            guild_id,
            sub_id,
            local_date.isoformat(),
            message_id=message_id,
            covered_until=window.until,
            next_due_at=next_due,
            now=now,
        )
        return _result(subscription, "sent", local_date, message_id)

    def _may_have_been_posted(self, delivery: DigestDelivery, now: datetime) -> bool:
        """A send began so long ago that Discord no longer dedupes its nonce."""
        return delivery.status == "sending" and now - delivery.started_at > self.nonce_window

    async def _briefing(
        self,
        subscription: DigestSubscription,
        window: Window,
        briefings: dict[BriefingKey, asyncio.Task[Briefing]],
    ) -> Briefing:
        """One briefing per guild, filter and window in a pass, shared by the channels asking."""
        key = (subscription.guild_id, subscription.topic, subscription.country, window)
        task = briefings.get(key)
        if task is None:
            task = asyncio.ensure_future(digest_briefing(self.briefings, subscription, window))
            briefings[key] = task
        return await asyncio.shield(task)

    async def preview(self, subscription: DigestSubscription, now: datetime) -> Digest:
        """The digest the subscription would get now, without sending or recording anything."""
        tz = parse_timezone(subscription.timezone)
        briefing = await digest_briefing(self.briefings, subscription, subscription.window(now))
        local_date = occurrence_date(now, tz)
        return Digest(subscription, briefing, local_date, digest_nonce(subscription.id, local_date))

    # --- the loop ---------------------------------------------------------------------------

    async def run_forever(self) -> None:
        """Send due digests until cancelled; a failing pass is logged and tried again."""
        while True:
            self._wake.clear()
            delay = RETRY_DELAY_S
            try:
                await self.run_once(self._now())
                delay = await self._idle_seconds()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("digest pass failed; trying again in %.0f s", delay)
            await self._wait(delay)

    async def _idle_seconds(self) -> float:
        """Until the next digest is due; sooner when a send is to be retried."""
        next_due = await self.store.digests.next_due()
        if next_due is None:
            return MAX_IDLE_S
        delay = (next_due - self._now()).total_seconds()
        if delay <= 0:  # still due: its send is to be retried
            delay = RETRY_DELAY_S
        return max(0.0, min(delay, MAX_IDLE_S))

    async def _wait(self, seconds: float) -> None:
        """Sleep (the injected sleep), or less if woken."""
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
            await asyncio.gather(sleeper, waker, return_exceptions=True)


def _result(
    subscription: DigestSubscription,
    outcome: Outcome,
    local_date: date | None = None,
    message_id: int | None = None,
    detail: str | None = None,
) -> DigestResult:
    return DigestResult(
        subscription_id=subscription.id,
        guild_id=subscription.guild_id,
        channel_id=subscription.channel_id,
        outcome=outcome,
        local_date=local_date,
        message_id=message_id,
        detail=detail,
    )


def _outcome_counts(results: list[DigestResult]) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
