"""Persistence for Diplobrief: repository Protocols and the backends that implement them.

- `open_store(database)` opens the configured backend: a file path is SQLite (the embedded
  default), a `postgresql://` URL is PostgreSQL (storage/postgres, asyncpg with a pool).
  Everything above storage/ sees only the `Store` Protocol (storage/protocols.py):
  `store.articles`, `store.search`, `store.quotes`, `store.channels`, `store.digests`, and
  `store.transaction()` to group calls into one atomic write.
- Scope: every method takes the scope first (a server's or a user's library, always an
  integer; bot.domain.scope) and sees only that scope; the digest scheduler's `due` and
  `next_due` alone span guilds.
- Dedupe: adding an article reached by a URL already stored (any URL that led to an article,
  redirects included, compared as bot.domain.urls.canonical_url) or with the same normalised
  text returns the stored one with `created=False`.
- Atomicity: an article and its whole analysis are written in one transaction.
- Search: the syntax of bot.domain.search (all words required, "phrases", prefix*).
- Briefings read light `ArticleLead`s of a window and then only the articles they show;
  /relations reads only the sentences that name the country.
"""

from __future__ import annotations

from pathlib import Path

from storage.protocols import (
    ArticleRepository,
    ChannelRepository,
    DigestRepository,
    FeedRepository,
    QuoteRepository,
    SearchRepository,
    SendSlotRepository,
    Store,
)
from storage.sqlite import SqliteStore


def is_postgres_url(database: str | Path) -> bool:
    """Whether a DIPLOBRIEF_DATABASE value names a PostgreSQL server rather than a file."""
    return isinstance(database, str) and database.startswith(("postgresql://", "postgres://"))


async def open_store(database: str | Path) -> Store:
    """Open the database the settings name: a postgresql:// URL, else a SQLite file path."""
    if is_postgres_url(database):
        from storage.postgres import PostgresStore

        return await PostgresStore.open(str(database))
    return await SqliteStore.open(database)


__all__ = [
    "ArticleRepository",
    "ChannelRepository",
    "DigestRepository",
    "FeedRepository",
    "QuoteRepository",
    "SearchRepository",
    "SendSlotRepository",
    "SqliteStore",
    "Store",
    "is_postgres_url",
    "open_store",
]
