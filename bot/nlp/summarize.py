"""Extractive summaries from the one spaCy parse: a cleaned lead by default, sumy's methods too.

On human-written references (SummEval, Newsroom) nothing tried here beats the article's own first
sentences robustly, so the default is the lead without what is not news: boilerplate lines
(bylines, "Updated:", credits, contact lines), the tail of a quote split into its own sentence, a
wire agency's tag or photo credit glued to a sentence. `position` (a position prior plus likeness
to the lead and the title) and the sumy rankers stay available by name.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, Span
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.reduction import ReductionSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer

from bot.domain.analysis import Summary
from bot.domain.limits import DEFAULT_SUMMARY_METHOD, SUMMARY_METHODS
from bot.nlp.sentences import sentences
from bot.nlp.text_filters import CLAUSE_END, CONTACT, stemmer, stop_words

log = logging.getLogger(__name__)

DEFAULT_METHOD = DEFAULT_SUMMARY_METHOD
SUMY_METHODS: tuple[str, ...] = (
    "lexrank",
    "textrank",
    "lsa",
    "luhn",
    "kl",
    "sumbasic",
    "reduction",
)
LEAD_METHODS = frozenset({DEFAULT_METHOD, "lead"})  # article order: no ranking, no stems
POSITION_METHOD = "position"  # position prior + likeness to the lead and title (the old default)
METHODS: tuple[str, ...] = (DEFAULT_METHOD, "lead", POSITION_METHOD, *SUMY_METHODS)
# The domain lists the methods for the front ends; this is where they are implemented.
assert set(METHODS) == set(SUMMARY_METHODS), "bot.domain.limits.SUMMARY_METHODS is out of date"

MIN_CANDIDATE_WORDS = 6  # shorter sentences are fragments, captions or datelines
HEADING_MAX_WORDS = 14  # a line this short without final punctuation is a heading
KL_MAX_CANDIDATES = 120  # KL's greedy search is quadratic in sentences and words
# LexRank, TextRank, LSA and Reduction compare every sentence with every other: on a long page
# only the first SUMY_MAX_CANDIDATES candidates are ranked (news puts the point first anyway).
SUMY_MAX_CANDIDATES = 400

# Lines that frame an article rather than tell it; only short ones are dropped, since a
# caption or byline glued to a real sentence still carries the story.
_BOILERPLATE = re.compile(
    r"^\W*(By\s+[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){0,3}\s*(,|$|\|)"
    r"|(?i:published:|updated:?\s|last updated|follow\s+@|click here|scroll down|read more"
    r"|sign up|subscribe|copyright|all rights reserved|please read our|share this|related:"
    r"|advertisement|photo:|image:|video:|this (?:article|story|report) (?:is|was) based))"
)
BOILERPLATE_MAX_WORDS = 20
# What the cleaned lead strips from the front of a sentence: a wire agency's tag ("(CNN) --",
# "(Reuters) -") or a photo credit ("JANE ROE / THE HERALD In his ..."). A city dateline
# ("MADRID —") stays: the place is news, and human summaries repeat it (Newsroom).
_AGENCY_PREFIX = re.compile(r"^\((?:CNN|AP|AFP|Reuters|Xinhua|UPI)\)\s*[—–-]{1,2}\s*")
_CREDIT_PREFIX = re.compile(
    r"^(?:[A-Z][A-Z.'’-]*\s+){1,4}/\s*(?:[A-Z][A-Z.'’&-]*\s+){0,4}[A-Z][A-Z.'’&-]*\s+(?=[A-Z][a-z])"
)
# A sentence that starts with a closing quote mark, or in lower case up to a closing mark, is the
# tail of a quote the sentence splitter cut ("and that is all,” she said.").
_QUOTE_TAIL = re.compile(r"^[^“\"]*[,.!?…]”")
_CLOSING_FIRST = frozenset({"”", "’"})
_OPENING_QUOTES = frozenset({'"', "“", "'", "‘", "`"})


@dataclass(frozen=True)
class Candidate:
    """One sentence the summary may use, with what the rankers need from the parse."""

    index: int  # position in list(doc.sents)
    order: int  # position among candidates
    paragraph: int
    text: str
    words: tuple[str, ...]  # alphanumeric tokens, as sumy's tokenizer would give them
    stems: tuple[str, ...]  # lower-cased stems of non-stop words
    boilerplate: bool
    lead_skip: bool = False  # the tail of a quote: never part of the cleaned lead


@dataclass(frozen=True)
class Prepared:
    """The article as candidates and a sumy document built from the same tokens."""

    candidates: tuple[Candidate, ...]
    headings: tuple[str, ...]


class _PrecomputedTokenizer:
    """sumy asks a tokenizer for words; this one hands back the spaCy tokens already computed."""

    def __init__(self, words_by_text: dict[str, tuple[str, ...]]) -> None:
        self._words_by_text = words_by_text

    def to_words(self, text: str) -> tuple[str, ...]:
        return self._words_by_text.get(text.strip(), ())

    def to_sentences(self, text: str) -> tuple[str, ...]:
        return (text,)


class _Ratings:
    """A sumy `sentences_count` callable that records every sentence's rating and order."""

    def __init__(self) -> None:
        self.by_order: dict[int, float] = {}

    def __call__(self, infos: Sequence[Any]) -> Sequence[Any]:
        for info in infos:
            self.by_order[info.order] = float(info.rating)
        return infos


