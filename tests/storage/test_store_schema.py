"""Migration meta-test: every migration on an empty file gives the schema the Store expects."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

import aiosqlite
import pytest
from storage_synthetic import at, make_pair

from bot.domain.errors import StorageError
from storage import SqliteStore, Store
from storage.sqlite.schema import Migration, apply_migrations, load_migrations, split_statements

EXPECTED_COLUMNS = {
    "articles": {
        "id",
        "guild_id",
        "url",
        "canonical_url",
        "title",
        "byline",
        "published",
        "site_name",
        "source_kind",
        "text",
        "text_hash",
        "language",
        "summary_method",
        "added_at",
        "added_by",
        "source_path",
        "origin",
        "given_url",
        "cut_from",
    },
    "summary_sentences": {"article_id", "position", "text", "sentence_index"},
    "entities": {"article_id", "position", "name", "label", "mentions", "title"},
    "entity_aliases": {"article_id", "entity_position", "position", "alias"},
    "countries": {"article_id", "position", "code", "name", "mentions"},
    "country_mentions": {
        "article_id",
        "position",
        "code",
        "text",
        "start_offset",
        "end_offset",
        "sentence_index",
    },
    "sentences": {"article_id", "position", "start_offset", "end_offset"},
    "quotes": {
        "id",
        "article_id",
        "guild_id",
        "position",
        "text",
        "speaker",
        "speaker_key",
        "title",
        "cue",
        "partial",
        "start_offset",
        "end_offset",
        "speaker_type",
        "scare_quote",
    },
    "autosummary_channels": {"guild_id", "channel_id", "enabled"},
    "article_urls": {"guild_id", "canonical_url", "article_id"},
}


def schema(path: Path) -> list[tuple[str, str, str | None]]:
    """Our schema (not SQLite's own statistics tables), in a stable order."""
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            " ORDER BY type, name"
        ).fetchall()


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


async def test_open_creates_folders_and_applies_every_migration(db_path: Path) -> None:
    assert not db_path.parent.exists()
    async with await SqliteStore.open(db_path) as store:
        assert await store.schema_version() == len(load_migrations())
    assert user_version(db_path) == len(load_migrations())

    with sqlite3.connect(db_path) as conn:
        for table, columns in EXPECTED_COLUMNS.items():
            found = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            assert found == columns, table
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        fts_sql = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'articles_fts'"
        ).fetchone()[0]
        assert "fts5" in fts_sql.lower()
        indexes = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
        assert {
            "articles_guild_added_at",
            "articles_guild_canonical_url",
            "articles_guild_text_hash",
            "quotes_guild_speaker",
        } <= indexes
        triggers = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
        assert triggers == {
            "articles_fts_after_insert",
            "articles_fts_after_delete",
            "articles_fts_after_update",
            "articles_scope_required",
            "quotes_scope_required",
        }
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_reopening_applies_nothing(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with await SqliteStore.open(db_path):
        pass
    before = schema(db_path)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="storage.sqlite.schema"):
        async with await SqliteStore.open(db_path) as store:
            assert await store.schema_version() == len(load_migrations())
    assert not [r for r in caplog.records if "applying migration" in r.getMessage()]
    assert schema(db_path) == before


async def test_two_stores_opening_a_new_file_at_once_migrate_it_once(db_path: Path) -> None:
    stores = await asyncio.gather(SqliteStore.open(db_path), SqliteStore.open(db_path))
    for store in stores:
        assert await store.schema_version() == len(load_migrations())
        await store.close()
    assert user_version(db_path) == len(load_migrations())


async def test_database_from_newer_code_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {len(load_migrations()) + 1}")
    with pytest.raises(StorageError, match="newer than this code"):
        await SqliteStore.open(db_path)


def test_migrations_are_numbered_without_gaps() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_initial.sql"


def test_trigger_bodies_stay_one_statement() -> None:
    script = (
        "-- a comment\nCREATE TABLE t (a);\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n-- end\n"
    )
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


@pytest.mark.parametrize("start", range(1, len(load_migrations())))
async def test_upgrading_from_any_version_keeps_data_and_matches_a_fresh_schema(
    tmp_path: Path, start: int
) -> None:
    fresh = tmp_path / "fresh.db"
    async with await SqliteStore.open(fresh):
        pass
    old = tmp_path / "old.db"
    async with aiosqlite.connect(old, isolation_level=None) as conn:
        assert await apply_migrations(conn, load_migrations()[:start]) == start
        # A row as the code of that version would have written it.
        await conn.execute(
            "INSERT INTO articles (id, guild_id, url, canonical_url, text, text_hash,"
            " summary_method, added_at) VALUES (1, 9, 'https://e.org/a', 'https://e.org/a',"
            " 'Envoys met.', 'h', 'lead', '2026-03-01T09:00:00.000000+00:00')"
        )
        await conn.execute(
            "INSERT INTO quotes (article_id, guild_id, position, text, speaker, speaker_key,"
            " start_offset, end_offset) VALUES (1, 9, 0, 'We met', 'Lena Brandt', 'lena brandt',"
            " 0, 6)"
        )
    async with await SqliteStore.open(old) as store:
        assert await store.schema_version() == len(load_migrations())
        assert (await store.articles.get(9, 1)) is not None
        assert await store.quotes.speakers(9, "bra") == ["Lena Brandt"]
        assert (await store.search.search(9, "envoys")).total == 1
        assert (await store.articles.add(9, *make_pair(1), now=at(0))).created
    assert sorted(schema(old)) == sorted(schema(fresh))


