-- The outbox: reply limits per platform, api.reply's checks, leasing (two
-- leasers never get one entry), recording success and failure with backoff,
-- and who may call what.
BEGIN;
SELECT plan(139);
SET LOCAL client_min_messages = warning;
\ir lib/sqlstate_as.sql

----------------------------------------------------------------- SKIP LOCKED across sessions
-- Rows committed by another connection, for a paused account so that a
-- harvester running against this database leaves them alone; a second open
-- transaction holds entry 1 the way a leaser does mid-lease. This session
-- (seeing the account active) must skip it: not wait, not take it. First in
-- the file: this transaction must hold no row the other connection's clean-up
-- could wait for.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('w', format('dbname=%s port=%s host=%s user=postgres', current_database(),
                      current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT dblink_connect('l', format('dbname=%s port=%s host=%s user=postgres', current_database(),
                      current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT dblink_exec('w', $$DELETE FROM social.post WHERE external_id LIKE 'tap-skip-locked%';
                         DELETE FROM social.account WHERE handle LIKE 'tap-skip-locked%'$$);
SELECT dblink_exec('w', $$
  WITH a AS (INSERT INTO social.account (platform, handle, api_base_url, status)
             SELECT 'mastodon', 'tap-skip-locked-' || n, 'http://s.example', 'paused' FROM generate_series(1, 2) n RETURNING id, handle),
       t AS (INSERT INTO social.post (platform, external_id, account_id, created_at)
             SELECT 'mastodon', handle, id, now() FROM a RETURNING id, account_id, external_id)
  INSERT INTO ingest.outbox (account_id, in_reply_to, body, next_attempt_at)
  SELECT account_id, id, 'skip-locked ' || right(external_id, 1), '2000-01-01'::timestamptz + right(external_id, 1)::integer * interval '1 s' FROM t$$);
SELECT dblink_exec('l', 'BEGIN');
SELECT is((SELECT body FROM dblink('l', $$SELECT body FROM ingest.outbox WHERE body = 'skip-locked 1' FOR UPDATE$$) AS r(body text)),
          'skip-locked 1', 'another transaction holds the first due entry');
SAVEPOINT before_lease;
SET LOCAL lock_timeout = '2s';
UPDATE social.account SET status = 'active' WHERE handle LIKE 'tap-skip-locked%';
SELECT array_agg(o.body) AS mine FROM ingest.lease_outbox('me', 10, 60) l JOIN ingest.outbox o ON o.id = l.outbox_id
WHERE o.body LIKE 'skip-locked%' \gset
ROLLBACK TO SAVEPOINT before_lease;
SELECT is(:'mine'::text, '{"skip-locked 2"}', 'this session skips the locked entry, without waiting, and gets the other one');
SELECT dblink_exec('l', 'ROLLBACK');
SELECT dblink_exec('w', $$DELETE FROM social.post WHERE external_id LIKE 'tap-skip-locked%';
                         DELETE FROM social.account WHERE handle LIKE 'tap-skip-locked%'$$);
SELECT dblink_disconnect('w'), dblink_disconnect('l');


CREATE FUNCTION pg_temp.as_staff(token text) RETURNS void LANGUAGE sql AS $$
  SELECT set_config('parley.session', token, true)
$$;
SELECT auth.user_add('tap_agent', 'Tap Agent', 'agent', '$argon2id$v=19$m=19456,t=2,p=1$x$y');
SELECT auth.user_add('tap_ana', 'Tap Analyst', 'analyst', '$argon2id$v=19$m=19456,t=2,p=1$x$y');
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-' || username, 'UTF8')), id, 'c' FROM auth.staff WHERE username IN ('tap_agent', 'tap_ana');

INSERT INTO social.account (platform, handle, api_base_url, external_id, status) VALUES
  ('mastodon', 'tap-m', 'http://m.example', '900', 'active'), ('bluesky', 'tap-b.bsky.social', 'http://b.example', NULL, 'active'),
  ('x', 'tap-x', 'http://x.example', NULL, 'active'), ('commerce', 'tap-shop', NULL, NULL, 'active'),
  ('mastodon', 'tap-paused', 'http://p.example', NULL, 'paused');
CREATE TEMP TABLE ids AS SELECT
  (SELECT id FROM social.account WHERE handle = 'tap-m') AS m, (SELECT id FROM social.account WHERE handle = 'tap-b.bsky.social') AS b,
  (SELECT id FROM social.account WHERE handle = 'tap-x') AS x, (SELECT id FROM social.account WHERE handle = 'tap-shop') AS shop,
  (SELECT id FROM social.account WHERE handle = 'tap-paused') AS paused;
INSERT INTO social.account_credential SELECT m, 'tok-m' FROM ids UNION ALL SELECT b, 'tok-b' FROM ids
  UNION ALL SELECT x, 'tok-x' FROM ids UNION ALL SELECT paused, 'tok-p' FROM ids;
INSERT INTO social.post (platform, external_id, account_id, body, created_at, visibility, raw, parent_external_id, root_external_id)
SELECT 'mastodon', 'tap-m1', m, 'hello', now(), 'unlisted', NULL::jsonb, NULL, NULL FROM ids UNION ALL
SELECT 'mastodon', 'tap-m2', m, 'again', now(), 'public', NULL, NULL, NULL FROM ids UNION ALL
SELECT 'bluesky', 'at://did:plc:a/app.bsky.feed.post/r2', b, 'reply in a thread', now(), NULL,
       '{"cid": "cid-r2", "record": {"reply": {"root": {"uri": "at://did:plc:z/app.bsky.feed.post/r0", "cid": "cid-r0"},
                                               "parent": {"uri": "at://did:plc:y/app.bsky.feed.post/r1", "cid": "cid-r1"}}}}',
       'at://did:plc:y/app.bsky.feed.post/r1', 'at://did:plc:z/app.bsky.feed.post/r0' FROM ids UNION ALL
SELECT 'x', 'tap-x1', x, 'hi', now(), NULL, NULL, NULL, NULL FROM ids UNION ALL
SELECT 'commerce', 'tap-order', shop, 'order', now(), NULL, NULL, NULL, NULL FROM ids UNION ALL
SELECT 'mastodon', 'tap-stray', NULL, 'not ours', now(), NULL, NULL, NULL, NULL FROM ids UNION ALL
SELECT 'mastodon', 'tap-p1', paused, 'paused account', now(), NULL, NULL, NULL, NULL FROM ids;
INSERT INTO crm."case" (subject, post_id) SELECT 'open case', id FROM social.post WHERE external_id = 'tap-m2';
CREATE TEMP TABLE p AS SELECT
  (SELECT id FROM social.post WHERE external_id = 'tap-m1') AS m1, (SELECT id FROM social.post WHERE external_id = 'tap-m2') AS m2,
  (SELECT id FROM social.post WHERE external_id LIKE 'at://did:plc:a/%') AS b1, (SELECT id FROM social.post WHERE external_id = 'tap-x1') AS x1,
  (SELECT id FROM social.post WHERE external_id = 'tap-order') AS shop1, (SELECT id FROM social.post WHERE external_id = 'tap-stray') AS stray,
  (SELECT id FROM social.post WHERE external_id = 'tap-p1') AS p1,
  (SELECT id FROM crm."case" WHERE subject = 'open case') AS case1;
GRANT SELECT ON ids, p TO PUBLIC;
DELETE FROM ingest.outbox;  -- counts below are of this file's entries (rolled back at the end)
CREATE FUNCTION pg_temp.reply(post bigint, body text, extra jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
  SELECT api.reply(jsonb_build_object('post_id', post, 'body', body) || extra)
$$;

----------------------------------------------------------------- Limits
SELECT is((SELECT jsonb_object_agg(code, reply_limit) FROM social.platform),
          '{"x": 280, "weibo": 140, "wechat": 600, "bluesky": 300, "commerce": null, "facebook": 8000,
            "mastodon": 500, "instagram": 2200}'::jsonb, 'reply limits per platform');
SELECT pg_temp.as_staff('tok-tap_agent');
SELECT is(pg_temp.reply((SELECT m1 FROM p), repeat('a', 500))->>'state', 'queued', 'Mastodon: 500 characters are fine');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, repeat('a', 501))$$, (SELECT m1 FROM p)), 'PR422',
                 'The reply is 501 characters long; Mastodon allows at most 500.', 'Mastodon: 501 are not');
