"""Finding quoted text in an article's raw text: quote marks paired per paragraph by position.

Pure string work, before any parse: an odd count of marks or a misplaced curly mark never
crashes, an unclosed quote runs to its paragraph's end. `bot/nlp/quotes.py` attributes what
this finds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

OPENING_MARKS = frozenset({"“", "«", "„"})
CLOSING_MARKS = frozenset({"”", "»"})
STRAIGHT_MARK = '"'
ALL_MARKS = OPENING_MARKS | CLOSING_MARKS | {STRAIGHT_MARK}


@dataclass(frozen=True)
class QuoteSpan:
    """A run of quoted text between paired marks; offsets exclude the marks."""

    start: int
    end: int
    closed: bool
    paragraph: int


def find_quote_spans(text: str) -> list[QuoteSpan]:
    """Pair quote marks paragraph by paragraph; an unclosed quote runs to the paragraph's end."""
    spans: list[QuoteSpan] = []
    start = 0
    for paragraph, line in enumerate(text.split("\n")):
        spans.extend(_pair_marks(text, start, start + len(line), paragraph))
        start += len(line) + 1
    return spans


def _mark_kind(text: str, pos: int, start: int, end: int) -> str:
    """'open', 'close' or 'either' for the mark at pos, judged by its neighbours."""
    mark = text[pos]
    before = text[pos - 1] if pos > start else " "
    after = text[pos + 1] if pos + 1 < end else " "
    opens_word = (before.isspace() or before in "([{—–-/:") and not after.isspace()
    closes_word = not before.isspace() and (after.isspace() or after in ".,;:!?)]}—–-'’")
    if mark in OPENING_MARKS:
        # 'percent.“' at a paragraph's end is a typo for a closing mark
        return "close" if closes_word and not opens_word else "open"
    if mark in CLOSING_MARKS:
        return "open" if opens_word and not closes_word else "close"
    if opens_word:
        return "open"
    if closes_word:
        return "close"
    return "either"


def _pair_marks(text: str, start: int, end: int, paragraph: int) -> Iterator[QuoteSpan]:
    """Quote spans of one paragraph."""
    open_at: int | None = None
    for pos in range(start, end):
        if text[pos] not in ALL_MARKS:
            continue
        kind = _mark_kind(text, pos, start, end)
        if open_at is None:
            if kind != "close":
                open_at = pos
            continue
        if kind == "open":
            # A second opening mark: the first was never closed. Keep the newer one.
            open_at = pos
            continue
        span = _trimmed(text, open_at + 1, pos, closed=True, paragraph=paragraph)
        if span is not None:
            yield span
        open_at = None
    if open_at is not None:
        span = _trimmed(text, open_at + 1, end, closed=False, paragraph=paragraph)
        if span is not None:
            yield span


def _trimmed(text: str, start: int, end: int, *, closed: bool, paragraph: int) -> QuoteSpan | None:
    """Strip whitespace from a quote span; None when nothing wordlike is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not any(ch.isalnum() for ch in text[start:end]):
        return None
    return QuoteSpan(start, end, closed, paragraph)
