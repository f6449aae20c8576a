"""The offline console: the bot's slash commands typed at a prompt, answered as text."""

from __future__ import annotations

import asyncio
import logging
import shlex
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.app import App
from bot.domain.errors import UserFacingError
from bot.domain.limits import (
    BRIEF_DEFAULT_DAYS,
    DEFAULT_QUOTES,
    DEFAULT_SENTENCES,
    DEFAULT_STORIES,
    MAX_QUOTES,
    MAX_SENTENCES,
    MAX_STORIES,
    RELATIONS_DEFAULT_DAYS,
    STORY_SENTENCES,
    days_range_text,
)
from bot.domain.pictures import Picture
from bot.domain.scope import CONSOLE_SCOPE
from bot.domain.stories import BriefingQuery
from bot.domain.text import display_title
from bot.render import text

log = logging.getLogger(__name__)

Handler = Callable[["ConsoleCommand"], Awaitable[str]]

HELP = f"""Diplobrief console — the bot's commands, offline. Options as name:value or positional.
  /summarize url:<link or file path> [sentences:1-{MAX_SENTENCES}] [method:NAME]
  /quotes [speaker:NAME] [article:ID] [limit:1-{MAX_QUOTES}]
  /search query:<words>
  /article add path:<file> [title:TEXT] · /article list · /article remove id:<ID>
  /brief [topic:WORDS] [country:NAME] [days:{days_range_text()}] [stories:1-{MAX_STORIES}]
         [png:FILE]
  /relations country:<name or code> [days:{days_range_text()}] [png:FILE]
  /feed add url:<feed or page> · /feed list · /feed remove feed:<#id> · /feed resume feed:<#id>
  /feed poll   (fetch every due feed now)
  /help · /quit"""


async def write_picture(
    picture: Picture | None, path: str | Path, nothing_to_draw: str | None
) -> Path:
    """Write a picture where the user asked (the CLI and the console); UserFacingError when
    there is nothing to draw, it could not be drawn (the log says why) or the file cannot be
    written."""
    if nothing_to_draw:
        raise UserFacingError(f"No picture: {nothing_to_draw}.")
    if picture is None:
        raise UserFacingError("The picture could not be drawn (the log says why).")
    try:
        return await asyncio.to_thread(_write_png, Path(path), picture.png)
    except OSError as err:
        raise UserFacingError(f"{path}: cannot write the picture ({err.strerror}).") from None


def _write_png(path: Path, png: bytes) -> Path:
    target = path.expanduser()
    target.write_bytes(png)
    return target.resolve()


async def picture_line(
    picture: Picture | None, path: str | Path, nothing_to_draw: str | None
) -> str:
    """The console's line under an answer: where the picture is, or why there is none."""
    try:
        return f"Picture: {await write_picture(picture, path, nothing_to_draw)}"
    except UserFacingError as err:
        return str(err)


@dataclass(frozen=True)
class ConsoleCommand:
    """A parsed console line: command name, positional words and name:value options."""

    name: str
    args: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)

    def option(self, name: str, position: int | None = None) -> str | None:
        if name in self.options:
            return self.options[name]
        if position is not None and position < len(self.args):
            return self.args[position]
        return None

    def int_option(self, name: str, default: int, position: int | None = None) -> int:
        value = self.option(name, position)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise UserFacingError(f"{name} must be a whole number, not {value!r}.") from None


def parse_line(line: str) -> ConsoleCommand | None:
    """Split a typed line into a command; options look like `name:value` or `name=value`."""
    line = line.strip()
    if not line:
        return None
    try:
        words = shlex.split(line)
    except ValueError as err:
        raise UserFacingError(f"Could not read that line: {err}.") from None
    head, *rest = words
    name = head.lstrip("/").lower()
    args: list[str] = []
    options: dict[str, str] = {}
    for word in rest:
        key, sep, value = word.partition(":")
        if not sep:
            key, sep, value = word.partition("=")
        if sep and key.isidentifier() and not value.startswith("//"):
            options[key.lower()] = value
        else:
            args.append(word)
    if name in ("article", "feed") and args:
        name, args = f"{name} {args[0].lower()}", args[1:]
    return ConsoleCommand(name=name, args=tuple(args), options=options)


