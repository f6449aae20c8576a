"""A Discord double on loopback: REST (API v10) and the gateway websocket, recording everything.

The real discord.py client runs against it unchanged once ``bot.discord_endpoints`` points it
here. It answers like Discord where a bot could notice the difference: exact JSON content type,
Discord-style error bodies, 429s that discord.py will honour, the 3-second interaction deadline,
the visibility rule for the first followup after a deferral, message-content intent blanking,
zlib-stream gateway compression, RESUME with replay of missed events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import secrets
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.discord_double import payloads as p

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gateway"
RESUME_GATEWAY_PATH = "/gateway-resume"
BOT_TOKEN = "double-bot-token.not-a-real-token"

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

CALLBACK_PONG = 1
CALLBACK_MESSAGE = 4
CALLBACK_DEFERRED_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE = 8
CALLBACK_MODAL = 9

INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
INTERACTION_MODAL_SUBMIT = 5

OPTION_SUB_COMMAND = 1
OPTION_SUB_COMMAND_GROUP = 2
OPTION_USER = 6
OPTION_CHANNEL = 7
OPTION_ROLE = 8
OPTION_MENTIONABLE = 9
OPTION_ATTACHMENT = 11

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


class DoubleError(AssertionError):
    """The bot did something the double (or Discord) would not accept, or a wait timed out."""


class BotDiedError(AssertionError):
    """The bot task ended while a test was waiting on it."""


@dataclass(frozen=True)
class RecordedFile:
    """A file part of a multipart request."""

    field_name: str
    filename: str
    content_type: str
    data: bytes


# How long Discord remembers a nonce sent with enforce_nonce ("the past few minutes").
NONCE_DEDUPE_S = 180.0


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the bot made, and how the double answered it."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    files: tuple[RecordedFile, ...]
    status: int
    at: float


@dataclass
class SentMessage:
    """A message as Discord stores it, with what each viewer sees (``ephemeral``: invoker only)."""

    id: int
    channel_id: int
    guild_id: int | None
    author: p.FakeUser
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    flags: int
    ephemeral: bool
    kind: str
    interaction_id: int | None = None
    allowed_mentions: dict[str, Any] | None = None
    files: tuple[RecordedFile, ...] = ()
    message_reference: dict[str, Any] | None = None
    pings_everyone: bool = False
    pinged_user_ids: tuple[int, ...] = ()
    pinged_role_ids: tuple[int, ...] = ()
    loading: bool = False
    deleted: bool = False
    edit_count: int = 0
    timestamp: str = field(default_factory=p.iso_now)
    edited_timestamp: str | None = None
    nonce: str | None = None

    def payload(self, *, with_content: bool = True) -> dict[str, Any]:
        """The message object as the API returns it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": 0 if self.message_reference is None else 19,
            "author": self.author.payload(),
            "content": self.content if with_content else "",
            "embeds": self.embeds if with_content else [],
            "components": self.components if with_content else [],
            "attachments": [
                {
                    "id": str(index + 1),
                    "filename": file.filename,
                    "size": len(file.data),
                    "url": f"https://cdn.double.invalid/attachments/{self.id}/{file.filename}",
                    "proxy_url": f"https://media.double.invalid/{self.id}/{file.filename}",
                    "content_type": file.content_type,
                }
                for index, file in enumerate(self.files)
            ]
            if with_content
            else [],
            "mentions": [],
            "mention_roles": [str(role_id) for role_id in self.pinged_role_ids],
            "mention_everyone": self.pings_everyone,
            "pinned": False,
            "tts": False,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.interaction_id is not None:
            data["webhook_id"] = str(self.author.id)
            data["application_id"] = str(self.author.id)
        return data


@dataclass
class InteractionRecord:
    """An interaction the double sent, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    guild_id: int | None
    channel_id: int
    user: p.FakeUser
    created_at: float
    callback: dict[str, Any] | None = None
    callback_type: int | None = None
    deferred_ephemeral: bool = False
    deferral_completed: bool = False
    original_message_id: int | None = None
    messages: list[SentMessage] = field(default_factory=list)
    refusals: list[RecordedRequest] = field(default_factory=list)

    @property
    def deferred(self) -> bool:
        """The bot deferred (thinking) instead of answering at once."""
        return self.callback_type == CALLBACK_DEFERRED_MESSAGE

    @property
    def answered(self) -> bool:
        """A user sees an answer: a response, or a deferral completed by a followup or edit."""
        if self.callback_type is None:
            return False
        if self.callback_type == CALLBACK_DEFERRED_MESSAGE:
            return any(not m.loading and not m.deleted for m in self.messages)
        return True

    @property
    def original(self) -> SentMessage | None:
        """The original response message (after a deferral: the message that replaced it)."""
        return next((m for m in self.messages if m.id == self.original_message_id), None)

    @property
    def followups(self) -> list[SentMessage]:
        """Messages sent after the response (excluding the one that completed a deferral)."""
        return [m for m in self.messages if m.id != self.original_message_id]

    @property
    def visible_messages(self) -> list[SentMessage]:
        """Messages still on screen, original first."""
        return [m for m in self.messages if not m.deleted]

    @property
    def autocomplete_choices(self) -> list[dict[str, Any]]:
        """Choices the bot offered to an autocomplete interaction."""
        if self.callback_type != CALLBACK_AUTOCOMPLETE or self.callback is None:
            return []
        return list((self.callback.get("data") or {}).get("choices") or [])


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


@dataclass
class GatewaySession:
    """A gateway session: its events in sequence, kept for RESUME."""

    session_id: str
    intents: int
    events: list[dict[str, Any]] = field(default_factory=list)
    sequence: int = 0
    connection: GatewayConnection | None = None


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


@dataclass(frozen=True)
class GatewayEvent:
    """Something that happened on the gateway, for tests to assert on."""

    kind: str
    path: str
    session_id: str | None
    sequence: int | None
    detail: dict[str, Any]


def path_pattern(template: str) -> re.Pattern[str]:
    """``/channels/{id}/messages`` → a regex; ``{x}`` is one segment, ``*`` anything."""
    parts = re.split(r"(\{[^}/]*\}|\*)", template)
    regex = "".join(
        "[^/]+" if part.startswith("{") else ".*" if part == "*" else re.escape(part)
        for part in parts
    )
    return re.compile(f"^{regex}$")


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py parses JSON only when the content type is exactly application/json."""
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


def _error(status: int, code: int, message: str) -> web.Response:
    return _json_response(status, {"code": code, "message": message})


