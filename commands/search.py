"""/search: full-text search of this server's articles, a page at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import UserFacingError
from bot.domain.limits import SEARCH_PAGE_SIZE
from commands import embeds
from commands.replies import Reply, installable_by_users, scope_of
from commands.views import OwnedView

if TYPE_CHECKING:
    from bot.services.articles import ArticleService
    from commands.client import DiplobriefBot

PAGE_SIZE = SEARCH_PAGE_SIZE


class SearchPager(OwnedView):
    """Previous/next buttons for the person who searched; they stop working after 10 minutes."""

    def __init__(
        self, service: ArticleService, scope: int, query: str, owner_id: int, total: int
    ) -> None:
        super().__init__(owner_id, "search", timeout=600)
        self.service = service
        self.scope = scope
        self.query = query
        self.page = 0
        self.pages = max(1, -(-total // PAGE_SIZE))
        self.refresh_buttons()

    def refresh_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1

    async def show(self, interaction: discord.Interaction) -> None:
        page = await self.service.search(
            self.scope, self.query, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE
        )
        self.refresh_buttons()
        embed = embeds.search_embed(page, self.query, page_number=self.page, page_size=PAGE_SIZE)
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        self.page = max(0, self.page - 1)
        await self.show(interaction)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.page = min(self.pages - 1, self.page + 1)
        await self.show(interaction)


class SearchCog(commands.Cog):
    """Full-text search."""

    def __init__(self, bot: DiplobriefBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="search", description="Search the stored articles (this server's, or your own)"
    )
    @app_commands.describe(query='Words to look for ("quotes" for a phrase, word* for a prefix)')
    @installable_by_users
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        if not query.strip():
            raise UserFacingError("Type something to search for.")
        scope = scope_of(interaction)
        page = await self.bot.app.articles.search(scope, query, limit=PAGE_SIZE)
        embed = embeds.search_embed(page, query, page_number=0, page_size=PAGE_SIZE)
        if page.total <= PAGE_SIZE:
            await Reply.of(interaction).send(embed=embed)
            return
        pager = SearchPager(self.bot.app.articles, scope, query, interaction.user.id, page.total)
        await Reply.of(interaction).send(embed=embed, view=pager)


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(SearchCog(bot))
