"""Claims with leases and shared send slots: what lets several processes share one database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from storage import Store

GUILD = 51
NOW = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


async def subscribe_channels(store: Store, count: int) -> list[int]:
    ids = []
    for channel in range(1, count + 1):
        subscription = await store.digests.subscribe(
            GUILD,
            channel,
            local_time="08:00",
            timezone="UTC",
            topic=None,
            country=None,
            quiet=False,
            created_by=None,
            next_due_at=NOW - timedelta(minutes=channel),
            now=NOW - timedelta(days=1),
        )
        ids.append(subscription.id)
    return ids


async def test_a_claimed_digest_is_nobody_elses_until_released_or_expired(store: Store) -> None:
    ids = await subscribe_channels(store, 3)
    first = await store.digests.claim_due(NOW, owner="a", lease=LEASE, limit=2)
    assert [s.id for s in first] == [ids[2], ids[1]]  # the longest overdue first
    second = await store.digests.claim_due(NOW, owner="b", lease=LEASE, limit=10)
    assert [s.id for s in second] == [ids[0]]
    assert await store.digests.claim_due(NOW, owner="c", lease=LEASE, limit=10) == []
    await store.digests.release(ids[2], owner="a")
    await store.digests.release(ids[1], owner="someone else")  # not theirs: changes nothing
    assert [s.id for s in await store.digests.claim_due(NOW, owner="c", lease=LEASE, limit=10)] == [
        ids[2]
    ]
    # A's process died holding ids[1]: after the lease, another process takes it.
    later = NOW + LEASE
    assert [
        s.id for s in await store.digests.claim_due(later, owner="d", lease=LEASE, limit=10)
    ] == [
        ids[2],
        ids[1],
        ids[0],
    ]


async def test_a_retry_is_not_claimed_before_its_time(store: Store) -> None:
    [sub_id] = await subscribe_channels(store, 1)
    [claimed] = await store.digests.claim_due(NOW, owner="a", lease=LEASE, limit=1)
    await store.digests.release(claimed.id, owner="a", not_before=NOW + timedelta(seconds=30))
    assert (
        await store.digests.claim_due(NOW + timedelta(seconds=29), owner="b", lease=LEASE, limit=1)
        == []
    )
    [again] = await store.digests.claim_due(
        NOW + timedelta(seconds=30), owner="b", lease=LEASE, limit=1
    )
    assert again.id == sub_id


async def test_claimers_at_once_share_the_due_digests_without_overlap(store: Store) -> None:
    ids = await subscribe_channels(store, 40)
    claims = await asyncio.gather(
        *(store.digests.claim_due(NOW, owner=f"p{i}", lease=LEASE, limit=15) for i in range(4))
    )
    claimed = [s.id for claim in claims for s in claim]
    assert sorted(claimed) == sorted(ids)  # every digest once, none twice


async def test_send_slots_space_every_takers_requests_evenly(store: Store) -> None:
    # 5 per second: a moment every 0.2 s, whoever asks.
    waits = [
        await store.send_slots.take("discord", at=100.0, limit=5, period=1.0) for _ in range(4)
    ]
    assert waits == pytest.approx([0.0, 0.2, 0.4, 0.6])
    # Another process asks a little later: it gets the next free moment, not one of those.
    assert await store.send_slots.take("discord", at=100.1, limit=5, period=1.0) == pytest.approx(
        0.7
    )
    assert await store.send_slots.take("other key", at=100.1, limit=5, period=1.0) == 0.0
    # After a quiet while the clock starts from now again.
    assert await store.send_slots.take("discord", at=200.0, limit=5, period=1.0) == 0.0
