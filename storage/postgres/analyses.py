"""An article's analysis in its child tables (PostgreSQL): written in the article's transaction."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from bot.domain.analysis import Analysis, Country, CountryMention, Entity, Quote, Summary


def speaker_key(speaker: str | None) -> str | None:
    """Case-folded speaker, so matching is case-insensitive beyond ASCII."""
    return " ".join(speaker.casefold().split()) if speaker else None


async def insert_analysis(
    conn: asyncpg.Connection, scope: int, article_id: int, analysis: Analysis
) -> None:
    """Write every part of an analysis with COPY-free batched inserts."""
    summary = analysis.summary
    indices: Sequence[int | None] = summary.sentence_indices
    await conn.executemany(
        "INSERT INTO summary_sentences (article_id, position, text, sentence_index)"
        " VALUES ($1, $2, $3, $4)",
        [
            (article_id, position, text, indices[position] if position < len(indices) else None)
            for position, text in enumerate(summary.sentences)
        ],
    )
    await conn.executemany(
        "INSERT INTO entities (article_id, position, name, label, mentions, title)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (article_id, position, e.name, e.label, e.mentions, e.title)
            for position, e in enumerate(analysis.entities)
        ],
    )
    await conn.executemany(
        "INSERT INTO entity_aliases (article_id, entity_position, position, alias)"
        " VALUES ($1, $2, $3, $4)",
        [
            (article_id, entity_position, position, alias)
            for entity_position, entity in enumerate(analysis.entities)
            for position, alias in enumerate(entity.aliases)
        ],
    )
    await conn.executemany(
        "INSERT INTO countries (article_id, position, code, name, mentions)"
        " VALUES ($1, $2, $3, $4, $5)",
        [
            (article_id, position, c.code, c.name, c.mentions)
            for position, c in enumerate(analysis.countries)
        ],
    )
    await conn.executemany(
        "INSERT INTO country_mentions (article_id, position, code, text, start_offset,"
        " end_offset, sentence_index) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            (article_id, position, m.code, m.text, m.start, m.end, m.sentence)
            for position, m in enumerate(analysis.country_mentions)
        ],
    )
    await conn.executemany(
        "INSERT INTO sentences (article_id, position, start_offset, end_offset)"
        " VALUES ($1, $2, $3, $4)",
        [
            (article_id, position, start, end)
            for position, (start, end) in enumerate(analysis.sentence_spans)
        ],
    )
    await conn.executemany(
        "INSERT INTO quotes (article_id, guild_id, position, text, speaker, speaker_key, title,"
        " cue, partial, start_offset, end_offset, speaker_type, scare_quote)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        [
            (
                article_id,
                scope,
                position,
                q.text,
                q.speaker,
                speaker_key(q.speaker),
                q.title,
                q.cue,
                q.partial,
                q.start,
                q.end,
                q.speaker_type,
                q.scare_quote,
            )
            for position, q in enumerate(analysis.quotes)
        ],
    )


async def load_analyses(
    conn: asyncpg.Connection, scope: int, article_ids: list[int]
) -> dict[int, Analysis]:
    """Rebuild Analysis objects for the scope's articles among `article_ids`."""
    article_rows = await conn.fetch(
        "SELECT id, summary_method, language FROM articles"
        " WHERE id = ANY($1::bigint[]) AND guild_id = $2",
        article_ids,
        scope,
    )
    if not article_rows:
        return {}
    ids = [row["id"] for row in article_rows]
    summary_texts: dict[int, list[str]] = {}
    summary_indices: dict[int, list[int]] = {}
    for row in await conn.fetch(
        "SELECT article_id, text, sentence_index FROM summary_sentences"
        " WHERE article_id = ANY($1::bigint[]) ORDER BY article_id, position",
        ids,
    ):
        summary_texts.setdefault(row["article_id"], []).append(row["text"])
        if row["sentence_index"] is not None:
            summary_indices.setdefault(row["article_id"], []).append(row["sentence_index"])
    aliases: dict[tuple[int, int], list[str]] = {}
    for row in await conn.fetch(
        "SELECT article_id, entity_position, alias FROM entity_aliases"
        " WHERE article_id = ANY($1::bigint[]) ORDER BY article_id, entity_position, position",
        ids,
    ):
        aliases.setdefault((row["article_id"], row["entity_position"]), []).append(row["alias"])
    entities: dict[int, list[Entity]] = {}
    for row in await conn.fetch(
        "SELECT article_id, position, name, label, mentions, title FROM entities"
        " WHERE article_id = ANY($1::bigint[]) ORDER BY article_id, position",
        ids,
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
    for row in await conn.fetch(
        "SELECT article_id, code, name, mentions FROM countries"
        " WHERE article_id = ANY($1::bigint[]) ORDER BY article_id, position",
        ids,
    ):
        countries.setdefault(row["article_id"], []).append(
            Country(row["code"], row["name"], row["mentions"])
        )
    mentions: dict[int, list[CountryMention]] = {}
    for row in await conn.fetch(
        "SELECT article_id, code, text, start_offset, end_offset, sentence_index"
        " FROM country_mentions WHERE article_id = ANY($1::bigint[])"
        " ORDER BY article_id, position",
        ids,
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
    for row in await conn.fetch(
        "SELECT article_id, start_offset, end_offset FROM sentences"
        " WHERE article_id = ANY($1::bigint[]) ORDER BY article_id, position",
        ids,
    ):
        spans.setdefault(row["article_id"], []).append((row["start_offset"], row["end_offset"]))
    quotes: dict[int, list[Quote]] = {}
    for row in await conn.fetch(
        "SELECT article_id, text, speaker, start_offset, end_offset, title, cue, partial,"
        " speaker_type, scare_quote FROM quotes WHERE article_id = ANY($1::bigint[])"
        " ORDER BY article_id, position",
        ids,
    ):
        quotes.setdefault(row["article_id"], []).append(
            Quote(
                row["text"],
                row["speaker"],
                row["start_offset"],
                row["end_offset"],
                title=row["title"],
                cue=row["cue"],
                partial=row["partial"],
                speaker_type=row["speaker_type"],
                scare_quote=row["scare_quote"],
            )
        )
    return {
        row["id"]: Analysis(
            summary=Summary(
                method=row["summary_method"],
                sentences=tuple(summary_texts.get(row["id"], ())),
                sentence_indices=tuple(summary_indices.get(row["id"], ())),
            ),
            entities=tuple(entities.get(row["id"], ())),
            countries=tuple(countries.get(row["id"], ())),
            quotes=tuple(quotes.get(row["id"], ())),
            country_mentions=tuple(mentions.get(row["id"], ())),
            sentence_spans=tuple(spans.get(row["id"], ())),
            language=row["language"],
        )
        for row in article_rows
    }
