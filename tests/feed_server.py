"""A local publisher for feed tests (127.0.0.1, free port): feeds that change between polls,
conditional requests answered 304 (and counted), failures, permanent redirects, 410, and the
article pages the items link to. Everything here was written for these tests."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

import pytest
from aiohttp import web

from tests.pages import _bound_port

RSS_TYPE = "application/rss+xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass
class Item:
    """One item of a served feed."""

    guid: str | None
    title: str
    link: str | None
    published: datetime | None = None
    description: str = ""

    def rss(self) -> str:
        parts = [f"<title>{escape(self.title)}</title>"]
        if self.link:
            parts.append(f"<link>{escape(self.link)}</link>")
        if self.guid:
            parts.append(f'<guid isPermaLink="false">{escape(self.guid)}</guid>')
        if self.published:
            parts.append(f"<pubDate>{format_datetime(self.published)}</pubDate>")
        if self.description:
            parts.append(f"<description>{escape(self.description)}</description>")
        return "<item>" + "".join(parts) + "</item>"


@dataclass
class ServedFeed:
    """A feed document the test changes at will, and how the server answers for it."""

    title: str
    items: list[Item] = field(default_factory=list)
    fail_times: int = 0  # the next N requests answer fail_status
    fail_status: int = 500
    gone: bool = False  # answer 410
    moved_to: str | None = None  # answer 301 to this path
    ttl_minutes: int | None = None
    content_type: str = RSS_TYPE
    raw: bytes | None = None  # serve these bytes instead of the items

    def document(self) -> bytes:
        if self.raw is not None:
            return self.raw
        ttl = f"<ttl>{self.ttl_minutes}</ttl>" if self.ttl_minutes else ""
        items = "".join(item.rss() for item in self.items)
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(self.title)}</title><link>https://example.org/</link>{ttl}"
            f"{items}</channel></rss>"
        ).encode()


class FeedServer:
    """Serves feeds at /feeds/{name}, pages at /pages/{name}; counts what it answered."""

    def __init__(self) -> None:
        self.feeds: dict[str, ServedFeed] = {}
        self.pages: dict[str, tuple[int, str, str]] = {}  # path → status, type, body
        self.hits: list[str] = []
        self.not_modified: dict[str, int] = {}
        self.conditional: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self.hold: dict[str, Any] = {}  # path → asyncio.Event the handler waits on

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/feeds/{name}", self._feed)
        app.router.add_get("/pages/{name}", self._page)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = _bound_port(site)

    async def close(self) -> None:
        for event in self.hold.values():
            event.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._port}/{path.lstrip('/')}"

    def feed(self, name: str, title: str | None = None) -> ServedFeed:
        """The served feed of that name (created empty)."""
        return self.feeds.setdefault(name, ServedFeed(title or name))

    def page(
        self, name: str, html: str, *, status: int = 200, content_type: str = HTML_TYPE
    ) -> str:
        """Serve a page; its URL."""
        self.pages[name] = (status, content_type, html)
        return self.url(f"pages/{name}")

    def count(self, path: str) -> int:
        return self.hits.count(path)

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits.append(request.path)
        served = self.feeds.get(name)
        if served is None:
            return web.Response(status=404, text="no such feed")
        if served.gone:
            return web.Response(status=410, text="gone")
        if served.moved_to:
            raise web.HTTPMovedPermanently(served.moved_to)
        if served.fail_times > 0:
            served.fail_times -= 1
            return web.Response(status=served.fail_status, text="server trouble")
        body = served.document()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = format_datetime(datetime(2024, 1, 1, tzinfo=UTC), usegmt=True)
        if request.headers.get("If-None-Match") or request.headers.get("If-Modified-Since"):
            self.conditional[name] = self.conditional.get(name, 0) + 1
        if request.headers.get("If-None-Match") == etag:
            self.not_modified[name] = self.not_modified.get(name, 0) + 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body,
            headers={"Content-Type": served.content_type, "ETag": etag, "Last-Modified": modified},
        )

    async def _page(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.hits.append(request.path)
        if name in self.hold:
            await self.hold[name].wait()
        if name not in self.pages:
            return web.Response(status=404, text="no such page")
        status, content_type, body = self.pages[name]
        return web.Response(
            status=status, body=body.encode(), headers={"Content-Type": content_type}
        )


def article_html(title: str, site: str, paragraphs: list[str]) -> str:
    """An article page as a news site writes one."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f'</title><meta property="og:site_name" content="{escape(site)}"></head><body>'
        f"<nav><a href='/'>Home</a></nav><article><h1>{escape(title)}</h1>{body}</article>"
        "<footer>All rights reserved.</footer></body></html>"
    )


