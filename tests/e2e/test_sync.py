"""Commands are never synced at start-up: `diplobrief sync` and the owner's mention do it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.analysis import ThreadAnalyzer
from bot.app import App
from bot.config import Settings
from commands.client import DiplobriefBot, run_bot, sync_commands
from commands.discord_endpoints import current_discord_endpoints, point_discord_at
from tests.discord_double import payloads as p
from tests.discord_double.fixtures import RunningBot
from tests.discord_double.server import BOT_TOKEN, DiscordDouble


def settings_for(double: DiscordDouble, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "DISCORD_TOKEN": BOT_TOKEN,
            "DIPLOBRIEF_DATABASE": str(tmp_path / "sync.db"),
            "DISCORD_API_BASE": double.api_base,
            "DISCORD_GATEWAY_URL": double.gateway_url,
        }
    )


async def test_cli_sync_to_one_guild_and_globally(
    discord_double: DiscordDouble, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_for(discord_double, tmp_path)
    guild_id = discord_double.world.guild.id
    assert await sync_commands(settings, guild_id=guild_id) == 0
    names = {c["name"] for c in discord_double.guild_commands[guild_id]}
    assert {"summarize", "brief", "autosummary", "Summarize article"} <= names
    assert discord_double.global_commands == []
    assert await sync_commands(settings) == 0
    assert {c["name"] for c in discord_double.global_commands} == names
    assert "Synced" in capsys.readouterr().out


async def test_start_up_syncs_nothing_and_only_the_owner_can_sync(
    apps: Callable[..., Awaitable[App]],
    discord_double: DiscordDouble,
    bot_runner: Callable[..., Awaitable[RunningBot]],
    tmp_path: Path,
) -> None:
    settings = settings_for(discord_double, tmp_path)
    app = await apps(settings, analyzer=ThreadAnalyzer(None))
    running = await bot_runner(DiplobriefBot(app))
    assert not discord_double.requests_to("PUT", "/applications/{app}/commands")
    mention = f"<@{discord_double.world.bot_user.id}>"
    await running.say(f"{mention} sync", member="pat_member")
    await running.say(f"{mention} sync", member="olivia_owner")
    [reply] = await running.wait_for_channel_messages(1, timeout_s=10)
    assert reply.content.startswith("Synced ")
    assert discord_double.global_commands


async def test_without_message_content_intent_the_bot_still_serves_commands(
    tmp_path: Path,
) -> None:
    """Discord refuses the privileged intent: the bot reconnects without it and keeps working."""
    double = DiscordDouble(message_content_granted=False)
    await double.start()
    previous = current_discord_endpoints()
    bots: list[DiplobriefBot] = []
    settings = settings_for(double, tmp_path)
    try:
        runner = asyncio.create_task(run_bot(settings, on_start=bots.append))
        session = await double.wait_until(lambda: double.current_session, 15, "a gateway session")
        assert not session.intents & p.INTENT_MESSAGE_CONTENT
        assert len(bots) == 2 and not bots[1].intents.message_content
        await bots[1].wait_until_ready()
        await bots[1].tree.sync()
        record = await double.send_slash_command("help")
        await double.wait_answered(record, 10)
        assert record.visible_messages[0].ephemeral
        await bots[1].close()
        assert await asyncio.wait_for(runner, 10) == 0
    finally:
        for bot in bots:
            await bot.close()
        point_discord_at(previous[0], str(previous[1]))
        await double.close()
