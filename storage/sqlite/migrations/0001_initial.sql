-- Articles, their analysis, full-text search and per-channel auto-summary settings.
-- guild_id NULL means the CLI/console; every user-visible row carries its guild_id.
-- Times are UTC ISO-8601 text with a fixed format, so text order is time order.

CREATE TABLE articles (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER,
    url            TEXT,
    canonical_url  TEXT,
    title          TEXT,
    byline         TEXT,
    published      TEXT,
    site_name      TEXT,
    source_kind    TEXT    NOT NULL DEFAULT 'text',
    text           TEXT    NOT NULL,
    text_hash      TEXT    NOT NULL,
    language       TEXT    NOT NULL DEFAULT 'en',
    summary_method TEXT    NOT NULL,
    added_at       TEXT    NOT NULL,
    added_by       INTEGER
);

-- Dedupe per guild; ifnull() makes the console (NULL guild) one bucket instead of many.
CREATE UNIQUE INDEX articles_guild_canonical_url
    ON articles (ifnull(guild_id, -1), canonical_url) WHERE canonical_url IS NOT NULL;
CREATE UNIQUE INDEX articles_guild_text_hash ON articles (ifnull(guild_id, -1), text_hash);
CREATE INDEX articles_guild_added_at ON articles (guild_id, added_at);

CREATE TABLE summary_sentences (
    article_id     INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    text           TEXT    NOT NULL,
    sentence_index INTEGER,
    PRIMARY KEY (article_id, position)
) WITHOUT ROWID;

CREATE TABLE entities (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    label      TEXT    NOT NULL,
    mentions   INTEGER NOT NULL,
    title      TEXT,
    PRIMARY KEY (article_id, position)
) WITHOUT ROWID;

CREATE TABLE entity_aliases (
    article_id      INTEGER NOT NULL,
    entity_position INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    alias           TEXT    NOT NULL,
    PRIMARY KEY (article_id, entity_position, position),
    FOREIGN KEY (article_id, entity_position)
        REFERENCES entities (article_id, position) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE countries (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    code       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    mentions   INTEGER NOT NULL,
    PRIMARY KEY (article_id, position)
) WITHOUT ROWID;

CREATE TABLE country_mentions (
    article_id     INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    code           TEXT    NOT NULL,
    text           TEXT    NOT NULL,
    start_offset   INTEGER NOT NULL,
    end_offset     INTEGER NOT NULL,
    sentence_index INTEGER NOT NULL,
    PRIMARY KEY (article_id, position)
) WITHOUT ROWID;

CREATE TABLE sentences (
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    end_offset   INTEGER NOT NULL,
    PRIMARY KEY (article_id, position)
) WITHOUT ROWID;

-- guild_id is copied from the article so speaker look-ups stay inside one guild's index range.
CREATE TABLE quotes (
    id           INTEGER PRIMARY KEY,
    article_id   INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    guild_id     INTEGER,
    position     INTEGER NOT NULL,
    text         TEXT    NOT NULL,
    speaker      TEXT,
    speaker_key  TEXT,
    title        TEXT,
    cue          TEXT,
    partial      INTEGER NOT NULL DEFAULT 0,
    start_offset INTEGER NOT NULL,
    end_offset   INTEGER NOT NULL,
    UNIQUE (article_id, position)
);
CREATE INDEX quotes_guild_speaker_key ON quotes (guild_id, speaker_key);

CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title,
    text,
    content = 'articles',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER articles_fts_after_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;

CREATE TRIGGER articles_fts_after_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
END;

CREATE TRIGGER articles_fts_after_update AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;

CREATE TABLE autosummary_channels (
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    enabled    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
) WITHOUT ROWID;
