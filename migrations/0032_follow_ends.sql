-- When a follow ended, where Parley can know it: an unfollow or unsubscribe
-- event (X, WeChat), or a complete walk of the account's followers list
-- that no longer has the follower, on platforms whose API lists every
-- follower (Mastodon, Bluesky, X; Weibo lists only the newest 5,000 and
-- Graph none). Seen following again, the edge is open again.
ALTER TABLE social.follower_edge ADD COLUMN unfollowed_at timestamptz;
ALTER TABLE social.platform ADD COLUMN lists_all_followers boolean NOT NULL DEFAULT false;
UPDATE social.platform SET lists_all_followers = true WHERE code IN ('mastodon', 'bluesky', 'x');
-- A stream's current run: when its first page was recorded, and whether
-- every page so far was read (none quarantined, none passed over); and how
-- many followers its last whole walk of a followers list saw.
ALTER TABLE ingest.stream ADD COLUMN run_started_at timestamptz,
                          ADD COLUMN run_complete boolean NOT NULL DEFAULT true,
                          ADD COLUMN last_walk_seen integer;
-- Followers lost per day beside those gained (the KPI rollup), and the index
-- the refresh finds the days of new unfollows by.
ALTER TABLE kpi.follower_daily ADD COLUMN lost_followers bigint NOT NULL DEFAULT 0;
CREATE INDEX follower_edge_unfollowed_idx ON social.follower_edge (unfollowed_at) WHERE unfollowed_at IS NOT NULL;
