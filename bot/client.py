"""The Discord bot: builds its services in `setup_hook`, loads the cogs, handles errors once."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.analysis import Analyzer, ProcessPoolAnalyzer
from bot.config import Settings
from bot.discord_endpoints import point_discord_at
from bot.errors import UserFacingError
from bot.fetch import FetchedPage, fetch_page, new_fetch_session
from bot.render import error_embed
from bot.service import ArticleService, Clock, utc_now
from storage.store import Store

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
COGS = (
    "commands.articles",
    "commands.quotes",
    "commands.brief",
    "commands.digest",
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


def mark_deferred(interaction: discord.Interaction, *, ephemeral: bool) -> None:
    """Remember how we deferred: an error after a public deferral must not be shown to all."""
    interaction.extras["deferred_public"] = not ephemeral


async def defer(interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
    """Defer an interaction and record its visibility."""
    mark_deferred(interaction, ephemeral=ephemeral)
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)


async def send_error(interaction: discord.Interaction, message: str) -> None:
    """Show an error to the invoking user only, whatever state the interaction is in.

    The first message after a deferral takes the deferral's visibility, so after a public
    deferral the "thinking…" message is deleted first and the error sent as a new, ephemeral
    followup.
    """
    embed = error_embed(message)
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        if interaction.extras.get("deferred_public") and not interaction.extras.get("answered"):
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.debug("could not delete the deferred response", exc_info=True)
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        log.warning("could not deliver an error message to the user", exc_info=True)


def describe_error(error: BaseException) -> tuple[str, bool]:
    """The user's message for an error, and whether it is expected (no stack trace needed)."""
    original = getattr(error, "original", None) or error
    if isinstance(original, UserFacingError):
        return str(original), True
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {needed} permission to do that.", True
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I need the {needed} permission here to do that.", True
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in servers only.", True
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s.", True
    if isinstance(error, app_commands.TransformerError | app_commands.CheckFailure):
        return str(error) or "That input was not valid.", True
    ref = uuid.uuid4().hex[:8]
    return f"Something went wrong (ref {ref}).", False


async def handle_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Log and answer one failed interaction; never raises."""
    message, expected = describe_error(error)
    command = interaction.command.qualified_name if interaction.command else "component"
    if expected:
        log.info("user error in %s (guild %s): %s", command, interaction.guild_id, message)
    else:
        original = getattr(error, "original", None) or error
        log.error(
            "unexpected error in %s (guild %s) — %s",
            command,
            interaction.guild_id,
            message,
            exc_info=(type(original), original, original.__traceback__),
        )
    await send_error(interaction, message)


class DiplobriefTree(app_commands.CommandTree["DiplobriefBot"]):
    """The command tree with one error handler for every command."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await handle_interaction_error(interaction, error)


class DiplobriefBot(commands.Bot):
    """Diplobrief on Discord: slash commands, a context menu and link auto-summaries."""

    store: Store
    articles: ArticleService

    def __init__(
        self,
        settings: Settings,
        *,
        analyzer: Analyzer | None = None,
        now: Clock = utc_now,
        sync_only: bool = False,
        **options: Any,
    ) -> None:
        options.setdefault("intents", bot_intents())
        super().__init__(
            command_prefix=commands.when_mentioned,
            tree_cls=DiplobriefTree,
            allowed_mentions=NO_PINGS,
            help_command=None,
            **options,
        )
        self.settings = settings
        self.now = now
        self._analyzer = analyzer
        self._owns_analyzer = analyzer is None
        self._sync_only = sync_only
        self._http_session: aiohttp.ClientSession | None = None
        self._closing = False

    async def fetch_article_page(self, url: str) -> FetchedPage:
        assert self._http_session is not None
        return await fetch_page(
            url, session=self._http_session, allow_private=self.settings.fetch_allow_private
        )

    async def setup_hook(self) -> None:
        self.store = await Store.open(self.settings.database)
        self._http_session = new_fetch_session(allow_private=self.settings.fetch_allow_private)
        if self._analyzer is None and not self._sync_only:
            pool = ProcessPoolAnalyzer(self.settings.spacy_model, self.settings.analysis_workers)
            await pool.start()
            self._analyzer = pool
        self.articles = ArticleService(
            self.store, self._analyzer or _NoAnalyzer(), self.fetch_article_page, self.now
        )
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

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        try:
            await super().close()
        finally:
            if self._http_session is not None:
                await self._http_session.close()
            if self._analyzer is not None and self._owns_analyzer:
                await self._analyzer.close()
            if hasattr(self, "store"):
                await self.store.close()


class _NoAnalyzer:
    """Stands in when only syncing commands: nothing is analysed then."""

    async def analyze(self, request: Any) -> Any:
        raise UserFacingError("Analysis is not available in this mode.")

    async def close(self) -> None:
        return None


async def run_bot(
    settings: Settings, *, on_start: Callable[[DiplobriefBot], None] | None = None
) -> int:
    """Connect to Discord and serve until stopped (SIGINT/SIGTERM close cleanly).

    If Discord has not granted the Message Content intent, the bot starts again without it:
    everything but link auto-summaries works, and the log says which switch turns them on.
    """
    assert settings.discord_token is not None
    point_discord_at(settings.discord_api_base, settings.discord_gateway_url)
    intents = bot_intents()
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Future[None]] = set()  # keeps the close task referenced until done
    while True:
        bot = DiplobriefBot(settings, intents=intents)
        if on_start is not None:
            on_start(bot)

        def stop(bot: DiplobriefBot = bot) -> None:
            closing.add(asyncio.ensure_future(bot.close()))

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        try:
            async with bot:
                await bot.start(settings.discord_token.reveal())
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


async def sync_commands(settings: Settings, *, guild_id: int | None = None) -> int:
    """Register the slash commands globally, or in one server (instant, for testing)."""
    if settings.discord_token is None:
        raise UserFacingError("Set DISCORD_TOKEN to sync commands.")
    point_discord_at(settings.discord_api_base, settings.discord_gateway_url)
    bot = DiplobriefBot(settings, sync_only=True)
    async with bot:
        await bot.login(settings.discord_token.reveal())
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    where = f"server {guild_id}" if guild_id else "all servers (may take up to an hour)"
    print(f"Synced {len(synced)} commands to {where}.")
    return 0
