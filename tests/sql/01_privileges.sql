-- What each role may do: the web role only calls api functions, parley_bi only reads kpi.
BEGIN;
SELECT plan(17);

\ir lib/sqlstate_as.sql

SELECT has_role('parley_web');
SELECT has_role('parley_hooks');
SELECT has_role('parley_harvest');
SELECT has_role('parley_bi');

-- Parley's own relations (pgTAP's views, which belong to its extension, are not).
CREATE TEMP VIEW parley_relations AS
  SELECT c.oid, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_temp%'
    AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                    AND d.objid = c.oid AND d.deptype = 'e');

SELECT is(
  (SELECT count(*) FROM parley_relations
   WHERE has_table_privilege('parley_web', oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')),
  0::bigint, 'parley_web holds no privilege on any table or view');

SELECT is(
  (SELECT count(*) FROM parley_relations
   WHERE nspname <> 'kpi' AND has_table_privilege('parley_bi', oid, 'SELECT,INSERT,UPDATE,DELETE')),
  0::bigint, 'parley_bi holds no privilege on any relation outside kpi');

SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT * FROM auth.staff'), '42501', 'web role cannot read auth.staff');
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT * FROM auth.session'), '42501', 'web role cannot read sessions');
SELECT is(pg_temp.sqlstate_as('parley_web', 'INSERT INTO social.post (platform, external_id, created_at) VALUES (''x'', ''1'', now())'),
          '42501', 'web role cannot write social.post');
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT auth.user_add(''eve'', ''Eve'', ''admin'', ''$argon2id$x'')'),
          '42501', 'web role cannot call auth functions directly');
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT api.dashboard(''{}'')'), 'PR401',
          'web role may call api.dashboard, which then demands a session');
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT api.viewer()'), 'ok', 'web role may call api.viewer');

-- parley_bi: kpi only, and only reading.
SET LOCAL ROLE parley_owner;  -- default privileges apply to what the owner creates
CREATE VIEW kpi.tap_probe AS SELECT 1 AS one;
RESET ROLE;
SELECT is(pg_temp.sqlstate_as('parley_bi', 'SELECT * FROM kpi.tap_probe'), 'ok', 'parley_bi reads kpi views');
SELECT is(pg_temp.sqlstate_as('parley_bi', 'SELECT * FROM social.post'), '42501', 'parley_bi cannot read social.post');
SELECT is(pg_temp.sqlstate_as('parley_bi', 'SELECT api.viewer()'), '42501', 'parley_bi cannot call api functions');
SELECT is(pg_temp.sqlstate_as('parley_bi', 'CREATE TABLE kpi.evil (x int)'), '42501', 'parley_bi cannot create in kpi');

SELECT is((SELECT setconfig FROM pg_db_role_setting
           WHERE setrole = 'parley_web'::regrole AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())),
          '{statement_timeout=30s}'::text[], 'a web request''s statement is cancelled after 30 s (nginx waits 60)');
SELECT * FROM finish();
ROLLBACK;
