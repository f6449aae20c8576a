"""The SQLite backend: one file, WAL, FTS5; the embedded default that needs nothing installed."""

from storage.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
