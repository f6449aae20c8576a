"""Who a country deals with: the countries named in the same sentences, with examples."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.domain.articles import CountrySentence
from bot.domain.stories import CountryPair, Relation, Relations
from bot.domain.text import display_title
from bot.domain.window import Window
from bot.nlp.country_lookup import country_name
from bot.nlp.text_filters import is_prose


def relations_from_sentences(
    sentences: Sequence[CountrySentence], code: str, window: Window
) -> Relations:
    """Countries named in the same sentences as `code`, with counts and one example each."""
    counts: Counter[str] = Counter()
    pair_counts: Counter[tuple[str, str]] = Counter()
    examples: dict[str, tuple[tuple[int, int], CountrySentence]] = {}
    seen_sentences: set[str] = set()
    naming = 0
    for sentence in sentences:
        text = sentence.text
        key = " ".join(text.casefold().split())
        if key in seen_sentences:  # a wire copy's sentence is one statement, not two
            continue
        seen_sentences.add(key)
        naming += 1
        others = set(sentence.codes) - {code}
        ordered = sorted(others)
        for index, first in enumerate(ordered):
            for second in ordered[index + 1 :]:
                pair_counts[first, second] += 1
        for other in others:
            counts[other] += 1
            # A short sentence naming just the two reads best as the example.
            quality = (len(others), abs(len(text.split()) - 25))
            if is_prose(text) and (other not in examples or quality < examples[other][0]):
                examples[other] = (quality, sentence)
            elif other not in examples:
                examples[other] = ((99, 99), sentence)
    relations = tuple(
        Relation(
            code=other,
            name=country_name(other),
            sentences=counts[other],
            example=examples[other][1].text,
            example_article_id=examples[other][1].article_id,
            example_title=display_title(examples[other][1].title, examples[other][1].opening),
        )
        for other in sorted(counts, key=lambda c: (-counts[c], c))
    )
    return Relations(
        code=code,
        name=country_name(code),
        window=window,
        relations=relations,
        sentences=naming,
        pairs=tuple(
            CountryPair(first, second, count)
            for (first, second), count in sorted(
                pair_counts.items(), key=lambda item: (-item[1], item[0])
            )
        ),
    )
