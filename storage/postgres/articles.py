"""PostgreSQL articles: one row per article in a scope, its analysis in child tables, its URLs."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

import asyncpg

from bot.domain.analysis import Analysis, Country
from bot.domain.articles import (
    AddResult,
    ArticleLead,
    ArticleOrigin,
    CountrySentence,
    ExtractedArticle,
    StoredArticle,
    is_article_id,
)
from bot.domain.urls import canonical_url, text_fingerprint
from bot.domain.window import Window
from storage.postgres.analyses import insert_analysis, load_analyses
from storage.postgres.database import PostgresDatabase, aware, utc

log = logging.getLogger(__name__)

ARTICLE_COLUMNS = (
    "a.id, a.guild_id, a.url, a.canonical_url, a.title, a.byline, a.published, a.site_name,"
    " a.text, a.added_at, a.added_by, a.summary_method, a.source_kind, a.language, a.source_path,"
    " a.origin, a.given_url, a.cut_from"
)
# What str.strip() removes, for SQL's ltrim; and enough of an untitled text to title it by.
_BLANK = "".join(c for c in map(chr, range(1, 0x3001)) if c.isspace())
_OPENING_CHARS = 200
ROWS_PER_CHUNK = 500  # rows fetched per round trip of a long read


class PostgresArticles:
    """The ArticleRepository of the PostgreSQL backend."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    async def add(
        self,
        scope: int,
        article: ExtractedArticle,
        analysis: Analysis,
        *,
        now: datetime,
        added_by: int | None = None,
        source_path: str | None = None,
        also_known_as: Sequence[str] = (),
        origin: ArticleOrigin = ArticleOrigin.FETCHED,
    ) -> AddResult:
        if not article.text.strip():
            raise ValueError("an article needs text")
        fetched = origin is ArticleOrigin.FETCHED
        # Only a fetched page is kept under its URL; any other text's link is its giver's word.
        url = article.url if fetched else None
        url_key = canonical_url(url) if url else None
        text_hash = text_fingerprint(article.text)
        keys = [url_key, *(canonical_url(u) for u in also_known_as)] if fetched else []
        aware(now)
        # Two processes may add the same article at once: READ COMMITTED lets both miss the
        # other's uncommitted row, and the unique indexes then refuse the second insert. The
        # loser's transaction is rolled back whole; it tries once more and finds the winner.
        for attempt in (1, 2):
            try:
                return await self._add_once(
                    scope,
                    article,
                    analysis,
                    url_key,
                    text_hash,
                    keys,
                    now,
                    added_by,
                    source_path,
                    origin,
                )
            except asyncpg.UniqueViolationError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _add_once(
        self,
        scope: int,
        article: ExtractedArticle,
        analysis: Analysis,
        url_key: str | None,
        text_hash: str,
        keys: list[str | None],
        now: datetime,
        added_by: int | None,
        source_path: str | None,
        origin: ArticleOrigin,
    ) -> AddResult:
        fetched = origin is ArticleOrigin.FETCHED
        async with self._db.writing() as conn:
            existing_id = await _find_duplicate(conn, scope, keys, text_hash)
            if existing_id is not None:
                if fetched:
                    await _confirm_fetched(conn, scope, existing_id, article, url_key)
                await _remember_urls(conn, scope, keys, existing_id)
                stored = await _get_article(conn, scope, existing_id)
                assert stored is not None
                return AddResult(stored, created=False)
            article_id = await conn.fetchval(
                "INSERT INTO articles (guild_id, url, canonical_url, title, byline, published,"
                " site_name, source_kind, text, text_hash, language, summary_method, added_at,"
                " added_by, source_path, origin, given_url, cut_from) VALUES ($1, $2, $3, $4, $5,"
                " $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
                scope,
                article.url if fetched else None,
                url_key,
                article.title,
                article.byline,
                article.published,
                article.site_name,
                article.source_kind,
                article.text,
                text_hash,
                analysis.language,
                analysis.summary.method,
                now,
                added_by,
                source_path,
                origin.value,
                None if fetched else article.url,
                article.cut_from,
            )
            await insert_analysis(conn, scope, article_id, analysis)
            await _remember_urls(conn, scope, keys, article_id)
            stored = await _get_article(conn, scope, article_id)
            assert stored is not None
        log.info("stored article %d in scope %s", article_id, scope)
        return AddResult(stored, created=True)

    async def remember_url(self, scope: int, url: str, article_id: int) -> None:
        async with self._db.writing() as conn:
            stored = await _get_article(conn, scope, article_id)
            if stored is not None and stored.origin is ArticleOrigin.FETCHED:
                await _remember_urls(conn, scope, [canonical_url(url)], article_id)

    async def get(self, scope: int, article_id: int) -> StoredArticle | None:
        if not is_article_id(article_id):
            return None  # no row can have it (and it would not fit a bigint)
        async with self._db.reading() as conn:
            return await _get_article(conn, scope, article_id)

    async def get_many(self, scope: int, article_ids: Iterable[int]) -> list[StoredArticle]:
        wanted = [i for i in dict.fromkeys(int(a) for a in article_ids) if is_article_id(i)]
        if not wanted:
            return []
        async with self._db.reading() as conn:
            found = await _select_articles(
                conn, "WHERE a.id = ANY($1::bigint[]) AND a.guild_id = $2", wanted, scope
            )
        by_id = {article.id: article for article in found}
        return [by_id[article_id] for article_id in wanted if article_id in by_id]

    async def find_by_url(self, scope: int, url: str) -> StoredArticle | None:
        async with self._db.reading() as conn:
            article_id = await conn.fetchval(
                "SELECT article_id FROM article_urls WHERE guild_id = $1 AND canonical_url = $2",
                scope,
                canonical_url(url),
            )
            return None if article_id is None else await _get_article(conn, scope, article_id)

    async def newest(self, scope: int, *, limit: int, offset: int = 0) -> list[StoredArticle]:
        async with self._db.reading() as conn:
            return await _select_articles(
                conn,
                "WHERE a.guild_id = $1 ORDER BY a.added_at DESC, a.id DESC LIMIT $2 OFFSET $3",
                scope,
                max(limit, 0),
                max(offset, 0),
            )

    async def count(self, scope: int) -> int:
        async with self._db.reading() as conn:
            return int(
                await conn.fetchval("SELECT count(*) FROM articles WHERE guild_id = $1", scope)
            )

    async def remove(self, scope: int, article_id: int) -> bool:
        if not is_article_id(article_id):
            return False
        async with self._db.writing() as conn:
            status = await conn.execute(
                "DELETE FROM articles WHERE id = $1 AND guild_id = $2", article_id, scope
            )
        removed = status.endswith(" 1")
        if removed:
            log.info("removed article %d from scope %s", article_id, scope)
        return removed

    async def leads(
        self, scope: int, window: Window, *, lead_chars: int = 1200, max_names: int = 12
    ) -> list[ArticleLead]:
        # Copies of one report share their actors: one tuple each, far fewer objects.
        countries: dict[tuple[tuple[str, ...], ...], tuple[Country, ...]] = {}
        names: dict[tuple[str, ...], tuple[str, ...]] = {}
        found = []
        async with self._db.reading() as conn:
            # A cursor in chunks: a month of leads is read without holding the event loop.
            rows = conn.cursor(
                "SELECT a.id, a.title, a.url, a.site_name, a.added_at,"
                " left(a.text, $4) AS lead, length(a.text) AS text_length, a.source_path,"
                " (SELECT array_agg(ARRAY[c.code, c.mentions::text, c.name] ORDER BY c.position)"
                "  FROM countries c WHERE c.article_id = a.id) AS countries,"
                " (SELECT array_agg(e.name ORDER BY e.position) FROM (SELECT name, position"
                "   FROM entities WHERE article_id = a.id AND label IN ('PERSON', 'ORG')"
                "   ORDER BY position LIMIT $5) e) AS names,"
                " (SELECT count(*) FROM (SELECT 1 FROM country_mentions WHERE article_id = a.id"
                "   GROUP BY sentence_index HAVING count(DISTINCT code) >= 2) s) AS co_mentions"
                " FROM articles a WHERE a.guild_id = $1 AND a.added_at >= $2 AND a.added_at < $3"
                " ORDER BY a.added_at, a.id",
                scope,
                window.since,
                window.until,
                max(lead_chars, 0),
                max(max_names, 0),
                prefetch=ROWS_PER_CHUNK,
            )
            async for row in rows:
                country_key = tuple(tuple(item) for item in row["countries"] or ())
                if country_key not in countries:
                    countries[country_key] = tuple(
                        Country(code, name, int(mentions)) for code, mentions, name in country_key
                    )
                name_key = tuple(row["names"] or ())
                names.setdefault(name_key, name_key)
                found.append(
                    ArticleLead(
                        id=row["id"],
                        title=row["title"],
                        url=row["url"],
                        site_name=row["site_name"],
                        added_at=utc(row["added_at"]),
                        lead=row["lead"],
                        text_length=row["text_length"],
                        countries=countries[country_key],
                        names=names[name_key],
                        source_path=row["source_path"],
                        co_mention_sentences=row["co_mentions"],
                    )
                )
        return found

    async def country_sentences(
        self, scope: int, code: str, window: Window
    ) -> list[CountrySentence]:
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                "WITH naming AS (SELECT DISTINCT m.article_id, m.sentence_index"
                "  FROM country_mentions m JOIN articles a ON a.id = m.article_id"
                "  WHERE m.code = $1 AND a.guild_id = $2 AND a.added_at >= $3"
                "  AND a.added_at < $4)"
                " SELECT a.id, n.sentence_index, a.title,"
                " CASE WHEN a.title IS NULL OR a.title = ''"
                "  THEN left(ltrim(a.text, $5), $6) ELSE '' END AS opening,"
                " CASE WHEN s.article_id IS NOT NULL"
                "  THEN substr(a.text, s.start_offset + 1, s.end_offset - s.start_offset)"
                "  WHEN NOT EXISTS (SELECT 1 FROM sentences WHERE article_id = a.id) THEN a.text"
                "  ELSE '' END AS text,"
                " s.article_id IS NOT NULL"
                "  OR EXISTS (SELECT 1 FROM sentences WHERE article_id = a.id) AS has_spans,"
                " (SELECT array_agg(code ORDER BY first) FROM (SELECT code, min(position) AS first"
                "   FROM country_mentions WHERE article_id = n.article_id"
                "   AND sentence_index = n.sentence_index GROUP BY code) o) AS ordered_codes"
                " FROM naming n JOIN articles a ON a.id = n.article_id"
                " LEFT JOIN sentences s"
                "  ON s.article_id = n.article_id AND s.position = n.sentence_index"
                " ORDER BY a.added_at, a.id, n.sentence_index",
                code,
                scope,
                window.since,
                window.until,
                _BLANK,
                _OPENING_CHARS,
            )
        found: list[CountrySentence] = []
        lines: dict[int, list[str]] = {}
        for row in rows:
            article_id, index = row["id"], row["sentence_index"]
            if row["has_spans"]:
                sentence = row["text"].strip()
            else:
                if article_id not in lines:
                    lines[article_id] = [
                        ln.strip() for ln in row["text"].splitlines() if ln.strip()
                    ]
                sentence = lines[article_id][index] if index < len(lines[article_id]) else ""
            found.append(
                CountrySentence(
                    article_id=article_id,
                    sentence_index=index,
                    text=sentence,
                    codes=tuple(row["ordered_codes"]),
                    title=row["title"],
                    opening=row["opening"],
                )
            )
        return found

    async def analysis(self, scope: int, article_id: int) -> Analysis | None:
        return (await self.analyses(scope, [article_id])).get(article_id)

    async def analyses(self, scope: int, article_ids: Iterable[int]) -> dict[int, Analysis]:
        ids = sorted({int(a) for a in article_ids if is_article_id(int(a))})
        async with self._db.reading() as conn:
            return await load_analyses(conn, scope, ids)


