"""Articles and analyses: round trip, dedupe, guild isolation, cascade, briefing windows."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from storage_synthetic import assert_every_article_is_whole, at, make_pair, padded

from bot.domain.articles import ArticleOrigin
from bot.domain.scope import CONSOLE_SCOPE as CONSOLE
from bot.domain.window import Window
from storage import SqliteStore, Store

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222


async def test_analysis_round_trips_exactly(store: Store) -> None:
    article, analysis = make_pair(1)
    result = await store.articles.add(GUILD_A, article, analysis, added_by=42, now=at(0))

    assert result.created
    stored = result.article
    assert stored.scope == GUILD_A
    assert stored.title == article.title
    assert stored.url == article.url
    assert stored.canonical_url == article.url
    assert stored.text == article.text
    assert stored.byline == "Staff reporter"
    assert stored.site_name == "The Invented Herald"
    assert stored.published == "2026-03-01"
    assert stored.added_by == 42
    assert stored.added_at == at(0)
    assert stored.added_at.tzinfo is not None
    assert stored.summary_method == "lead"
    assert stored.summary == analysis.summary.sentences
    assert stored.to_extracted() == article

    assert await store.articles.analysis(GUILD_A, stored.id) == analysis
    assert await store.articles.get(GUILD_A, stored.id) == stored


async def test_times_in_other_zones_are_stored_as_utc(store: Store) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 3, 1, 11, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    result = await store.articles.add(GUILD_A, *make_pair(1), now=local)
    assert result.article.added_at == local
    assert result.article.added_at.tzinfo == UTC


async def test_naive_time_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        await store.articles.add(GUILD_A, *make_pair(1), now=datetime(2026, 3, 1))
    assert await store.articles.count(GUILD_A) == 0


async def test_empty_analysis_round_trips(store: Store) -> None:
    article, analysis = make_pair(1)
    bare = replace(
        analysis,
        entities=(),
        countries=(),
        quotes=(),
        country_mentions=(),
        sentence_spans=(),
        summary=replace(analysis.summary, sentences=(), sentence_indices=()),
    )
    result = await store.articles.add(
        CONSOLE, replace(article, url=None, title=None), bare, now=at(0)
    )
    assert result.article.url is None and result.article.summary == ()
    assert await store.articles.analysis(CONSOLE, result.article.id) == bare


async def test_same_article_under_a_url_variant_is_not_stored_twice(store: Store) -> None:
    article, analysis = make_pair(1, url="https://news.example.org/fisheries/1")
    first = await store.articles.add(GUILD_A, article, analysis, now=at(0))

    variant = replace(
        article,
        url="HTTPS://NEWS.example.org:443/fisheries/1/?utm_source=feed#top",
        text=article.text + " Updated later.",
    )
    second = await store.articles.add(GUILD_A, variant, analysis, now=at(5))

    assert not second.created
    assert second.article == first.article
    assert await store.articles.count(GUILD_A) == 1
    found = await store.articles.find_by_url(
        GUILD_A, "https://news.example.org/fisheries/1?fbclid=z"
    )
    assert found == first.article


async def test_same_text_under_another_url_is_not_stored_twice(store: Store) -> None:
    article, analysis = make_pair(1)
    first = await store.articles.add(GUILD_A, article, analysis, now=at(0))
    mirror = replace(
        article,
        url="https://mirror.example.net/copy",
        text="  " + article.text.upper().replace(" ", "\n  "),
    )
    second = await store.articles.add(GUILD_A, mirror, analysis, now=at(1))
    assert not second.created
    assert second.article.id == first.article.id
    pasted = await store.articles.add(GUILD_A, replace(article, url=None), analysis, now=at(2))
    assert not pasted.created
    assert await store.articles.count(GUILD_A) == 1


async def test_console_articles_dedupe_too(store: Store) -> None:
    article, analysis = make_pair(1, url=None)
    assert (await store.articles.add(CONSOLE, article, analysis, now=at(0))).created
    assert not (await store.articles.add(CONSOLE, article, analysis, now=at(1))).created
    assert await store.articles.count(CONSOLE) == 1


async def test_same_article_in_two_guilds_is_two_rows(store: Store) -> None:
    article, analysis = make_pair(1)
    in_a = await store.articles.add(GUILD_A, article, analysis, now=at(0))
    in_b = await store.articles.add(GUILD_B, article, analysis, now=at(1))
    in_console = await store.articles.add(CONSOLE, article, analysis, now=at(2))
    assert in_a.created and in_b.created and in_console.created
    assert len({in_a.article.id, in_b.article.id, in_console.article.id}) == 3
    assert await store.articles.count(GUILD_A) == 1
    assert await store.articles.count(GUILD_B) == 1
    assert await store.articles.count(CONSOLE) == 1


async def test_nothing_in_guild_a_is_visible_from_guild_b_or_the_console(store: Store) -> None:
    article, analysis = make_pair(1, topic="sanctions")
    stored = (await store.articles.add(GUILD_A, article, analysis, now=at(0))).article
    speaker = analysis.quotes[0].speaker
    assert speaker is not None

    for other in (GUILD_B, CONSOLE):
        assert await store.articles.get(other, stored.id) is None
        assert await store.articles.find_by_url(other, stored.url or "") is None
        assert await store.articles.analysis(other, stored.id) is None
        assert await store.articles.analyses(other, [stored.id]) == {}
        assert await store.articles.newest(other, limit=10) == []
        assert await store.articles.count(other) == 0
        assert (await store.search.search(other, "sanctions")).total == 0
        assert await store.quotes.find(other) == []
        assert await store.quotes.find(other, speaker=speaker) == []
        assert await store.quotes.find(other, article_id=stored.id) == []
        assert await store.quotes.speakers(other, "") == []
        assert await store.articles.leads(other, Window(at(-60), at(60))) == []
        assert not await store.articles.remove(other, stored.id)

    # Guild A still has everything, untouched by the attempts above.
    assert await store.articles.get(GUILD_A, stored.id) == stored
    assert (await store.search.search(GUILD_A, "sanctions")).total == 1
    assert len(await store.quotes.find(GUILD_A, speaker=speaker)) == 2
    assert await store.quotes.speakers(GUILD_A, "") == [speaker]


async def test_list_articles_newest_first_with_paging(store: Store) -> None:
    for number in range(5):
        await store.articles.add(GUILD_A, *make_pair(number), now=at(number))
    newest = await store.articles.newest(GUILD_A, limit=2)
    assert [a.title for a in newest] == [
        "Fisheries talks stall, part 4",
        "Fisheries talks stall, part 3",
    ]
    rest = await store.articles.newest(GUILD_A, limit=10, offset=2)
    assert [a.added_at for a in rest] == [at(2), at(1), at(0)]
    assert all(a.summary for a in rest)
    assert await store.articles.count(GUILD_A) == 5


async def test_a_window_is_half_open_and_chronological(store: Store) -> None:
    for number in range(6):
        await store.articles.add(GUILD_A, *make_pair(number), now=at(number * 60))
    window = await store.articles.leads(GUILD_A, Window(at(60), at(240)))
    assert [a.added_at for a in window] == [at(60), at(120), at(180)]

    stored = await store.articles.get_many(GUILD_A, [a.id for a in window])
    analyses = await store.articles.analyses(GUILD_A, [a.id for a in window] + [999_999])
    assert set(analyses) == {a.id for a in window}
    for article in stored:
        assert analyses[article.id].summary.sentences == article.summary


async def test_remove_cascades_to_analysis_quotes_and_search(
    sqlite_store: Store, db_path: Path
) -> None:
    store = sqlite_store
    article, analysis = make_pair(1, topic="sanctions")
    stored = (await store.articles.add(GUILD_A, article, analysis, now=at(0))).article
    keep = (await store.articles.add(GUILD_A, *make_pair(2, topic="sanctions"), now=at(1))).article

    assert await store.articles.remove(GUILD_A, stored.id)
    assert not await store.articles.remove(GUILD_A, stored.id)

    assert await store.articles.get(GUILD_A, stored.id) is None
    assert await store.articles.analysis(GUILD_A, stored.id) is None
    assert await store.quotes.find(GUILD_A, article_id=stored.id) == []
    page = await store.search.search(GUILD_A, "sanctions")
    assert [hit.article_id for hit in page.hits] == [keep.id]
    with sqlite3.connect(db_path) as conn:
        for table in (
            "summary_sentences",
            "entities",
            "entity_aliases",
            "countries",
            "country_mentions",
            "sentences",
            "quotes",
        ):
            count = conn.execute(
                f"SELECT count(*) FROM {table} WHERE article_id = ?", (stored.id,)
            ).fetchone()[0]
            assert count == 0, table
        # The FTS index agrees with its content table.
        conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
    # A removed article can be added again.
    assert (await store.articles.add(GUILD_A, article, analysis, now=at(2))).created


async def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    article, analysis = make_pair(1)
    # A quote without text makes the INSERT fail after the article row was written.
    no_text = replace(analysis.quotes[0], text=None)  # type: ignore[arg-type]
    broken = replace(analysis, quotes=(no_text,))
    with pytest.raises((sqlite3.IntegrityError, asyncpg.NotNullViolationError)):
        await store.articles.add(GUILD_A, article, broken, now=at(0))
    assert await store.articles.count(GUILD_A) == 0
    assert (await store.search.search(GUILD_A, "fisheries")).total == 0
    assert (await store.articles.add(GUILD_A, article, analysis, now=at(1))).created


async def test_transaction_groups_several_calls(store: Store) -> None:
    with pytest.raises(RuntimeError, match="changed my mind"):
        async with store.transaction():
            await store.articles.add(GUILD_A, *make_pair(1), now=at(0))
            await store.channels.set_autosummary(GUILD_A, 7, True)
            raise RuntimeError("changed my mind")
    assert await store.articles.count(GUILD_A) == 0
    assert not await store.channels.autosummary_enabled(GUILD_A, 7)

    async with store.transaction():
        await store.articles.add(GUILD_A, *make_pair(1), now=at(0))
        await store.channels.set_autosummary(GUILD_A, 7, True)
    assert await store.articles.count(GUILD_A) == 1
    assert await store.channels.autosummary_enabled(GUILD_A, 7)


async def test_autosummary_settings_per_channel_and_guild(store: Store) -> None:
    assert not await store.channels.autosummary_enabled(GUILD_A, 10)
    await store.channels.set_autosummary(GUILD_A, 10, True)
    await store.channels.set_autosummary(GUILD_A, 11, True)
    await store.channels.set_autosummary(GUILD_A, 11, False)
    await store.channels.set_autosummary(GUILD_B, 12, True)
    assert await store.channels.autosummary_enabled(GUILD_A, 10)
    assert not await store.channels.autosummary_enabled(GUILD_A, 11)
    assert not await store.channels.autosummary_enabled(GUILD_B, 10)
    assert await store.channels.autosummary_channels(GUILD_A) == [10]
    assert await store.channels.autosummary_channels(GUILD_B) == [12]


async def test_data_survives_reopening(db_path: Path) -> None:
    article, analysis = make_pair(3)
    async with await SqliteStore.open(db_path) as store:
        stored = (await store.articles.add(GUILD_A, article, analysis, now=at(0))).article
    async with await SqliteStore.open(db_path) as store:
        assert await store.articles.get(GUILD_A, stored.id) == stored
        assert await store.articles.analysis(GUILD_A, stored.id) == analysis


async def test_inner_failure_rolls_back_to_its_savepoint_only(store: Store) -> None:
    async with store.transaction():
        await store.articles.add(GUILD_A, *make_pair(1), now=at(0))
        with pytest.raises(RuntimeError):
            async with store.transaction():
                await store.articles.add(GUILD_A, *make_pair(2), now=at(1))
                raise RuntimeError("drop the second one")
        await store.channels.set_autosummary(GUILD_A, 3, True)
    assert [a.title for a in await store.articles.newest(GUILD_A, limit=5)] == [
        "Fisheries talks stall, part 1"
    ]
    assert await store.channels.autosummary_enabled(GUILD_A, 3)


async def test_cancelled_add_leaves_a_whole_article_or_none(
    sqlite_store: Store, db_path: Path
) -> None:
    store = sqlite_store
    padding = 3000
    for attempt, delay in enumerate((0.0, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.05)):
        article, analysis = make_pair(attempt)
        task = asyncio.create_task(
            store.articles.add(GUILD_A, article, padded(analysis, padding), now=at(attempt))
        )
        await asyncio.sleep(delay)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # The store is still usable after every cancel.
        await store.articles.count(GUILD_A)
    assert_every_article_is_whole(db_path, padding=padding)
    assert (await store.articles.add(GUILD_A, *make_pair(100), now=at(100))).created


async def test_pasted_text_is_never_found_by_the_link_it_was_given(store: Store) -> None:
    claimed = "https://news.example.org/fisheries/1?utm_source=chat"
    forged, analysis = make_pair(1, url=claimed)
    pasted = await store.articles.add(
        GUILD_A, forged, analysis, added_by=7, now=at(0), origin=ArticleOrigin.PASTED
    )
    assert pasted.created
    assert pasted.article.origin == ArticleOrigin.PASTED and pasted.article.pasted
    assert (pasted.article.url, pasted.article.canonical_url) == (None, None)
    assert pasted.article.given_url == claimed
    for variant in (claimed, "https://news.example.org/fisheries/1"):
        assert await store.articles.find_by_url(GUILD_A, variant) is None

    # The real page at that link is its own article, under its URL.
    page, page_analysis = make_pair(2, url="https://news.example.org/fisheries/1")
    fetched = await store.articles.add(GUILD_A, page, page_analysis, now=at(1))
    assert fetched.created and fetched.article.id != pasted.article.id
    assert await store.articles.find_by_url(GUILD_A, claimed) == fetched.article
    await store.articles.remember_url(GUILD_A, "https://elsewhere.example/x", pasted.article.id)
    assert await store.articles.find_by_url(GUILD_A, "https://elsewhere.example/x") is None


async def test_a_fetched_page_with_a_pasted_articles_text_confirms_it(store: Store) -> None:
    article, analysis = make_pair(3, url="https://e.example/claimed", title="Made-up title")
    pasted = await store.articles.add(
        GUILD_A, article, analysis, added_by=7, now=at(0), origin=ArticleOrigin.PASTED
    )
    page = replace(article, url="https://e.example/real", title="The page's own title")
    again = await store.articles.add(
        GUILD_A, page, analysis, now=at(1), also_known_as=["https://e.example/real?ref=x"]
    )
    assert not again.created and again.article.id == pasted.article.id
    confirmed = again.article
    assert confirmed.origin == ArticleOrigin.FETCHED
    assert (confirmed.url, confirmed.title) == ("https://e.example/real", "The page's own title")
    assert confirmed.added_by == 7
    assert await store.articles.find_by_url(GUILD_A, "https://e.example/real") == confirmed
    assert await store.articles.find_by_url(GUILD_A, "https://e.example/claimed") is None


async def test_a_cut_article_remembers_how_long_it_was(store: Store) -> None:
    article, analysis = make_pair(4)
    added = await store.articles.add(
        GUILD_A, replace(article, cut_from=935_000), analysis, now=at(0)
    )
    assert added.article.cut_from == 935_000
    assert (await store.articles.get(GUILD_A, added.article.id)) == added.article


@pytest.mark.parametrize("article_id", [0, -1, 2**63, 10**20])
async def test_an_id_no_article_can_have_is_simply_absent(store: Store, article_id: int) -> None:
    await store.articles.add(GUILD_A, *make_pair(1), now=at(0))
    assert await store.articles.get(GUILD_A, article_id) is None
    assert await store.articles.remove(GUILD_A, article_id) is False
    assert await store.quotes.find(GUILD_A, article_id=article_id) == []
    assert await store.articles.analysis(GUILD_A, article_id) is None
