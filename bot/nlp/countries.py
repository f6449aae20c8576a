"""Country mentions (names, demonyms, capitals, government metonyms) resolved to ISO 3166-1.

A capital counts for its country only when it acts ("Beijing said", "pressure on Moscow",
"Tehran's reply"), not when it is where something happened ("talks in Madrid", "flew to Paris")
or a dateline ("Madrid —"); seats of government (the Kremlin, the White House) always count.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pycountry
from countryinfo import CountryInfo
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans
from spacy.vocab import Vocab

from bot.domain.analysis import Country, CountryMention
from bot.nlp.sentences import sentence_index

log = logging.getLogger(__name__)

NOT_A_COUNTRY = ""  # the code of a blocking phrase: a sea, region or peninsula named after one

# countryinfo alternative spellings that are ordinary words, languages or regions in English.
_UNSAFE_ALT_SPELLINGS = frozenset(
    {
        "Island",
        "Mann",
        "Mannin",
        "Prathet",
        "Lao",
        "Guiana",
        "Yugoslavia",
        "Federal Republic of Yugoslavia",
        "Union of Serbia and Montenegro",
        "Pleasant Island",
        "Somers Isles",
        "Reunion",
        "the Abode of Peace",
        "Dominique",
        "Congo",
    }
)

# Capitals that are also common given names, surnames, cities elsewhere or another body's metonym.
_UNSAFE_CAPITALS = frozenset(
    {
        "Victoria",
        "City of Victoria",
        "Kingston",
        "Hamilton",
        "Douglas",
        "Stanley",
        "Plymouth",
        "Jamestown",
        "Saint-Denis",
        "Santiago",
        "George Town",
        "Georgetown",
        "San Juan",
        "Sucre",
        "Moroni",
        "Wellington",
        "Brussels",  # the European Union's metonym more often than Belgium's
        "Jerusalem",  # contested; its metonym use is not a clean country reference
        "Washington D.C.",  # handled by the curated table and the context rules below
        "Panama City",
        "The Valley",
        "The Bottom",
        "West Island",
        "Flying Fish Cove",
        "King Edward Point",
        "Saint John's",
        "St. George's",
        "Adamstown",
        "Juba",
        "Colombo",
        "Praia",
    }
)

# Countries whose countryinfo record carries an older or longer name than news uses.
_NAME_OVERRIDES = {
    "MK": "North Macedonia",
    "SZ": "Eswatini",
    "VA": "Vatican City",
    "MM": "Myanmar",
    "BS": "Bahamas",
    "CZ": "Czech Republic",
    "CD": "DR Congo",
    "CG": "Republic of the Congo",
    "PS": "Palestine",
}

# The gaps the packages leave: abbreviations, short forms, plural demonyms they lack,
# government metonyms and older spellings that news still uses.
_CURATED: dict[str, str] = {
    "U.S.": "US",
    "US": "US",
    "U.S.A.": "US",
    "USA": "US",
    "America": "US",
    "Americans": "US",
    "United States": "US",
    "White House": "US",
    "Pentagon": "US",
    "State Department": "US",
    "Washington": "US",
    "Washington, D.C.": "US",
    "Washington D.C.": "US",
    "U.K.": "GB",
    "UK": "GB",
    "Britain": "GB",
    "Great Britain": "GB",
    "British": "GB",
    "Briton": "GB",
    "Britons": "GB",
    "Brits": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Scottish": "GB",
    "Wales": "GB",
    "Welsh": "GB",
    "Northern Ireland": "GB",
    "Downing Street": "GB",
    "Whitehall": "GB",
    "Kremlin": "RU",
    "Zhongnanhai": "CN",
    "Elysee": "FR",
    "Élysée": "FR",
    "Elysee Palace": "FR",
    "Élysée Palace": "FR",
    "Quai d'Orsay": "FR",
    "Saudi": "SA",
    "Saudis": "SA",
    "UAE": "AE",
    "U.A.E.": "AE",
    "Emiratis": "AE",
    "Argentine": "AR",
    "Argentinian": "AR",
    "Kiev": "UA",
    "Astana": "KZ",
    "Teheran": "IR",
    "Burma": "MM",
    "Czechia": "CZ",
    "Turkiye": "TR",
    "Türkiye": "TR",
    "Ivory Coast": "CI",
    "Côte d'Ivoire": "CI",
    "Cote d'Ivoire": "CI",
    "DRC": "CD",
    "DR Congo": "CD",
    "Congo": "CD",
    "Eswatini": "SZ",
    "Cabo Verde": "CV",
    "Timor-Leste": "TL",
    "Vatican": "VA",
    "Holy See": "VA",
    "Gambia": "GM",
    "Bahamas": "BS",
    "Netherlands": "NL",
    "Philippines": "PH",
    "Filipinos": "PH",
    "Kyrgyz": "KG",
    "Tajik": "TJ",
    "Uzbek": "UZ",
    "Kazakh": "KZ",
    "Afghans": "AF",
    "Ukrainians": "UA",
    "Turks": "TR",
    "Poles": "PL",
    "Swedes": "SE",
    "Danes": "DK",
    "Finns": "FI",
    "Spaniards": "ES",
}

# Administrations named after U.S. presidents stand for the U.S. government.
_US_PRESIDENTS = (
    "Truman Eisenhower Kennedy Johnson Nixon Ford Carter Reagan Bush Clinton Obama Trump Biden"
).split()

# Phrases that contain a country word but name a sea, region, people or U.S. state.
_BLOCKERS = (
    "South China Sea",
    "East China Sea",
    "Korean Peninsula",
    "Middle East",
    "Latin America",
    "Latin American",
    "Latin Americans",
    "North America",
    "North American",
    "North Americans",
    "South America",
    "South American",
    "South Americans",
    "Central America",
    "Central American",
    "Central Americans",
    "African American",
    "African Americans",
    "Native American",
    "Native Americans",
    "Asian American",
    "Asian Americans",
    "American Indian",
    "American Indians",
    "Corporate America",
    "New Mexico",
    "New Jersey",
    "New Guinea",
    "New England",
    "New South Wales",
    "British Columbia",
    "English Channel",
    "Washington state",
    "Washington State",
    "Washington Post",
    "Washington Times",
    "Georgia Tech",
    "Indian Ocean",
    "Arabian Peninsula",
    "Horn of Africa",
    "West Indies",
    "Dutch East Indies",
    # Treaties, clubs and formats named after a capital are not that country.
    "Paris Agreement",
    "Paris agreement",
    "Paris Club",
    "Paris climate",
    "Minsk agreements",
    "Minsk accords",
    "Minsk Group",
    "Washington Consensus",
    "Vienna Convention",
    "Jersey City",
    "Jersey Shore",
)

# A country word directly before one of these names a geographic feature, not the country.
_GEO_FEATURES = frozenset(
    "Sea Seas Ocean Gulf Strait Straits Peninsula Reef Reefs River Valley Bay Channel Basin"
    " Plateau Archipelago Isthmus Desert Highlands Mountains".split()
)
_GEO_OF = frozenset("Sea Gulf Bay Strait Straits Isthmus".split())

# Names shared with given names or U.S. states: dropped inside a longer PERSON/ORG/FAC name.
_AMBIGUOUS_NAMES = frozenset({"Jordan", "Chad", "Georgia", "Israel", "Washington", "Georgian"})

_WASHINGTON_NOT_US_NEXT = frozenset(
    "state Post Times Redskins Nationals Wizards Capitals Mystics Huskies Commanders Monument"
    " University Square Heights Irving Street Avenue Ave. St. Blvd Boulevard County Dulles"
    " Memorial Hospital".split()
)

_CAUCASUS_CONTEXT = re.compile(
    r"\b(Tbilisi|Abkhaz|Ossetia|Saakashvili|Caucasus|Georgian Dream|Kobakhidze|Zourabichvili)"
)
_US_STATE_CONTEXT = re.compile(
    r"\b(Atlanta|Savannah|Ga\.|Alabama|Florida|Carolina|Tennessee|Gov\.|governor|senator|Senate"
    r" race|state of Georgia|Georgia's \d|county)\b"
)


# A capital is its country only when it acts ("Beijing said", "pressure on Moscow"): as the
# object of these it is only where something happened ("talks in Madrid").
_LOCATIVE_PREPOSITIONS = frozenset(
    "in at near outside inside around across into through via throughout within toward towards"
    " over beyond past along between".split()
)
# "flew to Madrid", "returned from Paris" are places; "ambassador to Washington", "a message
# from Moscow" are the state: these prepositions are locative only after a verb.
_MOTION_PREPOSITIONS = frozenset({"to", "from"})
_TRAVEL_NOUNS = frozenset("visit trip journey flight return arrival travel tour move road".split())
# "Beijing officials" is the state; "the Madrid summit" or "Paris attacks" is a place.
_GOVERNMENT_HEADS = frozenset(
    "government officials official authorities regime leadership administration diplomats"
    " negotiators spokesman spokeswoman spokesperson ministry leaders leader policy".split()
)
_DATELINE_FOLLOWERS = frozenset({"—", "–", "-", "--", "(", ":"})
# Government seats that are always the state, whatever their place in the sentence.
_SEATS_OF_GOVERNMENT = frozenset(
    {"Kremlin", "White House", "Pentagon", "State Department", "Downing Street", "Whitehall"}
)


@dataclass(frozen=True)
class _Match:
    code: str
    span: Span


def _is_code(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{2,3}", text))


def _english_form(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z .,'()-]*", text)) and "," not in text


def _plural(demonym: str) -> str | None:
    """English plural of a demonym noun, or None when it has none ("the Chinese", "the Swiss")."""
    if demonym.endswith(("ese", "ish", "ch", "ss", "sh")):
        return None
    return demonym + "s"


@functools.cache
def country_names() -> dict[str, str]:
    """Short common English name for each ISO alpha-2 code the table can produce."""
    names: dict[str, str] = {}
    for record in CountryInfo.all().values():
        code = (record.get("ISO") or {}).get("alpha2") or ""
        name = str(record.get("name") or "")
        if code and code not in names and _english_form(name):
            names[code] = name
    for country in pycountry.countries:
        code = country.alpha_2
        if code not in names:
            common = getattr(country, "common_name", None) or country.name
            names[code] = common.split(",")[0]
    names.update(_NAME_OVERRIDES)
    return names


@functools.cache
def country_table() -> dict[str, str]:
    """Surface form -> ISO alpha-2 (or NOT_A_COUNTRY), built from countryinfo and pycountry."""
    valid_codes = {c.alpha_2 for c in pycountry.countries}
    candidates: dict[str, list[tuple[int, str]]] = {}

    def offer(phrase: str, code: str, population: int) -> None:
        phrase = phrase.strip()
        if phrase and code in valid_codes:
            candidates.setdefault(phrase, []).append((population, code))

    for record in CountryInfo.all().values():
        code = (record.get("ISO") or {}).get("alpha2") or ""
        population = int(record.get("population") or 0)
        name = str(record.get("name") or "")
        if _english_form(name):
            offer(name, code, population)
        for alt in record.get("altSpellings") or []:
            if _is_code(alt) or alt in _UNSAFE_ALT_SPELLINGS or not _english_form(alt):
                continue
            offer(alt, code, population)
        for demonym in re.split(r"[,/]", str(record.get("demonym") or "")):
            demonym = demonym.strip()
            if not demonym or demonym == name or not _english_form(demonym):
                continue
            offer(demonym, code, population)
            plural = _plural(demonym)
            if plural:
                offer(plural, code, population)
        raw_capitals: str | list[str] = record.get("capital") or []
        capitals = [raw_capitals] if isinstance(raw_capitals, str) else raw_capitals
        for capital in capitals:
            if capital and capital not in _UNSAFE_CAPITALS and "/" not in capital:
                offer(capital, code, population)
    for country in pycountry.countries:
        for official in (country.name, getattr(country, "common_name", None)):
            if official and _english_form(official):
                offer(official, country.alpha_2, 0)

    # Where several records share a form ("Chinese": CN, HK, MO), the most populous wins.
    table = {phrase: max(options)[1] for phrase, options in candidates.items()}
    table.update(_CURATED)
    for president in _US_PRESIDENTS:
        table[f"{president} administration"] = "US"
        table[f"{president} White House"] = "US"
    for phrase in _BLOCKERS:
        table[phrase] = NOT_A_COUNTRY
    return table


@functools.cache
def capital_forms() -> frozenset[str]:
    """Surface forms that are capital cities (or their spellings): they need to act to count."""
    forms = {"Washington", "Washington, D.C.", "Washington D.C.", "Kiev", "Astana", "Teheran"}
    for record in CountryInfo.all().values():
        raw_capitals: str | list[str] = record.get("capital") or []
        capitals = [raw_capitals] if isinstance(raw_capitals, str) else raw_capitals
        forms.update(c for c in capitals if c and c not in _UNSAFE_CAPITALS and "/" not in c)
    return frozenset(forms)


def _is_dateline(span: Span) -> bool:
    """'Madrid — ...', 'HONG KONG (Reuters) -': a place name opening its line before a dash."""
    doc = span.doc
    opens_line = (
        span.start == 0
        or "\n" in doc[span.start - 1].whitespace_
        or ("\n" in doc[span.start - 1].text)
    )
    return opens_line and span.end < len(doc) and doc[span.end].text in _DATELINE_FOLLOWERS


def _capital_acts(span: Span) -> bool:
    """A capital standing for its state ("Beijing said", "talks with Moscow", "Tehran's
    response"), not a venue or a dateline ("in Madrid", "flew to Paris", "the Madrid summit")."""
    if _is_dateline(span):
        return False
    root = span.root
    while root.dep_ == "conj" and root.head.i != root.i:  # "in Madrid and Paris"
        root = root.head
    head = root.head
    if root.dep_ == "pobj":
        preposition = head.lower_
        if preposition in _LOCATIVE_PREPOSITIONS:
            return False
        return not (
            preposition in _MOTION_PREPOSITIONS
            and (head.head.pos_ in {"VERB", "AUX"} or head.head.lemma_ in _TRAVEL_NOUNS)
        )
    if root.dep_ in {"compound", "nmod", "amod"} and head.pos_ in {"NOUN", "PROPN"}:
        return head.lower_ in _GOVERNMENT_HEADS
    return root.dep_ != "npadvmod"


@functools.lru_cache(maxsize=8)
def _phrase_matcher(vocab: Vocab) -> PhraseMatcher:
    """One case-sensitive matcher per vocabulary, built once from the country table."""
    from spacy.lang.en import English

    tokenizer = English(vocab=vocab).tokenizer
    matcher = PhraseMatcher(vocab, attr="ORTH")
    by_code: dict[str, list[Doc]] = {}
    for phrase, code in country_table().items():
        by_code.setdefault(code or "BLOCK", []).append(tokenizer(phrase))
    for code, patterns in by_code.items():
        matcher.add(code, patterns)
    return matcher


def _sentence_of_token(doc: Doc) -> list[int]:
    return sentence_index(doc)


def _inside_longer_name(span: Span) -> bool:
    """True when the span sits inside a longer person, organization or facility name."""
    for ent in span.doc.ents:
        inside = ent.start <= span.start and span.end <= ent.end and len(ent) > len(span)
        if inside and ent.label_ in {"PERSON", "ORG", "FAC", "WORK_OF_ART"}:
            return True
    return False


def _keep_washington(span: Span) -> bool:
    """Washington as the U.S. government or capital, not the state, a newspaper or a person."""
    doc = span.doc
    following = doc[span.end] if span.end < len(doc) else None
    previous = doc[span.start - 1] if span.start > 0 else None
    if following is not None and following.text in _WASHINGTON_NOT_US_NEXT:
        return (
            following.text == "State"
            and span.end + 1 < len(doc)
            and (doc[span.end + 1].text == "Department")
        )
    if previous is not None and previous.text in {"George", "Denzel", "Booker", "Martha"}:
        return False
    if previous is not None and previous.text in {"Mr.", "Ms.", "Mrs.", "Dr.", "Gen."}:
        return False
    return not (
        previous is not None
        and previous.text == "of"
        and span.start >= 2
        and doc[span.start - 2].text == "University"
    )


def _georgia_is_the_country(doc: Doc, codes_seen: Iterable[str]) -> bool:
    """Georgia the country needs Caucasus context, or Russia without U.S.-state signals."""
    text = doc.text
    if _CAUCASUS_CONTEXT.search(text):
        return True
    return "RU" in set(codes_seen) and not _US_STATE_CONTEXT.search(text)


def _geographic_feature(span: Span) -> bool:
    """True for "Taiwan Strait", "Philippine Sea", "Gulf of Mexico", "Sea of Japan"."""
    doc = span.doc
    if span.end < len(doc) and doc[span.end].text in _GEO_FEATURES:
        return True
    return (
        span.start >= 2 and doc[span.start - 1].text == "of" and doc[span.start - 2].text in _GEO_OF
    )


def _raw_matches(doc: Doc) -> Iterator[_Match]:
    matcher = _phrase_matcher(doc.vocab)
    capitals = capital_forms()
    spans = [Span(doc, start, end, label=key) for key, start, end in matcher(doc)]
    for span in filter_spans(spans):
        code = span.label_
        if code == "BLOCK" or _geographic_feature(span):
            continue
        if span.text in _AMBIGUOUS_NAMES and _inside_longer_name(span):
            continue
        if span.text == "Washington" and not _keep_washington(span):
            continue
        if span.text in _SEATS_OF_GOVERNMENT:
            yield _Match(code=code, span=span)
            continue
        if _is_dateline(span) or (span.text in capitals and not _capital_acts(span)):
            continue
        yield _Match(code=code, span=span)


def _elliptical_korea(doc: Doc, taken: set[int], codes: Counter[str]) -> Iterator[_Match]:
    """ "the North" / "the South" stand for the Koreas in a story that names them."""
    wanted = {"North": "KP"} if codes["KP"] else {}
    if codes["KP"] and codes["KR"]:
        wanted["South"] = "KR"
    if not wanted:
        return
    for token in doc:
        code = wanted.get(token.text)
        if code is None or token.i in taken:
            continue
        following = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if following is not None and following.text[:1].isupper() and following.is_alpha:
            continue
        window = list(doc[max(0, token.i - 3) : token.i])
        articles = [k for k, t in enumerate(window) if t.lower_ == "the"]
        if not articles or any(t.is_punct for t in window[articles[-1] :]):
            continue
        yield _Match(code=code, span=doc[token.i : token.i + 1])


def find_country_mentions(doc: Doc) -> list[CountryMention]:
    """Every span of the document that denotes a country, in text order."""
    matches = list(_raw_matches(doc))
    codes = Counter(m.code for m in matches)
    kept: list[_Match] = []
    georgia_ok: bool | None = None
    for match in matches:
        if match.span.text in {"Georgia", "Georgian", "Georgians"}:
            if georgia_ok is None:
                georgia_ok = _georgia_is_the_country(doc, codes)
            if not georgia_ok:
                continue
        kept.append(match)
    taken = {i for m in kept for i in range(m.span.start, m.span.end)}
    kept.extend(_elliptical_korea(doc, taken, Counter(m.code for m in kept)))
    kept.sort(key=lambda m: m.span.start)
    sentence_of = _sentence_of_token(doc)
    return [
        CountryMention(
            code=m.code,
            text=m.span.text,
            start=m.span.start_char,
            end=m.span.end_char,
            sentence=sentence_of[m.span.start],
        )
        for m in kept
    ]


def count_countries(mentions: Iterable[CountryMention]) -> tuple[Country, ...]:
    """Countries with their mention counts, most mentioned first (ties: first mentioned)."""
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for mention in mentions:
        counts[mention.code] += 1
        first.setdefault(mention.code, mention.start)
    names = country_names()
    ordered = sorted(counts, key=lambda code: (-counts[code], first[code]))
    return tuple(Country(code=c, name=names.get(c, c), mentions=counts[c]) for c in ordered)


def extract_countries(doc: Doc) -> tuple[tuple[Country, ...], tuple[CountryMention, ...]]:
    """Countries the article refers to, with counts, and every mention with its sentence."""
    mentions = find_country_mentions(doc)
    return count_countries(mentions), tuple(mentions)