SELECT is(pg_temp.reply((SELECT b1 FROM p), repeat('咖', 300))->>'state', 'queued', 'Bluesky: 300 (CJK) characters are fine');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, repeat('咖', 301))$$, (SELECT b1 FROM p)), 'PR422',
                 'The reply is 301 characters long; Bluesky allows at most 300.', 'Bluesky: 301 are not');
-- Bluesky counts grapheme clusters, as its app does: what people see as one character.
SELECT is(ingest.reply_length('bluesky', '👩‍👩‍👧‍👦') || ' ' || ingest.reply_length('bluesky', '🇨🇳🇺🇸') || ' '
          || ingest.reply_length('bluesky', E'caf\u0065\u0301') || ' ' || ingest.reply_length('bluesky', E'a\r\nb') || ' '
          || ingest.reply_length('bluesky', '1️⃣👍🏽') || ' ' || ingest.reply_length('bluesky', E'\u1112\u1161\u11ab\u1100\u1173\u11af'),
          '1 2 4 3 2 2', 'Bluesky: a family emoji (7 code points) counts 1, a flag 1, é as e + U+0301 1, CR LF 1, a keycap 1, '
          'a skin tone 1, a Hangul syllable in jamo 1');
CREATE TEMP TABLE bsky AS   -- 300 graphemes in 950 code points, 2,810 bytes
SELECT repeat('👩‍👩‍👧‍👦', 80) || repeat('🇨🇳', 60) || repeat(E'e\u0301', 60) || repeat(E'\r\n', 50) || repeat('a', 50) AS body;
SELECT is((SELECT length(body) || ' ' || octet_length(body) FROM bsky), '950 2810', '(the text below, in code points and bytes)');
SELECT is(pg_temp.reply((SELECT b1 FROM p), (SELECT body FROM bsky))->>'state', 'queued',
          'Bluesky: 300 graphemes of family emoji, flags, decomposed é and CR LF are fine');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, %L)$$, (SELECT b1 FROM p), (SELECT body || 'a' FROM bsky)), 'PR422',
                 'The reply is 301 characters long; Bluesky allows at most 300.', 'Bluesky: 301 graphemes are not');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, repeat('👩‍👩‍👧‍👦', 121))$$, (SELECT b1 FROM p)), 'PR422',
                 'The reply is 3025 bytes long in UTF-8; Bluesky allows at most 3000 bytes (an emoji takes 4 to 35, a Chinese character 3).',
                 'Bluesky: nor are more than 3,000 bytes, as 121 family emoji are');
SELECT is(ingest.reply_length('mastodon', '@mei@social.example 👩‍👩‍👧‍👦 🇨🇳'), 8, 'Mastodon counts grapheme clusters too');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, repeat('x', 281))$$, (SELECT x1 FROM p)), 'PR422',
                 'The reply is 281 characters long as X counts them (Chinese characters and emoji count twice, a link 23); X allows at most 280.',
                 'X: 281 are not');
SELECT is(pg_temp.reply((SELECT x1 FROM p), '  ' || repeat('x', 280) || E'\n ')->>'state', 'queued',
          'X: 280 after trimming white space are fine');
SELECT is((SELECT length(body) FROM ingest.outbox WHERE in_reply_to = (SELECT x1 FROM p)), 280, '… stored trimmed');

----------------------------------------------------------------- api.reply checks
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, ' ')$$, (SELECT m1 FROM p)), 'PR422', 'Write the reply first.', 'an empty reply');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'Your ticket {{case.number}} is open')$$, (SELECT m1 FROM p)), 'PR422',
                 'Fill in {{case.number}} before sending: the customer would see it as it is.', 'a placeholder left in the reply');
-- Another customer's post in the thread of a case is not that case's: a reply
-- there does not answer it, and its composer names no case.
INSERT INTO social.profile (platform, external_id, handle) VALUES ('mastodon', 'tap-ann', 'ann'), ('mastodon', 'tap-bob', 'bob');
UPDATE social.post SET author_id = (SELECT id FROM social.profile WHERE external_id = 'tap-ann') WHERE id = (SELECT m2 FROM p);
INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, created_at, parent_id, root_id)
SELECT 'mastodon', 'tap-m2-bob', m, (SELECT id FROM social.profile WHERE external_id = 'tap-bob'), 'reply', 'me too', now(),
       (SELECT m2 FROM p), (SELECT m2 FROM p) FROM ids;
UPDATE crm."case" SET root_post_id = (SELECT m2 FROM p) WHERE id = (SELECT case1 FROM p);
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'sorry', jsonb_build_object('case_id', %s))$$,
                        (SELECT id FROM social.post WHERE external_id = 'tap-m2-bob'), (SELECT case1 FROM p)), 'PR422',
                 'That case is not about this post: a reply here does not answer it.',
                 'a reply to another customer in the thread cannot be counted on the case');
SELECT is((api.post(jsonb_build_object('id', (SELECT id FROM social.post WHERE external_id = 'tap-m2-bob')))->'reply'->>'case_id'), NULL,
          '… and that customer''s composer names no case');
