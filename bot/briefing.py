"""Many stored articles → stories told once, ranked, summarised across sources: the briefing.

Two passes keep a month of articles fast. First every article of the window is seen as a
light `ArticleDigest` (title, lead, actors, time): copies are collapsed, the rest clustered
into stories and ranked. Then only the shown stories' reports are read in full to summarise
them. The async entry points (`build_briefing`, `country_relations`) read the Store and run
the CPU work in a worker thread; the pure functions (`cluster_stories`, `rank_stories`,
`summarize_story`, `compose_briefing`, `relations_from_sentences`) work on already loaded data.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
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
from storage.records import ArticleDigest, CountrySentence, StoredArticle
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
LEAD_CHARS = 1200  # the lead says what the event is; the rest adds noise and time
MAX_NAMES = 12  # people and organisations (most mentioned first) an article is clustered by
COPY_PARAGRAPHS = 6  # paragraphs of the lead compared verbatim to find copies
COPY_CHARS = 200  # characters of a paragraph compared
COPY_PARAGRAPH_WORDS = 12  # shorter paragraphs (datelines, captions) are too common to compare
TERMS_PER_ARTICLE = 80  # strongest terms kept per article for the similarity product
ENTITY_WEIGHT = 2  # an actor (country, person, organisation) counts as this many words
# In a large window, words in many articles ("minister", "said") name topics, not events.
MAX_TERM_SHARE = 0.05
MIN_ARTICLES_FOR_TERM_SHARE = 200

# Summaries
MIN_SENTENCE_WORDS = 6
MAX_SENTENCE_WORDS = 60
SENTENCES_PER_ARTICLE = 30  # later sentences of a long article rarely carry a story's core
REPORTS_SUMMARISED = 12  # distinct reports (newest first) whose sentences a summary draws on
POSITION_WEIGHT = 0.2  # DUC 2006 dev: 0.1-0.2 with MMR 0.4-0.5 scored best (bench/eval)
POSITION_DECAY = 0.25
MMR_LAMBDA = 0.5
LEAD_SENTENCES = 2  # a summary opens with one of a report's first sentences
REDUNDANT_SIMILARITY = 0.5
LEXRANK_DAMPING = 0.15

MAX_PEOPLE = 5
MAX_COUNTRIES = 6
MIN_QUOTE_WORDS = 6

_DATELINE = re.compile(r"^\s*[A-Z][A-Z .,'/-]{1,40}(\([\w .]+\))?\s*(--|—|–|-|_)\s+")
_TERMINAL = re.compile(r"""[.!?…]["'”’)\]]*$""")
_NOT_PROSE = re.compile(
    r"\S+@\S+\.\w+|https?://|www\.|comment policy|can be reached at|all rights reserved"
    r"|^\W*(read more|sign up|subscribe|copyright|advertisement|follow\s+@|editor'?s note"
    r"|reporting by|additional reporting|writing by|editing by)",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^[•⦁·\-*▪►]")


class UnknownCountryError(UserFacingError):
    """The user named a country we cannot resolve to an ISO code."""


# --- domain objects ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedArticle:
    """A stored article with its stored analysis: what a story's summary is built from."""

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
    reports: int = 0
    mentions: int = 0


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
    """Indices (into the digest list) of one story's articles, grouped into distinct reports."""

    members: tuple[int, ...]
    reports: tuple[tuple[int, ...], ...]  # each group: copies of one report, longest first


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
    return StoryCountry(code=code, name=country_name(code))


# --- text helpers --------------------------------------------------------------------------


@functools.cache
def _stop_words() -> frozenset[str]:
    return frozenset(get_stop_words("english"))


@functools.cache
def _stem_function() -> Callable[[str], str]:
    return functools.lru_cache(maxsize=200_000)(Stemmer("english"))


def _source_site(digest: ArticleDigest) -> str | None:
    """The outlet: the stored site name, else the link's host."""
    if digest.site_name:
        return digest.site_name
    if digest.url:
        host = urlsplit(digest.url).hostname or ""
        return host.removeprefix("www.") or None
    return None


def _source_path(url: str | None) -> str | None:
    """The file an article was read from, when its link is a file:// URL."""
    if url and url.startswith("file://"):
        return unquote(urlsplit(url).path)
    return None


def article_source(digest: ArticleDigest) -> StorySource:
    """An article as a link in a story's source list: its URL, or the file it was read from."""
    file_url_path = _source_path(digest.url)
    return StorySource(
        article_id=digest.id,
        title=display_title(digest.title, digest.lead),
        url=None if file_url_path else digest.url,
        path=digest.source_path or file_url_path,
        site=_source_site(digest),
        added_at=digest.added_at,
    )


def digest_of(item: LoadedArticle) -> ArticleDigest:
    """The light view of a fully loaded article."""
    article, analysis = item.article, item.analysis
    return ArticleDigest(
        id=article.id,
        title=article.title,
        url=article.url,
        site_name=article.site_name,
        added_at=article.added_at,
        lead=article.text[:LEAD_CHARS],
        text_length=len(article.text),
        countries=analysis.countries,
        names=tuple(e.name for e in analysis.entities if e.label in {"PERSON", "ORG"})[:MAX_NAMES],
        source_path=article.source_path,
    )


def _actor_tokens(digest: ArticleDigest) -> list[str]:
    """Countries, people and organisations as tokens that never collide with words."""
    return [f"#c:{c.code}" for c in digest.countries] + [
        f"#e:{name.casefold()}" for name in digest.names
    ]


def _sentences(item: LoadedArticle) -> list[str]:
    """The article's sentences as the pipeline split them."""
    text = item.article.text
    spans = item.analysis.sentence_spans
    if not spans:
        return [line.strip() for line in text.splitlines() if line.strip()]
    return [text[start:end].strip() for start, end in spans]


def without_dateline(sentence: str) -> str:
    """A sentence without its wire dateline ("WASHINGTON (AP) -- ")."""
    match = _DATELINE.match(sentence)
    if match and len(sentence) - match.end() > 20:
        return sentence[match.end() :]
    return sentence


# --- clustering ----------------------------------------------------------------------------


_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’—–…«»"


@functools.lru_cache(maxsize=500_000)
def _term_of(token: str) -> str | None:
    """A lower-cased whitespace token as a stemmed content word, or None (stop word, number)."""
    word = token.strip(_PUNCTUATION)
    for possessive in ("'s", "’s"):
        word = word.removesuffix(possessive)
    if len(word) < 2 or not word.isalpha() or word in _stop_words():
        return None
    return _stem_function()(word)


def _count_matrix(documents: Sequence[Sequence[str]]) -> sparse.csr_matrix:
    """Documents of whitespace tokens → a CSR matrix of term counts (columns: stemmed terms)."""
    columns: dict[str, int] = {}
    column_of_token: dict[str, int] = {}
    for token in set(itertools.chain.from_iterable(documents)):
        term = _term_of(token)
        column_of_token[token] = -1 if term is None else columns.setdefault(term, len(columns))
    lengths = np.fromiter((len(d) for d in documents), dtype=np.int64, count=len(documents))
    flat = np.fromiter(
        map(column_of_token.__getitem__, itertools.chain.from_iterable(documents)),
        dtype=np.int64,
        count=int(lengths.sum()),
    )
    rows = np.repeat(np.arange(len(documents)), lengths)
    kept = flat >= 0
    shape = (len(documents), max(len(columns), 1))
    counts = sparse.coo_matrix(
        (np.ones(int(kept.sum())), (rows[kept], flat[kept])), shape=shape
    ).tocsr()
    counts.sum_duplicates()
    return counts


def _tfidf(counts: sparse.csr_matrix) -> tuple[sparse.csr_matrix, np.ndarray]:
    """L2-normalised TF-IDF rows (sublinear tf) from counts; also each term's document frequency."""
    matrix = counts.astype(np.float64, copy=True)
    document_frequency = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)
    idf = np.log((1.0 + matrix.shape[0]) / (1.0 + document_frequency)) + 1.0
    matrix.data = (1.0 + np.log(matrix.data)) * idf[matrix.indices]
    _normalise_rows(matrix)
    return matrix, document_frequency


