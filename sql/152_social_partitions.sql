-- social.interaction is partitioned by month. Migration 0005 made 2020-01
-- to 2027-12 and a DEFAULT partition for anything outside; the months after
-- are added ahead of time, up to p_months_ahead past the current one, by every
-- migrate (below) and hourly by the harvester. Without them every interaction
-- from 2028 on would land in DEFAULT, which partition pruning cannot skip.
-- Each new month starts where the last one ends, so months meet whatever
-- zone made the earlier ones, and ends at the next month's start in the
-- session's zone (the server's, as when migration 0005 ran); months missed
-- while nothing ran are added too. Rows DEFAULT already holds
-- for a new month move into it: PostgreSQL refuses a partition whose range
-- DEFAULT has rows in. The month is built as its own table and attached, so
-- those rows keep their ids. Returns how many months were added; 0 when
-- another session is adding them.
CREATE OR REPLACE FUNCTION social.add_interaction_partitions(p_months_ahead integer DEFAULT 12) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '5s' AS $$
DECLARE
  lo timestamptz; hi timestamptz; part text; added integer := 0;
  cols text := (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                WHERE attrelid = 'social.interaction'::regclass AND attnum > 0 AND NOT attisdropped);
BEGIN
  IF p_months_ahead NOT BETWEEN 0 AND 120 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Partitions are added 0 to 120 months ahead.';
  END IF;
  IF NOT pg_try_advisory_xact_lock(hashtext('social.add_interaction_partitions')) THEN
    RETURN 0;
  END IF;
  -- the end of the last month partition
  SELECT max(substring(pg_get_expr(c.relpartbound, c.oid) FROM $re$TO \('([^']+)'\)$re$)::timestamptz) INTO lo
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = 'social.interaction'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT';
  IF lo IS NULL OR lo > date_trunc('month', now()) + make_interval(months => p_months_ahead) THEN
    RETURN 0;
  END IF;
  -- Writers of interactions lock the tables they reference, then DEFAULT;
  -- attaching locks DEFAULT, then those: take them all first, in their order,
  -- so neither waits on the other. Once a month, for a moment.
  LOCK TABLE social.platform, social.account, social.profile, social.post IN SHARE ROW EXCLUSIVE MODE;
  LOCK TABLE social.interaction_default IN ACCESS EXCLUSIVE MODE;
  WHILE lo <= date_trunc('month', now()) + make_interval(months => p_months_ahead) LOOP
    hi := date_trunc('month', lo + interval '15 days') + interval '1 month';
    part := 'interaction_' || to_char(lo + interval '15 days', 'YYYY_MM');
    EXECUTE format('CREATE TABLE social.%I (LIKE social.interaction INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    EXECUTE format('WITH gone AS (DELETE FROM social.interaction_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING %s)
                    INSERT INTO social.%I (%s) SELECT %s FROM gone', lo, hi, cols, part, cols, cols);
    EXECUTE format('ALTER TABLE social.interaction ATTACH PARTITION social.%I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    added := added + 1;
    lo := hi;
  END LOOP;
  RETURN added;
END $$;
GRANT EXECUTE ON FUNCTION social.add_interaction_partitions(integer) TO parley_harvest;

-- Here a lock wait (the stack running under load) must not fail the
-- migration: the harvester adds the months within the hour.
DO $$
BEGIN
  PERFORM social.add_interaction_partitions();
EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
  RAISE WARNING 'interaction partitions not added now (%); the harvester adds them', SQLERRM;
END $$;
