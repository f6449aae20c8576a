"""The article service: a link is fetched and analysed once, whatever way it is posted."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.analysis import AnalysisRequest, AnalyzedArticle, ThreadAnalyzer
from bot.app import App
from bot.config import Settings
from bot.domain.errors import NotFoundError
from tests.pages import PageServer

GUILD = 31
OTHER_GUILD = 32
SHARED_ANALYZER = ThreadAnalyzer(None)


class CountingAnalyzer:
    """The real analyser, counting how many documents it was given."""

    def __init__(self) -> None:
        self.analysed: list[str] = []

    async def analyze(self, request: AnalysisRequest) -> AnalyzedArticle:
        self.analysed.append(request.name)
        return await SHARED_ANALYZER.analyze(request)

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        return await SHARED_ANALYZER.run(function, *args)

    async def close(self) -> None:
        return None


@pytest.fixture
async def counted(
    tmp_path: Path, apps: Callable[..., Awaitable[App]]
) -> tuple[App, CountingAnalyzer]:
    analyzer = CountingAnalyzer()
    settings = Settings.from_env(
        {"DIPLOBRIEF_DATABASE": str(tmp_path / "db.sqlite"), "DIPLOBRIEF_FETCH_ALLOW_PRIVATE": "1"}
    )
    return await apps(settings, analyzer=analyzer), analyzer


def article_fetches(pages: PageServer) -> int:
    return pages.hits.count("/news/ministers-border.html")


async def test_a_redirecting_link_posted_three_times_is_fetched_and_analysed_once(
    counted: tuple[App, CountingAnalyzer], page_server: PageServer
) -> None:
    app, analyzer = counted
    link = page_server.url("redirect/1")
    first = await app.articles.add_url(GUILD, link)
    assert first.created
    second = await app.articles.add_url(GUILD, link + "?utm_source=chat")
    third = await app.articles.add_url(GUILD, link)
    assert not second.created and not third.created
    assert second.article.id == third.article.id == first.article.id
    assert article_fetches(page_server) == 1 and page_server.hits.count("/redirect/1") == 1
    assert len(analyzer.analysed) == 1
    # The page it redirected to is known too, and another library fetches for itself.
    assert (await app.articles.add_url(GUILD, first.article.url or "")).article == first.article
    assert article_fetches(page_server) == 1
    assert (await app.articles.add_url(OTHER_GUILD, link)).created
    assert article_fetches(page_server) == 2


async def test_the_same_link_posted_at_once_is_fetched_once(
    counted: tuple[App, CountingAnalyzer], page_server: PageServer
) -> None:
    app, analyzer = counted
    link = page_server.url("redirect/2")
    reports = await asyncio.gather(*(app.articles.add_url(GUILD, link) for _ in range(3)))
    assert sum(report.created for report in reports) == 1
    assert len({report.article.id for report in reports}) == 1
    assert article_fetches(page_server) == 1 and len(analyzer.analysed) == 1


async def test_articles_are_found_by_number_or_link(
    counted: tuple[App, CountingAnalyzer], page_server: PageServer
) -> None:
    app, _ = counted
    report = await app.articles.add_url(GUILD, page_server.url("redirect/1"))
    found = report.article.id
    assert await app.articles.find_article(GUILD, f"#{found}") == found
    assert await app.articles.find_article(GUILD, str(found)) == found
    assert await app.articles.find_article(GUILD, page_server.url("redirect/1")) == found
    with pytest.raises(NotFoundError):
        await app.articles.find_article(GUILD, "https://elsewhere.example/never-stored")
    with pytest.raises(NotFoundError):
        await app.articles.find_article(GUILD, "the one about fish")


@pytest.mark.parametrize("number", ["#99999999999999999999", "9223372036854775808", "#0"])
async def test_out_of_range_numbers_are_not_found(
    counted: tuple[App, CountingAnalyzer], number: str
) -> None:
    app, _ = counted
    with pytest.raises(NotFoundError, match="No article"):
        await app.articles.find_article(GUILD, number)
    with pytest.raises(NotFoundError, match="No article"):
        await app.articles.quotes(GUILD, article=number)
    with pytest.raises(NotFoundError, match="No article"):
        await app.articles.article(GUILD, 10**20)
    with pytest.raises(NotFoundError, match="No article"):
        await app.articles.remove_article(GUILD, 10**20)


FORGED = (
    "Ministers abandoned every agreement on Thursday and walked out of the talks in anger.\n"
    "Officials said no crossing would ever reopen and the border would stay closed for good.\n"
    "Observers in Vienna described the mood as the worst in a decade of negotiations there.\n"
)


async def test_pasted_text_never_stands_in_for_the_page_it_names(
    counted: tuple[App, CountingAnalyzer], page_server: PageServer
) -> None:
    app, _ = counted
    page = page_server.url("news/ministers-border.html")
    pasted = await app.articles.add_document(
        GUILD, FORGED, title="Talks Collapse", url=page, added_by=66
    )
    assert pasted.article.pasted and pasted.article.url is None
    assert pasted.article.given_url == page and pasted.article.added_by == 66
    assert article_fetches(page_server) == 0
    with pytest.raises(NotFoundError):
        await app.articles.find_article(GUILD, page)

    # Summarising the link fetches the real page, under every spelling of it.
    for link in (page + "?utm_source=forged", page):
        report = await app.articles.add_url(GUILD, link, added_by=77)
        assert not report.article.pasted
        assert (
            report.article.title
            == "Ministers Agree to Reopen Border Crossing After Talks in Vienna"
        )
        assert "walked out" not in report.article.text
    assert article_fetches(page_server) == 1
    assert report.article.id != pasted.article.id
    assert await app.articles.find_article(GUILD, page) == report.article.id
