"""End-to-end tests share the Discord double fixtures."""

from tests.discord_double.fixtures import bot_runner, discord_double

__all__ = ["bot_runner", "discord_double"]
