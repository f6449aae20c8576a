"""Quote and speaker quality on PolNeAR and the seed gold, with textacy's numbers beside ours.

Run: `.venv/bin/python -m bench.eval.quotes [--split dev|train] [--limit N] [--markdown]`.

Scoring (the same scorer for every system):
- a predicted quote matches a gold one when their character spans overlap by at least half of
  the shorter. Gold span on PolNeAR: the content of a direct attribution, trimmed to its
  outermost quote marks (marks excluded). Several predicted quotes may match one gold
  attribution ("A," he said, "B." is one attribution): each counts as correct.
- precision = predicted quotes matching some gold / predicted; recall = gold matched / gold.
- speaker, on matched gold quotes whose source names someone (the source span, or its
  `speaker_coref` when the source is a pronoun): right when the predicted speaker shares a name
  word with the gold (titles, honorifics and US state names aside: "the Vermont senator" names
  no one); a null counts wrong. On the seed the speaker must equal the canonical full name
  exactly.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from bench.eval.common import (
    MissingDataError,
    PolnearArticle,
    load_polnear,
    load_seed_gold,
    seed_text,
)
from bot.nlp.entities import extract_entities
from bot.nlp.pipeline import load_nlp
from bot.nlp.quotes import extract_quotes

QUOTE_MARKS = '"“”«»„'
PRONOUNS = frozenset(
    "he she they it we i you him her them his hers their its who this that".split()
)
# Capitalized words that do not name anyone: titles, honorifics, parties, function words.
NOT_NAME_WORDS = frozenset(
    """
    the a an mr mrs ms dr miss sir president secretary senator sen rep representative gov
    governor minister ambassador chairman chairwoman chair director spokesman spokeswoman
    spokesperson gen general judge justice mayor speaker leader chief attorney former vice
    deputy state democratic democrat democrats republican republicans gop candidate nominee
    presidential campaign manager press adviser advisor aide official officials prime foreign
    u s us american americans of and in on for to at by with from his her their its this that
    he she they it we i you who new
    """.split()
)
# US states in descriptions ("the Vermont senator", "the New York billionaire") name a place,
# not the speaker: a system answering "Vermont" must not score, one answering "Bernie Sanders"
# cannot match them anyway.
PLACE_WORDS = frozenset(
    """
    alabama alaska arizona arkansas california colorado connecticut delaware florida georgia
    hawaii idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts
    michigan minnesota mississippi missouri montana nebraska nevada hampshire jersey york
    carolina dakota ohio oklahoma oregon pennsylvania rhode tennessee texas utah vermont
    virginia washington wisconsin wyoming
    """.split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")


@dataclass(frozen=True)
class GoldQuote:
    """One gold quotation: span, the name words of its source, its canonical speaker."""

    start: int
    end: int
    names: frozenset[str]  # empty when the source names no one
    speaker: str | None = None  # canonical full name (seed gold only)
    one_word_partial: bool = False
    pronoun_source: bool = False  # the names come from CoreNLP's coreference (silver)
    source_text: str = ""  # the source as written ("officials"), for training labels


@dataclass(frozen=True)
class PredictedQuote:
    """One predicted quotation, from any system."""

    start: int
    end: int
    speaker: str | None


@dataclass(frozen=True)
class QuoteScores:
    """Counts from which every reported rate is computed; add them across articles."""

    predicted: int = 0
    predicted_correct: int = 0
    gold: int = 0
    gold_matched: int = 0
    speaker_scored: int = 0
    speaker_right: int = 0
    speaker_null: int = 0
    named_scored: int = 0  # gold source written as a name (gold, not silver)
    named_right: int = 0
    articles: int = 0
    crashes: int = 0
    seconds: float = 0.0

    def __add__(self, other: QuoteScores) -> QuoteScores:
        return QuoteScores(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def precision(self) -> float:
        return self.predicted_correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.gold_matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_right / self.speaker_scored if self.speaker_scored else 0.0

    @property
    def null_share(self) -> float:
        return self.speaker_null / self.speaker_scored if self.speaker_scored else 0.0

    @property
    def named_source_accuracy(self) -> float:
        return self.named_right / self.named_scored if self.named_scored else 0.0

    @property
    def pronoun_source_accuracy(self) -> float:
        pronoun = self.speaker_scored - self.named_scored
        return (self.speaker_right - self.named_right) / pronoun if pronoun else 0.0

    @property
    def right_when_named(self) -> float:
        named = self.speaker_scored - self.speaker_null
        return self.speaker_right / named if named else 0.0


def name_words(text: str | None) -> frozenset[str]:
    """Lower-cased capitalized words of a name phrase, titles and function words aside."""
    if not text:
        return frozenset()
    words = set()
    for word in _WORD.findall(text):
        cleaned = re.sub(r"['’]s$", "", word).strip("'’-")
        if not cleaned or not cleaned[0].isupper():
            continue
        lowered = cleaned.lower().replace(".", "")
        if lowered in NOT_NAME_WORDS or lowered in PLACE_WORDS or len(lowered) < 2:
            continue
        words.add(lowered)
    return frozenset(words)


def _trim_to_marks(text: str, start: int, end: int) -> tuple[int, int]:
    """Content span narrowed to its outermost quote marks, the marks excluded."""
    marks = [i for i in range(start, end) if text[i] in QUOTE_MARKS]
    if len(marks) >= 2:
        start, end = marks[0] + 1, marks[-1]
    elif len(marks) == 1:
        if marks[0] - start < end - marks[0]:
            start = marks[0] + 1
        else:
            end = marks[0]
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def polnear_gold(article: PolnearArticle) -> list[GoldQuote]:
    """Direct attributions of a PolNeAR article as gold quotes."""
    gold: list[GoldQuote] = []
    for attribution in article.attributions:
        if not attribution.get("is_direct") or not attribution.get("contents"):
            continue
        start = min(c["start"] for c in attribution["contents"])
        end = max(c["end"] for c in attribution["contents"])
        start, end = _trim_to_marks(article.text, start, end)
        if start >= end:
            continue
        source = attribution.get("source") or {}
        source_text = source.get("text")
        pronoun = bool(source_text) and source_text.strip().lower() in PRONOUNS
        names = name_words(attribution.get("speaker_coref") if pronoun else source_text)
        gold.append(
            GoldQuote(start, end, names, pronoun_source=pronoun, source_text=source_text or "")
        )
    return gold


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Spans overlap by at least half of the shorter one."""
    shared = min(a_end, b_end) - max(a_start, b_start)
    shorter = min(a_end - a_start, b_end - b_start)
    return shorter > 0 and shared * 2 >= shorter


