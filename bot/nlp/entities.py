"""People, organizations and places: canonical names, mention counts and a per-article person table.

The small English model mislabels diplomatic copy (Samantha Power as ORG, Subi Reef as PERSON,
"North Korea’s" with the possessive inside the span). An entity ruler before `ner` fixes the
international organizations; cheap rules after the parse fix the rest. The person table (full
names, surname aliases, titles, mention positions) is what quote attribution resolves speakers
against.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from bot.domain.analysis import Entity
from bot.nlp.countries import country_table
from bot.nlp.people import (
    _CREDIT_SENTENCE,
    GOVERNMENT_WORDS,
    HONORIFICS,
    LEADING_DROPS,
    ORG_WORDS,
    ORGANIZATION_ALIASES,
    PLACE_HEADS,
    POSSESSIVE_MARKS,
    ROLE_NOUNS,
    TITLE_ABBREVIATIONS,
    EntityIndex,
    Person,
    _family_key,
    _given_names_compatible,
    _is_prefix_of,
    _is_surname_only,
    _not_people,
    _subdivision_names,
    _surname,
)
from bot.nlp.sentences import sentence_of, sentences

log = logging.getLogger(__name__)

ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"})
RULER_NAME = "diplomatic_entity_ruler"


def _organization_patterns() -> list[dict[str, object]]:
    """EntityRuler token patterns (case-sensitive) for international organizations."""
    patterns: list[dict[str, object]] = []
    for canonical, forms in ORGANIZATION_ALIASES.items():
        for form in forms:
            patterns.append({"label": "ORG", "pattern": form, "id": canonical})
    return patterns


def add_entity_ruler(nlp: Language) -> None:
    """Install an EntityRuler before `ner` that labels international organizations and aliases."""
    if RULER_NAME in nlp.pipe_names:
        return
    before = "ner" if "ner" in nlp.pipe_names else None
    ruler = nlp.add_pipe(
        "entity_ruler",
        name=RULER_NAME,
        before=before,
        config={"phrase_matcher_attr": "ORTH", "overwrite_ents": False},
    )
    ruler.add_patterns(_organization_patterns())  # type: ignore[attr-defined]


@dataclass
class _Mention:
    """One cleaned entity mention (mutable while the article is being indexed)."""

    start: int  # token index
    end: int  # token index (exclusive)
    words: tuple[str, ...]
    label: str
    canonical: str | None  # fixed canonical name (ruler id) if any
    honorific: str | None = None


def _clean_span(doc: Doc, ent: Span) -> tuple[int, int, str | None]:
    """Token bounds of an entity without line breaks, leading "the", possessives; and honorific."""
    start, end = ent.start, ent.end
    for token in ent:
        if "\n" in token.text or (token.i < end - 1 and "\n" in token.whitespace_):
            end = token.i if "\n" in token.text else token.i + 1
            break
    while start < end and (doc[start].lower_ in LEADING_DROPS or doc[start].is_punct):
        start += 1
    honorific = None
    while start < end and doc[start].lower_ in HONORIFICS:
        honorific = doc[start].lower_
        start += 1
    if ent.label_ == "PERSON":
        # "Representative Charles B. Rangel", "Lib Dem Norman Baker": a title or a party
        # before the name is not part of it
        parties = _not_people()["parties"]
        while end - start > 1:
            if doc[start].lower_ in ROLE_NOUNS or doc[start].lower_ in TITLE_ABBREVIATIONS:
                start += 1
            elif end - start > 2 and f"{doc[start].text} {doc[start + 1].text}" in parties:
                start += 2
            elif doc[start].text in parties and doc[start + 1].text not in parties:
                start += 1
            else:
                break
    while end > start and (
        (doc[end - 1].lower_ in POSSESSIVE_MARKS and doc[end - 1].tag_ == "POS")
        or doc[end - 1].text in {"'s", "’s", "’", "'"}
        or (doc[end - 1].is_punct and doc[end - 1].text not in {"."})
    ):
        end -= 1
    if honorific is None and start > 0 and doc[start - 1].lower_ in HONORIFICS:
        honorific = doc[start - 1].lower_
    return start, end, honorific


def _cut_at_inner_possessive(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """ "the North’s Jan. 6" -> "the North": a possessive inside a span ends the name."""
    for index in range(start + 1, end):
        if doc[index].tag_ == "POS" or doc[index].text in {"’s", "'s"}:
            return start, index
    return start, end


def _span_words(doc: Doc, start: int, end: int) -> tuple[str, ...]:
    """Whitespace-separated words of a token range, possessive stripped from the last one."""
    if start >= end:
        return ()
    words = doc[start:end].text.split()
    if words:
        words[-1] = _strip_word(words[-1])
    return tuple(w for w in words if w)


def _strip_word(word: str) -> str:
    """A name word without a glued possessive ("Korea’s" -> "Korea")."""
    for mark in ("’s", "'s"):
        if word.endswith(mark) and len(word) > len(mark):
            return word[: -len(mark)]
    return word


def _repair_label(
    words: tuple[str, ...], label: str, person_words: set[str], full_name_surnames: set[str]
) -> str:
    """Cheap fixes for the small model's common label errors."""
    lowered = [w.lower() for w in words]
    if label == "PERSON":
        if lowered[-1] in PLACE_HEADS:
            return "LOC"
        if any(w in ORG_WORDS for w in lowered) or (
            len(words) > 1 and words[-1] in _not_people()["organisation_words"]
        ):
            return "ORG"  # "Manchester United", "Crosscut Strategies", "Age Concern"
        return label
    if (
        label in {"ORG", "GPE", "NORP", "FAC", "LOC"}
        and 1 < len(words) <= 3
        and all(w[:1].isupper() for w in words)
        and _surname(words) in person_words
        and not any(w in ORG_WORDS or w in PLACE_HEADS for w in lowered)
    ):
        return "PERSON"
    if label != "PERSON" and len(words) == 1 and words[0] in full_name_surnames:
        return "PERSON"  # "Schiff said" after "Rep. Adam Schiff": the model called him a place
    return label


