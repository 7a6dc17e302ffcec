-- A platform that counts its rate limit per token (Mastodon, Bluesky, Meta,
-- Weibo): once one stream of an account is told the budget is spent, none
-- of the account's streams is leased until the reset. X counts per
-- endpoint: there each stream minds only its own. The account's replies
-- wait with the token, and for as long as the platform throttled one (and
-- where a reply spends the same budget, Meta and Weibo, so does the harvest). Also: what each stream
-- brings in is counted as it is recorded, and Weibo's and X's replies walks are hourly.
BEGIN;
SELECT plan(54);
SET LOCAL client_min_messages = warning;

-- Two harvesters leasing at the same moment, with two due streams of one
-- token that has few requests left: both aim at its first stream, so the
-- second finds it taken (locked, or leased once the first commits) and leases
-- neither. First in the file, before this transaction holds anything;
-- connections h and c are the two harvesters.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect(n, format('dbname=%s port=%s host=%s user=postgres', current_database(),
                      current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)))
FROM (VALUES ('h'), ('c')) AS x(n);
SELECT dblink_exec('h', $$DELETE FROM social.account WHERE handle = 'tap-race-lease'$$);
SELECT dblink_exec('h', $$INSERT INTO social.account (platform, handle, api_base_url)
                         VALUES ('mastodon', 'tap-race-lease', 'http://127.0.0.1:9/m')$$);
SELECT dblink_exec('h', $$INSERT INTO ingest.stream (account_id, kind, next_run_at, quota_remaining, quota_reset_at)
                         SELECT id, k, now() - interval '100 years', CASE k WHEN 'mentions' THEN 5 END,
                                now() + interval '10 minutes'
                         FROM social.account, unnest(ARRAY['mentions', 'own_posts']) k
                         WHERE handle = 'tap-race-lease'$$);
SELECT dblink_exec('h', 'BEGIN');
SELECT is((SELECT count(*) FROM dblink('h', $$SELECT 1 FROM ingest.lease_streams('tap-h', 1000) WHERE handle = 'tap-race-lease'$$)
                                AS r(x integer)), 1::bigint, 'a harvester leases one stream of a token with 5 requests left');
SELECT is((SELECT count(*) FROM dblink('c', $$SELECT 1 FROM ingest.lease_streams('tap-c', 1000) WHERE handle = 'tap-race-lease'$$)
                                AS r(x integer)), 0::bigint, '… another leasing at the same moment gets none of its streams');
SELECT dblink_exec('h', 'COMMIT');
SELECT is((SELECT count(*) FROM dblink('c', $$SELECT 1 FROM ingest.lease_streams('tap-c', 1000) WHERE handle = 'tap-race-lease'$$)
                                AS r(x integer)), 0::bigint, '… nor once the first has committed');
SELECT * FROM (VALUES ('h', 'tap-h'), ('c', 'tap-c')) AS x(n, o),
              dblink(n, format('SELECT ingest.release_owner(%L)', o)) AS r(x text);  -- (the other streams of the database)
SELECT dblink_exec('h', $$DELETE FROM social.account WHERE handle = 'tap-race-lease'$$);
SELECT dblink_disconnect(n) FROM (VALUES ('h'), ('c')) AS x(n);

INSERT INTO social.account (platform, handle, api_base_url) VALUES
  ('mastodon', 'tap-quota-m', 'http://127.0.0.1:9/m'), ('x', 'tap-quota-x', 'http://127.0.0.1:9/x');
SELECT id AS m FROM social.account WHERE handle = 'tap-quota-m' \gset
SELECT id AS x FROM social.account WHERE handle = 'tap-quota-x' \gset
INSERT INTO ingest.stream (account_id, kind, next_run_at)
SELECT a, k, now() + interval '1 hour' FROM unnest(ARRAY[:m, :x]) a, unnest(ARRAY['mentions', 'own_posts']) k;
SELECT id AS m1 FROM ingest.stream WHERE account_id = :m AND kind = 'mentions' \gset
SELECT id AS m2 FROM ingest.stream WHERE account_id = :m AND kind = 'own_posts' \gset
SELECT id AS x1 FROM ingest.stream WHERE account_id = :x AND kind = 'mentions' \gset
SELECT id AS x2 FROM ingest.stream WHERE account_id = :x AND kind = 'own_posts' \gset

