-- Discord's global rate limit is per bot, whatever the number of processes. A sliding window
-- let several processes find room at the same moment and burst past it together; instead every
-- request now reserves the next free moment on one clock per key, spaced evenly. The old rows
-- are only recent send times: nothing of value is lost by starting the clock afresh.
DROP TABLE send_slots;
CREATE TABLE send_slots (
    key     TEXT PRIMARY KEY,
    next_at DOUBLE PRECISION NOT NULL  -- the last reserved moment, seconds since the epoch
);
