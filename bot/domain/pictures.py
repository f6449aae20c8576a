"""Pictures attached to replies: a PNG with the words that say what it shows (its alt text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Discord shows an attachment's description as its alt text and accepts at most this much.
ALT_TEXT_LIMIT: Final = 1024
# Far under Discord's upload limit: a phone on a slow network still loads the picture quickly.
MAX_PICTURE_BYTES: Final = 300_000


@dataclass(frozen=True)
class Picture:
    """A rendered PNG, the file name it is sent as, and its alt text."""

    png: bytes
    filename: str
    description: str

    def __post_init__(self) -> None:
        if not self.png.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("a picture is a PNG")
        if len(self.description) > ALT_TEXT_LIMIT:
            raise ValueError(f"alt text over {ALT_TEXT_LIMIT} characters")
