"""Raw bytes or HTML → an article's metadata and clean body text (no NLP, no I/O)."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import lxml.html
import readability
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from bot.domain.articles import ExtractedArticle, Segment
from bot.domain.errors import BadInputError, NotAnArticleError
from bot.domain.limits import MAX_INPUT_BYTES
from bot.nlp.text_filters import is_boilerplate

log = logging.getLogger(__name__)

MIN_ARTICLE_CHARS = 200

_HTML_SNIFF = re.compile(r"<\s*(?:!doctype\s+html|html|head|body|article|p|div)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…\"”’)]\s*$")


def decode_input(data: bytes, *, name: str = "input") -> str:
    """Decode a file's bytes as UTF-8 text, refusing what cannot be an article."""
    if len(data) > MAX_INPUT_BYTES:
        raise BadInputError(
            f"{name}: file is too large ({len(data) / 1e6:.1f} MB; the limit is "
            f"{MAX_INPUT_BYTES / 1e6:.0f} MB)."
        )
    if not data.strip():
        raise BadInputError(f"{name}: file is empty.")
    if b"\x00" in data[:65536]:
        raise BadInputError(f"{name}: this is a binary file, not an article.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BadInputError(
            f"{name}: not valid UTF-8 text (bad byte at position {err.start})."
        ) from err
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.01 * min(len(text), 65536):
        raise BadInputError(f"{name}: this looks like a binary file, not an article.")
    return text


def looks_like_html(text: str) -> bool:
    """Whether a document should go through the HTML extractor."""
    head = text[:4096]
    return bool(_HTML_SNIFF.search(head)) and head.count("<") >= 3


def _looks_like_title(line: str, rest: list[list[tuple[int, str]]]) -> bool:
    words = line.split()
    return 0 < len(words) <= 20 and not _SENTENCE_END.search(line) and len(rest) >= 2


def _is_hard_wrapped(blocks: list[list[tuple[int, str]]]) -> bool:
    """Paragraphs split by blank lines whose lines were wrapped at a fixed width."""
    inner = [line for block in blocks if len(block) > 1 for _, line in block[:-1]]
    if len(inner) < 2:
        return False
    unfinished = sum(1 for line in inner if not _SENTENCE_END.search(line))
    return unfinished >= 0.6 * len(inner) and max(len(line) for line in inner) <= 120


def extract_text(raw: str, *, url: str | None = None) -> ExtractedArticle:
    """Plain text as is: one paragraph per line, boilerplate lines dropped, offsets kept.

    Text hard-wrapped inside blank-line-separated paragraphs is rejoined (a space replaces
    each line break), so a wrapped sentence stays one sentence.
    """
    blocks: list[list[tuple[int, str]]] = [[]]
    offset = 0
    for piece in raw.splitlines(keepends=True):
        line = piece.rstrip("\r\n").rstrip()
        if line.strip():
            blocks[-1].append((offset, line))
        elif blocks[-1]:
            blocks.append([])
        offset += len(piece)
    blocks = [block for block in blocks if block]
    if not _is_hard_wrapped(blocks):
        blocks = [[line] for block in blocks for line in block]
    title: str | None = None
    if blocks and len(blocks[0]) == 1 and _looks_like_title(blocks[0][0][1].strip(), blocks[1:]):
        title = blocks[0][0][1].strip()
        blocks = blocks[1:]
    parts: list[str] = []
    segments: list[Segment] = []
    clean_len = 0
    for block in blocks:
        kept = [(start, line) for start, line in block if not is_boilerplate(line)]
        for index, (start, line) in enumerate(kept):
            if parts:
                parts.append(" " if index else "\n")
                clean_len += 1
            segments.append(Segment(clean_start=clean_len, source_start=start, length=len(line)))
            parts.append(line)
            clean_len += len(line)
    text = "".join(parts)
    if len(text.strip()) < MIN_ARTICLE_CHARS // 4:
        raise NotAnArticleError("The text is too short to be an article.")
    return ExtractedArticle(
        text=text, title=title, url=url, source_kind="text", segments=tuple(segments)
    )


