"""The SQLite Store: the one place that holds SQL, so a PostgreSQL Store could stand beside it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiosqlite

from bot.nlp.models import (
    Analysis,
    Country,
    CountryMention,
    Entity,
    ExtractedArticle,
    Quote,
    Summary,
)
from storage.records import (
    AddResult,
    ArticleDigest,
    CountrySentence,
    DigestDelivery,
    DigestSubscription,
    SearchHit,
    SearchPage,
    StoredArticle,
    StoredQuote,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
HIGHLIGHT_START = "**"
HIGHLIGHT_END = "**"
SNIPPET_ELLIPSIS = "…"
SNIPPET_TOKENS = 24
MAX_QUERY_TERMS = 32
# Rows turned into objects between two awaits: a big read never holds the event loop for long
# (500 digests take ~2 ms of Python).
ROWS_PER_CHUNK = 500

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Control characters that article text never carries: FTS5 marks matches with them, and
# they are turned into HIGHLIGHT_START/END or snippet parts afterwards.
_MATCH_START = "\x02"
_MATCH_END = "\x03"
_WORD = re.compile(r"\w+")

_ARTICLE_COLUMNS = (
    "a.id, a.guild_id, a.url, a.canonical_url, a.title, a.byline, a.published, a.site_name,"
    " a.text, a.added_at, a.added_by, a.summary_method, a.source_kind, a.language, a.source_path"
)
# Separators inside group_concat: control characters that names and codes never contain.
_FIELD_SEPARATOR = "\x1f"
_ITEM_SEPARATOR = "\x1e"
# What str.strip() removes, for SQL's ltrim; and enough of an untitled text to title it by.
_BLANK = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_OPENING_CHARS = 200


# --- pure helpers -------------------------------------------------------------------------


def canonical_url(url: str) -> str:
    """The URL two links to the same page share: no tracking, fragment, default port or final /."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if not scheme or not parts.netloc:
        return url
    netloc = _canonical_netloc(scheme, parts.netloc)
    path = parts.path.rstrip("/")
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking_param(key)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _canonical_netloc(scheme: str, netloc: str) -> str:
    """Lower-case the host and drop the scheme's default port; user info is kept as written."""
    userinfo, _, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if hostport.startswith("["):  # IPv6 literal: [::1]:8080
        end = hostport.find("]")
        if end != -1:
            host, port = hostport[: end + 1], hostport[end + 1 :].removeprefix(":")
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    host = host.lower()
    if port and port.isdigit() and int(port) == _DEFAULT_PORTS.get(scheme):
        port = ""
    rebuilt = f"{host}:{port}" if port else host
    return f"{userinfo}@{rebuilt}" if userinfo else rebuilt


def _is_tracking_param(key: str) -> bool:
    """Whether a query parameter only tells the site where the click came from."""
    key = key.lower()
    return key.startswith("utm_") or key in _TRACKING_PARAMS


