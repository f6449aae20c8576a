"""/quotes: what was said, by whom, in this server's articles."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.errors import NotFoundError

if TYPE_CHECKING:
    from bot.client import DiplobriefBot


class QuotesCog(commands.Cog):
    """Quotes with their speakers."""

    def __init__(self, bot: DiplobriefBot) -> None:
        self.bot = bot

    async def resolve_article(self, guild_id: int | None, article: str) -> int:
        """An article given as its number (#12 or 12) or its link."""
        text = article.strip()
        match = re.fullmatch(r"#?(\d+)", text)
        if match:
            return int(match.group(1))
        stored = await self.bot.store.find_article_by_url(guild_id, text)
        if stored is None:
            raise NotFoundError("No stored article matches that number or link.")
        return stored.id

    @app_commands.command(
        name="quotes", description="Quotes from stored articles, with their speakers"
    )
    @app_commands.describe(
        speaker="Only quotes by this person",
        article="Only quotes from this article (its #number or link)",
        limit="How many quotes (1–25, default 10)",
    )
    @app_commands.guild_only()
    async def quotes(
        self,
        interaction: discord.Interaction,
        speaker: str | None = None,
        article: str | None = None,
        limit: app_commands.Range[int, 1, 25] = 10,
    ) -> None:
        article_id = await self.resolve_article(interaction.guild_id, article) if article else None
        found = await self.bot.articles.quotes(
            interaction.guild_id, speaker=speaker, article_id=article_id, limit=limit
        )
        title = f"Quotes by {speaker}" if speaker else "Quotes"
        if article_id is not None:
            title += f" in #{article_id}"
        await interaction.response.send_message(embed=render.quotes_embed(title, found))

    @quotes.autocomplete("speaker")
    async def speaker_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = await self.bot.articles.speakers(interaction.guild_id, current, limit=25)
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names]


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(QuotesCog(bot))
