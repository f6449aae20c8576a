"""A Discord double on loopback: REST (API v10) and the gateway websocket, recording everything.

The real discord.py client runs against it unchanged once ``commands.discord_endpoints`` points it
here. It answers like Discord where a bot could notice the difference: exact JSON content type,
Discord-style error bodies, 429s that discord.py will honour, the 3-second interaction deadline,
the visibility rule for the first followup after a deferral, message-content intent blanking,
zlib-stream gateway compression, RESUME with replay of missed events.

This module assembles ``DiscordDouble`` from its parts (see README.md) and re-exports the names
tests import from it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from tests.discord_double import payloads as p
from tests.discord_double.driver import (
    ATTACHMENT_SIZE_LIMIT,
    INTERACTION_APPLICATION_COMMAND,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    OPTION_ATTACHMENT,
    OPTION_CHANNEL,
    OPTION_MENTIONABLE,
    OPTION_ROLE,
    OPTION_SUB_COMMAND,
    OPTION_SUB_COMMAND_GROUP,
    OPTION_USER,
    Driver,
    Place,
)
from tests.discord_double.faults import DEFAULT_ERROR_BODIES, Fault, RateLimit
from tests.discord_double.gateway import (
    GATEWAY_PATH,
    OP_DISPATCH,
    OP_HEARTBEAT,
    OP_HEARTBEAT_ACK,
    OP_HELLO,
    OP_IDENTIFY,
    OP_INVALID_SESSION,
    OP_PRESENCE,
    OP_RECONNECT,
    OP_REQUEST_MEMBERS,
    OP_RESUME,
    RESUME_GATEWAY_PATH,
    Gateway,
    GatewayConnection,
    GatewaySession,
)
from tests.discord_double.records import (
    CALLBACK_AUTOCOMPLETE,
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_PONG,
    CALLBACK_UPDATE_MESSAGE,
    BotDiedError,
    DoubleError,
    GatewayEvent,
    InteractionRecord,
    RecordedFile,
    RecordedRequest,
    SentMessage,
    path_pattern,
)
from tests.discord_double.rest import API_PREFIX, RestApi
from tests.discord_double.rest_application import ApplicationRoutes
from tests.discord_double.rest_channels import ChannelRoutes
from tests.discord_double.rest_interactions import InteractionRoutes
from tests.discord_double.rest_threads import ThreadRoutes
from tests.discord_double.state import BOT_TOKEN, NONCE_DEDUPE_S, DoubleState

__all__ = [
    "API_PREFIX",
    "ATTACHMENT_SIZE_LIMIT",
    "BOT_TOKEN",
    "CALLBACK_AUTOCOMPLETE",
    "CALLBACK_DEFERRED_MESSAGE",
    "CALLBACK_DEFERRED_UPDATE",
    "CALLBACK_MESSAGE",
    "CALLBACK_MODAL",
    "CALLBACK_PONG",
    "CALLBACK_UPDATE_MESSAGE",
    "DEFAULT_ERROR_BODIES",
    "GATEWAY_PATH",
    "INTERACTION_APPLICATION_COMMAND",
    "INTERACTION_AUTOCOMPLETE",
    "INTERACTION_COMPONENT",
    "INTERACTION_MODAL_SUBMIT",
    "NONCE_DEDUPE_S",
    "OPTION_ATTACHMENT",
    "OPTION_CHANNEL",
    "OPTION_MENTIONABLE",
    "OPTION_ROLE",
    "OPTION_SUB_COMMAND",
    "OPTION_SUB_COMMAND_GROUP",
    "OPTION_USER",
    "OP_DISPATCH",
    "OP_HEARTBEAT",
    "OP_HEARTBEAT_ACK",
    "OP_HELLO",
    "OP_IDENTIFY",
    "OP_INVALID_SESSION",
    "OP_PRESENCE",
    "OP_RECONNECT",
    "OP_REQUEST_MEMBERS",
    "OP_RESUME",
    "RESUME_GATEWAY_PATH",
    "BotDiedError",
    "DiscordDouble",
    "DoubleError",
    "Fault",
    "GatewayConnection",
    "GatewayEvent",
    "GatewaySession",
    "InteractionRecord",
    "Place",
    "RateLimit",
    "RecordedFile",
    "RecordedRequest",
    "SentMessage",
    "path_pattern",
]

log = logging.getLogger(__name__)


class DiscordDouble(DoubleState):
    """Discord's REST API and gateway on 127.0.0.1, with fault injection and recording.

    The double is the state its parts share (world, settings, records); it owns the server and
    hands requests to ``rest`` and websockets to ``gateway``; ``driver`` acts as the users.
    """

    def __init__(
        self,
        world: p.World | None = None,
        *,
        token: str = BOT_TOKEN,
        heartbeat_interval_ms: int = 41_250,
        interaction_deadline_s: float = 3.0,
        echo_bot_messages: bool = True,
        message_content_granted: bool = True,
    ) -> None:
        super().__init__(
            world,
            token=token,
            heartbeat_interval_ms=heartbeat_interval_ms,
            interaction_deadline_s=interaction_deadline_s,
            echo_bot_messages=echo_bot_messages,
            message_content_granted=message_content_granted,
        )
        self.gateway = Gateway(self, resume_gateway_url=lambda: self.resume_gateway_url)
        self.rest = RestApi(
            self,
            [
                ApplicationRoutes(self, gateway_url=lambda: self.gateway_url),
                ThreadRoutes(self, self.gateway),
                ChannelRoutes(self, self.gateway),
                InteractionRoutes(self, self.gateway),
            ],
        )
        self.driver = Driver(self, self.gateway)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get(GATEWAY_PATH, self.gateway.handle)
        app.router.add_get(GATEWAY_PATH + "/", self.gateway.handle)
        app.router.add_get(RESUME_GATEWAY_PATH, self.gateway.handle)
        app.router.add_get(RESUME_GATEWAY_PATH + "/", self.gateway.handle)
        app.router.add_route("*", "/{tail:.*}", self.rest.handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._port = sockets[0].getsockname()[1]
        log.debug("Discord double listening on port %s", self._port)

    async def close(self) -> None:
        """Close every gateway socket and stop listening."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        """The TCP port the double listens on."""
        if self._port is None:
            raise RuntimeError("the double is not started")
        return self._port

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be."""
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    @property
    def resume_gateway_url(self) -> str:
        """The ``resume_gateway_url`` READY hands out (distinct, so tests can see it used)."""
        return f"ws://127.0.0.1:{self.port}{RESUME_GATEWAY_PATH}"

    # --- the gateway --------------------------------------------------------------------------

    @property
    def sessions(self) -> dict[str, GatewaySession]:
        """Gateway sessions by id (``clear()`` it and the next RESUME is refused)."""
        return self.gateway.sessions

    @property
    def current_session(self) -> GatewaySession | None:
        """The session that identified last: where events are dispatched."""
        return self.gateway.current_session

    @property
    def connections(self) -> list[GatewayConnection]:
        """Every websocket connection the bot opened, oldest first."""
        return self.gateway.connections

    async def dispatch(self, event: str, data: Any) -> int:
        """Send a gateway DISPATCH to the current session (kept for replay if disconnected)."""
        return await self.gateway.dispatch(event, data)

    async def send_reconnect(self) -> None:
        """Ask the bot to reconnect (op 7), as Discord does before maintenance."""
        await self.gateway.send_reconnect()

    async def drop_gateway(self, *, code: int = 4000, abrupt: bool = False) -> None:
        """Close the bot's gateway socket (``abrupt``: cut TCP without a close frame)."""
        await self.gateway.drop(code=code, abrupt=abrupt)

    def gateway_down(self, *, code: int = 4000) -> contextlib.AbstractAsyncContextManager[None]:
        """Drop the socket and hold reconnects until the block ends (events queue for replay)."""
        return self.gateway.down(code=code)

    # --- acting as users ----------------------------------------------------------------------

    async def send_slash_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        member: p.FakeMember | None = None,
        channel: p.FakeChannel | None = None,
        permissions: int | None = None,
        app_permissions: int | None = None,
        place: Place | None = None,
    ) -> InteractionRecord:
        """A member runs ``/name`` (``"group sub"`` for subcommands) with typed options."""
        return await self.driver.send_slash_command(
            name,
            options,
            member=member,
            channel=channel,
            permissions=permissions,
            app_permissions=app_permissions,
            place=place,
        )

    async def send_dm_slash_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: p.FakeUser | None = None,
        interaction_type: int = 2,
        focused: str | None = None,
    ) -> InteractionRecord:
        """A user runs ``/name`` in a DM with the bot (no guild, no member)."""
        return await self.driver.send_dm_slash_command(
            name, options, user=user, interaction_type=interaction_type, focused=focused
        )

    async def send_autocomplete(
        self,
        name: str,
        options: dict[str, Any],
        focused: str,
        *,
        member: p.FakeMember | None = None,
        channel: p.FakeChannel | None = None,
        place: Place | None = None,
    ) -> InteractionRecord:
        """A member types into option ``focused`` of ``/name``; the bot should offer choices."""
        return await self.driver.send_autocomplete(
            name, options, focused, member=member, channel=channel, place=place
        )

    async def send_message_command(
        self,
        name: str,
        target: SentMessage,
        *,
        member: p.FakeMember | None = None,
        permissions: int | None = None,
        place: Place | None = None,
    ) -> InteractionRecord:
        """A member picks ``Apps → name`` on a message (a message context menu)."""
        return await self.driver.send_message_command(
            name, target, member=member, permissions=permissions, place=place
        )

    async def send_component_click(
        self,
        message: SentMessage,
        custom_id: str,
        *,
        component_type: int = 2,
        values: Iterable[str] | None = None,
        member: p.FakeMember | None = None,
    ) -> InteractionRecord:
        """A member clicks a button (or picks from a select menu) on a bot message."""
        return await self.driver.send_component_click(
            message, custom_id, component_type=component_type, values=values, member=member
        )

    async def send_user_message(
        self,
        content: str,
        *,
        member: p.FakeMember | None = None,
        channel: p.FakeChannel | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> SentMessage:
        """A member posts a message; content is blanked unless the bot has the content intent."""
        return await self.driver.send_user_message(
            content, member=member, channel=channel, embeds=embeds
        )

    async def send_forwarded_message(
        self,
        forwarded: SentMessage | str,
        *,
        member: p.FakeMember | None = None,
        channel: p.FakeChannel | None = None,
    ) -> SentMessage:
        """A member forwards a message (or text from a place the bot cannot see) into a channel."""
        return await self.driver.send_forwarded_message(forwarded, member=member, channel=channel)

    # --- waiting for the bot ------------------------------------------------------------------

    async def wait_until(
        self, condition: Callable[[], Any], timeout_s: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until ``condition()`` is truthy (re-checked on every request and gateway frame)."""
        return await self.driver.wait_until(condition, timeout_s, what)

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool],
        timeout_s: float = 5.0,
        *,
        count: int = 1,
    ) -> RecordedRequest:
        """The ``count``-th recorded request matching ``predicate`` (waiting for it if needed)."""
        return await self.driver.wait_for_request(predicate, timeout_s, count=count)

    async def wait_answered(self, interaction: InteractionRecord, timeout_s: float = 5.0) -> None:
        """Wait until the user sees an answer to ``interaction``."""
        await self.driver.wait_answered(interaction, timeout_s)

    async def wait_for_messages(
        self, interaction: InteractionRecord, count: int, timeout_s: float = 5.0
    ) -> list[SentMessage]:
        """Wait until ``interaction`` has ``count`` completed messages; return them."""
        return await self.driver.wait_for_messages(interaction, count, timeout_s)