def _initials(text: str) -> str:
    """'International Monetary Fund' -> 'imf' (to match an acronym on the other side)."""
    return "".join(w[0] for w in _WORD.findall(text) if w[0].isupper()).lower()


def _speaker_right(predicted: str | None, gold: GoldQuote, exact: bool) -> bool:
    if predicted is None:
        return False
    if exact:
        return predicted == gold.speaker
    if name_words(predicted) & gold.names:
        return True
    initials = _initials(predicted)
    return len(initials) >= 2 and initials in gold.names


def score_quotes(
    predicted: Sequence[PredictedQuote], gold: Sequence[GoldQuote], *, exact_speaker: bool = False
) -> QuoteScores:
    """Score one article's predicted quotes against its gold quotes."""
    predicted_correct = sum(
        1 for p in predicted if any(_overlap(p.start, p.end, g.start, g.end) for g in gold)
    )
    gold_matched = speaker_scored = speaker_right = speaker_null = 0
    named_scored = named_right = 0
    for quote in gold:
        matches = [p for p in predicted if _overlap(p.start, p.end, quote.start, quote.end)]
        if not matches:
            continue
        gold_matched += 1
        if not (quote.speaker if exact_speaker else quote.names):
            continue
        best = max(matches, key=lambda p: min(p.end, quote.end) - max(p.start, quote.start))
        speaker_scored += 1
        speaker_null += best.speaker is None
        right = _speaker_right(best.speaker, quote, exact_speaker)
        speaker_right += right
        if not quote.pronoun_source:
            named_scored += 1
            named_right += right
    return QuoteScores(
        predicted=len(predicted),
        predicted_correct=predicted_correct,
        gold=len(gold),
        gold_matched=gold_matched,
        speaker_scored=speaker_scored,
        speaker_right=speaker_right,
        speaker_null=speaker_null,
        named_scored=named_scored,
        named_right=named_right,
        articles=1,
    )


def ours(doc: Doc) -> list[PredictedQuote]:
    """Diplobrief's quotes for a parsed article."""
    quotes = extract_quotes(doc, extract_entities(doc))
    # scare quotes are flagged terms, kept out of /quotes by the renderers: not predictions
    return [PredictedQuote(q.start, q.end, q.speaker) for q in quotes if not q.scare_quote]


def ours_with_terms(doc: Doc) -> list[PredictedQuote]:
    """The same with flagged scare quotes counted as (speakerless) quotes: PolNeAR annotates
    most such terms as attributions, so this row shows what the flag costs in recall."""
    quotes = extract_quotes(doc, extract_entities(doc))
    return [PredictedQuote(q.start, q.end, q.speaker) for q in quotes]