SELECT is((api.post(jsonb_build_object('id', (SELECT m2 FROM p)))->'reply'->>'case_id')::bigint, (SELECT case1 FROM p),
          '… while the case''s own post''s does');
SELECT is(crm.fill_canned('For {{ brand.name }}', (SELECT m1 FROM p)), 'For tap-m', 'a placeholder with spaces inside its braces is filled');
UPDATE social.profile SET display_name = 'Eve {{brand.name}}' WHERE external_id = 'tap-ann';
SELECT is(crm.fill_canned('Hi {{contact.name}}', (SELECT m2 FROM p)), 'Hi Eve {{brand.name}}',
          '… in one pass: a display name that looks like a placeholder stays as written');
UPDATE social.profile SET display_name = E'\u2067Eve\u2069 \u202egnp.exe' WHERE external_id = 'tap-ann';
SELECT is(crm.fill_canned('Hi {{contact.name}}', (SELECT m2 FROM p)), 'Hi Eve gnp.exe',
          '… without a display name''s text-direction overrides (api.reply would refuse the reply)');
SELECT is(crm.fill_canned('Ticket {{case.number}} for {{brand.name}}', (SELECT m1 FROM p)) ~ '^Ticket \{\{case\.number\}\} for \S',
          true, 'a canned reply keeps the placeholder it cannot fill (no case yet), and fills the others');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, '@ann@m.example  ')$$, (SELECT m2 FROM p)), 'PR422',
                 'Write the reply first: it has only the @name of the person answered.',
                 'a reply that is only the @name the composer starts with is refused');
SELECT throws_ok($$SELECT pg_temp.reply(-5, 'x')$$, 'PR422', NULL, 'a malformed post id');
SELECT throws_ok($$SELECT pg_temp.reply(999999999, 'x')$$, 'PR404', 'No such post.', 'an unknown post');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'x')$$, (SELECT stray FROM p)), 'PR422', NULL,
                 'a post that reached no brand account');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'x')$$, (SELECT shop1 FROM p)), 'PR422',
                 'Replies cannot be sent to this platform.', 'a platform without replies');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'x', '{"case_id": 999999999}')$$, (SELECT m1 FROM p)), 'PR404',
                 'No such case.', 'an unknown case');
UPDATE social.post SET deleted_at = now() WHERE id = (SELECT stray FROM p);
UPDATE social.post SET account_id = (SELECT m FROM ids) WHERE id = (SELECT stray FROM p);
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'x')$$, (SELECT stray FROM p)), 'PR422', NULL, 'a deleted post');
SELECT is((SELECT count(*) FROM ingest.outbox), 4::bigint, 'refused replies left nothing behind');
SELECT lives_ok(format($$SELECT pg_temp.reply(%s, 'on the case')$$, (SELECT m2 FROM p)), 'a reply to a post with an open case');
SELECT is((SELECT case_id FROM ingest.outbox WHERE in_reply_to = (SELECT m2 FROM p)), (SELECT case1 FROM p),
          '… is linked to the case');
SELECT is((SELECT (d->'outbox'->0->>'state') || ' ' || jsonb_array_length(d->'outbox') || ' ' || (d->>'has_outbox')
           FROM api."case"(jsonb_build_object('id', (SELECT case1 FROM p))) d), 'queued 1 true',
          '… and the case page lists it with its state (its timeline has a reply only once sent)');
SELECT is((SELECT created_by FROM ingest.outbox WHERE in_reply_to = (SELECT m2 FROM p)),
          (SELECT id FROM auth.staff WHERE username = 'tap_agent'), '… and to its author');
SELECT is(pg_temp.reply((SELECT m2 FROM p), 'twice', '{"idempotency_key": "0b0e8d0c-1111-4222-8333-944445555666"}'),
          pg_temp.reply((SELECT m2 FROM p), 'twice', '{"idempotency_key": "0b0e8d0c-1111-4222-8333-944445555666"}'),
          'a form submitted twice queues one reply');
SELECT is((SELECT count(*) FROM ingest.outbox WHERE body = 'twice'), 1::bigint, '… once');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'x', '{"idempotency_key": "0b0e8d0c-1111-4222-8333-944445555666"}')$$,
                        (SELECT m1 FROM p)), 'PR409', NULL, '… and its key cannot be reused for another post');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'twice, with a typo fixed', '{"idempotency_key": "0b0e8d0c-1111-4222-8333-944445555666"}')$$,
                        (SELECT m2 FROM p)), 'PR409', NULL, '… nor for other words: they are not dropped silently');
-- The same words again from a new form (Back after sending, a second tab): refused while the first is
-- queued or sent; once it failed, it is retried rather than sent anew, and new words go.
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'twice', '{"idempotency_key": "0b0e8d0c-2222-4222-8333-944445555666"}')$$,
                        (SELECT m2 FROM p)), 'PR409',
                 'This post already has this reply, queued or sent (see Replies under the post). To send another one, change its words.',
                 'the same words to the same post from another form are refused');
SELECT is((SELECT count(*) FROM ingest.outbox WHERE body = 'twice'), 1::bigint, '… and not queued again');
UPDATE ingest.outbox SET state = 'failed' WHERE body = 'twice';
SELECT is(pg_temp.reply((SELECT m2 FROM p), 'twice', '{"idempotency_key": "0b0e8d0c-3333-4222-8333-944445555666"}')->>'state',
          'queued', 'after the first failed, the same words may be sent anew');
DELETE FROM ingest.outbox WHERE body = 'twice' AND state = 'failed';
SELECT is(pg_temp.reply((SELECT m1 FROM p), 'twice')->>'state', 'queued', 'the same words to another post are a new reply');
SELECT is((SELECT count(*) FROM auth.audit_log WHERE event = 'reply_queued' AND at = now()), 8::bigint, 'every queued reply is audited');
SELECT pg_temp.as_staff('tok-tap_ana');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'x')$$, (SELECT m1 FROM p)), 'PR403', NULL, 'an analyst may not reply');
SELECT lives_ok($$SELECT api.outbox('{}')$$, '… but may read the outbox');
SELECT pg_temp.as_staff('');
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, 'x')$$, (SELECT m1 FROM p)), 'PR401', NULL, 'signed out: no reply');

----------------------------------------------------------------- Helpers
SELECT is(ingest.outbox_rkey('2025-05-01 00:00:00+00', 1, '00000000-0000-0000-0000-000000000000'), '3lo2yvk4s2322',
          'record key: the TID of 1746057600000001 µs, clock 0');
SELECT is(ingest.outbox_rkey('2025-05-01 00:00:00+00', 1, 'ffffffff-0000-0000-0000-000000000000'), '3lo2yvk4s23zz',
          '… clock id from the key (1023)');
