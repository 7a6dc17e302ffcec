-- Until when an account's replies wait because the platform throttled one
-- of them (a 429 or a throttling code on a send). Only its replies wait:
-- the platforms limit posting apart from reading (Mastodon's 300 statuses in
-- 3 hours, Bluesky's write points), so its streams go on.
ALTER TABLE social.account ADD COLUMN sends_held_until timestamptz;
