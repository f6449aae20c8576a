"""SQLite quotes: what was said, by whom, across a scope's articles."""

from __future__ import annotations

from typing import Any

from bot.domain.articles import StoredQuote, is_article_id
from storage.sqlite.analyses import speaker_key
from storage.sqlite.database import SqliteDatabase, parse_time


def _like_escape(text: str) -> str:
    """Make LIKE's wildcards literal (used with ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqliteQuotes:
    """The QuoteRepository of the SQLite backend."""

    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    async def find(
        self,
        scope: int,
        *,
        speaker: str | None = None,
        article_id: int | None = None,
        limit: int = 10,
    ) -> list[StoredQuote]:
        conditions = ["a.guild_id = ?", "NOT q.scare_quote"]  # terms, not attributed quotes
        params: list[Any] = [scope]
        key = speaker_key(speaker)
        if key:
            conditions.append("instr(q.speaker_key, ?) > 0")
            params.append(key)
        if article_id is not None:
            if not is_article_id(article_id):
                return []  # no article has it (and SQLite could not even bind it)
            conditions.append("a.id = ?")
            params.append(article_id)
        params.append(max(limit, 0))
        # Walk the scope's articles newest first and stop at `limit` quotes (CROSS JOIN keeps
        # that order); starting from quotes would sort all of them first.
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT q.text, q.speaker, q.title, q.cue, q.partial, q.speaker_type,"
                " a.id AS article_id,"
                " a.title AS article_title, a.url AS article_url, a.added_at"
                " FROM articles a CROSS JOIN quotes q ON q.article_id = a.id"
                f" WHERE {' AND '.join(conditions)}"
                " ORDER BY a.added_at DESC, a.id DESC, q.position LIMIT ?",
                params,
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [
            StoredQuote(
                text=row["text"],
                speaker=row["speaker"],
                title=row["title"],
                cue=row["cue"],
                partial=bool(row["partial"]),
                speaker_type=row["speaker_type"],
                article_id=row["article_id"],
                article_title=row["article_title"],
                article_url=row["article_url"],
                added_at=parse_time(row["added_at"]),
            )
            for row in rows
        ]

    async def speakers(self, scope: int, prefix: str, *, limit: int = 25) -> list[str]:
        pattern = _like_escape(speaker_key(prefix) or "")
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT min(speaker) AS speaker, count(*) AS quoted FROM quotes"
                " WHERE guild_id = ? AND speaker_key IS NOT NULL"
                " AND (speaker_key LIKE ? ESCAPE '\\' OR speaker_key LIKE ? ESCAPE '\\'"
                " OR speaker_key LIKE ? ESCAPE '\\')"
                " GROUP BY speaker_key ORDER BY quoted DESC, speaker_key LIMIT ?",
                (scope, f"{pattern}%", f"% {pattern}%", f"%-{pattern}%", max(limit, 0)),
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [row["speaker"] for row in rows]
