-- The pages hide what a role may not do from auth.role_can's flags, while
-- the api functions enforce roles with their own auth.require lists. This
-- ties the two: for every role, each flag is true exactly when the api
-- function behind it lets that role in (anything but 403).
BEGIN;
SELECT plan(2);
SET LOCAL client_min_messages = warning;

SELECT count(auth.user_add('tap_' || r, 'Tap ' || r, r, '$argon2id$v=19$m=19456,t=2,p=1$x$y'))
FROM unnest(enum_range(NULL::auth.staff_role)) r;
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-' || username, 'UTF8')), id, 'csrf' FROM auth.staff WHERE username LIKE 'tap\_%';

-- The api call each flag stands for (arguments that name nothing: a role
-- let in gets 404 or 422, one refused gets 403 before anything is read).
CREATE TEMP TABLE flag_call (flag text PRIMARY KEY, call text NOT NULL);
INSERT INTO flag_call VALUES
  ('cases', $$api.cases('{}')$$),
  ('rules', $$api.rules('{}')$$),
  ('accounts', $$api.accounts('{}')$$),
  ('intake', $$api.intake('{}')$$),
  ('quarantine', $$api.quarantine('{}')$$),
  ('reply', $$api.reply('{"post_id": "0", "body": "x"}')$$),
  ('contact', $$api.contact_from_post('{"post_id": "0"}')$$),
  ('contact_view', $$api.contact('{"id": "0"}')$$),
  ('lead', $$api.lead_from_post('{"post_id": "0"}')$$),
  ('triage', $$api.inbox_bulk('{"ids": ["0"], "action": "done"}')$$);

-- Whether the call let the role in: false for 403, true for anything else.
CREATE FUNCTION pg_temp.lets_in(r auth.staff_role, q text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM set_config('parley.session', 'tok-tap_' || r, true);
    EXECUTE 'SELECT ' || q;
    RAISE SQLSTATE 'P0100';
  EXCEPTION
    WHEN SQLSTATE 'PR403' THEN RETURN false;
    WHEN OTHERS THEN RETURN true;
  END;
END $$;

SELECT is((SELECT array_agg(flag ORDER BY flag) FROM flag_call),
          (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(auth.role_can('admin')) k),
          'every flag of auth.role_can has its api call here');

SELECT is((SELECT array_agg(format('%s %s: flag %s, api %s', r, f.flag, auth.role_can(r) ->> f.flag,
                                   pg_temp.lets_in(r, f.call)) ORDER BY r, f.flag)
           FROM unnest(enum_range(NULL::auth.staff_role)) r, flag_call f
           WHERE (auth.role_can(r) ->> f.flag)::boolean IS DISTINCT FROM pg_temp.lets_in(r, f.call)),
          NULL, 'each role''s flags say what its api functions let it do');

SELECT * FROM finish();
ROLLBACK;
