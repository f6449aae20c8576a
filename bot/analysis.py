"""Runs extraction and analysis off the event loop: processes for the bot, a thread for the CLI."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from spacy.language import Language

from bot.domain.analysis import Analysis
from bot.domain.articles import ExtractedArticle
from bot.domain.limits import DEFAULT_SENTENCES
from bot.nlp.extract import extract
from bot.nlp.pipeline import analyze, load_nlp

log = logging.getLogger(__name__)

T = TypeVar("T")


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
    """The extracted article and what the pipeline learned from it."""

    article: ExtractedArticle
    analysis: Analysis


def run_request(nlp: Language, request: AnalysisRequest) -> AnalyzedArticle:
    """Extract and analyse one document with an already loaded model."""
    article = extract(
        request.data, name=request.name, url=request.url, content_type=request.content_type
    )
    if request.title and not article.title:
        article = replace(article, title=request.title)
    analysis = analyze(nlp, article, method=request.method, sentences=request.sentences)
    return AnalyzedArticle(article=article, analysis=analysis)


class Analyzer(Protocol):
    """Something that runs CPU work (article analysis, story clustering) off the event loop."""

    async def analyze(self, request: AnalysisRequest) -> AnalyzedArticle: ...

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run a pure, module-level function (picklable, with picklable arguments)."""
        ...

    async def close(self) -> None: ...


_worker_nlp: Language | None = None
EXTRACTION_LOGGERS = ("trafilatura", "htmldate", "courlan", "charset_normalizer", "readability")


def quiet_extraction_libraries(level: int) -> None:
    """Extraction libraries log every page they give up on; we report that ourselves."""
    for name in EXTRACTION_LOGGERS:
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else logging.CRITICAL)


def _init_worker(model_name: str | None, log_level: int) -> None:
    global _worker_nlp
    logging.basicConfig(
        level=log_level, format="%(asctime)s %(levelname)s %(name)s[worker]: %(message)s"
    )
    quiet_extraction_libraries(log_level)
    _worker_nlp = load_nlp(model_name)


def _run_in_worker(request: AnalysisRequest) -> AnalyzedArticle:
    assert _worker_nlp is not None, "worker not initialised"
    return run_request(_worker_nlp, request)


def _warm_up() -> bool:
    return _worker_nlp is not None


class ProcessPoolAnalyzer:
    """Worker processes that each load the spaCy model once (spawned: the parent has threads)."""

    def __init__(self, model_name: str | None, workers: int = 1) -> None:
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(model_name, logging.getLogger().getEffectiveLevel()),
        )
        self._workers = workers

    async def start(self) -> None:
        """Load the model in every worker now rather than on the first user's request."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._pool, _warm_up) for _ in range(self._workers))
        )

    async def analyze(self, request: AnalysisRequest) -> AnalyzedArticle:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _run_in_worker, request)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, function, *args)

    async def close(self) -> None:
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)


class ThreadAnalyzer:
    """One model in this process, used from a worker thread: for the CLI and the console."""

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
