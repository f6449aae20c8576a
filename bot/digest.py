"""Daily digests: when each channel's digest is due on its own clock, and sending each one once.

- `next_occurrence(local_time, tz, after)` is the pure heart: the first instant after `after`
  at which the channel's clock shows `local_time`. On a spring-forward day a time inside the
  gap (02:30) falls on the first valid instant after it (03:00); on a fall-back day a repeated
  time (01:30) counts once, at its first occurrence.
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

This module holds no Discord objects: a `DigestSender` (the cog's) turns a Digest into a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import re
import time as time_module
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.briefing import MAX_STORIES, Briefing, build_briefing, resolve_country
from bot.errors import UserFacingError
from storage.records import DigestDelivery, DigestSubscription
from storage.store import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]

DEFAULT_TIME = "08:00"
DEFAULT_TIMEZONE = "UTC"
MAX_TOPIC_CHARS = 100

MISSED_GRACE = timedelta(hours=6)  # a digest later than this is skipped, not sent
MAX_WINDOW = timedelta(days=7)  # a digest never covers more than this
FIRST_WINDOW = timedelta(days=1)  # a first digest covers at least the last day
# Discord dedupes a nonce "in the past few minutes"; past this a "sending" occurrence might have
# been posted already, and sending it again could post it twice, so it is skipped instead.
NONCE_DEDUPE_WINDOW = timedelta(minutes=2)
NONCE_LIMIT = 25  # Discord's maximum nonce length

DIGEST_STORIES = 5
DIGEST_SENTENCES = 2

MAX_CONCURRENT_SENDS = 50
GLOBAL_REQUESTS_PER_SECOND = 50  # Discord's global limit per bot
PACER_MARGIN_S = 0.05  # spare time per window: requests do not arrive exactly when sent
RETRY_DELAY_S = 30.0  # an occurrence whose send failed for an unclear reason is retried this soon
MAX_IDLE_S = 300.0  # the loop looks again at least this often (the wall clock may jump)

DONE_STATUSES = frozenset({"sent", "quiet", "skipped"})

# What one subscription's turn did: sent; quiet (nothing posted, as asked); skipped (too late,
# or possibly posted before a restart); paused (Discord refused the channel); retry (outcome
# unknown, tried again with the same nonce); done (this occurrence was finished before); gone
# (unsubscribed meanwhile).
Outcome = Literal["sent", "quiet", "skipped", "paused", "retry", "done", "gone"]

_LOCAL_TIME = re.compile(r"^\s*([01]?\d|2[0-3])[:.h]([0-5]\d)\s*$")


class InvalidScheduleError(UserFacingError):
    """A time or timezone the user typed cannot be read."""


# --- parsing user input -------------------------------------------------------------------


def parse_local_time(text: str) -> time:
    """ "08:00", "8:00" or "20.30" as a time of day, or InvalidScheduleError."""
    match = _LOCAL_TIME.match(text or "")
    if match is None:
        raise InvalidScheduleError(
            f"{text!r} is not a time of day: use 24-hour HH:MM, for example 08:00 or 18:30."
        )
    return time(int(match.group(1)), int(match.group(2)))


def format_local_time(moment: time) -> str:
    """A time of day as stored and shown: HH:MM."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


@cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA timezone this system knows, sorted."""
    return tuple(sorted(available_timezones()))


@cache
def _timezones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in timezone_names()}


def parse_timezone(name: str) -> ZoneInfo:
    """An IANA timezone by name, any case ("europe/berlin"), or InvalidScheduleError."""
    wanted = (name or "").strip().replace(" ", "_")
    canonical = _timezones_by_folded_name().get(wanted.casefold())
    if canonical is None:
        raise InvalidScheduleError(
            f"{name!r} is not a timezone I know: use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC."
        )
    try:
        return ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidScheduleError(f"The timezone {name!r} cannot be loaded.") from error


def matching_timezones(typed: str, limit: int = 25) -> list[str]:
    """Timezones for autocomplete: names starting with the text first, then containing it."""
    key = typed.strip().replace(" ", "_").casefold()
    names = timezone_names()
    if not key:
        popular = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
        return [*popular, *(n for n in names if n not in popular)][:limit]
    starts = [n for n in names if n.casefold().startswith(key)]
    city_starts = [
        n for n in names if n not in starts and n.casefold().split("/")[-1].startswith(key)
    ]
    contains = [n for n in names if key in n.casefold() and n not in starts + city_starts]
    return (starts + city_starts + contains)[:limit]


# --- occurrences (pure) -------------------------------------------------------------------


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware time")


def _wall_time(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def occurrence_on(day: date, local_time: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `local_time` on `day` in `tz`; inside a DST gap, the gap's end;
    when the time happens twice (fall back), the first time."""
    wall = datetime.combine(day, local_time)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall_time(first, tz) == wall:
        return first  # exists (fold=0 is the earlier of two when it is repeated)
    # In a gap: fold=1 reads the wall time with the offset after the transition, which puts
    # it before the transition; fold=0 puts it after. The transition lies between the two.
    low = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = first
    if low > high:
        low, high = high, low
    # The earliest instant whose wall time is at or past the wanted one (to the second).
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _wall_time(middle, tz) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0) if high.microsecond else high


