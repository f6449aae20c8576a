"""/digest subscribe|unsubscribe|list|preview, and the sender that posts each channel's digest."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.digests import DeliveryRefused, DeliveryRejected, Digest
from bot.domain.errors import PermissionDeniedError, UserFacingError
from bot.domain.schedule import DEFAULT_TIME, DEFAULT_TIMEZONE
from bot.domain.scope import guild_scope
from bot.services.digests import check_subscription
from bot.services.scheduler import Sleep
from bot.services.tasks import BackgroundTasks
from commands import embeds
from commands.brief import country_choices
from commands.replies import NO_PINGS, Reply, scope_of

if TYPE_CHECKING:
    from commands.client import DiplobriefBot

log = logging.getLogger(__name__)

# Discord codes for "this channel cannot take messages any more" that come without a 403/404.
_CHANNEL_GONE_CODES = {50083: "The thread is archived."}


class DiscordDigestSender:
    """Posts digests through discord.py: one message per occurrence, with its nonce."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send_digest(self, digest: Digest) -> int:
        """Post in the subscribed channel or thread; Discord's refusals become our exceptions."""
        subscription = digest.subscription
        channel = self.client.get_partial_messageable(
            subscription.channel_id, guild_id=subscription.guild_id
        )
        content, message_embeds = embeds.digest_message(digest)
        try:
            message = await channel.send(
                content=content,
                embeds=message_embeds,
                nonce=digest.nonce,
                allowed_mentions=NO_PINGS,
            )
        except discord.NotFound as error:
            raise DeliveryRefused(
                "The channel was deleted or I can no longer see it (Discord: "
                f"{error.text or 'Not Found'})."
            ) from error
        except discord.Forbidden as error:
            raise DeliveryRefused(
                "I am not allowed to post there any more (Discord: "
                f"{error.text or 'Forbidden'}). Give me Send Messages and Embed Links, then run "
                "/digest subscribe again."
            ) from error
        except discord.HTTPException as error:
            if error.code in _CHANNEL_GONE_CODES:
                raise DeliveryRefused(_CHANNEL_GONE_CODES[error.code]) from error
            if 400 <= error.status < 500 and error.status != 429:
                raise DeliveryRejected(f"{error.status} {error.text}") from error
            raise
        return message.id


def _require_manage_channels(interaction: discord.Interaction) -> None:
    if not interaction.permissions.manage_channels:
        raise PermissionDeniedError("You need the Manage Channels permission to change digests.")


def _require_bot_can_post(interaction: discord.Interaction) -> None:
    allowed = interaction.app_permissions
    in_thread = isinstance(interaction.channel, discord.Thread)
    can_send = allowed.send_messages_in_threads if in_thread else allowed.send_messages
    if not (can_send and allowed.embed_links):
        raise UserFacingError(
            "I cannot post digests here: give me Send Messages and Embed Links in this channel."
        )