class _BoundedKLSummarizer(KLSummarizer):
    """sumy's KL, stopping the greedy search once enough sentences are ranked."""

    def __init__(self, stemmer: Callable[[str], str], wanted: int) -> None:
        super().__init__(stemmer)
        self._wanted = wanted

    def _compute_ratings(self, sentences: Sequence[Sentence]) -> dict[Sentence, float]:
        word_freq = self.compute_tf(sentences)
        ratings: dict[Sentence, float] = {}
        remaining = list(sentences)
        remaining_words = [self._get_content_words_in_sentence(s) for s in sentences]
        summary_words: list[str] = []
        while remaining and len(ratings) < self._wanted:
            kls = [
                self._kl_divergence(self._joint_freq(words, summary_words), word_freq)
                for words in remaining_words
            ]
            best = kls.index(min(kls))
            chosen = remaining.pop(best)
            summary_words.extend(remaining_words.pop(best))
            ratings[chosen] = -len(ratings)
        for sentence in remaining:  # unranked: after every ranked one, in article order
            ratings.setdefault(sentence, -len(sentences) - 1.0)
        return ratings


def _line_is_heading(sent: Span, words: Sequence[str]) -> bool:
    text = sent.text.strip()
    return bool(text) and not CLAUSE_END.search(text) and len(words) <= HEADING_MAX_WORDS


def _not_a_lead_sentence(text: str) -> bool:
    """The tail of a quote split from it ("” he added." / "and that is all,” she said.")."""
    if text[:1] in _CLOSING_FIRST:
        return True
    return text[:1].islower() and bool(_QUOTE_TAIL.match(text))


def clean_sentence(text: str) -> str:
    """A sentence without the agency tag or photo credit glued to its front."""
    for pattern in (_CREDIT_PREFIX, _AGENCY_PREFIX):
        match = pattern.match(text)
        if match and len(text) - match.end() > 20:
            text = text[match.end() :]
    return text


def prepare(doc: Doc, *, with_stems: bool = True) -> Prepared:
    """Split the parse into candidate sentences and headings, once per document; the lead
    methods need no stems (the rankers do), so they can skip stemming."""
    stops = stop_words()
    stem = stemmer()
    candidates: list[Candidate] = []
    headings: list[str] = []
    paragraph = 0
    previous_end = 0
    full_text = doc.text  # Doc.text joins every token on each call: read it once
    for index, sent in enumerate(sentences(doc)):
        text = sent.text.strip()
        if not text:
            continue
        start = sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
        if "\n" in full_text[previous_end:start]:
            paragraph += 1
        previous_end = start + len(text)
        words = tuple(t.text for t in sent if not t.is_space and any(c.isalnum() for c in t.text))
        if _line_is_heading(sent, words):
            headings.append(text)
            continue
        if len(words) < MIN_CANDIDATE_WORDS:
            continue
        stems = (
            tuple(stem(w.lower()) for w in words if w.lower() not in stops) if with_stems else ()
        )
        candidates.append(
            Candidate(
                index=index,
                order=len(candidates),
                paragraph=paragraph,
                text=text,
                words=words,
                stems=stems,
                boilerplate=bool(
                    (_BOILERPLATE.search(text) and len(words) <= BOILERPLATE_MAX_WORDS)
                    or CONTACT.search(text)
                ),
                lead_skip=_not_a_lead_sentence(text),
            )
        )
    if not candidates:  # a text of fragments only: take whatever there is
        for index, sent in enumerate(sentences(doc)):
            text = sent.text.strip()
            words = tuple(t.text for t in sent if any(c.isalnum() for c in t.text))
            if text and words:
                stems = tuple(stem(w.lower()) for w in words)
                candidates.append(Candidate(index, len(candidates), 0, text, words, stems, False))
    return Prepared(tuple(candidates), tuple(headings))


