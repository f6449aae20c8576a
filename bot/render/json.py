"""Domain values → plain JSON records (`analyze --json`, `brief --json`, `relations --json`)."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.analysis import Analysis
from bot.domain.articles import ExtractedArticle
from bot.domain.stories import Briefing, Relations


def dumps(record: dict[str, Any]) -> str:
    """One record on one line, non-ASCII kept readable."""
    return json.dumps(record, ensure_ascii=False)


def analysis_json(path: str, article: ExtractedArticle, analysis: Analysis) -> dict[str, Any]:
    """The `analyze --json` record; quote offsets point into the file for plain text."""
    return {
        "path": path,
        "title": article.title,
        "text": article.text,
        "cut_from": article.cut_from,  # the text's full length when only its start was analysed
        "summary": {
            "method": analysis.summary.method,
            "sentences": list(analysis.summary.sentences),
        },
        "entities": [
            {"name": e.name, "label": e.label, "mentions": e.mentions} for e in analysis.entities
        ],
        "countries": [
            {"code": c.code, "name": c.name, "mentions": c.mentions} for c in analysis.countries
        ],
        "quotes": [
            {
                "text": q.text,
                "speaker": q.speaker,
                "speaker_type": q.speaker_type,
                "title": q.title,
                "cue": q.cue,
                "partial": q.partial,
                "start": article.source_offset(q.start),
                "end": article.source_offset(q.end),
            }
            for q in analysis.attributed_quotes
        ],
    }


def briefing_json(briefing: Briefing) -> dict[str, Any]:
    """The briefing as plain JSON."""
    return {
        "since": briefing.since.isoformat(),
        "until": briefing.until.isoformat(),
        "stories": [
            {
                "title": story.title,
                "summary": list(story.summary),
                "countries": [{"code": c.code, "name": c.name} for c in story.countries],
                "people": list(story.people),
                "quote": (
                    {"text": story.quote.text, "speaker": story.quote.speaker}
                    if story.quote
                    else None
                ),
                "reports": story.reports,
                "sources": [
                    {"title": s.title, "url": s.url, "path": s.path} for s in story.sources
                ],
            }
            for story in briefing.stories
        ],
    }


def relations_json(relations: Relations) -> dict[str, Any]:
    """Country relations as plain JSON."""
    return {
        "country": {"code": relations.code, "name": relations.name},
        "relations": [
            {
                "code": r.code,
                "name": r.name,
                "sentences": r.sentences,
                "example": r.example,
                "article_id": r.example_article_id,
            }
            for r in relations.relations
        ],
    }