SELECT is(ARRAY[ingest.outbox_backoff(1), ingest.outbox_backoff(2), ingest.outbox_backoff(3), ingest.outbox_backoff(9)],
          ARRAY[interval '15 s', interval '30 s', interval '1 min', interval '1 hour'], 'backoff 15 s, doubling, at most an hour');

----------------------------------------------------------------- Leasing
DELETE FROM ingest.outbox;
INSERT INTO ingest.outbox (account_id, in_reply_to, body, created_at)
SELECT m, (SELECT m1 FROM p), 'first', now() - interval '1 minute' FROM ids UNION ALL
SELECT b, (SELECT b1 FROM p), 'to bluesky', now() FROM ids UNION ALL
SELECT paused, (SELECT p1 FROM p), 'paused account', now() FROM ids;
INSERT INTO ingest.outbox (account_id, in_reply_to, body, next_attempt_at)
SELECT m, (SELECT m2 FROM p), 'later', now() + interval '1 hour' FROM ids;
CREATE TEMP TABLE l1 AS SELECT * FROM ingest.lease_outbox('h1', 10, 60);
SELECT is((SELECT array_agg(o.body ORDER BY o.body) FROM l1 JOIN ingest.outbox o ON o.id = l1.outbox_id), ARRAY['first', 'to bluesky'],
          'due entries of active accounts are leased');
SELECT is((SELECT array_agg(state || '/' || attempts || '/' || lease_owner ORDER BY id) FROM ingest.outbox WHERE lease_owner IS NOT NULL),
          ARRAY['sending/1/h1', 'sending/1/h1'], '… as an attempt, sending, to the owner');
SELECT is((SELECT target || ' ' || visibility || ' ' || access_token || ' ' || repo FROM l1 WHERE platform = 'mastodon'),
          'tap-m1 unlisted tok-m 900', 'a Mastodon entry: target, visibility, token, account id');
SELECT is((SELECT reply_ref FROM l1 WHERE platform = 'bluesky'),
          '{"root": {"uri": "at://did:plc:z/app.bsky.feed.post/r0", "cid": "cid-r0"},
            "parent": {"uri": "at://did:plc:a/app.bsky.feed.post/r2", "cid": "cid-r2"}}'::jsonb,
          'a Bluesky entry: the thread''s root and the post itself as strong refs');
SELECT is((SELECT repo || ' ' || coalesce(access_token, '(none)') FROM l1 WHERE platform = 'bluesky'), 'tap-b.bsky.social tok-b',
          '… the repo is the handle while the did is unknown');
SELECT is((SELECT rkey FROM l1 WHERE platform = 'bluesky'),
          (SELECT ingest.outbox_rkey(created_at, id, idempotency_key) FROM ingest.outbox WHERE body = 'to bluesky'), '… and its record key');
SELECT is((SELECT count(*) FROM ingest.lease_outbox('h2', 10, 60)), 0::bigint, 'a second harvester gets nothing while leases hold');
UPDATE ingest.outbox SET lease_until = now() - interval '1 second' WHERE body = 'first';
CREATE TEMP TABLE l2 AS SELECT * FROM ingest.lease_outbox('h2', 10, 60);
SELECT is((SELECT array_agg(o.body || '/' || o.attempts || '/' || o.lease_owner) FROM l2 JOIN ingest.outbox o ON o.id = l2.outbox_id),
          ARRAY['first/2/h2'], 'an expired lease (a dead harvester) is taken over, as another attempt');
SELECT is(ingest.release_outbox_owner('h2'), 1, 'a restarted harvester frees what its last life was sending');
UPDATE ingest.outbox SET attempts = 5, lease_owner = 'h9', lease_until = now() - interval '1 second' WHERE body = 'first';
SELECT is((SELECT count(*) FROM ingest.lease_outbox('h3', 10, 60)), 0::bigint, 'an entry out of attempts is not leased again');
SELECT is((SELECT state || ': ' || last_error FROM ingest.outbox WHERE body = 'first'), 'failed: Gave up after 5 attempts that got no answer from the platform.',
          '… it fails, saying why');

----------------------------------------------------------------- Recording
-- A stand-in for the CRM's hook, to see that it is called once.
CREATE TEMP TABLE outbound_calls (case_id bigint, post_id bigint, staff_id bigint, body text);
GRANT ALL ON outbound_calls TO PUBLIC;
DROP FUNCTION IF EXISTS crm.record_outbound(bigint, bigint, bigint, text);
CREATE FUNCTION crm.record_outbound(p_case bigint, p_post bigint, p_staff bigint, p_body text) RETURNS void
LANGUAGE sql AS $$ INSERT INTO outbound_calls VALUES (p_case, p_post, p_staff, p_body) $$;
UPDATE ingest.outbox SET case_id = (SELECT case1 FROM p), created_by = (SELECT id FROM auth.staff WHERE username = 'tap_agent')
WHERE body = 'to bluesky';
SELECT throws_ok($$SELECT ingest.outbox_sent(-1, 'h1', 'x', NULL, NULL)$$, 'PR404', NULL, 'recording an unknown entry');
SELECT ingest.outbox_sent(id, 'h1', 'at://did:plc:brand/app.bsky.feed.post/3lo2yvk4s2322', 'https://bsky.app/profile/did:plc:brand/post/3lo2yvk4s2322',
                          '{"uri": "at://did:plc:brand/app.bsky.feed.post/3lo2yvk4s2322", "cid": "cid-mine"}') AS sent_post
FROM ingest.outbox WHERE body = 'to bluesky' \gset
SELECT is((SELECT state || ' ' || external_id || ' ' || (post_id = :sent_post) || ' ' || (lease_owner IS NULL) FROM ingest.outbox WHERE body = 'to bluesky'),
          'sent at://did:plc:brand/app.bsky.feed.post/3lo2yvk4s2322 true true', 'success: sent, with the platform''s id and the stored post');
SELECT is((SELECT kind || ' ' || parent_id || ' ' || root_external_id || ' ' || account_id || ' ' || body FROM social.post WHERE id = :sent_post),
          format('reply %s at://did:plc:z/app.bsky.feed.post/r0 %s to bluesky', (SELECT b1 FROM p), (SELECT b FROM ids)),
          'the reply is a post under the one it answers, in its thread');
SELECT is((SELECT raw->>'cid' || ' ' || (raw->'record'->'reply'->'root'->>'uri') FROM social.post WHERE id = :sent_post),
          'cid-mine at://did:plc:z/app.bsky.feed.post/r0', '… keeping what a reply to it would need');
SELECT is((SELECT pr.external_id || ' ' || pr.handle FROM social.post s JOIN social.profile pr ON pr.id = s.author_id WHERE s.id = :sent_post),
          'did:plc:brand tap-b.bsky.social', '… authored by the brand''s profile');