def sumy_document(prepared: Prepared) -> ObjectDocumentModel:
    """A sumy document whose sentences carry the spaCy tokens (no second tokenization)."""
    words_by_text = {c.text: c.words for c in prepared.candidates}
    tokenizer = _PrecomputedTokenizer(words_by_text)
    paragraphs: dict[int, list[Sentence]] = {}
    for candidate in prepared.candidates:
        sentence = Sentence(candidate.text, tokenizer)
        paragraphs.setdefault(candidate.paragraph, []).append(sentence)
    return ObjectDocumentModel([Paragraph(p) for p in paragraphs.values()])


def _sumy_summarizer(method: str, wanted: int) -> Any:
    stem = stemmer()
    summarizer: Any
    if method == "lexrank":
        summarizer = LexRankSummarizer(stem)
    elif method == "textrank":
        summarizer = TextRankSummarizer(stem)
    elif method == "lsa":
        summarizer = LsaSummarizer(stem)
    elif method == "luhn":
        summarizer = LuhnSummarizer(stem)
    elif method == "kl":
        summarizer = _BoundedKLSummarizer(stem, wanted)
    elif method == "sumbasic":
        summarizer = SumBasicSummarizer(stem)
    elif method == "reduction":
        summarizer = ReductionSummarizer(stem)
    else:
        raise ValueError(f"unknown sumy method {method!r}")
    summarizer.stop_words = stop_words()
    return summarizer


def sumy_scores(prepared: Prepared, method: str, wanted: int = 10) -> list[float]:
    """Each candidate's rating by one sumy method (higher is better; -inf past the cap)."""
    candidates = prepared.candidates
    if not candidates:
        return []
    most = KL_MAX_CANDIDATES if method == "kl" else SUMY_MAX_CANDIDATES
    if len(candidates) > most:
        ranked = sumy_scores(Prepared(candidates[:most], prepared.headings), method, wanted)
        return ranked + [-math.inf] * (len(candidates) - most)
    document = sumy_document(prepared)
    ratings = _Ratings()
    summarizer = _sumy_summarizer(method, wanted)
    with warnings.catch_warnings():
        # LSA warns when a short text has fewer distinct words than sentences.
        warnings.simplefilter("ignore", UserWarning)
        summarizer(document, ratings)
    return [ratings.by_order.get(c.order, -math.inf) for c in candidates]


