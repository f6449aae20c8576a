"""Who a quote's cue names: reporting cues, their subjects, and names and pronouns resolved.

The rules `bot/nlp/quotes.py` builds on: the discourse (who was last named, of which gender),
the resolver from a token to a canonical person, organisation or group, and the surface
checks that tell a quote from a title or a name.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from bot.nlp.entities import person_words_of
from bot.nlp.people import HONORIFICS, ROLE_NOUNS, EntityIndex
from bot.nlp.quote_marks import ALL_MARKS, QuoteSpan
from bot.nlp.sentences import sentence_of, sentences

DASHES = "―—–-"

REPORTING_VERBS = frozenset(
    """
    say tell add argue lament warn insist urge vow deny reject state claim note explain write
    declare announce ask answer reply respond acknowledge admit concede contend assert maintain
    stress emphasize emphasise suggest predict promise pledge recall remark observe complain
    charge accuse criticize criticise blast slam tweet post testify conclude continue joke quip
    muse boast brag scoff shout yell proclaim mock caution concur agree disagree confirm report
    reveal disclose describe dub label term wonder recount reiterate counter retort fume
    demand plead implore exclaim whisper protest object tout praise hail thank mutter
    grumble cry rail reason allege estimate recommend believe think fear hope
    worry feel summarize summarise elaborate specify interject offer
    advise threaten assure reassure inform notify remind swear sigh laugh
    """.split()
)
# Verbs that report speech only with a particle or a complement: "called on", "called it ...".
PARTICLE_CUES = {"call": {"on", "for"}, "point": {"out"}, "lash": {"out"}, "chime": {"in"}}
# Nouns that carry a speaker as possessor or "by/from" phrase: "Trump's claim that ...".
REPORTING_NOUNS = frozenset(
    """
    claim statement remark remarks comment comments words assertion prediction promise pledge
    warning message tweet letter missive argument accusation description insistence testimony
    speech response reply announcement declaration vow suggestion contention complaint
    criticism admission quote question answer view call plea appeal interview
    """.split()
)
# Appositive roles that introduce a source ("Henry Crespo, president of the caucus,").
SPEAKER_ROLES = ROLE_NOUNS | frozenset(
    """
    professor analyst economist expert researcher fellow executive founder head owner author
    pollster consultant activist organizer official advocate adviser advisor aide scientist
    historian lawyer strategist spokesperson
    """.split()
)
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
RELATIVE_PRONOUNS = frozenset({"who", "that", "which", "whom"})
PERSONAL_PRONOUNS = {"he": "m", "she": "f"}
# Speaker events further back than this many sentences do not resolve a pronoun.
PRONOUN_WINDOW_SENTENCES = 6
ANTECEDENTS_KEPT = 5  # a pronoun's candidates: the most recent people of its gender


@dataclass(frozen=True)
class Attribution:
    """Who a cue's subject resolves to (speaker None when it does not resolve)."""

    speaker: str | None
    cue: str
    is_person: bool
    subject: int | None = None  # token index of the cue's subject


