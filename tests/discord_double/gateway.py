"""The gateway websocket: HELLO, IDENTIFY and RESUME, heartbeats, DISPATCH with replay.

A session keeps every event it dispatched, so a RESUME after a dropped socket replays what the
bot missed. The bot's own visible messages come back to it as events here too (``echo``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.discord_double import payloads as p
from tests.discord_double.records import DoubleError, GatewayEvent, SentMessage
from tests.discord_double.state import DoubleState

GATEWAY_PATH = "/gateway"
RESUME_GATEWAY_PATH = "/gateway-resume"

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11


@dataclass
class GatewaySession:
    """A gateway session: its events in sequence, kept for RESUME."""

    session_id: str
    intents: int
    events: list[dict[str, Any]] = field(default_factory=list)
    sequence: int = 0
    connection: GatewayConnection | None = None
    shard: tuple[int, int] = (0, 1)  # (shard id, shard count) from IDENTIFY

    def owns(self, guild_id: int) -> bool:
        """Discord's rule: a guild belongs to shard (guild_id >> 22) % shard_count."""
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id


@dataclass
class GatewayConnection:
    """One websocket connection, with its own zlib stream."""

    ws: web.WebSocketResponse
    request: web.Request
    path: str
    compress: str | None
    compressor: Any = None
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: GatewaySession | None = None


