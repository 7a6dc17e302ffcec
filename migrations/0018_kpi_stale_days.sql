-- Days whose KPI rows depend on something that is gone (a hard-deleted
-- post, interaction, follower edge, case, lead or rule match) or changed
-- meaning (a rule's category): no newer timestamp marks them, so the
-- incremental kpi.refresh() reads them from here and empties it. Filled by
-- statement triggers (sql/700_kpi.sql).
CREATE TABLE kpi.stale_day (
  at       timestamptz NOT NULL,           -- an instant on the stale day, as the rows had it
  noted_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE kpi.stale_day IS
  'Internal bookkeeping of kpi.refresh(), not part of the BI contract: instants (at) on days to recompute '
  'because rows they counted were deleted or re-categorised; grain: one row per change.';