@dataclass
class _Discourse:
    """Who spoke or acted last: what pronouns and cue-less quotes resolve to."""

    people: EntityIndex
    doc: Doc | None = None
    paragraph_of: Callable[[int], int] | None = None  # sentence index -> paragraph index
    events: list[tuple[int, int, str, str]] = field(default_factory=list)
    # (token index, sentence index, canonical name, kind: "speech" or "subject")

    def add(self, token_index: int, sentence_index: int, name: str, kind: str) -> None:
        """Record a person as speaker or main-clause subject at a position."""
        event = (token_index, sentence_index, name, kind)
        if self.events and self.events[-1][0] > token_index:
            self.events.append(event)
            self.events.sort(key=lambda e: e[0])
        else:
            self.events.append(event)

    def pronoun_antecedent(self, token_index: int, sentence_index: int, gender: str) -> str | None:
        """A person of the pronoun's gender named earlier in its sentence, else the latest
        speaker or main-clause subject within a few sentences."""
        same_sentence_mention: str | None = None
        for event_token, event_sentence, name, kind in reversed(self.events):
            if event_token >= token_index:
                continue
            if sentence_index - event_sentence > PRONOUN_WINDOW_SENTENCES:
                break
            if not self._gender_fits(name, gender):
                continue
            if event_sentence == sentence_index:
                if kind != "mention":
                    return name
                same_sentence_mention = same_sentence_mention or name
                continue
            if same_sentence_mention is not None:
                return same_sentence_mention
            if kind != "mention":
                return name
        return same_sentence_mention

    def antecedents(
        self, token_index: int, sentence_index: int, gender: str
    ) -> list[tuple[str, dict[str, float]]]:
        """Every person a pronoun may denote (recent, of its gender), with how each is placed."""
        rule = self.pronoun_antecedent(token_index, sentence_index, gender)
        latest: dict[str, tuple[int, int]] = {}
        prev_subject: set[str] = set()
        same_subject: set[str] = set()
        same_mention: set[str] = set()
        last_speech: str | None = None
        for event_token, event_sentence, name, kind in reversed(self.events):
            if event_token >= token_index:
                continue
            if sentence_index - event_sentence > PRONOUN_WINDOW_SENTENCES:
                break
            if kind == "org" or not self._gender_fits(name, gender):
                continue
            latest.setdefault(name, (event_token, event_sentence))
            if kind == "speech" and last_speech is None:
                last_speech = name
            if kind in {"subject", "speech"}:
                if event_sentence == sentence_index:
                    same_subject.add(name)
                elif event_sentence == sentence_index - 1:
                    prev_subject.add(name)
            elif event_sentence == sentence_index:
                same_mention.add(name)
        ordered = sorted(latest, key=lambda n: -latest[n][0])[:ANTECEDENTS_KEPT]
        found = []
        for rank, name in enumerate(ordered):
            distance = sentence_index - latest[name][1]
            features = {"ant": 1.0, f"ant_rank{min(rank, 2)}": 1.0, f"ant_d{min(distance, 3)}": 1.0}
            if len(ordered) == 1:
                features["ant_only"] = 1.0
            role = self._latest_mention_role(name, token_index)
            if role is not None:
                features[f"ant_role_{role}"] = 1.0
            if self.paragraph_of is not None and (
                self.paragraph_of(latest[name][1]) == self.paragraph_of(sentence_index)
            ):
                features["ant_same_paragraph"] = 1.0
            person = self.people.person(name)
            features["ant_gender_match" if person and person.gender else "ant_gender_unknown"] = 1.0
            for flag, names in (
                ("ant_rule", {rule}),
                ("ant_last_speaker", {last_speech}),
                ("ant_prev_subject", prev_subject),
                ("ant_same_subject", same_subject),
                ("ant_same_mention", same_mention),
            ):
                if name in names:
                    features[flag] = 1.0
            found.append((name, features))
        return found

    def _latest_mention_role(self, name: str, token_index: int) -> str | None:
        """How the person's latest name mention before a position sits in its clause."""
        person = self.people.person(name)
        if person is None or self.doc is None:
            return None
        starts = [(s, e) for s, e in person.mentions if e <= token_index]
        if not starts:
            return None
        start, end = starts[-1]
        head = self.doc[start:end].root
        if head.dep_ in SUBJECT_DEPS:
            return "subject"
        if head.dep_ == "poss":
            return "possessor"
        if head.dep_ in {"dobj", "pobj", "dative", "iobj"}:
            return "object"
        if head.dep_ == "appos" or head.head.dep_ in SUBJECT_DEPS:
            return "subject_phrase"
        return "other"

    def _gender_fits(self, name: str, gender: str) -> bool:
        """People only (organizations are never "he"), and not of the other known gender."""
        person = self.people.person(name)
        return person is not None and (person.gender is None or person.gender == gender)

    def organization_antecedent(self, token_index: int, sentence_index: int) -> str | None:
        """'it said': the organization last a subject, in this sentence or the one before."""
        for event_token, event_sentence, name, kind in reversed(self.events):
            if event_token >= token_index:
                continue
            if sentence_index - event_sentence > 1:
                return None
            if kind == "org":
                return name
        return None

    def last_speaker(self, token_index: int, min_sentence: int) -> str | None:
        """The latest speaker before a position, if it spoke at or after min_sentence."""
        for event_token, event_sentence, name, kind in reversed(self.events):
            if event_token >= token_index or kind != "speech":
                continue
            return name if event_sentence >= min_sentence else None
        return None


