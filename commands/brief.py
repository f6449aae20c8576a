"""/brief and /relations: stories across the server's articles, and who deals with whom."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.briefing import build_briefing, country_relations, resolve_country
from bot.client import NO_PINGS, defer
from bot.nlp.countries import country_names
from commands.views import OwnedView

if TYPE_CHECKING:
    from bot.client import DiplobriefBot


def country_choices(current: str, limit: int = 25) -> list[app_commands.Choice[str]]:
    """Country names whose name or any word of it starts with what was typed."""
    typed = current.strip().casefold()
    names = sorted(country_names().items(), key=lambda item: item[1])
    found = []
    for code, name in names:
        words = name.casefold().replace("-", " ").split()
        if (
            not typed
            or name.casefold().startswith(typed)
            or any(w.startswith(typed) for w in words)
            or code.casefold() == typed
        ):
            found.append(app_commands.Choice(name=f"{render.flag(code)} {name}"[:100], value=code))
        if len(found) >= limit:
            break
    return found


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
        days="How many days back (1–30, default 1)",
    )
    @app_commands.guild_only()
    async def brief(
        self,
        interaction: discord.Interaction,
        topic: str | None = None,
        country: str | None = None,
        days: app_commands.Range[int, 1, 30] = 1,
    ) -> None:
        if country:
            resolve_country(country)  # an unknown country is refused before deferring
        await defer(interaction)
        briefing = await build_briefing(
            self.bot.store,
            interaction.guild_id,
            now=self.bot.now(),
            days=days,
            topic=topic,
            country=country,
        )
        pages = render.briefing_pages(briefing)
        interaction.extras["answered"] = True
        if len(pages) == 1:
            await interaction.followup.send(embeds=pages[0], allowed_mentions=NO_PINGS)
        else:
            await interaction.followup.send(
                embeds=pages[0],
                view=BriefingPager(pages, interaction.user.id),
                allowed_mentions=NO_PINGS,
            )

    @app_commands.command(name="relations", description="Which countries a country is dealing with")
    @app_commands.describe(country="The country", days="How many days back (1–30, default 7)")
    @app_commands.guild_only()
    async def relations(
        self,
        interaction: discord.Interaction,
        country: str,
        days: app_commands.Range[int, 1, 30] = 7,
    ) -> None:
        resolve_country(country)
        await defer(interaction)
        relations = await country_relations(
            self.bot.store, interaction.guild_id, country, now=self.bot.now(), days=days
        )
        interaction.extras["answered"] = True
        await interaction.followup.send(
            embed=render.relations_embed(relations), allowed_mentions=NO_PINGS
        )

    @brief.autocomplete("country")
    @relations.autocomplete("country")
    async def country_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return country_choices(current)


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(BriefCog(bot))
