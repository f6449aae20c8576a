"""Write safety: a writer killed with SIGKILL leaves whole articles only; writers share a file."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from storage_synthetic import assert_every_article_is_whole, at, make_pair

from storage import SqliteStore, Store

KILLER = Path(__file__).resolve().parent / "killer.py"
REPO = Path(__file__).resolve().parents[2]
GUILD = 555
PADDING = 2000  # extra analysis rows per article: each transaction lasts milliseconds

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


Launcher = Callable[..., Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def start_writer() -> AsyncIterator[Launcher]:
    """Start helper writer processes on a database; any still running are killed afterwards."""
    started: list[asyncio.subprocess.Process] = []

    async def start(db: Path, *args: str) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(KILLER),
            str(db),
            "--guild",
            str(GUILD),
            "--padding",
            str(PADDING),
            *args,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def read_line(process: asyncio.subprocess.Process) -> str:
    """The writer's next stdout line (fails the test rather than hang)."""
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    assert line, f"writer exited early with {await process.wait()}"
    return line.decode().strip()


async def kill(process: asyncio.subprocess.Process) -> list[str]:
    """SIGKILL the writer; return whatever it printed before dying."""
    process.send_signal(signal.SIGKILL)
    assert process.stdout is not None
    rest = await process.stdout.read()
    assert await process.wait() == -signal.SIGKILL
    return rest.decode().split("\n")


async def test_killed_writer_leaves_no_half_article(tmp_path: Path, start_writer: Launcher) -> None:
    db = tmp_path / "killed.db"
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    printed: set[int] = set()
    start = 0
    for _round in range(4):
        writer = await start_writer(db, "--start", str(start))
        await read_line(writer)  # the store is open and writing
        await asyncio.sleep(rng.uniform(0.0, 0.25))
        lines = await kill(writer)
        numbers = [int(line.split()[1]) for line in lines if line.startswith("committed")]
        printed.update(numbers)
        start = max(numbers, default=start) + 10  # never reuse a text, never dedupe

    ids = assert_every_article_is_whole(db, padding=PADDING)
    assert len(ids) >= len(printed), f"seed {seed}"
    async with await SqliteStore.open(db) as store:
        for number in printed:  # everything announced as committed survived the kill
            page = await store.search.search(GUILD, f'"item {number}"')
            assert page.total == 1, f"article {number} lost (seed {seed})"
            analysis = await store.articles.analysis(GUILD, page.hits[0].article_id)
            assert analysis is not None and len(analysis.quotes) == 2


async def test_writer_killed_inside_a_transaction_leaves_nothing(
    tmp_path: Path, start_writer: Launcher
) -> None:
    db = tmp_path / "held.db"
    writer = await start_writer(db, "--count", "2")
    assert (await read_line(writer)).startswith("committed 0")
    assert (await read_line(writer)).startswith("committed 1")
    assert await writer.wait() == 0

    holder = await start_writer(db, "--start", "7", "--hold")
    assert await read_line(holder) == "holding 7"  # article 7 fully written, not committed
    await kill(holder)

    assert len(assert_every_article_is_whole(db, padding=PADDING)) == 2
    async with await SqliteStore.open(db) as store:
        assert await store.articles.count(GUILD) == 2
        assert (await store.search.search(GUILD, '"item 7"')).total == 0
        # The file is writable again: the dead writer's lock went with it.
        assert (await store.articles.add(GUILD, *make_pair(7), now=at(0))).created


async def test_concurrent_writers_do_not_see_database_is_locked(
    tmp_path: Path, start_writer: Launcher
) -> None:
    db = tmp_path / "shared.db"
    per_writer = 25
    first, second = await SqliteStore.open(db), await SqliteStore.open(db)
    try:
        others = [
            await start_writer(
                db, "--start", str(1000 + k * per_writer), "--count", str(per_writer)
            )
            for k in range(2)
        ]

        async def write(store: Store, base: int) -> None:
            for number in range(base, base + per_writer):
                result = await store.articles.add(GUILD, *make_pair(number), now=at(number))
                assert result.created
                # Reads interleave with the other writers' transactions.
                assert await store.articles.get(GUILD, result.article.id) == result.article

        await asyncio.gather(
            write(first, 0),
            write(first, 100),  # two tasks sharing one connection
            write(second, 200),
            write(second, 300),
        )
        for process in others:
            assert process.stdout is not None
            output = (await process.stdout.read()).decode()
            assert await process.wait() == 0, output
            assert output.count("committed") == per_writer
        assert await first.articles.count(GUILD) == 6 * per_writer
        assert await second.articles.count(GUILD) == 6 * per_writer
    finally:
        await first.close()
        await second.close()


async def test_concurrent_adds_of_the_same_article_store_it_once(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    stores = [await SqliteStore.open(db) for _ in range(3)]
    try:
        article, analysis = make_pair(1)
        results = await asyncio.gather(
            *(
                store.articles.add(GUILD, article, analysis, now=at(0))
                for store in stores
                for _ in range(3)
            )
        )
        assert sum(result.created for result in results) == 1
        assert len({result.article.id for result in results}) == 1
    finally:
        for store in stores:
            await store.close()