def _is_cue(token: Token) -> bool:
    """A verb or noun that reports speech ('said', 'called on', "Trump's claim")."""
    if token.lower_ == "according":
        return any(c.lower_ == "to" for c in token.children)
    lemma = token.lemma_.lower()
    if token.pos_ == "NOUN":
        return lemma in REPORTING_NOUNS and _noun_speaker(token) is not None
    if token.pos_ not in {"VERB", "AUX"}:
        return False
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
    particles = PARTICLE_CUES.get(lemma, set())
    for child in token.children:
        if child.i == token.i + 1 and child.lower_ in particles:
            return f"{token.text} {child.text}"
    return token.text


def _noun_speaker(noun: Token) -> Token | None:
    """The possessor ("Trump's claim") or by/from object ("a statement from the Pentagon")."""
    for child in noun.children:
        if child.dep_ == "poss":
            return child
        if child.dep_ == "prep" and child.lower_ in {"by", "from"}:
            for grandchild in child.children:
                if grandchild.dep_ == "pobj":
                    return grandchild
    return None


def _subject_of(cue: Token, quoted: set[int]) -> Token | None:
    """The speaking subject of a cue, following conj/xcomp/relative clauses."""
    if cue.lower_ == "according":
        for child in cue.children:
            if child.lower_ == "to":
                return next((g for g in child.children if g.dep_ == "pobj"), None)
        return None
    if cue.pos_ == "NOUN":
        return _noun_speaker(cue)
    current: Token = cue
    for _ in range(4):
        subjects = [
            c
            for c in current.children
            if c.dep_ in SUBJECT_DEPS and any(ch.isalpha() for ch in c.text)
        ]
        subject = min(subjects, key=lambda c: abs(c.i - current.i)) if subjects else None
        if subject is not None and subject.i in quoted:
            # the parser took a word of the quote as subject: '“... Ferguson,” Trump said'
            subject = next(
                (
                    c
                    for c in current.children
                    if c.i not in quoted
                    and c.pos_ in {"PROPN", "PRON"}
                    and abs(c.i - current.i) <= 3
                    and c.dep_ not in {"poss", "pobj"}
                ),
                None,
            )
            return subject
        if subject is not None:
            if subject.lower_ in RELATIVE_PRONOUNS and current.dep_ == "relcl":
                return current.head
            return subject
        if current.dep_ == "relcl" and current.head.pos_ in {"PROPN", "NOUN"}:
            return current.head
        if (
            current.pos_ in {"VERB", "AUX"}
            and (
                current.dep_ in {"conj", "xcomp", "advcl"}
                # "X said that ... but said “...”": a coordinated cue the parser hung as ccomp
                or (
                    current.dep_ == "ccomp"
                    and current.i > 0
                    and current.doc[current.i - 1].lower_ in {"and", "but"}
                )
            )
            and current.head.pos_ in {"VERB", "AUX"}
        ):
            current = current.head
            continue
        if (
            current.dep_ == "acl"
            and current.head.pos_ == "NOUN"
            and current.head.dep_ in {"dobj", "pobj"}
            and current.head.head.pos_ in {"VERB", "AUX", "ADP"}
        ):
            # "Trump issued a statement saying ...": the one who issued it
            noun_head = current.head.head
            current = noun_head.head if noun_head.pos_ == "ADP" else noun_head
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


def _outside_parentheses(token: Token) -> Token:
    """'John Kasich (R-OH)': the parser may take "OH" for the subject; the name precedes it."""
    doc = token.doc
    for index in range(token.i - 1, max(token.i - 5, -1), -1):
        if doc[index].text == ")":
            return token
        if doc[index].text == "(":
            return doc[index - 1] if index > 0 and doc[index - 1].pos_ == "PROPN" else token
    return token


