"""Shared data loading for evaluation scripts: ../shared datasets, the seed and its gold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
POLNEAR = SHARED / "data" / "polnear" / "polnear.jsonl"
SEED_GOLD = SHARED / "eval" / "seed-gold.json"
SEED_DIRS = (REPO / "seeds", SHARED / "seeds")


class MissingDataError(RuntimeError):
    """A dataset under ../shared is not there (a plain clone has no shared data)."""


def shared_available() -> bool:
    """Whether the internal datasets folder sits beside the repository."""
    return SHARED.is_dir()


def require(path: Path) -> Path:
    """The path, or a MissingDataError naming it."""
    if not path.exists():
        raise MissingDataError(f"needs {path} (internal datasets beside the repository)")
    return path


@dataclass(frozen=True)
class PolnearArticle:
    """One PolNeAR article: text and attributions exactly as in the JSONL (internal use only)."""

    id: str
    split: str
    publisher: str
    text: str
    attributions: tuple[dict[str, Any], ...]


def iter_polnear(split: str | None = None) -> Iterator[PolnearArticle]:
    """PolNeAR articles in file order, optionally of one split ("train" or "dev")."""
    with require(POLNEAR).open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            if split is not None and record["split"] != split:
                continue
            yield PolnearArticle(
                id=record["id"],
                split=record["split"],
                publisher=record.get("publisher", ""),
                text=record["text"],
                attributions=tuple(record["attributions"]),
            )


def load_polnear(split: str | None = None, limit: int | None = None) -> list[PolnearArticle]:
    """The first `limit` PolNeAR articles of a split."""
    found: list[PolnearArticle] = []
    for article in iter_polnear(split):
        found.append(article)
        if limit is not None and len(found) >= limit:
            break
    return found


def seed_text(name: str) -> str:
    """A seed article's text, from seeds/ in the repository or ../shared/seeds."""
    for folder in SEED_DIRS:
        path = folder / f"{name}.txt"
        if path.exists():
            return path.read_text(encoding="utf-8")
    raise MissingDataError(f"seed {name} not found in {', '.join(map(str, SEED_DIRS))}")


def load_seed_gold() -> dict[str, Any]:
    """The hand-made gold for the seed article (quotes, entities, countries)."""
    with require(SEED_GOLD).open(encoding="utf-8") as handle:
        gold: dict[str, Any] = json.load(handle)
    return gold
