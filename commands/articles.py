"""/summarize, the "Summarize article" context menu and /article add|list|remove."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.articles import ArticleReport
from bot.domain.errors import NotFoundError, PermissionDeniedError, UserFacingError
from bot.domain.limits import (
    ARTICLE_FILE_SUFFIXES,
    DEFAULT_SENTENCES,
    DEFAULT_SUMMARY_METHOD,
    MAX_INPUT_BYTES,
    MAX_SENTENCES,
    SUMMARY_METHODS,
)
from bot.domain.links import find_links
from bot.domain.text import display_title
from bot.domain.urls import checked_link
from bot.services.articles import check_summary_options
from commands import embeds
from commands.replies import (
    SERVER_CONTEXT_ONLY,
    SERVER_INSTALL_ONLY,
    Reply,
    handle_interaction_error,
    installable_by_users,
    scope_of,
    server_scope_of,
)

if TYPE_CHECKING:
    from commands.client import DiplobriefBot

log = logging.getLogger(__name__)

METHOD_CHOICES = [app_commands.Choice(name=m, value=m) for m in SUMMARY_METHODS][:25]


def require_url(url: str) -> str:
    """Refuse what is not exactly one link before deferring, so the error stays private."""
    return checked_link(url)


def message_text(message: discord.Message, *, embed_links: bool = True) -> str:
    """Where a message's article links are: its text (and its embeds' links), and the same of
    every message it forwards (Discord's message snapshots)."""
    parts = [message.content or ""]
    if embed_links:
        parts += [embed.url for embed in message.embeds if embed.url]
    for snapshot in message.message_snapshots:
        parts.append(snapshot.content or "")
        if embed_links:
            parts += [embed.url for embed in snapshot.embeds if embed.url]
    return " ".join(part for part in parts if part)


def article_view(report: ArticleReport) -> discord.ui.View:
    """Buttons under an article embed: quotes, people & countries, and a link to the source."""
    view = discord.ui.View(timeout=None)
    view.add_item(QuotesButton(report.article.id))
    view.add_item(PeopleButton(report.article.id))
    url = embeds.button_url(report.article.url)  # a link too long for a button: the title has it
    if url:
        view.add_item(discord.ui.Button(label="Read article", url=url))
    return view


async def report_embed(bot: DiplobriefBot, scope: int, report: ArticleReport) -> discord.Embed:
    """An article's embed, with the server's other reports of its story ("Also reported by")."""
    others = await bot.app.briefings.also_reported(scope, report.article)
    return embeds.with_also_reported(embeds.article_embed(report.article, report.analysis), others)


async def send_report(interaction: discord.Interaction, report: ArticleReport) -> None:
    """The answer to a deferred /summarize or context-menu call."""
    bot: DiplobriefBot = interaction.client  # type: ignore[assignment]
    embed = await report_embed(bot, scope_of(interaction), report)
    await Reply.of(interaction).send(embed=embed, view=article_view(report))


class QuotesButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"db:quotes:(?P<id>\d+)"
):
    """'Quotes' under an article: every quote with its speaker, shown only to whoever clicked."""

    def __init__(self, article_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Quotes",
                style=discord.ButtonStyle.primary,
                custom_id=f"db:quotes:{article_id}",
            )
        )
        self.article_id = article_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> QuotesButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: DiplobriefBot = interaction.client  # type: ignore[assignment]
        try:
            report = await bot.app.articles.article(scope_of(interaction), self.article_id)
            quotes = [(q.text, q.speaker, q.title) for q in report.analysis.attributed_quotes]
            title = f"Quotes · {display_title(report.article.title, report.article.text)}"
            await Reply.of(interaction).send(
                embed=embeds.quotes_embed(title, quotes, url=report.article.url), ephemeral=True
            )
        except Exception as error:
            await handle_interaction_error(interaction, error)


class PeopleButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"db:people:(?P<id>\d+)"
):
    """'People & countries' under an article, shown only to whoever clicked."""

    def __init__(self, article_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="People & countries",
                style=discord.ButtonStyle.secondary,
                custom_id=f"db:people:{article_id}",
            )
        )
        self.article_id = article_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PeopleButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: DiplobriefBot = interaction.client  # type: ignore[assignment]
        try:
            report = await bot.app.articles.article(scope_of(interaction), self.article_id)
            await Reply.of(interaction).send(
                embed=embeds.people_countries_embed(report.article, report.analysis),
                ephemeral=True,
            )
        except Exception as error:
            await handle_interaction_error(interaction, error)


