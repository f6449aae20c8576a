"""Feed documents, feed discovery and OPML lists → our frozen values (pure, run in workers).

- RSS 0.9x/1.0/2.0 and Atom go through feedparser. Its strict pass uses defusedxml's expat
  reader, which refuses entity declarations (XML bombs) and external references; feedparser
  itself drops unsafe entities before its lenient pass, which recovers malformed ("bozo") feeds.
- JSON Feed (jsonfeed.org, version 1) is read here; JSON that is not a JSON Feed is refused.
- At most MAX_ITEMS_PER_DOCUMENT items are kept, newest first; documents are size-capped by
  the fetcher before they get here.
- OPML is parsed with defusedxml.ElementTree: a malformed file is refused whole.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError, tostring

import defusedxml
import defusedxml.ElementTree as SafeElementTree
import feedparser  # type: ignore[import-untyped]
import feedparser.api  # type: ignore[import-untyped]

from bot.domain.errors import NotAFeedError
from bot.domain.feeds import (
    MAX_ITEMS_PER_DOCUMENT,
    DiscoveredFeed,
    FeedEntry,
    OpmlOutline,
    ParsedFeed,
    item_key,
)

# feedparser's strict pass asks xml.sax for these drivers first: defusedxml's expat reader.
feedparser.api.PREFERRED_XML_PARSERS = ["defusedxml.expatreader"]

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/rdf+xml": "rdf",
    "application/feed+json": "json",
    "application/json": "json",
    "application/x-rss+xml": "rss",
    "text/xml": "rss",
    "application/xml": "rss",
}
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Bozo reasons that only say the server labelled a good feed oddly.
_HARMLESS_BOZO = ("NonXMLContentType", "CharacterEncodingOverride")
_UPDATE_PERIOD_S = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}
_BLOCK_TAGS = frozenset(
    {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section"}
)


def is_html(content_type: str | None, body: bytes) -> bool:
    """Whether a response is a web page (to search for feeds) rather than a feed."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")) or head.startswith(b"{"):
        return False
    if content_type in HTML_TYPES:
        return True
    return head.startswith((b"<!doctype html", b"<html"))


# --- feeds ------------------------------------------------------------------------------------