SELECT is((SELECT array_agg(case_id || '/' || post_id || '/' || body) FROM outbound_calls),
          ARRAY[format('%s/%s/to bluesky', (SELECT case1 FROM p), :sent_post)], 'the case was told (crm.record_outbound)');
SELECT is(ingest.outbox_sent(id, 'h7', 'at://did:plc:brand/app.bsky.feed.post/3lo2yvk4s2322', NULL, NULL), :sent_post::bigint, 'recording again returns the same post')
FROM ingest.outbox WHERE body = 'to bluesky';
SELECT is((SELECT count(*) FROM social.post WHERE external_id LIKE 'at://did:plc:brand/%')::text || '/' || (SELECT count(*) FROM outbound_calls),
          '1/1', 'recording again (another harvester, a retry) changes nothing');
-- A reply a harvest stored before the answer was recorded is linked, not duplicated.
INSERT INTO social.post (platform, external_id, account_id, kind, body, created_at)
SELECT 'mastodon', '777', m, 'reply', 'seen by a harvest', now() FROM ids;
INSERT INTO ingest.outbox (account_id, in_reply_to, body, state, attempts, lease_owner, lease_until)
SELECT m, (SELECT m1 FROM p), 'raced', 'sending', 1, 'h1', now() + interval '1 minute' FROM ids;
SELECT is(ingest.outbox_sent(id, 'h1', '777', NULL, '{"id": "777", "created_at": "2025-05-01T10:00:00.000Z", "account": {"id": "900", "acct": "tap-m"}}'),
          (SELECT id FROM social.post WHERE platform = 'mastodon' AND external_id = '777'), 'a reply already harvested is linked')
FROM ingest.outbox WHERE body = 'raced';
SELECT is((SELECT parent_id FROM social.post WHERE platform = 'mastodon' AND external_id = '777'), (SELECT m1 FROM p), '… under its parent');
-- A lookup for another entry's earlier reply must not take this one for it
-- (the lease gives the publisher these ids: ingest.outbox_taken).
SELECT is(ingest.outbox_taken(-1, 'raced', t), '["777"]', 'the same words again under the post: the recorded reply is taken')
FROM social.post t WHERE t.id = (SELECT m1 FROM p);
INSERT INTO social.post (platform, external_id, account_id, body, created_at, parent_id, root_id)
SELECT 'mastodon', 'tap-m1-c', m, 'a comment', now(), (SELECT m1 FROM p), (SELECT m1 FROM p) FROM ids;
SELECT is(ingest.outbox_taken(-1, 'raced', t), '["777"]', '… and under any post of its thread')
FROM social.post t WHERE t.platform = 'mastodon' AND t.external_id = 'tap-m1-c';
SELECT is(ingest.outbox_taken(-1, 'other words', t) || ingest.outbox_taken(-1, 'raced', m2), '[]',
          '… not for other words, nor in another thread')
FROM social.post t, (SELECT x FROM social.post x WHERE x.id = (SELECT m2 FROM p)) m2(m2) WHERE t.id = (SELECT m1 FROM p);
SELECT is(ingest.outbox_taken(o.id, o.body, t), '[]', '… nor an entry''s own reply')
FROM ingest.outbox o JOIN social.post t ON t.id = o.in_reply_to WHERE o.body = 'raced';

-- Failures.
INSERT INTO ingest.outbox (account_id, in_reply_to, body, state, attempts, lease_owner, lease_until)
SELECT m, (SELECT m1 FROM p), 'flaky ' || n, 'sending', n, 'h1', now() + interval '1 minute' FROM ids, generate_series(1, 5) n;
SELECT throws_ok($$SELECT ingest.outbox_failed(id, 'someone-else', 'x', false) FROM ingest.outbox WHERE body = 'flaky 1'$$, 'PR409', NULL,
                 'only the lease holder records a failure');
SELECT is(ingest.outbox_failed(id, 'h1', 'HTTP 503', false), 'queued', 'a server error queues the entry again') FROM ingest.outbox WHERE body = 'flaky 1';
SELECT is((SELECT next_attempt_at - now() || ' ' || last_error || ' ' || (lease_owner IS NULL) FROM ingest.outbox WHERE body = 'flaky 1'),
          '00:00:15 HTTP 503 true', '… after 15 s, with the error shown');
SELECT is(ingest.outbox_failed(id, 'h1', 'network', false), 'queued') FROM ingest.outbox WHERE body = 'flaky 3';
SELECT is((SELECT next_attempt_at - now() FROM ingest.outbox WHERE body = 'flaky 3'), interval '1 minute', 'the third failure waits a minute');
SELECT is(ingest.outbox_failed(id, 'h1', 'HTTP 429', false, now() + interval '7 minutes'), 'queued') FROM ingest.outbox WHERE body = 'flaky 2';
SELECT is((SELECT next_attempt_at - now() FROM ingest.outbox WHERE body = 'flaky 2'), interval '7 minutes', 'a 429 waits as long as the platform says');
SELECT is((SELECT sends_held_until - now() FROM social.account a JOIN ids ON a.id = ids.m), interval '7 minutes',
          '… and so do the account''s other replies');
SELECT is(ingest.hold_replies(id, now() + interval '3 days') - now(), interval '1 day', 'a hold is at most a day, whatever the platform says')
FROM ingest.outbox WHERE body = 'flaky 2';
SELECT is(ingest.hold_replies(id, now() - interval '1 minute'), NULL, '… and one already over changes nothing')
FROM ingest.outbox WHERE body = 'flaky 2';
UPDATE social.account SET sends_held_until = now() + interval '7 minutes' FROM ids WHERE social.account.id = ids.m;
INSERT INTO ingest.outbox (account_id, in_reply_to, body) SELECT m, (SELECT m1 FROM p), 'after the 429' FROM ids;
SELECT is((SELECT count(*) FROM ingest.lease_outbox('h4', 10, 60) l JOIN ingest.outbox o ON o.id = l.outbox_id
           JOIN ids ON o.account_id = ids.m), 0::bigint, '… none of them is leased meanwhile, not even one queued since');
-- An account's replies go one at a time: a throttle or the last request is known before the next.
INSERT INTO ingest.outbox (account_id, in_reply_to, body, next_attempt_at)
SELECT x, (SELECT x1 FROM p), v.body, now() - v.ago FROM ids, (VALUES ('one-later', interval '1 minute'), ('one-first', interval '2 minutes')) v(body, ago);
SELECT is((SELECT array_agg(o.body) FROM ingest.lease_outbox('h5', 10, 60) l JOIN ingest.outbox o ON o.id = l.outbox_id WHERE o.body LIKE 'one-%'),
          ARRAY['one-first'], 'of an account''s two due replies, the one due first is leased');
