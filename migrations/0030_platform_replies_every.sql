-- How often a platform's replies stream walks the recent threads again,
-- where that differs from the stream default (5 minutes). Weibo: hourly,
-- since the mentions stream's comments/to_me list brings each new comment
-- on any of the brand's statuses, and a walk costs 50 requests of the
-- token's 1,000 an hour. New own posts still make the walk due at once.
ALTER TABLE social.platform ADD COLUMN replies_every interval CHECK (replies_every >= interval '1 minute');
UPDATE social.platform SET replies_every = interval '1 hour' WHERE code = 'weibo';
UPDATE ingest.stream s SET every = interval '1 hour'
FROM social.account a
WHERE a.id = s.account_id AND a.platform = 'weibo' AND s.kind = 'replies' AND s.every = interval '5 minutes';