async def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    broken = [
        *load_migrations(),
        Migration(len(load_migrations()) + 1, "9999_broken.sql", "CREATE TABLE ok (a);\nNOT SQL;"),
    ]
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(sqlite3.OperationalError):
            await apply_migrations(conn, broken)
        assert not conn.in_transaction
    assert user_version(path) == 0
    assert schema(path) == []


async def test_the_schema_itself_refuses_duplicates_in_a_guild(
    sqlite_store: Store, db_path: Path
) -> None:
    insert = (
        "INSERT INTO articles (guild_id, canonical_url, text, text_hash, summary_method,"
        " added_at) VALUES (?, ?, 'x', ?, 'lead', '2026-03-01T09:00:00.000000+00:00')"
    )
    with sqlite3.connect(db_path) as conn:
        conn.execute(insert, (0, "https://e.org/a", "h1"))
        conn.execute(insert, (7, "https://e.org/a", "h1"))  # another guild: allowed
        for duplicate in ((0, "https://e.org/a", "h2"), (0, "https://e.org/b", "h1")):
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(insert, duplicate)
        # Every row has a scope: the console's is 0, never NULL.
        with pytest.raises(sqlite3.IntegrityError, match="scope"):
            conn.execute(insert, (None, "https://e.org/c", "h3"))


async def test_upgrading_gives_console_rows_the_reserved_scope(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    async with aiosqlite.connect(old, isolation_level=None) as conn:
        assert await apply_migrations(conn, load_migrations()[:4]) == 4
        # A fetched HTML page (a plain-text row with a link is taken for pasted text by 0009).
        await conn.execute(
            "INSERT INTO articles (id, guild_id, url, canonical_url, source_kind, text,"
            " text_hash, summary_method, added_at) VALUES (1, NULL, 'https://e.org/a',"
            " 'https://e.org/a', 'html', 'Envoys met.', 'h', 'lead',"
            " '2026-03-01T09:00:00.000000+00:00')"
        )
    async with await SqliteStore.open(old) as store:
        moved = await store.articles.get(0, 1)
        assert moved is not None and moved.scope == 0
        assert await store.articles.find_by_url(0, "https://e.org/a") == moved


async def test_closing_twice_is_harmless(db_path: Path) -> None:
    store = await SqliteStore.open(db_path)
    await store.close()
    await store.close()


async def test_upgrading_keeps_pasted_text_away_from_the_link_it_was_given(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old.db"
    rows = [
        # (id, url, source_kind, source_path): a fetched page, text pasted with a link, text
        # pasted without one, a file read by the CLI.
        (1, "https://e.org/page", "html", None),
        (2, "https://e.org/forged", "text", None),
        (3, None, "text", None),
        (4, None, "text", "seeds/a.txt"),
    ]
    async with aiosqlite.connect(old, isolation_level=None) as conn:
        assert await apply_migrations(conn, load_migrations()[:5]) == 5
        for article_id, url, kind, path in rows:
            await conn.execute(
                "INSERT INTO articles (id, guild_id, url, canonical_url, source_kind, text,"
                " text_hash, summary_method, added_at, source_path) VALUES (?, 9, ?, ?, ?, ?, ?,"
                " 'lead', '2026-03-01T09:00:00.000000+00:00', ?)",
                (article_id, url, url, kind, f"Envoys met {article_id}.", f"h{article_id}", path),
            )
            if url:
                await conn.execute(
                    "INSERT INTO article_urls (guild_id, canonical_url, article_id)"
                    " VALUES (9, ?, ?)",
                    (url, article_id),
                )
    async with await SqliteStore.open(old) as store:
        page, forged, pasted, file = [await store.articles.get(9, i) for i in (1, 2, 3, 4)]
        assert page is not None and page.origin == "fetched" and page.url == "https://e.org/page"
        assert await store.articles.find_by_url(9, "https://e.org/page") == page
        assert forged is not None and forged.origin == "pasted"
        assert (forged.url, forged.given_url) == (None, "https://e.org/forged")
        assert await store.articles.find_by_url(9, "https://e.org/forged") is None
        assert pasted is not None and pasted.origin == "pasted"
        assert file is not None and file.origin == "file"


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (name TEXT)")


def _newer(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE articles (id INTEGER)")
        conn.execute("PRAGMA user_version = 99")


def _versioned_without_our_tables(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER)")
        conn.execute("PRAGMA user_version = 3")


@pytest.mark.parametrize(
    ("make", "cause"),
    [
        (lambda p: p.write_bytes(bytes(range(256)) * 64), "not a database"),
        (lambda p: p.write_text("Minutes of the meeting\n" * 400), "not a database"),
        (lambda p: p.mkdir(), "is a folder"),
        (_foreign, "another program's SQLite database"),
        (_versioned_without_our_tables, "another program's SQLite database"),
        (_newer, "schema 99, newer than this code"),
    ],
)
async def test_a_file_that_cannot_be_our_database_is_refused_in_one_line(
    tmp_path: Path, make: Callable[[Path], None], cause: str
) -> None:
    path = tmp_path / "diplobrief.db"
    make(path)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(StorageError, match=cause) as refused:
        await SqliteStore.open(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert "\n" not in str(refused.value)
    assert (path.read_bytes() if path.is_file() else None) == before  # left as it was


async def test_a_truncated_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "diplobrief.db"
    async with await SqliteStore.open(path) as store:
        for number in range(1, 30):
            await store.articles.add(9, *make_pair(number), now=at(number))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(StorageError, match=f"{path}: the database is damaged"):
        async with await SqliteStore.open(path) as reopened:
            await reopened.articles.newest(9, limit=100)  # if the schema page survived


async def test_a_database_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    path = tmp_path / "data" / "diplobrief.db"
    with pytest.raises(StorageError, match="a file stands where its folder should be"):
        await SqliteStore.open(path)
