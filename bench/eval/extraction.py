"""Article-body extraction quality on the Zyte article-extraction benchmark (`../shared/data`).

Run: `.venv/bin/python -m bench.eval.extraction [--markdown] [--systems ours,trafilatura,...]`.

The metric follows the benchmark's own: `\\w+` tokens, 4-token shingles, TP/FP/FN as the
multiset overlap normalised per page, precision and recall per page, their means over pages,
and F1 as the harmonic mean of the two means. A lower-cased bag-of-words token P/R/F1 is
computed the same way beside it. The benchmark has no train/test split, so pages are split
by the parity of their id's last hex digit: "tune" (even) is the half extractor settings were
chosen on; "held-out" (odd) was only scored. Both halves and the total are reported.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import readability
import trafilatura

from bot.domain.errors import NotAnArticleError
from bot.nlp.extract import extract_html

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
BENCHMARK = SHARED / "data" / "article-extraction-benchmark"
SHINGLE_SIZE = 4
SPLITS = ("tune", "held-out", "all")

_TOKEN = re.compile(r"\w+")

Extractor = Callable[[str, str], str]


@dataclass(frozen=True)
class Page:
    """One benchmark page: its raw HTML and the human-checked article body."""

    id: str
    url: str
    html: str
    body: str

    @property
    def split(self) -> str:
        """ "tune" for ids ending in an even hex digit, "held-out" otherwise."""
        return "tune" if int(self.id[-1], 16) % 2 == 0 else "held-out"


@dataclass(frozen=True)
class Counts:
    """TP/FP/FN of one page, normalised so that they sum to 1 (long pages weigh no more)."""

    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float | None:
        """Precision, or None when neither text has a unit (the page is left out of the mean)."""
        if self.fp == self.fn == 0:
            return 1.0
        if self.tp + self.fp == 0:
            return None
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        """Recall, or None when the truth and the prediction are both empty."""
        if self.fp == self.fn == 0:
            return 1.0
        if self.tp + self.fn == 0:
            return None
        return self.tp / (self.tp + self.fn)


@dataclass(frozen=True)
class Row:
    """One system's scores on one split: shingle P/R/F1, bag-of-words P/R/F1 and its cost."""

    system: str
    split: str
    pages: int
    precision: float
    recall: float
    f1: float
    token_precision: float
    token_recall: float
    token_f1: float
    empty_pages: int
    ms_per_page: float


def tokens(text: str) -> list[str]:
    """The benchmark's tokens: runs of word characters."""
    return _TOKEN.findall(text or "")


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Overlapping `size`-token shingles as a multiset (a shorter text is one shingle)."""
    words = tokens(text)
    found: Counter[tuple[str, ...]] = Counter()
    for start in range(max(1, len(words) - size + 1)):
        shingle = tuple(words[start : start + size])
        if shingle:
            found[shingle] += 1
    return found


def overlap(truth: Counter[tuple[str, ...]] | Counter[str], predicted: Counter) -> Counts:
    """Multiset TP/FP/FN between two bags, normalised per page."""
    tp = float(sum((truth & predicted).values()))
    fp = float(sum((predicted - truth).values()))
    fn = float(sum((truth - predicted).values()))
    total = tp + fp + fn
    if total > 0:
        return Counts(tp / total, fp / total, fn / total)
    return Counts(tp, fp, fn)


def shingle_counts(truth: str, predicted: str) -> Counts:
    """The benchmark's per-page counts over 4-token shingles."""
    return overlap(shingles(truth), shingles(predicted))


def token_counts(truth: str, predicted: str) -> Counts:
    """Per-page counts over lower-cased word tokens (a bag of words)."""
    return overlap(
        Counter(t.lower() for t in tokens(truth)), Counter(t.lower() for t in tokens(predicted))
    )


