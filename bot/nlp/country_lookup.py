"""Countries as people type them: "North Korea", "china", "KP" → an ISO code, and autocomplete."""

from __future__ import annotations

import functools

import pycountry

from bot.domain.errors import UnknownCountryError
from bot.domain.stories import StoryCountry
from bot.nlp.countries import NOT_A_COUNTRY, country_names, country_table


@functools.cache
def _country_lookup() -> dict[str, str]:
    """Case-folded name, demonym, capital or code → ISO alpha-2."""
    lookup: dict[str, str] = {}
    for country in pycountry.countries:
        lookup[country.alpha_2.casefold()] = country.alpha_2
        lookup[country.alpha_3.casefold()] = country.alpha_2
    for phrase, code in country_table().items():
        if code != NOT_A_COUNTRY:
            lookup.setdefault(phrase.casefold(), code)
    for code, name in country_names().items():
        lookup[name.casefold()] = code
    return lookup


def country_name(code: str) -> str:
    """The short English name of an ISO alpha-2 code."""
    return country_names().get(code, code)


def resolve_country(text: str) -> StoryCountry:
    """An ISO code or a name ("North Korea", "china", "KP") as a country, or UnknownCountryError."""
    wanted = " ".join(text.split()).strip(" .")
    key = wanted.casefold()
    code = _country_lookup().get(key)
    if code is None and key.startswith("the "):
        code = _country_lookup().get(key[4:])
    if code is None:
        raise UnknownCountryError(f"No country called {wanted!r}.")
    return StoryCountry(code=code, name=country_name(code))


def matching_countries(typed: str, limit: int = 25) -> list[StoryCountry]:
    """Countries whose name or any word of it starts with what was typed (or whose code it is)."""
    key = typed.strip().casefold()
    found: list[StoryCountry] = []
    for code, name in sorted(country_names().items(), key=lambda item: item[1]):
        words = name.casefold().replace("-", " ").split()
        if (
            not key
            or name.casefold().startswith(key)
            or any(word.startswith(key) for word in words)
            or code.casefold() == key
        ):
            found.append(StoryCountry(code=code, name=name))
        if len(found) >= limit:
            break
    return found
