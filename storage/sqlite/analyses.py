"""An article's analysis in its child tables: written in the article's transaction, read back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence

import aiosqlite

from bot.domain.analysis import Analysis, Country, CountryMention, Entity, Quote, Summary
from storage.sqlite.database import ROWS_PER_CHUNK, chunks


def speaker_key(speaker: str | None) -> str | None:
    """Case-folded speaker, so matching is case-insensitive beyond ASCII."""
    return " ".join(speaker.casefold().split()) if speaker else None


async def insert_analysis(
    conn: aiosqlite.Connection, scope: int, article_id: int, analysis: Analysis
) -> None:
    """Write every part of an analysis; the caller's transaction makes it all-or-nothing."""
    summary = analysis.summary
    indices: Sequence[int | None] = summary.sentence_indices
    await conn.executemany(
        "INSERT INTO summary_sentences (article_id, position, text, sentence_index)"
        " VALUES (?, ?, ?, ?)",
        [
            (article_id, position, text, indices[position] if position < len(indices) else None)
            for position, text in enumerate(summary.sentences)
        ],
    )
    await conn.executemany(
        "INSERT INTO entities (article_id, position, name, label, mentions, title)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (article_id, position, entity.name, entity.label, entity.mentions, entity.title)
            for position, entity in enumerate(analysis.entities)
        ],
    )
    await conn.executemany(
        "INSERT INTO entity_aliases (article_id, entity_position, position, alias)"
        " VALUES (?, ?, ?, ?)",
        [
            (article_id, entity_position, position, alias)
            for entity_position, entity in enumerate(analysis.entities)
            for position, alias in enumerate(entity.aliases)
        ],
    )
    await conn.executemany(
        "INSERT INTO countries (article_id, position, code, name, mentions) VALUES (?, ?, ?, ?, ?)",
        [
            (article_id, position, country.code, country.name, country.mentions)
            for position, country in enumerate(analysis.countries)
        ],
    )
    await conn.executemany(
        "INSERT INTO country_mentions (article_id, position, code, text, start_offset,"
        " end_offset, sentence_index) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (article_id, position, m.code, m.text, m.start, m.end, m.sentence)
            for position, m in enumerate(analysis.country_mentions)
        ],
    )
    await conn.executemany(
        "INSERT INTO sentences (article_id, position, start_offset, end_offset)"
        " VALUES (?, ?, ?, ?)",
        [
            (article_id, position, start, end)
            for position, (start, end) in enumerate(analysis.sentence_spans)
        ],
    )
    await conn.executemany(
        "INSERT INTO quotes (article_id, guild_id, position, text, speaker, speaker_key, title,"
        " cue, partial, start_offset, end_offset, speaker_type, scare_quote)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                article_id,
                scope,
                position,
                quote.text,
                quote.speaker,
                speaker_key(quote.speaker),
                quote.title,
                quote.cue,
                int(quote.partial),
                quote.start,
                quote.end,
                quote.speaker_type,
                int(quote.scare_quote),
            )
            for position, quote in enumerate(analysis.quotes)
        ],
    )


