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
