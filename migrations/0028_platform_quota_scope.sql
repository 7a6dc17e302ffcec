-- Whose quota a platform's rate limit counts. 'token': one budget for every
-- request made with the account's token, whatever the stream (Mastodon's
-- 300 per 5 minutes, Bluesky's, Meta's app usage, Weibo's 1,000 an hour).
-- 'endpoint': each endpoint has its own window (X). With a token's budget
-- spent, none of the account's streams may ask until it is back.
ALTER TABLE social.platform ADD COLUMN quota_scope text NOT NULL DEFAULT 'token'
  CHECK (quota_scope IN ('token', 'endpoint'));
UPDATE social.platform SET quota_scope = 'endpoint' WHERE code = 'x';
