"""Train the speaker ranker on PolNeAR train and write bot/nlp/data/speaker_ranker.json.

Run: `.venv/bin/python -m tools.train_speakers [--cv] [--dev] [--write]`.

Only PolNeAR **train** is learned from. Each quote's candidates (bot/nlp/quotes.py) are labelled
right when they name the gold source the way bench/eval/quotes.py scores it (a shared name word);
quotes whose gold source names no one ("officials said") label a group or organisation right
when the gold source's words contain it. A conditional logit (softmax over a quote's candidates
and a "no speaker" row, L2-regularised, fitted with L-BFGS) learns the weights. Features that
read earlier decisions (the previous quote's speaker, who spoke last) are first computed with
the gold speakers as history, then recomputed with the model's own decisions and refitted, so
training sees the errors inference will make. The regularisation and the abstention threshold
are chosen by 5-fold cross-validation on train (folds by article, seeded); dev is only a check.
The JSON holds weights and figures, no text.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from spacy.language import Language
from spacy.tokens import Doc

from bench.eval.common import PolnearArticle
from bench.eval.quotes import (
    GoldQuote,
    PredictedQuote,
    QuoteScores,
    _overlap,
    _speaker_right,
    polnear_gold,
    score_quotes,
)
from bot.nlp.entities import extract_entities
from bot.nlp.pipeline import load_nlp
from bot.nlp.quotes import QuoteContext, extract_quotes
from bot.nlp.speakers import SpeakerCandidate, SpeakerRanker
from tools.parse_cache import parsed_polnear

SEED = 11
FOLDS = 5
L2_CHOICES = (0.3, 1.0, 3.0)
THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6)
OUTPUT = Path(__file__).resolve().parents[1] / "bot" / "nlp" / "data" / "speaker_ranker.json"


@dataclass(frozen=True)
class LabelledGold:
    """A gold quote with what the labels need: scorer names and the source's own words."""

    quote: GoldQuote
    source_words: str  # lower-cased source span ("" when the attribution has no source)
    has_source: bool


@dataclass
class Example:
    """One quote's candidate rows and which of them are right (the null row is last)."""

    rows: list[dict[str, float]]
    right: list[bool]
    article: int


@dataclass
class Corpus:
    """Parsed articles with their gold, ready for feature extraction."""

    articles: list[PolnearArticle]
    docs: list[Doc]
    gold: list[list[LabelledGold]] = field(default_factory=list)


def labelled_gold(article: PolnearArticle) -> list[LabelledGold]:
    """The scorer's gold quotes (bench/eval/quotes.py) with their source's own words."""
    return [
        LabelledGold(g, g.source_text.lower(), bool(g.source_text)) for g in polnear_gold(article)
    ]


def _gold_for(context: QuoteContext, gold: Sequence[LabelledGold]) -> LabelledGold | None:
    """The gold quote a predicted span is scored against (largest overlap)."""
    matches = [g for g in gold if _overlap(context.start, context.end, g.quote.start, g.quote.end)]
    if not matches:
        return None
    return max(
        matches,
        key=lambda g: min(g.quote.end, context.end) - max(g.quote.start, context.start),
    )


def _is_right(candidate: SpeakerCandidate, gold: LabelledGold) -> bool:
    if gold.quote.names:
        return _speaker_right(candidate.name, gold.quote, exact=False)
    if candidate.kind == "person" or not gold.source_words:
        return False
    head = candidate.name.lower().split()[-1]
    return head in gold.source_words.split()


