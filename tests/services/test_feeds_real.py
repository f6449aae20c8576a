"""Real captured feeds (../shared, internal testing only) served by a local publisher with the
Content-Type headers servers really send — right, wrong (text/html), or without a charset —
polled by the real service; and a feed whose items link to real saved article pages."""

from __future__ import annotations

import json
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.analysis import ThreadAnalyzer
from bot.app import App
from bot.config import Settings
from bot.domain.feeds import FIRST_FETCH_STORED
from bot.fetch import HostLimiter
from tests.conftest import shared_path
from tests.feed_server import FeedServer, Item, feed_server  # noqa: F401
from tests.pages import PageServer, benchmark_page_ids

pytestmark = pytest.mark.shared

ANALYZER = ThreadAnalyzer(None)
GUILD = 4040
# The quirkiest of them (every one is parsed in tests/nlp/test_feeds.py): malformed XML, a
# blank line before the declaration, BOM without declaration, Latin-1 without declaration,
# relative links, RDF, no dates, no guids, JSON Feed with odd dates, a guid listed twice, 2.7 MB,
# no items at all; and the two broken on purpose.
POLLED = {
    "guardian-world.rss", "lemonde-une.rss", "mirror-world.rss", "uol-noticias.rss",
    "tpm-news.atom", "orf-news.xml", "japan-times.rss", "jn-pt-latin1.rss",
    "adactio-journal.json", "wapo-world.rss", "londonist-large.rss", "dailymail-world.rss",
    "straitstimes-asia-empty.rss", "reuters-mostread-invalid.rss", "scripting-news.json",
}  # fmt: skip
HEADERS = {
    "rss2": "application/rss+xml; charset=utf-8",
    "rss1": "application/rdf+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


class Loopback(AbstractResolver):
    """Every publisher's host is this machine, where nothing answers on 80/443: each linked
    page is unreachable, as a paywall or an outage would make it."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [ResolveResult(hostname=host, host="127.0.0.1", port=port,
                              family=socket.AF_INET, proto=0, flags=0)]  # fmt: skip

    async def close(self) -> None:
        return None


async def open_world(tmp_path: Path, apps: Callable[..., Awaitable[App]]) -> App:
    settings = Settings.from_env(
        {
            "DIPLOBRIEF_DATABASE": str(tmp_path / "real.db"),
            "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1",
            "DIPLOBRIEF_FEEDS_PER_SERVER": "100",
        }
    )
    return await apps(
        settings, analyzer=ANALYZER, resolver=Loopback(), host_limiter=HostLimiter(2, 0.0)
    )


async def test_real_feeds_through_a_local_publisher_with_real_world_headers(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    feed_server: FeedServer,  # noqa: F811
) -> None:
    root = shared_path("data", "feeds")
    app = await open_world(tmp_path, apps)
    expected: dict[str, str] = {}
    broken: list[str] = []
    for number, line in enumerate((root / "index.jsonl").read_text().splitlines()):
        record = json.loads(line)
        if record["format"] not in HEADERS:
            continue
        name = Path(record["file"]).name
        if name not in POLLED:
            continue
        served = feed_server.feed(name)
        served.raw = (root / record["file"]).read_bytes()
        # Every third feed is labelled as servers get it wrong: text/html, or no charset.
        served.content_type = [HEADERS[record["format"]], "text/html", "application/xml"][
            number % 3
        ]
        quirks = " ".join(record["quirks"]).lower()
        if "truncated" in quirks or "not a json feed" in quirks:
            broken.append(name)
            continue
        await app.feeds.add(GUILD, feed_server.url(f"feeds/{name}"))
        expected[feed_server.url(f"feeds/{name}")] = name
    reports = await app.feed_poller.poll_due(datetime.now(UTC))
    by_url = {report.url: report for report in reports}
    for url, name in expected.items():
        report = by_url[url]
        assert report.status == "new", (name, report.detail)
    listings = await app.feeds.feeds(GUILD)
    assert all(listing.feed.status == "ok" for listing in listings)
    # The unreachable pages were replaced by long enough feed texts, or skipped with a reason.
    for listing in listings:
        entries = sum(count for _, count in listing.skipped) + listing.subscription.items_stored
        assert entries <= FIRST_FETCH_STORED
    skipped_reasons = {reason for listing in listings for reason, _ in listing.skipped}
    assert any("under 80 words" in reason for reason in skipped_reasons)
    assert any(listing.subscription.items_stored for listing in listings)
    # A truncated feed and JSON that is no feed: refused with a clear reason when added.
    for name in broken:
        with pytest.raises(Exception, match="No feed found at"):
            await app.feeds.add(GUILD, feed_server.url(f"feeds/{name}"))


async def test_a_feed_of_real_article_pages_stores_them_once(
    tmp_path: Path,
    apps: Callable[..., Awaitable[App]],
    feed_server: FeedServer,  # noqa: F811
) -> None:
    page_ids = benchmark_page_ids()[:4]
    pages = PageServer()
    await pages.start()
    try:
        app = await open_world(tmp_path, apps)
        served = feed_server.feed("saved")
        await app.feeds.add(GUILD, feed_server.url("feeds/saved"))
        await app.feed_poller.poll_due(datetime.now(UTC))
        served.items = [
            Item(f"b{i}", f"Saved page {i}", pages.url(f"benchmark/{page_id}.html"))
            for i, page_id in enumerate(page_ids)
        ]
        [report] = await app.feed_poller.poll_due(datetime(2100, 1, 1, tzinfo=UTC))
        assert report.stored + report.skipped == len(page_ids) and report.stored >= 2
        assert sorted(pages.hits) == sorted(f"/benchmark/{p}.html" for p in page_ids)
    finally:
        await pages.close()
