"""Domain objects → plain text for the CLI and the offline console."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.nlp.models import Analysis, ExtractedArticle, Quote
from storage.records import SearchPage, StoredArticle, StoredQuote

if TYPE_CHECKING:
    from bot.briefing import Briefing, Relations

MAX_PEOPLE = 6
MAX_QUOTES_SHOWN = 5


def flag(code: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 code."""
    if len(code) != 2 or not code.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in code.upper())


def display_title(title: str | None, text: str) -> str:
    """The article's title, or its opening words when it has none."""
    if title:
        return title
    first = text.strip().split("\n", 1)[0]
    return first if len(first) <= 90 else first[:89].rsplit(" ", 1)[0] + "…"


def people(analysis: Analysis, limit: int = MAX_PEOPLE) -> list[str]:
    """The most mentioned people of an article."""
    return [e.name for e in analysis.entities if e.label == "PERSON"][:limit]


def notable_quote(analysis: Analysis) -> Quote | None:
    """The quote worth showing first: attributed, full rather than partial, of decent length."""
    candidates = [q for q in analysis.quotes if q.speaker and len(q.text.split()) >= 4]
    if not candidates:
        return None
    return max(candidates, key=lambda q: (not q.partial, min(len(q.text), 200)))


def quote_line(text: str, speaker: str | None, title: str | None = None) -> str:
    who = speaker or "unattributed"
    if speaker and title:
        who = f"{speaker} ({title})"
    return f"“{text.strip()}” — {who}"


def article_report(
    article: StoredArticle | ExtractedArticle, analysis: Analysis, *, article_id: int | None = None
) -> str:
    """The console's answer to /summarize: the same parts as the Discord embed."""
    lines: list[str] = []
    heading = display_title(article.title, article.text)
    if article_id is not None:
        heading = f"#{article_id} {heading}"
    lines.append(heading)
    meta = [m for m in (article.site_name, article.published, article.byline) if m]
    if meta:
        lines.append(" · ".join(meta))
    if article.url:
        lines.append(article.url)
    lines.append("")
    lines.append(f"Summary ({analysis.summary.method}):")
    for sentence in analysis.summary.sentences:
        lines.append(textwrap.fill(sentence, 100, initial_indent="  • ", subsequent_indent="    "))
    if analysis.countries:
        countries = ", ".join(
            f"{flag(c.code)} {c.name} ({c.mentions})" for c in analysis.countries[:8]
        )
        lines.append(f"Countries: {countries}")
    names = people(analysis)
    if names:
        lines.append(f"People: {', '.join(names)}")
    quote = notable_quote(analysis)
    if quote:
        lines.append("Quote: " + quote_line(quote.text, quote.speaker, quote.title))
    return "\n".join(lines)


def quotes_list(quotes: Sequence[StoredQuote]) -> str:
    if not quotes:
        return "No quotes found."
    out = []
    for q in quotes:
        out.append(quote_line(q.text, q.speaker, q.title))
        out.append(f"    in #{q.article_id} {q.article_title or ''}".rstrip())
    return "\n".join(out)


def search_results(page: SearchPage, query: str) -> str:
    if not page.hits:
        return f"No articles match {query!r}."
    out = [f"{page.total} article(s) match {query!r}:"]
    for hit in page.hits:
        out.append(f"  #{hit.article_id} {hit.title or '(untitled)'}")
        snippet = "".join(text for text, _ in hit.snippet_parts)
        if snippet:
            out.append(f"      {' '.join(snippet.split())}")
    return "\n".join(out)


def article_list(articles: Sequence[StoredArticle], total: int) -> str:
    if not articles:
        return "No articles stored yet."
    out = [f"{total} article(s):"]
    for a in articles:
        out.append(f"  #{a.id} {display_title(a.title, a.text)}  ({a.added_at:%Y-%m-%d})")
    return "\n".join(out)


def analysis_json(path: str, article: ExtractedArticle, analysis: Analysis) -> dict[str, Any]:
    """The `analyze --json` record; quote offsets point into the file for plain text."""
    return {
        "path": path,
        "title": article.title,
        "text": article.text,
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
                "title": q.title,
                "cue": q.cue,
                "partial": q.partial,
                "start": article.source_offset(q.start),
                "end": article.source_offset(q.end),
            }
            for q in analysis.quotes
        ],
    }


def analysis_text(path: str, article: ExtractedArticle, analysis: Analysis) -> str:
    """`analyze` without --json: the same facts, for people."""
    lines = [f"== {path}", article_report(article, analysis)]
    if analysis.entities:
        lines.append(
            "Entities: "
            + ", ".join(f"{e.name} [{e.label}] ×{e.mentions}" for e in analysis.entities[:20])
        )
    if analysis.quotes:
        lines.append(f"Quotes ({len(analysis.quotes)}):")
        for q in analysis.quotes:
            mark = " (partial)" if q.partial else ""
            lines.append(f"  {quote_line(q.text, q.speaker, q.title)}{mark}")
    return "\n".join(lines)


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def briefing_text(briefing: Briefing) -> str:
    """The console's briefing: each story with its summary, actors, a quote and sources."""
    if not briefing.stories:
        return f"No stories: nothing stored between {briefing.since:%Y-%m-%d %H:%M} and now."
    count = len(briefing.stories)
    out = [
        f"Briefing: {count} stor{'y' if count == 1 else 'ies'} from "
        f"{briefing.articles_considered} article(s)"
    ]
    for index, story in enumerate(briefing.stories, start=1):
        out.append("")
        out.append(f"{index}. {story.title}  ({story.reports} report(s))")
        for sentence in story.summary:
            out.append(
                textwrap.fill(sentence, 100, initial_indent="   • ", subsequent_indent="     ")
            )
        if story.countries:
            out.append(
                "   Countries: " + ", ".join(f"{flag(c.code)} {c.name}" for c in story.countries)
            )
        if story.people:
            out.append("   People: " + ", ".join(story.people))
        if story.quote:
            out.append(
                "   Quote: " + quote_line(story.quote.text, story.quote.speaker, story.quote.title)
            )
        for source in story.sources:
            out.append(f"   - {source.title}" + (f" <{source.url}>" if source.url else ""))
    return "\n".join(out)


def relations_text(relations: Relations) -> str:
    if not relations.relations:
        return f"No other country is named alongside {relations.name} in this period."
    out = [f"{flag(relations.code)} {relations.name} is named in the same sentence as:"]
    for relation in relations.relations:
        out.append(f"  {flag(relation.code)} {relation.name} ×{relation.sentences}")
        out.append(f"      e.g. {relation.example}")
    return "\n".join(out)
