"""Small wording rules shared by every renderer: plurals and titles for untitled texts."""

from __future__ import annotations

TITLE_FROM_TEXT_CHARS = 90


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 report", "2 reports", "1 story", "3 stories": the count with its noun."""
    if count == 1:
        return f"{count} {singular}"
    if plural_form is None:
        if singular.endswith("y") and singular[-2:-1] not in tuple("aeiou"):
            plural_form = singular[:-1] + "ies"
        else:
            plural_form = singular + "s"
    return f"{count} {plural_form}"


def display_title(title: str | None, text: str) -> str:
    """The article's title, or its opening words when it has none."""
    if title:
        return title
    first = text.strip().split("\n", 1)[0]
    if len(first) <= TITLE_FROM_TEXT_CHARS:
        return first
    return first[: TITLE_FROM_TEXT_CHARS - 1].rsplit(" ", 1)[0] + "…"


def flag(code: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 code ("" for anything else)."""
    if len(code) != 2 or not code.isalpha() or not code.isascii():
        return ""
    return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in code.upper())
