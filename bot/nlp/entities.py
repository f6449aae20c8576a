"""PLACEHOLDER: people, organizations and places (being written)."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from bot.nlp.models import Entity


@dataclass(frozen=True)
class EntityIndex:
    """The article's entities, with what quote attribution needs to resolve speakers."""

    entities: tuple[Entity, ...]


def add_entity_ruler(nlp: Language) -> None:
    """Install patterns that repair the small model's labels (placeholder: none yet)."""


def extract_entities(doc: Doc) -> EntityIndex:
    """Canonical entities of one parsed article (placeholder)."""
    return EntityIndex(entities=())
