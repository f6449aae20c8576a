"""What the analysis pipeline learns from one article: frozen values, kept as they are stored."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PEOPLE_SHOWN = 6
MIN_NOTABLE_QUOTE_WORDS = 4


@dataclass(frozen=True)
class Summary:
    """An extractive summary: sentences in article order and the method that chose them."""

    method: str
    sentences: tuple[str, ...]
    sentence_indices: tuple[int, ...] = ()


@dataclass(frozen=True)
class Entity:
    """A person, organization or place with its canonical name and how often it is mentioned."""

    name: str
    label: str  # PERSON, ORG, GPE, LOC, NORP, FAC
    mentions: int
    aliases: tuple[str, ...] = ()
    title: str | None = None


@dataclass(frozen=True)
class CountryMention:
    """One span of text that denotes a country."""

    code: str
    text: str
    start: int
    end: int
    sentence: int


@dataclass(frozen=True)
class Country:
    """A country (ISO 3166-1 alpha-2) and how often the article refers to it."""

    code: str
    name: str
    mentions: int


@dataclass(frozen=True)
class Quote:
    """A direct quotation with its resolved speaker; offsets exclude the quote marks."""

    text: str
    speaker: str | None
    start: int
    end: int
    title: str | None = None
    cue: str | None = None
    partial: bool = False
    speaker_type: str | None = None  # "person", "organisation" or "group" when speaker is set
    scare_quote: bool = False  # a term in quote marks ("so-called “reset”"): never has a speaker


@dataclass(frozen=True)
class Analysis:
    """Everything the pipeline learns from one article's single spaCy pass."""

    summary: Summary
    entities: tuple[Entity, ...]
    countries: tuple[Country, ...]
    quotes: tuple[Quote, ...]
    country_mentions: tuple[CountryMention, ...] = ()
    sentence_spans: tuple[tuple[int, int], ...] = ()
    language: str = "en"

    @property
    def attributed_quotes(self) -> tuple[Quote, ...]:
        """The quotations shown as quotes: not terms in quote marks (scare quotes, titles)."""
        return tuple(q for q in self.quotes if not q.scare_quote)

    def people(self, limit: int = MAX_PEOPLE_SHOWN) -> list[str]:
        """The most mentioned people of the article."""
        return [e.name for e in self.entities if e.label == "PERSON"][:limit]

    def notable_quote(self) -> Quote | None:
        """The quote worth showing first: attributed, full rather than partial, of decent length."""
        candidates = [
            q for q in self.quotes if q.speaker and len(q.text.split()) >= MIN_NOTABLE_QUOTE_WORDS
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda q: (not q.partial, min(len(q.text), 200)))
