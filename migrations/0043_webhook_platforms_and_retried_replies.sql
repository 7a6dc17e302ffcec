-- Which platforms Parley has a webhook receiver for (fcgi/hook_schemes.c):
-- only their accounts show a webhook address and take a webhook secret.
ALTER TABLE social.platform ADD COLUMN webhooks boolean NOT NULL DEFAULT false;
UPDATE social.platform SET webhooks = true
WHERE code IN ('facebook', 'instagram', 'x', 'mastodon', 'wechat', 'commerce');

-- Attempts made before staff sent a failed reply again: a retry starts the
-- attempt count afresh, but an earlier attempt may have posted the reply,
-- so the publisher still looks for it first.
ALTER TABLE ingest.outbox ADD COLUMN earlier_attempts integer NOT NULL DEFAULT 0 CHECK (earlier_attempts >= 0);
