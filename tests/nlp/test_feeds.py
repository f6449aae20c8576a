"""Feed, discovery and OPML parsing: small feeds written here for every format and quirk, and
(when ../shared is present) every real captured feed yields its items or a clear refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.domain.errors import NotAFeedError
from bot.domain.feeds import MAX_ITEMS_PER_DOCUMENT, item_key
from bot.nlp.feeds import discover_feeds, html_to_text, parse_feed, parse_opml, write_opml
from tests.conftest import shared_path

FEED_URL = "https://news.example.org/world/rss"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Example World</title><link>https://news.example.org/</link><ttl>30</ttl>
<item><title>Older</title><link>https://news.example.org/a?utm_source=rss#xtor=RSS-1</link>
<pubDate>Mon, 03 Jun 2024 08:00:00 GMT</pubDate></item>
<item><title>Newer &amp; better</title><guid isPermaLink="false">id-2</guid>
<link>https://news.example.org/b</link><pubDate>Mon, 03 Jun 2024 09:00:00 GMT</pubDate>
<content:encoded><![CDATA[<p>First paragraph.</p><p>Second &eacute; paragraph.</p>]]>
</content:encoded>
</item></channel></rss>"""

ATOM_RELATIVE = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Relative</title><id>tag:x,2024:feed</id><updated>2024-06-03T09:00:00Z</updated>
<entry><title>One</title><id>tag:x,2024:1</id><link href="/stories/one"/>
<updated>2024-06-03T09:00:00Z</updated><summary>Text</summary></entry></feed>"""

RDF = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://r.example/"><title>RDF</title><link>https://r.example/</link></channel>
<item rdf:about="https://r.example/1"><title>R1</title><link>https://r.example/1</link>
<dc:date>2024-06-03T07:00:00Z</dc:date></item></rdf:RDF>"""

