"""The daily digest as a world map: every country shaded by how often the day's articles named it.

Outlines are Natural Earth's 1:110m countries (public domain), derived once by
tools/world_outlines.py into data/world_110m.json and read from the package: nothing is
downloaded. Countries too small for an outline are marked with a dot. The projection is Equal
Earth (Šavrič, Patterson & Jenny 2018): equal-area, so big countries do not look more important.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import PatchCollection
from matplotlib.colors import Colormap, ListedColormap, LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from bot.domain.pictures import Picture
from bot.domain.stories import StoryCountry
from bot.domain.text import plural
from bot.pictures.canvas import (
    INK,
    LAND,
    MUTED_INK,
    alt_text,
    drawable,
    drawing,
    new_figure,
    png_bytes,
    shorten,
)

MIN_COUNTRIES: Final = 3  # fewer is not worth a map
LISTED: Final = 10  # the most mentioned, named under the map
COLOUR_MAP: Final = "YlOrRd"
OCEAN: Final = "#f8f9fb"
BORDER: Final = "#ffffff"

# Equal Earth's polynomial coefficients.
_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def equal_earth(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude in degrees → Equal Earth x, y (unit sphere)."""
    lam = np.radians(lon)
    theta = np.arcsin(_M * np.sin(np.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = (2 * math.sqrt(3) * lam * np.cos(theta)) / (
        3 * (9 * _A4 * t6 * t2 + 7 * _A3 * t6 + 3 * _A2 * t2 + _A1)
    )
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


@dataclass(frozen=True)
class Outlines:
    """Projected country shapes by ISO code ("" for uncoded land) and dots for small countries."""

    shapes: tuple[tuple[str, Path], ...]
    points: dict[str, tuple[float, float]]


@functools.cache
def world_outlines() -> Outlines:
    """The packaged outlines, projected once per process."""
    source = resources.files("bot.pictures").joinpath("data/world_110m.json")
    document = json.loads(source.read_text(encoding="utf-8"))
    scale = float(document["scale"])
    shapes = []
    for country in document["countries"]:
        vertices: list[np.ndarray] = []
        codes: list[np.ndarray] = []
        for flat_ring in country["rings"]:
            flat = np.asarray(flat_ring, dtype=float) / scale
            x, y = equal_earth(flat[0::2], flat[1::2])
            ring = np.column_stack([x, y])
            vertices.append(np.vstack([ring, ring[:1]]))
            ring_codes = np.full(len(ring) + 1, Path.LINETO, dtype=Path.code_type)
            ring_codes[0] = Path.MOVETO
            ring_codes[-1] = Path.CLOSEPOLY
            codes.append(ring_codes)
        shapes.append((country["code"], Path(np.vstack(vertices), np.concatenate(codes))))
    dots: dict[str, tuple[float, float]] = {}
    for code, (lon, lat) in document["points"].items():
        x, y = equal_earth(np.array([lon / scale]), np.array([lat / scale]))
        dots[code] = (float(x[0]), float(y[0]))
    return Outlines(tuple(shapes), dots)


def _draw_legend(figure: Figure, norm: LogNorm, colours: Colormap, peak: int) -> None:
    axes = figure.add_axes((0.05, 0.085, 0.28, 0.03))
    gradient = np.geomspace(1, max(peak, 2), 256).reshape(1, -1)
    axes.imshow(gradient, aspect="auto", cmap=colours, norm=norm, extent=(0, 1, 0, 1))
    axes.set_yticks([])
    ticks = sorted({1, max(1, round(math.sqrt(peak))), peak})
    positions = [math.log(t) / math.log(max(peak, 2)) for t in ticks]
    axes.set_xticks(positions, [str(t) for t in ticks], fontsize=12)
    axes.tick_params(axis="x", length=0, pad=4)
    for spine in axes.spines.values():
        spine.set_visible(False)
    axes.set_title("mentions", fontsize=12, color=MUTED_INK, loc="left", pad=4)


def world_map(
    countries: Sequence[StoryCountry], *, day: str, articles: int | None, about: str = ""
) -> Picture:
    """A world map of one day's articles shaded by mentions (`countries` most mentioned first,
    at least three); `day` as it reads ("Monday 3 June 2024"), `about` the digest's filters
    ('on “sanctions”'), `articles` how many it read (None: not said)."""
    named = [c for c in countries if c.mentions > 0]
    if len(named) < MIN_COUNTRIES:
        raise ValueError(f"a map needs {MIN_COUNTRIES} countries, got {len(named)}")
    outlines = world_outlines()
    mentions = {c.code: c.mentions for c in named}
    peak = max(mentions.values())
    norm = LogNorm(vmin=1, vmax=max(peak, 2))
    if about:
        in_articles = f"in the articles {about}"
    elif articles is None:
        in_articles = "in the day's articles"
    else:
        in_articles = f"in {plural(articles, 'article')}"
    with drawing():
        base = colormaps[COLOUR_MAP]
        colours = ListedColormap(base(np.linspace(0.12, 0.92, 256)))
        figure = new_figure(12, 7.4)
        axes = figure.add_axes((0.01, 0.2, 0.98, 0.66))
        axes.set_axis_off()
        axes.set_aspect("equal")
        axes.set_xlim(-2.75, 2.75)
        axes.set_ylim(-1.12, 1.33)
        sphere_lat = np.linspace(-60, 90, 60)
        left_x, left_y = equal_earth(np.full_like(sphere_lat, -180), sphere_lat)
        axes.fill(
            np.concatenate([left_x, -left_x[::-1]]),
            np.concatenate([left_y, left_y[::-1]]),
            color=OCEAN,
            zorder=0,
        )
        faces = [
            colours(norm(mentions[code])) if code in mentions else LAND
            for code, _ in outlines.shapes
        ]
        patches = [PathPatch(path) for _, path in outlines.shapes]
        axes.add_collection(
            PatchCollection(patches, facecolors=faces, edgecolors=BORDER, linewidths=0.5, zorder=1)
        )
        dots = [code for code in mentions if code in outlines.points]
        if dots:
            axes.scatter(
                [outlines.points[c][0] for c in dots],
                [outlines.points[c][1] for c in dots],
                s=70,
                c=[colours(norm(mentions[c])) for c in dots],
                edgecolors=INK,
                linewidths=0.8,
                zorder=3,
            )
        figure.text(
            0.05,
            0.935,
            f"Countries in the news · {drawable(day, '')}",
            fontsize=22,
            fontweight="bold",
            parse_math=False,
        )
        figure.text(
            0.05,
            0.895,
            shorten(f"Named {drawable(in_articles, '')} · darker = more mentions", 110),
            fontsize=13,
            color=MUTED_INK,
            parse_math=False,
        )
        _draw_legend(figure, norm, colours, peak)
        listed = named[:LISTED]
        columns = (listed[:5], listed[5:])
        for column, entries in enumerate(columns):
            lines = [
                f"{rank}. {shorten(drawable(c.name, c.code), 22)}  {c.mentions}"
                for rank, c in enumerate(entries, start=1 + 5 * column)
            ]
            figure.text(
                0.42 + 0.29 * column,
                0.165,
                "\n".join(lines),
                fontsize=12.5,
                va="top",
                linespacing=1.3,
                parse_math=False,
            )
        figure.text(0.42, 0.185, "Most mentioned", fontsize=12, color=MUTED_INK, parse_math=False)
        png = png_bytes(figure)
    items = [f"{c.name} {plural(c.mentions, 'mention')}" for c in named[:LISTED]]
    description = alt_text(
        f"World map of the countries named {in_articles} on {day}, darker for more mentions",
        items,
        more=len(named) - len(items),
    )
    return Picture(png, "digest-map.png", description)
