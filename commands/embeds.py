"""Domain objects → Discord embeds, in the one place that knows Discord's size limits."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

import discord

from bot.domain.analysis import Analysis
from bot.domain.articles import ArticlePage, SearchHit, SearchPage, StoredArticle, StoredQuote
from bot.domain.digests import Digest, DigestSubscription
from bot.domain.feeds import FeedAddResult, FeedListing, ImportReport
from bot.domain.stories import Briefing, Relations, Story, StoryCountry, StorySource
from bot.domain.text import display_title, flag, plural

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
MAX_FIELDS = 25
EMBED_TOTAL_LIMIT = 6000
MAX_EMBEDS = 10

BRAND_COLOUR = discord.Colour(0x2B6CB0)
ERROR_COLOUR = discord.Colour(0xC53030)

_SENTENCE_END = re.compile(r"(?<=[.!?…”\"])\s+")


def clip(text: str, limit: int) -> str:
    """Cut text to a limit, at a sentence boundary when one is near, else a word, with '…'."""
    text = text.strip()
    if len(text) <= limit:
        return text
    budget = limit - 2
    head = text[:budget]
    ends = [m.start() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] > budget * 0.5:
        return head[: ends[-1]].rstrip() + " …"
    space = head.rfind(" ")
    if space > budget * 0.5:
        head = head[:space]
    return head.rstrip(" ,;:") + "…"


def clip_lines(lines: Sequence[str], limit: int) -> str:
    """Join whole lines while they fit; say how many were left out."""
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        extra = len(line) + (1 if out else 0)
        remaining = len(lines) - index
        note = f"\n… and {remaining} more"
        if used + extra > limit - (len(note) if remaining > 1 else 0):
            if not out:
                return clip(line, limit)
            out.append(f"… and {remaining} more")
            break
        out.append(line)
        used += extra
    return "\n".join(out)


def embed_size(embed: discord.Embed) -> int:
    """Characters Discord counts towards the 6,000 per-message limit."""
    return len(embed)


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Drop trailing fields until the embed respects the total limit."""
    while len(embed) > EMBED_TOTAL_LIMIT and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    if len(embed) > EMBED_TOTAL_LIMIT and embed.description:
        embed.description = clip(
            embed.description, max(100, len(embed.description) - (len(embed) - EMBED_TOTAL_LIMIT))
        )
    return embed


def quote_text(text: str, speaker: str | None, title: str | None = None) -> str:
    """A quote as a block quote with its speaker; every part of it is the article's, escaped."""
    who = untrusted(speaker) if speaker else "unattributed"
    if speaker and title:
        who = f"{who}, {untrusted(title)}"
    return f"> “{untrusted(text.strip())}”\n— **{who}**"


def countries_line(analysis: Analysis, limit: int = 8) -> str:
    return " · ".join(f"{flag(c.code)} {c.name}" for c in analysis.countries[:limit])


def article_embed(article: StoredArticle, analysis: Analysis) -> discord.Embed:
    """The /summarize answer: linked title, source line, summary, countries, people, a quote.

    A pasted article says so and whose it is, and links no page (see pasted_note).
    """
    title = clip(untrusted(display_title(article.title, article.text)), TITLE_LIMIT)
    embed = discord.Embed(title=title, url=article.url or None, colour=BRAND_COLOUR)
    # Pages often list one author several ways ("Troy Smith; Troy L Smith"): show the first.
    byline = (article.byline or "").split(";")[0].strip()
    source = " · ".join(x for x in (article.site_name, article.published, byline) if x)
    if source:
        embed.set_author(name=clip(source, TITLE_LIMIT))
    bullets = [f"• {clip(untrusted(s), 900)}" for s in analysis.summary.sentences]
    opening, closing = pasted_note(article), cut_note(article)
    room = DESCRIPTION_LIMIT - len(opening) - len(closing) - 2
    summary = clip_lines(bullets, room) or "No summary could be made."
    embed.description = "\n".join(part for part in (opening, summary, closing) if part)
    if analysis.countries:
        embed.add_field(
            name="Countries", value=clip(countries_line(analysis), FIELD_VALUE_LIMIT), inline=False
        )
    names = analysis.people()
    if names:
        embed.add_field(
            name="People",
            value=clip(", ".join(untrusted(n) for n in names), FIELD_VALUE_LIMIT),
            inline=False,
        )
    quote = analysis.notable_quote()
    if quote is not None:
        embed.add_field(
            name="Quote",
            value=clip(
                quote_text(clip(quote.text, 700), quote.speaker, quote.title), FIELD_VALUE_LIMIT
            ),
            inline=False,
        )
    embed.set_footer(
        text=clip(
            f"Article #{article.id} · {'pasted · ' if article.pasted else ''}"
            f"{analysis.summary.method} summary · "
            f"{plural(len(analysis.attributed_quotes), 'quote')}"
            + (
                " · from the feed's text (the page was not reachable)"
                if article.source_kind == "feed"
                else ""
            ),
            FOOTER_LIMIT,
        )
    )
    return fit_embed(embed)


