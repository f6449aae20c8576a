"""The learned speaker ranker: which candidate source said a quote, or no one.

Quote attribution (bot/nlp/quotes.py) keeps the rules that are certain and, for every other
quote, proposes candidate sources (the cue verb's subject, a pronoun's possible antecedents, the
people of the sentence and the paragraph, the previous speakers) with features describing how each
is tied to the quote. This module scores them with a linear model over those features, a
conditional logit whose weights were learned on PolNeAR train only (`python -m tools.train_speakers`
reproduces `data/speaker_ranker.json`). A "no speaker" row competes with the candidates; when the
best candidate's share of the probability is under the shipped threshold the quote keeps no
speaker, since a wrong name is worse than none.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

WEIGHTS_FILE = "speaker_ranker.json"
KINDS = ("person", "organisation", "group")


@dataclass
class SpeakerCandidate:
    """One possible source of a quote: canonical name, type and features (mutable while built)."""

    name: str
    kind: str  # "person", "organisation" or "group"
    features: dict[str, float] = field(default_factory=dict)

    def add(self, feature: str, value: float = 1.0) -> None:
        """Set a feature, keeping the larger value when two routes set it."""
        if value > self.features.get(feature, 0.0):
            self.features[feature] = value


@dataclass(frozen=True)
class SpeakerRanker:
    """Linear scores over named features; the null row has its own features."""

    weights: Mapping[str, float]
    threshold: float = 0.0

    def score(self, features: Mapping[str, float]) -> float:
        """The linear score of one row."""
        weights = self.weights
        return sum(weights.get(name, 0.0) * value for name, value in features.items())

    def probabilities(
        self, candidates: Sequence[SpeakerCandidate], null_features: Mapping[str, float]
    ) -> list[float]:
        """Softmax over the candidates and, last, the null row."""
        scores = [self.score(c.features) for c in candidates]
        scores.append(self.score(null_features))
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def choose(
        self, candidates: Sequence[SpeakerCandidate], null_features: Mapping[str, float]
    ) -> SpeakerCandidate | None:
        """The most probable candidate when it beats the null row and the threshold."""
        if not candidates:
            return None
        probabilities = self.probabilities(candidates, null_features)
        best = max(range(len(candidates)), key=lambda i: (probabilities[i], -i))
        if probabilities[best] <= probabilities[-1] or probabilities[best] < self.threshold:
            return None
        return candidates[best]


def ranker_from_json(data: Mapping[str, Any]) -> SpeakerRanker:
    """A ranker from the shipped JSON's fields."""
    return SpeakerRanker(
        weights={str(k): float(v) for k, v in data["weights"].items()},
        threshold=float(data.get("threshold", 0.0)),
    )


@functools.cache
def load_ranker() -> SpeakerRanker:
    """The shipped ranker (weights only, no text), read once per process."""
    path = resources.files("bot.nlp").joinpath("data", WEIGHTS_FILE)
    return ranker_from_json(json.loads(path.read_text(encoding="utf-8")))
