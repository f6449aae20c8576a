"""Discord API v10 objects as the double serves them: a small world and its JSON payloads."""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits used by the double (Discord's values).
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
USE_EXTERNAL_APPS = 1 << 50  # a member may use apps they installed themselves, here
ALL_PERMISSIONS = (1 << 51) - 1

EVERYDAY_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
    | USE_EXTERNAL_APPS
)
BOT_PERMISSIONS = EVERYDAY_PERMISSIONS | MANAGE_MESSAGES

# Gateway intents the double looks at.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

EPHEMERAL_FLAG = 1 << 6
LOADING_FLAG = 1 << 7
CROSSPOSTED_FLAG = 1 << 0  # a message published to the servers following its channel

# Channel types.
CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_GROUP_DM = 3
CHANNEL_ANNOUNCEMENT = 5
CHANNEL_PUBLIC_THREAD = 11
CHANNEL_FORUM = 15
FORUM_REQUIRE_TAG = 1 << 4  # channel flag: every post needs a tag

# Interaction contexts and the install types of `authorizing_integration_owners`.
CONTEXT_GUILD = 0
CONTEXT_BOT_DM = 1
CONTEXT_PRIVATE_CHANNEL = 2
GUILD_INSTALL = "0"
USER_INSTALL = "1"

_snowflake_counter = itertools.count()


def new_snowflake() -> int:
    """A fresh Discord snowflake for now, so discord.py's created_at stays sensible."""
    millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (millis << 22) | (next(_snowflake_counter) & 0x3FFFFF)


