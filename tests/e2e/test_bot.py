"""Diplobrief's real bot, end to end: discord.py against the Discord double, pages on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.analysis import ProcessPoolAnalyzer
from bot.app import App
from bot.config import Settings
from commands.client import DiplobriefBot
from tests.discord_double import payloads as p
from tests.discord_double.fixtures import RunningBot
from tests.discord_double.server import DiscordDouble, InteractionRecord
from tests.pages import NEWS_ARTICLE_TITLE, PageServer

EPHEMERAL = 1 << 6


@pytest.fixture(scope="module")
def analyzer() -> Iterator[ProcessPoolAnalyzer]:
    """One real worker process for the module: it loads the model once, as in production."""
    pool = ProcessPoolAnalyzer(None, workers=1)
    yield pool
    pool.shutdown()


@pytest.fixture
async def pages() -> AsyncIterator[PageServer]:
    server = PageServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def diplobrief(
    tmp_path: Path,
    analyzer: ProcessPoolAnalyzer,
    apps: Callable[..., Awaitable[App]],
    bot_runner: Callable[..., Awaitable[RunningBot]],
) -> RunningBot:
    settings = Settings.from_env(
        {
            "DIPLOBRIEF_DATABASE": str(tmp_path / "bot.db"),
            "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1",
        }
    )
    running = await bot_runner(DiplobriefBot(await apps(settings, analyzer=analyzer)))
    await running.sync_commands()
    return running


def only_message(record: InteractionRecord) -> Any:
    visible = record.visible_messages
    assert len(visible) == 1, [m.payload() for m in record.messages]
    return visible[0]


def assert_no_pings(message: Any) -> None:
    assert message.allowed_mentions is not None
    assert message.allowed_mentions.get("parse") == []
    assert not message.pings_everyone
    assert not message.pinged_user_ids and not message.pinged_role_ids


async def summarize(running: RunningBot, url: str, **options: Any) -> InteractionRecord:
    return await running.slash("summarize", {"url": url, **options}, timeout_s=60)


async def test_sync_payload_lists_every_command(diplobrief: RunningBot) -> None:
    synced = {c["name"]: c for c in diplobrief.double.global_commands}
    assert {
        "summarize",
        "quotes",
        "search",
        "article",
        "autosummary",
        "help",
        "brief",
        "relations",
        "digest",
    } <= set(synced)
    assert synced["digest"]["default_member_permissions"] == str(p.MANAGE_CHANNELS)
    assert "Summarize article" in synced
    assert synced["Summarize article"]["type"] == 3
    summarize_options = {o["name"]: o for o in synced["summarize"]["options"]}
    assert summarize_options["url"]["required"] is True
    assert summarize_options["sentences"]["min_value"] == 1
    assert summarize_options["sentences"]["max_value"] == 10
    assert {c["value"] for c in summarize_options["method"]["choices"]} >= {"lexrank", "textrank"}
    assert synced["autosummary"]["default_member_permissions"] == str(p.MANAGE_CHANNELS)
    assert {o["name"] for o in synced["article"]["options"]} == {"add", "list", "remove"}
    quotes_options = {o["name"]: o for o in synced["quotes"]["options"]}
    assert quotes_options["speaker"]["autocomplete"] is True


async def test_summarize_link_answers_with_embed_and_buttons(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    url = pages.url("news/ministers-border.html")
    record = await summarize(diplobrief, url)
    assert record.deferred and not record.deferred_ephemeral
    message = only_message(record)
    assert not message.ephemeral
    assert_no_pings(message)
    [embed] = message.embeds
    assert embed["title"] == NEWS_ARTICLE_TITLE
    assert embed["url"] == url
    assert "Daily Dispatch" in embed["author"]["name"]
    assert embed["description"].startswith("• ")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Armenia" in fields["Countries"] and "Azerbaijan" in fields["Countries"]
    assert "Ararat Mirzoyan" in fields["People"]
    assert "Quote" in fields
    buttons = [c for row in message.components for c in row["components"]]
    labels = [b["label"] for b in buttons]
    assert labels == ["Quotes", "People & countries", "Read article"]
    assert buttons[2]["url"] == url

    quotes = await diplobrief.click(message, buttons[0]["custom_id"])
    quotes_message = only_message(quotes)
    assert quotes_message.ephemeral
    assert "Ararat Mirzoyan" in quotes_message.embeds[0]["description"]
    people = await diplobrief.click(message, buttons[1]["custom_id"])
    people_fields = {f["name"] for f in only_message(people).embeds[0]["fields"]}
    assert {"People", "Countries"} <= people_fields

    hits_before = pages.hits.count("/news/ministers-border.html")
    again = await summarize(diplobrief, url + "#top", sentences=2)
    assert pages.hits.count("/news/ministers-border.html") == hits_before  # not fetched again
    assert len(only_message(again).embeds[0]["description"].split("\n")) == 2


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("missing", "404"),
        ("report.pdf", "PDF"),
        ("to-private", "private"),
        ("oversized.html", "too big"),
    ],
)
async def test_bad_links_get_a_private_error(
    diplobrief: RunningBot, pages: PageServer, path: str, reason: str
) -> None:
    record = await summarize(diplobrief, pages.url(path))
    message = only_message(record)
    assert message.ephemeral, "an error after a public deferral must not be shown to everyone"
    text = message.embeds[0]["description"]
    assert reason.lower() in text.lower(), text
    assert "Traceback" not in text


async def test_invalid_url_refused_before_deferring(diplobrief: RunningBot) -> None:
    record = await diplobrief.slash("summarize", {"url": "not a link"})
    assert not record.deferred
    message = only_message(record)
    assert message.ephemeral
    assert "http" in message.embeds[0]["description"]


async def test_article_with_everyone_never_pings(diplobrief: RunningBot, pages: PageServer) -> None:
    record = await summarize(diplobrief, pages.url("news/everyone.html"))
    message = only_message(record)
    assert_no_pings(message)


async def test_context_menu_summarizes_links_in_a_message(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    posted = await diplobrief.say(f"Have a look: {pages.url('news/ceasefire.txt')} (via a friend)")
    record = await diplobrief.message_command("Summarize article", posted, timeout_s=60)
    message = only_message(record)
    assert not message.ephemeral
    assert message.embeds[0]["title"] == "Ceasefire Talks Resume in Doha"
    no_link = await diplobrief.say("no links here")
    refused = await diplobrief.message_command("Summarize article", no_link)
    assert only_message(refused).ephemeral


async def test_quotes_with_speaker_autocomplete(diplobrief: RunningBot, pages: PageServer) -> None:
    await summarize(diplobrief, pages.url("news/ministers-border.html"))
    choices = await diplobrief.autocomplete("quotes", {"speaker": "ara"}, "speaker")
    assert [c["name"] for c in choices] == ["Ararat Mirzoyan"]
    record = await diplobrief.slash("quotes", {"speaker": "Ararat Mirzoyan"})
    description = only_message(record).embeds[0]["description"]
    assert "This is a first step" in description
    assert "Jeyhun Bayramov" not in description


async def test_article_add_list_and_remove_needs_manage_messages(diplobrief: RunningBot) -> None:
    text = (
        "Envoys from Norway and Sweden met in Oslo on Monday to discuss fishing rights.\n"
        "“We found common ground,” said Anna Berg, Norway’s foreign minister, after the talks.\n"
        "Ms. Berg added that talks would continue in Stockholm next month, officials said.\n"
    )
    added = await diplobrief.slash(
        "article add", {"title": "Envoys meet in Oslo", "text": text}, timeout_s=60
    )
    embed = only_message(added).embeds[0]
    assert embed["title"] == "Envoys meet in Oslo"
    listing = await diplobrief.slash("article list")
    assert "Envoys meet in Oslo" in only_message(listing).embeds[0]["description"]
    article_id = int(embed["footer"]["text"].split("#")[1].split()[0])
    refused = await diplobrief.slash(
        "article remove",
        {"id": article_id},
        member="pat_member",
        permissions=p.EVERYDAY_PERMISSIONS,
    )
    assert only_message(refused).ephemeral
    assert "Manage Messages" in only_message(refused).embeds[0]["description"]
    removed = await diplobrief.slash("article remove", {"id": article_id}, member="mo_moderator")
    assert only_message(removed).content == f"Removed article #{article_id}."


async def test_search_finds_stored_articles(diplobrief: RunningBot, pages: PageServer) -> None:
    await summarize(diplobrief, pages.url("news/ministers-border.html"))
    record = await diplobrief.slash("search", {"query": "border crossing"})
    embed = only_message(record).embeds[0]
    assert embed["fields"][0]["name"].endswith(NEWS_ARTICLE_TITLE)
    nothing = await diplobrief.slash("search", {"query": "zeppelin"})
    assert only_message(nothing).embeds[0]["description"] == "No articles match."


async def test_autosummary_needs_manage_channels_and_replies_in_enabled_channel(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    news = diplobrief.double.channel("news")
    refused = await diplobrief.slash(
        "autosummary",
        {"enabled": True},
        member="pat_member",
        channel=news,
        permissions=p.EVERYDAY_PERMISSIONS,
    )
    assert only_message(refused).ephemeral
    assert "Manage Channels" in only_message(refused).embeds[0]["description"]
    await diplobrief.say(pages.url("news/ministers-border.html"), channel=news)
    enabled = await diplobrief.slash(
        "autosummary", {"enabled": True}, member="olivia_owner", channel=news
    )
    assert "on" in only_message(enabled).content

    general = diplobrief.double.channel("general")
    await diplobrief.say(pages.url("news/ceasefire.txt"), channel=general)  # not enabled there
    posted = await diplobrief.say(
        f"Big news {pages.url('news/ministers-border.html')}", channel=news
    )
    [reply] = await diplobrief.wait_for_channel_messages(1, channel=news, timeout_s=60)
    assert reply.message_reference is not None
    assert int(reply.message_reference["message_id"]) == posted.id
    assert reply.embeds[0]["title"] == NEWS_ARTICLE_TITLE
    assert_no_pings(reply)
    assert diplobrief.double.channel_messages(general) == []
    assert "/news/ceasefire.txt" not in pages.hits


async def test_followup_429_and_500_are_retried_and_delivered_once(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    double: DiscordDouble = diplobrief.double
    double.inject_fault("POST", "/webhooks/{app}/{token}", 429, times=1)
    double.inject_fault("POST", "/webhooks/{app}/{token}", 500, times=1)
    record = await summarize(diplobrief, pages.url("news/ministers-border.html"))
    assert len(record.visible_messages) == 1
    assert record.visible_messages[0].embeds[0]["title"] == NEWS_ARTICLE_TITLE


async def test_dropped_gateway_resumes_and_answers_next_command(diplobrief: RunningBot) -> None:
    await diplobrief.double.drop_gateway()
    record = await diplobrief.slash("help", timeout_s=15)
    assert diplobrief.double.gateway_events_of("resume")
    message = only_message(record)
    assert message.ephemeral
    help_text = message.embeds[0]["description"]
    for usage in (
        "**/summarize** url [sentences] [method]",
        "**/brief** [topic] [country] [days]",
        "**/digest subscribe**",
        "**/article remove** id",
        "**Summarize article**",
    ):
        assert usage in help_text


def add_second_guild(double: DiscordDouble) -> p.FakeGuild:
    """A second server with the same people and the bot in it."""
    first = double.world.guild
    guild_id = p.new_snowflake()
    everyone = p.FakeRole(guild_id, "@everyone", p.EVERYDAY_PERMISSIONS)
    bot_member = next(m for m in first.members if m.user.bot)
    second = p.FakeGuild(
        id=guild_id,
        name="Consulate",
        owner_id=first.owner_id,
        channels=[p.FakeChannel(p.new_snowflake(), "lobby", guild_id)],
        roles=[everyone],
        members=[p.FakeMember(m.user) for m in first.members if m is not bot_member]
        + [p.FakeMember(bot_member.user)],
    )
    double.world.guilds.append(second)
    return second


async def test_two_guilds_see_only_their_own_articles(
    tmp_path: Path,
    analyzer: ProcessPoolAnalyzer,
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,
    bot_runner: Callable[..., Awaitable[RunningBot]],
    pages: PageServer,
) -> None:
    second = add_second_guild(discord_double)
    settings = Settings.from_env(
        {"DIPLOBRIEF_DATABASE": str(tmp_path / "b.db"), "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1"}
    )
    running = await bot_runner(DiplobriefBot(await apps(settings, analyzer=analyzer)))
    await running.sync_commands(guild=False)
    await summarize(running, pages.url("news/ministers-border.html"))
    lobby = second.channels[0]
    owner = discord_double.member(second.owner_id, second)

    async def in_second(name: str, options: dict[str, Any] | None = None) -> Any:
        record = await running.slash(name, options, channel=lobby, member=owner)
        return only_message(record)

    assert (await in_second("search", {"query": "border"})).embeds[0]["description"] == (
        "No articles match."
    )
    assert (await in_second("quotes")).embeds[0]["description"] == "No quotes found."
    listing = (await in_second("article list")).embeds[0]["description"]
    assert listing.startswith("No articles stored yet")
    choices = await running.autocomplete("quotes", {"speaker": "ara"}, "speaker")
    assert choices  # the first server does see its own speaker
    refused = await in_second("article remove", {"id": 1})
    assert "No article #1" in refused.embeds[0]["description"]
    still_there = await running.slash("search", {"query": "border"})
    assert only_message(still_there).embeds[0]["fields"]


async def test_brief_and_relations(diplobrief: RunningBot, pages: PageServer) -> None:
    await summarize(diplobrief, pages.url("news/ministers-border.html"))
    await summarize(diplobrief, pages.url("news/ceasefire.txt"))
    record = await diplobrief.slash("brief", {"days": 2}, timeout_s=30)
    message = only_message(record)
    assert not message.ephemeral
    assert_no_pings(message)
    header, *stories = message.embeds
    assert header["title"] == "Briefing"
    assert len(stories) == 2
    titles = " ".join(s["title"] for s in stories)
    assert "Border Crossing" in titles and "Ceasefire" in titles
    border = next(s for s in stories if "Border" in s["title"])
    fields = {f["name"].split(" (")[0]: f["value"] for f in border["fields"]}
    assert "Armenia" in fields["Countries"]
    assert "Sources" in fields

    filtered = await diplobrief.slash("brief", {"country": "AM", "days": 2}, timeout_s=30)
    _, *only = only_message(filtered).embeds
    assert len(only) == 1 and "Border" in only[0]["title"]

    choices = await diplobrief.autocomplete("relations", {"country": "arm"}, "country")
    assert any(c["value"] == "AM" for c in choices)
    related = await diplobrief.slash("relations", {"country": "Armenia"}, timeout_s=30)
    embed = only_message(related).embeds[0]
    assert "Armenia" in embed["title"]
    assert any("Azerbaijan" in f["name"] for f in embed["fields"])

    unknown = await diplobrief.slash("brief", {"country": "Narnia"})
    assert not unknown.deferred
    assert "Narnia" in only_message(unknown).embeds[0]["description"]


async def test_search_pages_turn_for_the_searcher_only(diplobrief: RunningBot) -> None:
    cities = ["Oslo", "Vienna", "Geneva", "Doha", "Nairobi", "Jakarta", "Lima"]
    for city in cities:
        text = (
            f"Negotiators met in {city} on Monday for ceasefire talks between the two sides.\n"
            f"Officials in {city} said the ceasefire talks would resume after a short pause.\n"
            f"Diplomats described the mood in {city} as cautious but constructive overall.\n"
        )
        await diplobrief.slash(
            "article add", {"title": f"Ceasefire talks in {city}", "text": text}, timeout_s=60
        )
    record = await diplobrief.slash("search", {"query": "ceasefire"})
    message = only_message(record)
    assert len(message.embeds[0]["fields"]) == 5
    assert message.embeds[0]["footer"]["text"].startswith("Page 1 of 2")
    buttons = {b["label"]: b for row in message.components for b in row["components"]}
    assert buttons["◀ Previous"]["disabled"] is True
    stranger = await diplobrief.click(
        message, buttons["Next ▶"]["custom_id"], member="olivia_owner"
    )
    assert only_message(stranger).ephemeral
    assert message.embeds[0]["footer"]["text"].startswith("Page 1 of 2")
    await diplobrief.click(message, buttons["Next ▶"]["custom_id"], member="pat_member")
    assert message.embeds[0]["footer"]["text"].startswith("Page 2 of 2")
    assert len(message.embeds[0]["fields"]) == 2


async def test_article_add_from_an_attached_file(diplobrief: RunningBot, pages: PageServer) -> None:
    # The attachment's CDN address is served by the local page server.
    attachment = {
        "filename": "ceasefire.txt",
        "size": 600,
        "url": pages.url("news/ceasefire.txt"),
        "content_type": "text/plain; charset=utf-8",
    }
    added = await diplobrief.slash("article add", {"file": attachment}, timeout_s=60)
    embed = only_message(added).embeds[0]
    assert embed["title"] == "Ceasefire Talks Resume in Doha"
    assert "Qatar" in str(embed["fields"])

    pdf = {**attachment, "filename": "report.pdf", "url": pages.url("report.pdf")}
    refused = await diplobrief.slash("article add", {"file": pdf})
    assert not refused.deferred
    assert ".txt or .html" in only_message(refused).embeds[0]["description"]
    huge = {**attachment, "size": 50_000_000}
    too_big = await diplobrief.slash("article add", {"file": huge})
    assert "limit is 5 MB" in only_message(too_big).embeds[0]["description"]
    nothing = await diplobrief.slash("article add", {"title": "Only a title"})
    assert only_message(nothing).ephemeral