def _collect_mentions(doc: Doc) -> list[_Mention]:
    """Cleaned entity mentions of the kept labels, with labels repaired."""
    raw: list[_Mention] = []
    credit_sentences: set[int] | None = None  # computed on the first person
    text = doc.text  # Doc.text joins every token on each call: read it once
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS:
            continue
        start, end, honorific = _clean_span(doc, ent)
        if start >= end:
            continue
        start, end = _cut_at_inner_possessive(doc, start, end)
        label = ent.label_
        if label == "PERSON":
            if credit_sentences is None:
                credit_sentences = _credit_tokens(doc)
            if start in credit_sentences:
                continue  # "Reporting by Jane Roe; Editing by John Doe": staff, not news
            end = _extend_name(doc, start, end)
        if label == "PERSON" and end < len(doc) and doc[end].lower_ in GOVERNMENT_WORDS:
            end += 1  # "Obama administration" is the government, not the man
            label = "ORG"
        words = _span_words(doc, start, end)
        if not words or not any(ch.isalpha() for ch in "".join(words)):
            continue
        if all(not w[:1].isupper() for w in words):
            continue  # "state" in "the secretary of state": not a name
        if label == "ORG" and _inside_title(doc, start, end):
            continue  # "State" in "Secretary of State"
        if not ent.ent_id_ and _is_headline(doc, text, start, end):
            continue
        if (
            label == "PERSON"
            and words[-1].lower() in ROLE_NOUNS
            and honorific is None
            and (len(words) > 1 or (end < len(doc) and doc[end].pos_ == "PROPN"))
        ):
            continue  # "Charlotte Mayor" before "Jennifer Roberts": a title, not a person
        canonical = ent.ent_id_ or None
        raw.append(_Mention(start, end, words, label, canonical, honorific))
    person_words = {
        _surname(m.words) for m in raw if m.label == "PERSON" and m.canonical is None
    } | {m.words[0] for m in raw if m.honorific is not None}
    full_name_surnames = {
        _surname(m.words)
        for m in raw
        if m.label == "PERSON" and m.canonical is None and len(m.words) > 1
    }
    for mention in raw:
        if mention.canonical is None:
            mention.label = _repair_label(
                mention.words, mention.label, person_words, full_name_surnames
            )
            if mention.honorific is not None and mention.label in {"ORG", "GPE", "NORP", "FAC"}:
                mention.label = "PERSON"
    return raw


