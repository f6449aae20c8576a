"""The /relations network: drawn from real articles, named in its alt text, readable sizes."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pycountry
from spacy.language import Language

from bot.analysis import AnalysisRequest, run_request
from bot.domain.articles import CountrySentence
from bot.domain.stories import Relation, Relations
from bot.domain.window import Window
from bot.nlp.relations import relations_from_sentences
from bot.pictures.network import MAX_NEIGHBOURS, network_layout, relations_network
from tests.conftest import SEED
from tests.pictures.conftest import looks_drawn

NOW = datetime(2024, 6, 3, 12, tzinfo=UTC)
WEEK = Window(NOW - timedelta(days=7), NOW)


def seed_relations(nlp: Language, code: str) -> Relations:
    """/relations over the seed article, through the real pipeline and relation counting."""
    result = run_request(nlp, AnalysisRequest(data=SEED.read_text(encoding="utf-8")))
    analysis = result.analysis
    by_sentence: dict[int, set[str]] = {}
    for mention in analysis.country_mentions:
        by_sentence.setdefault(mention.sentence, set()).add(mention.code)
    sentences = [
        CountrySentence(
            article_id=1,
            sentence_index=index,
            text=result.article.text[slice(*analysis.sentence_spans[index])],
            codes=tuple(sorted(codes)),
            title=result.article.title,
            opening="",
        )
        for index, codes in sorted(by_sentence.items())
        if code in codes
    ]
    return relations_from_sentences(sentences, code, WEEK)


def test_the_seeds_north_korea_network_is_drawn_and_described(nlp: Language) -> None:
    relations = seed_relations(nlp, "KP")
    assert {"CN", "US"} <= {r.code for r in relations.relations}
    picture = relations_network(relations)
    looks_drawn(picture, width=1200, height=900)
    assert picture.filename == "relations-kp.png"
    description = picture.description
    assert description.startswith("Network of the countries named with North Korea (KP)")
    for relation in relations.relations[:2]:
        assert f"{relation.name} ({relation.code}) {relation.sentences} sentence" in description


def many_relations(count: int) -> Relations:
    codes = [c for c in pycountry.countries if c.alpha_2 != "FR"][:count]
    return Relations(
        "FR",
        "France",
        WEEK,
        tuple(
            Relation(c.alpha_2, c.name, max(1, 90 // (i + 1)), "…", 1, "t")
            for i, c in enumerate(codes)
        ),
        200,
    )


def test_thirty_neighbours_fit_and_the_rest_are_counted() -> None:
    picture = relations_network(many_relations(45))
    looks_drawn(picture, width=1200, height=900)
    description = picture.description
    assert len(description) <= 1024
    listed = len(re.findall(r"\([A-Z]{2}\) \d+ sentence", description))
    more = int(description.rsplit("and ", 1)[1].split()[0])
    assert listed + more == 45 and listed >= 20  # as many as the alt text holds, the rest counted
    assert MAX_NEIGHBOURS == 30


def test_labels_never_share_a_height_on_one_side() -> None:
    codes = [f"C{i}" for i in range(MAX_NEIGHBOURS)]
    positions = network_layout(codes)
    for right in (True, False):
        heights = sorted(y for x, y in positions.values() if (x > 0) == right)
        gaps = [b - a for a, b in itertools.pairwise(heights)]
        assert min(gaps) > 0.1  # one label's height in data units, at 900 px


def test_one_neighbour_and_names_the_font_lacks() -> None:
    relations = Relations(
        "CI",
        "Côte d’Ivoire",
        WEEK,
        (Relation("CN", "中国 China", 3, "…", 1, "t"),),
        3,
    )
    picture = relations_network(relations)  # filterwarnings=error: no missing-glyph warning
    looks_drawn(picture, width=1200)
    assert "Côte d’Ivoire (CI)" in picture.description
