"""The rest of what the double speaks: autocomplete, context menus, components, files, errors."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.discord_double import payloads as p
from tests.discord_double.fixtures import RunningBot, start_bot
from tests.discord_double.server import (
    CALLBACK_AUTOCOMPLETE,
    CALLBACK_UPDATE_MESSAGE,
    RESUME_GATEWAY_PATH,
    DiscordDouble,
)

TOPICS = ["Iran nuclear talks", "Iraq elections", "Ireland trade", "Sudan ceasefire"]


class ConfirmView(discord.ui.View):
    """One button that turns the message into a confirmation."""

    @discord.ui.button(label="Confirm", custom_id="confirm-subscribe")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="Subscribed.", view=None)


class ProtocolBot(commands.Bot):
    """Exercises the less common parts of the protocol."""

    def __init__(self, *, message_content: bool = True, guild_id: int | None = None) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.guild_id = guild_id
        self.seen_messages: list[discord.Message] = []
        self.add_view(ConfirmView(timeout=None))

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(name="topic", description="Pick a topic")
        async def topic(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message(f"Topic: {name}")

        @topic.autocomplete("name")
        async def topic_choices(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=t, value=t)
                for t in TOPICS
                if t.lower().startswith(current.lower())
            ]

        @tree.context_menu(name="Summarize message")
        async def summarize(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(
                f"{message.author.name} wrote {len(message.content.split())} words", ephemeral=True
            )

        @tree.command(name="subscribe", description="Subscribe this channel")
        async def subscribe(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Subscribe?", view=ConfirmView(timeout=None))

        @tree.command(name="export", description="Export as a file")
        async def export(interaction: discord.Interaction) -> None:
            data = io.BytesIO(b"Briefing\n\nTalks resumed.\n")
            await interaction.response.send_message(
                "Here it is.", file=discord.File(data, "brief.txt")
            )

        @tree.command(name="post", description="Post in a channel")
        async def post(interaction: discord.Interaction, where: discord.TextChannel) -> None:
            channel = self.get_channel(where.id)
            assert isinstance(channel, discord.TextChannel)
            try:
                await channel.send("Daily digest")
            except discord.Forbidden as refused:
                await interaction.response.send_message(
                    f"I cannot post there ({refused.code}).", ephemeral=True
                )
                return
            await interaction.response.send_message("Posted.", ephemeral=True)

        @tree.command(name="slow", description="Answers too late")
        async def slow(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.4)
            await interaction.response.send_message("late")

        @tree.command(name="long", description="Says too much")
        async def long(interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_message("x" * 2001)
            except discord.HTTPException as refused:
                await interaction.response.send_message(f"refused {refused.code}")

        @tree.command(name="burst", description="Posts five messages")
        async def burst(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True)
            channel = interaction.channel
            assert isinstance(channel, discord.TextChannel)
            for number in range(5):
                await channel.send(f"message {number}")
            await interaction.followup.send("done")

        if self.guild_id is not None:
            guild = discord.Object(id=self.guild_id)

            @tree.command(name="local", description="Only in this server", guild=guild)
            async def local(interaction: discord.Interaction) -> None:
                await interaction.response.send_message(f"guild {interaction.guild_id}")

    async def on_message(self, message: discord.Message) -> None:
        self.seen_messages.append(message)


@pytest.fixture
async def running(discord_double: DiscordDouble) -> AsyncIterator[RunningBot]:
    bot = ProtocolBot(guild_id=discord_double.world.guild.id)
    started = await start_bot(discord_double, bot)
    await started.sync_commands()
    yield started
    await started.stop()
    assert not started.logged_errors


async def test_autocomplete_offers_matching_choices(running: RunningBot) -> None:
    choices = await running.autocomplete("topic", {"name": "ir"}, focused="name")
    assert [c["value"] for c in choices] == [
        "Iran nuclear talks",
        "Iraq elections",
        "Ireland trade",
    ]
    record = next(iter(running.double.interactions.values()))
    assert record.callback_type == CALLBACK_AUTOCOMPLETE


async def test_message_context_menu_reads_the_resolved_message(running: RunningBot) -> None:
    target = await running.say("The talks in Vienna ended early today", member="mo_moderator")
    answer = await running.message_command("Summarize message", target)
    assert answer.original is not None
    assert answer.original.content == "mo_moderator wrote 7 words"
    assert answer.original.ephemeral


async def test_button_click_updates_the_message(running: RunningBot) -> None:
    asked = await running.slash("subscribe")
    prompt = asked.original
    assert prompt is not None and prompt.components[0]["components"][0]["label"] == "Confirm"
    click = await running.click(prompt, "confirm-subscribe")
    assert click.callback_type == CALLBACK_UPDATE_MESSAGE
    assert prompt.content == "Subscribed." and prompt.components == []


async def test_file_is_sent_as_multipart(running: RunningBot) -> None:
    answer = await running.slash("export")
    assert answer.original is not None
    (file,) = answer.original.files
    assert (file.filename, file.data) == ("brief.txt", b"Briefing\n\nTalks resumed.\n")
    callback = running.double.requests_to("POST", "/interactions/{id}/{token}/callback")[-1]
    assert callback.json["data"]["attachments"][0]["filename"] == "brief.txt"


async def test_missing_permission_is_a_discord_403(running: RunningBot) -> None:
    double = running.double
    news = double.channel("news")
    double.inject_fault("POST", f"/channels/{news.id}/messages", 403)
    answer = await running.slash("post", {"where": news})
    assert answer.original is not None
    assert answer.original.content == "I cannot post there (50013)."
    assert double.channel_messages(news) == []


async def test_answer_after_the_deadline_is_an_unknown_interaction(
    discord_double: DiscordDouble,
) -> None:
    discord_double.interaction_deadline_s = 0.2
    started = await start_bot(discord_double, ProtocolBot(), expect_logged_errors=True)
    try:
        await started.sync_commands(guild=False)
        late = await started.slash("slow", wait=False)
        refused = await discord_double.wait_for_request(lambda r: r.path.endswith("/callback"))
        assert refused.status == 404
        assert not late.answered
        await discord_double.wait_until(lambda: started.logged_errors, 2, "the error log")
        assert "10062" in started.logged_errors[0]
    finally:
        await started.stop()


async def test_too_long_content_is_invalid_form_body(running: RunningBot) -> None:
    answer = await running.slash("long")
    assert answer.original is not None and answer.original.content == "refused 50035"


async def test_rate_limited_bucket_delivers_everything(running: RunningBot) -> None:
    double = running.double
    limiter = double.set_rate_limit(2, 0.2, path="/channels/{id}/messages")
    answer = await running.slash("burst", timeout_s=10)
    assert answer.original is not None and answer.original.content == "done"
    posted = [m.content for m in double.channel_messages()]
    assert posted == [f"message {n}" for n in range(5)]
    sent = double.requests_to("POST", "/channels/{id}/messages")
    assert sent[0].status == 200
    assert limiter.refused <= 1


async def test_guild_command_carries_guild_id(running: RunningBot) -> None:
    answer = await running.slash("local")
    assert answer.payload["data"]["guild_id"] == str(running.double.world.guild.id)
    assert answer.original is not None
    assert answer.original.content == f"guild {running.double.world.guild.id}"


async def test_unknown_route_is_recorded(running: RunningBot) -> None:
    guild = running.bot.get_guild(running.double.world.guild.id)
    assert guild is not None
    with pytest.raises(discord.NotFound):
        await guild.fetch_roles()
    assert [r.path for r in running.double.unknown_routes] == [f"/guilds/{guild.id}/roles"]


async def test_message_content_needs_the_intent(discord_double: DiscordDouble) -> None:
    bot = ProtocolBot(message_content=False)
    started = await start_bot(discord_double, bot)
    try:
        await started.say("plain words")
        await started.say(f"<@{discord_double.world.bot_user.id}> summarize this")
        await discord_double.wait_until(lambda: len(bot.seen_messages) >= 2, 2, "two messages")
        assert bot.seen_messages[0].content == ""
        assert bot.seen_messages[1].content.endswith("summarize this")
    finally:
        await started.stop()


async def test_bot_sees_its_own_messages_echoed(running: RunningBot) -> None:
    news = running.double.channel("news")
    answer = await running.slash("post", {"where": news})
    assert answer.original is not None and answer.original.content == "Posted."
    bot = running.bot
    assert isinstance(bot, ProtocolBot)
    await running.double.wait_until(lambda: bot.seen_messages, 2, "the echo")
    assert bot.user is not None and bot.seen_messages[0].author.id == bot.user.id


async def test_invalid_session_leads_to_a_new_identify(running: RunningBot) -> None:
    double = running.double
    double.sessions.clear()
    await double.drop_gateway()
    await double.wait_until(lambda: len(double.gateway_events_of("identify")) == 2, 5, "IDENTIFY")
    assert double.gateway_events_of("invalid")
    # discord.py 2.7 keeps the resume URL for the fresh IDENTIFY after an invalid session.
    assert double.gateway_events_of("identify")[1].path == RESUME_GATEWAY_PATH
    answer = await running.slash("export")
    assert answer.answered


async def test_reconnect_opcode_resumes(running: RunningBot) -> None:
    double = running.double
    await double.send_reconnect()
    await double.wait_until(lambda: double.gateway_events_of("resumed"), 5, "RESUMED")
    assert len(double.gateway_events_of("identify")) == 1
    answer = await running.slash("export")
    assert answer.answered


async def test_member_and_app_permissions_reach_the_bot(running: RunningBot) -> None:
    record = await running.double.send_slash_command(
        "export", permissions=p.VIEW_CHANNEL, app_permissions=p.SEND_MESSAGES
    )
    await running.wait_answered(record)
    assert record.payload["member"]["permissions"] == str(p.VIEW_CHANNEL)
    assert record.payload["app_permissions"] == str(p.SEND_MESSAGES)


class ShardedBot(commands.AutoShardedBot):
    """The sharded client asks GET /gateway/bot for its URL and shard count."""

    def __init__(self) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default())

    async def setup_hook(self) -> None:
        @self.tree.command(name="ping", description="Answer pong")
        async def ping(interaction: discord.Interaction) -> None:
            shard = interaction.guild.shard_id if interaction.guild else None
            await interaction.response.send_message(f"pong from shard {shard}")


async def test_auto_sharded_bot_uses_gateway_bot(discord_double: DiscordDouble) -> None:
    started = await start_bot(discord_double, ShardedBot())
    try:
        assert discord_double.requests_to("GET", "/gateway/bot")
        await started.sync_commands(guild=False)
        answer = await started.slash("ping")
        assert answer.original is not None and answer.original.content == "pong from shard 0"
    finally:
        await started.stop()


async def test_everyone_ping_needs_permission_and_allowed_mentions(running: RunningBot) -> None:
    double = running.double
    guild = double.world.guild
    bot_role = next(role for role in guild.roles if role.managed)
    channel = running.bot.get_channel(double.channel("news").id)
    assert isinstance(channel, discord.TextChannel)
    loud = discord.AllowedMentions(everyone=True)
    await channel.send("@everyone talks resumed", allowed_mentions=loud)
    guild.roles[guild.roles.index(bot_role)] = dataclasses.replace(
        bot_role, permissions=bot_role.permissions | p.MENTION_EVERYONE
    )
    await channel.send("@everyone talks resumed")
    await channel.send("@everyone talks resumed", allowed_mentions=loud)
    pings = [m.pings_everyone for m in double.channel_messages(double.channel("news"))]
    assert pings == [False, False, True]