def quotes_embed(
    title: str,
    quotes: Sequence[StoredQuote] | Sequence[tuple[str, str | None, str | None]],
    *,
    url: str | None = None,
) -> discord.Embed:
    """Quotes with their speakers, one per field-sized block (`title` is escaped here)."""
    embed = discord.Embed(title=clip(untrusted(title), TITLE_LIMIT), url=url, colour=BRAND_COLOUR)
    lines: list[str] = []
    for item in quotes:
        if isinstance(item, StoredQuote):
            line = quote_text(clip(item.text, 600), item.speaker, item.title)
            if item.article_url:
                line += f" · [#{item.article_id}]({link_target(item.article_url)})"
            else:
                line += f" · #{item.article_id}"
        else:
            text, speaker, speaker_title = item
            line = quote_text(clip(text, 600), speaker, speaker_title)
        lines.append(line)
    embed.description = clip_lines(lines, DESCRIPTION_LIMIT) if lines else "No quotes found."
    return fit_embed(embed)


def people_countries_embed(article: StoredArticle, analysis: Analysis) -> discord.Embed:
    """Everyone and every country the article names, with mention counts."""
    embed = discord.Embed(
        title=clip(untrusted(display_title(article.title, article.text)), TITLE_LIMIT),
        url=article.url or None,
        colour=BRAND_COLOUR,
    )
    groups = (
        ("People", ("PERSON",)),
        ("Organizations", ("ORG",)),
    )
    for name, labels in groups:
        found = [
            f"{untrusted(e.name)} ×{e.mentions}" for e in analysis.entities if e.label in labels
        ]
        if found:
            embed.add_field(name=name, value=clip_lines(found, FIELD_VALUE_LIMIT), inline=False)
    if analysis.countries:
        lines = [f"{flag(c.code)} {c.name} ×{c.mentions}" for c in analysis.countries]
        embed.add_field(name="Countries", value=clip_lines(lines, FIELD_VALUE_LIMIT), inline=False)
    if not embed.fields:
        embed.description = "No people, organizations or countries found."
    return fit_embed(embed)


def snippet_markdown(hit: SearchHit) -> str:
    """The hit's snippet with article text escaped and the matched words in bold."""
    parts = [
        f"**{untrusted(text)}**" if matched else untrusted(text)
        for text, matched in hit.snippet_parts
    ]
    return " ".join("".join(parts).split())


