"""SQLite articles: one row per article in a scope, its analysis in child tables, its URLs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

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
from storage.sqlite.analyses import insert_analysis, load_analyses
from storage.sqlite.database import (
    ROWS_PER_CHUNK,
    SqliteDatabase,
    chunks,
    format_time,
    parse_time,
)

log = logging.getLogger(__name__)

ARTICLE_COLUMNS = (
    "a.id, a.guild_id, a.url, a.canonical_url, a.title, a.byline, a.published, a.site_name,"
    " a.text, a.added_at, a.added_by, a.summary_method, a.source_kind, a.language, a.source_path,"
    " a.origin, a.given_url, a.cut_from"
)
# Separators inside group_concat: control characters that names and codes never contain.
FIELD_SEPARATOR = "\x1f"
ITEM_SEPARATOR = "\x1e"
# What str.strip() removes, for SQL's ltrim; and enough of an untitled text to title it by.
_BLANK = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_OPENING_CHARS = 200


class SqliteArticles:
    """The ArticleRepository of the SQLite backend."""

    def __init__(self, database: SqliteDatabase) -> None:
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
        url_keys = [url_key, *(canonical_url(u) for u in also_known_as)] if fetched else []
        async with self._db.writing() as conn:
            existing_id = await _find_duplicate(conn, scope, url_keys, text_hash)
            if existing_id is not None:
                if fetched:
                    await _confirm_fetched(conn, scope, existing_id, article, url_key)
                await _remember_urls(conn, scope, url_keys, existing_id)
                stored = await _get_article(conn, scope, existing_id)
                assert stored is not None
                return AddResult(stored, created=False)
            cursor = await conn.execute(
                "INSERT INTO articles (guild_id, url, canonical_url, title, byline, published,"
                " site_name, source_kind, text, text_hash, language, summary_method, added_at,"
                " added_by, source_path, origin, given_url, cut_from) VALUES (:scope, :url,"
                " :canonical_url, :title, :byline, :published, :site_name, :source_kind, :text,"
                " :text_hash, :language, :summary_method, :added_at, :added_by, :source_path,"
                " :origin, :given_url, :cut_from)",
                {
                    "scope": scope,
                    "url": url,
                    "canonical_url": url_key,
                    "title": article.title,
                    "byline": article.byline,
                    "published": article.published,
                    "site_name": article.site_name,
                    "source_kind": article.source_kind,
                    "text": article.text,
                    "text_hash": text_hash,
                    "language": analysis.language,
                    "summary_method": analysis.summary.method,
                    "added_at": format_time(now),
                    "added_by": added_by,
                    "source_path": source_path,
                    "origin": origin.value,
                    "given_url": None if fetched else article.url,
                    "cut_from": article.cut_from,
                },
            )
            article_id = cursor.lastrowid
            assert article_id is not None
            await insert_analysis(conn, scope, article_id, analysis)
            await _remember_urls(conn, scope, url_keys, article_id)
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
            return None  # no row can have it (and SQLite could not even bind it)
        async with self._db.reading() as conn:
            return await _get_article(conn, scope, article_id)

    async def get_many(self, scope: int, article_ids: Iterable[int]) -> list[StoredArticle]:
        wanted = list(dict.fromkeys(int(article_id) for article_id in article_ids))
        if not wanted:
            return []
        async with self._db.reading() as conn:
            found = await _select_articles(
                conn,
                "WHERE a.id IN (SELECT value FROM json_each(?)) AND a.guild_id = ?",
                (json.dumps(wanted), scope),
            )
        by_id = {article.id: article for article in found}
        return [by_id[article_id] for article_id in wanted if article_id in by_id]

    async def find_by_url(self, scope: int, url: str) -> StoredArticle | None:
        async with self._db.reading() as conn:
            async with conn.execute(
                "SELECT article_id FROM article_urls WHERE guild_id = ? AND canonical_url = ?",
                (scope, canonical_url(url)),
            ) as cursor:
                row = await cursor.fetchone()
            return None if row is None else await _get_article(conn, scope, row["article_id"])

    async def newest(self, scope: int, *, limit: int, offset: int = 0) -> list[StoredArticle]:
        async with self._db.reading() as conn:
            return await _select_articles(
                conn,
                "WHERE a.guild_id = ? ORDER BY a.added_at DESC, a.id DESC LIMIT ? OFFSET ?",
                (scope, max(limit, 0), max(offset, 0)),
            )

    async def count(self, scope: int) -> int:
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT count(*) AS articles FROM articles WHERE guild_id = ?", (scope,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return int(row["articles"]) if row else 0

    async def remove(self, scope: int, article_id: int) -> bool:
        if not is_article_id(article_id):
            return False
        async with self._db.writing() as conn:
            cursor = await conn.execute(
                "DELETE FROM articles WHERE id = ? AND guild_id = ?", (article_id, scope)
            )
            removed = cursor.rowcount > 0
        if removed:
            log.info("removed article %d from scope %s", article_id, scope)
        return removed

    async def leads(
        self, scope: int, window: Window, *, lead_chars: int = 1200, max_names: int = 12
    ) -> list[ArticleLead]:
        # One pass over the window; each article's countries and names come from their
        # primary-key ranges, joined into one string per article in stored order (group_concat
        # follows its ordered subquery; SQLite before 3.44 has no ORDER BY inside aggregates).
        sql = (
            "SELECT a.id, a.title, a.url, a.site_name, a.added_at,"
            " substr(a.text, 1, :lead) AS lead, length(a.text) AS text_length, a.source_path,"
            " (SELECT group_concat(code || :field || mentions || :field || name, :item) FROM"
            "  (SELECT code, mentions, name FROM countries"
            "   WHERE article_id = a.id ORDER BY position)) AS countries,"
            " (SELECT group_concat(name, :item) FROM"
            "  (SELECT name FROM entities WHERE article_id = a.id AND label IN ('PERSON', 'ORG')"
            "   ORDER BY position LIMIT :names)) AS names,"
            " (SELECT count(*) FROM (SELECT 1 FROM country_mentions WHERE article_id = a.id"
            "   GROUP BY sentence_index HAVING count(DISTINCT code) >= 2)) AS co_mentions"
            " FROM articles a WHERE a.guild_id = :scope AND a.added_at >= :since"
            " AND a.added_at < :until ORDER BY a.added_at, a.id"
        )
        params = {
            "lead": max(lead_chars, 0),
            "names": max(max_names, 0),
            "field": FIELD_SEPARATOR,
            "item": ITEM_SEPARATOR,
            "scope": scope,
            "since": format_time(window.since),
            "until": format_time(window.until),
        }
        found: list[ArticleLead] = []
        # Copies of one report share their actors: one tuple each, parsed once, and far fewer
        # objects for the garbage collector to walk.
        countries: dict[str | None, tuple[Country, ...]] = {None: ()}
        names: dict[str | None, tuple[str, ...]] = {None: ()}
        async with self._db.reading() as conn, conn.execute(sql, params) as cursor:
            async for rows in chunks(cursor):
                for row in rows:
                    joined_countries, joined_names = row["countries"], row["names"]
                    if joined_countries not in countries:
                        countries[joined_countries] = _countries(joined_countries)
                    if joined_names not in names:
                        names[joined_names] = tuple(joined_names.split(ITEM_SEPARATOR))
                    found.append(
                        ArticleLead(
                            id=row["id"],
                            title=row["title"],
                            url=row["url"],
                            site_name=row["site_name"],
                            added_at=parse_time(row["added_at"]),
                            lead=row["lead"],
                            text_length=row["text_length"],
                            countries=countries[joined_countries],
                            names=names[joined_names],
                            source_path=row["source_path"],
                            co_mention_sentences=row["co_mentions"],
                        )
                    )
        return found

    async def country_sentences(
        self, scope: int, code: str, window: Window
    ) -> list[CountrySentence]:
        # The window's mentions of the country come from the code index; each sentence's other
        # countries from its article's primary-key range. An article stored without sentence
        # spans (none written) gives its whole text, split into lines here as the pipeline does.
        sql = (
            "WITH naming AS (SELECT DISTINCT m.article_id, m.sentence_index"
            "  FROM country_mentions m JOIN articles a ON a.id = m.article_id"
            "  WHERE m.code = :code AND a.guild_id = :scope AND a.added_at >= :since"
            "  AND a.added_at < :until)"
            " SELECT a.id, n.sentence_index, a.title,"
            " CASE WHEN a.title IS NULL OR a.title = ''"
            "  THEN substr(ltrim(a.text, :blank), 1, :opening) ELSE '' END AS opening,"
            " CASE WHEN s.article_id IS NOT NULL"
            "  THEN substr(a.text, s.start_offset + 1, s.end_offset - s.start_offset)"
            "  WHEN NOT EXISTS (SELECT 1 FROM sentences WHERE article_id = a.id) THEN a.text"
            "  ELSE '' END AS text,"
            " s.article_id IS NOT NULL OR EXISTS (SELECT 1 FROM sentences WHERE article_id = a.id)"
            "  AS has_spans,"
            " (SELECT group_concat(code, :item) FROM (SELECT DISTINCT code FROM country_mentions"
            "   WHERE article_id = n.article_id AND sentence_index = n.sentence_index)) AS codes"
            " FROM naming n JOIN articles a ON a.id = n.article_id"
            " LEFT JOIN sentences s"
            "  ON s.article_id = n.article_id AND s.position = n.sentence_index"
            " ORDER BY a.added_at, a.id, n.sentence_index"
        )
        params = {
            "code": code,
            "scope": scope,
            "since": format_time(window.since),
            "until": format_time(window.until),
            "blank": _BLANK,
            "opening": _OPENING_CHARS,
            "item": ITEM_SEPARATOR,
        }
        found: list[CountrySentence] = []
        lines: dict[int, list[str]] = {}
        async with self._db.reading() as conn, conn.execute(sql, params) as cursor:
            async for rows in chunks(cursor):
                for row in rows:
                    article_id, index = row["id"], row["sentence_index"]
                    if row["has_spans"]:
                        sentence = row["text"].strip()
                    else:
                        if article_id not in lines:
                            lines[article_id] = [
                                ln.strip() for ln in row["text"].splitlines() if ln.strip()
                            ]
                        article_lines = lines[article_id]
                        sentence = article_lines[index] if index < len(article_lines) else ""
                    found.append(
                        CountrySentence(
                            article_id=article_id,
                            sentence_index=index,
                            text=sentence,
                            codes=tuple(row["codes"].split(ITEM_SEPARATOR)),
                            title=row["title"],
                            opening=row["opening"],
                        )
                    )
        return found

    async def analysis(self, scope: int, article_id: int) -> Analysis | None:
        return (await self.analyses(scope, [article_id])).get(article_id)

    async def analyses(self, scope: int, article_ids: Iterable[int]) -> dict[int, Analysis]:
        ids = json.dumps(sorted({int(article_id) for article_id in article_ids}))
        async with self._db.reading() as conn:
            return await load_analyses(conn, scope, ids)


async def _find_duplicate(
    conn: aiosqlite.Connection, scope: int, url_keys: Sequence[str | None], text_hash: str
) -> int | None:
    """The id of the scope's article reached by one of these URLs or with this text, if any."""
    for url_key in url_keys:
        if url_key is None:
            continue
        async with conn.execute(
            "SELECT article_id FROM article_urls WHERE guild_id = ? AND canonical_url = ?",
            (scope, url_key),
        ) as cursor:
            row = await cursor.fetchone()
        if row is not None:
            return int(row["article_id"])
    async with conn.execute(
        "SELECT id FROM articles WHERE guild_id = ? AND text_hash = ?", (scope, text_hash)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row["id"])


