-- Platform facts the adapters taught us:
-- a Weibo comment (how Parley replies on Weibo) holds at most 140 characters,
-- not the 2,000 of a post: refuse longer replies before queueing them;
-- Facebook's Graph API and Weibo's open API give apps no keyword search, so
-- no search stream is made for their accounts.
UPDATE social.platform SET reply_limit = 140 WHERE code = 'weibo';
ALTER TABLE social.platform ADD COLUMN searchable boolean NOT NULL DEFAULT false;
UPDATE social.platform SET searchable = harvested AND code NOT IN ('facebook', 'weibo');
