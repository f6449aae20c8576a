"""The command line: run, worker, console, ingest, analyze, search, quotes, brief, relations,
feed, sync, migrate-db."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import asyncpg

from bot.analysis import quiet_extraction_libraries
from bot.app import App, open_app
from bot.config import Settings, load_environment
from bot.console import HELP, Console, write_picture
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
from bot.domain.pictures import Picture
from bot.domain.scope import CONSOLE_SCOPE
from bot.domain.stories import BriefingQuery
from bot.domain.text import display_title
from bot.render import json as json_render
from bot.render import text
from bot.services.articles import article_files
from storage import is_postgres_url
from storage.transfer import TableCopy, TransferError, copy_database

log = logging.getLogger("diplobrief")

DEFAULT_SEEDS = Path("seeds")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diplobrief", description="Diplobrief: briefings on diplomatic news."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="the Discord bot when DISCORD_TOKEN is set, else the console")
    run.add_argument("--shard-ids", default=None, help="connect only these shards, e.g. 0,1")
    run.add_argument("--shard-count", type=int, default=None, help="how many shards in all")
    sub.add_parser("worker", help="background work only (digests), beside the bot processes")
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
    brief.add_argument(
        "--png", type=Path, default=None, metavar="FILE", help="also draw the coverage timeline"
    )
    relations = sub.add_parser("relations", help="countries named alongside a country")
    relations.add_argument("country")
    relations.add_argument(
        "--days",
        type=int,
        default=RELATIONS_DEFAULT_DAYS,
        help=f"{days_range_text()} (default {RELATIONS_DEFAULT_DAYS})",
    )
    relations.add_argument("--json", action="store_true")
    relations.add_argument(
        "--png", type=Path, default=None, metavar="FILE", help="also draw the network picture"
    )
    migrate = sub.add_parser(
        "migrate-db", help="copy the SQLite database into an empty PostgreSQL database"
    )
    migrate.add_argument("--to", required=True, metavar="postgresql://…", dest="target")
    migrate.add_argument(
        "--from", type=Path, default=None, dest="source", help="SQLite file (default: configured)"
    )
    feed = sub.add_parser(
        "feed", help="news feeds: add, list, remove, resume, import, export, poll"
    )
    feed_sub = feed.add_subparsers(dest="feed_command", metavar="ACTION", required=True)
    feed_add = feed_sub.add_parser("add", help="read a feed (or the feed a news page names)")
    feed_add.add_argument("url")
    feed_add.add_argument("--topic", default=None)
    feed_add.add_argument("--country", default=None)
    feed_sub.add_parser("list", help="the feeds read, their state and items")
    feed_remove = feed_sub.add_parser("remove", help="stop reading a feed (#id, URL or title)")
    feed_remove.add_argument("feed")
    feed_resume = feed_sub.add_parser("resume", help="fetch a paused feed again")
    feed_resume.add_argument("feed")
    feed_import = feed_sub.add_parser("import", help="read every feed of an OPML file")
    feed_import.add_argument("file", type=Path)
    feed_export = feed_sub.add_parser("export", help="the feeds as OPML (stdout or --output)")
    feed_export.add_argument("--output", type=Path, default=None)
    feed_sub.add_parser("poll", help="poll every due feed once, store new items, exit (cron)")
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
    if args.png is not None:
        pictures = app.pictures
        picture = await pictures.timeline(briefing)
        return await cmd_picture(picture, args.png, pictures.nothing_to_draw_timeline(briefing))
    return 0


async def cmd_picture(picture: Picture | None, path: Path, nothing_to_draw: str | None) -> int:
    """Write the picture asked for with --png: its path on stderr, or one line saying why not."""
    try:
        written = await write_picture(picture, path, nothing_to_draw)
    except UserFacingError as err:
        fail(str(path), str(err))
        return 1
    print(f"diplobrief: picture written to {written}", file=sys.stderr)
    return 0


async def cmd_relations(app: App, args: argparse.Namespace) -> int:
    window = app.briefings.last_days(args.days)
    related = await app.briefings.relations(CONSOLE_SCOPE, args.country, window)
    if args.json:
        print(json_render.dumps(json_render.relations_json(related)))
    else:
        print(text.relations_text(related))
    if args.png is not None:
        pictures = app.pictures
        picture = await pictures.relations(related)
        return await cmd_picture(picture, args.png, pictures.nothing_to_draw_relations(related))
    return 0


async def cmd_migrate_db(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the SQLite file into PostgreSQL, one line per table, counts verified."""
    if not is_postgres_url(args.target):
        fail(args.target, "--to must be a postgresql:// URL.")
        return 2
    source = args.source or settings.database

    def report(copied: TableCopy) -> None:
        print(
            f"{copied.table:<22} {copied.copied_rows:>8} copied  "
            f"{copied.target_rows:>8} in the target (source {copied.source_rows})"
        )

    try:
        await copy_database(source, args.target, progress=report)
    except TransferError as error:
        print(f"diplobrief: {error}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as error:
        print(f"diplobrief: could not copy into PostgreSQL: {error}", file=sys.stderr)
        return 1
    print("Copy complete: every table has as many rows as the source.")
    return 0


async def cmd_feed(app: App, args: argparse.Namespace) -> int:
    """The CLI's feeds: its own scope (the console's), every due feed polled by `poll`."""
    feeds = app.feeds
    action = args.feed_command
    if action == "add":
        result = await feeds.add(CONSOLE_SCOPE, args.url, topic=args.topic, country=args.country)
        name = result.feed.title or result.feed.url
        if not result.created:
            print(f"Already reading {name} <{result.feed.url}>")
        else:
            print(f"Added #{result.subscription.id} {name} <{result.feed.url}>")
            print("Its newest items are stored on the next `diplobrief feed poll`.")
        for found in result.discovered[1:]:
            print(f"  the page also names: {found.url}")
        return 0
    if action == "list":
        print(text.feed_list_text(await feeds.feeds(CONSOLE_SCOPE)))
        return 0
    if action == "remove":
        listing = await feeds.remove(CONSOLE_SCOPE, args.feed)
        print(f"Removed {listing.feed.title or listing.feed.url}")
        return 0
    if action == "resume":
        listing = await feeds.resume(CONSOLE_SCOPE, args.feed)
        print(f"Resumed {listing.feed.title or listing.feed.url}")
        return 0
    if action == "import":
        try:
            data = await asyncio.to_thread(args.file.read_bytes)
        except OSError as error:
            raise UserFacingError(f"{args.file}: {error.strerror or error}.") from None
        report = await feeds.import_opml(CONSOLE_SCOPE, data)
        print(
            f"Added {len(report.added)}, already there {len(report.already)}, "
            f"over the limit {len(report.over_limit)}, refused {len(report.refused)}."
        )
        for url, why in report.refused:
            print(f"  refused {url}: {why}", file=sys.stderr)
        return 0
    if action == "export":
        opml = await feeds.export_opml(CONSOLE_SCOPE)
        if args.output is None:
            sys.stdout.write(opml.decode("utf-8") + "\n")
        else:
            await asyncio.to_thread(args.output.write_bytes, opml)
        return 0
    if action == "poll":
        reports = await app.feed_poller.poll_due()
        print(text.poll_text(reports))  # a failing feed is news for `feed list`, not an error
        return 0
    raise AssertionError(f"unhandled feed action {action}")


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate-db":
        return await cmd_migrate_db(args, settings)
    if args.command == "worker":
        from commands.client import run_worker

        return await run_worker(settings)
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
        if args.command == "feed":
            return await cmd_feed(app, args)
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
    environ = load_environment(os.environ)
    if args.command == "run" and (args.shard_ids is not None or args.shard_count is not None):
        # The command line wins over the environment, checked by the same rules.
        environ["DIPLOBRIEF_SHARD_IDS"] = args.shard_ids or ""
        environ["DIPLOBRIEF_SHARD_COUNT"] = str(args.shard_count or "")
    try:
        settings = Settings.from_env(environ)
    except ConfigError as err:
        print(f"diplobrief: {err}", file=sys.stderr)
        return 2
    serving = args.command in ("run", "worker") and settings.discord_token is not None
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
