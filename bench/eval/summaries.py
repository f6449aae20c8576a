"""ROUGE-1/2/L F1 of every summary method against human and BBC references (`../shared/data`).

Sets: SummEval (CNN/DailyMail, 11 references per article: the mean F1 over references),
Newsroom (one publisher summary), BBC News Summary dev split, politics by default (extractive
machine-selected references: reported, not tuned for). Two budgets: 3 sentences, and sentences
chosen until about the reference's word count (the mean over an article's references).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rouge_score import rouge_scorer
from spacy.language import Language
from spacy.tokens import Doc

from bot.nlp.pipeline import load_nlp
from bot.nlp.summarize import DEFAULT_METHOD, METHODS, summarize

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
HUMAN_REFS = SHARED / "data" / "human-refs"
BBC = SHARED / "data" / "bbc-news-summary" / "bbc-news-summary.jsonl.gz"
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
SENTENCE_BUDGET = 3
BUDGETS = ("3 sentences", "reference words")


@dataclass(frozen=True)
class Item:
    """One article and its reference summaries."""

    id: str
    title: str | None
    text: str
    references: tuple[str, ...]

    @property
    def reference_words(self) -> int:
        return round(statistics.mean(len(r.split()) for r in self.references))


@dataclass(frozen=True)
class Row:
    """Mean ROUGE F1 (in points) of one method on one set at one budget."""

    dataset: str
    method: str
    budget: str
    articles: int
    rouge1: float
    rouge2: float
    rougeL: float


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _references(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def load_human_set(name: str, limit: int | None = None) -> list[Item]:
    """`summeval-cnndm` or `newsroom` from ../shared/data/human-refs."""
    items = [
        Item(r["id"], r.get("title") or None, r["text"], _references(r["reference"]))
        for r in _read_jsonl(HUMAN_REFS / f"{name}.jsonl")
    ]
    return items[:limit] if limit else items


def load_bbc(limit: int | None = None, category: str | None = "politics") -> list[Item]:
    """BBC News Summary dev split (one category, or all with None), duplicates dropped."""
    items: list[Item] = []
    seen_groups: set[Any] = set()
    for r in _read_jsonl(BBC):
        if r["split"] != "dev" or (category and r["category"] != category):
            continue
        group = r.get("dup_group")
        if group is not None:
            if group in seen_groups:
                continue
            seen_groups.add(group)
        items.append(Item(r["id"], r.get("title") or None, r["text"], (r["summary"],)))
        if limit and len(items) >= limit:
            break
    return items


def load_sets(
    limit: int | None = None, bbc_category: str | None = "politics"
) -> dict[str, list[Item]]:
    """Every evaluation set that is present, by display name."""
    sets: dict[str, list[Item]] = {}
    if (HUMAN_REFS / "summeval-cnndm.jsonl").exists():
        sets["SummEval"] = load_human_set("summeval-cnndm", limit)
    if (HUMAN_REFS / "newsroom.jsonl").exists():
        sets["Newsroom"] = load_human_set("newsroom", limit)
    if BBC.exists():
        sets[f"BBC dev {bbc_category or 'all'}"] = load_bbc(limit, bbc_category)
    return sets


def parse_items(nlp: Language, items: Sequence[Item]) -> list[Doc]:
    """One spaCy parse per article, as the product does."""
    return list(nlp.pipe(item.text for item in items))


class RougeF1:
    """ROUGE-1/2/L F1 with stemming, averaged over an article's references."""

    def __init__(self) -> None:
        self._scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)

    def __call__(self, summary: str, references: Iterable[str]) -> tuple[float, float, float]:
        scores = [self._scorer.score(ref, summary) for ref in references]
        return (
            statistics.mean(s["rouge1"].fmeasure for s in scores),
            statistics.mean(s["rouge2"].fmeasure for s in scores),
            statistics.mean(s["rougeL"].fmeasure for s in scores),
        )


