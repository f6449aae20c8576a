"""Articles before and after storage, search results and stored quotes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.analysis import Analysis, Country

# Article numbers are positive 64-bit integers (SQLite's rowid): anything else names no article.
MAX_ARTICLE_ID = 2**63 - 1


def is_article_id(number: int) -> bool:
    """Whether a number typed as "#N" could be an article's at all (else it is "not found")."""
    return 1 <= number <= MAX_ARTICLE_ID


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
    # The extracted text's length when it was longer than the analysis limit and `text` holds
    # only its beginning (bot.domain.limits.MAX_ANALYSED_CHARS); None when it is whole.
    cut_from: int | None = None

    def source_offset(self, clean_offset: int) -> int:
        """Offset in the original source for an offset in `text` (identity for HTML)."""
        if self.source_kind != "text" or not self.segments:
            return clean_offset
        for seg in reversed(self.segments):
            if clean_offset >= seg.clean_start:
                return seg.source_start + min(clean_offset - seg.clean_start, seg.length)
        return clean_offset


class ArticleOrigin(StrEnum):
    """Where an article's text came from; only a fetched page stands for its URL."""

    FETCHED = "fetched"  # Diplobrief fetched the page at `url` itself
    PASTED = "pasted"  # a member pasted or uploaded it; the link they gave is `given_url`
    FILE = "file"  # read from a local file by whoever runs the CLI (`source_path`)


@dataclass(frozen=True)
class StoredArticle:
    """An article as kept in one scope (a server's or a user's library), with its summary."""

    id: int
    scope: int
    url: str | None
    canonical_url: str | None
    title: str | None
    byline: str | None
    published: str | None
    site_name: str | None
    text: str
    added_at: datetime
    added_by: int | None
    summary_method: str
    summary: tuple[str, ...]
    source_kind: str = "text"
    language: str = "en"
    source_path: str | None = None  # the file it was read from, as typed on the command line
    # `url` is only ever a page Diplobrief fetched; a pasted article's claimed link is
    # `given_url`, shown as the member's word and never used to find or link the article.
    origin: ArticleOrigin = ArticleOrigin.FETCHED
    given_url: str | None = None
    cut_from: int | None = None  # the page's text length when only its beginning is kept

    @property
    def pasted(self) -> bool:
        """Whether a member gave this text (so it speaks for them, not for any page)."""
        return self.origin is ArticleOrigin.PASTED

    def to_extracted(self) -> ExtractedArticle:
        """The article as the pipeline saw it, so it can be re-rendered without re-fetching."""
        return ExtractedArticle(
            text=self.text,
            title=self.title,
            byline=self.byline,
            published=self.published,
            site_name=self.site_name,
            url=self.url,
            source_kind=self.source_kind,
            cut_from=self.cut_from,
        )


@dataclass(frozen=True)
class AddResult:
    """The stored article and whether this call created it (False: it was already there)."""

    article: StoredArticle
    created: bool


@dataclass(frozen=True)
class ArticleReport:
    """A stored article with its analysis, and whether this request added it."""

    article: StoredArticle
    analysis: Analysis
    created: bool


@dataclass(frozen=True)
class ArticleLead:
    """What clustering and ranking need of one article: its opening, actors and time, no more."""

    id: int
    title: str | None
    url: str | None
    site_name: str | None
    added_at: datetime
    lead: str  # the text's first characters (the lead says what the event is)
    text_length: int
    countries: tuple[Country, ...]
    names: tuple[str, ...]  # people and organisations, in the analysis' order
    source_path: str | None = None
    co_mention_sentences: int = 0  # sentences that name two or more countries


@dataclass(frozen=True)
class ArticlePage:
    """One page of a library's articles, newest first, and how many there are in all."""

    articles: tuple[StoredArticle, ...]
    total: int


@dataclass(frozen=True)
class SearchHit:
    """One search result; the snippet marks matched words with HIGHLIGHT_START/END ("**").

    `snippet_parts` is the same text as (text, is_match) pieces, for renderers that must
    escape the article's own markup before adding their own emphasis.
    """

    article_id: int
    title: str | None
    url: str | None
    snippet: str
    added_at: datetime
    snippet_parts: tuple[tuple[str, bool], ...] = ()


HIGHLIGHT_START = "**"
HIGHLIGHT_END = "**"


@dataclass(frozen=True)
class SearchPage:
    """One page of search hits, best first, and how many articles matched in total."""

    hits: tuple[SearchHit, ...]
    total: int


@dataclass(frozen=True)
class StoredQuote:
    """A quotation with its speaker and the article it came from."""

    text: str
    speaker: str | None
    title: str | None
    cue: str | None
    partial: bool
    article_id: int
    article_title: str | None
    article_url: str | None
    added_at: datetime
    speaker_type: str | None = None  # person, organisation or group


@dataclass(frozen=True)
class CountrySentence:
    """One stored sentence that names a country, with every country it names: /relations' input."""

    article_id: int
    sentence_index: int
    text: str  # the sentence as the pipeline split it ("" when its span is missing)
    codes: tuple[str, ...]  # every country the sentence names, the asked one included
    title: str | None  # the article's title
    opening: str  # the text's first characters, for an article without a title ("" otherwise)
