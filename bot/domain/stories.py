"""Stories told across articles, briefings of a window, and who a country deals with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.analysis import Analysis
from bot.domain.articles import StoredArticle
from bot.domain.window import Window


@dataclass(frozen=True)
class LoadedArticle:
    """A stored article with its stored analysis: what a story's summary is built from."""

    article: StoredArticle
    analysis: Analysis


@dataclass(frozen=True)
class StorySource:
    """One article that reported the story, with where to read it."""

    article_id: int
    title: str
    url: str | None
    path: str | None
    site: str | None
    added_at: datetime


@dataclass(frozen=True)
class StoryCountry:
    """A country a story involves and how many of its reports mention it."""

    code: str
    name: str
    reports: int = 0
    mentions: int = 0


@dataclass(frozen=True)
class StoryQuote:
    """One notable quotation of the story with its speaker."""

    text: str
    speaker: str
    title: str | None
    article_id: int


@dataclass(frozen=True)
class Story:
    """One event as told by one or more sources, summarised once."""

    title: str
    summary: tuple[str, ...]
    countries: tuple[StoryCountry, ...]
    people: tuple[str, ...]
    quote: StoryQuote | None
    sources: tuple[StorySource, ...]
    reports: int  # distinct reports: copies of one text (wire copies, two URLs) count once
    first_seen: datetime
    last_seen: datetime
    score: float


@dataclass(frozen=True)
class StoryCluster:
    """Indices (into the lead list) of one story's articles, grouped into distinct reports."""

    members: tuple[int, ...]
    reports: tuple[tuple[int, ...], ...]  # each group: copies of one report, longest first


@dataclass(frozen=True)
class RankedStory:
    """A cluster and its ranking score, best first in a plan."""

    cluster: StoryCluster
    score: float


@dataclass(frozen=True)
class BriefingQuery:
    """What a briefing covers and how much it shows (checked by the briefing service)."""

    window: Window
    topic: str | None = None
    country: str | None = None  # as the user typed it: a name or an ISO code
    stories: int = 5
    sentences: int = 3


@dataclass(frozen=True)
class Briefing:
    """The stories of a library's window, most important first."""

    window: Window
    topic: str | None
    country: StoryCountry | None
    stories: tuple[Story, ...]
    articles_considered: int
    stories_found: int
    # Every country the briefing's articles name (after its filters): `reports` articles naming
    # it, `mentions` in all; most mentioned first. What the digest's world map is shaded by.
    countries_named: tuple[StoryCountry, ...] = ()

    @property
    def since(self) -> datetime:
        return self.window.since

    @property
    def until(self) -> datetime:
        return self.window.until


@dataclass(frozen=True)
class Relation:
    """Another country named in the same sentences as the asked one."""

    code: str
    name: str
    sentences: int
    example: str
    example_article_id: int
    example_title: str


@dataclass(frozen=True)
class CountryPair:
    """Two other countries named together in sentences that name the asked one."""

    first: str
    second: str
    sentences: int


@dataclass(frozen=True)
class Relations:
    """Who a country is dealing with in a window: co-mentions, most frequent first."""

    code: str
    name: str
    window: Window
    relations: tuple[Relation, ...]
    sentences: int  # sentences that name the country at all
    # Co-mentions among the other countries in those sentences (the network's outer edges).
    pairs: tuple[CountryPair, ...] = ()