def score_method(
    dataset: str,
    method: str,
    items: Sequence[Item],
    docs: Sequence[Doc],
    rouge: RougeF1,
) -> list[Row]:
    """Rows for one method on one parsed set, at both budgets."""
    rows = []
    for budget in BUDGETS:
        triples = []
        for item, doc in zip(items, docs, strict=True):
            words = item.reference_words if budget == "reference words" else None
            summary = summarize(
                doc, method=method, sentences=SENTENCE_BUDGET, title=item.title, words=words
            )
            triples.append(rouge("\n".join(summary.sentences), item.references))
        rows.append(
            Row(
                dataset=dataset,
                method=method,
                budget=budget,
                articles=len(items),
                rouge1=100 * statistics.mean(t[0] for t in triples),
                rouge2=100 * statistics.mean(t[1] for t in triples),
                rougeL=100 * statistics.mean(t[2] for t in triples),
            )
        )
    return rows


HUMAN_SETS = ("SummEval", "Newsroom")
HALF_METHODS = (DEFAULT_METHOD, "lead")


def evaluate_summaries(
    nlp: Language | None = None,
    *,
    limit: int | None = None,
    methods: Sequence[str] = METHODS,
    bbc_category: str | None = "politics",
    halves: bool = False,
) -> list[Row]:
    """ROUGE rows for every method on every present set, at 3 sentences and reference length;
    with `halves`, also the default and Lead-3 on each half of the human-reference sets (first
    and second half in file order), so a win that holds on one half only shows."""
    nlp = nlp or load_nlp()
    rouge = RougeF1()
    rows: list[Row] = []
    for dataset, items in load_sets(limit, bbc_category).items():
        docs = parse_items(nlp, items)
        for method in methods:
            rows.extend(score_method(dataset, method, items, docs, rouge))
        if halves and dataset in HUMAN_SETS:
            middle = len(items) // 2
            for label, part in (("half 1", slice(0, middle)), ("half 2", slice(middle, None))):
                for method in HALF_METHODS:
                    rows.extend(
                        score_method(f"{dataset} {label}", method, items[part], docs[part], rouge)
                    )
    return rows


def markdown_table(rows: Sequence[Row]) -> str:
    """Rows as a Markdown table, one line per set, budget and method."""
    lines = [
        "| set | budget | method | articles | ROUGE-1 | ROUGE-2 | ROUGE-L |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.dataset} | {r.budget} | {r.method} | {r.articles} "
            f"| {r.rouge1:.2f} | {r.rouge2:.2f} | {r.rougeL:.2f} |"
        )
    return "\n".join(lines)


def plain_table(rows: Sequence[Row]) -> str:
    """Rows as aligned text."""
    lines = [f"{'set':<18} {'budget':<16} {'method':<11} {'n':>4} {'R1':>6} {'R2':>6} {'RL':>6}"]
    for r in rows:
        lines.append(
            f"{r.dataset:<18} {r.budget:<16} {r.method:<11} {r.articles:>4} "
            f"{r.rouge1:>6.2f} {r.rouge2:>6.2f} {r.rougeL:>6.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="articles per set")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods")
    parser.add_argument(
        "--bbc-category", default="politics", help="BBC category, or 'all' for the whole dev split"
    )
    parser.add_argument("--no-halves", action="store_true", help="skip the per-half rows")
    args = parser.parse_args(argv)
    if not SHARED.exists():
        sys.stderr.write(f"needs the shared datasets at {SHARED}\n")
        return 1
    started = time.perf_counter()
    rows = evaluate_summaries(
        limit=args.limit,
        methods=[m.strip() for m in args.methods.split(",") if m.strip()],
        bbc_category=None if args.bbc_category == "all" else args.bbc_category,
        halves=not args.no_halves,
    )
    sys.stdout.write((markdown_table(rows) if args.markdown else plain_table(rows)) + "\n")
    sys.stderr.write(f"evaluated in {time.perf_counter() - started:.0f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
