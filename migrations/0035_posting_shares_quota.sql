-- Platforms where a reply spends the same rate-limit budget as reading:
-- Meta's Graph limits count every call of the app, user and page, and
-- Weibo's every call of the user. There a throttled reply holds the
-- account's harvest as well as its other replies. Mastodon and Bluesky
-- limit posting apart from reading (a 429 on a post can be Mastodon's
-- 30-per-30-minutes posting limit), and X counts per endpoint.
ALTER TABLE social.platform ADD COLUMN posting_shares_quota boolean NOT NULL DEFAULT false;
UPDATE social.platform SET posting_shares_quota = true WHERE code IN ('facebook', 'instagram', 'weibo');
COMMENT ON COLUMN social.platform.posting_shares_quota IS
  'Posting spends the rate-limit budget reading does: a throttled reply holds the account''s streams too.';
