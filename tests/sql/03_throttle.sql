-- Sign-in throttling (auth.login_retry_after): strangers cannot lock a user
-- out. Failures are written straight into auth.login_attempt.
BEGIN;
SELECT plan(17);
\ir lib/waits_for.sql
SET LOCAL client_min_messages = warning;

-- pg_temp.fail(user, ip, n): n failed attempts, the latest a second ago.
CREATE FUNCTION pg_temp.fail(p_user text, p_ip inet, p_n integer) RETURNS void LANGUAGE sql AS $$
  INSERT INTO auth.login_attempt (username, ip, success, at)
  SELECT p_user, p_ip, false, now() - make_interval(secs => i) FROM generate_series(1, p_n) i
$$;
CREATE FUNCTION pg_temp.ok(p_user text, p_ip inet, p_ago interval DEFAULT interval '1 day') RETURNS void LANGUAGE sql AS $$
  INSERT INTO auth.login_attempt (username, ip, success, at) VALUES (p_user, p_ip, true, now() - p_ago)
$$;

-- Concurrent tries are counted one after the other (api.login_challenge).
-- First in the file, before this transaction holds anything. Four failures of
-- a pair are on record; connection h's challenge (the fifth try) is still open
-- when connection c sends the sixth: c must wait for h, then see h's try and be
-- held. Were tries written down only after the password check, both would go ahead.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect(n, format('dbname=%s port=%s host=%s user=postgres', current_database(),
                      current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)))
FROM (VALUES ('h'), ('c')) AS x(n);
SELECT dblink_exec('h', $$DELETE FROM auth.login_attempt WHERE username = 'tap-race-login'$$);
SELECT dblink_exec('h', $$INSERT INTO auth.login_attempt (username, ip, success, at)
                         SELECT 'tap-race-login', '10.99.0.1', false, now() - make_interval(secs => i)
                         FROM generate_series(1, 4) i$$);
SELECT * FROM (VALUES ('h'), ('c')) AS x(n), dblink(n, $$SELECT set_config('parley.ip', '10.99.0.1', false)$$) AS r(x text);
SELECT dblink_exec('h', 'BEGIN');
SELECT is((SELECT x FROM dblink('h', $$SELECT api.login_challenge('{"username":"tap-race-login"}')->>'retry_after'$$) AS r(x text)),
          '0', 'the fifth try of a pair goes ahead');
SELECT dblink_send_query('c', $$SELECT api.login_challenge('{"username":"tap-race-login"}')->>'retry_after'$$);
SELECT pid AS h_pid FROM dblink('h', 'SELECT pg_backend_pid()') AS r(pid integer) \gset
SELECT ok(pg_temp.waits_for('tap-race-login', :h_pid), 'a sixth sent at the same moment waits for it');
SELECT dblink_exec('h', 'COMMIT');
SELECT cmp_ok((SELECT x::integer FROM dblink_get_result('c') AS r(x text)), '>', 0,
              '… and then counts it: the pair is held');
SELECT * FROM dblink_get_result('c') AS r(x text);
SELECT dblink_exec('h', $$DELETE FROM auth.login_attempt WHERE username = 'tap-race-login'$$);
SELECT dblink_disconnect(n) FROM (VALUES ('h'), ('c')) AS x(n);

-- 50 failures from one address with made-up user names (a shared NAT, or an attacker on it).
INSERT INTO auth.login_attempt (username, ip, success, at)
SELECT 'tap-nobody' || i, '10.9.0.1', false, now() - make_interval(secs => i) FROM generate_series(1, 50) i;
SELECT pg_temp.ok('tap-kim', '10.9.0.1');
SELECT ok(auth.login_retry_after('tap-lee', '10.9.0.1') > 0, 'an address with 50 failures waits…');
SELECT is(auth.login_retry_after('tap-kim', '10.9.0.1'), 0, '… but not for a user who signed in from it lately');

