"""Direct quotations and who said them, resolved to the full names the article gives.

Finding quoted text is easy; attributing it is the product. Quote marks are paired per
paragraph by position (an odd count or a misplaced curly mark never crashes). Certain rules
decide first: a dash signature ("...” — Jane Roe", or "- Jane Roe" alone on the line below a
quote paragraph) and a person named in the cue clause right beside the quote ("...,” Lopez
said", "...,” said Mr. Wang"). Every other quote gets candidate sources, each with features
saying how it is tied to the quote: the subject of every cue that governs the quote, sits beside
it or shares its sentence (resolved through the article's person table: "Mr. Wang" -> Wang Yi,
"the secretary of state" -> John F. Kerry by the title the article gave him, "it" -> the
organization just named, "he"/"she" -> each recent person of that gender with how recent, how
prominent and how placed they are), the people of the sentence, the two before and the
paragraph, the latest speakers, the previous quote's speaker and whoever said a phrase first
when it is quoted again; how near each person's name sits, who is mentioned most and who is
first named in the paragraph count too. The learned ranker (bot/nlp/speakers.py) picks one or
none. Organisations and groups speak too ("the Foreign Ministry said", "officials said") and say
so in `speaker_type`. A word or two in quote marks that no reporting cue governs is a scare
quote: flagged, never given a speaker.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

from bot.domain.analysis import Quote
from bot.nlp.attribution import (
    NOT_BEFORE_SPEAKER,
    PERSONAL_PRONOUNS,
    PRONOUN_WINDOW_SENTENCES,
    REPORTING_VERBS,
    SENTENCE_ENDS,
    SUBJECT_DEPS,
    Attribution,
    _attribute_cues,
    _capitalized_noun_name,
    _cue_text,
    _dash_signature,
    _floating_speaker,
    _governing_cue,
    _introduced_by_colon,
    _is_cue,
    _is_partial,
    _looks_like_a_name,
    _names_a_work,
    _nearby_cues,
    _nominal_words,
    _outside_parentheses,
    _paragraph_bounds,
    _Resolver,
    _subject_of,
    _unknown_name,
)
from bot.nlp.entities import person_words_of
from bot.nlp.people import HONORIFICS, EntityIndex
from bot.nlp.quote_marks import find_quote_spans
from bot.nlp.speakers import SpeakerCandidate, load_ranker

log = logging.getLogger(__name__)


# --- candidate sources for the learned ranker ----------------------------------------------

GROUP_MODIFIER_DEPS = frozenset({"amod", "compound", "nmod"})
ROLE_ORG_PREPOSITIONS = frozenset({"for", "of", "at", "with", "from"})


# A person named in the cue clause right beside the quote ('“...,” Lopez said', '“...,” said
# Mr. Wang'): right 98-99% of the time on PolNeAR train, so the rule decides, not the model.
CERTAIN_FEATURES = frozenset({"adjacent_name", "after_name", "adjacent_ended_name"})


# Routes where a reporting cue itself ties the quote to a speaker (not "broad": any verb).
CUE_ROUTES = frozenset(
    {"adjacent", "adjacent_ended", "after", "after_ended", "governing", "higher"}
)
SCARE_QUOTE_MAX_WORDS = 2


@dataclass(frozen=True)
class _Route:
    """A cue tied to a quote, and the token that may be its speaker."""

    name: str  # adjacent, after, governing, higher, nearby, nearby2, broad
    subject: Token
    cue: str


@dataclass(frozen=True)
class QuoteContext:
    """What a decider sees of a quote besides its candidates (the training script's hook)."""

    start: int
    end: int
    partial: bool


@dataclass(frozen=True)
class _Decision:
    """A quote already attributed: what later quotes' context features read."""

    start_token: int
    end_token: int
    sentence_end: int
    paragraph: int
    speaker: str | None


Decider = Callable[
    [QuoteContext, list[SpeakerCandidate], dict[str, float]], SpeakerCandidate | None
]


def _adjacent_route(doc: Doc, quote: Span, quoted: set[int], resolver: _Resolver) -> _Route | None:
    """'“...,” Tulsa police Chief Chuck Jordan said' / '“...,” said Mr. Wang', off the surface."""
    people = resolver.people
    ended = resolver.text[quote.end_char - 1 : quote.end_char] in {".", "?", "!"}
    index = quote.end
    while index < len(doc) and (
        doc[index].is_quote or doc[index].text in {",", ":"} or doc[index].is_space
    ):
        if "\n" in doc[index].text:
            return None
        index += 1
    window: list[Token] = []
    while (
        index < len(doc)
        and len(window) < 12
        and index not in quoted
        and "\n" not in doc[index].text
        and doc[index].text not in SENTENCE_ENDS
    ):
        window.append(doc[index])
        index += 1
    verb_at = next(
        (
            k
            for k, t in enumerate(window)
            if t.pos_ in {"VERB", "AUX"} and t.lemma_.lower() in REPORTING_VERBS
        ),
        None,
    )
    if verb_at is None:
        return None
    verb = window[verb_at]
    if ended and not _closes_attribution(verb, resolver.sentence_at(verb.i).end):
        return None  # the quote ended its sentence and a new sentence begins
    name = "adjacent_ended" if ended else "adjacent"
    for offset, token in enumerate(window[:verb_at]):
        if (
            offset > 5
            or (token.pos_ in NOT_BEFORE_SPEAKER and token.lower_ not in PERSONAL_PRONOUNS)
            # another clause sits between quote and cue ('“…” to support Trump, and suggested')
            or token.pos_ in {"VERB", "AUX", "PART"}
        ):
            break
        entity = people.entity_at(token.i)
        if (
            token.lower_ in PERSONAL_PRONOUNS
            or (entity is not None and entity[1] in {"PERSON", "ORG", "NORP"})
            or (token.pos_ == "PROPN" and people.resolve_name([token.text], token.i))
            or _unknown_name(token, people)
            or (token.dep_ in SUBJECT_DEPS and token.head.i == verb.i and token.pos_ == "NOUN")
        ):
            return _Route(name, token, _cue_text(verb))
    if verb_at == 0:
        for token in window[1:5]:
            entity = people.entity_at(token.i)
            if (entity is not None and entity[1] in {"PERSON", "ORG", "NORP"}) or (
                token.dep_ in SUBJECT_DEPS and token.head.i == verb.i
            ):
                return _Route("after" if not ended else "after_ended", token, _cue_text(verb))
    return None


def _closes_attribution(verb: Token, sentence_end: int) -> bool:
    """'“...?” asked the boy.' / '“...” Hannity said.': a short cue clause after a closed quote
    that reports it (no clause of its own follows the verb)."""
    if any(child.dep_ in {"ccomp", "xcomp", "dobj"} for child in verb.children):
        return False
    return sentence_end - verb.i <= 12


def _broad_route(quote: Span, quoted: set[int], resolver: _Resolver) -> _Route | None:
    """The subject of the verb that governs a quoted phrase ("Trump admires Putin as a “...”")."""
    for token in quote:
        head = token.head
        if quote.start <= head.i < quote.end or head.i == token.i:
            continue
        for _ in range(6):
            if (
                head.i not in quoted
                and head.pos_ in {"VERB", "AUX"}
                and not (head.dep_ == "ccomp" and _is_cue(head.head))
            ):
                subject = _subject_of(head, quoted)
                if subject is not None and subject.i not in quoted:
                    if _subject_candidates(resolver, subject):
                        return _Route("broad", subject, head.text)
                    if subject.pos_ == "PROPN" or subject.lower_ in PERSONAL_PRONOUNS:
                        return None
            if head.head.i == head.i:
                break
            head = head.head
        return None
    return None


def _quote_routes(
    doc: Doc,
    quote: Span,
    quoted: set[int],
    attributions: dict[int, Attribution],
    resolver: _Resolver,
    broad: bool,
) -> list[_Route]:
    """Every cue that may say the quote, strongest tie first."""
    routes: list[_Route] = []
    adjacent = _adjacent_route(doc, quote, quoted, resolver)
    if adjacent is not None:
        routes.append(adjacent)
    cue = _governing_cue(quote, quoted)
    if cue is not None:
        found = attributions.get(cue.i)
        if found is not None and found.subject is not None:
            routes.append(_Route("governing", doc[found.subject], found.cue))
        head = cue.head
        for _ in range(6):  # nested speech: the outer cue
            if head.i != cue.i:
                outer = [head] + [c for c in head.children if c.dep_ == "parataxis"]
                hit = next(
                    (attributions[t.i] for t in outer if t.i in attributions and t.i != cue.i),
                    None,
                )
                if hit is not None and hit.subject is not None:
                    routes.append(_Route("higher", doc[hit.subject], hit.cue))
                    break
            if head.head.i == head.i:
                break
            head = head.head
    nearby = [c for c in _nearby_cues(doc, quote, quoted) if c.i in attributions and c is not cue]
    for name, near in zip(("nearby", "nearby2"), nearby, strict=False):
        subject = attributions[near.i].subject
        if subject is not None:
            routes.append(_Route(name, doc[subject], attributions[near.i].cue))
    if broad:
        found_broad = _broad_route(quote, quoted, resolver)
        if found_broad is not None:
            routes.append(found_broad)
    return routes


def _role_organisation(head: Token, people: EntityIndex) -> str | None:
    """'a spokesman for the State Department', "the ministry's spokesman": the organisation."""
    for child in head.children:
        targets: list[Token] = []
        if child.dep_ == "poss":
            targets = [child]
        elif child.dep_ == "prep" and child.lower_ in ROLE_ORG_PREPOSITIONS:
            targets = [g for g in child.children if g.dep_ == "pobj"]
        for target in targets:
            entity = people.entity_at(target.i)
            if entity is not None and entity[1] in {"ORG", "GPE"}:
                return entity[0]
    return None


def _group_name(head: Token) -> str:
    """'U.S. officials', 'Senate Democrats', 'critics': a group as the text names it."""
    words = [
        _strip_possessive(t.text)
        for t in head.lefts
        if t.dep_ in GROUP_MODIFIER_DEPS and not t.is_punct and t.pos_ != "NUM"
    ]
    words.append(head.text)
    return " ".join(w for w in words if w)


def _strip_possessive(word: str) -> str:
    for mark in ("’s", "'s", "’", "'"):
        if word.endswith(mark):
            return word[: -len(mark)]
    return word


def _subject_candidates(
    resolver: _Resolver, subject: Token
) -> list[tuple[str, str, str, dict[str, float]]]:
    """(name, kind, how, features) for each source a cue's subject may denote."""
    people = resolver.people
    head = _outside_parentheses(subject)
    if head.pos_ == "NOUN":
        named = [
            child
            for child in head.children
            if child.dep_ in {"appos", "compound"}
            and (entity := people.entity_at(child.i)) is not None
            and (child.i > head.i or entity[1] == "ORG")
        ]
        if named:
            head = max(named, key=lambda child: child.i)
    entity = people.entity_at(head.i)
    if entity is not None:
        name, label = entity
        if label == "PERSON":
            return [(name, "person", "name", {})]
        if head.pos_ == "PROPN":
            person = people.resolve_name(person_words_of(head), head.i)
            if person is not None:
                return [(person, "person", "name", {})]
        if label in {"ORG", "GPE"}:
            return [(name, "organisation", "org", {})]
        if label == "NORP" and head.tag_ in {"NNS", "NNPS"}:
            return [(_group_name(head), "group", "group", {})]  # "Republicans said"
        return []
    lower = head.lower_
    sentence = resolver.sentence_of[head.i]
    if lower in PERSONAL_PRONOUNS:
        return [
            (name, "person", "pron", features)
            for name, features in resolver.discourse.antecedents(
                head.i, sentence, PERSONAL_PRONOUNS[lower]
            )
        ]
    if lower == "it":
        found = resolver.discourse.organization_antecedent(head.i, sentence)
        return [(found, "organisation", "it", {})] if found else []
    if head.pos_ == "PRON":
        return []
    if head.pos_ == "PROPN" and head.text[:1].isupper():
        words = [w for w in person_words_of(head) if w.lower() not in HONORIFICS]
        found = people.resolve_name(words, head.i)
        if found is not None:
            return [(found, "person", "name", {})]
        if (
            words
            and all(w[:1].isupper() for w in words)
            and head.tag_ == "NNP"
            and head.ent_type_ not in {"DATE", "TIME", "MONEY", "PERCENT", "ORDINAL"}
            and not head.lower_.endswith("ing")
        ):
            return [(" ".join(words), "person", "unknown", {})]  # a name the model missed
        return []
    if _capitalized_noun_name(head):
        return [(_strip_possessive(head.text), "person", "unknown", {})]  # "Hannity said"
    if head.pos_ in {"NOUN", "PROPN"} and head.tag_ in {"NN", "NNP"}:
        found = people.resolve_title(_nominal_words(head), head.i)
        if found is not None:
            return [(found, "person", "title", {})]
        organisation = _role_organisation(head, people)
        if organisation is not None:
            return [(organisation, "organisation", "role_org", {})]
        return []
    if head.pos_ == "NOUN" and head.tag_ == "NNS":
        organisation = _role_organisation(head, people)
        if organisation is not None:
            return [(organisation, "organisation", "role_org", {})]
        return [(_group_name(head), "group", "group", {})]
    return []


def _context_candidates(
    resolver: _Resolver, quote: Span, previous: _Decision | None
) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """People near the quote, the latest speakers and the previous quote's speaker (and the
    kind of those that are not people)."""
    found: dict[str, dict[str, float]] = {}
    kinds: dict[str, str] = {}

    def add(name: str, feature: str, value: float = 1.0) -> None:
        features = found.setdefault(name, {})
        features[feature] = max(features.get(feature, 0.0), value)

    first_sentence = resolver.sentence_of[quote.start]
    last_sentence = resolver.sentence_of[quote.end - 1]
    paragraph = resolver.paragraph_of_sentence[first_sentence]
    last_speaker_seen = False
    for event_token, event_sentence, name, kind in reversed(resolver.discourse.events):
        if event_sentence > last_sentence or kind == "org":
            continue
        if first_sentence - event_sentence > PRONOUN_WINDOW_SENTENCES + 2:
            break
        event_paragraph = resolver.paragraph_of_sentence[event_sentence]
        if kind == "speech" and event_token < quote.start and not last_speaker_seen:
            last_speaker_seen = True
            if event_paragraph == paragraph:
                add(name, "ctx_last_speaker_para")
            elif event_paragraph == paragraph - 1:
                add(name, "ctx_last_speaker_prevpara")
            else:
                add(name, "ctx_last_speaker_far")
        if event_sentence >= first_sentence:
            key = "s0"
        elif first_sentence - event_sentence <= 2:
            key = f"s{first_sentence - event_sentence}"
        elif event_paragraph == paragraph:
            key = "para"
        else:
            continue
        add(name, f"ctx_{key}")
        if kind in {"subject", "speech"}:
            add(name, f"ctx_{key}_subject")
        if event_token > quote.end and key == "s0":
            add(name, "ctx_s0_after")
    for feature, subject in _clause_subjects(resolver, quote):
        for name, kind, _, _ in _subject_candidates(resolver, subject):
            if kind == "person" or feature == "ctx_colon_subject":
                # 'The ministry described it this way: “...”': organisations lead in too
                add(name, feature)
                if kind != "person":
                    kinds[name] = kind
    if previous is not None and previous.speaker is not None:
        if previous.paragraph == paragraph:
            add(previous.speaker, "ctx_prev_quote_para")
            if previous.sentence_end >= first_sentence - 1:
                add(previous.speaker, "ctx_prev_quote_near")
        elif previous.paragraph == paragraph - 1:
            add(previous.speaker, "ctx_prev_quote_prevpara")
    return found, kinds


def _clause_subjects(resolver: _Resolver, quote: Span) -> list[tuple[str, Token]]:
    """The subject of the main clause around a quote, and of a lead-in ending in a colon
    ("Rubio fired back: “...”")."""
    doc = resolver.doc
    found: list[tuple[str, Token]] = []
    sentence = resolver.sentence_at(quote.start)
    quote_range = range(quote.start - 1, quote.end + 1)
    root = sentence.root
    if root.i not in quote_range:
        subject = next((c for c in root.children if c.dep_ in SUBJECT_DEPS), None)
        if subject is not None and subject.i not in quote_range:
            found.append(("ctx_clause_subject", subject))
    index = quote.start - 1
    while index >= 0 and (doc[index].is_quote or doc[index].is_space):
        index -= 1
    if index >= 0 and doc[index].text == ":":
        lead_in = resolver.sentence_at(index)
        lead_root = root if lead_in.start == sentence.start else lead_in.root
        subject = next((c for c in lead_root.children if c.dep_ in SUBJECT_DEPS), None)
        if subject is not None and subject.i < index:
            found.append(("ctx_colon_subject", subject))
    return found


def _is_scare_quote(quoted_text: str, partial: bool, routes: Sequence[_Route]) -> bool:
    """A word or two in quote marks inside the reporter's sentence, with no reporting cue
    governing it ("the so-called “reset”"): a term, not speech; it never gets a speaker."""
    if not partial or len(quoted_text.split()) > SCARE_QUOTE_MAX_WORDS:
        return False
    return not any(route.name in CUE_ROUTES for route in routes)


def _candidates(
    resolver: _Resolver,
    quote: Span,
    routes: Sequence[_Route],
    previous: _Decision | None,
    partial: bool,
    floating: str | None,
    echoed: Sequence[tuple[str, str]] = (),
) -> tuple[list[SpeakerCandidate], dict[str, float], dict[str, str]]:
    """The quote's candidate sources with their features, the null row, and each one's cue."""
    people = resolver.people
    by_name: dict[str, SpeakerCandidate] = {}
    cues: dict[str, str] = {}
    null: dict[str, float] = {"null": 1.0}
    if partial:
        null["null_partial"] = 1.0
    if not routes:
        null["null_no_route"] = 1.0
    if len(quote) <= 3:
        null["null_short"] = 1.0
    for route in routes:
        found = _subject_candidates(resolver, route.subject)
        if not found:
            null[f"null_vague_{route.name}"] = 1.0
        for name, kind, how, features in found:
            candidate = by_name.setdefault(name, SpeakerCandidate(name, kind))
            candidate.add(route.name)
            candidate.add(f"{route.name}_{how}")
            candidate.add("route")
            for feature, value in features.items():
                candidate.add(feature, value)
            cues.setdefault(name, route.cue)
        if route.subject.lower_ in PERSONAL_PRONOUNS:
            null["null_pronoun_route"] = 1.0
    speakers = {name for _, _, name, kind in resolver.discourse.events if kind == "speech"}
    context, context_kinds = _context_candidates(resolver, quote, previous)
    for name, features in context.items():
        kind = context_kinds.get(name, "person")
        if (
            name not in by_name
            and kind == "person"
            and people.person(name) is None
            and name not in speakers
        ):
            continue
        candidate = by_name.setdefault(name, SpeakerCandidate(name, kind))
        for feature, value in features.items():
            candidate.add(feature, value)
    if floating is not None:
        by_name.setdefault(floating, SpeakerCandidate(floating, "person")).add("ctx_floating")
    for name, kind in echoed:
        by_name.setdefault(name, SpeakerCandidate(name, kind)).add("echo")
    quote_tokens = range(quote.start, quote.end)
    spoken: dict[str, int] = {}
    for token, _, name, kind in resolver.discourse.events:
        if token >= quote.start:
            break
        if kind == "speech":
            spoken[name] = spoken.get(name, 0) + 1
    _add_placement(resolver, quote, by_name.values())
    for candidate in by_name.values():
        candidate.add(f"kind_{candidate.kind}")
        person = people.person(candidate.name)
        if candidate.kind == "person" and person is None:
            candidate.add("kind_unknown")
        if person is not None:
            candidate.add("mentions", math.log1p(len(person.mentions)))
            if any(start in quote_tokens for start, _ in person.mentions):
                candidate.add("in_quote")
        spoke = spoken.get(candidate.name, 0)
        if spoke:
            candidate.add("spoke", math.log1p(spoke))
        if "route" not in candidate.features:
            candidate.add("context_only")
        if partial:  # partial quotes tie to their speakers differently: own weights
            for feature, value in list(candidate.features.items()):
                if not feature.startswith(("ant_", "kind_")):
                    candidate.features[f"{feature}|partial"] = value
    return list(by_name.values()), null, cues


def _normalised(text: str) -> str:
    """Lower-cased words joined by single spaces, punctuation dropped: how echoes are compared."""
    return " ".join("".join(ch for ch in word if ch.isalnum()) for word in text.lower().split())


def _echoed_speakers(
    quoted_text: str, said: Sequence[tuple[str, str, str]]
) -> list[tuple[str, str]]:
    """Speakers of earlier quotes that contain this one's words or are contained in them: a
    phrase quoted again ("called it “extremely careless”") is the first speaker's."""
    words = _normalised(quoted_text)
    if not words:
        return []
    found: list[tuple[str, str]] = []
    for earlier, speaker, kind in reversed(said):
        if (f" {words} " in f" {earlier} " or f" {earlier} " in f" {words} ") and (
            speaker,
            kind,
        ) not in found:
            found.append((speaker, kind))
    return found[:2]


# Token distances from a quote to a candidate's nearest name mention, as buckets.
DISTANCE_BUCKETS = (5, 15, 40)


def _add_placement(
    resolver: _Resolver, quote: Span, candidates: Iterable[SpeakerCandidate]
) -> None:
    """How each person's name mentions sit against the quote, relative to the other candidates:
    how near the nearest mention is, whether it is the nearest person before the quote, the most
    mentioned candidate, or a person first named in this paragraph (sources are introduced
    where they are first quoted)."""
    people = resolver.people
    paragraph = resolver.paragraph_of_sentence[resolver.sentence_of[quote.start]]
    nearest_before: tuple[int, SpeakerCandidate] | None = None
    most: tuple[int, SpeakerCandidate] | None = None
    for candidate in candidates:
        person = people.person(candidate.name)
        if person is None or not person.mentions:
            continue
        outside = [
            (quote.start - end if end <= quote.start else start - quote.end, end <= quote.start)
            for start, end in person.mentions
            if end <= quote.start or start >= quote.end
        ]
        if outside:
            distance, before = min(outside)
            bucket = next(
                (k for k, limit in enumerate(DISTANCE_BUCKETS) if distance <= limit),
                len(DISTANCE_BUCKETS),
            )
            candidate.add(f"dist{bucket}_{'before' if before else 'after'}")
            before_distances = [d for d, b in outside if b]
            if before_distances and (
                nearest_before is None or min(before_distances) < nearest_before[0]
            ):
                nearest_before = (min(before_distances), candidate)
        if most is None or len(person.mentions) > most[0]:
            most = (len(person.mentions), candidate)
        first_sentence = resolver.sentence_of[min(start for start, _ in person.mentions)]
        if resolver.paragraph_of_sentence[first_sentence] == paragraph:
            candidate.add("first_named_in_paragraph")
    if nearest_before is not None:
        nearest_before[1].add("nearest_before")
    if most is not None:
        most[1].add("most_mentioned")


def extract_quotes(
    doc: Doc, people: EntityIndex, *, decide: Decider | None = None
) -> tuple[Quote, ...]:
    """Every direct quotation with its speaker resolved to the article's canonical names.

    Certain rules first (a dash signature); every other quote's candidate sources are ranked by
    the learned model. `decide` replaces the model (the training script uses it)."""
    text = doc.text
    spans = find_quote_spans(text)
    if not spans:
        return ()
    if decide is None:
        ranker = load_ranker()

        def decide(
            context: QuoteContext, candidates: list[SpeakerCandidate], null: dict[str, float]
        ) -> SpeakerCandidate | None:
            return ranker.choose(candidates, null)

    quoted: set[int] = set()
    token_spans: list[Span | None] = []
    for span in spans:
        token_spans.append(doc.char_span(span.start, span.end, alignment_mode="expand"))
        # the marks themselves too: they are never cues or speakers
        with_marks = doc.char_span(
            max(span.start - 1, 0), min(span.end + 1, len(text)), alignment_mode="expand"
        )
        if with_marks is not None:
            quoted.update(range(with_marks.start, with_marks.end))
    resolver = _Resolver(doc, people)
    attributions = _attribute_cues(doc, resolver, quoted)
    paragraphs = _paragraph_bounds(text)
    quotes: list[Quote] = []
    previous: _Decision | None = None
    said: list[tuple[str, str, str]] = []  # (normalised words, speaker, kind) of earlier quotes
    for span, token_span in zip(spans, token_spans, strict=True):
        if token_span is None or len(token_span) == 0:
            continue
        paragraph_start, paragraph_end = paragraphs[span.paragraph]
        partial = _is_partial(text, span, paragraph_start)
        quoted_text = text[span.start : span.end]
        if _names_a_work(quoted_text, token_span):
            continue  # 'said on “Face the Nation,”': a show's title, not speech
        speaker = _dash_signature(doc, text, span, paragraph_end, resolver)
        cue: str | None = "signed" if speaker else None
        kind: str | None = "person" if speaker else None
        if speaker is None:
            broad = partial or _introduced_by_colon(text, span, paragraph_start)
            routes = _quote_routes(doc, token_span, quoted, attributions, resolver, broad)
            if (
                partial
                and _looks_like_a_name(quoted_text)
                and not any(r.name != "broad" for r in routes)
            ):
                continue  # "Morning Joe", "Face the Nation": a title in quote marks, no speech
            if _is_scare_quote(quoted_text, partial, routes):
                quotes.append(
                    Quote(
                        text=quoted_text,
                        speaker=None,
                        start=span.start,
                        end=span.end,
                        partial=True,
                        scare_quote=True,
                    )
                )
                continue
            floating = None if partial else _floating_speaker(resolver, token_span)
            echoed = _echoed_speakers(quoted_text, said)
            candidates, null, cues = _candidates(
                resolver, token_span, routes, previous, partial, floating, echoed
            )
            certain = [c for c in candidates if CERTAIN_FEATURES & c.features.keys()]
            if certain:
                chosen: SpeakerCandidate | None = certain[0]
            else:
                chosen = decide(QuoteContext(span.start, span.end, partial), candidates, null)
            if chosen is not None:
                speaker, kind, cue = chosen.name, chosen.kind, cues.get(chosen.name)
        if speaker is not None and kind is not None:
            said.append((_normalised(quoted_text), speaker, kind))
        if speaker is not None and kind == "person":
            resolver.discourse.add(
                token_span.start, resolver.sentence_of[token_span.start], speaker, "speech"
            )
        person = people.person(speaker) if speaker else None
        sentence_end = resolver.sentence_of[token_span.end - 1]
        previous = _Decision(
            token_span.start,
            token_span.end,
            sentence_end,
            resolver.paragraph_of_sentence[sentence_end],
            speaker,
        )
        quotes.append(
            Quote(
                text=quoted_text,
                speaker=speaker,
                start=span.start,
                end=span.end,
                title=person.title if person else None,
                cue=cue,
                partial=partial,
                speaker_type=kind if speaker else None,
            )
        )
    return tuple(quotes)
