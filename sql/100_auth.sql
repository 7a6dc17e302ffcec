-- Session and staff helpers used by the api functions. Not callable by the web role.

-- Idle and absolute session lifetimes.
CREATE OR REPLACE FUNCTION auth.idle_timeout() RETURNS interval
LANGUAGE sql IMMUTABLE AS $$ SELECT interval '2 hours' $$;
CREATE OR REPLACE FUNCTION auth.absolute_timeout() RETURNS interval
LANGUAGE sql IMMUTABLE AS $$ SELECT interval '12 hours' $$;

-- The signed-in staff member of this request: the worker puts the raw cookie
-- token in parley.session for the transaction, and every api call re-derives
-- the session from it, so a worker cannot act as anyone without a live token
-- (sign-in itself is the exception: see api.login_finish).
-- A view, so each api function inlines it into its own (plan-cached) query.
DROP VIEW IF EXISTS auth.current;
CREATE VIEW auth.current AS
  SELECT s.id AS session_id, s.csrf_token, s.last_seen_at, u AS staff
  FROM auth.session s
  JOIN auth.staff u ON u.id = s.staff_id
  WHERE s.token_hash = sha256(convert_to(coalesce(current_setting('parley.session', true), ''), 'UTF8'))
    AND s.last_seen_at > now() - auth.idle_timeout()
    AND s.created_at > now() - auth.absolute_timeout()
    AND u.disabled_at IS NULL;

-- The time zones people may choose (a staff member's, an SLA calendar's): the
-- tz database's names, without its alternative trees (posix/, right/) and the
-- server's own 'localtime'. Refilled here at every migrate (migration 0041).
INSERT INTO auth.time_zone_name (name)
SELECT name FROM pg_timezone_names
WHERE name !~ '^(posix|right)/' AND name NOT IN ('localtime', 'posixrules', 'Factory')
ON CONFLICT DO NOTHING;
DELETE FROM auth.time_zone_name t WHERE NOT EXISTS (SELECT FROM pg_timezone_names z WHERE z.name = t.name);

CREATE OR REPLACE FUNCTION auth.time_zones() RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  SELECT name FROM auth.time_zone_name
$$;

-- The zones a page's list offers: the Area/City names and UTC, and the ones
-- already chosen (p_keep: an old rule-named EST5EDT), so that a save of the
-- form keeps what was chosen rather than what the list happens to show first.
CREATE OR REPLACE FUNCTION auth.time_zone_choices(p_keep text[] DEFAULT '{}') RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_agg(z ORDER BY z) FROM auth.time_zones() z WHERE z ~ '/' OR z = 'UTC' OR z = ANY (p_keep)
$$;

