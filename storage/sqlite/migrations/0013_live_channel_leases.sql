-- Live work is done a channel at a time (whether an article joins a posted story depends on
-- the channel's earlier posts), by whichever poster holds the channel's lease: the same job
-- interface as on PostgreSQL, where several processes share the database.
CREATE TABLE live_channel_leases (
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    owner       TEXT,
    lease_until TEXT,
    PRIMARY KEY (guild_id, channel_id)
) WITHOUT ROWID;
