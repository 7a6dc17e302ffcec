-- social.interaction is partitioned by month. Migration 0005 made 2020-01
-- to 2027-12 and a DEFAULT partition for anything outside; the months after
-- are added ahead of time, up to p_months_ahead past the current one, by every
-- migrate (below) and hourly by the harvester. Without them, every
-- interaction from 2028 on would pile up in DEFAULT, unpruned.
-- Rows DEFAULT already holds for a new month (a platform's timestamp in the
-- future) move into it: PostgreSQL refuses a partition whose range DEFAULT
-- has rows in. The month is built as its own table and attached, so those
-- rows keep their ids. Returns how many months were added.
CREATE OR REPLACE FUNCTION social.add_interaction_partitions(p_months_ahead integer DEFAULT 12) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE m date; part text; added integer := 0;
BEGIN
  IF p_months_ahead NOT BETWEEN 0 AND 120 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Partitions are added 0 to 120 months ahead.';
  END IF;
  -- two harvesters (or a migrate) at once: the second finds the months there
  PERFORM pg_advisory_xact_lock(hashtext('social.add_interaction_partitions'));
  FOR m IN SELECT generate_series(date_trunc('month', now()), date_trunc('month', now()) + make_interval(months => p_months_ahead),
                                  interval '1 month')::date LOOP
    part := 'interaction_' || to_char(m, 'YYYY_MM');
    CONTINUE WHEN to_regclass(format('social.%I', part)) IS NOT NULL;
    EXECUTE format('CREATE TABLE social.%I (LIKE social.interaction INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    EXECUTE format('WITH gone AS (DELETE FROM social.interaction_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *)
                    INSERT INTO social.%I SELECT * FROM gone', m, m + interval '1 month', part);
    EXECUTE format('ALTER TABLE social.interaction ATTACH PARTITION social.%I FOR VALUES FROM (%L) TO (%L)',
                   part, m, m + interval '1 month');
    added := added + 1;
  END LOOP;
  RETURN added;
END $$;
GRANT EXECUTE ON FUNCTION social.add_interaction_partitions(integer) TO parley_harvest;

SELECT social.add_interaction_partitions();
