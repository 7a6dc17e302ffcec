-- Faster KPI refresh after a day of new data, and window medians (issue 6).
-- Interactions of a day: they arrive roughly in time order, so a BRIN index
-- finds a day's pages in a month partition at almost no cost per insert
-- (the volume rollup scanned the whole month's partition before).
CREATE INDEX interaction_occurred_brin ON social.interaction USING brin (occurred_at);
-- A period's response times for the dashboard's median, read from the index
-- alone (with the account and platform a filtered dashboard asks for)
-- instead of every fact row of the period.
CREATE INDEX mention_fact_response_idx ON kpi.mention_fact (day, response_seconds) INCLUDE (account_id, platform)
  WHERE response_seconds IS NOT NULL;

-- Response times per day x account x platform in logarithmic buckets, kept
-- by kpi.refresh() with the facts: a period's median is located from these
-- counts and then read exactly from the one bucket that holds it (with the
-- index above), instead of sorting every response time of the period.
CREATE TABLE kpi.response_hist (
  day        date NOT NULL,
  account_id bigint,
  platform   text NOT NULL,
  bucket     smallint NOT NULL,   -- kpi.response_bucket(response_seconds)
  n          bigint NOT NULL,     -- facts in the bucket
  lo         bigint NOT NULL,     -- their smallest and largest response_seconds
  hi         bigint NOT NULL
);
CREATE INDEX response_hist_day_idx ON kpi.response_hist (day);
COMMENT ON TABLE kpi.response_hist IS
  'Internal to kpi.response_percentile, not part of the BI contract: counts of mention_fact.response_seconds '
  'per day x account x platform x logarithmic bucket.';
-- Filled by the next kpi.refresh(), which is a full one from here.
UPDATE kpi.freshness SET refreshed_at = NULL;
