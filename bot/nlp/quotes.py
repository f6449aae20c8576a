"""Direct quotations and who said them, resolved to the full names the article gives.

Finding quoted text is easy; attributing it is the product. Quote marks are paired per
paragraph (never crashing on an odd count). Each quote is attributed by, in order: a reporting
verb that governs it in the parse (its subject, or "X, who told ..."), a reporting verb in the
same or an adjacent sentence, or — for a cue-less quote — the speaker of the previous
attribution in the same paragraph or the paragraph before. Speakers are resolved through the
article's person table: "Mr. Wang" -> Wang Yi, "he" -> the latest speaker or subject,
"the secretary of state" -> John F. Kerry by the title the article gave him. A wrong speaker is
worse than none: anything unresolved stays None.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from bot.nlp.entities import HONORIFICS, EntityIndex, Person, person_words_of
from bot.nlp.models import Quote

log = logging.getLogger(__name__)

OPENING_MARKS = frozenset({"“", "«", "„"})
CLOSING_MARKS = frozenset({"”", "»"})
STRAIGHT_MARK = '"'
ALL_MARKS = OPENING_MARKS | CLOSING_MARKS | {STRAIGHT_MARK}

REPORTING_VERBS = frozenset(
    """
    say tell add argue lament warn insist urge vow deny reject state claim note explain write
    declare announce ask answer reply respond acknowledge admit concede contend assert maintain
    stress emphasize emphasise suggest predict promise pledge recall remark observe complain
    charge accuse criticize criticise blast slam tweet post testify conclude continue joke quip
    muse boast brag scoff shout yell proclaim mock caution concur agree disagree confirm report
    reveal disclose describe call dub label term wonder recount reiterate counter retort fume
    demand plead implore exclaim whisper protest object point tout praise hail thank mutter
    grumble cry lash rail tell write reason allege estimate recommend believe think fear hope
    worry figure feel acknowledge summarize summarise elaborate specify interject chime offer
    advise threaten assure reassure inform notify remind vow swear sigh laugh smile
    """.split()
)
# Verbs that only report speech with a particle or in a fixed frame.
PARTICLE_CUES = {"call": {"on", "for"}, "point": {"out"}, "lash": {"out"}, "chime": {"in"}}
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj"})
RELATIVE_PRONOUNS = frozenset({"who", "that", "which", "whom"})
PERSONAL_PRONOUNS = {"he": "m", "she": "f", "him": "m", "her": "f"}
# Speaker events further back than this many sentences do not resolve a pronoun.
PRONOUN_WINDOW_SENTENCES = 6


@dataclass(frozen=True)
class QuoteSpan:
    """A run of quoted text between paired marks; offsets exclude the marks."""

    start: int
    end: int
    closed: bool
    paragraph: int


@dataclass(frozen=True)
class Attribution:
    """Who a reporting verb's subject resolves to (speaker None when it does not resolve)."""

    speaker: str | None
    cue: str
    cue_index: int
    is_person: bool


def find_quote_spans(text: str) -> list[QuoteSpan]:
    """Pair quote marks paragraph by paragraph; an unclosed quote runs to the paragraph's end."""
    spans: list[QuoteSpan] = []
    paragraph_start = 0
    for paragraph_index, line in enumerate(text.split("\n")):
        spans.extend(
            _pair_marks(text, paragraph_start, paragraph_start + len(line), paragraph_index)
        )
        paragraph_start += len(line) + 1
    return spans


def _mark_kind(text: str, pos: int, start: int, end: int) -> str:
    """'open', 'close' or 'either' for the mark at pos, judged by its neighbours."""
    mark = text[pos]
    if mark in OPENING_MARKS:
        return "open"
    if mark in CLOSING_MARKS:
        return "close"
    before = text[pos - 1] if pos > start else " "
    after = text[pos + 1] if pos + 1 < end else " "
    if before.isspace() or before in "([{—–-/:":
        return "open"
    if after.isspace() or after in ".,;:!?)]}—–-'’":
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


