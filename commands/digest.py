"""/digest subscribe|unsubscribe|list|preview, and the task that posts each channel's digest."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.briefing import Briefing, country_name
from bot.client import NO_PINGS, defer
from bot.digest import (
    DEFAULT_TIME,
    DEFAULT_TIMEZONE,
    BackgroundTasks,
    DeliveryRefused,
    DeliveryRejected,
    Digest,
    DigestScheduler,
    Sleep,
    check_subscription,
    first_due,
    matching_timezones,
)
from bot.errors import PermissionDeniedError, UserFacingError
from bot.text_render import flag
from commands.brief import country_choices
from storage.records import DigestSubscription

if TYPE_CHECKING:
    from bot.client import DiplobriefBot

log = logging.getLogger(__name__)

# Discord codes for "this channel cannot take messages any more" that come without a 403/404.
_CHANNEL_GONE_CODES = {50083: "The thread is archived."}
# Room kept in a digest message for the header's note about stories left out.
_NOTE_ROOM = 120


def _timestamp(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp: every reader sees it on their own clock."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def _filters(topic: str | None, country: str | None) -> str:
    parts = []
    if topic:
        parts.append(f"on “{topic}”")
    if country:
        parts.append(f"involving {flag(country)} {country_name(country)}")
    return " ".join(parts)


def quiet_note(digest: Digest) -> str:
    """The one line posted on a day with nothing new."""
    about = _filters(digest.subscription.topic, digest.subscription.country)
    about = f" {about}" if about else ""
    return f"Quiet day: nothing new{about} since {_timestamp(digest.since)}."


def briefing_embeds(briefing: Briefing, *, title: str) -> list[discord.Embed]:
    """A briefing as ONE message's embeds: a header, then as many stories as Discord allows
    (10 embeds, 6,000 characters), the header saying how many were left out."""
    count = len(briefing.stories)
    about = _filters(briefing.topic, briefing.country.code if briefing.country else None)
    header = discord.Embed(
        title=render.clip(title, render.TITLE_LIMIT),
        description=(
            f"{count} new stor{'y' if count == 1 else 'ies'}"
            f"{' ' + about if about else ''} since {_timestamp(briefing.since)}."
        ),
        colour=render.BRAND_COLOUR,
    )
    embeds = [header]
    used = len(header) + _NOTE_ROOM
    for index, story in enumerate(briefing.stories, start=1):
        embed = render.story_embed(story, index)
        room = render.EMBED_TOTAL_LIMIT - used
        if len(embeds) >= render.MAX_EMBEDS or room < 300:
            break
        if len(embed) > room:
            embed.clear_fields()
            embed.description = render.clip(embed.description or "…", room - len(embed.title or ""))
        embeds.append(embed)
        used += len(embed)
    left_out = count - (len(embeds) - 1)
    if left_out:
        header.set_footer(text=f"{left_out} more stor{'y' if left_out == 1 else 'ies'}: see /brief")
    return embeds


def digest_message(digest: Digest) -> tuple[str | None, list[discord.Embed]]:
    """Content and embeds of a digest: the briefing, or the quiet-day line."""
    if not digest.has_news:
        return quiet_note(digest), []
    day = digest.local_date
    title = f"Daily digest · {day:%A} {day.day} {day:%B %Y}"
    return None, briefing_embeds(digest.briefing, title=title)


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
        content, embeds = digest_message(digest)
        try:
            message = await channel.send(
                content=content, embeds=embeds, nonce=digest.nonce, allowed_mentions=NO_PINGS
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


def subscription_line(subscription: DigestSubscription) -> str:
    """One subscription in /digest list: where, when, what, and its state."""
    parts = [
        f"<#{subscription.channel_id}>",
        f"{subscription.local_time} {subscription.timezone}",
    ]
    about = _filters(subscription.topic, subscription.country)
    if about:
        parts.append(about)
    if subscription.quiet:
        parts.append("silent on quiet days")
    if subscription.paused_reason:
        since = f" since {_timestamp(subscription.paused_at)}" if subscription.paused_at else ""
        parts.append(f"**paused**{since}: {subscription.paused_reason}")
    else:
        parts.append(f"next {_timestamp(subscription.next_due_at, 'R')}")
    if subscription.last_sent_at:
        parts.append(f"last sent {_timestamp(subscription.last_sent_at, 'R')}")
    return " · ".join(parts)


def subscriptions_embed(subscriptions: list[DigestSubscription]) -> discord.Embed:
    """/digest list: the server's digests, paused ones with why."""
    embed = discord.Embed(title="Daily digests in this server", colour=render.BRAND_COLOUR)
    if not subscriptions:
        embed.description = "No channel gets a digest. Use /digest subscribe in one."
        return embed
    embed.description = render.clip_lines(
        [subscription_line(s) for s in subscriptions], render.DESCRIPTION_LIMIT
    )
    paused = sum(1 for s in subscriptions if s.paused)
    footer = f"{len(subscriptions)} digest(s)"
    if paused:
        footer += f", {paused} paused: run /digest subscribe in the channel to resume"
    embed.set_footer(text=footer)
    return embed


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
        self.scheduler = DigestScheduler(
            bot.store, DiscordDigestSender(bot), now=bot.now, sleep=sleep
        )
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
        _require_manage_channels(interaction)
        request = check_subscription(time_of_day, timezone, topic, country, quiet)
        _require_bot_can_post(interaction)
        assert interaction.guild_id is not None and interaction.channel_id is not None
        now = self.bot.now()
        subscription = await self.bot.store.subscribe_digest(
            interaction.guild_id,
            interaction.channel_id,
            local_time=request.local_time,
            timezone=request.timezone,
            topic=request.topic,
            country=request.country,
            quiet=request.quiet,
            created_by=interaction.user.id,
            next_due_at=first_due(request.local_time, request.timezone, now),
            now=now,
        )
        self.scheduler.wake()
        about = _filters(subscription.topic, subscription.country)
        await interaction.response.send_message(
            f"This channel gets a daily digest{' ' + about if about else ''} at "
            f"{subscription.local_time} ({subscription.timezone}). The next one: "
            f"{_timestamp(subscription.next_due_at, 'F')}.",
            ephemeral=True,
        )

    @subscribe.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in matching_timezones(current)]

    @subscribe.autocomplete("country")
    async def country_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return country_choices(current)

    @digest.command(name="unsubscribe", description="Stop this channel's daily digest")
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        _require_manage_channels(interaction)
        assert interaction.guild_id is not None and interaction.channel_id is not None
        removed = await self.bot.store.unsubscribe_digest(
            interaction.guild_id, interaction.channel_id
        )
        message = (
            "This channel no longer gets a daily digest."
            if removed
            else "This channel had no daily digest."
        )
        await interaction.response.send_message(message, ephemeral=True)

    @digest.command(name="list", description="This server's daily digests, paused ones too")
    async def list_(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        subscriptions = await self.bot.store.digest_subscriptions(interaction.guild_id)
        await interaction.response.send_message(
            embed=subscriptions_embed(subscriptions), ephemeral=True
        )

    @digest.command(name="preview", description="See this channel's digest as it would be now")
    async def preview(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None and interaction.channel_id is not None
        await defer(interaction, ephemeral=True)
        now = self.bot.now()
        subscription = await self.bot.store.digest_subscription(
            interaction.guild_id, interaction.channel_id
        )
        note = ""
        if subscription is None:
            note = "This channel has no digest yet (/digest subscribe); a default one would be:"
            subscription = _unsaved_subscription(interaction.guild_id, interaction.channel_id, now)
        digest = await self.scheduler.preview(subscription, now)
        content, embeds = digest_message(digest)
        text = "\n".join(part for part in (note, content) if part)
        interaction.extras["answered"] = True
        if text:
            await interaction.followup.send(
                content=text, embeds=embeds, ephemeral=True, allowed_mentions=NO_PINGS
            )
        else:
            await interaction.followup.send(
                embeds=embeds, ephemeral=True, allowed_mentions=NO_PINGS
            )


def _unsaved_subscription(guild_id: int, channel_id: int, now: datetime) -> DigestSubscription:
    """The default subscription, to preview a channel that has none."""
    return DigestSubscription(
        id=0,
        guild_id=guild_id,
        channel_id=channel_id,
        local_time=DEFAULT_TIME,
        timezone=DEFAULT_TIMEZONE,
        topic=None,
        country=None,
        quiet=False,
        created_by=None,
        created_at=now.astimezone(UTC),
        next_due_at=first_due(DEFAULT_TIME, DEFAULT_TIMEZONE, now),
        last_digest_until=None,
        last_sent_at=None,
    )


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(DigestCog(bot))
