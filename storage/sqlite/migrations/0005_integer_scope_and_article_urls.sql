-- Every row's scope is an integer: the CLI/console's NULL becomes the reserved scope 0 (no
-- Discord snowflake is 0; a user's own library will be the negated user id), so every query
-- can say `guild_id = ?` and the unique indexes need no ifnull().
UPDATE articles SET guild_id = 0 WHERE guild_id IS NULL;
UPDATE quotes SET guild_id = 0 WHERE guild_id IS NULL;

DROP INDEX articles_guild_canonical_url;
DROP INDEX articles_guild_text_hash;
CREATE UNIQUE INDEX articles_guild_canonical_url
    ON articles (guild_id, canonical_url) WHERE canonical_url IS NOT NULL;
CREATE UNIQUE INDEX articles_guild_text_hash ON articles (guild_id, text_hash);

CREATE TRIGGER articles_scope_required BEFORE INSERT ON articles WHEN new.guild_id IS NULL BEGIN
    SELECT RAISE(ABORT, 'articles.guild_id (the scope) is required');
END;
CREATE TRIGGER quotes_scope_required BEFORE INSERT ON quotes WHEN new.guild_id IS NULL BEGIN
    SELECT RAISE(ABORT, 'quotes.guild_id (the scope) is required');
END;

-- Every URL that led to a stored article (the link as typed, the page it redirected to), so
-- a second post of a redirecting link finds the article without fetching it again.
CREATE TABLE article_urls (
    guild_id      INTEGER NOT NULL,
    canonical_url TEXT    NOT NULL,
    article_id    INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (guild_id, canonical_url)
) WITHOUT ROWID;
CREATE INDEX article_urls_article ON article_urls (article_id);

INSERT INTO article_urls (guild_id, canonical_url, article_id)
    SELECT guild_id, canonical_url, id FROM articles WHERE canonical_url IS NOT NULL;

-- Planner statistics exist from the start: the first PRAGMA optimize at close would otherwise
-- create sqlite_stat1, a schema change that other processes notice mid-read.
ANALYZE;
