"""Persistence for Diplobrief: the SQLite Store and the frozen records it returns."""

from storage.records import AddResult, SearchHit, SearchPage, StoredArticle, StoredQuote
from storage.store import Store, canonical_url, fts_query, text_fingerprint

__all__ = [
    "AddResult",
    "SearchHit",
    "SearchPage",
    "Store",
    "StoredArticle",
    "StoredQuote",
    "canonical_url",
    "fts_query",
    "text_fingerprint",
]
