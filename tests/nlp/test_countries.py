"""Countries as a reader would list them: names, demonyms and capitals, never seas or regions."""

from __future__ import annotations

import json

import pytest
from spacy.language import Language

from bot.domain.analysis import Country, CountryMention
from bot.nlp.countries import extract_countries
from tests.conftest import shared_path


def countries_of(
    nlp: Language, text: str
) -> tuple[tuple[Country, ...], tuple[CountryMention, ...]]:
    return extract_countries(nlp(text))


def codes_of(nlp: Language, text: str) -> list[str]:
    return [m.code for m in countries_of(nlp, text)[1]]


def test_seed_lists_the_five_countries_most_mentioned_first(nlp: Language, seed_text: str) -> None:
    countries, _ = countries_of(nlp, seed_text)
    assert [c.code for c in countries] == ["CN", "KP", "US", "IR", "JP"]
    names = {c.code: c.name for c in countries}
    assert names["KP"] == "North Korea"
    assert names["US"] == "United States"


def test_seed_never_reports_seas_reefs_or_peninsulas(nlp: Language, seed_text: str) -> None:
    _, mentions = countries_of(nlp, seed_text)
    for phrase in ("South China Sea", "Korean Peninsula", "Subi Reef", "North Asian"):
        start = 0
        while (start := seed_text.find(phrase, start)) != -1:
            end = start + len(phrase)
            assert not [m for m in mentions if m.start < end and start < m.end], phrase
            start = end


def test_seed_mentions_match_the_gold(nlp: Language, seed_text: str) -> None:
    gold = json.loads(shared_path("eval", "seed-gold.json").read_text(encoding="utf-8"))
    _, mentions = countries_of(nlp, seed_text)
    # capitals as venues ("in Beijing", "a trip to Beijing") are not their country
    gold_set = {
        (m["start"], m["end"], m["iso2"])
        for m in gold["country_mentions"]
        if m.get("kind") != "capital_location"
    }
    found = {(m.start, m.end, m.code) for m in mentions}
    correct = len(gold_set & found)
    assert correct / len(gold_set) >= 0.95  # measured 58/58
    assert correct / len(found) >= 0.95  # measured 58/58


def test_mentions_carry_their_sentence_index(nlp: Language) -> None:
    doc = nlp("Talks stalled.\nThen Beijing and Pyongyang agreed. Tokyo objected.")
    sentences = list(doc.sents)
    _, mentions = extract_countries(doc)
    assert [(m.text, m.code) for m in mentions] == [
        ("Beijing", "CN"),
        ("Pyongyang", "KP"),
        ("Tokyo", "JP"),
    ]
    for mention in mentions:
        sentence = sentences[mention.sentence]
        assert sentence.start_char <= mention.start < mention.end <= sentence.end_char
    assert mentions[0].sentence == mentions[1].sentence != mentions[2].sentence


def test_demonyms_resolve_to_their_country(nlp: Language) -> None:
    text = "Iranian and Russian envoys met North Koreans, Israelis and the Swiss mediator."
    assert codes_of(nlp, text) == ["IR", "RU", "KP", "IL", "CH"]


def test_capitals_and_seats_of_government_stand_for_the_country(nlp: Language) -> None:
    text = "The Kremlin rebuffed Tehran, while Moscow courted Beijing and the White House watched."
    assert codes_of(nlp, text) == ["RU", "IR", "RU", "CN", "US"]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Beijing said on Monday that the talks would go on.", ["CN"]),
        ("Washington warned of new sanctions against Moscow.", ["US", "RU"]),
        ("The ministers criticised Tehran's response to the offer.", ["IR"]),
        ("Officials in Ankara welcomed the plan, and Beijing officials agreed.", ["CN"]),
        ("The envoy, a former ambassador to Washington, spoke first.", ["US"]),
    ],
)
def test_a_capital_that_acts_counts_for_its_country(
    nlp: Language, text: str, codes: list[str]
) -> None:
    assert codes_of(nlp, text) == codes


@pytest.mark.parametrize(
    "text",
    [
        "The talks in Madrid ended without a deal on fishing quotas.",
        "The delegates flew to Paris on Sunday and met trade unions there.",
        "Madrid — The fishing fleet stayed in port for a third day.",
        "Protesters gathered outside the conference hall at the Madrid summit.",
        "After a trip to Lisbon, the trade commissioner returned to work.",
    ],
)
def test_a_capital_that_is_only_a_venue_or_dateline_is_not_a_country(
    nlp: Language, text: str
) -> None:
    assert codes_of(nlp, text) == []


def test_abbreviations_and_short_forms(nlp: Language) -> None:
    text = "The U.S. and the UK differ with Britain's view; American aides and the US envoy left."
    assert codes_of(nlp, text) == ["US", "GB", "GB", "US", "US"]


def test_washington_as_the_us_government_but_not_a_person_paper_or_state(nlp: Language) -> None:
    assert codes_of(nlp, "Washington warned Pyongyang on Tuesday.") == ["US", "KP"]
    others = (
        "George Washington crossed the river. The Washington Post ran the story. "
        "Voters in Washington state went to the polls."
    )
    assert codes_of(nlp, others) == []


def test_seas_regions_and_peninsulas_are_not_countries(nlp: Language) -> None:
    text = (
        "Ships crossed the South China Sea and the Taiwan Strait near the Korean Peninsula, "
        "while Middle East and Latin American diplomats met in the Gulf of Mexico region."
    )
    assert codes_of(nlp, text) == []


def test_georgia_is_a_country_only_in_a_caucasus_story(nlp: Language) -> None:
    us_state = "Georgia's governor spoke in Atlanta about the Senate race."
    assert codes_of(nlp, us_state) == []
    caucasus = (
        "Russian troops stayed in South Ossetia, and Georgia appealed to its allies from Tbilisi."
    )
    assert codes_of(nlp, caucasus) == ["RU", "GE", "GE"]


def test_the_north_stands_for_north_korea_in_a_korea_story(nlp: Language) -> None:
    text = "North Korea fired a missile. Seoul said the North must stop, and South Korea agreed."
    _, mentions = countries_of(nlp, text)
    assert [(m.text, m.code) for m in mentions] == [
        ("North Korea", "KP"),
        ("Seoul", "KR"),
        ("North", "KP"),
        ("South Korea", "KR"),
    ]
    assert codes_of(nlp, "Voters in the North backed the plan.") == []


def test_us_administrations_count_as_the_united_states(nlp: Language) -> None:
    text = "The Obama administration and the Trump administration both pressed China."
    assert codes_of(nlp, text) == ["US", "US", "CN"]


def test_people_and_treaties_named_like_countries_are_not_countries(nlp: Language) -> None:
    text = "Chad Smith praised the Paris Agreement, then met envoys from Chad and Jordan."
    assert codes_of(nlp, text) == ["TD", "JO"]


@pytest.mark.parametrize("text", ["", "No countries are named in this sentence at all."])
def test_text_without_countries_gives_nothing(nlp: Language, text: str) -> None:
    assert countries_of(nlp, text) == ((), ())
