-- What the dashboard reads per period, from indexes alone: the response
-- times behind its median tile, and the open cases behind the backlog chart.
CREATE INDEX mention_fact_response_idx ON kpi.mention_fact (day) INCLUDE (response_seconds, account_id, platform)
  WHERE response_seconds IS NOT NULL;
CREATE INDEX case_open_age_idx ON crm."case" (created_at) INCLUDE (team_id, assignee_id)
  WHERE state IN ('new', 'open', 'pending');
