"""Story ranking: sources, recency and centrality count, and so does diplomatic weight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.analysis import Country
from bot.domain.articles import ArticleLead
from bot.domain.stories import StoryCluster
from bot.domain.window import Window
from bot.nlp.diplomacy import diplomatic_salience
from bot.nlp.stories import rank_stories

NOW = datetime(2024, 6, 12, 18, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(days=1), NOW)
GB = Country("GB", "United Kingdom", 3)

# Written for these tests: leads of domestic stories and of a two-country summit.
DOMESTIC = (
    "Council tax bills in England will rise by up to five percent from April, ministers said, "
    "as local councils warned of cuts to libraries and bin collections.",
    "Labour MPs called for an inquiry into hospital waiting lists after figures showed a record "
    "number of patients waiting more than a year for routine operations.",
    "Rail fares in Britain will go up again in March, the transport secretary confirmed, "
    "angering commuter groups who say services have not improved.",
    "The Home Office said a new police recruitment drive would put extra officers on the streets "
    "of every county by the end of the year.",
)
SUMMIT = (
    "Japanese Prime Minister Haruto Sato and South Korean President Park Min-jun agreed on "
    "Tuesday to restart regular security talks between Japan and South Korea."
)


def lead(
    index: int,
    text: str,
    countries: tuple[Country, ...],
    *,
    co_mentions: int = 0,
    site: str | None = None,
    hours_ago: float = 2,
) -> ArticleLead:
    return ArticleLead(
        id=index,
        title=None,
        url=f"https://{site or f'site{index}'}.example/{index}",
        site_name=site or f"Outlet {index}",
        added_at=NOW - timedelta(hours=hours_ago),
        lead=text,
        text_length=len(text),
        countries=countries,
        names=(),
        co_mention_sentences=co_mentions,
    )


def test_a_summit_in_two_sources_outranks_domestic_stories_in_three() -> None:
    leads: list[ArticleLead] = []
    clusters: list[StoryCluster] = []
    for text in DOMESTIC:
        members = []
        for outlet in range(3):
            members.append(len(leads))
            leads.append(lead(len(leads), text, (GB,), site=f"paper{outlet}", hours_ago=1))
        clusters.append(StoryCluster(tuple(members), tuple((m,) for m in members)))
    summit_countries = (Country("JP", "Japan", 4), Country("KR", "South Korea", 4))
    summit = []
    for outlet in range(2):
        summit.append(len(leads))
        leads.append(
            lead(
                len(leads),
                SUMMIT,
                summit_countries,
                co_mentions=2,
                site=f"wire{outlet}",
                hours_ago=3,
            )
        )
    clusters.append(StoryCluster(tuple(summit), tuple((m,) for m in summit)))
    ranked = rank_stories(leads, clusters, until=NOW, window=WINDOW)
    assert ranked[0][0] == clusters[-1]


def test_many_more_sources_still_win_over_diplomatic_weight() -> None:
    """Salience is one term among others: a domestic story told ten times still leads."""
    leads = [lead(i, DOMESTIC[0], (GB,), site=f"paper{i}") for i in range(10)]
    big = StoryCluster(tuple(range(10)), tuple((i,) for i in range(10)))
    countries = (Country("JP", "Japan", 4), Country("KR", "South Korea", 4))
    leads.append(lead(10, SUMMIT, countries, co_mentions=2))
    summit = StoryCluster((10,), ((10,),))
    ranked = rank_stories(leads, [summit, big], until=NOW, window=WINDOW)
    assert ranked[0][0] == big


def test_salience_counts_countries_leaders_and_institutions() -> None:
    domestic = lead(0, DOMESTIC[1], (GB,))
    summit = lead(
        1, SUMMIT, (Country("JP", "Japan", 4), Country("KR", "South Korea", 4)), co_mentions=2
    )
    assert diplomatic_salience([domestic]) == 0.0
    assert diplomatic_salience([summit]) > 0.5
    at_the_un = lead(2, "The UN Security Council met on Monday.", (GB,))
    assert diplomatic_salience([at_the_un]) > 0.0
    # "un" in ordinary words is no organisation; acronyms are matched as written.
    assert diplomatic_salience([lead(3, "An unusual and unknown fun fair.", (GB,))]) == 0.0
