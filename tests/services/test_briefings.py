"""The briefing service: stories told once across sources, ranked and filtered; relations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from spacy.language import Language

from bot.analysis import AnalysisRequest, ThreadAnalyzer, run_request
from bot.domain.analysis import Country
from bot.domain.articles import ArticleLead, CountrySentence, StoredArticle
from bot.domain.errors import UnknownCountryError, UserFacingError
from bot.domain.stories import Briefing, BriefingQuery, LoadedArticle, Relations, Story
from bot.domain.window import Window
from bot.nlp.country_lookup import resolve_country
from bot.nlp.relations import relations_from_sentences
from bot.nlp.stories import article_source, cluster_stories
from bot.nlp.text_filters import without_dateline
from bot.render.json import briefing_json
from bot.services.briefings import BriefingService
from storage import SqliteStore, Store
from tests.conftest import SEED, shared_path

GUILD = 7
NOW = datetime(2024, 6, 12, 18, 0, tzinfo=UTC)

# Written for these tests: one summit told by two outlets in their own words, a wire copy of
# the first with small edits, and an unrelated farm story on the same day.
SUMMIT_COURIER = """\
Japan and South Korea agree to restart security talks
Japanese Prime Minister Haruto Sato and South Korean President Park Min-jun agreed on Tuesday \
to restart regular security talks, ending a freeze that had lasted almost two years.
The two leaders met for three hours in Tokyo and said their defence ministers would meet before \
the end of the summer to discuss missile warnings and a military hotline.
"We cannot afford silence between neighbours when missiles fly over our heads," Mr. Sato said \
at a joint news conference after the summit.
Mr. Park said Seoul would also lift its remaining restrictions on Japanese seafood imports, a \
gesture that Tokyo had requested for months.
The summit comes after North Korea launched two ballistic missiles into the sea last week, \
alarming both governments.
Analysts in Seoul said the agreement was the most concrete step toward cooperation between the \
neighbours in a decade.
"""

SUMMIT_HERALD = """\
Tokyo summit thaws relations between Seoul and Tokyo
South Korea's President Park Min-jun flew to Tokyo on Tuesday for a summit with Prime Minister \
Haruto Sato, and the pair announced that security talks between their countries would resume.
Regular dialogue between the defence ministries had been frozen for nearly two years over \
disputes about wartime history.
Under the deal, defence ministers from Japan and South Korea will meet this summer and the \
militaries will set up a hotline to share warnings about North Korean missile launches.
"This is the beginning of a new chapter for our two peoples," Mr. Park told reporters in Tokyo.
Seoul also promised to scrap its last curbs on seafood from Japan, which Tokyo has long sought.
North Korea fired two ballistic missiles into the sea last week, adding urgency to the meeting.
"""

# The Courier's report as a wire service sent it to another paper: same text, small edits.
SUMMIT_WIRE_COPY = (
    SUMMIT_COURIER.replace("on Tuesday", "on Tuesday in Tokyo")
    .replace("almost two years", "nearly two years")
    .replace(
        "Analysts in Seoul said the agreement was the most concrete step toward cooperation "
        "between the neighbours in a decade.\n",
        "",
    )
)

SOYBEAN_FARMERS = """\
Brazilian farmers block highways over soybean export tax
Thousands of soybean farmers in Brazil blocked highways in Mato Grosso on Tuesday to protest a \
proposed tax on grain exports that they say will make their crops unprofitable.
Tractors and lorries lined the main roads to the river ports, and truck drivers said queues \
stretched for more than forty kilometres.
Agriculture Minister Lucia Ferreira said the government was open to talks but would not \
withdraw the tax, which is meant to fund rural roads.
"Farmers are being asked to pay for roads that they already pay for with their fuel," said \
Marcos Oliveira, who leads the state growers' association.
Traders in Argentina said buyers in China had already started asking for Argentine soybeans \
instead, in case the blockades delay shipments from Brazil.
The protest is expected to continue until the congress votes on the tax next month.
"""

OLD_RAIL_STRIKE = """\
Rail workers in France strike over pension changes
Rail workers across France walked off the job on Monday to protest a plan to raise the \
retirement age for train drivers, halting most trains between Paris and Lyon.
Union leader Claire Dubois said the strike would last at least three days unless the transport \
ministry withdrew the plan.
"We will not let the government take two more years of our lives," Ms. Dubois told a rally \
outside the Gare de Lyon in Paris.
Commuters in Paris crowded onto buses and the metro, and several airports reported busy \
check-in desks as travellers switched from trains to planes.
"""


async def add(
    store: Store,
    nlp: Language,
    text: str,
    *,
    url: str | None,
    when: datetime,
    guild_id: int = GUILD,
) -> StoredArticle:
    """Analyse with the real pipeline and store, as the article service would."""
    result = run_request(nlp, AnalysisRequest(data=text, name=url or "text", url=url))
    added = await store.articles.add(guild_id, result.article, result.analysis, now=when)
    return added.article


ANALYZER = ThreadAnalyzer(None)  # the pure story functions run in a thread here, as in the CLI


async def brief(
    store: Store,
    *,
    days: int = 1,
    topic: str | None = None,
    country: str | None = None,
    stories: int = 5,
    sentences: int = 3,
    now: datetime = NOW,
    scope: int = GUILD,
) -> Briefing:
    """The briefing service's answer for the last `days` days, as /brief asks it."""
    service = BriefingService(store, ANALYZER, lambda: now)
    query = BriefingQuery(service.last_days(days), topic, country, stories, sentences)
    return await service.brief(scope, query)


