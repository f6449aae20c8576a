"""Feeds in the Store (through the FeedRepository Protocol): one feed row for many servers,
per-server subscriptions and limits, claims with leases, seen items, validators kept only
with a complete poll, failures, and live posts recorded before they are sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage_synthetic import make_pair

from storage import Store

GUILD_A = 101
GUILD_B = 202
NOW = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
URL = "https://news.example.org/world/rss"


async def subscribe(store: Store, scope: int, url: str = URL, **changes: Any) -> Any:
    options: dict[str, Any] = {
        "title": "World",
        "site_url": None,
        "live_channel_id": None,
        "topic": None,
        "country": None,
        "created_by": 7,
        "now": NOW,
        "limit": 3,
    }
    options.update(changes)
    return await store.feeds.subscribe(scope, url, **options)


async def test_one_feed_row_for_many_servers_each_seeing_only_its_own(store: Store) -> None:
    a = await subscribe(store, GUILD_A, live_channel_id=5)
    b = await subscribe(store, GUILD_B, URL + "?utm_source=x")  # the same feed, canonically
    assert a.created and b.created and a.feed.id == b.feed.id
    again = await subscribe(store, GUILD_A, topic="sanctions")
    assert not again.created and again.subscription.topic == "sanctions"
    assert again.subscription.live_channel_id == 5
    [listing] = await store.feeds.subscriptions(GUILD_A)
    assert listing.subscription.scope == GUILD_A
    assert {s.scope for s in await store.feeds.subscribers(a.feed.id)} == {GUILD_A, GUILD_B}
    assert await store.feeds.subscription(GUILD_B, a.subscription.id) is None
    assert not await store.feeds.unsubscribe(GUILD_B, a.subscription.id)


async def test_the_server_limit_and_removing_the_last_reader_deletes_the_feed(
    store: Store,
) -> None:
    for index in range(3):
        assert await subscribe(store, GUILD_A, f"https://f{index}.example/rss") is not None
    assert await subscribe(store, GUILD_A, "https://f9.example/rss") is None
    assert await store.feeds.count(GUILD_A) == 3
    first = (await store.feeds.subscriptions(GUILD_A))[0]
    assert await store.feeds.unsubscribe(GUILD_A, first.subscription.id)
    assert await store.feeds.feed(first.feed.id) is None


async def test_claims_are_leased_and_validators_wait_for_a_complete_poll(store: Store) -> None:
    added = await subscribe(store, GUILD_A)
    [claimed] = await store.feeds.claim_due(NOW, limit=10, lease=timedelta(minutes=10))
    assert claimed.id == added.feed.id
    assert await store.feeds.claim_due(NOW, limit=10, lease=timedelta(minutes=10)) == []
    later = NOW + timedelta(minutes=11)  # the lease of a process that died ran out
    [reclaimed] = await store.feeds.claim_due(later, limit=10, lease=timedelta(minutes=10))
    options: dict[str, Any] = {
        "now": later,
        "seen_keys": [],
        "url": None,
        "title": None,
        "site_url": None,
        "etag": '"v1"',
        "last_modified": "Mon, 03 Jun 2024 08:00:00 GMT",
        "ttl_s": None,
        "next_fetch_at": later + timedelta(minutes=15),
    }
    await store.feeds.fetched(reclaimed.id, complete=False, **options)
    feed = await store.feeds.feed(reclaimed.id)
    assert feed is not None and feed.etag is None and feed.baselined
    await store.feeds.fetched(reclaimed.id, complete=True, **options)
    feed = await store.feeds.feed(reclaimed.id)
    assert feed is not None and feed.etag == '"v1"'
    assert await store.feeds.next_due() == later + timedelta(minutes=15)


async def test_seen_items_remembered_from_their_last_sighting(store: Store) -> None:
    feed_id = (await subscribe(store, GUILD_A)).feed.id
    await store.feeds.record_item(feed_id, "id:1", outcome="baseline", now=NOW)
    await store.feeds.record_item(feed_id, "id:2", outcome="skipped", reason="x", now=NOW)
    assert await store.feeds.known_items(feed_id, ["id:1", "id:2", "id:3"]) == {"id:1", "id:2"}
    seen_again = NOW + timedelta(days=50)
    await store.feeds.fetched(
        feed_id, now=seen_again, seen_keys=["id:1"], url=None, title=None, site_url=None,
        etag=None, last_modified=None, ttl_s=None, next_fetch_at=seen_again, complete=True,
    )  # fmt: skip
    # Sixty days after NOW+1s, what was last seen at NOW goes; what was seen since stays.
    assert await store.feeds.forget_seen(NOW + timedelta(seconds=1)) == 1
    assert await store.feeds.known_items(feed_id, ["id:1", "id:2"]) == {"id:1"}
    [listing] = await store.feeds.subscriptions(GUILD_A)
    assert listing.skipped == ()


async def test_failures_count_pause_and_resume(store: Store) -> None:
    added = await subscribe(store, GUILD_A)
    feed_id = added.feed.id
    failed = await store.feeds.failed(
        feed_id, now=NOW, reason="HTTP 500", next_fetch_at=NOW + timedelta(minutes=5), pause=False
    )
    assert failed is not None and failed.status == "failing" and failed.failing_since == NOW
    paused = await store.feeds.failed(
        feed_id, now=NOW, reason="HTTP 410", next_fetch_at=NOW, pause=True
    )
    assert paused is not None and paused.status == "paused" and paused.failures == 2
    assert await store.feeds.claim_due(NOW, limit=5, lease=timedelta(minutes=1)) == []
    assert not await store.feeds.resume(GUILD_B, added.subscription.id, now=NOW)
    assert await store.feeds.resume(GUILD_A, added.subscription.id, now=NOW)
    resumed = await store.feeds.feed(feed_id)
    assert resumed is not None and resumed.status == "ok"


async def test_an_item_is_seen_only_with_its_stored_article(store: Store) -> None:
    feed_id = (await subscribe(store, GUILD_A, live_channel_id=9)).feed.id
    article, analysis = make_pair(1)
    try:
        async with store.transaction():
            added = await store.articles.add(GUILD_A, article, analysis, now=NOW)
            await store.feeds.add_live_candidate(
                GUILD_A, 9, added.article.id, feed_id=feed_id, now=NOW
            )
            raise RuntimeError("killed before the item was marked seen")
    except RuntimeError:
        pass
    assert await store.articles.count(GUILD_A) == 0
    assert await store.feeds.pending_live() == []
    async with store.transaction():
        added = await store.articles.add(GUILD_A, article, analysis, now=NOW)
        await store.feeds.add_live_candidate(GUILD_A, 9, added.article.id, feed_id=feed_id, now=NOW)
        await store.feeds.record_item(
            feed_id, "id:1", outcome="stored", now=NOW, article_url=article.url,
            article_scope=GUILD_A, article_id=added.article.id,
        )  # fmt: skip
    assert await store.feeds.analysed_copy(article.url or "") == (GUILD_A, added.article.id)
    [candidate] = await store.feeds.pending_live()
    post = await store.feeds.create_live_post(candidate, now=NOW)
    assert post.status == "sending" and post.article_ids == (added.article.id,)
    assert await store.feeds.pending_live() == []
    assert await store.feeds.live_posts_to_finish() == [post]
    await store.feeds.mark_live_rendered(GUILD_A, post.id, message_id=55, rendered=post.updated_at)
    assert await store.feeds.live_posts_to_finish() == []
    assert await store.feeds.live_posts_made(GUILD_A, 9, NOW - timedelta(hours=1)) == 1
    assert await store.feeds.live_posts(GUILD_B, 9, NOW - timedelta(hours=1)) == []
