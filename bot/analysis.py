"""Runs extraction and analysis off the event loop: processes for the bot, a thread for the CLI.

The bot's pool (`ProcessPoolAnalyzer`) manages its own worker processes instead of using
concurrent.futures.ProcessPoolExecutor, for three reasons that executor cannot meet:

- It breaks for good when one worker dies (the OOM killer, a segfault): every pending and
  later call fails with BrokenProcessPool until the bot restarts. Here each worker slot has a
  supervising thread that notices the death (its pipe reaches end-of-file), fails only the job
  that worker was running, with a clear message, and spawns a replacement for the next one.
- It cannot stop one job: a job still running after the time limit is ended here by killing
  its worker (the only safe way to stop spaCy mid-parse), and the slot gets a fresh worker.
- It has one FIFO queue: here big jobs (a page of over LARGE_INPUT_CHARS to extract, an
  article of over LARGE_TEXT_CHARS to analyse) wait in their own lane, which may use every
  worker but one, so a small /summarize never queues behind someone's long read.

Every entry point is thread-safe and loop-agnostic (results travel as concurrent.futures
futures), so one pool can serve several event loops, as the test suite does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import itertools
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol, TypeVar

from spacy.language import Language

from bot.domain.analysis import Analysis
from bot.domain.articles import ExtractedArticle
from bot.domain.errors import AnalysisFailedError
from bot.domain.limits import (
    ANALYSIS_TIME_LIMIT_S,
    DEFAULT_SENTENCES,
    LARGE_INPUT_CHARS,
    LARGE_TEXT_CHARS,
)
from bot.nlp.extract import extract
from bot.nlp.pipeline import analyze, bounded, load_nlp

log = logging.getLogger(__name__)

T = TypeVar("T")

# A worker that has not loaded the model and said "ready" by then is treated as failed.
WORKER_START_TIMEOUT_S = 180.0
# After this many failed starts in a row a slot answers its jobs with an error (and keeps
# trying to start, waiting up to MAX_RESTART_DELAY_S between attempts).
FAILED_STARTS_BEFORE_REFUSING = 3
MAX_RESTART_DELAY_S = 30.0
_SHUTTING_DOWN = "The bot is shutting down; try again in a minute."


@dataclass(frozen=True)
class AnalysisRequest:
    """One document to extract and analyse: a file's bytes, a fetched page, or pasted text."""

    data: bytes | str
    name: str = "input"
    url: str | None = None
    content_type: str | None = None
    title: str | None = None
    method: str | None = None
    sentences: int = DEFAULT_SENTENCES


@dataclass(frozen=True)
class AnalyzedArticle:
    """The extracted article (cut to the analysis limit) and what the pipeline learned."""

    article: ExtractedArticle
    analysis: Analysis


def prepare_article(request: AnalysisRequest) -> ExtractedArticle:
    """Extract the article and cut it to what is analysed (no model needed)."""
    article = extract(
        request.data, name=request.name, url=request.url, content_type=request.content_type
    )
    if request.title and not article.title:
        article = replace(article, title=request.title)
    return bounded(article)


def run_request(nlp: Language, request: AnalysisRequest) -> AnalyzedArticle:
    """Extract and analyse one document with an already loaded model."""
    article = prepare_article(request)
    analysis = analyze(nlp, article, method=request.method, sentences=request.sentences)
    return AnalyzedArticle(article=article, analysis=analysis)


class Analyzer(Protocol):
    """Something that runs CPU work (article analysis, story clustering) off the event loop."""

    async def analyze(self, request: AnalysisRequest) -> AnalyzedArticle: ...

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run a pure, module-level function (picklable, with picklable arguments)."""
        ...

    async def close(self) -> None: ...


EXTRACTION_LOGGERS = ("trafilatura", "htmldate", "courlan", "charset_normalizer", "readability")


def quiet_extraction_libraries(level: int) -> None:
    """Extraction libraries log every page they give up on; we report that ourselves."""
    for name in EXTRACTION_LOGGERS:
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else logging.CRITICAL)


# --- inside a worker process -----------------------------------------------------------------

_worker_nlp: Language | None = None
_worker_model_name: str | None = None


def _worker_model() -> Language:
    """The worker's model, loaded on first use when it was not loaded at start."""
    global _worker_nlp
    if _worker_nlp is None:
        _worker_nlp = load_nlp(_worker_model_name)
    return _worker_nlp