def _normalise_rows(matrix: sparse.csr_matrix) -> None:
    """L2-normalise a CSR matrix's rows in place (empty rows stay empty)."""
    lengths = np.diff(matrix.indptr)
    norms = np.ones(matrix.shape[0])
    if matrix.nnz:
        nonempty = lengths > 0
        squared = np.add.reduceat(matrix.data**2, matrix.indptr[:-1][nonempty])
        norms[nonempty] = np.sqrt(squared)
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, lengths)


def _keep_strongest(matrix: sparse.csr_matrix, per_row: int) -> sparse.csr_matrix:
    """Only each row's `per_row` largest values: keeps the similarity product sparse."""
    lengths = np.diff(matrix.indptr)
    if not (lengths > per_row).any():
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    order = np.lexsort((-matrix.data, rows))
    rank = np.empty(matrix.nnz, dtype=np.int64)
    rank[order] = np.arange(matrix.nnz) - matrix.indptr[rows[order]]
    matrix = matrix.copy()
    matrix.data[rank >= per_row] = 0.0
    matrix.eliminate_zeros()
    return matrix


def _lead_documents(digests: Sequence[ArticleDigest]) -> list[list[str]]:
    """Each title and lead as lower-cased whitespace tokens."""
    return [f"{d.title or ''}\n{d.lead}".lower().split() for d in digests]


