-- Milliseconds since a lap started, keyed by the section that took them.
CREATE OR REPLACE FUNCTION kpi.lap(p_section text, p_since timestamptz) RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
  SELECT jsonb_build_object(p_section, round(extract(epoch FROM clock_timestamp() - p_since) * 1000))
$$;
REVOKE ALL ON FUNCTION kpi.lap(text, timestamptz) FROM PUBLIC;

-- The end of every refresh: the dashboard's cached default view is rebuilt
-- from the new rollups (the backlog chart with it), then the watermark moves.
-- The result adds the dashboard's milliseconds to p_sections.
DROP FUNCTION IF EXISTS kpi.finish_refresh(timestamptz, timestamptz, boolean, integer);
CREATE OR REPLACE FUNCTION kpi.finish_refresh(p_started timestamptz, p_t0 timestamptz, p_full boolean, p_days integer,
                                              p_sections jsonb DEFAULT '{}')
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE lap timestamptz := clock_timestamp();
BEGIN
  PERFORM chart.cache_dashboard(p_started);
  UPDATE kpi.freshness SET refreshed_at = p_started, full_refresh = p_full, days = p_days,
                           millis = (extract(epoch FROM clock_timestamp() - p_t0) * 1000)::integer;
  RETURN jsonb_build_object('full', p_full, 'days', p_days,
                            'millis', (extract(epoch FROM clock_timestamp() - p_t0) * 1000)::integer,
                            'sections', p_sections || kpi.lap('dashboard', lap));
END $$;
REVOKE ALL ON FUNCTION kpi.finish_refresh(timestamptz, timestamptz, boolean, integer, jsonb) FROM PUBLIC;

-- kpi.refresh(p_full): rebuilds the KPI tables for the days touched since the
-- last refresh (all days when p_full or never refreshed). Each table's rows
-- for those days are deleted and re-inserted in this one transaction: BI
-- readers keep seeing the previous rows until commit and never block.
-- The watermark is the start of the previous refresh minus a 10-minute
-- margin, so rows written by transactions that were still open then are
-- caught. A concurrent call returns at once ({"skipped": true}). The
-- result says how long each section took ("sections", milliseconds).
CREATE OR REPLACE FUNCTION kpi.refresh(p_full boolean DEFAULT false) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off
  SET client_min_messages = warning SET enable_hashjoin = on SET enable_mergejoin = on
  SET work_mem = '64MB' AS $$   -- the medians sort a period's response times in memory
