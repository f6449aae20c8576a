"""Full-text search: ranking, snippets, paging, and user text that is not FTS syntax."""

from __future__ import annotations

from dataclasses import replace

import pytest
from storage_synthetic import at, make_pair

from bot.domain.articles import HIGHLIGHT_END, HIGHLIGHT_START
from storage import Store

GUILD = 333


@pytest.fixture
async def filled(store: Store) -> Store:
    """Three fisheries articles, two on sanctions, one with 'Sanctions' in its title."""
    for number in range(3):
        await store.articles.add(GUILD, *make_pair(number, topic="fisheries"), now=at(number))
    await store.articles.add(GUILD, *make_pair(10, topic="sanctions"), now=at(10))
    await store.articles.add(
        GUILD, *make_pair(11, topic="trade", title="Sanctions loom over trade talks"), now=at(11)
    )
    return store


async def test_search_finds_body_and_title_with_highlighted_snippet(filled: Store) -> None:
    page = await filled.search.search(GUILD, "sanctions")
    assert page.total == 2
    titles = [hit.title for hit in page.hits]
    assert set(titles) == {"Sanctions talks stall, part 10", "Sanctions loom over trade talks"}
    hit = page.hits[0]
    assert f"{HIGHLIGHT_START}" in hit.snippet and HIGHLIGHT_END in hit.snippet
    assert hit.url is not None and hit.added_at.tzinfo is not None


async def test_search_stems_and_prefixes(filled: Store) -> None:
    assert (await filled.search.search(GUILD, "negotiation")).total == 5  # porter: negotiations
    assert (await filled.search.search(GUILD, "fish*")).total == 3
    assert (await filled.search.search(GUILD, "fish")).total == 0


async def test_search_requires_every_word_and_keeps_phrases(filled: Store) -> None:
    assert (await filled.search.search(GUILD, "fisheries item")).total == 3
    assert (await filled.search.search(GUILD, "fisheries sanctions")).total == 0
    assert (await filled.search.search(GUILD, '"resume next month"')).total == 5
    assert (await filled.search.search(GUILD, '"month next resume"')).total == 0


async def test_search_pages(filled: Store) -> None:
    first = await filled.search.search(GUILD, "delegates", limit=2)
    second = await filled.search.search(GUILD, "delegates", limit=2, offset=2)
    third = await filled.search.search(GUILD, "delegates", limit=2, offset=4)
    assert first.total == second.total == third.total == 5
    ids = [hit.article_id for page in (first, second, third) for hit in page.hits]
    assert len(ids) == len(set(ids)) == 5


@pytest.mark.parametrize(
    "hostile",
    [
        '"',
        '"unbalanced quote',
        "sanctions*",
        "*",
        "-sanctions",
        "sanctions -fisheries",
        "title:sanctions",
        "text:",
        "(sanctions",
        "sanctions)",
        "((()))",
        "AND",
        "NOT sanctions",
        "sanctions AND",
        "OR OR OR",
        "NEAR(sanctions talks)",
        "sanctions^",
        "{title text}: sanctions",
        "sanc'tions",
        "\x00",
        "🙂 sanctions",
        "a" * 5000,
        "x " * 500,
        "",
    ],
)
async def test_hostile_query_never_raises(filled: Store, hostile: str) -> None:
    page = await filled.search.search(GUILD, hostile)
    assert page.total >= 0
    assert len(page.hits) <= 5


async def test_operator_words_are_plain_words(filled: Store) -> None:
    # As an operator OR would find all five; as a plain word it is in none of them.
    assert (await filled.search.search(GUILD, "fisheries OR sanctions")).total == 0
    assert (await filled.search.search(GUILD, "sanctions NOT")).total == 2  # "will not sign"
    assert (await filled.search.search(GUILD, "-sanctions")).total == 2
    assert (await filled.search.search(GUILD, "(sanctions")).total == 2


async def test_nothing_to_search_gives_an_empty_page(filled: Store) -> None:
    page = await filled.search.search(GUILD, "?!")
    assert page.hits == () and page.total == 0


async def test_snippet_parts_keep_the_article_markup_apart_from_the_highlight(store: Store) -> None:
    article, analysis = make_pair(1, topic="sanctions")
    starred = replace(article, text="*Updated* " + article.text + " Read_more **now**.")
    await store.articles.add(GUILD, starred, analysis, now=at(0))
    hit = (await store.search.search(GUILD, "updated sanctions now")).hits[0]
    # The article's own asterisks stay text (PostgreSQL's snippet may start at the first word).
    assert "".join(text for text, _ in hit.snippet_parts).count("Updated*") == 1
    matched = [text for text, is_match in hit.snippet_parts if is_match]
    assert "Updated" in matched and "sanctions" in matched
    assert f"{HIGHLIGHT_START}sanctions{HIGHLIGHT_END}" in hit.snippet
