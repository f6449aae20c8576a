"""People and organizations on the seed: are the gold entities found under their canonical names?

The seed goes through the product's own path (plain-text extraction, then the pipeline), so the
footer's byline (Guy Taylor) is expected to be gone. Run: `python -m bench.eval.entities`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from bench.eval.countries import SEED_GOLD, _seed_text
from bot.nlp.extract import extract_text
from bot.nlp.pipeline import analyze, load_nlp

FOOTER_ONLY = frozenset({"Guy Taylor"})


@dataclass(frozen=True)
class EntityRow:
    """One gold entity and what the pipeline reported for it."""

    canonical: str
    label: str
    gold_mentions: int
    found_as: str | None
    found_label: str | None
    found_mentions: int


def evaluate_entities() -> list[EntityRow]:
    gold = json.loads(SEED_GOLD.read_text(encoding="utf-8"))
    article = extract_text(_seed_text(gold["seed"]))
    analysis = analyze(load_nlp(), article)
    by_name = {e.name.casefold(): e for e in analysis.entities}
    rows = []
    for entity in gold["entities"]:
        if entity["type"] not in {"PERSON", "ORG"}:
            continue
        names = [entity["canonical"], *(entity.get("aliases") or [])]
        found = next((by_name[n.casefold()] for n in names if n.casefold() in by_name), None)
        rows.append(
            EntityRow(
                canonical=entity["canonical"],
                label=entity["type"],
                gold_mentions=len(entity["mentions"]),
                found_as=found.name if found else None,
                found_label=found.label if found else None,
                found_mentions=found.mentions if found else 0,
            )
        )
    return rows


def markdown_table(rows: list[EntityRow]) -> str:
    lines = [
        "| gold entity | gold type | gold mentions | reported as | type | mentions |",
        "|---|---|---:|---|---|---:|",
    ]
    for r in rows:
        expected_absent = r.canonical in FOOTER_ONLY
        shown = r.found_as or ("— (footer dropped, as intended)" if expected_absent else "—")
        lines.append(
            f"| {r.canonical} | {r.label} | {r.gold_mentions} | {shown} | "
            f"{r.found_label or ''} | {r.found_mentions} |"
        )
    people = [r for r in rows if r.label == "PERSON" and r.canonical not in FOOTER_ONLY]
    exact = sum(1 for r in people if r.found_as == r.canonical)
    lines.append("")
    lines.append(
        f"People under their canonical full name: {exact}/{len(people)} "
        "(the byline in the footer is not a news actor and is dropped with the footer)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.parse_args(argv)
    print(markdown_table(evaluate_entities()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
