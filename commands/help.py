"""/help: what the bot does and every command, in one embed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from commands import embeds
from commands.replies import Reply, installable_by_users

if TYPE_CHECKING:
    from commands.client import DiplobriefBot


def _usage(name: str, parameters: list[app_commands.Parameter]) -> str:
    options = " ".join(p.name if p.required else f"[{p.name}]" for p in parameters)
    return f"**/{name}** {options}".rstrip()


def command_lines(tree: app_commands.CommandTree) -> list[str]:  # type: ignore[type-arg]
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
    return lines


class HelpCog(commands.Cog):
    """Help."""

    def __init__(self, bot: DiplobriefBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What Diplobrief does and every command")
    @installable_by_users
    async def help(self, interaction: discord.Interaction) -> None:
        embed = embeds.help_embed(command_lines(self.bot.tree))
        await Reply.of(interaction).send(embed=embed, ephemeral=True)


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(HelpCog(bot))
