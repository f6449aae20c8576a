"""The digest scheduler on a fake clock with a recording sender: once per occurrence, DST."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from spacy.language import Language

from bot.analysis import ThreadAnalyzer
from bot.domain.digests import DeliveryRefused, Digest
from bot.domain.schedule import (
    digest_nonce,
    first_due,
)
from bot.services.briefings import BriefingService
from bot.services.scheduler import MAX_IDLE_S, DigestScheduler, SharedSendPacer
from storage import SqliteStore, Store
from tests.digest_texts import BORDER_TALKS, LITHIUM_DEAL, NILE_TREATY, store_article

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
GUILD = 4242


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)  # type: ignore[misc]


# --- the scheduler on a fake clock, with a recording sender ----------------------------------


@dataclass
class RecordingSender:
    """Stands in for Discord: keeps what would be posted; refuses listed channels."""

    posted: list[Digest] = field(default_factory=list)
    refused_channels: set[int] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def send_digest(self, digest: Digest) -> int:
        if digest.subscription.channel_id in self.refused_channels:
            raise DeliveryRefused("Unknown Channel")
        self.posted.append(digest)
        self.changed.set()
        return 1000 + len(self.posted)

    async def wait_for_posts(self, count: int) -> None:
        """Until `count` digests were posted (an event per post; no sleeping)."""
        while True:
            self.changed.clear()
            if len(self.posted) >= count:
                return
            await asyncio.wait_for(self.changed.wait(), 30)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await SqliteStore.open(tmp_path / "digest.sqlite") as opened:
        yield opened


async def subscribe(
    store: Store,
    channel_id: int,
    local_time: str,
    timezone: str,
    now: datetime,
    *,
    quiet: bool = False,
    topic: str | None = None,
) -> int:
    subscription = await store.digests.subscribe(
        GUILD,
        channel_id,
        local_time=local_time,
        timezone=timezone,
        topic=topic,
        country=None,
        quiet=quiet,
        created_by=None,
        next_due_at=first_due(local_time, timezone, now),
        now=now,
    )
    return subscription.id


ANALYZER = ThreadAnalyzer(None)


def scheduler_for(store: Store, sender: Any, clock: list[datetime]) -> DigestScheduler:
    now = lambda: clock[0]  # noqa: E731
    return DigestScheduler(store, BriefingService(store, ANALYZER, now), sender, now=now)


async def run_every(
    scheduler: DigestScheduler, start: datetime, end: datetime, step: timedelta
) -> list[Any]:
    """The loop's passes, as a clock ticking from start to end would make them."""
    results = []
    moment = start
    while moment <= end:
        results += await scheduler.run_once(moment)
        moment += step
    return results


async def test_spring_forward_night_sends_once_at_three(store: Store) -> None:
    start = local(BERLIN, 2024, 3, 30, 12, 0)
    await subscribe(store, 1, "02:30", "Europe/Berlin", start)
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    results = await run_every(
        scheduler, utc(2024, 3, 30, 23, 0), utc(2024, 3, 31, 6, 0), timedelta(minutes=15)
    )
    assert [r.outcome for r in results] == ["sent"]
    [digest] = sender.posted
    assert digest.until == utc(2024, 3, 31, 1, 0)  # 03:00 CEST, the first valid time
    assert digest.local_date == date(2024, 3, 31)


async def test_fall_back_night_sends_once_not_twice(store: Store) -> None:
    start = local(NEW_YORK, 2024, 11, 2, 12, 0)
    await subscribe(store, 1, "01:30", "America/New_York", start)
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    results = await run_every(
        scheduler, utc(2024, 11, 3, 4, 0), utc(2024, 11, 3, 9, 0), timedelta(minutes=15)
    )
    assert [r.outcome for r in results] == ["sent"]
    assert sender.posted[0].until == utc(2024, 11, 3, 5, 30)