@dataclass
class _Discourse:
    """Who spoke or acted last: what pronouns and cue-less quotes resolve to."""

    events: list[tuple[int, int, str, str]]  # (token index, sentence index, name, kind)

    def add(self, token_index: int, sentence_index: int, name: str, kind: str) -> None:
        """Record a person as speaker ('speech') or grammatical subject ('subject')."""
        self.events.append((token_index, sentence_index, name, kind))
        self.events.sort(key=lambda event: event[0])

    def pronoun_antecedent(
        self, token_index: int, sentence_index: int, gender: str | None, people: EntityIndex
    ) -> str | None:
        """The latest person who spoke or was a subject before the pronoun, within a window."""
        for event_token, event_sentence, name, _kind in reversed(self.events):
            if event_token >= token_index:
                continue
            if sentence_index - event_sentence > PRONOUN_WINDOW_SENTENCES:
                return None
            person = people.person(name)
            if gender and person is not None and person.gender and person.gender != gender:
                continue
            return name
        return None

    def last_speaker(self, token_index: int, min_sentence: int) -> str | None:
        """The latest speaker before a position, if it spoke at or after min_sentence."""
        for event_token, event_sentence, name, kind in reversed(self.events):
            if event_token >= token_index or kind != "speech":
                continue
            return name if event_sentence >= min_sentence else None
        return None


def _is_reporting_verb(token: Token) -> bool:
    """A verb that reports speech (with its particle when it needs one: 'called on')."""
    if token.pos_ not in {"VERB", "AUX"} and token.lower_ != "according":
        return False
    lemma = token.lemma_.lower()
    if lemma in PARTICLE_CUES:
        return any(
            child.lower_ in PARTICLE_CUES[lemma] for child in token.children if child.i > token.i
        ) or (lemma == "call" and any(child.dep_ in {"oprd", "ccomp"} for child in token.children))
    return lemma in REPORTING_VERBS


def _cue_text(token: Token) -> str:
    """The cue as written: 'said', 'called on', 'according to'."""
    if token.lower_ == "according":
        return "according to"
    lemma = token.lemma_.lower()
    for child in token.children:
        if (
            child.i == token.i + 1
            and lemma in PARTICLE_CUES
            and child.lower_ in PARTICLE_CUES[lemma]
        ):
            return f"{token.text} {child.text}"
    return token.text


def _subject_of(verb: Token) -> Token | None:
    """The speaking subject of a reporting verb, following conj/xcomp/relative clauses."""
    if verb.lower_ == "according":
        for child in verb.children:
            if child.lower_ == "to":
                for grandchild in child.children:
                    if grandchild.dep_ == "pobj":
                        return grandchild
        return None
    current: Token = verb
    for _ in range(4):
        subject = next((c for c in current.children if c.dep_ in SUBJECT_DEPS), None)
        if subject is not None and subject.dep_ != "csubj":
            if subject.lower_ in RELATIVE_PRONOUNS and current.dep_ == "relcl":
                return current.head
            return subject
        if current.dep_ == "relcl" and current.head.pos_ in {"PROPN", "NOUN"}:
            return current.head
        if current.dep_ in {"conj", "xcomp", "advcl"} and current.head.pos_ in {"VERB", "AUX"}:
            current = current.head
            continue
        return None
    return None


def _nominal_words(token: Token) -> list[str]:
    """Words of a common-noun subject: modifiers, head and 'of' phrase ('secretary of state')."""
    words = [
        t.text for t in token.lefts if t.dep_ in {"amod", "compound", "nmod"} and not t.is_punct
    ]
    words.append(token.text)
    for child in token.rights:
        if child.dep_ == "prep" and child.lower_ == "of":
            for grandchild in child.children:
                if grandchild.dep_ == "pobj":
                    words.extend(["of", grandchild.text])
    return words


class _Resolver:
    """Resolves reporting-verb subjects to canonical names, keeping discourse state."""

    def __init__(self, doc: Doc, people: EntityIndex) -> None:
        self.doc = doc
        self.people = people
        self.discourse = _Discourse(events=[])
        self.sentence_of: list[int] = [0] * len(doc)
        for sentence_index, sentence in enumerate(doc.sents):
            for token in sentence:
                self.sentence_of[token.i] = sentence_index

    def resolve(self, subject: Token) -> tuple[str | None, bool]:
        """(speaker name, is a person) for a subject token; (None, False) when vague."""
        head = subject
        # "a spokesman, John Doe," / "spokeswoman Jane Roe": the name beside the role noun
        if head.pos_ == "NOUN":
            for child in head.children:
                if child.dep_ in {"appos", "compound"} and self.people.entity_at(child.i):
                    head = child
                    break
        name: str | None
        entity = self.people.entity_at(head.i)
        if entity is not None:
            name, label = entity
            if label == "PERSON":
                return name, True
            if label in {"ORG", "GPE"}:
                return name, False
            return None, False
        lower = head.lower_
        if lower in PERSONAL_PRONOUNS:
            name = self.discourse.pronoun_antecedent(
                head.i, self.sentence_of[head.i], PERSONAL_PRONOUNS[lower], self.people
            )
            return name, name is not None
        if head.pos_ == "PRON":
            return None, False
        if head.pos_ == "PROPN" and head.text[:1].isupper():
            words = [w for w in person_words_of(head) if w.lower() not in HONORIFICS]
            name = self.people.resolve_name(words, head.i)
            if name is not None:
                return name, True
            # The model missed an organization or a person: keep it when it is a proper name.
            if words and all(w[:1].isupper() for w in words) and head.tag_ != "NNPS":
                return " ".join(words), False
            return None, False
        if head.pos_ in {"NOUN", "PROPN"} and head.tag_ in {"NN", "NNP"}:
            name = self.people.resolve_title(_nominal_words(head), head.i)
            return name, name is not None
        return None, False


