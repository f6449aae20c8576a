-- Feeds read by servers (one row per feed URL, fetched once however many servers read it),
-- each server's subscriptions, the items seen (at least 60 days), and live channel posts.

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT    NOT NULL,
    canonical_url   TEXT    NOT NULL UNIQUE,
    title           TEXT,
    site_url        TEXT,
    etag            TEXT,
    last_modified   TEXT,
    ttl_s           INTEGER,
    created_at      TEXT    NOT NULL,
    next_fetch_at   TEXT    NOT NULL,
    last_fetched_at TEXT,
    last_ok_at      TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    failing_since   TEXT,
    last_error      TEXT,
    paused_at       TEXT,
    paused_reason   TEXT,
    baselined       INTEGER NOT NULL DEFAULT 0,
    -- A poll in progress: another process (or a later run) takes the feed after this.
    claimed_until   TEXT
);
CREATE INDEX feeds_due ON feeds (next_fetch_at) WHERE paused_reason IS NULL;

CREATE TABLE feed_subscriptions (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    feed_id         INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    live_channel_id INTEGER,
    topic           TEXT,
    country         TEXT,
    created_by      INTEGER,
    created_at      TEXT    NOT NULL,
    baseline_done   INTEGER NOT NULL DEFAULT 0,
    items_stored    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (guild_id, feed_id)
);
CREATE INDEX feed_subscriptions_feed ON feed_subscriptions (feed_id);

-- What became of each item of a feed; an item is new only when its key is not here.
-- article_scope/article_id: the analysed copy, so other servers get it without a refetch.
CREATE TABLE feed_items (
    feed_id       INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    item_key      TEXT    NOT NULL,
    outcome       TEXT    NOT NULL,
    reason        TEXT,
    article_url   TEXT,
    article_scope INTEGER,
    article_id    INTEGER,
    first_seen_at TEXT    NOT NULL,
    last_seen_at  TEXT    NOT NULL,
    PRIMARY KEY (feed_id, item_key)
) WITHOUT ROWID;
CREATE INDEX feed_items_article_url ON feed_items (article_url) WHERE article_url IS NOT NULL;
CREATE INDEX feed_items_last_seen ON feed_items (last_seen_at);

-- Feed articles waiting to be told in a live channel: written with the article, so a story
-- stored but not yet posted when the process died is posted after the restart.
CREATE TABLE live_candidates (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    feed_id    INTEGER,
    created_at TEXT    NOT NULL,
    outcome    TEXT    NOT NULL DEFAULT 'pending',
    done_at    TEXT,
    UNIQUE (guild_id, channel_id, article_id)
);
CREATE INDEX live_candidates_pending ON live_candidates (created_at) WHERE outcome = 'pending';

-- One message per story and live channel; the nonce is derived from the row id.
CREATE TABLE live_posts (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'sending',
    message_id  INTEGER,
    rendered_at TEXT
);
CREATE INDEX live_posts_channel ON live_posts (guild_id, channel_id, created_at);

CREATE TABLE live_post_articles (
    post_id    INTEGER NOT NULL REFERENCES live_posts (id) ON DELETE CASCADE,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    added_at   TEXT    NOT NULL,
    PRIMARY KEY (post_id, article_id)
) WITHOUT ROWID;
CREATE INDEX live_post_articles_article ON live_post_articles (article_id);

-- Short notices for a live channel (a feed paused after repeated failures), sent once.
CREATE TABLE live_notices (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    text       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    sent_at    TEXT
);