async def _confirm_fetched(
    conn: aiosqlite.Connection,
    scope: int,
    article_id: int,
    page: ExtractedArticle,
    url_key: str | None,
) -> None:
    """A fetched page whose text is a pasted or file article's: that text is now the page's.

    The row becomes the fetched article, with the page's own link and metadata (a pasted title
    was only its member's word); the member and file that first brought it are kept.
    """
    if url_key is None:
        return
    await conn.execute(
        "UPDATE articles SET origin = :fetched, url = :url, canonical_url = :canonical_url,"
        " title = coalesce(:title, title), byline = :byline, published = :published,"
        " site_name = :site_name WHERE id = :id AND guild_id = :scope AND origin <> :fetched",
        {
            "fetched": ArticleOrigin.FETCHED.value,
            "url": page.url,
            "canonical_url": url_key,
            "title": page.title,
            "byline": page.byline,
            "published": page.published,
            "site_name": page.site_name,
            "id": article_id,
            "scope": scope,
        },
    )


async def _remember_urls(
    conn: aiosqlite.Connection, scope: int, url_keys: Sequence[str | None], article_id: int
) -> None:
    """Point these URLs at the article (a URL already pointing elsewhere keeps its article)."""
    await conn.executemany(
        "INSERT INTO article_urls (guild_id, canonical_url, article_id) VALUES (?, ?, ?)"
        " ON CONFLICT (guild_id, canonical_url) DO NOTHING",
        [(scope, key, article_id) for key in dict.fromkeys(url_keys) if key],
    )


