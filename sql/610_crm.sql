-- Contacts and leads: helpers the api and the rule actions share.

-- The name a new contact gets from a profile.
CREATE OR REPLACE FUNCTION crm.profile_name(p social.profile) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT left(coalesce(nullif(btrim(p.display_name), ''), nullif(btrim(p.handle), ''),
                       p.platform || ':' || p.external_id), 200)
$$;

-- Gives every listed profile that has no contact a new contact of its own,
-- in one statement: contact ids are drawn first, identities are claimed with
-- ON CONFLICT (a concurrent caller may win a profile), and contacts are
-- written only for the identities claimed. The foreign key is checked at
-- the end of the statement, when both rows exist. Returns how many were made.
CREATE OR REPLACE FUNCTION crm.ensure_contacts(p_profiles bigint[], p_staff bigint, p_source text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  WITH want AS (
    SELECT pr.id AS profile_id, crm.profile_name(pr) AS name,
           nextval(pg_get_serial_sequence('crm.contact', 'id')) AS contact_id
    FROM social.profile pr
    WHERE pr.id = ANY (p_profiles)
      AND NOT EXISTS (SELECT FROM crm.identity i WHERE i.profile_id = pr.id)
  ), claimed AS (
    INSERT INTO crm.identity (profile_id, contact_id, created_by)
    SELECT profile_id, contact_id, p_staff FROM want
    ON CONFLICT (profile_id) DO NOTHING
    RETURNING profile_id, contact_id
  ), made AS (
    INSERT INTO crm.contact (id, name, source, created_by)
    SELECT c.contact_id, w.name, p_source, p_staff FROM claimed c JOIN want w USING (profile_id)
    RETURNING 1
  )
  SELECT count(*) INTO n FROM made;
  RETURN n;
END $$;

-- A lead's states in pipeline order (as crm.lead's CHECK allows).
CREATE OR REPLACE FUNCTION crm.lead_states() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$ SELECT ARRAY['new', 'qualified', 'won', 'lost'] $$;

-- A lead moves along crm.lead_transition; anything else is PR409.
CREATE OR REPLACE FUNCTION crm.lead_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state IS DISTINCT FROM OLD.state THEN
    IF NOT EXISTS (SELECT FROM crm.lead_transition WHERE from_state = OLD.state AND to_state = NEW.state) THEN
      RAISE SQLSTATE 'PR409' USING MESSAGE = format('A lead cannot go from %s to %s.', OLD.state, NEW.state),
                                   HINT = 'err.lead_move', DETAIL = jsonb_build_object('from', OLD.state, 'to', NEW.state);
    END IF;
    NEW.qualified_at := CASE WHEN NEW.state = 'qualified' THEN now() ELSE OLD.qualified_at END;
    NEW.closed_at := CASE WHEN NEW.state IN ('won', 'lost') THEN now() END;
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS lead_guard ON crm.lead;
CREATE TRIGGER lead_guard BEFORE UPDATE ON crm.lead FOR EACH ROW EXECUTE FUNCTION crm.lead_guard();

