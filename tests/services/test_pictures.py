"""The picture service: when a picture is drawn, that a failing one is logged and gives None,
and that one digest map serves every channel asking for the same day's map."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.analysis import ThreadAnalyzer
from bot.domain.digests import Digest, DigestSubscription
from bot.domain.pictures import Picture
from bot.domain.stories import Briefing, Relation, Relations, Story, StoryCountry, StorySource
from bot.domain.window import Window
from bot.services.pictures import PictureService

NOW = datetime(2024, 6, 3, 8, tzinfo=UTC)
ANALYZER = ThreadAnalyzer(None)


def broken_renderer(*args: object, **options: object) -> Picture:
    """A renderer that fails as a bug would."""
    raise RuntimeError("the renderer broke")


DRAWN: list[int] = []


def counting_map(countries: object, **options: object) -> Picture:
    """A stand-in map that counts how often it is drawn."""
    DRAWN.append(1)
    return Picture(b"\x89PNG\r\n\x1a\n" + b"0" * 10, "digest-map.png", f"map {options['day']}")


def relations(count: int) -> Relations:
    window = Window(NOW - timedelta(days=7), NOW)
    found = tuple(Relation(code, code, 3, "…", 1, "t") for code in ("CN", "US", "JP")[:count])
    return Relations("KP", "North Korea", window, found, 5)


def briefing(days: int, countries: int = 4, *, topic: str | None = None) -> Briefing:
    source = StorySource(1, "Talks", None, None, "site", NOW - timedelta(hours=2))
    story = Story("Talks", ("…",), (), (), None, (source,), 1, NOW, NOW, 1.0)
    named = tuple(
        StoryCountry(code, code, 1, 5 - i) for i, code in enumerate(("CN", "US", "KP", "JP"))
    )[:countries]
    window = Window(NOW - timedelta(days=days), NOW)
    return Briefing(window, topic, None, (story,), 3, 1, countries_named=named)


def digest(of: Briefing, channel_id: int = 10) -> Digest:
    subscription = DigestSubscription(
        id=channel_id,
        guild_id=1,
        channel_id=channel_id,
        local_time="08:00",
        timezone="UTC",
        topic=of.topic,
        country=None,
        quiet=False,
        created_by=None,
        created_at=NOW,
        next_due_at=NOW,
        last_digest_until=None,
        last_sent_at=None,
    )
    return Digest(subscription, of, date(2024, 6, 3), "nonce")


async def test_pictures_are_drawn_only_when_they_show_something() -> None:
    pictures = PictureService(ANALYZER)
    network = await pictures.relations(relations(3))
    assert network is not None
    assert network.description.startswith("Network of the countries named with North Korea")
    assert await pictures.relations(relations(0)) is None
    assert await pictures.timeline(briefing(days=1)) is None  # one day: nothing to chart
    timeline = await pictures.timeline(briefing(days=2))
    assert timeline is not None and timeline.filename == "brief-timeline.png"
    assert await pictures.digest_map(digest(briefing(days=1, countries=2))) is None
    world = await pictures.digest_map(digest(briefing(days=1, countries=3)))
    assert world is not None and "Monday 3 June 2024" in world.description


async def test_a_failing_renderer_is_logged_and_gives_no_picture(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pictures = PictureService(
        ANALYZER, network=broken_renderer, timeline=broken_renderer, world=broken_renderer
    )
    with caplog.at_level(logging.ERROR, logger="bot.services.pictures"):
        assert await pictures.relations(relations(3)) is None
        assert await pictures.timeline(briefing(days=3)) is None
        assert await pictures.digest_map(digest(briefing(days=1))) is None
    failures = [r for r in caplog.records if r.name == "bot.services.pictures"]
    assert len(failures) == 3
    assert all(r.exc_info and "the renderer broke" in str(r.exc_info[1]) for r in failures)


async def test_one_map_serves_every_channel_with_the_same_day_and_filters() -> None:
    DRAWN.clear()
    pictures = PictureService(ANALYZER, world=counting_map)
    day = briefing(days=1)
    first = await pictures.digest_map(digest(day, channel_id=10))
    second = await pictures.digest_map(digest(day, channel_id=11))
    assert first is not None and first == second
    assert len(DRAWN) == 1
    filtered = await pictures.digest_map(digest(briefing(days=1, topic="grain"), channel_id=12))
    assert filtered is not None and len(DRAWN) == 2
