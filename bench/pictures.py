"""Pictures drawn in an analysis worker process: target < 1 s for a 30-country network.

The worker is the bot's own (`ProcessPoolAnalyzer`: spawned, the spaCy model loaded). The
first picture also pays for importing matplotlib and loading its font; the rest are timed as
the median of runs. Data are synthetic (every ISO country is a real name), so nothing from
../shared is needed. Printed, never asserted: the machine is shared.
Run: `python -m bench.pictures [--runs N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pycountry

from bot.analysis import ProcessPoolAnalyzer
from bot.domain.pictures import Picture
from bot.domain.stories import (
    Briefing,
    CountryPair,
    Relation,
    Relations,
    Story,
    StoryCountry,
    StorySource,
)
from bot.domain.window import Window
from bot.pictures.network import relations_network
from bot.pictures.timeline import briefing_timeline
from bot.pictures.world_map import world_map

NOW = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)
TARGET_SECONDS = 1.0


def countries(count: int) -> list[tuple[str, str]]:
    found = [(c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries]
    return [item for item in found if item[0] != "KP"][:count]


def network_of(count: int) -> Relations:
    """North Korea and `count` countries named with it, strongest first, some named together."""
    named = countries(count)
    relations = tuple(
        Relation(code, name, max(1, 120 // (rank + 1)), "…", 1, "t")
        for rank, (code, name) in enumerate(named)
    )
    pairs = tuple(
        CountryPair(a, b, 1 + (i * j) % 7)
        for i, (a, _) in enumerate(named[:12])
        for j, (b, _) in enumerate(named[:12])
        if a < b and (i + j) % 3 == 0
    )
    return Relations(
        "KP", "North Korea", Window(NOW - timedelta(days=7), NOW), relations, 400, pairs
    )


def month_briefing(stories: int = 10) -> Briefing:
    made = []
    for n in range(stories):
        sources = tuple(
            StorySource(i, "t", None, None, "site", NOW - timedelta(hours=h))
            for i, h in enumerate(range(n, 719, 17 + n))
        )
        made.append(
            Story(f"Story {n + 1}: talks resume", (), (), (), None, sources, 1, NOW, NOW, 1)
        )
    return Briefing(Window(NOW - timedelta(days=30), NOW), None, None, tuple(made), 500, stories)


def day_tally(count: int = 60) -> tuple[StoryCountry, ...]:
    return tuple(
        StoryCountry(code, name, 1, max(1, 90 // (rank + 1)))
        for rank, (code, name) in enumerate(countries(count))
    )


def draw_map(tally: tuple[StoryCountry, ...]) -> Picture:
    return world_map(tally, day="Sunday 30 June 2024", articles=140)


async def timed(
    pool: ProcessPoolAnalyzer, runs: int, function: Callable[..., Picture], *args: Any
) -> tuple[float, list[float], int]:
    """First run, then `runs` more: (first seconds, the others, PNG bytes)."""
    times = []
    size = 0
    for _ in range(runs + 1):
        start = time.perf_counter()
        picture = await pool.run(function, *args)
        times.append(time.perf_counter() - start)
        size = len(picture.png)
    return times[0], times[1:], size


async def run(runs: int) -> None:
    pool = ProcessPoolAnalyzer(None, workers=1)
    await pool.start()
    try:
        cases: list[tuple[str, Callable[..., Picture], tuple[Any, ...]]] = [
            ("network, 30 countries", relations_network, (network_of(30),)),
            ("network, 3 countries", relations_network, (network_of(3),)),
            ("timeline, 10 stories × 31 days", briefing_timeline, (month_briefing(),)),
            ("world map, 60 countries", draw_map, (day_tally(),)),
        ]
        for name, function, args in cases:
            first, rest, size = await timed(pool, runs, function, *args)
            median = statistics.median(rest)
            print(
                f"{name:32s} first {first:5.2f} s · median {median:5.2f} s "
                f"(min {min(rest):.2f}, max {max(rest):.2f}, {runs} runs) · {size / 1000:.0f} KB"
            )
            if name.startswith("network, 30"):
                verdict = "within" if median < TARGET_SECONDS else "OVER"
                print(f"  30-country network: {verdict} the {TARGET_SECONDS:.0f} s target")
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    asyncio.run(run(args.runs))


if __name__ == "__main__":
    main()
