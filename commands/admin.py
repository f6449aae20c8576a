"""Owner-only maintenance: `@Diplobrief sync [guild_id]` registers the slash commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

if TYPE_CHECKING:
    from commands.client import DiplobriefBot


class AdminCog(commands.Cog):
    """Commands only the bot's owner can run, by mentioning the bot."""

    def __init__(self, bot: DiplobriefBot) -> None:
        self.bot = bot

    @commands.command(name="sync")
    @commands.is_owner()
    async def sync(self, ctx: commands.Context[DiplobriefBot], guild_id: int | None = None) -> None:
        """Sync the slash commands globally, or to one server (instant)."""
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            self.bot.tree.copy_global_to(guild=guild)
        synced = await self.bot.tree.sync(guild=guild)
        where = f"server {guild_id}" if guild_id else "all servers"
        await ctx.reply(f"Synced {len(synced)} commands to {where}.", mention_author=False)


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(AdminCog(bot))
