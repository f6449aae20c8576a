"""People as an article names them: canonical names, titles, aliases, and who a name means.

The word lists and name rules `bot/nlp/entities.py` (which finds the people) and the quote
attribution share: honorifics, particles, role nouns, and the per-article people table.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources

from bot.domain.analysis import Entity

HONORIFICS = frozenset(
    {"mr.", "mr", "mrs.", "mrs", "ms.", "ms", "dr.", "dr", "miss", "mister", "madam", "mme."}
)
NAME_SUFFIXES = frozenset({"jr.", "jr", "sr.", "sr", "ii", "iii", "iv"})
POSSESSIVE_MARKS = frozenset({"'s", "’s", "'", "’", "s"})
LEADING_DROPS = frozenset({"the"})

# Last words that make a "person" a place: the small model calls reefs and islands people.
PLACE_HEADS = frozenset(
    "reef reefs island islands sea strait straits bay river mountain mountains peninsula lake"
    " ocean gulf valley desert canal shoal shoals atoll archipelago coast plateau".split()
)
# Words that make a "person" an organization (airlines, agencies, parties, media).
ORG_WORDS = frozenset(
    "air airlines airways airline bank corp corp. inc inc. company group party committee council"
    " agency ministry department university news times post institute foundation association"
    " union organization organisation commission court army navy police network press"
    " administration campaign congress senate parliament".split()
)

# Particles that belong to a family name: "Osama bin Laden" is "bin Laden" for short, and
# "Bin Laden" alone is him; "Omar al-Bashir" is "Bashir" as often as "al-Bashir".
NAME_PARTICLES = frozenset(
    "bin ibn al el ben abu bint van von de da di der den du la le del della dos das ter".split()
)
_HYPHENATED_PARTICLES = ("al-", "el-", "ad-", "as-", "ash-", "at-", "az-", "an-", "ar-", "ul-")
# A sentence that credits the report or a photo: its names are staff, not news actors.
_CREDIT_SENTENCE = re.compile(
    r"\b(?:(?:additional |contributing )?(?:reporting|writing|editing|editing by|compiled|produced"
    r"|research) by|contributed (?:reporting|to this (?:report|story|article))"
    r"|(?:photo|photograph|picture|image)s? (?:by|credit)|writing by)\b"
    r"|/\s*(?:reuters|ap|afp|getty images|epa|bloomberg)\b",
    re.IGNORECASE,
)


@functools.cache
def _not_people() -> dict[str, frozenset[str]]:
    """Parties, titles and organisation words from bot/nlp/data/not_people.json."""
    path = resources.files("bot.nlp").joinpath("data", "not_people.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {key: frozenset(data[key]) for key in ("parties", "titles", "organisation_words")}


@functools.cache
def _subdivision_names() -> frozenset[str]:
    """Names of the world's provinces, counties and council areas (ISO 3166-2, via pycountry):
    a one-word "person" called Powys or Torbay is a place."""
    import pycountry

    names = set()
    for subdivision in pycountry.subdivisions:
        name = subdivision.name.split(",")[0].strip()
        names.add(name)
        if name.endswith(" City"):
            names.add(name[: -len(" City")])
    return frozenset(names)


# Role nouns: a "person" ending in one is a title the model split from the name.
ROLE_NOUNS = frozenset(
    "president mayor secretary senator governor minister ambassador chairman chairwoman"
    " spokesman spokeswoman spokesperson director chief leader speaker judge justice general"
    " commissioner representative congressman congresswoman sheriff prosecutor officer"
    " chancellor premier pope nominee candidate assemblyman assemblywoman"
    " councilman councilwoman delegate lawmaker billionaire businessman businesswoman mogul"
    " envoy diplomat attorney strategist manager treasurer".split()
)
# A person's name followed by these words names a government or campaign.
GOVERNMENT_WORDS = frozenset({"administration", "government", "campaign", "cabinet"})

# Abbreviated titles written before names, and what a later nominal mention calls them.
TITLE_ABBREVIATIONS = {
    "sen.": "senator",
    "rep.": "representative",
    "gov.": "governor",
    "gen.": "general",
    "lt.": "lieutenant",
    "col.": "colonel",
    "adm.": "admiral",
    "pres.": "president",
    "sec.": "secretary",
    "amb.": "ambassador",
    "atty.": "attorney",
    "supt.": "superintendent",
    "rev.": "reverend",
}

# International organizations and their aliases: canonical name -> surface forms.
ORGANIZATION_ALIASES: dict[str, tuple[str, ...]] = {
    "United Nations": ("United Nations", "U.N.", "UN"),
    "United Nations Security Council": (
        "United Nations Security Council",
        "U.N. Security Council",
        "UN Security Council",
        "Security Council",
        "UNSC",
    ),
    "United Nations General Assembly": (
        "United Nations General Assembly",
        "U.N. General Assembly",
        "UN General Assembly",
        "General Assembly",
    ),
    "United Nations Human Rights Council": (
        "United Nations Human Rights Council",
        "U.N. Human Rights Council",
        "UN Human Rights Council",
        "Human Rights Council",
    ),
    "NATO": ("NATO", "North Atlantic Treaty Organization"),
    "European Union": ("European Union", "EU", "E.U."),
    "European Commission": ("European Commission",),
    "International Atomic Energy Agency": ("International Atomic Energy Agency", "IAEA"),
    "ASEAN": ("ASEAN", "Association of Southeast Asian Nations"),
    "World Health Organization": ("World Health Organization", "WHO"),
    "International Monetary Fund": ("International Monetary Fund", "IMF"),
    "World Bank": ("World Bank",),
    "World Trade Organization": ("World Trade Organization", "WTO"),
    "OPEC": ("OPEC", "Organization of the Petroleum Exporting Countries"),
    "G7": ("G7", "G-7", "Group of Seven"),
    "G20": ("G20", "G-20", "Group of 20", "Group of Twenty"),
    "African Union": ("African Union",),
    "Arab League": ("Arab League",),
    "International Criminal Court": ("International Criminal Court",),
    "OSCE": ("OSCE", "Organization for Security and Co-operation in Europe"),
    "UNESCO": ("UNESCO",),
    "UNICEF": ("UNICEF",),
    "UNHCR": ("UNHCR",),
    "Kyodo News": ("Kyodo News", "Kyodo"),
    "Xinhua": ("Xinhua", "Xinhua News Agency"),
    "Yonhap": ("Yonhap", "Yonhap News Agency"),
    "Associated Press": ("Associated Press",),
    "Reuters": ("Reuters",),
    "Agence France-Presse": ("Agence France-Presse", "AFP"),
    "State Department": ("State Department",),
    "Pentagon": ("Pentagon",),
    "White House": ("White House",),
    "Justice Department": ("Justice Department",),
    "FBI": ("FBI", "F.B.I.", "Federal Bureau of Investigation"),
    "CIA": ("CIA", "C.I.A.", "Central Intelligence Agency"),
    "Twitter": ("Twitter",),
    "Facebook": ("Facebook",),
}


@dataclass(frozen=True)
class Person:
    """One person of the article: canonical full name, aliases, titles and mention positions."""

    name: str
    aliases: tuple[str, ...]
    titles: tuple[str, ...]
    mentions: tuple[tuple[int, int], ...]  # token spans [start, end) of name mentions
    gender: str | None = None  # "m"/"f" when an honorific said so, else None

    @property
    def title(self) -> str | None:
        """The first title the article gives the person."""
        return self.titles[0] if self.titles else None

    @property
    def surname(self) -> str:
        """The family name as the article uses it alone (last word, suffixes aside)."""
        return _surname(tuple(self.name.split()))


@dataclass(frozen=True)
class EntityIndex:
    """The article's entities, with what quote attribution needs to resolve speakers."""

    entities: tuple[Entity, ...]
    people: tuple[Person, ...] = ()
    # token index -> (canonical name, label) for every token inside a kept entity mention
    token_entities: dict[int, tuple[str, str]] = field(default_factory=dict, compare=False)

    def entity_at(self, token_index: int) -> tuple[str, str] | None:
        """Canonical name and label of the entity mention covering a token, if any."""
        return self.token_entities.get(token_index)

    @cached_property
    def _people_by_name(self) -> dict[str, Person]:
        return {person.name: person for person in self.people}

    def person(self, name: str) -> Person | None:
        """The person table row for a canonical name."""
        return self._people_by_name.get(name)

    def resolve_name(self, words: Sequence[str], at_token: int) -> str | None:
        """Canonical person for a name written as words (honorifics ignored), near a position."""
        cleaned = tuple(w for w in words if w.lower() not in HONORIFICS)
        if not cleaned:
            return None
        candidates = _matching_people(self.people, cleaned)
        return _closest_person(candidates, at_token)

    def resolve_title(self, words: Sequence[str], at_token: int) -> str | None:
        """Canonical person whose article-given title matches a role phrase ("the secretary")."""
        content = [
            w.lower()
            for w in words
            if w.lower() not in {"the", "a", "an", "his", "her", "its", "their", "former"}
        ]
        if not content:
            return None
        head_word = content[content.index("of") - 1] if "of" in content[1:] else content[-1]
        head = _expand_title_word(head_word)
        wanted = {_expand_title_word(w) for w in content}
        exact: list[Person] = []
        by_head: list[Person] = []
        for person in self.people:
            for title in person.titles:
                title_words = {_expand_title_word(w.lower()) for w in title.split()}
                if head in title_words:
                    by_head.append(person)
                    if wanted <= title_words:
                        exact.append(person)
                    break
        if exact:
            return _closest_person(exact, at_token)
        # "the Vermont senator" when the article called only one person "Sen.": the senator
        if len(by_head) == 1 and head in ROLE_NOUNS:
            return by_head[0].name
        return None


