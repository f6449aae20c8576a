"""Faults and rate limits: canned failures and 429s shaped the way discord.py reads them.

No HTTP here: the REST part asks ``take_fault`` and ``apply_rate_limits`` before it runs a route
handler and turns a ``CannedAnswer`` into the response.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from tests.discord_double.records import path_pattern

DEFAULT_ERROR_BODIES: dict[int, dict[str, Any]] = {
    400: {"code": 50035, "message": "Invalid Form Body"},
    401: {"code": 0, "message": "401: Unauthorized"},
    403: {"code": 50013, "message": "Missing Permissions"},
    404: {"code": 10003, "message": "Unknown Channel"},
    500: {"code": 0, "message": "500: Internal Server Error"},
    502: {"code": 0, "message": "502: Bad Gateway"},
    503: {"code": 0, "message": "503: Service Unavailable"},
}


@dataclass(frozen=True)
class CannedAnswer:
    """A JSON answer given instead of the route handler's."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Fault:
    """A canned failure answered instead of the real handler, ``remaining`` more times."""

    method: str
    pattern: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    remaining: int
    hits: int = 0

    @classmethod
    def for_status(
        cls,
        method: str,
        path: str,
        status: int,
        *,
        times: int,
        code: int | None,
        message: str | None,
        retry_after: float,
        is_global: bool,
    ) -> Fault:
        """A fault with Discord's body for ``status`` (429: a real rate limit with its headers)."""
        headers: dict[str, str] = {}
        if status == 429:
            body: dict[str, Any] = {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": is_global,
            }
            if code is not None:
                body["code"] = code
            headers = rate_limit_headers(
                limit=1, remaining=0, reset_after=retry_after, bucket="fault", is_global=is_global
            )
        else:
            body = dict(DEFAULT_ERROR_BODIES.get(status, {"code": 0, "message": f"{status}"}))
            if code is not None:
                body["code"] = code
            if message is not None:
                body["message"] = message
        return cls(method.upper(), path_pattern(path), status, body, headers, times)


@dataclass
class RateLimit:
    """A fixed-window limiter; per major parameter unless global."""

    name: str
    method: str | None
    pattern: re.Pattern[str] | None
    limit: int
    per_s: float
    is_global: bool
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    refused: int = 0


def rate_limit_headers(
    *, limit: int, remaining: int, reset_after: float, bucket: str, is_global: bool = False
) -> dict[str, str]:
    """Discord's bucket headers; on a refusal also ``Via`` (without it discord.py sees a ban)."""
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }
    if remaining == 0:
        headers["Via"] = "1.1 google"
        headers["Retry-After"] = str(max(1, math.ceil(reset_after)))
        headers["X-RateLimit-Scope"] = "global" if is_global else "user"
        if is_global:
            headers["X-RateLimit-Global"] = "true"
    return headers


def take_fault(faults: list[Fault], method: str, path: str) -> Fault | None:
    """The first armed fault matching the request, used up by one."""
    for fault in faults:
        if fault.remaining > 0 and fault.method == method and fault.pattern.match(path):
            fault.remaining -= 1
            fault.hits += 1
            return fault
    return None


def apply_rate_limits(
    rate_limits: list[RateLimit], method: str, path: str
) -> tuple[CannedAnswer | None, dict[str, str]]:
    """Count the request in every matching limiter: a 429 to answer, or the bucket headers."""
    now = time.monotonic()
    headers: dict[str, str] = {}
    for limiter in rate_limits:
        if limiter.method and limiter.method != method:
            continue
        if limiter.pattern and not limiter.pattern.match(path):
            continue
        major = "global"
        if not limiter.is_global:
            found = re.match(r"^/(?:channels|guilds)/\d+|^/webhooks/\d+/[^/]+", path)
            major = found.group(0) if found else path
        start, count = limiter.windows.get(major, (now, 0))
        if now - start >= limiter.per_s:
            start, count = now, 0
        count += 1
        limiter.windows[major] = (start, count)
        reset_after = max(0.001, limiter.per_s - (now - start))
        if count > limiter.limit:
            limiter.refused += 1
            body = {
                "message": "You are being rate limited.",
                "retry_after": round(reset_after, 3),
                "global": limiter.is_global,
            }
            refusal_headers = rate_limit_headers(
                limit=limiter.limit,
                remaining=0,
                reset_after=reset_after,
                bucket=limiter.name,
                is_global=limiter.is_global,
            )
            return CannedAnswer(429, body, refusal_headers), {}
        if not limiter.is_global:
            headers = rate_limit_headers(
                limit=limiter.limit,
                remaining=limiter.limit - count,
                reset_after=reset_after,
                bucket=limiter.name,
            )
    return None, headers