-- pg_temp.leased(): which of these accounts' streams a harvester would lease now
-- (the leases are let go again, so each call sees the same queue).
CREATE FUNCTION pg_temp.leased() RETURNS text LANGUAGE plpgsql AS $$
DECLARE out text;
BEGIN
  SELECT string_agg(a.handle || ' ' || l.kind, ', ' ORDER BY a.handle, l.kind) INTO out
  FROM ingest.lease_streams('tap', 1000) l JOIN social.account a ON a.id = l.account_id
  WHERE a.handle LIKE 'tap-quota-%';
  UPDATE ingest.stream SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = 'tap';
  RETURN coalesce(out, '');
END $$;

-- The mentions streams were told the budget is spent (1 left, reset in 10
-- minutes) and wait for it; the own posts streams are due.
UPDATE ingest.stream SET quota_remaining = 1, quota_reset_at = now() + interval '10 minutes'
WHERE id IN (:m1, :x1);
-- (due long ago, so no other due stream of the database sorts before them)
UPDATE ingest.stream SET next_run_at = now() - interval '100 years' WHERE id IN (:m2, :x2);
SELECT is(pg_temp.leased(), 'tap-quota-x own_posts',
          'a Mastodon account whose token is spent has no stream leased; X''s other endpoint goes on');
UPDATE ingest.stream SET quota_remaining = 2 WHERE id IN (:m1, :x1);
SELECT is(pg_temp.leased(), 'tap-quota-m own_posts, tap-quota-x own_posts', 'with 2 left it is');
UPDATE ingest.stream SET quota_remaining = 0, quota_reset_at = now() - interval '1 second' WHERE id IN (:m1, :x1);
SELECT is(pg_temp.leased(), 'tap-quota-m own_posts, tap-quota-x own_posts', '… and once the reset has passed');

-- Throttled (a 429): nothing left until the retry time, for the token's other streams too.
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id IN (:m1, :x1);
SELECT ok(ingest.record_failure(:m1, 'tap', 'throttled', 'HTTP 429', now() + interval '5 minutes') > now(),
          'a throttled Mastodon stream waits');
SELECT ok(ingest.record_failure(:x1, 'tap', 'throttled', 'HTTP 429', now() + interval '5 minutes') > now(),
          '… as does a throttled X stream');
SELECT is((SELECT quota_remaining || ' ' || (quota_reset_at > now()) FROM ingest.stream WHERE id = :m1), '0 true',
          '… recorded as no quota left until then');
SELECT is(pg_temp.leased(), 'tap-quota-x own_posts', '… and the Mastodon token''s other stream waits with it');

-- A stream already reading when another spends the token's quota stops at
-- its next page, keeping its position.
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = :m2;
SELECT is(ingest.record_page(:m2, 'tap', 'statuses', 'http://127.0.0.1:9/m/api/v1/accounts/1/statuses', 200, '{}', '[]',
                             '{"max_id": "5"}', false, NULL, NULL)->'held', 'true'::jsonb,
          'a reading stream of the held token is stopped at its next page');
SELECT is((SELECT (lease_owner IS NULL) || ' ' || (state->>'max_id') FROM ingest.stream WHERE id = :m2), 'true 5',
          '… its lease let go, its position kept');

-- Spent, with no reset named: the minute the stream waits holds the token.
UPDATE ingest.stream SET quota_remaining = NULL, quota_reset_at = NULL WHERE account_id = :m;
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = :m2;
SELECT is(ingest.record_page(:m2, 'tap', 'statuses', 'http://127.0.0.1:9/m/api/v1/accounts/1/statuses', 200, '{}', '[]',
                             '{"max_id": "4"}', false, 0, NULL)->'held', NULL, 'a page saying none is left is recorded');
SELECT ok(ingest.token_quota_spent(:m, 'mastodon'), '… and holds the token though it named no reset');

-- Replies wait with the token: sent now, they would only be refused.
INSERT INTO social.post (platform, external_id, account_id, created_at) VALUES
  ('mastodon', 'tap-quota-p1', :m, now()), ('x', 'tap-quota-p2', :x, now());
