"""The Discord front end: the bot over the App's services, its cogs, one error handler."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import App, open_app
from bot.config import Settings
from bot.domain.errors import UserFacingError
from commands.discord_endpoints import point_discord_at
from commands.replies import (
    NO_PINGS,
    SERVER_CONTEXT_ONLY,
    SERVER_INSTALL_ONLY,
    handle_interaction_error,
)

log = logging.getLogger(__name__)

COGS = (
    "commands.articles",
    "commands.quotes",
    "commands.brief",
    "commands.digest",
    "commands.feeds",
    "commands.search",
    "commands.autosummary",
    "commands.help",
    "commands.admin",
)


def bot_intents() -> discord.Intents:
    """Guilds and guild messages; message content only for link auto-summaries."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    return intents


class DiplobriefTree(app_commands.CommandTree["DiplobriefBot"]):
    """The command tree with one error handler for every command."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await handle_interaction_error(interaction, error)


class DiplobriefBot(commands.Bot):
    """Diplobrief on Discord: slash commands, a context menu and link auto-summaries.

    It is handed an opened App (bot.app.open_app) and only talks to its services; whoever
    opened the App closes it.
    """

    def __init__(self, app: App, **options: Any) -> None:
        options.setdefault("intents", bot_intents())
        super().__init__(
            command_prefix=commands.when_mentioned,
            tree_cls=DiplobriefTree,
            allowed_mentions=NO_PINGS,
            help_command=None,
            # Commands are for servers that added the app unless a command says otherwise
            # (commands.replies.installable_by_users: /summarize, the context menu, /quotes,
            # /search, /help).
            allowed_contexts=SERVER_CONTEXT_ONLY,
            allowed_installs=SERVER_INSTALL_ONLY,
            **options,
        )
        self.app = app

    async def setup_hook(self) -> None:
        for cog in COGS:
            await self.load_extension(cog)
        # Everything loaded so far lives for the whole run: keep it out of the collector's full
        # passes, which otherwise stall the event loop for ~100 ms on this heap.
        gc.collect()
        gc.freeze()
        log.info("Diplobrief ready to connect (%d cogs)", len(self.cogs))

    async def on_command_error(
        self, context: commands.Context[Any], exception: commands.CommandError, /
    ) -> None:
        """Mention commands are for the owner; anyone else's attempt is ignored quietly."""
        if isinstance(exception, commands.CommandNotFound | commands.CheckFailure):
            log.info("ignored mention command from user %s: %s", context.author.id, exception)
            return
        log.error("mention command failed", exc_info=exception)

    async def on_ready(self) -> None:
        log.info("logged in as %s in %d servers", self.user, len(self.guilds))


class ShardedDiplobriefBot(DiplobriefBot, commands.AutoShardedBot):
    """Diplobrief connecting only some shards (`shard_ids` of `shard_count`), for one of
    several bot processes: Discord sends each process the events of its own guilds."""


def make_bot(app: App, *, intents: discord.Intents | None = None) -> DiplobriefBot:
    """The bot the settings ask for: every shard in one process, or the configured shards."""
    intents = intents or bot_intents()
    settings = app.settings
    if settings.shard_count is None:
        return DiplobriefBot(app, intents=intents)
    return ShardedDiplobriefBot(
        app,
        intents=intents,
        shard_count=settings.shard_count,
        shard_ids=list(settings.shard_ids) if settings.shard_ids is not None else None,
    )


async def run_bot(
    settings: Settings, *, on_start: Callable[[DiplobriefBot], None] | None = None
) -> int:
    """Connect to Discord and serve until stopped (SIGINT/SIGTERM close cleanly).

    If Discord has not granted the Message Content intent, the bot starts again without it:
    everything but link auto-summaries works, and the log says which switch turns them on.
    """
    assert settings.discord_token is not None
    point_discord_at(settings.discord_api_base, settings.discord_gateway_url)
    async with open_app(settings, worker_processes=True) as app:
        return await _serve(app, settings.discord_token.reveal(), on_start)


async def _serve(app: App, token: str, on_start: Callable[[DiplobriefBot], None] | None) -> int:
    intents = bot_intents()
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Future[None]] = set()  # keeps the close task referenced until done
    while True:
        bot = make_bot(app, intents=intents)
        if on_start is not None:
            on_start(bot)

        def stop(bot: DiplobriefBot = bot) -> None:
            closing.add(asyncio.ensure_future(bot.close()))

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            async with bot:
                await bot.start(token)
            return 0
        except discord.LoginFailure:
            raise UserFacingError("Discord refused the token (DISCORD_TOKEN is wrong).") from None
        except discord.PrivilegedIntentsRequired:
            if not intents.message_content:
                raise UserFacingError(
                    "Discord refused the bot's intents; check Bot → Privileged Gateway Intents."
                ) from None
            log.warning(
                "Discord has not granted the Message Content intent (Developer Portal → Bot → "
                "Privileged Gateway Intents): running without it, link auto-summaries are off"
            )
            intents.message_content = False
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


async def run_worker(settings: Settings, *, ready: asyncio.Event | None = None) -> int:
    """A process with no gateway connection that only does background work (digest sends),
    claiming it from the shared database beside any number of bot processes."""
    if settings.discord_token is None:
        raise UserFacingError("Set DISCORD_TOKEN: a worker posts digests through Discord's API.")
    from commands.digest import DiscordDigestSender

    point_discord_at(settings.discord_api_base, settings.discord_gateway_url)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        async with open_app(settings, worker_processes=True) as app:
            client = discord.Client(intents=discord.Intents.none(), allowed_mentions=NO_PINGS)
            async with client:
                try:
                    await client.login(settings.discord_token.reveal())
                except discord.LoginFailure:
                    raise UserFacingError(
                        "Discord refused the token (DISCORD_TOKEN is wrong)."
                    ) from None
                scheduler = app.digests.scheduler(DiscordDigestSender(client))
                work = asyncio.create_task(scheduler.run_forever(), name="digest-scheduler")
                log.info("worker ready (database %s)", settings.database_label)
                if ready is not None:
                    ready.set()
                stop = asyncio.create_task(stopping.wait())
                await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
                for task in (work, stop):
                    task.cancel()
                await asyncio.gather(work, stop, return_exceptions=True)
                if work.done() and not work.cancelled() and work.exception() is not None:
                    raise work.exception()  # type: ignore[misc]
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0


async def sync_commands(settings: Settings, *, guild_id: int | None = None) -> int:
    """Register the slash commands globally, or in one server (instant, for testing)."""
    if settings.discord_token is None:
        raise UserFacingError("Set DISCORD_TOKEN to sync commands.")
    point_discord_at(settings.discord_api_base, settings.discord_gateway_url)
    async with open_app(settings) as app, DiplobriefBot(app) as bot:
        await bot.login(settings.discord_token.reveal())
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    where = f"server {guild_id}" if guild_id else "all servers (may take up to an hour)"
    print(f"Synced {len(synced)} commands to {where}.")
    return 0