async def test_missed_by_less_than_six_hours_is_sent_once_on_start_older_is_skipped(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    start = utc(2024, 6, 2, 12, 0)
    recent = await subscribe(store, 1, "08:00", "Europe/Berlin", start)  # due 06:00 UTC
    stale = await subscribe(store, 2, "08:00", "Asia/Kolkata", start)  # due 02:30 UTC
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    back_up = utc(2024, 6, 3, 11, 45)  # the bot was down from before 02:30 until 11:45
    with caplog.at_level(logging.WARNING, logger="bot.services.scheduler"):
        results = {r.subscription_id: r for r in await scheduler.run_once(back_up)}
    assert results[recent].outcome == "sent"  # 5 h 45 min late
    assert results[stale].outcome == "skipped"  # 9 h 15 min late
    assert "missed by 9 h 15 min" in caplog.text
    assert [d.subscription.id for d in sender.posted] == [recent]
    assert await scheduler.run_once(back_up + timedelta(minutes=1)) == []
    # Both are due again on their next local morning, once.
    next_day = await run_every(
        scheduler, utc(2024, 6, 4, 0, 0), utc(2024, 6, 4, 12, 0), timedelta(minutes=30)
    )
    assert sorted(r.subscription_id for r in next_day if r.outcome == "sent") == [recent, stale]


async def test_after_days_down_only_a_recent_occurrence_is_sent(store: Store) -> None:
    start = utc(2024, 6, 1, 12, 0)
    await subscribe(store, 1, "08:00", "UTC", start)
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    results = await scheduler.run_once(utc(2024, 6, 5, 10, 0))  # down since 1 June
    assert [(r.outcome, r.local_date) for r in results] == [("sent", date(2024, 6, 5))]
    assert sender.posted[0].since == start  # a first digest covers everything since subscribing
    back_up = await scheduler.run_once(utc(2024, 6, 16, 7, 0))  # down again for ten days
    assert [(r.outcome, r.local_date) for r in back_up] == [("skipped", date(2024, 6, 15))]
    [on_time] = await scheduler.run_once(utc(2024, 6, 16, 8, 0))
    assert (on_time.outcome, on_time.local_date) == ("sent", date(2024, 6, 16))
    assert sender.posted[1].since == utc(2024, 6, 9, 8, 0)  # at most 7 days back


async def test_refused_channel_is_paused_and_the_rest_still_sent(store: Store) -> None:
    start = utc(2024, 6, 2, 12, 0)
    for channel in range(1, 6):
        await subscribe(store, channel, "08:00", "UTC", start)
    sender = RecordingSender(refused_channels={3})
    scheduler = scheduler_for(store, sender, [start])
    results = await scheduler.run_once(utc(2024, 6, 3, 8, 0))
    outcomes = {r.channel_id: r.outcome for r in results}
    assert outcomes == {1: "sent", 2: "sent", 3: "paused", 4: "sent", 5: "sent"}
    [paused] = [s for s in await store.digests.subscriptions(GUILD) if s.paused]
    assert paused.channel_id == 3 and paused.paused_reason == "Unknown Channel"
    tomorrow = await scheduler.run_once(utc(2024, 6, 4, 8, 0))
    assert sorted(r.channel_id for r in tomorrow) == [1, 2, 4, 5]  # not retried forever


async def test_a_send_begun_long_before_a_restart_is_not_repeated(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    start = utc(2024, 6, 2, 12, 0)
    sub_id = await subscribe(store, 1, "08:00", "UTC", start)
    due = utc(2024, 6, 3, 8, 0)
    # The process began sending at 08:00 and died; it is back after Discord's nonce window.
    await store.digests.begin_delivery(
        GUILD,
        sub_id,
        "2024-06-03",
        nonce=digest_nonce(sub_id, date(2024, 6, 3)),
        due_at=due,
        now=due,
    )
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    with caplog.at_level(logging.WARNING, logger="bot.services.scheduler"):
        [result] = await scheduler.run_once(due + timedelta(minutes=10))
    assert result.outcome == "skipped" and sender.posted == []
    assert "may have been posted" in caplog.text
    [tomorrow] = await scheduler.run_once(due + timedelta(days=1))
    assert tomorrow.outcome == "sent"


async def test_the_loop_sleeps_until_the_next_digest_and_wakes_for_new_subscriptions(
    store: Store,
) -> None:
    clock = [utc(2024, 6, 3, 7, 0)]
    slept: list[float] = []
    slept_before_post: list[float] = []
    parked = asyncio.Event()

    async def fake_sleep(seconds: float) -> None:
        if sender.posted and not slept_before_post:
            slept_before_post.extend(slept)
        slept.append(seconds)
        if len(sender.posted) == 1 and len(slept) > len(slept_before_post) + 1:
            parked.set()
            await asyncio.Event().wait()  # stay asleep until woken or cancelled
        clock[0] += timedelta(seconds=seconds)

    sender = RecordingSender()
    briefings = BriefingService(store, ANALYZER, lambda: clock[0])
    scheduler = DigestScheduler(store, briefings, sender, now=lambda: clock[0], sleep=fake_sleep)
    await subscribe(store, 1, "07:04", "UTC", clock[0])
    loop = asyncio.create_task(scheduler.run_forever())
    try:
        await asyncio.wait_for(parked.wait(), 30)
        # 07:00 → 07:04, looking at the schedule at least every MAX_IDLE_S on the way.
        assert sum(slept_before_post) == 240 and max(slept_before_post) <= MAX_IDLE_S
        assert [d.until for d in sender.posted] == [utc(2024, 6, 3, 7, 4)]
        # Nothing due for a day: look again soon anyway (other processes may subscribe).
        assert slept[len(slept_before_post)] == MAX_IDLE_S
        await subscribe(store, 2, "07:20", "UTC", utc(2024, 6, 3, 7, 15))
        clock[0] = utc(2024, 6, 3, 7, 20)
        scheduler.wake()
        await sender.wait_for_posts(2)
        assert [d.subscription.channel_id for d in sender.posted] == [1, 2]
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop


async def test_a_late_digest_ranks_only_what_arrived_in_its_window(
    store: Store, nlp: Language
) -> None:
    """A digest 90 minutes late covers 25.5 hours, not two whole days: the stories told before
    the previous digest are not ranked with the new one, so they cannot push it out."""
    start = utc(2024, 6, 2, 7, 0)
    await subscribe(store, 1, "08:00", "UTC", start)
    sender = RecordingSender()
    scheduler = scheduler_for(store, sender, [start])
    for minutes, (text, url) in enumerate(
        [(BORDER_TALKS, "https://a.example/border"), (LITHIUM_DEAL, "https://b.example/lithium")]
    ):
        await store_article(
            store, nlp, text, url=url, when=utc(2024, 6, 2, 6, minutes), guild_id=GUILD
        )
    [first] = await scheduler.run_once(utc(2024, 6, 2, 8, 0))
    assert first.outcome == "sent"
    await store_article(
        store,
        nlp,
        NILE_TREATY,
        url="https://c.example/nile",
        when=utc(2024, 6, 3, 7),
        guild_id=GUILD,
    )
    [late] = await scheduler.run_once(utc(2024, 6, 3, 9, 30))
    assert late.outcome == "sent"
    digest = sender.posted[-1]
    assert (digest.since, digest.until) == (utc(2024, 6, 2, 8, 0), utc(2024, 6, 3, 9, 30))
    assert digest.briefing.articles_considered == 1  # the older two were never ranked
    assert [s.title for s in digest.briefing.stories] == [
        "Egypt and Ethiopia resume talks on the Nile dam"
    ]


# --- the pacer every process shares ----------------------------------------------------------


async def test_shared_pacer_reserves_one_moment_per_request_and_waits_for_it(
    store: Store,
) -> None:
    # Two processes on one database, both at t=1000: 4 per second between them, evenly spaced.
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    def pacer() -> SharedSendPacer:
        return SharedSendPacer(
            store.send_slots, limit=4, period=1.0, clock=lambda: 1000.0, sleep=sleep
        )

    first, second = pacer(), pacer()
    for _ in range(3):
        await first.acquire()
        await second.acquire()
    # Six requests, six moments: 0, 0.25, … 1.25 s from now; none reserved and thrown away.
    assert slept == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.25])
    later = await store.send_slots.take("discord-global", at=1000.0, limit=4, period=1.0)
    assert later == pytest.approx(1.5)
