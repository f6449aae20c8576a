"""When two links point at the same page, and when two texts are the same article."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.domain.errors import BadInputError
from bot.domain.limits import MAX_LINK_CHARS

_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "xtor",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The URL two links to the same page share: no tracking, fragment, default port or final /."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if not scheme or not parts.netloc:
        return url
    netloc = _canonical_netloc(scheme, parts.netloc)
    path = parts.path.rstrip("/")
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking_param(key)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _canonical_netloc(scheme: str, netloc: str) -> str:
    """Lower-case the host and drop the scheme's default port; user info is kept as written."""
    userinfo, _, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if hostport.startswith("["):  # IPv6 literal: [::1]:8080
        end = hostport.find("]")
        if end != -1:
            host, port = hostport[: end + 1], hostport[end + 1 :].removeprefix(":")
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    host = host.lower()
    if port and port.isdigit() and int(port) == _DEFAULT_PORTS.get(scheme):
        port = ""
    rebuilt = f"{host}:{port}" if port else host
    return f"{userinfo}@{rebuilt}" if userinfo else rebuilt


def _is_tracking_param(key: str) -> bool:
    """Whether a query parameter only tells the site where the click came from."""
    key = key.lower()
    return key.startswith("utm_") or key in _TRACKING_PARAMS


def text_fingerprint(text: str) -> str:
    """sha256 of the lower-cased, whitespace-collapsed text: the same article under any URL."""
    normalised = " ".join(text.lower().split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


_LINK_START = re.compile(r"https?://[^\s/?#]+", re.IGNORECASE)
# Never in an address anyone copies from a browser (they come percent-encoded), but the stuff
# of masked links and markup: "https://e.org/a) [Free Nitro](https://evil.example/x".
_NOT_IN_LINKS = frozenset('[]<>{}"\\`|^')
_IPV6_HOST = re.compile(r"(?:[^@\[\]]*@)?\[[0-9A-Fa-f:.]+(?:%[\w.~-]+)?\](?::\d+)?")


def checked_link(typed: str) -> str:
    """The web link a person typed (Discord's <link> form unwrapped), or BadInputError saying
    why it is not one: spaces, brackets, quotes and unbalanced parentheses are refused, not
    cut away, so what is stored and shown is exactly one address."""
    url = typed.strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1].strip()
    if not _LINK_START.match(url):
        raise BadInputError("That is not a web link: give a URL starting with http:// or https://.")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise BadInputError("A link cannot contain spaces: give the page's address alone.")
    scheme_end = url.index("://") + 3
    host_end = next((i for i, c in enumerate(url) if i >= scheme_end and c in "/?#"), len(url))
    host, rest = url[scheme_end:host_end], url[host_end:]
    if _IPV6_HOST.fullmatch(host):  # http://[2001:db8::1]/: the only brackets a link may have
        host = ""
    if (
        any(c in _NOT_IN_LINKS for c in host + rest)
        or rest.count("(") != rest.count(")")
        or "(" in host
        or ")" in host
    ):
        raise BadInputError(
            "That link has brackets or quotes in it; give the page's address alone."
        )
    if len(url) > MAX_LINK_CHARS:
        raise BadInputError(f"That link is longer than {MAX_LINK_CHARS:,} characters.")
    return url