-- Request parameters: an id (digits, or absent/empty = NULL), else PR422.
-- Text as one value of a URL's query: bytes other than letters, digits and
-- - . _ ~ percent-encoded (a "#" or "&" in a search would cut the link).
CREATE OR REPLACE FUNCTION crm.url_encode(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT coalesce(string_agg(CASE WHEN c ~ '^[A-Za-z0-9._~-]$' THEN c
                                  ELSE upper(regexp_replace(encode(convert_to(c, 'UTF8'), 'hex'), '(..)', '%\1', 'g')) END,
                             '' ORDER BY i), '')
  FROM regexp_split_to_table(t, '') WITH ORDINALITY x(c, i)
$$;

-- A list page's filters as a query string (keys in order, values encoded,
-- nulls left out), so its next page and its bulk actions keep them.
CREATE OR REPLACE FUNCTION crm.query_string(p_filters jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(string_agg(key || '=' || crm.url_encode(value), '&' ORDER BY key), '')
  FROM jsonb_each_text(jsonb_strip_nulls(p_filters))
$$;

CREATE OR REPLACE FUNCTION crm.param_id(p jsonb, p_key text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE v text := btrim(p->>p_key);
BEGIN
  IF v IS NULL OR v = '' THEN
    RETURN NULL;
  ELSIF (CASE WHEN v ~ '^[0-9]{1,19}$' THEN v::numeric > 9223372036854775807 ELSE true END) THEN  -- (a bigint)
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('%s must be a number.', p_key), HINT = 'err.param_number',
                                 DETAIL = jsonb_build_object('field', p_key);
  END IF;
  RETURN v::bigint;
END $$;

-- A list of ids: a JSON array (of numbers or digit strings) or "1,2,3" as
-- the worker joins a repeated form field. NULL when absent, '{}' when empty;
-- anything else is PR422.
CREATE OR REPLACE FUNCTION crm.param_ids(p jsonb, p_key text) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE items text[];
BEGIN
  IF p->p_key IS NULL OR jsonb_typeof(p->p_key) = 'null' THEN
    RETURN NULL;
  ELSIF jsonb_typeof(p->p_key) = 'array' THEN
    items := ARRAY(SELECT btrim(v) FROM jsonb_array_elements_text(p->p_key) v);
  ELSE
    items := string_to_array(regexp_replace(p->>p_key, '\s', '', 'g'), ',');
  END IF;
  IF EXISTS (SELECT FROM unnest(items) v WHERE CASE WHEN v ~ '^[0-9]{1,19}$' THEN v::numeric > 9223372036854775807 ELSE true END) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('%s must be a list of ids.', p_key), HINT = 'err.param_ids',
                                 DETAIL = jsonb_build_object('field', p_key);
  END IF;
  RETURN ARRAY(SELECT DISTINCT v::bigint FROM unnest(items) v ORDER BY 1);
END $$;

-- Cases, contacts and leads are for the people who talk to the brand: none
-- from a post by one of its own profiles (crm.own_profile, sql/640).
CREATE OR REPLACE FUNCTION crm.refuse_own_post(p_post bigint) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF crm.own_profile((SELECT author_id FROM social.post WHERE id = p_post)) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'This is the brand''s own post: cases, contacts and leads are for the people who write to the brand.',
                                 HINT = 'err.own_post';
  END IF;
END $$;

-- The id a request must name, or PR422.
CREATE OR REPLACE FUNCTION crm.need_id(p jsonb, p_key text DEFAULT 'id') RETURNS bigint
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE v bigint := crm.param_id(p, p_key);
BEGIN
  IF v IS NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('%s is required.', p_key), HINT = 'err.param_required',
                                 DETAIL = jsonb_build_object('field', p_key);
  END IF;
  RETURN v;
END $$;

-- A checkbox or yes/no field: absent or empty gives p_default (an unchecked
-- box sends nothing); JSON booleans and the usual words; anything else is PR422.
CREATE OR REPLACE FUNCTION crm.param_flag(p jsonb, p_key text, p_default boolean DEFAULT false) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE v text := lower(btrim(p->>p_key));
BEGIN
  IF jsonb_typeof(p->p_key) = 'boolean' THEN
    RETURN (p->p_key)::boolean;
  ELSIF v IS NULL OR v = '' THEN
    RETURN p_default;
  ELSIF v IN ('true', 't', 'on', '1', 'yes') THEN
    RETURN true;
  ELSIF v IN ('false', 'f', 'off', '0', 'no') THEN
    RETURN false;
  END IF;
  RAISE SQLSTATE 'PR422' USING MESSAGE = format('%s must be on or off.', p_key), HINT = 'err.param_on_off',
                               DETAIL = jsonb_build_object('field', p_key);
END $$;

-- How pages name a staff member, a team, a contact. These and the other
-- per-row helpers of the pages are PL/pgSQL: planned once per session, where
-- a LANGUAGE sql function that reads a table is planned on every call.
CREATE OR REPLACE FUNCTION crm.staff_ref(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT jsonb_build_object('id', s.id, 'name', s.display_name, 'username', s.username)
      FROM auth.staff s WHERE s.id = p_id);
END $$;
CREATE OR REPLACE FUNCTION crm.team_ref(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT jsonb_build_object('id', t.id, 'name', t.name) FROM crm.team t WHERE t.id = p_id);
END $$;
CREATE OR REPLACE FUNCTION crm.contact_ref(p_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT jsonb_build_object('id', c.id, 'name', c.name) FROM crm.contact c WHERE c.id = p_id);
END $$;

-- The filter lists (crm.filter_choices, migration 0050) rebuilt from the
-- tables. The row is locked first: a concurrent change waits, and the lists
-- are then read with a snapshot that sees it (READ COMMITTED), so two
-- accounts added at once are both listed.
CREATE OR REPLACE FUNCTION crm.rebuild_filter_choices() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM FROM crm.filter_choices FOR UPDATE;
  UPDATE crm.filter_choices SET
    accounts = coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'handle', handle, 'platform', platform, 'selected', false)
                                          ORDER BY platform, handle) FROM social.account), '[]'),
    platforms = coalesce((SELECT jsonb_agg(jsonb_build_object('code', code, 'platform', code, 'name', name, 'selected', false)
                                           ORDER BY name) FROM social.platform), '[]'),
    teams = coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'name', name, 'selected', false) ORDER BY name)
                      FROM crm.team), '[]');
