"""Extraction: plain text keeps offsets and drops boilerplate; HTML goes through trafilatura."""

from __future__ import annotations

import gzip
import json

import pytest

from bot.domain.errors import BadInputError, NotAnArticleError
from bot.nlp.extract import decode_input, extract, extract_text
from tests.conftest import shared_path

ARTICLE = (
    "Ministers meet in Geneva\n"
    "Foreign ministers from France and Germany met in Geneva on Tuesday to discuss a ceasefire.\n"
    "\n"
    "• Jane Doe can be reached at jdoe@example.com.\n"
    "“We are closer than ever,” the French minister said after the talks ended late at night.\n"
    "Please read our comment policy before commenting.\n"
)

HTML = """<!doctype html><html><head><title>Talks resume in Vienna | World Report</title>
<meta property="og:site_name" content="World Report">
<meta name="author" content="Alex Writer">
<meta property="article:published_time" content="2024-03-05T10:00:00Z"></head>
<body><nav>Home | World | Politics</nav><article><h1>Talks resume in Vienna</h1>
<p>Diplomats from Iran and the European Union resumed talks in Vienna on Tuesday, officials said,
after a pause of several months that had left negotiators frustrated.</p>
<p>"We came here to make progress, not to repeat old positions," the EU's envoy told reporters
outside the hotel where the talks are held.</p>
<p>Iranian officials said they were ready to discuss a timetable for lifting sanctions, while
Western diplomats warned that time was running short for an agreement.</p>
</article><footer>© 2024 World Report. All rights reserved.</footer></body></html>"""


def test_plain_text_title_boilerplate_and_offsets() -> None:
    article = extract(ARTICLE.encode(), name="a.txt")
    assert article.title == "Ministers meet in Geneva"
    assert "can be reached at" not in article.text
    assert "comment policy" not in article.text
    assert article.text.startswith("Foreign ministers")
    start = article.text.index("We are closer")
    source_start = article.source_offset(start)
    assert ARTICLE[source_start : source_start + 13] == "We are closer"


def test_seed_keeps_offsets_and_drops_footer(seed_text: str) -> None:
    article = extract_text(seed_text)
    assert article.title is None  # the first line is a full sentence, not a headline
    assert article.text.startswith("Chinese officials say")
    assert "wire service" not in article.text and "gtaylor@" not in article.text
    assert "Balking at sanctions" in article.text
    i = article.text.index("There is a goal in sanctions")
    assert article.source_offset(i) == seed_text.index("There is a goal in sanctions")


def test_html_metadata_and_body() -> None:
    article = extract(HTML, url="https://example.org/talks")
    assert article.source_kind == "html"
    assert "Vienna" in (article.title or "")
    assert "resumed talks in Vienna" in article.text
    assert "Home | World" not in article.text
    assert "All rights reserved" not in article.text
    assert article.published == "2024-03-05"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Caf\u00e9 au lait and more words".encode("latin-1"), "UTF-8"),
    ],
)
def test_bad_files_get_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        decode_input(data, name="f.txt")


def test_oversized_input_refused() -> None:
    with pytest.raises(BadInputError, match="too large"):
        decode_input(b"a" * 6_000_001, name="big.txt")


def test_html_without_article() -> None:
    page = "<html><head><title>Login</title></head><body><form><input></form></body></html>"
    with pytest.raises(NotAnArticleError):
        extract(page.encode(), name="login.html")


def test_real_pages_extract_their_article() -> None:
    root = shared_path("data", "article-extraction-benchmark")
    lines = (root / "ground-truth.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    for line in lines:
        record = json.loads(line)
        html = gzip.decompress((root / record["html_path"]).read_bytes()).decode("utf-8")
        article = extract(html, url=record["url"])
        truth_words = set(record["body"].split())
        got_words = set(article.text.split())
        assert len(truth_words & got_words) / len(truth_words) > 0.8, record["url"]


WRAPPED = """Ceasefire talks resume in Doha

DOHA — Negotiators from both sides returned to Doha on Sunday for a new round of talks on a
ceasefire, mediated by Qatar and Egypt, after a pause of almost a month that had left the
families of hostages angry and exhausted.

"We came here to finish the work, not to start it again," the Qatari prime minister said at
a news conference.
"""


def test_hard_wrapped_paragraphs_are_rejoined_with_offsets_kept() -> None:
    article = extract_text(WRAPPED)
    assert article.title == "Ceasefire talks resume in Doha"
    first, second = article.text.split("\n")
    assert first.startswith("DOHA") and first.endswith("angry and exhausted.")
    assert second.endswith("at a news conference.")
    assert "talks on a ceasefire" in first
    start = article.text.index("news conference")
    assert WRAPPED[article.source_offset(start) :].startswith("news conference")