async def relations_of(store: Store, country: str, *, days: int = 7) -> Relations:
    service = BriefingService(store, ANALYZER, lambda: NOW)
    return await service.relations(GUILD, country, service.last_days(days))


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    opened = await SqliteStore.open(tmp_path / "briefing.sqlite")
    yield opened  # type: ignore[misc]
    await opened.close()


@pytest.fixture
async def same_day_news(store: Store, nlp: Language) -> Store:
    """The summit by two outlets plus a wire copy, the farm protest, and an older strike."""
    await add(
        store,
        nlp,
        SUMMIT_COURIER,
        url="https://courier.example/summit",
        when=NOW - timedelta(hours=6),
    )
    await add(
        store,
        nlp,
        SUMMIT_HERALD,
        url="https://herald.example/world/tokyo-summit",
        when=NOW - timedelta(hours=5),
    )
    await add(
        store,
        nlp,
        SUMMIT_WIRE_COPY,
        url="https://gazette.example/asia/summit",
        when=NOW - timedelta(hours=4),
    )
    await add(
        store,
        nlp,
        SOYBEAN_FARMERS,
        url="https://farmweekly.example/soy",
        when=NOW - timedelta(hours=3),
    )
    await add(
        store,
        nlp,
        OLD_RAIL_STRIKE,
        url="https://courier.example/rail",
        when=NOW - timedelta(days=3),
    )
    return store


def story_with(briefing: Briefing, url: str) -> Story:
    matches = [s for s in briefing.stories if any(src.url == url for src in s.sources)]
    assert len(matches) == 1, [s.title for s in briefing.stories]
    return matches[0]


def urls(story: Story) -> set[str | None]:
    return {source.url for source in story.sources}


async def test_two_outlets_and_a_wire_copy_are_one_story(same_day_news: Store) -> None:
    briefing = await brief(same_day_news, days=1)
    summit = story_with(briefing, "https://courier.example/summit")
    assert urls(summit) == {
        "https://courier.example/summit",
        "https://herald.example/world/tokyo-summit",
        "https://gazette.example/asia/summit",
    }
    # The wire copy is the Courier's report again: three links, two distinct reports.
    assert summit.reports == 2
    # The summit outranks the single-source farm story.
    assert briefing.stories[0] == summit


async def test_different_stories_on_the_same_day_stay_apart(same_day_news: Store) -> None:
    briefing = await brief(same_day_news, days=1)
    farm = story_with(briefing, "https://farmweekly.example/soy")
    assert urls(farm) == {"https://farmweekly.example/soy"}
    assert len(briefing.stories) == 2