BOMB = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;">]>
<rss version="2.0"><channel><title>&d;</title><item><title>&d;</title>
<guid>x</guid></item></channel></rss>"""


def test_rss_items_newest_first_with_identity_text_and_ttl() -> None:
    parsed = parse_feed(RSS, FEED_URL, "application/rss+xml")
    assert parsed.kind == "rss20" and parsed.title == "Example World" and parsed.ttl_s == 1800
    newer, older = parsed.entries
    assert newer.title == "Newer & better" and newer.key == "id:id-2"
    assert newer.text == "First paragraph.\nSecond é paragraph."
    assert newer.published == datetime(2024, 6, 3, 9, tzinfo=UTC)
    # No guid: the canonical link, without utm_* and #xtor=…
    assert older.key == "link:https://news.example.org/a"


def test_identity_falls_back_to_a_hash_of_title_and_date() -> None:
    assert item_key(None, None, "T", "d") == item_key(None, " ", "T ", " d")
    assert item_key(None, None, "T", "d") != item_key(None, None, "T", "e")


def test_atom_relative_links_resolve_against_the_feed_and_rdf_reads() -> None:
    [entry] = parse_feed(ATOM_RELATIVE, FEED_URL, "application/atom+xml").entries
    assert entry.link == "https://news.example.org/stories/one"
    rdf = parse_feed(RDF, FEED_URL, "application/rdf+xml")
    assert rdf.kind == "rss10" and [e.link for e in rdf.entries] == ["https://r.example/1"]


def test_json_feed_and_json_that_is_no_feed() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {"id": "1", "url": "https://j.example/1", "title": "A",
             "date_published": "2024-06-03 10:00:00", "content_html": "<p>Hi</p>"},
        ],
    }  # fmt: skip
    [entry] = parse_feed(json.dumps(document).encode(), FEED_URL, "application/json").entries
    assert entry.key == "id:1" and entry.text == "Hi"
    assert entry.published == datetime(2024, 6, 3, 10, tzinfo=UTC)  # no zone: read as UTC
    with pytest.raises(NotAFeedError, match="not a JSON Feed"):
        parse_feed(b'{"rss": {"channel": {}}}', FEED_URL, "application/json")


def test_an_xml_bomb_is_not_expanded_and_huge_feeds_are_cut() -> None:
    with pytest.raises(NotAFeedError, match="refused as unsafe"):
        parse_feed(BOMB, FEED_URL, "application/rss+xml")
    items = "".join(f"<item><guid>g{i}</guid><title>t{i}</title></item>" for i in range(5000))
    big = f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()
    cut = parse_feed(big, FEED_URL, "application/rss+xml")
    assert len(cut.entries) == MAX_ITEMS_PER_DOCUMENT and cut.total_entries == 5000


def test_truncated_and_html_documents_are_clear_refusals() -> None:
    with pytest.raises(NotAFeedError, match="not a readable feed"):
        parse_feed(RSS[:200], FEED_URL, "application/rss+xml")
    with pytest.raises(NotAFeedError):
        parse_feed(b"<html><body>hello</body></html>", FEED_URL, "text/html")


def test_discovery_names_every_alternate_feed_in_page_order() -> None:
    html = (
        '<head><link rel="alternate" type="application/atom+xml" href="/atom" title="Atom">'
        '<link rel="alternate stylesheet" type="text/css" href="/x.css">'
        '<link rel="alternate" type="application/feed+json" href="https://j.example/feed.json">'
        '<link rel="alternate" type="application/rss+xml" href="/atom"></head>'
    )
    found = discover_feeds(html, "https://site.example/page")
    assert [(f.url, f.kind) for f in found] == [
        ("https://site.example/atom", "atom"),
        ("https://j.example/feed.json", "json"),
    ]


def test_opml_nested_untyped_and_round_trip() -> None:
    opml = b"""<opml version="version"><body><outline text="F"><outline text="F2">
      <outline title="Deep" version="RSS" xmlUrl="https://d.example/rss"/></outline></outline>
      <outline text='S' type='rss' xmlUrl='https://s.example/feed'/></body></opml>"""
    outlines = parse_opml(opml)
    assert [(o.url, o.title) for o in outlines] == [
        ("https://d.example/rss", "Deep"),
        ("https://s.example/feed", "S"),
    ]
    written = write_opml("Mine", [(o.url, o.title) for o in outlines], datetime.now(UTC))
    assert parse_opml(written) == outlines
    with pytest.raises(NotAFeedError, match="not OPML"):
        parse_opml(b"<rss/>")


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    assert html_to_text("<p>A&amp;B</p><script>x()</script><p>C</p>") == "A&B\nC"


# --- the real captured feeds (internal testing only, never copied here) ----------------------

CONTENT_TYPES = {
    "rss2": "application/rss+xml",
    "rss1": "application/rdf+xml",
    "atom": "application/atom+xml",
    "json": "application/json",
}


def shared_records() -> list[dict[str, object]]:
    index = shared_path("data", "feeds", "index.jsonl")
    return [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.shared
def test_every_real_feed_yields_its_items_or_a_clear_refusal() -> None:
    root = shared_path("data", "feeds")
    checked = 0
    for record in shared_records():
        fmt = str(record["format"])
        if fmt not in CONTENT_TYPES:
            continue
        body = (root / str(record["file"])).read_bytes()
        quirks = " ".join(str(q) for q in record.get("quirks", []))  # type: ignore[attr-defined]
        broken = "truncated" in quirks or "not a json feed" in quirks.lower()
        if broken:
            with pytest.raises(NotAFeedError):
                parse_feed(body, FEED_URL, CONTENT_TYPES[fmt])
            continue
        parsed = parse_feed(body, FEED_URL, CONTENT_TYPES[fmt])
        assert parsed.total_entries == record["items"], record["file"]
        keys = [e.key for e in parsed.entries]
        assert len(set(keys)) == len(keys), f"{record['file']}: items share an identity"
        # Every item but repeats of one item in the same document (wapo-world lists one twice).
        assert len(parsed.entries) >= min(parsed.total_entries - 1, MAX_ITEMS_PER_DOCUMENT)
        assert all(e.link is None or e.link.startswith("http") for e in parsed.entries)
        checked += 1
    assert checked >= 30


@pytest.mark.shared
def test_real_opml_exports_and_the_malformed_one() -> None:
    root = shared_path("data", "feeds")
    for record in shared_records():
        if record["format"] != "opml":
            continue
        data = (root / str(record["file"])).read_bytes()
        if "not well-formed" in " ".join(map(str, record.get("quirks", []))):  # type: ignore[call-overload]
            with pytest.raises(NotAFeedError, match="well-formed"):
                parse_opml(data)
        else:
            assert len(parse_opml(data)) == record["items"], record["file"]


@pytest.mark.shared
def test_real_pages_name_their_feeds() -> None:
    page = shared_path("data", "feeds", "html", "japantimes-home.html")
    found = discover_feeds(page.read_bytes().decode("utf-8-sig"), "https://www.japantimes.co.jp/")
    assert found and found[0].kind == "rss"
