"""Summaries a reader would accept: real sentences, in article order, never a heading."""

from __future__ import annotations

import random

import pytest
from spacy.language import Language

from bot.nlp.summarize import DEFAULT_METHOD, METHODS, POSITION_METHOD, summarize
from tests.conftest import shared_path

ARTICLE = """Ministers from Norway and Chile met in Oslo on Monday to negotiate a fisheries treaty.
The treaty would set quotas for deep-sea trawlers that fish the southern Pacific.
Negotiators said the quotas were the hardest part of the talks.
Quotas and a dispute panel
Norway wants a dispute panel that can fine trawlers that break the quotas.
Chile says a panel would weaken its own coast guard, which already patrols the fishing grounds.
The two delegations spent most of Monday arguing about the panel and the size of the fines.
"We are close, but not there yet," the Norwegian minister told reporters after the talks.
Fish stocks
Scientists warn that stocks of jack mackerel have fallen by a third in a decade.
Environmental groups want the treaty to cut the quotas further and ban trawling near reefs.
The fishing industry says deeper cuts would cost thousands of jobs in both countries.
Next steps
Talks resume in Santiago next month, when both sides hope to sign the treaty.
Ok.
"""
HEADINGS = ("Quotas and a dispute panel", "Fish stocks", "Next steps")


@pytest.mark.parametrize("method", METHODS)
def test_every_method_returns_whole_sentences_in_article_order(nlp: Language, method: str) -> None:
    doc = nlp(ARTICLE)
    sentences = [s.text.strip() for s in doc.sents]
    summary = summarize(doc, method=method, sentences=3)
    assert summary.method == method
    assert len(summary.sentences) == 3
    assert list(summary.sentence_indices) == sorted(summary.sentence_indices)
    for index, text in zip(summary.sentence_indices, summary.sentences, strict=True):
        assert sentences[index].endswith(text)  # the default may strip an agency tag
    for text in summary.sentences:
        assert text not in HEADINGS
        assert text != "Ok."


def test_default_method_is_named_and_listed(nlp: Language) -> None:
    summary = summarize(nlp(ARTICLE))
    assert summary.method == DEFAULT_METHOD
    assert DEFAULT_METHOD in METHODS and "lead" in METHODS


def test_lead_takes_the_first_sentences_after_skipping_headings(nlp: Language) -> None:
    text = "Talks resume\n" + ARTICLE
    summary = summarize(nlp(text), method="lead", sentences=2)
    assert summary.sentences[0].startswith("Ministers from Norway and Chile")
    assert summary.sentences[1].startswith("The treaty would set quotas")


def test_a_word_budget_stops_once_reached(nlp: Language) -> None:
    summary = summarize(nlp(ARTICLE), method="lead", words=20)
    assert len(summary.sentences) == 2  # the first has 15 words, the second reaches 20+


def test_default_never_picks_footer_lines(nlp: Language) -> None:
    text = (
        ARTICLE
        + "This article is based in part on wire service reports.\n"
        + "Jane Roe can be reached at jroe@example.com.\n"
        + "Please read our comment policy before commenting.\n"
    )
    summary = summarize(nlp(text), sentences=20)
    assert summary.sentences  # every real sentence, none of the footer
    for text_line in summary.sentences:
        assert "wire service" not in text_line
        assert "@" not in text_line
        assert "comment policy" not in text_line


def test_default_summary_of_the_seed_opens_with_its_lead(nlp: Language, seed_text: str) -> None:
    summary = summarize(nlp(seed_text), sentences=3)
    assert summary.sentences[0].startswith("Chinese officials say they are willing")
    assert "Balking at sanctions" not in summary.sentences


def test_default_is_the_lead_without_what_is_not_news(nlp: Language) -> None:
    text = (
        "Border talks resume\n"
        "By Jane Roe\n"
        "LIMA (Reuters) - Peru and Chile reopened talks on their maritime border on Monday.\n"
        "The two foreign ministers met for three hours in the presidential palace.\n"
        "” and that is all we will say,” one official added.\n"
        "Negotiators said a deal on fishing rights could follow within a month.\n"
        "Both sides want the dispute settled before the summit in November.\n"
    )
    summary = summarize(nlp(text), sentences=3)
    assert summary.sentences == (
        "Peru and Chile reopened talks on their maritime border on Monday.",
        "The two foreign ministers met for three hours in the presidential palace.",
        "Negotiators said a deal on fishing rights could follow within a month.",
    )
    lead = summarize(nlp(text), method="lead", sentences=3)
    assert any("one official added" in s for s in lead.sentences)  # the raw lead keeps it


