"""Fetching refuses what it must (unsafe hosts, wrong types, errors) and caps what it reads."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.domain.errors import FetchError
from bot.fetch import (
    USER_AGENT,
    FetchedPage,
    RefusedAddressError,
    VettingResolver,
    address_refusal,
    fetch_page,
    new_fetch_session,
)
from tests.pages import (
    NEWS_ARTICLE_TITLE,
    PDF_BYTES,
    PageServer,
    benchmark_page_bytes,
    benchmark_page_ids,
    page_server,
)

__all__ = ["page_server"]


class MappedResolver(AbstractResolver):
    """A resolver answering from a fixed table, as a DNS server under the test's control."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


class ConnectionLog:
    """Records every connection the session opens, to prove refused hosts were never touched."""

    def __init__(self) -> None:
        self.requested: list[str] = []
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._on_request_start)

    async def _on_request_start(self, session: Any, context: Any, params: Any) -> None:
        self.requested.append(str(params.url))


async def fetch_local(url: str, **options: Any) -> FetchedPage:
    return await fetch_page(url, allow_private=True, **options)


# --- pages that are fetched -----------------------------------------------------------------


async def test_synthetic_news_page_is_fetched(page_server: PageServer) -> None:
    page = await fetch_local(page_server.url("/news/ministers-border.html"))
    assert page.url == page_server.url("/news/ministers-border.html")
    assert (page.content_type, page.charset, page.truncated) == ("text/html", "utf-8", False)
    assert NEWS_ARTICLE_TITLE in page.text()
    assert "Ararat Mirzoyan" in page.text()


async def test_plain_text_and_xhtml_are_accepted(page_server: PageServer) -> None:
    text = await fetch_local(page_server.url("/news/ceasefire.txt"))
    assert text.content_type == "text/plain"
    assert text.text().startswith("Ceasefire Talks Resume in Doha")
    xhtml = await fetch_local(page_server.url("/news/ministers-border.xhtml"))
    assert xhtml.content_type == "application/xhtml+xml"


async def test_declared_charset_decodes_the_page(page_server: PageServer) -> None:
    page = await fetch_local(page_server.url("/news/latin1.html"))
    assert page.charset == "iso-8859-1"
    assert "« Nous avançons. »" in page.text()


async def test_user_agent_names_diplobrief(page_server: PageServer) -> None:
    seen: list[str] = []
    trace = aiohttp.TraceConfig()

    async def on_headers(session: Any, context: Any, params: Any) -> None:
        seen.append(params.headers.get("User-Agent", ""))

    trace.on_request_headers_sent.append(on_headers)
    async with new_fetch_session(allow_private=True, trace_configs=[trace]) as session:
        await fetch_page(
            page_server.url("/news/everyone.html"), session=session, allow_private=True
        )
    assert seen == [USER_AGENT] and "Diplobrief" in USER_AGENT


async def test_a_real_benchmark_page_is_fetched_whole(page_server: PageServer) -> None:
    page_id = benchmark_page_ids()[0]
    page = await fetch_local(page_server.url(f"/benchmark/{page_id}.html"))
    assert page.body == benchmark_page_bytes(page_id)
    assert page.content_type == "text/html" and not page.truncated


async def test_shared_session_is_reused_across_fetches(page_server: PageServer) -> None:
    async with new_fetch_session(allow_private=True) as session:
        for path in ("/news/ministers-border.html", "/news/ceasefire.txt", "/redirect/2"):
            page = await fetch_page(page_server.url(path), session=session, allow_private=True)
            assert page.body
        assert not session.closed


# --- redirects ------------------------------------------------------------------------------


async def test_two_redirects_are_followed_to_the_final_url(page_server: PageServer) -> None:
    page = await fetch_local(page_server.url("/redirect/2"))
    assert page.url == page_server.url("/news/ministers-border.html")
    assert page_server.hits == ["/redirect/2", "/redirect/1", "/news/ministers-border.html"]