def textacy_quotes(doc: Doc) -> list[PredictedQuote]:
    """textacy 0.13 direct_quotations; speaker = its raw speaker span text (raises on odd marks)."""
    from textacy.extract.triples import direct_quotations

    found = []
    for triple in direct_quotations(doc):
        content = triple.content
        start, end = content.start_char, content.end_char
        if content and content[0].is_quote:
            start = content[0].idx + len(content[0].text)
        if content and content[-1].is_quote:
            end = content[-1].idx
        speaker = " ".join(t.text for t in triple.speaker) or None
        found.append(PredictedQuote(start, end, speaker))
    return found


System = Callable[[Doc], list[PredictedQuote]]
SYSTEMS: dict[str, System] = {
    "diplobrief": ours,
    "diplobrief (scare quotes counted)": ours_with_terms,
    "textacy 0.13": textacy_quotes,
}


def _run(system: System, doc: Doc) -> tuple[list[PredictedQuote], bool, float]:
    """A system's quotes, whether it crashed, and the seconds it took."""
    began = time.perf_counter()
    try:
        found = system(doc)
    except Exception:  # a crash is a result to report, not a reason to stop
        return [], True, time.perf_counter() - began
    return found, False, time.perf_counter() - began


def evaluate_polnear(
    nlp: Language,
    split: str = "dev",
    limit: int | None = None,
    *,
    errors: list[str] | None = None,
    systems: dict[str, System] | None = None,
) -> dict[str, QuoteScores]:
    """Every system's scores summed over a PolNeAR split; the bare parse time under 'spacy'."""
    systems = systems or SYSTEMS
    articles = load_polnear(split, limit)
    totals = {name: QuoteScores() for name in systems}
    parse_seconds = 0.0
    for article in articles:
        began = time.perf_counter()
        doc = nlp(article.text)
        parse_seconds += time.perf_counter() - began
        gold = polnear_gold(article)
        for name, system in systems.items():
            found, crashed, seconds = _run(system, doc)
            score = score_quotes(found, gold)
            totals[name] += QuoteScores(
                **{**_counts(score), "crashes": int(crashed), "seconds": seconds}
            )
            if errors is not None and name == "diplobrief":
                errors.extend(_describe_errors(article, found, gold))
    totals["spacy parse"] = QuoteScores(articles=len(articles), seconds=parse_seconds)
    return totals


def _counts(score: QuoteScores) -> dict[str, Any]:
    return {f.name: getattr(score, f.name) for f in fields(score)}


def _describe_errors(
    article: PolnearArticle, found: Iterable[PredictedQuote], gold: Sequence[GoldQuote]
) -> list[str]:
    """Readable misses, false positives and wrong speakers (for error analysis, never stored)."""
    text = article.text
    lines = []
    found = list(found)
    for p in found:
        if not any(_overlap(p.start, p.end, g.start, g.end) for g in gold):
            lines.append(f"FP  {article.id} {p.start}: {text[p.start : p.end][:90]!r}")
    for g in gold:
        matches = [p for p in found if _overlap(p.start, p.end, g.start, g.end)]
        if not matches:
            lines.append(f"FN  {article.id} {g.start}: {text[g.start : g.end][:90]!r}")
            continue
        best = max(matches, key=lambda p: min(p.end, g.end) - max(p.start, g.start))
        if g.names and not _speaker_right(best.speaker, g, exact=False):
            lines.append(
                f"SPK {article.id} {g.start}: gold={sorted(g.names)} got={best.speaker!r} "
                f"| {text[g.start : g.end][:70]!r}"
            )
    return lines


SEED_NAME = "000_e9df03318483bce7"


def seed_gold_quotes() -> list[GoldQuote]:
    """The seed's gold quotes with canonical speakers."""
    gold = load_seed_gold()
    return [
        GoldQuote(
            start=q["start"],
            end=q["end"],
            names=name_words(q["speaker"]),
            speaker=q["speaker"],
            one_word_partial=q.get("kind") == "partial" and len(q["text"].split()) == 1,
        )
        for q in gold["quotes"]
    ]


def evaluate_seed(nlp: Language) -> dict[str, QuoteScores]:
    """Every system's scores on the seed (exact canonical speakers), all quotes and no 1-word."""
    doc = nlp(seed_text(SEED_NAME))
    gold = seed_gold_quotes()
    without_one_word = [g for g in gold if not g.one_word_partial]
    results: dict[str, QuoteScores] = {}
    for name, system in SYSTEMS.items():
        found, crashed, seconds = _run(system, doc)
        one_word = [g for g in gold if g.one_word_partial]
        found_without = [
            p for p in found if not any(_overlap(p.start, p.end, g.start, g.end) for g in one_word)
        ]
        for label, subset, predicted in (
            ("", gold, found),
            (" (no 1-word partials)", without_one_word, found_without),
        ):
            score = score_quotes(predicted, subset, exact_speaker=True)
            results[name + label] = QuoteScores(
                **{**_counts(score), "crashes": int(crashed), "seconds": seconds}
            )
    return results