SELECT is((SELECT count(*) FROM ingest.lease_outbox('h6', 10, 60) l JOIN ingest.outbox o ON o.id = l.outbox_id WHERE o.body LIKE 'one-%'),
          0::bigint, '… and not the other while it is being sent');
SELECT is(ingest.outbox_failed(id, 'h1', 'HTTP 503', false), 'failed', 'the fifth failure is the last') FROM ingest.outbox WHERE body = 'flaky 5';
SELECT is(ingest.outbox_failed(id, 'h1', 'HTTP 422: Validation failed', true), 'failed', 'a refusal fails at once') FROM ingest.outbox WHERE body = 'flaky 4';

-- Retrying through the api.
SELECT pg_temp.as_staff('tok-tap_agent');
SELECT is(api.outbox_retry(jsonb_build_object('id', id)), jsonb_build_object('outbox_id', id, 'state', 'queued', 'redirect', '/post?id=' || in_reply_to), 'a failed reply can be sent again')
FROM ingest.outbox WHERE body = 'flaky 4';
SELECT is((SELECT state || ' ' || attempts || ' ' || (next_attempt_at <= now()) FROM ingest.outbox WHERE body = 'flaky 4'), 'queued 0 true',
          '… at once, with fresh attempts');
SELECT is((SELECT earlier_attempts FROM ingest.outbox WHERE body = 'flaky 4'), 4,
          '… keeping count of the four attempts before the retry, which lease_outbox tells the publisher (tried_before): '
          'it looks for that reply before sending again');
SELECT throws_ok($$SELECT api.outbox_retry(jsonb_build_object('id', id)) FROM ingest.outbox WHERE body = 'flaky 4'$$, 'PR409', NULL,
                 'only a failed reply can be retried');
SELECT is((SELECT jsonb_agg(e->>'state') FROM jsonb_array_elements(api.outbox_for_case(jsonb_build_object('case_id', (SELECT case1 FROM p)))->'entries') e),
          '["sent"]', 'the replies of a case');
SELECT is((SELECT e - 'created_at' - 'error_at' FROM jsonb_array_elements(api.outbox(jsonb_build_object('post_id', (SELECT b1 FROM p)))->'entries') e),
          jsonb_build_object('id', (SELECT id FROM ingest.outbox WHERE body = 'to bluesky'), 'state', 'sent', 'body', 'to bluesky', 'attempts', 1,
            'error', NULL, 'next_attempt_at', NULL, 'held_until', NULL, 'external_id', 'at://did:plc:brand/app.bsky.feed.post/3lo2yvk4s2322',
            'url', 'https://bsky.app/profile/did:plc:brand/post/3lo2yvk4s2322', 'reply_post_id', :sent_post, 'post_id', (SELECT b1 FROM p),
            'case_id', (SELECT case1 FROM p), 'account', jsonb_build_object('id', (SELECT b FROM ids), 'platform', 'bluesky',
            'handle', 'tap-b.bsky.social', 'status', 'active'),
            'staff', jsonb_build_object('id', (SELECT id FROM auth.staff WHERE username = 'tap_agent'), 'username', 'tap_agent', 'name', 'Tap Agent'),
            'sent_at', (SELECT sent_at FROM ingest.outbox WHERE body = 'to bluesky'), 'queued', false, 'sending', false, 'sent', true,
            'failed', false, 'can_retry', false, 'waits_paused', false, 'waits_reauth', false),
          'an entry as api.outbox shows it');

-- X counts Chinese characters and emoji twice: 140 of them fill a reply.
SELECT is(ingest.reply_length('x', repeat('咖', 140)) || ' ' || ingest.reply_length('x', 'Thanks ☕ 🙏') || ' '
          || ingest.reply_length('mastodon', repeat('咖', 140)), '280 12 140', 'the length each platform counts');
SELECT is(ingest.reply_length('x', '👩‍👩‍👧‍👦') || ' ' || ingest.reply_length('x', '🇨🇳') || ' ' || ingest.reply_length('x', '1️⃣') || ' '
          || ingest.reply_length('x', '👍🏽') || ' ' || ingest.reply_length('x', E'caf\u0065\u0301') || ' ' || ingest.reply_length('x', '1 ❤️'),
          '2 2 2 2 4 4', 'X counts an emoji sequence as one emoji (twice), and é as e + U+0301 as é');
SELECT is(ingest.reply_length('x', 'Track it: https://lumen.example/orders/track?id=4411&token=' || repeat('a', 260) || ' thanks') || ' '
          || ingest.reply_length('mastodon', '@mei@social.example see https://lumen.example/' || repeat('a', 600)) || ' '
          || ingest.reply_length('bluesky', 'see https://lumen.example/abc') || ' '
          || ingest.reply_length('x', '(https://lumen.example/a).'),
          '40 32 29 26', 'X and Mastodon count a link as 23 characters, Mastodon a remote mention as its @name; Bluesky every character');
SELECT throws_ok(format($$SELECT api.reply('{"post_id": %s, "body": "%s"}')$$, (SELECT x1 FROM p), repeat('谢', 141)), 'PR422',
                 'The reply is 282 characters long as X counts them (Chinese characters and emoji count twice, a link 23); X allows at most 280.',
                 'an X reply over the limit as X counts it is refused when queued, not failed later');
SELECT throws_ok(format($$SELECT api.reply('{"post_id": %s, "body": "hello \u0007 bell"}')$$, (SELECT x1 FROM p)), 'PR422',
                 'A reply cannot contain control characters.', 'a reply with a control character is refused, not sent to the platform');
CREATE TEMP TABLE outbox_before AS SELECT count(*) AS n FROM ingest.outbox;
SELECT throws_ok(format($$SELECT pg_temp.reply(%s, %L)$$, (SELECT x1 FROM p), format('order %s1234 shipped', chr(x))), 'PR422',
                 'A reply cannot contain text-direction overrides (U+202A to U+202E, U+2066 to U+2069).',
                 format('a reply with U+%s is refused', to_hex(x)))
FROM unnest(ARRAY[x'202a', x'202e', x'2066', x'2069']::integer[]) x;
SELECT is((SELECT count(*) FROM ingest.outbox), (SELECT n FROM outbox_before), '… and nothing was queued');
SELECT is(pg_temp.reply((SELECT x1 FROM p), E'\u05e9\u05dc\u05d5\u05dd \u200f(2)\u200e ok \u061c')->>'state', 'queued',
          'the plain direction marks U+200F, U+200E and U+061C are text: right-to-left replies need them');
DELETE FROM ingest.outbox WHERE body LIKE 'שלום%';   -- (out of the way of the leasing below)

