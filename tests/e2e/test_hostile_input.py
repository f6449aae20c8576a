"""Hostile input after the fetch, end to end (issue 13): forged articles, masked links and
markup, DMs, impossible ids and a page of 150,000 words — what the Discord double received."""

from __future__ import annotations

import re
from typing import Any

from tests.discord_double import payloads as p
from tests.discord_double.fixtures import RunningBot
from tests.discord_double.server import InteractionRecord
from tests.e2e.test_bot import analyzer, diplobrief, only_message, pages, summarize
from tests.pages import MARKUP_ARTICLE_TITLE, MASKED_LINK, NEWS_ARTICLE_TITLE, PageServer

__all__ = ["analyzer", "diplobrief", "pages"]

INVENTED = (
    "Ministers abandoned every agreement on Thursday and walked out of the talks in anger.\n"
    "Officials said no crossing would ever reopen and that the border would stay closed.\n"
    "Observers in Vienna described the mood as the worst in a decade of negotiations there.\n"
)
# A masked link Discord would render: an unescaped [label] right before (url).
MASKED = re.compile(r"(?<!\\)\[(?:[^\[\]\\]|\\.)*(?<!\\)\]\(")


def rendered_text(message: Any) -> str:
    """Every part of a message's embeds that Discord renders as markdown, as it was sent."""
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def masks_a_link_to(text: str, host: str) -> bool:
    return any(host in text[m.end() : m.end() + 60] for m in MASKED.finditer(text))


def footer_id(record: InteractionRecord) -> int:
    footer = only_message(record).embeds[0]["footer"]["text"]
    return int(footer.split("#")[1].split()[0])


