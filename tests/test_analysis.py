"""The analysis pool: results and errors travel, a killed or stuck worker is replaced, big jobs
never take the last free worker. Real spawned processes; every wait is on a condition."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.analysis import (
    AnalysisRequest,
    Lane,
    ProcessPoolAnalyzer,
    lane_for_input,
    lane_for_text,
)
from bot.domain.errors import AnalysisFailedError, UserFacingError
from bot.domain.limits import LARGE_INPUT_CHARS, LARGE_TEXT_CHARS
from tests import analysis_jobs as jobs

CONDITION_TIMEOUT_S = 120  # a generous bound so a broken pool fails the test, never hangs it


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait until `condition()` holds: a file another process writes, so no Event can say it."""
    async with asyncio.timeout(CONDITION_TIMEOUT_S):
        while not condition():  # noqa: ASYNC110 (the condition lives in another process)
            await asyncio.sleep(0.01)
    assert condition(), what


@pytest.fixture
def pools() -> Iterator[Callable[..., ProcessPoolAnalyzer]]:
    """`pools(workers=…, **options)`: pools without the model (loaded on first analysis)."""
    opened: list[ProcessPoolAnalyzer] = []

    def make(workers: int = 1, **options: object) -> ProcessPoolAnalyzer:
        options.setdefault("load_model", False)
        pool = ProcessPoolAnalyzer(None, workers, **options)  # type: ignore[arg-type]
        opened.append(pool)
        return pool

    yield make
    for pool in opened:
        pool.shutdown()


class Files:
    """File names a held job and the test signal each other with."""

    def __init__(self, folder: Path, name: str) -> None:
        self.started = folder / f"{name}.started"
        self.release = folder / f"{name}.release"

    def args(self) -> tuple[str, str]:
        return str(self.started), str(self.release)


async def test_results_and_user_errors_come_back(
    pools: Callable[..., ProcessPoolAnalyzer],
) -> None:
    pool = pools()
    await pool.start()
    assert await pool.run(jobs.echo, "hello") == "hello"
    with pytest.raises(UserFacingError, match="no such article"):
        await pool.run(jobs.refuse, "no such article")
    assert await pool.run(jobs.echo, "still fine") == "still fine"


async def test_a_killed_worker_fails_only_its_job_and_is_replaced(
    pools: Callable[..., ProcessPoolAnalyzer], tmp_path: Path, seed_text: str
) -> None:
    pool = pools(workers=1)
    held = Files(tmp_path, "held")
    running = asyncio.ensure_future(pool.run(jobs.hold, *held.args()))
    await until(held.started.exists, "the held job started")
    queued = asyncio.ensure_future(pool.run(jobs.echo, "queued behind it"))
    [victim] = pool.busy_worker_pids()

    os.kill(victim, signal.SIGKILL)  # what the OOM killer does

    with pytest.raises(AnalysisFailedError, match="stopped unexpectedly"):
        await running
    assert await queued == "queued behind it"  # the job that waited runs on the new worker
    assert victim not in pool.worker_pids()
    assert await pool.run(jobs.worker_pid) != victim
    assert pool.restarts == 1
    # The next summary works: the replacement loads the model and analyses for real.
    result = await pool.analyze(AnalysisRequest(data=seed_text, name="seed.txt"))
    assert result.analysis.summary.sentences


async def test_a_job_over_the_time_limit_is_stopped_with_a_clear_message(
    pools: Callable[..., ProcessPoolAnalyzer], tmp_path: Path
) -> None:
    pool = pools(workers=1, time_limit_s=1.0)
    never = Files(tmp_path, "never")  # never released: it can only end by the time limit
    with pytest.raises(AnalysisFailedError, match="longer than 1 s"):
        await pool.run(jobs.hold, *never.args())
    assert never.started.exists()
    assert await pool.run(jobs.echo, "after") == "after"
    assert pool.restarts == 1


async def test_big_jobs_never_take_the_last_free_worker(
    pools: Callable[..., ProcessPoolAnalyzer], tmp_path: Path
) -> None:
    pool = pools(workers=2)
    first, second = Files(tmp_path, "big-1"), Files(tmp_path, "big-2")
    big_one = asyncio.ensure_future(pool.submit(jobs.hold, *first.args(), lane=Lane.LARGE))
    await until(first.started.exists, "the first big job started")
    big_two = asyncio.ensure_future(pool.submit(jobs.hold, *second.args(), lane=Lane.LARGE))

    # While a big job holds one worker, a small one is answered by the other at once...
    assert await pool.run(jobs.echo, "small") == "small"
    assert not big_one.done()
    # ...and the second big job still waits: it may not take the last free worker.
    assert await pool.run(jobs.echo, "small again") == "small again"
    assert not second.started.exists()

    first.release.touch()
    await big_one
    await until(second.started.exists, "the second big job started after the first")
    second.release.touch()
    await big_two


async def test_a_cancelled_job_that_had_not_started_never_runs(
    pools: Callable[..., ProcessPoolAnalyzer], tmp_path: Path
) -> None:
    pool = pools(workers=1)
    held = Files(tmp_path, "held")
    running = asyncio.ensure_future(pool.run(jobs.hold, *held.args()))
    await until(held.started.exists, "the held job started")
    marker = tmp_path / "cancelled-ran"
    dropped = pool.submit_job(jobs.mark, str(marker))
    assert dropped.cancel()
    held.release.touch()
    await running
    assert await pool.run(jobs.echo, "next") == "next"  # FIFO: the dropped job came before it
    assert not marker.exists()


async def test_shutdown_answers_queued_jobs_and_returns(
    pools: Callable[..., ProcessPoolAnalyzer], tmp_path: Path
) -> None:
    pool = pools(workers=1)
    held = Files(tmp_path, "held")
    running = asyncio.ensure_future(pool.run(jobs.hold, *held.args()))
    await until(held.started.exists, "the held job started")
    queued = asyncio.wrap_future(pool.submit_job(jobs.echo, "never"))
    await pool.close()
    for job in (running, queued):
        with pytest.raises(AnalysisFailedError, match="shutting down"):
            await job
    with pytest.raises(AnalysisFailedError, match="shutting down"):
        await pool.run(jobs.echo, "after closing")


async def test_start_says_so_when_no_worker_can_load_the_model() -> None:
    pool = ProcessPoolAnalyzer("no_such_spacy_model", 1)
    try:
        with pytest.raises(AnalysisFailedError, match="could not start"):
            await pool.start()
    finally:
        await pool.close()


def test_lanes_follow_the_size_of_the_work() -> None:
    assert lane_for_input("x" * LARGE_INPUT_CHARS) is Lane.SMALL
    assert lane_for_input(b"x" * (LARGE_INPUT_CHARS + 1)) is Lane.LARGE
    assert lane_for_text("x" * LARGE_TEXT_CHARS) is Lane.SMALL
    assert lane_for_text("x" * (LARGE_TEXT_CHARS + 1)) is Lane.LARGE
