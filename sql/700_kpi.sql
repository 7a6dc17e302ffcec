-- KPI refresh (issue 6): recomputes the per-mention facts and daily rollups of
-- migrations/0015 for the days touched since the last refresh. Definitions
-- (docs/kpi.md):
--   mention       a post not by one of the brand's own accounts, not a
--                 repost, not deleted;
--   needs answer  it has a case, or is a direct message, or replies to a
--                 post of the brand, or matched a rule that is not a
--                 competitor rule;
--   answered      the brand replied under it: a harvested reply by one of its
--                 profiles, or an outbox reply sent to it (the earliest counts).
-- A day is a calendar day in kpi.freshness.tz.

-- The predicate "col falls on a touched day", as SQL text: constant ranges,
-- so indexes and partition pruning apply. Reads pg_temp.kpi_range.
CREATE OR REPLACE FUNCTION kpi.day_pred(p_col text, p_full boolean) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_full THEN
    RETURN 'true';
  END IF;
  RETURN (SELECT coalesce(string_agg(format('(%s >= %L::timestamptz AND %s < %L::timestamptz)', p_col, lo, p_col, hi),
                                     ' OR '), 'false')
          FROM pg_temp.kpi_range);
END $$;

-- Days whose figures may have changed since p_since, as dates in p_tz.
-- Replies and outbox sends touch the day of the post they answer; cases,
-- matches, scores, leads and snapshots the day of their post. New
-- interactions are noted in kpi.stale_day as they are inserted (below).
-- The new rows are few: an index probe into post per new row, serially,
-- beats hashing every post (which fresh statistics make the planner pick,
-- 10x slower at a million posts) and starting parallel workers.
CREATE OR REPLACE FUNCTION kpi.touched_days(p_since timestamptz, p_tz text) RETURNS SETOF date
LANGUAGE plpgsql STABLE SET enable_hashjoin = off SET enable_mergejoin = off SET max_parallel_workers_per_gather = 0 AS $$
BEGIN
  -- EXECUTE: planned for this p_since, so every branch reads only the new
  -- rows by index (a generic plan would scan whole tables)
  RETURN QUERY EXECUTE $q$
  SELECT DISTINCT (t AT TIME ZONE $2)::date FROM (
    SELECT v.t FROM social.post p LEFT JOIN social.post q ON q.id = p.parent_id,
                    LATERAL (VALUES (p.created_at), (q.created_at)) v(t)
    WHERE p.updated_at >= $1 AND v.t IS NOT NULL
    UNION ALL SELECT q.created_at FROM ingest.outbox o JOIN social.post q ON q.id = o.in_reply_to WHERE o.sent_at >= $1
    UNION ALL SELECT q.created_at FROM crm."case" c JOIN social.post q ON q.id = c.post_id WHERE c.updated_at >= $1
    UNION ALL SELECT q.created_at FROM listen.match m JOIN social.post q ON q.id = m.post_id WHERE m.matched_at >= $1
    UNION ALL SELECT q.created_at FROM listen.post_signal s JOIN social.post q ON q.id = s.post_id WHERE s.scored_at >= $1
    UNION ALL SELECT coalesce(q.created_at, l.created_at) FROM crm.lead l LEFT JOIN social.post q ON q.id = l.post_id
              WHERE l.updated_at >= $1
    UNION ALL SELECT f.first_seen_at FROM social.follower_edge f WHERE f.first_seen_at >= $1
    UNION ALL SELECT q.created_at FROM social.engagement_snapshot e JOIN social.post q ON q.id = e.post_id
              WHERE e.taken_at >= $1
  ) x(t) $q$ USING p_since, p_tz;
END $$;


