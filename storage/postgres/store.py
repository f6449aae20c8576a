"""The PostgreSQL Store: the repositories over one connection pool (asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from storage.postgres.articles import PostgresArticles
from storage.postgres.channels import PostgresChannels
from storage.postgres.database import PostgresDatabase
from storage.postgres.digests import PostgresDigests
from storage.postgres.quotes import PostgresQuotes
from storage.postgres.schema import open_pool
from storage.postgres.search import PostgresSearch
from storage.postgres.send_slots import PostgresSendSlots


class PostgresStore:
    """Everything the SQLite Store keeps, in a PostgreSQL database several processes share.

    Open with `await PostgresStore.open("postgresql://…")`; migrations run at open under an
    advisory lock, so processes starting together migrate once.
    """

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database
        self._articles = PostgresArticles(database)
        self._search = PostgresSearch(database)
        self._quotes = PostgresQuotes(database)
        self._channels = PostgresChannels(database)
        self._digests = PostgresDigests(database)
        self._send_slots = PostgresSendSlots(database)

    @classmethod
    async def open(cls, url: str) -> PostgresStore:
        return cls(PostgresDatabase(await open_pool(url)))

    @property
    def database(self) -> PostgresDatabase:
        return self._db

    @property
    def articles(self) -> PostgresArticles:
        return self._articles

    @property
    def search(self) -> PostgresSearch:
        return self._search

    @property
    def quotes(self) -> PostgresQuotes:
        return self._quotes

    @property
    def channels(self) -> PostgresChannels:
        return self._channels

    @property
    def digests(self) -> PostgresDigests:
        return self._digests

    @property
    def send_slots(self) -> PostgresSendSlots:
        return self._send_slots

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Group several repository calls into one atomic write; nested uses become savepoints."""
        async with self._db.writing():
            yield

    async def schema_version(self) -> int:
        return await self._db.schema_version()

    async def close(self) -> None:
        await self._db.close()
