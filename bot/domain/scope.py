"""Whose library a row belongs to: always one integer, so every query is `guild_id = ?`.

- A server's library: its guild id (Discord snowflakes are positive).
- The command line and the offline console: CONSOLE_SCOPE (0), which no snowflake can be.
- A user's own library (the app installed by a user, used outside a server): the negated user
  id, so it can never collide with a server's and needs no second column.
"""

from __future__ import annotations

from typing import Final

CONSOLE_SCOPE: Final = 0


def guild_scope(guild_id: int) -> int:
    """The scope of a server's library."""
    if guild_id <= 0:
        raise ValueError(f"not a guild id: {guild_id}")
    return guild_id


def user_scope(user_id: int) -> int:
    """The scope of one user's own library (outside any server)."""
    if user_id <= 0:
        raise ValueError(f"not a user id: {user_id}")
    return -user_id


def is_user_scope(scope: int) -> bool:
    """Whether a scope is a user's own library."""
    return scope < 0
