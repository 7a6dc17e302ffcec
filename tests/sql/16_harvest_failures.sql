-- ingest.record_failure on a replies stream: a thread the platform refuses
-- (a client error: the post deleted there, a stale page token) is passed
-- over so the threads after it are still read, and is asked for again only
-- after exponentially more walks, then skipped, its error shown on the
-- accounts page; other failures retry the same thread. Where the adapter
-- says where to go on from, that is kept.
BEGIN;
SELECT plan(22);
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
-- pg_temp.read(stream): the current thread's page is read, as the harvester records it
CREATE FUNCTION pg_temp.read(p_stream bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE s ingest.stream;
BEGIN
  UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = p_stream
  RETURNING * INTO s;
  RETURN ingest.record_page(p_stream, 'tap', 'context', 'http://127.0.0.1:9/tap/api/v1/statuses/1/context', 200, '{}',
                            '{"ancestors": [], "descendants": []}',
                            jsonb_build_object('after', (SELECT t.target_id FROM ingest.reply_target(s.account_id, s.state) t)),
                            false, NULL, NULL);
END $$;

SELECT is(pg_temp.fail(:st, 'server'), '{}'::jsonb, 'a server error retries the same thread');
SELECT is(pg_temp.fail(:st, 'client')->'after', to_jsonb(:t1), 'a client error passes over the first thread');
SELECT is((SELECT target_id FROM ingest.reply_target(:acc, (SELECT state FROM ingest.stream WHERE id = :st))),
          :t2::bigint, '… so the next run reads the second');
SELECT ok(NOT pg_temp.fail(:st, 'client') ? 'after', 'refused too, the last thread ends the walk');
SELECT is((SELECT next_run_at - now() FROM ingest.stream WHERE id = :st), interval '5 minutes',
          '… and the next walk comes at the stream''s interval, not within seconds');
SELECT is((SELECT target_id FROM ingest.reply_target(:acc, (SELECT state FROM ingest.stream WHERE id = :st))),
          :t1::bigint, '… where the first thread is asked for again');
SELECT is(pg_temp.read(:st)->'next_target'->>'target_id', :t2::text, 'once it answers …');
SELECT is((SELECT state->'refused' FROM ingest.stream WHERE id = :st) ? :'t1', false, '… its refusal is forgotten');

-- A walk as the harvester makes it: each thread in turn, p_bad refused by
-- the platform; returns whether p_bad was asked for.
INSERT INTO social.post (platform, external_id, author_id, body, created_at)
VALUES ('mastodon', 'tap-rf-3', :me, 'third', now() - interval '30 minutes');
SELECT id AS t3 FROM social.post WHERE external_id = 'tap-rf-3' \gset
CREATE FUNCTION pg_temp.walk(p_stream bigint, p_bad bigint) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE s ingest.stream; t bigint; asked boolean := false;
BEGIN
  LOOP
    UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = p_stream
    RETURNING * INTO s;
    t := (SELECT r.target_id FROM ingest.reply_target(s.account_id, s.state) r);
    IF t IS NULL THEN
      PERFORM ingest.finish_run(p_stream, 'tap');
      RETURN asked;
    ELSIF t = p_bad THEN
      asked := true;
      PERFORM ingest.record_failure(p_stream, 'tap', 'client', 'HTTP 404: Record not found');
    ELSE
      PERFORM pg_temp.read(p_stream);
    END IF;
    IF NOT (SELECT state ? 'after' FROM ingest.stream WHERE id = p_stream) THEN
      RETURN asked;
    END IF;
  END LOOP;
END $$;
UPDATE ingest.stream SET state = '{}', errors_in_row = 0 WHERE id = :st;
SELECT is(string_agg(w::text, ',' ORDER BY w), '1,2,4,8,16',
          'a thread refused again and again is asked for in walks 1, 2, 4, 8 and 16, then no more')
FROM generate_series(1, 20) w WHERE pg_temp.walk(:st, :t2);
SELECT is((SELECT state->'refused'->:'t2'->>'n' FROM ingest.stream WHERE id = :st), '5', '… refused five times');
SELECT is((SELECT pages_harvested FROM ingest.stream WHERE id = :st), 41::bigint,
          '… while the other two threads were read in every walk');
SELECT is((SELECT target_id FROM ingest.reply_target(:acc, '{}')), :t1::bigint, 'the next walk reads the first thread …');
SELECT is((SELECT target_id FROM ingest.reply_target(:acc, jsonb_build_object('after', :t1) || (SELECT state FROM ingest.stream WHERE id = :st))),
          :t3::bigint, '… and then the third, past the skipped one');

-- The accounts page shows the skipped thread's error though later pages succeeded.
SELECT auth.user_add('tap_rf', 'Tap RF', 'marketer', '$argon2id$v=19$m=19456,t=2,p=1$x$y');
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-tap-rf', 'UTF8')), id, 'c' FROM auth.staff WHERE username = 'tap_rf';
SELECT set_config('parley.session', 'tok-tap-rf', true);
-- (in one transaction it all happened at once: the pages read after the error come later)
UPDATE ingest.stream SET last_error_at = last_success_at - interval '1 minute' WHERE id = :st;
SELECT is((SELECT s->>'last_error' FROM jsonb_array_elements(api.accounts()->'accounts') a, jsonb_array_elements(a->'streams') s
           WHERE a->>'handle' = 'tap-rf' AND s->>'kind' = 'replies'), 'HTTP 404: Record not found',
          'the accounts page shows the skipped thread''s error on the stream, though pages were read after it');
-- A new token may read what the old one could not.
SELECT api.account_token(jsonb_build_object('id', :acc, 'token', 'tap-rf-token'));
SELECT is((SELECT target_id FROM ingest.reply_target(:acc, jsonb_build_object('after', :t1) || (SELECT state FROM ingest.stream WHERE id = :st))),
          :t2::bigint, 'with a new token the skipped thread is asked for again');
SELECT is((SELECT s->>'last_error' FROM jsonb_array_elements(api.accounts()->'accounts') a, jsonb_array_elements(a->'streams') s
           WHERE a->>'handle' = 'tap-rf' AND s->>'kind' = 'replies'), NULL, '… and its error is no longer shown');

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
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute', errors_in_row = 0, state = '{}' WHERE id = :st;
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