DEFAULT_ERROR_BODIES: dict[int, dict[str, Any]] = {
    400: {"code": 50035, "message": "Invalid Form Body"},
    401: {"code": 0, "message": "401: Unauthorized"},
    403: {"code": 50013, "message": "Missing Permissions"},
    404: {"code": 10003, "message": "Unknown Channel"},
    500: {"code": 0, "message": "500: Internal Server Error"},
    502: {"code": 0, "message": "502: Bad Gateway"},
    503: {"code": 0, "message": "503: Service Unavailable"},
}


Handler = Callable[["_Call"], "asyncio.Future[web.StreamResponse] | Any"]


@dataclass
class _Call:
    """A parsed request handed to a route handler."""

    request: web.Request
    path: str
    params: dict[str, str]
    body: Any
    files: tuple[RecordedFile, ...]


class DiscordDouble:
    """Discord's REST API and gateway on 127.0.0.1, with fault injection and recording."""

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
        self.world = world or p.default_world()
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline_s = interaction_deadline_s
        self.echo_bot_messages = echo_bot_messages
        # Whether the application may ask for the privileged Message Content intent (portal switch).
        self.message_content_granted = message_content_granted
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.gateway_events: list[GatewayEvent] = []
        self.gateway_received: list[dict[str, Any]] = []
        self.protocol_errors: list[str] = []
        self.messages: dict[int, SentMessage] = {}
        # Nonce dedupe (enforce_nonce): (author id, nonce) → (monotonic time, message id).
        self.nonces: dict[tuple[int, str], tuple[float, int]] = {}
        self.nonce_dedupe_s = NONCE_DEDUPE_S
        self.interactions: dict[int, InteractionRecord] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.faults: list[Fault] = []
        self.rate_limits: list[RateLimit] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.current_session: GatewaySession | None = None
        self.connections: list[GatewayConnection] = []
        self.watched_tasks: list[asyncio.Task[Any]] = []
        self._changed = asyncio.Event()
        self._gateway_open = asyncio.Event()
        self._gateway_open.set()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._routes: list[tuple[str, re.Pattern[str], Callable[[_Call], Any]]] = []
        self._install_routes()

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get(GATEWAY_PATH, self._gateway_handler)
        app.router.add_get(GATEWAY_PATH + "/", self._gateway_handler)
        app.router.add_get(RESUME_GATEWAY_PATH, self._gateway_handler)
        app.router.add_get(RESUME_GATEWAY_PATH + "/", self._gateway_handler)
        app.router.add_route("*", "/{tail:.*}", self._rest_handler)
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
        self._gateway_open.set()
        for connection in list(self.connections):
            if not connection.ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.ws.close(code=1001), 2)
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

    # --- waiting -----------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _check_watched(self) -> None:
        for task in self.watched_tasks:
            if task.done():
                error = None if task.cancelled() else task.exception()
                raise BotDiedError(f"the bot task ended early: {error!r}") from error

    async def wait_until(
        self, condition: Callable[[], Any], timeout_s: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until ``condition()`` is truthy (re-checked on every request and gateway frame)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            result = condition()
            if result:
                return result
            self._check_watched()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise DoubleError(f"timed out after {timeout_s}s waiting for {what}")
            changed = self._changed
            waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(changed.wait())]
            waiters += [task for task in self.watched_tasks if not task.done()]
            await asyncio.wait(
                waiters, timeout=min(remaining, 0.25), return_when=asyncio.FIRST_COMPLETED
            )
            waiters[0].cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiters[0]

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool],
        timeout_s: float = 5.0,
        *,
        count: int = 1,
    ) -> RecordedRequest:
        """The ``count``-th recorded request matching ``predicate`` (waiting for it if needed)."""

        def found() -> RecordedRequest | None:
            matching = [r for r in self.requests if predicate(r)]
            return matching[count - 1] if len(matching) >= count else None

        return await self.wait_until(found, timeout_s, "a matching request")

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests whose path matches a template like ``/webhooks/{app}/{token}``."""
        pattern = path_pattern(path)
        return [r for r in self.requests if r.method == method and pattern.match(r.path)]

    # --- faults and rate limits -------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        code: int | None = None,
        message: str | None = None,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> Fault:
        """Answer the next ``times`` matching requests with ``status`` (429: a real rate limit)."""
        headers: dict[str, str] = {}
        if status == 429:
            body: dict[str, Any] = {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": is_global,
            }
            if code is not None:
                body["code"] = code
            headers = self._rate_limit_headers(
                limit=1, remaining=0, reset_after=retry_after, bucket="fault", is_global=is_global
            )
        else:
            body = dict(DEFAULT_ERROR_BODIES.get(status, {"code": 0, "message": f"{status}"}))
            if code is not None:
                body["code"] = code
            if message is not None:
                body["message"] = message
        fault = Fault(method.upper(), path_pattern(path), status, body, headers, times)
        self.faults.append(fault)
        return fault

    def set_rate_limit(
        self,
        limit: int,
        per_s: float,
        *,
        path: str | None = None,
        method: str | None = None,
        is_global: bool = False,
    ) -> RateLimit:
        """Allow ``limit`` matching requests per ``per_s`` seconds, answering bucket headers."""
        rate_limit = RateLimit(
            name=f"bucket{len(self.rate_limits)}",
            method=method.upper() if method else None,
            pattern=path_pattern(path) if path else None,
            limit=limit,
            per_s=per_s,
            is_global=is_global,
        )
        self.rate_limits.append(rate_limit)
        return rate_limit

    @staticmethod
    def _rate_limit_headers(
        *, limit: int, remaining: int, reset_after: float, bucket: str, is_global: bool = False
    ) -> dict[str, str]:
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

    def _apply_rate_limits(
        self, method: str, path: str
    ) -> tuple[web.Response | None, dict[str, str]]:
        now = time.monotonic()
        headers: dict[str, str] = {}
        for limiter in self.rate_limits:
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
                refusal_headers = self._rate_limit_headers(
                    limit=limiter.limit,
                    remaining=0,
                    reset_after=reset_after,
                    bucket=limiter.name,
                    is_global=limiter.is_global,
                )
                return _json_response(429, body, refusal_headers), {}
            if not limiter.is_global:
                headers = self._rate_limit_headers(
                    limit=limiter.limit,
                    remaining=limiter.limit - count,
                    reset_after=reset_after,
                    bucket=limiter.name,
                )
        return None, headers

    # --- REST plumbing ------------------------------------------------------------------------

    def _route(self, method: str, template: str, handler: Callable[[_Call], Any]) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def _install_routes(self) -> None:
        route = self._route
        route("GET", "/users/@me", self._get_me)
        route("GET", "/gateway", self._get_gateway)
        route("GET", "/gateway/bot", self._get_gateway)
        route("GET", "/oauth2/applications/@me", self._get_application)
        route("GET", "/applications/{app}/commands", self._get_commands)
        route("PUT", "/applications/{app}/commands", self._put_commands)
        route("GET", "/applications/{app}/guilds/{guild}/commands", self._get_commands)
        route("PUT", "/applications/{app}/guilds/{guild}/commands", self._put_commands)
        route("GET", "/channels/{channel}", self._get_channel)
        route("POST", "/channels/{channel}/messages", self._post_channel_message)
        route("GET", "/channels/{channel}/messages/{message}", self._get_channel_message)
        route("PATCH", "/channels/{channel}/messages/{message}", self._patch_channel_message)
        route("DELETE", "/channels/{channel}/messages/{message}", self._delete_channel_message)
        route("POST", "/channels/{channel}/typing", self._post_typing)
        route("GET", "/guilds/{guild}/members/{user}", self._get_member)
        route("POST", "/interactions/{interaction}/{token}/callback", self._post_callback)
        route("POST", "/webhooks/{app}/{token}", self._post_followup)
        route("GET", "/webhooks/{app}/{token}/messages/{message}", self._get_webhook_message)
        route("PATCH", "/webhooks/{app}/{token}/messages/{message}", self._patch_webhook_message)
        route("DELETE", "/webhooks/{app}/{token}/messages/{message}", self._delete_webhook_message)

    async def _read_body(self, request: web.Request) -> tuple[Any, tuple[RecordedFile, ...]]:
        content_type = request.content_type
        if content_type == "multipart/form-data":
            body: Any = None
            files: list[RecordedFile] = []
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read()
                if part.name == "payload_json":
                    body = json.loads(data)
                else:
                    files.append(
                        RecordedFile(
                            field_name=part.name or "",
                            filename=part.filename or "",
                            content_type=part.headers.get("Content-Type", ""),
                            data=bytes(data),
                        )
                    )
            return body, tuple(files)
        raw = await request.read()
        if not raw:
            return None, ()
        if content_type != "application/json":
            self.protocol_errors.append(
                f"{request.method} {request.path}: body sent as {content_type!r}, not JSON"
            )
            return raw.decode("utf-8", "replace"), ()
        return json.loads(raw), ()

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        body, files = await self._read_body(request)
        method = request.method
        full_path = request.path
        path = full_path[len(API_PREFIX) :] if full_path.startswith(API_PREFIX + "/") else None
        response, known_route = await self._answer(request, method, path, body, files)
        recorded = RecordedRequest(
            method=method,
            path=path if path is not None else full_path,
            query=dict(request.query),
            json=body,
            headers=dict(request.headers),
            files=files,
            status=response.status,
            at=time.monotonic(),
        )
        self.requests.append(recorded)
        if not known_route:
            self.unknown_routes.append(recorded)
        self._notify()
        return response

    async def _answer(
        self,
        request: web.Request,
        method: str,
        path: str | None,
        body: Any,
        files: tuple[RecordedFile, ...],
    ) -> tuple[web.Response, bool]:
        if path is None:
            return _json_response(404, {"code": 0, "message": "404: Not Found"}), False
        for fault in self.faults:
            if fault.remaining > 0 and fault.method == method and fault.pattern.match(path):
                fault.remaining -= 1
                fault.hits += 1
                return _json_response(fault.status, fault.body, fault.headers), True
        refusal, limit_headers = self._apply_rate_limits(method, path)
        if refusal is not None:
            return refusal, True
        for route_method, pattern, handler in self._routes:
            found = pattern.match(path)
            if route_method == method and found:
                needs_auth = not path.startswith(("/interactions/", "/webhooks/"))
                if needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
                    return _error(401, 0, "401: Unauthorized"), True
                call = _Call(request, path, found.groupdict(), body, files)
                response = await handler(call)
                response.headers.update(limit_headers)
                return response, True
        return _json_response(404, {"code": 0, "message": "404: Not Found"}), False

    # --- REST: identity and commands ----------------------------------------------------------

    async def _get_me(self, call: _Call) -> web.Response:
        return _json_response(200, self.world.bot_user.payload())

    async def _get_gateway(self, call: _Call) -> web.Response:
        answer: dict[str, Any] = {"url": self.gateway_url}
        if call.path.endswith("/bot"):
            answer["shards"] = 1
            answer["session_start_limit"] = {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            }
        return _json_response(200, answer)

    async def _get_application(self, call: _Call) -> web.Response:
        return _json_response(200, self.world.application_payload())

    def _check_application(self, call: _Call) -> web.Response | None:
        if call.params["app"] != str(self.world.application_id):
            return _error(403, 50001, "Missing Access")
        return None

    async def _get_commands(self, call: _Call) -> web.Response:
        refusal = self._check_application(call)
        if refusal is not None:
            return refusal
        guild = call.params.get("guild")
        commands = (
            self.global_commands if guild is None else self.guild_commands.get(int(guild), [])
        )
        return _json_response(200, commands)

    async def _put_commands(self, call: _Call) -> web.Response:
        refusal = self._check_application(call)
        if refusal is not None:
            return refusal
        guild = call.params.get("guild")
        if guild is not None and self.world.find_guild(int(guild)) is None:
            return _error(403, 50001, "Missing Access")
        submitted = call.body or []
        errors = p.command_errors(submitted)
        if errors:
            return _json_response(400, p.invalid_form_body(errors))
        if len([c for c in submitted if c.get("type", 1) == 1]) > 100:
            return _error(400, 30032, "Maximum number of application commands reached (100)")
        stored = []
        for command in submitted:
            entry = {
                "id": str(p.new_snowflake()),
                "application_id": str(self.world.application_id),
                "version": str(p.new_snowflake()),
                "type": command.get("type", 1),
                "name": command["name"],
                "description": command.get("description", ""),
                "options": command.get("options", []),
                "default_member_permissions": (
                    None
                    if command.get("default_member_permissions") is None
                    else str(command["default_member_permissions"])
                ),
                "dm_permission": command.get("dm_permission", True),
                "nsfw": command.get("nsfw", False),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types", [0]),
                "name_localizations": command.get("name_localizations"),
                "description_localizations": command.get("description_localizations"),
            }
            if guild is not None:
                entry["guild_id"] = guild
            stored.append(entry)
        if guild is None:
            self.global_commands = stored
        else:
            self.guild_commands[int(guild)] = stored
        return _json_response(200, stored)

    # --- REST: channels and messages ----------------------------------------------------------

    def _bot_permissions(self, guild_id: int | None) -> int:
        guild = self.world.find_guild(guild_id) if guild_id is not None else None
        if guild is None:
            return p.ALL_PERMISSIONS
        member = guild.member(self.world.bot_user.id)
        return guild.permissions_of(member) if member is not None else 0

    async def _get_channel(self, call: _Call) -> web.Response:
        channel = self.world.find_channel(int(call.params["channel"]))
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        return _json_response(200, channel.payload())

    async def _get_member(self, call: _Call) -> web.Response:
        guild = self.world.find_guild(int(call.params["guild"]))
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        member = guild.member(int(call.params["user"]))
        if member is None:
            return _error(404, 10007, "Unknown Member")
        return _json_response(200, member.payload(guild))

    async def _post_typing(self, call: _Call) -> web.Response:
        if self.world.find_channel(int(call.params["channel"])) is None:
            return _error(404, 10003, "Unknown Channel")
        return web.Response(status=204)

    def _message_refusal(
        self, body: Any, files: tuple[RecordedFile, ...], *, editing: bool = False
    ) -> web.Response | None:
        if not isinstance(body, dict):
            body = {}
        if not editing and p.is_empty_message(body, has_files=bool(files)):
            return _error(400, 50006, "Cannot send an empty message")
        errors = p.message_errors(body, has_files=bool(files), editing=editing)
        if errors:
            return _json_response(400, p.invalid_form_body(errors))
        return None

    def _mentions(
        self, content: str, allowed: dict[str, Any] | None, guild_id: int | None
    ) -> tuple[bool, tuple[int, ...], tuple[int, ...]]:
        """Who a message pings, after allowed_mentions (Discord's default: everything parses)."""
        parse = (
            set(allowed.get("parse", [])) if allowed is not None else {"everyone", "users", "roles"}
        )
        allowed_users = {int(u) for u in (allowed or {}).get("users", [])}
        allowed_roles = {int(r) for r in (allowed or {}).get("roles", [])}
        can_ping_everyone = bool(self._bot_permissions(guild_id) & p.MENTION_EVERYONE)
        everyone = (
            ("@everyone" in content or "@here" in content)
            and "everyone" in parse
            and can_ping_everyone
        )
        users = tuple(
            int(u) for u in _MENTION.findall(content) if "users" in parse or int(u) in allowed_users
        )
        roles = tuple(
            int(r)
            for r in _ROLE_MENTION.findall(content)
            if "roles" in parse or int(r) in allowed_roles
        )
        return everyone, users, roles

    def _new_message(
        self,
        *,
        channel_id: int,
        guild_id: int | None,
        body: dict[str, Any],
        files: tuple[RecordedFile, ...],
        kind: str,
        ephemeral: bool,
        interaction_id: int | None = None,
        author: p.FakeUser | None = None,
        loading: bool = False,
    ) -> SentMessage:
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        everyone, users, roles = self._mentions(content, allowed, guild_id)
        flags = int(body.get("flags") or 0) & ~p.EPHEMERAL_FLAG
        if ephemeral:
            flags |= p.EPHEMERAL_FLAG
        if loading:
            flags |= p.LOADING_FLAG
        message = SentMessage(
            id=p.new_snowflake(),
            channel_id=channel_id,
            guild_id=guild_id,
            author=author or self.world.bot_user,
            content=content,
            embeds=list(body.get("embeds") or []),
            components=list(body.get("components") or []),
            flags=flags,
            ephemeral=ephemeral,
            kind=kind,
            interaction_id=interaction_id,
            allowed_mentions=allowed,
            files=files,
            message_reference=body.get("message_reference"),
            pings_everyone=everyone,
            pinged_user_ids=users,
            pinged_role_ids=roles,
            loading=loading,
        )
        self.messages[message.id] = message
        return message

    def _apply_edit(self, message: SentMessage, body: dict[str, Any]) -> None:
        if "content" in body:
            message.content = body["content"] or ""
            everyone, users, roles = self._mentions(
                message.content,
                body.get("allowed_mentions", message.allowed_mentions),
                message.guild_id,
            )
            message.pings_everyone, message.pinged_user_ids, message.pinged_role_ids = (
                everyone,
                users,
                roles,
            )
        if "embeds" in body:
            message.embeds = list(body["embeds"] or [])
        if "components" in body:
            message.components = list(body["components"] or [])
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        message.loading = False
        message.flags &= ~p.LOADING_FLAG
        message.edit_count += 1
        message.edited_timestamp = p.iso_now()

    async def _echo(self, event: str, message: SentMessage) -> None:
        """Discord sends the bot its own visible messages too (a bot must ignore itself)."""
        if not self.echo_bot_messages or message.ephemeral or self.current_session is None:
            return
        if not self.current_session.intents & p.INTENT_GUILD_MESSAGES:
            return
        data = message.payload()
        if message.guild_id is not None:
            guild = self.world.find_guild(message.guild_id)
            member = guild.member(message.author.id) if guild else None
            if guild is not None and member is not None:
                data["member"] = {k: v for k, v in member.payload(guild).items() if k != "user"}
        await self.dispatch(event, data)

    async def _echo_delete(self, message: SentMessage) -> None:
        if self.current_session is None:
            return
        if not self.current_session.intents & p.INTENT_GUILD_MESSAGES:
            return
        data = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
        await self.dispatch("MESSAGE_DELETE", data)

    async def _post_channel_message(self, call: _Call) -> web.Response:
        channel = self.world.find_channel(int(call.params["channel"]))
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        needed = p.VIEW_CHANNEL | p.SEND_MESSAGES
        if self._bot_permissions(channel.guild_id) & needed != needed:
            return _error(403, 50013, "Missing Permissions")
        refusal = self._message_refusal(call.body, call.files)
        if refusal is not None:
            return refusal
        # Discord's enforce_nonce: a message this author already created with the same nonce in
        # the past few minutes is returned as it is instead of being posted a second time.
        body = call.body if isinstance(call.body, dict) else {}
        nonce = str(body["nonce"]) if body.get("nonce") is not None else None
        nonce_key = (self.world.bot_user.id, nonce) if nonce and body.get("enforce_nonce") else None
        if nonce_key is not None and nonce_key in self.nonces:
            created_at, earlier_id = self.nonces[nonce_key]
            earlier = self.messages.get(earlier_id)
            if earlier is not None and time.monotonic() - created_at < self.nonce_dedupe_s:
                if earlier.deleted:
                    return _error(404, 10008, "Unknown Message")
                return _json_response(200, earlier.payload())
        message = self._new_message(
            channel_id=channel.id,
            guild_id=channel.guild_id,
            body=call.body,
            files=call.files,
            kind="channel",
            ephemeral=False,
        )
        message.nonce = nonce
        if nonce_key is not None:
            self.nonces[nonce_key] = (time.monotonic(), message.id)
        await self._echo("MESSAGE_CREATE", message)
        return _json_response(200, message.payload())

    def _channel_message(self, call: _Call) -> SentMessage | web.Response:
        if self.world.find_channel(int(call.params["channel"])) is None:
            return _error(404, 10003, "Unknown Channel")
        message = self.messages.get(int(call.params["message"]))
        if message is None or message.deleted or str(message.channel_id) != call.params["channel"]:
            return _error(404, 10008, "Unknown Message")
        if message.ephemeral:
            return _error(404, 10008, "Unknown Message")
        return message

    async def _get_channel_message(self, call: _Call) -> web.Response:
        found = self._channel_message(call)
        if isinstance(found, web.Response):
            return found
        return _json_response(200, found.payload())

    async def _patch_channel_message(self, call: _Call) -> web.Response:
        found = self._channel_message(call)
        if isinstance(found, web.Response):
            return found
        if found.author.id != self.world.bot_user.id:
            return _error(403, 50005, "Cannot edit a message authored by another user")
        refusal = self._message_refusal(call.body, call.files, editing=True)
        if refusal is not None:
            return refusal
        self._apply_edit(found, call.body or {})
        await self._echo("MESSAGE_UPDATE", found)
        return _json_response(200, found.payload())

    async def _delete_channel_message(self, call: _Call) -> web.Response:
        found = self._channel_message(call)
        if isinstance(found, web.Response):
            return found
        if found.author.id != self.world.bot_user.id and not (
            self._bot_permissions(found.guild_id) & p.MANAGE_MESSAGES
        ):
            return _error(403, 50013, "Missing Permissions")
        found.deleted = True
        await self._echo_delete(found)
        return web.Response(status=204)

    # --- REST: interactions -------------------------------------------------------------------

    async def _post_callback(self, call: _Call) -> web.Response:
        interaction = self.interactions.get(int(call.params["interaction"]))
        if interaction is None or interaction.token != call.params["token"]:
            return _error(404, 10062, "Unknown interaction")
        if asyncio.get_running_loop().time() - interaction.created_at > self.interaction_deadline_s:
            return _error(404, 10062, "Unknown interaction")
        if interaction.callback_type is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body = call.body if isinstance(call.body, dict) else {}
        callback_type = body.get("type")
        data = body.get("data") or {}
        resource: dict[str, Any] | None = None
        if callback_type in (CALLBACK_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            refusal = self._message_refusal(
                data, call.files, editing=callback_type == CALLBACK_UPDATE_MESSAGE
            )
            if refusal is not None:
                return refusal
        if callback_type == CALLBACK_AUTOCOMPLETE and len(data.get("choices") or []) > 25:
            return _json_response(400, p.invalid_form_body({"choices": "Must be 25 or fewer"}))
        if callback_type not in (
            CALLBACK_PONG,
            CALLBACK_MESSAGE,
            CALLBACK_DEFERRED_MESSAGE,
            CALLBACK_DEFERRED_UPDATE,
            CALLBACK_UPDATE_MESSAGE,
            CALLBACK_AUTOCOMPLETE,
            CALLBACK_MODAL,
        ):
            return _json_response(400, p.invalid_form_body({"type": "Invalid callback type"}))
        interaction.callback = body
        interaction.callback_type = callback_type
        message: SentMessage | None = None
        if callback_type == CALLBACK_MESSAGE:
            message = self._new_message(
                channel_id=interaction.channel_id,
                guild_id=interaction.guild_id,
                body=data,
                files=call.files,
                kind="response",
                ephemeral=bool(int(data.get("flags") or 0) & p.EPHEMERAL_FLAG),
                interaction_id=interaction.id,
            )
        elif callback_type == CALLBACK_DEFERRED_MESSAGE:
            interaction.deferred_ephemeral = bool(int(data.get("flags") or 0) & p.EPHEMERAL_FLAG)
            message = self._new_message(
                channel_id=interaction.channel_id,
                guild_id=interaction.guild_id,
                body={},
                files=(),
                kind="response",
                ephemeral=interaction.deferred_ephemeral,
                interaction_id=interaction.id,
                loading=True,
            )
        elif callback_type == CALLBACK_UPDATE_MESSAGE:
            target = self._component_message(interaction)
            if target is not None:
                self._apply_edit(target, data)
        if message is not None:
            interaction.original_message_id = message.id
            interaction.messages.append(message)
            await self._echo("MESSAGE_CREATE", message)
            resource = {"type": callback_type, "message": message.payload()}
        if call.request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        summary: dict[str, Any] = {
            "id": str(interaction.id),
            "type": interaction.type,
            "response_message_loading": callback_type == CALLBACK_DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(message and message.ephemeral),
        }
        if message is not None:
            summary["response_message_id"] = str(message.id)
        answer: dict[str, Any] = {"interaction": summary}
        if resource is not None:
            answer["resource"] = resource
        return _json_response(200, answer)

    def _component_message(self, interaction: InteractionRecord) -> SentMessage | None:
        raw = interaction.payload.get("message")
        return self.messages.get(int(raw["id"])) if raw else None

    def _webhook_interaction(self, call: _Call) -> InteractionRecord | web.Response:
        if call.params["app"] != str(self.world.application_id):
            return _error(404, 10015, "Unknown Webhook")
        interaction = next(
            (i for i in self.interactions.values() if i.token == call.params["token"]), None
        )
        if interaction is None or interaction.callback_type is None:
            return _error(404, 10015, "Unknown Webhook")
        return interaction

    async def _post_followup(self, call: _Call) -> web.Response:
        interaction = self._webhook_interaction(call)
        if isinstance(interaction, web.Response):
            return interaction
        refusal = self._message_refusal(call.body, call.files)
        if refusal is not None:
            return refusal
        body = call.body if isinstance(call.body, dict) else {}
        original = interaction.original
        if interaction.deferred and not interaction.deferral_completed and original is not None:
            # Discord: the first followup replaces the "thinking" message and keeps its
            # visibility; the followup's own ephemeral flag is ignored.
            self._apply_edit(original, body)
            original.files = call.files
            original.edit_count = 0
            original.edited_timestamp = None
            interaction.deferral_completed = True
            message = original
            await self._echo("MESSAGE_UPDATE", message)
        else:
            message = self._new_message(
                channel_id=interaction.channel_id,
                guild_id=interaction.guild_id,
                body=body,
                files=call.files,
                kind="followup",
                ephemeral=bool(int(body.get("flags") or 0) & p.EPHEMERAL_FLAG),
                interaction_id=interaction.id,
            )
            interaction.messages.append(message)
            await self._echo("MESSAGE_CREATE", message)
        if call.request.query.get("wait") not in ("1", "true", "True"):
            return web.Response(status=204)
        return _json_response(200, message.payload())

    def _webhook_message(self, call: _Call) -> tuple[InteractionRecord, SentMessage] | web.Response:
        interaction = self._webhook_interaction(call)
        if isinstance(interaction, web.Response):
            return interaction
        wanted = call.params["message"]
        if wanted == "@original":
            message = interaction.original
        else:
            message = next((m for m in interaction.messages if str(m.id) == wanted), None)
        if message is None or message.deleted:
            return _error(404, 10008, "Unknown Message")
        return interaction, message

    async def _get_webhook_message(self, call: _Call) -> web.Response:
        found = self._webhook_message(call)
        if isinstance(found, web.Response):
            return found
        return _json_response(200, found[1].payload())

    async def _patch_webhook_message(self, call: _Call) -> web.Response:
        found = self._webhook_message(call)
        if isinstance(found, web.Response):
            return found
        interaction, message = found
        refusal = self._message_refusal(call.body, call.files, editing=True)
        if refusal is not None:
            return refusal
        self._apply_edit(message, call.body if isinstance(call.body, dict) else {})
        if call.files:
            message.files = call.files
        if message.id == interaction.original_message_id and interaction.deferred:
            interaction.deferral_completed = True
        await self._echo("MESSAGE_UPDATE", message)
        return _json_response(200, message.payload())

    async def _delete_webhook_message(self, call: _Call) -> web.Response:
        found = self._webhook_message(call)
        if isinstance(found, web.Response):
            return found
        interaction, message = found
        message.deleted = True
        if message.id == interaction.original_message_id and interaction.deferred:
            # With the "thinking" message gone, later followups keep their own visibility.
            interaction.deferral_completed = True
        if not message.ephemeral:
            await self._echo_delete(message)
        return web.Response(status=204)

    # --- gateway ------------------------------------------------------------------------------

    def _gateway_event(self, kind: str, connection: GatewayConnection, **detail: Any) -> None:
        session = connection.session
        self.gateway_events.append(
            GatewayEvent(
                kind=kind,
                path=connection.path,
                session_id=session.session_id if session else None,
                sequence=session.sequence if session else None,
                detail=detail,
            )
        )
        self._notify()

    def gateway_events_of(self, kind: str) -> list[GatewayEvent]:
        """Gateway events of one kind: connect, identify, resume, resumed, invalid, closed."""
        return [event for event in self.gateway_events if event.kind == kind]

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

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        connection = GatewayConnection(ws=ws, request=request, path=request.path, compress=compress)
        self.connections.append(connection)
        self._gateway_event("connect", connection, query=dict(request.query))
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            self.protocol_errors.append(f"gateway asked for {dict(request.query)}")
            await ws.close(code=4012, message=b"Invalid API version or encoding")
            return ws
        if compress == "zlib-stream":
            connection.compressor = zlib.compressobj()
        elif compress is not None:
            self.protocol_errors.append(f"gateway compression {compress!r} is not supported")
            await ws.close(code=4000, message=b"Unsupported compression")
            return ws
        await self._gateway_open.wait()
        try:
            await self._send_frame(
                connection,
                {"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}},
            )
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._gateway_frame(connection, json.loads(message.data))
                elif message.type is WSMsgType.BINARY:
                    self.protocol_errors.append("client sent a binary gateway frame")
                elif message.type is WSMsgType.ERROR:
                    break
        finally:
            if connection.session is not None and connection.session.connection is connection:
                connection.session.connection = None
            self._gateway_event("closed", connection, code=ws.close_code)
        return ws

    async def _gateway_frame(self, connection: GatewayConnection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        data = frame.get("d")
        redacted = dict(frame)
        if isinstance(data, dict) and "token" in data:
            redacted["d"] = {**data, "token": "<redacted>"}
        self.gateway_received.append(redacted)
        if op == OP_HEARTBEAT:
            await self._send_frame(connection, {"op": OP_HEARTBEAT_ACK})
            self._notify()
        elif op == OP_IDENTIFY and isinstance(data, dict):
            await self._identify(connection, data)
        elif op == OP_RESUME and isinstance(data, dict):
            await self._resume(connection, data)
        elif op in (OP_PRESENCE, OP_REQUEST_MEMBERS, 4):
            self._notify()
        else:
            self.protocol_errors.append(f"unknown gateway op {op!r}")
            await connection.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            self._gateway_event("identify_refused", connection)
            await connection.ws.close(code=4004, message=b"Authentication failed")
            return
        intents = int(data.get("intents", 0))
        if intents & p.INTENT_MESSAGE_CONTENT and not self.message_content_granted:
            self._gateway_event("identify_refused", connection, intents=intents)
            await connection.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = GatewaySession(session_id=secrets.token_hex(16), intents=intents)
        self.sessions[session.session_id] = session
        self.current_session = session
        connection.session = session
        session.connection = connection
        self._gateway_event("identify", connection, intents=session.intents)
        await self._dispatch_to(
            session,
            "READY",
            {
                "v": 10,
                "user": self.world.bot_user.payload(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in self.world.guilds],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.resume_gateway_url,
                "application": {"id": str(self.world.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "user_settings": {},
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "shard": [0, 1],
                "_trace": ["discord-double"],
            },
        )
        for guild in self.world.guilds:
            await self._dispatch_to(session, "GUILD_CREATE", guild.payload())

    async def _resume(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed")
            return
        if session is None:
            self._gateway_event("invalid", connection, asked=data.get("session_id"))
            await self._send_frame(connection, {"op": OP_INVALID_SESSION, "d": False})
            return
        old = session.connection
        session.connection = connection
        connection.session = session
        if old is not None and old is not connection and not old.ws.closed:
            await old.ws.close(code=4000)
        last_seen = int(data.get("seq") or 0)
        missed = [event for event in session.events if event["s"] > last_seen]
        self._gateway_event("resume", connection, last_seen=last_seen, replayed=len(missed))
        for event in missed:
            await self._send_frame(connection, event)
        await self._dispatch_to(session, "RESUMED", {"_trace": ["discord-double"]})
        self._gateway_event("resumed", connection)

    async def _dispatch_to(self, session: GatewaySession, event: str, data: Any) -> int:
        session.sequence += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": session.sequence, "d": data}
        session.events.append(frame)
        if session.connection is not None:
            await self._send_frame(session.connection, frame)
        self._notify()
        return session.sequence

    async def dispatch(self, event: str, data: Any) -> int:
        """Send a gateway DISPATCH to the current session (kept for replay if disconnected)."""
        if self.current_session is None:
            raise DoubleError("no gateway session: the bot has not identified")
        return await self._dispatch_to(self.current_session, event, data)

    async def send_reconnect(self) -> None:
        """Ask the bot to reconnect (op 7), as Discord does before maintenance."""
        session = self.current_session
        if session is None or session.connection is None:
            raise DoubleError("no connected gateway session")
        await self._send_frame(session.connection, {"op": OP_RECONNECT, "d": None})

    async def drop_gateway(self, *, code: int = 4000, abrupt: bool = False) -> None:
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
    async def gateway_down(self, *, code: int = 4000) -> AsyncIterator[None]:
        """Drop the socket and hold reconnects until the block ends (events queue for replay)."""
        self._gateway_open.clear()
        try:
            await self.drop_gateway(code=code)
            yield
        finally:
            self._gateway_open.set()

    # --- interactions the "user" starts -------------------------------------------------------

    def member(self, name_or_id: str | int, guild: p.FakeGuild | None = None) -> p.FakeMember:
        """A member of the guild by username or id."""
        guild = guild or self.world.guild
        for member in guild.members:
            if member.user.username == name_or_id or member.user.id == name_or_id:
                return member
        raise KeyError(name_or_id)

    def channel(self, name_or_id: str | int, guild: p.FakeGuild | None = None) -> p.FakeChannel:
        """A channel of the guild by name or id."""
        guild = guild or self.world.guild
        for channel in guild.channels:
            if channel.name == name_or_id or channel.id == name_or_id:
                return channel
        raise KeyError(name_or_id)

    def synced_command(
        self, name: str, *, guild_id: int | None = None, command_type: int = 1
    ) -> dict[str, Any]:
        """The command as the bot synced it (guild commands first), as a user's client sees it."""
        candidates = list(self.guild_commands.get(guild_id, [])) if guild_id else []
        candidates += self.global_commands
        for command in candidates:
            if command["name"] == name and command.get("type", 1) == command_type:
                return command
        raise DoubleError(
            f"command {name!r} (type {command_type}) was never synced; a user cannot invoke it"
        )

    def _base_interaction(
        self,
        interaction_type: int,
        data: dict[str, Any] | None,
        *,
        member: p.FakeMember | None,
        channel: p.FakeChannel | None,
        permissions: int | None,
        app_permissions: int | None,
        message: dict[str, Any] | None = None,
    ) -> InteractionRecord:
        guild = self.world.guild
        channel = channel or guild.channels[0]
        guild = self.world.find_guild(channel.guild_id) or guild
        member = member or self.member("pat_member", guild)
        member_payload = member.payload(guild, with_permissions=True)
        if permissions is not None:
            member_payload["permissions"] = str(permissions)
        interaction_id = p.new_snowflake()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.world.application_id),
            "type": interaction_type,
            "token": token,
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": {**channel.payload(), "permissions": member_payload["permissions"]},
            "member": member_payload,
            "app_permissions": str(
                self._bot_permissions(guild.id) if app_permissions is None else app_permissions
            ),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if data is not None:
            payload["data"] = data
        if message is not None:
            payload["message"] = message
        record = InteractionRecord(
            id=interaction_id,
            token=token,
            type=interaction_type,
            payload=payload,
            guild_id=guild.id,
            channel_id=channel.id,
            user=member.user,
            created_at=asyncio.get_running_loop().time(),
        )
        self.interactions[interaction_id] = record
        return record

    def _command_data(
        self,
        name: str,
        options: dict[str, Any],
        *,
        guild_id: int,
        focused: str | None = None,
    ) -> dict[str, Any]:
        top, *path = name.split()
        command = self.synced_command(top, guild_id=guild_id)
        definitions = command.get("options") or []
        resolved: dict[str, dict[str, Any]] = {}
        wrappers: list[dict[str, Any]] = []
        for segment in path:
            definition = next((d for d in definitions if d["name"] == segment), None)
            if definition is None or definition["type"] not in (
                OPTION_SUB_COMMAND,
                OPTION_SUB_COMMAND_GROUP,
            ):
                raise DoubleError(f"{name!r}: no subcommand {segment!r}")
            wrappers.append({"type": definition["type"], "name": segment})
            definitions = definition.get("options") or []
        leaf_options = self._typed_options(definitions, options, resolved, focused, name)
        nested: list[dict[str, Any]] = leaf_options
        for wrapper in reversed(wrappers):
            nested = [{**wrapper, "options": nested}]
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": command.get("type", 1),
            "options": nested,
        }
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return data

    def _typed_options(
        self,
        definitions: list[dict[str, Any]],
        values: dict[str, Any],
        resolved: dict[str, dict[str, Any]],
        focused: str | None,
        command_name: str,
    ) -> list[dict[str, Any]]:
        guild = self.world.guild
        by_name = {d["name"]: d for d in definitions}
        for definition in definitions:
            if definition.get("required") and definition["name"] not in values and focused is None:
                raise DoubleError(f"{command_name!r}: required option {definition['name']!r}")
        typed: list[dict[str, Any]] = []
        for option_name, value in values.items():
            if option_name not in by_name:
                raise DoubleError(f"{command_name!r} has no option {option_name!r}")
            option_type = by_name[option_name]["type"]
            raw: Any = value
            if option_type in (OPTION_USER, OPTION_MENTIONABLE) and isinstance(
                value, p.FakeMember | p.FakeUser
            ):
                member = value if isinstance(value, p.FakeMember) else guild.member(value.id)
                user = value.user if isinstance(value, p.FakeMember) else value
                resolved.setdefault("users", {})[str(user.id)] = user.payload()
                if member is not None:
                    member_payload = member.payload(guild, with_permissions=True)
                    member_payload.pop("user")
                    resolved.setdefault("members", {})[str(user.id)] = member_payload
                raw = str(user.id)
            elif option_type in (OPTION_ROLE, OPTION_MENTIONABLE) and isinstance(value, p.FakeRole):
                resolved.setdefault("roles", {})[str(value.id)] = value.payload()
                raw = str(value.id)
            elif option_type == OPTION_CHANNEL and isinstance(value, p.FakeChannel):
                resolved.setdefault("channels", {})[str(value.id)] = {
                    **value.payload(),
                    "permissions": str(p.ALL_PERMISSIONS),
                }
                raw = str(value.id)
            elif option_type == OPTION_ATTACHMENT:
                attachment = dict(value)
                attachment_id = str(attachment.setdefault("id", p.new_snowflake()))
                attachment["id"] = attachment_id
                attachment.setdefault("size", 0)
                attachment.setdefault("url", f"https://cdn.double.invalid/{attachment['filename']}")
                attachment.setdefault("proxy_url", attachment["url"])
                resolved.setdefault("attachments", {})[attachment_id] = attachment
                raw = attachment_id
            option: dict[str, Any] = {"name": option_name, "type": option_type, "value": raw}
            if option_name == focused:
                option["focused"] = True
            typed.append(option)
        return typed

    async def send_slash_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        member: p.FakeMember | None = None,
        channel: p.FakeChannel | None = None,
        permissions: int | None = None,
        app_permissions: int | None = None,
    ) -> InteractionRecord:
        """A member runs ``/name`` (``"group sub"`` for subcommands) with typed options."""
        channel = channel or self.world.guild.channels[0]
        data = self._command_data(name, options or {}, guild_id=channel.guild_id)
        record = self._base_interaction(
            INTERACTION_APPLICATION_COMMAND,
            data,
            member=member,
            channel=channel,
            permissions=permissions,
            app_permissions=app_permissions,
        )
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def send_autocomplete(
        self,
        name: str,
        options: dict[str, Any],
        focused: str,
        *,
        member: p.FakeMember | None = None,
        channel: p.FakeChannel | None = None,
    ) -> InteractionRecord:
        """A member types into option ``focused`` of ``/name``; the bot should offer choices."""
        channel = channel or self.world.guild.channels[0]
        data = self._command_data(name, options, guild_id=channel.guild_id, focused=focused)
        record = self._base_interaction(
            INTERACTION_AUTOCOMPLETE,
            data,
            member=member,
            channel=channel,
            permissions=None,
            app_permissions=None,
        )
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def send_message_command(
        self,
        name: str,
        target: SentMessage,
        *,
        member: p.FakeMember | None = None,
        permissions: int | None = None,
    ) -> InteractionRecord:
        """A member picks ``Apps → name`` on a message (a message context menu)."""
        channel = self.world.find_channel(target.channel_id)
        guild_id = channel.guild_id if channel else self.world.guild.id
        command = self.synced_command(name, guild_id=guild_id, command_type=3)
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 3,
            "target_id": str(target.id),
            "resolved": {"messages": {str(target.id): target.payload()}},
        }
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        record = self._base_interaction(
            INTERACTION_APPLICATION_COMMAND,
            data,
            member=member,
            channel=channel,
            permissions=permissions,
            app_permissions=None,
        )
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record

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
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        record = self._base_interaction(
            INTERACTION_COMPONENT,
            data,
            member=member,
            channel=self.world.find_channel(message.channel_id),
            permissions=None,
            app_permissions=None,
            message=message.payload(),
        )
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def send_user_message(
        self,
        content: str,
        *,
        member: p.FakeMember | None = None,
        channel: p.FakeChannel | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> SentMessage:
        """A member posts a message; content is blanked unless the bot has the content intent."""
        channel = channel or self.world.guild.channels[0]
        guild = self.world.find_guild(channel.guild_id) or self.world.guild
        member = member or self.member("pat_member", guild)
        message = self._new_message(
            channel_id=channel.id,
            guild_id=guild.id,
            body={"content": content, "embeds": embeds or []},
            files=(),
            kind="user",
            ephemeral=False,
            author=member.user,
        )
        session = self.current_session
        if session is None:
            raise DoubleError("no gateway session: the bot has not identified")
        if session.intents & p.INTENT_GUILD_MESSAGES:
            mentions_bot = str(self.world.bot_user.id) in message.pinged_user_ids or (
                f"<@{self.world.bot_user.id}>" in content
            )
            with_content = bool(session.intents & p.INTENT_MESSAGE_CONTENT) or mentions_bot
            data = message.payload(with_content=with_content)
            data["member"] = {k: v for k, v in member.payload(guild).items() if k != "user"}
            data["mentions"] = [
                u.payload()
                for uid in message.pinged_user_ids
                if (u := self.world.find_user(uid)) is not None
            ]
            await self.dispatch("MESSAGE_CREATE", data)
        return message

    # --- what the bot did ---------------------------------------------------------------------

    def channel_messages(self, channel: p.FakeChannel | int | None = None) -> list[SentMessage]:
        """Messages the bot posted in a channel (not interaction responses), oldest first."""
        channel_id = channel.id if isinstance(channel, p.FakeChannel) else channel
        return [
            m
            for m in self.messages.values()
            if m.kind == "channel" and (channel_id is None or m.channel_id == channel_id)
        ]

    async def wait_answered(self, interaction: InteractionRecord, timeout_s: float = 5.0) -> None:
        """Wait until the user sees an answer to ``interaction``."""
        await self.wait_until(
            lambda: interaction.answered, timeout_s, f"an answer to interaction {interaction.id}"
        )

    async def wait_for_messages(
        self, interaction: InteractionRecord, count: int, timeout_s: float = 5.0
    ) -> list[SentMessage]:
        """Wait until ``interaction`` has ``count`` completed messages; return them."""

        def ready() -> list[SentMessage] | None:
            done = [m for m in interaction.messages if not m.loading]
            return done if len(done) >= count else None

        return await self.wait_until(ready, timeout_s, f"{count} messages for {interaction.id}")