def _features(digests: Sequence[ArticleDigest]) -> sparse.csr_matrix:
    """Each article as TF-IDF over its title, lead and actors, pruned for a sparse product."""
    words = _count_matrix(_lead_documents(digests))
    actors = _actor_matrix(digests)
    matrix, document_frequency = _tfidf(sparse.hstack([words, actors], format="csr"))
    if len(digests) >= MIN_ARTICLES_FOR_TERM_SHARE:
        common = document_frequency > MAX_TERM_SHARE * len(digests)
        if common.any():
            matrix.data[common[matrix.indices]] = 0.0
            matrix.eliminate_zeros()
    matrix = _keep_strongest(matrix, TERMS_PER_ARTICLE)
    _normalise_rows(matrix)
    return matrix


def _actor_matrix(digests: Sequence[ArticleDigest]) -> sparse.csr_matrix:
    """Countries, people and organisations of each article, each worth ENTITY_WEIGHT words."""
    columns: dict[str, int] = {}
    rows: list[int] = []
    indices: list[int] = []
    for row, digest in enumerate(digests):
        for actor in set(_actor_tokens(digest)):
            rows.append(row)
            indices.append(columns.setdefault(actor, len(columns)))
    shape = (len(digests), max(len(columns), 1))
    return sparse.csr_matrix(
        (np.full(len(rows), float(ENTITY_WEIGHT)), (rows, indices)), shape=shape
    )


def _copy_keys(digest: ArticleDigest) -> list[tuple[str, ...]]:
    """Keys that copies of one report share: the opening words, or two paragraphs in a row.

    The opening (without a dateline) catches the same text under another URL or with a cut
    ending; consecutive paragraphs catch a copy whose first paragraph was rewritten or dropped.
    One shared paragraph alone could be common background, so it is not enough.
    """
    opening = without_dateline(digest.lead[:COPY_CHARS].lstrip())
    keys: list[tuple[str, ...]] = []
    if opening.count(" ") >= COPY_PARAGRAPH_WORDS:
        keys.append(("opening", opening[:COPY_CHARS].lower()))
    paragraphs = [
        without_dateline(line.strip())[:COPY_CHARS].lower()
        for line in digest.lead.split("\n", COPY_PARAGRAPHS)[:COPY_PARAGRAPHS]
        if line.count(" ") >= COPY_PARAGRAPH_WORDS
    ]
    keys += itertools.pairwise(paragraphs)
    return keys


