"""`make eval`: every quality evaluation on ../shared, printed and written to docs/evaluation.md.

Each evaluation runs as its own process (`python -m bench.eval.<name> --markdown`), so one
failing evaluation is reported and the others still run. Each section's result is also kept in
`docs/evaluation/<name>.md`; `python -m bench.eval quotes` re-runs only the sections named and
rebuilds the report from the kept results of the others.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.common import REPO, SHARED

REPORT = REPO / "docs" / "evaluation.md"
SECTION_DIR = REPO / "docs" / "evaluation"

SECTIONS: tuple[tuple[str, str, list[str], str], ...] = (
    (
        "Quotes and speakers",
        "quotes",
        ["--split", "dev"],
        "PolNeAR dev (84 articles, direct quotes only) and the seed's gold. A predicted quote "
        "matches a gold one when their spans overlap by at least half of the shorter. Speaker "
        "accuracy: on matched quotes whose gold source names someone, right when the predicted "
        "speaker shares a name word with the gold (null counts wrong); right-when-named: the same "
        'over non-null predictions; US state names are not name words ("the Vermont senator" '
        "names no one). The gold source of a pronoun is CoreNLP's coreference chain, which is "
        "silver, not gold. On the seed the speaker must equal the canonical full name. "
        "textacy 0.13's `direct_quotations` is scored by the same scorer in the same run, with "
        "its raw speaker spans.",
    ),
    (
        "Summaries",
        "summaries",
        [],
        "ROUGE-1/2/L F1 (rouge-score, stemming on; several references → the mean) against the "
        "human-written references of SummEval (98 CNN/DailyMail articles, 11 references each) and "
        "Newsroom (60 articles, the publisher's summary), and against the machine-selected "
        "extracts of the BBC News Summary dev split. Budgets: 3 sentences, and about the "
        "reference's word count.",
    ),
    (
        "Multi-document briefings",
        "briefing",
        [],
        "The briefing's story summarizer on DUC 2006 dev (25 clusters, 4 human references of "
        "~250 words), against LexRank over the same cluster and the first sentence of each "
        "document.",
    ),
    (
        "Countries",
        "countries",
        [],
        "Per-mention country precision/recall on the seed's gold (names, demonyms and "
        'metonyms count, and capitals when they act for the state — "Beijing said", '
        '"pressure on Pyongyang"; a capital as a venue — the gold\'s four '
        '`capital_location` mentions, "talks in Beijing", "a trip to Beijing" — must not '
        "count, nor seas, peninsulas and regions).",
    ),
    (
        "People and organizations",
        "entities",
        [],
        "The seed's gold people and organizations through the product's own path (plain-text "
        "extraction, then the pipeline): found under the canonical name, with mention counts "
        '(mentions by role alone, such as "the secretary of state", are not counted).',
    ),
    (
        "Article extraction",
        "extraction",
        [],
        "The Zyte article-extraction benchmark (181 real pages): the benchmark's own metric "
        "(4-token shingles, mean precision and recall over pages, F1 of the means) and a "
        "lower-cased bag-of-words token F1, for our extractor as configured, plain trafilatura "
        "and readability-lxml.",
    ),
)


def run_section(module: str, args: list[str]) -> tuple[str, float, bool]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", f"bench.eval.{module}", "--markdown", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        return f"*This evaluation failed:*\n\n```\n{tail}\n```", elapsed, False
    return result.stdout.strip(), elapsed, True


def main(argv: list[str]) -> int:
    if not SHARED.is_dir():
        print("eval: needs ../shared beside the repository (the evaluation datasets)")
        return 1
    known = [module for _, module, _, _ in SECTIONS]
    wanted = argv or known
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        print(f"eval: unknown section(s) {', '.join(unknown)}; choose from {', '.join(known)}")
        return 2
    SECTION_DIR.mkdir(parents=True, exist_ok=True)
    ok = True
    for title, module, args, _ in SECTIONS:
        if module not in wanted:
            continue
        print(f"== {title}", flush=True)
        body, elapsed, passed = run_section(module, args)
        ok &= passed
        print(body, flush=True)
        command = " ".join(["python -m", f"bench.eval.{module}", "--markdown", *args])
        stamp = f"{datetime.now(UTC):%Y-%m-%d}"
        footer = f"`{command}` — {elapsed:.0f} s, {stamp}"
        (SECTION_DIR / f"{module}.md").write_text(f"{body}\n\n{footer}\n", encoding="utf-8")
    parts = [
        "# Evaluation",
        "",
        "Measured with `make eval` (`python -m bench.eval`) on the datasets in `../shared/data/` "
        "(internal evaluation only; see each dataset's README for source and licence). Each "
        "section names its command and date. Tests keep floors a few points under these "
        "figures (`tests/`), so quality cannot fall silently.",
    ]
    for title, module, _, about in SECTIONS:
        kept = SECTION_DIR / f"{module}.md"
        body = kept.read_text(encoding="utf-8").strip() if kept.exists() else "*Not run yet.*"
        parts += ["", f"## {title}", "", about, "", body]
    REPORT.write_text("\n".join(parts) + "\n", encoding="utf-8")
    print(f"\nwritten: {REPORT.relative_to(REPO)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
