"""canonical_url and the search syntax: the pure rules behind dedupe and safe search."""

from __future__ import annotations

import pytest

from bot.domain.urls import canonical_url, text_fingerprint
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
