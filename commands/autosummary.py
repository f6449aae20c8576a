"""/autosummary and the listener that summarizes links people post in enabled channels."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.errors import PermissionDeniedError, UserFacingError
from bot.domain.scope import guild_scope
from commands.articles import article_view, message_text, report_embed
from commands.replies import NO_PINGS, Reply, server_only, server_scope_of

if TYPE_CHECKING:
    from commands.client import DiplobriefBot

log = logging.getLogger(__name__)


class AutosummaryCog(commands.Cog):
    """Link auto-summaries (needs the Message Content intent; everything else works without)."""

    def __init__(self, bot: DiplobriefBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="autosummary", description="Summarize links posted in a channel automatically"
    )
    @app_commands.describe(
        enabled="Turn auto-summaries on or off", channel="Which channel (default: this one)"
    )
    @app_commands.default_permissions(manage_channels=True)
    @app_commands.guild_only()
    @server_only
    async def autosummary(
        self,
        interaction: discord.Interaction,
        enabled: bool,
        channel: discord.TextChannel | None = None,
    ) -> None:
        scope = server_scope_of(interaction)
        if not interaction.permissions.manage_channels:
            raise PermissionDeniedError("You need the Manage Channels permission to change this.")
        channel_id = channel.id if channel is not None else interaction.channel_id
        if channel_id is None:
            raise UserFacingError("Pick a text channel.")
        await self.bot.app.articles.set_autosummary(scope, channel_id, enabled)
        state = "on" if enabled else "off"
        note = ""
        if enabled and not self.bot.intents.message_content:
            note = (
                "\nNote: the bot runs without the Message Content intent, so it cannot read links."
            )
        await Reply.of(interaction).send(
            content=f"Auto-summaries are {state} in <#{channel_id}>.{note}", ephemeral=True
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Links in a message, or in a message someone forwarded here, within the same limits."""
        if message.author.bot or message.guild is None:
            return
        text = message_text(message, embed_links=False)
        if not text:
            return
        links = await self.bot.app.articles.links_to_autosummarize(
            guild_scope(message.guild.id), message.channel.id, message.author.id, text
        )
        for url in links:
            await self.summarize_link(message, url)

    async def summarize_link(self, message: discord.Message, url: str) -> None:
        """Reply with one link's summary; a failing link is logged and skipped quietly."""
        assert message.guild is not None
        try:
            report = await self.bot.app.articles.add_url(
                guild_scope(message.guild.id), url, added_by=message.author.id
            )
        except UserFacingError as err:
            log.info("auto-summary skipped %s in guild %s: %s", url, message.guild.id, err)
            return
        except Exception:
            log.exception("auto-summary failed for a link in guild %s", message.guild.id)
            return
        try:
            embed = await report_embed(self.bot, guild_scope(message.guild.id), report)
            await message.reply(
                embed=embed,
                view=article_view(report),
                mention_author=False,
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException:
            log.warning("could not reply in channel %s", message.channel.id, exc_info=True)


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(AutosummaryCog(bot))