INSERT INTO ingest.outbox (account_id, in_reply_to, body, next_attempt_at)
SELECT p.account_id, p.id, 'tap-quota reply ' || p.platform, '2000-01-01' FROM social.post p
WHERE p.external_id IN ('tap-quota-p1', 'tap-quota-p2');
-- pg_temp.leased_replies(): which of these replies a harvester would lease now (let go again after).
CREATE FUNCTION pg_temp.leased_replies() RETURNS text LANGUAGE plpgsql AS $$
DECLARE out text;
BEGIN
  SELECT string_agg(o.body, ', ' ORDER BY o.body) INTO out
  FROM ingest.lease_outbox('tap', 1000) l JOIN ingest.outbox o ON o.id = l.outbox_id WHERE o.body LIKE 'tap-quota %';
  UPDATE ingest.outbox SET state = 'queued', attempts = 0, lease_owner = NULL, lease_until = NULL WHERE lease_owner = 'tap';
  RETURN coalesce(out, '');
END $$;
SELECT is(pg_temp.leased_replies(), 'tap-quota reply x', 'a reply from a Mastodon token with none left is not sent; X''s is');
SELECT is((SELECT (ingest.outbox_json(o)->>'held_until')::timestamptz = ingest.token_held_until(:m, 'mastodon')
                  AND ingest.outbox_json(o)->'next_attempt_at' = ingest.outbox_json(o)->'held_until'
           FROM ingest.outbox o WHERE body = 'tap-quota reply mastodon'), true,
          '… the reply says until when it waits');
-- The last request, which harvesting leaves, is a reply's.
UPDATE ingest.stream SET quota_remaining = 1 WHERE id = :m2;
SELECT is(pg_temp.leased_replies() || ' / ' || pg_temp.leased(), 'tap-quota reply mastodon, tap-quota reply x / tap-quota-x own_posts',
          'with 1 left the replies go, the harvest waits');
UPDATE ingest.stream SET quota_remaining = 0 WHERE id = :m2;
-- A reply the platform throttled holds the account's other replies (only them).
UPDATE social.account SET sends_held_until = now() + interval '2 minutes' WHERE id = :x;
SELECT is(pg_temp.leased_replies(), '', 'an account whose replies are held sends none');
SELECT is(pg_temp.leased(), 'tap-quota-x own_posts', '… while its streams go on');

-- The accounts page says so, for the account whose token waits.
SELECT auth.user_add('tap_quota', 'Tap Quota', 'marketer', '$argon2id$v=19$m=19456,t=2,p=1$x$y');
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-tap-quota', 'UTF8')), id, 'c' FROM auth.staff WHERE username = 'tap_quota';
SELECT set_config('parley.session', 'tok-tap-quota', true);
SELECT ok((SELECT (a->>'quota_back_at')::timestamptz > now() FROM jsonb_array_elements(api.accounts()->'accounts') a
           WHERE a->>'handle' = 'tap-quota-m'), 'the accounts page says until when the Mastodon token waits');
SELECT is((SELECT a->'quota_back_at' FROM jsonb_array_elements(api.accounts()->'accounts') a
           WHERE a->>'handle' = 'tap-quota-x'), 'null'::jsonb, '… and nothing of the kind for X');
SELECT is((SELECT (a->>'replies_back_at')::timestamptz FROM jsonb_array_elements(api.accounts()->'accounts') a
           WHERE a->>'handle' = 'tap-quota-x'), (SELECT sends_held_until FROM social.account WHERE id = :x),
          '… and until when X''s replies are held');
UPDATE ingest.stream SET quota_remaining = NULL, quota_reset_at = NULL WHERE account_id = :m;
UPDATE social.account SET sends_held_until = now() - interval '1 second' WHERE id = :x;
SELECT is(pg_temp.leased_replies(), 'tap-quota reply mastodon, tap-quota reply x', 'once the holds are over, both are sent');
SELECT is((SELECT a->'replies_back_at' FROM jsonb_array_elements(api.accounts()->'accounts') a
           WHERE a->>'handle' = 'tap-quota-x'), 'null'::jsonb, '… and the page no longer speaks of a hold');

-- A Weibo account's replies stream walks its threads hourly (comments/to_me
-- brings the new comments meanwhile); elsewhere at the stream default.
SELECT ok(api.account_add('{"platform": "weibo", "handle": "tap-quota-wb", "api_base_url": "http://127.0.0.1:9/wb"}') ? 'id',
          'a Weibo account is added');