async def test_story_names_countries_people_quote_and_summary(same_day_news: Store) -> None:
    briefing = await brief(same_day_news, days=1)
    summit = story_with(briefing, "https://courier.example/summit")
    codes = [c.code for c in summit.countries]
    assert {"JP", "KR"} <= set(codes[:3])
    assert {"Haruto Sato", "Park Min-jun"} <= set(summit.people)
    assert summit.quote is not None
    assert summit.quote.speaker in {"Haruto Sato", "Park Min-jun"}
    assert 1 <= len(summit.summary) <= 3
    # Told once: no two summary sentences are copies of each other.
    assert len({s.casefold() for s in summit.summary}) == len(summit.summary)
    for sentence in summit.summary:
        assert any(sentence in text for text in (SUMMIT_COURIER, SUMMIT_HERALD, SUMMIT_WIRE_COPY))


async def test_summary_does_not_repeat_the_wire_copy(same_day_news: Store) -> None:
    briefing = await brief(same_day_news, days=1, sentences=6)
    summit = story_with(briefing, "https://courier.example/summit")
    opening = [s for s in summit.summary if "agreed on Tuesday" in s]
    assert len(opening) <= 1


async def test_same_article_under_two_urls_counts_once(store: Store, nlp: Language) -> None:
    await add(
        store,
        nlp,
        SUMMIT_COURIER,
        url="https://courier.example/summit",
        when=NOW - timedelta(hours=2),
    )
    await add(
        store,
        nlp,
        SUMMIT_COURIER,
        url="https://mirror.example/summit?ref=feed",
        when=NOW - timedelta(hours=1),
    )
    briefing = await brief(store, days=1)
    assert len(briefing.stories) == 1
    assert briefing.stories[0].reports == 1
    assert len(briefing.stories[0].sources) == 1


async def test_time_window_leaves_out_older_articles(same_day_news: Store) -> None:
    day = await brief(same_day_news, days=1)
    assert not any("rail" in (s.url or "") for story in day.stories for s in story.sources)
    week = await brief(same_day_news, days=7)
    assert any("rail" in (s.url or "") for story in week.stories for s in story.sources)


async def test_empty_window_gives_an_empty_briefing(store: Store) -> None:
    briefing = await brief(store, days=1)
    assert briefing.stories == ()
    assert briefing_json(briefing)["stories"] == []


async def test_other_guilds_articles_stay_out(store: Store, nlp: Language) -> None:
    await add(
        store,
        nlp,
        SOYBEAN_FARMERS,
        url="https://farmweekly.example/soy",
        when=NOW - timedelta(hours=1),
        guild_id=GUILD + 1,
    )
    briefing = await brief(store, days=1)
    assert briefing.stories == ()


async def test_topic_filter(same_day_news: Store) -> None:
    briefing = await brief(same_day_news, days=1, topic="soybean protest")
    assert [urls(s) for s in briefing.stories] == [{"https://farmweekly.example/soy"}]
    nothing = await brief(same_day_news, days=1, topic="volcano")
    assert nothing.stories == ()


async def test_country_filter_by_name_or_code(same_day_news: Store) -> None:
    by_name = await brief(same_day_news, days=1, country="brazil")
    assert [urls(s) for s in by_name.stories] == [{"https://farmweekly.example/soy"}]
    by_code = await brief(same_day_news, days=1, country="KR")
    assert len(by_code.stories) == 1
    assert "https://herald.example/world/tokyo-summit" in urls(by_code.stories[0])
    assert by_code.country is not None and by_code.country.name == "South Korea"


def test_country_names_resolve_to_codes() -> None:
    assert resolve_country("North Korea").code == "KP"
    assert resolve_country("china").code == "CN"
    assert resolve_country("Iran").code == "IR"
    assert resolve_country("us").code == "US"
    assert resolve_country("the United Kingdom").code == "GB"


async def test_unknown_country_is_a_clear_user_error(same_day_news: Store) -> None:
    with pytest.raises(UnknownCountryError, match="No country called 'Narnia'"):
        await brief(same_day_news, country="Narnia")
    assert issubclass(UnknownCountryError, UserFacingError)


