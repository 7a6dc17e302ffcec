-- Roles and schemas (DESIGN.md "PostgreSQL layout"). Roles are cluster-wide,
-- so create them only when missing; the owner needs CREATEROLE for this.
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['parley_web', 'parley_hooks', 'parley_harvest', 'parley_bi'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', r);
    END IF;
  END LOOP;
END $$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
-- Functions are not callable by everyone unless granted (api grants are in sql/).
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
DO $$ BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO parley_web, parley_hooks, parley_harvest, parley_bi',
                 current_database());
END $$;

CREATE SCHEMA auth;     -- staff, sessions, login attempts, audit log
CREATE SCHEMA social;   -- accounts, profiles, posts, interactions
CREATE SCHEMA ingest;   -- raw pages, webhook inbox, jobs, cursors
CREATE SCHEMA crm;      -- contacts, leads, cases, knowledge base
CREATE SCHEMA listen;   -- listening rules, matches, lexicons
CREATE SCHEMA mkt;      -- campaigns, codes, publishing
CREATE SCHEMA loyalty;  -- points ledger, rewards, referrals
CREATE SCHEMA seg;      -- segments, scores, stages
CREATE SCHEMA kpi;      -- views for BI tools (parley_bi reads only this)
-- maint (scheduled work) is created by `parley migrate`, which keeps its ledger there.

GRANT USAGE ON SCHEMA kpi TO parley_bi;
ALTER DEFAULT PRIVILEGES IN SCHEMA kpi GRANT SELECT ON TABLES TO parley_bi;
