"""One process of the schema race test: opens new databases through Store.open, round by round.

Run by tests/storage/test_schema_race.py with the multiprocessing spawn context. In every round
the worker waits on the barrier shared with the other workers of that round, so they all call
Store.open on the same new file at once, then adds and searches one article of its own guild
through the Store and closes it. What happened is written as JSON to the report file.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from threading import BrokenBarrierError
from typing import Any, Protocol

from storage_synthetic import at, make_pair

from storage import SqliteStore

APPLYING = "applying migration "


class Barrier(Protocol):
    """What the worker needs of multiprocessing's Barrier (a proxy type mypy cannot name)."""

    def wait(self) -> int: ...

    def abort(self) -> None: ...


class MigrationLog(logging.Handler):
    """Keeps the names in this process's 'applying migration NAME' log lines."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.names: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(APPLYING):
            self.names.append(message.removeprefix(APPLYING))


def open_in_rounds(
    worker: int, plan: list[tuple[str, int]], barriers: dict[int, Barrier], report: str
) -> None:
    """Take part in every round of `plan` (path, size) whose size is larger than `worker`."""
    migration_log = MigrationLog()
    logger = logging.getLogger("storage")
    logger.addHandler(migration_log)
    logger.setLevel(logging.INFO)
    guild = worker + 1
    rounds: list[dict[str, Any]] = []
    try:
        for path, size in plan:
            if worker >= size:
                continue
            migration_log.names.clear()
            try:
                barriers[size].wait()
            except BrokenBarrierError:
                rounds.append({"path": path, "outcome": "another worker stopped", "applied": []})
                return
            # A new event loop per round, as a process starting up has.
            try:
                outcome = asyncio.run(_open_add_and_search(Path(path), guild, worker))
            except Exception as error:
                outcome = f"{type(error).__name__}: {error}"
            rounds.append({"path": path, "outcome": outcome, "applied": list(migration_log.names)})
    except BaseException:
        # A worker that stops early would leave the others waiting at a barrier for ever.
        for barrier in barriers.values():
            barrier.abort()
        raise
    finally:
        Path(report).write_text(json.dumps(rounds), encoding="utf-8")


async def _open_add_and_search(path: Path, guild: int, number: int) -> str:
    """'ok' when the Store opened, stored this worker's article and found it again."""
    store = await SqliteStore.open(path)
    try:
        added = await store.articles.add(guild, *make_pair(number), now=at(number))
        page = await store.search.search(guild, "fisheries")
    finally:
        await store.close()
    found = [hit.article_id for hit in page.hits]
    if not added.created or found != [added.article.id]:
        return f"search in guild {guild} found {found}, expected [{added.article.id}]"
    return "ok"
