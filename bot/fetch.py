"""Fetch an article page safely: only public http(s) hosts, bounded in time, size and redirects.

Safety against server-side request forgery rests on one rule: every address a connection can
reach has been vetted. IP literals are checked before any request; host names are checked
inside the connector's resolver (``VettingResolver``), so the addresses that were checked are
the addresses that are connected to, on every redirect hop, and DNS rebinding between a check
and the connection is impossible. Sessions from ``new_fetch_session`` carry that resolver; any
other session gets a pre-connection check of every resolved address instead (weaker: the
connector resolves again).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import ipaddress
import logging
import socket
import ssl
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import aiohttp
import charset_normalizer
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.domain.errors import FetchError
from bot.domain.limits import MAX_LINK_CHARS

log = logging.getLogger(__name__)

USER_AGENT = "Diplobrief/0.1 (Discord bot that briefs people on diplomatic news)"
ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8"
ALLOWED_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_LENGTH = MAX_LINK_CHARS
CHUNK_BYTES = 64 * 1024

_FRIENDLY_TYPES = {
    "application/pdf": "a PDF",
    "application/json": "JSON data",
    "application/xml": "an XML file",
    "text/xml": "an XML file",
    "application/rss+xml": "an RSS feed",
    "application/atom+xml": "an Atom feed",
    "application/zip": "a ZIP archive",
    "application/octet-stream": "a binary file",
    "application/msword": "a Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word document",
    "text/csv": "a CSV file",
}


@dataclass(frozen=True)
class FetchedPage:
    """A fetched page: final URL after redirects, its declared type, and at most max_bytes."""

    url: str
    content_type: str
    charset: str | None
    body: bytes
    truncated: bool

    def text(self) -> str:
        """The body as text: in its declared charset when that is a real one that reads it,
        else UTF-8, else the charset the bytes look like; FetchError when nothing reads it.

        Pages declare charsets Python knows but that are no charsets ("undefined" always
        fails, "idna" and "punycode" are host-name codecs) or that do not match the bytes.
        """
        declared = _text_codec(self.charset)
        if declared is not None:
            text = self.body.decode(declared, errors="replace")
            if _readable(text):
                return text
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        guess = charset_normalizer.from_bytes(self.body).best()
        if guess is not None:
            text = self.body.decode(guess.encoding, errors="replace")
            if _readable(text):
                log.info("%s: read as %s (declared %s)", self.url, guess.encoding, self.charset)
                return text
        shown = f"declares the character set {self.charset!r} and " if self.charset else ""
        raise FetchError(
            f"This page's text could not be read: it {shown}is not in any character set "
            "I can recognise."
        )


# Codecs Python has that no web page's text is written in.
_NOT_CHARSETS = frozenset(
    {"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "utf-7"}
)
UNREADABLE_SHARE = 0.02  # more replacement characters than this: the charset is wrong


def _text_codec(charset: str | None) -> str | None:
    """The Python codec of a declared charset, or None when it names none fit for a page."""
    if not charset:
        return None
    try:
        info = codecs.lookup(charset.strip().strip("\"'"))
    except LookupError:
        return None
    # codecs has no public way to tell a charset from a transform such as rot13 or base64.
    if not info._is_text_encoding or info.name in _NOT_CHARSETS:
        return None
    return info.name


def _readable(text: str) -> bool:
    """Whether decoding left text, not a field of replacement characters."""
    return text.count("\ufffd") <= UNREADABLE_SHARE * max(len(text), 1)


class RefusedAddressError(OSError):
    """A host resolved to an address Diplobrief must not connect to."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def _address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not a public internet host, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return _address_kind(address.ipv4_mapped)
        if address in _SIX_TO_FOUR:
            return "6to4 relay"  # 2002:AABB:CCDD::/48 tunnels to IPv4 AA.BB.CC.DD, any of them
        if address.is_site_local:
            return "site-local"  # fec0::/10: deprecated, but still a private network
    if address.is_loopback:
        return "loopback"
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "non-public"
    return None


