"""The picture service: network, timeline and world-map PNGs drawn in the analysis workers.

A picture is a bonus on a reply whose text is complete without it: when drawing fails, the
error is logged with its traceback and the caller gets None, so the reply still goes out.
Digest maps are shared: many channels of one server with the same filters get the same map,
drawn once (a small cache of recent maps; concurrent requests wait for the first).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import timedelta
from typing import Any, Final

from bot.analysis import Analyzer
from bot.domain.digests import Digest
from bot.domain.pictures import Picture
from bot.domain.stories import Briefing, Relations, StoryCountry
from bot.pictures.network import relations_network
from bot.pictures.timeline import briefing_timeline
from bot.pictures.world_map import MIN_COUNTRIES, world_map

log = logging.getLogger(__name__)

MAP_CACHE_SIZE: Final = 32
TIMELINE_MIN_WINDOW: Final = timedelta(days=1)  # a one-day briefing has nothing to chart

NetworkRenderer = Callable[[Relations], Picture]
TimelineRenderer = Callable[[Briefing], Picture]
MapRenderer = Callable[..., Picture]


def day_label(digest: Digest) -> str:
    """ "Monday 3 June 2024": the digest's local date as its title writes it."""
    day = digest.local_date
    return f"{day:%A} {day.day} {day:%B %Y}"


def filters_label(briefing: Briefing) -> str:
    """'on “sanctions” involving China': the briefing's filters in words ("" for none)."""
    parts = []
    if briefing.topic:
        parts.append(f"on “{briefing.topic}”")
    if briefing.country is not None:
        parts.append(f"involving {briefing.country.name}")
    return " ".join(parts)


class PictureService:
    """Pictures for replies, or None (logged) when one cannot be drawn.

    The renderers are pure module-level functions (they travel to worker processes); tests
    pass their own to see what a failing one does.
    """

    def __init__(
        self,
        analyzer: Analyzer,
        *,
        network: NetworkRenderer = relations_network,
        timeline: TimelineRenderer = briefing_timeline,
        world: MapRenderer = world_map,
        map_cache_size: int = MAP_CACHE_SIZE,
    ) -> None:
        self.analyzer = analyzer
        self._network = network
        self._timeline = timeline
        self._world = world
        self._maps: OrderedDict[Hashable, asyncio.Future[Picture | None]] = OrderedDict()
        self._map_cache_size = map_cache_size

    @staticmethod
    def nothing_to_draw_relations(relations: Relations) -> str | None:
        """Why a country's relations make no picture (None: they make one)."""
        if not relations.relations:
            return f"no other country is named alongside {relations.name}"
        return None

    @staticmethod
    def nothing_to_draw_timeline(briefing: Briefing) -> str | None:
        """Why a briefing makes no timeline (None: it makes one)."""
        if not briefing.stories:
            return "the briefing has no stories"
        if briefing.window.length <= TIMELINE_MIN_WINDOW:
            return "a briefing of one day has nothing to chart (ask for 2 days or more)"
        return None

    async def relations(self, relations: Relations) -> Picture | None:
        """The network of who a country deals with (None when it deals with no one)."""
        if self.nothing_to_draw_relations(relations):
            return None
        return await self._draw("relations network", self._network, relations)

    async def timeline(self, briefing: Briefing) -> Picture | None:
        """The coverage timeline of a briefing longer than a day (None otherwise)."""
        if self.nothing_to_draw_timeline(briefing):
            return None
        return await self._draw("briefing timeline", self._timeline, briefing)

    async def digest_map(self, digest: Digest) -> Picture | None:
        """The world map of a digest naming at least three countries (None otherwise)."""
        briefing = digest.briefing
        countries = tuple(c for c in briefing.countries_named if c.mentions > 0)
        if not digest.has_news or len(countries) < MIN_COUNTRIES:
            return None
        about = filters_label(briefing)
        articles = None if about else briefing.articles_considered
        key = (countries, day_label(digest), articles, about)
        cached = self._maps.get(key)
        if cached is not None:
            self._maps.move_to_end(key)
            return await asyncio.shield(cached)
        future = asyncio.ensure_future(self._draw_map(countries, key[1], articles, about))
        self._maps[key] = future
        while len(self._maps) > self._map_cache_size:
            self._maps.popitem(last=False)
        return await asyncio.shield(future)

    async def _draw_map(
        self, countries: tuple[StoryCountry, ...], day: str, articles: int | None, about: str
    ) -> Picture | None:
        return await self._draw(
            "digest map", _render_map, self._world, countries, day, articles, about
        )

    async def _draw(self, what: str, render: Callable[..., Picture], *args: Any) -> Picture | None:
        try:
            return await self.analyzer.run(render, *args)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not draw the %s; the reply goes out without it", what)
            return None


def _render_map(
    world: MapRenderer,
    countries: tuple[StoryCountry, ...],
    day: str,
    articles: int | None,
    about: str,
) -> Picture:
    """Keyword arguments do not travel through `Analyzer.run`: this spells them out."""
    return world(countries, day=day, articles=articles, about=about)