# Page furniture that trafilatura and readability leave around an article body: share and
# follow prompts, "related" teasers, comment counters, reprint notes, photo credits.
_PAGE_FURNITURE = re.compile(
    r"^\W*(?:related(?: posts?| articles?| stories| content| coverage)?|see also|also(?: on \S+)?"
    r"|more|you may also like|you might also like|recommended(?: for you)?|most read\b.*"
    r"|most popular\b.*|trending(?: now)?|tags?|topics|filed under|share(?: this)?"
    r"|comments?|\d+ comments?|leave a (?:comment|reply)|advertisement|text size|by"
    r"|newsletter|sign up|subscribe|print(?: article)?|order reprints|read next|up next"
    r"|continue reading(?: the (?:main )?story)?|don['’]t miss|editors?['’]? picks?|most viewed"
    r"|top stories|watch(?: now)?)\W*(?::.*)?$"
    r"|^\W*trending (?:on|in|now)\b[^.!?]{0,60}$"
    # a credit alone on its line: "Jane Roe/Reuters", "Photo: AFP via Getty Images"
    r"|^[^.!?]{0,80}/\s*(?:reuters|ap|afp|epa|pa|getty images|bloomberg|ap photo)\W*$"
    r"|^\W*like us on\b"
    r"|^\W*follow\b.{0,60}\bon (?:facebook|twitter|instagram|youtube|linkedin|x)\b"
    r"|^\W*follow\b.{0,40}\bfull coverage\b"
    r"|^\W*(?:sign up|subscribe) (?:for|to) (?:our|the|a)\b.{0,60}newsletter|^\W*subscribe to\b"
    r"|\bnewsletter\W*$|^\W*get (?:the|our) .{0,40}newsletter"
    r"|^\W*(?:like|enjoy(?:ed)?) this (?:story|article)\?.{0,40}share"
    r"|^\W*(?:share|tweet|email|pin) (?:on|via|this) (?:facebook|twitter|whatsapp|linkedin|email)"
    r"|this copy is for your personal, non-commercial use|presentation-ready copies"
    r"|^\W*if you enjoyed this article|^\W*tell us what you think"
    r"|an error has occurred\W+please try again|this article has been sent to"
    r"|^\W*more\b.{0,40}\b(?:stories|coverage)\W*$|^\W*more [^.:]{1,30}:\s*https?://"
    r"|^\W*reach the (?:reporters?|writers?|authors?)\b|^\W*write to \w.{0,60}\bat \S+@"
    r"|^\W*(?:photo(?:graph)?s?|images?|picture|credit|source)\s*(?::|by\b)"
    r"|^\W*(?:reading time|tempo de leitura|lesezeit)\b|^\W*\d+ min(?:ute)?s? read\W*$"
    r"|^\W*(?:click|tap) here\b|^\[(?P<code>\w+)\b[^\]]*\].*\[/(?P=code)\]$"
    # A line that is only a date and a time (a dateline left beside the body).
    r"|^[^.!?]{0,40}\b(?:19|20)\d\d\b[^.!?]{0,20}\b\d{1,2}[:h]\d\d\b[^.!?]{0,12}$"
    r"|^\W*(?:updated|published|posted|last (?:updated|modified))\b[^.!?]{0,40}"
    r"\b(?:19|20)\d\d\b[^.!?]{0,20}$",
    re.IGNORECASE,
)
_CLICK_TO_TWEET = re.compile(r"\s*Click To Tweet\s*$", re.IGNORECASE)
# A photo caption and credit glued to the first sentence ("... Photo: J. Roe/REUTERSThe UK may"):
# everything up to the agency goes when the next sentence starts right after it.
_GLUED_CREDIT = re.compile(
    r"^.{0,300}?/\s?(?:REUTERS|Reuters|AFP|AP|EPA|PA|Getty Images|GETTY IMAGES|Bloomberg)"
    r"(?=[A-Z][a-z])"
)
# A pull quote: a short line that repeats words of a paragraph of the same article.
PULL_QUOTE_MIN_WORDS = 6
PULL_QUOTE_MAX_WORDS = 45
PULL_QUOTE_PARAGRAPH_RATIO = 1.3  # the paragraph it repeats is clearly longer
_QUOTE_OPENERS = frozenset("“\"‘'«")
_WORD = re.compile(r"\w+")
_TABLE_RULE = re.compile(r":?-*:?")
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt h1 h2 h3 h4 h5 h6 header footer hr li main"
    " ol p pre section table tbody thead tr ul".split()
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "figcaption", "button", "form", "svg"})
# A page whose paragraphs hold this many times the text of trafilatura's precise body may hide
# the article from it (split containers, teaser boxes): only then is readability consulted.
PARAGRAPH_TEXT_RATIO = 2.0
# readability's body replaces trafilatura's when it is this many times longer and not mostly links.
FALLBACK_LENGTH_RATIO = 2.0
MAX_FALLBACK_LINK_DENSITY = 0.35


