"""/brief over several days as a picture: one row per story, its articles per day as bars.

Rows are numbered like the briefing's embeds (story 1 on top), every row on one scale so a
big story looks big; days are UTC calendar days, as the window is stored.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from datetime import date, timedelta
from typing import Final

from matplotlib.collections import PolyCollection

from bot.domain.pictures import Picture
from bot.domain.stories import Briefing
from bot.domain.text import plural
from bot.pictures.canvas import (
    ACCENT,
    INK,
    MUTED_INK,
    alt_text,
    drawable,
    drawing,
    new_figure,
    png_bytes,
    shorten,
)

TITLE_CHARS: Final = 32  # per line, two lines
ROW_INCHES: Final = 1.0
MAX_DAY_LABELS: Final = 8


def window_days(briefing: Briefing) -> list[date]:
    """The UTC calendar days the briefing's window touches, oldest first."""
    first = briefing.window.since.date()
    last = (briefing.window.until - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def story_days(briefing: Briefing, days: list[date]) -> list[list[int]]:
    """Articles per story (in briefing order) and day."""
    rows = []
    for story in briefing.stories:
        per_day = Counter(source.added_at.date() for source in story.sources)
        rows.append([per_day.get(day, 0) for day in days])
    return rows


def _title_lines(title: str, fallback: str) -> str:
    """A story title on at most two lines, the second cut with '…' if need be."""
    lines = textwrap.wrap(drawable(title, fallback), TITLE_CHARS) or [fallback]
    if len(lines) > 2:
        lines = [lines[0], shorten(" ".join(lines[1:]), TITLE_CHARS)]
    return "\n".join(lines)


def _day_label(day: date, many: bool) -> str:
    return f"{day.day} {day:%b}" if many else f"{day:%a} {day.day}"


def _span_text(days: list[date]) -> str:
    first, last = days[0], days[-1]
    if first.year != last.year:
        return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day}–{last.day} {last:%B %Y}"


def briefing_timeline(briefing: Briefing) -> Picture:
    """The coverage timeline of a briefing's stories (at least one)."""
    if not briefing.stories:
        raise ValueError("no stories to draw")
    days = window_days(briefing)
    rows = story_days(briefing, days)
    peak = max(1, max(max(row) for row in rows))
    count = len(rows)
    many = len(days) > 7
    with drawing():
        height = 1.9 + ROW_INCHES * count
        figure = new_figure(12, height)
        top = 1 - 1.25 / height
        bottom = 0.6 / height
        axes = figure.add_axes((0.40, bottom, 0.57, top - bottom), facecolor="#f8f9fb")
        axes.set_xlim(-0.6, len(days) - 0.4)
        axes.set_ylim(-0.1, count)
        axes.set_yticks([])
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        step = max(1, -(-len(days) // MAX_DAY_LABELS))
        ticks = list(range(len(days) - 1, -1, -step))[::-1]
        axes.set_xticks(ticks, [_day_label(days[i], many) for i in ticks], fontsize=13)
        axes.tick_params(axis="x", length=0, pad=6)
        bars: list[list[tuple[float, float]]] = []  # one collection draws faster than patches
        for index, (story, row) in enumerate(zip(briefing.stories, rows, strict=True)):
            base = count - 1 - index
            if index:
                axes.axhline(base + 1, color="#cfd5dd", linewidth=1)
            heights = [0.78 * n / peak for n in row]
            bars.extend(
                [(d - 0.36, base), (d + 0.36, base), (d + 0.36, base + h), (d - 0.36, base + h)]
                for d, h in enumerate(heights)
                if h
            )
            if len(days) <= 14:
                for day, n in enumerate(row):
                    if n:
                        axes.text(
                            day,
                            base + heights[day] + 0.03,
                            str(n),
                            ha="center",
                            va="bottom",
                            fontsize=11,
                            color=MUTED_INK,
                            parse_math=False,
                        )
            y = bottom + (base + 0.92) / count * (top - bottom)
            figure.text(
                0.058,
                y,
                f"{index + 1}.",
                fontsize=15,
                fontweight="bold",
                color=INK,
                ha="right",
                va="top",
                parse_math=False,
            )
            figure.text(
                0.066,
                y,
                _title_lines(story.title, f"Story {index + 1}"),
                fontsize=14,
                fontweight="bold",
                color=INK,
                va="top",
                linespacing=1.15,
                parse_math=False,
            )
            figure.text(
                0.066,
                y - 0.62 / height,
                plural(sum(row), "article"),
                fontsize=12,
                color=MUTED_INK,
                va="top",
                parse_math=False,
            )
        axes.add_collection(PolyCollection(bars, facecolors=ACCENT, edgecolors="none"))
        figure.text(
            0.03,
            1 - 0.55 / height,
            "Coverage per day",
            fontsize=22,
            fontweight="bold",
            color=INK,
            parse_math=False,
        )
        figure.text(
            0.03,
            1 - 0.9 / height,
            f"Articles per story and day (UTC), {_span_text(days)} · numbers match the briefing",
            fontsize=13,
            color=MUTED_INK,
            parse_math=False,
        )
        png = png_bytes(figure)

    items = []
    for index, (story, row) in enumerate(zip(briefing.stories, rows, strict=True)):
        busiest = max(range(len(days)), key=lambda d: (row[d], d))
        items.append(
            f"{index + 1}. {shorten(story.title, 80)} — {plural(sum(row), 'article')}, "
            f"most on {days[busiest].day} {days[busiest]:%B}"
        )
    description = alt_text(
        f"Coverage timeline, articles per day from {_span_text(days)}, "
        f"for {plural(count, 'story', 'stories')}",
        items,
    )
    return Picture(png, "brief-timeline.png", description)