def _governing_cue(quote: Span, quoted: set[int]) -> Token | None:
    """The reporting verb outside any quote that governs the quote in the parse."""
    seen: set[int] = set()
    for token in quote:
        head = token.head
        if head.i in range(quote.start, quote.end) or head.i == token.i:
            continue
        steps = 0
        while steps < 6 and head.i not in seen:
            seen.add(head.i)
            if head.i not in quoted and _is_reporting_verb(head):
                return head
            if head.head.i == head.i:
                break
            head = head.head
            steps += 1
    return None


def _nearby_cues(doc: Doc, quote: Span, quoted: set[int]) -> list[Token]:
    """Reporting verbs outside quotes in the sentences the quote touches, nearest first."""
    first = doc[quote.start].sent
    last = doc[quote.end - 1].sent
    start, end = first.start, last.end
    # "“...” he said." can fall into its own sentence right after the quote.
    if end < len(doc) and quote.end >= end - 2:
        following = doc[end].sent
        if "\n" not in doc[end - 1].whitespace_ and "\n" not in doc[end - 1].text:
            end = following.end
    candidates = [
        doc[i]
        for i in range(start, end)
        if i not in quoted and _is_reporting_verb(doc[i]) and "\n" not in doc[i].text
    ]

    def distance(token: Token) -> int:
        return min(abs(token.i - quote.start), abs(token.i - (quote.end - 1)))

    return sorted(candidates, key=distance)


def _is_partial(text: str, span: QuoteSpan, paragraph_start: int) -> bool:
    """A quote embedded in the reporter's sentence rather than a whole quoted sentence."""
    first = text[span.start]
    if not (first.isupper() or first.isdigit() or first in "‘'…."):
        return True
    before = text[paragraph_start : span.start - 1].rstrip()
    return not (before == "" or before[-1] in ":,.!?;—–-")


def extract_quotes(doc: Doc, people: EntityIndex) -> tuple[Quote, ...]:
    """Every direct quotation with its speaker resolved to the article's canonical names."""
    text = doc.text
    spans = find_quote_spans(text)
    if not spans:
        return ()
    quote_token_spans: list[Span | None] = [
        doc.char_span(s.start, s.end, alignment_mode="expand") for s in spans
    ]
    quoted: set[int] = set()
    for span in spans:
        # include the marks themselves: they are never cues or speakers
        mark_span = doc.char_span(max(span.start - 1, 0), min(span.end + 1, len(text)), "expand")
        if mark_span is not None:
            quoted.update(range(mark_span.start, mark_span.end))
    resolver = _Resolver(doc, people)
    attributions = _attribute_reporting_verbs(doc, resolver, quoted)
    paragraph_starts = _paragraph_starts(text)
    quotes: list[Quote] = []
    previous_paragraph_ended_open = False
    previous_quote_paragraph = -1
    for span, token_span in zip(spans, quote_token_spans, strict=True):
        if token_span is None or len(token_span) == 0:
            continue
        attribution = _attribute_quote(doc, token_span, quoted, attributions)
        speaker: str | None
        if attribution is not None:
            speaker, cue = attribution.speaker, attribution.cue
        else:
            cue = None
            speaker = _floating_speaker(
                resolver,
                token_span,
                span,
                continues=previous_paragraph_ended_open
                and previous_quote_paragraph + 1 == span.paragraph,
            )
        if speaker is not None:
            resolver.discourse.add(
                token_span.start, resolver.sentence_of[token_span.start], speaker, "speech"
            )
        person = people.person(speaker) if speaker else None
        quotes.append(
            Quote(
                text=text[span.start : span.end],
                speaker=speaker,
                start=span.start,
                end=span.end,
                title=person.title if person else None,
                cue=cue,
                partial=_is_partial(text, span, paragraph_starts[span.paragraph]),
            )
        )
        previous_paragraph_ended_open = not span.closed
        previous_quote_paragraph = span.paragraph
    return tuple(quotes)


