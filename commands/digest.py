"""/digest subscribe|unsubscribe|list|preview, and the sender that posts each channel's digest."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.digests import (
    ChannelKind,
    DeliveryRefused,
    DeliveryRejected,
    Digest,
    DigestSubscription,
)
from bot.domain.errors import PermissionDeniedError, UserFacingError
from bot.domain.pictures import Picture
from bot.domain.schedule import DEFAULT_TIME, DEFAULT_TIMEZONE
from bot.services.digests import check_subscription
from bot.services.scheduler import Sleep
from bot.services.tasks import BackgroundTasks
from commands import embeds
from commands.brief import country_choices
from commands.replies import (
    NO_PINGS,
    SERVER_CONTEXT_ONLY,
    SERVER_INSTALL_ONLY,
    Reply,
    picture_file,
    server_scope_of,
    with_picture,
)

if TYPE_CHECKING:
    from bot.services.pictures import PictureService
    from commands.client import DiplobriefBot

log = logging.getLogger(__name__)

# Discord codes for "this channel cannot take messages any more" that come without a 403/404.
_CHANNEL_GONE_CODES = {
    50083: "The thread is archived.",
    40067: "This forum requires a tag on every post: add a tag named “Digest” (or turn off "
    "Require Tags), then run /digest subscribe again.",
}
ALREADY_PUBLISHED = 40033  # "This message has already been crossposted."
DIGEST_TAG_WORDS = ("digest", "brief", "news")  # a forum tag we may put on our posts


class DiscordDigestSender:
    """Posts digests through discord.py, each occurrence once, as the channel expects.

    A text channel or thread gets one message, sent with the occurrence's nonce (Discord returns
    the first message for a repeated nonce). A forum gets a new post per day, titled with the
    date and the top story; posts carry no nonce, so a retry first looks for the post it may
    have made. In an announcement channel the message is also published, once, so servers
    following the channel receive it. The channel's kind is the gateway cache's when this
    process has one (Discord lets a channel change kind), else what the subscription learnt
    when subscribed (a digest worker has no gateway). The day's world map is attached when there
    is one and the bot may attach files there.
    """

    def __init__(self, client: discord.Client, pictures: PictureService | None = None) -> None:
        self.client = client
        self.pictures = pictures

    async def send_digest(self, digest: Digest) -> int:
        """Post in the subscribed channel; Discord's refusals become our exceptions."""
        subscription = digest.subscription
        cached = self.client.get_channel(subscription.channel_id)
        kind = channel_kind(cached) if cached is not None else subscription.channel_kind
        content, message_embeds = embeds.digest_message(digest)
        picture = await self._picture(digest, cached)
        try:
            if kind == "forum":
                forum = cached if cached is not None else await self._fetch(subscription)
                if not isinstance(forum, discord.ForumChannel):
                    raise DeliveryRejected("the forum is no longer a forum")
                return await self._post_in_forum(forum, digest, content, message_embeds, picture)
            target: discord.abc.Messageable = (
                cached
                if isinstance(cached, discord.TextChannel | discord.Thread)
                else self.client.get_partial_messageable(
                    subscription.channel_id, guild_id=subscription.guild_id
                )
            )
            message = await target.send(
                content=content,
                embeds=message_embeds,
                nonce=digest.nonce,
                allowed_mentions=NO_PINGS,
                **with_picture(picture),
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
        if kind == "announcement":
            await self._publish(message, subscription.id)
        return message.id

    async def _fetch(self, subscription: DigestSubscription) -> object:
        """The channel from Discord itself, for a process without the gateway's cache."""
        return await self.client.fetch_channel(subscription.channel_id)

    async def _picture(self, digest: Digest, channel: object) -> Picture | None:
        if self.pictures is None:
            return None
        if (
            isinstance(channel, discord.abc.GuildChannel | discord.Thread)
            and channel.guild.me is not None
            and not channel.permissions_for(channel.guild.me).attach_files
        ):
            log.info(
                "digest %d: no Attach Files permission, sent without its map",
                digest.subscription.id,
            )
            return None
        return await self.pictures.digest_map(digest)

    async def _post_in_forum(
        self,
        forum: discord.ForumChannel,
        digest: Digest,
        content: str | None,
        message_embeds: list[discord.Embed],
        picture: Picture | None,
    ) -> int:
        """A new post for the day, unless this occurrence's post is there already (a retry)."""
        title = embeds.forum_post_title(digest)
        me = self.client.user
        # The gateway keeps a forum's active threads; a process without it asks Discord.
        threads = forum.threads if not forum.guild.unavailable else await self._active(forum)
        for thread in threads:
            if thread.name == title and me is not None and thread.owner_id == me.id:
                log.info("digest %d: the post %r exists already", digest.subscription.id, title)
                return thread.id  # a forum post's first message has the thread's id
        tags = _digest_tags(forum)
        created = await forum.create_thread(
            name=title,
            content=content,
            embeds=message_embeds,
            allowed_mentions=NO_PINGS,
            applied_tags=tags,
            files=[picture_file(picture)] if picture is not None else [],
        )
        return created.message.id

    async def _active(self, forum: discord.ForumChannel) -> list[discord.Thread]:
        return [t for t in await forum.guild.active_threads() if t.parent_id == forum.id]

    async def _publish(self, message: discord.Message, subscription_id: int) -> None:
        """Publish to the servers following the channel; the digest stays posted if it fails."""
        if message.flags.crossposted:
            return  # a retry got the first message back: it was published then
        try:
            await message.publish()
        except discord.HTTPException as error:
            if error.code == ALREADY_PUBLISHED:
                return
            log.warning(
                "digest %d: posted in the announcement channel but not published (%s %s)",
                subscription_id,
                error.status,
                error.text,
            )


def _digest_tags(forum: discord.ForumChannel) -> list[discord.ForumTag]:
    """The tag to put on a post where the forum requires one: one named like a digest."""
    if not forum.flags.require_tag:
        return []
    for tag in forum.available_tags:
        if not tag.moderated and any(word in tag.name.casefold() for word in DIGEST_TAG_WORDS):
            return [tag]
    return []  # Discord answers 40067, which pauses the digest with what to do


def _require_manage_channels(interaction: discord.Interaction) -> None:
    if not interaction.permissions.manage_channels:
        raise PermissionDeniedError("You need the Manage Channels permission to change digests.")


# Where a digest may go: a text or announcement channel, a thread, or a forum (a post a day).
DigestChannel = discord.TextChannel | discord.ForumChannel | discord.Thread


def _require_bot_can_post(
    interaction: discord.Interaction, channel: DigestChannel | None = None
) -> None:
    """The bot may post (and embed) where the digest goes: here, or the channel picked."""
    if channel is None:
        allowed = interaction.app_permissions
        in_thread = isinstance(interaction.channel, discord.Thread)
    else:
        allowed = channel.permissions_for(channel.guild.me)
        in_thread = isinstance(channel, discord.Thread)
    can_send = allowed.send_messages_in_threads if in_thread else allowed.send_messages
    if not (can_send and allowed.embed_links):
        where = "this channel" if channel is None else channel.mention
        raise UserFacingError(
            f"I cannot post digests there: give me Send Messages and Embed Links in {where}."
        )


def channel_kind(channel: object) -> ChannelKind:
    """What a channel does with a digest: a forum posts it, an announcement channel publishes it
    (anything else, threads included, gets a plain message)."""
    if isinstance(channel, discord.ForumChannel):
        return "forum"
    if isinstance(channel, discord.TextChannel) and channel.is_news():
        return "announcement"
    return "text"


def _how_it_is_posted(channel: DigestChannel | None) -> str:
    """What a forum or an announcement channel does with each digest ("" for the others)."""
    kind = channel_kind(channel)
    if kind == "forum":
        return "; each one is a new post"
    if kind == "announcement":
        return "; each one is published to the servers that follow the channel"
    return ""


class DigestCog(commands.Cog):
    """Daily digests per channel, and the background scheduler that posts them."""

    digest = app_commands.Group(
        name="digest",
        description="A daily briefing posted in a channel",
        guild_only=True,
        allowed_contexts=SERVER_CONTEXT_ONLY,
        allowed_installs=SERVER_INSTALL_ONLY,
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
        sender = DiscordDigestSender(bot, bot.app.pictures)
        self.scheduler = bot.app.digests.scheduler(sender, sleep=sleep)
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
        channel="Where (default: here); a forum gets a new post each day",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction,
        time_of_day: str = DEFAULT_TIME,
        timezone: str = DEFAULT_TIMEZONE,
        topic: str | None = None,
        country: str | None = None,
        quiet: bool = False,
        channel: DigestChannel | None = None,
    ) -> None:
        guild_id, channel_id = _guild_channel(interaction, channel)
        _require_manage_channels(interaction)
        target = channel if channel is not None else _this_channel(interaction)
        request = check_subscription(
            time_of_day, timezone, topic, country, quiet, channel_kind=channel_kind(target)
        )
        _require_bot_can_post(interaction, channel)
        subscription = await self.bot.app.digests.subscribe(
            guild_id, channel_id, request, created_by=interaction.user.id
        )
        wanted = (
            self.bot.app.briefings.resolve_country(subscription.country)
            if subscription.country
            else None
        )
        about = embeds.filters_text(subscription.topic, wanted)
        where = "This channel" if channel is None else channel.mention
        await Reply.of(interaction).send(
            content=f"{where} gets a daily digest{' ' + about if about else ''} at "
            f"{subscription.local_time} ({subscription.timezone}){_how_it_is_posted(target)}. "
            f"The next one: {embeds.timestamp(subscription.next_due_at, 'F')}.",
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
    @app_commands.describe(channel="Which channel's digest (default: here)")
    async def unsubscribe(
        self, interaction: discord.Interaction, channel: DigestChannel | None = None
    ) -> None:
        guild_id, channel_id = _guild_channel(interaction, channel)
        _require_manage_channels(interaction)
        removed = await self.bot.app.digests.unsubscribe(guild_id, channel_id)
        where = "This channel" if channel is None else channel.mention
        message = (
            f"{where} no longer gets a daily digest."
            if removed
            else f"{where} had no daily digest."
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
    @app_commands.describe(channel="Which channel's digest (default: here)")
    async def preview(
        self, interaction: discord.Interaction, channel: DigestChannel | None = None
    ) -> None:
        guild_id, channel_id = _guild_channel(interaction, channel)
        _require_manage_channels(interaction)
        reply = Reply.of(interaction)
        await reply.defer(ephemeral=True)
        preview = await self.bot.app.digests.preview(guild_id, channel_id)
        content, message_embeds = embeds.digest_message(preview.digest)
        picture = with_picture(await self.bot.app.pictures.digest_map(preview.digest))
        where = "This channel" if channel is None else channel.mention
        note = (
            ""
            if preview.subscribed
            else f"{where} has no digest yet (/digest subscribe); a default one would be:"
        )
        text = "\n".join(part for part in (note, content) if part)
        if text:
            await reply.send(content=text, embeds=message_embeds, ephemeral=True, **picture)
        else:
            await reply.send(embeds=message_embeds, ephemeral=True, **picture)


def _guild_channel(
    interaction: discord.Interaction, channel: DigestChannel | None = None
) -> tuple[int, int]:
    """The server and channel a digest command is about (never a DM): the one picked, or here."""
    guild = server_scope_of(interaction)  # refuses anything outside a server that added us
    if channel is not None:
        return guild, channel.id
    if interaction.channel_id is None:
        raise UserFacingError("Digests are posted in server channels only.")
    return guild, interaction.channel_id


def _this_channel(interaction: discord.Interaction) -> DigestChannel | None:
    """The channel the command was run in, when it is one a digest can go to."""
    here = interaction.channel
    return here if isinstance(here, DigestChannel) else None


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(DigestCog(bot))