class _Resolver:
    """Resolves cue subjects to canonical names, keeping discourse state."""

    def __init__(self, doc: Doc, people: EntityIndex) -> None:
        self.doc = doc
        self.people = people
        self.discourse = _Discourse(people, doc, self._paragraph_of_sentence)
        self.sentence_of: list[int] = [0] * len(doc)
        # paragraphs are the non-empty lines; a sentence belongs to the line it starts on
        text = self.text = doc.text  # Doc.text joins every token on each call
        line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        content_lines = [
            start
            for start, end in zip(line_starts, [*line_starts[1:], len(text) + 1], strict=True)
            if text[start : end - 1].strip()
        ]
        self.paragraph_of_sentence: list[int] = []
        self.sentences: list[Span] = sentences(doc)
        for sentence_index, sentence in enumerate(self.sentences):
            for token in sentence:
                self.sentence_of[token.i] = sentence_index
            self.paragraph_of_sentence.append(
                max(bisect.bisect_right(content_lines, sentence.start_char) - 1, 0)
            )

    def sentence_at(self, token_index: int) -> Span:
        """The sentence holding a token (Token.sent walks the document each time)."""
        return self.sentences[self.sentence_of[token_index]]

    def _paragraph_of_sentence(self, sentence_index: int) -> int:
        return self.paragraph_of_sentence[sentence_index]

    def resolve(self, subject: Token) -> tuple[str | None, bool]:
        """(speaker name, is a person) for a subject token; (None, False) when vague."""
        head = _outside_parentheses(subject)
        # "a spokesman, John Doe," / "spokeswoman Jane Roe": the name beside the role noun
        if head.pos_ == "NOUN":
            # the name after the role ("manager Jeff Weaver"), never the one before it
            # ("Sanders campaign manager")
            named = [
                child
                for child in head.children
                if child.dep_ in {"appos", "compound"}
                and (entity := self.people.entity_at(child.i)) is not None
                and (child.i > head.i or entity[1] == "ORG")  # "IMF economists said"
            ]
            if named:
                head = max(named, key=lambda child: child.i)
        entity = self.people.entity_at(head.i)
        if entity is not None:
            name, label = entity
            if label == "PERSON":
                return name, True
            if head.pos_ == "PROPN":
                person = self.people.resolve_name(person_words_of(head), head.i)
                if person is not None:
                    return person, True
            if label in {"ORG", "GPE"}:
                return name, False
            return None, False
        lower = head.lower_
        if lower in PERSONAL_PRONOUNS:
            found = self.discourse.pronoun_antecedent(
                head.i, self.sentence_of[head.i], PERSONAL_PRONOUNS[lower]
            )
            return found, found is not None
        if lower == "it":
            found = self.discourse.organization_antecedent(head.i, self.sentence_of[head.i])
            return found, False
        if head.pos_ == "PRON":
            return None, False
        if head.pos_ == "PROPN" and head.text[:1].isupper():
            words = [w for w in person_words_of(head) if w.lower() not in HONORIFICS]
            found = self.people.resolve_name(words, head.i)
            if found is not None:
                return found, True
            if (
                words
                and all(w[:1].isupper() for w in words)
                and head.tag_ == "NNP"
                and head.ent_type_ not in {"DATE", "TIME", "MONEY", "PERCENT", "ORDINAL"}
                and not head.lower_.endswith("ing")
            ):
                # a name the model missed ("Peabody said"): better than no speaker
                return " ".join(words), False
            return None, False
        if head.pos_ in {"NOUN", "PROPN"} and head.tag_ in {"NN", "NNP"}:
            found = self.people.resolve_title(_nominal_words(head), head.i)
            return found, found is not None
        return None, False


def _unknown_name(subject: Token, people: EntityIndex) -> bool:
    """A capitalized name the model did not tag ("Tiegen said"): a person we cannot look up."""
    if people.entity_at(subject.i) is not None:
        return False
    return (
        subject.pos_ == "PROPN" and subject.tag_ == "NNP" and subject.text[:1].isupper()
    ) or _capitalized_noun_name(subject)


def _capitalized_noun_name(token: Token) -> bool:
    """A common noun written capitalized inside a sentence, alone: a name the tagger missed."""
    if token.pos_ != "NOUN" or token.tag_ != "NN" or not token.is_title or len(token.text) < 3:
        return False
    if token.is_sent_start or token.i == 0:
        return False
    before = token.doc[token.i - 1]
    if before.is_sent_start and (before.is_quote or before.is_punct):
        return False
    return token.lower_ not in SPEAKER_ROLES and not any(
        c.dep_ in {"compound", "amod", "det"} for c in token.children
    )


def _is_main_clause(verb: Token) -> bool:
    """The sentence's root verb or a verb coordinated with it."""
    return verb.dep_ == "ROOT" or (verb.dep_ == "conj" and verb.head.dep_ == "ROOT")