def _paragraph_starts(text: str) -> list[int]:
    """Character offset where each line starts."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _attribute_reporting_verbs(
    doc: Doc, resolver: _Resolver, quoted: set[int]
) -> dict[int, Attribution]:
    """Resolve the subject of every reporting verb outside quotes, in reading order."""
    attributions: dict[int, Attribution] = {}
    for sentence_index, sentence in enumerate(doc.sents):
        for token in sentence:
            if token.i in quoted:
                continue
            if token.dep_ in SUBJECT_DEPS and token.head.i not in quoted:
                entity = resolver.people.entity_at(token.i)
                if (
                    entity is not None
                    and entity[1] == "PERSON"
                    and not _is_reporting_verb(token.head)
                ):
                    resolver.discourse.add(token.i, sentence_index, entity[0], "subject")
                elif token.lower_ in PERSONAL_PRONOUNS and not _is_reporting_verb(token.head):
                    name, _ = resolver.resolve(token)
                    if name is not None:
                        resolver.discourse.add(token.i, sentence_index, name, "subject")
            if not _is_reporting_verb(token):
                continue
            subject = _subject_of(token)
            if subject is None:
                continue
            speaker, is_person = resolver.resolve(subject)
            attributions[token.i] = Attribution(speaker, _cue_text(token), token.i, is_person)
            if speaker is not None and is_person:
                resolver.discourse.add(token.i, sentence_index, speaker, "speech")
    return attributions


def _attribute_quote(
    doc: Doc, quote: Span, quoted: set[int], attributions: dict[int, Attribution]
) -> Attribution | None:
    """The attribution of a quote: governing cue first, then the nearest cue with a subject."""
    cue = _governing_cue(quote, quoted)
    if cue is not None and cue.i in attributions:
        attribution = attributions[cue.i]
        if attribution.speaker is not None:
            return attribution
        higher = _higher_named_cue(cue, quoted, attributions)
        return higher or attribution
    for candidate in _nearby_cues(doc, quote, quoted):
        if candidate.i in attributions:
            return attributions[candidate.i]
    return None


def _higher_named_cue(
    cue: Token, quoted: set[int], attributions: dict[int, Attribution]
) -> Attribution | None:
    """For nested speech ("Wang told reporters that officials say ..."), the named outer speaker."""
    head = cue.head
    for _ in range(6):
        if head.i == head.head.i and head.i == cue.i:
            break
        found = attributions.get(head.i)
        if found is not None and found.speaker is not None and found.is_person:
            return found
        if head.head.i == head.i:
            break
        head = head.head
    return None


def _floating_speaker(
    resolver: _Resolver, quote: Span, span: QuoteSpan, *, continues: bool
) -> str | None:
    """A cue-less quote continues the latest speaker of its paragraph or the one just before."""
    sentence_index = resolver.sentence_of[quote.start]
    doc = resolver.doc
    first_sentence = doc[quote.start].sent
    paragraph_first_sentence = sentence_index
    # walk back to the first sentence of the paragraph
    sentence_starts: Sequence[int] = [s.start for s in doc.sents]
    start_index = first_sentence.start
    while paragraph_first_sentence > 0:
        previous_start = sentence_starts[paragraph_first_sentence - 1]
        gap_token = doc[start_index - 1]
        if "\n" in gap_token.text or "\n" in gap_token.whitespace_:
            break
        paragraph_first_sentence -= 1
        start_index = previous_start
    # the paragraph before counts too: news continues a speaker across paragraphs
    min_sentence = paragraph_first_sentence - (
        1 if continues or _starts_paragraph(doc, quote) else 0
    )
    return resolver.discourse.last_speaker(quote.start, max(min_sentence, 0))


def _starts_paragraph(doc: Doc, quote: Span) -> bool:
    """True when the quote opens its paragraph (a quoted paragraph after an attributed one)."""
    index = quote.start - 1
    while index >= 0 and (
        doc[index].is_quote or (doc[index].is_space and "\n" not in doc[index].text)
    ):
        index -= 1
    return index < 0 or "\n" in doc[index].text or "\n" in doc[index].whitespace_


__all__ = ["Attribution", "Person", "QuoteSpan", "extract_quotes", "find_quote_spans"]
