-- Sign-in, sessions and preferences for `parley web`. Every api function takes
-- one jsonb of validated parameters and returns one jsonb document.

-- What a role may open or do, for navigation and buttons, as the api
-- functions require it (admins may do everything).
-- STABLE as its body is (jsonb_build_object), so that it is inlined: as
-- IMMUTABLE it was planned afresh in every request (tests/sql/04).
CREATE OR REPLACE FUNCTION auth.role_can(p_role auth.staff_role) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'cases', p_role IN ('admin', 'agent'),
    'rules', p_role IN ('admin', 'marketer', 'analyst'),
    'accounts', p_role IN ('admin', 'marketer'),
    'intake', p_role IN ('admin', 'marketer', 'analyst'),
    'quarantine', p_role IN ('admin', 'marketer'),
    'reply', p_role IN ('admin', 'agent'),
    'contact', p_role IN ('admin', 'agent', 'marketer'),
    'contact_view', p_role IN ('admin', 'agent', 'marketer', 'sales'),
    'lead', p_role IN ('admin', 'sales'),
    'triage', p_role IN ('admin', 'agent', 'marketer'))
$$;

-- Who is asking: the session's staff member and CSRF token, or NULL.
-- Sliding idle timeout: last_seen_at is refreshed at most once a minute.
CREATE FUNCTION api.viewer(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE cur record;
BEGIN
  SELECT * INTO cur FROM auth.current;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF cur.last_seen_at < now() - interval '1 minute' THEN
    UPDATE auth.session SET last_seen_at = now() WHERE id = cur.session_id;
  END IF;
  RETURN jsonb_build_object(
    'user', jsonb_build_object('id', (cur.staff).id, 'username', (cur.staff).username,
                               'name', (cur.staff).display_name, 'role', (cur.staff).role,
                               'lang', (cur.staff).lang, 'time_zone', (cur.staff).time_zone, 'is_admin', (cur.staff).role = 'admin',
                               -- what pages offer this role (the api functions' auth.require
                               -- decides; this only spares links and buttons that end in a 403)
                               'can', auth.role_can((cur.staff).role)),
    'csrf', cur.csrf_token,
    'session_id', cur.session_id);
END $$;

-- Step 1 of sign-in: the stored argon2id hash to verify against (NULL for an
-- unknown or disabled user; the worker then verifies against a dummy hash so
-- both cases take the same time) and how long the caller must wait first.
-- A try that may go ahead is written down at once, as a failure until step 2
-- says otherwise: were it written only after the password check, tries sent
-- at the same moment (one per web worker) would all see the same count and all
-- go ahead. The account's and the address's locks make concurrent challenges
-- count one after the other (always taken in this order, so they cannot deadlock).
CREATE FUNCTION api.login_challenge(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  uname text := left(lower(btrim(p->>'username')), 200);   -- (as typed, but for spaces around it)
  wait integer;
  attempt bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('parley.login.user:' || uname, 0));
  PERFORM pg_advisory_xact_lock(hashtextextended('parley.login.ip:' || coalesce(host(auth.ip_key(auth.request_ip())), ''), 0));
  wait := auth.login_retry_after(uname, auth.request_ip());
  IF wait = 0 THEN
    -- (its time is after the locks' wait, for step 2's minute)
    INSERT INTO auth.login_attempt (username, ip, success, at) VALUES (uname, auth.request_ip(), false, clock_timestamp())
    RETURNING id INTO attempt;
  END IF;
  RETURN jsonb_build_object(
    'hash', (SELECT password_hash FROM auth.staff WHERE username = uname AND disabled_at IS NULL),
    'retry_after', wait,
    'attempt', attempt);
END $$;

-- Step 2: the outcome of step 1's attempt (given back as "attempt"); on success
-- replace the browser's old session (if any) by a new one whose token and CSRF
-- token the worker generated, and store "lang" (a language chosen on the
-- sign-in page) as the person's. An attempt is finished once, from the address
-- that began it, within a minute.
-- Trust boundary: PostgreSQL has no argon2id, so the worker verifies the
-- password and this function believes its verdict. Everything after sign-in
-- needs the live session token.
CREATE FUNCTION api.login_finish(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  uname text := left(lower(btrim(p->>'username')), 200);   -- (as typed, but for spaces around it)
  st auth.staff;
BEGIN
  SELECT * INTO st FROM auth.staff WHERE username = uname AND disabled_at IS NULL;
  IF (p->>'success')::boolean IS TRUE AND st.id IS NOT NULL THEN
    UPDATE auth.login_attempt SET success = true
    WHERE id = (p->>'attempt')::bigint AND username = uname AND NOT success
      AND ip IS NOT DISTINCT FROM auth.request_ip() AND at > now() - interval '1 minute';
    IF NOT FOUND THEN
      -- The same finish again (the worker's one retry, when the connection
      -- dropped after this committed): answered as the first one was.
      IF EXISTS (SELECT FROM auth.session WHERE token_hash = sha256(convert_to(p->>'token', 'UTF8')) AND staff_id = st.id)
         AND EXISTS (SELECT FROM auth.login_attempt WHERE id = (p->>'attempt')::bigint AND username = uname AND success) THEN
        RETURN jsonb_build_object('ok', true, 'lang', st.lang);
      END IF;
      -- the right password, but not for an attempt open from this address
      PERFORM auth.audit('login_failed', st.id, jsonb_build_object('username', uname, 'reason', 'err.login_stale'));
      RETURN jsonb_build_object('ok', false);
    END IF;
  ELSE
    PERFORM auth.audit('login_failed', st.id, jsonb_build_object('username', uname));
    RETURN jsonb_build_object('ok', false);
  END IF;
  DELETE FROM auth.session
  WHERE token_hash = sha256(convert_to(coalesce(current_setting('parley.session', true), ''), 'UTF8'));
  INSERT INTO auth.session (token_hash, staff_id, csrf_token, ip, user_agent)
  VALUES (sha256(convert_to(p->>'token', 'UTF8')), st.id, p->>'csrf', auth.request_ip(),
          left(p->>'user_agent', 512));
  PERFORM auth.audit('login', st.id);
  IF p->>'lang' IS NOT NULL THEN
    BEGIN
      st.lang := (p->>'lang')::auth.lang;
      UPDATE auth.staff SET lang = st.lang WHERE id = st.id;
    EXCEPTION WHEN check_violation THEN
      NULL;   -- (a cookie's value: a language Parley does not have is not stored)
    END;
  END IF;
  RETURN jsonb_build_object('ok', true, 'lang', st.lang);
END $$;

-- A request refused for security's sake (403: a role without the right, a
-- missing or stale CSRF token, a foreign Origin; 429: sign-in throttled): an
-- audit event with who asked (when signed in), from where, and for what.
-- One event a minute per address, page and reason: a flood of refused
-- requests must not bury the rest of the log.
CREATE FUNCTION api.refused(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT FROM auth.audit_log l
             WHERE l.at > now() - interval '1 minute' AND l.ip IS NOT DISTINCT FROM auth.request_ip()
               AND l.event IN ('access_denied', 'login_throttled')
               AND l.detail->>'route' IS NOT DISTINCT FROM left(p->>'route', 200)
               AND l.detail->>'reason' IS NOT DISTINCT FROM left(p->>'reason', 100)) THEN
    RETURN '{}';
  END IF;
  PERFORM auth.audit(CASE WHEN p->>'status' = '429' THEN 'login_throttled' ELSE 'access_denied' END,
                     (SELECT (cur.staff).id FROM auth.current cur),
                     jsonb_strip_nulls(jsonb_build_object('route', left(p->>'route', 200), 'method', left(p->>'method', 10),
                                                          'reason', left(p->>'reason', 100),
                                                          'username', left(lower(btrim(p->>'username')), 200))));
  RETURN '{}';
END $$;

CREATE FUNCTION api.logout(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE sid bigint;
BEGIN
  DELETE FROM auth.session WHERE id = (SELECT session_id FROM auth.current) RETURNING staff_id INTO sid;
  IF sid IS NOT NULL THEN
    PERFORM auth.audit('logout', sid);
  END IF;
  RETURN jsonb_build_object('ok', true);
END $$;

CREATE FUNCTION api.sessions(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require(); cur bigint := (SELECT session_id FROM auth.current);
BEGIN
  RETURN jsonb_build_object('sessions', coalesce(jsonb_agg(jsonb_build_object(
      'id', id, 'created_at', created_at, 'last_seen_at', last_seen_at,
      'ip', host(ip), 'user_agent', user_agent, 'current', id = cur)
      ORDER BY last_seen_at DESC), '[]'),
    'time_zone', st.time_zone,
    'time_zones', auth.time_zone_choices(ARRAY[st.time_zone]))
  FROM auth.session
  WHERE staff_id = st.id AND last_seen_at > now() - auth.idle_timeout()
    AND created_at > now() - auth.absolute_timeout();
END $$;

-- The zone a staff member's pages show times in.
CREATE FUNCTION api.set_time_zone(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require(); z text := auth.time_zone(p->>'time_zone');
BEGIN
  UPDATE auth.staff SET time_zone = z WHERE id = st.id;
  RETURN jsonb_build_object('ok', true, 'time_zone', z);
END $$;

CREATE FUNCTION api.session_revoke(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require(); gone bigint;
BEGIN
  DELETE FROM auth.session WHERE id = (p->>'id')::bigint AND staff_id = st.id RETURNING id INTO gone;
  IF gone IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such session of yours.', HINT = 'err.no_session';
  END IF;
  PERFORM auth.audit('session_revoked', st.id, jsonb_build_object('session', gone));
  RETURN jsonb_build_object('ok', true, 'revoked', gone);
END $$;

-- Language preference: stored for a signed-in user; the worker also sets a cookie.
CREATE FUNCTION api.set_language(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE sid bigint := (SELECT (staff).id FROM auth.current);
BEGIN
  IF sid IS NOT NULL THEN
    UPDATE auth.staff SET lang = (p->>'lang')::auth.lang WHERE id = sid;
  END IF;
  RETURN jsonb_build_object('lang', p->>'lang');
END $$;

-- Security events, newest first, keyset-paginated by id. Admins only.
CREATE FUNCTION api.audit_log(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  st auth.staff := auth.require('admin');
  rows jsonb;
BEGIN
  SELECT coalesce(jsonb_agg(e ORDER BY (e->>'id')::bigint DESC), '[]') INTO rows FROM (
    SELECT jsonb_build_object('id', a.id, 'at', a.at, 'event', a.event, 'ip', host(a.ip),
                              'username', s.username, 'detail', a.detail,
                              -- the page's list: each detail's name and what it said
                              'details', (SELECT jsonb_agg(jsonb_build_object('name', k, 'detail_name', k, 'said', CASE jsonb_typeof(v)
                                                             WHEN 'string' THEN v #>> '{}' ELSE v::text END) ORDER BY k)
                                          FROM jsonb_each(CASE jsonb_typeof(a.detail) WHEN 'object' THEN a.detail END) d(k, v))) AS e
    FROM auth.audit_log a LEFT JOIN auth.staff s ON s.id = a.staff_id
    WHERE a.id < coalesce((p->>'before')::bigint, 9223372036854775807)
    ORDER BY a.id DESC LIMIT 51) x;   -- (one more than a page: is there an older page?)
  RETURN jsonb_build_object('events', rows - 50,
    'next_before', CASE WHEN jsonb_array_length(rows) = 51 THEN rows->49->'id' END);
END $$;

-- CSRF: a signed-in browser must echo its session's token; a signed-out one
-- the token of its parley_csrf cookie (double submit). Digests are compared,
-- so the comparison's timing reveals nothing about the token.
-- VOLATILE on purpose: the worker calls it in a subquery whose output is
-- unused, and the planner drops unused non-volatile subquery columns.
CREATE FUNCTION api.csrf_check(submitted text, cookie_token text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE expected text := coalesce((SELECT csrf_token FROM auth.current), cookie_token);
BEGIN
  IF coalesce(expected, '') = '' OR coalesce(submitted, '') = ''
     OR sha256(convert_to(submitted, 'UTF8')) <> sha256(convert_to(expected, 'UTF8')) THEN
    -- A session cookie that no longer signs anyone in: the form is not at
    -- fault, the session ended (timed out, revoked); browsers go to sign-in.
    IF coalesce(current_setting('parley.session', true), '') <> ''
       AND NOT EXISTS (SELECT FROM auth.current) THEN
      -- (the cookie a sign-out leaves: the person signed out, in another tab)
      IF current_setting('parley.session', true) = repeat('0', 64) THEN
        RAISE SQLSTATE 'PR401' USING MESSAGE = 'You signed out. Sign in again.', HINT = 'err.signed_out';
      END IF;
      RAISE SQLSTATE 'PR401' USING MESSAGE = 'Your session has ended. Sign in again.', HINT = 'err.session_ended';
    END IF;
    RAISE SQLSTATE 'PR403' USING MESSAGE = 'This form has expired. Reload the page and try again.',
                                 HINT = 'err.csrf';
  END IF;
  RETURN true;
END $$;

-- Double submits (migrations 0038, 0039). The worker runs every POST as
--   coalesce(api.form_replay(key, fn, args), api.form_record(api.fn(args)))
-- with the form's key (form_key, fresh on every page): a repeat of a
-- submission by the same staff member (same key, action and fields) gets
-- the first one's answer and acts no more; a twin arriving while the first
-- runs waits for it here (the primary key), then replays or, if the first
-- failed, acts itself. No key (JSON clients may omit it): no record.
CREATE FUNCTION api.form_replay(p_key text, p_fn text, p_args jsonb) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE me bigint; khash bytea; mac bytea; prior text;
BEGIN
  IF coalesce(p_key, '') = '' THEN
    RETURN NULL;
  END IF;
  IF p_key !~ '^[0-9a-f]{64}$' THEN
    RAISE SQLSTATE 'PR400' USING MESSAGE = 'This form is damaged. Reload the page and try again.', HINT = 'err.form_key';
  END IF;
  me := (SELECT (c.staff).id FROM auth.current c);
  IF me IS NULL THEN
    RETURN NULL;  -- signed out: the action itself answers 401
  END IF;
  -- The table keeps neither the key nor an unkeyed hash of the fields.
  khash := sha256(convert_to(p_key, 'UTF8'));
  mac := sha256(convert_to(p_key || E'\n' || p_args::text, 'UTF8'));
  PERFORM set_config('parley.form_record', concat_ws(' ', me, encode(khash, 'hex'), p_fn, encode(mac, 'hex')), true);
  DELETE FROM auth.form_submission WHERE staff_id = me AND at < now() - interval '1 day';
  INSERT INTO auth.form_submission (staff_id, key_hash, route, args_mac) VALUES (me, khash, p_fn, mac)
  ON CONFLICT DO NOTHING;
  IF FOUND THEN
    RETURN NULL;
  END IF;
  SELECT answer INTO prior FROM auth.form_submission f
  WHERE f.staff_id = me AND f.key_hash = khash AND f.route = p_fn AND f.args_mac = mac;
  IF prior IS NULL THEN  -- (form_record sets it before the twin commits)
    RAISE EXCEPTION 'form % of staff % has no recorded answer', p_fn, me;
  END IF;
  RETURN prior;
END $$;

-- Housekeeping (the harvester, hourly): form records older than a day, of
-- staff who have not submitted anything since.
CREATE OR REPLACE FUNCTION auth.prune_form_submissions() RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH gone AS (DELETE FROM auth.form_submission WHERE at < now() - interval '1 day' RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;
-- Sessions past their idle or absolute lifetime (no request can use them;
-- their token hashes need not be kept), and sign-in attempts older than the
-- 30 days the throttle looks back over.
CREATE OR REPLACE FUNCTION auth.prune_sessions() RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH s AS (DELETE FROM auth.session WHERE last_seen_at < now() - auth.idle_timeout()
                                         OR created_at < now() - auth.absolute_timeout() RETURNING 1),
       l AS (DELETE FROM auth.login_attempt WHERE at < now() - interval '31 days' RETURNING 1)
  SELECT ((SELECT count(*) FROM s) + (SELECT count(*) FROM l))::integer
$$;
REVOKE ALL ON FUNCTION auth.prune_form_submissions(), auth.prune_sessions() FROM PUBLIC;
GRANT USAGE ON SCHEMA auth TO parley_harvest;
GRANT EXECUTE ON FUNCTION auth.prune_form_submissions(), auth.prune_sessions() TO parley_harvest;

-- The answer of the submission form_replay recorded in this transaction
-- (for the staff member it saw: the action may have ended the session).
CREATE FUNCTION api.form_record(p_answer text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE rec text[] := string_to_array(nullif(current_setting('parley.form_record', true), ''), ' ');
BEGIN
  -- form_replay of this transaction left (staff, key hash, action, fields' hash).
  IF rec IS NOT NULL THEN
    UPDATE auth.form_submission SET answer = coalesce(p_answer, 'null')
    WHERE staff_id = rec[1]::bigint AND key_hash = decode(rec[2], 'hex') AND route = rec[3]
      AND args_mac = decode(rec[4], 'hex') AND answer IS NULL;
  END IF;
  RETURN p_answer;
END $$;
