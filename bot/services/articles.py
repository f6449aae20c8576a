"""The article service: fetch or read, analyse off the loop, store, and answer questions.

Every front end calls this; it holds no Discord objects. A link is fetched at most once per
library: every URL that led to a stored article (the link as typed, the page it redirected to)
is remembered, and concurrent requests for the same link wait for the first one.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from bot.analysis import AnalysisRequest, AnalyzedArticle, Analyzer
from bot.domain.articles import (
    ArticleOrigin,
    ArticlePage,
    ArticleReport,
    SearchPage,
    StoredArticle,
    StoredQuote,
    is_article_id,
)
from bot.domain.clock import Clock, utc_now
from bot.domain.errors import FetchError, NotFoundError, UserFacingError
from bot.domain.limits import (
    ARTICLE_FILE_SUFFIXES,
    ARTICLES_PER_PAGE,
    DEFAULT_QUOTES,
    DEFAULT_SENTENCES,
    DEFAULT_SUMMARY_METHOD,
    GUILD_LINKS_PER_MINUTE,
    MAX_INPUT_BYTES,
    MAX_QUOTES,
    MAX_SENTENCES,
    SUMMARY_METHODS,
    USER_LINKS_PER_MINUTE,
)
from bot.domain.links import find_links
from bot.domain.text import display_title
from bot.domain.urls import canonical_url
from bot.fetch import FetchedPage
from bot.services.ratelimit import Monotonic, SlidingWindowLimiter
from storage.protocols import Store

log = logging.getLogger(__name__)

PageFetcher = Callable[[str], Awaitable[FetchedPage]]

_ARTICLE_NUMBER = re.compile(r"#?(\d+)")


def is_link(target: str) -> bool:
    """Whether what was typed is a web link (anything else is a local file path)."""
    return target.strip().lower().startswith(("http://", "https://"))


def check_summary_options(method: str | None, sentences: int) -> str:
    """Validate user-chosen summary options before any slow work starts; the method to use."""
    chosen = method or DEFAULT_SUMMARY_METHOD
    if chosen not in SUMMARY_METHODS:
        raise UserFacingError(
            f"Unknown summary method {chosen!r}; choose one of: {', '.join(SUMMARY_METHODS)}."
        )
    if not 1 <= sentences <= MAX_SENTENCES:
        raise UserFacingError(f"Sentences must be between 1 and {MAX_SENTENCES}.")
    return chosen


def read_article_file(path: Path) -> bytes:
    """Read a local article file, refusing oversized files before loading them."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise UserFacingError(f"{path}: not a file.")
        if size > MAX_INPUT_BYTES:
            raise UserFacingError(
                f"{path}: file is too large ({size / 1e6:.1f} MB; the limit is "
                f"{MAX_INPUT_BYTES / 1e6:.0f} MB)."
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise UserFacingError(f"{path}: no such file.") from None
    except PermissionError:
        raise UserFacingError(f"{path}: permission denied.") from None
    except IsADirectoryError:
        raise UserFacingError(f"{path}: is a directory.") from None


def article_files(inputs: list[str]) -> list[str]:
    """Folders become the article files inside them (READMEs skipped), sorted; links stay."""
    expanded: list[str] = []
    for item in inputs:
        path = Path(item)
        if not is_link(item) and path.is_dir():
            expanded.extend(
                str(p)
                for p in sorted(path.iterdir())
                if p.is_file()
                and p.suffix.lower() in ARTICLE_FILE_SUFFIXES
                and not p.name.lower().startswith("readme")
            )
        else:
            expanded.append(item)
    return expanded


class ArticleService:
    """Adds articles to a library (a server's or a user's) and reads them back."""

    def __init__(
        self,
        store: Store,
        analyzer: Analyzer,
        fetch: PageFetcher,
        now: Clock = utc_now,
        *,
        monotonic: Monotonic | None = None,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self._fetch = fetch
        self.now = now
        self._url_locks: dict[tuple[int, str], asyncio.Lock] = {}
        clock = monotonic or time.monotonic
        self._user_links = SlidingWindowLimiter(USER_LINKS_PER_MINUTE, 60.0, clock)
        self._guild_links = SlidingWindowLimiter(GUILD_LINKS_PER_MINUTE, 60.0, clock)

    # --- adding -----------------------------------------------------------------------------

    async def add_url(
        self,
        scope: int,
        url: str,
        *,
        added_by: int | None = None,
        method: str | None = None,
        sentences: int = DEFAULT_SENTENCES,
    ) -> ArticleReport:
        """Summarize a link; a link that led to a stored article is not fetched again."""
        method = check_summary_options(method, sentences)
        async with self._one_request_per_url(scope, url):
            stored = await self.store.articles.find_by_url(scope, url)
            if stored is not None:
                return await self._report_stored(stored, method, sentences)
            page = await self._fetch_article_page(url)
            if canonical_url(page.url) != canonical_url(url):
                # Redirected: the page may be stored under its final URL already.
                stored = await self.store.articles.find_by_url(scope, page.url)
                if stored is not None:
                    await self.store.articles.remember_url(scope, url, stored.id)
                    return await self._report_stored(stored, method, sentences)
            request = AnalysisRequest(
                data=await asyncio.to_thread(page.text),  # may guess the charset
                name=page.url,
                url=page.url,
                content_type=page.content_type,
                method=method,
                sentences=sentences,
            )
            return await self._analyze_and_store(scope, request, added_by, also_known_as=(url,))

    @asynccontextmanager
    async def _one_request_per_url(self, scope: int, url: str) -> AsyncIterator[None]:
        """Requests for one link in one library run one after another: the first fetches."""
        key = (scope, canonical_url(url))
        lock = self._url_locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._url_locks.get(key) is lock:
                del self._url_locks[key]

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
        scope: int,
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
        The text is kept as its giver's: `url` is only the link they say it came from, never
        a page this text stands for (a later summary of that link fetches the page itself).
        """
        method = check_summary_options(method, sentences)
        request = AnalysisRequest(
            data=data, name=name, url=url, title=title, method=method, sentences=sentences
        )
        origin = ArticleOrigin.FILE if source_path else ArticleOrigin.PASTED
        return await self._analyze_and_store(scope, request, added_by, source_path, origin=origin)

    async def add_link_or_file(
        self,
        scope: int,
        target: str,
        *,
        title: str | None = None,
        method: str | None = None,
        sentences: int = DEFAULT_SENTENCES,
    ) -> ArticleReport:
        """A link (fetched) or a local file path (read): the CLI's and the console's input."""
        if is_link(target):
            return await self.add_url(scope, target, method=method, sentences=sentences)
        data = await asyncio.to_thread(read_article_file, Path(target))
        return await self.add_document(
            scope,
            data,
            name=target,
            title=title,
            method=method,
            sentences=sentences,
            source_path=target,
        )

    async def analyze_link_or_file(
        self, target: str, *, method: str | None = None, sentences: int = DEFAULT_SENTENCES
    ) -> AnalyzedArticle:
        """Analyse a link or a file without storing anything (the CLI's `analyze`)."""
        method = check_summary_options(method, sentences)
        if is_link(target):
            page = await self._fetch_article_page(target)
            request = AnalysisRequest(
                data=await asyncio.to_thread(page.text),  # may guess the charset
                name=page.url,
                url=page.url,
                content_type=page.content_type,
                method=method,
                sentences=sentences,
            )
        else:
            data = await asyncio.to_thread(read_article_file, Path(target))
            request = AnalysisRequest(data=data, name=target, method=method, sentences=sentences)
        return await self.analyzer.analyze(request)

    async def load_seeds(self, scope: int, folder: Path) -> list[ArticleReport]:
        """A library with no articles gets the sample articles, so there is something to show."""
        if await self.store.articles.count(scope) > 0:
            return []
        loaded = []
        for item in await asyncio.to_thread(article_files, [str(folder)]):
            try:
                loaded.append(await self.add_link_or_file(scope, item))
            except UserFacingError as error:
                log.warning("sample article %s not loaded: %s", item, error)
        return loaded

    async def _analyze_and_store(
        self,
        scope: int,
        request: AnalysisRequest,
        added_by: int | None,
        source_path: str | None = None,
        *,
        also_known_as: tuple[str, ...] = (),
        origin: ArticleOrigin = ArticleOrigin.FETCHED,
    ) -> ArticleReport:
        result = await self.analyzer.analyze(request)
        article = result.article
        if not article.title:
            # Plain text without a headline: its opening words stand in, so lists stay readable.
            article = replace(article, title=display_title(None, article.text))
        added = await self.store.articles.add(
            scope,
            article,
            result.analysis,
            added_by=added_by,
            now=self.now(),
            source_path=source_path,
            also_known_as=also_known_as,
            origin=origin,
        )
        if not added.created:
            return await self._report_stored(added.article, request.method, request.sentences)
        log.info(
            "stored article %s in scope %s (%d quotes)",
            added.article.id,
            scope,
            len(result.analysis.quotes),
        )
        return ArticleReport(article=added.article, analysis=result.analysis, created=True)

    async def _report_stored(
        self, stored: StoredArticle, method: str | None, sentences: int
    ) -> ArticleReport:
        analysis = await self.store.articles.analysis(stored.scope, stored.id)
        if analysis is None:
            raise NotFoundError("That article is no longer stored.")
        wanted = method or DEFAULT_SUMMARY_METHOD
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

    # --- reading ----------------------------------------------------------------------------

    async def article(self, scope: int, article_id: int) -> ArticleReport:
        """A stored article and its analysis, or NotFoundError."""
        if not is_article_id(article_id):
            raise NotFoundError(f"No article #{article_id} here.")
        stored = await self.store.articles.get(scope, article_id)
        analysis = await self.store.articles.analysis(scope, article_id) if stored else None
        if stored is None or analysis is None:
            raise NotFoundError(f"No article #{article_id} here.")
        return ArticleReport(article=stored, analysis=analysis, created=False)

    async def find_article(self, scope: int, reference: str) -> int:
        """The id of an article given as its number (#12 or 12) or as its link."""
        text = reference.strip()
        match = _ARTICLE_NUMBER.fullmatch(text)
        if match:
            if len(match.group(1)) > 19 or not is_article_id(int(match.group(1))):
                raise NotFoundError(f"No article #{match.group(1)} here.")
            return int(match.group(1))
        stored = await self.store.articles.find_by_url(scope, text) if is_link(text) else None
        if stored is None:
            raise NotFoundError("No stored article matches that number or link.")
        return stored.id

    async def article_page(
        self, scope: int, page: int = 1, *, per_page: int = ARTICLES_PER_PAGE
    ) -> ArticlePage:
        """One page (from 1) of the library's articles, newest first."""
        articles = await self.store.articles.newest(
            scope, limit=per_page, offset=(max(page, 1) - 1) * per_page
        )
        total = await self.store.articles.count(scope)
        return ArticlePage(tuple(articles), total)

    async def remove_article(self, scope: int, article_id: int) -> None:
        if not is_article_id(article_id) or not await self.store.articles.remove(scope, article_id):
            raise NotFoundError(f"No article #{article_id} here.")

    async def search(
        self, scope: int, query: str, *, limit: int = 5, offset: int = 0
    ) -> SearchPage:
        if not query.strip():
            raise UserFacingError("Type something to search for.")
        return await self.store.search.search(scope, query, limit=limit, offset=offset)

    async def quotes(
        self,
        scope: int,
        *,
        speaker: str | None = None,
        article: str | None = None,
        limit: int = DEFAULT_QUOTES,
    ) -> list[StoredQuote]:
        """Quotes, optionally by one speaker or from one article (#N or its link)."""
        if not 1 <= limit <= MAX_QUOTES:
            raise UserFacingError(f"Limit must be between 1 and {MAX_QUOTES}.")
        article_id = await self.find_article(scope, article) if article else None
        return await self.store.quotes.find(
            scope, speaker=speaker, article_id=article_id, limit=limit
        )

    async def speakers(self, scope: int, prefix: str, limit: int = 25) -> list[str]:
        return await self.store.quotes.speakers(scope, prefix, limit=limit)

    # --- link auto-summaries ----------------------------------------------------------------

    async def set_autosummary(self, scope: int, channel_id: int, enabled: bool) -> None:
        await self.store.channels.set_autosummary(scope, channel_id, enabled)

    async def links_to_autosummarize(
        self, scope: int, channel_id: int, author_id: int, text: str
    ) -> list[str]:
        """The links of a chat message to summarise: in an enabled channel, within the limits.

        At most LINKS_PER_MESSAGE links per message, USER_LINKS_PER_MINUTE per person and
        GUILD_LINKS_PER_MINUTE per server; the rest are skipped (and logged).
        """
        links = find_links(text)
        if not links or not await self.store.channels.autosummary_enabled(scope, channel_id):
            return []
        allowed = self._user_links.try_acquire((scope, author_id), len(links))
        allowed = min(allowed, self._guild_links.try_acquire(scope, allowed))
        if allowed < len(links):
            log.info(
                "auto-summary rate limit in scope %s: %d of %d links", scope, allowed, len(links)
            )
        return links[:allowed]
