"""The command line: run, console, ingest, analyze, search, quotes, brief, relations, sync."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.analysis import quiet_extraction_libraries
from bot.app import App, open_app
from bot.config import Settings, load_environment
from bot.console import HELP, Console
from bot.domain.errors import ConfigError, UserFacingError
from bot.domain.limits import (
    BRIEF_DEFAULT_DAYS,
    DEFAULT_QUOTES,
    DEFAULT_SENTENCES,
    DEFAULT_STORIES,
    MAX_STORIES,
    RELATIONS_DEFAULT_DAYS,
    STORY_SENTENCES,
    SUMMARY_METHODS,
    days_range_text,
)
from bot.domain.scope import CONSOLE_SCOPE
from bot.domain.stories import BriefingQuery
from bot.domain.text import display_title
from bot.render import json as json_render
from bot.render import text
from bot.services.articles import article_files

log = logging.getLogger("diplobrief")

DEFAULT_SEEDS = Path("seeds")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diplobrief", description="Diplobrief: briefings on diplomatic news."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="the Discord bot when DISCORD_TOKEN is set, else the console")
    console = sub.add_parser("console", help="offline console that answers the slash commands")
    console.add_argument(
        "--seeds", type=Path, default=DEFAULT_SEEDS, help="articles loaded on first start"
    )
    ingest = sub.add_parser("ingest", help="store articles from files, folders or links")
    ingest.add_argument("inputs", nargs="+", metavar="PATH|URL")
    analyze = sub.add_parser("analyze", help="analyse articles without storing them")
    analyze.add_argument("inputs", nargs="+", metavar="PATH|URL")
    analyze.add_argument("--json", action="store_true", help="one JSON object per input and line")
    analyze.add_argument("--sentences", type=int, default=DEFAULT_SENTENCES)
    analyze.add_argument(
        "--method", default=None, help=f"summary method: {', '.join(SUMMARY_METHODS)}"
    )
    search = sub.add_parser("search", help="full-text search of stored articles")
    search.add_argument("query", nargs="+")
    quotes = sub.add_parser("quotes", help="stored quotes, optionally by speaker")
    quotes.add_argument("--speaker", default=None)
    quotes.add_argument("--limit", type=int, default=DEFAULT_QUOTES)
    brief = sub.add_parser("brief", help="a briefing across the stored articles")
    brief.add_argument("--topic", default=None)
    brief.add_argument("--country", default=None, help="ISO code or name")
    brief.add_argument(
        "--days",
        type=int,
        default=BRIEF_DEFAULT_DAYS,
        help=f"{days_range_text()} (default {BRIEF_DEFAULT_DAYS})",
    )
    brief.add_argument(
        "--stories",
        type=int,
        default=DEFAULT_STORIES,
        help=f"1–{MAX_STORIES} (default {DEFAULT_STORIES})",
    )
    brief.add_argument("--json", action="store_true")
    relations = sub.add_parser("relations", help="countries named alongside a country")
    relations.add_argument("country")
    relations.add_argument(
        "--days",
        type=int,
        default=RELATIONS_DEFAULT_DAYS,
        help=f"{days_range_text()} (default {RELATIONS_DEFAULT_DAYS})",
    )
    relations.add_argument("--json", action="store_true")
    sync = sub.add_parser("sync", help="register the slash commands with Discord")
    sync.add_argument("--guild", type=int, default=None, help="sync to one server only (instant)")
    return parser


def unexpected(error: Exception) -> str:
    """The line for an error nobody foresaw; the traceback is in the DEBUG log."""
    return (
        f"unexpected error ({type(error).__name__}: {error}); "
        "run with DIPLOBRIEF_LOG_LEVEL=DEBUG for the details."
    )


def fail(item: str, message: str) -> None:
    """One clear line on stderr for one bad input."""
    line = str(message)
    print(
        f"diplobrief: {line}" if line.startswith(item) else f"diplobrief: {item}: {line}",
        file=sys.stderr,
    )


async def cmd_ingest(app: App, inputs: Sequence[str]) -> int:
    failures = 0
    items = await asyncio.to_thread(article_files, list(inputs))
    if not items:
        fail(" ".join(inputs), "no article files found.")
        return 1
    for item in items:
        try:
            report = await app.articles.add_link_or_file(CONSOLE_SCOPE, item)
        except UserFacingError as err:
            failures += 1
            fail(item, str(err))
            continue
        except Exception as err:  # one input's bug must not hide the others' results
            failures += 1
            log.debug("ingest of %s failed", item, exc_info=True)
            fail(item, unexpected(err))
            continue
        title = display_title(report.article.title, report.article.text)
        state = "added" if report.created else "already stored"
        print(f"{state} #{report.article.id} {title}")
    return 1 if failures else 0


async def cmd_analyze(app: App, args: argparse.Namespace) -> int:
    failures = 0
    for item in await asyncio.to_thread(article_files, list(args.inputs)):
        try:
            result = await app.articles.analyze_link_or_file(
                item, method=args.method, sentences=args.sentences
            )
        except UserFacingError as err:
            failures += 1
            fail(item, str(err))
            continue
        if args.json:
            record = json_render.analysis_json(item, result.article, result.analysis)
            print(json_render.dumps(record))
        else:
            print(text.analysis_text(item, result.article, result.analysis))
        sys.stdout.flush()
    return 1 if failures else 0


async def cmd_console(app: App, seeds: Path) -> int:
    for report in await app.articles.load_seeds(CONSOLE_SCOPE, seeds):
        print(f"Loaded sample article #{report.article.id} from {report.article.source_path}")
    console = Console(app)
    print(HELP)
    while True:
        try:
            line = await asyncio.to_thread(input, "diplobrief> ")
        except EOFError:
            print()
            return 0
        if line.strip().lower() in {"/quit", "/exit", "quit", "exit"}:
            return 0
        reply = await console.answer(line)
        if reply:
            print(reply)


async def cmd_brief(app: App, args: argparse.Namespace) -> int:
    query = BriefingQuery(
        window=app.briefings.last_days(args.days),
        topic=args.topic,
        country=args.country,
        stories=args.stories,
        sentences=STORY_SENTENCES,
    )
    briefing = await app.briefings.brief(CONSOLE_SCOPE, query)
    if args.json:
        print(json_render.dumps(json_render.briefing_json(briefing)))
    else:
        print(text.briefing_text(briefing))
    return 0


async def cmd_relations(app: App, args: argparse.Namespace) -> int:
    window = app.briefings.last_days(args.days)
    related = await app.briefings.relations(CONSOLE_SCOPE, args.country, window)
    if args.json:
        print(json_render.dumps(json_render.relations_json(related)))
    else:
        print(text.relations_text(related))
    return 0


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "sync" or (args.command == "run" and settings.discord_token):
        from commands.client import run_bot, sync_commands

        if args.command == "sync":
            return await sync_commands(settings, guild_id=args.guild)
        return await run_bot(settings)
    async with open_app(settings) as app:
        if args.command in ("console", "run"):
            return await cmd_console(app, getattr(args, "seeds", DEFAULT_SEEDS))
        if args.command == "ingest":
            return await cmd_ingest(app, args.inputs)
        if args.command == "analyze":
            return await cmd_analyze(app, args)
        if args.command == "search":
            query = " ".join(args.query)
            page = await app.articles.search(CONSOLE_SCOPE, query, limit=20)
            print(text.search_results(page, query))
            return 0
        if args.command == "brief":
            return await cmd_brief(app, args)
        if args.command == "relations":
            return await cmd_relations(app, args)
        if args.command == "quotes":
            found = await app.articles.quotes(CONSOLE_SCOPE, speaker=args.speaker, limit=args.limit)
            print(text.quotes_list(found))
            return 0
    raise AssertionError(f"unhandled command {args.command}")


def configure_logging(level: int) -> None:
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    quiet_extraction_libraries(level)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args.command = "run"
    try:
        settings = Settings.from_env(load_environment(os.environ))
    except ConfigError as err:
        print(f"diplobrief: {err}", file=sys.stderr)
        return 2
    serving = args.command == "run" and settings.discord_token is not None
    configure_logging(settings.log_level_number("INFO" if serving else "WARNING"))
    try:
        return asyncio.run(run_command(args, settings))
    except UserFacingError as err:
        print(f"diplobrief: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
