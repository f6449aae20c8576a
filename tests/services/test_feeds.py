"""Feeds through the real services: a local publisher, real fetches, real analysis, a real
Store on tmp_path, an injected clock. What a server's members would notice: what is stored,
what would go live, what /feed list says, and what the publisher was asked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.analysis import ThreadAnalyzer
from bot.app import App
from bot.config import Settings
from bot.domain.errors import FetchError, NotAFeedError, UserFacingError
from bot.domain.feeds import FIRST_FETCH_STORED, backoff
from bot.fetch import HostLimiter
from tests.feed_server import (
    FISHERIES_DAILY,
    FISHERIES_WIRE,
    KOREA_DIALOGUE,
    SUDAN_TALKS,
    FeedServer,
    Item,
    article_html,
    at,
    feed_server,  # noqa: F401
)

ANALYZER = ThreadAnalyzer(None)
GUILD_A = 1001
GUILD_B = 2002
LIVE_CHANNEL = 77


@dataclass
class Clock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


@dataclass
class World:
    app: App
    clock: Clock
    server: FeedServer

    async def poll(self, minutes: int) -> list:  # type: ignore[type-arg]
        self.clock.moment = at(minutes)
        return await self.app.feed_poller.poll_due()


def story_page(server: FeedServer, name: str, story: tuple[str, str, list[str]]) -> str:
    title, site, paragraphs = story
    return server.page(name, article_html(title, site, paragraphs))


@pytest.fixture
async def world(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    feed_server: FeedServer,  # noqa: F811
) -> World:
    clock = Clock(at(0))
    settings = Settings.from_env(
        {
            "DIPLOBRIEF_DATABASE": str(tmp_path / "feeds.db"),
            "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1",
            "DIPLOBRIEF_FEED_INTERVAL": "300",
        }
    )
    app = await apps(settings, analyzer=ANALYZER, clock=clock.now, host_limiter=HostLimiter(2, 0.0))
    return World(app, clock, feed_server)


def filler_items(server: FeedServer, count: int, start: int = 0) -> list[Item]:
    """Items whose pages exist (short stories about the same fisheries event would cluster:
    these link distinct pages of the other stories)."""
    items = []
    stories = [SUDAN_TALKS, KOREA_DIALOGUE, FISHERIES_WIRE]
    for index in range(start, start + count):
        link = story_page(server, f"filler-{index}", stories[index % 3])
        items.append(Item(f"filler-{index}", f"Filler {index}", link, at(-1000 + index)))
    return items


async def test_first_poll_stores_only_the_newest_marks_all_seen_and_nothing_goes_live(
    world: World,
) -> None:
    server = world.server
    served = server.feed("world")
    served.items = list(reversed(filler_items(server, 14)))  # newest first, as feeds list
    added = await world.app.feeds.add(
        GUILD_A, server.url("feeds/world"), live_channel_id=LIVE_CHANNEL
    )
    assert added.created and added.feed.title == "world"
    [report] = await world.poll(0)
    assert report.status == "new"
    # Only the newest 10 pages were fetched; each at most once although 3 stories repeat.
    fetched = [h for h in server.hits if h.startswith("/pages/")]
    assert len(fetched) == FIRST_FETCH_STORED
    assert sorted(fetched) == sorted(f"/pages/filler-{i}" for i in range(4, 14))
    assert await world.app.store.articles.count(GUILD_A) == 3  # copies of 3 texts dedupe
    assert await world.app.store.feeds.pending_live() == []  # no flood

    # Nothing changed: a conditional GET, answered 304, parses nothing, fetches no page.
    assert await world.poll(5) == []  # not due yet
    [again] = await world.poll(6)
    assert again.status == "not-modified"
    assert server.not_modified["world"] == 1
    assert len([h for h in server.hits if h.startswith("/pages/")]) == FIRST_FETCH_STORED

    # An old item the first poll saw (not stored) is never fetched, even when it is rewritten.
    old = served.items[-1]
    old.published = at(100)
    old.title = "Filler 0, updated"
    dropped = served.items.pop(0)
    [rewritten] = await world.poll(20)
    assert rewritten.status == "new" and rewritten.stored == 0
    served.items.insert(0, dropped)  # the item comes back
    [restored] = await world.poll(40)
    assert restored.stored == 0
    assert "/pages/filler-0" not in server.hits
    listing = (await world.app.feeds.feeds(GUILD_A))[0]
    assert listing.feed.status == "ok" and listing.subscription.items_stored == 3


async def test_a_new_item_is_fetched_once_for_every_server_and_goes_live_where_asked(
    world: World,
) -> None:
    server = world.server
    served = server.feed("wire")
    served.items = [
        Item("k-1", KOREA_DIALOGUE[0], story_page(server, "korea", KOREA_DIALOGUE), at(-60))
    ]
    url = server.url("feeds/wire")
    await world.app.feeds.add(GUILD_A, url, live_channel_id=LIVE_CHANNEL)
    await world.app.feeds.add(GUILD_B, url)
    checked = server.count("/feeds/wire")  # each /feed add looked at the feed once
    await world.poll(0)
    feed_gets = server.count("/feeds/wire")
    assert feed_gets == checked + 1  # one fetch per feed URL however many servers read it

    link = story_page(server, "fisheries", FISHERIES_WIRE)
    served.items.insert(0, Item("f-1", FISHERIES_WIRE[0], link, at(10)))
    [report] = await world.poll(10)
    assert report.stored == 1 and server.count("/feeds/wire") == feed_gets + 1
    assert server.count("/pages/fisheries") == 1
    for guild in (GUILD_A, GUILD_B):
        found = await world.app.store.articles.find_by_url(guild, link)
        assert found is not None and found.title == FISHERIES_WIRE[0]
    [candidate] = await world.app.store.feeds.pending_live()
    assert (candidate.scope, candidate.channel_id) == (GUILD_A, LIVE_CHANNEL)

    # A second feed linking the same page: stored from the analysed copy, not fetched again.
    other = server.feed("other")
    other.items = [Item("x-1", "Same page elsewhere", link, at(12))]
    await world.app.feeds.add(GUILD_B, server.url("feeds/other"))
    await world.poll(12)
    assert server.count("/pages/fisheries") == 1


async def test_failures_back_off_show_their_reason_pause_after_ten_and_recover(
    world: World,
) -> None:
    server = world.server
    served = server.feed("flaky")
    served.items = [Item("s-1", SUDAN_TALKS[0], story_page(server, "sudan", SUDAN_TALKS), at(-5))]
    await world.app.feeds.add(GUILD_A, server.url("feeds/flaky"), live_channel_id=LIVE_CHANNEL)
    served.fail_times = 10
    [first] = await world.poll(0)
    assert first.status == "failed" and first.detail == "HTTP 500"
    [listing] = await world.app.feeds.feeds(GUILD_A)
    assert listing.feed.status == "failing" and listing.feed.last_error == "HTTP 500"
    assert listing.feed.failing_since == at(0)
    assert listing.feed.next_fetch_at == at(0) + timedelta(minutes=5)
    moment = at(0)
    for failures in range(2, 11):
        moment += backoff(failures - 1)
        world.clock.moment = moment
        [report] = await world.app.feed_poller.poll_due()
        assert report.status == ("paused" if failures == 10 else "failed")
    [listing] = await world.app.feeds.feeds(GUILD_A)
    assert listing.feed.status == "paused" and "HTTP 500" in (listing.feed.paused_reason or "")
    assert listing.feed.failing_since == at(0)  # from the first failure on
    [notice] = await world.app.store.feeds.pending_notices()
    assert notice.channel_id == LIVE_CHANNEL and "paused" in notice.text
    world.clock.moment = moment + timedelta(days=2)
    assert await world.app.feed_poller.poll_due() == []  # paused: never fetched

    await world.app.feeds.resume(GUILD_A, str(listing.subscription.id))
    [recovered] = await world.app.feed_poller.poll_due()
    assert recovered.status == "new"
    [listing] = await world.app.feeds.feeds(GUILD_A)
    assert listing.feed.status == "ok" and listing.feed.failures == 0
    with pytest.raises(UserFacingError, match="not paused"):
        await world.app.feeds.resume(GUILD_A, str(listing.subscription.id))


async def test_gone_pauses_at_once_and_a_permanent_redirect_moves_the_feed(world: World) -> None:
    server = world.server
    server.feed("old").items = []
    server.feed("new").items = []
    await world.app.feeds.add(GUILD_A, server.url("feeds/old"))
    server.feeds["old"].moved_to = "/feeds/new"
    await world.poll(0)
    [listing] = await world.app.feeds.feeds(GUILD_A)
    assert listing.feed.url == server.url("feeds/new")
    server.feeds["new"].gone = True
    [report] = await world.poll(10)
    assert report.status == "paused"
    [listing] = await world.app.feeds.feeds(GUILD_A)
    assert listing.feed.status == "paused" and "410" in (listing.feed.paused_reason or "")


async def test_unreachable_pages_use_a_long_feed_text_or_are_skipped_with_a_reason(
    world: World,
) -> None:
    server = world.server
    served = server.feed("paywall")
    await world.app.feeds.add(GUILD_A, server.url("feeds/paywall"))
    await world.poll(0)
    long_text = " ".join(FISHERIES_DAILY[2])
    paywalled = server.page("locked", "<h1>Subscribe</h1>", status=403)
    served.items = [
        Item("p-1", FISHERIES_DAILY[0], paywalled, at(5), description=long_text),
        Item("p-2", "Short teaser", server.page("locked2", "no", status=403), at(6), "Too short."),
    ]
    [report] = await world.poll(10)
    assert (report.stored, report.skipped) == (1, 1)
    stored = await world.app.store.articles.find_by_url(GUILD_A, paywalled)
    assert stored is not None and stored.source_kind == "feed"
    assert stored.title == FISHERIES_DAILY[0]
    [listing] = await world.app.feeds.feeds(GUILD_A)
    [(reason, count)] = listing.skipped
    assert count == 1 and "403" in reason and "under 80 words" in reason


class Killed(BaseException):
    """The process dying in the middle of a poll."""


async def test_killed_mid_poll_loses_nothing_and_doubles_nothing(world: World) -> None:
    server = world.server
    served = server.feed("busy")
    await world.app.feeds.add(GUILD_A, server.url("feeds/busy"), live_channel_id=LIVE_CHANNEL)
    await world.poll(0)
    served.items = [
        Item("b-2", SUDAN_TALKS[0], story_page(server, "b2", SUDAN_TALKS), at(3)),
        Item("b-1", KOREA_DIALOGUE[0], story_page(server, "b1", KOREA_DIALOGUE), at(2)),
    ]
    poller = world.app.feed_poller
    real_fetch = poller._fetch_page

    async def dies_on_second(url: str):  # type: ignore[no-untyped-def]
        if url.endswith("/b2"):
            raise Killed
        return await real_fetch(url)

    poller._fetch_page = dies_on_second
    world.clock.moment = at(10)
    with pytest.raises(Killed):
        await poller.poll_due()
    assert await world.app.store.articles.count(GUILD_A) == 1  # the first item, whole
    poller._fetch_page = real_fetch
    await world.app.store.feeds.release(1)  # the dead process's lease, expired
    [report] = await world.poll(11)
    # The validators were not saved with a half-done poll: a full fetch, not a 304.
    assert report.status == "new" and report.stored == 1
    assert server.not_modified.get("busy", 0) == 0
    assert await world.app.store.articles.count(GUILD_A) == 2
    assert server.count("/pages/b1") == 1
    assert len(await world.app.store.feeds.pending_live()) == 2


async def test_add_finds_a_pages_feed_and_refuses_what_is_no_feed(world: World) -> None:
    server = world.server
    server.feed("found").items = []
    home = server.page(
        "home",
        '<html><head><link rel="alternate" type="application/rss+xml" title="Top" '
        'href="/feeds/found"><link rel="alternate" type="application/atom+xml" '
        'href="/feeds/atom"></head><body>News</body></html>',
    )
    added = await world.app.feeds.add(GUILD_A, home)
    assert added.feed.url == server.url("feeds/found")
    assert [d.url for d in added.discovered] == [
        server.url("feeds/found"),
        server.url("feeds/atom"),
    ]
    plain = server.page("plain", "<html><body><p>No feeds here.</p></body></html>")
    with pytest.raises(NotAFeedError, match="No feed found at"):
        await world.app.feeds.add(GUILD_A, plain)
    with pytest.raises(FetchError, match="404"):
        await world.app.feeds.add(GUILD_A, server.url("feeds/missing"))
    with pytest.raises(FetchError, match="private"):
        await world.app.feeds.add(GUILD_A, "http://10.0.0.1/feed.xml")
    assert len(await world.app.feeds.feeds(GUILD_A)) == 1


async def test_opml_import_nested_and_untyped_over_limit_refused_and_malformed(
    world: World,
) -> None:
    feeds = world.app.feeds
    feeds.feeds_per_server = 3
    opml = b"""<?xml version="1.0"?><opml version="1.0"><body>
      <outline text="News"><outline text="A" type="rss" xmlUrl="https://a.example/feed"/>
        <outline text="Folder"><outline text="B" xmlUrl="https://b.example/rss"/></outline>
      </outline>
      <outline text="Local" xmlUrl="http://10.1.2.3/feed"/>
      <outline text="C" xmlUrl="https://c.example/atom"/>
      <outline text="D" xmlUrl="https://d.example/atom"/></body></opml>"""
    report = await feeds.import_opml(GUILD_A, opml)
    assert report.added == (
        "https://a.example/feed",
        "https://b.example/rss",
        "https://c.example/atom",
    )
    assert report.over_limit == ("https://d.example/atom",)
    assert [url for url, _ in report.refused] == ["http://10.1.2.3/feed"]
    again = await feeds.import_opml(GUILD_A, opml)
    assert len(again.already) == 3 and not again.added
    with pytest.raises(NotAFeedError, match="well-formed"):
        await feeds.import_opml(GUILD_B, opml.replace(b'text="C"', b'text="C & D"'))
    assert await feeds.feeds(GUILD_B) == []
    exported = await feeds.export_opml(GUILD_A)
    feeds.feeds_per_server = 10
    round_trip = await feeds.import_opml(GUILD_B, exported)
    assert set(round_trip.added) == set(report.added)


@dataclass
class RecordingSender:
    """A live channel as Discord would keep it: one message per nonce (enforce_nonce)."""

    sent: list[tuple[str, str]]
    edits: list[int]
    die_after_send: bool = False

    async def send_story(self, post, story):  # type: ignore[no-untyped-def]
        self.sent.append((post.nonce, story.title))
        if self.die_after_send:
            raise Killed
        return 1000 + post.id

    async def edit_story(self, post, story):  # type: ignore[no-untyped-def]
        self.edits.append(story.reports)

    async def send_notice(self, notice):  # type: ignore[no-untyped-def]
        self.sent.append((f"notice-{notice.id}", notice.text))


async def test_live_posts_survive_a_crash_after_sending_and_respect_the_hourly_limit(
    world: World,
) -> None:
    server = world.server
    served = server.feed("live")
    await world.app.feeds.add(GUILD_A, server.url("feeds/live"), live_channel_id=LIVE_CHANNEL)
    await world.poll(0)
    served.items = [Item("l-1", FISHERIES_WIRE[0], story_page(server, "l1", FISHERIES_WIRE), at(5))]
    await world.poll(10)
    dying = RecordingSender([], [], die_after_send=True)
    with pytest.raises(Killed):  # Discord accepted the post; the process died before recording
        await world.app.live_poster(dying).run_once()
    sender = RecordingSender([], [])
    poster = world.app.live_poster(sender)
    await poster.run_once()
    assert dying.sent[0][0] == sender.sent[0][0]  # the same nonce: Discord keeps one message
    assert await world.app.store.feeds.live_posts_to_finish() == []

    served.items.insert(
        0, Item("l-2", FISHERIES_DAILY[0], story_page(server, "l2", FISHERIES_DAILY), at(11))
    )
    served.items.insert(
        0, Item("l-3", SUDAN_TALKS[0], story_page(server, "l3", SUDAN_TALKS), at(12))
    )
    served.items.insert(
        0, Item("l-4", KOREA_DIALOGUE[0], story_page(server, "l4", KOREA_DIALOGUE), at(13))
    )
    await world.poll(20)
    poster.per_hour = 2
    counts = await poster.run_once()
    # The second outlet edits the story's post; one new story fits the hour, one waits.
    assert counts == {"edited": 1, "posted": 1, "deferred": 1}
    assert sender.edits == [2]
    assert [title for _, title in sender.sent] == [FISHERIES_WIRE[0], SUDAN_TALKS[0]]
