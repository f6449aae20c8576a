"""The briefing service: a library's window → stories, and who a country deals with.

Two passes keep a month of articles fast. First every article of the window is read as a
light `ArticleLead` and the analysis workers cluster and rank them into stories; then only
the shown stories' reports are read in full and the workers summarise them across sources.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from bot.analysis import Analyzer
from bot.domain.articles import ArticleLead, StoredArticle
from bot.domain.clock import Clock, utc_now
from bot.domain.errors import UserFacingError
from bot.domain.feeds import ALSO_REPORTED_MAX
from bot.domain.limits import MAX_SENTENCES, MAX_STORIES, RELATIONS_DEFAULT_DAYS
from bot.domain.stories import (
    Briefing,
    BriefingQuery,
    LoadedArticle,
    Relations,
    StoryCluster,
    StoryCountry,
    StorySource,
)
from bot.domain.window import Window
from bot.nlp.country_lookup import country_name, matching_countries, resolve_country
from bot.nlp.relations import relations_from_sentences
from bot.nlp.stories import (
    LEAD_CHARS,
    MAX_NAMES,
    STORY_GAP,
    other_reports,
    plan_stories,
    summary_report_ids,
)
from bot.nlp.story_summary import build_stories
from storage.protocols import Store

log = logging.getLogger(__name__)


class BriefingService:
    """Briefings and relations over one library's stored articles."""

    def __init__(self, store: Store, analyzer: Analyzer, now: Clock = utc_now) -> None:
        self.store = store
        self.analyzer = analyzer
        self.now = now

    def last_days(self, days: int) -> Window:
        """The window of the last `days` days up to now (checked against the limits)."""
        return Window.last_days(days, self.now())

    def resolve_country(self, text: str) -> StoryCountry:
        """A country name or ISO code as the user typed it, or UnknownCountryError."""
        return resolve_country(text)

    def country_choices(self, typed: str, limit: int = 25) -> list[StoryCountry]:
        """Countries for autocomplete: names or words of names starting with what was typed."""
        return matching_countries(typed, limit)

    async def brief(self, scope: int, query: BriefingQuery) -> Briefing:
        """The library's stories of the query's window, most important first."""
        if not 1 <= query.stories <= MAX_STORIES:
            raise UserFacingError(f"Stories must be between 1 and {MAX_STORIES}.")
        if not 1 <= query.sentences <= MAX_SENTENCES:
            raise UserFacingError(f"Sentences must be between 1 and {MAX_SENTENCES}.")
        country = (
            resolve_country(query.country) if query.country and query.country.strip() else None
        )
        topic = query.topic.strip() if query.topic and query.topic.strip() else None
        leads = await self.store.articles.leads(
            scope, query.window, lead_chars=LEAD_CHARS, max_names=MAX_NAMES
        )
        considered = len(leads)
        if topic and leads:
            # The topic is searched like /search: every word required, stems and prefixes kept.
            found = await self.store.search.matching_ids(scope, topic)
            leads = [lead for lead in leads if lead.id in found]
        if country is not None:
            leads = [lead for lead in leads if any(c.code == country.code for c in lead.countries)]
        ranked = await self.analyzer.run(plan_stories, leads, query.window)
        shown = ranked[: query.stories]
        needed = [i for story in shown for i in summary_report_ids(leads, story.cluster)]
        loaded = await self._load(scope, needed)
        # Only the leads the shown stories name travel to the worker.
        members = sorted({i for story in shown for i in story.cluster.members})
        position = {old: new for new, old in enumerate(members)}
        stories = await self.analyzer.run(
            build_stories,
            [leads[i] for i in members],
            [(_renumbered(story.cluster, position), story.score) for story in shown],
            loaded,
            query.sentences,
        )
        log.info(
            "briefing for scope %s: %d articles, %d stories, %d shown",
            scope,
            considered,
            len(ranked),
            len(stories),
        )
        return Briefing(
            query.window,
            topic,
            country,
            stories,
            considered,
            len(ranked),
            countries_named=countries_named(leads),
        )

    async def also_reported(
        self, scope: int, article: StoredArticle, *, limit: int = ALSO_REPORTED_MAX
    ) -> tuple[StorySource, ...]:
        """Other stored articles of the server telling the same story, newest first."""
        # Until just past now: what arrived this second counts (windows end exclusive).
        until = max(min(article.added_at + STORY_GAP, self.now()), article.added_at)
        until += timedelta(seconds=1)
        since = article.added_at - STORY_GAP
        leads = await self.store.articles.leads(
            scope, Window(since, until), lead_chars=LEAD_CHARS, max_names=MAX_NAMES
        )
        if len(leads) < 2 or all(lead.id != article.id for lead in leads):
            return ()
        found = await self.analyzer.run(other_reports, leads, article.id, limit)
        return tuple(found)

    async def relations(self, scope: int, country: str, window: Window | None = None) -> Relations:
        """Who the country is dealing with: countries named in the same sentences, with examples."""
        window = window or self.last_days(RELATIONS_DEFAULT_DAYS)
        code = resolve_country(country).code
        # SQL picks the few sentences naming the country; no article or analysis is read whole.
        sentences = await self.store.articles.country_sentences(scope, code, window)
        return await self.analyzer.run(relations_from_sentences, sentences, code, window)

    async def _load(self, scope: int, ids: list[int]) -> dict[int, LoadedArticle]:
        articles = await self.store.articles.get_many(scope, ids)
        analyses = await self.store.articles.analyses(scope, [a.id for a in articles])
        return {a.id: LoadedArticle(a, analyses[a.id]) for a in articles if a.id in analyses}


def countries_named(leads: Sequence[ArticleLead]) -> tuple[StoryCountry, ...]:
    """Every country the articles name: articles naming it and mentions, most mentioned first."""
    reports: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    for lead in leads:
        for country in lead.countries:
            reports[country.code] += 1
            mentions[country.code] += country.mentions
    ranked = sorted(mentions, key=lambda code: (-mentions[code], -reports[code], code))
    return tuple(StoryCountry(c, country_name(c), reports[c], mentions[c]) for c in ranked)


def _renumbered(cluster: StoryCluster, position: dict[int, int]) -> StoryCluster:
    """The cluster with its indices into the shown subset of leads."""
    return StoryCluster(
        members=tuple(position[i] for i in cluster.members),
        reports=tuple(tuple(position[i] for i in group) for group in cluster.reports),
    )
