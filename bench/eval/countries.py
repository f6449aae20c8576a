"""Per-mention country precision and recall against the seed gold (`../shared/eval`)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language

from bot.nlp.countries import extract_countries
from bot.nlp.pipeline import load_nlp

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SEED_GOLD = SHARED / "eval" / "seed-gold.json"
SEED_DIRS = (REPO / "seeds", SHARED / "seeds")


VENUE_KINDS = frozenset({"capital_location"})


@dataclass(frozen=True)
class CountryScore:
    """How the found mentions compare with the gold ones on one article."""

    article: str
    gold: int
    found: int
    correct: int  # same span and same code
    false_positives: tuple[str, ...]
    missed: tuple[str, ...]
    blocked_found: tuple[str, ...]  # gold non-countries that were reported as countries

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 1.0


def _seed_text(name: str) -> str:
    for folder in SEED_DIRS:
        path = folder / f"{name}.txt"
        if path.exists():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"seed {name} not found in {', '.join(map(str, SEED_DIRS))}")


def evaluate_countries(nlp: Language, gold_path: Path = SEED_GOLD) -> CountryScore:
    """Score extract_countries on the gold article, mention by mention."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    text = _seed_text(gold["seed"])
    _, mentions = extract_countries(nlp(text))
    # A capital as the place where something happened is not its country (issue 11): the gold's
    # "capital_location" mentions must not be found, so they leave the gold set.
    gold_set = {
        (m["start"], m["end"], m["iso2"])
        for m in gold["country_mentions"]
        if m.get("kind") not in VENUE_KINDS
    }
    found_set = {(m.start, m.end, m.code) for m in mentions}
    correct = gold_set & found_set
    non_countries = [n.split(" (")[0] for n in gold.get("not_countries", [])]
    blocked_spans = [
        (match.start(), match.end())
        for phrase in non_countries
        for match in re.finditer(re.escape(phrase), text)
    ]
    blocked = tuple(
        f"{m.text}@{m.start}"
        for m in mentions
        if any(m.start < end and start < m.end for start, end in blocked_spans)
    )
    return CountryScore(
        article=gold["seed"],
        gold=len(gold_set),
        found=len(found_set),
        correct=len(correct),
        false_positives=tuple(f"{text[s:e]}@{s}->{c}" for s, e, c in sorted(found_set - gold_set)),
        missed=tuple(f"{text[s:e]}@{s}->{c}" for s, e, c in sorted(gold_set - found_set)),
        blocked_found=blocked,
    )


def markdown_table(scores: list[CountryScore]) -> str:
    """A Markdown table of per-mention scores."""
    lines = [
        "| article | gold | found | correct | precision | recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        lines.append(
            f"| {s.article} | {s.gold} | {s.found} | {s.correct} "
            f"| {s.precision:.3f} | {s.recall:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    if not SEED_GOLD.exists():
        sys.stderr.write(f"no gold at {SEED_GOLD}\n")
        return 1
    score = evaluate_countries(load_nlp())
    if args.markdown:
        sys.stdout.write(markdown_table([score]) + "\n")
    else:
        sys.stdout.write(
            f"countries on {score.article}: precision {score.precision:.3f} "
            f"recall {score.recall:.3f} ({score.correct}/{score.gold} gold, {score.found} found)\n"
        )
        for item in score.missed:
            sys.stdout.write(f"  missed {item}\n")
        for item in score.false_positives:
            sys.stdout.write(f"  extra  {item}\n")
        for item in score.blocked_found:
            sys.stdout.write(f"  NOT A COUNTRY reported: {item}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
