"""The SQLite Store: the repositories over one connection, and transactions spanning them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from storage.sqlite.articles import SqliteArticles
from storage.sqlite.channels import SqliteChannels
from storage.sqlite.database import SqliteDatabase
from storage.sqlite.digests import SqliteDigests
from storage.sqlite.feeds import SqliteFeeds
from storage.sqlite.quotes import SqliteQuotes
from storage.sqlite.schema import open_database
from storage.sqlite.search import SqliteSearch
from storage.sqlite.send_slots import SqliteSendSlots


class SqliteStore:
    """Articles, analyses, quotes, settings and digests in one SQLite file, scoped by library.

    Open with `store = await SqliteStore.open(path)` and `await store.close()`, or
    `async with await SqliteStore.open(path) as store:`. Opening creates the parent folders and
    applies pending migrations in one transaction. WAL, foreign keys, busy_timeout 5 s,
    synchronous=NORMAL: a killed process loses nothing committed; a power cut may lose the last
    commits, never consistency.
    """

    def __init__(self, database: SqliteDatabase) -> None:
        """Use SqliteStore.open(); this only wires an already prepared database."""
        self._db = database
        self.path = database.path
        self._articles = SqliteArticles(database)
        self._search = SqliteSearch(database)
        self._quotes = SqliteQuotes(database)
        self._channels = SqliteChannels(database)
        self._digests = SqliteDigests(database)
        self._send_slots = SqliteSendSlots(database)
        self._feeds = SqliteFeeds(database)

    @classmethod
    async def open(cls, path: str | Path) -> SqliteStore:
        """Open (creating parent folders and the file) and bring the schema up to date."""
        path = Path(path)
        connection = await open_database(path)
        return cls(SqliteDatabase(connection, path))

    @property
    def articles(self) -> SqliteArticles:
        return self._articles

    @property
    def search(self) -> SqliteSearch:
        return self._search

    @property
    def quotes(self) -> SqliteQuotes:
        return self._quotes

    @property
    def channels(self) -> SqliteChannels:
        return self._channels

    @property
    def digests(self) -> SqliteDigests:
        return self._digests

    @property
    def send_slots(self) -> SqliteSendSlots:
        return self._send_slots

    @property
    def feeds(self) -> SqliteFeeds:
        return self._feeds

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Group several repository calls into one atomic write; nested uses become savepoints.

        The block owns the connection: calls inside it must run in the same task (awaited
        directly), not in tasks it starts and waits for, which would wait forever.
        """
        async with self._db.writing():
            yield

    async def schema_version(self) -> int:
        """The number of migrations applied to this database."""
        return await self._db.schema_version()

    async def close(self) -> None:
        """Close the connection (again is harmless); the Store is unusable afterwards."""
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
