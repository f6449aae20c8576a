"""PLACEHOLDER: direct quotations and their speakers (being written)."""

from __future__ import annotations

from spacy.tokens import Doc

from bot.nlp.entities import EntityIndex
from bot.nlp.models import Quote


def extract_quotes(doc: Doc, people: EntityIndex) -> tuple[Quote, ...]:
    """Every direct quotation with its speaker (placeholder)."""
    return ()
