"""Answering an interaction: defer, reply, and errors shown only to the person who asked.

`Reply.of(interaction)` is the one typed record of how an interaction was answered so far,
so the error handler knows whether a public "thinking…" message must be removed first.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from bot.domain.errors import UserFacingError
from bot.domain.scope import guild_scope
from commands import embeds

log = logging.getLogger(__name__)

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


def scope_of(interaction: discord.Interaction) -> int:
    """The library an interaction reads and writes: its server's.

    Checked in code, whatever the command's registration says: an interaction from a DM (or
    with a guild id no server can have) is refused, so it never reaches another library —
    least of all the console's scope 0.
    """
    if interaction.guild_id is None:
        raise UserFacingError("This command works in servers only.")
    try:
        return guild_scope(interaction.guild_id)
    except ValueError:
        raise UserFacingError("This command works in servers only.") from None


def scope_or_none(interaction: discord.Interaction) -> int | None:
    """The interaction's library, or None outside a server (autocomplete offers nothing then)."""
    try:
        return scope_of(interaction)
    except UserFacingError:
        return None
