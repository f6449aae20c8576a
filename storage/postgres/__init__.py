"""The PostgreSQL backend (asyncpg): one database for several bot and worker processes."""

from storage.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
