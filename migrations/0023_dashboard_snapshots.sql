-- The dashboard without per-request counting (issue 6).
-- The open-case backlog as kpi.refresh() last counted it: what the dashboard
-- draws (filtered or not), so a page never counts every open case. BI tools
-- keep the live kpi.backlog view.
CREATE TABLE kpi.backlog_snapshot (
  team_id           bigint,
  agent_id          bigint,
  bucket            text NOT NULL,
  bucket_order      integer NOT NULL,
  open_cases        bigint NOT NULL,
  oldest_created_at timestamptz NOT NULL
);
COMMENT ON TABLE kpi.backlog_snapshot IS
  'Open-case backlog as of the last kpi.refresh() (kpi.freshness.refreshed_at). Grain: team x agent x age bucket. Unit: cases.';

-- Filtered views of the dashboard (account, platform, team) are cached too,
-- on their first view, until the next kpi.refresh() empties the table: the
-- figures only change when the rollups do.
DELETE FROM kpi.dashboard_cache;
ALTER TABLE kpi.dashboard_cache DROP CONSTRAINT dashboard_cache_pkey,
  ADD COLUMN account  bigint,
  ADD COLUMN platform text,
  ADD COLUMN team     bigint;
ALTER TABLE kpi.dashboard_cache ADD CONSTRAINT dashboard_cache_key
  UNIQUE NULLS NOT DISTINCT (period, last_day, refreshed_at, account, platform, team);
COMMENT ON TABLE kpi.dashboard_cache IS
  'Internal to the web dashboard, not part of the BI contract: its KPI tiles and charts (json) per period in days '
  'and filter (account, platform, team; NULL = all), as of the kpi.refresh() at refreshed_at.';
