"""Shared pieces of the interactive messages (page buttons) the cogs send."""

from __future__ import annotations

from typing import Any

import discord

from commands.replies import handle_interaction_error


class OwnedView(discord.ui.View):
    """Buttons only the person who ran the command may press; errors go to the one handler."""

    def __init__(self, owner_id: int, command: str, *, timeout: float = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.command = command

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                f"These buttons belong to whoever ran /{self.command}; run it yourself.",
                ephemeral=True,
            )
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_interaction_error(interaction, error)