def is_page_furniture(line: str) -> bool:
    """A line that belongs to the page around the article: share prompts, teasers, credits."""
    return is_boilerplate(line) or bool(_PAGE_FURNITURE.search(line))


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _repeats_headline(line: str, title: str | None) -> bool:
    """A heading line that says what the title says (the page's h1 above the body)."""
    if not title or _SENTENCE_END.search(line):
        return False
    words = _words(line).split()
    if not 3 <= len(words) <= 25:
        return False
    title_words = set(_words(title).split())
    return sum(1 for word in words if word in title_words) >= 0.6 * len(words)


def _table_row(line: str) -> str:
    """A trafilatura table row ("| a | b |") as its non-empty cells; a rule row as nothing."""
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    if all(_TABLE_RULE.fullmatch(cell) for cell in cells):
        return ""
    return " | ".join(cell for cell in cells if cell)


def _body_lines(text: str, title: str | None, url: str | None = None) -> list[str]:
    """Article paragraphs one per line: furniture, repeats and a repeated headline dropped."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            line = _table_row(line)
        line = _CLICK_TO_TWEET.sub("", line)
        glued = _GLUED_CREDIT.match(line)
        if glued:
            line = line[glued.end() :]
        if not line or is_page_furniture(line) or (lines and line == lines[-1]):
            continue
        if url and line.rstrip("/") == url.rstrip("/"):
            continue  # the page's own address, printed for reprints
        lines.append(line)
    if lines and _repeats_headline(lines[0], title):
        lines.pop(0)
    return _without_pull_quotes(lines)


def _without_pull_quotes(lines: list[str]) -> list[str]:
    """Lines that repeat an earlier line, or whose words sit inside a longer paragraph of the
    article (a pull quote set apart by the page), dropped."""
    normalised = [_words(line) for line in lines]
    kept: list[str] = []
    seen: set[str] = set()
    for index, (line, words) in enumerate(zip(lines, normalised, strict=True)):
        count = words.count(" ") + 1
        if (
            count < PULL_QUOTE_MIN_WORDS
            or count > PULL_QUOTE_MAX_WORDS
            or not _SENTENCE_END.search(line)  # headings and list items repeat legitimately
        ):
            kept.append(line)
            continue
        if words in seen and line[:1] in _QUOTE_OPENERS:
            continue  # the same quoted line twice: a pull quote beside its paragraph
        seen.add(words)
        if any(
            len(other) >= PULL_QUOTE_PARAGRAPH_RATIO * len(words) and f" {words} " in f" {other} "
            for j, other in enumerate(normalised)
            if j != index
        ):
            continue
        kept.append(line)
    return kept


def _paragraph_chars(tree: lxml.html.HtmlElement) -> int:
    """Characters of text inside the page's <p> elements, a cheap bound on its prose."""
    return sum(len(" ".join(p.text_content().split())) for p in tree.iter("p"))


def _block_text(element: lxml.html.HtmlElement, parts: list[str]) -> None:
    """Text of an element with a line break around every block, captions and widgets left out."""
    tag = element.tag
    if not isinstance(tag, str) or tag in _SKIPPED_TAGS:
        parts.append(element.tail or "")
        return
    block = tag in _BLOCK_TAGS
    if tag in {"td", "th"}:
        parts.append(" ")
    if block:
        parts.append("\n")
    parts.append(element.text or "")
    for child in element:
        _block_text(child, parts)
    if block:
        parts.append("\n")
    parts.append(element.tail or "")