async def test_redirect_limit_is_exact(page_server: PageServer) -> None:
    page = await fetch_local(page_server.url("/redirect/5"), max_redirects=5)
    assert NEWS_ARTICLE_TITLE in page.text()
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        await fetch_local(page_server.url("/redirect/6"), max_redirects=5)


async def test_seven_redirects_are_refused(page_server: PageServer) -> None:
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        await fetch_local(page_server.url("/redirect/7"))
    assert "/news/ministers-border.html" not in page_server.hits


async def test_relative_redirect_is_resolved(page_server: PageServer) -> None:
    page = await fetch_local(page_server.url("/to-relative"))
    assert page.url == page_server.url("/news/ministers-border.html")


@pytest.mark.parametrize(
    ("path", "address"),
    [("/to-private", "10.0.0.1"), ("/to-metadata", "169.254.169.254")],
)
async def test_redirect_to_private_address_is_refused_before_connecting(
    page_server: PageServer, path: str, address: str
) -> None:
    connections = ConnectionLog()
    async with new_fetch_session(allow_private=True, trace_configs=[connections.trace]) as session:
        with pytest.raises(FetchError, match=f"network address \\({address}\\)"):
            await fetch_page(page_server.url(path), session=session, allow_private=True)
    assert connections.requested == [page_server.url(path)]


async def test_redirect_to_another_scheme_is_refused(page_server: PageServer) -> None:
    with pytest.raises(FetchError, match=r"Only http:// and https:// .*ftp:"):
        await fetch_local(page_server.url("/to-ftp"))


async def test_redirect_without_location_is_refused(page_server: PageServer) -> None:
    with pytest.raises(FetchError, match="302 without a location"):
        await fetch_local(page_server.url("/redirect-no-location"))


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/file.txt", r"Only http:// and https://"),
        ("javascript:alert(1)", r"Only http:// and https://"),
        ("example.org/news", r"Only http:// and https://.*no scheme"),
        ("http:///news", "no host name"),
        ("http://user:secret@example.org/", "user name or password"),
        ("http://127.0.0.1:9/", r"loopback network address \(127\.0\.0\.1\)"),
        ("http://[::1]/", r"loopback network address \(::1\)"),
        ("http://10.1.2.3/", r"private network address \(10\.1\.2\.3\)"),
        ("http://192.168.0.10/", "private network address"),
        ("http://172.16.5.4/", "private network address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local network address"),
        ("http://[fe80::1]/", "link-local network address"),
        ("http://224.0.0.1/", "multicast network address"),
        ("http://240.0.0.1/", "reserved network address"),
        ("http://0.0.0.0/", "unspecified network address"),
        ("http://[::ffff:10.0.0.1]/", r"private network address \(10\.0\.0\.1\)"),
        ("http://[2002:7f00:1::]/", r"6to4 relay network address \(2002:7f00:1::\)"),
        ("http://[2002:5db8:d822::1]/", "6to4 relay network address"),
        ("http://[fec0::1]/", r"site-local network address \(fec0::1\)"),
        ("http://[feff::1]/", "site-local network address"),
        ("http://100.64.0.1/", "network address"),
        ("http://localhost/", "this machine"),
        ("http://LocalHost./", "this machine"),
        ("http://2130706433/", r"loopback network address \(127\.0\.0\.1\)"),
        ("http://0x7f000001/", r"loopback network address \(127\.0\.0\.1\)"),
        ("http://0xa000001/", r"private network address \(10\.0\.0\.1\)"),
        ("http://1249763874/", r"unusual numeric form"),
    ],
)
async def test_unsafe_urls_are_refused_without_a_request(url: str, reason: str) -> None:
    # The reason names the address class: a request to it would fail another way (no answer).
    with pytest.raises(FetchError, match=reason):
        await fetch_page(url)


async def test_allow_private_admits_loopback_only() -> None:
    assert address_refusal("127.0.0.1", allow_loopback=True) is None
    assert address_refusal("::1", allow_loopback=True) is None
    for address in ("10.0.0.1", "192.168.1.1", "169.254.169.254", "fd00::1", "0.0.0.0"):
        assert address_refusal(address, allow_loopback=True) is not None
    assert address_refusal("93.184.216.34") is None
    assert address_refusal("2606:4700::1111") is None


