-- What kind of channel a digest goes to, learnt when it is subscribed: a forum gets a new post
-- each day, an announcement channel's message is published. A process without a gateway
-- connection (a digest worker) cannot see the channel, so the subscription remembers it.
-- Rows from before were text channels or threads.
ALTER TABLE digest_subscriptions ADD COLUMN channel_kind TEXT NOT NULL DEFAULT 'text'
    CHECK (channel_kind IN ('text', 'announcement', 'forum'));