def _credit_tokens(doc: Doc) -> set[int]:
    """Token indices of the sentences that credit the report or a photo."""
    found: set[int] = set()
    for sentence in sentences(doc):
        if _CREDIT_SENTENCE.search(sentence.text):
            found.update(range(sentence.start, sentence.end))
    return found


def _extend_name(doc: Doc, start: int, end: int) -> int:
    """'Yoon Suk' + 'Yeol': a capitalized proper noun right after a name, which the name's words
    modify in the parse, is the rest of the name (the model often cuts three-part names)."""
    while (
        end < len(doc)
        and end - start < 4
        and doc[end].pos_ == "PROPN"
        and doc[end].is_title
        and doc[end].ent_type_ in {"", "PERSON"}
        and any(
            doc[i].head.i == end and doc[i].dep_ in {"compound", "flat"} for i in range(start, end)
        )
        and "\n" not in doc[end - 1].whitespace_
    ):
        end += 1
    return end


def _inside_title(doc: Doc, start: int, end: int) -> bool:
    """True for "State" in "Secretary of State" (the model's favourite fake ORG)."""
    return (
        end - start == 1
        and doc[start].text in {"State", "state"}
        and start >= 2
        and doc[start - 1].lower_ == "of"
        and doc[start - 2].lower_ in {"secretary", "department", "secretaries"}
    )


def _title_before(doc: Doc, start: int, end: int) -> str | None:
    """The role written before a name ("Chinese Foreign Minister" Wang Yi), if any."""
    head = doc[start:end].root
    left = head.left_edge.i
    if left >= start:
        return None
    tokens = list(doc[left:start])
    cut = 0
    for index, token in enumerate(tokens):
        if (
            token.is_punct
            or (
                token.dep_ in {"det", "poss", "case", "cc", "prep", "predet"}
                and token.lower_ != "of"
            )
            or token.pos_ in {"VERB", "AUX", "SCONJ", "CCONJ", "DET", "PRON", "NUM"}
            or token.lower_ in HONORIFICS
            or token.tag_ == "POS"
            or "\n" in token.text
            or "\n" in token.whitespace_
        ):
            cut = index + 1
    tokens = tokens[cut:]
    while tokens and tokens[0].lower_ == "of":
        tokens = tokens[1:]
    if not tokens or not any(t.pos_ in {"NOUN", "PROPN"} for t in tokens):
        return None
    if all(t.ent_type_ in {"NORP", "GPE", "ORG"} for t in tokens):
        return None
    return " ".join(t.text for t in tokens)


def _title_after(doc: Doc, start: int, end: int) -> str | None:
    """The role given in an appositive ("Samantha Power, the U.S. ambassador to the U.N.")."""
    head = doc[start:end].root
    for child in head.rights:
        if child.dep_ != "appos" or child.ent_type_ == "PERSON":
            continue
        if child.pos_ not in {"NOUN", "PROPN"}:
            continue
        tokens = [t for t in child.subtree if "\n" not in t.text]
        while tokens and (tokens[0].dep_ in {"det", "poss", "punct"} or tokens[0].tag_ == "POS"):
            tokens = tokens[1:]
        while tokens and tokens[-1].is_punct and tokens[-1].text != ".":
            tokens = tokens[:-1]
        if 0 < len(tokens) <= 12:
            return "".join(t.text_with_ws for t in tokens).strip()
    return None