def collect(corpus: Corpus, indices: Sequence[int], ranker: SpeakerRanker | None) -> list[Example]:
    """Candidate rows of every quote of the given articles, with history from gold or a model."""
    examples: list[Example] = []
    for index in indices:
        doc = corpus.docs[index]
        gold = corpus.gold[index]

        def decide(
            context: QuoteContext,
            candidates: list[SpeakerCandidate],
            null: dict[str, float],
            gold: list[LabelledGold] = gold,
            index: int = index,
        ) -> SpeakerCandidate | None:
            target = _gold_for(context, gold)
            right = [False] * (len(candidates) + 1)
            usable = target is not None and (target.quote.names or target.has_source)
            if target is not None:
                right = [_is_right(c, target) for c in candidates] + [False]
                if not any(right):
                    # no candidate names the source: abstaining is right, when the source is
                    # named (or absent); a vague unnamed source teaches nothing
                    right[-1] = bool(target.quote.names) or not target.has_source
                    usable = usable or not target.has_source
            if target is not None and usable and candidates:
                examples.append(Example([c.features for c in candidates] + [null], right, index))
            if ranker is not None:
                return ranker.choose(candidates, null)
            chosen = [c for c, ok in zip(candidates, right, strict=False) if ok]
            return chosen[0] if chosen else None

        extract_quotes(doc, extract_entities(doc), decide=decide)
    return examples


