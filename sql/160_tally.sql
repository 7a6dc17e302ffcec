-- Row-count deltas for social.tally (see migration 0016): statement-level
-- triggers with transition tables, one small insert per statement.
CREATE OR REPLACE FUNCTION social.tally_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO social.tally SELECT TG_ARGV[0], count(*) FROM added HAVING count(*) > 0;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO social.tally SELECT TG_ARGV[0], -count(*) FROM removed HAVING count(*) > 0;
  ELSE  -- TRUNCATE: nothing is left
    DELETE FROM social.tally WHERE name = TG_ARGV[0];
    INSERT INTO social.tally VALUES (TG_ARGV[0], 0);
  END IF;
  RETURN NULL;
END $$;

DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES ('account', 'accounts'), ('profile', 'profiles'), ('post', 'posts')) v(tab, name) LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS tally_added ON social.%I', t.tab);
    EXECUTE format('DROP TRIGGER IF EXISTS tally_removed ON social.%I', t.tab);
    EXECUTE format('DROP TRIGGER IF EXISTS tally_truncated ON social.%I', t.tab);
    EXECUTE format('CREATE TRIGGER tally_added AFTER INSERT ON social.%I REFERENCING NEW TABLE AS added
                    FOR EACH STATEMENT EXECUTE FUNCTION social.tally_rows(%L)', t.tab, t.name);
    EXECUTE format('CREATE TRIGGER tally_removed AFTER DELETE ON social.%I REFERENCING OLD TABLE AS removed
                    FOR EACH STATEMENT EXECUTE FUNCTION social.tally_rows(%L)', t.tab, t.name);
    EXECUTE format('CREATE TRIGGER tally_truncated AFTER TRUNCATE ON social.%I
                    FOR EACH STATEMENT EXECUTE FUNCTION social.tally_rows(%L)', t.tab, t.name);
  END LOOP;
END $$;

-- PL/pgSQL: its query is planned once per session (a LANGUAGE sql function
-- that is not inlined is parsed and planned on every call).
CREATE OR REPLACE FUNCTION social.tally_of(p_name text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT coalesce(sum(n), 0)::bigint FROM social.tally WHERE name = p_name);
END $$;

-- Every count at once, as the dashboard's headline shows them (0 for one
-- never counted): one query instead of one per count.
CREATE OR REPLACE FUNCTION social.tallies() RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN jsonb_build_object('accounts', 0, 'profiles', 0, 'posts', 0, 'open_cases', 0)
         || coalesce((SELECT jsonb_object_agg(name, n) FROM (SELECT name, sum(n) AS n FROM social.tally GROUP BY name) t), '{}');
END $$;

-- Fold each count's deltas into one row. Rows committed while this runs are
-- not seen by its DELETE and stay, so the sum stays exact.
CREATE OR REPLACE FUNCTION social.fold_tally() RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH gone AS (DELETE FROM social.tally RETURNING name, n),
  put AS (INSERT INTO social.tally SELECT name, sum(n) FROM gone GROUP BY name RETURNING 1)
  SELECT (SELECT count(*) FROM gone)::integer
$$;
GRANT USAGE ON SCHEMA social TO parley_harvest;
GRANT EXECUTE ON FUNCTION social.fold_tally() TO parley_harvest;
