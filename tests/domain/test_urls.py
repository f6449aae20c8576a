"""canonical_url and the search syntax: the pure rules behind dedupe and safe search."""

from __future__ import annotations

import pytest

from bot.domain.errors import BadInputError
from bot.domain.urls import canonical_url, checked_link, text_fingerprint
from storage.sqlite.search import fts_query


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("HTTPS://News.Example.ORG/World/Talks", "https://news.example.org/World/Talks"),
        ("https://news.example.org/world/talks/", "https://news.example.org/world/talks"),
        ("https://news.example.org/world/talks#comments", "https://news.example.org/world/talks"),
        ("https://news.example.org:443/world/talks", "https://news.example.org/world/talks"),
        ("http://news.example.org:80/world/talks", "http://news.example.org/world/talks"),
        ("http://news.example.org:8080/world/talks", "http://news.example.org:8080/world/talks"),
        (
            "https://news.example.org/world/talks?utm_source=tw&utm_MEDIUM=x&id=7&fbclid=abc",
            "https://news.example.org/world/talks?id=7",
        ),
        (
            "https://news.example.org/world/talks?gclid=1&ref=homepage",
            "https://news.example.org/world/talks",
        ),
        ("https://news.example.org/", "https://news.example.org"),
        ("  https://news.example.org/a  ", "https://news.example.org/a"),
        ("http://[2001:DB8::1]:80/a/", "http://[2001:db8::1]/a"),
    ],
)
def test_canonical_url_normalises_variants(variant: str, expected: str) -> None:
    assert canonical_url(variant) == expected


def test_canonical_url_keeps_what_changes_the_page() -> None:
    # Path case and real parameters select different pages; keep them, in order.
    assert canonical_url("https://e.org/A?page=2&q=x") == "https://e.org/A?page=2&q=x"
    assert canonical_url("https://e.org/a?page=2") != canonical_url("https://e.org/a?page=3")


def test_canonical_url_leaves_non_urls_alone() -> None:
    assert canonical_url("not a url") == "not a url"
    assert canonical_url("http://[broken") == "http://[broken"


def test_text_fingerprint_ignores_case_and_spacing() -> None:
    assert text_fingerprint("Talks  resume\nin Geneva.") == text_fingerprint(
        "talks resume in GENEVA."
    )
    assert text_fingerprint("Talks resume.") != text_fingerprint("Talks stall.")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("iran nuclear", '"iran" "nuclear"'),
        ("sanction*", '"sanction"*'),
        ('"security council" vote', '"security council" "vote"'),
        ("post-war order", '"post war" "order"'),
        ("NOT AND OR NEAR", '"NOT" "AND" "OR" "NEAR"'),
        ("title:china", '"title china"'),
        ("(((", None),
        ("   ", None),
        ('"', None),
    ],
)
def test_fts_query_quotes_every_term(query: str, expected: str | None) -> None:
    assert fts_query(query) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "https://example.com/a",
        "<https://example.com/a?b=1>",
        "  https://en.wikipedia.org/wiki/Treaty_of_Versailles_(1919)  ",
        "http://[2001:db8::1]/a",
    ],
)
def test_checked_link_accepts_one_address(typed: str) -> None:
    assert checked_link(typed) == typed.strip().removeprefix("<").removesuffix(">")


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("not a link", "not a web link"),
        ("ftp://example.com/a", "not a web link"),
        ("https://example.com/a) [Free Nitro](https://evil.example/x", "spaces"),
        ("https://example.com/a)[Free](https://evil.example/x", "brackets"),
        ("https://example.com/a\nb", "spaces"),
        ('https://example.com/"onmouseover', "quotes"),
        ("https://example.com/a)", "brackets"),
        ("https://example.com/" + "a" * 2100, "longer than 2,048"),
    ],
)
def test_checked_link_refuses_anything_but_one_address(typed: str, reason: str) -> None:
    with pytest.raises(BadInputError, match=reason):
        checked_link(typed)
