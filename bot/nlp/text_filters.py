"""The text rules every summariser shares: what is prose, what is a dateline, stop words, stems.

Written once here and imported by extraction, single-article summaries and story summaries,
so the three never disagree about what a byline or a contact line looks like.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from sumy.nlp.stemmers import Stemmer
from sumy.utils import get_stop_words

MIN_PROSE_WORDS = 6
MAX_PROSE_WORDS = 60

# A wire dateline before the first sentence: "WASHINGTON (AP) -- ", "SEOUL, South Korea — ".
DATELINE = re.compile(r"^\s*[A-Z][A-Z .,'/-]{1,40}(\([\w .]+\))?\s*(--|—|–|-|_)\s+")
# A sentence ends with . ! ? or … (closing quotes and brackets after it are part of the end).
SENTENCE_END = re.compile(r"""[.!?…]["'”’)\]]*$""")
# A clause or sentence ends: a line ending like this is not a heading.
CLAUSE_END = re.compile(r"""[.!?…:;]["'”’)\]]*$""")
CONTACT = re.compile(r"\S+@\S+\.\w+|https?://|www\.")
BULLET = re.compile(r"^[•⦁·\-*▪►]")
# Lines that carry no news: contact lines, comment policies, wire credits, share prompts.
BOILERPLATE = re.compile(
    r"can be reached at|comment policy|based in part on wire(?: service)? reports"
    r"|all rights reserved|^\W*copyright\b|©\s*\d{4}|sign up for (?:our|the) newsletter"
    r"|^\W*(?:follow|like) us on|^\W*follow\s+@|^\W*share this (?:article|story)"
    r"|^\W*click here to|^\W*read more\b|^\W*advertisement\W*$"
    r"|contributed (?:reporting )?to this (?:report|story)"
    r"|^\W*(?:(?:additional|further|contributing) )?(?:reporting|writing|editing) by\b"
    r"|^\W*(?:compiled|produced) by\b|\bcontributed reporting\W*$|^\W*editor'?s note"
    r"|^\W*this (?:article|story) (?:was|has been) updated",
    re.IGNORECASE,
)


def without_dateline(sentence: str) -> str:
    """A sentence without its wire dateline ("WASHINGTON (AP) -- ")."""
    match = DATELINE.match(sentence)
    if match and len(sentence) - match.end() > 20:
        return sentence[match.end() :]
    return sentence


def is_boilerplate(line: str) -> bool:
    """Whether a line frames an article (credits, contact, share prompts) rather than tells it."""
    return bool(BOILERPLATE.search(line))


def is_prose(sentence: str) -> bool:
    """A full sentence a summary can use: not a heading, fragment, byline or contact line."""
    words = len(sentence.split())
    return (
        MIN_PROSE_WORDS <= words <= MAX_PROSE_WORDS
        and bool(SENTENCE_END.search(sentence))
        and not CONTACT.search(sentence)
        and not is_boilerplate(sentence)
        and not BULLET.match(sentence)
    )


@functools.cache
def stop_words() -> frozenset[str]:
    """English stop words (sumy's list: the one its summarisers use too)."""
    return frozenset(get_stop_words("english"))


@functools.cache
def stemmer() -> Callable[[str], str]:
    """The English Snowball stemmer, memoised (the same words recur across a window)."""
    return functools.lru_cache(maxsize=200_000)(Stemmer("english"))
