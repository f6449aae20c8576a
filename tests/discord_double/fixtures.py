"""Pytest fixtures: start the Discord double, run a real discord.py bot against it, talk to it.

Use from a test module or conftest::

    from tests.discord_double.fixtures import bot_runner, discord_double  # noqa: F401

    async def test_x(discord_double, bot_runner):
        running = await bot_runner(MyBot())
        await running.sync_commands()
        interaction = await running.slash("brief", {"topic": "Iran"})
        assert interaction.original.embeds[0]["title"] == "..."
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
from discord.ext import commands

from commands.discord_endpoints import current_discord_endpoints, point_discord_at
from tests.discord_double import payloads as p
from tests.discord_double.server import (
    BOT_TOKEN,
    BotDiedError,
    DiscordDouble,
    InteractionRecord,
    Place,
    SentMessage,
)

FAST_GUILD_READY_TIMEOUT_S = 0.1
# An ERROR from these during a test is a bug unless the test expects it.
WATCHED_LOGGERS = ("discord", "bot", "commands", "storage")


class _ErrorCollector(logging.Handler):
    """Keeps ERROR records (exceptions swallowed in commands, events and error handlers)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class RunningBot:
    """A real discord.py bot connected to the double, and ways to act as its users."""

    bot: commands.Bot | commands.AutoShardedBot
    double: DiscordDouble
    task: asyncio.Task[None]
    errors: _ErrorCollector = field(default_factory=_ErrorCollector)
    expect_logged_errors: bool = False

    def check_alive(self) -> None:
        """Fail now if the bot task ended (its exception is the cause)."""
        if self.task.done():
            error = None if self.task.cancelled() else self.task.exception()
            raise BotDiedError(f"the bot task ended: {error!r}") from error

    @property
    def logged_errors(self) -> list[str]:
        """ERRORs logged by discord.py or our code (e.g. 'Ignoring exception in command ...')."""
        return [
            record.getMessage()
            + (f" ({record.exc_info[1]!r})" if record.exc_info and record.exc_info[1] else "")
            for record in self.errors.records
        ]

    async def sync_commands(self, *, guild: bool = True, global_: bool = True) -> None:
        """Sync the bot's command tree (guild-scoped copies for the double's guild, and global)."""
        if guild:
            await self.bot.tree.sync(guild=discord.Object(id=self.double.world.guild.id))
        if global_:
            await self.bot.tree.sync()

    async def slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        member: p.FakeMember | str | None = None,
        channel: p.FakeChannel | str | None = None,
        permissions: int | None = None,
        app_permissions: int | None = None,
        where: str = "guild",
        user_install: bool = False,
        wait: bool = True,
        timeout_s: float = 5.0,
    ) -> InteractionRecord:
        """A member runs a slash command; by default wait until they see an answer.

        ``where`` is "guild" (a guild channel), "bot_dm" or "private_channel"; ``user_install``
        runs it through the member's own install of the app (needed where no guild installed
        it: a DM with someone else, a guild without the bot)."""
        self.check_alive()
        record = await self.double.send_slash_command(
            name,
            options,
            member=self._member(member),
            channel=self._channel(channel),
            permissions=permissions,
            app_permissions=app_permissions,
            place=Place.named(where, user_install=user_install),
        )
        if wait:
            await self.wait_answered(record, timeout_s)
        return record

    async def dm_slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        focused: str | None = None,
        timeout_s: float = 5.0,
    ) -> InteractionRecord:
        """A user runs a slash command (or, with ``focused``, autocompletes it) in a DM."""
        self.check_alive()
        record = await self.double.send_dm_slash_command(
            name, options, interaction_type=4 if focused else 2, focused=focused
        )
        await self.wait_answered(record, timeout_s)
        return record

    async def autocomplete(
        self,
        name: str,
        options: dict[str, Any],
        focused: str,
        *,
        member: p.FakeMember | str | None = None,
        where: str = "guild",
        user_install: bool = False,
        timeout_s: float = 5.0,
    ) -> list[dict[str, Any]]:
        """The choices the bot offers while a member types into option ``focused``."""
        self.check_alive()
        record = await self.double.send_autocomplete(
            name,
            options,
            focused,
            member=self._member(member),
            place=Place.named(where, user_install=user_install),
        )
        await self.wait_answered(record, timeout_s)
        return record.autocomplete_choices

    async def message_command(
        self,
        name: str,
        target: SentMessage,
        *,
        member: p.FakeMember | str | None = None,
        permissions: int | None = None,
        user_install: bool = False,
        wait: bool = True,
        timeout_s: float = 5.0,
    ) -> InteractionRecord:
        """A member runs a message context-menu command on ``target``."""
        self.check_alive()
        record = await self.double.send_message_command(
            name,
            target,
            member=self._member(member),
            permissions=permissions,
            place=Place(user_install=user_install),
        )
        if wait:
            await self.wait_answered(record, timeout_s)
        return record

    async def click(
        self,
        message: SentMessage,
        custom_id: str,
        *,
        component_type: int = 2,
        values: list[str] | None = None,
        member: p.FakeMember | str | None = None,
        wait: bool = True,
        timeout_s: float = 5.0,
    ) -> InteractionRecord:
        """A member clicks a component on ``message``."""
        self.check_alive()
        record = await self.double.send_component_click(
            message,
            custom_id,
            component_type=component_type,
            values=values,
            member=self._member(member),
        )
        if wait:
            await self.wait_answered(record, timeout_s)
        return record

    async def say(
        self,
        content: str,
        *,
        member: p.FakeMember | str | None = None,
        channel: p.FakeChannel | str | None = None,
    ) -> SentMessage:
        """A member posts a message in a channel (MESSAGE_CREATE)."""
        self.check_alive()
        return await self.double.send_user_message(
            content, member=self._member(member), channel=self._channel(channel)
        )

    async def forward(
        self,
        forwarded: SentMessage | str,
        *,
        member: p.FakeMember | str | None = None,
        channel: p.FakeChannel | str | None = None,
    ) -> SentMessage:
        """A member forwards a message (or text from elsewhere) into a channel."""
        self.check_alive()
        return await self.double.send_forwarded_message(
            forwarded, member=self._member(member), channel=self._channel(channel)
        )

    async def wait_answered(self, record: InteractionRecord, timeout_s: float = 5.0) -> None:
        """Wait for the member to see an answer; on timeout, say what was logged at ERROR."""
        try:
            await self.double.wait_answered(record, timeout_s)
        except AssertionError as error:
            raise AssertionError(f"{error}; logged errors: {self.logged_errors}") from error

    async def wait_for_channel_messages(
        self, count: int, channel: p.FakeChannel | str | None = None, timeout_s: float = 5.0
    ) -> list[SentMessage]:
        """Wait until the bot has posted ``count`` messages in a channel (all channels if None)."""
        resolved = self._channel(channel)

        def enough() -> list[SentMessage] | None:
            found = self.double.channel_messages(resolved)
            return found if len(found) >= count else None

        return await self.double.wait_until(enough, timeout_s, f"{count} channel messages")

    def _member(self, member: p.FakeMember | str | None) -> p.FakeMember | None:
        return self.double.member(member) if isinstance(member, str) else member

    def _channel(self, channel: p.FakeChannel | str | None) -> p.FakeChannel | None:
        return self.double.channel(channel) if isinstance(channel, str) else channel

    async def stop(self) -> None:
        """Close the bot and re-raise anything its task died of."""
        if self.task in self.double.watched_tasks:
            self.double.watched_tasks.remove(self.task)
        try:
            if not self.task.done():
                await self.bot.close()
                await asyncio.wait_for(self.task, timeout=10)
            elif not self.bot.is_closed():
                await self.bot.close()
        finally:
            for name in WATCHED_LOGGERS:
                logging.getLogger(name).removeHandler(self.errors)
        self.task.result()


