"""The Discord double speaks enough Discord for the real discord.py client, end to end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.discord_double import payloads as p
from tests.discord_double.fixtures import RunningBot, start_bot
from tests.discord_double.server import (
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_MESSAGE,
    GATEWAY_PATH,
    RESUME_GATEWAY_PATH,
    DiscordDouble,
)


class SmokeBot(commands.Bot):
    """A bot with one deferred command, one ephemeral command and a message listener."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.1,
        )

    async def setup_hook(self) -> None:
        @self.tree.command(name="brief", description="Brief me on a topic")
        @app_commands.describe(topic="What to brief on")
        async def brief(interaction: discord.Interaction, topic: str) -> None:
            await interaction.response.defer(thinking=True)
            embed = discord.Embed(title=f"Briefing: {topic}", description="Talks resumed today.")
            await interaction.followup.send(embed=embed)

        @self.tree.command(name="secret", description="Answer only the caller")
        async def secret(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Only you can see this.", ephemeral=True)

        @self.tree.command(name="quiet", description="Defer privately, then follow up")
        async def quiet(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send("first", ephemeral=False)
            await interaction.followup.send("second, public")

        @self.tree.command(name="oops", description="Defer publicly, then fail privately")
        async def oops(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.delete_original_response()
            await interaction.followup.send("Only you see this error.", ephemeral=True)

        @self.tree.command(name="settings", description="Change settings (managers only)")
        @app_commands.default_permissions(manage_guild=True)
        async def settings(interaction: discord.Interaction) -> None:
            if not interaction.permissions.manage_guild:
                await interaction.response.send_message("You need Manage Server.", ephemeral=True)
                return
            await interaction.response.send_message("Settings changed.", ephemeral=True)

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.content.startswith("hello"):
            await message.channel.send(f"Hello {message.author.mention}! @everyone look")


@pytest.fixture
async def smoke(discord_double: DiscordDouble) -> AsyncIterator[RunningBot]:
    running = await start_bot(discord_double, SmokeBot())
    await running.sync_commands()
    yield running
    await running.stop()
    assert not running.logged_errors


async def test_login_identify_and_sync_payload(smoke: RunningBot) -> None:
    double = smoke.double
    assert smoke.bot.user is not None and smoke.bot.user.id == double.world.bot_user.id
    guild = smoke.bot.get_guild(double.world.guild.id)
    assert guild is not None and guild.get_channel(double.channel("general").id) is not None
    assert guild.me is not None
    identify = double.gateway_events_of("identify")
    assert len(identify) == 1 and identify[0].path == GATEWAY_PATH
    assert double.gateway_events_of("connect")[0].detail["query"]["compress"] == "zlib-stream"
    assert double.requests_to("PUT", "/applications/{app}/guilds/{guild}/commands")[0].json == []
    sync = double.requests_to("PUT", "/applications/{app}/commands")[0]
    assert sync.headers["Authorization"] == f"Bot {double.token}"
    by_name = {command["name"]: command for command in sync.json}
    assert set(by_name) == {"brief", "secret", "quiet", "oops", "settings"}
    assert by_name["brief"]["options"] == [
        {
            "type": 3,
            "name": "topic",
            "description": "What to brief on",
            "required": True,
        }
    ]
    assert int(by_name["settings"]["default_member_permissions"]) == p.MANAGE_GUILD
    assert double.unknown_routes == []


async def test_deferred_command_followup_embed(smoke: RunningBot) -> None:
    interaction = await smoke.slash("brief", {"topic": "Iran"})
    assert interaction.callback_type == CALLBACK_DEFERRED_MESSAGE
    callback = smoke.double.requests_to("POST", "/interactions/{id}/{token}/callback")[-1]
    assert callback.query == {"with_response": "1"}
    original = interaction.original
    assert original is not None and not original.ephemeral
    assert original.embeds[0]["title"] == "Briefing: Iran"
    assert original.allowed_mentions is not None and original.allowed_mentions["parse"] == []
    assert interaction.followups == []


async def test_ephemeral_command_is_seen_only_by_caller(smoke: RunningBot) -> None:
    interaction = await smoke.slash("secret")
    assert interaction.callback_type == CALLBACK_MESSAGE
    assert interaction.original is not None
    assert interaction.original.content == "Only you can see this."
    assert interaction.original.ephemeral


async def test_first_followup_after_deferral_keeps_deferral_visibility(smoke: RunningBot) -> None:
    interaction = await smoke.slash("quiet")
    first, second = await smoke.double.wait_for_messages(interaction, 2)
    assert (first.content, first.ephemeral) == ("first", True)
    assert (second.content, second.ephemeral) == ("second, public", False)


async def test_deleting_the_deferral_lets_the_followup_be_ephemeral(smoke: RunningBot) -> None:
    interaction = await smoke.slash("oops")
    assert interaction.original is not None and interaction.original.deleted
    (error,) = interaction.visible_messages
    assert (error.content, error.ephemeral) == ("Only you see this error.", True)


async def test_member_permissions_reach_the_command(smoke: RunningBot) -> None:
    denied = await smoke.slash("settings", member="pat_member")
    assert denied.original is not None and denied.original.content == "You need Manage Server."
    allowed = await smoke.slash("settings", permissions=p.EVERYDAY_PERMISSIONS | p.MANAGE_GUILD)
    assert allowed.original is not None and allowed.original.content == "Settings changed."
    moderator = await smoke.slash("settings", member="mo_moderator")
    assert moderator.original is not None and moderator.original.content == "Settings changed."


async def test_on_message_reply_pings_nobody(smoke: RunningBot) -> None:
    await smoke.say("hello bot", member="pat_member")
    (reply,) = await smoke.wait_for_channel_messages(1)
    assert reply.content.startswith("Hello <@")
    post = smoke.double.requests_to("POST", "/channels/{id}/messages")[0]
    assert post.json["allowed_mentions"]["parse"] == []
    assert not reply.pings_everyone and reply.pinged_user_ids == ()


async def test_followup_429_then_500_is_retried_and_delivered_once(smoke: RunningBot) -> None:
    double = smoke.double
    double.inject_fault("POST", "/webhooks/{app}/{token}", 500)
    double.inject_fault("POST", "/webhooks/{app}/{token}", 429, retry_after=0.05)
    interaction = await smoke.slash("brief", {"topic": "Gaza"}, timeout_s=8)
    statuses = [r.status for r in double.requests_to("POST", "/webhooks/{app}/{token}")]
    assert statuses == [500, 429, 200]
    assert len(interaction.visible_messages) == 1
    assert interaction.original is not None
    assert interaction.original.embeds[0]["title"] == "Briefing: Gaza"


async def test_dropped_gateway_resumes_and_replays_missed_command(smoke: RunningBot) -> None:
    double = smoke.double
    async with double.gateway_down():
        missed = await double.send_slash_command("secret")
    await smoke.wait_answered(missed)
    (resume,) = double.gateway_events_of("resume")
    assert resume.path == RESUME_GATEWAY_PATH and resume.detail["replayed"] >= 1
    assert len(double.gateway_events_of("identify")) == 1
    after = await smoke.slash("brief", {"topic": "Sudan"})
    assert after.original is not None and after.original.embeds[0]["title"] == "Briefing: Sudan"


async def test_abrupt_drop_also_resumes(smoke: RunningBot) -> None:
    double = smoke.double
    await double.drop_gateway(abrupt=True)
    await double.wait_until(lambda: double.gateway_events_of("resumed"), 5, "RESUMED")
    answered = await smoke.slash("secret")
    assert answered.original is not None and answered.original.ephemeral


async def test_heartbeats_are_acknowledged(discord_double: DiscordDouble) -> None:
    discord_double.heartbeat_interval_ms = 50
    running = await start_bot(discord_double, SmokeBot())
    try:
        await discord_double.wait_until(
            lambda: sum(1 for f in discord_double.gateway_received if f["op"] == 1) >= 3,
            3,
            "three heartbeats",
        )
        await asyncio.sleep(0.1)
        assert running.bot.latency < 1
    finally:
        await running.stop()
