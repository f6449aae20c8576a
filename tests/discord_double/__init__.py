"""A Discord double for end-to-end tests: the real discord.py client against a loopback server."""

from tests.discord_double.server import (
    BOT_TOKEN,
    BotDiedError,
    DiscordDouble,
    DoubleError,
    InteractionRecord,
    RecordedRequest,
    SentMessage,
)

__all__ = [
    "BOT_TOKEN",
    "BotDiedError",
    "DiscordDouble",
    "DoubleError",
    "InteractionRecord",
    "RecordedRequest",
    "SentMessage",
]