def at(minutes: int) -> datetime:
    """A fixed moment in 2024, `minutes` after the tests' epoch."""
    return datetime(2024, 6, 3, 8, 0, tzinfo=UTC) + timedelta(minutes=minutes)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


# --- articles written for these tests: two outlets on one event, and other events -------------

FISHERIES_WIRE = (
    "Norway and Chile sign a fisheries pact in Oslo",
    "Nordic Wire",
    [
        "OSLO — Norway and Chile signed a fisheries agreement in Oslo on Monday that opens "
        "joint patrols against illegal fishing in the South Pacific and shares catch data "
        "between the two coast guards.",
        "Norwegian Foreign Minister Ingrid Solberg said the pact was the first of its kind "
        'between the two countries. "Our oceans do not stop at our borders, and neither can '
        'our cooperation," Ms. Solberg told reporters after the signing.',
        "Chilean Foreign Minister Pablo Reyes said Chile would send two patrol vessels to the "
        "joint mission next year and that scientists from both countries would meet in "
        "Valparaiso in the autumn to compare stock surveys.",
        "The agreement still has to be ratified by the parliaments of Norway and Chile, "
        "officials said. Environmental groups welcomed the deal but asked for stricter "
        "quotas on krill.",
    ],
)
FISHERIES_DAILY = (
    "Chile and Norway agree on joint fishing patrols",
    "Pacific Daily",
    [
        "Chile and Norway agreed on Monday to run joint patrols against illegal fishing, in "
        "a fisheries pact signed in Oslo by the foreign ministers of both countries, Pablo "
        "Reyes and Ingrid Solberg.",
        "Mr. Reyes said the deal would protect Chilean fishermen from foreign trawlers. "
        '"This pact gives our coast guard partners and our fishermen a fair chance," he said '
        "in Oslo. Norway will share satellite data on vessels with Chile under the deal.",
        "Ms. Solberg said the two countries would review the fisheries pact after two years. "
        "The parliaments of Chile and Norway must still ratify it.",
        "Fishing industry groups in Chile said they hoped the patrols would start before the "
        "next squid season in the South Pacific.",
    ],
)
SUDAN_TALKS = (
    "Kenya hosts new round of Sudan ceasefire talks",
    "Nairobi Herald",
    [
        "NAIROBI — Delegations from Sudan's warring parties met in Nairobi on Tuesday for a "
        "new round of ceasefire talks hosted by Kenya and backed by the African Union.",
        "Kenyan President William Otieno opened the talks with a call for a truce before the "
        'rainy season. "Every week of fighting closes another road for food," Mr. Otieno '
        "said at the opening session.",
        "Mediators from Ethiopia and Egypt attended as observers. Sudanese officials said "
        "they would discuss humanitarian corridors first and a wider ceasefire later.",
        "Aid agencies said more than two million people in Darfur needed food assistance, "
        "and urged both sides to open the border crossings with Chad.",
    ],
)
KOREA_DIALOGUE = (
    "Japan and South Korea restart their security dialogue",
    "Seoul Times",
    [
        "SEOUL — Japan and South Korea held their first security dialogue in five years in "
        "Seoul on Wednesday, agreeing to share missile warning data in real time.",
        "South Korean Foreign Minister Park Min-jun said the talks marked a new start. "
        '"We have more reasons to talk than to argue," Mr. Park said after the meeting with '
        "his Japanese counterpart, Kenji Watanabe.",
        "Mr. Watanabe said Tokyo would also invite South Korean officers to observe a naval "
        "exercise near Okinawa in the summer.",
        "The United States welcomed the talks and said it would join a trilateral meeting "
        "of defence officials in Tokyo next month.",
    ],
)
