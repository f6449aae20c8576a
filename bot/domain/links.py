"""Finding article links in a chat message."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.domain.limits import LINKS_PER_MESSAGE

MAX_LINKS_PER_MESSAGE = LINKS_PER_MESSAGE

_URL = re.compile(r"<?(https?://[^\s<>]+)>?", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"”’"
# Links that are never articles: chat, media and app-store hosts.
_NOT_ARTICLES = (
    "discord.com",
    "discord.gg",
    "discordapp.com",
    "cdn.discordapp.com",
    "media.discordapp.net",
    "tenor.com",
    "giphy.com",
)
_MEDIA_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4", ".mov", ".mp3", ".pdf")


def find_links(text: str, limit: int = MAX_LINKS_PER_MESSAGE) -> list[str]:
    """Distinct http(s) links in order of appearance, at most `limit`, media and chat skipped."""
    found: list[str] = []
    for match in _URL.finditer(text):
        url = match.group(1)
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break  # a balanced parenthesis belongs to the URL (Wikipedia-style links)
            url = url[:-1]
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host or any(host == h or host.endswith("." + h) for h in _NOT_ARTICLES):
            continue
        if parts.path.lower().endswith(_MEDIA_SUFFIXES):
            continue
        if url not in found:
            found.append(url)
        if len(found) >= limit:
            break
    return found
