"""Multi-document summaries on DUC 2006 dev: the briefing's story summary vs LexRank vs leads.

25 clusters of 25 news documents, 4 human summaries of ~250 words each (internal use only).
Every system is cut to the same word budget (250 words, as DUC did) and scored with ROUGE-1/2/L
F1 (rouge-score, stemming on), averaged over a cluster's references; recall is printed too,
since published DUC figures are recall (LexRank 37.6/8.1, first sentence of each document
30.5/5.2 ROUGE-1/2). Run: `python -m bench.eval.briefing [--limit N] [--markdown]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rouge_score import rouge_scorer
from spacy.language import Language
from spacy.tokens import Doc

from bot.domain.analysis import Analysis
from bot.domain.articles import StoredArticle
from bot.domain.stories import LoadedArticle
from bot.nlp.extract import extract_text
from bot.nlp.pipeline import analyze_doc, load_nlp
from bot.nlp.story_summary import summarize_story
from bot.nlp.summarize import summarize
from bot.nlp.text_filters import without_dateline

REPO = Path(__file__).resolve().parents[2]
DUC = REPO.parent / "shared" / "data" / "human-refs" / "duc2006-dev.jsonl"
WORD_BUDGET = 250
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
SYSTEMS = ("briefing", "lexrank", "first sentences")
PUBLISHED = {"lexrank": (37.6, 8.1), "first sentences": (30.5, 5.2)}


@dataclass(frozen=True)
class Cluster:
    """One DUC topic: its documents and the human summaries."""

    id: str
    titles: tuple[str, ...]
    documents: tuple[str, ...]
    references: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """Mean ROUGE (points) of one system over the clusters."""

    system: str
    clusters: int
    rouge1: float
    rouge2: float
    rougeL: float
    recall1: float
    recall2: float
    words: float


def load_clusters(limit: int | None = None) -> list[Cluster]:
    """The DUC 2006 dev clusters (needs ../shared)."""
    if not DUC.exists():
        raise FileNotFoundError(f"needs {DUC} (internal datasets beside the repository)")
    clusters = []
    with DUC.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            clusters.append(
                Cluster(
                    record["id"],
                    tuple(record["doc_titles"]),
                    tuple(record["documents"]),
                    tuple(record["reference"]),
                )
            )
    return clusters[:limit] if limit else clusters


def truncate_words(sentences: Sequence[str], budget: int = WORD_BUDGET) -> str:
    """The sentences joined and cut at `budget` words, as DUC scoring did."""
    words = " ".join(sentences).split()
    return " ".join(words[:budget])


def analysed_reports(nlp: Language, cluster: Cluster) -> tuple[list[LoadedArticle], list[Doc]]:
    """Each document through the real pipeline, as the briefing would find it stored."""
    articles = [extract_text(text) for text in cluster.documents]
    docs = list(nlp.pipe(a.text for a in articles))
    start = datetime(2000, 1, 1, tzinfo=UTC)
    loaded = []
    for index, (article, doc, title) in enumerate(zip(articles, docs, cluster.titles, strict=True)):
        analysis: Analysis = analyze_doc(doc, title=title)
        stored = StoredArticle(
            id=index + 1,
            scope=0,
            url=None,
            canonical_url=None,
            title=title,
            byline=None,
            published=None,
            site_name=None,
            text=article.text,
            added_at=start + timedelta(minutes=index),
            added_by=None,
            summary_method=analysis.summary.method,
            summary=analysis.summary.sentences,
        )
        loaded.append(LoadedArticle(stored, analysis))
    return loaded, docs


def briefing_summary(reports: Sequence[LoadedArticle], docs: Sequence[Doc]) -> list[str]:
    """The briefing's story summary at the word budget."""
    return list(summarize_story(reports, sentences=0, words=WORD_BUDGET))


def lexrank_summary(reports: Sequence[LoadedArticle], docs: Sequence[Doc]) -> list[str]:
    """sumy LexRank over the whole cluster, fed from the same parses."""
    joined = Doc.from_docs(list(docs))
    return list(summarize(joined, method="lexrank", words=WORD_BUDGET).sentences)


def first_sentences(reports: Sequence[LoadedArticle], docs: Sequence[Doc]) -> list[str]:
    """The first full sentence of each document, in document order."""
    found = []
    for doc in docs:
        for sent in doc.sents:
            text = sent.text.strip()
            if len(text.split()) >= 6:
                found.append(without_dateline(text))
                break
    return found


SYSTEM_FUNCTIONS: dict[str, Callable[[Sequence[LoadedArticle], Sequence[Doc]], list[str]]] = {
    "briefing": briefing_summary,
    "lexrank": lexrank_summary,
    "first sentences": first_sentences,
}


def evaluate(
    nlp: Language | None = None,
    *,
    limit: int | None = None,
    systems: Sequence[str] = SYSTEMS,
) -> list[Row]:
    """ROUGE rows of each system over the DUC clusters."""
    nlp = nlp or load_nlp()
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    scores: dict[str, list[tuple[float, ...]]] = {system: [] for system in systems}
    for cluster in load_clusters(limit):
        reports, docs = analysed_reports(nlp, cluster)
        for system in systems:
            summary = truncate_words(SYSTEM_FUNCTIONS[system](reports, docs))
            per_reference = [scorer.score(ref, summary) for ref in cluster.references]
            scores[system].append(
                (
                    statistics.mean(s["rouge1"].fmeasure for s in per_reference),
                    statistics.mean(s["rouge2"].fmeasure for s in per_reference),
                    statistics.mean(s["rougeL"].fmeasure for s in per_reference),
                    statistics.mean(s["rouge1"].recall for s in per_reference),
                    statistics.mean(s["rouge2"].recall for s in per_reference),
                    float(len(summary.split())),
                )
            )
    return [
        Row(
            system=system,
            clusters=len(values),
            rouge1=100 * statistics.mean(v[0] for v in values),
            rouge2=100 * statistics.mean(v[1] for v in values),
            rougeL=100 * statistics.mean(v[2] for v in values),
            recall1=100 * statistics.mean(v[3] for v in values),
            recall2=100 * statistics.mean(v[4] for v in values),
            words=statistics.mean(v[5] for v in values),
        )
        for system, values in scores.items()
        if values
    ]


def markdown_table(rows: Sequence[Row]) -> str:
    """Rows as a Markdown table, with the published recall anchors beside."""
    lines = [
        "| system | clusters | words | R1 F1 | R2 F1 | RL F1 | R1 recall | R2 recall "
        "| published R1/R2 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        published = PUBLISHED.get(r.system)
        anchor = f"{published[0]:.1f}/{published[1]:.1f}" if published else "—"
        lines.append(
            f"| {r.system} | {r.clusters} | {r.words:.0f} | {r.rouge1:.2f} | {r.rouge2:.2f} "
            f"| {r.rougeL:.2f} | {r.recall1:.2f} | {r.recall2:.2f} | {anchor} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="clusters to evaluate")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated systems")
    parser.add_argument("--markdown", action="store_true", help="(the table is always Markdown)")
    args = parser.parse_args(argv)
    if not DUC.exists():
        sys.stderr.write(f"needs the shared datasets at {DUC}\n")
        return 1
    started = time.perf_counter()
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    rows = evaluate(limit=args.limit, systems=systems)
    sys.stdout.write(markdown_table(rows) + "\n")
    sys.stderr.write(f"evaluated in {time.perf_counter() - started:.0f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