async def test_bad_options_are_user_errors(store: Store) -> None:
    with pytest.raises(UserFacingError):
        await brief(store, days=0)
    with pytest.raises(UserFacingError):
        await brief(store, stories=0)


async def test_briefing_json_shape(same_day_news: Store) -> None:
    record = briefing_json(await brief(same_day_news, days=1))
    assert set(record) == {"since", "until", "stories"}
    story = record["stories"][0]
    assert set(story) == {"title", "summary", "countries", "people", "quote", "reports", "sources"}
    assert all(set(c) == {"code", "name"} for c in story["countries"])
    assert story["quote"] is None or set(story["quote"]) == {"text", "speaker"}
    assert all(set(s) == {"title", "url", "path"} for s in story["sources"])
    assert all(s["path"] is None for s in story["sources"])


async def test_relations_of_north_korea_in_the_seed(store: Store, nlp: Language) -> None:
    seed = SEED.read_text(encoding="utf-8")
    await add(
        store,
        nlp,
        seed,
        url="https://www.washingtontimes.com/kerry-beijing",
        when=NOW - timedelta(hours=1),
    )
    relations = await relations_of(store, "North Korea")
    assert relations.code == "KP"
    by_code = {r.code: r for r in relations.relations}
    assert {"CN", "US"} <= set(by_code)
    assert relations.relations[0].code in {"CN", "US"}
    china = by_code["CN"]
    assert china.sentences >= 2
    assert china.example in seed
    assert any(word in china.example for word in ("China", "Chinese", "Beijing"))
    assert any(word in by_code["US"].example for word in ("U.S.", "Obama", "Washington", "Kerry"))


async def test_relations_ignore_articles_outside_the_window(store: Store, nlp: Language) -> None:
    seed = SEED.read_text(encoding="utf-8")
    await add(
        store,
        nlp,
        seed,
        url="https://www.washingtontimes.com/kerry-beijing",
        when=NOW - timedelta(days=30),
    )
    relations = await relations_of(store, "KP", days=7)
    assert relations.relations == ()


def digest(article_id: int, text: str, when: datetime, url: str | None = None) -> ArticleLead:
    return ArticleLead(
        id=article_id,
        title=None,
        url=url,
        site_name=None,
        added_at=when,
        lead=text,
        text_length=len(text),
        countries=(Country("JP", "Japan", 2), Country("KR", "South Korea", 2)),
        names=("Haruto Sato", "Park Min-jun"),
    )


def test_the_same_report_weeks_apart_is_two_stories() -> None:
    """A story is an event: the same words a month later are news again, not a copy."""
    digests = [
        digest(1, SUMMIT_COURIER, NOW - timedelta(days=20)),
        digest(2, SUMMIT_COURIER + "\nUpdated.", NOW - timedelta(days=20, hours=-2)),
        digest(3, SUMMIT_COURIER, NOW),
    ]
    clusters = cluster_stories(digests)
    assert sorted(c.members for c in clusters) == [(0, 1), (2,)]
    assert all(len(c.reports) == 1 for c in clusters)


def test_a_dateline_does_not_hide_a_copy() -> None:
    digests = [
        digest(1, SUMMIT_COURIER, NOW),
        digest(2, "TOKYO (Wire) -- " + SUMMIT_COURIER, NOW),
    ]
    [cluster] = cluster_stories(digests)
    assert len(cluster.reports) == 1
    assert without_dateline("WASHINGTON (AP) -- The talks resumed on Monday in Geneva.") == (
        "The talks resumed on Monday in Geneva."
    )


def test_file_links_become_paths() -> None:
    source = article_source(digest(1, SUMMIT_COURIER, NOW, url="file:///data/feeds/summit%201.txt"))
    assert source.path == "/data/feeds/summit 1.txt"
    assert source.url is None
    assert source.title.startswith("Japan and South Korea")