def _extract_in_worker(request: AnalysisRequest) -> ExtractedArticle:
    return prepare_article(request)


def _analyze_in_worker(article: ExtractedArticle, method: str | None, sentences: int) -> Analysis:
    return analyze(_worker_model(), article, method=method, sentences=sentences)


def _worker_main(
    connection: Connection, model_name: str | None, log_level: int, load_model: bool
) -> None:
    """A worker's life: load the model, say ready, then run (function, args) messages."""
    global _worker_model_name
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the bot, which stops us
    logging.basicConfig(
        level=log_level, format="%(asctime)s %(levelname)s %(name)s[worker]: %(message)s"
    )
    quiet_extraction_libraries(log_level)
    _worker_model_name = model_name
    if load_model:
        _worker_model()
    connection.send(("ready", os.getpid()))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return  # the bot is gone
        if message is None:
            return
        function, args = message
        try:
            reply: tuple[str, Any, str] = ("ok", function(*args), "")
        except BaseException as error:  # everything goes back to the caller, nothing kills us
            reply = ("error", error, traceback.format_exc())
        try:
            connection.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            kind, payload, trace = reply
            unpicklable = payload if kind == "error" else error
            connection.send(
                ("error", RuntimeError(f"{type(unpicklable).__name__}: {unpicklable}"), trace)
            )
        except (EOFError, OSError):
            return


# --- in the bot's process --------------------------------------------------------------------


class Lane(enum.Enum):
    """Which queue a job waits in: big jobs may never take the last free worker."""

    SMALL = "small"
    LARGE = "large"


def lane_for_input(data: bytes | str) -> Lane:
    """The lane of extracting a page or file of this size."""
    return Lane.LARGE if len(data) > LARGE_INPUT_CHARS else Lane.SMALL


def lane_for_text(text: str) -> Lane:
    """The lane of analysing an article of this length."""
    return Lane.LARGE if len(text) > LARGE_TEXT_CHARS else Lane.SMALL