END $$;

-- SECURITY DEFINER: deferred to the commit, it runs as the session's role
-- (parley_web), outside the api function that made the change.
CREATE OR REPLACE FUNCTION crm.filter_choices_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM crm.rebuild_filter_choices();
  RETURN NULL;
END $$;

-- Rebuilt at commit (deferred constraint triggers), after everything else
-- the transaction locks: taken mid-transaction, the lists' row lock made
-- deadlocks with other work (adding an account, which also writes its
-- search streams, against deleting one whose streams it was locking).
DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES ('social.account', 'id, handle, platform'), ('social.platform', 'code, name'),
                                 ('crm.team', 'id, name')) v(tab, cols) LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS filter_choices ON %s', t.tab);
    EXECUTE format('DROP TRIGGER IF EXISTS filter_choices_truncated ON %s', t.tab);
    EXECUTE format('CREATE CONSTRAINT TRIGGER filter_choices AFTER INSERT OR DELETE OR UPDATE OF %s ON %s
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION crm.filter_choices_changed()', t.cols, t.tab);
    EXECUTE format('CREATE TRIGGER filter_choices_truncated AFTER TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION crm.filter_choices_changed()', t.tab);
  END LOOP;
END $$;
SELECT crm.rebuild_filter_choices();

-- A list's entries, each marked selected or not by one key's value.
CREATE OR REPLACE FUNCTION crm.mark_selected(p_list jsonb, p_key text, p_value text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_agg(e || jsonb_build_object('selected', e->>p_key = p_value) ORDER BY n), '[]')
  FROM jsonb_array_elements(p_list) WITH ORDINALITY x(e, n)
$$;

-- The filter lists with the chosen account, platform and team marked.
-- Nothing chosen (the usual view): the stored lists as they are.
CREATE OR REPLACE FUNCTION crm.filter_lists(p_account bigint, p_platform text, p_team bigint)
RETURNS TABLE (accounts jsonb, platforms jsonb, teams jsonb)
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_account IS NULL THEN c.accounts ELSE crm.mark_selected(c.accounts, 'id', p_account::text) END,
         CASE WHEN p_platform IS NULL THEN c.platforms ELSE crm.mark_selected(c.platforms, 'code', p_platform) END,
         CASE WHEN p_team IS NULL THEN c.teams ELSE crm.mark_selected(c.teams, 'id', p_team::text) END
  FROM crm.filter_choices c
$$;