def _normalised(values: Sequence[float]) -> list[float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return [0.0 for _ in values]
    low, high = min(finite), max(finite)
    span = high - low
    if span <= 0:
        return [1.0 if math.isfinite(v) else 0.0 for v in values]
    return [(v - low) / span if math.isfinite(v) else 0.0 for v in values]


def _overlap(a: Sequence[str], b: Sequence[str]) -> float:
    """Share of the shorter sentence's content stems found in the other."""
    set_a, set_b = set(a), set(b)
    if not set_a or not set_b:
        return 0.0
    return len(set_a & set_b) / min(len(set_a), len(set_b))


@dataclass(frozen=True)
class PositionWeights:
    """The `position` ranker's knobs (the default until the cleaned lead matched it everywhere)."""

    position_decay: float = 0.3  # prior = exp(-decay * candidate order): news puts the point first
    lead_similarity: float = 0.3  # sentences that restate the opening carry the story
    title: float = 0.6  # sentences that share the headline's words (BBC dev: +1 R1)
    centrality: float = 0.0  # LexRank: helps machine-extract sets, hurts human references
    boilerplate_penalty: float = 2.0
    quote_penalty: float = 0.15  # an opening quote rarely stands alone in a summary
    redundancy: float = 0.6  # overlap above this with a chosen sentence removes a candidate


POSITION_WEIGHTS = PositionWeights()


def _title_stems(title: str | None) -> tuple[str, ...]:
    if not title:
        return ()
    stem = stemmer()
    stops = stop_words()
    return tuple(stem(w.lower()) for w in re.findall(r"\w+", title) if w.lower() not in stops)


def position_scores(
    prepared: Prepared,
    *,
    title: str | None = None,
    weights: PositionWeights = POSITION_WEIGHTS,
) -> list[float]:
    """Position prior + likeness to the lead and the title (+ optional LexRank), minus junk."""
    candidates = prepared.candidates
    if not candidates:
        return []
    centrality = (
        _normalised(sumy_scores(prepared, "lexrank"))
        if weights.centrality
        else [0.0] * len(candidates)
    )
    title_stems = _title_stems(title)
    lead_stems = candidates[0].stems
    scores = []
    for candidate, central in zip(candidates, centrality, strict=True):
        score = math.exp(-weights.position_decay * candidate.order)
        if candidate.order:
            score += weights.lead_similarity * _overlap(lead_stems, candidate.stems)
        score += weights.centrality * central
        if title_stems:
            score += weights.title * _overlap(title_stems, candidate.stems)
        if candidate.boilerplate:
            score -= weights.boilerplate_penalty
        if candidate.text[:1] in _OPENING_QUOTES:
            score -= weights.quote_penalty
        scores.append(score)
    return scores


def _ranking(
    prepared: Prepared, method: str, title: str | None, wanted: int
) -> tuple[list[Candidate], float]:
    """Candidates best first, and the overlap above which a later one is a near-duplicate."""
    candidates = list(prepared.candidates)
    if method == "lead":
        return candidates, 1.01
    if method == DEFAULT_METHOD:
        # the cleaned lead: news puts the point first, and no ranker tried here beat that on
        # human-written references (docs/evaluation.md)
        clean = [c for c in candidates if not (c.boilerplate or c.lead_skip)]
        return clean or candidates, 1.01
    if method == POSITION_METHOD:
        scores = position_scores(prepared, title=title, weights=POSITION_WEIGHTS)
        redundancy = POSITION_WEIGHTS.redundancy
        if any(not c.boilerplate for c in candidates):  # never end a brief on a footer line
            kept = [i for i, c in enumerate(candidates) if not c.boilerplate]
            candidates = [candidates[i] for i in kept]
            scores = [scores[i] for i in kept]
    else:
        scores = sumy_scores(prepared, method, wanted)
        redundancy = 1.01
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))
    return [candidates[i] for i in order], redundancy


def _select(
    ranked: Sequence[Candidate], redundancy: float, sentences: int, words: int | None
) -> list[Candidate]:
    chosen: list[Candidate] = []
    total_words = 0
    for candidate in ranked:
        if words is None and len(chosen) >= sentences:
            break
        if words is not None and total_words >= words:
            break
        if any(_overlap(candidate.stems, c.stems) > redundancy for c in chosen):
            continue
        chosen.append(candidate)
        total_words += len(candidate.words)
    return sorted(chosen, key=lambda c: c.index)


def check_method(method: str | None) -> str:
    """The method name to use, or ValueError listing the valid ones."""
    name = (method or DEFAULT_METHOD).strip().lower()
    if name not in METHODS:
        raise ValueError(f"unknown summary method {method!r}; choose one of: {', '.join(METHODS)}")
    return name


def summarize(
    doc: Doc,
    *,
    method: str | None = None,
    sentences: int = 3,
    title: str | None = None,
    words: int | None = None,
) -> Summary:
    """The article's key sentences in article order; `words` swaps the count for a word budget."""
    name = check_method(method)
    prepared = prepare(doc, with_stems=name not in LEAD_METHODS)
    wanted = max(sentences, 1)
    if words is not None and prepared.candidates:
        mean_words = sum(len(c.words) for c in prepared.candidates) / len(prepared.candidates)
        wanted = math.ceil(words / mean_words) + 3
    ranked, redundancy = _ranking(prepared, name, title, wanted)
    chosen = _select(ranked, redundancy, max(sentences, 0), words)
    cleaned = name == DEFAULT_METHOD
    return Summary(
        method=name,
        sentences=tuple(clean_sentence(c.text) if cleaned else c.text for c in chosen),
        sentence_indices=tuple(c.index for c in chosen),
    )
