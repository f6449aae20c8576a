"""People, organizations and places as a reader would list them: one name per entity, counted."""

from __future__ import annotations

import pytest
from spacy.language import Language

from bot.domain.analysis import Entity
from bot.nlp.entities import extract_entities
from bot.nlp.people import EntityIndex


def index_of(nlp: Language, text: str) -> EntityIndex:
    return extract_entities(nlp(text))


def by_name(index: EntityIndex) -> dict[str, Entity]:
    return {e.name: e for e in index.entities}


@pytest.fixture(scope="module")
def seed_index(nlp: Language, seed_text: str) -> EntityIndex:
    return index_of(nlp, seed_text)


def test_seed_kerry_mentions_merge_into_the_full_name(seed_index: EntityIndex) -> None:
    entities = by_name(seed_index)
    kerry = entities["John F. Kerry"]
    assert kerry.label == "PERSON"
    assert "Kerry" in kerry.aliases
    assert kerry.mentions >= 8
    assert kerry.title == "Secretary of State"
    assert "Kerry" not in entities and "Mr. Kerry" not in entities


def test_seed_wang_and_power_by_surname_despite_the_wrong_honorific(
    seed_index: EntityIndex,
) -> None:
    entities = by_name(seed_index)
    assert entities["Wang Yi"].label == "PERSON"
    assert entities["Wang Yi"].mentions == 6
    power = entities["Samantha Power"]
    assert power.label == "PERSON"  # the small model says ORG
    assert power.mentions == 2  # "Samantha Power" and "Mr. Power"
    assert power.title == "U.S. ambassador to the U.N."


def test_seed_places_and_airlines_are_not_people(seed_index: EntityIndex) -> None:
    entities = by_name(seed_index)
    assert entities["Subi Reef"].label == "LOC"
    assert entities["Air Koryo"].label == "ORG"
    people = {e.name for e in seed_index.entities if e.label == "PERSON"}
    assert people >= {"John F. Kerry", "Wang Yi", "Samantha Power", "Kim Jong-un", "Xi Jinping"}
    assert not any("Reef" in name or "Air " in name for name in people)


def test_seed_names_have_no_possessives_articles_or_honorifics(seed_index: EntityIndex) -> None:
    for entity in seed_index.entities:
        assert not entity.name.endswith(("’s", "'s")), entity
        assert not entity.name.lower().startswith("the "), entity
        assert not entity.name.startswith(("Mr.", "Ms.", "Mrs.", "Dr.")), entity
    assert "North Korea" in by_name(seed_index)


def test_seed_un_aliases_share_one_canonical_name(seed_index: EntityIndex) -> None:
    entities = by_name(seed_index)
    assert entities["United Nations"].label == "ORG"
    assert entities["United Nations"].mentions == 3
    council = entities["United Nations Security Council"]
    assert council.mentions == 2
    assert "U.N." not in entities and "Security Council" not in entities


def test_entities_are_sorted_by_mentions(seed_index: EntityIndex) -> None:
    counts = [e.mentions for e in seed_index.entities]
    assert counts == sorted(counts, reverse=True)
    assert {e.label for e in seed_index.entities} <= {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}


def test_ruler_labels_international_organizations(nlp: Language) -> None:
    text = (
        "NATO ministers met in Brussels with officials from the EU and the IAEA.\n"
        "The IMF and the World Bank sent observers, and the G20 issued a statement.\n"
    )
    entities = by_name(index_of(nlp, text))
    for name in ("NATO", "European Union", "International Atomic Energy Agency"):
        assert entities[name].label == "ORG", name
    assert entities["International Monetary Fund"].label == "ORG"
    assert entities["World Bank"].label == "ORG"
    assert entities["G20"].label == "ORG"


