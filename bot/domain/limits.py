"""Every limit a user can meet, defined once: cogs, help, console, CLI and services read these."""

from __future__ import annotations

from typing import Final

# Windows of /brief, /relations and `diplobrief brief|relations`.
MIN_DAYS: Final = 1
MAX_DAYS: Final = 30
BRIEF_DEFAULT_DAYS: Final = 1
RELATIONS_DEFAULT_DAYS: Final = 7

# Stories in a briefing, and summary sentences per story or article.
MAX_STORIES: Final = 10
DEFAULT_STORIES: Final = 5
MAX_SENTENCES: Final = 10
DEFAULT_SENTENCES: Final = 3
STORY_SENTENCES: Final = 3

# Summary methods: the default (position-aware centrality), a plain lead, and sumy's.
DEFAULT_SUMMARY_METHOD: Final = "diplobrief"
SUMMARY_METHODS: Final = (
    DEFAULT_SUMMARY_METHOD,
    "lead",
    "position",
    "lexrank",
    "textrank",
    "lsa",
    "luhn",
    "kl",
    "sumbasic",
    "reduction",
)

# What is read as an article.
MAX_INPUT_BYTES: Final = 5_000_000
ARTICLE_FILE_SUFFIXES: Final = (".txt", ".text", ".html", ".htm", ".xhtml", ".md")

# The longest link anyone may give (and the fetcher follows, redirects included).
MAX_LINK_CHARS: Final = 2048

# How much of one article is analysed and kept. Parsing costs ~0.2 s per 1,000 words on one
# core, so a 150,000-word page would hold a worker for minutes: only the first
# MAX_ANALYSED_CHARS of the extracted text (~17,000 words, longer than nearly any article),
# cut at a paragraph or sentence end, are analysed and stored, and the reply says so.
MAX_ANALYSED_CHARS: Final = 100_000
# A job still running after this long is stopped (its worker is replaced) and the user told.
ANALYSIS_TIME_LIMIT_S: Final = 60.0
# Jobs over these sizes (a page's raw characters to extract, an article's characters to
# analyse) go to the large lane, which never takes the last free worker: a small /summarize
# is not queued behind someone's long read.
LARGE_INPUT_CHARS: Final = 1_000_000
LARGE_TEXT_CHARS: Final = 20_000

# Lists.
MAX_QUOTES: Final = 25
DEFAULT_QUOTES: Final = 10
ARTICLES_PER_PAGE: Final = 25
SEARCH_PAGE_SIZE: Final = 5
MAX_TOPIC_CHARS: Final = 100

# Daily digests.
DIGEST_STORIES: Final = 5
DIGEST_SENTENCES: Final = 2

# Link auto-summaries.
LINKS_PER_MESSAGE: Final = 3
USER_LINKS_PER_MINUTE: Final = 5
GUILD_LINKS_PER_MINUTE: Final = 20


def days_range_text() -> str:
    """How the allowed days read in help texts: "1–30"."""
    return f"{MIN_DAYS}–{MAX_DAYS}"
