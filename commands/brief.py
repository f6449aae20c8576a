"""/brief and /relations: stories across the server's articles, and who deals with whom.

Both attach a picture when there is one worth drawing (a coverage timeline for a briefing
longer than a day, the network of a country's relations); the embeds say everything without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.limits import (
    BRIEF_DEFAULT_DAYS,
    DEFAULT_STORIES,
    MAX_DAYS,
    MAX_STORIES,
    MIN_DAYS,
    RELATIONS_DEFAULT_DAYS,
    STORY_SENTENCES,
    days_range_text,
)
from bot.domain.stories import BriefingQuery
from bot.domain.text import flag
from commands import embeds
from commands.replies import Reply, server_scope_of, with_picture
from commands.views import OwnedView

if TYPE_CHECKING:
    from bot.services.briefings import BriefingService
    from commands.client import DiplobriefBot


def country_choices(
    briefings: BriefingService, current: str, limit: int = 25
) -> list[app_commands.Choice[str]]:
    """Country names whose name or any word of it starts with what was typed."""
    return [
        app_commands.Choice(name=f"{flag(c.code)} {c.name}"[:100], value=c.code)
        for c in briefings.country_choices(current, limit)
    ]


class BriefingPager(OwnedView):
    """Page buttons over a long briefing, for the person who asked."""

    def __init__(self, pages: list[list[discord.Embed]], owner_id: int) -> None:
        super().__init__(owner_id, "brief", timeout=900)
        self.pages = pages
        self.index = 0
        self.refresh()

    def refresh(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1
        self.position.label = f"{self.index + 1} / {len(self.pages)}"

    async def turn(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self.refresh()
        await interaction.response.edit_message(embeds=self.pages[self.index], view=self)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await self.turn(interaction, -1)

    @discord.ui.button(label="1 / 1", style=discord.ButtonStyle.secondary, disabled=True)
    async def position(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer()

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self.turn(interaction, 1)


class BriefCog(commands.Cog):
    """Briefings across stored articles."""

    def __init__(self, bot: DiplobriefBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="brief", description="A briefing: the stories that matter, each told once"
    )
    @app_commands.describe(
        topic='Only stories about this (words, "a phrase")',
        country="Only stories involving this country",
        days=f"How many days back ({days_range_text()}, default {BRIEF_DEFAULT_DAYS})",
        stories=f"How many stories (1–{MAX_STORIES}, default {DEFAULT_STORIES})",
    )
    @app_commands.guild_only()
    async def brief(
        self,
        interaction: discord.Interaction,
        topic: str | None = None,
        country: str | None = None,
        days: app_commands.Range[int, MIN_DAYS, MAX_DAYS] = BRIEF_DEFAULT_DAYS,
        stories: app_commands.Range[int, 1, MAX_STORIES] = DEFAULT_STORIES,
    ) -> None:
        briefings = self.bot.app.briefings
        scope = server_scope_of(interaction)
        if country:
            briefings.resolve_country(country)  # an unknown country is refused before deferring
        query = BriefingQuery(
            window=briefings.last_days(days),
            topic=topic,
            country=country,
            stories=stories,
            sentences=STORY_SENTENCES,
        )
        reply = Reply.of(interaction)
        await reply.defer()
        briefing = await briefings.brief(scope, query)
        pages = embeds.briefing_pages(briefing)
        picture = with_picture(await self.bot.app.pictures.timeline(briefing))
        if len(pages) == 1:
            await reply.send(embeds=pages[0], **picture)
        else:
            pager = BriefingPager(pages, interaction.user.id)
            await reply.send(embeds=pages[0], view=pager, **picture)

    @app_commands.command(name="relations", description="Which countries a country is dealing with")
    @app_commands.describe(
        country="The country",
        days=f"How many days back ({days_range_text()}, default {RELATIONS_DEFAULT_DAYS})",
    )
    @app_commands.guild_only()
    async def relations(
        self,
        interaction: discord.Interaction,
        country: str,
        days: app_commands.Range[int, MIN_DAYS, MAX_DAYS] = RELATIONS_DEFAULT_DAYS,
    ) -> None:
        briefings = self.bot.app.briefings
        scope = server_scope_of(interaction)
        briefings.resolve_country(country)
        reply = Reply.of(interaction)
        await reply.defer()
        relations = await briefings.relations(scope, country, briefings.last_days(days))
        picture = with_picture(await self.bot.app.pictures.relations(relations))
        await reply.send(embed=embeds.relations_embed(relations), **picture)

    @brief.autocomplete("country")
    @relations.autocomplete("country")
    async def country_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return country_choices(self.bot.app.briefings, current)


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(BriefCog(bot))