def test_surname_only_mentions_join_the_right_person(nlp: Language) -> None:
    text = (
        "Senator Helen Brandt and Governor Paul Okafor toured the flooded towns on Monday.\n"
        "Brandt promised federal money. Mr. Okafor thanked the volunteers.\n"
        "Later, Ms. Brandt met the mayors.\n"
    )
    index = index_of(nlp, text)
    entities = by_name(index)
    assert entities["Helen Brandt"].mentions == 3
    assert entities["Paul Okafor"].mentions == 2
    assert entities["Helen Brandt"].title == "Senator"
    assert "Brandt" not in entities and "Okafor" not in entities
    assert index.resolve_name(["Mr.", "Okafor"], at_token=len(index.entities)) == "Paul Okafor"
    assert index.resolve_title(["the", "senator"], at_token=40) == "Helen Brandt"


def test_acronym_merges_into_the_name_the_article_spells_out(nlp: Language) -> None:
    text = (
        "Court Weighs New Limits On Power Plant Emissions Across The Country\n"
        "The Environmental Protection Agency defended its rules in court on Tuesday.\n"
        "Lawyers for the EPA said the rules were lawful, and the EPA will appeal any loss.\n"
    )
    entities = by_name(index_of(nlp, text))
    agency = entities["Environmental Protection Agency"]
    assert agency.mentions == 3
    assert "EPA" in agency.aliases
    assert "EPA" not in entities
    assert not any(len(name.split()) >= 4 and "Court" in name for name in entities)


def test_hyphenated_names_on_the_first_line_are_kept(nlp: Language) -> None:
    text = "South Korean President Park Min-jun met Prime Minister Haruto Sato in Tokyo."
    entities = by_name(index_of(nlp, text))
    assert entities["Park Min-jun"].label == "PERSON"
    assert entities["Park Min-jun"].title == "South Korean President"


def people_of(index: EntityIndex) -> dict[str, Entity]:
    return {e.name: e for e in index.entities if e.label == "PERSON"}


@pytest.mark.parametrize(
    ("text", "person", "mentions"),
    [
        (
            "Osama bin Laden was killed in Abbottabad in 2011.\n"
            "US officials said Bin Laden had lived there for years.\n"
            "Bin Laden's courier led them to the house.\n",
            "Osama bin Laden",
            3,
        ),
        (
            "Sudan's former president Omar Hassan al-Bashir was moved to a prison.\n"
            "Bashir ruled for three decades.\n",
            "Omar Hassan al-Bashir",
            2,
        ),
        (
            "Oceanographer Erik van Sebille tracked the plastic.\n"
            "Van Sebille said the currents carried it north.\n",
            "Erik van Sebille",
            2,
        ),
        (
            "South Korean President Yoon Suk Yeol met the Japanese prime minister on Monday.\n"
            "Yoon said the two countries would share intelligence.\n",
            "Yoon Suk Yeol",
            2,
        ),
    ],
)
def test_family_names_with_particles_and_three_part_names_merge_whole(
    nlp: Language, text: str, person: str, mentions: int
) -> None:
    people = people_of(index_of(nlp, text))
    assert list(people) == [person]
    assert people[person].mentions == mentions


def test_wire_credits_name_no_people(nlp: Language) -> None:
    text = (
        "Foreign ministers met in Brussels on Monday to discuss tariffs on steel.\n"
        "They agreed to meet again in March.\n"
        "Reporting by Jane Roe and Peter Smith; Editing by John Doe\n"
    )
    assert people_of(index_of(nlp, text)) == {}


def test_parties_and_groups_are_not_people(nlp: Language) -> None:
    text = (
        "Labour and the Lib Dems attacked the budget on Tuesday.\n"
        "Lib Dem Norman Baker said the plan was unfair to pensioners.\n"
        "The Tories said Labour had no answer to the deficit.\n"
    )
    index = index_of(nlp, text)
    assert set(people_of(index)) == {"Norman Baker"}
    labels = {e.name: e.label for e in index.entities}
    assert labels.get("Labour") == "ORG"
    assert labels.get("Lib Dems") == "ORG"


def test_the_end_of_a_longer_name_is_not_a_person(nlp: Language) -> None:
    text = (
        "MPs will debate the Finance Bill on Tuesday before the election is called.\n"
        "A shortened Finance Bill would have to pass both houses within a week.\n"
    )
    assert "Bill" not in people_of(index_of(nlp, text))
