-- Double submits: api.form_replay and api.form_record, as the worker wraps
-- every form POST (fcgi/web.c). The concurrent twin is tested end to end
-- (tests/e2e/65_kb.sh).
BEGIN;
SELECT plan(15);
SET LOCAL client_min_messages = warning;

CREATE FUNCTION pg_temp.as_browser(token text) RETURNS void LANGUAGE sql AS $$
  SELECT set_config('parley.session', token, true), set_config('parley.ip', '203.0.113.7', true),
         set_config('parley.form_record', '', true)
$$;
-- pg_temp.submit(key, args): one form POST as the worker runs it, with an
-- action that counts how often it acted.
CREATE TABLE pg_temp.acted (n integer);
CREATE FUNCTION pg_temp.submit(p_key text, p_args jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(api.form_replay(p_key, 'tap_action', p_args),
                  api.form_record((SELECT jsonb_build_object('acted', count(*) + 1)::text
                                   FROM (SELECT FROM pg_temp.acted) a)))
$$;

SELECT auth.user_add('tap_ann', 'Ann', 'agent', '$argon2id$v=19$m=19456,t=2,p=1$x$y');
SELECT auth.user_add('tap_bob', 'Bob', 'agent', '$argon2id$v=19$m=19456,t=2,p=1$x$y');
SELECT pg_temp.as_browser('');
SELECT api.login_finish(api.login_challenge(j) || j)
FROM (VALUES (jsonb_build_object('username', 'tap_ann', 'success', true, 'token', repeat('1', 64), 'csrf', 'c1')),
             (jsonb_build_object('username', 'tap_bob', 'success', true, 'token', repeat('2', 64), 'csrf', 'c2'))) v(j);

SELECT pg_temp.as_browser(repeat('1', 64));
SELECT is(pg_temp.submit(repeat('a', 64), '{"title": "x"}'), '{"acted": 1}', 'the first submission acts');
INSERT INTO pg_temp.acted VALUES (1);
SELECT pg_temp.as_browser(repeat('1', 64));
SELECT is(pg_temp.submit(repeat('a', 64), '{"title": "x"}'), '{"acted": 1}', 'its repeat gets the first answer');
SELECT is((SELECT count(*) FROM auth.form_submission WHERE key_hash = sha256(convert_to(repeat('a', 64), 'UTF8'))), 1::bigint, '… one record');
SELECT pg_temp.as_browser(repeat('1', 64));
SELECT is(pg_temp.submit(repeat('a', 64), '{"title": "y"}'), '{"acted": 2}', 'the same form with other fields acts');
SELECT pg_temp.as_browser(repeat('1', 64));
SELECT is(pg_temp.submit('', '{"title": "x"}'), '{"acted": 2}', 'no key: it acts, nothing recorded');
SELECT is((SELECT count(*) FROM auth.form_submission WHERE key_hash = sha256(''::bytea)), 0::bigint, '… (no record without a key)');

-- Another staff member with the same key never gets Ann's answer.
SELECT pg_temp.as_browser(repeat('2', 64));
INSERT INTO pg_temp.acted VALUES (2);
SELECT is(pg_temp.submit(repeat('a', 64), '{"title": "x"}'), '{"acted": 3}', 'a key is per staff member');

-- Signed out: no record (the action answers 401 itself).
SELECT pg_temp.as_browser('');
SELECT is(api.form_replay(repeat('c', 64), 'tap_action', '{}'), NULL, 'signed out: nothing to replay');
SELECT is((SELECT count(*) FROM auth.form_submission WHERE key_hash = sha256(convert_to(repeat('c', 64), 'UTF8'))), 0::bigint, '… and nothing recorded');

-- What the table holds cannot be checked against guesses of the fields
-- (a password change) without the form's key, which it does not hold.
SELECT pg_temp.as_browser(repeat('1', 64));
SELECT pg_temp.submit(repeat('e', 64), '{"new_password": "correct horse"}');
SELECT is((SELECT count(*) FROM auth.form_submission
           WHERE args_mac = sha256(convert_to('{"new_password": "correct horse"}', 'UTF8'))
              OR key_hash = convert_to(repeat('e', 64), 'UTF8')), 0::bigint,
          'the record holds neither the key nor an unkeyed hash of the fields');
SELECT is((SELECT count(*) FROM auth.form_submission WHERE key_hash = sha256(convert_to(repeat('e', 64), 'UTF8'))
           AND args_mac = sha256(convert_to(repeat('e', 64) || E'\n' || '{"new_password": "correct horse"}', 'UTF8'))),
          1::bigint, '… the fields are hashed with the key');

SELECT throws_ok($$SELECT api.form_replay('../x', 'tap_action', '{}')$$, 'PR400', NULL, 'a malformed key is 400');

-- Records older than a day are forgotten at the member's next submission.
SELECT pg_temp.as_browser(repeat('1', 64));
UPDATE auth.form_submission SET at = now() - interval '25 hours' WHERE key_hash = sha256(convert_to(repeat('a', 64), 'UTF8'));
SELECT pg_temp.submit(repeat('d', 64), '{}');
SELECT is((SELECT count(*) FROM auth.form_submission f JOIN auth.staff s ON s.id = f.staff_id
           WHERE s.username = 'tap_ann' AND f.key_hash = sha256(convert_to(repeat('a', 64), 'UTF8'))), 0::bigint, 'a day later the record is gone');

-- The harvester's hourly housekeeping forgets the records of staff who stopped submitting.
SELECT pg_temp.as_browser(repeat('2', 64));
UPDATE auth.form_submission SET at = now() - interval '25 hours' WHERE key_hash = sha256(convert_to(repeat('a', 64), 'UTF8'));
SET LOCAL ROLE parley_harvest;
SELECT auth.prune_form_submissions() AS pruned \gset
RESET ROLE;
SELECT is(:pruned, 1, 'the housekeeping (as the harvester) forgets a day-old record');
SELECT ok(NOT has_table_privilege('parley_harvest', 'auth.form_submission', 'SELECT'), '… and the harvester cannot read the records');

SELECT * FROM finish();
ROLLBACK;
