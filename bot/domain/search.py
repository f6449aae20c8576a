"""What a search query means, whatever engine runs it: words all required, "phrases", prefix*."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_TERMS = 32
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchTerm:
    """One required term: a word, a quoted phrase (several words in a row), or a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


def parse_query(user_query: str) -> tuple[SearchTerm, ...]:
    """Free text as search terms; operators and punctuation lose their meaning.

    A word group ending in `*` is a prefix search and text inside double quotes one phrase;
    a group such as "U.S." is the phrase of its words. Empty when there is nothing to find.
    """
    terms: list[SearchTerm] = []
    for index, chunk in enumerate(user_query.split('"')):
        inside_quotes = index % 2 == 1
        groups = [chunk] if inside_quotes else chunk.split()
        for group in groups:
            words = _WORD.findall(group)
            if not words:
                continue
            prefix = not inside_quotes and group.rstrip().endswith("*")
            terms.append(SearchTerm(tuple(words), prefix))
    return tuple(terms[:MAX_QUERY_TERMS])
