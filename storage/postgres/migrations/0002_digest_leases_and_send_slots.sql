-- Several processes share the database: a due digest is claimed with a lease before it is
-- sent (FOR UPDATE SKIP LOCKED), so exactly one process sends it; a lease not released (its
-- process died) expires and another process claims the digest.
ALTER TABLE digest_subscriptions ADD COLUMN lease_owner TEXT;
ALTER TABLE digest_subscriptions ADD COLUMN lease_until TIMESTAMPTZ;

-- Discord's global rate limit is per bot, whatever the number of processes: each request
-- takes a slot here first (a sliding window per key, serialised by an advisory lock).
CREATE TABLE send_slots (
    key   TEXT             NOT NULL,
    taken DOUBLE PRECISION NOT NULL
);
CREATE INDEX send_slots_key_taken ON send_slots (key, taken);
