"""The test's side: act as Discord's users (slash commands, clicks, messages) and wait for the bot.

Each action builds the interaction or message a user's client would cause, records it, and
dispatches it over the gateway; the waits re-check their condition whenever the state changes
and fail at once (``BotDiedError``) if the bot task dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.discord_double import payloads as p
from tests.discord_double.gateway import Gateway
from tests.discord_double.records import (
    BotDiedError,
    DoubleError,
    InteractionRecord,
    RecordedRequest,
    SentMessage,
)
from tests.discord_double.state import DoubleState

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
# What a user-installed app may do where the bot is not a member (Discord's fixed set).
EXTERNAL_APP_PERMISSIONS = (
    p.VIEW_CHANNEL
    | p.SEND_MESSAGES
    | p.EMBED_LINKS
    | p.ATTACH_FILES
    | p.READ_MESSAGE_HISTORY
    | p.USE_APPLICATION_COMMANDS
)


@dataclass(frozen=True)
class Place:
    """Where a user acts and through which install: a guild (the default, through the guild's
    install if it has the bot), a DM with the bot, or a private chat with someone else."""

    context: int = p.CONTEXT_GUILD
    user_install: bool = False
    chat_with: p.FakeUser | None = None  # the other person of a private chat
    installed_by: p.FakeUser | None = None  # whose install (default: the acting user's)

    @classmethod
    def named(cls, where: str, *, user_install: bool = False) -> Place:
        """ "guild", "bot_dm" or "private_channel"."""
        contexts = {
            "guild": p.CONTEXT_GUILD,
            "bot_dm": p.CONTEXT_BOT_DM,
            "private_channel": p.CONTEXT_PRIVATE_CHANNEL,
        }
        return cls(contexts[where], user_install)


class Driver:
    """What tests call to be the users of the double's world, and to wait for the bot."""

    def __init__(self, state: DoubleState, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    # --- interactions and messages the users start --------------------------------------------

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
        place: Place | None = None,
    ) -> InteractionRecord:
        """The interaction a user's client sends: in a guild (the default) or, for a user's own
        install, in a DM with the bot or a private chat; ``authorizing_integration_owners`` says
        which installs allowed it."""
        place = place or Place()
        interaction_id = p.new_snowflake()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.state.world.application_id),
            "type": interaction_type,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "context": place.context,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        owners: dict[str, str] = {}
        forced_ephemeral = False
        guild_id: int | None = None
        if place.context == p.CONTEXT_GUILD:
            guild = self.state.world.guild
            channel = channel or guild.channels[0]
            guild = self.state.world.find_guild(channel.guild_id) or guild
            member = member or self.state.member("pat_member", guild)
            member_payload = member.payload(guild, with_permissions=True)
            if permissions is not None:
                member_payload["permissions"] = str(permissions)
            guild_installed = guild.member(self.state.world.bot_user.id) is not None
            if guild_installed:
                owners[p.GUILD_INSTALL] = str(guild.id)
            if place.user_install:
                owners[p.USER_INSTALL] = str((place.installed_by or member.user).id)
            if not owners:
                raise DoubleError(f"the app is not installed in {guild.name!r} nor by the user")
            if not guild_installed:
                # A server may forbid its members' own apps: their answers are ephemeral then.
                forced_ephemeral = not int(member_payload["permissions"]) & p.USE_EXTERNAL_APPS
            if app_permissions is None:
                app_permissions = (
                    self.state.bot_permissions(guild.id)
                    if guild_installed
                    else EXTERNAL_APP_PERMISSIONS
                )
            guild_id = guild.id
            payload.update(
                {
                    "guild_id": str(guild.id),
                    "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
                    "channel_id": str(channel.id),
                    "channel": {**channel.payload(), "permissions": member_payload["permissions"]},
                    "member": member_payload,
                    "guild_locale": "en-US",
                }
            )
            user = member.user
            channel_id = channel.id
        else:
            user = (member.user if member else None) or self.state.member("pat_member").user
            installer = str((place.installed_by or user).id)
            if place.context == p.CONTEXT_BOT_DM:
                other = self.state.world.bot_user
                owners = (
                    {p.USER_INSTALL: installer} if place.user_install else {p.GUILD_INSTALL: "0"}
                )
            else:
                if not place.user_install:
                    raise DoubleError("only a user's own install works in a private chat")
                other = place.chat_with or self.state.member("olivia_owner").user
                owners = {p.USER_INSTALL: installer}
            channel_id = self.state.dm_channel_id(user.id, other.id)
            payload.update(
                {
                    "user": user.payload(),
                    "channel_id": str(channel_id),
                    "channel": {
                        "id": str(channel_id),
                        "type": p.CHANNEL_DM,
                        "recipients": [other.payload()],
                        "last_message_id": None,
                        "flags": 0,
                    },
                }
            )
            if app_permissions is None:
                app_permissions = EXTERNAL_APP_PERMISSIONS
        payload["authorizing_integration_owners"] = owners
        payload["app_permissions"] = str(app_permissions)
        if data is not None:
            payload["data"] = data
        if message is not None:
            payload["message"] = message
        record = InteractionRecord(
            id=interaction_id,
            token=token,
            type=interaction_type,
            payload=payload,
            guild_id=guild_id,
            channel_id=channel_id,
            user=user,
            created_at=asyncio.get_running_loop().time(),
            forced_ephemeral=forced_ephemeral,
        )
        self.state.interactions[interaction_id] = record
        return record

    def _install_used(self, place: Place, channel: p.FakeChannel | None) -> str:
        """Which install a command is looked up for: the server's where it has the bot."""
        if place.context != p.CONTEXT_GUILD:
            return p.USER_INSTALL if place.user_install else p.GUILD_INSTALL
        channel = channel or self.state.world.guild.channels[0]
        guild = self.state.world.find_guild(channel.guild_id)
        has_bot = guild is not None and guild.member(self.state.world.bot_user.id) is not None
        return p.GUILD_INSTALL if has_bot else p.USER_INSTALL

    def _command_data(
        self,
        name: str,
        options: dict[str, Any],
        *,
        guild_id: int | None,
        focused: str | None = None,
        context: int = p.CONTEXT_GUILD,
        install: str = p.GUILD_INSTALL,
    ) -> dict[str, Any]:
        top, *path = name.split()
        command = self.state.synced_command(
            top, guild_id=guild_id, context=context, install=install
        )
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
        guild = self.state.world.guild
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
        place: Place | None = None,
    ) -> InteractionRecord:
        """A member runs ``/name`` (``"group sub"`` for subcommands) with typed options; by
        default in a guild channel, or where ``place`` says (a DM, through their own install)."""
        place = place or Place()
        channel = channel or self.state.world.guild.channels[0]
        data = self._command_data(
            name,
            options or {},
            guild_id=channel.guild_id if place.context == p.CONTEXT_GUILD else None,
            context=place.context,
            install=self._install_used(place, channel),
        )
        record = self._base_interaction(
            INTERACTION_APPLICATION_COMMAND,
            data,
            member=member,
            channel=channel,
            permissions=permissions,
            app_permissions=app_permissions,
            place=place,
        )
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def send_dm_slash_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: p.FakeUser | None = None,
        interaction_type: int = INTERACTION_APPLICATION_COMMAND,
        focused: str | None = None,
    ) -> InteractionRecord:
        """A user runs ``/name`` in a DM with the bot: no guild, no member (what a misregistered
        or crafted command delivers). ``interaction_type`` 4 with ``focused`` is autocomplete."""
        user = user or self.state.member("pat_member").user
        data = self._command_data(name, options or {}, guild_id=None, focused=focused)
        dm_channel = {"id": str(p.new_snowflake()), "type": 1, "recipients": [user.payload()]}
        interaction_id = p.new_snowflake()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.state.world.application_id),
            "type": interaction_type,
            "token": token,
            "version": 1,
            "channel_id": dm_channel["id"],
            "channel": dm_channel,
            "user": user.payload(),
            "app_permissions": str(p.ALL_PERMISSIONS),
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"1": str(user.id)},
            "context": 1,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "data": data,
        }
        record = InteractionRecord(
            id=interaction_id,
            token=token,
            type=interaction_type,
            payload=payload,
            guild_id=None,
            channel_id=int(dm_channel["id"]),
            user=user,
            created_at=asyncio.get_running_loop().time(),
        )
        self.state.interactions[interaction_id] = record
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

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
        place = place or Place()
        channel = channel or self.state.world.guild.channels[0]
        data = self._command_data(
            name,
            options,
            guild_id=channel.guild_id if place.context == p.CONTEXT_GUILD else None,
            focused=focused,
            context=place.context,
            install=self._install_used(place, channel),
        )
        record = self._base_interaction(
            INTERACTION_AUTOCOMPLETE,
            data,
            member=member,
            channel=channel,
            permissions=None,
            app_permissions=None,
            place=place,
        )
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

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
        place = place or Place()
        channel = self.state.world.find_channel(target.channel_id)
        guild_id = channel.guild_id if channel else self.state.world.guild.id
        command = self.state.synced_command(
            name,
            guild_id=guild_id if place.context == p.CONTEXT_GUILD else None,
            command_type=3,
            context=place.context,
            install=self._install_used(place, channel),
        )
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
            place=place,
        )
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
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
        """A member clicks a button (or picks from a select menu) on a bot message; the click
        is authorised by the install that made the message (a user's, for a user-installed
        command's answer)."""
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        record = self._base_interaction(
            INTERACTION_COMPONENT,
            data,
            member=member,
            channel=self.state.world.find_channel(message.channel_id),
            permissions=None,
            app_permissions=None,
            message=message.payload(),
            place=self._place_of(message),
        )
        await self.gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

    def _place_of(self, message: SentMessage) -> Place:
        """Where a message of the bot was made and through whose install."""
        origin = self.state.interactions.get(message.interaction_id or 0)
        if origin is None:
            return Place()
        owners = origin.payload.get("authorizing_integration_owners") or {}
        context = int(origin.payload.get("context") or p.CONTEXT_GUILD)
        if p.USER_INSTALL in owners and p.GUILD_INSTALL not in owners:
            return Place(context, user_install=True, installed_by=origin.user)
        return Place(context)

    async def send_forwarded_message(
        self,
        forwarded: SentMessage | str,
        *,
        member: p.FakeMember | None = None,
        channel: p.FakeChannel | None = None,
    ) -> SentMessage:
        """A member forwards a message into a channel: a message of its own with no content, a
        FORWARD reference and the forwarded message as a snapshot (a string: a message from a
        place the bot cannot see, with that text)."""
        channel = channel or self.state.world.guild.channels[0]
        if isinstance(forwarded, str):
            original: dict[str, Any] = {
                "type": 0,
                "content": forwarded,
                "embeds": [],
                "attachments": [],
                "timestamp": p.iso_now(),
                "edited_timestamp": None,
                "flags": 0,
                "mentions": [],
                "mention_roles": [],
                "components": [],
            }
            reference = {
                "type": 1,
                "channel_id": str(p.new_snowflake()),
                "message_id": str(p.new_snowflake()),
                "guild_id": str(p.new_snowflake()),
            }
        else:
            full = forwarded.payload()
            original = {
                key: full[key]
                for key in (
                    "type",
                    "content",
                    "embeds",
                    "attachments",
                    "timestamp",
                    "edited_timestamp",
                    "flags",
                    "mentions",
                    "mention_roles",
                    "components",
                )
            }
            reference = {
                "type": 1,
                "channel_id": str(forwarded.channel_id),
                "message_id": str(forwarded.id),
            }
            if forwarded.guild_id is not None:
                reference["guild_id"] = str(forwarded.guild_id)
        return await self.send_user_message(
            "",
            member=member,
            channel=channel,
            message_reference=reference,
            message_snapshots=[{"message": original}],
        )

    async def send_user_message(
        self,
        content: str,
        *,
        member: p.FakeMember | None = None,
        channel: p.FakeChannel | None = None,
        embeds: list[dict[str, Any]] | None = None,
        message_reference: dict[str, Any] | None = None,
        message_snapshots: list[dict[str, Any]] | None = None,
    ) -> SentMessage:
        """A member posts a message; content is blanked unless the bot has the content intent."""
        channel = channel or self.state.world.guild.channels[0]
        guild = self.state.world.find_guild(channel.guild_id) or self.state.world.guild
        member = member or self.state.member("pat_member", guild)
        message = self.state.new_message(
            channel_id=channel.id,
            guild_id=guild.id,
            body={
                "content": content,
                "embeds": embeds or [],
                "message_reference": message_reference,
            },
            files=(),
            kind="user",
            ephemeral=False,
            author=member.user,
        )
        message.message_snapshots = message_snapshots
        session = self.gateway.current_session
        if session is None:
            raise DoubleError("no gateway session: the bot has not identified")
        in_bot_guild = guild in self.state.world.bot_guilds
        if session.intents & p.INTENT_GUILD_MESSAGES and in_bot_guild:
            mentions_bot = str(self.state.world.bot_user.id) in message.pinged_user_ids or (
                f"<@{self.state.world.bot_user.id}>" in content
            )
            with_content = bool(session.intents & p.INTENT_MESSAGE_CONTENT) or mentions_bot
            data = message.payload(with_content=with_content)
            data["member"] = {k: v for k, v in member.payload(guild).items() if k != "user"}
            data["mentions"] = [
                u.payload()
                for uid in message.pinged_user_ids
                if (u := self.state.world.find_user(uid)) is not None
            ]
            await self.gateway.dispatch("MESSAGE_CREATE", data)
        return message

    # --- waiting for the bot ------------------------------------------------------------------

    def _check_watched(self) -> None:
        for task in self.state.watched_tasks:
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
            changed = self.state.changed
            waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(changed.wait())]
            waiters += [task for task in self.state.watched_tasks if not task.done()]
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
            matching = [r for r in self.state.requests if predicate(r)]
            return matching[count - 1] if len(matching) >= count else None

        return await self.wait_until(found, timeout_s, "a matching request")

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