def test_default_strips_an_agency_tag_and_a_photo_credit(nlp: Language) -> None:
    text = (
        "(Reuters) - Peru and Chile reopened talks on their maritime border on Monday.\n"
        "JANE ROE / THE DAILY HERALD The two foreign ministers met for three hours in Lima.\n"
    )
    summary = summarize(nlp(text), sentences=2)
    assert summary.sentences == (
        "Peru and Chile reopened talks on their maritime border on Monday.",
        "The two foreign ministers met for three hours in Lima.",
    )


def test_unknown_method_names_the_valid_ones(nlp: Language) -> None:
    with pytest.raises(ValueError, match="lexrank") as error:
        summarize(nlp(ARTICLE), method="bogus")
    assert "bogus" in str(error.value)


def test_method_names_ignore_case(nlp: Language) -> None:
    assert summarize(nlp(ARTICLE), method="LexRank").method == "lexrank"


def test_kl_finishes_on_a_long_article(nlp: Language) -> None:
    rng = random.Random(7)
    subjects = ["The minister", "The envoy", "A spokesman", "The committee", "The delegation"]
    verbs = ["said", "warned", "argued", "insisted", "denied"]
    topics = ["quotas", "tariffs", "sanctions", "patrols", "subsidies", "inspections", "fines"]
    lines = [
        f"{rng.choice(subjects)} {rng.choice(verbs)} that the {rng.choice(topics)} on "
        f"{rng.choice(topics)} would change after {rng.randint(2, 90)} days of talks."
        for _ in range(400)
    ]
    doc = nlp("\n".join(lines))
    summary = summarize(doc, method="kl", sentences=3)
    assert len(summary.sentences) == 3


def test_short_texts_still_summarize(nlp: Language) -> None:
    summary = summarize(nlp("Talks failed."), sentences=3)
    assert summary.sentences == ("Talks failed.",)
    assert summarize(nlp(""), sentences=3).sentences == ()


@pytest.mark.shared
@pytest.mark.parametrize("dataset", ["summeval-cnndm", "newsroom"])
def test_default_never_falls_behind_lead3(nlp: Language, dataset: str) -> None:
    shared_path("data", "human-refs", f"{dataset}.jsonl")
    from bench.eval.summaries import RougeF1, load_human_set, parse_items, score_method

    items = load_human_set(dataset, 20)
    docs = parse_items(nlp, items)
    rouge = RougeF1()
    rows = {
        (row.method, row.budget): row
        for method in (DEFAULT_METHOD, "lead", "lexrank")
        for row in score_method(dataset, method, items, docs, rouge)
    }
    for budget in ("3 sentences", "reference words"):
        ours, lead, lexrank = (rows[(m, budget)] for m in (DEFAULT_METHOD, "lead", "lexrank"))
        # Measured on these 20 articles: equal to Lead-3 (the cleaned lead drops nothing here).
        assert ours.rouge1 >= lead.rouge1 - 0.1
        assert ours.rouge2 >= lead.rouge2 - 0.1
        assert ours.rouge1 >= lexrank.rouge1 + 1.0
        assert ours.rouge1 >= 23.0  # measured 26.1-34.7


@pytest.mark.shared
def test_position_ranker_beats_lead3_on_bbc_dev_extracts(nlp: Language) -> None:
    shared_path("data", "bbc-news-summary", "bbc-news-summary.jsonl.gz")
    from bench.eval.summaries import RougeF1, load_bbc, parse_items, score_method

    items = load_bbc(20)
    docs = parse_items(nlp, items)
    rouge = RougeF1()
    rows = {
        (row.method, row.budget): row
        for method in (POSITION_METHOD, "lead")
        for row in score_method("bbc", method, items, docs, rouge)
    }
    # BBC's references are machine-selected extracts (~40% of the article), not human summaries:
    # the position ranker covers them better than the lead; measured on these 20 politics dev
    # articles 71.3 vs 68.1 ROUGE-1 at the reference's length.
    ours, lead = rows[(POSITION_METHOD, "reference words")], rows[("lead", "reference words")]
    assert ours.rouge1 >= lead.rouge1 + 1.0
    assert ours.rouge2 >= lead.rouge2 + 1.0
