"""migrate-db: a SQLite library copied into PostgreSQL, ids kept, safe to run again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from storage_synthetic import at, make_pair

from bot.domain.window import Window
from storage import SqliteStore, open_store
from storage.transfer import TableCopy, TransferError, copy_database
from tests.conftest import REPO
from tests.postgres_cluster import PostgresServer, new_database

GUILD = 41


async def filled_sqlite(path: Path) -> list[int]:
    """A SQLite library: articles (one removed: ids have a gap), quotes, settings, digests."""
    async with await SqliteStore.open(path) as store:
        ids = []
        for number in range(6):
            ids.append(
                (await store.articles.add(GUILD, *make_pair(number), now=at(number))).article.id
            )
        await store.articles.add(0, *make_pair(9), now=at(9))
        assert await store.articles.remove(GUILD, ids.pop(2))
        await store.channels.set_autosummary(GUILD, 5, True)
        sub = await store.digests.subscribe(
            GUILD,
            7,
            local_time="08:00",
            timezone="UTC",
            topic=None,
            country=None,
            quiet=False,
            created_by=1,
            next_due_at=at(600),
            now=at(0),
        )
        await store.digests.begin_delivery(
            GUILD, sub.id, "2026-03-01", nonce="n", due_at=at(1), now=at(1)
        )
        await store.digests.mark_sent(
            GUILD,
            sub.id,
            "2026-03-01",
            message_id=99,
            covered_until=at(1),
            next_due_at=at(600),
            now=at(2),
        )
        added = await store.feeds.subscribe(
            GUILD,
            "https://news.example.org/world/rss",
            title="World",
            site_url=None,
            live_channel_id=5,
            topic="talks",
            country=None,
            created_by=1,
            now=at(3),
            limit=10,
        )
        assert added is not None
        await store.feeds.record_item(added.feed.id, "guid-1", outcome="stored", now=at(4))
    return ids


async def test_everything_is_copied_with_its_ids_and_a_rerun_changes_nothing(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    source = tmp_path / "library.db"
    ids = await filled_sqlite(source)
    target = await new_database(postgres)
    copied = await copy_database(source, target)
    by_table = {c.table: c for c in copied}
    assert by_table["articles"].copied_rows == 6
    assert all(c.complete for c in copied)
    again = await copy_database(source, target)
    assert {c.copied_rows for c in again} == {0}
    sqlite_store = await SqliteStore.open(source)
    pg_store = await open_store(target)
    try:
        for article_id in ids:
            assert await pg_store.articles.get(
                GUILD, article_id
            ) == await sqlite_store.articles.get(GUILD, article_id)
            assert await pg_store.articles.analysis(GUILD, article_id) == (
                await sqlite_store.articles.analysis(GUILD, article_id)
            )
        window = Window(at(-1), at(60))
        assert await pg_store.articles.leads(GUILD, window) == await sqlite_store.articles.leads(
            GUILD, window
        )
        assert (await pg_store.search.search(GUILD, "fisheries")).total == 5
        assert await pg_store.quotes.find(GUILD, limit=50) == await sqlite_store.quotes.find(
            GUILD, limit=50
        )
        assert await pg_store.digests.subscriptions(
            GUILD
        ) == await sqlite_store.digests.subscriptions(GUILD)
        assert await pg_store.channels.autosummary_enabled(GUILD, 5)
        assert await pg_store.feeds.subscriptions(GUILD) == await sqlite_store.feeds.subscriptions(
            GUILD
        )
        [listing] = await pg_store.feeds.subscriptions(GUILD)
        assert await pg_store.feeds.known_items(listing.feed.id, ["guid-1", "guid-2"]) == {"guid-1"}
        # New rows get ids after the copied ones.
        added = await pg_store.articles.add(GUILD, *make_pair(20), now=at(30))
        assert added.article.id > max(ids)
    finally:
        await sqlite_store.close()
        await pg_store.close()


async def test_an_interrupted_copy_is_finished_by_running_it_again(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    source = tmp_path / "library.db"
    await filled_sqlite(source)
    target = await new_database(postgres)

    def stop_after_articles(copy: TableCopy) -> None:
        if copy.table == "articles":
            raise KeyboardInterrupt  # the operator pressed Ctrl-C

    with pytest.raises(KeyboardInterrupt):
        await copy_database(source, target, progress=stop_after_articles)
    finished = await copy_database(source, target)
    assert all(c.complete for c in finished)
    assert {c.table: c.copied_rows for c in finished}["articles"] == 0
    assert {c.table: c.copied_rows for c in finished}["quotes"] > 0


async def test_a_target_with_other_data_is_reported_not_mixed(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    source = tmp_path / "library.db"
    await filled_sqlite(source)
    target = await new_database(postgres)
    other = await open_store(target)
    try:
        await other.articles.add(77, *make_pair(50), now=at(0))
    finally:
        await other.close()
    with pytest.raises(TransferError, match="not empty"):
        await copy_database(source, target)


def test_the_command_prints_every_table_and_exits_zero_twice(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    import asyncio

    source = tmp_path / "library.db"
    asyncio.run(filled_sqlite(source))
    target = asyncio.run(new_database(postgres))
    env = {**os.environ, "DIPLOBRIEF_DATABASE": str(source)}
    env.pop("DISCORD_TOKEN", None)
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "bot", "migrate-db", "--to", target],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "articles" in result.stdout and "Copy complete" in result.stdout
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "migrate-db",
            "--to",
            target,
            "--from",
            str(tmp_path / "no.db"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0 and "no SQLite database" in missing.stderr
