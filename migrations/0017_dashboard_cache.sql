-- The dashboard's default view (no account, platform or team filter) for
-- each period, built by kpi.refresh() from the rollups it has just written:
-- the page after sign-in reads one row instead of recomputing its tiles and
-- six charts on every request. A cache, not data: api.dashboard computes
-- live when the row is missing or older than the last refresh or the day.
CREATE TABLE kpi.dashboard_cache (
  period       integer PRIMARY KEY CHECK (period IN (7, 30, 90)),
  last_day     date NOT NULL,          -- the period's last day (kpi.freshness.tz)
  refreshed_at timestamptz NOT NULL,   -- the kpi.refresh() that built it
  kpi          json NOT NULL,          -- the tiles
  charts       json NOT NULL           -- every chart's geometry
);
-- json, not jsonb: the page's document is assembled around them as text,
-- which jsonb would take apart and rebuild on every request.
COMMENT ON TABLE kpi.dashboard_cache IS
  'Internal to the web dashboard, not part of the BI contract: its KPI tiles and charts (json) per period in days, '
  'as of the kpi.refresh() at refreshed_at; grain: one row per period.';