async def _find_duplicate(
    conn: asyncpg.Connection, scope: int, url_keys: Sequence[str | None], text_hash: str
) -> int | None:
    """The id of the scope's article reached by one of these URLs or with this text, if any."""
    keys = [key for key in url_keys if key]
    if keys:
        found = await conn.fetchval(
            "SELECT article_id FROM article_urls WHERE guild_id = $1"
            " AND canonical_url = ANY($2::text[])"
            " ORDER BY array_position($2::text[], canonical_url)"
            " LIMIT 1",
            scope,
            keys,
        )
        if found is not None:
            return int(found)
    found = await conn.fetchval(
        "SELECT id FROM articles WHERE guild_id = $1 AND text_hash = $2", scope, text_hash
    )
    return None if found is None else int(found)


async def _confirm_fetched(
    conn: asyncpg.Connection,
    scope: int,
    article_id: int,
    page: ExtractedArticle,
    url_key: str | None,
) -> None:
    """A fetched page whose text is a pasted or file article's: that text is now the page's
    (its own link and metadata; the member and file that first brought it are kept)."""
    if url_key is None:
        return
    await conn.execute(
        "UPDATE articles SET origin = $1, url = $2, canonical_url = $3,"
        " title = coalesce($4, title), byline = $5, published = $6, site_name = $7"
        " WHERE id = $8 AND guild_id = $9 AND origin <> $1",
        ArticleOrigin.FETCHED.value,
        page.url,
        url_key,
        page.title,
        page.byline,
        page.published,
        page.site_name,
        article_id,
        scope,
    )