class RemoteTraceback(Exception):
    """The traceback of an error raised inside a worker, attached as its cause."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


@dataclass
class _Job:
    function: Callable[..., Any]
    args: tuple[Any, ...]
    lane: Lane
    future: concurrent.futures.Future[Any]
    number: int

    @property
    def name(self) -> str:
        return f"job {self.number} ({getattr(self.function, '__name__', 'function')})"


class _WorkerDied(Exception):
    """The worker process ended (or its pipe broke) while it held a job."""


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid


class ProcessPoolAnalyzer:
    """Worker processes that each load the spaCy model once (spawned: the parent has threads).

    `workers` processes serve two lanes (see the module docstring); each job runs for at most
    `time_limit_s`. `load_model=False` starts workers without the model (it loads on the first
    analysis), for pools that mostly run other functions.
    """

    def __init__(
        self,
        model_name: str | None,
        workers: int = 1,
        *,
        time_limit_s: float = ANALYSIS_TIME_LIMIT_S,
        load_model: bool = True,
    ) -> None:
        if workers < 1:
            raise ValueError("a pool needs at least one worker")
        self._model_name = model_name
        self._load_model = load_model
        self._log_level = logging.getLogger().getEffectiveLevel()
        self.time_limit_s = time_limit_s
        self._context = multiprocessing.get_context("spawn")
        self._changed = threading.Condition()
        self._queues: dict[Lane, deque[_Job]] = {Lane.SMALL: deque(), Lane.LARGE: deque()}
        self._large_running = 0
        # Big jobs may use every worker but one (all of them when there is only one).
        self._large_limit = max(1, workers - 1)
        self._closing = False
        self._numbers = itertools.count(1)
        self._workers: list[_Worker | None] = [None] * workers
        self._starting: list[BaseProcess | None] = [None] * workers
        self._busy: list[bool] = [False] * workers
        self._first_start_done = [threading.Event() for _ in range(workers)]
        self.restarts = 0  # workers replaced after dying or running out of time
        self._threads = [
            threading.Thread(
                target=self._serve_slot, args=(slot,), name=f"analysis-slot-{slot}", daemon=True
            )
            for slot in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    # --- the async face ----------------------------------------------------------------------

    async def start(self) -> None:
        """Wait until every worker has loaded the model, rather than on the first request.

        AnalysisFailedError when not one worker could start (the log says why).
        """
        await asyncio.gather(*(asyncio.to_thread(done.wait) for done in self._first_start_done))
        if not self.worker_pids():
            raise AnalysisFailedError("The analysis workers could not start; see the log.")

    async def analyze(self, request: AnalysisRequest) -> AnalyzedArticle:
        """Extract (lane by the input's size), then analyse (lane by the article's length)."""
        article = await self.submit(_extract_in_worker, request, lane=lane_for_input(request.data))
        analysis = await self.submit(
            _analyze_in_worker,
            article,
            request.method,
            request.sentences,
            lane=lane_for_text(article.text),
        )
        return AnalyzedArticle(article=article, analysis=analysis)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return await self.submit(function, *args)

    async def submit(self, function: Callable[..., T], *args: Any, lane: Lane = Lane.SMALL) -> T:
        """Run `function(*args)` in a worker, waiting in `lane`; AnalysisFailedError when the
        job ran out of time or its worker died."""
        return await asyncio.wrap_future(self.submit_job(function, *args, lane=lane))

    async def close(self) -> None:
        await asyncio.to_thread(self.shutdown)

    # --- the thread-safe core ----------------------------------------------------------------

    def submit_job(
        self, function: Callable[..., T], *args: Any, lane: Lane = Lane.SMALL
    ) -> concurrent.futures.Future[T]:
        """Queue a job; its future holds the result (cancel it to drop a job not yet started)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._changed:
            if self._closing:
                raise AnalysisFailedError(_SHUTTING_DOWN)
            self._queues[lane].append(_Job(function, args, lane, future, next(self._numbers)))
            self._changed.notify_all()
        return future

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers, by slot."""
        with self._changed:
            return [w.pid for w in self._workers if w is not None and w.process.pid is not None]

    def busy_worker_pids(self) -> list[int]:
        """The process ids of the workers running a job right now."""
        with self._changed:
            return [
                w.pid
                for w, busy in zip(self._workers, self._busy, strict=True)
                if w is not None and busy
            ]

    def shutdown(self) -> None:
        """Refuse new jobs, fail the queued ones, stop every worker (busy ones are killed)."""
        with self._changed:
            if self._closing:
                return
            self._closing = True
            queued = [job for queue in self._queues.values() for job in queue]
            for queue in self._queues.values():
                queue.clear()
            for slot, worker in enumerate(self._workers):
                if worker is not None and self._busy[slot]:
                    worker.process.kill()
            for process in self._starting:
                if process is not None:
                    process.kill()
            self._changed.notify_all()
        for job in queued:
            _fail(job, AnalysisFailedError(_SHUTTING_DOWN))
        for thread in self._threads:
            thread.join()

    # --- one slot's supervising thread -------------------------------------------------------

    def _serve_slot(self, slot: int) -> None:
        """The slot's thread: it must outlive any bug, or the jobs queued for it would hang."""
        while not self._is_closing():
            try:
                self._serve_slot_until_closed(slot)
                return
            except Exception:
                log.exception("analysis slot %d failed; restarting it", slot)
                self._replace(slot, "its supervising thread failed")
                self._first_start_done[slot].set()
        self._first_start_done[slot].set()

    def _serve_slot_until_closed(self, slot: int) -> None:
        failed_starts = 0
        while True:
            worker = self._workers[slot]
            if worker is None:
                if self._is_closing():
                    self._first_start_done[slot].set()
                    return
                worker = self._start_worker(slot)
                self._first_start_done[slot].set()
                if worker is None:
                    failed_starts += 1
                    if failed_starts >= FAILED_STARTS_BEFORE_REFUSING:
                        self._refuse_one_job()
                    with self._changed:  # woken early by shutdown
                        if not self._closing:
                            self._changed.wait(min(MAX_RESTART_DELAY_S, 2.0**failed_starts))
                    continue
                failed_starts = 0
            job = self._next_job(slot)
            if job is None:  # closing
                self._stop_worker(slot)
                return
            try:
                if not worker.process.is_alive():  # died while idle: the job has not run yet
                    self._replace(slot, "the worker died while idle")
                    replacement = self._start_worker(slot)
                    if replacement is None:
                        _fail(job, _crashed_error())
                        continue
                    worker = replacement
                self._run_job(slot, worker, job)
            except Exception as error:  # a bug here must not leave the caller waiting forever
                _fail(job, error)
                raise
            finally:
                with self._changed:
                    self._busy[slot] = False
                    if job.lane is Lane.LARGE:
                        self._large_running -= 1
                    self._changed.notify_all()

    def _is_closing(self) -> bool:
        with self._changed:
            return self._closing

    def _start_worker(self, slot: int) -> _Worker | None:
        """Spawn a worker and wait for its "ready"; None (logged) when it does not come."""
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main,
            args=(child_end, self._model_name, self._log_level, self._load_model),
            name=f"diplobrief-analysis-{slot}",
            daemon=True,
        )
        with self._changed:
            if self._closing:
                parent_end.close()
                child_end.close()
                return None
            try:
                process.start()
            except Exception:  # OSError, or spawn refusing (a main module without a guard)
                log.exception("could not start analysis worker %d", slot)
                parent_end.close()
                child_end.close()
                return None
            self._starting[slot] = process  # shutdown kills it rather than wait for it
        child_end.close()  # only the child holds it now: its death ends our reads
        worker = _Worker(process, parent_end)
        try:
            if not parent_end.poll(WORKER_START_TIMEOUT_S):
                raise _WorkerDied(f"no ready message in {WORKER_START_TIMEOUT_S:g} s")
            kind, _ = parent_end.recv()
            if kind != "ready":
                raise _WorkerDied(f"unexpected first message {kind!r}")
        except (EOFError, OSError, _WorkerDied) as error:
            with self._changed:
                self._starting[slot] = None
                closing = self._closing
            if not closing:
                log.error(
                    "analysis worker %d did not start (exit code %s): %s",
                    slot,
                    process.exitcode,
                    error,
                )
            self._discard(worker)
            return None
        with self._changed:
            self._starting[slot] = None
            self._workers[slot] = worker
        log.info("analysis worker %d ready (pid %d)", slot, worker.pid)
        return worker

    def _next_job(self, slot: int) -> _Job | None:
        """The next job this slot may run (small ones first); None when the pool closes."""
        with self._changed:
            while True:
                if self._closing:
                    return None
                job = self._take(Lane.SMALL)
                if job is None and self._large_running < self._large_limit:
                    job = self._take(Lane.LARGE)
                if job is not None:
                    self._busy[slot] = True
                    if job.lane is Lane.LARGE:
                        self._large_running += 1
                    return job
                self._changed.wait()

    def _take(self, lane: Lane) -> _Job | None:
        queue = self._queues[lane]
        while queue:
            job = queue.popleft()
            if job.future.set_running_or_notify_cancel():
                return job
        return None

    def _run_job(self, slot: int, worker: _Worker, job: _Job) -> None:
        """Send the job, wait for its answer within the time limit; replace a dead worker."""
        try:
            worker.connection.send((job.function, job.args))
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            _fail(job, error)  # nothing was written: the worker is still fine
            return
        except OSError:
            self._replace(slot, f"{job.name}: the worker's pipe broke")
            _fail(job, self._stopped_error())
            return
        try:
            if not worker.connection.poll(self.time_limit_s):
                self._replace(slot, f"{job.name} ran over {self.time_limit_s:g} s")
                _fail(job, _timeout_error(self.time_limit_s))
                return
            kind, payload, trace = worker.connection.recv()
        except (EOFError, OSError):
            worker.process.join(1)  # reap it, so the log can say how it ended
            code = worker.process.exitcode
            self._replace(slot, f"{job.name}: the worker died (exit code {code})")
            _fail(job, self._stopped_error())
            return
        except Exception as error:  # an answer that cannot be unpickled; the worker is fine
            _fail(job, error)
            return
        if kind == "ok":
            _succeed(job, payload)
            return
        if trace and isinstance(payload, BaseException):
            payload.__cause__ = RemoteTraceback(trace)
        _fail(job, payload)

    def _stopped_error(self) -> AnalysisFailedError:
        if self._is_closing():
            return AnalysisFailedError(_SHUTTING_DOWN)
        return _crashed_error()

    def _replace(self, slot: int, reason: str) -> None:
        """Kill the slot's worker; the slot's thread starts a fresh one before its next job."""
        with self._changed:
            worker = self._workers[slot]
            self._workers[slot] = None
            closing = self._closing
            if worker is not None and not closing:
                self.restarts += 1
        if worker is None:
            return
        if not closing:
            log.warning("replacing analysis worker %d (pid %d): %s", slot, worker.pid, reason)
        self._discard(worker)

    def _stop_worker(self, slot: int) -> None:
        with self._changed:
            worker = self._workers[slot]
            self._workers[slot] = None
        if worker is None:
            return
        try:
            worker.connection.send(None)
            worker.process.join(5)
        except OSError:
            pass
        self._discard(worker)

    @staticmethod
    def _discard(worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.connection.close()
        worker.process.close()

    def _refuse_one_job(self) -> None:
        """While no worker can start, answer a queued job with an error instead of silence."""
        with self._changed:
            if any(worker is not None for worker in self._workers):
                return  # other slots serve the queue
            job = self._take(Lane.SMALL) or self._take(Lane.LARGE)
        if job is not None:
            _fail(job, AnalysisFailedError("Analysis is unavailable right now; try again later."))


def _succeed(job: _Job, result: Any) -> None:
    try:
        job.future.set_result(result)
    except concurrent.futures.InvalidStateError:
        log.debug("%s finished after its caller gave up", job.name)


def _fail(job: _Job, error: BaseException) -> None:
    try:
        job.future.set_exception(error)
    except concurrent.futures.InvalidStateError:
        log.debug("%s failed after its caller gave up: %r", job.name, error)


def _timeout_error(limit_s: float) -> AnalysisFailedError:
    return AnalysisFailedError(
        f"Analysing this took longer than {limit_s:g} s, so it was stopped. "
        "Very long or unusual pages can do that; try /article add with the article's text."
    )


def _crashed_error() -> AnalysisFailedError:
    return AnalysisFailedError(
        "The analysis stopped unexpectedly (its worker process ended, perhaps out of memory). "
        "Try again; a page that fails twice is too large or unusual to analyse."
    )


class ThreadAnalyzer:
    """One model in this process, used from a worker thread: for the CLI and the console.

    No time limit here: a thread cannot be stopped, and the CLI's user can press Ctrl-C.
    """

    def __init__(self, model_name: str | None) -> None:
        self._model_name = model_name
        self._nlp: Language | None = None
        self._lock = threading.Lock()

    def _run(self, request: AnalysisRequest) -> AnalyzedArticle:
        with self._lock:
            if self._nlp is None:
                self._nlp = load_nlp(self._model_name)
            return run_request(self._nlp, request)

    async def analyze(self, request: AnalysisRequest) -> AnalyzedArticle:
        return await asyncio.to_thread(self._run, request)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(function, *args)

    async def close(self) -> None:
        return None