async def test_a_file_ingested_from_the_command_line_is_a_source_by_its_path(
    store: Store, nlp: Language
) -> None:
    result = run_request(nlp, AnalysisRequest(data=SOYBEAN_FARMERS, name="feeds/soy.txt"))
    await store.articles.add(
        GUILD, result.article, result.analysis, now=NOW, source_path="feeds/soy.txt"
    )
    briefing = await brief(store, now=NOW + timedelta(minutes=1), days=1)
    [story] = briefing.stories
    [source] = story.sources
    assert (source.url, source.path) == (None, "feeds/soy.txt")
    assert briefing_json(briefing)["stories"][0]["sources"][0]["path"] == "feeds/soy.txt"


async def test_topic_finds_other_forms_of_its_words(same_day_news: Store) -> None:
    briefing = await brief(same_day_news, days=1, topic="protesting farmer")
    assert [urls(s) for s in briefing.stories] == [{"https://farmweekly.example/soy"}]


# --- on the shared datasets (skipped in a plain clone) ---------------------------------------


def duc_clusters(ids: Sequence[str]) -> dict[str, dict[str, object]]:
    import json

    path = shared_path("data", "human-refs", "duc2006-dev.jsonl")
    found = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["id"] in ids:
                found[record["id"]] = record
    return found


@pytest.mark.shared
async def test_duc_wire_copies_merge_and_clusters_never_mix(store: Store, nlp: Language) -> None:
    """DUC topics: reports of one event from several wires merge; other topics stay apart."""
    clusters = duc_clusters(["D0608", "D0616", "D0618"])
    cluster_of_url: dict[str, str] = {}
    minutes = 0
    for cluster_id, record in clusters.items():
        documents = record["documents"]
        titles = record["doc_titles"]
        assert isinstance(documents, list) and isinstance(titles, list)
        for index, (title, text) in enumerate(zip(titles[:8], documents[:8], strict=True)):
            url = f"https://wire{index % 3}.example/{cluster_id}/{index}"
            result = run_request(nlp, AnalysisRequest(data=text, name=url, url=url, title=title))
            await store.articles.add(
                GUILD, result.article, result.analysis, now=NOW - timedelta(minutes=minutes)
            )
            cluster_of_url[url] = cluster_id
            minutes += 1
    briefing = await brief(store, days=1, stories=10)
    assert briefing.stories_found < len(cluster_of_url)  # some reports were merged
    for story in briefing.stories:
        assert len({cluster_of_url[s.url] for s in story.sources if s.url}) == 1, story.title
    assert any(story.reports >= 2 for story in briefing.stories)


@pytest.mark.shared
async def test_bbc_politics_briefing_is_complete(store: Store, nlp: Language) -> None:
    import gzip
    import json

    path = shared_path("data", "bbc-news-summary", "bbc-news-summary.jsonl.gz")
    records = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["split"] == "dev" and record["category"] == "politics":
                records.append(record)
            if len(records) >= 12:
                break
    for minutes, record in enumerate(records):
        url = f"https://bbc.example/{record['id']}"
        text = record["text"].replace("\n\n", "\n")
        await add(store, nlp, text, url=url, when=NOW - timedelta(minutes=minutes))
    briefing = await brief(store, days=1, stories=5)
    assert len(briefing.stories) == 5
    for story in briefing.stories:
        assert story.summary and story.sources
        assert all(len(sentence.split()) >= 6 for sentence in story.summary)


def bbc_politics(count: int) -> list[dict[str, str]]:
    import gzip
    import json

    path = shared_path("data", "bbc-news-summary", "bbc-news-summary.jsonl.gz")
    records = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["split"] == "dev" and record["category"] == "politics":
                records.append(record)
            if len(records) >= count:
                break
    return records


@pytest.mark.shared
async def test_an_international_story_leads_a_day_of_domestic_politics(
    store: Store, nlp: Language
) -> None:
    """Twelve UK domestic reports and one China–North Korea–US story from two outlets (the seed
    and a trimmed copy): a diplomatic briefing opens with the international story."""
    for minutes, record in enumerate(bbc_politics(12)):
        text = record["text"].replace("\n\n", "\n")
        await add(
            store,
            nlp,
            text,
            url=f"https://bbc.example/{record['id']}",
            when=NOW - timedelta(minutes=minutes),
        )
    seed = SEED.read_text(encoding="utf-8")
    trimmed = "\n".join(seed.splitlines()[:12])
    await add(
        store, nlp, seed, url="https://www.washingtontimes.com/kerry", when=NOW - timedelta(hours=2)
    )
    await add(store, nlp, trimmed, url="https://wire.example/kerry", when=NOW - timedelta(hours=1))
    briefing = await brief(store, days=1, stories=5)
    first = briefing.stories[0]
    assert {"CN", "KP", "US"} <= {c.code for c in first.countries}
    assert {s.url for s in first.sources} == {
        "https://www.washingtontimes.com/kerry",
        "https://wire.example/kerry",
    }