COLUMNS = (
    "P",
    "R",
    "F1",
    "spk acc",
    "null",
    "right when named",
    "n spk",
    "acc, named source",
    "acc, pronoun source",
    "crashes",
)


def _row(data: str, system: str, s: QuoteScores) -> list[str]:
    return [
        data,
        system,
        f"{s.precision:.3f}",
        f"{s.recall:.3f}",
        f"{s.f1:.3f}",
        f"{s.speaker_accuracy:.3f}",
        f"{s.null_share:.3f}",
        f"{s.right_when_named:.3f}",
        str(s.speaker_scored),
        f"{s.named_source_accuracy:.3f} ({s.named_scored})",
        f"{s.pronoun_source_accuracy:.3f} ({s.speaker_scored - s.named_scored})",
        f"{s.crashes}/{s.articles}",
    ]


def markdown_table(results: Sequence[tuple[str, dict[str, QuoteScores]]]) -> str:
    """A markdown table of (dataset, {system: scores}) rows."""
    header = ["data", "system", *COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for data, scores in results:
        for system, score in scores.items():
            if system == "spacy parse":
                continue
            lines.append("| " + " | ".join(_row(data, system, score)) + " |")
    return "\n".join(lines)


def plain_table(results: Sequence[tuple[str, dict[str, QuoteScores]]]) -> str:
    """The same table aligned for a terminal."""
    header = ["data", "system", *COLUMNS]
    rows = [header] + [
        _row(data, system, score)
        for data, scores in results
        for system, score in scores.items()
        if system != "spacy parse"
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def evaluation_markdown(
    nlp: Language | None = None, split: str = "dev", limit: int | None = None
) -> str:
    """The seed and PolNeAR table in markdown, for `make eval` and reports."""
    nlp = nlp or load_nlp()
    results = [
        ("seed", evaluate_seed(nlp)),
        (f"PolNeAR {split}", evaluate_polnear(nlp, split, limit)),
    ]
    return markdown_table(results)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the quote evaluation table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=("dev", "train"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--errors", action="store_true", help="print our errors (local only)")
    parser.add_argument("--ours-only", action="store_true", help="skip textacy (faster)")
    args = parser.parse_args(argv)
    nlp = load_nlp()
    errors: list[str] | None = [] if args.errors else None
    try:
        results = [("seed", evaluate_seed(nlp))]
        systems = {"diplobrief": ours} if args.ours_only else SYSTEMS
        polnear = evaluate_polnear(nlp, args.split, args.limit, errors=errors, systems=systems)
    except MissingDataError as missing:
        print(f"bench.eval.quotes: {missing}", file=sys.stderr)
        return 2
    results.append((f"PolNeAR {args.split}", polnear))
    print(markdown_table(results) if args.markdown else plain_table(results))
    parse = polnear["spacy parse"].seconds
    ours_seconds = polnear["diplobrief"].seconds
    if parse:
        print(
            f"\nentities+quotes cost: {ours_seconds:.2f}s over a {parse:.2f}s spaCy pass "
            f"({1 + ours_seconds / parse:.2f}x the bare parse)"
        )
    print("\n" + cross_validation_table())
    for line in errors or ():
        print(line)
    return 0


def cross_validation_table() -> str:
    """The speaker ranker's figures as its training script measured them (5-fold CV on PolNeAR
    train, folds by article, and the fitted model on dev), read from the shipped weights file."""
    from importlib import resources

    data = json.loads(
        resources.files("bot.nlp").joinpath("data", "speaker_ranker.json").read_text("utf-8")
    )
    lines = [
        "| speaker ranker (tools/train_speakers.py) | quote F1 | spk acc | null | right when named "
        "| acc, named source | acc, pronoun source | n spk |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label in (("cross_validation", "PolNeAR train, 5-fold CV"), ("dev", "PolNeAR dev")):
        figures = data.get(key)
        if not figures:
            continue
        cells = [
            f"{figures.get(name, float('nan')):.3f}"
            for name in (
                "quote_f1",
                "speaker_accuracy",
                "null_share",
                "right_when_named",
                "named_source_accuracy",
                "pronoun_source_accuracy",
            )
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {figures.get('scored', 0)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
