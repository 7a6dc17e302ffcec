-- Exact counts for the dashboard from row-count deltas (social.tally).
BEGIN;
SELECT plan(9);
SELECT is(social.tally_of('posts'), (SELECT count(*) FROM social.post), 'posts: the deltas add up to the count');
INSERT INTO social.profile (platform, external_id, handle) VALUES ('x', 'tally-1', 't1');
INSERT INTO social.post (platform, external_id, author_id, body, created_at)
SELECT 'x', 'tally-' || g, (SELECT id FROM social.profile WHERE external_id = 'tally-1'), 'x', now() FROM generate_series(1, 7) g;
DELETE FROM social.post WHERE external_id IN ('tally-1', 'tally-2');
SELECT is(social.tally_of('posts'), (SELECT count(*) FROM social.post), '… after inserting 7 and deleting 2');
SELECT is(social.tally_of('profiles'), (SELECT count(*) FROM social.profile), 'profiles too');
SELECT is(social.tally_of('open_cases'), (SELECT count(*) FROM crm."case" WHERE state NOT IN ('resolved', 'closed')),
          'open cases: the deltas add up to the count');
INSERT INTO crm."case" (subject, state) SELECT 'tally ' || g, 'new' FROM generate_series(1, 5) g;
UPDATE crm."case" SET state = 'open' WHERE subject IN ('tally 1', 'tally 2');
UPDATE crm."case" SET state = 'resolved' WHERE subject = 'tally 1';
DELETE FROM crm."case" WHERE subject = 'tally 5';
SELECT is(social.tally_of('open_cases'), (SELECT count(*) FROM crm."case" WHERE state NOT IN ('resolved', 'closed')),
          '… after opening 5, resolving 1 and deleting 1');
SELECT is(social.tallies(), jsonb_build_object('accounts', (SELECT count(*) FROM social.account),
                                               'profiles', (SELECT count(*) FROM social.profile),
                                               'posts', (SELECT count(*) FROM social.post),
                                               'open_cases', (SELECT count(*) FROM crm."case" WHERE state NOT IN ('resolved', 'closed'))),
          'every count at once, as the dashboard shows them');
SELECT social.fold_tally() AS folded \gset
SELECT ok((SELECT count(*) FROM social.tally WHERE name = 'posts') = 1
          AND social.tally_of('posts') = (SELECT count(*) FROM social.post), 'folding leaves one exact row per count');
SET LOCAL client_min_messages = warning;
TRUNCATE social.post CASCADE;
SELECT is(social.tally_of('posts'), 0::bigint, 'a truncate resets the count');
SELECT is(social.tally_of('open_cases'), 0::bigint, '… of the cases it cascades to as well');
SELECT * FROM finish();
ROLLBACK;