-- Throttled (a 429) on its last attempt: queued for the platform's time, the attempt not counted.
INSERT INTO social.account (platform, handle, api_base_url) VALUES ('mastodon', 'tap-throttled', 'http://t.example');
INSERT INTO social.account_credential SELECT id, 'tok-t' FROM social.account WHERE handle = 'tap-throttled';
INSERT INTO social.post (platform, external_id, account_id, body, created_at)
SELECT 'mastodon', 'tap-throttled-1', id, 'hi', now() FROM social.account WHERE handle = 'tap-throttled';
INSERT INTO ingest.outbox (account_id, in_reply_to, body, attempts, state, lease_owner, lease_until)   -- (as leased)
SELECT p.account_id, p.id, 'throttled last', ingest.outbox_max_attempts(), 'sending', 'h10', now() + interval '1 minute'
FROM social.post p WHERE p.external_id = 'tap-throttled-1';
SELECT is(ingest.outbox_failed(id, 'h10', 'HTTP 429: Too many requests', false, now() + interval '1 minute'), 'queued',
          'a throttled last attempt is not the last: queued for the platform''s time')
FROM ingest.outbox WHERE body = 'throttled last';
SELECT is((SELECT attempts FROM ingest.outbox WHERE body = 'throttled last'), ingest.outbox_max_attempts() - 1,
          '… the attempt not counted');

-- Deleting the account keeps its replies on record; one not sent yet fails, saying why, and cannot be retried.
SELECT auth.user_add('tap_admin70', 'Tap Admin', 'admin', '$argon2id$v=19$m=19456,t=2,p=1$x$y');
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-tap_admin70', 'UTF8')), id, 'c' FROM auth.staff WHERE username = 'tap_admin70';
SELECT pg_temp.as_staff('tok-tap_admin70');
INSERT INTO ingest.outbox (account_id, in_reply_to, body, attempts, state, lease_owner, lease_until)   -- (being sent right now)
SELECT p.account_id, p.id, 'in flight at delete', 1, 'sending', 'h14', now() + interval '1 minute'
FROM social.post p WHERE p.external_id = 'tap-throttled-1';
SELECT api.account_delete(jsonb_build_object('id', (SELECT id FROM social.account WHERE handle = 'tap-throttled'))) IS NULL AS silenced \gset
SELECT is((SELECT state FROM ingest.outbox WHERE body = 'in flight at delete'), 'sending',
          'a reply being sent when its account is deleted is left to its publisher');
SELECT isnt(ingest.outbox_sent(id, 'h14', '1790000000000000999', NULL, NULL), NULL,
            '… which records it as sent, under the post''s platform, with no account')
FROM ingest.outbox WHERE body = 'in flight at delete';
SELECT is((SELECT state || ': ' || last_error || ' ' || (account_id IS NULL) FROM ingest.outbox WHERE body = 'throttled last'),
          'failed: The brand account was deleted before the reply was sent. true',
          'a deleted account''s unsent reply stays on record, failed, saying why');
SELECT pg_temp.as_staff('tok-tap_agent');
SELECT is((SELECT e->>'can_retry' FROM jsonb_array_elements(api.outbox('{}')->'entries') e WHERE e->>'body' = 'throttled last'), 'false',
          '… and offers no retry');
SELECT throws_ok($$SELECT api.outbox_retry(jsonb_build_object('id', id)) FROM ingest.outbox WHERE body = 'throttled last'$$, 'PR409',
                 'The brand account of this reply was deleted; it cannot be sent again.', '… which is refused');

