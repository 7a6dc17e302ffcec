-- The lists pages offer as filters (brand accounts, platforms, teams), kept
-- up to date by triggers on the three tables (sql/610_crm.sql, at commit):
-- the page after sign-in reads one row instead of building three lists on
-- every request. One row; derived data, rebuilt on every migrate.
CREATE TABLE crm.filter_choices (
  only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  accounts  jsonb NOT NULL DEFAULT '[]',   -- [{id, handle, platform, selected: false}] by platform, handle
  platforms jsonb NOT NULL DEFAULT '[]',   -- [{code, platform, name, selected: false}] by name
  teams     jsonb NOT NULL DEFAULT '[]'    -- [{id, name, selected: false}] by name
);
INSERT INTO crm.filter_choices DEFAULT VALUES;