async def _get_article(
    conn: aiosqlite.Connection, scope: int, article_id: int
) -> StoredArticle | None:
    """One article of the scope, or None."""
    articles = await _select_articles(
        conn, "WHERE a.id = ? AND a.guild_id = ?", (article_id, scope)
    )
    return articles[0] if articles else None


def _countries(joined: str) -> tuple[Country, ...]:
    """Countries joined by `leads` ("code, mentions, name" items) as Country objects."""
    countries = []
    for item in joined.split(ITEM_SEPARATOR):
        code, mentions, name = item.split(FIELD_SEPARATOR, 2)
        countries.append(Country(code, name, int(mentions)))
    return tuple(countries)


async def _select_articles(
    conn: aiosqlite.Connection, where: str, params: Sequence[Any]
) -> list[StoredArticle]:
    """Articles matching a WHERE/ORDER clause, each with its summary sentences."""
    rows: list[aiosqlite.Row] = []
    async with conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles a {where}", params) as cur:
        async for chunk in chunks(cur):
            rows.extend(chunk)
    if not rows:
        return []
    ids = json.dumps([row["id"] for row in rows])
    summaries: dict[int, list[str]] = {}
    async with conn.execute(
        "SELECT article_id, text FROM summary_sentences"
        " WHERE article_id IN (SELECT value FROM json_each(?)) ORDER BY article_id, position",
        (ids,),
    ) as cursor:
        async for chunk in chunks(cursor):
            for row in chunk:
                summaries.setdefault(row["article_id"], []).append(row["text"])
    articles: list[StoredArticle] = []
    for start in range(0, len(rows), ROWS_PER_CHUNK):
        if start:
            await asyncio.sleep(0)  # let other tasks run between chunks of a big read
        articles.extend(
            _stored_article(row, summaries.get(row["id"], ()))
            for row in rows[start : start + ROWS_PER_CHUNK]
        )
    return articles


def _stored_article(row: aiosqlite.Row, summary: Iterable[str]) -> StoredArticle:
    """One row of ARTICLE_COLUMNS with its summary sentences."""
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
        added_at=parse_time(row["added_at"]),
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