def _expand_title_word(word: str) -> str:
    """Compare titles by their long form (Sen. = senator) and without trailing punctuation."""
    word = TITLE_ABBREVIATIONS.get(word, word)
    return word.strip(".,")


def _surname(words: tuple[str, ...]) -> str:
    """Last word of a name, skipping generational suffixes."""
    kept = [w for w in words if w.lower() not in NAME_SUFFIXES]
    return (kept or list(words))[-1]


def _family_key(words: Sequence[str]) -> str:
    """The family name compared without case or particle: 'Osama bin Laden', 'Bin Laden' and
    'Laden' -> 'laden'; 'Omar Hassan al-Bashir' and 'Bashir' -> 'bashir'."""
    lowered = _surname(tuple(words)).lower().strip("’'")
    for particle in _HYPHENATED_PARTICLES:
        if lowered.startswith(particle) and len(lowered) > len(particle) + 1:
            return lowered[len(particle) :]
    return lowered


def _is_surname_only(words: Sequence[str]) -> bool:
    """'Bashir', 'Bin Laden', 'al-Bashir', 'Van Sebille': a family name without a given name."""
    return len(words) == 1 or all(w.lower() in NAME_PARTICLES for w in words[:-1])


def _is_prefix_of(short: Sequence[str], long: Sequence[str]) -> bool:
    """'Yoon Suk' inside 'Yoon Suk Yeol': the model cut the name."""
    return 2 <= len(short) < len(long) and tuple(long[: len(short)]) == tuple(short)