def next_occurrence(local_time: time, tz: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after `after` at which the digest is due (aware, UTC)."""
    _require_aware(after)
    start = after.astimezone(tz).date() - timedelta(days=1)
    for offset in range(4):
        candidate = occurrence_on(start + timedelta(days=offset), local_time, tz)
        if candidate > after:
            return candidate
    raise AssertionError(f"no occurrence of {local_time} in {tz} within days of {after}")


def latest_occurrence(local_time: time, tz: ZoneInfo, at_or_before: datetime) -> datetime:
    """The last instant at or before `at_or_before` at which the digest was due (aware, UTC)."""
    _require_aware(at_or_before)
    start = at_or_before.astimezone(tz).date() + timedelta(days=1)
    for offset in range(4):
        candidate = occurrence_on(start - timedelta(days=offset), local_time, tz)
        if candidate <= at_or_before:
            return candidate
    raise AssertionError(f"no occurrence of {local_time} in {tz} within days of {at_or_before}")


def occurrence_date(occurrence: datetime, tz: ZoneInfo) -> date:
    """The local date an occurrence belongs to: the key that makes it happen once."""
    return occurrence.astimezone(tz).date()


def digest_nonce(subscription_id: int, local_date: date) -> str:
    """The Discord nonce for one occurrence: the same on every attempt, at most 25 characters."""
    nonce = f"dg{subscription_id}-{local_date:%Y%m%d}"
    if len(nonce) > NONCE_LIMIT:
        raise ValueError(f"subscription id {subscription_id} too large for a Discord nonce")
    return nonce


def first_due(local_time: str, timezone: str, now: datetime) -> datetime:
    """When a new or changed subscription is first due."""
    return next_occurrence(parse_local_time(local_time), parse_timezone(timezone), now)


# --- the digest ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestRequest:
    """A checked /digest subscribe: what to store."""

    local_time: str
    timezone: str
    topic: str | None
    country: str | None
    quiet: bool


def check_subscription(
    local_time: str | None,
    timezone: str | None,
    topic: str | None,
    country: str | None,
    quiet: bool = False,
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
    )


@dataclass(frozen=True)
class Digest:
    """One occurrence's briefing, ready to post: what arrived in [since, until)."""

    subscription: DigestSubscription
    briefing: Briefing
    local_date: date
    nonce: str
    since: datetime
    until: datetime

    @property
    def has_news(self) -> bool:
        """False on a quiet day: nothing new arrived in the window."""
        return bool(self.briefing.stories)


def digest_window(subscription: DigestSubscription, until: datetime) -> tuple[datetime, datetime]:
    """[since, until): from where the previous digest stopped (the first: from subscribing, and
    at least the last day), never more than MAX_WINDOW back."""
    since = subscription.last_digest_until
    if since is None:
        since = min(subscription.created_at, until - FIRST_WINDOW)
    return max(since, until - MAX_WINDOW), until


async def digest_briefing(
    store: Store,
    guild_id: int,
    *,
    since: datetime,
    until: datetime,
    topic: str | None,
    country: str | None,
) -> Briefing:
    """The stories with reports added in [since, until): a briefing over whole days, narrowed.

    A story that had older reports and a new one counts as news again; its summary may draw
    on the older reports too.
    """
    days = max(1, math.ceil((until - since) / timedelta(days=1)))
    briefing = await build_briefing(
        store,
        guild_id,
        now=until,
        days=days,
        topic=topic,
        country=country,
        max_stories=MAX_STORIES,
        sentences_per_story=DIGEST_SENTENCES,
    )
    fresh = tuple(story for story in briefing.stories if story.last_seen >= since)
    return dataclasses.replace(briefing, since=since, stories=fresh[:DIGEST_STORIES])


# --- sending ------------------------------------------------------------------------------


class DeliveryRefused(Exception):
    """Discord refused the channel itself (deleted, no access): pause the subscription."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeliveryRejected(Exception):
    """Discord answered that this message was not posted (e.g. 400): skip this occurrence."""


class DigestSender(Protocol):
    """Posts a digest in its channel and returns the message id (the cog's Discord sender).

    Raises DeliveryRefused or DeliveryRejected when Discord said no; any other exception means
    the outcome is unknown (the message may have been posted), and the same nonce is reused.
    """

    async def send_digest(self, digest: Digest) -> int:
        """Post the digest with `digest.nonce`; the id of the message Discord accepted."""
        ...


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


class BackgroundTasks:
    """Fire-and-forget tasks with a kept reference and their exceptions logged."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Start a task; it is referenced until it ends, and a crash is logged with its name."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("background task %s crashed", task.get_name(), exc_info=error)

    async def cancel_all(self) -> None:
        """Cancel every task and wait for them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


BriefingKey = tuple[int, str | None, str | None, datetime, datetime]


class DigestScheduler:
    """Sends due digests: `run_once(now)` for one pass (tests call it), `run_forever()` loops."""

    def __init__(
        self,
        store: Store,
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
    ) -> None:
        self.store = store
        self.sender = sender
        self._now = now
        self._sleep = sleep
        self.max_concurrency = max_concurrency
        self.missed_grace = missed_grace
        self.nonce_window = nonce_window
        self.pacer = SendPacer(
            requests_per_second, 1.0 + pacer_margin_s, monotonic=monotonic, sleep=sleep
        )
        self._run_lock = asyncio.Lock()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the schedule now (a subscription was added or changed)."""
        self._wake.set()

    # --- one pass ---------------------------------------------------------------------------

    async def run_once(self, now: datetime) -> list[DigestResult]:
        """Send every digest due at `now`, several at a time; one failing channel stops nothing."""
        _require_aware(now)
        now = now.astimezone(UTC)  # arithmetic on a zone's wall clock would skip DST hours
        async with self._run_lock:
            due = await self.store.due_digest_subscriptions(now)
            if not due:
                return []
            briefings: dict[BriefingKey, asyncio.Task[Briefing]] = {}
            results: list[DigestResult | None] = [None] * len(due)
            turns: Iterator[tuple[int, DigestSubscription]] = iter(enumerate(due))

            async def worker() -> None:
                for index, subscription in turns:
                    results[index] = await self._deliver_safely(subscription, now, briefings)

            await asyncio.gather(*(worker() for _ in range(min(self.max_concurrency, len(due)))))
            done = [result for result in results if result is not None]
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
            await store.skip_digest(
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
        earlier = await store.digest_delivery(guild_id, sub_id, local_date.isoformat())
        if earlier is not None and earlier.status in DONE_STATUSES:
            await store.reschedule_digest(guild_id, sub_id, next_due_at=next_due)
            return _result(subscription, "done", local_date, earlier.message_id, earlier.status)
        if earlier is not None and self._may_have_been_posted(earlier, now):
            return await skip("may have been posted before a restart; not repeated")

        since, until = digest_window(subscription, now)
        briefing = await self._briefing(subscription, since, until, briefings)
        digest = Digest(subscription, briefing, local_date, nonce, since, until)

        if not digest.has_news and subscription.quiet:
            await store.begin_digest_delivery(
                guild_id, sub_id, local_date.isoformat(), nonce=nonce, due_at=due_at, now=now
            )
            await store.mark_digest_sent(
                guild_id,
                sub_id,
                local_date.isoformat(),
                message_id=None,
                covered_until=until,
                next_due_at=next_due,
                now=now,
            )
            return _result(subscription, "quiet", local_date)

        delivery = await store.begin_digest_delivery(
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
            await store.pause_digest(
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
        await store.mark_digest_sent(
            guild_id,
            sub_id,
            local_date.isoformat(),
            message_id=message_id,
            covered_until=until,
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
        since: datetime,
        until: datetime,
        briefings: dict[BriefingKey, asyncio.Task[Briefing]],
    ) -> Briefing:
        """One briefing per guild, filter and window in a pass, shared by the channels asking."""
        key = (subscription.guild_id, subscription.topic, subscription.country, since, until)
        task = briefings.get(key)
        if task is None:
            task = asyncio.ensure_future(
                digest_briefing(
                    self.store,
                    subscription.guild_id,
                    since=since,
                    until=until,
                    topic=subscription.topic,
                    country=subscription.country,
                )
            )
            briefings[key] = task
        return await asyncio.shield(task)

    async def preview(self, subscription: DigestSubscription, now: datetime) -> Digest:
        """The digest the subscription would get now, without sending or recording anything."""
        tz = parse_timezone(subscription.timezone)
        since, until = digest_window(subscription, now)
        briefing = await digest_briefing(
            self.store,
            subscription.guild_id,
            since=since,
            until=until,
            topic=subscription.topic,
            country=subscription.country,
        )
        local_date = occurrence_date(now, tz)
        return Digest(
            subscription,
            briefing,
            local_date,
            digest_nonce(subscription.id, local_date),
            since,
            until,
        )

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
        next_due = await self.store.next_digest_due()
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
