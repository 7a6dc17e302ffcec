-- The dashboard's backlog chart counts open cases by age: from this index
-- alone, not from the whole case table.
CREATE INDEX case_open_age_idx ON crm."case" (created_at) INCLUDE (team_id, assignee_id)
  WHERE state IN ('new', 'open', 'pending');
