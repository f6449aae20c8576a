"""A local web server of article pages for fetch and end-to-end tests (127.0.0.1, free port).

Real saved pages come from ../shared (skipped when absent); synthetic pages written for these
tests cover every case the fetcher must handle, so the suite also works in a plain clone.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from tests.long_article import long_article_html

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
BENCHMARK_HTML = SHARED / "data" / "article-extraction-benchmark" / "html"

HTML_TYPE = "text/html; charset=utf-8"

NEWS_ARTICLE_TITLE = "Ministers Agree to Reopen Border Crossing After Talks in Vienna"
NEWS_ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Ministers Agree to Reopen Border Crossing After Talks in Vienna | Daily Dispatch</title>
  <meta name="author" content="Hannah Okafor">
  <meta property="article:published_time" content="2024-03-14T09:30:00Z">
  <meta property="og:site_name" content="The Daily Dispatch">
</head>
<body>
  <nav><a href="/">Home</a> <a href="/world">World</a> <a href="/subscribe">Subscribe</a></nav>
  <article>
    <h1>Ministers Agree to Reopen Border Crossing After Talks in Vienna</h1>
    <p class="byline">By Hannah Okafor</p>
    <time datetime="2024-03-14T09:30:00Z">March 14, 2024</time>
    <p>VIENNA — The foreign ministers of Armenia and Azerbaijan agreed on Thursday to reopen
    a border crossing that has been closed for three years, after two days of talks hosted by
    Austria.</p>
    <p>"This is a first step, not the last one," the Armenian foreign minister, Ararat Mirzoyan,
    told reporters after the meeting. He said both delegations would meet again in May.</p>
    <p>Azerbaijan's foreign minister, Jeyhun Bayramov, said the agreement showed that
    "direct dialogue works better than megaphones." Officials from the European Union and the
    United Nations attended the final session as observers.</p>
    <p>The crossing, near the town of Ijevan, is expected to reopen for trucks within six weeks,
    according to a joint statement released by the Austrian Foreign Ministry.</p>
  </article>
  <footer>© 2024 The Daily Dispatch. Contact: desk@dispatch.example</footer>
</body>
</html>
"""

EVERYONE_ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Summit Chat Leak Shows Aides Pinging @everyone</title></head>
<body>
  <article>
    <h1>Summit Chat Leak Shows Aides Pinging @everyone</h1>
    <p class="byline">By Tomas Lindqvist</p>
    <p>GENEVA — A leaked group chat from last week's summit shows an aide writing
    "@everyone the communique is final, stop editing it" an hour before the deadline.</p>
    <p>"We all got the alert at once and nobody could find the latest draft," one delegate
    said. Another message in the chat read "@here lunch is moved to the second floor."</p>
    <p>The Swiss Foreign Ministry declined to comment on the leak on Tuesday.</p>
  </article>
</body>
</html>
"""

PLAIN_TEXT_ARTICLE = """Ceasefire Talks Resume in Doha

By Leila Haddad
June 2, 2024

DOHA — Negotiators from both sides returned to Doha on Sunday for a new round of talks on a
ceasefire, mediated by Qatar and Egypt.

"We came here to finish the work, not to start it again," the Qatari prime minister,
Mohammed bin Abdulrahman Al Thani, said at a news conference.

Diplomats said the talks could last a week.
"""

# A page whose text is full of Discord markup: a masked link in a quote, spoilers, code, mentions.
MASKED_LINK = "[Free Nitro](https://evil.example/x)"
MARKUP_ARTICLE_TITLE = "Envoys Trade `Barbs` and ||Secrets|| at <@&1> Summit"
MARKUP_ARTICLE_HTML = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{MARKUP_ARTICLE_TITLE}</title></head>
<body>
  <article>
    <h1>{MARKUP_ARTICLE_TITLE}</h1>
    <p>OSLO — Envoys from Norway and Sweden traded barbs on Monday at a summit on fishing
    rights, after a leaked memo circulated among the delegations.</p>
    <p>"Read the memo at {MASKED_LINK} before you judge us," Anna Berg, Norway's foreign
    minister, told reporters after the meeting in Oslo.</p>
    <p>Ms. Berg said the talks would continue in Stockholm next month, and Swedish officials
    said they would answer the memo in writing.</p>
  </article>
</body>
</html>
"""

