-- Sessions, CSRF, roles, throttling and the audit log, through the api functions.
BEGIN;
SELECT plan(50);

CREATE FUNCTION pg_temp.as_browser(token text, ip text DEFAULT '203.0.113.7') RETURNS void LANGUAGE sql AS $$
  SELECT set_config('parley.session', token, true), set_config('parley.ip', ip, true)
$$;

SELECT lives_ok($$SELECT auth.user_add('tap_admin', 'Tap Admin', 'admin', '$argon2id$v=19$m=19456,t=2,p=1$x$y')$$, 'add admin');
SELECT lives_ok($$SELECT auth.user_add('tap_analyst', 'Tap Analyst', 'analyst', '$argon2id$v=19$m=19456,t=2,p=1$x$y')$$, 'add analyst');
SELECT throws_ok($$SELECT auth.user_add('tap_admin', 'Again', 'admin', '$argon2id$v=19$x')$$, 'PR409', NULL, 'duplicate user is PR409');
SELECT throws_ok($$SELECT auth.user_add('Bad Name', 'x', 'admin', '$argon2id$v=19$x')$$, 'PR422', NULL, 'user names are checked (before the row, which would carry the hash)');

-- Challenge: known user gets the hash, unknown gets NULL (worker then uses a dummy).
SELECT pg_temp.as_browser('');
SELECT isnt(api.login_challenge('{"username":" TAP_ADMIN "}')->>'hash', NULL, 'challenge is case-insensitive on user name, and spaces around it do not count');
SELECT is(api.login_challenge('{"username":"nobody"}')->>'hash', NULL, 'unknown user: no hash');

-- A failed then a successful sign-in.
-- (each finish gives back the attempt its challenge wrote down: challenge || outcome)
SELECT is(api.login_finish(api.login_challenge(j) || j)->>'ok', 'false', 'failure recorded')
FROM (SELECT '{"username":"tap_admin","success":false,"token":"t0","csrf":"c0"}'::jsonb AS j) x;
SELECT is(api.login_finish(api.login_challenge(j) || j)->>'ok', 'true', 'success creates a session')
FROM (SELECT jsonb_build_object('username','tap_admin','success',true,'token',repeat('a',64),'csrf','csrf-a','user_agent','tap') AS j) x;
SELECT is((SELECT count(*) FROM auth.session s JOIN auth.staff u ON u.id = s.staff_id WHERE u.username = 'tap_admin'), 1::bigint,
          'one session stored');
SELECT is((SELECT count(*) FROM auth.session WHERE token_hash = convert_to(repeat('a',64), 'UTF8')), 0::bigint,
          'the token itself is not stored, only its hash');

SELECT pg_temp.as_browser(repeat('a', 64));
SELECT is(api.viewer()->'user'->>'username', 'tap_admin', 'viewer knows the session');
SELECT is(api.viewer()->>'csrf', 'csrf-a', 'viewer exposes the session CSRF token');
SELECT ok(api.csrf_check('csrf-a', NULL), 'matching CSRF token passes');
SELECT throws_ok($$SELECT api.csrf_check('csrf-b', 'csrf-b')$$, 'PR403', NULL, 'a signed-in browser must use its session token');
SELECT ok((api.dashboard()->'counts')::jsonb ? 'open_cases', 'admin sees the dashboard counts');
SELECT lives_ok($$SELECT api.audit_log()$$, 'admin reads the audit log');

-- A try is counted when it is challenged (a failure until its outcome says
-- otherwise), and an attempt is finished once, from its own address.
SELECT pg_temp.as_browser('', '198.51.100.20');
SELECT api.login_challenge('{"username":"tap_admin"}')->'attempt' AS attempt \gset
SELECT is((SELECT success FROM auth.login_attempt WHERE id = :attempt), false,
          'a challenge writes its try down as a failure before the password is checked');
SELECT pg_temp.as_browser('', '198.51.100.21');
SELECT is(api.login_finish(jsonb_build_object('username','tap_admin','success',true,'attempt',:attempt,'token',repeat('d',64),'csrf','d'))->>'ok',
          'false', 'another address cannot finish it');