@pytest.mark.shared
def test_duc_story_summaries_beat_first_sentences(nlp: Language) -> None:
    """Quality floor: the cross-source summary covers the human summaries better than leads."""
    shared_path("data", "human-refs", "duc2006-dev.jsonl")
    pytest.importorskip("rouge_score", reason="rouge-score is in the eval extras")
    from bench.eval import briefing as duc

    scorer = duc.rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    ours, leads = [], []
    for cluster in duc.load_clusters(limit=3):
        reports, docs = duc.analysed_reports(nlp, cluster)
        for system, scores in ((duc.briefing_summary, ours), (duc.first_sentences, leads)):
            summary = duc.truncate_words(system(reports, docs))
            scores.append(
                sum(scorer.score(ref, summary)["rouge1"].fmeasure for ref in cluster.references)
                / len(cluster.references)
            )
    assert sum(ours) / 3 >= 0.34
    assert sum(ours) / 3 >= sum(leads) / 3 + 0.02


async def test_relations_from_the_store_match_the_loaded_articles(
    store: Store, nlp: Language
) -> None:
    """The SQL path gives what reading every article and analysis gives, example included."""
    seed = SEED.read_text(encoding="utf-8")
    when = NOW - timedelta(hours=3)
    await add(store, nlp, seed, url="https://www.washingtontimes.com/kerry-beijing", when=when)
    await add(store, nlp, SUMMIT_COURIER, url="https://courier.example/summit", when=when)
    await add(store, nlp, SUMMIT_HERALD, url="https://herald.example/summit", when=when)
    await add(store, nlp, SUMMIT_WIRE_COPY, url=None, when=NOW - timedelta(hours=2))
    # Written for this test: no headline line, so the title comes from the opening words.
    untitled = (
        "   China and Japan held talks on fishing rights while North Korea watched, officials "
        "said on Friday after a long day of meetings in a hotel near the harbour of Busan.\n"
        "South Korea hosted the meeting, and China thanked Seoul for its help with the talks."
    )
    await add(store, nlp, untitled, url=None, when=NOW - timedelta(hours=1))
    await add(store, nlp, seed, url="https://other.example/kerry", when=when, guild_id=GUILD + 1)
    window = Window(NOW - timedelta(days=7), NOW)
    newest = await store.articles.newest(GUILD, limit=100)
    analyses = await store.articles.analyses(GUILD, [a.id for a in newest])
    loaded = [LoadedArticle(a, analyses[a.id]) for a in reversed(newest)]
    for code in ("KP", "CN", "US", "JP", "KR"):
        expected = relations_from_sentences(country_sentences_of(loaded, code), code, window)
        assert await relations_of(store, code) == expected
        assert expected.sentences > 0


def country_sentences_of(items: Sequence[LoadedArticle], code: str) -> list[CountrySentence]:
    """The sentences naming `code`, read from whole articles: what the Store's SQL must match."""
    found = []
    for item in items:
        codes_by_sentence: dict[int, dict[str, None]] = {}
        for mention in item.analysis.country_mentions:
            codes_by_sentence.setdefault(mention.sentence, {})[mention.code] = None
        text = item.article.text
        sentences = [text[start:end].strip() for start, end in item.analysis.sentence_spans]
        for index, codes in sorted(codes_by_sentence.items()):
            if code in codes:
                found.append(
                    CountrySentence(
                        article_id=item.article.id,
                        sentence_index=index,
                        text=sentences[index] if index < len(sentences) else "",
                        codes=tuple(codes),
                        title=item.article.title,
                        opening="" if item.article.title else text,
                    )
                )
    return found