def address_refusal(address: str, *, allow_loopback: bool = False) -> str | None:
    """The user-facing reason an address is refused, or None when it may be fetched."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"The address {address} could not be understood, so it was not fetched."
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    kind = _address_kind(parsed)
    if kind is None or (kind == "loopback" and allow_loopback):
        return None
    return (
        f"This link points to a {kind} network address ({parsed}); "
        "Diplobrief only fetches pages from the public internet."
    )


class VettingResolver(AbstractResolver):
    """Resolves through aiohttp's default resolver and refuses hosts with any non-public address.

    Used as the connector's resolver, it vets exactly the addresses that will be connected to.
    """

    def __init__(self, *, allow_loopback: bool = False, inner: AbstractResolver | None = None):
        self.allow_loopback = allow_loopback
        self._inner = inner or aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Every resolved address must be public (loopback too when allowed), or none is used."""
        results = await self._inner.resolve(host, port, family)
        for result in results:
            reason = address_refusal(result["host"], allow_loopback=self.allow_loopback)
            if reason is not None:
                log.info("Refused %s: resolves to %s", host, result["host"])
                raise RefusedAddressError(reason)
        return results

    async def close(self) -> None:
        """Release the wrapped resolver."""
        await self._inner.close()


_vetted_connectors: weakref.WeakKeyDictionary[aiohttp.BaseConnector, bool] = (
    weakref.WeakKeyDictionary()
)


def new_fetch_session(
    *,
    allow_private: bool = False,
    resolver: AbstractResolver | None = None,
    trace_configs: list[aiohttp.TraceConfig] | None = None,
) -> aiohttp.ClientSession:
    """A session whose connector vets every resolved address (the caller closes it).

    ``resolver`` replaces the system resolver under the vetting (tests map names with it).
    """
    connector = aiohttp.TCPConnector(
        resolver=VettingResolver(allow_loopback=allow_private, inner=resolver), limit_per_host=4
    )
    _vetted_connectors[connector] = allow_private
    return aiohttp.ClientSession(
        connector=connector,
        headers={"User-Agent": USER_AGENT},
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        trace_configs=trace_configs,
    )


def _describe_type(content_type: str) -> str:
    if content_type in _FRIENDLY_TYPES:
        return _FRIENDLY_TYPES[content_type]
    major = content_type.split("/", 1)[0]
    friendly = {"image": "an image", "video": "a video", "audio": "an audio file"}.get(major)
    return friendly or "a file"


def _refuse_legacy_numeric_host(host: str, *, allow_private: bool) -> None:
    """Hosts like 2130706433 or 0x7f000001 are IPv4 addresses in disguise; never fetch them."""
    try:
        packed = socket.inet_aton(host)
    except OSError:
        return
    address = socket.inet_ntoa(packed)
    reason = address_refusal(address, allow_loopback=allow_private)
    raise FetchError(
        reason
        or f"This link writes the address {address} in an unusual numeric form; it was not fetched."
    )


def _checked_url(raw: str | URL, *, allow_private: bool) -> URL:
    """The URL if its scheme and host are acceptable; literal IPs are vetted here."""
    text = str(raw).strip()
    if len(text) > MAX_URL_LENGTH:
        raise FetchError(f"This link is longer than {MAX_URL_LENGTH} characters.")
    try:
        url = URL(text)
    except (ValueError, TypeError) as error:
        raise FetchError("This does not look like a web link.") from error
    if url.scheme not in ("http", "https"):
        shown = f"{url.scheme}:" if url.scheme else "no scheme"
        raise FetchError(f"Only http:// and https:// links can be fetched (this one has {shown}).")
    if not url.host:
        raise FetchError("This link has no host name.")
    if url.user is not None or url.password is not None:
        raise FetchError("Links with a user name or password in them are not fetched.")
    host = url.host
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        _refuse_legacy_numeric_host(host, allow_private=allow_private)
        name = host.rstrip(".").lower()
        if (name == "localhost" or name.endswith(".localhost")) and not allow_private:
            raise FetchError(
                "This link points to this machine (localhost); "
                "Diplobrief only fetches pages from the public internet."
            ) from None
        return url
    reason = address_refusal(host, allow_loopback=allow_private)
    if reason is not None:
        raise FetchError(reason)
    return url


