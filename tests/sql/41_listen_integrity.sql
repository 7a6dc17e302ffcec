-- What the foreign keys of listen.match and listen.post_signal did before
-- migration 0025, now kept per statement: deleting a post or a rule removes
-- their matches and sentiment, TRUNCATE too, and a rule being matched is held
-- so that its delete waits (as a foreign key's lock would make it).
BEGIN;
SELECT plan(9);
SET LOCAL client_min_messages = warning;

----------------------------------------------------------------- A rule held across sessions
-- Another connection commits a rule, then, in an open transaction, stores a
-- post that matches it. Deleting the rule here must wait for that
-- transaction. First in the file: this transaction holds nothing yet.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('w', format('dbname=%s port=%s host=%s user=postgres', current_database(),
                      current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT dblink_exec('w', $$DELETE FROM social.post WHERE external_id = 'tap-held';
                         DELETE FROM listen.rule WHERE name = 'tap held'$$);
SELECT count(*) FROM dblink('w', $$WITH r AS (INSERT INTO listen.rule (name, category, expression)
                                             VALUES ('tap held', 'custom', 'heldword') RETURNING id, expression)
                                   SELECT listen.store_compiled(id, listen.compile(expression))::text FROM r$$) AS d(x text);
SELECT dblink_exec('w', 'BEGIN');
SELECT dblink_exec('w', $$INSERT INTO social.post (platform, external_id, body, created_at)
                         VALUES ('mastodon', 'tap-held', 'a heldword here', now())$$);
SAVEPOINT held;
SET LOCAL lock_timeout = '300ms';
SELECT throws_ok($$DELETE FROM listen.rule WHERE name = 'tap held'$$, '55P03', NULL,
                 'a rule cannot be deleted while another transaction writes matches for it');
ROLLBACK TO SAVEPOINT held;
SELECT dblink_exec('w', 'COMMIT');
SELECT is((SELECT count(*) FROM listen.match m JOIN listen.rule r ON r.id = m.rule_id WHERE r.name = 'tap held'),
          1::bigint, 'the other transaction''s match is in');
SELECT dblink_exec('w', $$DELETE FROM listen.rule WHERE name = 'tap held'$$);
SELECT is((SELECT count(*) FROM listen.match m JOIN social.post p ON p.id = m.post_id WHERE p.external_id = 'tap-held'),
          0::bigint, 'deleting the rule then removes its matches');
SELECT dblink_exec('w', $$DELETE FROM social.post WHERE external_id = 'tap-held'$$);
SELECT dblink_disconnect('w');

----------------------------------------------------------------- Deletes and TRUNCATE
INSERT INTO listen.rule (name, category, expression) VALUES ('tap gone a', 'custom', 'gonea'), ('tap gone b', 'custom', 'goneb');
SELECT listen.store_compiled(id, listen.compile(expression)) FROM listen.rule WHERE name LIKE 'tap gone %';
INSERT INTO social.post (platform, external_id, body, created_at)
VALUES ('mastodon', 'tap-gone-1', 'gonea and goneb', now()), ('mastodon', 'tap-gone-2', 'only gonea', now());
SELECT is((SELECT count(*) FROM listen.match m JOIN social.post p ON p.id = m.post_id WHERE p.external_id LIKE 'tap-gone-%'),
          3::bigint, 'three matches stored');
SELECT id AS gone1 FROM social.post WHERE external_id = 'tap-gone-1' \gset
DELETE FROM social.post WHERE id = :gone1;
SELECT is((SELECT count(*) FROM listen.match WHERE post_id = :gone1), 0::bigint, 'a deleted post takes its matches');
SELECT is((SELECT count(*) FROM listen.post_signal WHERE post_id = :gone1), 0::bigint, '…and its sentiment row');
DELETE FROM listen.rule WHERE name = 'tap gone a';
SELECT is((SELECT count(*) FROM listen.match m JOIN social.post p ON p.id = m.post_id WHERE p.external_id = 'tap-gone-2'),
          0::bigint, 'a deleted rule takes its matches');
SELECT is((SELECT count(*) FROM listen.post_signal s JOIN social.post p ON p.id = s.post_id WHERE p.external_id = 'tap-gone-2'),
          1::bigint, '…and leaves the post''s sentiment');
SAVEPOINT trunc;
TRUNCATE social.post CASCADE;
SELECT (SELECT count(*) FROM listen.match) + (SELECT count(*) FROM listen.post_signal) AS left_after \gset
ROLLBACK TO SAVEPOINT trunc;   -- before the assertion: pgTAP's results would roll back too
SELECT is(:left_after::bigint, 0::bigint, 'TRUNCATE of the posts empties matches and sentiment');

SELECT * FROM finish();
ROLLBACK;
