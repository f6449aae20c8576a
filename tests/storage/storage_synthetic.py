"""Small hand-built articles and analyses for storage tests (no spaCy: keeps them fast)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.analysis import Analysis, Country, CountryMention, Entity, Quote, Summary
from bot.domain.articles import ExtractedArticle

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

_SPEAKERS = (
    ("Amara Okafor", "Foreign Minister"),
    ("Lena Brandt", "Ambassador"),
    ("José Ñúñez", "Envoy"),
    ("Wen Jiabao-Li", None),
)
_COUNTRIES = (("NG", "Nigeria"), ("DE", "Germany"), ("CL", "Chile"), ("CN", "China"))


def at(minutes: int) -> datetime:
    """A fixed, timezone-aware time `minutes` after T0 (a fake clock)."""
    return T0 + timedelta(minutes=minutes)


def make_pair(
    number: int,
    *,
    topic: str = "fisheries",
    url: str | None = "auto",
    title: str | None = None,
) -> tuple[ExtractedArticle, Analysis]:
    """An invented article about `topic` whose analysis offsets point into its own text.

    Different `number`s give different texts, so they never dedupe against each other.
    """
    speaker, speaker_title = _SPEAKERS[number % len(_SPEAKERS)]
    code, country = _COUNTRIES[number % len(_COUNTRIES)]
    quote_text = f"We will not sign a {topic} deal that ignores our coast, number {number}"
    sentences = [
        f"Delegates from {country} met on Tuesday to discuss {topic} talks (item {number}).",
        f'"{quote_text}," {speaker} said after the meeting.',
        f"Observers said the {topic} negotiations could resume next month.",
        f'"This is only a pause," {speaker} added.',
    ]
    text = ""
    spans: list[tuple[int, int]] = []
    for sentence in sentences:
        if text:
            text += " "
        spans.append((len(text), len(text) + len(sentence)))
        text += sentence
    quote_start = text.index(quote_text)
    second = "This is only a pause"
    second_start = text.index(second)
    country_start = text.index(country)
    article = ExtractedArticle(
        text=text,
        title=title if title is not None else f"{topic.title()} talks stall, part {number}",
        byline="Staff reporter",
        published="2026-03-01",
        site_name="The Invented Herald",
        url=f"https://news.example.org/{topic}/{number}" if url == "auto" else url,
        source_kind="html",
    )
    analysis = Analysis(
        summary=Summary(
            method="lead",
            sentences=(sentences[0], sentences[1]),
            sentence_indices=(0, 1),
        ),
        entities=(
            Entity(
                name=speaker,
                label="PERSON",
                mentions=2,
                aliases=(speaker.split()[-1], f"Mr. {speaker.split()[-1]}"),
                title=speaker_title,
            ),
            Entity(name=country, label="GPE", mentions=1),
        ),
        countries=(Country(code=code, name=country, mentions=1),),
        quotes=(
            Quote(
                text=quote_text,
                speaker=speaker,
                start=quote_start,
                end=quote_start + len(quote_text),
                title=speaker_title,
                cue="said",
            ),
            Quote(
                text=second,
                speaker=speaker,
                start=second_start,
                end=second_start + len(second),
                cue="added",
                partial=True,
            ),
        ),
        country_mentions=(
            CountryMention(
                code=code,
                text=country,
                start=country_start,
                end=country_start + len(country),
                sentence=0,
            ),
        ),
        sentence_spans=tuple(spans),
    )
    return article, analysis


def padded(analysis: Analysis, padding: int) -> Analysis:
    """The analysis with `padding` extra country mentions, so each write takes a while."""
    if padding <= 0:
        return analysis
    extra = tuple(
        CountryMention(code="ZZ", text="Nowhere", start=i, end=i + 7, sentence=0)
        for i in range(padding)
    )
    return replace(analysis, country_mentions=analysis.country_mentions + extra)


def assert_every_article_is_whole(db: Path, *, padding: int = 0) -> set[int]:
    """Each article row has its full analysis and search entry; the file is sound. Returns ids."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
        ids = {row[0] for row in conn.execute("SELECT id FROM articles")}
        fts_rows = conn.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0]
        assert fts_rows == len(ids), "search index and articles disagree"
        expected = {
            "summary_sentences": 2,
            "entities": 2,
            "entity_aliases": 2,
            "countries": 1,
            "country_mentions": 1 + padding,
            "sentences": 4,
            "quotes": 2,
        }
        for table, rows_per_article in expected.items():
            counts = dict(
                conn.execute(f"SELECT article_id, count(*) FROM {table} GROUP BY article_id")
            )
            for article_id in ids:
                assert counts.get(article_id) == rows_per_article, (table, article_id)
            assert set(counts) <= ids, f"orphan rows in {table}"
    return ids