SELECT is(api.login_finish(jsonb_build_object('username','tap_admin','success',true,'token',repeat('d',64),'csrf','d'))->>'ok',
          'false', 'nor can a finish without an attempt');
SELECT pg_temp.as_browser('', '198.51.100.20');
SELECT is(api.login_finish(jsonb_build_object('username','tap_admin','success',true,'attempt',:attempt,'token',repeat('d',64),'csrf','d'))->>'ok',
          'true', 'its own address finishes it');
SELECT is(api.login_finish(jsonb_build_object('username','tap_admin','success',true,'attempt',:attempt,'token',repeat('d',64),'csrf','d'))->>'ok',
          'true', 'the same finish again (the worker''s retry on a dropped connection) is answered as the first');
SELECT is(api.login_finish(jsonb_build_object('username','tap_admin','success',true,'attempt',:attempt,'token',repeat('e',64),'csrf','e'))->>'ok',
          'false', '… once');
SELECT is((SELECT count(*) FROM auth.session WHERE token_hash IN (sha256(convert_to(repeat('d',64), 'UTF8')), sha256(convert_to(repeat('e',64), 'UTF8')))),
          1::bigint, '… so one session came of it');
SELECT ok(EXISTS (SELECT FROM auth.audit_log WHERE event = 'login_failed' AND detail->>'reason' = 'err.login_stale'),
          'a right password for an attempt that is not open is audited as such');