async def test_a_pasted_article_never_stands_in_for_the_page_it_names(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    page = pages.url("news/ministers-border.html")
    forged = await diplobrief.slash(
        "article add",
        {"title": "Talks Collapse in Vienna", "text": INVENTED, "url": page},
        member="pat_member",
        timeout_s=60,
    )
    [embed] = only_message(forged).embeds
    pat = diplobrief.double.member("pat_member").user.id
    assert embed["description"].startswith(f"📋 Pasted by <@{pat}>: their text, not fetched")
    assert f"`{page}`" in embed["description"]
    assert "url" not in embed  # the invented title links to no page
    buttons = [b["label"] for row in only_message(forged).components for b in row["components"]]
    assert "Read article" not in buttons
    assert "/news/ministers-border.html" not in pages.hits

    # Anyone summarising the link, under any spelling, gets the page itself, fetched.
    for link in (page + "?utm_source=chat", page):
        real = only_message(await summarize(diplobrief, link, sentences=2))
        assert real.embeds[0]["title"] == NEWS_ARTICLE_TITLE
        assert "walked out" not in rendered_text(real)
    assert pages.hits.count("/news/ministers-border.html") == 1

    # So does a link posted in a channel with auto-summaries.
    news = diplobrief.double.channel("news")
    await diplobrief.slash("autosummary", {"enabled": True}, member="olivia_owner", channel=news)
    await diplobrief.say(f"Look: {page}?utm_medium=social", channel=news)
    [reply] = await diplobrief.wait_for_channel_messages(1, channel=news, timeout_s=60)
    assert reply.embeds[0]["title"] == NEWS_ARTICLE_TITLE
    # The pasted one is still there, as what it is.
    listing = only_message(await diplobrief.slash("article list")).embeds[0]["description"]
    assert "Talks Collapse in Vienna · pasted" in listing


async def test_masked_links_and_markup_in_an_article_are_sent_escaped(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    record = await summarize(diplobrief, pages.url("news/markup.html"))
    message = only_message(record)
    sent = rendered_text(message)
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    assert "Free Nitro" in fields["Quote"]
    assert "\\[Free Nitro\\]\\(https://evil.example/x)" in fields["Quote"]
    title = message.embeds[0]["title"]
    assert title == "Envoys Trade \\`Barbs\\` and \\|\\|Secrets\\|\\| at \\<@&1\\> Summit"
    assert not masks_a_link_to(sent, "evil.example")

    buttons = [b for row in message.components for b in row["components"]]
    quotes_button = next(b for b in buttons if b["label"] == "Quotes")
    clicked = only_message(await diplobrief.click(message, quotes_button["custom_id"]))
    command = only_message(await diplobrief.slash("quotes", {"speaker": "Anna Berg"}))
    brief = only_message(await diplobrief.slash("brief", {"days": 1}, timeout_s=60))
    for answer in (clicked, command, brief):
        text = rendered_text(answer)
        assert "Free Nitro" in text
        assert not masks_a_link_to(text, "evil.example"), text
        assert MASKED_LINK not in text
        assert "||Secrets||" not in text and "`Barbs`" not in text
    assert MARKUP_ARTICLE_TITLE not in rendered_text(brief)


async def test_a_link_with_spaces_or_brackets_is_refused_before_deferring(
    diplobrief: RunningBot,
) -> None:
    hostile = "https://example.com/a) [Free Nitro](https://evil.example/x"
    refused = await diplobrief.slash("article add", {"text": INVENTED, "url": hostile})
    assert not refused.deferred
    message = only_message(refused)
    assert message.ephemeral and "spaces" in message.embeds[0]["description"]
    again = await diplobrief.slash("summarize", {"url": "https://example.com/a)[x](https://e.x/"})
    assert not again.deferred and "brackets" in only_message(again).embeds[0]["description"]


async def test_commands_from_a_dm_never_reach_a_servers_library(diplobrief: RunningBot) -> None:
    """A DM reaches the person's own library at most (user installs); server commands refuse."""
    await diplobrief.slash("article add", {"title": "Oslo talks", "text": INVENTED}, timeout_s=60)
    for name, options in (
        ("article list", {}),
        ("article remove", {"id": 1}),
        ("brief", {}),
        ("digest list", {}),
        ("autosummary", {"enabled": True}),
    ):
        record = await diplobrief.dm_slash(name, options)
        message = only_message(record)
        assert message.ephemeral, name
        assert "works in servers" in message.embeds[0]["description"], name
        assert not record.deferred, name
    for name, options in (("quotes", {}), ("search", {"query": "Oslo"})):
        record = await diplobrief.dm_slash(name, options)
        shown = rendered_text(only_message(record))
        assert "Oslo" not in shown.replace("Search: Oslo", ""), name  # not the server's article
    choices = await diplobrief.dm_slash("quotes", {"speaker": "ber"}, focused="speaker")
    assert choices.autocomplete_choices == []
    still_there = await diplobrief.slash("article list")
    assert "Oslo talks" in only_message(still_there).embeds[0]["description"]


async def test_an_article_number_no_article_can_have_is_not_found(diplobrief: RunningBot) -> None:
    for options in ({"article": "#99999999999999999999"}, {"article": "9223372036854775808"}):
        message = only_message(await diplobrief.slash("quotes", options))
        assert message.ephemeral
        assert message.embeds[0]["description"].startswith("No article #")
    removed = await diplobrief.slash(
        "article remove", {"id": 2**53}, member="mo_moderator", permissions=p.ALL_PERMISSIONS
    )
    assert only_message(removed).embeds[0]["description"].startswith("No article #")


async def test_a_page_of_150000_words_gets_a_bounded_analysis_that_says_so(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    record = await diplobrief.slash(
        "summarize", {"url": pages.url("news/long.html")}, timeout_s=300
    )
    message = only_message(record)
    assert not message.ephemeral
    description = message.embeds[0]["description"]
    assert description.startswith("• ")
    last = description.splitlines()[-1]
    assert re.search(r"only its first [\d,]+ characters \(of [\d,]+\) were analysed", last), last
    assert message.embeds[0]["fields"]  # countries and people of the analysed part
