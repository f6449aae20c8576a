"""PLACEHOLDER: country mentions resolved to ISO codes (being written)."""

from __future__ import annotations

from spacy.tokens import Doc

from bot.nlp.models import Country, CountryMention


def extract_countries(doc: Doc) -> tuple[tuple[Country, ...], tuple[CountryMention, ...]]:
    """Countries the article refers to, with counts (placeholder)."""
    return (), ()
