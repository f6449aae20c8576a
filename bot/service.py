"""The article service: fetch or read, analyse off the loop, store, and answer questions.

Both front ends (Discord cogs and the CLI/console) call this; it holds no Discord objects.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.analysis import AnalysisRequest, AnalyzedArticle, Analyzer
from bot.errors import FetchError, NotFoundError, UserFacingError
from bot.nlp.models import Analysis
from bot.nlp.pipeline import DEFAULT_SENTENCES
from bot.nlp.summarize import DEFAULT_METHOD, METHODS
from bot.text_render import display_title
from storage.records import SearchPage, StoredArticle, StoredQuote
from storage.store import Store

if TYPE_CHECKING:
    from bot.fetch import FetchedPage

log = logging.getLogger(__name__)

PageFetcher = Callable[[str], Awaitable["FetchedPage"]]
Clock = Callable[[], datetime]

MAX_SENTENCES = 10


def utc_now() -> datetime:
    """The real clock, timezone-aware."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ArticleReport:
    """A stored article with its analysis, and whether this request added it."""

    article: StoredArticle
    analysis: Analysis
    created: bool


def check_summary_options(method: str | None, sentences: int) -> str:
    """Validate user-chosen summary options before any slow work starts."""
    chosen = method or DEFAULT_METHOD
    if chosen not in METHODS:
        raise UserFacingError(
            f"Unknown summary method {chosen!r}; choose one of: {', '.join(METHODS)}."
        )
    if not 1 <= sentences <= MAX_SENTENCES:
        raise UserFacingError(f"Sentences must be between 1 and {MAX_SENTENCES}.")
    return chosen


class ArticleService:
    """Adds articles to a guild's library and reads them back."""

    def __init__(
        self, store: Store, analyzer: Analyzer, fetch: PageFetcher, now: Clock = utc_now
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self._fetch = fetch
        self.now = now

    async def add_url(
        self,
        guild_id: int | None,
        url: str,
        *,
        added_by: int | None = None,
        method: str | None = None,
        sentences: int = DEFAULT_SENTENCES,
    ) -> ArticleReport:
        """Summarize a link; a link already stored in this guild is not fetched again."""
        method = check_summary_options(method, sentences)
        stored = await self.store.find_article_by_url(guild_id, url)
        if stored is not None:
            return await self._report_stored(stored, method, sentences)
        page = await self._fetch_article_page(url)
        request = AnalysisRequest(
            data=page.text(),
            name=page.url,
            url=page.url,
            content_type=page.content_type,
            method=method,
            sentences=sentences,
        )
        return await self._analyze_and_store(guild_id, request, added_by)

    async def _fetch_article_page(self, url: str) -> FetchedPage:
        page = await self._fetch(url)
        if page.truncated:
            raise FetchError(
                f"That page is larger than {len(page.body) // 1_000_000} MB: too big to be an "
                "article. Try /article add with the article's text instead."
            )
        return page

    async def add_document(
        self,
        guild_id: int | None,
        data: bytes | str,
        *,
        name: str = "text",
        title: str | None = None,
        url: str | None = None,
        added_by: int | None = None,
        method: str | None = None,
        sentences: int = DEFAULT_SENTENCES,
        source_path: str | None = None,
    ) -> ArticleReport:
        """Store pasted text or an uploaded/local file (for paywalled articles and the CLI).

        `source_path` is the local file it was read from, kept so briefings can point to it.
        """
        method = check_summary_options(method, sentences)
        request = AnalysisRequest(
            data=data, name=name, url=url, title=title, method=method, sentences=sentences
        )
        return await self._analyze_and_store(guild_id, request, added_by, source_path)

    async def analyze_document(self, request: AnalysisRequest) -> AnalyzedArticle:
        """Analyse without storing (the CLI's `analyze`)."""
        check_summary_options(request.method, request.sentences)
        return await self.analyzer.analyze(request)

    async def fetch_and_analyze(
        self, url: str, *, method: str | None = None, sentences: int = DEFAULT_SENTENCES
    ) -> AnalyzedArticle:
        """Fetch a page and analyse it without storing."""
        check_summary_options(method, sentences)
        page = await self._fetch_article_page(url)
        return await self.analyzer.analyze(
            AnalysisRequest(
                data=page.text(),
                name=page.url,
                url=page.url,
                content_type=page.content_type,
                method=method,
                sentences=sentences,
            )
        )

    async def _analyze_and_store(
        self,
        guild_id: int | None,
        request: AnalysisRequest,
        added_by: int | None,
        source_path: str | None = None,
    ) -> ArticleReport:
        result = await self.analyzer.analyze(request)
        article = result.article
        if not article.title:
            # Plain text without a headline: its opening words stand in, so lists stay readable.
            article = replace(article, title=display_title(None, article.text))
        added = await self.store.add_article(
            guild_id,
            article,
            result.analysis,
            added_by=added_by,
            now=self.now(),
            source_path=source_path,
        )
        if not added.created:
            return await self._report_stored(added.article, request.method, request.sentences)
        log.info(
            "stored article %s in guild %s (%d quotes)",
            added.article.id,
            guild_id,
            len(result.analysis.quotes),
        )
        return ArticleReport(article=added.article, analysis=result.analysis, created=True)

    async def _report_stored(
        self, stored: StoredArticle, method: str | None, sentences: int
    ) -> ArticleReport:
        analysis = await self.store.load_analysis(stored.guild_id, stored.id)
        if analysis is None:
            raise NotFoundError("That article is no longer stored.")
        wanted = method or DEFAULT_METHOD
        if analysis.summary.method != wanted or len(analysis.summary.sentences) != sentences:
            # Another summary of a stored article: re-analyse its stored text, no refetch.
            result = await self.analyzer.analyze(
                AnalysisRequest(
                    data=stored.text,
                    name=f"article {stored.id}",
                    content_type="text/plain",
                    method=wanted,
                    sentences=sentences,
                )
            )
            analysis = replace(analysis, summary=result.analysis.summary)
        return ArticleReport(article=stored, analysis=analysis, created=False)

    async def article(self, guild_id: int | None, article_id: int) -> ArticleReport:
        """A stored article and its analysis, or NotFoundError."""
        stored = await self.store.get_article(guild_id, article_id)
        analysis = await self.store.load_analysis(guild_id, article_id) if stored else None
        if stored is None or analysis is None:
            raise NotFoundError(f"No article #{article_id} in this server.")
        return ArticleReport(article=stored, analysis=analysis, created=False)

    async def list_articles(
        self, guild_id: int | None, *, limit: int = 10, offset: int = 0
    ) -> list[StoredArticle]:
        return await self.store.list_articles(guild_id, limit=limit, offset=offset)

    async def remove_article(self, guild_id: int | None, article_id: int) -> None:
        if not await self.store.remove_article(guild_id, article_id):
            raise NotFoundError(f"No article #{article_id} in this server.")

    async def search(
        self, guild_id: int | None, query: str, *, limit: int = 5, offset: int = 0
    ) -> SearchPage:
        if not query.strip():
            raise UserFacingError("Type something to search for.")
        return await self.store.search(guild_id, query, limit=limit, offset=offset)

    async def quotes(
        self,
        guild_id: int | None,
        *,
        speaker: str | None = None,
        article_id: int | None = None,
        limit: int = 10,
    ) -> list[StoredQuote]:
        return await self.store.find_quotes(
            guild_id, speaker=speaker, article_id=article_id, limit=limit
        )

    async def speakers(self, guild_id: int | None, prefix: str, limit: int = 25) -> list[str]:
        return await self.store.quote_speakers(guild_id, prefix, limit=limit)