def text_fingerprint(text: str) -> str:
    """sha256 of the lower-cased, whitespace-collapsed text: the same article under any URL."""
    normalised = " ".join(text.lower().split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def fts_query(user_query: str) -> str | None:
    """Turn free text into a safe FTS5 query: each word group a quoted phrase, all required.

    Operators and punctuation lose their meaning; a word group ending in `*` stays a prefix
    search and text inside double quotes stays one phrase. None when there is nothing to find.
    """
    phrases: list[str] = []
    for index, chunk in enumerate(user_query.split('"')):
        inside_quotes = index % 2 == 1
        groups = [chunk] if inside_quotes else chunk.split()
        for group in groups:
            words = _WORD.findall(group)
            if not words:
                continue
            phrase = '"' + " ".join(words) + '"'
            if not inside_quotes and group.rstrip().endswith("*"):
                phrase += "*"
            phrases.append(phrase)
    if not phrases:
        return None
    return " ".join(phrases[:MAX_QUERY_TERMS])


def _snippet_parts(marked: str) -> tuple[tuple[str, bool], ...]:
    """Split an FTS5 snippet marked with _MATCH_START/_MATCH_END into (text, is_match)."""
    parts: list[tuple[str, bool]] = []
    for piece in marked.split(_MATCH_START):
        match, end, rest = piece.partition(_MATCH_END)
        if end:
            parts.append((match, True))
            if rest:
                parts.append((rest, False))
        elif piece:
            parts.append((piece, False))
    return tuple(parts)


def _mark_matches(parts: Sequence[tuple[str, bool]]) -> str:
    """The snippet as one string with matches between HIGHLIGHT_START and HIGHLIGHT_END."""
    return "".join(
        f"{HIGHLIGHT_START}{text}{HIGHLIGHT_END}" if is_match else text for text, is_match in parts
    )


def _format_time(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds: one fixed format, so text order is time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware time")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_time(value: str) -> datetime:
    """The aware UTC datetime stored by _format_time."""
    return datetime.fromisoformat(value).astimezone(UTC)


def _speaker_key(speaker: str | None) -> str | None:
    """Case-folded speaker, so matching is case-insensitive beyond ASCII."""
    return " ".join(speaker.casefold().split()) if speaker else None


def _like_escape(text: str) -> str:
    """Make LIKE's wildcards literal (used with ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _split_statements(script: str) -> list[str]:
    """Cut a migration into statements (trigger bodies included) so they run in our transaction."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if _strip_sql_comments(statement):
                statements.append(statement)
            buffer = ""
    if _strip_sql_comments(buffer).strip():
        raise ValueError(f"incomplete SQL statement at end of migration: {buffer.strip()[:80]!r}")
    return statements


def _strip_sql_comments(sql: str) -> str:
    """The SQL without whole-line -- comments; enough to tell a statement from a comment block."""
    return "\n".join(
        line for line in sql.splitlines() if line.strip() and not line.strip().startswith("--")
    ).strip(" ;\n")


@dataclass(frozen=True)
class Migration:
    """One numbered schema change shipped in storage/migrations."""

    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """Every migration in the package, numbered 1..N without gaps (a gap is a packaging bug)."""
    folder = resources.files("storage") / "migrations"
    migrations = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            migrations.append(
                Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8"))
            )
    migrations.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {versions}")
    return migrations


async def apply_migrations(conn: aiosqlite.Connection, migrations: Sequence[Migration]) -> int:
    """Apply the pending migrations and the new user_version in ONE transaction; how many ran.

    The version is read after BEGIN IMMEDIATE, so two processes opening a new file at once
    apply each migration once; a failing migration leaves the database as it was.
    """
    try:
        await conn.execute("BEGIN IMMEDIATE")
        current = await _user_version(conn)
        if current > len(migrations):
            raise RuntimeError(
                f"database is at schema {current}, newer than this code ({len(migrations)})"
            )
        pending = migrations[current:]
        for migration in pending:
            log.info("applying migration %s", migration.name)
            for statement in _split_statements(migration.sql):
                await conn.execute(statement)
        if pending:
            # PRAGMA takes no parameters; the value is our own integer.
            await conn.execute(f"PRAGMA user_version = {len(migrations):d}")
        await conn.execute("COMMIT")
    except BaseException:
        await _undo(conn, "ROLLBACK")
        raise
    return len(pending)


# --- the store ----------------------------------------------------------------------------


class Store:
    """Articles, analyses, quotes and settings in one SQLite file, partitioned by guild.

    Open with `store = await Store.open(path)` and `await store.close()`, or
    `async with await Store.open(path) as store:`. One connection serves every call; an
    asyncio lock keeps one task's transaction from interleaving with another task's reads.
    Other processes may open the same file: writes take SQLite's write lock up front and
    wait for it up to BUSY_TIMEOUT_MS.
    """

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        """Use Store.open(); this only wires an already prepared connection."""
        self._conn = connection
        self.path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._savepoints = 0
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        """Open (creating parent folders and the file) and bring the schema up to date."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        try:
            await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA foreign_keys = ON")
            async with connection.execute("PRAGMA journal_mode = WAL") as cursor:
                row = await cursor.fetchone()
            if row is None or str(row[0]).lower() != "wal":
                log.warning("SQLite refused WAL for %s (journal_mode=%s)", path, row)
            await connection.execute("PRAGMA synchronous = NORMAL")
            applied = await apply_migrations(connection, load_migrations())
            if applied:
                log.info("applied %d migration(s) to %s", applied, path)
            store = cls(connection, path)
        except BaseException:
            await connection.close()
            raise
        return store

    async def close(self) -> None:
        """Close the connection (again is harmless); the Store is unusable afterwards."""
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                # SQLite's advice for long-lived connections: refresh planner statistics on close.
                await self._conn.execute("PRAGMA optimize")
            except sqlite3.Error as error:
                log.warning("PRAGMA optimize failed on %s: %s", self.path, error)
            await self._conn.close()

    async def __aenter__(self) -> Self:
        """Let `async with await Store.open(path) as store:` close the store on exit."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close on leaving the block, error or not."""
        await self.close()

    async def schema_version(self) -> int:
        """The number of migrations applied to this database."""
        async with self._reading() as conn:
            return await _user_version(conn)

    # --- transactions ---------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Group several Store calls into one atomic write; nested uses become savepoints.

        The block owns the connection: Store calls inside it must run in the same task
        (awaited directly), not in tasks it starts and waits for, which would wait forever.
        """
        async with self._writing():
            yield

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """An IMMEDIATE transaction (takes the write lock up front, so no upgrade deadlock)."""
        async with self._transaction("BEGIN IMMEDIATE") as conn:
            yield conn

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read transaction: a consistent snapshot across several SELECTs."""
        async with self._transaction("BEGIN") as conn:
            yield conn

    @asynccontextmanager
    async def _transaction(self, begin: str) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in a transaction owned by this task; re-entry uses a savepoint."""
        conn = self._conn
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            self._savepoints += 1
            name = f"nested_{self._savepoints}"
            try:
                await conn.execute(f"SAVEPOINT {name}")
                yield conn
                await conn.execute(f"RELEASE {name}")
            except BaseException:
                await _undo(conn, f"ROLLBACK TO {name}")
                await _undo(conn, f"RELEASE {name}")
                raise
            finally:
                self._savepoints -= 1
            return
        async with self._lock:
            self._owner = task
            try:
                # BEGIN inside the try: a cancel while it is queued must still roll back.
                await conn.execute(begin)
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                await _undo(conn, "ROLLBACK")
                raise
            finally:
                self._owner = None

    # --- articles -------------------------------------------------------------------------

    async def add_article(
        self,
        guild_id: int | None,
        article: ExtractedArticle,
        analysis: Analysis,
        *,
        added_by: int | None = None,
        now: datetime,
        source_path: str | None = None,
    ) -> AddResult:
        """Store an article with its analysis atomically; an article already here is returned.

        `source_path` is the file a command-line ingest read it from (kept as the user typed it).
        """
        if not article.text.strip():
            raise ValueError("an article needs text")
        url_key = canonical_url(article.url) if article.url else None
        text_hash = text_fingerprint(article.text)
        added_at = _format_time(now)
        async with self._writing() as conn:
            existing_id = await _find_duplicate(conn, guild_id, url_key, text_hash)
            if existing_id is not None:
                stored = await _get_article(conn, guild_id, existing_id)
                assert stored is not None
                return AddResult(stored, created=False)
            cursor = await conn.execute(
                "INSERT INTO articles (guild_id, url, canonical_url, title, byline, published,"
                " site_name, source_kind, text, text_hash, language, summary_method, added_at,"
                " added_by, source_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    article.url,
                    url_key,
                    article.title,
                    article.byline,
                    article.published,
                    article.site_name,
                    article.source_kind,
                    article.text,
                    text_hash,
                    analysis.language,
                    analysis.summary.method,
                    added_at,
                    added_by,
                    source_path,
                ),
            )
            article_id = cursor.lastrowid
            assert article_id is not None
            await _insert_analysis(conn, guild_id, article_id, analysis)
            stored = await _get_article(conn, guild_id, article_id)
            assert stored is not None
        log.info("stored article %d for guild %s", article_id, guild_id)
        return AddResult(stored, created=True)

    async def get_article(self, guild_id: int | None, article_id: int) -> StoredArticle | None:
        """The guild's article with this id, or None (also when it belongs to another guild)."""
        async with self._reading() as conn:
            return await _get_article(conn, guild_id, article_id)

    async def get_articles(
        self, guild_id: int | None, article_ids: Iterable[int]
    ) -> list[StoredArticle]:
        """The guild's articles with these ids, in the order asked (one read for many ids).

        Ids of other guilds' or missing articles are left out; a repeated id comes back once.
        """
        wanted = list(dict.fromkeys(int(article_id) for article_id in article_ids))
        if not wanted:
            return []
        async with self._reading() as conn:
            found = await _select_articles(
                conn,
                "WHERE a.id IN (SELECT value FROM json_each(?)) AND a.guild_id IS ?",
                (json.dumps(wanted), guild_id),
            )
        by_id = {article.id: article for article in found}
        return [by_id[article_id] for article_id in wanted if article_id in by_id]

    async def find_article_by_url(self, guild_id: int | None, url: str) -> StoredArticle | None:
        """The guild's article at this URL or any variant of it (tracking, fragment, case)."""
        async with self._reading() as conn:
            async with conn.execute(
                "SELECT id FROM articles WHERE ifnull(guild_id, -1) = ifnull(?, -1)"
                " AND canonical_url = ?",
                (guild_id, canonical_url(url)),
            ) as cursor:
                row = await cursor.fetchone()
            return None if row is None else await _get_article(conn, guild_id, row[0])

    async def list_articles(
        self, guild_id: int | None, *, limit: int, offset: int = 0
    ) -> list[StoredArticle]:
        """The guild's articles, newest first."""
        async with self._reading() as conn:
            return await _select_articles(
                conn,
                "WHERE a.guild_id IS ? ORDER BY a.added_at DESC, a.id DESC LIMIT ? OFFSET ?",
                (guild_id, max(limit, 0), max(offset, 0)),
            )

    async def count_articles(self, guild_id: int | None) -> int:
        """How many articles the guild has stored."""
        async with (
            self._reading() as conn,
            conn.execute(
                "SELECT count(*) FROM articles WHERE guild_id IS ?", (guild_id,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def remove_article(self, guild_id: int | None, article_id: int) -> bool:
        """Delete the guild's article with its analysis and search entry; False if not there."""
        async with self._writing() as conn:
            cursor = await conn.execute(
                "DELETE FROM articles WHERE id = ? AND guild_id IS ?", (article_id, guild_id)
            )
            removed = cursor.rowcount > 0
        if removed:
            log.info("removed article %d from guild %s", article_id, guild_id)
        return removed

    async def articles_between(
        self, guild_id: int | None, since: datetime, until: datetime
    ) -> list[StoredArticle]:
        """The guild's articles added in [since, until), oldest first: a briefing's input."""
        async with self._reading() as conn:
            return await _select_articles(
                conn,
                "WHERE a.guild_id IS ? AND a.added_at >= ? AND a.added_at < ?"
                " ORDER BY a.added_at, a.id",
                (guild_id, _format_time(since), _format_time(until)),
            )

    async def article_digests(
        self,
        guild_id: int | None,
        since: datetime,
        until: datetime,
        *,
        lead_chars: int = 1200,
        max_names: int = 12,
    ) -> list[ArticleDigest]:
        """Light views of the guild's articles added in [since, until), oldest first.

        Each carries the text's first `lead_chars` characters, its countries and its first
        `max_names` people and organisations (most mentioned first): what clustering a month of
        articles needs, without reading their full texts and analyses.
        """
        # One pass over the window; each article's countries and names come from their
        # primary-key ranges, joined into one string per article in stored order (group_concat
        # follows its ordered subquery; SQLite before 3.44 has no ORDER BY inside aggregates).
        sql = (
            "SELECT a.id, a.title, a.url, a.site_name, a.added_at, substr(a.text, 1, :lead),"
            " length(a.text), a.source_path,"
            " (SELECT group_concat(code || :field || mentions || :field || name, :item) FROM"
            "  (SELECT code, mentions, name FROM countries"
            "   WHERE article_id = a.id ORDER BY position)),"
            " (SELECT group_concat(name, :item) FROM"
            "  (SELECT name FROM entities WHERE article_id = a.id AND label IN ('PERSON', 'ORG')"
            "   ORDER BY position LIMIT :names))"
            " FROM articles a WHERE a.guild_id IS :guild AND a.added_at >= :since"
            " AND a.added_at < :until ORDER BY a.added_at, a.id"
        )
        params = {
            "lead": max(lead_chars, 0),
            "names": max(max_names, 0),
            "field": _FIELD_SEPARATOR,
            "item": _ITEM_SEPARATOR,
            "guild": guild_id,
            "since": _format_time(since),
            "until": _format_time(until),
        }
        digests: list[ArticleDigest] = []
        # Copies of one report share their actors: one tuple each, parsed once, and far fewer
        # objects for the garbage collector to walk.
        countries: dict[str | None, tuple[Country, ...]] = {None: ()}
        names: dict[str | None, tuple[str, ...]] = {None: ()}
        async with self._reading() as conn, conn.execute(sql, params) as cursor:
            async for rows in _chunks(cursor):
                for row in rows:
                    if row[8] not in countries:
                        countries[row[8]] = _countries(row[8])
                    if row[9] not in names:
                        names[row[9]] = tuple(row[9].split(_ITEM_SEPARATOR))
                    digests.append(
                        ArticleDigest(
                            id=row[0],
                            title=row[1],
                            url=row[2],
                            site_name=row[3],
                            added_at=_parse_time(row[4]),
                            lead=row[5],
                            text_length=row[6],
                            countries=countries[row[8]],
                            names=names[row[9]],
                            source_path=row[7],
                        )
                    )
        return digests

    async def country_sentences(
        self, guild_id: int | None, code: str, since: datetime, until: datetime
    ) -> list[CountrySentence]:
        """The sentences naming `code` in the guild's articles added in [since, until).

        Oldest article first, then in text order; each carries every country it names and its
        text cut from the article by its stored span, so /relations reads a few sentences
        instead of every article and analysis of the window.
        """
        # The window's mentions of the country come from the code index; each sentence's other
        # countries from its article's primary-key range. An article stored without sentence
        # spans (none written) gives its whole text, split into lines here as the pipeline does.
        sql = (
            "WITH naming AS (SELECT DISTINCT m.article_id, m.sentence_index"
            "  FROM country_mentions m JOIN articles a ON a.id = m.article_id"
            "  WHERE m.code = :code AND a.guild_id IS :guild AND a.added_at >= :since"
            "  AND a.added_at < :until)"
            " SELECT a.id, n.sentence_index, a.title,"
            " CASE WHEN a.title IS NULL OR a.title = ''"
            "  THEN substr(ltrim(a.text, :blank), 1, :opening) ELSE '' END,"
            " CASE WHEN s.article_id IS NOT NULL"
            "  THEN substr(a.text, s.start_offset + 1, s.end_offset - s.start_offset)"
            "  WHEN NOT EXISTS (SELECT 1 FROM sentences WHERE article_id = a.id) THEN a.text"
            "  ELSE '' END,"
            " s.article_id IS NOT NULL OR EXISTS (SELECT 1 FROM sentences WHERE article_id = a.id),"
            " (SELECT group_concat(code, :item) FROM (SELECT DISTINCT code FROM country_mentions"
            "   WHERE article_id = n.article_id AND sentence_index = n.sentence_index))"
            " FROM naming n JOIN articles a ON a.id = n.article_id"
            " LEFT JOIN sentences s"
            "  ON s.article_id = n.article_id AND s.position = n.sentence_index"
            " ORDER BY a.added_at, a.id, n.sentence_index"
        )
        params = {
            "code": code,
            "guild": guild_id,
            "since": _format_time(since),
            "until": _format_time(until),
            "blank": _BLANK,
            "opening": _OPENING_CHARS,
            "item": _ITEM_SEPARATOR,
        }
        found: list[CountrySentence] = []
        lines: dict[int, list[str]] = {}
        async with self._reading() as conn, conn.execute(sql, params) as cursor:
            async for rows in _chunks(cursor):
                for article_id, index, title, opening, text, has_spans, codes in rows:
                    if has_spans:
                        sentence = text.strip()
                    else:
                        if article_id not in lines:
                            lines[article_id] = [
                                ln.strip() for ln in text.splitlines() if ln.strip()
                            ]
                        article_lines = lines[article_id]
                        sentence = article_lines[index] if index < len(article_lines) else ""
                    found.append(
                        CountrySentence(
                            article_id=article_id,
                            sentence_index=index,
                            text=sentence,
                            codes=tuple(codes.split(_ITEM_SEPARATOR)),
                            title=title,
                            opening=opening,
                        )
                    )
        return found

    # --- analyses -------------------------------------------------------------------------

    async def load_analysis(self, guild_id: int | None, article_id: int) -> Analysis | None:
        """The stored Analysis of the guild's article, so it re-renders without re-fetching."""
        analyses = await self.load_analyses(guild_id, [article_id])
        return analyses.get(article_id)

    async def load_analyses(
        self, guild_id: int | None, article_ids: Iterable[int]
    ) -> dict[int, Analysis]:
        """Analyses by article id; ids of other guilds' or missing articles are left out."""
        ids = json.dumps(sorted({int(article_id) for article_id in article_ids}))
        async with self._reading() as conn:
            return await _load_analyses(conn, guild_id, ids)

    # --- search ---------------------------------------------------------------------------

    async def search(
        self, guild_id: int | None, query: str, *, limit: int = 5, offset: int = 0
    ) -> SearchPage:
        """Full-text search of titles and bodies, best match first; any user text is safe."""
        match = fts_query(query)
        if match is None:
            return SearchPage(hits=(), total=0)
        async with self._reading() as conn:
            # Shapes chosen with EXPLAIN on 10,000 articles: counting through IN and ranking with
            # the FTS table as the outer loop (CROSS JOIN) avoid one FTS probe per article;
            # snippets are made for the page only, not for every match.
            async with conn.execute(
                "SELECT count(*) FROM articles WHERE guild_id IS ?"
                " AND id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)",
                (guild_id, match),
            ) as cursor:
                row = await cursor.fetchone()
            total = int(row[0]) if row else 0
            if total == 0 or offset >= total:
                return SearchPage(hits=(), total=total)
            async with conn.execute(
                "WITH page AS ("
                " SELECT articles_fts.rowid AS id, bm25(articles_fts, 5.0, 1.0) AS score"
                " FROM articles_fts CROSS JOIN articles a ON a.id = articles_fts.rowid"
                " WHERE articles_fts MATCH :match AND a.guild_id IS :guild"
                " ORDER BY score, a.id DESC LIMIT :limit OFFSET :offset)"
                " SELECT a.id, a.title, a.url, a.added_at,"
                " snippet(articles_fts, -1, :start, :end, :ellipsis, :tokens)"
                " FROM page CROSS JOIN articles_fts ON articles_fts.rowid = page.id"
                " CROSS JOIN articles a ON a.id = page.id"
                " WHERE articles_fts MATCH :match ORDER BY page.score, page.id DESC",
                {
                    "match": match,
                    "guild": guild_id,
                    "limit": max(limit, 0),
                    "offset": max(offset, 0),
                    "start": _MATCH_START,
                    "end": _MATCH_END,
                    "ellipsis": SNIPPET_ELLIPSIS,
                    "tokens": SNIPPET_TOKENS,
                },
            ) as cursor:
                rows = await cursor.fetchall()
        hits = []
        for article_id, title, url, added_at, snippet in rows:
            parts = _snippet_parts(snippet or "")
            hits.append(
                SearchHit(
                    article_id=article_id,
                    title=title,
                    url=url,
                    added_at=_parse_time(added_at),
                    snippet=_mark_matches(parts),
                    snippet_parts=parts,
                )
            )
        return SearchPage(hits=tuple(hits), total=total)

    async def search_ids(self, guild_id: int | None, query: str) -> set[int]:
        """Ids of the guild's articles that `search` would find: no ranking, no snippets."""
        match = fts_query(query)
        if match is None:
            return set()
        async with (
            self._reading() as conn,
            conn.execute(
                "SELECT id FROM articles WHERE guild_id IS ?"
                " AND id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)",
                (guild_id, match),
            ) as cursor,
        ):
            return {row[0] async for rows in _chunks(cursor) for row in rows}

    # --- quotes ---------------------------------------------------------------------------

    async def find_quotes(
        self,
        guild_id: int | None,
        *,
        speaker: str | None = None,
        article_id: int | None = None,
        limit: int = 10,
    ) -> list[StoredQuote]:
        """The guild's quotes, newest article first; speaker matches any part, any case."""
        conditions = ["a.guild_id IS ?"]
        params: list[Any] = [guild_id]
        speaker_key = _speaker_key(speaker)
        if speaker_key:
            conditions.append("instr(q.speaker_key, ?) > 0")
            params.append(speaker_key)
        if article_id is not None:
            conditions.append("a.id = ?")
            params.append(article_id)
        params.append(max(limit, 0))
        # Walk the guild's articles newest first and stop at `limit` quotes (CROSS JOIN keeps
        # that order); starting from quotes would sort all of them first.
        async with (
            self._reading() as conn,
            conn.execute(
                "SELECT q.text, q.speaker, q.title, q.cue, q.partial, a.id, a.title, a.url,"
                " a.added_at FROM articles a CROSS JOIN quotes q ON q.article_id = a.id"
                f" WHERE {' AND '.join(conditions)}"
                " ORDER BY a.added_at DESC, a.id DESC, q.position LIMIT ?",
                params,
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [
            StoredQuote(
                text=row[0],
                speaker=row[1],
                title=row[2],
                cue=row[3],
                partial=bool(row[4]),
                article_id=row[5],
                article_title=row[6],
                article_url=row[7],
                added_at=_parse_time(row[8]),
            )
            for row in rows
        ]

    async def quote_speakers(self, guild_id: int | None, prefix: str, limit: int = 25) -> list[str]:
        """Speakers whose name or any word of it starts with prefix, most quoted first."""
        pattern = _like_escape(_speaker_key(prefix) or "")
        async with (
            self._reading() as conn,
            conn.execute(
                "SELECT min(speaker), count(*) AS quoted FROM quotes"
                " WHERE guild_id IS ? AND speaker_key IS NOT NULL"
                " AND (speaker_key LIKE ? ESCAPE '\\' OR speaker_key LIKE ? ESCAPE '\\'"
                " OR speaker_key LIKE ? ESCAPE '\\')"
                " GROUP BY speaker_key ORDER BY quoted DESC, speaker_key LIMIT ?",
                (guild_id, f"{pattern}%", f"% {pattern}%", f"%-{pattern}%", max(limit, 0)),
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [row[0] for row in rows]

    # --- auto-summary settings ------------------------------------------------------------

    async def set_autosummary(self, guild_id: int, channel_id: int, enabled: bool) -> None:
        """Turn automatic summaries of posted links on or off for one channel."""
        async with self._writing() as conn:
            await conn.execute(
                "INSERT INTO autosummary_channels (guild_id, channel_id, enabled) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id, channel_id) DO UPDATE SET enabled = excluded.enabled",
                (guild_id, channel_id, int(enabled)),
            )

    async def autosummary_enabled(self, guild_id: int, channel_id: int) -> bool:
        """Whether links posted in this channel are summarized automatically (off by default)."""
        async with (
            self._reading() as conn,
            conn.execute(
                "SELECT enabled FROM autosummary_channels WHERE guild_id = ? AND channel_id = ?",
                (guild_id, channel_id),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return bool(row[0]) if row else False

    async def autosummary_channels(self, guild_id: int) -> list[int]:
        """The guild's channels with automatic summaries on."""
        async with (
            self._reading() as conn,
            conn.execute(
                "SELECT channel_id FROM autosummary_channels WHERE guild_id = ? AND enabled"
                " ORDER BY channel_id",
                (guild_id,),
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [row[0] for row in rows]

    # --- digest subscriptions -------------------------------------------------------------

    async def subscribe_digest(
        self,
        guild_id: int,
        channel_id: int,
        *,
        local_time: str,
        timezone: str,
        topic: str | None,
        country: str | None,
        quiet: bool,
        created_by: int | None,
        next_due_at: datetime,
        now: datetime,
    ) -> DigestSubscription:
        """Subscribe a channel, or change its subscription; a paused one starts again.

        Re-subscribing keeps the subscription's id, delivery log and the end of the last
        digest's window, so the next digest still covers only what is new.
        """
        async with self._writing() as conn:
            await conn.execute(
                "INSERT INTO digest_subscriptions (guild_id, channel_id, local_time, timezone,"
                " topic, country, quiet, created_by, created_at, next_due_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (guild_id, channel_id) DO UPDATE SET"
                " local_time = excluded.local_time, timezone = excluded.timezone,"
                " topic = excluded.topic, country = excluded.country, quiet = excluded.quiet,"
                " next_due_at = excluded.next_due_at, paused_reason = NULL, paused_at = NULL",
                (
                    guild_id,
                    channel_id,
                    local_time,
                    timezone,
                    topic,
                    country,
                    int(quiet),
                    created_by,
                    _format_time(now),
                    _format_time(next_due_at),
                ),
            )
            subscriptions = await _select_subscriptions(
                conn, "WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
            )
        log.info("digest subscription for channel %d in guild %d", channel_id, guild_id)
        return subscriptions[0]

    async def unsubscribe_digest(self, guild_id: int, channel_id: int) -> bool:
        """Stop a channel's digest (its delivery log goes with it); False if it had none."""
        async with self._writing() as conn:
            cursor = await conn.execute(
                "DELETE FROM digest_subscriptions WHERE guild_id = ? AND channel_id = ?",
                (guild_id, channel_id),
            )
            return cursor.rowcount > 0

    async def digest_subscription(
        self, guild_id: int, channel_id: int
    ) -> DigestSubscription | None:
        """The channel's subscription, paused or not, or None."""
        async with self._reading() as conn:
            found = await _select_subscriptions(
                conn, "WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
            )
        return found[0] if found else None

    async def digest_subscriptions(self, guild_id: int) -> list[DigestSubscription]:
        """The guild's subscriptions, paused ones included, in channel order."""
        async with self._reading() as conn:
            return await _select_subscriptions(
                conn, "WHERE guild_id = ? ORDER BY channel_id", (guild_id,)
            )

    async def due_digest_subscriptions(
        self, now: datetime, *, limit: int = 100_000
    ) -> list[DigestSubscription]:
        """Every guild's unpaused subscriptions due at `now`, earliest first (for the scheduler)."""
        async with self._reading() as conn:
            return await _select_subscriptions(
                conn,
                "WHERE paused_reason IS NULL AND next_due_at <= ? ORDER BY next_due_at, id LIMIT ?",
                (_format_time(now), max(limit, 0)),
            )

    async def next_digest_due(self) -> datetime | None:
        """When the earliest unpaused subscription is due (any guild), or None if none is."""
        async with (
            self._reading() as conn,
            conn.execute(
                "SELECT min(next_due_at) FROM digest_subscriptions WHERE paused_reason IS NULL"
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return _parse_time(row[0]) if row and row[0] else None

    async def digest_delivery(
        self, guild_id: int, subscription_id: int, local_date: str
    ) -> DigestDelivery | None:
        """How far one occurrence of the guild's subscription got, or None if never tried."""
        async with self._reading() as conn:
            return await _get_delivery(conn, guild_id, subscription_id, local_date)

    async def begin_digest_delivery(
        self,
        guild_id: int,
        subscription_id: int,
        local_date: str,
        *,
        nonce: str,
        due_at: datetime,
        now: datetime,
    ) -> DigestDelivery | None:
        """Record that an occurrence is being sent, before asking Discord; None if unsubscribed.

        An occurrence already begun or finished is returned as it is (the caller decides from
        its status and start time); one that failed is begun again.
        """
        async with self._writing() as conn:
            async with conn.execute(
                "SELECT 1 FROM digest_subscriptions WHERE id = ? AND guild_id = ?",
                (subscription_id, guild_id),
            ) as cursor:
                if await cursor.fetchone() is None:
                    return None
            await conn.execute(
                "INSERT INTO digest_deliveries (subscription_id, local_date, status, nonce,"
                " due_at, started_at) VALUES (?, ?, 'sending', ?, ?, ?)"
                " ON CONFLICT (subscription_id, local_date) DO UPDATE SET status = 'sending',"
                " nonce = excluded.nonce, started_at = excluded.started_at,"
                " finished_at = NULL, detail = NULL WHERE status = 'failed'",
                (subscription_id, local_date, nonce, _format_time(due_at), _format_time(now)),
            )
            return await _get_delivery(conn, guild_id, subscription_id, local_date)

    async def mark_digest_sent(
        self,
        guild_id: int,
        subscription_id: int,
        local_date: str,
        *,
        message_id: int | None,
        covered_until: datetime,
        next_due_at: datetime,
        now: datetime,
    ) -> bool:
        """Record an occurrence Discord accepted (message_id None: nothing to post) and move on.

        One transaction: the delivery row, the end of the window the digest covered, and the
        next occurrence. Call it only after Discord accepted the message.
        """
        status = "sent" if message_id is not None else "quiet"
        async with self._writing() as conn:
            cursor = await conn.execute(
                "UPDATE digest_subscriptions SET next_due_at = ?, last_digest_until = ?,"
                " last_sent_at = CASE WHEN ? IS NULL THEN last_sent_at ELSE ? END"
                " WHERE id = ? AND guild_id = ?",
                (
                    _format_time(next_due_at),
                    _format_time(covered_until),
                    message_id,
                    _format_time(now),
                    subscription_id,
                    guild_id,
                ),
            )
            if cursor.rowcount == 0:
                return False
            await _finish_delivery(
                conn, subscription_id, local_date, status, now, message_id=message_id
            )
        return True

    async def skip_digest(
        self,
        guild_id: int,
        subscription_id: int,
        local_date: str,
        *,
        nonce: str,
        due_at: datetime,
        reason: str,
        next_due_at: datetime,
        now: datetime,
    ) -> bool:
        """Give up one occurrence (too late, or possibly sent already) and move to the next."""
        async with self._writing() as conn:
            cursor = await conn.execute(
                "UPDATE digest_subscriptions SET next_due_at = ? WHERE id = ? AND guild_id = ?",
                (_format_time(next_due_at), subscription_id, guild_id),
            )
            if cursor.rowcount == 0:
                return False
            await conn.execute(
                "INSERT INTO digest_deliveries (subscription_id, local_date, status, nonce,"
                " due_at, started_at) VALUES (?, ?, 'skipped', ?, ?, ?)"
                " ON CONFLICT (subscription_id, local_date) DO NOTHING",
                (subscription_id, local_date, nonce, _format_time(due_at), _format_time(now)),
            )
            await _finish_delivery(conn, subscription_id, local_date, "skipped", now, detail=reason)
        return True

    async def pause_digest(
        self, guild_id: int, subscription_id: int, local_date: str, *, reason: str, now: datetime
    ) -> bool:
        """Stop a subscription Discord refused (deleted channel, lost permission) until renewed."""
        async with self._writing() as conn:
            cursor = await conn.execute(
                "UPDATE digest_subscriptions SET paused_reason = ?, paused_at = ?"
                " WHERE id = ? AND guild_id = ?",
                (reason, _format_time(now), subscription_id, guild_id),
            )
            if cursor.rowcount == 0:
                return False
            await _finish_delivery(conn, subscription_id, local_date, "failed", now, detail=reason)
        log.info("paused digest %d in guild %d: %s", subscription_id, guild_id, reason)
        return True

    async def reschedule_digest(
        self, guild_id: int, subscription_id: int, *, next_due_at: datetime
    ) -> bool:
        """Move a subscription to its next occurrence without recording a delivery."""
        async with self._writing() as conn:
            cursor = await conn.execute(
                "UPDATE digest_subscriptions SET next_due_at = ? WHERE id = ? AND guild_id = ?",
                (_format_time(next_due_at), subscription_id, guild_id),
            )
            return cursor.rowcount > 0


# --- statements run inside a Store transaction ---------------------------------------------


async def _undo(conn: aiosqlite.Connection, statement: str) -> None:
    """Roll back after a failure; a transaction that is already gone is not a second error."""
    try:
        await conn.execute(statement)
    except sqlite3.OperationalError as error:
        log.debug("%s after a failed transaction: %s", statement, error)


async def _user_version(conn: aiosqlite.Connection) -> int:
    """PRAGMA user_version: how many migrations have been applied."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _find_duplicate(
    conn: aiosqlite.Connection, guild_id: int | None, url_key: str | None, text_hash: str
) -> int | None:
    """The id of the guild's article with this canonical URL or this text, if any."""
    if url_key is not None:
        async with conn.execute(
            "SELECT id FROM articles WHERE ifnull(guild_id, -1) = ifnull(?, -1)"
            " AND canonical_url = ?",
            (guild_id, url_key),
        ) as cursor:
            row = await cursor.fetchone()
        if row is not None:
            return int(row[0])
    async with conn.execute(
        "SELECT id FROM articles WHERE ifnull(guild_id, -1) = ifnull(?, -1) AND text_hash = ?",
        (guild_id, text_hash),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def _insert_analysis(
    conn: aiosqlite.Connection, guild_id: int | None, article_id: int, analysis: Analysis
) -> None:
    """Write every part of an analysis; the caller's transaction makes it all-or-nothing."""
    summary = analysis.summary
    indices: Sequence[int | None] = summary.sentence_indices
    await conn.executemany(
        "INSERT INTO summary_sentences (article_id, position, text, sentence_index)"
        " VALUES (?, ?, ?, ?)",
        [
            (article_id, position, text, indices[position] if position < len(indices) else None)
            for position, text in enumerate(summary.sentences)
        ],
    )
    await conn.executemany(
        "INSERT INTO entities (article_id, position, name, label, mentions, title)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (article_id, position, entity.name, entity.label, entity.mentions, entity.title)
            for position, entity in enumerate(analysis.entities)
        ],
    )
    await conn.executemany(
        "INSERT INTO entity_aliases (article_id, entity_position, position, alias)"
        " VALUES (?, ?, ?, ?)",
        [
            (article_id, entity_position, position, alias)
            for entity_position, entity in enumerate(analysis.entities)
            for position, alias in enumerate(entity.aliases)
        ],
    )
    await conn.executemany(
        "INSERT INTO countries (article_id, position, code, name, mentions) VALUES (?, ?, ?, ?, ?)",
        [
            (article_id, position, country.code, country.name, country.mentions)
            for position, country in enumerate(analysis.countries)
        ],
    )
    await conn.executemany(
        "INSERT INTO country_mentions (article_id, position, code, text, start_offset,"
        " end_offset, sentence_index) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (article_id, position, m.code, m.text, m.start, m.end, m.sentence)
            for position, m in enumerate(analysis.country_mentions)
        ],
    )
    await conn.executemany(
        "INSERT INTO sentences (article_id, position, start_offset, end_offset)"
        " VALUES (?, ?, ?, ?)",
        [
            (article_id, position, start, end)
            for position, (start, end) in enumerate(analysis.sentence_spans)
        ],
    )
    await conn.executemany(
        "INSERT INTO quotes (article_id, guild_id, position, text, speaker, speaker_key, title,"
        " cue, partial, start_offset, end_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                article_id,
                guild_id,
                position,
                quote.text,
                quote.speaker,
                _speaker_key(quote.speaker),
                quote.title,
                quote.cue,
                int(quote.partial),
                quote.start,
                quote.end,
            )
            for position, quote in enumerate(analysis.quotes)
        ],
    )


async def _get_article(
    conn: aiosqlite.Connection, guild_id: int | None, article_id: int
) -> StoredArticle | None:
    """One article of the guild, or None."""
    articles = await _select_articles(
        conn, "WHERE a.id = ? AND a.guild_id IS ?", (article_id, guild_id)
    )
    return articles[0] if articles else None


async def _chunks(cursor: aiosqlite.Cursor) -> AsyncIterator[list[sqlite3.Row]]:
    """A cursor's rows ROWS_PER_CHUNK at a time, awaiting between chunks."""
    while rows := list(await cursor.fetchmany(ROWS_PER_CHUNK)):
        yield rows


def _countries(joined: str) -> tuple[Country, ...]:
    """Countries joined by article_digests ("code, mentions, name" items) as Country objects."""
    countries = []
    for item in joined.split(_ITEM_SEPARATOR):
        code, mentions, name = item.split(_FIELD_SEPARATOR, 2)
        countries.append(Country(code, name, int(mentions)))
    return tuple(countries)


async def _select_articles(
    conn: aiosqlite.Connection, where: str, params: Sequence[Any]
) -> list[StoredArticle]:
    """Articles matching a WHERE/ORDER clause, each with its summary sentences."""
    rows: list[sqlite3.Row] = []
    async with conn.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles a {where}", params) as cur:
        async for chunk in _chunks(cur):
            rows.extend(chunk)
    if not rows:
        return []
    ids = json.dumps([row[0] for row in rows])
    summaries: dict[int, list[str]] = {}
    async with conn.execute(
        "SELECT article_id, text FROM summary_sentences"
        " WHERE article_id IN (SELECT value FROM json_each(?)) ORDER BY article_id, position",
        (ids,),
    ) as cursor:
        async for chunk in _chunks(cursor):
            for article_id, text in chunk:
                summaries.setdefault(article_id, []).append(text)
    articles: list[StoredArticle] = []
    for start in range(0, len(rows), ROWS_PER_CHUNK):
        if start:
            await asyncio.sleep(0)  # let other tasks run between chunks of a big read
        articles.extend(
            _stored_article(row, summaries.get(row[0], ()))
            for row in rows[start : start + ROWS_PER_CHUNK]
        )
    return articles


def _stored_article(row: sqlite3.Row, summary: Iterable[str]) -> StoredArticle:
    """One row of _ARTICLE_COLUMNS with its summary sentences as a StoredArticle."""
    return StoredArticle(
        id=row[0],
        guild_id=row[1],
        url=row[2],
        canonical_url=row[3],
        title=row[4],
        byline=row[5],
        published=row[6],
        site_name=row[7],
        text=row[8],
        added_at=_parse_time(row[9]),
        added_by=row[10],
        summary_method=row[11],
        summary=tuple(summary),
        source_kind=row[12],
        language=row[13],
        source_path=row[14],
    )


async def _load_analyses(
    conn: aiosqlite.Connection, guild_id: int | None, ids_json: str
) -> dict[int, Analysis]:
    """Rebuild Analysis objects for the guild's articles among a JSON array of ids."""
    async with conn.execute(
        "SELECT id, summary_method, language FROM articles"
        " WHERE id IN (SELECT value FROM json_each(?)) AND guild_id IS ?",
        (ids_json, guild_id),
    ) as cursor:
        article_rows = list(await cursor.fetchall())
    if not article_rows:
        return {}
    # Child tables are read by ids already checked against the guild above.
    in_guild = "article_id IN (SELECT value FROM json_each(?))"
    guild_ids_json = json.dumps([row[0] for row in article_rows])

    async def chunks(sql: str) -> AsyncIterator[list[sqlite3.Row]]:
        # Chunks, not all rows at once: a month of analyses is ~1M rows of Python objects.
        async with conn.execute(sql, (guild_ids_json,)) as cursor:
            async for chunk in _chunks(cursor):
                yield chunk

    summary_texts: dict[int, list[str]] = {}
    summary_indices: dict[int, list[int]] = {}
    async for chunk in chunks(
        f"SELECT article_id, text, sentence_index FROM summary_sentences WHERE {in_guild}"
        " ORDER BY article_id, position"
    ):
        for article_id, text, sentence_index in chunk:
            summary_texts.setdefault(article_id, []).append(text)
            if sentence_index is not None:
                summary_indices.setdefault(article_id, []).append(sentence_index)

    aliases: dict[tuple[int, int], list[str]] = {}
    async for chunk in chunks(
        f"SELECT article_id, entity_position, alias FROM entity_aliases WHERE {in_guild}"
        " ORDER BY article_id, entity_position, position"
    ):
        for article_id, entity_position, alias in chunk:
            aliases.setdefault((article_id, entity_position), []).append(alias)
    entities: dict[int, list[Entity]] = {}
    async for chunk in chunks(
        f"SELECT article_id, position, name, label, mentions, title FROM entities WHERE {in_guild}"
        " ORDER BY article_id, position"
    ):
        for article_id, position, name, label, mentions, title in chunk:
            entities.setdefault(article_id, []).append(
                Entity(
                    name=name,
                    label=label,
                    mentions=mentions,
                    aliases=tuple(aliases.get((article_id, position), ())),
                    title=title,
                )
            )

    countries: dict[int, list[Country]] = {}
    async for chunk in chunks(
        f"SELECT article_id, code, name, mentions FROM countries WHERE {in_guild}"
        " ORDER BY article_id, position"
    ):
        for article_id, code, name, mentions in chunk:
            countries.setdefault(article_id, []).append(Country(code, name, mentions))

    mentions_by_article: dict[int, list[CountryMention]] = {}
    async for chunk in chunks(
        "SELECT article_id, code, text, start_offset, end_offset, sentence_index"
        f" FROM country_mentions WHERE {in_guild} ORDER BY article_id, position"
    ):
        for article_id, code, text, start, end, sentence in chunk:
            mentions_by_article.setdefault(article_id, []).append(
                CountryMention(code, text, start, end, sentence)
            )

    spans: dict[int, list[tuple[int, int]]] = {}
    async for chunk in chunks(
        f"SELECT article_id, start_offset, end_offset FROM sentences WHERE {in_guild}"
        " ORDER BY article_id, position"
    ):
        for article_id, start, end in chunk:
            spans.setdefault(article_id, []).append((start, end))

    quotes: dict[int, list[Quote]] = {}
    async for chunk in chunks(
        "SELECT article_id, text, speaker, start_offset, end_offset, title, cue, partial"
        f" FROM quotes WHERE {in_guild} ORDER BY article_id, position"
    ):
        for article_id, text, speaker, start, end, title, cue, partial in chunk:
            quotes.setdefault(article_id, []).append(
                Quote(text, speaker, start, end, title=title, cue=cue, partial=bool(partial))
            )

    analyses: dict[int, Analysis] = {}
    for start in range(0, len(article_rows), ROWS_PER_CHUNK):
        if start:
            await asyncio.sleep(0)  # let other tasks run between chunks of a big read
        for article_id, method, language in article_rows[start : start + ROWS_PER_CHUNK]:
            analyses[article_id] = Analysis(
                summary=Summary(
                    method=method,
                    sentences=tuple(summary_texts.get(article_id, ())),
                    sentence_indices=tuple(summary_indices.get(article_id, ())),
                ),
                entities=tuple(entities.get(article_id, ())),
                countries=tuple(countries.get(article_id, ())),
                quotes=tuple(quotes.get(article_id, ())),
                country_mentions=tuple(mentions_by_article.get(article_id, ())),
                sentence_spans=tuple(spans.get(article_id, ())),
                language=language,
            )
    return analyses


_SUBSCRIPTION_COLUMNS = (
    "id, guild_id, channel_id, local_time, timezone, topic, country, quiet, created_by,"
    " created_at, next_due_at, last_digest_until, last_sent_at, paused_reason, paused_at"
)
_DELIVERY_COLUMNS = (
    "subscription_id, local_date, status, nonce, due_at, started_at, finished_at, message_id,"
    " detail"
)


def _optional_time(value: str | None) -> datetime | None:
    return _parse_time(value) if value else None


async def _select_subscriptions(
    conn: aiosqlite.Connection, where: str, params: Sequence[Any]
) -> list[DigestSubscription]:
    """Subscriptions matching a WHERE/ORDER clause."""
    async with conn.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM digest_subscriptions {where}", params
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        DigestSubscription(
            id=row[0],
            guild_id=row[1],
            channel_id=row[2],
            local_time=row[3],
            timezone=row[4],
            topic=row[5],
            country=row[6],
            quiet=bool(row[7]),
            created_by=row[8],
            created_at=_parse_time(row[9]),
            next_due_at=_parse_time(row[10]),
            last_digest_until=_optional_time(row[11]),
            last_sent_at=_optional_time(row[12]),
            paused_reason=row[13],
            paused_at=_optional_time(row[14]),
        )
        for row in rows
    ]


async def _get_delivery(
    conn: aiosqlite.Connection, guild_id: int, subscription_id: int, local_date: str
) -> DigestDelivery | None:
    """One occurrence's delivery row, if the subscription is the guild's."""
    async with conn.execute(
        f"SELECT {_DELIVERY_COLUMNS} FROM digest_deliveries WHERE subscription_id = ?"
        " AND local_date = ? AND subscription_id IN"
        " (SELECT id FROM digest_subscriptions WHERE guild_id = ?)",
        (subscription_id, local_date, guild_id),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return DigestDelivery(
        subscription_id=row[0],
        local_date=row[1],
        status=row[2],
        nonce=row[3],
        due_at=_parse_time(row[4]),
        started_at=_parse_time(row[5]),
        finished_at=_optional_time(row[6]),
        message_id=row[7],
        detail=row[8],
    )


async def _finish_delivery(
    conn: aiosqlite.Connection,
    subscription_id: int,
    local_date: str,
    status: str,
    now: datetime,
    *,
    message_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Close an occurrence's delivery row with its outcome."""
    await conn.execute(
        "UPDATE digest_deliveries SET status = ?, finished_at = ?, message_id = ?, detail = ?"
        " WHERE subscription_id = ? AND local_date = ?",
        (status, _format_time(now), message_id, detail, subscription_id, local_date),
    )
