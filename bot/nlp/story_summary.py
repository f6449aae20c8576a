"""A story told once: a summary across its reports, its people, countries and one quote.

Pure functions over fully loaded reports (stored article + analysis). The summary is
continuous LexRank with a lead prior, then MMR so each fact is told once; it opens with one of
a report's first sentences, because news leads are written to stand alone.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.domain.analysis import Quote
from bot.domain.articles import ArticleLead
from bot.domain.stories import LoadedArticle, Story, StoryCluster, StoryCountry, StoryQuote
from bot.domain.text import display_title
from bot.nlp.country_lookup import country_name
from bot.nlp.stories import article_source, count_matrix, summary_report_ids, tfidf
from bot.nlp.text_filters import is_prose, without_dateline

SENTENCES_PER_ARTICLE = 30  # later sentences of a long article rarely carry a story's core
POSITION_WEIGHT = 0.2  # DUC 2006 dev: 0.1-0.2 with MMR 0.4-0.5 scored best (bench/eval)
POSITION_DECAY = 0.25
MMR_LAMBDA = 0.5
LEAD_SENTENCES = 2  # a summary opens with one of a report's first sentences
REDUNDANT_SIMILARITY = 0.5
LEXRANK_DAMPING = 0.15

MAX_PEOPLE = 5
MAX_COUNTRIES = 6
MIN_QUOTE_WORDS = 6


def _sentences(item: LoadedArticle) -> list[str]:
    """The article's sentences as the pipeline split them."""
    text = item.article.text
    spans = item.analysis.sentence_spans
    if not spans:
        return [line.strip() for line in text.splitlines() if line.strip()]
    return [text[start:end].strip() for start, end in spans]


@dataclass(frozen=True)
class _Candidate:
    text: str
    position: int  # sentence order among the article's candidate sentences
    report: int
    words: int


def _candidates(reports: Sequence[LoadedArticle]) -> list[_Candidate]:
    found = []
    seen: set[str] = set()
    for report, item in enumerate(reports):
        position = 0
        for sentence in _sentences(item)[: SENTENCES_PER_ARTICLE * 2]:
            if position >= SENTENCES_PER_ARTICLE:
                break
            if not is_prose(sentence):
                continue
            key = " ".join(sentence.casefold().split())
            if key in seen:  # the same sentence in two reports is one fact
                position += 1
                continue
            seen.add(key)
            text = without_dateline(sentence)
            found.append(_Candidate(text, position, report, len(text.split())))
            position += 1
    return found


def _lexrank(similarity: np.ndarray) -> np.ndarray:
    """Continuous LexRank: the stationary distribution of the similarity graph's random walk."""
    count = similarity.shape[0]
    if count == 0:
        return np.zeros(0)
    weights = similarity.copy()
    np.fill_diagonal(weights, 0.0)
    row_sums = weights.sum(axis=1, keepdims=True)
    row_sums[row_sums == 0] = 1.0
    transition = weights / row_sums
    scores = np.full(count, 1.0 / count)
    for _ in range(100):
        updated = LEXRANK_DAMPING / count + (1 - LEXRANK_DAMPING) * (transition.T @ scores)
        if np.abs(updated - scores).sum() < 1e-8:
            return updated
        scores = updated
    return scores


