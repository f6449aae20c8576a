"""Feed fetching: conditional requests, permanent and temporary redirects, error statuses with
short reasons, the SSRF rules, and the per-host limit on an injected clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.domain.errors import FetchError
from bot.fetch import FeedHttpError, HostLimiter, check_link, fetch_feed, new_fetch_session
from tests.feed_server import FeedServer, Item, at, feed_server  # noqa: F401


@pytest.fixture
async def session() -> AsyncIterator[object]:
    async with new_fetch_session(allow_private=True) as opened:
        yield opened


async def test_conditional_get_answers_304_and_keeps_the_validators(
    feed_server: FeedServer,  # noqa: F811
    session: object,
) -> None:
    feed_server.feed("a").items = [Item("1", "One", "https://x.example/1", at(0))]
    url = feed_server.url("feeds/a")
    first = await fetch_feed(url, session=session, allow_private=True)  # type: ignore[arg-type]
    assert first.status == 200 and first.etag and first.content_type == "application/rss+xml"
    second = await fetch_feed(
        url,
        session=session,
        allow_private=True,
        etag=first.etag,  # type: ignore[arg-type]
    )
    assert second.status == 304 and second.body == b"" and second.etag == first.etag
    assert feed_server.not_modified["a"] == 1


async def test_redirects_and_errors(feed_server: FeedServer, session: object) -> None:  # noqa: F811
    feed_server.feed("new").items = []
    feed_server.feed("old").moved_to = "/feeds/new"
    moved = await fetch_feed(
        feed_server.url("feeds/old"),
        session=session,
        allow_private=True,  # type: ignore[arg-type]
    )
    assert moved.status == 200 and moved.moved_to == feed_server.url("feeds/new")
    feed_server.feed("gone").gone = True
    with pytest.raises(FeedHttpError) as gone:
        await fetch_feed(
            feed_server.url("feeds/gone"),
            session=session,
            allow_private=True,  # type: ignore[arg-type]
        )
    assert gone.value.status == 410 and gone.value.reason == "HTTP 410"
    with pytest.raises(FeedHttpError, match="404"):
        await fetch_feed(
            feed_server.url("feeds/none"),
            session=session,
            allow_private=True,  # type: ignore[arg-type]
        )


async def test_private_addresses_are_refused_before_any_request() -> None:
    for url in ("http://127.0.0.1/feed", "http://169.254.169.254/latest", "http://localhost/x"):
        with pytest.raises(FetchError):
            check_link(url)
    with pytest.raises(FetchError, match="private"):
        check_link("http://10.0.0.1/feed", allow_private=True)  # loopback only, for tests
    assert check_link(" <https://news.example.org/rss> ") == "https://news.example.org/rss"


class FakeTime:
    """A monotonic clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_per_host_requests_are_spaced_and_at_most_two_run_at_once() -> None:
    clock = FakeTime()
    limiter = HostLimiter(2, 1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    starts: dict[str, list[float]] = {"a": [], "b": []}
    running = {"a": 0}
    most = {"a": 0}
    release = asyncio.Event()

    async def request(host: str, hold: bool) -> None:
        async with limiter.slot(f"https://{host}.example/feed"):
            starts[host].append(clock.now)
            if host == "a":
                running["a"] += 1
                most["a"] = max(most["a"], running["a"])
                if hold:
                    await release.wait()
                running["a"] -= 1

    tasks = [asyncio.create_task(request("a", hold=True)) for _ in range(3)]
    tasks.append(asyncio.create_task(request("b", hold=False)))
    for _ in range(50):
        await asyncio.sleep(0)
    assert len(starts["a"]) == 2  # the third waits for a free slot
    assert len(starts["b"]) == 1 and clock.slept == [1.0]  # only host a's second one waited
    release.set()
    await asyncio.gather(*tasks)
    assert most["a"] == 2
    assert all(
        later - earlier >= 1.0 for earlier, later in zip(starts["a"], starts["a"][1:], strict=False)
    )