def iso_now() -> str:
    """Discord's ISO-8601 timestamp for now."""
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class FakeUser:
    """A Discord user (a person or the bot)."""

    id: int
    username: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        """The user object."""
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": None if self.bot else self.username.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass(frozen=True)
class FakeRole:
    """A guild role with its permission bits."""

    id: int
    name: str
    permissions: int
    position: int = 0
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        """The role object."""
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass(frozen=True)
class FakeChannel:
    """A guild channel: text (0), announcement (5) or forum (15, with its tags)."""

    id: int
    name: str
    guild_id: int
    position: int = 0
    type: int = CHANNEL_TEXT
    flags: int = 0
    tags: tuple[tuple[int, str], ...] = ()  # a forum's (tag id, name)

    def payload(self) -> dict[str, Any]:
        """The channel object."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": self.flags,
        }
        if self.type == CHANNEL_FORUM:
            data["available_tags"] = [
                {
                    "id": str(tag_id),
                    "name": name,
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": None,
                }
                for tag_id, name in self.tags
            ]
            data["default_auto_archive_duration"] = 1440
            data["default_forum_layout"] = 0
            data["default_reaction_emoji"] = None
            data["default_sort_order"] = None
        return data


@dataclass(frozen=True)
class FakeThread(FakeChannel):
    """A thread, such as a forum post (its first message has the thread's id)."""

    parent_id: int = 0
    owner_id: int = 0
    applied_tags: tuple[int, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The thread channel object."""
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "parent_id": str(self.parent_id),
            "owner_id": str(self.owner_id),
            "name": self.name,
            "last_message_id": str(self.id),
            "rate_limit_per_user": 0,
            "message_count": 1,
            "member_count": 1,
            "total_message_sent": 1,
            "flags": self.flags,
            "applied_tags": [str(tag) for tag in self.applied_tags],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": iso_now(),
                "locked": False,
                "create_timestamp": iso_now(),
            },
        }


@dataclass(frozen=True)
class FakeMember:
    """A guild member: a user with roles."""

    user: FakeUser
    role_ids: tuple[int, ...] = ()
    nick: str | None = None

    def payload(self, guild: FakeGuild, *, with_permissions: bool = False) -> dict[str, Any]:
        """The guild member object (with computed ``permissions`` as in interactions)."""
        data: dict[str, Any] = {
            "user": self.user.payload(),
            "nick": self.nick,
            "avatar": None,
            "roles": [str(role_id) for role_id in self.role_ids],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_permissions:
            data["permissions"] = str(guild.permissions_of(self))
        return data


@dataclass
class FakeGuild:
    """A guild the bot is in: channels, roles (the @everyone role shares the guild id), members."""

    id: int
    name: str
    owner_id: int
    channels: list[FakeChannel] = field(default_factory=list)
    roles: list[FakeRole] = field(default_factory=list)
    members: list[FakeMember] = field(default_factory=list)
    threads: list[FakeThread] = field(default_factory=list)  # active threads (forum posts)

    def role(self, role_id: int) -> FakeRole | None:
        """The role with this id, if any."""
        return next((role for role in self.roles if role.id == role_id), None)

    def channel(self, channel_id: int) -> FakeChannel | None:
        """The channel (or thread) with this id, if any."""
        return next(
            (channel for channel in [*self.channels, *self.threads] if channel.id == channel_id),
            None,
        )

    def member(self, user_id: int) -> FakeMember | None:
        """The member with this user id, if any."""
        return next((member for member in self.members if member.user.id == user_id), None)

    def permissions_of(self, member: FakeMember) -> int:
        """Guild-level permissions, as Discord computes them (owner and admin get everything)."""
        if member.user.id == self.owner_id:
            return ALL_PERMISSIONS
        everyone = self.role(self.id)
        bits = everyone.permissions if everyone else 0
        for role_id in member.role_ids:
            role = self.role(role_id)
            if role is not None:
                bits |= role.permissions
        return ALL_PERMISSIONS if bits & ADMINISTRATOR else bits

    def payload(self) -> dict[str, Any]:
        """The GUILD_CREATE payload for this guild."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [role.payload() for role in self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [member.payload(self) for member in self.members],
            "channels": [
                {k: v for k, v in channel.payload().items() if k != "guild_id"}
                for channel in self.channels
            ],
            "threads": [thread.payload() for thread in self.threads],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class World:
    """Everything the double knows: the bot, its application, guilds and people."""

    bot_user: FakeUser
    application_id: int
    owner: FakeUser
    guilds: list[FakeGuild]

    @property
    def guild(self) -> FakeGuild:
        """The first (usually only) guild."""
        return self.guilds[0]

    @property
    def bot_guilds(self) -> list[FakeGuild]:
        """The guilds that installed the app (the bot is a member): what the gateway sends."""
        return [guild for guild in self.guilds if guild.member(self.bot_user.id) is not None]

    def find_guild(self, guild_id: int) -> FakeGuild | None:
        """The guild with this id, if any."""
        return next((guild for guild in self.guilds if guild.id == guild_id), None)

    def find_channel(self, channel_id: int) -> FakeChannel | None:
        """The channel with this id in any guild, if any."""
        for guild in self.guilds:
            channel = guild.channel(channel_id)
            if channel is not None:
                return channel
        return None

    def find_user(self, user_id: int) -> FakeUser | None:
        """A known user by id."""
        for guild in self.guilds:
            member = guild.member(user_id)
            if member is not None:
                return member.user
        return self.bot_user if user_id == self.bot_user.id else None

    def application_payload(self) -> dict[str, Any]:
        """GET /oauth2/applications/@me."""
        return {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "A Discord double's application",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user.payload(),
            "owner": self.owner.payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "summary": "",
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "integration_types_config": {"0": {}, "1": {}},
        }


def default_world() -> World:
    """One guild with #general and #news, an owner, a moderator, a plain member and the bot."""
    guild_id = new_snowflake()
    owner = FakeUser(new_snowflake(), "olivia_owner")
    moderator = FakeUser(new_snowflake(), "mo_moderator")
    member = FakeUser(new_snowflake(), "pat_member")
    bot_user = FakeUser(new_snowflake(), "Diplobrief", bot=True)
    everyone = FakeRole(guild_id, "@everyone", EVERYDAY_PERMISSIONS)
    moderators = FakeRole(new_snowflake(), "Moderators", MANAGE_GUILD | MANAGE_MESSAGES, 2)
    bot_role = FakeRole(new_snowflake(), "Diplobrief", BOT_PERMISSIONS, 1, managed=True)
    guild = FakeGuild(
        id=guild_id,
        name="Embassy Row",
        owner_id=owner.id,
        channels=[
            FakeChannel(new_snowflake(), "general", guild_id, 0),
            FakeChannel(new_snowflake(), "news", guild_id, 1),
        ],
        roles=[everyone, moderators, bot_role],
        members=[
            FakeMember(owner),
            FakeMember(moderator, (moderators.id,)),
            FakeMember(member),
            FakeMember(bot_user, (bot_role.id,)),
        ],
    )
    return World(bot_user=bot_user, application_id=new_snowflake(), owner=owner, guilds=[guild])


# --- validation that mirrors Discord's 400 answers -------------------------------------------

_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")

EMBED_LIMITS = {"title": 256, "description": 4096, "footer": 2048, "author": 256}


def invalid_form_body(errors: dict[str, Any]) -> dict[str, Any]:
    """Discord's 50035 error body."""
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def _field_error(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def embed_length(embed: dict[str, Any]) -> int:
    """Characters counted against Discord's 6,000-per-message embed budget."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for embed_field in embed.get("fields") or []:
        total += len(embed_field.get("name") or "") + len(embed_field.get("value") or "")
    return total


def message_errors(payload: dict[str, Any], *, has_files: bool, editing: bool) -> dict[str, Any]:
    """Form errors Discord would report for a message body (empty dict: acceptable)."""
    errors: dict[str, Any] = {}
    content = payload.get("content")
    if content is not None and len(content) > 2000:
        errors["content"] = _field_error("BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = _field_error("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        embed_errors: dict[str, Any] = {}
        for key, limit in EMBED_LIMITS.items():
            value = embed.get(key)
            text = value.get("text") or value.get("name") if isinstance(value, dict) else value
            if text is not None and len(text) > limit:
                embed_errors[key] = _field_error(
                    "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
                )
        fields = embed.get("fields") or []
        if len(fields) > 25:
            embed_errors["fields"] = _field_error(
                "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        for field_index, embed_field in enumerate(fields):
            name, value = embed_field.get("name") or "", embed_field.get("value") or ""
            if not name or len(name) > 256 or not value or len(value) > 1024:
                embed_errors.setdefault("fields", {})[str(field_index)] = _field_error(
                    "BASE_TYPE_BAD_LENGTH", "Field name 1-256 and value 1-1024 characters."
                )
        total += embed_length(embed)
        if embed_errors:
            errors.setdefault("embeds", {})[str(index)] = embed_errors
    if total > 6000:
        errors.setdefault("embeds", {})["_errors"] = [
            {
                "code": "MAX_EMBED_SIZE_EXCEEDED",
                "message": "Embed size exceeds maximum size of 6000",
            }
        ]
    return errors


def is_empty_message(payload: dict[str, Any], *, has_files: bool) -> bool:
    """Discord refuses a message with nothing in it (50006)."""
    return not (
        payload.get("content")
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("sticker_ids")
        or payload.get("poll")
        or has_files
    )


def command_errors(commands: list[dict[str, Any]]) -> dict[str, Any]:
    """Form errors Discord would report for a bulk command overwrite."""
    errors: dict[str, Any] = {}
    seen: set[tuple[str, int]] = set()
    for index, command in enumerate(commands):
        command_errors_: dict[str, Any] = {}
        name = command.get("name", "")
        kind = command.get("type", 1)
        if kind == 1 and (not _COMMAND_NAME.match(name) or name != name.lower()):
            command_errors_["name"] = _field_error(
                "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        if kind == 1 and not 1 <= len(command.get("description", "")) <= 100:
            command_errors_["description"] = _field_error(
                "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        if (name, kind) in seen:
            command_errors_["name"] = _field_error(
                "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
            )
        seen.add((name, kind))
        option_errors = _options_errors(command.get("options") or [])
        if option_errors:
            command_errors_["options"] = option_errors
        if command_errors_:
            errors[str(index)] = command_errors_
    return errors


def _options_errors(options: list[dict[str, Any]]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if len(options) > 25:
        errors["_errors"] = [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer."}]
    seen_optional = False
    for index, option in enumerate(options):
        option_errors: dict[str, Any] = {}
        if not _COMMAND_NAME.match(option.get("name", "")):
            option_errors["name"] = _field_error(
                "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        if not 1 <= len(option.get("description", "")) <= 100:
            option_errors["description"] = _field_error(
                "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
            )
        if option.get("type") in (1, 2):
            nested = _options_errors(option.get("options") or [])
            if nested:
                option_errors["options"] = nested
        elif option.get("required"):
            if seen_optional:
                option_errors["required"] = _field_error(
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        if len(option.get("choices") or []) > 25:
            option_errors["choices"] = _field_error(
                "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        if option_errors:
            errors[str(index)] = option_errors
    return errors
