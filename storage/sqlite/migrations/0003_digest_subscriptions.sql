-- Daily digest subscriptions (one per channel or thread) and the log of their deliveries.
-- Times are UTC ISO-8601 text as elsewhere; local_time/timezone say when the channel wants it.

CREATE TABLE digest_subscriptions (
    id                INTEGER PRIMARY KEY,
    guild_id          INTEGER NOT NULL,
    channel_id        INTEGER NOT NULL,
    local_time        TEXT    NOT NULL,  -- HH:MM on the channel's clock
    timezone          TEXT    NOT NULL,  -- IANA name, e.g. Europe/Berlin
    topic             TEXT,
    country           TEXT,
    quiet             INTEGER NOT NULL DEFAULT 0,  -- 1: post nothing on a day with no news
    created_by        INTEGER,
    created_at        TEXT    NOT NULL,
    next_due_at       TEXT    NOT NULL,  -- UTC instant of the next occurrence
    last_digest_until TEXT,              -- end of the window the last digest covered
    last_sent_at      TEXT,
    paused_reason     TEXT,              -- set when Discord refused the channel (403/404)
    paused_at         TEXT,
    UNIQUE (guild_id, channel_id)
);

-- The scheduler asks "what is due now?" across guilds; paused rows are never due.
CREATE INDEX digest_subscriptions_due ON digest_subscriptions (next_due_at)
    WHERE paused_reason IS NULL;

-- One row per (subscription, local date): the per-occurrence key that makes a digest go out once.
-- status: sending (accepted by nobody yet, or the process stopped before knowing), sent, quiet
-- (nothing to post and the subscription asked for silence), skipped, failed.
CREATE TABLE digest_deliveries (
    subscription_id INTEGER NOT NULL REFERENCES digest_subscriptions (id) ON DELETE CASCADE,
    local_date      TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    nonce           TEXT    NOT NULL,
    due_at          TEXT    NOT NULL,
    started_at      TEXT    NOT NULL,
    finished_at     TEXT,
    message_id      INTEGER,
    detail          TEXT,
    PRIMARY KEY (subscription_id, local_date)
) WITHOUT ROWID;
