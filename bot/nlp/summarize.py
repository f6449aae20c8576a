"""PLACEHOLDER: extractive summaries with sumy fed from the spaCy parse (being written)."""

from __future__ import annotations

from spacy.tokens import Doc

from bot.nlp.models import Summary

METHODS: tuple[str, ...] = ("lead",)
DEFAULT_METHOD = "lead"


def summarize(
    doc: Doc, *, method: str | None = None, sentences: int = 3, title: str | None = None
) -> Summary:
    """The first sentences (placeholder)."""
    chosen = [s.text.strip() for s in doc.sents if s.text.strip()][:sentences]
    return Summary(method=method or DEFAULT_METHOD, sentences=tuple(chosen))