async def test_resolver_refuses_a_host_with_any_private_address() -> None:
    dns = MappedResolver({"mixed.example": ["93.184.216.34", "10.0.0.5"]})
    resolver = VettingResolver(inner=dns)
    with pytest.raises(RefusedAddressError, match=r"private network address \(10\.0\.0\.5\)"):
        await resolver.resolve("mixed.example", 80)


@pytest.fixture
async def mapped_session() -> AsyncIterator[tuple[aiohttp.ClientSession, ConnectionLog]]:
    dns = MappedResolver(
        {
            "news.example": ["127.0.0.1"],
            "intranet.example": ["10.0.0.7"],
            "rebind.example": ["127.0.0.1", "192.168.1.20"],
        }
    )
    connections = ConnectionLog()
    session = new_fetch_session(allow_private=True, resolver=dns, trace_configs=[connections.trace])
    async with session:
        yield session, connections


async def test_host_name_is_vetted_at_connect_time(
    page_server: PageServer, mapped_session: tuple[aiohttp.ClientSession, ConnectionLog]
) -> None:
    session, _ = mapped_session
    url = f"http://news.example:{page_server.port}/news/ministers-border.html"
    page = await fetch_page(url, session=session, allow_private=True)
    assert NEWS_ARTICLE_TITLE in page.text()
    for host in ("intranet.example", "rebind.example"):
        with pytest.raises(FetchError, match="private network address"):
            await fetch_page(
                f"http://{host}:{page_server.port}/news/ministers-border.html",
                session=session,
                allow_private=True,
            )
    assert page_server.hits == ["/news/ministers-border.html"]


async def test_host_resolving_to_loopback_is_refused_by_default(page_server: PageServer) -> None:
    dns = MappedResolver({"news.example": ["127.0.0.1"]})
    async with new_fetch_session(resolver=dns) as session:
        with pytest.raises(FetchError, match="loopback network address"):
            await fetch_page(
                f"http://news.example:{page_server.port}/news/ministers-border.html",
                session=session,
            )
    assert page_server.hits == []


async def test_plain_session_gets_a_lookup_check(page_server: PageServer) -> None:
    machine = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(machine, page_server.port)}
    except OSError:
        pytest.skip(f"this machine's name {machine!r} does not resolve")
    if all(address_refusal(str(address)) is None for address in addresses):
        pytest.skip(f"this machine's name {machine!r} resolves to public addresses")
    async with aiohttp.ClientSession() as session:
        page = await fetch_page(
            page_server.url("/news/ceasefire.txt"), session=session, allow_private=True
        )
        assert page.content_type == "text/plain"
        with pytest.raises(FetchError, match="network address"):
            await fetch_page(f"http://{machine}:{page_server.port}/news/x", session=session)
    assert page_server.hits == ["/news/ceasefire.txt"]


async def test_unknown_host_is_reported(
    mapped_session: tuple[aiohttp.ClientSession, ConnectionLog],
) -> None:
    session, _ = mapped_session
    with pytest.raises(FetchError, match="could not be found"):
        await fetch_page("http://nowhere.example/", session=session)


# --- answers that are not an article page ----------------------------------------------------


async def test_http_error_status_is_reported(page_server: PageServer) -> None:
    with pytest.raises(FetchError, match="The site answered 404 Not Found"):
        await fetch_local(page_server.url("/missing"))
    with pytest.raises(FetchError, match="The site answered 503 Service Unavailable"):
        await fetch_local(page_server.url("/broken"))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/report.pdf", r"This link is a PDF \(application/pdf\), not an article page"),
        ("/photo.png", r"This link is an image \(image/png\), not an article page"),
        ("/untyped", r"a binary file \(application/octet-stream\)"),
    ],
)
async def test_other_content_types_are_refused(
    page_server: PageServer, path: str, message: str
) -> None:
    with pytest.raises(FetchError, match=message):
        await fetch_local(page_server.url(path))


