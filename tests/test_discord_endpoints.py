"""The seam that points discord.py at another server; fails loudly if an upgrade moves it."""

from __future__ import annotations

from collections.abc import Iterator

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from commands.discord_endpoints import (
    DISCORD_API_BASE,
    DISCORD_GATEWAY_URL,
    current_discord_endpoints,
    point_discord_at,
)


@pytest.fixture(autouse=True)
def restore_endpoints() -> Iterator[None]:
    base, gateway = current_discord_endpoints()
    yield
    Route.BASE = base
    DiscordWebSocket.DEFAULT_GATEWAY = gateway


def test_discord_py_still_has_the_two_class_attributes() -> None:
    assert discord.version_info[:2] == (2, 7), "re-check Route.BASE and DEFAULT_GATEWAY"
    assert isinstance(Route.__dict__.get("BASE"), str)
    assert isinstance(DiscordWebSocket.__dict__.get("DEFAULT_GATEWAY"), yarl.URL)


def test_routes_and_gateway_follow_the_configured_endpoints() -> None:
    point_discord_at("http://127.0.0.1:8080/api/v10/", "ws://127.0.0.1:8080/gateway")
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=42)
    assert route.url == "http://127.0.0.1:8080/api/v10/channels/42/messages"
    assert yarl.URL("ws://127.0.0.1:8080/gateway") == DiscordWebSocket.DEFAULT_GATEWAY
    assert isinstance(DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)


def test_none_means_real_discord() -> None:
    point_discord_at("http://127.0.0.1:1/api/v10", "ws://127.0.0.1:1/")
    point_discord_at(None, None)
    assert current_discord_endpoints() == (DISCORD_API_BASE, DISCORD_GATEWAY_URL)
    assert Route("GET", "/users/@me").url == "https://discord.com/api/v10/users/@me"


@pytest.mark.parametrize(
    ("api_base", "gateway_url"),
    [
        ("ftp://example.org/api", None),
        ("127.0.0.1:8080/api/v10", None),
        ("http://example.org/api?v=10", None),
        (None, "http://127.0.0.1/gateway"),
        (None, "wss:///nohost"),
        (None, "wss://gateway.example.org/?encoding=json"),
    ],
)
def test_bad_endpoints_are_refused(api_base: str | None, gateway_url: str | None) -> None:
    before = current_discord_endpoints()
    with pytest.raises(ValueError):
        point_discord_at(api_base, gateway_url)
    assert current_discord_endpoints() == before
