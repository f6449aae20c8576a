"""Very long synthetic English news pages (invented sentences, no real text), for the analysis
limits: the page server serves them, and `make bench` times them."""

from __future__ import annotations

import html
import random

_PEOPLE = ("Anna Berg", "Jeyhun Bayramov", "Ararat Mirzoyan", "Maria Lopez", "Kofi Mensah")
_COUNTRIES = ("Armenia", "Azerbaijan", "France", "Germany", "Brazil", "Kenya", "Norway", "Japan")
_CITIES = ("Vienna", "Geneva", "Doha", "Oslo", "Nairobi", "Lima", "Jakarta")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_SENTENCES = (
    "The foreign ministers of {a} and {b} met in {city} on {day} to discuss the border and trade.",
    "“We have made progress, but much remains to be done,” {who} told reporters in {city}.",
    "Officials from {a} said the talks would resume next month, according to a statement.",
    "{who}, who leads the delegation from {b}, said dialogue works better than threats.",
    "Analysts in {city} warned that the deal could collapse if {a} does not withdraw its troops.",
    "The United Nations and the European Union welcomed the announcement on {day}.",
    "“This is a first step, not the last one,” said {who}, adding that {b} would host talks.",
)
LONG_TITLE = "Ministers Meet Again as Border Talks Drag On"


def long_paragraphs(words: int, *, seed: int = 13, per_paragraph: int = 5) -> list[str]:
    """Paragraphs of invented diplomatic news, about `words` words in all."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    sentences: list[str] = []
    count = 0
    while count < words:
        sentence = rng.choice(_SENTENCES).format(
            a=rng.choice(_COUNTRIES),
            b=rng.choice(_COUNTRIES),
            city=rng.choice(_CITIES),
            day=rng.choice(_DAYS),
            who=rng.choice(_PEOPLE),
        )
        sentences.append(sentence)
        count += len(sentence.split())
        if len(sentences) == per_paragraph:
            paragraphs.append(" ".join(sentences))
            sentences = []
    if sentences:
        paragraphs.append(" ".join(sentences))
    return paragraphs


def long_article_text(words: int, *, seed: int = 13) -> str:
    """A plain-text article: its title, then paragraphs separated by blank lines."""
    return LONG_TITLE + "\n\n" + "\n\n".join(long_paragraphs(words, seed=seed)) + "\n"


def long_article_html(words: int, *, seed: int = 13) -> str:
    """The same article as an HTML page."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in long_paragraphs(words, seed=seed))
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{LONG_TITLE}</title>"
        f"</head><body><article><h1>{LONG_TITLE}</h1>\n{body}\n</article></body></html>"
    )