@dataclass
class _Cluster:
    """A person being assembled from mentions (mutable while the article is indexed)."""

    words: tuple[str, ...]
    forms: list[str] = field(default_factory=list)
    mentions: list[tuple[int, int]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    gender_evidence: dict[str, int] = field(default_factory=lambda: {"m": 0, "f": 0})
    honorific: bool = False

    @property
    def gender(self) -> str | None:
        """'m' or 'f' when the article's honorifics and pronouns lean one way, else None."""
        male, female = self.gender_evidence["m"], self.gender_evidence["f"]
        if male > female:
            return "m"
        if female > male:
            return "f"
        return None

    def last_start_before(self, token_index: int) -> int:
        """Start of the latest mention before a position, or -1."""
        return max((s for s, _ in self.mentions if s < token_index), default=-1)


MALE_PRONOUNS = frozenset({"he", "him", "his", "himself"})
FEMALE_PRONOUNS = frozenset({"she", "her", "hers", "herself"})


def _count_pronoun_evidence(
    doc: Doc, people_mentions: Sequence[_Mention], owner: dict[int, _Cluster]
) -> None:
    """A sentence naming one person and then saying "he"/"she" hints at that person's gender."""
    by_sentence: dict[int, list[tuple[int, _Cluster]]] = {}
    for index, mention in enumerate(people_mentions):
        sentence_start = sentence_of(doc, mention.start).start
        by_sentence.setdefault(sentence_start, []).append((mention.end, owner[index]))
    for sentence_start, found in by_sentence.items():
        clusters = {id(cluster): cluster for _, cluster in found}
        if len(clusters) != 1:
            continue
        cluster = found[0][1]
        first_end = min(end for end, _ in found)
        sentence = sentence_of(doc, sentence_start)
        for token in doc[first_end : sentence.end]:
            if token.lower_ in MALE_PRONOUNS:
                cluster.gender_evidence["m"] += 1
            elif token.lower_ in FEMALE_PRONOUNS:
                cluster.gender_evidence["f"] += 1


def _cluster_people(doc: Doc, mentions: Sequence[_Mention]) -> tuple[list[Person], dict[int, str]]:
    """Group person mentions into people: full names first, then surnames into full names."""
    people_mentions = sorted((m for m in mentions if m.label == "PERSON"), key=lambda m: m.start)
    clusters: list[_Cluster] = []
    owner: dict[int, _Cluster] = {}
    for index, mention in enumerate(people_mentions):
        if _is_surname_only(mention.words):
            continue
        for cluster in clusters:
            if (
                _family_key(cluster.words) == _family_key(mention.words)
                and _given_names_compatible(cluster.words, mention.words)
            ) or (
                _is_prefix_of(mention.words, cluster.words)
                or _is_prefix_of(cluster.words, mention.words)
            ):
                if len(mention.words) > len(cluster.words):
                    cluster.words = mention.words
                owner[index] = cluster
                break
        else:
            clusters.append(_Cluster(mention.words))
            owner[index] = clusters[-1]
        owner[index].mentions.append((mention.start, mention.end))
    full_name_clusters = list(clusters)
    for index, mention in enumerate(people_mentions):
        if index in owner:
            continue
        key = _family_key(mention.words)
        word = mention.words[-1]
        candidates = [c for c in full_name_clusters if _family_key(c.words) == key] or [
            c for c in full_name_clusters if word in c.words
        ]
        if not candidates:
            candidates = [c for c in clusters if c.words == mention.words]
        if not candidates:
            clusters.append(_Cluster(mention.words))
            cluster = clusters[-1]
        elif len(candidates) == 1:
            cluster = candidates[0]
        else:
            # "Trump" alone is the Trump the article names most, not the relative named last
            cluster = max(candidates, key=lambda c: (len(c.mentions), -c.mentions[0][0]))
        owner[index] = cluster
        cluster.mentions.append((mention.start, mention.end))
    for cluster in clusters:
        cluster.mentions.sort()
    for index, mention in enumerate(people_mentions):
        cluster = owner[index]
        cluster.forms.append(" ".join(mention.words))
        for title in (
            _title_before(doc, mention.start, mention.end),
            _title_after(doc, mention.start, mention.end),
        ):
            if title and title not in cluster.titles:
                cluster.titles.append(title)
        if mention.honorific:
            said = "m" if mention.honorific in {"mr.", "mr", "mister"} else "f"
            cluster.gender_evidence[said] += 2
            cluster.honorific = True
    _count_pronoun_evidence(doc, people_mentions, owner)
    for cluster in clusters:
        named = given_name_gender(cluster.words[0])
        if named is not None:
            cluster.gender_evidence[named] += 3  # outweighs a wrong "Mr." (Samantha Power)
    surface_labels = _surface_labels(doc)
    relabelled: dict[int, str] = {}
    for cluster in clusters:
        label = _non_person_label(doc, cluster, surface_labels)
        if label is not None:
            relabelled[id(cluster)] = label
    if relabelled:
        for index, mention in enumerate(people_mentions):
            label = relabelled.get(id(owner[index]))
            if label is not None:
                mention.label = label  # "" drops the mention: a title or "the Bill"
        clusters = [c for c in clusters if id(c) not in relabelled]
    people: list[Person] = []
    token_owner: dict[int, str] = {}
    for cluster in clusters:
        name = " ".join(cluster.words)
        people.append(
            Person(
                name=name,
                aliases=tuple(dict.fromkeys(f for f in cluster.forms if f != name)),
                titles=tuple(cluster.titles),
                mentions=tuple(cluster.mentions),
                gender=cluster.gender,
            )
        )
        for start, end in cluster.mentions:
            for token_index in range(start, end):
                token_owner[token_index] = name
    return people, token_owner


def _surface_labels(doc: Doc) -> dict[str, Counter[str]]:
    """How the model labelled each one-word name across the article ("Yukos": ORG 3, PERSON 1)."""
    found: dict[str, Counter[str]] = {}
    for ent in doc.ents:
        words = ent.text.split()
        if ent.label_ in ENTITY_LABELS and words:
            found.setdefault(_strip_word(words[-1]), Counter())[ent.label_] += 1
    return found


DETERMINERS = frozenset({"the", "a", "an", "this", "that"})


def _after_a_name_word(doc: Doc, start: int) -> bool:
    """A capitalized word that is no title, no honorific and no entity right before a mention."""
    if start == 0:
        return False
    before = doc[start - 1]
    return (
        before.is_title
        and before.is_alpha
        and not before.is_sent_start
        and not before.ent_type_
        and before.lower_ not in HONORIFICS
        and before.lower_ not in ROLE_NOUNS
        and before.lower_ not in TITLE_ABBREVIATIONS
        and before.text not in _not_people()["titles"]
    )


def _non_person_label(
    doc: Doc, cluster: _Cluster, surface_labels: dict[str, Counter[str]]
) -> str | None:
    """The label of a "person" that names no one (a party, a place, a group, a firm, a title),
    "" for one that is no entity at all ("the Bill"), None for a person."""
    words = cluster.words
    name = " ".join(words)
    lists = _not_people()
    parties, titles = lists["parties"], lists["titles"]
    if name in parties:
        return "ORG"  # "Labour", "Lib Dems", "New Labour"
    if all(w in parties or w in titles or w.lower() in ROLE_NOUNS for w in words):
        return "ORG" if all(w in parties for w in words) else ""  # "Tory Treasurer Lord"
    if name in country_table() or name in _subdivision_names():
        return "GPE" if len(words) > 1 or not name.endswith("s") else "NORP"
    if len(words) > 1 or cluster.honorific:
        return None
    word = words[0]
    starts = [start for start, _ in cluster.mentions]
    if sum(1 for start in starts if _after_a_name_word(doc, start)) * 2 > len(starts):
        return ""  # "the Finance Bill", "the Law Lords": the end of a longer name, not a person
    if cluster.titles:
        return None
    heads = [doc[start] for start in starts]
    if sum(1 for start in starts if start > 0 and doc[start - 1].lower_ in DETERMINERS) * 2 >= len(
        starts
    ):
        return ""  # "the Bill", "the Oscar": a thing, not a person
    if (word.isupper() and len(word) <= 5) or any(ch.isdigit() for ch in word):
        return "ORG"  # "BAA", "G8", "BBC1"
    if re.fullmatch(r"[A-Z]{2,}s", word):
        return "NORP"  # "MPs", "MEPs"
    if all(head.tag_ in {"NNS", "NNPS"} for head in heads):
        return "NORP"  # "Britons", "Children", "Scholars"
    if given_name_gender(word) is None and word in _subdivision_names():
        return "GPE"  # "Powys", "Torbay"
    votes = surface_labels.get(word, Counter())
    other, other_count = max(
        ((label, count) for label, count in votes.items() if label != "PERSON"),
        key=lambda pair: pair[1],
        default=("", 0),
    )
    if other and other_count > votes.get("PERSON", 0):
        return other  # the model calls it an organisation or place more often than a person
    return None


def _canonical_other(mention: _Mention) -> str:
    """Canonical name of a non-person entity: the ruler's id, else the cleaned words."""
    if mention.canonical:
        return mention.canonical
    return " ".join(mention.words)


INITIALS_SKIPPED = frozenset({"of", "for", "and", "the", "on", "in", "&"})


def _long_forms_of_acronyms(mentions: Sequence[_Mention]) -> dict[str, str]:
    """'EPA' -> 'Environmental Protection Agency' when the article spells both out."""
    long_names = {
        "".join(
            w[0] for w in m.words if w.lower() not in INITIALS_SKIPPED
        ).upper(): _canonical_other(m)
        for m in mentions
        if m.label == "ORG" and len(m.words) > 1
    }
    found: dict[str, str] = {}
    for mention in mentions:
        name = _canonical_other(mention)
        acronym = name.replace(".", "")
        if (
            mention.label == "ORG"
            and len(mention.words) == 1
            and acronym.isupper()
            and 2 <= len(acronym) <= 6
            and acronym in long_names
        ):
            found[name] = long_names[acronym]
    return found


def _is_headline(doc: Doc, text: str, start: int, end: int) -> bool:
    """A long entity that is its whole line, or most of the headline: a title read as a name.

    `text` is doc.text, passed in: Doc.text joins every token on each call.
    """
    if len(doc[start:end].text.split()) < 4:
        return False
    if "\n" not in text[: doc[start].idx] and "\n" in text[doc[start].idx :]:
        return True  # four or more words of the first line (the headline)
    first, last = doc[start], doc[end - 1]
    line_start = text.rfind("\n", 0, first.idx) + 1
    line_end = text.find("\n", last.idx)
    line_end = len(text) if line_end < 0 else line_end
    return text[line_start:line_end].strip(" .!?") == doc[start:end].text.strip(" .!?")


def extract_entities(doc: Doc) -> EntityIndex:
    """Canonical entities of one parsed article, with the person table quotes need."""
    mentions = _collect_mentions(doc)
    people, token_owner = _cluster_people(doc, mentions)
    token_entities: dict[int, tuple[str, str]] = {
        i: (name, "PERSON") for i, name in token_owner.items()
    }
    counts: dict[tuple[str, str], int] = {}
    forms: dict[tuple[str, str], list[str]] = {}
    first_seen: dict[tuple[str, str], int] = {}
    by_lower: dict[str, str] = {}
    long_forms = _long_forms_of_acronyms(mentions)
    for mention in mentions:
        if mention.label == "PERSON" or not mention.label:
            continue
        name = _canonical_other(mention)
        name = long_forms.get(name, name)
        name = by_lower.setdefault(name.lower(), name)
        key = (name, mention.label)
        counts[key] = counts.get(key, 0) + 1
        forms.setdefault(key, []).append(" ".join(mention.words))
        first_seen.setdefault(key, mention.start)
        for token_index in range(mention.start, mention.end):
            token_entities.setdefault(token_index, (name, mention.label))
    entities: list[tuple[int, int, Entity]] = []
    for person in people:
        entity = Entity(
            name=person.name,
            label="PERSON",
            mentions=len(person.mentions),
            aliases=person.aliases,
            title=person.title,
        )
        entities.append((-entity.mentions, person.mentions[0][0], entity))
    for (name, label), count in counts.items():
        aliases = tuple(dict.fromkeys(f for f in forms[(name, label)] if f != name))
        entity = Entity(name=name, label=label, mentions=count, aliases=aliases)
        entities.append((-count, first_seen[(name, label)], entity))
    entities.sort(key=lambda row: (row[0], row[1]))
    return EntityIndex(
        entities=tuple(e for _, _, e in entities),
        people=tuple(people),
        token_entities=token_entities,
    )


def person_words_of(token: Token) -> tuple[str, ...]:
    """The proper-noun words naming a token's noun phrase (compounds + head), honorifics dropped."""
    words = [
        _strip_word(t.text)
        for t in token.lefts
        if t.dep_ in {"compound", "flat"} and t.pos_ == "PROPN" and t.lower_ not in HONORIFICS
    ]
    words.append(_strip_word(token.text))
    return tuple(w for w in words if w)


# Common given names whose gender is unambiguous in English-language news: a pronoun ("she
# said") must not resolve to a person whose first name says otherwise.
MALE_GIVEN_NAMES = frozenset(
    """
    aaron adam adrian ahmed al alan albert alberto alexander alexei alfred ali andre andrew
    andy angelo anthony antonio antonin arnold arthur barack barry ben benjamin bernard bernie
    bill billy bob bobby boris brad bradley brandon brett brian bruce bryan carl carlos charles
    charlie chuck clarence claude colin craig dan daniel danny darrell dave david dennis derek
    dick dmitry don donald doug douglas duncan dwight earl ed eddie edward elijah elliot emmanuel
    eric ernest eugene evan francis francisco frank fred frederick gary gavin george gerald
    gordon greg gregory hamid harold harry hassan henry herbert howard hugh ian isaac ivan jack
    jacob jake james jared jason jeb jeff jeffrey jeremy jerome jerry jesse jim jimmy joe joel
    john johnny jon jonathan jorge jose joseph josh joshua juan julian justin karl keith ken
    kenneth kevin larry lawrence leon leonard louis luis luke
    malcolm marco mark martin matt matthew maurice max michael miguel mike mitch mitt mohammed
    muhammad narendra nathan neil newt nicholas nick nigel norman oliver omar oscar patrick paul
    pedro peter philip phillip rahm ralph rand randy ray raymond reince rex richard rick rob
    robert rodrigo roger ron ronald rudy russell ryan sam samuel scott sean sergei sergey shinzo
    stephen steve steven stuart ted terry thomas tim timothy todd tom tommy tony travis trey
    victor vincent vladimir walter warren wayne william willie zachary
    """.split()
)
FEMALE_GIVEN_NAMES = frozenset(
    """
    abigail alice alicia allison amanda amy ana andrea angela angelina ann anna anne annie
    barbara betsy betty beverly brenda carla carly carol caroline catherine cathy chelsea cheryl
    christina christine claire condoleezza cynthia debbie deborah debra denise diana
    diane dianne donna doris dorothy elaine eleanor elena elizabeth ellen emily emma erin esther
    evelyn federica florence frances gina gloria hannah heather heidi helen hillary hope huma
    ivana ivanka jackie jacqueline jane janet janice jennifer jessica jill joan joanne joyce
    judith judy julia julie karen kate katherine kathleen kathryn kathy katie kay kellyanne
    kirsten kristen laura lauren linda lisa liz loretta lori lucy lynn madeleine margaret maria
    marie marilyn marine martha mary megan melania melanie melissa michelle mildred nancy natalie
    nicola nicole nikki nina olivia pamela patricia paula peggy rachel rebecca rita roberta rose
    ruth sally samantha sandra sara sarah sharon sheila shirley sonia stephanie sue susan susana
    suzanne tammy teresa theresa tina tracy tulsi ursula valerie vanessa victoria virginia wendy
    yvonne
    """.split()
)


def given_name_gender(word: str) -> str | None:
    """'m' or 'f' for a common unambiguous given name, else None."""
    lowered = word.lower()
    if lowered in MALE_GIVEN_NAMES:
        return "m"
    if lowered in FEMALE_GIVEN_NAMES:
        return "f"
    return None