def _scaled(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low <= 0:
        return np.ones_like(values)
    return (values - low) / (high - low)


def summarize_story(
    reports: Sequence[LoadedArticle],
    *,
    sentences: int = 3,
    words: int | None = None,
    position_weight: float = POSITION_WEIGHT,
    mmr_lambda: float = MMR_LAMBDA,
) -> tuple[str, ...]:
    """Central sentences across the reports, each fact once (LexRank + lead prior, then MMR).

    `reports` are distinct reports (one copy each). With `words`, sentences are added until
    the summary reaches about that many words instead of a sentence count.
    """
    candidates = _candidates(reports)
    if not candidates:
        return ()
    vectors, _ = tfidf(count_matrix([c.text.lower().split() for c in candidates]))
    similarity = (vectors @ vectors.T).toarray()
    centrality = _scaled(_lexrank(similarity))
    position = np.array([math.exp(-POSITION_DECAY * c.position) for c in candidates])
    relevance = (1 - position_weight) * centrality + position_weight * position
    leads = np.array([c.position < LEAD_SENTENCES for c in candidates])
    chosen: list[int] = []
    total_words = 0
    available = np.ones(len(candidates), dtype=bool)
    while available.any():
        if words is None and len(chosen) >= sentences:
            break
        if words is not None and total_words >= words:
            break
        if chosen:
            redundancy = similarity[:, chosen].max(axis=1)
            available &= redundancy < REDUNDANT_SIMILARITY
            if not available.any():
                break
            marginal = mmr_lambda * relevance - (1 - mmr_lambda) * redundancy
        else:
            # The opener is a lead sentence: news leads are written to stand alone.
            marginal = np.where(leads, relevance, relevance - 1.0) if leads.any() else relevance
        marginal = marginal.copy()
        marginal[~available] = -np.inf
        best = int(np.argmax(marginal))
        chosen.append(best)
        available[best] = False
        total_words += candidates[best].words
    # Most important first: without coreference, chronological order across outlets reads no
    # better, and a short briefing should open with the sentence that best tells the story.
    return tuple(candidates[i].text for i in chosen)


# --- people, countries, quotes -------------------------------------------------------------


def _story_people(items: Sequence[LoadedArticle]) -> tuple[str, ...]:
    """The people most reports mention; a bare surname folds into the full name it shortens."""
    reports: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    for item in items:
        for entity in item.analysis.entities:
            # An all-capitals "person" is a dateline or a heading the model misread.
            if entity.label == "PERSON" and not entity.name.isupper():
                reports[entity.name] += 1
                mentions[entity.name] += entity.mentions
    names = sorted(reports, key=lambda n: (-len(n.split()), n))
    canonical: dict[str, str] = {}
    for name in names:
        words = name.split()
        longer = next(
            (
                other
                for other in names
                if len(other.split()) > len(words) and other.split()[-len(words) :] == words
            ),
            None,
        )
        canonical[name] = canonical.get(longer, longer) if longer else name
    folded_reports: Counter[str] = Counter()
    folded_mentions: Counter[str] = Counter()
    for name in names:
        folded_reports[canonical[name]] += reports[name]
        folded_mentions[canonical[name]] += mentions[name]
    ranked = sorted(folded_reports, key=lambda n: (-folded_reports[n], -folded_mentions[n], n))
    return tuple(ranked[:MAX_PEOPLE])


def _story_countries(reports_seen: Sequence[ArticleLead]) -> tuple[StoryCountry, ...]:
    """The countries most reports name, with how often."""
    reports: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    for article in reports_seen:
        for country in article.countries:
            reports[country.code] += 1
            mentions[country.code] += country.mentions
    ranked = sorted(reports, key=lambda code: (-reports[code], -mentions[code], code))
    return tuple(
        StoryCountry(code, country_name(code), reports[code], mentions[code])
        for code in ranked[:MAX_COUNTRIES]
    )


def _story_quote(items: Sequence[LoadedArticle], people: Sequence[str]) -> StoryQuote | None:
    """An attributed, full quote, preferably by one of the story's main people."""
    best: tuple[tuple[Any, ...], Quote, int] | None = None
    for item in items:
        for quote in item.analysis.quotes:
            length = len(quote.text.split())
            if not quote.speaker or length < MIN_QUOTE_WORDS:
                continue
            rank = next(
                (i for i, person in enumerate(people) if _same_person(quote.speaker, person)),
                len(people),
            )
            key = (rank, quote.partial, abs(length - 25), item.article.id, quote.start)
            if best is None or key < best[0]:
                best = (key, quote, item.article.id)
    if best is None:
        return None
    _, quote, article_id = best
    assert quote.speaker is not None
    speaker = next((p for p in people if _same_person(quote.speaker, p)), quote.speaker)
    return StoryQuote(quote.text.strip().rstrip(",;:").rstrip(), speaker, quote.title, article_id)


def _same_person(speaker: str, person: str) -> bool:
    a, b = speaker.casefold().split(), person.casefold().split()
    return bool(a) and bool(b) and (a == b or a[-1] == b[-1])


def build_story(
    articles: Sequence[ArticleLead],
    cluster: StoryCluster,
    loaded: dict[int, LoadedArticle],
    *,
    score: float = 0.0,
    sentences: int = 3,
) -> Story:
    """One story: summary across distinct reports, actors, a quote, and every source."""
    report_ids = summary_report_ids(articles, cluster)
    # Oldest first: the first report sets the headline and wins ties between sentences.
    reports = sorted(
        (loaded[i] for i in report_ids if i in loaded),
        key=lambda item: (item.article.added_at, item.article.id),
    )
    summary = summarize_story(reports, sentences=sentences)
    people = _story_people(reports)
    headline = articles[min(cluster.members, key=lambda i: (articles[i].added_at, articles[i].id))]
    sources = sorted(
        (article_source(articles[i]) for i in cluster.members),
        key=lambda source: (source.added_at, source.article_id),
    )
    return Story(
        title=display_title(headline.title, headline.lead),
        summary=summary,
        countries=_story_countries([articles[group[0]] for group in cluster.reports]),
        people=people,
        quote=_story_quote(reports, people),
        sources=tuple(sources),
        reports=len(cluster.reports),
        first_seen=min(articles[i].added_at for i in cluster.members),
        last_seen=max(articles[i].added_at for i in cluster.members),
        score=score,
    )


def build_stories(
    articles: Sequence[ArticleLead],
    clusters: Sequence[tuple[StoryCluster, float]],
    loaded: dict[int, LoadedArticle],
    sentences: int = 3,
) -> tuple[Story, ...]:
    """The shown stories, in ranking order (one call, so the workers get one job)."""
    return tuple(
        build_story(articles, cluster, loaded, score=score, sentences=sentences)
        for cluster, score in clusters
    )