-- An IPv6 /64 is one address (a host has a whole /64 to choose from); IPv4, also
-- mapped into IPv6, is not grouped.
INSERT INTO auth.login_attempt (username, ip, success, at)
SELECT 'tap-nobody6-' || i, ('2001:db8:1:2::' || to_hex(i))::inet, false, now() - make_interval(secs => i) FROM generate_series(1, 50) i;
SELECT ok(auth.login_retry_after('tap-lee', '2001:db8:1:2:ffff::1') > 0, '50 failures from 50 addresses of one IPv6 /64: that /64 waits');
SELECT is(auth.login_retry_after('tap-lee', '2001:db8:1:3::1'), 0, '… the next /64 does not');
INSERT INTO auth.login_attempt (username, ip, success, at)
SELECT 'tap-nobody4-' || i, ('::ffff:10.6.0.' || i)::inet, false, now() - make_interval(secs => i) FROM generate_series(1, 50) i;
SELECT is(auth.login_retry_after('tap-lee', '::ffff:10.6.0.99'), 0, '… and IPv4 addresses mapped into IPv6 are each their own');

-- 5 failures of one account from one address: the pair waits; a success clears them.
SELECT pg_temp.fail('tap-ann', '10.9.0.2', 5);
SELECT ok(auth.login_retry_after('tap-ann', '10.9.0.2') > 0, '5 failures of a user from an address: the pair waits');
DELETE FROM auth.login_attempt WHERE username = 'tap-ann';
SELECT pg_temp.fail('tap-ann', '10.9.0.2', 4);
SELECT pg_temp.ok('tap-ann', '10.9.0.2', interval '0 seconds');
INSERT INTO auth.login_attempt (username, ip, success, at) VALUES ('tap-ann', '10.9.0.2', false, now());
SELECT is(auth.login_retry_after('tap-ann', '10.9.0.2'), 0, 'a typo after a successful sign-in is not the fifth failure');

-- 20 failures of one account from many addresses: each of those addresses waits, but an
-- address trying it for the first time gets its try (a new hire, someone back from a
-- month away, signs in although strangers keep failing), a known one does not wait,
-- and after the user signs in the old failures no longer count.
INSERT INTO auth.login_attempt (username, ip, success, at)
SELECT 'tap-bo', ('10.8.0.' || i)::inet, false, now() - make_interval(secs => i) FROM generate_series(1, 20) i;
SELECT pg_temp.ok('tap-bo', '10.9.0.3');
SELECT ok(auth.login_retry_after('tap-bo', '10.8.0.7') > 0, '20 failures of a user from many addresses: those addresses wait');
SELECT is(auth.login_retry_after('tap-bo', '10.9.0.4'), 0, '… a new address gets its one try, so a few strangers cannot lock the user out');
INSERT INTO auth.login_attempt (username, ip, success, at)
SELECT 'tap-cy', ('10.7.' || (i / 200) || '.' || (i % 200))::inet, false, now() - make_interval(secs => i) FROM generate_series(1, 100) i;
SELECT ok(auth.login_retry_after('tap-cy', '10.9.0.5') > 0, '… but after 100 failures from 100 addresses in 15 minutes a new address waits too (a botnet guesses slowly)');
SELECT is(auth.login_retry_after('tap-bo', '10.9.0.3'), 0, '… an address the user signed in from does not');
SELECT pg_temp.ok('tap-bo', '10.9.0.3', interval '0 seconds');
SELECT is(auth.login_retry_after('tap-bo', '10.9.0.4'), 0, '… nor, once the user signed in, any address');

-- Someone behind that address trying real staff accounts (200 failures on
-- existing names) holds it for everyone, known or not.
SELECT auth.user_add('tap-real', 'Tap Real', 'agent', '$argon2id$v=19$m=19456,t=2,p=1$x$y') IS NULL AS silenced \gset
INSERT INTO auth.login_attempt (username, ip, success, at)
SELECT 'tap-real', '10.9.0.1', false, now() - make_interval(secs => i) FROM generate_series(1, 200) i;
SELECT ok(auth.login_retry_after('tap-kim', '10.9.0.1') > 0, 'password spraying on real names from an address holds even its known users');
-- Many failures of one pair stay a wait (the delay's growth is capped), not an error.
SELECT pg_temp.fail('tap-many', '10.9.0.5', 80);
SELECT ok(auth.login_retry_after('tap-many', '10.9.0.5') BETWEEN 1 AND 900, '80 failures of a pair: a wait of at most 15 minutes');

SELECT * FROM finish();
ROLLBACK;