class Gateway:
    """The websocket side of Discord: sessions, their connections, and what is dispatched."""

    def __init__(self, state: DoubleState, *, resume_gateway_url: Callable[[], str]) -> None:
        self.state = state
        self._resume_gateway_url = resume_gateway_url
        self.sessions: dict[str, GatewaySession] = {}
        # The session events go to: the one that identified last.
        self.current_session: GatewaySession | None = None
        self.connections: list[GatewayConnection] = []
        # Cleared by ``down()``: new connections wait before HELLO until it is set again.
        self._open = asyncio.Event()
        self._open.set()

    async def close(self) -> None:
        """Let waiting connections through, then close every socket."""
        self._open.set()
        for connection in list(self.connections):
            if not connection.ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.ws.close(code=1001), 2)

    # --- sessions -----------------------------------------------------------------------------

    def _event(self, kind: str, connection: GatewayConnection, **detail: Any) -> None:
        session = connection.session
        self.state.gateway_events.append(
            GatewayEvent(
                kind=kind,
                path=connection.path,
                session_id=session.session_id if session else None,
                sequence=session.sequence if session else None,
                detail=detail,
            )
        )
        self.state.notify()

    async def _send_frame(self, connection: GatewayConnection, frame: dict[str, Any]) -> None:
        text = json.dumps(frame)
        async with connection.send_lock:
            if connection.ws.closed:
                return
            if connection.compressor is not None:
                data = connection.compressor.compress(text.encode())
                data += connection.compressor.flush(zlib.Z_SYNC_FLUSH)
                await connection.ws.send_bytes(data)
            else:
                await connection.ws.send_str(text)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """One websocket connection, from HELLO until it closes."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        connection = GatewayConnection(ws=ws, request=request, path=request.path, compress=compress)
        self.connections.append(connection)
        self._event("connect", connection, query=dict(request.query))
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            self.state.protocol_errors.append(f"gateway asked for {dict(request.query)}")
            await ws.close(code=4012, message=b"Invalid API version or encoding")
            return ws
        if compress == "zlib-stream":
            connection.compressor = zlib.compressobj()
        elif compress is not None:
            self.state.protocol_errors.append(f"gateway compression {compress!r} is not supported")
            await ws.close(code=4000, message=b"Unsupported compression")
            return ws
        await self._open.wait()
        try:
            await self._send_frame(
                connection,
                {"op": OP_HELLO, "d": {"heartbeat_interval": self.state.heartbeat_interval_ms}},
            )
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._frame(connection, json.loads(message.data))
                elif message.type is WSMsgType.BINARY:
                    self.state.protocol_errors.append("client sent a binary gateway frame")
                elif message.type is WSMsgType.ERROR:
                    break
        finally:
            if connection.session is not None and connection.session.connection is connection:
                connection.session.connection = None
            self._event("closed", connection, code=ws.close_code)
        return ws

    async def _frame(self, connection: GatewayConnection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        data = frame.get("d")
        redacted = dict(frame)
        if isinstance(data, dict) and "token" in data:
            redacted["d"] = {**data, "token": "<redacted>"}
        self.state.gateway_received.append(redacted)
        if op == OP_HEARTBEAT:
            await self._send_frame(connection, {"op": OP_HEARTBEAT_ACK})
            self.state.notify()
        elif op == OP_IDENTIFY and isinstance(data, dict):
            await self._identify(connection, data)
        elif op == OP_RESUME and isinstance(data, dict):
            await self._resume(connection, data)
        elif op in (OP_PRESENCE, OP_REQUEST_MEMBERS, 4):
            self.state.notify()
        else:
            self.state.protocol_errors.append(f"unknown gateway op {op!r}")
            await connection.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        if data.get("token") != self.state.token:
            self._event("identify_refused", connection)
            await connection.ws.close(code=4004, message=b"Authentication failed")
            return
        intents = int(data.get("intents", 0))
        if intents & p.INTENT_MESSAGE_CONTENT and not self.state.message_content_granted:
            self._event("identify_refused", connection, intents=intents)
            await connection.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = data.get("shard") or [0, 1]
        session = GatewaySession(
            session_id=secrets.token_hex(16), intents=intents, shard=(int(shard[0]), int(shard[1]))
        )
        self.sessions[session.session_id] = session
        self.current_session = session
        connection.session = session
        session.connection = connection
        self._event("identify", connection, intents=session.intents, shard=list(session.shard))
        guilds = [g for g in self.state.world.bot_guilds if session.owns(g.id)]
        await self._dispatch_to(
            session,
            "READY",
            {
                "v": 10,
                "user": self.state.world.bot_user.payload(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": self._resume_gateway_url(),
                "application": {"id": str(self.state.world.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "user_settings": {},
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "shard": list(session.shard),
                "_trace": ["discord-double"],
            },
        )
        for guild in guilds:
            await self._dispatch_to(session, "GUILD_CREATE", guild.payload())

    async def _resume(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.state.token:
            await connection.ws.close(code=4004, message=b"Authentication failed")
            return
        if session is None:
            self._event("invalid", connection, asked=data.get("session_id"))
            await self._send_frame(connection, {"op": OP_INVALID_SESSION, "d": False})
            return
        old = session.connection
        session.connection = connection
        connection.session = session
        if old is not None and old is not connection and not old.ws.closed:
            await old.ws.close(code=4000)
        last_seen = int(data.get("seq") or 0)
        missed = [event for event in session.events if event["s"] > last_seen]
        self._event("resume", connection, last_seen=last_seen, replayed=len(missed))
        for event in missed:
            await self._send_frame(connection, event)
        await self._dispatch_to(session, "RESUMED", {"_trace": ["discord-double"]})
        self._event("resumed", connection)

    async def _dispatch_to(self, session: GatewaySession, event: str, data: Any) -> int:
        session.sequence += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": session.sequence, "d": data}
        session.events.append(frame)
        if session.connection is not None:
            await self._send_frame(session.connection, frame)
        self.state.notify()
        return session.sequence

    def session_for(self, guild_id: int | None) -> GatewaySession | None:
        """Where Discord sends a guild's events: the newest session of the shard owning it."""
        if guild_id is None:
            return self.current_session
        owners = [s for s in self.sessions.values() if s.owns(guild_id)]
        return owners[-1] if owners else None

    async def dispatch(self, event: str, data: Any) -> int:
        """Send a DISPATCH to the session of the shard that owns its guild (kept for replay)."""
        guild_id = data.get("guild_id") if isinstance(data, dict) else None
        session = self.session_for(int(guild_id) if guild_id is not None else None)
        if session is None:
            raise DoubleError("no gateway session for that guild: the bot has not identified")
        return await self._dispatch_to(session, event, data)

    # --- faults a test causes -----------------------------------------------------------------

    async def send_reconnect(self) -> None:
        """Ask the bot to reconnect (op 7), as Discord does before maintenance."""
        session = self.current_session
        if session is None or session.connection is None:
            raise DoubleError("no connected gateway session")
        await self._send_frame(session.connection, {"op": OP_RECONNECT, "d": None})

    async def drop(self, *, code: int = 4000, abrupt: bool = False) -> None:
        """Close the bot's gateway socket (``abrupt``: cut TCP without a close frame)."""
        session = self.current_session
        if session is None or session.connection is None:
            raise DoubleError("no connected gateway session to drop")
        connection = session.connection
        session.connection = None
        if abrupt:
            transport = connection.request.transport
            if transport is not None:
                transport.abort()
        else:
            await connection.ws.close(code=code, message=b"dropped by the Discord double")

    @contextlib.asynccontextmanager
    async def down(self, *, code: int = 4000) -> AsyncIterator[None]:
        """Drop the socket and hold reconnects until the block ends (events queue for replay)."""
        self._open.clear()
        try:
            await self.drop(code=code)
            yield
        finally:
            self._open.set()

    # --- the bot's own messages ---------------------------------------------------------------

    async def echo(self, event: str, message: SentMessage) -> None:
        """Discord sends the bot its own visible messages too (a bot must ignore itself)."""
        if not self.state.echo_bot_messages or message.ephemeral or self.current_session is None:
            return
        if not self.current_session.intents & p.INTENT_GUILD_MESSAGES:
            return
        data = message.payload()
        if message.guild_id is not None:
            guild = self.state.world.find_guild(message.guild_id)
            member = guild.member(message.author.id) if guild else None
            if guild is not None and member is not None:
                data["member"] = {k: v for k, v in member.payload(guild).items() if k != "user"}
        await self.dispatch(event, data)

    async def announce_thread(self, thread: p.FakeThread) -> None:
        """THREAD_CREATE for a thread the bot created (Discord tells its creator)."""
        if self.current_session is None or not self.current_session.intents & p.INTENT_GUILDS:
            return
        await self.dispatch("THREAD_CREATE", {**thread.payload(), "newly_created": True})

    async def echo_delete(self, message: SentMessage) -> None:
        """MESSAGE_DELETE for a message of the bot's (sent even without ``echo_bot_messages``)."""
        if self.current_session is None:
            return
        if not self.current_session.intents & p.INTENT_GUILD_MESSAGES:
            return
        data = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
        await self.dispatch("MESSAGE_DELETE", data)