-- Deletions and re-categorisations leave no newer timestamp behind: note
-- the days they touch in kpi.stale_day (one statement trigger per table).
CREATE OR REPLACE FUNCTION kpi.note_stale() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  CASE TG_TABLE_NAME
    WHEN 'post' THEN   -- the post's day, and its parent's (whose answer it may have been)
      INSERT INTO kpi.stale_day (at)
      SELECT o.created_at FROM gone o
      UNION SELECT q.created_at FROM gone o JOIN social.post q ON q.id = o.parent_id;
    WHEN 'interaction' THEN
      INSERT INTO kpi.stale_day (at) SELECT DISTINCT o.occurred_at FROM gone o;
    WHEN 'follower_edge' THEN
      INSERT INTO kpi.stale_day (at) SELECT o.first_seen_at FROM gone o UNION SELECT o.unfollowed_at FROM gone o
                                     WHERE o.unfollowed_at IS NOT NULL;
    WHEN 'case', 'match' THEN
      INSERT INTO kpi.stale_day (at) SELECT DISTINCT q.created_at FROM gone o JOIN social.post q ON q.id = o.post_id;
    WHEN 'lead' THEN
      INSERT INTO kpi.stale_day (at)
      SELECT DISTINCT coalesce(q.created_at, o.created_at) FROM gone o LEFT JOIN social.post q ON q.id = o.post_id;
    WHEN 'rule' THEN   -- a category change moves every match of the rule
      INSERT INTO kpi.stale_day (at)
      SELECT DISTINCT q.created_at FROM gone o JOIN changed n ON n.id = o.id AND n.category IS DISTINCT FROM o.category
      JOIN listen.match m ON m.rule_id = o.id JOIN social.post q ON q.id = m.post_id;
  END CASE;
  RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['social.post', 'social.interaction', 'social.follower_edge', 'crm."case"', 'crm.lead',
                           'listen.match'] LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS kpi_stale_delete ON %s', t);
    EXECUTE format('CREATE TRIGGER kpi_stale_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS gone '
                   'FOR EACH STATEMENT EXECUTE FUNCTION kpi.note_stale()', t);
  END LOOP;
END $$;
-- New interactions are the most numerous rows (a day of them can be 100,000):
-- instead of the refresh reading every one to learn its day, each insert
-- statement notes the quarter-hours it touched (every time zone's midnight
-- falls on one, so each lies within one local day).
CREATE OR REPLACE FUNCTION kpi.note_new_interactions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO kpi.stale_day (at)
  SELECT DISTINCT date_bin('15 minutes', a.occurred_at, TIMESTAMPTZ '2000-01-01 00:00+00') FROM added a;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS kpi_note_insert ON social.interaction;
CREATE TRIGGER kpi_note_insert AFTER INSERT ON social.interaction REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.note_new_interactions();
-- A follow that ends, or is seen again after it ended, changes the
-- followers lost on the day of its end, which may be long past (a replayed
-- unsubscribe); a follow event harvested late can move a follower's first
-- day back (kpi.touched_days sees only days of new rows): note the days,
-- old and new. A row trigger whose WHEN is false for the ordinary
-- re-sighting of a follower.
CREATE OR REPLACE FUNCTION kpi.note_follow_end() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO kpi.stale_day (at)
  SELECT DISTINCT t FROM (VALUES (OLD.unfollowed_at), (NEW.unfollowed_at), (OLD.first_seen_at), (NEW.first_seen_at)) v(t)
  WHERE t IS NOT NULL;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS kpi_stale_follow_end ON social.follower_edge;
CREATE TRIGGER kpi_stale_follow_end AFTER UPDATE OF unfollowed_at, first_seen_at ON social.follower_edge
  FOR EACH ROW WHEN (NEW.unfollowed_at IS DISTINCT FROM OLD.unfollowed_at OR NEW.first_seen_at <> OLD.first_seen_at)
  EXECUTE FUNCTION kpi.note_follow_end();
-- New follower edges first seen before the statement (a follow event's
-- time; kpi.touched_days finds only those since the last refresh): note
-- their quarter-hours, as for interactions.
CREATE OR REPLACE FUNCTION kpi.note_new_follows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO kpi.stale_day (at)
  SELECT DISTINCT date_bin('15 minutes', a.first_seen_at, TIMESTAMPTZ '2000-01-01 00:00+00') FROM added a
  WHERE a.first_seen_at < statement_timestamp();
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS kpi_note_insert ON social.follower_edge;
CREATE TRIGGER kpi_note_insert AFTER INSERT ON social.follower_edge REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION kpi.note_new_follows();
COMMENT ON TABLE kpi.stale_day IS
  'Internal bookkeeping of kpi.refresh(), not part of the BI contract: instants (at) on days to recompute '
  'because interactions were inserted or rows they counted were deleted or re-categorised; grain: one row per change.';