def parse_feed(
    body: bytes,
    url: str,
    content_type: str | None = None,
    charset: str | None = None,
    max_age_s: int | None = None,
    max_items: int = MAX_ITEMS_PER_DOCUMENT,
) -> ParsedFeed:
    """A feed document as our values; NotAFeedError saying why when it is none."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") or content_type in ("application/feed+json", "application/json"):
        parsed = _parse_json_feed(body, url=url, max_items=max_items)
    else:
        parsed = _parse_xml_feed(
            body, url=url, content_type=content_type, charset=charset, max_items=max_items
        )
    if max_age_s and (parsed.ttl_s is None or max_age_s > parsed.ttl_s):
        return ParsedFeed(
            kind=parsed.kind,
            title=parsed.title,
            site_url=parsed.site_url,
            entries=parsed.entries,
            ttl_s=max_age_s,
            total_entries=parsed.total_entries,
            warnings=parsed.warnings,
        )
    return parsed


_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")
CUT_FACTOR = 2  # items read before the cut: room for sorting a feed listed oldest first


def cut_items(body: bytes, limit: int) -> tuple[bytes, int]:
    """The document up to its `limit`-th item, and how many item start tags it has in all.

    feedparser holds every entry of a document in memory and takes ~0.4 ms per entry, so a
    100,000-item feed would cost a worker 40 s and 130 MB; cut, it costs what 400 items cost.
    The lenient parser reads the unclosed rest. Feeds list newest first almost always; for one
    that does not, the newest of the first items are kept.
    """
    count = 0
    cut_at: int | None = None
    for match in _ITEM_START.finditer(body):
        count += 1
        if count == limit + 1:
            cut_at = match.start()
    return (body if cut_at is None else body[:cut_at]), count


def _parse_xml_feed(
    body: bytes, *, url: str, content_type: str | None, charset: str | None, max_items: int
) -> ParsedFeed:
    body, tagged = cut_items(body, max_items * CUT_FACTOR)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type + (f"; charset={charset}" if charset else "")
    try:
        result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    except defusedxml.DefusedXmlException as error:
        raise NotAFeedError(
            f"The document declares XML entities or external references ({type(error).__name__}); "
            "it is refused as unsafe."
        ) from None
    except Exception as error:  # feedparser's lenient pass can fail on odd bytes
        raise NotAFeedError(f"The document could not be read as a feed ({error}).") from None
    bozo = result.get("bozo_exception")
    bozo_name = type(bozo).__name__ if bozo is not None else None
    entries = list(result.get("entries") or [])
    version = result.get("version") or ""
    feed = result.get("feed") or {}
    if not entries and (not version or (bozo is not None and bozo_name not in _HARMLESS_BOZO)):
        if bozo is not None and bozo_name not in _HARMLESS_BOZO:
            raise NotAFeedError(f"The document is not a readable feed ({_bozo_reason(bozo)}).")
        raise NotAFeedError("The document is not an RSS, Atom or JSON feed.")
    cut = tagged > max_items * CUT_FACTOR
    warnings = (
        (f"recovered from malformed XML: {_bozo_reason(bozo)}",)
        if bozo is not None and bozo_name not in _HARMLESS_BOZO and not cut
        else ()
    ) + ((f"{tagged} items: only the first {max_items * CUT_FACTOR} were read",) if cut else ())
    converted = [_xml_entry(entry, url) for entry in entries]
    return ParsedFeed(
        kind=version or "unknown",
        title=_clean(feed.get("title")),
        site_url=_absolute(feed.get("link"), url),
        entries=tuple(newest_first(converted)[:max_items]),
        ttl_s=_ttl_seconds(feed),
        total_entries=max(len(converted), tagged) if cut else len(converted),
        warnings=warnings,
    )


def _bozo_reason(error: BaseException) -> str:
    text = str(getattr(error, "getMessage", lambda: str(error))())
    return f"{type(error).__name__}: {text}"[:200]


def _xml_entry(parsed_entry: Mapping[str, Any], base_url: str) -> FeedEntry:
    # The plain dict: feedparser's own mapping warns when a missing key is looked up.
    entry: dict[str, Any] = dict(parsed_entry)
    # FeedBurner wraps links in its own redirects; the original link names the article.
    link = _absolute(entry.get("feedburner_origlink") or entry.get("link"), base_url)
    title = _clean(entry.get("title"))
    published_struct = entry.get("published_parsed") or entry.get("updated_parsed")
    published = (
        datetime.fromtimestamp(calendar.timegm(published_struct), UTC)
        if isinstance(published_struct, time.struct_time)
        else None
    )
    raw_date = entry.get("published") or entry.get("updated")
    contents = entry.get("content") or []
    html = ""
    if contents:
        html = max((c.get("value") or "" for c in contents), key=len)
    summary = entry.get("summary") or ""
    if len(summary) > len(html):
        html = summary
    source = entry.get("source") or {}
    return FeedEntry(
        key=item_key(entry.get("id"), link, title, raw_date),
        link=link,
        title=title,
        published=published,
        text=html_to_text(html),
        source=_clean(source.get("title")) if isinstance(source, Mapping) else None,
    )


def _ttl_seconds(feed: Mapping[str, Any]) -> int | None:
    """The feed's own refresh hint: RSS <ttl> (minutes) or sy:updatePeriod/updateFrequency."""
    hints: list[int] = []
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit():
        hints.append(int(ttl) * 60)
    period = str(feed.get("sy_updateperiod") or "").strip().lower()
    if period in _UPDATE_PERIOD_S:
        frequency = str(feed.get("sy_updatefrequency") or "1").strip()
        times = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
        hints.append(_UPDATE_PERIOD_S[period] // times)
    return max(hints) if hints else None


def _parse_json_feed(body: bytes, *, url: str, max_items: int) -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotAFeedError(f"The document is not valid JSON ({error}).") from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise NotAFeedError("The document is JSON but not a JSON Feed (no jsonfeed.org version).")
    items = document.get("items")
    if not isinstance(items, list):
        raise NotAFeedError("The JSON Feed has no item list.")
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        link = _absolute(item.get("url") or item.get("external_url"), url)
        title = _clean(item.get("title"))
        raw_date = item.get("date_published") or item.get("date_modified")
        html = item.get("content_html") or ""
        text = html_to_text(html) if html else _clean(item.get("content_text")) or ""
        if not text:
            text = _clean(item.get("summary")) or ""
        entries.append(
            FeedEntry(
                key=item_key(_text(item.get("id")), link, title, _text(raw_date)),
                link=link,
                title=title,
                published=_json_date(raw_date),
                text=text,
            )
        )
    return ParsedFeed(
        kind="json" + version.rsplit("/", 1)[-1],
        title=_clean(document.get("title")),
        site_url=_absolute(document.get("home_page_url"), url),
        entries=tuple(newest_first(entries)[:max_items]),
        total_entries=len(entries),
    )


def _json_date(value: Any) -> datetime | None:
    """RFC 3339, or the common "YYYY-MM-DD HH:MM:SS" without a zone (read as UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def newest_first(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """Dated items newest first; an undated item keeps the place of the item before it.

    An item listed twice in one document (it happens: the same guid twice) is kept once.
    """
    unique: dict[str, FeedEntry] = {}
    for entry in entries:
        unique.setdefault(entry.key, entry)
    entries = list(unique.values())
    keyed = []
    last_seen: float | None = None
    for index, entry in enumerate(entries):
        if entry.published is not None:
            last_seen = entry.published.timestamp()
        keyed.append((-(last_seen if last_seen is not None else float("inf")), index, entry))
    if all(e.published is None for e in entries):
        return list(entries)
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in keyed]


# --- text -------------------------------------------------------------------------------------


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """An item's HTML as plain text: one paragraph per line, entities decoded, tags gone."""
    if not html:
        return ""
    if "<" not in html:
        return " ".join(unescape(html).split())
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines = (" ".join(line.split()) for line in "".join(collector.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = html_to_text(value) if "<" in value or "&" in value else " ".join(value.split())
    return text or None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _absolute(link: Any, base: str) -> str | None:
    """A link resolved against the feed's URL (relative entry links exist in the wild)."""
    if not isinstance(link, str) or not link.strip():
        return None
    joined = urljoin(base, "".join(link.split()))
    return joined if urlsplit(joined).scheme in ("http", "https") else None


# --- discovery --------------------------------------------------------------------------------


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict[str, str]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag == "link" and "alternate" in values.get("rel", "").lower().split():
            self.found.append(values)


def discover_feeds(html: str, page_url: str) -> list[DiscoveredFeed]:
    """The feeds a page names with <link rel="alternate">, in page order, without repeats."""
    collector = _AlternateLinks()
    try:
        collector.feed(html)
        collector.close()
    except AssertionError:  # html.parser gives up on some broken markup; use what it found
        pass
    base = urljoin(page_url, collector.base) if collector.base else page_url
    found: dict[str, DiscoveredFeed] = {}
    for link in collector.found:
        kind = FEED_TYPES.get(link.get("type", "").split(";")[0].strip().lower())
        href = link.get("href", "").strip()
        if kind is None or not href:
            continue
        absolute = _absolute(href, base)
        if absolute and absolute not in found:
            found[absolute] = DiscoveredFeed(absolute, _clean(link.get("title")), kind)
    return list(found.values())


# --- OPML -------------------------------------------------------------------------------------


def parse_opml(data: bytes) -> list[OpmlOutline]:
    """Every outline with an xmlUrl, nested or not, typed or not; a malformed file is refused."""
    try:
        root = SafeElementTree.fromstring(data)
    except defusedxml.DefusedXmlException:
        raise NotAFeedError(
            "That OPML file declares XML entities or external references; it is refused as unsafe."
        ) from None
    except ParseError as error:
        raise NotAFeedError(f"That is not a well-formed OPML file ({error}).") from None
    if _local(root.tag) != "opml":
        raise NotAFeedError("That file is XML but not OPML (its root is not <opml>).")
    outlines: dict[str, OpmlOutline] = {}
    for element in root.iter():
        if _local(element.tag) != "outline":
            continue
        attributes = {_local(k).lower(): v for k, v in element.attrib.items()}
        url = (attributes.get("xmlurl") or "").strip()
        if url and url not in outlines:
            title = attributes.get("title") or attributes.get("text")
            outlines[url] = OpmlOutline(url, title.strip() if title else None)
    return list(outlines.values())


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def write_opml(title: str, feeds: Iterable[tuple[str, str | None]], now: datetime) -> bytes:
    """An OPML 2.0 document listing the feeds (url, title)."""
    root = Element("opml", version="2.0")
    head = _child(root, "head")
    _child(head, "title").text = title
    _child(head, "dateCreated").text = now.strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = _child(root, "body")
    for url, feed_title in feeds:
        name = feed_title or url
        _child(body, "outline", type="rss", text=name, title=name, xmlUrl=url)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")


def _child(parent: Element, tag: str, **attributes: str) -> Element:
    element = Element(tag, attributes)
    parent.append(element)
    return element


_CACHE_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def cache_max_age(header: str | None) -> int | None:
    """Seconds from a Cache-Control header's max-age (no-store/no-cache: none)."""
    if not header:
        return None
    match = _CACHE_MAX_AGE.search(header)
    return int(match.group(1)) if match else None