async def _vet_by_lookup(url: URL, *, allow_private: bool) -> None:
    """For sessions without a VettingResolver: check every address the host resolves to now."""
    host = url.host
    assert host is not None
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host.split("%", 1)[0])
        return
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise FetchError(f"The site {host} could not be found.") from error
    for info in infos:
        reason = address_refusal(str(info[4][0]), allow_loopback=allow_private)
        if reason is not None:
            raise FetchError(reason)


def _status_refusal(response: aiohttp.ClientResponse) -> FetchError:
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = response.reason or "an error"
    return FetchError(f"The site answered {response.status} {phrase}.")


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> tuple[bytes, bool]:
    """Stream the body; stop at max_bytes (decompressed) without reading the rest."""
    received = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        room = max_bytes - len(received)
        if len(chunk) > room:
            received += chunk[:room]
            return bytes(received), True
        received += chunk
    return bytes(received), False


async def _fetch_with(
    session: aiohttp.ClientSession,
    url: URL,
    *,
    hops: list[URL],
    vetted_session: bool,
    allow_private: bool,
    timeout_s: float,
    max_bytes: int,
    max_redirects: int,
) -> FetchedPage:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Language": "en"}
    request_timeout = aiohttp.ClientTimeout(total=timeout_s)
    for hop in range(max_redirects + 1):
        hops.append(url)  # the caller names this host if connecting to it fails
        if not vetted_session:
            await _vet_by_lookup(url, allow_private=allow_private)
        async with session.get(
            url, headers=headers, allow_redirects=False, timeout=request_timeout
        ) as response:
            if response.status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(f"The site answered {response.status} without a location.")
                if hop == max_redirects:
                    raise FetchError(
                        f"The link redirected more than {max_redirects} times; giving up."
                    )
                try:
                    target = response.url.join(URL(location))
                except ValueError as error:
                    raise FetchError("The site redirected to an unreadable address.") from error
                url = _checked_url(target, allow_private=allow_private)
                log.debug("Redirect %s → %s", response.url, url)
                continue
            if response.status >= 400 or response.status < 200:
                raise _status_refusal(response)
            content_type = response.content_type.lower()
            if content_type not in ALLOWED_CONTENT_TYPES:
                raise FetchError(
                    f"This link is {_describe_type(content_type)} ({content_type}), "
                    "not an article page."
                )
            body, truncated = await _read_capped(response, max_bytes)
            if truncated:
                log.info("Cut %s at %d bytes", response.url, max_bytes)
            return FetchedPage(
                url=str(response.url),
                content_type=content_type,
                charset=response.charset.lower() if response.charset else None,
                body=body,
                truncated=truncated,
            )
    raise FetchError(f"The link redirected more than {max_redirects} times; giving up.")


