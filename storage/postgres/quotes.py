"""PostgreSQL quotes: what was said, by whom, across a scope's articles."""

from __future__ import annotations

from bot.domain.articles import StoredQuote, is_article_id
from storage.postgres.analyses import speaker_key
from storage.postgres.database import PostgresDatabase, utc


def _like_escape(text: str) -> str:
    """Make LIKE's wildcards literal (PostgreSQL's default escape character is \\)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PostgresQuotes:
    """The QuoteRepository of the PostgreSQL backend."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    async def find(
        self,
        scope: int,
        *,
        speaker: str | None = None,
        article_id: int | None = None,
        limit: int = 10,
    ) -> list[StoredQuote]:
        conditions = ["a.guild_id = $1", "NOT q.scare_quote"]  # terms, not attributed quotes
        params: list[object] = [scope]
        key = speaker_key(speaker)
        if key:
            params.append(key)
            conditions.append(f"strpos(q.speaker_key, ${len(params)}) > 0")
        if article_id is not None:
            if not is_article_id(article_id):
                return []  # no article has it (and it would not fit a bigint)
            params.append(article_id)
            conditions.append(f"a.id = ${len(params)}")
        params.append(max(limit, 0))
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                "SELECT q.text, q.speaker, q.title, q.cue, q.partial, q.speaker_type,"
                " a.id AS article_id,"
                " a.title AS article_title, a.url AS article_url, a.added_at"
                " FROM articles a JOIN quotes q ON q.article_id = a.id"
                f" WHERE {' AND '.join(conditions)}"
                f" ORDER BY a.added_at DESC, a.id DESC, q.position LIMIT ${len(params)}",
                *params,
            )
        return [
            StoredQuote(
                text=row["text"],
                speaker=row["speaker"],
                title=row["title"],
                cue=row["cue"],
                partial=row["partial"],
                speaker_type=row["speaker_type"],
                article_id=row["article_id"],
                article_title=row["article_title"],
                article_url=row["article_url"],
                added_at=utc(row["added_at"]),
            )
            for row in rows
        ]

    async def speakers(self, scope: int, prefix: str, *, limit: int = 25) -> list[str]:
        pattern = _like_escape(speaker_key(prefix) or "")
        async with self._db.reading() as conn:
            rows = await conn.fetch(
                "SELECT min(speaker) AS speaker, count(*) AS quoted FROM quotes"
                " WHERE guild_id = $1 AND speaker_key IS NOT NULL"
                " AND (speaker_key LIKE $2 OR speaker_key LIKE $3 OR speaker_key LIKE $4)"
                " GROUP BY speaker_key ORDER BY quoted DESC, speaker_key LIMIT $5",
                scope,
                f"{pattern}%",
                f"% {pattern}%",
                f"%-{pattern}%",
                max(limit, 0),
            )
        return [row["speaker"] for row in rows]
