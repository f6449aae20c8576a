"""Embeds stay inside Discord's limits, cutting at sentence boundaries."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import discord

from bot.domain.analysis import Analysis, Country, Entity, Quote, Summary
from bot.domain.articles import (
    ArticleOrigin,
    ArticlePage,
    SearchHit,
    SearchPage,
    StoredArticle,
    StoredQuote,
)
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


# --- untrusted text: markdown, masked links and mentions never take effect ------------------

EVIL = "[Free Nitro](https://evil.example/x)"
# A masked link Discord would render: an unescaped [label] right before (url).
MASKED = re.compile(r"(?<!\\)\[(?:[^\[\]\\]|\\.)*(?<!\\)\]\(")


def masked_link_to_evil(text: str) -> bool:
    return any("evil.example" in text[m.end() : m.end() + 40] for m in MASKED.finditer(text))


def shown_text(embed: discord.Embed) -> str:
    """Every part of an embed Discord renders as markdown."""
    data = embed.to_dict()
    parts = [data.get("title", ""), data.get("description", "")]
    for field in data.get("fields", []):
        parts += [field["name"], field["value"]]
    return "\n".join(parts)


def hostile_analysis() -> Analysis:
    return Analysis(
        summary=Summary("lead", (f"Officials said {EVIL} was the offer.", "||Spoiler|| `x`")),
        entities=(Entity("Eve <@&123>", "PERSON", 3),),
        countries=(),
        quotes=(Quote(f"Click {EVIL} now, @everyone", "Eve **Bold**", 0, 10, title="# Envoy"),),
    )


def test_untrusted_escapes_every_sign_discord_reads() -> None:
    assert render.untrusted(EVIL) == "\\[Free Nitro\\]\\(https://evil.example/x)"
    assert render.untrusted("||s|| `c` **b** ~~d~~ __u__") == (
        "\\|\\|s\\|\\| \\`c\\` \\*\\*b\\*\\* \\~\\~d\\~\\~ \\_\\_u\\_\\_"
    )
    assert render.untrusted("<@1> <@&2> <#3> <t:4:R> <:e:5>").count("\\<") == 5
    assert render.untrusted("@everyone and @here") == "@\u200beveryone and @\u200bhere"
    assert render.untrusted("# Head\n> quote\n- item\n-# small") == (
        "\\# Head\n\\> quote\n\\- item\n\\-\\# small"
    )
    assert render.untrusted("\\*not bold*") == "\\\\\\*not bold\\*"  # a backslash cannot undo it
    # A bare link stays clickable, but cannot smuggle a label in.
    assert render.untrusted("see https://e.org/a_b") == "see https://e.org/a_b"
    assert (
        render.untrusted("https://e.org/[x](https://evil)") == "https://e.org/\\[x\\](https://evil)"
    )


def test_article_embed_escapes_title_summary_people_and_quote() -> None:
    article = replace(stored(f"Talks `end` ||early|| {EVIL}"), site_name="**Site**")
    embed = render.article_embed(article, hostile_analysis())
    text = shown_text(embed)
    assert not masked_link_to_evil(text)
    assert "\\|\\|Spoiler\\|\\|" in text and "\\`end\\`" in text
    assert "Eve \\<@&123\\>" in text
    assert "Eve \\*\\*Bold\\*\\*, \\# Envoy" in text
    assert "@everyone" not in text
    assert embed.author.name == "**Site** · 2024-01-02 · A. Writer"  # shown raw by Discord


def test_every_list_escapes_what_articles_and_members_wrote() -> None:
    article = stored(f"Title] {EVIL}")
    listing = render.article_list_embed(ArticlePage((article,), 1))
    assert not masked_link_to_evil(shown_text(listing))
    quote = StoredQuote(
        EVIL, "Eve", None, None, False, 7, "t", "https://example.org/a b)", article.added_at
    )
    quotes = render.quotes_embed(f"Quotes by {EVIL}", [quote])
    assert not masked_link_to_evil(shown_text(quotes))
    assert "(https://example.org/a%20b%29)" in shown_text(quotes)
    hit = SearchHit(7, EVIL, None, "", article.added_at, ((EVIL, True),))
    found = render.search_embed(SearchPage((hit,), 1), EVIL, page_number=0, page_size=5)
    assert not masked_link_to_evil(shown_text(found))


def test_a_pasted_article_is_shown_as_its_members_and_links_no_page() -> None:
    article = replace(
        stored("Invented headline"),
        url=None,
        canonical_url=None,
        origin=ArticleOrigin.PASTED,
        given_url="https://real.example/news",
        added_by=42,
    )
    embed = render.article_embed(article, hostile_analysis())
    assert embed.url is None
    description = embed.description or ""
    assert description.startswith("📋 Pasted by <@42>: their text, not fetched from any page.")
    assert "`https://real.example/news`" in description
    assert "pasted" in (embed.footer.text or "")


def test_a_cut_page_says_how_much_was_analysed() -> None:
    article = replace(stored(), text="x" * 100_000, cut_from=935_412)
    description = render.article_embed(article, huge_analysis()).description or ""
    assert "first 100,000 characters (of 935,412)" in description.splitlines()[-1]
    assert len(description) <= render.DESCRIPTION_LIMIT


def test_a_link_too_long_for_a_button_is_left_to_the_title() -> None:
    long_url = "https://example.org/" + "a" * 600
    assert render.button_url(long_url) is None
    assert render.button_url("https://example.org/a") == "https://example.org/a"
    embed = render.article_embed(replace(stored(), url=long_url), huge_analysis())
    assert embed.url == long_url  # whole, never cut
