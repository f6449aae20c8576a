"""The digest's world map: packaged outlines, shading by mentions, dots for small countries."""

from __future__ import annotations

import pycountry

from bot.domain.stories import StoryCountry
from bot.pictures.world_map import equal_earth, world_map, world_outlines
from tests.pictures.conftest import looks_drawn


def tally(*codes: str) -> tuple[StoryCountry, ...]:
    return tuple(
        StoryCountry(code, pycountry.countries.get(alpha_2=code).name, 1, 40 // (i + 1))
        for i, code in enumerate(codes)
    )


def test_outlines_ship_with_the_package_and_cover_the_news_countries() -> None:
    outlines = world_outlines()
    shaped = {code for code, _ in outlines.shapes}
    assert {"CN", "US", "KP", "KR", "RU", "UA", "FR", "NO", "PS", "XK"} <= shaped
    assert {"SG", "BH", "MT", "VA"} <= set(outlines.points)  # too small for a 110m outline
    assert "AQ" not in shaped


def test_equal_earth_keeps_the_equator_and_meridian() -> None:
    import numpy as np

    x, y = equal_earth(np.array([0.0, 180.0, -180.0]), np.array([0.0, 0.0, 0.0]))
    assert abs(x[0]) < 1e-9 and abs(y).max() < 1e-9
    assert x[1] > 2.6 and x[2] == -x[1]


def test_map_is_drawn_and_names_the_top_countries() -> None:
    picture = world_map(tally("CN", "US", "KP", "SG", "CI"), day="Monday 3 June 2024", articles=12)
    looks_drawn(picture, width=1200, height=740)
    description = picture.description
    assert description.startswith(
        "World map of the countries named in 12 articles on Monday 3 June 2024"
    )
    assert "China 40 mentions; United States 20 mentions; " in description


def test_every_country_at_once_stays_under_the_limit_and_filters_read_well() -> None:
    everyone = tally(*(c.alpha_2 for c in pycountry.countries if c.alpha_2 != "AQ"))
    picture = world_map(everyone, day="Friday 7 June 2024", articles=None, about="on “grain”")
    looks_drawn(picture, width=1200)
    assert "named in the articles on “grain” on Friday 7 June 2024" in picture.description
    assert picture.description.endswith("more.")