SELECT ok(api.account_add('{"platform": "mastodon", "handle": "tap-quota-m2", "api_base_url": "http://127.0.0.1:9/m2"}') ? 'id',
          '… and a Mastodon one');
SELECT is((SELECT every FROM ingest.stream s JOIN social.account a ON a.id = s.account_id
           WHERE a.handle = 'tap-quota-wb' AND s.kind = 'replies'), interval '1 hour', 'a new Weibo account walks its threads hourly');
SELECT is((SELECT string_agg(DISTINCT s.every::text, ',') FROM ingest.stream s JOIN social.account a ON a.id = s.account_id
           WHERE a.handle IN ('tap-quota-wb', 'tap-quota-m2') AND NOT (a.platform = 'weibo' AND s.kind = 'replies')),
          '00:05:00', '… its other streams and other platforms'' replies at the default');
-- X's too: each thread is a recent search, of which X allows 60 in 15 minutes.
SELECT ok(api.account_add('{"platform": "x", "handle": "tap-quota-x2", "api_base_url": "http://127.0.0.1:9/x2"}') ? 'id',
          'an X account is added');
SELECT is((SELECT string_agg(s.kind || ' ' || s.every, ', ' ORDER BY s.kind, s.query) FROM ingest.stream s JOIN social.account a ON a.id = s.account_id
           WHERE a.handle = 'tap-quota-x2'),
          'followers 00:05:00, mentions 00:05:00, own_posts 00:05:00, replies 01:00:00', '… it walks its threads hourly, its other streams at the default');

-- Where Instagram pushes comments (a delivery in the last day), its replies
-- walk is hourly; without webhooks, at the stream's interval.
SELECT ok(api.account_add('{"platform": "instagram", "handle": "tap-quota-ig", "api_base_url": "http://127.0.0.1:9/ig", "external_id": "1789"}') ? 'id',
          'an Instagram account is added');
SELECT s.id AS igr FROM ingest.stream s JOIN social.account a ON a.id = s.account_id
WHERE a.handle = 'tap-quota-ig' AND s.kind = 'replies' \gset
-- pg_temp.walk_wait(): records the end of a replies walk, returns how long until the next
CREATE FUNCTION pg_temp.walk_wait(p_stream bigint) RETURNS interval LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = p_stream;
  PERFORM ingest.record_page(p_stream, 'tap', 'comments', 'http://127.0.0.1:9/ig/1/comments', 200, '{}', '{"data": []}',
                             '{}', true, NULL, NULL);
  RETURN (SELECT next_run_at - now() FROM ingest.stream WHERE id = p_stream);
END $$;
SELECT is(pg_temp.walk_wait(:igr), interval '5 minutes', 'without webhooks, an Instagram replies walk comes again in 5 minutes');
INSERT INTO ingest.webhook_inbox (account_id, platform, delivery_id, body, processed_at)
SELECT account_id, 'instagram', 'tap-quota-d1', '{"object": "instagram", "entry": [{"messaging": []}]}', now()
FROM ingest.stream WHERE id = :igr;
SELECT is(pg_temp.walk_wait(:igr), interval '5 minutes', 'webhooks that bring no comments change nothing');
INSERT INTO ingest.webhook_inbox (account_id, platform, delivery_id, body, processed_at)
SELECT account_id, 'instagram', 'tap-quota-d2', '{"object": "instagram", "entry": [{"changes": [{"field": "comments"}]}]}', now()
FROM ingest.stream WHERE id = :igr;
SELECT is(pg_temp.walk_wait(:igr), interval '1 hour', 'where its webhooks bring comments, hourly');

-- What a stream brings in is counted per page (posts, interactions and
-- follower edges written): a recorded page of 5 statuses is 5 items.
UPDATE ingest.stream SET quota_remaining = NULL, quota_reset_at = NULL, lease_owner = 'tap',
                         lease_until = now() + interval '1 minute' WHERE id = :m2;
SELECT f->'request'->>'url' AS page_url, f->'response'->>'body' AS page_body
FROM (SELECT pg_read_file(current_setting('parley.fixtures') || '/mastodon/test_fetch_next_previous-12.json')::jsonb AS f) x \gset
SELECT is((ingest.record_page(:m2, 'tap', 'statuses', :'page_url', 200, '{}', :'page_body', '{}', true, NULL, NULL)
           ->'counts'->>'posts')::integer, 5, 'a page of 5 statuses is recorded');
