"""/feed add|list|remove|resume|import|export, the feed poller and live channel posts."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.digests import DeliveryRefused, DeliveryRejected
from bot.domain.errors import PermissionDeniedError, UserFacingError
from bot.domain.feeds import FEEDS_PER_PAGE, LiveNotice, LivePost
from bot.domain.scope import guild_scope
from bot.domain.stories import Story
from bot.services.feeds import check_feed_filters
from bot.services.live import LivePoster
from bot.services.scheduler import Sleep
from bot.services.tasks import BackgroundTasks
from commands import embeds
from commands.articles import require_url
from commands.brief import country_choices
from commands.replies import NO_PINGS, Reply, server_scope_of

if TYPE_CHECKING:
    from commands.client import DiplobriefBot

log = logging.getLogger(__name__)

MAX_IDLE_S = 60.0  # the loop looks again at least this often
RETRY_S = 30.0
MAX_OPML_ATTACHMENT = 2_000_000


class DiscordLiveSender:
    """Posts and edits live story messages through discord.py, with each post's nonce."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def _channel(self, scope: int, channel_id: int) -> discord.PartialMessageable:
        return self.client.get_partial_messageable(channel_id, guild_id=scope)

    async def send_story(self, post: LivePost, story: Story) -> int:
        channel = self._channel(post.scope, post.channel_id)
        with _refusals():
            message = await channel.send(
                embed=embeds.live_story_embed(story), nonce=post.nonce, allowed_mentions=NO_PINGS
            )
        return message.id

    async def edit_story(self, post: LivePost, story: Story) -> None:
        assert post.message_id is not None
        message = self._channel(post.scope, post.channel_id).get_partial_message(post.message_id)
        with _refusals():
            await message.edit(embed=embeds.live_story_embed(story), allowed_mentions=NO_PINGS)

    async def send_notice(self, notice: LiveNotice) -> None:
        with _refusals():
            await self._channel(notice.scope, notice.channel_id).send(
                content=embeds.clip_content(notice.text),
                nonce=f"notice-{notice.id}",
                allowed_mentions=NO_PINGS,
            )


