"""Many stored articles → stories told once, ranked, summarised across sources: the briefing.

The async entry points (`build_briefing`, `country_relations`) read the Store and hand the
CPU part to a worker thread; the pure part (`compose_briefing`, `cluster_stories`,
`summarize_story`, `relations_from`) works on already loaded articles and analyses.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pycountry
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sumy.nlp.stemmers import Stemmer
from sumy.utils import get_stop_words

from bot.errors import UserFacingError
from bot.nlp.countries import NOT_A_COUNTRY, country_names, country_table
from bot.nlp.models import Analysis, Quote
from bot.text_render import display_title
from storage.records import StoredArticle
from storage.store import Store

log = logging.getLogger(__name__)

MAX_DAYS = 90
MAX_STORIES = 10
MAX_SENTENCES = 10

# Clustering: two reports belong to one story when their lead text and actors are this similar
# and they were added within STORY_GAP of each other (a story is an event, not a topic).
LINK_SIMILARITY = 0.3
DUPLICATE_SIMILARITY = 0.8  # above this two articles are copies of one report (wire copies)
STORY_GAP = timedelta(days=3)
LEAD_CHARS = 1500  # the lead says what the event is; the rest adds noise and time
TERMS_PER_ARTICLE = 80  # strongest terms kept per article for the similarity product
ENTITY_WEIGHT = 2.0  # an actor (country, person, organisation) counts as this many words
MAX_TERM_SHARE = 0.5  # words in more than half the window's articles say nothing about events
MIN_ARTICLES_FOR_TERM_SHARE = 40  # in a small window a common word may well be the one story

# Summaries
MIN_SENTENCE_WORDS = 6
MAX_SENTENCE_WORDS = 60
SENTENCES_PER_ARTICLE = 30  # later sentences of a long article rarely carry a story's core
REPORTS_SUMMARISED = 25  # distinct reports whose sentences a summary draws on
POSITION_WEIGHT = 0.35
POSITION_DECAY = 0.25
MMR_LAMBDA = 0.7
REDUNDANT_SIMILARITY = 0.5
LEXRANK_DAMPING = 0.15

MAX_PEOPLE = 5
MAX_COUNTRIES = 6
MIN_QUOTE_WORDS = 6

_WORD = re.compile(r"[^\W\d_]{2,}")
_TERMINAL = re.compile(r"""[.!?…]["'”’)\]]*$""")
_NOT_PROSE = re.compile(
    r"\S+@\S+\.\w+|https?://|www\.|comment policy|can be reached at|all rights reserved"
    r"|^\W*(read more|sign up|subscribe|copyright|advertisement|follow\s+@|editor'?s note)",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^[•⦁·\-*▪►]")


class UnknownCountryError(UserFacingError):
    """The user named a country we cannot resolve to an ISO code."""


# --- domain objects ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedArticle:
    """A stored article with its stored analysis: the pure functions' input."""

    article: StoredArticle
    analysis: Analysis


@dataclass(frozen=True)
class StorySource:
    """One article that reported the story, with where to read it."""

    article_id: int
    title: str
    url: str | None
    path: str | None
    site: str | None
    added_at: datetime


@dataclass(frozen=True)
class StoryCountry:
    """A country a story involves and how many of its reports mention it."""

    code: str
    name: str
    reports: int
    mentions: int


@dataclass(frozen=True)
class StoryQuote:
    """One notable quotation of the story with its speaker."""

    text: str
    speaker: str
    title: str | None
    article_id: int


@dataclass(frozen=True)
class Story:
    """One event as told by one or more sources, summarised once."""

    title: str
    summary: tuple[str, ...]
    countries: tuple[StoryCountry, ...]
    people: tuple[str, ...]
    quote: StoryQuote | None
    sources: tuple[StorySource, ...]
    reports: int  # distinct reports: copies of one text (wire copies, two URLs) count once
    first_seen: datetime
    last_seen: datetime
    score: float


@dataclass(frozen=True)
class Briefing:
    """The stories of a guild's window, most important first."""

    since: datetime
    until: datetime
    topic: str | None
    country: StoryCountry | None
    stories: tuple[Story, ...]
    articles_considered: int
    stories_found: int


@dataclass(frozen=True)
class Relation:
    """Another country named in the same sentences as the asked one."""

    code: str
    name: str
    sentences: int
    example: str
    example_article_id: int
    example_title: str


@dataclass(frozen=True)
class Relations:
    """Who a country is dealing with in a window: co-mentions, most frequent first."""

    code: str
    name: str
    since: datetime
    until: datetime
    relations: tuple[Relation, ...]
    sentences: int  # sentences that name the country at all


@dataclass(frozen=True)
class StoryCluster:
    """Indices (into the input list) of one story's articles, grouped into distinct reports."""

    members: tuple[int, ...]
    reports: tuple[tuple[int, ...], ...]  # each group: copies of one report, best first


# --- country names -------------------------------------------------------------------------


@functools.cache
def _country_lookup() -> dict[str, str]:
    """Case-folded name, demonym, capital or code → ISO alpha-2."""
    lookup: dict[str, str] = {}
    for country in pycountry.countries:
        lookup[country.alpha_2.casefold()] = country.alpha_2
        lookup[country.alpha_3.casefold()] = country.alpha_2
    for phrase, code in country_table().items():
        if code != NOT_A_COUNTRY:
            lookup.setdefault(phrase.casefold(), code)
    for code, name in country_names().items():
        lookup[name.casefold()] = code
    return lookup


def country_name(code: str) -> str:
    """The short English name of an ISO alpha-2 code."""
    return country_names().get(code, code)


def resolve_country(text: str) -> StoryCountry:
    """An ISO code or a name ("North Korea", "china", "KP") as a country, or UnknownCountryError."""
    wanted = " ".join(text.split()).strip(" .")
    key = wanted.casefold()
    code = _country_lookup().get(key)
    if code is None and key.startswith("the "):
        code = _country_lookup().get(key[4:])
    if code is None:
        raise UnknownCountryError(f"No country called {wanted!r}.")
    return StoryCountry(code=code, name=country_name(code), reports=0, mentions=0)


# --- text helpers --------------------------------------------------------------------------


@functools.cache
def _stop_words() -> frozenset[str]:
    return frozenset(get_stop_words("english"))


@functools.cache
def _stem_function() -> Callable[[str], str]:
    return functools.lru_cache(maxsize=200_000)(Stemmer("english"))


def _terms(text: str) -> list[str]:
    """Lower-cased content words (stop words out), unstemmed: callers stem the vocabulary once."""
    stop_words = _stop_words()
    return [w for w in _WORD.findall(text.lower()) if w not in stop_words]


def _source_site(article: StoredArticle) -> str | None:
    """The outlet: the stored site name, else the link's host."""
    if article.site_name:
        return article.site_name
    if article.url:
        host = urlsplit(article.url).hostname or ""
        return host.removeprefix("www.") or None
    return None


def _source_path(article: StoredArticle) -> str | None:
    """The file an article was read from, when its link is a file:// URL."""
    if article.url and article.url.startswith("file://"):
        return unquote(urlsplit(article.url).path)
    return None


def article_source(article: StoredArticle) -> StorySource:
    """An article as a link in a story's source list."""
    return StorySource(
        article_id=article.id,
        title=display_title(article.title, article.text),
        url=None if _source_path(article) else article.url,
        path=_source_path(article),
        site=_source_site(article),
        added_at=article.added_at,
    )


def _actor_tokens(analysis: Analysis) -> list[str]:
    """Countries, people and organisations as tokens that never collide with words."""
    tokens = [f"#c:{c.code}" for c in analysis.countries]
    tokens += [f"#e:{e.name.casefold()}" for e in analysis.entities if e.label in {"PERSON", "ORG"}]
    return tokens


def _sentences(item: LoadedArticle) -> list[str]:
    """The article's sentences as the pipeline split them."""
    text = item.article.text
    spans = item.analysis.sentence_spans
    if not spans:
        return [line.strip() for line in text.splitlines() if line.strip()]
    return [text[start:end].strip() for start, end in spans]


# --- clustering ----------------------------------------------------------------------------


def _tfidf(
    documents: Sequence[Sequence[str]], weights: Sequence[Sequence[float]] | None = None
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Rows: L2-normalised TF-IDF (sublinear tf); also each term's document frequency."""
    vocabulary: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for row, tokens in enumerate(documents):
        counts: dict[int, float] = defaultdict(float)
        row_weights = weights[row] if weights is not None else None
        for position, token in enumerate(tokens):
            column = vocabulary.setdefault(token, len(vocabulary))
            counts[column] += row_weights[position] if row_weights is not None else 1.0
        indices.extend(counts.keys())
        values.extend(counts.values())
        indptr.append(len(indices))
    shape = (len(documents), max(len(vocabulary), 1))
    matrix = sparse.csr_matrix(
        (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
        shape=shape,
    )
    document_frequency = np.bincount(matrix.indices, minlength=shape[1]).astype(np.float64)
    idf = np.log((1.0 + shape[0]) / (1.0 + document_frequency)) + 1.0
    matrix.data = (1.0 + np.log(matrix.data)) * idf[matrix.indices]
    _normalise_rows(matrix)
    return matrix, document_frequency


def _normalise_rows(matrix: sparse.csr_matrix) -> None:
    """L2-normalise a CSR matrix's rows in place (empty rows stay empty)."""
    squared = matrix.multiply(matrix).sum(axis=1).A1
    norms = np.sqrt(squared)
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, np.diff(matrix.indptr))


def _keep_strongest(matrix: sparse.csr_matrix, per_row: int) -> sparse.csr_matrix:
    """Only each row's `per_row` largest values: keeps the similarity product sparse."""
    matrix = matrix.tocsr(copy=True)
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        if end - start > per_row:
            row_values = matrix.data[start:end]
            cutoff = np.partition(row_values, end - start - per_row)[end - start - per_row]
            row_values[row_values < cutoff] = 0.0
    matrix.eliminate_zeros()
    return matrix


def _article_features(items: Sequence[LoadedArticle]) -> sparse.csr_matrix:
    """Each article as TF-IDF over its title, lead and actors (stemmed once per vocabulary)."""
    stem = _stem_function()
    stemmed: dict[str, str] = {}
    documents: list[list[str]] = []
    weights: list[list[float]] = []
    for item in items:
        article = item.article
        words = _terms(f"{article.title or ''}\n{article.text[:LEAD_CHARS]}")
        tokens = []
        for word in words:
            stem_of_word = stemmed.get(word)
            if stem_of_word is None:
                stem_of_word = stemmed[word] = stem(word)
            tokens.append(stem_of_word)
        actors = _actor_tokens(item.analysis)
        documents.append(tokens + actors)
        weights.append([1.0] * len(tokens) + [ENTITY_WEIGHT] * len(actors))
    matrix, document_frequency = _tfidf(documents, weights)
    if len(items) >= MIN_ARTICLES_FOR_TERM_SHARE:
        # Words in most of the window's articles ("said", "government") link unrelated events.
        common = document_frequency > MAX_TERM_SHARE * len(items)
        if common.any():
            matrix = matrix.tocsc()
            keep = np.ones(matrix.shape[1])
            keep[common] = 0.0
            matrix = sparse.csr_matrix(matrix @ sparse.diags(keep))
            matrix.eliminate_zeros()
            _normalise_rows(matrix)
    return matrix


def _similar_pairs(
    items: Sequence[LoadedArticle], threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (i < j) of articles at least `threshold` similar and close enough in time."""
    features = _keep_strongest(_article_features(items), TERMS_PER_ARTICLE)
    _normalise_rows(features)
    similarity = sparse.triu(features @ features.T, k=1).tocoo()
    strong = similarity.data >= threshold
    rows, columns, values = similarity.row[strong], similarity.col[strong], similarity.data[strong]
    if len(rows):
        times = np.array([item.article.added_at.timestamp() for item in items])
        close = np.abs(times[rows] - times[columns]) <= STORY_GAP.total_seconds()
        rows, columns, values = rows[close], columns[close], values[close]
    return rows, columns, values


def cluster_stories(
    items: Sequence[LoadedArticle],
    *,
    link_similarity: float = LINK_SIMILARITY,
    duplicate_similarity: float = DUPLICATE_SIMILARITY,
) -> list[StoryCluster]:
    """Group articles into stories (same event, any source) and each story into distinct reports."""
    count = len(items)
    if count == 0:
        return []
    rows, columns, values = _similar_pairs(items, min(link_similarity, duplicate_similarity))
    linked = values >= link_similarity
    graph = sparse.coo_matrix(
        (np.ones(int(linked.sum())), (rows[linked], columns[linked])), shape=(count, count)
    )
    _, story_of = connected_components(graph, directed=False)
    copies = values >= duplicate_similarity
    copy_graph = sparse.coo_matrix(
        (np.ones(int(copies.sum())), (rows[copies], columns[copies])), shape=(count, count)
    )
    _, report_of = connected_components(copy_graph, directed=False)
    members_by_story: dict[int, list[int]] = defaultdict(list)
    for index, story in enumerate(story_of):
        members_by_story[int(story)].append(index)
    clusters = []
    for members in members_by_story.values():
        reports: dict[int, list[int]] = defaultdict(list)
        for index in members:
            reports[int(report_of[index])].append(index)
        # The longest copy of a report stands for it: wire edits usually cut, seldom add.
        groups = [
            tuple(sorted(group, key=lambda i: (-len(items[i].article.text), i)))
            for group in reports.values()
        ]
        groups.sort(key=lambda group: min(group))
        clusters.append(StoryCluster(members=tuple(members), reports=tuple(groups)))
    return clusters


# --- summaries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    text: str
    position: int  # sentence order among the article's candidate sentences
    report: int
    words: int


def _is_prose(sentence: str) -> bool:
    """A full sentence a summary can use: not a heading, fragment, byline or contact line."""
    words = len(sentence.split())
    return (
        MIN_SENTENCE_WORDS <= words <= MAX_SENTENCE_WORDS
        and bool(_TERMINAL.search(sentence))
        and not _NOT_PROSE.search(sentence)
        and not _BULLET.match(sentence)
    )


def _candidates(reports: Sequence[LoadedArticle]) -> list[_Candidate]:
    found = []
    seen: set[str] = set()
    for report, item in enumerate(reports):
        position = 0
        for sentence in _sentences(item)[: SENTENCES_PER_ARTICLE * 2]:
            if position >= SENTENCES_PER_ARTICLE:
                break
            if not _is_prose(sentence):
                continue
            key = " ".join(sentence.casefold().split())
            if key in seen:  # the same sentence in two reports is one fact
                position += 1
                continue
            seen.add(key)
            found.append(_Candidate(sentence, position, report, len(sentence.split())))
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
    stem = _stem_function()
    vectors, _ = _tfidf([[stem(w) for w in _terms(c.text)] for c in candidates])
    similarity = (vectors @ vectors.T).toarray()
    centrality = _scaled(_lexrank(similarity))
    position = np.array([math.exp(-POSITION_DECAY * c.position) for c in candidates])
    relevance = (1 - position_weight) * centrality + position_weight * position
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
            marginal = relevance.copy()
        marginal[~available] = -np.inf
        best = int(np.argmax(marginal))
        chosen.append(best)
        available[best] = False
        total_words += candidates[best].words
    return tuple(candidates[i].text for i in chosen)


# --- people, countries, quotes -------------------------------------------------------------


def _story_people(items: Sequence[LoadedArticle]) -> tuple[str, ...]:
    """The people most reports mention; a bare surname folds into the full name it shortens."""
    reports: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    for item in items:
        for entity in item.analysis.entities:
            if entity.label == "PERSON":
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


def _story_countries(items: Sequence[LoadedArticle]) -> tuple[StoryCountry, ...]:
    reports: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    for item in items:
        for country in item.analysis.countries:
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
    return StoryQuote(quote.text.strip(), speaker, quote.title, article_id)


def _same_person(speaker: str, person: str) -> bool:
    a, b = speaker.casefold().split(), person.casefold().split()
    return bool(a) and bool(b) and (a == b or a[-1] == b[-1])


# --- ranking and composition ---------------------------------------------------------------


def _matches_topic(item: LoadedArticle, topic_words: Sequence[re.Pattern[str]]) -> bool:
    text = f"{item.article.title or ''}\n{item.article.text}"
    return all(pattern.search(text) for pattern in topic_words)


def topic_patterns(topic: str) -> list[re.Pattern[str]]:
    """Each topic word as a case-insensitive word-prefix pattern ("sanction" finds "sanctions")."""
    words = [w for w in re.findall(r"\w+", topic) if w.casefold() not in _stop_words()]
    if not words:
        words = re.findall(r"\w+", topic)
    return [re.compile(rf"\b{re.escape(w)}", re.IGNORECASE) for w in words]


def _mentions_country(item: LoadedArticle, code: str) -> bool:
    return any(c.code == code for c in item.analysis.countries)


def compose_briefing(
    items: Sequence[LoadedArticle],
    *,
    since: datetime,
    until: datetime,
    topic: str | None = None,
    country: StoryCountry | None = None,
    max_stories: int = 5,
    sentences_per_story: int = 3,
) -> Briefing:
    """The pure briefing: filter, cluster, rank, then summarise only the stories shown."""
    considered = len(items)
    selected = list(items)
    if topic and topic.strip():
        patterns = topic_patterns(topic)
        selected = [item for item in selected if _matches_topic(item, patterns)]
    if country is not None:
        selected = [item for item in selected if _mentions_country(item, country.code)]
    clusters = cluster_stories(selected)
    ranked = rank_stories(selected, clusters, until=until, window=until - since)
    stories = tuple(
        build_story(selected, cluster, score=score, sentences=sentences_per_story)
        for cluster, score in ranked[:max_stories]
    )
    return Briefing(
        since=since,
        until=until,
        topic=topic.strip() if topic and topic.strip() else None,
        country=country,
        stories=stories,
        articles_considered=considered,
        stories_found=len(clusters),
    )


def rank_stories(
    items: Sequence[LoadedArticle],
    clusters: Sequence[StoryCluster],
    *,
    until: datetime,
    window: timedelta,
) -> list[tuple[StoryCluster, float]]:
    """Stories best first: more distinct reports, more recent, more central actors."""
    if not clusters:
        return []
    # An actor is central when many of the window's stories involve it.
    actor_stories: Counter[str] = Counter()
    story_actors: list[set[str]] = []
    for cluster in clusters:
        actors: set[str] = set()
        for index in cluster.members:
            actors.update(_actor_tokens(items[index].analysis))
        story_actors.append(actors)
        actor_stories.update(actors)
    most = max(actor_stories.values(), default=1)
    half_life = max(window.total_seconds() / 4, 3600.0)
    scored = []
    for cluster, actors in zip(clusters, story_actors, strict=True):
        latest = max(items[i].article.added_at for i in cluster.members)
        age = max((until - latest).total_seconds(), 0.0)
        recency = 0.5 ** (age / half_life)
        top = sorted((actor_stories[a] / most for a in actors), reverse=True)[:3]
        centrality = sum(top) / 3
        score = math.log1p(len(cluster.reports)) + 0.5 * recency + 0.5 * centrality
        scored.append((cluster, score, latest))
    scored.sort(key=lambda entry: (-entry[1], -entry[2].timestamp(), min(entry[0].members)))
    return [(cluster, score) for cluster, score, _ in scored]


def build_story(
    items: Sequence[LoadedArticle],
    cluster: StoryCluster,
    *,
    score: float = 0.0,
    sentences: int = 3,
) -> Story:
    """One story: summary across distinct reports, actors, a quote, and every source."""
    members = [items[i] for i in cluster.members]
    reports = [items[group[0]] for group in cluster.reports]
    # The earliest report sets the headline; the lead article is the one others echo most.
    summary_reports = sorted(reports, key=lambda item: (item.article.added_at, item.article.id))
    summary = summarize_story(summary_reports[:REPORTS_SUMMARISED], sentences=sentences)
    people = _story_people(reports)
    headline = summary_reports[0].article
    sources = sorted(
        (article_source(item.article) for item in members),
        key=lambda source: (source.added_at, source.article_id),
    )
    return Story(
        title=display_title(headline.title, headline.text),
        summary=summary,
        countries=_story_countries(reports),
        people=people,
        quote=_story_quote(reports, people),
        sources=tuple(sources),
        reports=len(cluster.reports),
        first_seen=min(item.article.added_at for item in members),
        last_seen=max(item.article.added_at for item in members),
        score=score,
    )


# --- relations -----------------------------------------------------------------------------


def relations_from(
    items: Sequence[LoadedArticle], code: str, *, since: datetime, until: datetime
) -> Relations:
    """Countries named in the same sentences as `code`, with counts and one example each."""
    counts: Counter[str] = Counter()
    examples: dict[str, tuple[tuple[int, int], str, StoredArticle]] = {}
    seen_sentences: set[str] = set()
    naming = 0
    for item in items:
        codes_by_sentence: dict[int, set[str]] = defaultdict(set)
        for mention in item.analysis.country_mentions:
            codes_by_sentence[mention.sentence].add(mention.code)
        sentences: list[str] | None = None
        for index, codes in sorted(codes_by_sentence.items()):
            if code not in codes:
                continue
            if sentences is None:
                sentences = _sentences(item)
            text = sentences[index] if index < len(sentences) else ""
            key = " ".join(text.casefold().split())
            if key in seen_sentences:  # a wire copy's sentence is one statement, not two
                continue
            seen_sentences.add(key)
            naming += 1
            others = codes - {code}
            for other in others:
                counts[other] += 1
                # A short sentence naming just the two reads best as the example.
                quality = (len(others), abs(len(text.split()) - 25))
                if _is_prose(text) and (other not in examples or quality < examples[other][0]):
                    examples[other] = (quality, text, item.article)
                elif other not in examples:
                    examples[other] = ((99, 99), text, item.article)
    relations = tuple(
        Relation(
            code=other,
            name=country_name(other),
            sentences=counts[other],
            example=examples[other][1],
            example_article_id=examples[other][2].id,
            example_title=display_title(examples[other][2].title, examples[other][2].text),
        )
        for other in sorted(counts, key=lambda c: (-counts[c], c))
    )
    return Relations(
        code=code,
        name=country_name(code),
        since=since,
        until=until,
        relations=relations,
        sentences=naming,
    )


# --- the async service ---------------------------------------------------------------------


def _check_window(now: datetime, days: int) -> tuple[datetime, datetime]:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not 1 <= days <= MAX_DAYS:
        raise UserFacingError(f"Days must be between 1 and {MAX_DAYS}.")
    return now - timedelta(days=days), now


async def _load(
    store: Store, guild_id: int | None, since: datetime, until: datetime
) -> list[LoadedArticle]:
    articles = await store.articles_between(guild_id, since, until)
    if not articles:
        return []
    analyses = await store.load_analyses(guild_id, [a.id for a in articles])
    return [
        LoadedArticle(article, analyses[article.id])
        for article in articles
        if article.id in analyses
    ]


async def build_briefing(
    store: Store,
    guild_id: int | None,
    *,
    now: datetime,
    days: int = 1,
    topic: str | None = None,
    country: str | None = None,
    max_stories: int = 5,
    sentences_per_story: int = 3,
) -> Briefing:
    """The guild's stories of the last `days` days; the CPU part runs in a worker thread."""
    since, until = _check_window(now, days)
    if not 1 <= max_stories <= MAX_STORIES:
        raise UserFacingError(f"Stories must be between 1 and {MAX_STORIES}.")
    if not 1 <= sentences_per_story <= MAX_SENTENCES:
        raise UserFacingError(f"Sentences must be between 1 and {MAX_SENTENCES}.")
    wanted_country = resolve_country(country) if country and country.strip() else None
    items = await _load(store, guild_id, since, until)
    briefing = await asyncio.to_thread(
        compose_briefing,
        items,
        since=since,
        until=until,
        topic=topic,
        country=wanted_country,
        max_stories=max_stories,
        sentences_per_story=sentences_per_story,
    )
    log.info(
        "briefing for guild %s: %d articles, %d stories, %d shown",
        guild_id,
        briefing.articles_considered,
        briefing.stories_found,
        len(briefing.stories),
    )
    return briefing


async def country_relations(
    store: Store, guild_id: int | None, country: str, *, now: datetime, days: int = 7
) -> Relations:
    """Who the country is dealing with: countries named in the same sentences, with examples."""
    since, until = _check_window(now, days)
    code = resolve_country(country).code
    items = await _load(store, guild_id, since, until)
    return await asyncio.to_thread(relations_from, items, code, since=since, until=until)


# --- JSON ----------------------------------------------------------------------------------


def briefing_json(briefing: Briefing) -> dict[str, Any]:
    """The briefing as plain JSON for the CLI and tests."""
    return {
        "stories": [
            {
                "title": story.title,
                "summary": list(story.summary),
                "countries": [{"code": c.code, "name": c.name} for c in story.countries],
                "people": list(story.people),
                "quote": (
                    {"text": story.quote.text, "speaker": story.quote.speaker}
                    if story.quote
                    else None
                ),
                "sources": [
                    {"title": s.title, "url": s.url, "path": s.path} for s in story.sources
                ],
            }
            for story in briefing.stories
        ]
    }


def relations_json(relations: Relations) -> dict[str, Any]:
    """Country relations as plain JSON."""
    return {
        "country": {"code": relations.code, "name": relations.name},
        "relations": [
            {
                "code": r.code,
                "name": r.name,
                "sentences": r.sentences,
                "example": r.example,
                "article_id": r.example_article_id,
            }
            for r in relations.relations
        ],
    }