def _matching_people(people: Iterable[Person], words: tuple[str, ...]) -> list[Person]:
    """People a written name can denote: exact, same surname, or same given name."""
    text = " ".join(words)
    exact = [p for p in people if p.name == text or text in p.aliases]
    if exact:
        return exact
    key = _family_key(words)
    if _is_surname_only(words):
        by_surname = [p for p in people if _family_key(p.name.split()) == key]
        if by_surname:
            return by_surname
        return [p for p in people if words[-1] in p.name.split()]
    return [
        p
        for p in people
        if (_family_key(p.name.split()) == key and _given_names_compatible(words, p.name.split()))
        or _is_prefix_of(words, p.name.split())
    ]


def _closest_person(candidates: Sequence[Person], at_token: int) -> str | None:
    """Of several candidates, the one mentioned most recently before the position (else first)."""
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0].name

    def last_before(person: Person) -> int:
        starts = [s for s, _ in person.mentions if s <= at_token]
        return max(starts) if starts else -1

    best = max(candidates, key=last_before)
    if last_before(best) >= 0:
        return best.name
    return min(candidates, key=lambda p: p.mentions[0][0] if p.mentions else 10**9).name


def _given_names_compatible(a: Sequence[str], b: Sequence[str]) -> bool:
    """John Kerry ~ John F. Kerry ~ J. Kerry; John Kerry !~ Teresa Kerry."""
    first_a, first_b = a[0].rstrip("."), b[0].rstrip(".")
    if first_a == first_b:
        return True
    if len(first_a) == 1 and first_b.startswith(first_a):
        return True
    return len(first_b) == 1 and first_a.startswith(first_b)
