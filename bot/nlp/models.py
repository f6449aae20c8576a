"""Frozen domain objects produced by the analysis pipeline and kept by the Store."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Segment:
    """A run of cleaned text copied verbatim from the source: maps offsets back to the file."""

    clean_start: int
    source_start: int
    length: int


@dataclass(frozen=True)
class ExtractedArticle:
    """An article's metadata and cleaned body, before any NLP."""

    text: str
    title: str | None = None
    byline: str | None = None
    published: str | None = None
    site_name: str | None = None
    url: str | None = None
    source_kind: str = "text"  # "text" or "html"
    segments: tuple[Segment, ...] = ()

    def source_offset(self, clean_offset: int) -> int:
        """Offset in the original source for an offset in `text` (identity for HTML)."""
        if self.source_kind != "text" or not self.segments:
            return clean_offset
        for seg in reversed(self.segments):
            if clean_offset >= seg.clean_start:
                return seg.source_start + min(clean_offset - seg.clean_start, seg.length)
        return clean_offset


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
    sentence_spans: tuple[tuple[int, int], ...] = field(default=())
    language: str = "en"
