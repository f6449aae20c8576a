"""PostgreSQL full-text search: a tsvector column (English stemming) with a GIN index.

The query syntax is bot.domain.search's, as on SQLite: every term required, "a phrase" as
words in a row, prefix* as a prefix. The `diplobrief` text search configuration (migration
0001) stems English words and keeps stop words, as SQLite's porter tokenizer does, so the same
articles match. Differences (documented in README): the stemmers differ in rare words
(Snowball's English here, the original Porter there), accents are not folded (SQLite folds
"José" to "Jose"), and ranking (ts_rank_cd, title weighted) and snippets (ts_headline) differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.articles import HIGHLIGHT_END, HIGHLIGHT_START, SearchHit, SearchPage
from bot.domain.search import parse_query
from storage.postgres.database import PostgresDatabase, utc

SNIPPET_WORDS = 24
HEADLINE_CHARS = 100_000  # ts_headline reads the whole text it is given
_MATCH_START = "\x02"
_MATCH_END = "\x03"


def tsquery_text(user_query: str) -> str | None:
    """The to_tsquery input for the user's words (safe: only \\w+ words reach it)."""
    terms = []
    for term in parse_query(user_query):
        lexemes = [f"'{word}'" for word in term.words]
        if term.prefix:
            lexemes[-1] += ":*"
        terms.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(terms) if terms else None


def _snippet_parts(marked: str) -> tuple[tuple[str, bool], ...]:
    parts: list[tuple[str, bool]] = []
    for piece in marked.split(_MATCH_START):
        match, end, rest = piece.partition(_MATCH_END)
        if end:
            parts.append((match, True))
            if rest:
                parts.append((rest, False))
        elif piece:
            parts.append((piece, False))
    return tuple(parts)


def _mark(parts: Sequence[tuple[str, bool]]) -> str:
    return "".join(f"{HIGHLIGHT_START}{t}{HIGHLIGHT_END}" if m else t for t, m in parts)


class PostgresSearch:
    """The SearchRepository of the PostgreSQL backend."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    async def search(
        self, scope: int, query: str, *, limit: int = 5, offset: int = 0
    ) -> SearchPage:
        text_query = tsquery_text(query)
        if text_query is None:
            return SearchPage(hits=(), total=0)
        async with self._db.reading() as conn:
            total = int(
                await conn.fetchval(
                    "SELECT count(*) FROM articles"
                    " WHERE guild_id = $1 AND search @@ to_tsquery('diplobrief', $2)",
                    scope,
                    text_query,
                )
            )
            if total == 0 or offset >= total:
                return SearchPage(hits=(), total=total)
            options = (
                f"StartSel={_MATCH_START}, StopSel={_MATCH_END}, MaxWords={SNIPPET_WORDS},"
                " MinWords=8, ShortWord=2, MaxFragments=1, FragmentDelimiter=…"
            )
            rows = await conn.fetch(
                "WITH q AS (SELECT to_tsquery('diplobrief', $2) AS query),"
                " page AS (SELECT a.id, ts_rank_cd(a.search, q.query) AS score"
                "  FROM articles a, q WHERE a.guild_id = $1 AND a.search @@ q.query"
                "  ORDER BY score DESC, a.id DESC LIMIT $3 OFFSET $4)"
                " SELECT a.id, a.title, a.url, a.added_at,"
                " ts_headline('diplobrief', left(a.text, $6), q.query, $5) AS snippet"
                " FROM page JOIN articles a ON a.id = page.id, q"
                " ORDER BY page.score DESC, page.id DESC",
                scope,
                text_query,
                max(limit, 0),
                max(offset, 0),
                options,
                HEADLINE_CHARS,
            )
        hits = []
        for row in rows:
            parts = _snippet_parts(row["snippet"] or "")
            hits.append(
                SearchHit(
                    article_id=row["id"],
                    title=row["title"],
                    url=row["url"],
                    added_at=utc(row["added_at"]),
                    snippet=_mark(parts),
                    snippet_parts=parts,
                )
            )
        return SearchPage(hits=tuple(hits), total=total)

    async def matching_ids(self, scope: int, query: str) -> set[int]:
        text_query = tsquery_text(query)
        if text_query is None:
            return set()
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                "SELECT id FROM articles"
                " WHERE guild_id = $1 AND search @@ to_tsquery('diplobrief', $2)",
                scope,
                text_query,
            )
        return {row["id"] for row in rows}
