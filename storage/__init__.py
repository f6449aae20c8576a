"""Persistence for Diplobrief: the SQLite Store and the frozen records it returns.

- Open: `store = await Store.open(path)` ... `await store.close()`, or
  `async with await Store.open(path) as store:`. Opening creates the parent folders and applies
  pending migrations (storage/migrations/NNNN_reason.sql, counted in PRAGMA user_version) in
  one transaction. WAL, foreign keys, busy_timeout 5 s, synchronous=NORMAL: a killed process
  loses nothing committed; a power cut may lose the last commits, never consistency.
- Guilds: every method takes `guild_id` first (None = CLI/console) and sees only that guild;
  the digest scheduler's `due_digest_subscriptions` and `next_digest_due` alone span guilds.
- Dedupe: adding an article whose canonical URL (`canonical_url`) or normalised text
  (`text_fingerprint`) is already in the guild returns the stored one with `created=False`.
- Atomicity: an article and its whole analysis are written in one transaction;
  `async with store.transaction():` groups several calls the same way.
- Search: any user text is turned into a safe FTS5 query (`fts_query`): words are all
  required, "double quotes" keep a phrase, a trailing * keeps a prefix; snippets mark matches
  with HIGHLIGHT_START/HIGHLIGHT_END ("**"); `search_ids` gives matching ids only.
- Briefings read light `ArticleDigest`s of a window (`article_digests`) and then only the
  articles they show (`get_articles`, `load_analyses`); rows are converted in chunks so a
  10,000-row read never stalls the event loop for long. /relations reads only the sentences
  that name the country (`country_sentences`), not whole articles.
- Digests: `DigestSubscription` rows (one per channel) and `DigestDelivery` rows (one per
  subscription and local date, marked sent only after Discord accepted the message).
"""

from storage.records import (
    AddResult,
    ArticleDigest,
    CountrySentence,
    DigestDelivery,
    DigestSubscription,
    SearchHit,
    SearchPage,
    StoredArticle,
    StoredQuote,
)
from storage.store import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    Store,
    canonical_url,
    fts_query,
    text_fingerprint,
)

__all__ = [
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "AddResult",
    "ArticleDigest",
    "CountrySentence",
    "DigestDelivery",
    "DigestSubscription",
    "SearchHit",
    "SearchPage",
    "Store",
    "StoredArticle",
    "StoredQuote",
    "canonical_url",
    "fts_query",
    "text_fingerprint",
]