async def test_refused_pdf_body_is_not_read(page_server: PageServer) -> None:
    with pytest.raises(FetchError) as refused:
        await fetch_local(page_server.url("/report.pdf"))
    assert PDF_BYTES.decode("latin-1") not in str(refused.value)


# --- limits ---------------------------------------------------------------------------------


async def test_oversized_page_is_cut_at_the_cap(page_server: PageServer) -> None:
    page = await fetch_local(page_server.url("/oversized.html"))
    assert page.truncated
    assert len(page.body) == 5_000_000
    assert page.body.startswith(b"<html><body><p>Diplomats met again.")


async def test_page_exactly_at_the_cap_is_not_truncated(page_server: PageServer) -> None:
    page = await fetch_local(page_server.url("/oversized.html"), max_bytes=6_000_000)
    assert (len(page.body), page.truncated) == (6_000_000, False)


async def test_endless_page_is_streamed_not_loaded(page_server: PageServer) -> None:
    page = await fetch_local(page_server.url("/endless.html"), max_bytes=1_000_000)
    assert page.truncated and len(page.body) == 1_000_000
    assert page_server.streamed_bytes["/endless.html"] < 100_000_000


async def test_compressed_page_is_capped_after_decompression(page_server: PageServer) -> None:
    page = await fetch_local(page_server.url("/gzip-bomb.html"), max_bytes=1_000_000)
    assert page.truncated and len(page.body) == 1_000_000


async def test_slow_site_times_out(page_server: PageServer) -> None:
    # The page answers only after 30 s: without the timeout the fetch would succeed.
    with pytest.raises(FetchError, match=r"took longer than 0\.3 seconds"):
        await fetch_local(page_server.url("/slow.html"), timeout_s=0.3)


async def test_site_that_stalls_mid_body_times_out(page_server: PageServer) -> None:
    with pytest.raises(FetchError, match=r"took longer than 0\.3 seconds"):
        await fetch_local(page_server.url("/slow-body.html"), timeout_s=0.3)


async def test_closed_port_is_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match=r"Could not connect to 127\.0\.0\.1"):
        await fetch_local(f"http://127.0.0.1:{port}/")


async def test_a_failed_redirect_names_the_host_it_went_to(
    page_server: PageServer, mapped_session: tuple[aiohttp.ClientSession, ConnectionLog]
) -> None:
    session, _ = mapped_session
    start = page_server.url("/redirect-to?location=http://gone.example/news")
    with pytest.raises(FetchError, match=r"The site gone\.example could not be found"):
        await fetch_page(start, session=session, allow_private=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    start = page_server.url(f"/redirect-to?location=http://news.example:{closed}/x")
    with pytest.raises(FetchError, match=r"Could not connect to news\.example"):
        await fetch_page(start, session=session, allow_private=True)


@pytest.mark.parametrize("charset", ["undefined", "idna", "punycode", "utf-7", "rot13", "nope"])
async def test_a_page_declaring_a_broken_charset_is_still_read(
    page_server: PageServer, charset: str
) -> None:
    page = await fetch_local(page_server.url(f"/news/charset/{charset}.html"))
    assert page.charset == charset
    assert NEWS_ARTICLE_TITLE in page.text()


async def test_a_page_no_charset_can_read_says_so(page_server: PageServer) -> None:
    page = await fetch_local(page_server.url("/news/unreadable.html"))
    with pytest.raises(FetchError, match=r"could not be read.*'undefined'"):
        page.text()


def test_a_declared_charset_that_does_not_match_the_bytes_gives_way() -> None:
    body = "Le ministre a déclaré : « Nous avançons. »".encode()
    page = FetchedPage("http://x.example/", "text/html", "utf-16", body, False)
    assert page.text() == "Le ministre a déclaré : « Nous avançons. »"


def test_fetched_page_text_survives_an_unknown_charset() -> None:
    page = FetchedPage("http://x.example/", "text/html", "x-unknown", "é".encode(), False)
    assert page.text() == "é"