SELECT is((SELECT pages_harvested || ' ' || items_harvested FROM ingest.stream WHERE id = :m2), '3 5',
          '… and counted as 5 items harvested by its stream (3 pages so far)');

-- On Weibo (and Meta) a reply spends the harvest's budget: a throttled reply
-- holds the account's streams too, and the accounts page says so.
INSERT INTO social.account (platform, handle, api_base_url) VALUES ('weibo', 'tap-quota-w', 'http://127.0.0.1:9/w');
INSERT INTO ingest.stream (account_id, kind, next_run_at)
SELECT id, 'own_posts', now() - interval '100 years' FROM social.account WHERE handle = 'tap-quota-w';
UPDATE social.account SET sends_held_until = now() + interval '2 minutes' WHERE handle = 'tap-quota-w';
SELECT ok(pg_temp.leased() NOT LIKE '%tap-quota-w own_posts%', 'a Weibo account whose replies are throttled harvests nothing either');
SELECT is((SELECT (a->>'quota_back_at')::timestamptz FROM jsonb_array_elements(api.accounts()->'accounts') a
           WHERE a->>'handle' = 'tap-quota-w'), (SELECT sends_held_until FROM social.account WHERE handle = 'tap-quota-w'),
          '… and the accounts page says until when');
UPDATE social.account SET sends_held_until = now() - interval '1 second' WHERE handle = 'tap-quota-w';
SELECT ok(pg_temp.leased() LIKE '%tap-quota-w own_posts%', '… once the hold is over, it does');

