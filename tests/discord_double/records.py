"""What the double remembers: the bot's requests, messages as Discord stores them, interactions.

Plain records, no behaviour beyond what a viewer would see (``SentMessage.payload``,
``InteractionRecord.answered``); tests assert on them and the REST and gateway parts fill them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.discord_double import payloads as p

# Interaction callback types: how the bot answers an interaction.
CALLBACK_PONG = 1
CALLBACK_MESSAGE = 4
CALLBACK_DEFERRED_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE = 8
CALLBACK_MODAL = 9


class DoubleError(AssertionError):
    """The bot did something the double (or Discord) would not accept, or a wait timed out."""


class BotDiedError(AssertionError):
    """The bot task ended while a test was waiting on it."""


@dataclass(frozen=True)
class RecordedFile:
    """A file part of a multipart request, with what its `attachments` entry said of it."""

    field_name: str
    filename: str
    content_type: str
    data: bytes
    description: str | None = None  # the alt text Discord shows for it


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
    message_snapshots: list[dict[str, Any]] | None = None  # what a forwarded message carries
    crossposts: int = 0  # times it was published (Discord refuses a second time)

    @property
    def is_reply(self) -> bool:
        """A reply (its reference is of type DEFAULT), not a forward (type FORWARD)."""
        return self.message_reference is not None and not self.message_reference.get("type")

    def payload(self, *, with_content: bool = True) -> dict[str, Any]:
        """The message object as the API returns it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": 19 if self.is_reply else 0,
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
                    **({"description": file.description} if file.description else {}),
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
        if self.message_snapshots is not None:
            data["message_snapshots"] = (
                self.message_snapshots if with_content else _blank(self.message_snapshots)
            )
        if self.interaction_id is not None:
            data["webhook_id"] = str(self.author.id)
            data["application_id"] = str(self.author.id)
        return data


def _blank(snapshots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Snapshots as a bot without the Message Content intent gets them."""
    return [
        {"message": {**s["message"], "content": "", "embeds": [], "attachments": []}}
        for s in snapshots
    ]


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
    # A member who may not use external apps ran the user's install in a server that did not
    # install it: Discord shows every answer to them only, whatever flags the bot sends.
    forced_ephemeral: bool = False
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