async def _no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
    """discord.py sleeps 5 s before every re-IDENTIFY; a test has no rate limit to respect."""


async def start_bot(
    double: DiscordDouble,
    bot: commands.Bot | commands.AutoShardedBot,
    *,
    token: str = BOT_TOKEN,
    timeout_s: float = 10.0,
    expect_logged_errors: bool = False,
) -> RunningBot:
    """Run ``bot.start(token)`` in a task and return once discord.py dispatched ``on_ready``."""
    if type(bot).before_identify_hook is discord.Client.before_identify_hook:
        bot.before_identify_hook = _no_identify_delay  # type: ignore[method-assign]
    # on_ready waits this long after the last GUILD_CREATE (2 s by default).
    state = bot._connection
    state.guild_ready_timeout = min(state.guild_ready_timeout, FAST_GUILD_READY_TIMEOUT_S)
    collector = _ErrorCollector()
    for name in WATCHED_LOGGERS:
        logging.getLogger(name).addHandler(collector)
    task = asyncio.create_task(bot.start(token), name="discord-double-bot")
    running = RunningBot(bot, double, task, collector, expect_logged_errors)
    double.watched_tasks.append(task)
    ready = asyncio.ensure_future(bot.wait_until_ready())
    try:
        await asyncio.wait({ready, task}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        running.check_alive()
        if not ready.done():
            raise AssertionError(f"the bot was not ready within {timeout_s}s")
    except BaseException:
        ready.cancel()
        with contextlib.suppress(BaseException):
            await running.stop()
        raise
    return running


@pytest.fixture
async def discord_double() -> AsyncIterator[DiscordDouble]:
    """A started double, with discord.py pointed at it (restored afterwards)."""
    double = DiscordDouble()
    await double.start()
    previous_base, previous_gateway = current_discord_endpoints()
    point_discord_at(double.api_base, double.gateway_url)
    try:
        yield double
    finally:
        point_discord_at(previous_base, str(previous_gateway))
        await double.close()
    assert not double.protocol_errors, f"protocol errors: {double.protocol_errors}"


@pytest.fixture
async def bot_runner(
    discord_double: DiscordDouble,
) -> AsyncIterator[Callable[..., Awaitable[RunningBot]]]:
    """``await bot_runner(bot)`` starts a bot against the double; it is stopped after the test."""
    started: list[RunningBot] = []

    async def run(bot: commands.Bot | commands.AutoShardedBot, **options: Any) -> RunningBot:
        running = await start_bot(discord_double, bot, **options)
        started.append(running)
        return running

    yield run
    for running in started:
        await running.stop()
        if not running.expect_logged_errors:
            assert not running.logged_errors, f"logged errors: {running.logged_errors}"
