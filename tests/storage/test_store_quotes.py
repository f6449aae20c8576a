"""Quotes by speaker and speaker autocomplete."""

from __future__ import annotations

from dataclasses import replace

from storage_synthetic import at, make_pair

from storage import Store

GUILD = 444


async def test_find_quotes_by_speaker_any_case_and_part(store: Store) -> None:
    for number in range(8):  # speakers cycle through four invented people
        await store.articles.add(GUILD, *make_pair(number), now=at(number))

    okafor = await store.quotes.find(GUILD, speaker="OKAFOR")
    assert len(okafor) == 4
    assert {q.speaker for q in okafor} == {"Amara Okafor"}
    # Newest article first; within an article, text order.
    assert [q.article_title for q in okafor] == [
        "Fisheries talks stall, part 4",
        "Fisheries talks stall, part 4",
        "Fisheries talks stall, part 0",
        "Fisheries talks stall, part 0",
    ]
    first = okafor[0]
    assert first.text.startswith("We will not sign")
    assert first.title == "Foreign Minister" and first.cue == "said" and not first.partial
    assert okafor[1].partial and okafor[1].cue == "added"
    assert first.article_url == "https://news.example.org/fisheries/4"

    assert len(await store.quotes.find(GUILD, speaker="ñúñez")) == 4  # beyond ASCII
    assert await store.quotes.find(GUILD, speaker="nobody") == []
    assert len(await store.quotes.find(GUILD, limit=3)) == 3


async def test_find_quotes_of_one_article(store: Store) -> None:
    stored = (await store.articles.add(GUILD, *make_pair(1), now=at(0))).article
    await store.articles.add(GUILD, *make_pair(2), now=at(1))
    quotes = await store.quotes.find(GUILD, article_id=stored.id)
    assert [q.article_id for q in quotes] == [stored.id, stored.id]


async def test_quote_speakers_complete_by_name_or_word_prefix(store: Store) -> None:
    for number in range(6):
        await store.articles.add(GUILD, *make_pair(number), now=at(number))
    article, analysis = make_pair(99)
    unattributed = replace(analysis, quotes=(replace(analysis.quotes[0], speaker=None),))
    await store.articles.add(GUILD, article, unattributed, now=at(99))

    # Okafor (numbers 0, 4) and Brandt (1, 5) have 4 quotes; the others 2.
    assert await store.quotes.speakers(GUILD, "") == [
        "Amara Okafor",
        "Lena Brandt",
        "José Ñúñez",
        "Wen Jiabao-Li",
    ]
    assert await store.quotes.speakers(GUILD, "bra") == ["Lena Brandt"]
    assert await store.quotes.speakers(GUILD, "AM") == ["Amara Okafor"]
    assert await store.quotes.speakers(GUILD, "ñú") == ["José Ñúñez"]
    assert await store.quotes.speakers(GUILD, "li") == ["Wen Jiabao-Li"]
    assert await store.quotes.speakers(GUILD, "kafor") == []  # not a word start
    assert await store.quotes.speakers(GUILD, "%") == []
    assert await store.quotes.speakers(GUILD, "_") == []
    assert await store.quotes.speakers(GUILD, "", limit=1) == ["Amara Okafor"]