class ArticleGroup(app_commands.Group):
    """Articles stored in this server."""

    def __init__(self, bot: DiplobriefBot) -> None:
        super().__init__(
            name="article",
            description="Add, list or remove stored articles",
            guild_only=True,
            allowed_contexts=SERVER_CONTEXT_ONLY,
            allowed_installs=SERVER_INSTALL_ONLY,
        )
        self.bot = bot

    @app_commands.command(
        name="add", description="Add an article by pasting its text or attaching a .txt/.html file"
    )
    @app_commands.describe(
        title="The article's headline",
        text="The article text (for paywalled articles)",
        file="A .txt or .html file with the article",
        url="Where the article was published (optional, shown as its link)",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        title: str | None = None,
        text: str | None = None,
        file: discord.Attachment | None = None,
        url: str | None = None,
    ) -> None:
        if not text and file is None:
            raise UserFacingError(
                "Paste the article as `text` or attach it as a .txt/.html `file`."
            )
        if file is not None:
            if not file.filename.lower().endswith(ARTICLE_FILE_SUFFIXES):
                raise UserFacingError("Attach a .txt or .html file.")
            if file.size > MAX_INPUT_BYTES:
                limit_mb = MAX_INPUT_BYTES / 1e6
                raise UserFacingError(
                    f"That file is {file.size / 1e6:.1f} MB; the limit is {limit_mb:.0f} MB."
                )
        if url:
            url = require_url(url)
        scope = server_scope_of(interaction)
        await Reply.of(interaction).defer()
        data: bytes | str = await file.read() if file is not None else (text or "")
        name = file.filename if file is not None else "pasted text"
        report = await self.bot.app.articles.add_document(
            scope,
            data,
            name=name,
            title=title,
            url=url,
            added_by=interaction.user.id,
        )
        await send_report(interaction, report)

    @app_commands.command(name="list", description="List the articles stored in this server")
    @app_commands.describe(page="Page number (25 per page)")
    async def list_(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        found = await self.bot.app.articles.article_page(server_scope_of(interaction), page)
        await Reply.of(interaction).send(embed=embeds.article_list_embed(found), ephemeral=True)

    @app_commands.command(
        name="remove", description="Remove a stored article (needs Manage Messages)"
    )
    @app_commands.describe(id="The article number shown as #N")
    async def remove(self, interaction: discord.Interaction, id: int) -> None:
        scope = server_scope_of(interaction)
        permissions = interaction.permissions
        if not permissions.manage_messages:
            raise PermissionDeniedError(
                "You need the Manage Messages permission to remove articles."
            )
        await self.bot.app.articles.remove_article(scope, id)
        await Reply.of(interaction).send(content=f"Removed article #{id}.", ephemeral=True)


class ArticlesCog(commands.Cog):
    """Summaries of links and pasted articles."""

    def __init__(self, bot: DiplobriefBot) -> None:
        self.bot = bot
        self.context_menu = app_commands.ContextMenu(
            name="Summarize article", callback=self.summarize_message
        )
        installable_by_users(self.context_menu)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.context_menu)
        self.bot.tree.add_command(ArticleGroup(self.bot))
        self.bot.add_dynamic_items(QuotesButton, PeopleButton)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.context_menu.name, type=self.context_menu.type)
        self.bot.tree.remove_command("article")
        self.bot.remove_dynamic_items(QuotesButton, PeopleButton)

    @app_commands.command(name="summarize", description="Summarize a news article from a link")
    @app_commands.describe(
        url="Link to the article",
        sentences=f"How many sentences (1–{MAX_SENTENCES}, default {DEFAULT_SENTENCES})",
        method=f"Summary method (default {DEFAULT_SUMMARY_METHOD})",
    )
    @app_commands.choices(method=METHOD_CHOICES)
    @installable_by_users
    async def summarize(
        self,
        interaction: discord.Interaction,
        url: str,
        sentences: app_commands.Range[int, 1, MAX_SENTENCES] = DEFAULT_SENTENCES,
        method: str | None = None,
    ) -> None:
        url = require_url(url)
        check_summary_options(method, sentences)
        scope = scope_of(interaction)
        await Reply.of(interaction).defer()
        report = await self.bot.app.articles.add_url(
            scope,
            url,
            added_by=interaction.user.id,
            method=method,
            sentences=sentences,
        )
        await send_report(interaction, report)

    async def summarize_message(
        self, interaction: discord.Interaction, message: discord.Message
    ) -> None:
        """Summarize the link(s) in a message or the message it forwards (up to three)."""
        scope = scope_of(interaction)  # before deferring: a DM gets its answer privately
        links = find_links(message_text(message))
        if not links:
            raise NotFoundError("That message has no article link.")
        reply = Reply.of(interaction)
        await reply.defer()
        failures: list[str] = []
        for url in links:
            try:
                report = await self.bot.app.articles.add_url(
                    scope, url, added_by=interaction.user.id
                )
            except UserFacingError as err:
                failures.append(f"{url}: {err}")
                continue
            await send_report(interaction, report)
        if failures:
            if not reply.state.answered:
                raise UserFacingError("\n".join(failures))
            await reply.send(embed=embeds.error_embed("\n".join(failures)), ephemeral=True)


async def setup(bot: DiplobriefBot) -> None:
    await bot.add_cog(ArticlesCog(bot))
