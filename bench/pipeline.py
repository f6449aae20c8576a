"""Full analysis vs a bare `nlp.pipe` over the same real articles: the cost ratio.

Target: full analysis ≤ 1.3× the bare spaCy pass. Run: `python -m bench.pipeline [N]`.
"""

from __future__ import annotations

import statistics
import sys
import time

import spacy

from bench.common import bbc_articles
from bot.nlp.extract import extract_text
from bot.nlp.pipeline import analyze_many, default_model_name, load_nlp


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 100
    rounds = 3
    records = bbc_articles(count)
    articles = [extract_text(r["text"].replace("\n\n", "\n")) for r in records]
    texts = [a.text for a in articles]
    words = sum(len(t.split()) for t in texts)
    bare = spacy.load(default_model_name())
    full = load_nlp()
    list(bare.pipe(texts[:5]))
    analyze_many(full, articles[:5])
    bare_times, full_times = [], []
    for _ in range(rounds):  # interleaved, so machine noise hits both sides alike
        start = time.perf_counter()
        list(bare.pipe(texts))
        bare_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        analyze_many(full, articles)
        full_times.append(time.perf_counter() - start)
    bare_s, full_s = statistics.median(bare_times), statistics.median(full_times)
    print(f"pipeline: {len(texts)} BBC politics articles, {words} words, median of {rounds}")
    print(f"  bare nlp.pipe      {len(texts) / bare_s:6.1f} articles/s  ({bare_s:.2f} s)")
    print(f"  full analysis      {len(texts) / full_s:6.1f} articles/s  ({full_s:.2f} s)")
    print(f"  ratio full / bare  {full_s / bare_s:.2f}×   (target ≤ 1.30×)")


if __name__ == "__main__":
    main(sys.argv[1:])
