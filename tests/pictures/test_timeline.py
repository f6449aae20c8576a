"""The /brief coverage timeline: one numbered row per story, articles per UTC day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.stories import Briefing, Story, StorySource
from bot.domain.window import Window
from bot.pictures.timeline import briefing_timeline, story_days, window_days
from tests.pictures.conftest import looks_drawn

NOW = datetime(2024, 6, 3, 15, tzinfo=UTC)


def story(title: str, *hours_ago: int) -> Story:
    sources = tuple(
        StorySource(i, title, None, None, "site", NOW - timedelta(hours=h))
        for i, h in enumerate(hours_ago)
    )
    return Story(title, (), (), (), None, sources, len(sources), NOW, NOW, 1.0)


def briefing(days: int, *stories: Story) -> Briefing:
    return Briefing(Window(NOW - timedelta(days=days), NOW), None, None, stories, 9, len(stories))


def test_counts_are_per_story_and_utc_day() -> None:
    week = briefing(
        3,
        story("Kerry presses Beijing on North Korea sanctions", 1, 2, 30),
        story("Poland and Germany agree on joint border patrols", 60),
    )
    days = window_days(week)
    assert [d.isoformat() for d in days] == ["2024-05-31", "2024-06-01", "2024-06-02", "2024-06-03"]
    assert story_days(week, days) == [[0, 0, 1, 2], [0, 1, 0, 0]]


def test_timeline_is_drawn_and_its_alt_text_follows_the_briefing() -> None:
    week = briefing(
        7,
        story("Kerry presses Beijing on North Korea sanctions", 1, 2, 30, 31, 50),
        story("Zoë Müller named envoy to Côte d’Ivoire; $5bn aid and $2bn loans", 100),
        story("习近平 meets Putin", 20, 21),
    )
    picture = briefing_timeline(week)
    looks_drawn(picture, width=1200, height=round((1.9 + 3 * 1.0) * 100))
    assert picture.filename == "brief-timeline.png"
    description = picture.description
    assert description.startswith("Coverage timeline, articles per day from 27 May – 3 June 2024")
    assert "1. Kerry presses Beijing on North Korea sanctions — 5 articles, most on 3 June" in (
        description
    )
    assert "2. Zoë Müller named envoy" in description


def test_ten_stories_over_thirty_days_stay_under_the_limit() -> None:
    month = briefing(
        30, *(story(f"Story number {n} about talks", *range(n, 700, 37)) for n in range(10))
    )
    looks_drawn(briefing_timeline(month), width=1200)
