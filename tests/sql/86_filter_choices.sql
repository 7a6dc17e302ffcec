-- The filter lists pages offer (crm.filter_choices), kept by statement
-- triggers on brand accounts, platforms and teams, and marked by
-- crm.filter_lists; and two accounts added at the same moment both listed.
BEGIN;
SELECT plan(9);
\ir lib/waits_for.sql
CREATE FUNCTION pg_temp.fresh() RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object(
    'accounts', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'handle', handle, 'platform', platform, 'selected', false)
                                           ORDER BY platform, handle) FROM social.account), '[]'),
    'platforms', (SELECT jsonb_agg(jsonb_build_object('code', code, 'platform', code, 'name', name, 'selected', false) ORDER BY name)
                  FROM social.platform),
    'teams', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'name', name, 'selected', false) ORDER BY name) FROM crm.team), '[]'))
$$;
CREATE FUNCTION pg_temp.stored() RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('accounts', accounts, 'platforms', platforms, 'teams', teams) FROM crm.filter_choices
$$;
-- Two connections add an account each at the same moment: the second waits
-- for the first's lists, then rebuilds them seeing its account. (First: this
-- transaction's own changes below hold the lists' row until the end.) The
-- lists are rebuilt at commit; SET CONSTRAINTS ALL IMMEDIATE here and in h
-- rebuilds them at once, as a commit would.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect(n, format('dbname=%s port=%s host=%s user=postgres', current_database(),
                      current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)))
FROM (VALUES ('h'), ('c')) AS x(n);
SELECT dblink_exec('h', 'BEGIN');
SELECT dblink_exec('h', $$INSERT INTO social.account (platform, handle) VALUES ('x', 'tap_race_choice_1')$$);
SELECT dblink_exec('h', 'SET CONSTRAINTS ALL IMMEDIATE');   -- (its lists rebuilt now, not at its commit)
SELECT dblink_send_query('c', $$INSERT INTO social.account (platform, handle) VALUES ('x', 'tap_race_choice_2')$$);
SELECT pid AS h_pid FROM dblink('h', 'SELECT pg_backend_pid()') AS r(pid integer) \gset
SELECT ok(pg_temp.waits_for('tap_race_choice_2', :h_pid), 'an account added while another is being added waits for its lists');
SELECT dblink_exec('h', 'COMMIT');
SELECT * FROM dblink_get_result('c') AS r(x text);
SELECT is((SELECT count(*)::integer FROM crm.filter_choices, jsonb_array_elements(accounts) e
           WHERE e->>'handle' LIKE 'tap\_race\_choice\__'), 2, '… and then both are listed');
SELECT dblink_exec('h', $$DELETE FROM social.account WHERE handle LIKE 'tap\_race\_choice\__'$$);
SELECT dblink_disconnect(n) FROM (VALUES ('h'), ('c')) AS x(n);
SET CONSTRAINTS ALL IMMEDIATE;
SELECT is(pg_temp.stored(), pg_temp.fresh(), 'the stored lists are the tables'' rows');
INSERT INTO social.account (platform, handle) VALUES ('mastodon', 'tap_choice_a@example.social'), ('x', 'tap_choice_b');
INSERT INTO crm.team (name) VALUES ('Tap choice team');
SELECT is(pg_temp.stored(), pg_temp.fresh(), '… after adding two accounts and a team');
UPDATE social.account SET handle = 'tap_choice_c' WHERE handle = 'tap_choice_b';
SELECT ok(pg_temp.stored()->'accounts' @> '[{"handle": "tap_choice_c"}]'
          AND NOT pg_temp.stored()->'accounts' @> '[{"handle": "tap_choice_b"}]', '… after renaming one');
DELETE FROM social.account WHERE handle = 'tap_choice_c';
SELECT is(pg_temp.stored(), pg_temp.fresh(), '… after deleting one');
SELECT id AS a FROM social.account WHERE handle = 'tap_choice_a@example.social' \gset
SELECT is((SELECT jsonb_path_query_array(accounts, '$[*] ? (@.selected == true).id') FROM crm.filter_lists(:a, 'x', NULL)),
          jsonb_build_array(:a), 'an account chosen is the one marked');
SELECT is((SELECT jsonb_path_query_array(platforms, '$[*] ? (@.selected == true).code') FROM crm.filter_lists(:a, 'x', NULL)),
          '["x"]', '… and a platform chosen');
SELECT is((SELECT jsonb_array_length(accounts) FROM crm.filter_lists(:a, NULL, NULL)),
          (SELECT count(*)::integer FROM social.account), '… none left out');

SELECT * FROM finish();
ROLLBACK;