def search_embed(
    page: SearchPage, query: str, *, page_number: int, page_size: int
) -> discord.Embed:
    """One page of full-text search results."""
    embed = discord.Embed(
        title=clip(f"Search: {untrusted(query)}", TITLE_LIMIT), colour=BRAND_COLOUR
    )
    if not page.hits:
        embed.description = "No articles match."
        return embed
    for hit in page.hits[:MAX_FIELDS]:
        name = clip(
            f"#{hit.article_id} {untrusted(hit.title) if hit.title else '(untitled)'}",
            FIELD_NAME_LIMIT,
        )
        value = snippet_markdown(hit) or "…"
        if hit.url:
            value += f"\n{link_target(hit.url)}"
        embed.add_field(name=name, value=clip(value, FIELD_VALUE_LIMIT), inline=False)
    pages = max(1, -(-page.total // page_size))
    embed.set_footer(text=f"Page {page_number + 1} of {pages} · {plural(page.total, 'article')}")
    return fit_embed(embed)


def article_list_embed(page: ArticlePage) -> discord.Embed:
    embed = discord.Embed(title="Stored articles", colour=BRAND_COLOUR)
    if not page.articles:
        embed.description = "No articles stored yet. Use /summarize or /article add."
        return embed
    lines = []
    for a in page.articles:
        title = clip(untrusted(display_title(a.title, a.text)), 120)
        linked = f"[{title}]({link_target(a.url)})" if a.url else title
        if a.pasted:
            linked += " · pasted"
        lines.append(f"`#{a.id}` {linked} · {a.added_at:%Y-%m-%d}")
    embed.description = clip_lines(lines, DESCRIPTION_LIMIT)
    embed.set_footer(text=f"{plural(page.total, 'article')} in this server")
    return embed


def error_embed(message: str) -> discord.Embed:
    return discord.Embed(description=clip(message, DESCRIPTION_LIMIT), colour=ERROR_COLOUR)


def clip_content(text: str) -> str:
    return clip(text, CONTENT_LIMIT)


def _window_label(briefing: Briefing) -> str:
    days = briefing.window.days
    span = "the last 24 hours" if days == 1 else f"the last {days} days"
    filters = []
    if briefing.topic:
        filters.append(f"on “{untrusted(briefing.topic)}”")
    if briefing.country:
        filters.append(f"involving {flag(briefing.country.code)} {briefing.country.name}")
    return " ".join([span, *filters])


def story_embed(story: Story, index: int) -> discord.Embed:
    """One story: summary, countries, people, a quote, and every source."""
    reports = plural(story.reports, "report")
    embed = discord.Embed(
        title=clip(f"{index}. {untrusted(story.title)}", TITLE_LIMIT),
        url=next((s.url for s in story.sources if s.url), None),
        colour=BRAND_COLOUR,
    )
    bullets = [f"• {clip(untrusted(s), 900)}" for s in story.summary]
    embed.description = clip_lines(bullets, 2500) or "…"
    if story.countries:
        line = " · ".join(f"{flag(c.code)} {c.name}" for c in story.countries[:8])
        embed.add_field(name="Countries", value=clip(line, FIELD_VALUE_LIMIT), inline=False)
    if story.people:
        embed.add_field(
            name="People",
            value=clip(", ".join(untrusted(p) for p in story.people[:8]), FIELD_VALUE_LIMIT),
            inline=False,
        )
    if story.quote is not None:
        value = quote_text(clip(story.quote.text, 500), story.quote.speaker, story.quote.title)
        embed.add_field(name="Quote", value=clip(value, FIELD_VALUE_LIMIT), inline=False)
    sources = []
    for source in story.sources:
        label = clip(untrusted(source.site or source.title), 80)
        sources.append(f"[{label}]({link_target(source.url)})" if source.url else label)
    embed.add_field(
        name=f"Sources ({reports})", value=clip_lines(sources, FIELD_VALUE_LIMIT), inline=False
    )
    return fit_embed(embed)


def briefing_pages(briefing: Briefing, per_page: int = 3) -> list[list[discord.Embed]]:
    """The briefing as pages of embeds, each page within one message's 6,000-character limit."""
    header = discord.Embed(
        title="Briefing",
        description=(
            f"{plural(len(briefing.stories), 'story')} from "
            f"{plural(briefing.articles_considered, 'article')} in {_window_label(briefing)}."
        ),
        colour=BRAND_COLOUR,
    )
    if not briefing.stories:
        header.description = f"Nothing stored in {_window_label(briefing)}. It was a quiet time."
        return [[header]]
    pages: list[list[discord.Embed]] = [[header]]
    for index, story in enumerate(briefing.stories, start=1):
        embed = story_embed(story, index)
        page = pages[-1]
        if len(page) >= per_page + (1 if page[0] is header else 0) or (
            sum(len(e) for e in page) + len(embed) > EMBED_TOTAL_LIMIT
        ):
            pages.append([])
            page = pages[-1]
        page.append(embed)
    return pages


def relations_embed(relations: Relations) -> discord.Embed:
    """Who a country is dealing with: co-mentioned countries, counts, one example each."""
    embed = discord.Embed(
        title=clip(f"{flag(relations.code)} {relations.name}: who it is dealing with", TITLE_LIMIT),
        colour=BRAND_COLOUR,
    )
    if not relations.relations:
        embed.description = (
            f"No other country is named alongside {relations.name} in the stored articles of "
            "this period."
        )
        return embed
    embed.description = (
        f"Countries named in the same sentence as {relations.name}, "
        f"from {plural(relations.sentences, 'sentence')}."
    )
    for relation in relations.relations[:MAX_FIELDS]:
        embed.add_field(
            name=clip(
                f"{flag(relation.code)} {relation.name} — {relation.sentences}×", FIELD_NAME_LIMIT
            ),
            value=clip(
                f"> {untrusted(relation.example)}\n#{relation.example_article_id}",
                FIELD_VALUE_LIMIT,
            ),
            inline=False,
        )
    return fit_embed(embed)


# --- daily digests -------------------------------------------------------------------------

# Room kept in a digest message for the header's note about stories left out.
_NOTE_ROOM = 120


def timestamp(moment: datetime, style: str = "f") -> str:
    """A Discord timestamp: every reader sees it on their own clock."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def filters_text(topic: str | None, country: StoryCountry | None) -> str:
    """ "on “sanctions” involving 🇨🇳 China": what a digest or briefing is limited to."""
    parts = []
    if topic:
        parts.append(f"on “{untrusted(topic)}”")
    if country:
        parts.append(f"involving {flag(country.code)} {country.name}")
    return " ".join(parts)


def quiet_note(digest: Digest) -> str:
    """The one line posted on a day with nothing new."""
    about = filters_text(digest.briefing.topic, digest.briefing.country)
    about = f" {about}" if about else ""
    return f"Quiet day: nothing new{about} since {timestamp(digest.since)}."


def briefing_embeds(briefing: Briefing, *, title: str) -> list[discord.Embed]:
    """A briefing as ONE message's embeds: a header, then as many stories as Discord allows
    (10 embeds, 6,000 characters), the header saying how many were left out."""
    count = len(briefing.stories)
    about = filters_text(briefing.topic, briefing.country)
    header = discord.Embed(
        title=clip(title, TITLE_LIMIT),
        description=(
            f"{plural(count, 'new story', 'new stories')}"
            f"{' ' + about if about else ''} since {timestamp(briefing.since)}."
        ),
        colour=BRAND_COLOUR,
    )
    embeds = [header]
    used = len(header) + _NOTE_ROOM
    for index, story in enumerate(briefing.stories, start=1):
        embed = story_embed(story, index)
        room = EMBED_TOTAL_LIMIT - used
        if len(embeds) >= MAX_EMBEDS or room < 300:
            break
        if len(embed) > room:
            embed.clear_fields()
            embed.description = clip(embed.description or "…", room - len(embed.title or ""))
        embeds.append(embed)
        used += len(embed)
    left_out = count - (len(embeds) - 1)
    if left_out:
        header.set_footer(text=f"{plural(left_out, 'more story', 'more stories')}: see /brief")
    return embeds


def digest_message(digest: Digest) -> tuple[str | None, list[discord.Embed]]:
    """Content and embeds of a digest: the briefing, or the quiet-day line."""
    if not digest.has_news:
        return quiet_note(digest), []
    day = digest.local_date
    title = f"Daily digest · {day:%A} {day.day} {day:%B %Y}"
    return None, briefing_embeds(digest.briefing, title=title)


def subscription_line(subscription: DigestSubscription, country: StoryCountry | None) -> str:
    """One subscription in /digest list: where, when, what, and its state."""
    parts = [
        f"<#{subscription.channel_id}>",
        f"{subscription.local_time} {subscription.timezone}",
    ]
    about = filters_text(subscription.topic, country)
    if about:
        parts.append(about)
    if subscription.quiet:
        parts.append("silent on quiet days")
    if subscription.paused_reason:
        since = f" since {timestamp(subscription.paused_at)}" if subscription.paused_at else ""
        parts.append(f"**paused**{since}: {subscription.paused_reason}")
    else:
        parts.append(f"next {timestamp(subscription.next_due_at, 'R')}")
    if subscription.last_sent_at:
        parts.append(f"last sent {timestamp(subscription.last_sent_at, 'R')}")
    return " · ".join(parts)


def subscriptions_embed(
    subscriptions: Sequence[DigestSubscription], countries: Mapping[str, StoryCountry]
) -> discord.Embed:
    """/digest list: the server's digests, paused ones with why (`countries` by ISO code)."""
    embed = discord.Embed(title="Daily digests in this server", colour=BRAND_COLOUR)
    if not subscriptions:
        embed.description = "No channel gets a digest. Use /digest subscribe in one."
        return embed
    embed.description = clip_lines(
        [
            subscription_line(s, countries.get(s.country) if s.country else None)
            for s in subscriptions
        ],
        DESCRIPTION_LIMIT,
    )
    paused = sum(1 for s in subscriptions if s.paused)
    footer = plural(len(subscriptions), "digest")
    if paused:
        footer += f", {paused} paused: run /digest subscribe in the channel to resume"
    embed.set_footer(text=footer)
    return embed


# --- help ----------------------------------------------------------------------------------

HELP_INTRO = (
    "I brief you on diplomatic news. Give me an article and I answer with a short summary, "
    "the countries and people involved, and who said what. Everything I store in a server "
    "stays in that server; what you store through your own install, outside a server that "
    "added me, is yours alone."
)


def help_embed(command_lines: Sequence[str]) -> discord.Embed:
    """/help: what the bot does and one line per command."""
    commands_text = clip_lines(command_lines, DESCRIPTION_LIMIT - len(HELP_INTRO) - 2)
    embed = discord.Embed(
        title="Diplobrief", description=f"{HELP_INTRO}\n\n{commands_text}", colour=BRAND_COLOUR
    )
    embed.add_field(
        name="Links in chat",
        value=(
            "When an admin turns on /autosummary for a channel, links people post or forward "
            "there are summarized as replies (up to 3 per message)."
        ),
        inline=False,
    )
    return fit_embed(embed)


# --- feeds and live channels -----------------------------------------------------------------


def _outlet(source_site: str | None, url: str | None) -> str:
    """An outlet's name: the site name, else the link's host."""
    if source_site:
        return source_site
    host = (url or "").split("//", 1)[-1].split("/", 1)[0]
    return host.removeprefix("www.") or "unknown outlet"


def live_story_embed(story: Story) -> discord.Embed:
    """A live channel's story message: summary, countries, people, a quote and its outlets."""
    embed = discord.Embed(
        title=clip(untrusted(story.title), TITLE_LIMIT),
        url=next((s.url for s in story.sources if s.url), None),
        colour=BRAND_COLOUR,
    )
    bullets = [f"• {clip(untrusted(s), 900)}" for s in story.summary]
    embed.description = clip_lines(bullets, 2500) or "…"
    if story.countries:
        line = " · ".join(f"{flag(c.code)} {c.name}" for c in story.countries[:8])
        embed.add_field(name="Countries", value=clip(line, FIELD_VALUE_LIMIT), inline=False)
    if story.people:
        embed.add_field(
            name="People",
            value=clip(", ".join(untrusted(p) for p in story.people[:8]), FIELD_VALUE_LIMIT),
            inline=False,
        )
    if story.quote is not None:
        value = quote_text(clip(story.quote.text, 500), story.quote.speaker, story.quote.title)
        embed.add_field(name="Quote", value=clip(value, FIELD_VALUE_LIMIT), inline=False)
    outlets: dict[str, str] = {}
    for source in story.sources:
        name = clip(untrusted(_outlet(source.site, source.url)), 80)
        link = f"[{name}]({link_target(source.url)})" if source.url else name
        outlets.setdefault(name, link)
    heading = plural(story.reports, "report") if story.reports > 1 else "Source"
    embed.add_field(
        name=heading, value=clip_lines(list(outlets.values()), FIELD_VALUE_LIMIT), inline=False
    )
    plain = dict.fromkeys(_outlet(s.site, s.url) for s in story.sources)  # footers show raw text
    embed.set_footer(text=f"Live · {' · '.join(plain)}"[:FOOTER_LIMIT])
    return fit_embed(embed)


def also_reported_value(sources: Sequence[StorySource]) -> str:
    """The "Also reported by" links: outlet names linked to the other reports."""
    parts = []
    for source in sources:
        name = clip(untrusted(_outlet(source.site, source.url)), 60)
        parts.append(
            f"[{name}]({link_target(source.url)})"
            if source.url
            else f"{name} (#{source.article_id})"
        )
    return clip(" · ".join(parts), FIELD_VALUE_LIMIT)


def with_also_reported(embed: discord.Embed, sources: Sequence[StorySource]) -> discord.Embed:
    """An article embed with the line naming the server's other reports of its story."""
    if sources:
        embed.add_field(name="Also reported by", value=also_reported_value(sources), inline=False)
    return fit_embed(embed)


def feed_status_text(listing: FeedListing) -> str:
    """ok / failing since … (reason) / paused (reason)."""
    feed = listing.feed
    if feed.status == "paused":
        since = f" since {timestamp(feed.paused_at)}" if feed.paused_at else ""
        return f"**paused**{since}: {untrusted(feed.paused_reason or '')}"
    if feed.status == "failing":
        since = f" since {timestamp(feed.failing_since)}" if feed.failing_since else ""
        failures = plural(feed.failures, "failure")
        return f"**failing**{since} ({failures}): {untrusted(feed.last_error or '')}"
    return "ok"


def feed_list_embed(
    listings: Sequence[FeedListing], *, page: int, per_page: int, limit: int
) -> discord.Embed:
    """/feed list: one field per feed with its state, fetch times, items and live channel."""
    embed = discord.Embed(title="Feeds this server reads", colour=BRAND_COLOUR)
    if not listings:
        embed.description = "No feeds yet. Add one with /feed add url:<feed or news page>."
        return embed
    pages = max(1, -(-len(listings) // per_page))
    page = min(max(page, 1), pages)
    for listing in listings[(page - 1) * per_page : page * per_page]:
        feed, subscription = listing.feed, listing.subscription
        lines = [feed.url, f"Status: {feed_status_text(listing)}"]
        fetched = timestamp(feed.last_fetched_at, "R") if feed.last_fetched_at else "not yet"
        upcoming = "—" if feed.status == "paused" else timestamp(feed.next_fetch_at, "R")
        lines.append(f"Last fetch {fetched} · next {upcoming}")
        lines.append(f"{plural(subscription.items_stored, 'item')} stored")
        if listing.skipped:
            skipped = ", ".join(f"{count}× {reason}" for reason, count in listing.skipped[:3])
            lines.append(f"Skipped: {skipped}")
        if subscription.live_channel_id:
            lines.append(f"Live in <#{subscription.live_channel_id}>")
        about = filters_text(subscription.topic, None)
        if subscription.country:
            about = " ".join(x for x in (about, f"country {subscription.country}") if x)
        if about:
            lines.append(f"Only {about}")
        embed.add_field(
            name=clip(f"#{subscription.id} {untrusted(feed.title or feed.url)}", FIELD_NAME_LIMIT),
            value=clip_lines(lines, FIELD_VALUE_LIMIT),
            inline=False,
        )
    embed.set_footer(
        text=f"Page {page} of {pages} · {plural(len(listings), 'feed')} of {limit} allowed"
    )
    return fit_embed(embed)


def feed_added_text(result: FeedAddResult, live_channel_id: int | None) -> str:
    """The answer to /feed add."""
    name = result.feed.title or result.feed.url
    if result.created:
        text = (
            f"This server now reads **{discord.utils.escape_markdown(name)}** "
            f"(<{result.feed.url}>). Its newest items arrive with the first fetch; "
            "nothing of them is posted live."
        )
    else:
        text = f"This server already reads **{discord.utils.escape_markdown(name)}**."
    if live_channel_id:
        text += f" New stories go live in <#{live_channel_id}>."
    if len(result.discovered) > 1:
        found = "\n".join(
            f"• {untrusted(d.title or d.kind)}: <{link_target(d.url)}>" for d in result.discovered
        )
        text += f"\nThe page names {len(result.discovered)} feeds; I added the first:\n{found}"
    return clip_content(text)


def import_report_text(report: ImportReport) -> str:
    """The answer to /feed import: how many were added, already there, over the limit, refused."""
    lines = [
        f"Added {plural(len(report.added), 'feed')}; "
        f"{len(report.already)} already there; {len(report.over_limit)} over this server's "
        f"limit; {len(report.refused)} refused."
    ]
    lines += [f"• refused <{url}>: {why}" for url, why in report.refused[:10]]
    if report.over_limit:
        lines.append("Over the limit: " + ", ".join(f"<{u}>" for u in report.over_limit[:5]))
    return clip_content("\n".join(lines))


# --- digests in forums ---------------------------------------------------------------------

THREAD_NAME_LIMIT = 100


def digest_day(digest: Digest) -> str:
    """ "Monday 3 June 2024": the digest's local date as it is written everywhere."""
    day = digest.local_date
    return f"{day:%A} {day.day} {day:%B %Y}"


def forum_post_title(digest: Digest) -> str:
    """A forum digest's post title: the date and the top story (or that the day was quiet)."""
    # A thread name is plain text (no markdown there); mentions cannot ping in it.
    top = digest.briefing.stories[0].title if digest.has_news else "Quiet day"
    return clip(f"{digest_day(digest)} · {' '.join(top.split())}", THREAD_NAME_LIMIT)


# --- untrusted text, links and notes (issue 13) ----------------------------------------------

BUTTON_URL_LIMIT = 512  # Discord refuses a link button with a longer URL

# A bare link in text stays clickable; inside it only the brackets a masked link needs are
# escaped. Discord's own URL pattern (discord.utils), so we agree on what a link is.
_LINK = r"<[^: >]+:/[^ >]+>|(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s]"
# Every character Discord markdown gives a meaning to: emphasis, code, spoilers, quotes,
# headings, masked links (both brackets and parentheses), mentions, channels, custom emoji and
# timestamps (all open with "<"), and list or small-text markers at the start of a line.
_MARKUP = re.compile(
    rf"(?P<link>{_LINK})|(?P<char>[\\*_~`|>#\[\]()<])|(?m:^(?P<lead>[ \t]*)(?P<item>[-+]))"
)
_BROADCAST = re.compile(r"@(?=everyone|here)")
_LINK_BREAKERS = {c: f"%{ord(c):02X}" for c in " \t\n\"'()<>[]\\`|"}


def _escape_markup(match: re.Match[str]) -> str:
    if match["link"]:
        return match["link"].replace("[", "\\[").replace("]", "\\]")
    if match["char"]:
        return "\\" + match["char"]
    return f"{match['lead']}\\{match['item']}"


def untrusted(text: str) -> str:
    """Text from a page, an article or a member, safe in an embed's title, description or field:
    every markdown, masked-link, mention and spoiler sign is escaped (it shows as typed), and
    @everyone/@here are broken. Not for author names and footers, which Discord shows raw."""
    return _BROADCAST.sub("@\u200b", _MARKUP.sub(_escape_markup, text))


def link_target(url: str) -> str:
    """A URL safe inside `[label](…)`: characters that would end or break the link are
    percent-encoded (the same address for any web server)."""
    return "".join(_LINK_BREAKERS.get(c, c) for c in url)


def pasted_note(article: StoredArticle) -> str:
    """The line a pasted article opens with: whose text it is, and the link they gave as code
    (not clickable), so it never passes for that page."""
    if not article.pasted:
        return ""
    who = f"<@{article.added_by}>" if article.added_by else "a member"
    note = f"📋 Pasted by {who}: their text, not fetched from any page."
    if article.given_url:
        shown = clip(article.given_url.replace("`", "ˋ"), 300)
        note += f" They give its source as `{shown}`."
    return note


def cut_note(article: StoredArticle) -> str:
    """The line a very long page ends with: how much of it was analysed."""
    if not article.cut_from:
        return ""
    return (
        f"*A very long page: only its first {len(article.text):,} characters "
        f"(of {article.cut_from:,}) were analysed and kept.*"
    )


def button_url(url: str | None) -> str | None:
    """The URL for a link button, or None when Discord would refuse it (the embed's title
    still links the page: a long link is never cut short)."""
    if url and len(url) <= BUTTON_URL_LIMIT:
        return url
    return None
