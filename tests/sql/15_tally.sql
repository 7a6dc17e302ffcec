-- Exact counts for the dashboard from row-count deltas (social.tally).
BEGIN;
SELECT plan(5);
SELECT is(social.tally_of('posts'), (SELECT count(*) FROM social.post), 'posts: the deltas add up to the count');
INSERT INTO social.profile (platform, external_id, handle) VALUES ('x', 'tally-1', 't1');
INSERT INTO social.post (platform, external_id, author_id, body, created_at)
SELECT 'x', 'tally-' || g, (SELECT id FROM social.profile WHERE external_id = 'tally-1'), 'x', now() FROM generate_series(1, 7) g;
DELETE FROM social.post WHERE external_id IN ('tally-1', 'tally-2');
SELECT is(social.tally_of('posts'), (SELECT count(*) FROM social.post), '… after inserting 7 and deleting 2');
SELECT is(social.tally_of('profiles'), (SELECT count(*) FROM social.profile), 'profiles too');
SELECT social.fold_tally() AS folded \gset
SELECT ok((SELECT count(*) FROM social.tally WHERE name = 'posts') = 1
          AND social.tally_of('posts') = (SELECT count(*) FROM social.post), 'folding leaves one exact row per count');
SET LOCAL client_min_messages = warning;
TRUNCATE social.post CASCADE;
SELECT is(social.tally_of('posts'), 0::bigint, 'a truncate resets the count');
SELECT * FROM finish();
ROLLBACK;
