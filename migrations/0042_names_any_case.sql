-- Team and SLA policy names are unique whatever their case: "customer care"
-- beside "Customer care" reads as one team on every page. Names that already
-- clash keep the first; the others get their id after them.
UPDATE crm.team t SET name = left(t.name, 180) || ' (' || t.id || ')'
WHERE EXISTS (SELECT FROM crm.team u WHERE lower(u.name) = lower(t.name) AND u.id < t.id);
UPDATE crm.sla_policy p SET name = left(p.name, 180) || ' (' || p.id || ')'
WHERE EXISTS (SELECT FROM crm.sla_policy q WHERE lower(q.name) = lower(p.name) AND q.id < p.id);
CREATE UNIQUE INDEX team_name_lower_key ON crm.team (lower(name));
CREATE UNIQUE INDEX sla_policy_name_lower_key ON crm.sla_policy (lower(name));
