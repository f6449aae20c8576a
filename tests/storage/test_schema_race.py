"""Many processes opening one new database at once: none fails, the schema is applied once.

Each round is a new file that 2 to WORKERS processes open through the real Store.open at the same
moment (released together by a barrier), then use. Nothing here waits for a time or measures
one: how the processes interleave differs from run to run and from machine to machine, and every
interleaving must pass. Against the code before the fix 2 to 4 rounds in a hundred failed with
"database is locked" from PRAGMA journal_mode = WAL (the collision window is the few
milliseconds one process holds the new file while switching it), hence the many rounds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import sqlite3
from collections import Counter
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

import pytest
from schema_race_worker import open_in_rounds

from storage import SqliteStore
from storage.sqlite.schema import load_migrations

WORKERS = 6
ROUNDS = 120
# Every number of processes from 2 to WORKERS, in turn: two at once collide most often.
SIZES = [2 + number % (WORKERS - 1) for number in range(ROUNDS)]


def schema(path: Path) -> list[tuple[str, str, str | None]]:
    """Our schema objects (not SQLite's statistics tables), in a stable order."""
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            " ORDER BY type, name"
        ).fetchall()


def run_workers(tmp_path: Path, plan: list[tuple[str, int]]) -> list[list[dict[str, Any]]]:
    """Run WORKERS spawned processes through `plan`; each one's list of rounds."""
    context = multiprocessing.get_context("spawn")
    barriers = {size: context.Barrier(size) for size in set(SIZES)}
    reports = [tmp_path / f"worker-{worker}.json" for worker in range(WORKERS)]
    processes = [
        context.Process(target=open_in_rounds, args=(worker, plan, barriers, str(report)))
        for worker, report in enumerate(reports)
    ]
    for process in processes:
        process.start()
    running = list(processes)
    while running:
        wait([process.sentinel for process in running])
        for process in [process for process in running if not process.is_alive()]:
            running.remove(process)
            if process.exitcode != 0:
                # The others would wait for it at the next barrier for ever.
                for barrier in barriers.values():
                    barrier.abort()
    assert [process.exitcode for process in processes] == [0] * WORKERS
    return [json.loads(report.read_text(encoding="utf-8")) for report in reports]


async def open_alone(path: Path) -> None:
    """The schema one process gives a new file, to compare the raced files with."""
    async with await SqliteStore.open(path):
        pass


def test_any_number_of_processes_opening_a_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    reference = tmp_path / "alone" / "diplobrief.db"
    asyncio.run(open_alone(reference))
    migrations = [migration.name for migration in load_migrations()]
    plan = [
        (str(tmp_path / f"round-{number:02d}" / "diplobrief.db"), size)
        for number, size in enumerate(SIZES)
    ]

    reports = run_workers(tmp_path, plan)

    rounds = [entry for report in reports for entry in report]
    assert len(rounds) == sum(SIZES)
    failures = Counter(entry["outcome"] for entry in rounds if entry["outcome"] != "ok")
    assert not failures, f"{sum(failures.values())} of {len(rounds)} opens failed: {failures}"
    for path, size in plan:
        applied = Counter(
            name for entry in rounds if entry["path"] == path for name in entry["applied"]
        )
        # 'applying migration' logged once per migration over all the round's processes.
        assert applied == Counter(migrations), path
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations)
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            # Each process stored its own article (and found it again by full-text search).
            assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == size
        assert schema(Path(path)) == schema(reference), path


class BusyLog(logging.Handler):
    """Sets `seen` when the Store logs that switching the file to WAL was refused as busy."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "busy" in record.getMessage():
            self.seen.set()


async def test_opening_waits_for_a_connection_that_holds_the_new_file(db_path: Path) -> None:
    # Another connection holds the new file's write lock, as a process switching it to WAL does.
    # SQLite answers the WAL switch with SQLITE_BUSY at once (no busy handler); Store.open must
    # wait and finish once the lock is released, not fail.
    db_path.parent.mkdir(parents=True)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    busy_log = BusyLog()
    logger = logging.getLogger("storage.sqlite.schema")
    previous_level = logger.level
    logger.addHandler(busy_log)
    logger.setLevel(logging.DEBUG)
    refused = asyncio.create_task(busy_log.seen.wait())
    try:
        opening = asyncio.create_task(SqliteStore.open(db_path))
        done, _ = await asyncio.wait({opening, refused}, return_when=asyncio.FIRST_COMPLETED)
        if opening in done:
            opening.result()  # raises what Store.open raised
            pytest.fail("Store.open finished while another connection held the file")
        holder.execute("COMMIT")
        async with await opening as store:
            assert await store.schema_version() == len(load_migrations())
    finally:
        refused.cancel()
        logger.removeHandler(busy_log)
        logger.setLevel(previous_level)
        holder.close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
