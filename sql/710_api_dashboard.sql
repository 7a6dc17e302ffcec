-- The page after sign-in: headline counts from the social model, then the
-- KPIs from the kpi rollups (sql/70x) for a period against the one before,
-- charts as SVG geometry (sql/650) and the data behind each chart.

-- The dashboard's filters, checked once: period in days (7, 30 or 90) ending
-- today or on an earlier day ("to", YYYY-MM-DD), and optional account,
-- platform and team. brandwide: no account or platform chosen; else
-- accounts: the brand accounts in scope (for rollups that carry an account,
-- not a platform: leads, followers). past: the period ends before today.
DROP FUNCTION IF EXISTS chart.filters(jsonb);
CREATE OR REPLACE FUNCTION chart.filters(p jsonb) RETURNS TABLE (
  days integer, first_day date, last_day date, prev_first date, account bigint, platform text, team bigint,
  brandwide boolean, accounts bigint[], past boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE today date := (now() AT TIME ZONE coalesce((SELECT tz FROM kpi.freshness), 'UTC'))::date;
BEGIN
  days := coalesce(nullif(p->>'period', '')::integer, 30);
  IF days NOT IN (7, 30, 90) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The period is 7, 30 or 90 days.', HINT = 'err.period';
  END IF;
  last_day := today;
  IF coalesce(p->>'to', '') <> '' THEN
    -- only a plain date: PostgreSQL also reads 'today', 'epoch' and
    -- '-infinity' (a day series without end)
    BEGIN
      last_day := CASE WHEN p->>'to' ~ '^\d{4}-\d{2}-\d{2}$' THEN (p->>'to')::date END;
    EXCEPTION WHEN data_exception THEN
      last_day := NULL;
    END;
    IF last_day IS NULL THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'The end date must be a day like 2026-03-31.', HINT = 'err.end_date';
    ELSIF last_day < DATE '2000-01-01' THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'The end date must be in 2000 or later.', HINT = 'err.end_date_early';
    END IF;
    IF last_day > today THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'The end date cannot be after today.', HINT = 'err.end_date_future';
    END IF;
  END IF;
  first_day := last_day - days + 1;
  past := last_day < today;
  prev_first := first_day - days;
  account := nullif(p->>'account', '')::bigint;
  platform := nullif(p->>'platform', '');
  team := nullif(p->>'team', '')::bigint;
  -- a filter naming nothing (a bookmark of a deleted account) says so,
  -- rather than showing empty tiles
  IF account IS NOT NULL AND NOT EXISTS (SELECT FROM social.account a WHERE a.id = filters.account) THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such account.', HINT = 'err.no_account';
  ELSIF platform IS NOT NULL AND NOT EXISTS (SELECT FROM social.platform pl WHERE pl.code = filters.platform) THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such platform.', HINT = 'err.no_platform';
  ELSIF team IS NOT NULL AND NOT EXISTS (SELECT FROM crm.team t WHERE t.id = filters.team) THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such team.', HINT = 'err.no_team';
  ELSIF account IS NOT NULL AND platform IS NOT NULL
        AND NOT EXISTS (SELECT FROM social.account a WHERE a.id = filters.account AND a.platform = filters.platform) THEN
    -- (nothing could match both: every tile would be empty, with no reason given)
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The account chosen is not on the platform chosen: choose one of them, or an account on that platform.',
                                 HINT = 'err.filter_account_platform';
  END IF;
  brandwide := account IS NULL AND platform IS NULL;
  IF NOT brandwide THEN
    accounts := ARRAY(SELECT a.id FROM social.account a
                      WHERE (account IS NULL OR a.id = account) AND (filters.platform IS NULL OR a.platform = filters.platform));
  END IF;
  RETURN NEXT;
END $$;
DROP FUNCTION IF EXISTS chart.account_in_scope(bigint, bigint, text);

-- Every series of the dashboard, as rows: what the charts draw and the CSV
-- exports contain. chart: volume | response | sentiment | voice | backlog | leads.
CREATE OR REPLACE FUNCTION chart.series(p_chart text, p jsonb)
RETURNS TABLE (label text, value numeric, extra jsonb)
LANGUAGE plpgsql STABLE AS $$
DECLARE f record;
BEGIN
  SELECT * INTO f FROM chart.filters(p);
  CASE p_chart
  WHEN 'volume' THEN  -- inbound mentions per day
    RETURN QUERY SELECT d::date::text, coalesce(sum(v.mentions), 0)::numeric,
                        jsonb_build_object('own_posts', coalesce(sum(v.own_posts), 0), 'interactions', coalesce(sum(v.interactions), 0))
      FROM generate_series(f.first_day, f.last_day, interval '1 day') d
      LEFT JOIN kpi.volume_daily v ON v.day = d::date AND v.category = 'all'
        AND (f.account IS NULL OR v.account_id = f.account) AND (f.platform IS NULL OR v.platform = f.platform)
      GROUP BY d ORDER BY d;
  WHEN 'response' THEN  -- share of mentions needing an answer that got one, per day (percent)
    RETURN QUERY SELECT d::date::text,
                        round(100.0 * coalesce(sum(r.answered), 0) / nullif(sum(r.needing_answer), 0), 1),
                        jsonb_build_object('needing_answer', coalesce(sum(r.needing_answer), 0), 'answered', coalesce(sum(r.answered), 0))
      FROM generate_series(f.first_day, f.last_day, interval '1 day') d
      LEFT JOIN kpi.response_daily r ON r.day = d::date
        AND (f.account IS NULL OR r.account_id = f.account) AND (f.platform IS NULL OR r.platform = f.platform)
      GROUP BY d ORDER BY d;
  WHEN 'sentiment' THEN  -- negative share of scored mentions per day (percent); all accounts
    RETURN QUERY SELECT d::date::text, round(100.0 * s.negative / nullif(s.scored, 0), 1),
                        jsonb_build_object('positive', s.positive, 'neutral', s.neutral, 'negative', s.negative,
                                           'complaints', s.complaints, 'mean_score', s.mean_score)
      FROM generate_series(f.first_day, f.last_day, interval '1 day') d
      LEFT JOIN kpi.sentiment_daily s ON s.day = d::date ORDER BY d;
  WHEN 'voice' THEN  -- matches per brand and competitor rule over the period
    RETURN QUERY SELECT v.rule_name, sum(v.matches)::numeric, jsonb_build_object('category', min(v.category))
      FROM kpi.share_of_voice_daily v WHERE v.day BETWEEN f.first_day AND f.last_day
      GROUP BY v.rule_name ORDER BY sum(v.matches) DESC, v.rule_name LIMIT 12;
  WHEN 'backlog' THEN  -- open cases by age, as the last refresh counted them
    RETURN QUERY SELECT b.bucket, sum(b.open_cases)::numeric, jsonb_build_object('order', min(b.bucket_order))
      FROM kpi.backlog_snapshot b WHERE (f.team IS NULL OR b.team_id = f.team)
      GROUP BY b.bucket ORDER BY min(b.bucket_order);
  WHEN 'leads' THEN  -- the funnel over the period: the inbound mentions (as the
    -- mentions tile counts them: lead_daily's are per rule, so one post matched
    -- by two rules is there twice), then the leads and how far they came
    RETURN QUERY SELECT x.k, x.v::numeric, '{}'::jsonb FROM (
      SELECT (SELECT coalesce(sum(v.mentions), 0) FROM kpi.volume_daily v
              WHERE v.day BETWEEN f.first_day AND f.last_day AND v.category = 'all'
                AND (f.account IS NULL OR v.account_id = f.account) AND (f.platform IS NULL OR v.platform = f.platform)) AS m,
             coalesce(sum(l.leads), 0) AS ld, coalesce(sum(l.qualified), 0) AS q, coalesce(sum(l.won), 0) AS w
      FROM kpi.lead_daily l WHERE l.day BETWEEN f.first_day AND f.last_day
        AND (f.brandwide OR l.account_id = ANY (f.accounts))) t,
      LATERAL (VALUES (1, 'mentions', t.m), (2, 'leads', t.ld), (3, 'qualified', t.q), (4, 'won', t.w)) x(o, k, v)
      ORDER BY x.o;
  ELSE
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such chart.', HINT = 'err.no_chart';
  END CASE;
END $$;

-- A KPI tile: this period's value, the previous period's, and the change.
-- known, known_previous and compared say which exist (a template cannot
-- tell 0 from nothing).
CREATE OR REPLACE FUNCTION chart.tile(p_key text, p_now numeric, p_before numeric, p_link text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('key', p_key, 'value', p_now, 'previous', p_before, 'link', p_link,
    'change', c.change, 'up', p_now > p_before, 'down', p_now < p_before,
    'known', p_now IS NOT NULL, 'known_previous', p_before IS NOT NULL, 'compared', c.change IS NOT NULL)
  FROM (SELECT CASE WHEN p_now IS NOT NULL AND p_before IS NOT NULL AND p_before <> 0
                    THEN round(100 * (p_now - p_before) / abs(p_before), 1) END AS change) c
$$;

-- One chart of the dashboard drawn: its series as bars or a line, its name,
-- and whether it has anything to show: a count above 0; for the charts of
-- shares (a day with nothing to share out has none), any share, 0 % too.
CREATE OR REPLACE FUNCTION chart.draw(p_chart text, p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE rows jsonb;
BEGIN
  SELECT coalesce(jsonb_agg(jsonb_build_object('label', s.label, 'value', s.value)), '[]') INTO rows
  FROM chart.series(p_chart, p) s;
  RETURN CASE WHEN p_chart IN ('voice', 'backlog', 'leads') THEN chart.bars(rows) ELSE chart.line(rows) END
         || jsonb_build_object('name', p_chart,
                               'empty', NOT EXISTS (SELECT FROM jsonb_array_elements(rows) e
                                                    WHERE CASE WHEN p_chart IN ('response', 'sentiment')
                                                               THEN e->>'value' IS NOT NULL
                                                               ELSE (e->>'value')::numeric > 0 END));
END $$;

-- The KPI part of the dashboard for one choice of filters: tiles for the
-- period against the one before, and every chart's geometry.
DROP FUNCTION IF EXISTS chart.kpi_doc(jsonb, jsonb);
CREATE OR REPLACE FUNCTION chart.kpi_doc(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE f record; cur jsonb; prev jsonb; scope text;
BEGIN
  SELECT * INTO f FROM chart.filters(p);
  -- the inbox behind a tile, with the account and platform chosen here
  scope := concat_ws('&', 'account=' || f.account, 'platform=' || f.platform);
  -- the headline KPIs for a window of days
  WITH w(name, a, b) AS (VALUES ('cur', f.first_day, f.last_day), ('prev', f.prev_first, f.first_day - 1)),
  k AS (
    SELECT w.name,
      -- (counts: none counted is 0, as in the lead funnel; a rate over nothing is unknown)
      (SELECT coalesce(sum(mentions), 0) FROM kpi.volume_daily v WHERE v.day BETWEEN w.a AND w.b AND v.category = 'all'
         AND (f.account IS NULL OR v.account_id = f.account) AND (f.platform IS NULL OR v.platform = f.platform)) AS mentions,
      (SELECT round(100.0 * sum(answered) / nullif(sum(needing_answer), 0), 1) FROM kpi.response_daily r
        WHERE r.day BETWEEN w.a AND w.b
          AND (f.account IS NULL OR r.account_id = f.account) AND (f.platform IS NULL OR r.platform = f.platform)) AS response_rate,
      round((kpi.response_percentile(w.a, w.b, f.account, f.platform, 0.5) / 60)::numeric, 1) AS response_minutes,
      (SELECT round(100.0 * sum(complaints) / nullif(sum(scored), 0), 1) FROM kpi.sentiment_daily s
        WHERE s.day BETWEEN w.a AND w.b) AS complaint_share,
      (SELECT coalesce(sum(won), 0) FROM kpi.lead_daily l WHERE l.day BETWEEN w.a AND w.b
          AND (f.brandwide OR l.account_id = ANY (f.accounts))) AS won,
      fo.followers, fo.net_new_followers
    FROM w
    CROSS JOIN LATERAL (
      SELECT sum(new_followers) AS followers, sum(new_followers - lost_followers) AS net_new_followers
      FROM kpi.follower_daily fd WHERE fd.day BETWEEN w.a AND w.b
        AND (f.brandwide OR fd.account_id = ANY (f.accounts))) fo)
  SELECT to_jsonb(c), to_jsonb(pr) INTO cur, prev FROM k c, k pr WHERE c.name = 'cur' AND pr.name = 'prev';
  RETURN jsonb_build_object(
    'kpi', jsonb_build_object(
      'mentions', chart.tile('mentions', (cur->>'mentions')::numeric, (prev->>'mentions')::numeric,
                             '/inbox' || CASE WHEN scope <> '' THEN '?' || scope ELSE '' END),
      'response_rate', chart.tile('response_rate', (cur->>'response_rate')::numeric, (prev->>'response_rate')::numeric,
                                  concat_ws('&', '/inbox?answered=no', nullif(scope, ''))),
      -- (the cases behind it only for those who may open them: kpi_tile.mustache)
      'response_minutes', chart.tile('response_minutes', (cur->>'response_minutes')::numeric, (prev->>'response_minutes')::numeric)
                          || jsonb_build_object('cases_link', '/cases?state=active'),
      -- sentiment is rolled up for the brand as a whole (kpi.sentiment_daily):
      -- no complaint share for one account or platform
      'complaint_share', CASE WHEN f.brandwide THEN
        chart.tile('complaint_share', (cur->>'complaint_share')::numeric, (prev->>'complaint_share')::numeric, '/inbox?category=complaint') END,
      'leads_won', chart.tile('leads_won', (cur->>'won')::numeric, (prev->>'won')::numeric, NULL),
      'new_followers', chart.tile('new_followers', (cur->>'followers')::numeric, (prev->>'followers')::numeric, NULL),
      'net_new_followers', chart.tile('net_new_followers', (cur->>'net_new_followers')::numeric,
                                      (prev->>'net_new_followers')::numeric, NULL)),
    'charts', (SELECT jsonb_object_agg(c, chart.draw(c, p))
               FROM unnest(ARRAY['volume', 'response', 'sentiment', 'voice', 'backlog', 'leads']) c
               -- (likewise sentiment and share of voice)
               WHERE c NOT IN ('sentiment', 'voice') OR f.brandwide));
END $$;

-- Rebuild the backlog snapshot and kpi.dashboard_cache for the unfiltered
-- periods, dropping the filtered views cached since the last refresh (called
-- by kpi.refresh as it finishes, p_refreshed_at being its start).
CREATE OR REPLACE FUNCTION chart.cache_dashboard(p_refreshed_at timestamptz) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM kpi.backlog_snapshot;
  INSERT INTO kpi.backlog_snapshot (team_id, agent_id, bucket, bucket_order, open_cases, oldest_created_at)
    SELECT team_id, agent_id, bucket, bucket_order, open_cases, oldest_created_at FROM kpi.backlog;
  DELETE FROM kpi.dashboard_cache;
  INSERT INTO kpi.dashboard_cache (period, last_day, refreshed_at, kpi, charts)
  SELECT d, (SELECT last_day FROM chart.filters(jsonb_build_object('period', d))), p_refreshed_at,
         (doc->'kpi')::json, (doc->'charts')::json
  FROM unnest(ARRAY[7, 30, 90]) d, chart.kpi_doc(jsonb_build_object('period', d)) doc;
$$;

-- json, not jsonb: the cached tiles and charts go into the document as the
-- text they are (jsonb would take them apart and rebuild them per request).
-- A filtered view ending today is computed on its first request and cached
-- until the next refresh (a cache, not state: the figures are the same
-- either way); chart.filters refuses filters naming nothing, so the table
-- stays small.
-- The refresh time is read before computing: a refresh committing meanwhile
-- leaves the entry unused, never wrong.
CREATE FUNCTION api.dashboard(p jsonb DEFAULT '{}') RETURNS json
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  f record; tiles json; charts json; live jsonb; choices record;
  fresh timestamptz := (SELECT refreshed_at FROM kpi.freshness);
BEGIN
  PERFORM auth.require();
  SELECT * INTO f FROM chart.filters(p);
  SELECT * INTO choices FROM crm.filter_lists(f.account, f.platform, f.team);
  SELECT c.kpi, c.charts INTO tiles, charts FROM kpi.dashboard_cache c
  WHERE c.period = f.days AND c.last_day = f.last_day AND c.refreshed_at = fresh
    AND c.account IS NOT DISTINCT FROM f.account AND c.platform IS NOT DISTINCT FROM f.platform
    AND c.team IS NOT DISTINCT FROM f.team;
  IF tiles IS NULL THEN
    live := chart.kpi_doc(p);
    tiles := (live->'kpi')::json;
    charts := (live->'charts')::json;
    IF fresh IS NOT NULL AND coalesce(p->>'to', '') = '' THEN
      INSERT INTO kpi.dashboard_cache (period, last_day, account, platform, team, refreshed_at, kpi, charts)
      VALUES (f.days, f.last_day, f.account, f.platform, f.team, fresh, tiles, charts)
      ON CONFLICT DO NOTHING;
    END IF;
  END IF;
  RETURN json_build_object(
    'kpi', tiles,
    'charts', charts,
    'counts', social.tallies(),
    'filters', jsonb_build_object('period', f.days, 'account', f.account, 'platform', f.platform, 'team', f.team,
                                  'scoped', NOT f.brandwide,
                                  'team_only', f.team IS NOT NULL,   -- (the team filter applies to the backlog alone)
                                  -- (the backlog is of now, whatever the period)
                                  'backlog_now', f.past,
                                  'from', f.first_day, 'to', f.last_day, 'until', nullif(p->>'to', '')),
    'query', concat_ws('&', 'period=' || f.days, 'account=' || f.account, 'platform=' || f.platform, 'team=' || f.team,
                       'to=' || nullif(p->>'to', '')),
    'periods', (SELECT jsonb_agg(jsonb_build_object('days', d, 'selected', d = f.days) ORDER BY d) FROM unnest(ARRAY[7, 30, 90]) d),
    'accounts', choices.accounts,
    'platforms', choices.platforms,
    'teams', choices.teams,
    'refreshed_at', (SELECT refreshed_at FROM kpi.freshness),
    'report_zone', (SELECT tz FROM kpi.freshness));   -- the zone whose calendar days the figures count
END $$;

-- One chart's data as CSV rows (the web worker writes the file): the day or
-- name, the value drawn, then one column per detail the series carries (a
-- spreadsheet reads columns, not a JSON object in a cell).
CREATE FUNCTION api.dashboard_export(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE f record; c text := coalesce(p->>'chart', '');
BEGIN
  PERFORM auth.require();
  SELECT * INTO f FROM chart.filters(p);
  IF c IN ('sentiment', 'voice') AND NOT f.brandwide THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Sentiment and share of voice are counted for the whole brand, not for one account or platform.',
                                 HINT = 'err.chart_brandwide';
  END IF;
  RETURN (
    WITH s AS MATERIALIZED (SELECT row_number() OVER () AS n, x.* FROM chart.series(c, p) x),
    k AS (SELECT coalesce(array_agg(DISTINCT key ORDER BY key), '{}') AS keys FROM s, jsonb_object_keys(s.extra) key)
    SELECT jsonb_build_object(
      'filename', format('parley-%s-%s-%s.csv', c, f.first_day, f.last_day),
      'header', jsonb_build_array('label', 'value') || to_jsonb(k.keys),
      'rows', coalesce((SELECT jsonb_agg(jsonb_build_array(s.label, s.value)
                                         || coalesce((SELECT jsonb_agg(coalesce(s.extra->x.key, 'null') ORDER BY x.o)
                                                      FROM unnest(k.keys) WITH ORDINALITY x(key, o)), '[]') ORDER BY s.n)
                        FROM s), '[]'))
    FROM k);
END $$;

-- The cache holds documents made by the code before this migrate (their
-- tiles may lack what the templates now read): start it afresh. It is a
-- cache, not state: the next view computes and caches again.
DELETE FROM kpi.dashboard_cache;