# The long page of issue 13: ~150,000 words of invented news (about 935,000 characters).
LONG_PAGE_WORDS = 150_000

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

OVERSIZED_BYTES = 6_000_000
ENDLESS_LIMIT_BYTES = 1_000_000_000


def benchmark_page_ids() -> list[str]:
    """Ids of the saved benchmark pages, or skip the test when ../shared is absent."""
    if not BENCHMARK_HTML.is_dir():
        pytest.skip(
            "needs ../shared/data/article-extraction-benchmark/html "
            "(internal datasets, not in a plain clone)"
        )
    return sorted(path.name.removesuffix(".html.gz") for path in BENCHMARK_HTML.glob("*.html.gz"))


def benchmark_page_bytes(page_id: str) -> bytes:
    """The decompressed HTML of one saved benchmark page."""
    return gzip.decompress((BENCHMARK_HTML / f"{page_id}.html.gz").read_bytes())


def _bound_port(site: web.TCPSite) -> int:
    """The port the OS picked for a site started on port 0."""
    server: Any = site._server
    return int(server.sockets[0].getsockname()[1])


class PageServer:
    """Serves the pages; ``url(path)`` gives their addresses. Counts bytes streamed out."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = asyncio.Event()
        self.streamed_bytes: dict[str, int] = {}
        self.hits: list[str] = []
        self._long_page: bytes | None = None

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(middlewares=[self._count_hits])
        get = app.router.add_get
        get("/news/ministers-border.html", self._html(NEWS_ARTICLE_HTML))
        get("/news/everyone.html", self._html(EVERYONE_ARTICLE_HTML))
        get("/news/ceasefire.txt", self._plain_text)
        get("/news/ministers-border.xhtml", self._xhtml)
        get("/news/latin1.html", self._latin1)
        get("/news/markup.html", self._html(MARKUP_ARTICLE_HTML))
        get("/news/long.html", self._long)
        get("/news/charset/{charset}.html", self._declared_charset)
        get("/news/unreadable.html", self._unreadable)
        get("/missing", self._missing)
        get("/broken", self._server_error)
        get("/report.pdf", self._pdf)
        get("/photo.png", self._png)
        get("/untyped", self._untyped)
        get("/redirect/{hops}", self._redirect)
        get("/to-private", self._redirect_to("http://10.0.0.1/news.html"))
        get("/to-metadata", self._redirect_to("http://169.254.169.254/latest/meta-data/"))
        get("/to-ftp", self._redirect_to("ftp://files.example.org/article.txt"))
        get("/to-relative", self._redirect_to("../news/ministers-border.html"))
        get("/redirect-no-location", self._redirect_without_location)
        get("/redirect-to", self._redirect_to_query)
        get("/oversized.html", self._stream(OVERSIZED_BYTES))
        get("/endless.html", self._stream(ENDLESS_LIMIT_BYTES))
        get("/gzip-bomb.html", self._gzip_bomb)
        get("/slow.html", self._slow_headers)
        get("/slow-body.html", self._slow_body)
        get("/benchmark/{page_id}.html", self._benchmark)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = _bound_port(site)

    async def close(self) -> None:
        """Release slow handlers and stop."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        """The TCP port served on."""
        assert self._port is not None, "the page server is not started"
        return self._port

    def url(self, path: str) -> str:
        """The address of a page on this server."""
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    @web.middleware
    async def _count_hits(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.hits.append(request.path)
        return await handler(request)

    @staticmethod
    def _html(text: str) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            return web.Response(body=text.encode("utf-8"), headers={"Content-Type": HTML_TYPE})

        return handler

    async def _plain_text(self, request: web.Request) -> web.Response:
        return web.Response(text=PLAIN_TEXT_ARTICLE, content_type="text/plain", charset="utf-8")

    async def _xhtml(self, request: web.Request) -> web.Response:
        return web.Response(
            body=NEWS_ARTICLE_HTML.encode(), headers={"Content-Type": "application/xhtml+xml"}
        )

    async def _latin1(self, request: web.Request) -> web.Response:
        text = "<html><body><p>Le ministre a déclaré : « Nous avançons. »</p></body></html>"
        return web.Response(
            body=text.encode("iso-8859-1"),
            headers={"Content-Type": "text/html; charset=ISO-8859-1"},
        )

    async def _long(self, request: web.Request) -> web.Response:
        if self._long_page is None:
            self._long_page = (await asyncio.to_thread(long_article_html, LONG_PAGE_WORDS)).encode()
        return web.Response(body=self._long_page, headers={"Content-Type": HTML_TYPE})

    async def _declared_charset(self, request: web.Request) -> web.Response:
        """The news article, declared in whatever charset the path names (undefined, idna…)."""
        charset = request.match_info["charset"]
        return web.Response(
            body=NEWS_ARTICLE_HTML.encode("utf-8"),
            headers={"Content-Type": f"text/html; charset={charset}"},
        )

    async def _unreadable(self, request: web.Request) -> web.Response:
        """Bytes that are no text in any charset, declared as a broken one."""
        noise = bytes((i * 73 + 41) % 256 for i in range(20_000))
        return web.Response(
            body=b"<html><body><p>" + noise + b"</p></body></html>",
            headers={"Content-Type": "text/html; charset=undefined"},
        )

    async def _missing(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text="<h1>Not here</h1>", content_type="text/html")

    async def _server_error(self, request: web.Request) -> web.Response:
        return web.Response(status=503, text="busy", content_type="text/plain")

    async def _pdf(self, request: web.Request) -> web.Response:
        return web.Response(body=PDF_BYTES, headers={"Content-Type": "application/pdf"})

    async def _png(self, request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG\r\n\x1a\n", headers={"Content-Type": "image/png"})

    async def _untyped(self, request: web.Request) -> web.Response:
        response = web.Response(body=b"\x00\x01 no type declared")
        response.headers.pop("Content-Type", None)
        return response

    async def _redirect(self, request: web.Request) -> web.Response:
        hops = int(request.match_info["hops"])
        target = "/news/ministers-border.html" if hops <= 1 else f"/redirect/{hops - 1}"
        raise web.HTTPFound(target)

    @staticmethod
    def _redirect_to(location: str) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            raise web.HTTPFound(location)

        return handler

    async def _redirect_to_query(self, request: web.Request) -> web.Response:
        """A redirect to wherever ?location= says (for the fetcher's redirect errors)."""
        raise web.HTTPFound(request.query["location"])

    async def _redirect_without_location(self, request: web.Request) -> web.Response:
        return web.Response(status=302)

    def _stream(self, total: int) -> Handler:
        """HTML of ``total`` bytes, written in chunks so nothing holds it whole."""

        async def handler(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": HTML_TYPE})
            response.content_length = total
            await response.prepare(request)
            chunk = (b"<p>" + b"Diplomats met again. " * 3_000 + b"</p>\n")[:65_536]
            sent = 0
            self.streamed_bytes[request.path] = 0
            with contextlib.suppress(ConnectionError, RuntimeError):
                await response.write(b"<html><body>")
                sent = 12
                while sent < total:
                    piece = chunk[: total - sent]
                    await response.write(piece)
                    sent += len(piece)
                    self.streamed_bytes[request.path] = sent
                await response.write_eof()
            return response

        return handler

    async def _gzip_bomb(self, request: web.Request) -> web.Response:
        body = gzip.compress(b"<html><body>" + b" " * 50_000_000, compresslevel=9)
        return web.Response(
            body=body, headers={"Content-Type": HTML_TYPE, "Content-Encoding": "gzip"}
        )

    async def _slow_headers(self, request: web.Request) -> web.Response:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), 30)
        return web.Response(text="<p>too late</p>", content_type="text/html")

    async def _slow_body(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": HTML_TYPE})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.write(b"<html><body><p>Talks began")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), 30)
        return response

    async def _benchmark(self, request: web.Request) -> web.Response:
        page_id = request.match_info["page_id"]
        path = BENCHMARK_HTML / f"{page_id}.html.gz"
        if "/" in page_id or not path.is_file():
            return web.Response(status=404, text="no such page", content_type="text/plain")
        body = await asyncio.to_thread(benchmark_page_bytes, page_id)
        return web.Response(body=body, headers={"Content-Type": HTML_TYPE})


@pytest.fixture
async def page_server() -> AsyncIterator[PageServer]:
    """A started page server, closed after the test."""
    server = PageServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
