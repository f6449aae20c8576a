"""Digest subscriptions in the Store: per-guild rows, due times, and one delivery per occurrence."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storage import Store

GUILD_A = 101
GUILD_B = 202
NOW = datetime(2024, 6, 3, 6, 0, tzinfo=UTC)
DUE = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


async def subscribe(store: Store, guild_id: int, channel_id: int, **changes: Any) -> Any:
    options: dict[str, Any] = {
        "local_time": "08:00",
        "timezone": "UTC",
        "topic": None,
        "country": None,
        "quiet": False,
        "created_by": 7,
        "next_due_at": DUE,
        "now": NOW,
    }
    options.update(changes)
    return await store.digests.subscribe(guild_id, channel_id, **options)


async def test_migration_creates_subscription_and_delivery_tables(
    sqlite_store: Store, db_path: Path
) -> None:
    with sqlite3.connect(db_path) as conn:
        subscription_columns = {
            row[1] for row in conn.execute("PRAGMA table_info(digest_subscriptions)")
        }
        delivery_columns = {row[1] for row in conn.execute("PRAGMA table_info(digest_deliveries)")}
    assert {
        "guild_id",
        "channel_id",
        "local_time",
        "timezone",
        "next_due_at",
    } <= subscription_columns
    assert {"paused_reason", "last_digest_until", "quiet"} <= subscription_columns
    assert {"subscription_id", "local_date", "status", "nonce", "message_id"} <= delivery_columns


async def test_subscribe_then_change_keeps_the_subscription_and_its_window(store: Store) -> None:
    first = await subscribe(store, GUILD_A, 11, topic="sanctions")
    assert (first.local_time, first.timezone, first.topic, first.quiet) == (
        "08:00",
        "UTC",
        "sanctions",
        False,
    )
    assert first.next_due_at == DUE and first.last_digest_until is None and not first.paused
    await store.digests.begin_delivery(
        GUILD_A, first.id, "2024-06-03", nonce="dg1-20240603", due_at=DUE, now=DUE
    )
    await store.digests.mark_sent(
        GUILD_A,
        first.id,
        "2024-06-03",
        message_id=555,
        covered_until=DUE,
        next_due_at=DUE + timedelta(days=1),
        now=DUE,
    )
    changed = await subscribe(
        store, GUILD_A, 11, local_time="18:30", timezone="Europe/Berlin", quiet=True
    )
    assert changed.id == first.id
    assert (changed.local_time, changed.timezone, changed.topic, changed.quiet) == (
        "18:30",
        "Europe/Berlin",
        None,
        True,
    )
    assert changed.last_digest_until == DUE  # the next digest still starts where the last ended
    assert changed.last_sent_at == DUE


async def test_guilds_see_and_change_only_their_own_subscriptions(store: Store) -> None:
    mine = await subscribe(store, GUILD_A, 11)
    await subscribe(store, GUILD_B, 22)
    assert [s.channel_id for s in await store.digests.subscriptions(GUILD_A)] == [11]
    assert await store.digests.subscription(GUILD_B, 11) is None
    assert not await store.digests.unsubscribe(GUILD_B, 11)
    assert not await store.digests.pause(GUILD_B, mine.id, "2024-06-03", reason="x", now=NOW)
    assert (
        await store.digests.begin_delivery(
            GUILD_B, mine.id, "2024-06-03", nonce="n", due_at=DUE, now=NOW
        )
        is None
    )
    assert await store.digests.subscription(GUILD_A, 11) == mine


async def test_due_subscriptions_are_those_past_due_and_not_paused(store: Store) -> None:
    early = await subscribe(store, GUILD_A, 11, next_due_at=DUE - timedelta(hours=1))
    on_time = await subscribe(store, GUILD_B, 22, next_due_at=DUE)
    await subscribe(store, GUILD_A, 12, next_due_at=DUE + timedelta(minutes=1))
    paused = await subscribe(store, GUILD_A, 13, next_due_at=DUE - timedelta(hours=2))
    await store.digests.pause(GUILD_A, paused.id, "2024-06-03", reason="Unknown Channel", now=NOW)
    due = await store.digests.due(DUE)
    assert [s.id for s in due] == [early.id, on_time.id]
    assert await store.digests.next_due() == DUE - timedelta(hours=1)
    listed = {s.channel_id: s for s in await store.digests.subscriptions(GUILD_A)}
    assert listed[13].paused_reason == "Unknown Channel" and listed[13].paused_at == NOW


async def test_an_occurrence_is_begun_once_and_a_sent_one_is_never_begun_again(
    store: Store,
) -> None:
    sub = await subscribe(store, GUILD_A, 11)
    begun = await store.digests.begin_delivery(
        GUILD_A, sub.id, "2024-06-03", nonce="dg1-20240603", due_at=DUE, now=DUE
    )
    assert begun is not None and begun.status == "sending" and begun.started_at == DUE
    again = await store.digests.begin_delivery(
        GUILD_A, sub.id, "2024-06-03", nonce="dg1-20240603", due_at=DUE, now=DUE + timedelta(1)
    )
    assert again == begun  # the first attempt's start time is kept
    assert await store.digests.mark_sent(
        GUILD_A,
        sub.id,
        "2024-06-03",
        message_id=999,
        covered_until=DUE,
        next_due_at=DUE + timedelta(days=1),
        now=DUE,
    )
    sent = await store.digests.delivery(GUILD_A, sub.id, "2024-06-03")
    assert sent is not None and (sent.status, sent.message_id) == ("sent", 999)
    after = await store.digests.begin_delivery(
        GUILD_A, sub.id, "2024-06-03", nonce="dg1-20240603", due_at=DUE, now=DUE
    )
    assert after is not None and after.status == "sent"
    updated = await store.digests.subscription(GUILD_A, 11)
    assert updated is not None and updated.next_due_at == DUE + timedelta(days=1)
    assert updated.last_digest_until == DUE and updated.last_sent_at == DUE
    assert await store.digests.due(DUE + timedelta(hours=1)) == []


async def test_a_quiet_occurrence_moves_the_window_but_not_last_sent(store: Store) -> None:
    sub = await subscribe(store, GUILD_A, 11, quiet=True)
    await store.digests.begin_delivery(
        GUILD_A, sub.id, "2024-06-03", nonce="n", due_at=DUE, now=DUE
    )
    await store.digests.mark_sent(
        GUILD_A,
        sub.id,
        "2024-06-03",
        message_id=None,
        covered_until=DUE,
        next_due_at=DUE + timedelta(days=1),
        now=DUE,
    )
    delivery = await store.digests.delivery(GUILD_A, sub.id, "2024-06-03")
    assert delivery is not None and delivery.status == "quiet"
    updated = await store.digests.subscription(GUILD_A, 11)
    assert updated is not None and updated.last_digest_until == DUE and updated.last_sent_at is None


async def test_a_failed_occurrence_can_be_begun_again_after_resubscribing(store: Store) -> None:
    sub = await subscribe(store, GUILD_A, 11)
    await store.digests.begin_delivery(
        GUILD_A, sub.id, "2024-06-03", nonce="n", due_at=DUE, now=DUE
    )
    await store.digests.pause(GUILD_A, sub.id, "2024-06-03", reason="Missing Permissions", now=DUE)
    failed = await store.digests.delivery(GUILD_A, sub.id, "2024-06-03")
    assert failed is not None and (failed.status, failed.detail) == (
        "failed",
        "Missing Permissions",
    )
    resumed = await subscribe(store, GUILD_A, 11, next_due_at=DUE + timedelta(hours=2))
    assert not resumed.paused
    later = DUE + timedelta(hours=2)
    retried = await store.digests.begin_delivery(
        GUILD_A, sub.id, "2024-06-03", nonce="n", due_at=later, now=later
    )
    assert retried is not None and retried.status == "sending" and retried.started_at == later


async def test_skipping_records_why_and_moves_on(store: Store) -> None:
    sub = await subscribe(store, GUILD_A, 11)
    assert await store.digests.skip(
        GUILD_A,
        sub.id,
        "2024-06-03",
        nonce="dg1-20240603",
        due_at=DUE,
        reason="missed by 7 h",
        next_due_at=DUE + timedelta(days=1),
        now=DUE + timedelta(hours=7),
    )
    skipped = await store.digests.delivery(GUILD_A, sub.id, "2024-06-03")
    assert skipped is not None and (skipped.status, skipped.detail) == ("skipped", "missed by 7 h")
    updated = await store.digests.subscription(GUILD_A, 11)
    assert updated is not None and updated.next_due_at == DUE + timedelta(days=1)
    assert updated.last_digest_until is None  # nothing was covered


async def test_unsubscribing_removes_the_log_and_a_late_mark_changes_nothing(store: Store) -> None:
    sub = await subscribe(store, GUILD_A, 11)
    await store.digests.begin_delivery(
        GUILD_A, sub.id, "2024-06-03", nonce="n", due_at=DUE, now=DUE
    )
    assert await store.digests.unsubscribe(GUILD_A, 11)
    assert await store.digests.delivery(GUILD_A, sub.id, "2024-06-03") is None
    assert not await store.digests.mark_sent(
        GUILD_A,
        sub.id,
        "2024-06-03",
        message_id=1,
        covered_until=DUE,
        next_due_at=DUE + timedelta(days=1),
        now=DUE,
    )
    assert await store.digests.subscriptions(GUILD_A) == []
    assert await store.digests.next_due() is None


async def test_the_channel_kind_is_kept_and_follows_a_new_subscribe(store: Store) -> None:
    earlier = await subscribe(store, GUILD_A, 31)
    assert earlier.channel_kind == "text"  # rows from before the column, too
    forum = await subscribe(store, GUILD_A, 32, channel_kind="forum")
    assert forum.channel_kind == "forum"
    [listed] = [s for s in await store.digests.subscriptions(GUILD_A) if s.channel_id == 32]
    assert listed.channel_kind == "forum"
    converted = await subscribe(store, GUILD_A, 31, channel_kind="announcement")
    assert converted.id == earlier.id and converted.channel_kind == "announcement"
    [due] = [s for s in await store.digests.due(DUE) if s.channel_id == 31]
    assert due.channel_kind == "announcement"
