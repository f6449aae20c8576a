"""Many articles → stories: copies collapsed, reports clustered by event, stories ranked.

Pure functions over light `ArticleLead`s (title, lead, actors, time), so a month of articles
clusters in well under a second; the briefing service runs them in the analysis workers.
Copies with the same opening (wire copies, one text under two URLs) collapse first; the rest
are compared by TF-IDF cosine over lead words and actors, linked when similar and close in
time. Stories rank by distinct reports and outlets, recency, how central their actors are, and
how diplomatic they are (bot.nlp.diplomacy).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from bot.domain.articles import ArticleLead
from bot.domain.stories import RankedStory, StoryCluster, StorySource
from bot.domain.text import display_title
from bot.domain.window import Window
from bot.nlp.diplomacy import diplomatic_salience
from bot.nlp.text_filters import stemmer, stop_words, without_dateline

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
REPORTS_SUMMARISED = 12  # distinct reports (newest first) whose sentences a summary draws on


def source_site(article: ArticleLead) -> str | None:
    """The outlet: the stored site name, else the link's host."""
    if article.site_name:
        return article.site_name
    if article.url:
        host = urlsplit(article.url).hostname or ""
        return host.removeprefix("www.") or None
    return None


def _source_path(url: str | None) -> str | None:
    """The file an article was read from, when its link is a file:// URL."""
    if url and url.startswith("file://"):
        return unquote(urlsplit(url).path)
    return None


def article_source(article: ArticleLead) -> StorySource:
    """An article as a link in a story's source list: its URL, or the file it was read from."""
    file_url_path = _source_path(article.url)
    return StorySource(
        article_id=article.id,
        title=display_title(article.title, article.lead),
        url=None if file_url_path else article.url,
        path=article.source_path or file_url_path,
        site=source_site(article),
        added_at=article.added_at,
    )


def _actor_tokens(article: ArticleLead) -> list[str]:
    """Countries, people and organisations as tokens that never collide with words."""
    return [f"#c:{c.code}" for c in article.countries] + [
        f"#e:{name.casefold()}" for name in article.names
    ]


# --- clustering ----------------------------------------------------------------------------


_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’—–…«»"


@functools.lru_cache(maxsize=500_000)
def _term_of(token: str) -> str | None:
    """A lower-cased whitespace token as a stemmed content word, or None (stop word, number)."""
    word = token.strip(_PUNCTUATION)
    for possessive in ("'s", "’s"):
        word = word.removesuffix(possessive)
    if len(word) < 2 or not word.isalpha() or word in stop_words():
        return None
    return stemmer()(word)


def count_matrix(documents: Sequence[Sequence[str]]) -> sparse.csr_matrix:
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


def tfidf(counts: sparse.csr_matrix) -> tuple[sparse.csr_matrix, np.ndarray]:
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


def _lead_documents(articles: Sequence[ArticleLead]) -> list[list[str]]:
    """Each title and lead as lower-cased whitespace tokens."""
    return [f"{d.title or ''}\n{d.lead}".lower().split() for d in articles]


def _features(articles: Sequence[ArticleLead]) -> sparse.csr_matrix:
    """Each article as TF-IDF over its title, lead and actors, pruned for a sparse product."""
    words = count_matrix(_lead_documents(articles))
    actors = _actor_matrix(articles)
    matrix, document_frequency = tfidf(sparse.hstack([words, actors], format="csr"))
    if len(articles) >= MIN_ARTICLES_FOR_TERM_SHARE:
        common = document_frequency > MAX_TERM_SHARE * len(articles)
        if common.any():
            matrix.data[common[matrix.indices]] = 0.0
            matrix.eliminate_zeros()
    matrix = _keep_strongest(matrix, TERMS_PER_ARTICLE)
    _normalise_rows(matrix)
    return matrix


def _actor_matrix(articles: Sequence[ArticleLead]) -> sparse.csr_matrix:
    """Countries, people and organisations of each article, each worth ENTITY_WEIGHT words."""
    columns: dict[str, int] = {}
    rows: list[int] = []
    indices: list[int] = []
    for row, article in enumerate(articles):
        for actor in set(_actor_tokens(article)):
            rows.append(row)
            indices.append(columns.setdefault(actor, len(columns)))
    shape = (len(articles), max(len(columns), 1))
    return sparse.csr_matrix(
        (np.full(len(rows), float(ENTITY_WEIGHT)), (rows, indices)), shape=shape
    )


def _copy_keys(article: ArticleLead) -> list[tuple[str, ...]]:
    """Keys that copies of one report share: the opening words, or two paragraphs in a row.

    The opening (without a dateline) catches the same text under another URL or with a cut
    ending; consecutive paragraphs catch a copy whose first paragraph was rewritten or dropped.
    One shared paragraph alone could be common background, so it is not enough.
    """
    opening = without_dateline(article.lead[:COPY_CHARS].lstrip())
    keys: list[tuple[str, ...]] = []
    if opening.count(" ") >= COPY_PARAGRAPH_WORDS:
        keys.append(("opening", opening[:COPY_CHARS].lower()))
    paragraphs = [
        without_dateline(line.strip())[:COPY_CHARS].lower()
        for line in article.lead.split("\n", COPY_PARAGRAPHS)[:COPY_PARAGRAPHS]
        if line.count(" ") >= COPY_PARAGRAPH_WORDS
    ]
    keys += itertools.pairwise(paragraphs)
    return keys


