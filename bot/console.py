"""The offline console: the bot's slash commands typed at a prompt, answered as text."""

from __future__ import annotations

import asyncio
import logging
import shlex
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot import text_render
from bot.briefing import build_briefing, country_relations
from bot.errors import UserFacingError
from bot.nlp.extract import MAX_INPUT_BYTES
from bot.service import ArticleService

log = logging.getLogger(__name__)

Handler = Callable[["ConsoleCommand"], Awaitable[str]]

HELP = """Diplobrief console — the bot's commands, offline. Options as name:value or positional.
  /summarize url:<link or file path> [sentences:1-10] [method:NAME]
  /quotes [speaker:NAME] [article:ID] [limit:N]
  /search query:<words>
  /article add path:<file> [title:TEXT] · /article list · /article remove id:<ID>
  /brief [topic:WORDS] [country:NAME] [days:1-30]
  /relations country:<name or code> [days:1-30]
  /help · /quit"""


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

    def int_option(self, name: str, default: int | None = None) -> int | None:
        value = self.option(name)
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
    if name == "article" and args:
        name, args = f"article {args[0].lower()}", args[1:]
    return ConsoleCommand(name=name, args=tuple(args), options=options)


class Console:
    """Answers console commands with the same services the Discord cogs use."""

    def __init__(self, service: ArticleService, guild_id: int | None = None) -> None:
        self.service = service
        self.guild_id = guild_id
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
        }

    def add_command(self, name: str, handler: Handler) -> None:
        """Let later features (briefings, digests) answer in the console too."""
        self.handlers[name] = handler

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
        sentences = command.int_option("sentences", 3) or 3
        method = command.option("method")
        if target.startswith(("http://", "https://")):
            report = await self.service.add_url(
                self.guild_id, target, method=method, sentences=sentences
            )
        else:
            path = Path(target)
            data = await asyncio.to_thread(read_article_file, path)
            report = await self.service.add_document(
                self.guild_id,
                data,
                name=str(path),
                source_path=str(path),
                method=method,
                sentences=sentences,
            )
        note = "" if report.created else "(already stored)\n"
        return note + text_render.article_report(
            report.article, report.analysis, article_id=report.article.id
        )

    async def quotes(self, command: ConsoleCommand) -> str:
        found = await self.service.quotes(
            self.guild_id,
            speaker=command.option("speaker", 0),
            article_id=command.int_option("article"),
            limit=command.int_option("limit", 10) or 10,
        )
        return text_render.quotes_list(found)

    async def search(self, command: ConsoleCommand) -> str:
        query = command.option("query") or " ".join(command.args)
        page = await self.service.search(self.guild_id, query, limit=10)
        return text_render.search_results(page, query)

    async def article_add(self, command: ConsoleCommand) -> str:
        target = command.option("path", 0)
        if not target:
            raise UserFacingError("Give a file: /article add path:<file> [title:TEXT].")
        path = Path(target)
        report = await self.service.add_document(
            self.guild_id,
            await asyncio.to_thread(read_article_file, path),
            name=str(path),
            source_path=str(path),
            title=command.option("title"),
        )
        verb = "Added" if report.created else "Already stored:"
        title = text_render.display_title(report.article.title, report.article.text)
        return f"{verb} #{report.article.id} {title}"

    async def article_list(self, command: ConsoleCommand) -> str:
        articles = await self.service.list_articles(self.guild_id, limit=25)
        total = await self.service.store.count_articles(self.guild_id)
        return text_render.article_list(articles, total)

    async def brief(self, command: ConsoleCommand) -> str:
        briefing = await build_briefing(
            self.service.store,
            self.guild_id,
            now=self.service.now(),
            days=command.int_option("days", 1) or 1,
            topic=command.option("topic"),
            country=command.option("country"),
        )
        return text_render.briefing_text(briefing)

    async def relations(self, command: ConsoleCommand) -> str:
        country = command.option("country") or " ".join(command.args)
        if not country:
            raise UserFacingError("Name a country: /relations country:<name or code>.")
        found = await country_relations(
            self.service.store,
            self.guild_id,
            country,
            now=self.service.now(),
            days=command.int_option("days", 7) or 7,
        )
        return text_render.relations_text(found)

    async def article_remove(self, command: ConsoleCommand) -> str:
        article_id = command.int_option("id") if "id" in command.options else None
        if article_id is None and command.args:
            article_id = ConsoleCommand("x", options={"id": command.args[0]}).int_option("id")
        if article_id is None:
            raise UserFacingError("Give the article number: /article remove id:<ID>.")
        await self.service.remove_article(self.guild_id, article_id)
        return f"Removed article #{article_id}."


def read_article_file(path: Path) -> bytes:
    """Read a local article file, refusing oversized files before loading them."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UserFacingError(f"{path}: not a file.")
        if size > MAX_INPUT_BYTES:
            raise UserFacingError(
                f"{path}: file is too large ({size / 1e6:.1f} MB; the limit is "
                f"{MAX_INPUT_BYTES / 1e6:.0f} MB)."
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise UserFacingError(f"{path}: no such file.") from None
    except PermissionError:
        raise UserFacingError(f"{path}: permission denied.") from None
    except IsADirectoryError:
        raise UserFacingError(f"{path}: is a directory.") from None