DROP TRIGGER IF EXISTS kpi_stale_category ON listen.rule;
CREATE TRIGGER kpi_stale_category AFTER UPDATE ON listen.rule
  REFERENCING OLD TABLE AS gone NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi.note_stale();

-- Window percentiles of response time without sorting the window: the
-- bucket of a response time in kpi.response_hist (logarithmic, about 3 %
-- wide; monotone, so buckets never overlap in value).
CREATE OR REPLACE FUNCTION kpi.response_bucket(p_seconds bigint) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
  SELECT floor(ln(greatest(p_seconds, 0) + 1) * 32)::smallint
$$;

-- The p_fraction percentile (continuous, exactly as percentile_cont) of
-- mention_fact.response_seconds over days p_from..p_to, optionally for one
-- account or platform. The bucket counts say which bucket holds the two
-- ranks to interpolate between; only that bucket's values are then read
-- (index on day, response_seconds), once. When the upper rank is the first
-- of the next bucket, it is that bucket's smallest value (its lo). Days as
-- a list for that read: one index range per day, on response_seconds too.
CREATE OR REPLACE FUNCTION kpi.response_percentile(p_from date, p_to date, p_account bigint, p_platform text,
                                                   p_fraction double precision)
RETURNS double precision LANGUAGE plpgsql STABLE AS $$
DECLARE
  days date[] := ARRAY(SELECT d::date FROM generate_series(p_from, p_to, interval '1 day') d);
  buckets jsonb;            -- [{n, lo, hi, below}] in value order, below = count in earlier buckets
  total bigint;
  pos double precision;     -- the rank wanted, 0-based, between rank r and r + 1
  r bigint;
  i integer;                -- index in buckets of the bucket holding rank r
  o bigint;                 -- r's offset in that bucket
  v double precision[];
BEGIN
  SELECT jsonb_agg(jsonb_build_object('n', n, 'lo', lo, 'hi', hi, 'below', below) ORDER BY bucket), sum(n)
  INTO buckets, total
  FROM (SELECT bucket, n, lo, hi, sum(n) OVER (ORDER BY bucket) - n AS below
        FROM (SELECT h.bucket, sum(h.n) AS n, min(h.lo) AS lo, max(h.hi) AS hi FROM kpi.response_hist h
              WHERE h.day BETWEEN p_from AND p_to AND (p_account IS NULL OR h.account_id = p_account)
                AND (p_platform IS NULL OR h.platform = p_platform)
              GROUP BY h.bucket) g) c;
  IF total IS NULL THEN
    RETURN NULL;
  END IF;
  pos := p_fraction * (total - 1);
  r := floor(pos)::bigint;
  SELECT x.ord - 1, r - (x.e->>'below')::bigint INTO i, o
  FROM jsonb_array_elements(buckets) WITH ORDINALITY x(e, ord)
  WHERE (x.e->>'below')::bigint <= r AND r < (x.e->>'below')::bigint + (x.e->>'n')::bigint;
  IF pos > r AND o = (buckets->i->>'n')::bigint - 1 THEN
    v := ARRAY[(buckets->i->>'hi')::double precision, (buckets->(i + 1)->>'lo')::double precision];
  ELSE
    v := ARRAY(SELECT m.response_seconds::double precision FROM kpi.mention_fact m
               WHERE m.day = ANY (days)
                 AND m.response_seconds BETWEEN (buckets->i->>'lo')::bigint AND (buckets->i->>'hi')::bigint
                 AND (p_account IS NULL OR m.account_id = p_account) AND (p_platform IS NULL OR m.platform = p_platform)
               ORDER BY m.response_seconds OFFSET o LIMIT 2);
  END IF;
  RETURN CASE WHEN pos = r THEN v[1] ELSE v[1] + (v[2] - v[1]) * (pos - r) END;
END $$;