def mean_scores(pages: Iterable[Counts]) -> tuple[float, float, float]:
    """Mean precision and mean recall over pages, and F1 as their harmonic mean."""
    counts = list(pages)
    precisions = [c.precision for c in counts if c.precision is not None]
    recalls = [c.recall for c in counts if c.recall is not None]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def load_pages(root: Path = BENCHMARK, limit: int | None = None) -> list[Page]:
    """The benchmark's pages in ground-truth order (internal use only; never copied)."""
    pages: list[Page] = []
    with (root / "ground-truth.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            html = gzip.decompress((root / record["html_path"]).read_bytes()).decode("utf-8")
            pages.append(Page(record["id"], record["url"], html, record["body"]))
            if limit is not None and len(pages) >= limit:
                break
    return pages


def extract_ours(html: str, url: str) -> str:
    """Our extractor as the bot runs it; a page it refuses counts as empty."""
    try:
        return extract_html(html, url=url).text
    except NotAnArticleError:
        return ""


def extract_trafilatura(html: str, url: str) -> str:
    """trafilatura with its defaults, as the benchmark runs it."""
    return trafilatura.extract(html) or ""


def extract_trafilatura_precise(html: str, url: str) -> str:
    """trafilatura favouring precision."""
    return trafilatura.extract(html, favor_precision=True) or ""


def extract_readability(html: str, url: str) -> str:
    """readability-lxml's summary with its tags stripped."""
    summary = readability.Document(html).summary(html_partial=True)
    if not summary.strip():
        return ""
    text: str = lxml.html.fromstring(summary).text_content()
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


SYSTEMS: dict[str, Extractor] = {
    "ours": extract_ours,
    "trafilatura": extract_trafilatura,
    "trafilatura precision": extract_trafilatura_precise,
    "readability-lxml": extract_readability,
}


def run_system(extractor: Extractor, pages: Sequence[Page]) -> tuple[list[str], float]:
    """Every page's extracted text, and the mean milliseconds per page."""
    outputs: list[str] = []
    started = time.perf_counter()
    for page in pages:
        outputs.append(extractor(page.html, page.url))
    elapsed = time.perf_counter() - started
    return outputs, 1000 * elapsed / max(1, len(pages))


def score_rows(system: str, pages: Sequence[Page], outputs: Sequence[str], ms: float) -> list[Row]:
    """Rows for the tune half, the held-out half and all pages."""
    rows: list[Row] = []
    for split in SPLITS:
        chosen = [
            (page, text)
            for page, text in zip(pages, outputs, strict=True)
            if split == "all" or page.split == split
        ]
        if not chosen:
            continue
        precision, recall, f1 = mean_scores(shingle_counts(p.body, t) for p, t in chosen)
        token_p, token_r, token_f1 = mean_scores(token_counts(p.body, t) for p, t in chosen)
        rows.append(
            Row(
                system=system,
                split=split,
                pages=len(chosen),
                precision=precision,
                recall=recall,
                f1=f1,
                token_precision=token_p,
                token_recall=token_r,
                token_f1=token_f1,
                empty_pages=sum(1 for _, t in chosen if not t.strip()),
                ms_per_page=ms,
            )
        )
    return rows


def evaluate_extraction(
    systems: Sequence[str] = tuple(SYSTEMS), root: Path = BENCHMARK, limit: int | None = None
) -> list[Row]:
    """Score each named system on the benchmark pages with the same scorer in the same run."""
    pages = load_pages(root, limit)
    rows: list[Row] = []
    for system in systems:
        outputs, ms = run_system(SYSTEMS[system], pages)
        rows.extend(score_rows(system, pages, outputs, ms))
    return rows


def markdown_table(rows: Sequence[Row]) -> str:
    """Rows as a Markdown table, grouped by split."""
    lines = [
        "| split | system | pages | F1 | precision | recall | token F1 | token P | token R "
        "| empty | ms/page |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for split in SPLITS:
        for r in (r for r in rows if r.split == split):
            lines.append(
                f"| {r.split} | {r.system} | {r.pages} | {r.f1:.3f} | {r.precision:.3f} "
                f"| {r.recall:.3f} | {r.token_f1:.3f} | {r.token_precision:.3f} "
                f"| {r.token_recall:.3f} | {r.empty_pages} | {r.ms_per_page:.0f} |"
            )
    return "\n".join(lines)


def plain_table(rows: Sequence[Row]) -> str:
    """Rows as aligned text, grouped by split."""
    lines = [
        f"{'split':<9} {'system':<22} {'n':>4} {'F1':>6} {'P':>6} {'R':>6} "
        f"{'tokF1':>6} {'tokP':>6} {'tokR':>6} {'empty':>5} {'ms':>5}"
    ]
    for split in SPLITS:
        for r in (r for r in rows if r.split == split):
            lines.append(
                f"{r.split:<9} {r.system:<22} {r.pages:>4} {r.f1:>6.3f} {r.precision:>6.3f} "
                f"{r.recall:>6.3f} {r.token_f1:>6.3f} {r.token_precision:>6.3f} "
                f"{r.token_recall:>6.3f} {r.empty_pages:>5} {r.ms_per_page:>5.0f}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument(
        "--systems", default=",".join(SYSTEMS), help=f"comma-separated: {', '.join(SYSTEMS)}"
    )
    args = parser.parse_args(argv)
    if not BENCHMARK.is_dir():
        sys.stderr.write(f"needs the benchmark at {BENCHMARK} (internal datasets)\n")
        return 1
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        parser.error(f"unknown systems: {', '.join(unknown)}")
    started = time.perf_counter()
    rows = evaluate_extraction(systems, limit=args.limit)
    sys.stdout.write((markdown_table(rows) if args.markdown else plain_table(rows)) + "\n")
    sys.stderr.write(f"evaluated in {time.perf_counter() - started:.0f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