def _connection_refusal(error: aiohttp.ClientError, url: URL) -> FetchError:
    """Turn aiohttp's connection errors into reasons a user can read."""
    cause: Any = getattr(error, "os_error", None) or error.__cause__
    if isinstance(cause, RefusedAddressError):
        return FetchError(cause.reason)
    host = url.host or "the site"
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return FetchError(f"The site {host} could not be found.")
    if isinstance(error, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return FetchError(f"The secure connection to {host} could not be verified.")
    if isinstance(error, aiohttp.ClientConnectorError):
        return FetchError(f"Could not connect to {host}.")
    if isinstance(error, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
        return FetchError(f"The connection to {host} broke while reading the page.")
    if isinstance(error, aiohttp.InvalidURL):
        return FetchError("This does not look like a web link.")
    return FetchError(f"Could not fetch the page from {host}.")


async def fetch_page(
    url: str,
    *,
    session: aiohttp.ClientSession | None = None,
    allow_private: bool = False,
    timeout_s: float = 15,
    max_bytes: int = 5_000_000,
    max_redirects: int = 5,
) -> FetchedPage:
    """Fetch an article page within the limits; raise FetchError saying why when refused.

    ``allow_private`` admits loopback addresses only (for tests against 127.0.0.1); private,
    link-local (cloud metadata), multicast, reserved and unspecified addresses stay refused.
    """
    checked = _checked_url(url, allow_private=allow_private)
    hops: list[URL] = []
    own_session = session is None
    active = session if session is not None else new_fetch_session(allow_private=allow_private)
    # A session from new_fetch_session vets host names itself, with its own allow_private.
    vetted = active.connector is not None and active.connector in _vetted_connectors
    try:
        async with asyncio.timeout(timeout_s):
            return await _fetch_with(
                active,
                checked,
                hops=hops,
                vetted_session=vetted,
                allow_private=allow_private,
                timeout_s=timeout_s,
                max_bytes=max_bytes,
                max_redirects=max_redirects,
            )
    except TimeoutError as error:
        raise FetchError(
            f"The site took longer than {timeout_s:g} seconds to answer; giving up."
        ) from error
    except aiohttp.ClientError as error:
        # After a redirect it is the target that failed: name its host, not the first one.
        raise _connection_refusal(error, hops[-1] if hops else checked) from error
    except (ssl.SSLError, UnicodeError) as error:
        host = (hops[-1] if hops else checked).host
        raise FetchError(f"Could not fetch the page from {host}.") from error
    finally:
        if own_session:
            await active.close()


# --- feeds ------------------------------------------------------------------------------------

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5,"
    " */*;q=0.1"
)
# Servers label feeds in many ways (text/plain, octet-stream…); the parser decides.
FEED_REFUSED_MAJOR_TYPES = frozenset({"image", "video", "audio", "font"})
PERMANENT_REDIRECTS = frozenset({301, 308})


class FeedHttpError(FetchError):
    """The feed's server answered with an error status (`reason` is short, for /feed list)."""

    def __init__(self, status: int, phrase: str) -> None:
        super().__init__(f"The feed answered HTTP {status} {phrase}.".replace("  ", " "))
        self.status = status
        self.reason = f"HTTP {status}"


@dataclass(frozen=True)
class FeedResponse:
    """A feed fetch: 200 with a body, or 304 (not modified, no body).

    `moved_to` is the URL a chain of permanent redirects (301/308) from the start led to, so
    the stored URL can follow; a temporary redirect anywhere in the chain keeps the old one.
    """

    status: int
    url: str
    content_type: str | None
    charset: str | None
    body: bytes
    truncated: bool
    etag: str | None
    last_modified: str | None
    cache_control: str | None
    moved_to: str | None = None


async def fetch_feed(
    url: str,
    *,
    session: aiohttp.ClientSession,
    allow_private: bool = False,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = 20,
    max_bytes: int = 5_000_000,
    max_redirects: int = 5,
) -> FeedResponse:
    """Fetch a feed (or a page naming feeds) conditionally, within the same safety rules."""
    checked = _checked_url(url, allow_private=allow_private)
    vetted = session.connector is not None and session.connector in _vetted_connectors
    headers = {"User-Agent": USER_AGENT, "Accept": FEED_ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request_timeout = aiohttp.ClientTimeout(total=timeout_s)
    current = checked
    permanent = True
    try:
        async with asyncio.timeout(timeout_s):
            for hop in range(max_redirects + 1):
                if not vetted:
                    await _vet_by_lookup(current, allow_private=allow_private)
                async with session.get(
                    current, headers=headers, allow_redirects=False, timeout=request_timeout
                ) as response:
                    if response.status in REDIRECT_STATUSES:
                        location = response.headers.get("Location")
                        if not location or hop == max_redirects:
                            raise FetchError(
                                f"The feed redirected badly ({response.status}); giving up."
                            )
                        permanent = permanent and response.status in PERMANENT_REDIRECTS
                        try:
                            target = response.url.join(URL(location))
                        except ValueError as error:
                            raise FetchError(
                                "The feed redirected to an unreadable address."
                            ) from error
                        current = _checked_url(target, allow_private=allow_private)
                        continue
                    moved = str(current) if permanent and current != checked else None
                    if response.status == 304:
                        return FeedResponse(
                            304, str(response.url), None, None, b"", False,
                            response.headers.get("ETag") or etag,
                            response.headers.get("Last-Modified") or last_modified,
                            response.headers.get("Cache-Control"), moved,
                        )  # fmt: skip
                    if response.status >= 400 or response.status < 200:
                        try:
                            phrase = HTTPStatus(response.status).phrase
                        except ValueError:
                            phrase = response.reason or ""
                        raise FeedHttpError(response.status, phrase)
                    content_type = response.content_type.lower()
                    if content_type.split("/", 1)[0] in FEED_REFUSED_MAJOR_TYPES:
                        raise FetchError(
                            f"This link is {_describe_type(content_type)} ({content_type}), "
                            "not a feed."
                        )
                    body, truncated = await _read_capped(response, max_bytes)
                    return FeedResponse(
                        status=response.status,
                        url=str(response.url),
                        content_type=content_type,
                        charset=response.charset.lower() if response.charset else None,
                        body=body,
                        truncated=truncated,
                        etag=response.headers.get("ETag"),
                        last_modified=response.headers.get("Last-Modified"),
                        cache_control=response.headers.get("Cache-Control"),
                        moved_to=moved,
                    )
    except TimeoutError as error:
        raise FetchError(
            f"The feed took longer than {timeout_s:g} seconds to answer; giving up."
        ) from error
    except aiohttp.ClientError as error:
        raise _connection_refusal(error, current) from error
    except (ssl.SSLError, UnicodeError) as error:
        raise FetchError(f"Could not fetch the feed from {current.host}.") from error
    raise FetchError(f"The feed redirected more than {max_redirects} times; giving up.")


Sleep = Callable[[float], Awaitable[None]]


class HostLimiter:
    """Politeness per host: at most `concurrency` requests at once and `interval_s` between
    the starts of two requests to the same host (feed documents and their articles alike).

    Time is injected (`monotonic`, `sleep`), so tests need no real waiting.
    """

    def __init__(
        self,
        concurrency: int = 2,
        interval_s: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.concurrency = max(1, concurrency)
        self.interval_s = max(0.0, interval_s)
        self._monotonic = monotonic
        self._sleep = sleep
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one of the host's slots for a request, started no sooner than allowed."""
        host = (URL(url).host or "").lower()
        semaphore = self._slots.setdefault(host, asyncio.Semaphore(self.concurrency))
        self._users[host] = self._users.get(host, 0) + 1
        try:
            async with semaphore:
                while True:
                    now = self._monotonic()
                    start = self._next_start.get(host, now)
                    if start <= now:
                        self._next_start[host] = now + self.interval_s
                        break
                    await self._sleep(start - now)
                yield
        finally:
            self._users[host] -= 1
            if not self._users[host]:
                # Nobody waits for this host: forget it, unless its spacing still applies.
                del self._users[host]
                if self._next_start.get(host, 0.0) <= self._monotonic():
                    self._slots.pop(host, None)
                    self._next_start.pop(host, None)


def check_link(url: str, *, allow_private: bool = False) -> str:
    """The link if it may be fetched at all (scheme, host, no private literal), else FetchError.

    Names are resolved and vetted only when fetched; this is the check before storing one.
    """
    return str(_checked_url(url.strip().strip("<>"), allow_private=allow_private))
