"""Embeds stay inside Discord's limits, cutting at sentence boundaries."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.analysis import Analysis, Country, Entity, Quote, Summary
from bot.domain.articles import StoredArticle
from commands import embeds as render

LONG_SENTENCE = "The delegations met again to discuss the draft communique in great detail. "


def stored(title: str = "Talks") -> StoredArticle:
    return StoredArticle(
        id=7,
        scope=1,
        url="https://example.org/a",
        canonical_url="https://example.org/a",
        title=title,
        byline="A. Writer",
        published="2024-01-02",
        site_name="Example News",
        text="Body.",
        added_at=datetime(2024, 1, 2, tzinfo=UTC),
        added_by=None,
        summary_method="lexrank",
        summary=(),
    )


def huge_analysis() -> Analysis:
    return Analysis(
        summary=Summary("lexrank", tuple(LONG_SENTENCE * 30 for _ in range(10))),
        entities=tuple(Entity(f"Person Number{i}", "PERSON", 30 - i) for i in range(30)),
        countries=tuple(Country(c, f"Country {c}", 3) for c in ("CN", "US", "KP", "JP", "FR")),
        quotes=(Quote("We will talk. " * 200, "Person Number1", 0, 10, title="Envoy"),),
    )


def test_clip_cuts_at_a_sentence_boundary() -> None:
    text = "First sentence here. Second sentence is here. Third one is long enough to cut."
    clipped = render.clip(text, 50)
    assert clipped == "First sentence here. Second sentence is here. …"
    assert len(clipped) <= 50
    assert render.clip("short", 50) == "short"
    word_cut = render.clip("word " * 100, 30)
    assert len(word_cut) <= 30 and word_cut.endswith("…")


def test_article_embed_respects_every_limit() -> None:
    embed = render.article_embed(stored("T" * 400), huge_analysis())
    assert len(embed.title or "") <= render.TITLE_LIMIT
    assert len(embed.description or "") <= render.DESCRIPTION_LIMIT
    assert all(len(f.value or "") <= render.FIELD_VALUE_LIMIT for f in embed.fields)
    assert len(embed.fields) <= render.MAX_FIELDS
    assert len(embed) <= render.EMBED_TOTAL_LIMIT
    assert (embed.description or "").rstrip().endswith(("…", "more"))


def test_quotes_embed_with_many_quotes_says_how_many_were_left_out() -> None:
    quotes = [(f"Quote number {i} " * 20, "Speaker", None) for i in range(100)]
    embed = render.quotes_embed("Quotes", quotes)
    assert len(embed.description or "") <= render.DESCRIPTION_LIMIT
    assert "more" in (embed.description or "").splitlines()[-1]


def test_flags_and_people() -> None:
    embed = render.article_embed(stored(), huge_analysis())
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Countries"].startswith("🇨🇳 Country CN")
    assert fields["People"].startswith("Person Number0")
