"""What the double knows and remembers, and the rules Discord applies to what it stores.

One ``DoubleState`` is shared by the REST routes, the gateway and the driver: the world (guilds,
members, channels), the settings a test may change at any time, every record, and the message
rules all three need (permissions, who a message pings, how a message is stored and edited).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tests.discord_double import payloads as p
from tests.discord_double.faults import Fault, RateLimit
from tests.discord_double.records import (
    DoubleError,
    GatewayEvent,
    InteractionRecord,
    RecordedFile,
    RecordedRequest,
    SentMessage,
    path_pattern,
)

BOT_TOKEN = "double-bot-token.not-a-real-token"

# How long Discord remembers a nonce sent with enforce_nonce ("the past few minutes").
NONCE_DEDUPE_S = 180.0

_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


class DoubleState:
    """The world, the settings, the records, and Discord's rules for stored messages."""

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
        # While set to an unset Event, channel message POSTs are stored (and echoed) but not
        # answered: a bot killed now had its message accepted without learning so.
        self.hold_channel_posts: asyncio.Event | None = None
        self.interactions: dict[int, InteractionRecord] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        # DM channels between two users (the bot included), by the pair of user ids.
        self.dm_channels: dict[frozenset[int], int] = {}
        self.faults: list[Fault] = []
        self.rate_limits: list[RateLimit] = []
        self.watched_tasks: list[asyncio.Task[Any]] = []
        # Set (and replaced) on every request and gateway frame, so waits re-check their condition.
        self.changed = asyncio.Event()

    def notify(self) -> None:
        """Wake everything waiting on a change."""
        self.changed.set()
        self.changed = asyncio.Event()

    # --- records ------------------------------------------------------------------------------

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests whose path matches a template like ``/webhooks/{app}/{token}``."""
        pattern = path_pattern(path)
        return [r for r in self.requests if r.method == method and pattern.match(r.path)]

    def gateway_events_of(self, kind: str) -> list[GatewayEvent]:
        """Gateway events of one kind: connect, identify, resume, resumed, invalid, closed."""
        return [event for event in self.gateway_events if event.kind == kind]

    def channel_messages(self, channel: p.FakeChannel | int | None = None) -> list[SentMessage]:
        """Messages the bot posted in a channel (not interaction responses), oldest first."""
        channel_id = channel.id if isinstance(channel, p.FakeChannel) else channel
        return [
            m
            for m in self.messages.values()
            if m.kind == "channel" and (channel_id is None or m.channel_id == channel_id)
        ]

    # --- the world ----------------------------------------------------------------------------

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
        self,
        name: str,
        *,
        guild_id: int | None = None,
        command_type: int = 1,
        context: int = p.CONTEXT_GUILD,
        install: str = p.GUILD_INSTALL,
    ) -> dict[str, Any]:
        """The command as the bot synced it (guild commands first), as a user's client sees it
        where they are (`context`) through the install they use: Discord offers a command only
        where its `contexts` and `integration_types` allow."""
        candidates = list(self.guild_commands.get(guild_id, [])) if guild_id else []
        candidates += self.global_commands
        for command in candidates:
            if command["name"] == name and command.get("type", 1) == command_type:
                contexts = command.get("contexts")
                installs = command.get("integration_types")
                if "guild_id" not in command and (
                    (contexts is not None and context not in contexts)
                    or (installs is not None and int(install) not in installs)
                ):
                    continue
                return command
        raise DoubleError(
            f"command {name!r} (type {command_type}) is not synced for context {context} and "
            f"install {install}; a user cannot invoke it there"
        )

    def dm_channel_id(self, user_id: int, other_id: int) -> int:
        """The DM channel of two users (one per pair, made on first use)."""
        return self.dm_channels.setdefault(frozenset((user_id, other_id)), p.new_snowflake())

    def bot_permissions(self, guild_id: int | None) -> int:
        """The bot's permissions in a guild (everything outside one)."""
        guild = self.world.find_guild(guild_id) if guild_id is not None else None
        if guild is None:
            return p.ALL_PERMISSIONS
        member = guild.member(self.world.bot_user.id)
        return guild.permissions_of(member) if member is not None else 0

    # --- faults and rate limits ---------------------------------------------------------------

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
        fault = Fault.for_status(
            method,
            path,
            status,
            times=times,
            code=code,
            message=message,
            retry_after=retry_after,
            is_global=is_global,
        )
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

    # --- messages -----------------------------------------------------------------------------

    def mentions(
        self, content: str, allowed: dict[str, Any] | None, guild_id: int | None
    ) -> tuple[bool, tuple[int, ...], tuple[int, ...]]:
        """Who a message pings, after allowed_mentions (Discord's default: everything parses)."""
        parse = (
            set(allowed.get("parse", [])) if allowed is not None else {"everyone", "users", "roles"}
        )
        allowed_users = {int(u) for u in (allowed or {}).get("users", [])}
        allowed_roles = {int(r) for r in (allowed or {}).get("roles", [])}
        can_ping_everyone = bool(self.bot_permissions(guild_id) & p.MENTION_EVERYONE)
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

    def new_message(
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
        """Store a message from a message body (the bot's unless ``author`` says otherwise)."""
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        everyone, users, roles = self.mentions(content, allowed, guild_id)
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

    def apply_edit(self, message: SentMessage, body: dict[str, Any]) -> None:
        """Apply an edit body: only the fields it names change; a loading message is done."""
        if "content" in body:
            message.content = body["content"] or ""
            everyone, users, roles = self.mentions(
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