DELETE FROM auth.session WHERE token_hash = sha256(convert_to(repeat('d',64), 'UTF8'));  -- (another browser's)
SELECT pg_temp.as_browser(repeat('a', 64));

-- Rotation: signing in again from the same browser replaces the session.
SELECT is(api.login_finish(api.login_challenge(j) || j)->>'ok', 'true', 'a language Parley does not have (a cookie''s value) does not stop sign-in…')
FROM (SELECT jsonb_build_object('username','tap_admin','success',true,'token',repeat('b',64),'csrf','csrf-b','lang','fr') AS j) x;
SELECT is((SELECT lang FROM auth.staff WHERE username = 'tap_admin'), NULL, '… nor is it stored');
SELECT is((SELECT count(*) FROM auth.session s JOIN auth.staff u ON u.id = s.staff_id WHERE u.username = 'tap_admin'), 1::bigint,
          'sign-in rotates: the old session is gone');

-- Idle timeout.
SELECT pg_temp.as_browser(repeat('b', 64));
UPDATE auth.session SET last_seen_at = now() - interval '3 hours' WHERE token_hash = sha256(convert_to(repeat('b',64), 'UTF8'));
SELECT is(api.viewer(), NULL, 'an idle session has expired');
SELECT throws_ok($$SELECT api.dashboard()$$, 'PR401', NULL, 'expired session cannot read the dashboard');
SELECT throws_ok($$SELECT api.csrf_check('csrf-b', 'anon')$$, 'PR401', 'Your session has ended. Sign in again.',
                 'a form sent with an expired session: the session ended, not the form');
SELECT pg_temp.as_browser(repeat('0', 64));
SELECT throws_ok($$SELECT api.csrf_check('csrf-b', 'anon')$$, 'PR401', 'You signed out. Sign in again.',
                 'the cookie a sign-out leaves: a form from another tab says the person signed out');
SELECT pg_temp.as_browser('');
SELECT throws_ok($$SELECT api.csrf_check('csrf-b', 'anon')$$, 'PR403', NULL, 'no session cookie at all: a wrong token is a forged or stale form');

-- Roles are enforced inside the api.
SELECT pg_temp.as_browser('');
SELECT is(api.login_finish(api.login_challenge(j) || j)->>'lang', 'zh-CN', 'a language chosen on the sign-in page is given back…')
FROM (SELECT jsonb_build_object('username','tap_analyst','success',true,'token',repeat('c',64),'csrf','csrf-c','lang','zh-CN') AS j) x;
SELECT is((SELECT lang::text FROM auth.staff WHERE username = 'tap_analyst'), 'zh-CN', '… and stored as the person''s');
SELECT pg_temp.as_browser(repeat('c', 64));
SELECT throws_ok($$SELECT api.audit_log()$$, 'PR403', NULL, 'an analyst may not read the audit log');
SELECT throws_ok($$SELECT api.session_revoke('{"id": -1}')$$, 'PR404', NULL, 'cannot revoke a session that is not yours');

-- Time zone: a name of the tz database, as it spells it; the viewer carries it.
SELECT is(api.viewer()->'user'->>'time_zone', 'UTC', 'staff see times in UTC until they choose');
SELECT is(api.set_time_zone('{"time_zone": " asia/shanghai "}')->>'time_zone', 'Asia/Shanghai',
          'a zone typed in other case is stored as the tz database spells it');
SELECT is(api.viewer()->'user'->>'time_zone', 'Asia/Shanghai', '… and the viewer carries it');
SELECT throws_ok($$SELECT api.set_time_zone('{"time_zone": "Mars/Olympus_Mons"}')$$, 'PR422',
                 'Unknown time zone: choose one from the list, such as Asia/Shanghai or Europe/London.', 'an unknown zone is 422');
SELECT throws_ok($$SELECT api.set_time_zone('{"time_zone": "posix/Asia/Shanghai"}')$$, 'PR422', NULL,
                 '… and so are the tz database''s alternative trees');
SELECT is((api.sessions()->'time_zones') @> '["Asia/Shanghai", "Europe/London", "UTC"]', true, 'the sessions page offers the zones');
SELECT is((SELECT array_agg(z ORDER BY z) FROM auth.time_zones() z),
          (SELECT array_agg(name ORDER BY name) FROM pg_timezone_names
           WHERE name !~ '^(posix|right)/' AND name NOT IN ('localtime', 'posixrules', 'Factory')),
          'the zones kept in auth.time_zone_name are the server''s tz database''s, refilled at migrate');
SELECT lives_ok($$SELECT api.set_time_zone('{"time_zone": "EST5EDT"}')$$, 'an old rule-named zone may be chosen');
SELECT is((api.sessions()->'time_zones') @> '["EST5EDT"]' AND NOT (api.sessions()->'time_zones') @> '["CST6CDT"]', true,
          '… and the list offers it to the one who chose it, so a save keeps it (not every such zone)');

-- Throttling: five failures of one account from one address block that pair only.
SELECT pg_temp.as_browser('', '198.51.100.9');
SELECT api.login_finish(api.login_challenge(j) || j)
FROM (SELECT '{"username":"tap_analyst","success":false}'::jsonb AS j) x, generate_series(1, 5);
SELECT cmp_ok((api.login_challenge('{"username":"tap_analyst"}')->>'retry_after')::int, '>', 0, 'pair is throttled after 5 failures');
SELECT pg_temp.as_browser(repeat('c', 64), '203.0.113.7');
SELECT is((api.login_challenge('{"username":"tap_analyst"}')->>'retry_after')::int, 0, 'the same account from its own address is not locked out');

SELECT ok(EXISTS (SELECT FROM auth.audit_log WHERE event = 'login_failed'), 'failures are audited');

-- Housekeeping: ended sessions and old sign-in attempts go.
INSERT INTO auth.session (token_hash, staff_id, csrf_token, created_at, last_seen_at)
SELECT sha256(convert_to('tok-old-' || i, 'UTF8')), (SELECT id FROM auth.staff WHERE username = 'tap_admin'), 'c',
       now() - interval '1 day', CASE WHEN i = 1 THEN now() - interval '1 day' ELSE now() END
FROM generate_series(1, 2) i;
INSERT INTO auth.login_attempt (username, ip, success, at) VALUES ('tap_admin', '198.51.100.1', true, now() - interval '40 days');
SELECT ok(auth.prune_sessions() >= 3, 'ended sessions (idle or past their lifetime) and old sign-in attempts are pruned');
SELECT is((SELECT count(*) FROM auth.session WHERE token_hash IN (sha256('tok-old-1'), sha256('tok-old-2')))
          + (SELECT count(*) FROM auth.login_attempt WHERE at < now() - interval '31 days'), 0::bigint, '… all of them');

SELECT * FROM finish();
ROLLBACK;