-- A refused token: the account needs a new one; the reply waits, queued, and is not leased meanwhile.
INSERT INTO ingest.outbox (account_id, in_reply_to, body) SELECT x, (SELECT x1 FROM p), 'token refused' FROM ids;
UPDATE ingest.outbox SET state = 'failed' WHERE body LIKE 'one-%';   -- (the account's earlier ones, out of the way)
SELECT is((SELECT count(*) FROM ingest.lease_outbox('h8', 10, 60) l JOIN ingest.outbox o ON o.id = l.outbox_id WHERE o.body = 'token refused'),
          1::bigint, 'a reply is leased');
SELECT is(ingest.outbox_needs_token(id, 'h8', 'HTTP 401: Unauthorized'), 'queued', '… the platform refuses its token: queued again')
FROM ingest.outbox WHERE body = 'token refused';
SELECT is((SELECT status || ': ' || status_message FROM social.account WHERE id = (SELECT x FROM ids)), 'needs_reauth: HTTP 401: Unauthorized',
          '… and the account needs a new token, with the platform''s words');
SELECT is((SELECT count(*) FROM ingest.lease_outbox('h9', 10, 60) l JOIN ingest.outbox o ON o.id = l.outbox_id WHERE o.body = 'token refused'),
          0::bigint, '… so the reply waits, not leased, until a token is set');
UPDATE social.account SET status = 'active', status_message = NULL FROM ids WHERE social.account.id = ids.x;
UPDATE ingest.outbox SET state = 'failed' WHERE body = 'token refused';
INSERT INTO ingest.outbox (account_id, in_reply_to, body, attempts, state, lease_owner, lease_until)   -- (as leased, its last attempt)
SELECT x, (SELECT x1 FROM p), 'token refused last', ingest.outbox_max_attempts(), 'sending', 'h11', now() + interval '1 minute' FROM ids;
SELECT is(ingest.outbox_needs_token(id, 'h11', 'HTTP 401: Unauthorized'), 'failed', 'a token refused on the last attempt ends the reply')
FROM ingest.outbox WHERE body = 'token refused last';
SELECT is((SELECT status FROM social.account WHERE id = (SELECT x FROM ids)), 'needs_reauth', '… and the account still says it needs a token');
UPDATE social.account SET status = 'active', status_message = NULL FROM ids WHERE social.account.id = ids.x;
-- An entry leased again while this harvester still sends it: the lease is no new attempt.
INSERT INTO ingest.outbox (account_id, in_reply_to, body, attempts, state, lease_owner, lease_until)
SELECT x, (SELECT x1 FROM p), 'still sending', 2, 'sending', 'h12', now() + interval '1 minute' FROM ids;
SELECT ingest.outbox_still_sending(id, 'h12') FROM ingest.outbox WHERE body = 'still sending';
SELECT ingest.outbox_still_sending(id, 'h13') FROM ingest.outbox WHERE body = 'still sending';   -- (another harvester's: nothing)
SELECT is((SELECT attempts FROM ingest.outbox WHERE body = 'still sending'), 1, 'a lease of a send still in flight takes back its attempt, for its owner only');
UPDATE ingest.outbox SET state = 'failed' WHERE body = 'still sending';

-- Posts that cannot be answered: no composer, the reason instead; api.reply refuses with it.
INSERT INTO social.account (platform, handle, api_base_url) VALUES ('mastodon', 'tap-tokenless', 'http://t.example');
INSERT INTO social.post (platform, external_id, account_id, body, created_at)
SELECT 'mastodon', 'tap-tokenless-1', id, 'hi', now() FROM social.account WHERE handle = 'tap-tokenless';
SELECT pg_temp.as_staff('tok-tap_agent');
SELECT is((SELECT jsonb_build_object('reply', d->'reply', 'blocked', d->'reply_blocked')
           FROM api.post(jsonb_build_object('id', (SELECT id FROM social.post WHERE external_id = 'tap-tokenless-1'))) d),
          jsonb_build_object('reply', NULL, 'blocked', jsonb_build_object('said', 'err.reply_no_token')),
          'a post on an account without a token shows no composer, and says why');
SELECT throws_ok(format($$SELECT api.reply('{"post_id": %s, "body": "hi"}')$$, (SELECT id FROM social.post WHERE external_id = 'tap-tokenless-1')),
                 'PR422', 'The brand account has no access token, so it cannot send replies. An admin or marketer adds one on the Accounts page.',
                 '… and api.reply refuses, saying who can fix it');
UPDATE social.post SET deleted_at = now() WHERE external_id = 'tap-m2';
SELECT is(api.post(jsonb_build_object('id', (SELECT id FROM social.post WHERE external_id = 'tap-m2')))->'reply_blocked'->>'said',
          'err.reply_post_deleted', 'a deleted post shows no composer either');
UPDATE social.post SET deleted_at = NULL WHERE external_id = 'tap-m2';

----------------------------------------------------------------- A case closed meanwhile
-- Its post's page was open when the case was closed: a reply sent from it is
-- not counted on the closed case (nothing changes a closed case).
INSERT INTO crm."case" (subject, post_id) SELECT 'closing case', id FROM social.post WHERE external_id = 'tap-m1'
RETURNING id AS closing \gset
SELECT is((api.post(jsonb_build_object('id', (SELECT m1 FROM p)))->'reply'->>'case_id')::bigint, :closing::bigint,
          'the composer names the post''s case');
SELECT crm.set_state(:closing, 'closed', NULL) IS NULL AS x \gset
SELECT is(api.post(jsonb_build_object('id', (SELECT m1 FROM p)))->'reply'->>'case_id', NULL, '… and none once it is closed');
SELECT is(crm.fill_canned('Your case {{case.number}} is closed', (SELECT m1 FROM p)),
          (SELECT 'Your case C-' || number || ' is closed' FROM crm."case" WHERE id = :closing),
          '… while a canned reply still names it ("your case is closed")');
SELECT pg_temp.reply((SELECT m1 FROM p), 'sent from the page as it was', jsonb_build_object('case_id', :closing)) IS NULL AS x \gset
SELECT is((SELECT case_id FROM ingest.outbox WHERE body = 'sent from the page as it was'), NULL,
          'a reply naming the closed case is sent, counted on no case');
SELECT crm.record_outbound_at(:closing, NULL, NULL, 'queued before it closed', now()) IS NULL AS x \gset
SELECT is((SELECT (first_response_at IS NULL)::text || ' ' || (SELECT count(*) FROM crm.case_event e WHERE e.case_id = c.id AND e.kind = 'outbound')
           FROM crm."case" c WHERE c.id = :closing), 'true 1',
          'a reply that goes out after its case closed is on the timeline, but no first response within it');

----------------------------------------------------------------- A Facebook reply to a reply
-- Graph files it under the top comment: the lease names that comment
-- (target_top), however deep the stored thread, and none for a top comment.
INSERT INTO social.account (platform, handle, api_base_url, external_id, status)
VALUES ('facebook', 'tap-fb', 'http://f.example', '5550', 'active') RETURNING id AS fb \gset
INSERT INTO social.post (platform, external_id, account_id, kind, body, created_at, parent_external_id, root_external_id)
VALUES ('facebook', 'tap-fb_1', :fb, 'post', 'a post', now(), NULL, NULL),
       ('facebook', 'tap-fb_c', :fb, 'comment', 'a comment', now(), 'tap-fb_1', 'tap-fb_1'),
       ('facebook', 'tap-fb_r', :fb, 'comment', 'a reply', now(), 'tap-fb_c', 'tap-fb_1'),
       ('facebook', 'tap-fb_b', :fb, 'reply', 'ours, to the reply', now(), 'tap-fb_r', 'tap-fb_1'),
       ('facebook', 'tap-fb_s', :fb, 'comment', 'a reply, its comment not stored', now(), 'tap-fb_gone', 'tap-fb_1'),
       ('facebook', 'tap-fb_u', :fb, 'comment', 'no root known', now(), 'tap-fb_1', NULL);
SELECT is((SELECT string_agg(t.external_id || '>' || coalesce(ingest.outbox_top_comment(t), '-'), ' ' ORDER BY t.external_id)
           FROM social.post t WHERE t.platform = 'facebook' AND t.external_id LIKE 'tap-fb\__'),
          'tap-fb_1>- tap-fb_b>tap-fb_c tap-fb_c>- tap-fb_r>tap-fb_c tap-fb_s>tap-fb_gone tap-fb_u>-',
          'the top comment of a reply (and of one to a reply), none for a post, a top comment or an unknown thread');
INSERT INTO ingest.outbox (account_id, in_reply_to, body)
SELECT :fb, id, 'to the reply' FROM social.post WHERE platform = 'facebook' AND external_id = 'tap-fb_r';
SELECT is((SELECT l.target || ' ' || l.target_kind || ' ' || l.target_top FROM ingest.lease_outbox('hfb', 10, 60) l
           WHERE l.body = 'to the reply'), 'tap-fb_r comment tap-fb_c', 'the lease gives the reply''s top comment');

----------------------------------------------------------------- Privileges
SELECT is(pg_temp.sqlstate_as('parley_harvest', $$SELECT * FROM ingest.lease_outbox('x', 0, 60)$$), 'ok', 'the harvester may lease replies');
SELECT is(pg_temp.sqlstate_as('parley_harvest', 'SELECT count(*) FROM ingest.outbox'), '42501', '… but not read the outbox table');
SELECT is(pg_temp.sqlstate_as('parley_harvest', $$SELECT api.reply('{}')$$), '42501', '… nor queue replies');
SELECT is(pg_temp.sqlstate_as('parley_web', $$SELECT * FROM ingest.lease_outbox('x', 0, 60)$$), '42501', 'the web role may not lease replies');
SELECT is(pg_temp.sqlstate_as('parley_web', $$SELECT ingest.outbox_sent(1, 'x', 'y', NULL, NULL)$$), '42501', '… nor record them');
SELECT is(pg_temp.sqlstate_as('parley_bi', $$SELECT api.outbox('{}')$$), '42501', 'the BI role may not read the outbox');

SELECT * FROM finish();
ROLLBACK;