def _design(
    examples: Sequence[Example], names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row matrix, row -> example index, and right flags."""
    column = {name: i for i, name in enumerate(names)}
    rows = [row for example in examples for row in example.rows]
    matrix = np.zeros((len(rows), len(names)))
    for r, row in enumerate(rows):
        for name, value in row.items():
            if name in column:
                matrix[r, column[name]] = value
    group = np.repeat(np.arange(len(examples)), [len(e.rows) for e in examples])
    right = np.array([flag for e in examples for flag in e.right], dtype=float)
    return matrix, group, right


def fit(examples: Sequence[Example], l2: float) -> SpeakerRanker:
    """Conditional logit: maximise the log of the right rows' share in each quote's softmax."""
    examples = [e for e in examples if any(e.right)]
    names = sorted({name for e in examples for row in e.rows for name in row})
    matrix, group, right = _design(examples, names)
    groups = len(examples)

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        scores = matrix @ weights
        top = np.full(groups, -np.inf)
        np.maximum.at(top, group, scores)
        exps = np.exp(scores - top[group])
        total = np.bincount(group, exps, groups)
        right_total = np.bincount(group, exps * right, groups)
        value = -np.sum(np.log(right_total) - np.log(total)) + l2 * weights @ weights / 2
        share = exps / total[group]
        right_share = exps * right / right_total[group]
        gradient = matrix.T @ (share - right_share) + l2 * weights
        return float(value), gradient

    result = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B")
    weights = {name: round(float(w), 4) for name, w in zip(names, result.x, strict=True)}
    return SpeakerRanker({k: v for k, v in weights.items() if v != 0.0})


def train(corpus: Corpus, indices: Sequence[int], l2: float) -> SpeakerRanker:
    """Fit on gold history, then refit on the model's own history."""
    first = fit(collect(corpus, indices, None), l2)
    return fit(collect(corpus, indices, first), l2)


def _with_threshold(ranker: SpeakerRanker, threshold: float) -> SpeakerRanker:
    return SpeakerRanker(ranker.weights, threshold)


def evaluate(corpus: Corpus, indices: Sequence[int], ranker: SpeakerRanker) -> QuoteScores:
    """bench/eval/quotes.py's scores over some articles with a given ranker."""

    def decide(
        context: QuoteContext, candidates: list[SpeakerCandidate], null: dict[str, float]
    ) -> SpeakerCandidate | None:
        return ranker.choose(candidates, null)

    total = QuoteScores()
    for index in indices:
        doc = corpus.docs[index]
        quotes = extract_quotes(doc, extract_entities(doc), decide=decide)
        predicted = [PredictedQuote(q.start, q.end, q.speaker) for q in quotes if not q.scare_quote]
        total += score_quotes(predicted, [g.quote for g in corpus.gold[index]])
    return total


def folds(count: int) -> list[list[int]]:
    """Article indices in FOLDS seeded folds."""
    order = list(range(count))
    random.Random(SEED).shuffle(order)
    return [sorted(order[k::FOLDS]) for k in range(FOLDS)]


def cross_validate(
    corpus: Corpus, l2_choices: Sequence[float], thresholds: Sequence[float]
) -> dict[tuple[float, float], QuoteScores]:
    """Scores summed over the held-out folds, for every (l2, threshold)."""
    results: dict[tuple[float, float], QuoteScores] = {}
    split = folds(len(corpus.docs))
    for l2 in l2_choices:
        for k, held_out in enumerate(split):
            training = [i for j, fold in enumerate(split) if j != k for i in fold]
            ranker = train(corpus, training, l2)
            for threshold in thresholds:
                score = evaluate(corpus, held_out, _with_threshold(ranker, threshold))
                key = (l2, threshold)
                results[key] = results.get(key, QuoteScores()) + score
    return results


def _line(label: str, s: QuoteScores) -> str:
    return (
        f"{label:<24} P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f} "
        f"acc {s.speaker_accuracy:.3f} null {s.null_share:.3f} "
        f"rwn {s.right_when_named:.3f} n {s.speaker_scored}"
    )


def _figures(s: QuoteScores) -> dict[str, float]:
    return {
        "quote_f1": round(s.f1, 3),
        "speaker_accuracy": round(s.speaker_accuracy, 3),
        "right_when_named": round(s.right_when_named, 3),
        "null_share": round(s.null_share, 3),
        "named_source_accuracy": round(s.named_source_accuracy, 3),
        "pronoun_source_accuracy": round(s.pronoun_source_accuracy, 3),
        "scored": s.speaker_scored,
    }


def load(nlp: Language, split: str) -> Corpus:
    pairs = parsed_polnear(nlp, split)
    corpus = Corpus([a for a, _ in pairs], [d for _, d in pairs])
    corpus.gold = [labelled_gold(a) for a in corpus.articles]
    return corpus


def choose_setting(results: dict[tuple[float, float], QuoteScores]) -> tuple[float, float]:
    """Best accuracy among settings whose right-when-named reaches 0.95, else best balance."""
    reaching = [k for k, s in results.items() if s.right_when_named >= 0.95]
    pool = reaching or list(results)
    return max(
        pool, key=lambda k: (results[k].speaker_accuracy + 0.5 * results[k].right_when_named, -k[1])
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="choose l2 and threshold by 5-fold CV")
    parser.add_argument("--dev", action="store_true", help="score the final model on dev")
    parser.add_argument("--write", action="store_true", help=f"write {OUTPUT.name}")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--quick-cv", action="store_true", help="CV at --l2 only")
    parser.add_argument("--holdout", action="store_true", help="one fold only (quick check)")
    parser.add_argument("--threshold", type=float, default=0.0)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    nlp = load_nlp()
    corpus = load(nlp, "train")
    if args.holdout:
        split = folds(len(corpus.docs))
        training = [i for fold in split[1:] for i in fold]
        ranker = train(corpus, training, args.l2)
        for t in THRESHOLDS:
            print(_line(f"holdout t={t}", evaluate(corpus, split[0], _with_threshold(ranker, t))))
        return 0
    l2, threshold = args.l2, args.threshold
    cv_scores: QuoteScores | None = None
    if args.cv:
        results = cross_validate(corpus, [l2] if args.quick_cv else L2_CHOICES, THRESHOLDS)
        for (l2_value, t), s in sorted(results.items()):
            print(_line(f"cv l2={l2_value} t={t}", s))
        l2, threshold = choose_setting(results)
        cv_scores = results[(l2, threshold)]
        print(_line(f"chosen l2={l2} t={threshold}", cv_scores))
    ranker = _with_threshold(train(corpus, range(len(corpus.docs)), l2), threshold)
    print(_line("train (fitted on it)", evaluate(corpus, range(len(corpus.docs)), ranker)))
    dev_scores: QuoteScores | None = None
    if args.dev:
        dev = load(nlp, "dev")
        dev_scores = evaluate(dev, range(len(dev.docs)), ranker)
        print(_line("dev", dev_scores))
    if args.write:
        payload: dict[str, object] = {
            "about": "Speaker ranker weights learned by tools/train_speakers.py on PolNeAR train "
            "(840 articles); features are named in bot/nlp/quotes.py. No text.",
            "seed": SEED,
            "l2": l2,
            "threshold": threshold,
            "weights": dict(sorted(ranker.weights.items())),
        }
        if cv_scores is not None:
            payload["cross_validation"] = _figures(cv_scores)
        if dev_scores is not None:
            payload["dev"] = _figures(dev_scores)
        OUTPUT.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUTPUT}")
    print(f"{time.perf_counter() - began:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