def _copy_groups(articles: Sequence[ArticleLead]) -> list[list[int]]:
    """Articles sharing a copy key, split where more than STORY_GAP separates them."""
    first_with_key: dict[tuple[str, ...], int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for index, article in enumerate(articles):
        for key in _copy_keys(article):
            other = first_with_key.setdefault(key, index)
            if other != index:
                rows.append(other)
                columns.append(index)
    component = _components(len(articles), np.asarray(rows, int), np.asarray(columns, int))
    by_component: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(component):
        by_component[int(label)].append(index)
    groups = []
    for indices in by_component.values():
        indices.sort(key=lambda i: (articles[i].added_at, i))
        current = [indices[0]]
        for index in indices[1:]:
            if articles[index].added_at - articles[current[-1]].added_at > STORY_GAP:
                groups.append(current)
                current = []
            current.append(index)
        groups.append(current)
    return groups


def _components(count: int, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    graph = sparse.coo_matrix((np.ones(len(rows)), (rows, columns)), shape=(count, count))
    return connected_components(graph, directed=False)[1]


def cluster_stories(
    articles: Sequence[ArticleLead],
    *,
    link_similarity: float = LINK_SIMILARITY,
    duplicate_similarity: float = DUPLICATE_SIMILARITY,
) -> list[StoryCluster]:
    """Group articles into stories (same event, any source) and each story into distinct reports.

    Copies with the same opening collapse first; the rest are compared by TF-IDF cosine over
    lead words and actors, linked when similar and within STORY_GAP of each other.
    """
    if not articles:
        return []
    groups = _copy_groups(articles)
    units = [articles[group[0]] for group in groups]
    starts = np.array([articles[group[0]].added_at.timestamp() for group in groups])
    ends = np.array([articles[group[-1]].added_at.timestamp() for group in groups])
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
            tuple(sorted(group, key=lambda i: (-articles[i].text_length, i)))
            for group in reports.values()
        ]
        ordered.sort(key=lambda group: min(group))
        members = tuple(sorted(i for group in ordered for i in group))
        clusters.append(StoryCluster(members=members, reports=tuple(ordered)))
    return clusters


def rank_stories(
    articles: Sequence[ArticleLead],
    clusters: Sequence[StoryCluster],
    *,
    until: datetime,
    window: Window,
) -> list[tuple[StoryCluster, float]]:
    """Stories best first: more distinct reports and outlets, more recent, more central actors,
    and more diplomatic (bot.nlp.diplomacy: countries together, leaders, diplomats, institutions).
    """
    if not clusters:
        return []
    # An actor is central when many of the window's stories involve it.
    actor_stories: Counter[str] = Counter()
    story_actors: list[set[str]] = []
    for cluster in clusters:
        actors: set[str] = set()
        for group in cluster.reports:
            actors.update(_actor_tokens(articles[group[0]]))
        story_actors.append(actors)
        actor_stories.update(actors)
    most = max(actor_stories.values(), default=1)
    half_life = max(window.length.total_seconds() / 4, 3600.0)
    scored = []
    for cluster, actors in zip(clusters, story_actors, strict=True):
        latest = max(articles[i].added_at for i in cluster.members)
        age = max((until - latest).total_seconds(), 0.0)
        recency = 0.5 ** (age / half_life)
        top = sorted((actor_stories[a] / most for a in actors), reverse=True)[:3]
        centrality = sum(top) / 3
        outlets = {source_site(articles[i]) or f"#{i}" for i in cluster.members}
        salience = diplomatic_salience([articles[group[0]] for group in cluster.reports])
        score = (
            math.log1p(len(cluster.reports))
            + 0.25 * math.log1p(len(outlets))
            + 0.5 * recency
            + 0.5 * centrality
            + salience
        )
        scored.append((cluster, score, latest))
    scored.sort(key=lambda entry: (-entry[1], -entry[2].timestamp(), min(entry[0].members)))
    return [(cluster, score) for cluster, score, _ in scored]


def plan_stories(articles: Sequence[ArticleLead], window: Window) -> list[RankedStory]:
    """Cluster and rank a window's articles, best story first (the CPU-heavy first pass)."""
    ranked = rank_stories(articles, cluster_stories(articles), until=window.until, window=window)
    return [RankedStory(cluster, score) for cluster, score in ranked]


def summary_report_ids(articles: Sequence[ArticleLead], cluster: StoryCluster) -> list[int]:
    """Article ids whose full text a story's summary needs: one per report, newest first."""
    reports = sorted(cluster.reports, key=lambda group: articles[group[0]].added_at, reverse=True)
    return [articles[group[0]].id for group in reports[:REPORTS_SUMMARISED]]


def story_members(articles: Sequence[ArticleLead], article_id: int) -> list[int]:
    """Ids of the articles telling the same story as `article_id` (itself included)."""
    for cluster in cluster_stories(articles):
        ids = [articles[i].id for i in cluster.members]
        if article_id in ids:
            return ids
    return [article_id]


def other_reports(
    articles: Sequence[ArticleLead], article_id: int, limit: int
) -> list[StorySource]:
    """The other articles of `article_id`'s story as sources, newest first, at most `limit`."""
    members = set(story_members(articles, article_id)) - {article_id}
    others = sorted(
        (lead for lead in articles if lead.id in members),
        key=lambda lead: (lead.added_at, lead.id),
        reverse=True,
    )
    return [article_source(lead) for lead in others[:limit]]