-- One of them as the tz database spells it, whatever the case and spaces it
-- was typed with; 422 for anything else (POSIX rules such as 'UTC+3' too).
CREATE OR REPLACE FUNCTION auth.time_zone(p_name text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE z text;
BEGIN
  SELECT t.name INTO z FROM auth.time_zone_name t WHERE lower(t.name) = lower(btrim(p_name))
  ORDER BY t.name = btrim(p_name) DESC LIMIT 1;
  IF z IS NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown time zone: choose one from the list, such as Asia/Shanghai or Europe/London.',
                                 HINT = 'err.time_zone';
  END IF;
  RETURN z;
END $$;

CREATE OR REPLACE FUNCTION auth.request_ip() RETURNS inet
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN nullif(current_setting('parley.ip', true), '')::inet;
EXCEPTION WHEN invalid_text_representation THEN
  RETURN NULL;
END $$;

-- The staff member behind the current session, or PR401; with roles given,
-- PR403 unless the member has one of them (admin may do everything).
CREATE OR REPLACE FUNCTION auth.require(VARIADIC roles auth.staff_role[] DEFAULT '{}')
RETURNS auth.staff LANGUAGE plpgsql STABLE AS $$
DECLARE st auth.staff := (SELECT c.staff FROM auth.current c);
BEGIN
  IF st.id IS NULL THEN
    RAISE SQLSTATE 'PR401' USING MESSAGE = 'Please sign in.', HINT = 'err.sign_in';
  END IF;
  IF cardinality(roles) > 0 AND st.role <> 'admin' AND NOT st.role = ANY (roles) THEN
    RAISE SQLSTATE 'PR403' USING MESSAGE = 'Your role may not do this.', HINT = 'err.forbidden_role';
  END IF;
  RETURN st;
END $$;

CREATE OR REPLACE FUNCTION auth.audit(p_event text, p_staff bigint, p_detail jsonb DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
  INSERT INTO auth.audit_log (event, staff_id, ip, detail)
  VALUES (p_event, p_staff, auth.request_ip(), p_detail)
$$;

-- Seconds before another login attempt for (username, ip) is allowed; 0 = now.
-- An "address" is an IPv4 address or an IPv6 /64 (auth.ip_key, migration 0047).
--  * 5 failures of one account from one address in 15 min: exponential delay from 30 s, at most 15 min;
--  * 50 failures from one address in 15 min: that address waits until the window frees up;
--  * 20 failures of one account from all addresses in 5 min: at most a 5 minute wait,
--    for the addresses that failed on it: an address trying the account for the
--    first time in 15 minutes gets its one try (a new hire, someone back from
--    a month away, has no address of their own yet), so a few strangers cannot
--    keep the person out;
--  * 100 failures of one account in 15 min (a botnet, each address trying once):
--    every address waits until the window frees up, so guessing stays slow.
-- Strangers must not lock a user out: for an address the account signed in
-- from during the last 30 days (one shared NAT, many staff) the last two do
-- not apply, except that 200 failures on real user names from the address
-- (someone there trying every colleague's account) hold it too; and a
-- successful sign-in clears the account's failures before it.
CREATE OR REPLACE FUNCTION auth.login_retry_after(p_username text, p_ip inet) RETURNS integer
LANGUAGE sql STABLE AS $$
  WITH here AS (SELECT auth.ip_key(p_ip) AS key),   -- (an IPv6 /64 counts as one address)
  since AS (
    SELECT coalesce(max(at), '-infinity') AS ok_at,
           coalesce(max(at) FILTER (WHERE ip_key IS NOT DISTINCT FROM here.key), '-infinity') AS ok_here,
           coalesce(bool_or(ip_key = here.key AND at > now() - interval '30 days'), false) AS known
    FROM auth.login_attempt, here WHERE success AND username = p_username
  ), pair AS (
    SELECT count(*) AS n, max(at) AS last FROM auth.login_attempt, since, here
    WHERE NOT success AND username = p_username AND ip_key IS NOT DISTINCT FROM here.key
      AND at > greatest(now() - interval '15 minutes', since.ok_here)
  ), by_ip AS (
    SELECT at FROM auth.login_attempt, here
    WHERE NOT success AND ip_key = here.key AND at > now() - interval '15 minutes'
    ORDER BY at DESC OFFSET 49 LIMIT 1
  ), by_ip_on_staff AS (
    SELECT l.at FROM auth.login_attempt l, here
    WHERE NOT l.success AND l.ip_key = here.key AND l.at > now() - interval '15 minutes'
      AND EXISTS (SELECT FROM auth.staff s WHERE s.username = l.username)
    ORDER BY l.at DESC OFFSET 199 LIMIT 1
  ), by_account AS (
    SELECT at FROM auth.login_attempt, since
    WHERE NOT success AND username = p_username AND at > greatest(now() - interval '5 minutes', since.ok_at)
    ORDER BY at DESC OFFSET 19 LIMIT 1
  ), by_account_heavy AS (
    SELECT at FROM auth.login_attempt, since
    WHERE NOT success AND username = p_username AND at > greatest(now() - interval '15 minutes', since.ok_at)
    ORDER BY at DESC OFFSET 99 LIMIT 1
  )
  SELECT ceil(GREATEST(0,
    -- (the exponent capped: 30 s × 2^5 is past the 15 minute cap already)
    CASE WHEN pair.n >= 5 THEN extract(epoch FROM pair.last
         + least(interval '30 seconds' * 2 ^ least(pair.n - 5, 6), interval '15 minutes') - now()) END,
    CASE WHEN since.known
      THEN (SELECT extract(epoch FROM at + interval '15 minutes' - now()) FROM by_ip_on_staff)
      ELSE greatest((SELECT extract(epoch FROM at + interval '15 minutes' - now()) FROM by_ip),
                    CASE WHEN pair.n > 0 THEN (SELECT extract(epoch FROM at + interval '5 minutes' - now()) FROM by_account) END,
                    (SELECT extract(epoch FROM at + interval '15 minutes' - now()) FROM by_account_heavy)) END
  ))::integer
  FROM pair, since
$$;

CREATE OR REPLACE FUNCTION auth.password_is_common(p_sha256 bytea) RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT FROM auth.common_password WHERE sha256 = p_sha256) $$;

-- Staff administration, called by the `parley user` command as the owner.
CREATE OR REPLACE FUNCTION auth.user_add(p_username text, p_display text, p_role auth.staff_role, p_hash text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE new_id bigint;
BEGIN
  -- checked before the row exists: a refused row would be reported with its
  -- password hash in it
  IF p_username !~ '^[a-z0-9][a-z0-9._-]{1,62}$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A user name is 2 to 63 lowercase letters, digits, ".", "_" or "-", '
                                           'starting with a letter or digit.';
  END IF;
  IF length(p_display) NOT BETWEEN 1 AND 200 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A display name is 1 to 200 characters.';
  END IF;
  INSERT INTO auth.staff (username, display_name, role, password_hash)
  VALUES (p_username, p_display, p_role, p_hash) RETURNING id INTO new_id;
  PERFORM auth.audit('user_added', new_id, jsonb_build_object('username', p_username, 'role', p_role));
  RETURN new_id;
EXCEPTION WHEN unique_violation THEN
  RAISE SQLSTATE 'PR409' USING MESSAGE = format('User "%s" already exists.', p_username);
END $$;

CREATE OR REPLACE FUNCTION auth.user_passwd(p_username text, p_hash text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE sid bigint := auth.staff_by_name(p_username);
BEGIN
  UPDATE auth.staff SET password_hash = p_hash, password_changed_at = now() WHERE id = sid;
  DELETE FROM auth.session WHERE staff_id = sid;  -- a new password ends every session
  PERFORM auth.audit('password_changed', sid);
END $$;

-- The id of the staff member with this user name, or PR404.
CREATE OR REPLACE FUNCTION auth.staff_by_name(p_username text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE sid bigint;
BEGIN
  SELECT id INTO sid FROM auth.staff WHERE username = p_username;
  IF sid IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = format('No user "%s".', p_username);
  END IF;
  RETURN sid;
END $$;

CREATE OR REPLACE FUNCTION auth.user_disable(p_username text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE sid bigint := auth.staff_by_name(p_username);
BEGIN
  UPDATE auth.staff SET disabled_at = now() WHERE id = sid AND disabled_at IS NULL;
  IF FOUND THEN   -- (disabling twice is recorded once)
    PERFORM auth.audit('user_disabled', sid);
  END IF;
  DELETE FROM auth.session WHERE staff_id = sid;
END $$;

-- A disabled user may sign in again (with the password they had).
CREATE OR REPLACE FUNCTION auth.user_enable(p_username text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE sid bigint := auth.staff_by_name(p_username);
BEGIN
  UPDATE auth.staff SET disabled_at = NULL WHERE id = sid AND disabled_at IS NOT NULL;
  IF FOUND THEN
    PERFORM auth.audit('user_enabled', sid);
  END IF;
  DELETE FROM auth.session WHERE staff_id = sid;   -- (one a sign-in racing the disable made stays ended)
END $$;

-- Another role: the next request of each of their sessions has it.
CREATE OR REPLACE FUNCTION auth.user_set_role(p_username text, p_role auth.staff_role) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE old auth.staff;
BEGIN
  SELECT * INTO old FROM auth.staff WHERE id = auth.staff_by_name(p_username) FOR UPDATE;
  UPDATE auth.staff SET role = p_role WHERE id = old.id AND role <> p_role;
  IF FOUND THEN
    PERFORM auth.audit('user_role_changed', old.id, jsonb_build_object('from', old.role, 'to', p_role));
  END IF;
END $$;
