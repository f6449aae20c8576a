"""/quotes: what was said, by whom, in this server's articles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.limits import DEFAULT_QUOTES, MAX_QUOTES
from commands import embeds
from commands.replies import Reply, installable_by_users, scope_of, scope_or_none

if TYPE_CHECKING:
    from commands.client import DiplobriefBot


class QuotesCog(commands.Cog):
    """Quotes with their speakers."""

    def __init__(self, bot: DiplobriefBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="quotes", description="Quotes from stored articles, with their speakers"
    )
    @app_commands.describe(
        speaker="Only quotes by this person",
        article="Only quotes from this article (its #number or link)",
        limit=f"How many quotes (1–{MAX_QUOTES}, default {DEFAULT_QUOTES})",
    )
    @installable_by_users
    async def quotes(
        self,
        interaction: discord.Interaction,
        speaker: str | None = None,
        article: str | None = None,
        limit: app_commands.Range[int, 1, MAX_QUOTES] = DEFAULT_QUOTES,
    ) -> None:
        articles = self.bot.app.articles
        scope = scope_of(interaction)
        article_id = await articles.find_article(scope, article) if article else None
        found = await articles.quotes(
            scope, speaker=speaker, article=f"#{article_id}" if article_id else None, limit=limit
        )
        title = f"Quotes by {speaker}" if speaker else "Quotes"
        if article_id is not None:
            title += f" in #{article_id}"
        await Reply.of(interaction).send(embed=embeds.quotes_embed(title, found))

    @quotes.autocomplete("speaker")
    async def speaker_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        scope = scope_or_none(interaction)
        if scope is None:
            return []
        names = await self.bot.app.articles.speakers(scope, current, limit=25)
        return [app_commands.Choice(name=n[:100], value=n[:100]) for n in names]


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(QuotesCog(bot))
