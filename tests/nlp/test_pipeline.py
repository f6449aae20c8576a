"""One article, bounded: only the first MAX_ANALYSED_CHARS are analysed, cut at a boundary."""

from __future__ import annotations

from spacy.language import Language

from bot.analysis import AnalysisRequest, run_request
from bot.domain.articles import ExtractedArticle
from bot.domain.limits import MAX_ANALYSED_CHARS
from bot.nlp.pipeline import bounded
from tests.long_article import long_article_text


def test_a_short_article_is_left_whole() -> None:
    article = ExtractedArticle(text="Envoys met in Oslo on Monday.\nThey agreed.")
    assert bounded(article) is article


def test_a_long_article_is_cut_at_a_paragraph_end_and_says_how_long_it_was() -> None:
    paragraph = "Envoys met again in Oslo on Monday and agreed to talk once more. " * 5
    text = "\n".join([paragraph.strip()] * 400)
    cut = bounded(ExtractedArticle(text=text), limit=10_000)
    assert len(cut.text) <= 10_000 and cut.cut_from == len(text)
    assert text.startswith(cut.text) and text[len(cut.text)] == "\n"


def test_one_endless_sentence_is_cut_at_a_word() -> None:
    text = "and the talks went on " * 2_000
    cut = bounded(ExtractedArticle(text=text), limit=1_000)
    assert len(cut.text) <= 1_000 and not cut.text.endswith(("an", "th", " "))


def test_a_3_mb_plain_text_gets_a_bounded_analysis(nlp: Language) -> None:
    data = long_article_text(500_000).encode()
    assert len(data) > 3_000_000
    result = run_request(nlp, AnalysisRequest(data=data, name="big.txt"))
    article, analysis = result.article, result.analysis
    assert len(article.text) <= MAX_ANALYSED_CHARS
    assert article.cut_from is not None and article.cut_from > 3_000_000
    assert analysis.summary.sentences and analysis.countries and analysis.quotes
    assert all(end <= len(article.text) for _, end in analysis.sentence_spans)
    assert all(article.text[q.start : q.end] == q.text for q in analysis.quotes)
