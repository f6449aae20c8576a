"""Helper process for the crash tests: ingests synthetic articles until it is killed.

Usage: python killer.py DB --start N [--count C] [--guild G] [--padding P] [--hold]

Prints "committed <number> <article id>" after each commit. With --hold it writes one
article inside an open transaction, prints "holding <number>", and waits to be killed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from storage_synthetic import make_pair, padded

from storage import SqliteStore


async def ingest(args: argparse.Namespace) -> None:
    """Write articles one transaction at a time, announcing each commit on stdout."""
    store = await SqliteStore.open(args.db)
    number = args.start
    if args.hold:
        article, analysis = make_pair(number)
        async with store.transaction():
            await store.articles.add(
                args.guild, article, padded(analysis, args.padding), now=datetime.now(UTC)
            )
            print(f"holding {number}", flush=True)
            await asyncio.sleep(3600)
    while args.count is None or number < args.start + args.count:
        article, analysis = make_pair(number)
        result = await store.articles.add(
            args.guild, article, padded(analysis, args.padding), now=datetime.now(UTC)
        )
        print(f"committed {number} {result.article.id}", flush=True)
        number += 1
    await store.close()


def main() -> None:
    """Parse the command line and run the ingest loop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", type=Path)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--guild", type=int, default=None)
    parser.add_argument("--padding", type=int, default=0)
    parser.add_argument("--hold", action="store_true")
    asyncio.run(ingest(parser.parse_args()))


if __name__ == "__main__":
    main()
