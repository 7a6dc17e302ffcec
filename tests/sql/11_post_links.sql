-- Links between posts (parent, root, shared post), migration 0026: a post
-- stored with the post it points at is written already linked; one stored
-- before it is linked when it arrives; and when another transaction stores
-- the pointed-at post first, the drawn id that went unused is corrected
-- before commit.
BEGIN;
SELECT plan(12);
\ir lib/waits_for.sql
SET LOCAL client_min_messages = warning;

-- A Mastodon status (account 'tap-links-author'), replying to p_parent and
-- reblogging p_reblog (a full status) when given.
CREATE FUNCTION pg_temp.status(p_id text, p_parent text DEFAULT NULL, p_reblog jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', p_id, 'created_at', '2026-03-01T10:00:00Z', 'content', '<p>status ' || p_id || '</p>',
                            'visibility', 'public', 'in_reply_to_id', p_parent, 'reblog', p_reblog,
                            'account', jsonb_build_object('id', 'tap-links-author', 'acct', 'tapper'))
$$;
CREATE FUNCTION pg_temp.id_of(p_external_id text) RETURNS bigint LANGUAGE sql AS $$
  SELECT id FROM social.post WHERE platform = 'mastodon' AND external_id = p_external_id
$$;
CREATE FUNCTION pg_temp.parent_of(p_external_id text) RETURNS bigint LANGUAGE sql AS $$
  SELECT parent_id FROM social.post WHERE platform = 'mastodon' AND external_id = p_external_id
$$;

----------------------------------------------------------------- Drawn ids not used
-- First in the file, before this transaction holds anything. Connection h
-- stores a status and keeps its transaction open; connection c then stores
-- the same status with a reply to it. c does not see h's row, so it draws an
-- id for the status and writes the reply with it; its insert of the status
-- waits for h, which commits, so c's status is h's row and the drawn id is
-- never used. The reply must end up linked to h's row, and c must commit.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect(n, format('dbname=%s port=%s host=%s user=postgres', current_database(),
                      current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)))
FROM (VALUES ('h'), ('c')) AS x(n);
SELECT dblink_exec('h', $$DELETE FROM social.post WHERE external_id LIKE 'tap-race-%'$$);
SELECT dblink_exec('h', 'BEGIN');
SELECT dblink_exec('h', $$INSERT INTO social.post (platform, external_id, body, created_at)
                         VALUES ('mastodon', 'tap-race-parent', 'status tap-race-parent', now())$$);
SELECT dblink_send_query('c', format('SELECT ingest.normalize_mastodon(NULL, %L, %L)::text', 'statuses',
                                     jsonb_build_array(pg_temp.status('tap-race-parent'),
                                                       pg_temp.status('tap-race-reply', 'tap-race-parent'))));
-- Wait (bounded: 20 s, for a loaded machine) until c is blocked by h itself
-- (not by a moment's lock of some other writer, as a running harvester's).
SELECT pid AS h_pid FROM dblink('h', 'SELECT pg_backend_pid()') AS r(pid integer) \gset
SELECT ok(pg_temp.waits_for('tap-race-reply', :h_pid), 'the second writer waits for the first one''s status');
SELECT dblink_exec('h', 'COMMIT');
SELECT ok((SELECT x::jsonb->>'posts' FROM dblink_get_result('c') AS r(x text)) IS NOT NULL,
          'the second writer commits (its links pass the checks at commit)');
SELECT * FROM dblink_get_result('c') AS r(x text);
SELECT is(pg_temp.parent_of('tap-race-reply'), pg_temp.id_of('tap-race-parent'),
          'its reply points at the status the first writer stored');
SELECT is((SELECT count(*) FROM social.post WHERE external_id = 'tap-race-parent'), 1::bigint,
          'the status is stored once');
SELECT dblink_exec('h', $$DELETE FROM social.post WHERE external_id LIKE 'tap-race-%'$$);
SELECT dblink_disconnect(n) FROM (VALUES ('h'), ('c')) AS x(n);

----------------------------------------------------------------- One page, linked at once
-- A thread three replies deep, listed newest first, and a reblog of its
-- first status: every link is written with the rows, none by a later update.
SELECT is(ingest.normalize_mastodon(NULL, 'statuses', jsonb_build_array(
            pg_temp.status('tap-l-4', 'tap-l-3'), pg_temp.status('tap-l-3', 'tap-l-2'),
            pg_temp.status('tap-l-2', 'tap-l-1'), pg_temp.status('tap-l-1'),
            pg_temp.status('tap-l-boost', NULL, pg_temp.status('tap-l-1'))))->'links',
          '0'::jsonb, 'a page with a thread and a reblog needs no late linking');
SELECT is(ARRAY[pg_temp.parent_of('tap-l-2'), pg_temp.parent_of('tap-l-3'), pg_temp.parent_of('tap-l-4')],
          ARRAY[pg_temp.id_of('tap-l-1'), pg_temp.id_of('tap-l-2'), pg_temp.id_of('tap-l-3')],
          'each reply points at its parent');
SELECT is((SELECT ref_id FROM social.post WHERE external_id = 'tap-l-boost'), pg_temp.id_of('tap-l-1'),
          'the reblog points at the reblogged status');
SELECT is(pg_temp.parent_of('tap-l-1'), NULL, 'the first status has no parent');

----------------------------------------------------------------- Linked when the parent arrives
SELECT is(ingest.normalize_mastodon(NULL, 'statuses',
            jsonb_build_array(pg_temp.status('tap-w-2', 'tap-w-1')))->'links', '0'::jsonb,
          'a reply whose parent is not stored waits');
SELECT is(pg_temp.parent_of('tap-w-2'), NULL, '…unlinked');
SELECT is(ingest.normalize_mastodon(NULL, 'statuses', jsonb_build_array(pg_temp.status('tap-w-1')))->'links',
          '1'::jsonb, 'storing the parent links it');
SELECT is(pg_temp.parent_of('tap-w-2'), pg_temp.id_of('tap-w-1'), '…to the parent');

SELECT * FROM finish();
ROLLBACK;
