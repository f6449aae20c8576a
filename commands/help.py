"""/help: what the bot does and every command, in one embed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render

if TYPE_CHECKING:
    from bot.client import DiplobriefBot

INTRO = (
    "I brief you on diplomatic news. Give me an article and I answer with a short summary, "
    "the countries and people involved, and who said what. Everything I store stays in this "
    "server."
)


def _usage(name: str, parameters: list[app_commands.Parameter]) -> str:
    options = " ".join(p.name if p.required else f"[{p.name}]" for p in parameters)
    return f"**/{name}** {options}".rstrip()


def help_embed(tree: app_commands.CommandTree) -> discord.Embed:  # type: ignore[type-arg]
    """Every slash command, its options and what it does, read from the command tree itself."""
    lines: list[str] = []
    for command in sorted(tree.get_commands(), key=lambda c: c.name):
        if isinstance(command, app_commands.Group):
            for sub in command.commands:
                if isinstance(sub, app_commands.Command):
                    usage = _usage(f"{command.name} {sub.name}", sub.parameters)
                    lines.append(f"{usage} — {sub.description}")
        elif isinstance(command, app_commands.Command):
            lines.append(f"{_usage(command.name, command.parameters)} — {command.description}")
        elif isinstance(command, app_commands.ContextMenu):
            lines.append(f"**{command.name}** (right-click a message → Apps) — summarize its links")
    commands_text = render.clip_lines(lines, render.DESCRIPTION_LIMIT - len(INTRO) - 2)
    embed = discord.Embed(
        title="Diplobrief", description=f"{INTRO}\n\n{commands_text}", colour=render.BRAND_COLOUR
    )
    embed.add_field(
        name="Links in chat",
        value=(
            "When an admin turns on /autosummary for a channel, links people post there are "
            "summarized as replies (up to 3 per message)."
        ),
        inline=False,
    )
    return render.fit_embed(embed)


class HelpCog(commands.Cog):
    """Help."""

    def __init__(self, bot: DiplobriefBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What Diplobrief does and every command")
    async def help(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=help_embed(self.bot.tree), ephemeral=True)


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(HelpCog(bot))