class Console:
    """Answers console commands with the same services the Discord cogs use."""

    def __init__(self, app: App, scope: int = CONSOLE_SCOPE) -> None:
        self.app = app
        self.scope = scope
        self.handlers: dict[str, Handler] = {
            "summarize": self.summarize,
            "quotes": self.quotes,
            "search": self.search,
            "article add": self.article_add,
            "article list": self.article_list,
            "article remove": self.article_remove,
            "help": self.help,
            "brief": self.brief,
            "relations": self.relations,
            "feed add": self.feed_add,
            "feed list": self.feed_list,
            "feed remove": self.feed_remove,
            "feed resume": self.feed_resume,
            "feed poll": self.feed_poll,
        }

    async def answer(self, line: str) -> str:
        """The reply to one typed line; user errors become one short line, bugs get a ref."""
        try:
            command = parse_line(line)
            if command is None:
                return ""
            handler = self.handlers.get(command.name)
            if handler is None:
                return f"Unknown command {line.split()[0]!r}. Type /help."
            return await handler(command)
        except UserFacingError as err:
            return f"Error: {err}"
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("console command failed (ref %s): %r", ref, line)
            return f"Something went wrong (ref {ref})."

    async def help(self, command: ConsoleCommand) -> str:
        return HELP

    async def summarize(self, command: ConsoleCommand) -> str:
        target = command.option("url", 0)
        if not target:
            raise UserFacingError("Give a link or a file path: /summarize url:<link>.")
        report = await self.app.articles.add_link_or_file(
            self.scope,
            target,
            method=command.option("method"),
            sentences=command.int_option("sentences", DEFAULT_SENTENCES),
        )
        note = "" if report.created else "(already stored)\n"
        return note + text.article_report(
            report.article, report.analysis, article_id=report.article.id
        )

    async def quotes(self, command: ConsoleCommand) -> str:
        found = await self.app.articles.quotes(
            self.scope,
            speaker=command.option("speaker", 0),
            article=command.option("article"),
            limit=command.int_option("limit", DEFAULT_QUOTES),
        )
        return text.quotes_list(found)

    async def search(self, command: ConsoleCommand) -> str:
        query = command.option("query") or " ".join(command.args)
        page = await self.app.articles.search(self.scope, query, limit=10)
        return text.search_results(page, query)

    async def article_add(self, command: ConsoleCommand) -> str:
        target = command.option("path", 0)
        if not target:
            raise UserFacingError("Give a file: /article add path:<file> [title:TEXT].")
        report = await self.app.articles.add_link_or_file(
            self.scope, target, title=command.option("title")
        )
        verb = "Added" if report.created else "Already stored:"
        title = display_title(report.article.title, report.article.text)
        return f"{verb} #{report.article.id} {title}"

    async def article_list(self, command: ConsoleCommand) -> str:
        page = await self.app.articles.article_page(self.scope, command.int_option("page", 1))
        return text.article_list(page)

    async def brief(self, command: ConsoleCommand) -> str:
        briefings = self.app.briefings
        query = BriefingQuery(
            window=briefings.last_days(command.int_option("days", BRIEF_DEFAULT_DAYS)),
            topic=command.option("topic"),
            country=command.option("country"),
            stories=command.int_option("stories", DEFAULT_STORIES),
            sentences=STORY_SENTENCES,
        )
        briefing = await briefings.brief(self.scope, query)
        answer = text.briefing_text(briefing)
        png = command.option("png")
        if png:
            pictures = self.app.pictures
            picture = await pictures.timeline(briefing)
            answer += "\n" + await picture_line(
                picture, png, pictures.nothing_to_draw_timeline(briefing)
            )
        return answer

    async def relations(self, command: ConsoleCommand) -> str:
        country = command.option("country") or " ".join(command.args)
        if not country:
            raise UserFacingError("Name a country: /relations country:<name or code>.")
        briefings = self.app.briefings
        window = briefings.last_days(command.int_option("days", RELATIONS_DEFAULT_DAYS))
        relations = await briefings.relations(self.scope, country, window)
        answer = text.relations_text(relations)
        png = command.option("png")
        if png:
            pictures = self.app.pictures
            picture = await pictures.relations(relations)
            answer += "\n" + await picture_line(
                picture, png, pictures.nothing_to_draw_relations(relations)
            )
        return answer

    async def article_remove(self, command: ConsoleCommand) -> str:
        if command.option("id", 0) is None:
            raise UserFacingError("Give the article number: /article remove id:<ID>.")
        reference = command.option("id", 0) or ""
        article_id = await self.app.articles.find_article(self.scope, reference)
        await self.app.articles.remove_article(self.scope, article_id)
        return f"Removed article #{article_id}."

    async def feed_add(self, command: ConsoleCommand) -> str:
        url = command.option("url", 0)
        if not url:
            raise UserFacingError("Give the feed: /feed add url:<feed or news page>.")
        result = await self.app.feeds.add(
            self.scope, url, topic=command.option("topic"), country=command.option("country")
        )
        name = result.feed.title or result.feed.url
        if not result.created:
            return f"Already reading {name}."
        return f"Added #{result.subscription.id} {name}; /feed poll fetches its newest items."

    async def feed_list(self, command: ConsoleCommand) -> str:
        return text.feed_list_text(await self.app.feeds.feeds(self.scope))

    async def feed_remove(self, command: ConsoleCommand) -> str:
        listing = await self.app.feeds.remove(self.scope, command.option("feed", 0) or "")
        return f"Removed {listing.feed.title or listing.feed.url}."

    async def feed_resume(self, command: ConsoleCommand) -> str:
        listing = await self.app.feeds.resume(self.scope, command.option("feed", 0) or "")
        return f"Resumed {listing.feed.title or listing.feed.url}."

    async def feed_poll(self, command: ConsoleCommand) -> str:
        return text.poll_text(await self.app.feed_poller.poll_due())
