"""Locating the shared datasets for benchmarks and evaluations."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared; exits with a clear line when the datasets are absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        sys.exit(f"bench: needs ../shared/{'/'.join(parts)} beside the repository")
    return path


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def bbc_articles(limit: int, category: str | None = "politics") -> list[dict[str, Any]]:
    """Real BBC articles (dev split), one paragraph per line."""
    path = shared_path("data", "bbc-news-summary", "bbc-news-summary.jsonl.gz")
    found = []
    for record in read_jsonl(path):
        if record["split"] != "dev" or (category and record["category"] != category):
            continue
        found.append(record)
        if len(found) >= limit:
            break
    return found
