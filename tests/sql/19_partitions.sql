-- Interactions are partitioned by month, and the coming months are added
-- ahead of time (social.add_interaction_partitions, by migrate and hourly by
-- the harvester); rows DEFAULT already holds for a new month move into it.
BEGIN;
SELECT plan(13);
SET LOCAL client_min_messages = warning;
\ir lib/sqlstate_as.sql

-- pg_temp.month(n): the partition of the month n months from now.
CREATE FUNCTION pg_temp.month(n integer) RETURNS text LANGUAGE sql AS $$
  SELECT 'social.interaction_' || to_char(date_trunc('month', now()) + make_interval(months => n), 'YYYY_MM')
$$;

SELECT ok(to_regclass(pg_temp.month(12)) IS NOT NULL, 'migrate has made the partition a year ahead');

-- An interaction dated 14 months ahead (a platform's clock) lands in DEFAULT.
INSERT INTO social.interaction (platform, kind, external_id, occurred_at)
VALUES ('mastodon', 'like', 'tap-part-future', date_trunc('month', now()) + interval '14 months 5 days');
SELECT id AS future_id FROM social.interaction WHERE external_id = 'tap-part-future' \gset
SELECT is((SELECT tableoid::regclass::text FROM social.interaction WHERE external_id = 'tap-part-future'),
          'social.interaction_default', 'an interaction past the partitions lands in DEFAULT');

SELECT count(*)::integer AS missing FROM generate_series(0, 14) n WHERE to_regclass(pg_temp.month(n)) IS NULL \gset
-- (called from a session in another time zone than the one the first months were made in)
SET LOCAL TimeZone = 'Asia/Shanghai';
SELECT is(social.add_interaction_partitions(14), :missing, 'the missing months up to 14 ahead are added, from any time zone');
RESET TimeZone;
SELECT ok(to_regclass(pg_temp.month(13)) IS NOT NULL AND to_regclass(pg_temp.month(14)) IS NOT NULL, '… among them the 13th and 14th');
SELECT is((SELECT tableoid::regclass::text || ' ' || id FROM social.interaction WHERE external_id = 'tap-part-future'),
          pg_temp.month(14) || ' ' || :future_id, 'the row DEFAULT held moved into its month, keeping its id');
SELECT is((SELECT count(*) FROM social.interaction_default WHERE external_id = 'tap-part-future'), 0::bigint, '… and is not in DEFAULT');
SELECT is((SELECT count(*) FROM pg_indexes WHERE schemaname || '.' || tablename = pg_temp.month(14)),
          (SELECT count(*) FROM pg_indexes WHERE schemaname || '.' || tablename = pg_temp.month(0)),
          'the new month has the same indexes as the others');
INSERT INTO social.interaction (platform, kind, external_id, occurred_at)
VALUES ('mastodon', 'like', 'tap-part-future', date_trunc('month', now()) + interval '14 months 5 days')
ON CONFLICT DO NOTHING;
SELECT is((SELECT count(*) FROM social.interaction WHERE external_id = 'tap-part-future'), 1::bigint,
          'the same interaction stored again is still one (the unique key holds in the new month)');
SELECT is(social.add_interaction_partitions(14), 0, 'a second call adds nothing');
SELECT is((SELECT count(*) FROM (
             SELECT substring(b FROM $re$FROM \('([^']+)'\)$re$)::timestamptz AS lo,
                    lag(substring(b FROM $re$TO \('([^']+)'\)$re$)::timestamptz) OVER (ORDER BY substring(b FROM $re$FROM \('([^']+)'\)$re$)::timestamptz) AS prev_hi
             FROM (SELECT pg_get_expr(c.relpartbound, c.oid) AS b FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                   WHERE i.inhparent = 'social.interaction'::regclass) x WHERE b <> 'DEFAULT') y
           WHERE prev_hi IS NOT NULL AND prev_hi <> lo), 0::bigint, 'every month starts where the one before ends: no gap, no overlap');
INSERT INTO social.interaction (platform, kind, external_id, occurred_at)
VALUES ('mastodon', 'like', 'tap-part-routed', date_trunc('month', now()) + interval '13 months 2 days');
SELECT is((SELECT tableoid::regclass::text || ' ' || (id > :future_id) FROM social.interaction WHERE external_id = 'tap-part-routed'),
          pg_temp.month(13) || ' true', 'a new interaction of a new month goes to it, numbered by the table''s identity');

SELECT throws_ok('SELECT social.add_interaction_partitions(-1)', 'PR422', NULL, 'a negative count is refused');
SELECT is(pg_temp.sqlstate_as('parley_harvest', 'SELECT social.add_interaction_partitions()') || ' '
          || pg_temp.sqlstate_as('parley_web', 'SELECT social.add_interaction_partitions()'), 'ok 42501',
          'the harvester may add the months, the web role may not');

SELECT * FROM finish();
ROLLBACK;