def _attribute_cues(doc: Doc, resolver: _Resolver, quoted: set[int]) -> dict[int, Attribution]:
    """Resolve every cue outside quotes in reading order, recording speakers and subjects."""
    attributions: dict[int, Attribution] = {}
    discourse = resolver.discourse
    for sentence_index, sentence in enumerate(sentences(doc)):
        for token in sentence:
            if token.i in quoted:
                continue
            entity = resolver.people.entity_at(token.i)
            if (
                entity is not None
                and entity[1] == "PERSON"
                and (token.i == 0 or resolver.people.entity_at(token.i - 1) != entity)
            ):
                discourse.add(token.i, sentence_index, entity[0], "mention")
            if (
                entity is not None
                and entity[1] == "PERSON"
                and any(
                    child.dep_ == "appos" and child.lemma_.lower() in SPEAKER_ROLES
                    for child in token.children
                )
            ):
                # "Henry Crespo, president of the caucus": a speaker being introduced
                discourse.add(token.i, sentence_index, entity[0], "subject")
            if token.dep_ in SUBJECT_DEPS and token.head.i not in quoted:
                if entity is not None and entity[1] == "ORG":
                    discourse.add(token.i, sentence_index, entity[0], "org")
                elif (
                    _is_main_clause(token.head)
                    and not _is_cue(token.head)
                    and (token.pos_ == "PROPN" or token.lower_ in PERSONAL_PRONOUNS)
                ):
                    name, is_person = resolver.resolve(token)
                    if name is not None and is_person:
                        discourse.add(token.i, sentence_index, name, "subject")
            if not _is_cue(token):
                continue
            subject = _subject_of(token, quoted)
            if subject is None:
                continue
            speaker, is_person = resolver.resolve(subject)
            attributions[token.i] = Attribution(speaker, _cue_text(token), is_person, subject.i)
            if speaker is not None and (is_person or _unknown_name(subject, resolver.people)):
                discourse.add(token.i, sentence_index, speaker, "speech")
    return attributions


def _governing_cue(quote: Span, quoted: set[int]) -> Token | None:
    """The cue outside any quote that governs the quote in the parse."""
    seen: set[int] = set()
    for token in quote:
        head = token.head
        if quote.start <= head.i < quote.end or head.i == token.i:
            continue
        for _ in range(6):
            if head.i in seen:
                break
            seen.add(head.i)
            if head.i not in quoted and _is_cue(head):
                return head
            for child in head.children:
                # 'Mr. Obama said, a majority ... believe "..."': an inserted cue
                if child.dep_ == "parataxis" and child.i not in quoted and _is_cue(child):
                    return child
            if head.head.i == head.i:
                break
            head = head.head
    return None


def _nearby_cues(doc: Doc, quote: Span, quoted: set[int]) -> list[Token]:
    """Cues outside quotes in the sentences the quote touches, nearest first."""
    start = sentence_of(doc, quote.start).start
    end = sentence_of(doc, quote.end - 1).end
    # "“...!” he said." can fall into its own sentence right after the quote.
    if (
        end < len(doc)
        and quote.end >= end - 2
        and "\n" not in doc[end - 1].whitespace_
        and "\n" not in doc[end - 1].text
    ):
        end = min(sentence_of(doc, end).end, end + 5)
    candidates = [
        doc[i]
        for i in range(start, end)
        if i not in quoted and (doc[i].pos_ in {"VERB", "AUX"} or doc[i].lower_ == "according")
    ]
    candidates = [t for t in candidates if _is_cue(t)]
    return sorted(candidates, key=lambda t: min(abs(t.i - quote.start), abs(t.i - (quote.end - 1))))


NOT_BEFORE_SPEAKER = frozenset({"ADP", "DET", "PRON", "PUNCT", "CCONJ", "SCONJ"})
SENTENCE_ENDS = frozenset({".", "!", "?", ";"})


