"""The app installed by a person: their own library in DMs, private chats and servers that did not
add the bot, never mixed with a server's; admin commands stay with servers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from bot.domain.scope import user_scope
from tests.discord_double import payloads as p
from tests.discord_double.fixtures import RunningBot
from tests.discord_double.server import DiscordDouble, DoubleError, InteractionRecord
from tests.pages import NEWS_ARTICLE_TITLE, PageServer

USER_COMMANDS = ("summarize", "quotes", "search", "help")
SERVER_COMMANDS = ("digest", "autosummary", "article", "brief", "relations")


def guild_without_the_bot(double: DiscordDouble, *, external_apps: bool = True) -> p.FakeGuild:
    """A server with the same people that never added Diplobrief (maybe forbidding own apps)."""
    first = double.world.guild
    guild_id = p.new_snowflake()
    everyday = (
        p.EVERYDAY_PERMISSIONS if external_apps else (p.EVERYDAY_PERMISSIONS & ~p.USE_EXTERNAL_APPS)
    )
    guild = p.FakeGuild(
        id=guild_id,
        name="Chancery" if external_apps else "Strict Chancery",
        owner_id=p.new_snowflake(),
        channels=[p.FakeChannel(p.new_snowflake(), "hall", guild_id)],
        roles=[p.FakeRole(guild_id, "@everyone", everyday)],
        members=[p.FakeMember(m.user) for m in first.members if not m.user.bot],
    )
    double.world.guilds.append(guild)
    return guild


def only_message(record: InteractionRecord) -> Any:
    visible = record.visible_messages
    assert len(visible) == 1, [m.payload() for m in record.messages]
    return visible[0]


async def test_commands_say_where_they_may_be_installed_and_used(diplobrief: RunningBot) -> None:
    synced = {(c["name"], c["type"]): c for c in diplobrief.double.global_commands}
    for name in USER_COMMANDS:
        assert synced[name, 1]["integration_types"] == [0, 1], name
        assert synced[name, 1]["contexts"] == [0, 1, 2], name
    menu = synced["Summarize article", 3]
    assert menu["integration_types"] == [0, 1] and menu["contexts"] == [0, 1, 2]
    for name in SERVER_COMMANDS:  # top-level fields, in the global registration
        assert synced[name, 1]["integration_types"] == [0], name
        assert synced[name, 1]["contexts"] == [0], name


async def test_admin_commands_are_not_offered_outside_servers(diplobrief: RunningBot) -> None:
    for name, where in (("digest list", "bot_dm"), ("autosummary", "private_channel")):
        with pytest.raises(DoubleError, match="cannot invoke it there"):
            await diplobrief.slash(
                name,
                {"enabled": True} if name == "autosummary" else None,
                where=where,
                user_install=True,
            )
    elsewhere = guild_without_the_bot(diplobrief.double)
    with pytest.raises(DoubleError, match="cannot invoke it there"):
        await diplobrief.slash("article list", channel=elsewhere.channels[0], user_install=True)


async def test_a_dm_summary_is_the_users_own_and_no_server_sees_it(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    url = pages.url("news/ministers-border.html")
    record = await diplobrief.slash(
        "summarize",
        {"url": url},
        member="pat_member",
        where="bot_dm",
        user_install=True,
        timeout_s=60,
    )
    message = only_message(record)
    assert message.guild_id is None and not message.ephemeral
    assert message.embeds[0]["title"] == NEWS_ARTICLE_TITLE
    pat = diplobrief.double.member("pat_member").user
    app: App = diplobrief.bot.app  # type: ignore[attr-defined]
    page = await app.articles.article_page(user_scope(pat.id), 1)
    assert [a.url for a in page.articles] == [url]
    assert (await app.articles.article_page(diplobrief.double.world.guild.id, 1)).total == 0

    # The server's library does not have it, for anyone, Pat included.
    for member in ("olivia_owner", "pat_member"):
        in_server = await diplobrief.slash("search", {"query": "border"}, member=member)
        assert only_message(in_server).embeds[0]["description"] == "No articles match."
    # Pat's own library has it wherever Pat uses the app through their install.
    in_dm = await diplobrief.slash(
        "search", {"query": "border"}, member="pat_member", where="bot_dm", user_install=True
    )
    assert only_message(in_dm).embeds[0]["fields"][0]["name"].endswith(NEWS_ARTICLE_TITLE)
    chat = await diplobrief.slash(
        "quotes", member="pat_member", where="private_channel", user_install=True
    )
    assert "Ararat Mirzoyan" in only_message(chat).embeds[0]["description"]
    elsewhere = guild_without_the_bot(diplobrief.double)
    there = await diplobrief.slash(
        "search",
        {"query": "border"},
        member="pat_member",
        channel=elsewhere.channels[0],
        user_install=True,
    )
    assert only_message(there).embeds[0]["fields"]
    # Another person's own library is theirs: empty.
    olivia = await diplobrief.slash(
        "search", {"query": "border"}, member="olivia_owner", where="bot_dm", user_install=True
    )
    assert only_message(olivia).embeds[0]["description"] == "No articles match."
    choices = await diplobrief.autocomplete(
        "quotes",
        {"speaker": "ara"},
        "speaker",
        member="pat_member",
        where="bot_dm",
        user_install=True,
    )
    assert [c["name"] for c in choices] == ["Ararat Mirzoyan"]

    # The buttons under the DM summary read Pat's library too.
    quotes_button = message.components[0]["components"][0]["custom_id"]
    quotes = await diplobrief.click(message, quotes_button, member="pat_member")
    assert "Ararat Mirzoyan" in only_message(quotes).embeds[0]["description"]


async def test_a_server_that_forbids_external_apps_gets_private_answers(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    strict = guild_without_the_bot(diplobrief.double, external_apps=False)
    record = await diplobrief.slash(
        "summarize",
        {"url": pages.url("news/ceasefire.txt")},
        member="pat_member",
        channel=strict.channels[0],
        user_install=True,
        timeout_s=60,
    )
    message = only_message(record)
    assert message.ephemeral  # Discord's choice, not the bot's: and nothing failed
    assert message.embeds[0]["title"] == "Ceasefire Talks Resume in Doha"
    refused = await diplobrief.slash(
        "summarize",
        {"url": pages.url("missing")},
        member="pat_member",
        channel=strict.channels[0],
        user_install=True,
        timeout_s=60,
    )
    assert only_message(refused).ephemeral
    assert "404" in only_message(refused).embeds[0]["description"]


async def test_the_context_menu_through_a_users_install(
    diplobrief: RunningBot, pages: PageServer
) -> None:
    posted = await diplobrief.say(f"Read {pages.url('news/ceasefire.txt')}")
    record = await diplobrief.message_command(
        "Summarize article", posted, member="mo_moderator", user_install=True, timeout_s=60
    )
    assert only_message(record).embeds[0]["title"] == "Ceasefire Talks Resume in Doha"
    # In a server that added the bot, its command works through the server's install: the
    # server's library gets it.
    app: App = diplobrief.bot.app  # type: ignore[attr-defined]
    assert (await app.articles.article_page(diplobrief.double.world.guild.id, 1)).total == 1
