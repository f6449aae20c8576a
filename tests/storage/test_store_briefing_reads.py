"""Reads a briefing makes: light digests of a window, a batch of articles, search ids, paths."""

from __future__ import annotations

from dataclasses import replace

import pytest
from storage_synthetic import at, make_pair

import storage.sqlite.database
from bot.domain.analysis import Country, Entity
from bot.domain.scope import CONSOLE_SCOPE as CONSOLE
from bot.domain.window import Window
from storage import Store

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222


async def test_digests_carry_lead_actors_and_time_oldest_first(store: Store) -> None:
    article, analysis = make_pair(2)  # the speaker is José Ñúñez: a lead cut by characters
    analysis = replace(
        analysis,
        entities=(
            Entity("United Nations", "ORG", 5),
            Entity("Chile", "GPE", 4),
            Entity("José Ñúñez", "PERSON", 3),
            Entity("Lena Brandt", "PERSON", 2),
            Entity("NATO", "ORG", 1),
        ),
        countries=(Country("CL", "Chile", 4), Country("DE", "Germany", 1)),
    )
    later = (await store.articles.add(GUILD_A, article, analysis, now=at(10))).article
    earlier = (await store.articles.add(GUILD_A, *make_pair(3), now=at(5))).article

    lead_chars = article.text.index("said") + 2
    digests = await store.articles.leads(GUILD_A, Window(at(0), at(60)), lead_chars=lead_chars)

    assert [d.id for d in digests] == [earlier.id, later.id]
    digest = digests[1]
    assert digest.title == article.title
    assert digest.url == article.url
    assert digest.site_name == "The Invented Herald"
    assert digest.added_at == at(10)
    assert digest.lead == article.text[:lead_chars]
    assert "Ñúñez" in digest.lead
    assert digest.text_length == len(article.text)
    # Countries with their stored names and counts; only people and organisations as names.
    assert digest.countries == (Country("CL", "Chile", 4), Country("DE", "Germany", 1))
    assert digest.names == ("United Nations", "José Ñúñez", "Lena Brandt", "NATO")
    assert digest.source_path is None


async def test_digests_keep_the_most_mentioned_names(store: Store) -> None:
    article, analysis = make_pair(1)
    analysis = replace(
        analysis,
        entities=tuple(Entity(f"Person {n}", "PERSON", 20 - n) for n in range(15)),
    )
    await store.articles.add(GUILD_A, article, analysis, now=at(0))
    [digest] = await store.articles.leads(GUILD_A, Window(at(0), at(1)), max_names=3)
    assert digest.names == ("Person 0", "Person 1", "Person 2")
    [default] = await store.articles.leads(GUILD_A, Window(at(0), at(1)))
    assert len(default.names) == 12


async def test_digest_of_an_article_without_actors(store: Store) -> None:
    article, analysis = make_pair(1)
    analysis = replace(analysis, entities=(), countries=(), country_mentions=(), quotes=())
    await store.articles.add(GUILD_A, article, analysis, now=at(0))
    [digest] = await store.articles.leads(GUILD_A, Window(at(0), at(1)))
    assert digest.countries == ()
    assert digest.names == ()
    assert digest.lead == article.text  # shorter than the lead: all of it


async def test_digest_window_is_half_open_and_read_across_chunks(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.sqlite.database, "ROWS_PER_CHUNK", 2)
    for number in range(7):
        await store.articles.add(GUILD_A, *make_pair(number), now=at(number * 60))
    window = await store.articles.leads(GUILD_A, Window(at(60), at(360)))
    assert [d.added_at for d in window] == [at(60 * n) for n in range(1, 6)]
    newest = await store.articles.newest(GUILD_A, limit=100)
    between = [a for a in reversed(newest) if at(60) <= a.added_at < at(360)]
    assert [d.id for d in window] == [a.id for a in between]
    assert [d.title for d in window] == [a.title for a in between]


async def test_articles_with_the_same_actors_have_equal_digest_actors(store: Store) -> None:
    """Actors parsed once per distinct list are still each article's own, equal values."""
    for number in (4, 8):  # same speaker and country, different texts
        await store.articles.add(GUILD_A, *make_pair(number), now=at(number))
    first, second = await store.articles.leads(GUILD_A, Window(at(0), at(60)))
    assert first.countries == second.countries
    assert first.names == second.names
    assert first.id != second.id


