"""Answering an interaction: defer, reply, and errors shown only to the person who asked.

`Reply.of(interaction)` is the one typed record of how an interaction was answered so far,
so the error handler knows whether a public "thinking…" message must be removed first.
`scope_of` decides whose library an interaction reads and writes (a server's or a user's).
"""

from __future__ import annotations

import io
import logging
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.domain.errors import UserFacingError
from bot.domain.pictures import Picture
from bot.domain.scope import guild_scope, user_scope
from commands import embeds

log = logging.getLogger(__name__)

T = TypeVar("T")

NO_PINGS = discord.AllowedMentions.none()
_STATE_KEY = "diplobrief.reply"


@dataclass
class ReplyState:
    """How far an interaction's answer got."""

    deferred_public: bool = False
    answered: bool = False


class Reply:
    """Sends an interaction's answer (first response or followups) and records what it did."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        state = interaction.extras.get(_STATE_KEY)
        if not isinstance(state, ReplyState):
            state = ReplyState()
            interaction.extras[_STATE_KEY] = state
        self.state = state

    @classmethod
    def of(cls, interaction: discord.Interaction) -> Reply:
        return cls(interaction)

    async def defer(self, *, ephemeral: bool = False) -> None:
        """Say "thinking…" (before slow work); its visibility carries to the first followup."""
        self.state.deferred_public = not ephemeral
        await self.interaction.response.defer(ephemeral=ephemeral, thinking=True)

    async def send(self, *, ephemeral: bool = False, **message: Any) -> None:
        """The answer: the response if none was sent yet, else a followup. Never pings."""
        message.setdefault("allowed_mentions", NO_PINGS)
        if not self.interaction.response.is_done():
            await self.interaction.response.send_message(ephemeral=ephemeral, **message)
        else:
            await self.interaction.followup.send(ephemeral=ephemeral, **message)
        self.state.answered = True

    async def error(self, message: str) -> None:
        """Show an error to the invoking user only, whatever state the interaction is in.

        The first message after a deferral takes the deferral's visibility, so after a public
        deferral the "thinking…" message is deleted first and the error sent as a new,
        ephemeral followup.
        """
        embed = embeds.error_embed(message)
        interaction = self.interaction
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(embed=embed, ephemeral=True)
                return
            if self.state.deferred_public and not self.state.answered:
                try:
                    await interaction.delete_original_response()
                except discord.HTTPException:
                    log.debug("could not delete the deferred response", exc_info=True)
            await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not deliver an error message to the user", exc_info=True)


def describe_error(error: BaseException) -> tuple[str, bool]:
    """The user's message for an error, and whether it is expected (no stack trace needed)."""
    original = getattr(error, "original", None) or error
    if isinstance(original, UserFacingError):
        return str(original), True
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {needed} permission to do that.", True
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I need the {needed} permission here to do that.", True
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in servers only.", True
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s.", True
    if isinstance(error, app_commands.TransformerError | app_commands.CheckFailure):
        return str(error) or "That input was not valid.", True
    ref = uuid.uuid4().hex[:8]
    return f"Something went wrong (ref {ref}).", False


async def handle_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Log and answer one failed interaction; never raises."""
    message, expected = describe_error(error)
    command = interaction.command.qualified_name if interaction.command else "component"
    if expected:
        log.info("user error in %s (guild %s): %s", command, interaction.guild_id, message)
    else:
        original = getattr(error, "original", None) or error
        log.error(
            "unexpected error in %s (guild %s) — %s",
            command,
            interaction.guild_id,
            message,
            exc_info=(type(original), original, original.__traceback__),
        )
    await Reply.of(interaction).error(message)


# Keys of an interaction's `authorizing_integration_owners`: who installed what was used.
GUILD_INSTALL = 0
USER_INSTALL = 1

# Where the commands may be installed and used, for the command tree's defaults (server only)
# and for the commands a person may also add to their own account.
SERVER_INSTALL_ONLY = app_commands.AppInstallationType(guild=True, user=False)
SERVER_CONTEXT_ONLY = app_commands.AppCommandContext(
    guild=True, dm_channel=False, private_channel=False
)


def integration_owners(interaction: discord.Interaction) -> dict[int, int]:
    """Which installs authorised the interaction: {0: guild id, 1: user id}, as Discord sent it.

    discord.py 2.7 parses `authorizing_integration_owners` into this private attribute only
    (its `is_user_integration()` compares with the clicker, which is wrong for a button under
    someone else's message), so it is read in this one place.
    """
    owners = getattr(interaction, "_integration_owners", None)
    return dict(owners) if isinstance(owners, dict) else {}


def _server_installed(owners: dict[int, int], guild_id: int) -> bool:
    """Whether the server's own install authorised it (no owners at all: Discord's older
    payloads, sent only for server installs)."""
    return not owners or owners.get(GUILD_INSTALL) == guild_id


def scope_of(interaction: discord.Interaction) -> int:
    """The library an interaction reads and writes.

    In a server that installed the app: the server's. Anywhere the app was reached through a
    person's own install — a DM with the bot, a private chat, a server that did not install it —
    that person's own library, visible only to them and never mixed with a server's. (For a
    button under a message, the person whose command made the message.)
    """
    owners = integration_owners(interaction)
    guild_id = interaction.guild_id
    if guild_id is not None and _server_installed(owners, guild_id):
        return guild_scope(guild_id)
    owner = owners.get(USER_INSTALL)
    if owner:
        return user_scope(owner)
    if guild_id is None:
        return user_scope(interaction.user.id)  # the server install, used in a DM with the bot
    raise UserFacingError("Diplobrief is not installed in this server.")


def server_scope_of(interaction: discord.Interaction) -> int:
    """The scope of a server-only command (digests, auto-summaries, /article): the server's."""
    guild_id = interaction.guild_id
    if guild_id is None or not _server_installed(integration_owners(interaction), guild_id):
        raise UserFacingError("This command works in servers that added Diplobrief.")
    return guild_scope(guild_id)


def installable_by_users(command: T) -> T:
    """Also installable on a person's own account and usable in DMs and private chats (the
    rest of the tree is for servers that added the app: the bot's defaults)."""
    command = app_commands.allowed_installs(guilds=True, users=True)(command)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(command)


def server_only(command: T) -> T:
    """Installed by servers and used in them only, whatever the tree's defaults become."""
    command = app_commands.allowed_installs(guilds=True, users=False)(command)
    return app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)(command)


def picture_file(picture: Picture) -> discord.File:
    """A picture as an upload with its alt text (Discord's attachment description)."""
    return discord.File(
        io.BytesIO(picture.png), filename=picture.filename, description=picture.description
    )


def with_picture(picture: Picture | None) -> dict[str, Any]:
    """`file=` for a reply when there is a picture, nothing otherwise."""
    return {"file": picture_file(picture)} if picture is not None else {}


def scope_or_none(interaction: discord.Interaction) -> int | None:
    """The interaction's library, or None where it has none (autocomplete offers nothing then)."""
    try:
        return scope_of(interaction)
    except UserFacingError:
        return None
