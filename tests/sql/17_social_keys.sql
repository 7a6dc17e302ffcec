-- The keys migration 0027 moved from row-level foreign keys to statement
-- triggers (sql/155_social_integrity.sql): a post's or profile's platform
-- must exist and cannot change, platforms cannot be deleted or renamed, and
-- a post's engagement snapshots go with it on DELETE and TRUNCATE.
BEGIN;
SELECT plan(11);
SET LOCAL client_min_messages = warning;

SELECT throws_ok($$INSERT INTO social.post (platform, external_id, body, created_at)
                   VALUES ('mastodon', 'tap-key-1', 'ok', now()), ('myspace', 'tap-key-2', 'no', now())$$,
                 '23503', 'There is no platform ''myspace'' (in post).', 'a post on an unknown platform is refused');
SELECT is((SELECT count(*) FROM social.post WHERE external_id LIKE 'tap-key-%'), 0::bigint,
          '… and nothing of the statement stays');
SELECT throws_ok($$INSERT INTO social.profile (platform, external_id) VALUES ('myspace', 'tap-key-p')$$,
                 '23503', 'There is no platform ''myspace'' (in profile).', 'so is a profile');
INSERT INTO social.post (platform, external_id, body, created_at) VALUES ('mastodon', 'tap-key-3', 'kept', now());
SELECT throws_ok($$UPDATE social.post SET platform = 'bluesky' WHERE external_id = 'tap-key-3'$$,
                 '23503', 'The platform of a stored post cannot change.', 'a stored post keeps its platform');
SELECT lives_ok($$UPDATE social.post SET body = 'still kept' WHERE external_id = 'tap-key-3'$$,
                'other columns change as before');
SELECT throws_ok($$DELETE FROM social.platform WHERE code = 'weibo'$$, '23503', NULL, 'a platform cannot be deleted');
SELECT throws_ok($$UPDATE social.platform SET code = 'sina' WHERE code = 'weibo'$$, '23503', NULL, '… nor renamed');
SELECT lives_ok($$UPDATE social.platform SET reply_limit = reply_limit WHERE code = 'weibo'$$,
                '… while its other columns can change');

SELECT id AS p3 FROM social.post WHERE external_id = 'tap-key-3' \gset
INSERT INTO social.engagement_snapshot (post_id, taken_at, likes) VALUES (:p3, now(), 1), (:p3, now() - interval '1 hour', 0);
DELETE FROM social.post WHERE id = :p3;
SELECT is((SELECT count(*) FROM social.engagement_snapshot WHERE post_id = :p3), 0::bigint,
          'a deleted post takes its snapshots');
INSERT INTO social.post (platform, external_id, body, created_at) VALUES ('mastodon', 'tap-key-4', 'x', now())
RETURNING id AS p4 \gset
INSERT INTO social.engagement_snapshot (post_id, taken_at, likes) VALUES (:p4, now(), 1);
SAVEPOINT trunc;
TRUNCATE social.post CASCADE;
SELECT count(*) AS left_after FROM social.engagement_snapshot \gset
ROLLBACK TO SAVEPOINT trunc;   -- before the assertion: pgTAP's results would roll back too
SELECT is(:left_after::bigint, 0::bigint, 'TRUNCATE of the posts empties the snapshots');
SELECT lives_ok($$TRUNCATE social.post, social.engagement_snapshot CASCADE$$,
                '… also when the same TRUNCATE names the snapshots');

SELECT * FROM finish();
ROLLBACK;
