"""The parse's sentences, listed once per document.

`Doc.sents` and `Token.sent` walk every token each time they are read; the summary, entities,
countries and quotes all need the sentences, so they share one list kept in the doc's user data.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

_KEY = "diplobrief_sentences"


def sentences(doc: Doc) -> list[Span]:
    """The document's sentences in order (computed on the first call, then reused)."""
    cached = doc.user_data.get(_KEY)
    if cached is None:
        spans = list(doc.sents)
        index = [0] * len(doc)
        for number, span in enumerate(spans):
            for token_index in range(span.start, span.end):
                index[token_index] = number
        cached = doc.user_data[_KEY] = (spans, index)
    found: list[Span] = cached[0]
    return found


def sentence_index(doc: Doc) -> list[int]:
    """For every token, the number of its sentence."""
    sentences(doc)
    found: list[int] = doc.user_data[_KEY][1]
    return found


def sentence_of(doc: Doc, token_index: int) -> Span:
    """The sentence holding a token."""
    return sentences(doc)[sentence_index(doc)[token_index]]
