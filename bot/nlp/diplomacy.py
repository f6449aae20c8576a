"""How much a story is diplomatic news: several countries, leaders and diplomats, institutions.

A diplomatic briefing's first page should carry the summit, not the twelfth domestic report. The
salience of a story grows with the distinct countries its reports involve, the sentences that
name two countries together (the relations signal), heads of state or government and diplomats
acting, and international organisations. Sources, recency and centrality still rank stories;
this is one more term (see bot.nlp.stories.rank_stories), and filters still decide what is in.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from bot.domain.articles import ArticleLead

# Weights: chosen so that a three-country story with leaders, diplomats and an organisation
# outweighs about two more distinct reports of a one-country story, never ten.
COUNTRY_WEIGHT = 0.35  # × log2(1 + other countries), other countries capped at 4
CO_MENTION_WEIGHT = 0.25  # × min(1, sentences naming two countries / 3)
LEADER_WEIGHT = 0.15
DIPLOMAT_WEIGHT = 0.15
ORGANISATION_WEIGHT = 0.2
MAX_OTHER_COUNTRIES = 4
CO_MENTIONS_FOR_FULL_WEIGHT = 3


@dataclass(frozen=True)
class _Vocabulary:
    leaders: re.Pattern[str]
    diplomats: re.Pattern[str]
    organisations: re.Pattern[str]
    organisation_names: frozenset[str]


def _words(phrases: Sequence[str], *, case_sensitive: bool = False) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w])", flags)


@functools.cache
def _vocabulary() -> _Vocabulary:
    data = json.loads(
        (resources.files("bot.nlp") / "data" / "diplomacy.json").read_text(encoding="utf-8")
    )
    organisations: list[str] = data["organisations"]
    return _Vocabulary(
        leaders=_words(data["leaders"]),
        diplomats=_words(data["diplomats"]),
        # Acronyms (UN, EU, ICC) are matched as written: "un" and "eu" are not organisations.
        organisations=_words(organisations, case_sensitive=True),
        organisation_names=frozenset(name.casefold() for name in organisations),
    )


def diplomatic_salience(reports: Sequence[ArticleLead]) -> float:
    """The salience of a story told by these reports (one lead per distinct report), 0 to ~1.3."""
    if not reports:
        return 0.0
    vocabulary = _vocabulary()
    countries = {country.code for report in reports for country in report.countries}
    others = min(max(len(countries) - 1, 0), MAX_OTHER_COUNTRIES)
    co_mentions = max(report.co_mention_sentences for report in reports)
    text = "\n".join(f"{report.title or ''}\n{report.lead}" for report in reports)
    names = {name.casefold() for report in reports for name in report.names}
    score = COUNTRY_WEIGHT * math.log2(1 + others)
    score += CO_MENTION_WEIGHT * min(1.0, co_mentions / CO_MENTIONS_FOR_FULL_WEIGHT)
    if vocabulary.leaders.search(text):
        score += LEADER_WEIGHT
    if vocabulary.diplomats.search(text):
        score += DIPLOMAT_WEIGHT
    if names & vocabulary.organisation_names or vocabulary.organisations.search(text):
        score += ORGANISATION_WEIGHT
    return score
