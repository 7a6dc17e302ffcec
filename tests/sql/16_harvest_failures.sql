-- ingest.record_failure on a replies stream: a thread the platform refuses
-- (a client error: the post deleted there, a stale page token) is passed
-- over so the threads after it are still read; other failures retry the
-- same thread. Where the adapter says where to go on from, that is kept.
BEGIN;
SELECT plan(11);
SET LOCAL client_min_messages = warning;

INSERT INTO social.account (platform, handle, api_base_url, external_id)
VALUES ('mastodon', 'tap-rf', 'http://127.0.0.1:9/tap', 'tap-rf-id') RETURNING id AS acc \gset
INSERT INTO social.profile (platform, external_id, handle) VALUES ('mastodon', 'tap-rf-id', 'tap-rf') RETURNING id AS me \gset
INSERT INTO social.post (platform, external_id, author_id, body, created_at)
VALUES ('mastodon', 'tap-rf-1', :me, 'first', now() - interval '2 hours'),
       ('mastodon', 'tap-rf-2', :me, 'second', now() - interval '1 hour');
SELECT id AS t1 FROM social.post WHERE external_id = 'tap-rf-1' \gset
SELECT id AS t2 FROM social.post WHERE external_id = 'tap-rf-2' \gset
INSERT INTO ingest.stream (account_id, kind, state, lease_owner, lease_until)
VALUES (:acc, 'replies', '{}', 'tap', now() + interval '1 minute') RETURNING id AS st \gset

CREATE FUNCTION pg_temp.fail(p_stream bigint, p_kind text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = p_stream;
  PERFORM ingest.record_failure(p_stream, 'tap', p_kind, 'HTTP 4xx or 5xx');
  RETURN (SELECT state FROM ingest.stream WHERE id = p_stream);
END $$;

SELECT is(pg_temp.fail(:st, 'server'), '{}'::jsonb, 'a server error retries the same thread');
SELECT is(pg_temp.fail(:st, 'client'), jsonb_build_object('after', :t1),
          'a client error passes over the first thread');
SELECT is((SELECT target_id FROM ingest.reply_target(:acc, (SELECT state FROM ingest.stream WHERE id = :st))),
          :t2::bigint, '… so the next run reads the second');
SELECT is(pg_temp.fail(:st, 'client'), jsonb_build_object('after', :t2), '… and past that one too');
SELECT is(pg_temp.fail(:st, 'client'), '{}'::jsonb, 'past the last thread the walk starts again');

-- On Weibo a thread is a status: the brand's own comments (its replies) are not walked.
INSERT INTO social.account (platform, handle, api_base_url, external_id)
VALUES ('weibo', 'tap-rf-wb', 'http://127.0.0.1:9/wb', '7000000042') RETURNING id AS wacc \gset
INSERT INTO social.profile (platform, external_id, handle) VALUES ('weibo', '7000000042', 'tap-rf-wb') RETURNING id AS wme \gset
INSERT INTO social.post (platform, external_id, author_id, body, kind, created_at) VALUES
  ('weibo', 'tap-rf-status', :wme, 'a status', 'post', now() - interval '2 hours'),
  ('weibo', 'tap-rf-comment', :wme, '回复@mei:thanks', 'comment', now() - interval '1 hour');
SELECT is((SELECT string_agg(t.target_external_id, ',') FROM ingest.reply_target(:wacc, '{}') t), 'tap-rf-status',
          'a Weibo replies walk reads the brand''s statuses, not its comments');
SELECT is((SELECT t.target_external_id FROM ingest.reply_target(:wacc, jsonb_build_object('after', (SELECT id FROM social.post WHERE external_id = 'tap-rf-status'))) t),
          NULL, '… and has nothing after the last of them');

-- Where the adapter says to go on from (Instagram: the thread's next
-- comment, past one whose replies are refused), the thread is not passed
-- over, and the walk goes on soon.
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute', errors_in_row = 0 WHERE id = :st;
SELECT ingest.record_failure(:st, 'tap', 'client', 'HTTP 400', NULL,
                             jsonb_build_object('after', :t1 - 1, 'cursor_for', :t1, 'more', '[{"comment": "c2"}]'::jsonb),
                             false) AS soon \gset
SELECT is((SELECT state FROM ingest.stream WHERE id = :st),
          jsonb_build_object('after', :t1 - 1, 'cursor_for', :t1, 'more', '[{"comment": "c2"}]'::jsonb),
          'a position the adapter gives with a refusal is kept');
SELECT ok(:'soon'::timestamptz < now() + interval '10 seconds', '… and, the run not over, it goes on soon (the first backoff)');

-- A position the adapter gives with a refusal (a list it passes over) is
-- kept, and the stream waits for its next run instead of asking again.
INSERT INTO ingest.stream (account_id, kind, state, every, lease_owner, lease_until)
VALUES (:acc, 'mentions', '{"phase": "to_me", "since_id": "9"}', '5 minutes', 'tap', now() + interval '1 minute')
RETURNING id AS ms \gset
SELECT ingest.record_failure(:ms, 'tap', 'client', 'Weibo error 10014', NULL, '{"since_id": "9"}', true) AS next_try \gset
SELECT ok(:'next_try'::timestamptz BETWEEN now() + interval '299 seconds' AND now() + interval '301 seconds',
          'a list passed over by the adapter at the end of a run waits for the next run');
SELECT is((SELECT state FROM ingest.stream WHERE id = :ms), '{"since_id": "9"}'::jsonb, '… from the position it gave');

SELECT * FROM finish();
ROLLBACK;