-- A throttle of one API only (Weibo's 10024 on replying): the replies wait,
-- the harvest goes on; a stream throttled that way waits alone.
UPDATE social.account SET sends_held_until = NULL WHERE handle = 'tap-quota-w';
INSERT INTO ingest.outbox (account_id, in_reply_to, body, state, lease_owner, lease_until, attempts)
SELECT a.id, (SELECT id FROM social.post LIMIT 1), 'tap-quota reply weibo', 'sending', 'tap', now() + interval '1 minute', 1
FROM social.account a WHERE a.handle = 'tap-quota-w' RETURNING id AS wo \gset
SELECT ingest.outbox_failed(:wo, 'tap', 'Weibo error 10024: User requests for (comments/reply) out of rate limit!', false,
                            now() + interval '30 minutes', false) IS NULL AS silenced \gset
SELECT ok((SELECT ingest.replies_held_until(a) > now() FROM social.account a WHERE handle = 'tap-quota-w')
          AND pg_temp.leased() LIKE '%tap-quota-w own_posts%',
          'a reply throttled by the reply API''s own limit holds the replies, not the harvest');
INSERT INTO ingest.stream (account_id, kind, next_run_at)
SELECT id, 'mentions', now() - interval '100 years' FROM social.account WHERE handle = 'tap-quota-w';
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute'
WHERE kind = 'mentions' AND account_id = (SELECT id FROM social.account WHERE handle = 'tap-quota-w');
SELECT ok(ingest.record_failure((SELECT s.id FROM ingest.stream s JOIN social.account a ON a.id = s.account_id
                                 WHERE a.handle = 'tap-quota-w' AND s.kind = 'mentions'), 'tap', 'throttled_api',
                                'Weibo error 10024', now() + interval '10 minutes') > now(),
          'a stream throttled by its API''s own limit waits…');
SELECT ok(pg_temp.leased() LIKE '%tap-quota-w own_posts%' AND pg_temp.leased() NOT LIKE '%tap-quota-w mentions%',
          '… alone: the token''s other streams go on');

-- A platform that hands back the position it was asked from: asked again it
-- would give the same page for ever, so the run ends there, saying why.
UPDATE ingest.stream SET quota_remaining = NULL, quota_reset_at = NULL WHERE account_id = :m;
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute', state = '{"max_id": "3"}',
                         every = interval '15 minutes', last_error = NULL WHERE id = :m2;
SELECT is(ingest.record_page(:m2, 'tap', 'statuses', 'http://127.0.0.1:9/m/api/v1/accounts/1/statuses', 200, '{}', '[]',
                             '{"max_id": "3"}', false, NULL, NULL)->'released', 'true'::jsonb,
          'a page that leaves the position where it was ends the run (the harvester is told)');
SELECT is((SELECT (lease_owner IS NULL) || ' ' || (next_run_at > now() + interval '14 minutes') || ' ' || last_error
           FROM ingest.stream WHERE id = :m2),
          'true true The platform gave the same page position again; this run ended there.',
          '… and the next run is at the stream''s interval; the stream says why');
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = :m2;
SELECT is(ingest.record_page(:m2, 'tap', 'statuses', 'http://127.0.0.1:9/m/api/v1/accounts/1/statuses', 200, '{}', '[]',
                             '{"max_id": "2"}', false, NULL, NULL)->'released', 'false'::jsonb,
          'a page that moves on keeps the lease');

-- A run that ends with the quota nearly spent waits for the later of the
-- platform's reset and the stream's own interval.
SELECT is(ingest.record_page(:m2, 'tap', 'statuses', 'http://127.0.0.1:9/m/api/v1/accounts/1/statuses', 200, '{}', '[]',
                             '{}', true, 1, now() + interval '2 minutes')->'released', 'true'::jsonb,
          'a finished run with one request left…');
SELECT ok((SELECT next_run_at > now() + interval '14 minutes' FROM ingest.stream WHERE id = :m2),
          '… runs again at its interval, not at the reset two minutes ahead');

-- A 429 whose reset has already passed (clock skew) still waits a little.
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = :m2;
SELECT ok(ingest.record_failure(:m2, 'tap', 'throttled', 'HTTP 429', now() - interval '1 minute') >= now() + interval '10 seconds',
          'a throttle whose reset has passed waits at least ten seconds');
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = :m2;
SELECT ok(ingest.record_failure(:m2, 'tap', 'throttled', 'HTTP 429', now() + interval '5 minutes') >= now() + interval '5 minutes',
          '… and one whose reset is ahead waits for it');

-- A token with few requests left is read by one stream at a time: each
-- stream minds the count its own last page gave.
UPDATE ingest.stream SET quota_remaining = NULL, quota_reset_at = NULL, lease_owner = NULL, lease_until = NULL,
                         next_run_at = now() - interval '100 years' WHERE account_id = :m;
UPDATE ingest.stream SET quota_remaining = 5, quota_reset_at = now() + interval '10 minutes',
                         next_run_at = now() - interval '101 years' WHERE id = :m1;
SELECT ok(pg_temp.leased() LIKE '%tap-quota-m mentions%' AND pg_temp.leased() NOT LIKE '%tap-quota-m own_posts%',
          'a token with 5 requests left has one of its streams leased, not both');
UPDATE ingest.stream SET lease_owner = 'other', lease_until = now() + interval '1 minute' WHERE id = :m1;
SELECT ok(pg_temp.leased() NOT LIKE '%tap-quota-m %', '… and none while one is reading');
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = :m2;
SELECT is(ingest.record_page(:m2, 'tap', 'statuses', 'http://127.0.0.1:9/m/api/v1/accounts/1/statuses', 200, '{}', '[]',
                             '{"max_id": "1"}', false, 4, now() + interval '10 minutes')->'held', 'true'::jsonb,
          'a stream reading beside another when few are left stops at its next page');
UPDATE ingest.stream SET quota_remaining = 50, lease_owner = NULL, lease_until = NULL WHERE account_id = :m;
-- Few left and no reset named (Meta names one only when access is cut): the
-- token is low for a minute, so its streams do not take turns reading at once.
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = :m2;
SELECT ingest.record_page(:m2, 'tap', 'statuses', 'http://127.0.0.1:9/m/api/v1/accounts/1/statuses', 200, '{}', '[]',
                          '{}', true, 5, NULL) IS NULL AS silenced \gset
SELECT ok(ingest.token_quota_low(:m, 'mastodon'), 'a page saying 5 are left with no reset makes the token low for a while');
UPDATE ingest.stream SET quota_remaining = 50, quota_reset_at = NULL, next_run_at = now() - interval '100 years' WHERE account_id = :m;
SELECT ok(pg_temp.leased() LIKE '%tap-quota-m mentions, tap-quota-m own_posts%', 'with 50 left both are leased');

SELECT * FROM finish();
ROLLBACK;