def _readability_body(html: str, url: str | None) -> tuple[str, float]:
    """readability-lxml's article as paragraphs, and the share of its text inside links."""
    try:
        summary = readability.Document(html, url=url).summary(html_partial=True)
        tree = lxml.html.fragment_fromstring(summary, create_parent="div")
    except (ValueError, AssertionError, etree.LxmlError) as err:
        # Unparseable is a ValueError; lxml asserts on a fragment without exactly one body.
        log.debug("readability gave up on %s: %s", url or "a page", err)
        return "", 1.0
    parts: list[str] = []
    _block_text(tree, parts)
    text = "".join(parts)
    chars = len(" ".join(text.split()))
    link_chars = sum(len(" ".join(a.text_content().split())) for a in tree.iter("a"))
    return text, (link_chars / chars if chars else 1.0)


def _bare_extraction(html: str, url: str | None, *, precise: bool) -> Document | None:
    """trafilatura's extraction as a Document, favouring precision or recall."""
    result = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        favor_precision=precise,
        favor_recall=not precise,
        include_comments=False,
        include_tables=True,
    )
    return result if isinstance(result, Document) else None


def _parse(html: str) -> lxml.html.HtmlElement | None:
    """The page as an lxml tree, or None when lxml finds no document in it."""
    try:
        try:
            return lxml.html.fromstring(html)
        except ValueError:  # a str with an XML encoding declaration: lxml wants bytes
            return lxml.html.fromstring(html.encode("utf-8"))
    except (etree.LxmlError, ValueError):
        return None


def extract_html(html: str, *, url: str | None = None) -> ExtractedArticle:
    """Extract the article from an HTML page: trafilatura favouring precision, with fallbacks.

    When the precise body is short, trafilatura's recall mode is tried; when the page's
    paragraphs hold much more text than the body, readability-lxml is tried too, and its body
    is taken if it is much longer and not mostly links (articles split over several containers).
    """
    document = _bare_extraction(html, url, precise=True)
    title = document.title if document is not None else None
    lines = _body_lines(document.text or "", title, url) if document is not None else []
    body_chars = sum(len(line) for line in lines)
    if body_chars < MIN_ARTICLE_CHARS:
        # Precision settings sometimes drop short or unusual pages whole: retry with recall.
        fallback = _bare_extraction(html, url, precise=False)
        if fallback is not None:
            recall_lines = _body_lines(fallback.text or "", fallback.title or title, url)
            if sum(len(line) for line in recall_lines) > body_chars:
                document = fallback if document is None else document
                lines = recall_lines
                body_chars = sum(len(line) for line in lines)
    tree = _parse(html)
    if tree is not None and _paragraph_chars(tree) > PARAGRAPH_TEXT_RATIO * body_chars:
        text, link_density = _readability_body(html, url)
        readable_lines = _body_lines(text, title, url)
        readable_chars = sum(len(line) for line in readable_lines)
        if (
            readable_chars > FALLBACK_LENGTH_RATIO * body_chars
            and link_density <= MAX_FALLBACK_LINK_DENSITY
        ):
            log.debug(
                "readability body (%d chars) replaces trafilatura's (%d)",
                readable_chars,
                body_chars,
            )
            lines = readable_lines
            body_chars = readable_chars
    if document is None and lines:
        document = Document()
    if document is None or body_chars < MIN_ARTICLE_CHARS:
        raise NotAnArticleError("No article text found on this page.")
    return ExtractedArticle(
        text="\n".join(lines),
        title=(document.title or None),
        byline=(document.author or None),
        published=(document.date or None),
        site_name=(document.sitename or document.hostname or None),
        url=url or document.url or None,
        source_kind="html",
    )


def extract(
    data: bytes | str,
    *,
    name: str = "input",
    url: str | None = None,
    content_type: str | None = None,
) -> ExtractedArticle:
    """Bytes or text of a file or page → ExtractedArticle, choosing HTML or plain text."""
    text = decode_input(data, name=name) if isinstance(data, bytes) else data
    if not text.strip():
        raise BadInputError(f"{name}: file is empty.")
    is_html = (
        content_type in {"text/html", "application/xhtml+xml"}
        if content_type
        else name.lower().endswith((".html", ".htm", ".xhtml")) or looks_like_html(text)
    )
    article = extract_html(text, url=url) if is_html else extract_text(text, url=url)
    if url and not article.url:
        article = replace(article, url=url)
    return article