class _refusals:
    """Discord's refusals as our delivery exceptions (anything else: outcome unknown)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        if isinstance(error, discord.NotFound | discord.Forbidden):
            raise DeliveryRefused(f"Discord: {error.text or error.status}") from error
        if (
            isinstance(error, discord.HTTPException)
            and 400 <= error.status < 500
            and error.status != 429
        ):
            raise DeliveryRejected(f"{error.status} {error.text}") from error


def _require_manage_channels(interaction: discord.Interaction) -> None:
    if not interaction.permissions.manage_channels:
        raise PermissionDeniedError("You need the Manage Channels permission to change feeds.")


def _require_bot_can_post(interaction: discord.Interaction) -> None:
    allowed = interaction.app_permissions
    in_thread = isinstance(interaction.channel, discord.Thread)
    can_send = allowed.send_messages_in_threads if in_thread else allowed.send_messages
    if not (can_send and allowed.embed_links):
        raise UserFacingError(
            "I cannot post live stories here: give me Send Messages and Embed Links in this "
            "channel, or add the feed without live."
        )


class FeedCog(commands.Cog):
    """Feeds per server, polled in the background; new stories posted in live channels."""

    feed = app_commands.Group(
        name="feed",
        description="News feeds this server reads",
        guild_only=True,
        default_permissions=discord.Permissions(manage_channels=True),
    )

    def __init__(
        self, bot: DiplobriefBot, *, run_poller: bool = True, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.bot = bot
        self.live: LivePoster = bot.app.live_poster(DiscordLiveSender(bot))
        self.run_poller = run_poller
        self._sleep = sleep
        self._wake = asyncio.Event()
        self.tasks = BackgroundTasks()
        bot.app.feeds.on_change(self._wake.set)

    async def cog_load(self) -> None:
        if self.run_poller:
            self.tasks.spawn(self._run(), name="feed-poller")

    async def cog_unload(self) -> None:
        await self.tasks.cancel_all()

    async def run_once(self) -> None:
        """One pass: posts left unfinished (a restart), due feeds polled, new stories posted.

        Live work comes first too, so a story stored but not posted before a crash is posted
        at once after the restart, not after the next poll (tests call this)."""
        await self.live.run_once()
        await self.bot.app.feed_poller.poll_due()
        await self.live.run_once()

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            self._wake.clear()
            delay = RETRY_S
            try:
                await self.run_once()
                due = await self.bot.app.feed_poller.next_due()
                delay = MAX_IDLE_S
                if due is not None:
                    seconds = (due - self.bot.app.clock()).total_seconds()
                    delay = max(0.0, min(seconds, MAX_IDLE_S))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("feed pass failed; trying again in %.0f s", delay)
            sleeper = asyncio.ensure_future(self._sleep(delay))
            waker = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (sleeper, waker):
                    task.cancel()
                await asyncio.gather(sleeper, waker, return_exceptions=True)

    @feed.command(name="add", description="Read a news feed (or the feed a news page names)")
    @app_commands.describe(
        url="The feed's address, or a news page that names its feed",
        live="Post each new story in this channel as it breaks (default: no)",
        topic='Only items about this (words, "a phrase")',
        country="Only items involving this country",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        url: str,
        live: bool = False,
        topic: str | None = None,
        country: str | None = None,
    ) -> None:
        scope = server_scope_of(interaction)
        _require_manage_channels(interaction)
        url = require_url(url)
        check_feed_filters(topic, country)
        if live:
            _require_bot_can_post(interaction)
        reply = Reply.of(interaction)
        await reply.defer(ephemeral=True)
        channel_id = interaction.channel_id if live else None
        result = await self.bot.app.feeds.add(
            scope,
            url,
            live_channel_id=channel_id,
            topic=topic,
            country=country,
            created_by=interaction.user.id,
        )
        await reply.send(content=embeds.feed_added_text(result, channel_id), ephemeral=True)

    @add.autocomplete("country")
    async def country_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return country_choices(self.bot.app.briefings, current)

    @feed.command(name="list", description="The feeds this server reads and how they are doing")
    @app_commands.describe(page=f"Page number ({FEEDS_PER_PAGE} feeds per page)")
    async def list_(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        scope = server_scope_of(interaction)
        _require_manage_channels(interaction)
        listings = await self.bot.app.feeds.feeds(scope)
        embed = embeds.feed_list_embed(
            listings,
            page=page,
            per_page=FEEDS_PER_PAGE,
            limit=self.bot.app.feeds.feeds_per_server,
        )
        await Reply.of(interaction).send(embed=embed, ephemeral=True)

    @feed.command(name="remove", description="Stop reading a feed")
    @app_commands.describe(feed="The feed (start typing its name)")
    async def remove(self, interaction: discord.Interaction, feed: str) -> None:
        scope = server_scope_of(interaction)
        _require_manage_channels(interaction)
        listing = await self.bot.app.feeds.remove(scope, feed)
        name = discord.utils.escape_markdown(listing.feed.title or listing.feed.url)
        await Reply.of(interaction).send(
            content=f"This server no longer reads **{name}**. Stored articles stay.",
            ephemeral=True,
        )

    @feed.command(name="resume", description="Fetch a paused feed again")
    @app_commands.describe(feed="The paused feed (start typing its name)")
    async def resume(self, interaction: discord.Interaction, feed: str) -> None:
        scope = server_scope_of(interaction)
        _require_manage_channels(interaction)
        listing = await self.bot.app.feeds.resume(scope, feed)
        name = discord.utils.escape_markdown(listing.feed.title or listing.feed.url)
        await Reply.of(interaction).send(
            content=f"**{name}** is fetched again from now on.", ephemeral=True
        )

    @remove.autocomplete("feed")
    async def feed_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, paused_only=False)

    @resume.autocomplete("feed")
    async def paused_feed_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, paused_only=True)

    async def _choices(
        self, interaction: discord.Interaction, current: str, *, paused_only: bool
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        found = await self.bot.app.feeds.choices(
            guild_scope(interaction.guild_id), current, paused_only=paused_only
        )
        return [app_commands.Choice(name=c.label, value=str(c.subscription_id)) for c in found]

    @feed.command(name="import", description="Read every feed of an OPML file")
    @app_commands.describe(file="An OPML file exported from a feed reader")
    async def import_(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        scope = server_scope_of(interaction)
        _require_manage_channels(interaction)
        if not file.filename.lower().endswith((".opml", ".xml")):
            raise UserFacingError("Attach an .opml file (exported from a feed reader).")
        if file.size > MAX_OPML_ATTACHMENT:
            raise UserFacingError("That OPML file is over 2 MB.")
        reply = Reply.of(interaction)
        await reply.defer(ephemeral=True)
        report = await self.bot.app.feeds.import_opml(
            scope, await file.read(), created_by=interaction.user.id
        )
        await reply.send(content=embeds.import_report_text(report), ephemeral=True)

    @feed.command(name="export", description="This server's feeds as an OPML file")
    async def export(self, interaction: discord.Interaction) -> None:
        scope = server_scope_of(interaction)
        _require_manage_channels(interaction)
        data = await self.bot.app.feeds.export_opml(scope)
        await Reply.of(interaction).send(
            content="This server's feeds, for any feed reader:",
            file=discord.File(io.BytesIO(data), filename="diplobrief-feeds.opml"),
            ephemeral=True,
        )


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(FeedCog(bot))
