-- Several processes may share one database: a due digest is claimed with a lease before it is
-- sent, so exactly one process sends it; a lease not released (its process died) expires.
ALTER TABLE digest_subscriptions ADD COLUMN lease_owner TEXT;
ALTER TABLE digest_subscriptions ADD COLUMN lease_until TEXT;

-- Discord's global rate limit is per bot, whatever the number of processes: each request
-- takes a slot here first (a sliding window per key; old rows are pruned as slots are taken).
CREATE TABLE send_slots (
    key   TEXT NOT NULL,
    taken REAL NOT NULL  -- seconds since the epoch, as the caller's clock says
);
CREATE INDEX send_slots_key_taken ON send_slots (key, taken);