DECLARE
  f kpi.freshness;
  t0 timestamptz := clock_timestamp();
  started timestamptz := now();
  full_run boolean;
  tz text;
  days date[];
  ndays integer;
  w_post text; w_int text; w_fol text; w_unf text; w_day text;
  own text;                               -- the brand's own profile ids, as an array literal
  lap timestamptz := clock_timestamp();   -- where each section's time is measured from
  took jsonb := '{}';                     -- milliseconds per section
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext('kpi.refresh')) THEN
    RETURN jsonb_build_object('skipped', true);
  END IF;
  SELECT * INTO f FROM kpi.freshness;
  tz := f.tz;
  full_run := coalesce(p_full, false) OR f.refreshed_at IS NULL;
  DROP TABLE IF EXISTS pg_temp.kpi_range, pg_temp.kpi_p, pg_temp.kpi_mt, pg_temp.kpi_ask, pg_temp.kpi_x,
                       pg_temp.kpi_biz;   -- a second call in one transaction
  CREATE TEMP TABLE kpi_range (lo timestamptz, hi timestamptz) ON COMMIT DROP;
  IF full_run THEN
    DELETE FROM kpi.stale_day;
  ELSE
    -- what changed since the watermark, and the days noted stale (taken in
    -- the same statement, so a note that commits meanwhile waits for next time)
    WITH stale AS (DELETE FROM kpi.stale_day RETURNING at)
    SELECT array_agg(DISTINCT d ORDER BY d) INTO days FROM (
      SELECT kpi.touched_days(f.refreshed_at - interval '10 minutes', tz)
      UNION ALL SELECT (at AT TIME ZONE tz)::date FROM stale) x(d);
    IF days IS NULL THEN
      RETURN kpi.finish_refresh(started, t0, false, 0);
    END IF;
    -- consecutive days merge into one range
    INSERT INTO kpi_range
    SELECT (min(d)::timestamp AT TIME ZONE tz), ((max(d) + 1)::timestamp AT TIME ZONE tz)
    FROM (SELECT d, d - (row_number() OVER (ORDER BY d))::integer AS grp FROM unnest(days) d) g
    GROUP BY grp;
  END IF;
  ndays := cardinality(days);
  own := format('%L::bigint[]', (SELECT coalesce(array_agg(id), '{}') FROM social.own_profile));
  took := kpi.lap('changed_days', lap); lap := clock_timestamp();
  w_post := kpi.day_pred('p.created_at', full_run);
  w_int := kpi.day_pred('i.occurred_at', full_run);
  w_fol := kpi.day_pred('e.first_seen_at', full_run);
  w_unf := kpi.day_pred('e.unfollowed_at', full_run);
  w_day := CASE WHEN full_run THEN 'true' ELSE format('day = ANY (%L::date[])', days) END;

  ---------------------------------------------------------------- mentions
  EXECUTE 'DELETE FROM kpi.mention_fact WHERE ' || w_day;
  -- The posts of the days that are not deleted, read once for every section
  -- below: mentions (not by the brand, not reposts) and the brand's own.
  EXECUTE format($q$
    CREATE TEMP TABLE kpi_p ON COMMIT DROP AS
    SELECT p.id, p.created_at, (p.created_at AT TIME ZONE %1$L)::date AS day, p.account_id, p.platform, p.kind,
           p.parent_id, p.author_id, o.own, p.kind <> 'repost' AND NOT o.own AS mention,
           CASE WHEN o.own THEN p.metrics END AS metrics
    FROM social.post p CROSS JOIN LATERAL (SELECT coalesce(p.author_id = ANY (%2$s), false) AS own) o
    WHERE (%3$s) AND p.deleted_at IS NULL $q$, tz, own, w_post);
  ANALYZE pg_temp.kpi_p;
  IF NOT full_run AND ndays <= 7 THEN
    -- A few days' mentions among millions: an index lookup per mention
    -- beats hashing the whole match, case, score and lead tables, which the
    -- planner would pick. For these two statements only (and the SET
    -- clauses above).
    PERFORM set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true);
  END IF;
  -- the mentions' rule matches, read once for volume, voice and leads
  CREATE TEMP TABLE kpi_mt ON COMMIT DROP AS
  SELECT m.id AS post_id, m.day, m.account_id, m.platform, mt.rule_id, r.name AS rule_name, r.category
  FROM pg_temp.kpi_p m JOIN listen.match mt ON mt.post_id = m.id JOIN listen.rule r ON r.id = mt.rule_id
  WHERE m.mention;
  -- the mentions that matched a rule wanting an answer (all but competitor
  -- rules); joined, not probed with EXISTS, which the planner may answer by
  -- hashing every match there is
  CREATE TEMP TABLE kpi_ask ON COMMIT DROP AS
  SELECT DISTINCT post_id FROM pg_temp.kpi_mt WHERE category <> 'competitor';
  CREATE UNIQUE INDEX ON pg_temp.kpi_ask (post_id);
  ANALYZE pg_temp.kpi_ask;
  EXECUTE format($q$
    CREATE TEMP TABLE kpi_x ON COMMIT DROP AS
      SELECT m.id, m.created_at, m.account_id, m.platform, m.kind, m.parent_id, c.id AS case_id, c.resolved_at,
             coalesce(pol.calendar_id, (SELECT calendar_id FROM crm.sla_policy WHERE is_default)) AS cal,
             (c.id IS NOT NULL OR m.kind = 'direct' OR q.id IS NOT NULL OR ask.post_id IS NOT NULL) AS needs_answer,
             (SELECT min(t) FROM (SELECT r.created_at FROM social.post r
                                  WHERE r.parent_id = m.id AND r.author_id = ANY (%1$s)
                                  UNION ALL
                                  SELECT o.sent_at FROM ingest.outbox o WHERE o.in_reply_to = m.id AND o.state = 'sent') a(t)
             ) AS answered_at,
             s.sentiment, s.label, s.complaint, l.id AS lead_id, l.state AS lead_state
      FROM pg_temp.kpi_p m
      LEFT JOIN crm."case" c ON c.post_id = m.id
      LEFT JOIN crm.sla_policy pol ON pol.id = c.sla_policy_id
      LEFT JOIN listen.post_signal s ON s.post_id = m.id
      LEFT JOIN crm.lead l ON l.post_id = m.id
      LEFT JOIN social.post q ON q.id = m.parent_id AND q.author_id = ANY (%1$s)   -- a reply to the brand
      LEFT JOIN pg_temp.kpi_ask ask ON ask.post_id = m.id
      WHERE m.mention $q$, own);
  PERFORM set_config('enable_hashjoin', 'on', true), set_config('enable_mergejoin', 'on', true);
  ANALYZE pg_temp.kpi_mt;
  ANALYZE pg_temp.kpi_x;
  -- Business time, set-based: each calendar's openings over the span once,
  -- with the business seconds before each; an instant's position is one
  -- index probe (business seconds since the span began), and a duration the
  -- difference of two positions. Same result as crm.business_seconds.
  CREATE TEMP TABLE kpi_biz ON COMMIT DROP AS
  SELECT r.cal, iv.lo, iv.hi,
         sum(extract(epoch FROM iv.hi - iv.lo)) OVER (PARTITION BY r.cal ORDER BY iv.lo) - extract(epoch FROM iv.hi - iv.lo) AS cum0
  FROM (SELECT cal, min(created_at) AS a, max(answered_at) AS b FROM kpi_x WHERE answered_at IS NOT NULL GROUP BY cal) r
  CROSS JOIN LATERAL crm.business_intervals(r.cal, r.a, r.b) iv;
  CREATE INDEX ON pg_temp.kpi_biz (cal, lo);
  ANALYZE pg_temp.kpi_biz;
  EXECUTE format($q$
    INSERT INTO kpi.mention_fact
    SELECT x.id, (x.created_at AT TIME ZONE %L)::date, x.created_at, x.account_id, x.platform, x.kind, x.needs_answer,
           x.answered_at,
           extract(epoch FROM x.answered_at - x.created_at)::bigint,
           CASE WHEN x.answered_at IS NOT NULL THEN (coalesce(pa.pos, 0) - coalesce(pc.pos, 0))::bigint END,
           x.case_id, x.resolved_at,
           extract(epoch FROM greatest(x.resolved_at, x.answered_at) - x.created_at)::bigint
             + CASE WHEN x.resolved_at IS NULL OR x.answered_at IS NULL THEN NULL ELSE 0 END,
           x.sentiment, x.label, x.complaint, x.lead_id, x.lead_state
    FROM pg_temp.kpi_x x
    LEFT JOIN LATERAL (SELECT b.cum0 + extract(epoch FROM least(x.answered_at, b.hi) - b.lo) AS pos FROM pg_temp.kpi_biz b
                       WHERE b.cal = x.cal AND b.lo <= x.answered_at ORDER BY b.lo DESC LIMIT 1) pa ON x.answered_at IS NOT NULL
    LEFT JOIN LATERAL (SELECT b.cum0 + extract(epoch FROM least(x.created_at, b.hi) - b.lo) AS pos FROM pg_temp.kpi_biz b
                       WHERE b.cal = x.cal AND b.lo <= x.created_at ORDER BY b.lo DESC LIMIT 1) pc ON x.answered_at IS NOT NULL
    ORDER BY x.created_at $q$, tz);   -- stored in time order, a period's facts lie on few pages
  IF full_run OR ndays > 7 THEN
    ANALYZE kpi.mention_fact;   -- the rollups below read it in this transaction
  END IF;

  took := took || kpi.lap('mentions', lap); lap := clock_timestamp();

  ---------------------------------------------------------------- volume
  EXECUTE 'DELETE FROM kpi.volume_daily WHERE ' || w_day;
  EXECUTE format($q$
    WITH f AS (
      SELECT * FROM pg_temp.kpi_p WHERE mention
    ), cat AS (
      SELECT DISTINCT post_id, category FROM pg_temp.kpi_mt
    ), rows AS (
      SELECT f.day, f.account_id, f.platform, coalesce(c.category, 'none') AS category, 1 AS mentions, 0 AS own_posts, 0 AS interactions
      FROM f LEFT JOIN cat c ON c.post_id = f.id
      UNION ALL SELECT f.day, f.account_id, f.platform, 'all', 1, 0, 0 FROM f
      UNION ALL SELECT p.day, p.account_id, p.platform, 'all', 0, 1, 0
      FROM pg_temp.kpi_p p WHERE p.own
      UNION ALL SELECT (i.occurred_at AT TIME ZONE %L)::date, i.account_id, i.platform, 'all', 0, 0, 1
      FROM social.interaction i WHERE %s
    )
    INSERT INTO kpi.volume_daily
    SELECT day, account_id, platform, category, sum(mentions), sum(own_posts), sum(interactions)
    FROM rows GROUP BY day, account_id, platform, category $q$, tz, w_int);

  took := took || kpi.lap('volume', lap); lap := clock_timestamp();

  ---------------------------------------------------------------- response
  EXECUTE 'DELETE FROM kpi.response_daily WHERE ' || w_day;
  EXECUTE format($q$
    INSERT INTO kpi.response_daily
    SELECT day, account_id, platform, count(*),
           count(*) FILTER (WHERE needs_answer),
           count(*) FILTER (WHERE needs_answer AND answered_at IS NOT NULL),
           round((count(*) FILTER (WHERE needs_answer AND answered_at IS NOT NULL))::numeric
                 / nullif(count(*) FILTER (WHERE needs_answer), 0), 4),
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY response_seconds) FILTER (WHERE needs_answer))::numeric, 1)::double precision,
           round((percentile_cont(0.9) WITHIN GROUP (ORDER BY response_seconds) FILTER (WHERE needs_answer))::numeric, 1)::double precision,
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY response_business_seconds) FILTER (WHERE needs_answer))::numeric, 1)::double precision,
           round((percentile_cont(0.9) WITHIN GROUP (ORDER BY response_business_seconds) FILTER (WHERE needs_answer))::numeric, 1)::double precision,
           count(feedback_seconds),
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY feedback_seconds))::numeric, 1)::double precision,
           round((percentile_cont(0.9) WITHIN GROUP (ORDER BY feedback_seconds))::numeric, 1)::double precision
    FROM kpi.mention_fact WHERE %s
    GROUP BY day, account_id, platform $q$, w_day);
  -- the response-time buckets behind kpi.response_percentile
  EXECUTE 'DELETE FROM kpi.response_hist WHERE ' || w_day;
  EXECUTE format($q$
    INSERT INTO kpi.response_hist
    SELECT day, account_id, platform, kpi.response_bucket(response_seconds), count(*),
           min(response_seconds), max(response_seconds)
    FROM kpi.mention_fact WHERE response_seconds IS NOT NULL AND %s
    GROUP BY 1, 2, 3, 4 $q$, w_day);

  took := took || kpi.lap('response', lap); lap := clock_timestamp();

  ---------------------------------------------------------------- sentiment
  EXECUTE 'DELETE FROM kpi.sentiment_daily WHERE ' || w_day;
  EXECUTE format($q$
    INSERT INTO kpi.sentiment_daily
    SELECT day, count(label), count(*) FILTER (WHERE label = 'positive'), count(*) FILTER (WHERE label = 'neutral'),
           count(*) FILTER (WHERE label = 'negative'), avg(sentiment),
           count(*) FILTER (WHERE complaint), round((count(*) FILTER (WHERE complaint))::numeric / count(*), 4)
    FROM kpi.mention_fact WHERE %s GROUP BY day $q$, w_day);

  took := took || kpi.lap('sentiment', lap); lap := clock_timestamp();

  ---------------------------------------------------------------- share of voice
  EXECUTE 'DELETE FROM kpi.share_of_voice_daily WHERE ' || w_day;
  WITH hits AS (
    SELECT day, rule_id, rule_name AS name, category, count(*) AS matches
    FROM pg_temp.kpi_mt WHERE category IN ('brand', 'competitor')
    GROUP BY day, rule_id, rule_name, category
  ), brand AS (
    SELECT day, count(DISTINCT post_id) AS n FROM pg_temp.kpi_mt WHERE category = 'brand' GROUP BY day
  ), tot AS (
    SELECT h.day, coalesce(max(b.n), 0) + coalesce(sum(h.matches) FILTER (WHERE h.category = 'competitor'), 0) AS n
    FROM hits h LEFT JOIN brand b ON b.day = h.day GROUP BY h.day
  )
  INSERT INTO kpi.share_of_voice_daily
  SELECT h.day, h.rule_id, h.name, h.category, h.matches, coalesce(b.n, 0),
         round(h.matches::numeric / nullif(t.n, 0), 4)
  FROM hits h JOIN tot t ON t.day = h.day LEFT JOIN brand b ON b.day = h.day;

  took := took || kpi.lap('voice', lap); lap := clock_timestamp();

  ---------------------------------------------------------------- audience
  EXECUTE 'DELETE FROM kpi.follower_daily WHERE ' || w_day;
  EXECUTE format($q$
    INSERT INTO kpi.follower_daily (day, account_id, new_followers, lost_followers)
    SELECT (at AT TIME ZONE %L)::date, account_id, count(*) FILTER (WHERE gained), count(*) FILTER (WHERE NOT gained)
    FROM (SELECT e.first_seen_at, e.account_id, true FROM social.follower_edge e WHERE %s
          UNION ALL
          SELECT e.unfollowed_at, e.account_id, false FROM social.follower_edge e WHERE e.unfollowed_at IS NOT NULL AND (%s)
         ) x(at, account_id, gained)
    GROUP BY 1, 2 $q$, tz, w_fol, w_unf);

  EXECUTE 'DELETE FROM kpi.engagement_daily WHERE ' || w_day;
  -- engagements: likes + reposts + replies + quotes of the latest snapshot,
  -- else of the post's metrics; followers: the account profile's count,
  -- else the follower edges seen that have not ended
  WITH acct AS (
    SELECT o.account_id AS id, pr.id AS own_id,
           coalesce(pr.follower_count, (SELECT count(*) FROM social.follower_edge e WHERE e.account_id = o.account_id AND e.unfollowed_at IS NULL)) AS followers
    FROM social.own_profile o JOIN social.profile pr ON pr.id = o.id
  ), pe AS (
    SELECT p.day, p.account_id, acct.followers,
           coalesce(s.n, coalesce((p.metrics->>'likes')::bigint, 0) + coalesce((p.metrics->>'reposts')::bigint, 0)
                         + coalesce((p.metrics->>'replies')::bigint, 0) + coalesce((p.metrics->>'quotes')::bigint, 0)) AS engagements
    FROM pg_temp.kpi_p p
    JOIN acct ON acct.id = p.account_id AND acct.own_id = p.author_id
    LEFT JOIN LATERAL (SELECT coalesce(x.likes, 0) + coalesce(x.reposts, 0) + coalesce(x.replies, 0) + coalesce(x.quotes, 0) AS n
                       FROM social.engagement_snapshot x WHERE x.post_id = p.id ORDER BY x.taken_at DESC LIMIT 1) s ON true
  )
  INSERT INTO kpi.engagement_daily
  SELECT day, account_id, count(*), sum(engagements), followers,
         round(sum(engagements)::numeric / count(*) / nullif(followers, 0), 6)
  FROM pe GROUP BY day, account_id, followers;

  took := took || kpi.lap('audience', lap); lap := clock_timestamp();

  ---------------------------------------------------------------- leads
  EXECUTE 'DELETE FROM kpi.lead_daily WHERE ' || w_day;
  EXECUTE format($q$
    WITH leads AS (   -- a lead counts on its post's day, else on its own
      SELECT q.created_at AS at, l.* FROM social.post q JOIN crm.lead l ON l.post_id = q.id WHERE (%2$s)
      UNION ALL
      SELECT l.created_at, l.* FROM crm.lead l WHERE l.post_id IS NULL AND (%3$s)
    ), rows AS (
      SELECT day, rule_id, account_id, 1 AS mentions, 0 AS leads, 0 AS qualified, 0 AS won, 0 AS lost, 0::numeric AS value
      FROM pg_temp.kpi_mt
      UNION ALL
      SELECT (l.at AT TIME ZONE %1$L)::date, l.rule_id, l.account_id, 0, 1,
             (l.qualified_at IS NOT NULL OR l.state IN ('qualified', 'won'))::integer,
             (l.state = 'won')::integer, (l.state = 'lost')::integer,
             CASE WHEN l.state = 'won' THEN coalesce(l.value, 0) ELSE 0 END
      FROM leads l
    )
    INSERT INTO kpi.lead_daily
    SELECT day, rule_id, account_id, sum(mentions), sum(leads), sum(qualified), sum(won), sum(lost), sum(value)
    FROM rows GROUP BY day, rule_id, account_id $q$,
    tz, kpi.day_pred('q.created_at', full_run), kpi.day_pred('l.created_at', full_run));

  took := took || kpi.lap('leads', lap);
  RETURN kpi.finish_refresh(started, t0, full_run, ndays, took);
END $$;

REVOKE ALL ON FUNCTION kpi.refresh(boolean) FROM PUBLIC;
GRANT USAGE ON SCHEMA kpi TO parley_harvest;
GRANT EXECUTE ON FUNCTION kpi.refresh(boolean) TO parley_harvest;
