"""Point discord.py at a Discord-compatible server (a test double or a self-hosted one).

discord.py 2.7 has no setting for its endpoints: REST, interaction callbacks and webhooks all
build ``discord.http.Route`` URLs from the class attribute ``Route.BASE``, and a plain
``commands.Bot`` opens its first gateway connection at the class attribute
``DiscordWebSocket.DEFAULT_GATEWAY`` (a ``yarl.URL``) without asking ``GET /gateway/bot``;
reconnects then go to READY's ``resume_gateway_url``. These two attributes are the whole seam.
"""

from __future__ import annotations

import logging

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

log = logging.getLogger(__name__)

DISCORD_API_BASE: str = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL: yarl.URL = yarl.URL("wss://gateway.discord.gg/")

_API_SCHEMES = frozenset({"http", "https"})
_GATEWAY_SCHEMES = frozenset({"ws", "wss"})


def _validated_api_base(api_base: str) -> str:
    """Check that a REST base is an absolute http(s) URL; Route appends paths to it verbatim."""
    url = yarl.URL(api_base)
    if url.scheme not in _API_SCHEMES or not url.host:
        raise ValueError(f"Discord API base must be an http(s) URL with a host, got {api_base!r}")
    if url.query_string or url.fragment:
        raise ValueError(f"Discord API base must not carry a query or fragment, got {api_base!r}")
    return api_base.rstrip("/")


def _validated_gateway_url(gateway_url: str) -> yarl.URL:
    """Check that a gateway URL is an absolute ws(s) URL; discord.py adds its own query."""
    url = yarl.URL(gateway_url)
    if url.scheme not in _GATEWAY_SCHEMES or not url.host:
        raise ValueError(
            f"Discord gateway URL must be a ws(s) URL with a host, got {gateway_url!r}"
        )
    if url.query_string or url.fragment:
        raise ValueError(
            f"Discord gateway URL must not carry a query or fragment, got {gateway_url!r}"
        )
    return url


def point_discord_at(api_base: str | None, gateway_url: str | None) -> None:
    """Send discord.py's REST and gateway traffic to the given endpoints (None: real Discord)."""
    base = DISCORD_API_BASE if api_base is None else _validated_api_base(api_base)
    gateway = DISCORD_GATEWAY_URL if gateway_url is None else _validated_gateway_url(gateway_url)
    Route.BASE = base
    DiscordWebSocket.DEFAULT_GATEWAY = gateway
    log.info("Discord endpoints: API %s, gateway %s", base, gateway)


def current_discord_endpoints() -> tuple[str, yarl.URL]:
    """The REST base and gateway URL discord.py will use now."""
    return Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