async def test_reads_for_briefings_see_only_their_guild(store: Store) -> None:
    mine = (await store.articles.add(GUILD_A, *make_pair(1, topic="sanctions"), now=at(0))).article
    theirs = (
        await store.articles.add(GUILD_B, *make_pair(2, topic="sanctions"), now=at(0))
    ).article
    console = (
        await store.articles.add(CONSOLE, *make_pair(3, topic="sanctions"), now=at(0))
    ).article

    assert [d.id for d in await store.articles.leads(GUILD_A, Window(at(-1), at(1)))] == [mine.id]
    assert [d.id for d in await store.articles.leads(GUILD_B, Window(at(-1), at(1)))] == [theirs.id]
    assert [d.id for d in await store.articles.leads(CONSOLE, Window(at(-1), at(1)))] == [
        console.id
    ]
    assert await store.articles.leads(333, Window(at(-1), at(1))) == []

    everyone = [mine.id, theirs.id, console.id]
    assert await store.articles.get_many(GUILD_A, everyone) == [mine]
    assert await store.articles.get_many(CONSOLE, everyone) == [console]

    assert await store.search.matching_ids(GUILD_A, "sanctions") == {mine.id}
    assert await store.search.matching_ids(GUILD_B, "sanctions") == {theirs.id}
    assert await store.search.matching_ids(CONSOLE, "sanctions") == {console.id}


async def test_get_articles_in_the_order_asked(store: Store) -> None:
    stored = [
        (await store.articles.add(GUILD_A, *make_pair(n), now=at(n))).article for n in range(4)
    ]
    ids = [stored[2].id, stored[0].id, 999_999, stored[2].id, stored[3].id]
    found = await store.articles.get_many(GUILD_A, ids)
    assert found == [stored[2], stored[0], stored[3]]
    assert all(article.summary for article in found)
    assert await store.articles.get_many(GUILD_A, []) == []


async def test_search_ids_find_what_search_finds(store: Store) -> None:
    for number in range(3):
        await store.articles.add(GUILD_A, *make_pair(number, topic="fisheries"), now=at(number))
    for number in range(3, 5):
        await store.articles.add(GUILD_A, *make_pair(number, topic="sanctions"), now=at(number))
    for query in ("fisheries", "sanction*", '"fisheries talks"', "sanctions fisheries", "whales"):
        page = await store.search.search(GUILD_A, query, limit=50)
        assert await store.search.matching_ids(GUILD_A, query) == {
            hit.article_id for hit in page.hits
        }
    assert len(await store.search.matching_ids(GUILD_A, "fisheries")) == 3
    # Operators and stray quotes are just text; nothing to search for is no match.
    assert await store.search.matching_ids(GUILD_A, 'NOT "fisheries OR (') == set()
    assert await store.search.matching_ids(GUILD_A, "  ***  ") == set()


async def test_source_path_is_kept_and_read_back(store: Store) -> None:
    article, analysis = make_pair(1, url=None)
    path = "feeds/2026-03-01/fisheries talks.txt"
    added = await store.articles.add(GUILD_A, article, analysis, now=at(0), source_path=path)
    assert added.article.source_path == path
    assert (await store.articles.get(GUILD_A, added.article.id)) == added.article
    assert (await store.articles.get_many(GUILD_A, [added.article.id]))[0].source_path == path
    assert (await store.articles.newest(GUILD_A, limit=1))[0].source_path == path
    [digest] = await store.articles.leads(GUILD_A, Window(at(0), at(1)))
    assert digest.source_path == path
    assert digest.url is None

    # The same text ingested again from elsewhere is the stored article, path unchanged.
    again = await store.articles.add(GUILD_A, article, analysis, now=at(1), source_path="copy.txt")
    assert not again.created
    assert again.article.source_path == path

    linked = await store.articles.add(GUILD_A, *make_pair(2), now=at(2))
    assert linked.article.source_path is None