class DigestCog(commands.Cog):
    """Daily digests per channel, and the background scheduler that posts them."""

    digest = app_commands.Group(
        name="digest",
        description="A daily briefing posted in a channel",
        guild_only=True,
        default_permissions=discord.Permissions(manage_channels=True),
    )

    def __init__(
        self,
        bot: DiplobriefBot,
        *,
        sleep: Sleep = asyncio.sleep,
        run_scheduler: bool = True,
    ) -> None:
        self.bot = bot
        self.scheduler = bot.app.digests.scheduler(DiscordDigestSender(bot), sleep=sleep)
        self.run_scheduler = run_scheduler
        self.tasks = BackgroundTasks()

    async def cog_load(self) -> None:
        if self.run_scheduler:
            self.tasks.spawn(self._schedule(), name="digest-scheduler")

    async def cog_unload(self) -> None:
        await self.tasks.cancel_all()

    async def _schedule(self) -> None:
        await self.bot.wait_until_ready()
        await self.scheduler.run_forever()

    @digest.command(name="subscribe", description="Post a daily digest in this channel")
    @app_commands.rename(time_of_day="time")
    @app_commands.describe(
        time_of_day="When, as HH:MM on the 24-hour clock (default 08:00)",
        timezone="Whose clock: an IANA timezone such as Europe/Berlin (default UTC)",
        topic='Only stories about this (words, "a phrase")',
        country="Only stories involving this country",
        quiet="On a day with nothing new, post nothing (default: a one-line note)",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction,
        time_of_day: str = DEFAULT_TIME,
        timezone: str = DEFAULT_TIMEZONE,
        topic: str | None = None,
        country: str | None = None,
        quiet: bool = False,
    ) -> None:
        guild_id, channel_id = _guild_channel(interaction)
        _require_manage_channels(interaction)
        request = check_subscription(time_of_day, timezone, topic, country, quiet)
        _require_bot_can_post(interaction)
        subscription = await self.bot.app.digests.subscribe(
            guild_id, channel_id, request, created_by=interaction.user.id
        )
        wanted = (
            self.bot.app.briefings.resolve_country(subscription.country)
            if subscription.country
            else None
        )
        about = embeds.filters_text(subscription.topic, wanted)
        await Reply.of(interaction).send(
            content=f"This channel gets a daily digest{' ' + about if about else ''} at "
            f"{subscription.local_time} ({subscription.timezone}). The next one: "
            f"{embeds.timestamp(subscription.next_due_at, 'F')}.",
            ephemeral=True,
        )

    @subscribe.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = self.bot.app.digests.timezones(current)
        return [app_commands.Choice(name=n, value=n) for n in names]

    @subscribe.autocomplete("country")
    async def country_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return country_choices(self.bot.app.briefings, current)

    @digest.command(name="unsubscribe", description="Stop this channel's daily digest")
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        guild_id, channel_id = _guild_channel(interaction)
        _require_manage_channels(interaction)
        removed = await self.bot.app.digests.unsubscribe(guild_id, channel_id)
        message = (
            "This channel no longer gets a daily digest."
            if removed
            else "This channel had no daily digest."
        )
        await Reply.of(interaction).send(content=message, ephemeral=True)

    @digest.command(name="list", description="This server's daily digests, paused ones too")
    async def list_(self, interaction: discord.Interaction) -> None:
        guild_id, _ = _guild_channel(interaction)
        _require_manage_channels(interaction)
        subscriptions = await self.bot.app.digests.subscriptions(guild_id)
        briefings = self.bot.app.briefings
        countries = {
            s.country: briefings.resolve_country(s.country) for s in subscriptions if s.country
        }
        await Reply.of(interaction).send(
            embed=embeds.subscriptions_embed(subscriptions, countries), ephemeral=True
        )

    @digest.command(name="preview", description="See this channel's digest as it would be now")
    async def preview(self, interaction: discord.Interaction) -> None:
        guild_id, channel_id = _guild_channel(interaction)
        _require_manage_channels(interaction)
        reply = Reply.of(interaction)
        await reply.defer(ephemeral=True)
        preview = await self.bot.app.digests.preview(guild_id, channel_id)
        content, message_embeds = embeds.digest_message(preview.digest)
        note = (
            ""
            if preview.subscribed
            else "This channel has no digest yet (/digest subscribe); a default one would be:"
        )
        text = "\n".join(part for part in (note, content) if part)
        if text:
            await reply.send(content=text, embeds=message_embeds, ephemeral=True)
        else:
            await reply.send(embeds=message_embeds, ephemeral=True)


def _guild_channel(interaction: discord.Interaction) -> tuple[int, int]:
    """The server and channel a digest command is about (never a DM)."""
    scope_of(interaction)  # refuses anything outside a server
    if interaction.guild_id is None or interaction.channel_id is None:
        raise UserFacingError("Digests are posted in server channels only.")
    return guild_scope(interaction.guild_id), interaction.channel_id


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(DigestCog(bot))