def _copy_groups(digests: Sequence[ArticleDigest]) -> list[list[int]]:
    """Articles sharing a copy key, split where more than STORY_GAP separates them."""
    first_with_key: dict[tuple[str, ...], int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for index, digest in enumerate(digests):
        for key in _copy_keys(digest):
            other = first_with_key.setdefault(key, index)
            if other != index:
                rows.append(other)
                columns.append(index)
    component = _components(len(digests), np.asarray(rows, int), np.asarray(columns, int))
    by_component: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(component):
        by_component[int(label)].append(index)
    groups = []
    for indices in by_component.values():
        indices.sort(key=lambda i: (digests[i].added_at, i))
        current = [indices[0]]
        for index in indices[1:]:
            if digests[index].added_at - digests[current[-1]].added_at > STORY_GAP:
                groups.append(current)
                current = []
            current.append(index)
        groups.append(current)
    return groups


def _components(count: int, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    graph = sparse.coo_matrix((np.ones(len(rows)), (rows, columns)), shape=(count, count))
    return connected_components(graph, directed=False)[1]


def cluster_stories(
    digests: Sequence[ArticleDigest],
    *,
    link_similarity: float = LINK_SIMILARITY,
    duplicate_similarity: float = DUPLICATE_SIMILARITY,
) -> list[StoryCluster]:
    """Group articles into stories (same event, any source) and each story into distinct reports.

    Copies with the same opening collapse first; the rest are compared by TF-IDF cosine over
    lead words and actors, linked when similar and within STORY_GAP of each other.
    """
    if not digests:
        return []
    groups = _copy_groups(digests)
    units = [digests[group[0]] for group in groups]
    starts = np.array([digests[group[0]].added_at.timestamp() for group in groups])
    ends = np.array([digests[group[-1]].added_at.timestamp() for group in groups])
    features = _features(units)
    similarity = sparse.triu(features @ features.T, k=1, format="coo")
    strong = similarity.data >= min(link_similarity, duplicate_similarity)
    rows, columns = similarity.row[strong], similarity.col[strong]
    values = similarity.data[strong]
    # Close in time: the two groups' spans are no further apart than STORY_GAP.
    gap = np.maximum(starts[rows] - ends[columns], starts[columns] - ends[rows])
    close = gap <= STORY_GAP.total_seconds()
    rows, columns, values = rows[close], columns[close], values[close]
    linked = values >= link_similarity
    story_of = _components(len(units), rows[linked], columns[linked])
    report_of = _components(
        len(units), rows[values >= duplicate_similarity], columns[values >= duplicate_similarity]
    )
    stories: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for unit, group in enumerate(groups):
        stories[int(story_of[unit])][int(report_of[unit])].extend(group)
    clusters = []
    for reports in stories.values():
        # The longest copy stands for a report: wire edits usually cut, seldom add.
        ordered = [
            tuple(sorted(group, key=lambda i: (-digests[i].text_length, i)))
            for group in reports.values()
        ]
        ordered.sort(key=lambda group: min(group))
        members = tuple(sorted(i for group in ordered for i in group))
        clusters.append(StoryCluster(members=members, reports=tuple(ordered)))
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
    vectors, _ = _tfidf(_count_matrix([c.text.lower().split() for c in candidates]))
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


def _story_countries(reports_seen: Sequence[ArticleDigest]) -> tuple[StoryCountry, ...]:
    """The countries most reports name, with how often."""
    reports: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    for digest in reports_seen:
        for country in digest.countries:
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


# --- ranking and composition ---------------------------------------------------------------


def topic_patterns(topic: str) -> list[re.Pattern[str]]:
    """Each topic word as a case-insensitive word-prefix pattern ("sanction" finds "sanctions")."""
    words = [w for w in re.findall(r"\w+", topic) if w.casefold() not in _stop_words()]
    if not words:
        words = re.findall(r"\w+", topic)
    return [re.compile(rf"\b{re.escape(w)}", re.IGNORECASE) for w in words]


def matches_topic(article: StoredArticle, patterns: Sequence[re.Pattern[str]]) -> bool:
    """Whether every topic word occurs in the article's title or text."""
    text = f"{article.title or ''}\n{article.text}"
    return all(pattern.search(text) for pattern in patterns)


def rank_stories(
    digests: Sequence[ArticleDigest],
    clusters: Sequence[StoryCluster],
    *,
    until: datetime,
    window: timedelta,
) -> list[tuple[StoryCluster, float]]:
    """Stories best first: more distinct reports and outlets, more recent, more central actors."""
    if not clusters:
        return []
    # An actor is central when many of the window's stories involve it.
    actor_stories: Counter[str] = Counter()
    story_actors: list[set[str]] = []
    for cluster in clusters:
        actors: set[str] = set()
        for group in cluster.reports:
            actors.update(_actor_tokens(digests[group[0]]))
        story_actors.append(actors)
        actor_stories.update(actors)
    most = max(actor_stories.values(), default=1)
    half_life = max(window.total_seconds() / 4, 3600.0)
    scored = []
    for cluster, actors in zip(clusters, story_actors, strict=True):
        latest = max(digests[i].added_at for i in cluster.members)
        age = max((until - latest).total_seconds(), 0.0)
        recency = 0.5 ** (age / half_life)
        top = sorted((actor_stories[a] / most for a in actors), reverse=True)[:3]
        centrality = sum(top) / 3
        outlets = {_source_site(digests[i]) or f"#{i}" for i in cluster.members}
        score = (
            math.log1p(len(cluster.reports))
            + 0.25 * math.log1p(len(outlets))
            + 0.5 * recency
            + 0.5 * centrality
        )
        scored.append((cluster, score, latest))
    scored.sort(key=lambda entry: (-entry[1], -entry[2].timestamp(), min(entry[0].members)))
    return [(cluster, score) for cluster, score, _ in scored]


def plan_briefing(
    digests: Sequence[ArticleDigest], *, until: datetime, window: timedelta
) -> list[tuple[StoryCluster, float]]:
    """Cluster and rank the window's articles (the CPU-heavy first pass)."""
    return rank_stories(digests, cluster_stories(digests), until=until, window=window)


def summary_report_ids(digests: Sequence[ArticleDigest], cluster: StoryCluster) -> list[int]:
    """Article ids whose full text a story's summary needs: one per report, newest first."""
    reports = sorted(cluster.reports, key=lambda group: digests[group[0]].added_at, reverse=True)
    return [digests[group[0]].id for group in reports[:REPORTS_SUMMARISED]]


def build_story(
    digests: Sequence[ArticleDigest],
    cluster: StoryCluster,
    loaded: dict[int, LoadedArticle],
    *,
    score: float = 0.0,
    sentences: int = 3,
) -> Story:
    """One story: summary across distinct reports, actors, a quote, and every source."""
    report_ids = summary_report_ids(digests, cluster)
    # Oldest first: the first report sets the headline and wins ties between sentences.
    reports = sorted(
        (loaded[i] for i in report_ids if i in loaded),
        key=lambda item: (item.article.added_at, item.article.id),
    )
    summary = summarize_story(reports, sentences=sentences)
    people = _story_people(reports)
    headline = digests[min(cluster.members, key=lambda i: (digests[i].added_at, digests[i].id))]
    sources = sorted(
        (article_source(digests[i]) for i in cluster.members),
        key=lambda source: (source.added_at, source.article_id),
    )
    return Story(
        title=display_title(headline.title, headline.lead),
        summary=summary,
        countries=_story_countries([digests[group[0]] for group in cluster.reports]),
        people=people,
        quote=_story_quote(reports, people),
        sources=tuple(sources),
        reports=len(cluster.reports),
        first_seen=min(digests[i].added_at for i in cluster.members),
        last_seen=max(digests[i].added_at for i in cluster.members),
        score=score,
    )


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
    """The whole briefing from fully loaded articles (pure; for tests and evaluations)."""
    selected = list(items)
    topic = topic.strip() if topic and topic.strip() else None
    if topic:
        patterns = topic_patterns(topic)
        selected = [item for item in selected if matches_topic(item.article, patterns)]
    digests = [digest_of(item) for item in selected]
    if country is not None:
        digests = [d for d in digests if any(c.code == country.code for c in d.countries)]
    ranked = plan_briefing(digests, until=until, window=until - since)
    loaded = {item.article.id: item for item in selected}
    stories = tuple(
        build_story(digests, cluster, loaded, score=score, sentences=sentences_per_story)
        for cluster, score in ranked[:max_stories]
    )
    return Briefing(since, until, topic, country, stories, len(items), len(ranked))


# --- relations -----------------------------------------------------------------------------


def country_sentences_of(items: Sequence[LoadedArticle], code: str) -> list[CountrySentence]:
    """The sentences of loaded articles that name `code`, as the Store's country_sentences."""
    found = []
    for item in items:
        codes_by_sentence: dict[int, dict[str, None]] = defaultdict(dict)
        for mention in item.analysis.country_mentions:
            codes_by_sentence[mention.sentence][mention.code] = None
        sentences: list[str] | None = None
        for index, codes in sorted(codes_by_sentence.items()):
            if code not in codes:
                continue
            if sentences is None:
                sentences = _sentences(item)
            found.append(
                CountrySentence(
                    article_id=item.article.id,
                    sentence_index=index,
                    text=sentences[index] if index < len(sentences) else "",
                    codes=tuple(codes),
                    title=item.article.title,
                    opening="" if item.article.title else item.article.text,
                )
            )
    return found


def relations_from_sentences(
    sentences: Sequence[CountrySentence], code: str, *, since: datetime, until: datetime
) -> Relations:
    """Countries named in the same sentences as `code`, with counts and one example each."""
    counts: Counter[str] = Counter()
    examples: dict[str, tuple[tuple[int, int], CountrySentence]] = {}
    seen_sentences: set[str] = set()
    naming = 0
    for sentence in sentences:
        text = sentence.text
        key = " ".join(text.casefold().split())
        if key in seen_sentences:  # a wire copy's sentence is one statement, not two
            continue
        seen_sentences.add(key)
        naming += 1
        others = set(sentence.codes) - {code}
        for other in others:
            counts[other] += 1
            # A short sentence naming just the two reads best as the example.
            quality = (len(others), abs(len(text.split()) - 25))
            if _is_prose(text) and (other not in examples or quality < examples[other][0]):
                examples[other] = (quality, sentence)
            elif other not in examples:
                examples[other] = ((99, 99), sentence)
    relations = tuple(
        Relation(
            code=other,
            name=country_name(other),
            sentences=counts[other],
            example=examples[other][1].text,
            example_article_id=examples[other][1].article_id,
            example_title=display_title(examples[other][1].title, examples[other][1].opening),
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


def relations_from(
    items: Sequence[LoadedArticle], code: str, *, since: datetime, until: datetime
) -> Relations:
    """Relations of `code` in already loaded articles (oldest first), as /relations gives them."""
    return relations_from_sentences(
        country_sentences_of(items, code), code, since=since, until=until
    )


# --- the async service ---------------------------------------------------------------------


class BriefingSource(Protocol):
    """Where a briefing reads articles: the window's digests, then a few articles in full."""

    async def digests(
        self, guild_id: int | None, since: datetime, until: datetime
    ) -> list[ArticleDigest]: ...

    async def matching(self, guild_id: int | None, topic: str, ids: Sequence[int]) -> set[int]: ...

    async def articles(
        self, guild_id: int | None, ids: Sequence[int]
    ) -> dict[int, LoadedArticle]: ...


class StoreSource:
    """The BriefingSource of the product: each step one Store read, nothing kept between them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def digests(
        self, guild_id: int | None, since: datetime, until: datetime
    ) -> list[ArticleDigest]:
        return await self.store.article_digests(
            guild_id, since, until, lead_chars=LEAD_CHARS, max_names=MAX_NAMES
        )

    async def matching(self, guild_id: int | None, topic: str, ids: Sequence[int]) -> set[int]:
        # The topic is searched like /search: every word required, stems and prefixes kept.
        return await self.store.search_ids(guild_id, topic) & set(ids)

    async def articles(self, guild_id: int | None, ids: Sequence[int]) -> dict[int, LoadedArticle]:
        articles = await self.store.get_articles(guild_id, ids)
        analyses = await self.store.load_analyses(guild_id, [a.id for a in articles])
        return {a.id: LoadedArticle(a, analyses[a.id]) for a in articles if a.id in analyses}


def _check_window(now: datetime, days: int) -> tuple[datetime, datetime]:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not 1 <= days <= MAX_DAYS:
        raise UserFacingError(f"Days must be between 1 and {MAX_DAYS}.")
    return now - timedelta(days=days), now


async def load_window(
    store: Store, guild_id: int | None, since: datetime, until: datetime
) -> list[LoadedArticle]:
    """The guild's articles added in [since, until) with their analyses, oldest first."""
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
    store: Store | BriefingSource,
    guild_id: int | None,
    *,
    now: datetime,
    days: int = 1,
    topic: str | None = None,
    country: str | None = None,
    max_stories: int = 5,
    sentences_per_story: int = 3,
) -> Briefing:
    """The guild's stories of the last `days` days; the CPU work runs in worker threads."""
    since, until = _check_window(now, days)
    if not 1 <= max_stories <= MAX_STORIES:
        raise UserFacingError(f"Stories must be between 1 and {MAX_STORIES}.")
    if not 1 <= sentences_per_story <= MAX_SENTENCES:
        raise UserFacingError(f"Sentences must be between 1 and {MAX_SENTENCES}.")
    wanted_country = resolve_country(country) if country and country.strip() else None
    topic = topic.strip() if topic and topic.strip() else None
    source = StoreSource(store) if isinstance(store, Store) else store
    digests = await source.digests(guild_id, since, until)
    considered = len(digests)
    if topic and digests:
        found = await source.matching(guild_id, topic, [d.id for d in digests])
        digests = [d for d in digests if d.id in found]
    if wanted_country is not None:
        code = wanted_country.code
        digests = [d for d in digests if any(c.code == code for c in d.countries)]
    ranked = await asyncio.to_thread(plan_briefing, digests, until=until, window=until - since)
    shown = ranked[:max_stories]
    needed = [i for cluster, _ in shown for i in summary_report_ids(digests, cluster)]
    loaded = await source.articles(guild_id, needed)
    stories = await asyncio.to_thread(
        lambda: tuple(
            build_story(digests, cluster, loaded, score=score, sentences=sentences_per_story)
            for cluster, score in shown
        )
    )
    log.info(
        "briefing for guild %s: %d articles, %d stories, %d shown",
        guild_id,
        considered,
        len(ranked),
        len(stories),
    )
    return Briefing(since, until, topic, wanted_country, stories, considered, len(ranked))


async def country_relations(
    store: Store, guild_id: int | None, country: str, *, now: datetime, days: int = 7
) -> Relations:
    """Who the country is dealing with: countries named in the same sentences, with examples."""
    since, until = _check_window(now, days)
    code = resolve_country(country).code
    # SQL picks the few sentences naming the country; no article or analysis is read whole.
    sentences = await store.country_sentences(guild_id, code, since, until)
    return await asyncio.to_thread(
        relations_from_sentences, sentences, code, since=since, until=until
    )


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
