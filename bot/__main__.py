"""Composition root and CLI: run, console, ingest, analyze, search, quotes, sync."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot import text_render
from bot.analysis import AnalysisRequest, ThreadAnalyzer, quiet_extraction_libraries
from bot.briefing import briefing_json, build_briefing, country_relations, relations_json
from bot.config import Settings, load_environment
from bot.console import HELP, Console, read_article_file
from bot.errors import ConfigError, UserFacingError
from bot.fetch import FetchedPage, fetch_page, new_fetch_session
from bot.nlp.pipeline import DEFAULT_SENTENCES
from bot.service import ArticleService, utc_now
from storage.store import Store

log = logging.getLogger("diplobrief")

ARTICLE_SUFFIXES = (".txt", ".text", ".html", ".htm", ".xhtml", ".md")
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
    analyze.add_argument("--method", default=None, help="summary method (see `analyze --help`)")
    search = sub.add_parser("search", help="full-text search of stored articles")
    search.add_argument("query", nargs="+")
    quotes = sub.add_parser("quotes", help="stored quotes, optionally by speaker")
    quotes.add_argument("--speaker", default=None)
    quotes.add_argument("--limit", type=int, default=20)
    brief = sub.add_parser("brief", help="a briefing across the stored articles")
    brief.add_argument("--topic", default=None)
    brief.add_argument("--country", default=None, help="ISO code or name")
    brief.add_argument("--days", type=int, default=1, help="1–30 (default 1)")
    brief.add_argument("--json", action="store_true")
    relations = sub.add_parser("relations", help="countries named alongside a country")
    relations.add_argument("country")
    relations.add_argument("--days", type=int, default=7)
    relations.add_argument("--json", action="store_true")
    sync = sub.add_parser("sync", help="register the slash commands with Discord")
    sync.add_argument("--guild", type=int, default=None, help="sync to one server only (instant)")
    return parser


@dataclass
class App:
    """The services a CLI command needs, built once."""

    settings: Settings
    store: Store
    service: ArticleService


@contextlib.asynccontextmanager
async def open_app(settings: Settings) -> AsyncIterator[App]:
    """Open the Store, the analyser and an HTTP session; close them all on the way out."""
    store = await Store.open(settings.database)
    analyzer = ThreadAnalyzer(settings.spacy_model)
    try:
        async with new_fetch_session(allow_private=settings.fetch_allow_private) as session:

            async def fetch(url: str) -> FetchedPage:
                return await fetch_page(
                    url, session=session, allow_private=settings.fetch_allow_private
                )

            yield App(settings, store, ArticleService(store, analyzer, fetch))
    finally:
        await analyzer.close()
        await store.close()


def expand_inputs(inputs: Sequence[str]) -> list[str]:
    """Folders become the article files inside them (READMEs skipped), sorted."""
    expanded: list[str] = []
    for item in inputs:
        path = Path(item)
        if not item.startswith(("http://", "https://")) and path.is_dir():
            expanded.extend(
                str(p)
                for p in sorted(path.iterdir())
                if p.is_file()
                and p.suffix.lower() in ARTICLE_SUFFIXES
                and not p.name.lower().startswith("readme")
            )
        else:
            expanded.append(item)
    return expanded


def is_url(item: str) -> bool:
    return item.startswith(("http://", "https://"))


def fail(item: str, message: str) -> None:
    """One clear line on stderr for one bad input."""
    text = str(message)
    print(
        f"diplobrief: {text}" if text.startswith(item) else f"diplobrief: {item}: {text}",
        file=sys.stderr,
    )


async def cmd_ingest(app: App, inputs: Sequence[str]) -> int:
    failures = 0
    items = expand_inputs(inputs)
    if not items:
        fail(" ".join(inputs), "no article files found.")
        return 1
    for item in items:
        try:
            if is_url(item):
                report = await app.service.add_url(None, item)
            else:
                data = await asyncio.to_thread(read_article_file, Path(item))
                report = await app.service.add_document(None, data, name=item, source_path=item)
        except UserFacingError as err:
            failures += 1
            fail(item, str(err))
            continue
        title = text_render.display_title(report.article.title, report.article.text)
        state = "added" if report.created else "already stored"
        print(f"{state} #{report.article.id} {title}")
    return 1 if failures else 0


async def cmd_analyze(app: App, args: argparse.Namespace) -> int:
    failures = 0
    for item in expand_inputs(args.inputs):
        try:
            if is_url(item):
                result = await app.service.fetch_and_analyze(
                    item, method=args.method, sentences=args.sentences
                )
            else:
                data = await asyncio.to_thread(read_article_file, Path(item))
                result = await app.service.analyze_document(
                    AnalysisRequest(
                        data=data, name=item, method=args.method, sentences=args.sentences
                    )
                )
        except UserFacingError as err:
            failures += 1
            fail(item, str(err))
            continue
        if args.json:
            print(
                text_render.dumps(text_render.analysis_json(item, result.article, result.analysis))
            )
        else:
            print(text_render.analysis_text(item, result.article, result.analysis))
        sys.stdout.flush()
    return 1 if failures else 0


async def ingest_seeds_on_first_start(app: App, seeds: Path) -> None:
    """A new database gets the sample articles, so the console has something to show."""
    if await app.store.count_articles(None) > 0:
        return
    for item in await asyncio.to_thread(expand_inputs, [str(seeds)]):
        try:
            data = await asyncio.to_thread(read_article_file, Path(item))
            report = await app.service.add_document(None, data, name=item, source_path=item)
            print(f"Loaded sample article #{report.article.id} from {item}")
        except UserFacingError as err:
            fail(item, str(err))


async def cmd_console(app: App, seeds: Path) -> int:
    await ingest_seeds_on_first_start(app, seeds)
    console = Console(app.service)
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


async def run_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "sync" or (args.command == "run" and settings.discord_token):
        from bot.client import run_bot, sync_commands

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
            print(
                text_render.search_results(await app.service.search(None, query, limit=20), query)
            )
            return 0
        if args.command == "brief":
            briefing = await build_briefing(
                app.store,
                None,
                now=utc_now(),
                days=args.days,
                topic=args.topic,
                country=args.country,
            )
            if args.json:
                print(text_render.dumps(briefing_json(briefing)))
            else:
                print(text_render.briefing_text(briefing))
            return 0
        if args.command == "relations":
            related = await country_relations(
                app.store, None, args.country, now=utc_now(), days=args.days
            )
            print(
                text_render.dumps(relations_json(related))
                if args.json
                else text_render.relations_text(related)
            )
            return 0
        if args.command == "quotes":
            found = await app.service.quotes(None, speaker=args.speaker, limit=args.limit)
            print(text_render.quotes_list(found))
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