async def _remember_urls(
    conn: asyncpg.Connection, scope: int, url_keys: Sequence[str | None], article_id: int
) -> None:
    """Point these URLs at the article (a URL already pointing elsewhere keeps its article)."""
    keys = [key for key in dict.fromkeys(url_keys) if key]
    if keys:
        await conn.executemany(
            "INSERT INTO article_urls (guild_id, canonical_url, article_id) VALUES ($1, $2, $3)"
            " ON CONFLICT (guild_id, canonical_url) DO NOTHING",
            [(scope, key, article_id) for key in keys],
        )


async def _get_article(
    conn: asyncpg.Connection, scope: int, article_id: int
) -> StoredArticle | None:
    articles = await _select_articles(
        conn, "WHERE a.id = $1 AND a.guild_id = $2", article_id, scope
    )
    return articles[0] if articles else None


async def _select_articles(
    conn: asyncpg.Connection, where: str, *params: object
) -> list[StoredArticle]:
    """Articles matching a WHERE/ORDER clause, each with its summary sentences."""
    rows = await conn.fetch(f"SELECT {ARTICLE_COLUMNS} FROM articles a {where}", *params)
    if not rows:
        return []
    summaries: dict[int, list[str]] = {}
    for row in await conn.fetch(
        "SELECT article_id, text FROM summary_sentences WHERE article_id = ANY($1::bigint[])"
        " ORDER BY article_id, position",
        [row["id"] for row in rows],
    ):
        summaries.setdefault(row["article_id"], []).append(row["text"])
    return [_stored_article(row, summaries.get(row["id"], ())) for row in rows]


def _stored_article(row: asyncpg.Record, summary: Iterable[str]) -> StoredArticle:
    return StoredArticle(
        id=row["id"],
        scope=row["guild_id"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        title=row["title"],
        byline=row["byline"],
        published=row["published"],
        site_name=row["site_name"],
        text=row["text"],
        added_at=utc(row["added_at"]),
        added_by=row["added_by"],
        summary_method=row["summary_method"],
        summary=tuple(summary),
        source_kind=row["source_kind"],
        language=row["language"],
        source_path=row["source_path"],
        origin=ArticleOrigin(row["origin"]),
        given_url=row["given_url"],
        cut_from=row["cut_from"],
    )
