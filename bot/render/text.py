"""Domain objects → plain text for the CLI and the offline console."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime

from bot.domain.analysis import Analysis
from bot.domain.articles import (
    ArticlePage,
    ExtractedArticle,
    SearchPage,
    StoredArticle,
    StoredQuote,
)
from bot.domain.feeds import FeedListing, PollReport
from bot.domain.stories import Briefing, Relations
from bot.domain.text import display_title, flag, plural


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
    if isinstance(article, StoredArticle) and article.pasted:
        given = f"; its source is given as {article.given_url}" if article.given_url else ""
        lines.append(f"(Pasted text, not fetched from any page{given}.)")
    if article.cut_from:
        lines.append(
            f"(A very long text: only its first {len(article.text):,} characters "
            f"of {article.cut_from:,} were analysed.)"
        )
    lines.append("")
    lines.append(f"Summary ({analysis.summary.method}):")
    for sentence in analysis.summary.sentences:
        lines.append(textwrap.fill(sentence, 100, initial_indent="  • ", subsequent_indent="    "))
    if analysis.countries:
        countries = ", ".join(
            f"{flag(c.code)} {c.name} ({c.mentions})" for c in analysis.countries[:8]
        )
        lines.append(f"Countries: {countries}")
    names = analysis.people()
    if names:
        lines.append(f"People: {', '.join(names)}")
    quote = analysis.notable_quote()
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
    matches = "matches" if page.total == 1 else "match"
    out = [f"{plural(page.total, 'article')} {matches} {query!r}:"]
    for hit in page.hits:
        out.append(f"  #{hit.article_id} {hit.title or '(untitled)'}")
        snippet = "".join(text for text, _ in hit.snippet_parts)
        if snippet:
            out.append(f"      {' '.join(snippet.split())}")
    return "\n".join(out)


def article_list(page: ArticlePage) -> str:
    if not page.articles:
        return "No articles stored yet."
    out = [f"{plural(page.total, 'article')}:"]
    for a in page.articles:
        out.append(f"  #{a.id} {display_title(a.title, a.text)}  ({a.added_at:%Y-%m-%d})")
    return "\n".join(out)


def analysis_text(path: str, article: ExtractedArticle, analysis: Analysis) -> str:
    """`analyze` without --json: the same facts, for people."""
    lines = [f"== {path}", article_report(article, analysis)]
    if analysis.entities:
        lines.append(
            "Entities: "
            + ", ".join(f"{e.name} [{e.label}] ×{e.mentions}" for e in analysis.entities[:20])
        )
    if analysis.attributed_quotes:
        lines.append(f"Quotes ({len(analysis.attributed_quotes)}):")
        for q in analysis.attributed_quotes:
            mark = " (partial)" if q.partial else ""
            lines.append(f"  {quote_line(q.text, q.speaker, q.title)}{mark}")
    return "\n".join(lines)


def briefing_text(briefing: Briefing) -> str:
    """The console's briefing: each story with its summary, actors, a quote and sources."""
    if not briefing.stories:
        return f"No stories: nothing stored between {briefing.since:%Y-%m-%d %H:%M} and now."
    count = len(briefing.stories)
    out = [
        f"Briefing: {plural(count, 'story')} from {plural(briefing.articles_considered, 'article')}"
    ]
    for index, story in enumerate(briefing.stories, start=1):
        out.append("")
        out.append(f"{index}. {story.title}  ({plural(story.reports, 'report')})")
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


def feed_list_text(listings: Sequence[FeedListing]) -> str:
    """`diplobrief feed list`: each feed with its state, fetch times and items."""
    if not listings:
        return "No feeds yet. Add one with: diplobrief feed add URL"
    out = [f"{plural(len(listings), 'feed')}:"]
    for listing in listings:
        feed, subscription = listing.feed, listing.subscription
        out.append(f"  #{subscription.id} {feed.title or feed.url}")
        out.append(f"      {feed.url}")
        if feed.status == "paused":
            state = f"paused since {_when(feed.paused_at)}: {feed.paused_reason}"
        elif feed.status == "failing":
            state = f"failing since {_when(feed.failing_since)}: {feed.last_error}"
        else:
            state = "ok"
        out.append(f"      status: {state}")
        nxt = "—" if feed.status == "paused" else _when(feed.next_fetch_at)
        out.append(
            f"      last fetch {_when(feed.last_fetched_at)} · next {nxt} · "
            f"{plural(subscription.items_stored, 'item')} stored"
        )
        for reason, count in listing.skipped[:3]:
            out.append(f"      skipped {count}×: {reason}")
    return "\n".join(out)


def poll_text(reports: Sequence[PollReport]) -> str:
    """`diplobrief feed poll`: one line per feed polled."""
    if not reports:
        return "No feed was due."
    lines = []
    for report in reports:
        if report.status == "new":
            line = f"{report.url}: {report.stored} stored, {report.skipped} skipped"
        elif report.status == "not-modified":
            line = f"{report.url}: not modified"
        else:
            line = f"{report.url}: {report.status} ({report.detail})"
        lines.append(line)
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"