async def load_analyses(
    conn: aiosqlite.Connection, scope: int, ids_json: str
) -> dict[int, Analysis]:
    """Rebuild Analysis objects for the scope's articles among a JSON array of ids."""
    async with conn.execute(
        "SELECT id, summary_method, language FROM articles"
        " WHERE id IN (SELECT value FROM json_each(?)) AND guild_id = ?",
        (ids_json, scope),
    ) as cursor:
        article_rows = list(await cursor.fetchall())
    if not article_rows:
        return {}
    # Child tables are read by ids already checked against the scope above.
    in_scope = "article_id IN (SELECT value FROM json_each(?))"
    scoped_ids_json = json.dumps([row["id"] for row in article_rows])

    async def rows_of(sql: str) -> AsyncIterator[aiosqlite.Row]:
        # Chunks, not all rows at once: a month of analyses is ~1M rows of Python objects.
        async with conn.execute(sql, (scoped_ids_json,)) as cursor:
            async for chunk in chunks(cursor):
                for row in chunk:
                    yield row

    summary_texts: dict[int, list[str]] = {}
    summary_indices: dict[int, list[int]] = {}
    async for row in rows_of(
        f"SELECT article_id, text, sentence_index FROM summary_sentences WHERE {in_scope}"
        " ORDER BY article_id, position"
    ):
        summary_texts.setdefault(row["article_id"], []).append(row["text"])
        if row["sentence_index"] is not None:
            summary_indices.setdefault(row["article_id"], []).append(row["sentence_index"])

    aliases: dict[tuple[int, int], list[str]] = {}
    async for row in rows_of(
        f"SELECT article_id, entity_position, alias FROM entity_aliases WHERE {in_scope}"
        " ORDER BY article_id, entity_position, position"
    ):
        aliases.setdefault((row["article_id"], row["entity_position"]), []).append(row["alias"])
    entities: dict[int, list[Entity]] = {}
    async for row in rows_of(
        f"SELECT article_id, position, name, label, mentions, title FROM entities"
        f" WHERE {in_scope} ORDER BY article_id, position"
    ):
        entities.setdefault(row["article_id"], []).append(
            Entity(
                name=row["name"],
                label=row["label"],
                mentions=row["mentions"],
                aliases=tuple(aliases.get((row["article_id"], row["position"]), ())),
                title=row["title"],
            )
        )

    countries: dict[int, list[Country]] = {}
    async for row in rows_of(
        f"SELECT article_id, code, name, mentions FROM countries WHERE {in_scope}"
        " ORDER BY article_id, position"
    ):
        countries.setdefault(row["article_id"], []).append(
            Country(row["code"], row["name"], row["mentions"])
        )

    mentions: dict[int, list[CountryMention]] = {}
    async for row in rows_of(
        "SELECT article_id, code, text, start_offset, end_offset, sentence_index"
        f" FROM country_mentions WHERE {in_scope} ORDER BY article_id, position"
    ):
        mentions.setdefault(row["article_id"], []).append(
            CountryMention(
                row["code"],
                row["text"],
                row["start_offset"],
                row["end_offset"],
                row["sentence_index"],
            )
        )

    spans: dict[int, list[tuple[int, int]]] = {}
    async for row in rows_of(
        f"SELECT article_id, start_offset, end_offset FROM sentences WHERE {in_scope}"
        " ORDER BY article_id, position"
    ):
        spans.setdefault(row["article_id"], []).append((row["start_offset"], row["end_offset"]))

    quotes: dict[int, list[Quote]] = {}
    async for row in rows_of(
        "SELECT article_id, text, speaker, start_offset, end_offset, title, cue, partial,"
        f" speaker_type, scare_quote FROM quotes WHERE {in_scope} ORDER BY article_id, position"
    ):
        quotes.setdefault(row["article_id"], []).append(
            Quote(
                row["text"],
                row["speaker"],
                row["start_offset"],
                row["end_offset"],
                title=row["title"],
                cue=row["cue"],
                partial=bool(row["partial"]),
                speaker_type=row["speaker_type"],
                scare_quote=bool(row["scare_quote"]),
            )
        )

    analyses: dict[int, Analysis] = {}
    for start in range(0, len(article_rows), ROWS_PER_CHUNK):
        if start:
            await asyncio.sleep(0)  # let other tasks run between chunks of a big read
        for row in article_rows[start : start + ROWS_PER_CHUNK]:
            article_id = row["id"]
            analyses[article_id] = Analysis(
                summary=Summary(
                    method=row["summary_method"],
                    sentences=tuple(summary_texts.get(article_id, ())),
                    sentence_indices=tuple(summary_indices.get(article_id, ())),
                ),
                entities=tuple(entities.get(article_id, ())),
                countries=tuple(countries.get(article_id, ())),
                quotes=tuple(quotes.get(article_id, ())),
                country_mentions=tuple(mentions.get(article_id, ())),
                sentence_spans=tuple(spans.get(article_id, ())),
                language=row["language"],
            )
    return analyses
