-- A Weibo comment (how Parley replies on Weibo) holds at most 140 characters,
-- not the 2,000 of a post: refuse longer replies before queueing them.
UPDATE social.platform SET reply_limit = 140 WHERE code = 'weibo';
