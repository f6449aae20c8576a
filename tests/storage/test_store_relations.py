"""Store.country_sentences: the sentences naming a country in one guild's window, nothing else."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.domain.analysis import Analysis, CountryMention, Summary
from bot.domain.articles import ExtractedArticle
from bot.domain.scope import CONSOLE_SCOPE as CONSOLE
from bot.domain.window import Window
from storage import Store

NOW = datetime(2024, 6, 12, 18, 0, tzinfo=UTC)
GUILD = 11
OTHER_GUILD = 12

# Written for these tests.
TALKS = (
    "Brazil and Argentina signed a grain deal on Monday.\n"
    "Officials in Buenos Aires praised it.\n"
    "Brazil also invited Chile and Argentina to a follow-up meeting in Brasilia."
)
NAMES = {"Brazil": "BR", "Argentina": "AR", "Buenos Aires": "AR", "Chile": "CL", "Brasilia": "BR"}


def analysed(text: str, *, with_spans: bool = True) -> Analysis:
    """A hand-made analysis: one sentence per line, countries found by name."""
    spans = []
    offset = 0
    for line in text.split("\n"):
        spans.append((offset, offset + len(line)))
        offset += len(line) + 1
    mentions = []
    for index, (start, end) in enumerate(spans):
        for name, code in NAMES.items():
            for match in re.finditer(re.escape(name), text[start:end]):
                found = start + match.start()
                mentions.append(CountryMention(code, name, found, found + len(name), index))
    return Analysis(
        summary=Summary("lead", ()),
        entities=(),
        countries=(),
        quotes=(),
        country_mentions=tuple(mentions),
        sentence_spans=tuple(spans) if with_spans else (),
    )


async def add(
    store: Store,
    guild_id: int,
    text: str,
    when: datetime,
    *,
    title: str | None = "Grain deal",
    with_spans: bool = True,
) -> int:
    added = await store.articles.add(
        guild_id,
        ExtractedArticle(text=text, title=title),
        analysed(text, with_spans=with_spans),
        now=when,
    )
    return added.article.id


async def test_sentences_naming_the_country_with_their_other_countries(store: Store) -> None:
    article_id = await add(store, GUILD, TALKS, NOW - timedelta(hours=1))
    found = await store.articles.country_sentences(
        GUILD, "BR", Window(NOW - timedelta(days=7), NOW)
    )
    assert [(s.article_id, s.sentence_index) for s in found] == [(article_id, 0), (article_id, 2)]
    assert found[0].text == "Brazil and Argentina signed a grain deal on Monday."
    assert set(found[0].codes) == {"BR", "AR"}
    assert found[1].text.startswith("Brazil also invited Chile")
    assert set(found[1].codes) == {"BR", "CL", "AR"}  # Brasilia counts once: one code per country
    assert found[0].title == "Grain deal" and found[0].opening == ""


async def test_other_guilds_and_the_console_are_not_seen(store: Store) -> None:
    await add(store, OTHER_GUILD, TALKS, NOW - timedelta(hours=1))
    await add(store, CONSOLE, TALKS + "\nBrazil thanked Chile.", NOW - timedelta(hours=1))
    since = NOW - timedelta(days=7)
    assert await store.articles.country_sentences(GUILD, "BR", Window(since, NOW)) == []
    assert len(await store.articles.country_sentences(CONSOLE, "BR", Window(since, NOW))) == 3
    assert len(await store.articles.country_sentences(OTHER_GUILD, "BR", Window(since, NOW))) == 2


async def test_the_window_excludes_old_and_future_articles(store: Store) -> None:
    await add(store, GUILD, TALKS, NOW - timedelta(days=8))
    await add(store, GUILD, TALKS + "\nChile agreed.", NOW + timedelta(minutes=1))
    assert (
        await store.articles.country_sentences(GUILD, "BR", Window(NOW - timedelta(days=7), NOW))
        == []
    )


async def test_untitled_articles_and_articles_without_spans(store: Store) -> None:
    text = "  " + TALKS.replace("\n", "  \n")
    await add(store, GUILD, text, NOW - timedelta(hours=1), title=None, with_spans=False)
    found = await store.articles.country_sentences(
        GUILD, "CL", Window(NOW - timedelta(days=7), NOW)
    )
    assert [s.text for s in found] == [TALKS.split("\n")[2]]
    assert found[0].title is None
    assert found[0].opening.startswith("Brazil and Argentina signed")


async def test_leads_count_the_sentences_naming_two_countries(store: Store) -> None:
    await add(store, GUILD, TALKS, NOW - timedelta(hours=1))
    # Sentence 0 names Brazil and Argentina, sentence 1 only Argentina, sentence 2 three.
    [lead] = await store.articles.leads(GUILD, Window(NOW - timedelta(days=1), NOW))
    assert lead.co_mention_sentences == 2
