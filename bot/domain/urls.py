"""When two links point at the same page, and when two texts are the same article."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
