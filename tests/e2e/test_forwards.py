"""Forwarded messages (Discord's message snapshots): their links are read like a message's own."""

from __future__ import annotations

from typing import Any

from tests.discord_double.fixtures import RunningBot
from tests.discord_double.server import InteractionRecord
from tests.pages import NEWS_ARTICLE_TITLE, PageServer


def only_message(record: InteractionRecord) -> Any:
    visible = record.visible_messages
    assert len(visible) == 1, [m.payload() for m in record.messages]
    return visible[0]


async def test_a_forwarded_link_is_summarised_in_an_opted_in_channel(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    double = diplobrief.double
    news, general = double.channel("news"), double.channel("general")
    await diplobrief.slash("autosummary", {"enabled": True}, member="olivia_owner", channel=news)
    url = pages.url("news/ministers-border.html")
    await diplobrief.forward(f"From the embassy feed: {url}", channel=general)  # not opted in
    forward = await diplobrief.forward(f"From the embassy feed: {url}", channel=news)
    assert forward.content == "" and forward.message_snapshots
    [reply] = await diplobrief.wait_for_channel_messages(1, channel=news, timeout_s=60)
    assert reply.message_reference is not None
    assert int(reply.message_reference["message_id"]) == forward.id
    assert reply.embeds[0]["title"] == NEWS_ARTICLE_TITLE
    assert double.channel_messages(general) == []
    assert pages.hits.count("/news/ministers-border.html") == 1


async def test_a_forward_keeps_the_links_per_message_limit(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    news = diplobrief.double.channel("news")
    await diplobrief.slash("autosummary", {"enabled": True}, member="olivia_owner", channel=news)
    links = " ".join(pages.url(f"missing?n={n}") for n in range(5))
    await diplobrief.forward(f"Five links: {links}", channel=news)
    await diplobrief.double.wait_until(
        lambda: sum(1 for hit in pages.hits if hit.startswith("/missing")) >= 3, 30, "3 fetches"
    )
    # Another member's link is summarised meanwhile (a full fetch, analysis and reply): any
    # fourth link of the forward would have been fetched by then.
    await diplobrief.say(pages.url("news/ceasefire.txt"), member="mo_moderator", channel=news)
    await diplobrief.wait_for_channel_messages(1, channel=news, timeout_s=60)
    assert sum(1 for hit in pages.hits if hit.startswith("/missing")) == 3


async def test_the_context_menu_reads_a_forwarded_message(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    original = await diplobrief.say(f"Worth reading: {pages.url('news/ceasefire.txt')}")
    forward = await diplobrief.forward(original, member="mo_moderator")
    assert forward.message_snapshots is not None
    assert forward.message_snapshots[0]["message"]["content"] == original.content
    record = await diplobrief.message_command("Summarize article", forward, timeout_s=60)
    assert only_message(record).embeds[0]["title"] == "Ceasefire Talks Resume in Doha"
