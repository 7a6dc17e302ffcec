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
-- matches, scores, leads and snapshots the day of their post.
CREATE OR REPLACE FUNCTION kpi.touched_days(p_since timestamptz, p_tz text) RETURNS SETOF date
LANGUAGE plpgsql STABLE AS $$
BEGIN
  -- EXECUTE: planned for this p_since, so every branch reads only the new
  -- rows by index (a generic plan would scan whole tables)
  RETURN QUERY EXECUTE $q$
  SELECT DISTINCT (t AT TIME ZONE $2)::date FROM (
    SELECT p.created_at FROM social.post p WHERE p.updated_at >= $1
    UNION ALL SELECT q.created_at FROM social.post p JOIN social.post q ON q.id = p.parent_id WHERE p.updated_at >= $1
    UNION ALL SELECT q.created_at FROM ingest.outbox o JOIN social.post q ON q.id = o.in_reply_to WHERE o.sent_at >= $1
    UNION ALL SELECT q.created_at FROM crm."case" c JOIN social.post q ON q.id = c.post_id WHERE c.updated_at >= $1
    UNION ALL SELECT q.created_at FROM listen.match m JOIN social.post q ON q.id = m.post_id WHERE m.matched_at >= $1
    UNION ALL SELECT q.created_at FROM listen.post_signal s JOIN social.post q ON q.id = s.post_id WHERE s.scored_at >= $1
    UNION ALL SELECT coalesce(q.created_at, l.created_at) FROM crm.lead l LEFT JOIN social.post q ON q.id = l.post_id
              WHERE l.updated_at >= $1
    UNION ALL SELECT i.occurred_at FROM social.interaction i WHERE i.created_at >= $1
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
      INSERT INTO kpi.stale_day (at) SELECT DISTINCT o.first_seen_at FROM gone o;
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
DROP TRIGGER IF EXISTS kpi_stale_category ON listen.rule;
CREATE TRIGGER kpi_stale_category AFTER UPDATE ON listen.rule
  REFERENCING OLD TABLE AS gone NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION kpi.note_stale();