def _dash_signature(
    doc: Doc, text: str, span: QuoteSpan, line_end: int, resolver: _Resolver
) -> str | None:
    """'“...” ― Jane Roe' at the end of a paragraph: the named signer."""
    position = span.end
    next_line = False
    while position < line_end and (text[position] in ALL_MARKS or text[position] in " \u00a0"):
        position += 1
    if position < len(text) and text[position] in ".,":
        position += 1
    if position >= line_end:
        # '“...”' closing its paragraph and '- Jane Roe.' alone on the next line (fact checks,
        # pull quotes): the signer, when the quote is the whole paragraph
        paragraph_start = text.rfind("\n", 0, span.start) + 1
        if text[paragraph_start : span.start].strip("".join(ALL_MARKS) + " \u00a0"):
            return None
        position = line_end
        while position < len(text) and text[position].isspace():
            position += 1
        next_end = text.find("\n", position)
        line_end = len(text) if next_end < 0 else next_end
        if position >= line_end or text[position] not in DASHES:
            return None
        next_line = True
    elif text[position] not in DASHES:
        return None
    while position < line_end and (text[position] in DASHES or text[position].isspace()):
        position += 1
    signature = doc.char_span(position, line_end, alignment_mode="expand")
    if signature is None or not 0 < len(signature) <= 8:
        return None
    for token in signature:
        entity = resolver.people.entity_at(token.i)
        if entity is not None and entity[1] == "PERSON":
            return entity[0]
    # a signer the model did not tag: the capitalized words up to the first comma
    words = []
    for token in signature:
        if token.text == "," or not token.text[:1].isupper():
            break
        words.append(token.text)
    if next_line:  # a line of its own may be a list item: only a person the article names
        return resolver.people.resolve_name(words, signature.start) if words else None
    return " ".join(words) if 0 < len(words) <= 4 else None


SMALL_WORDS = frozenset("the of a an on with and in to for at by from is".split())


def _looks_like_a_name(quoted: str) -> bool:
    """A short quoted phrase in title case (a show, a book, a nickname), or no words at all."""
    words = [w.strip(".,;:!?()’'\"") for w in quoted.split()]
    words = [w for w in words if w]
    if not any(ch.isalpha() for ch in quoted):
        return True
    content = [w for w in words if w.lower() not in SMALL_WORDS]
    return (
        0 < len(words) <= 4
        and bool(content)
        and all(w[0].isupper() or w[0].isdigit() for w in content)
    )


def _names_a_work(quoted: str, quote: Span) -> bool:
    """A title-case phrase used as the object of a preposition or a modifier: a title."""
    if not _looks_like_a_name(quoted):
        return False
    root = quote.root
    return root.dep_ in {"pobj", "compound", "nmod", "npadvmod", "poss"}


def _paragraph_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of every line."""
    bounds = []
    start = 0
    for line in text.split("\n"):
        bounds.append((start, start + len(line)))
        start += len(line) + 1
    return bounds


def _is_partial(text: str, span: QuoteSpan, paragraph_start: int) -> bool:
    """A quote embedded in the reporter's sentence rather than a whole quoted sentence."""
    first = text[span.start]
    if not (first.isupper() or first.isdigit() or first in "‘'….[("):
        return True
    before = text[paragraph_start : max(span.start - 1, paragraph_start)].rstrip()
    return not (before == "" or before[-1] in ":,.!?;—–-")


def _introduced_by_colon(text: str, span: QuoteSpan, paragraph_start: int) -> bool:
    """'... a new campaign message: “It's about me.”' — the sentence before the colon says who."""
    before = text[paragraph_start : max(span.start - 1, paragraph_start)].rstrip()
    return before.endswith(":")


def _first_sentence_of_paragraph(resolver: _Resolver, quote: Span) -> int:
    """Index of the first sentence of the quote's paragraph."""
    doc = resolver.doc
    index = quote.start
    while index > 0:
        previous = doc[index - 1]
        if "\n" in previous.text or "\n" in previous.whitespace_:
            break
        index -= 1
    return resolver.sentence_of[index]


def _floating_speaker(resolver: _Resolver, quote: Span) -> str | None:
    """A cue-less quoted sentence continues the latest speaker of its paragraph or the last one,
    or the person a lead-in sentence just named ("Sanders made the following comment:")."""
    first = _first_sentence_of_paragraph(resolver, quote)
    found = resolver.discourse.last_speaker(quote.start, max(first - 1, 0))
    if found is not None:
        return found
    doc = resolver.doc
    index = quote.start - 1
    while index >= 0 and (doc[index].is_quote or doc[index].is_space):
        index -= 1
    if index < 0:
        return None
    previous = sentence_of(doc, index)
    ends_with_colon = doc[index].text == ":"
    same_paragraph = resolver.sentence_of[index] >= first
    if not (ends_with_colon or same_paragraph):
        return None
    subject = next(
        (t for t in previous.root.children if t.dep_ in SUBJECT_DEPS and t.pos_ == "PROPN"),
        None,
    )
    if subject is None:
        return None
    name, is_person = resolver.resolve(subject)
    return name if is_person else None
