-- Webhook intake in the database: what each role may call, storing and
-- de-duplicating deliveries, rejection records, secret rotation with its
-- overlap, processing with quarantine and replay.
BEGIN;
SELECT plan(50);
SET LOCAL client_min_messages = warning;
\ir lib/sqlstate_as.sql

INSERT INTO social.account (platform, handle) VALUES ('commerce', 'tap-shop'), ('facebook', 'tap-page');
CREATE TEMP TABLE acc AS
  SELECT (SELECT id FROM social.account WHERE handle = 'tap-shop') AS shop,
         (SELECT id FROM social.account WHERE handle = 'tap-page') AS page;
GRANT SELECT ON acc TO PUBLIC;

----------------------------------------------------------------- Privileges
SELECT is(pg_temp.sqlstate_as('parley_hooks', format($$SELECT hooks.accept(%s, 'commerce', 'p1', '{}', NULL)$$,
          (SELECT shop FROM acc))), 'ok', 'hooks role may store a delivery');
SELECT is(pg_temp.sqlstate_as('parley_hooks', 'SELECT count(*) FROM ingest.webhook_inbox'), '42501',
          'hooks role may not read the inbox');
SELECT is(pg_temp.sqlstate_as('parley_hooks', 'SELECT secret FROM ingest.webhook_secret'), '42501',
          'hooks role may not read the secrets table directly');
SELECT is(pg_temp.sqlstate_as('parley_hooks', 'SELECT ingest.process_webhooks(1)'), '42501',
          'hooks role may not process deliveries');
SELECT is(pg_temp.sqlstate_as('parley_web', format($$SELECT * FROM hooks.account(%s)$$, (SELECT page FROM acc))),
          '42501', 'web role may not read webhook secrets');
SELECT is(pg_temp.sqlstate_as('parley_web', $$SELECT hooks.accept(1, 'commerce', 'x', '{}', NULL)$$), '42501',
          'web role may not store deliveries');
SELECT is(pg_temp.sqlstate_as('parley_bi', $$SELECT hooks.reject('x', '1', 401, 'r', NULL)$$), '42501',
          'BI role may not touch intake');
SELECT is(pg_temp.sqlstate_as('parley_harvest', 'SELECT ingest.process_webhooks(0)'), 'ok',
          'harvester may process deliveries');
SELECT is(pg_temp.sqlstate_as('parley_harvest', $$SELECT * FROM hooks.account(1)$$), '42501',
          'harvester may not read webhook secrets');

-- hooks.accept runs without a pinned search_path (see sql/450): only safe
-- while the role cannot create anything a name could resolve to.
SELECT is((SELECT count(*) FROM pg_namespace n WHERE has_schema_privilege('parley_hooks', n.oid, 'CREATE')), 0::bigint,
          'hooks role can create objects in no schema');
SELECT ok(NOT has_database_privilege('parley_hooks', current_database(), 'TEMP'),
          'hooks role cannot create temporary objects');

----------------------------------------------------------------- Storing
SELECT is(hooks.accept((SELECT shop FROM acc), 'commerce', 'd1', '{"type":"order.created","data":{}}', NULL),
          'stored', 'a new delivery is stored');
SELECT is(hooks.accept((SELECT shop FROM acc), 'commerce', 'd1', '{"type":"order.created","data":{}}', NULL),
          'redelivery', 'the same delivery id again is a redelivery');
SELECT is((SELECT count(*) || '/' || max(redeliveries) FROM ingest.webhook_inbox
           WHERE account_id = (SELECT shop FROM acc) AND delivery_id = 'd1'), '1/1', '…stored once, counted');
SELECT is(hooks.accept((SELECT page FROM acc), 'facebook', 'd1', '{}', NULL), 'stored',
          'delivery ids are per account');
SELECT throws_ok(format($$SELECT hooks.accept(%s, 'commerce', '', '{}', NULL)$$, (SELECT shop FROM acc)),
                 '23514', NULL, 'an empty delivery id is refused');

-- Group commit: several deliveries in one call, outcomes in order.
SELECT is(hooks.accept_all(ARRAY[(SELECT shop FROM acc), (SELECT shop FROM acc), (SELECT shop FROM acc), (SELECT page FROM acc)],
                           ARRAY['commerce', 'commerce', 'commerce', 'facebook'], ARRAY['g1', 'd1', 'g1', 'g1'],
                           ARRAY['{"type":"order.created","data":{"order":"G-1"}}', '{}', '{"type":"order.created","data":{"order":"G-1"}}',
                                 '{"object":"page","entry":[],"p":"\"quoted\" 卢门"}'], ARRAY[NULL, NULL, NULL, '{"object":"page","entry":[]}']),
          ARRAY['stored', 'redelivery', 'redelivery', 'stored'],
          'a batch stores new deliveries once, in order: a repeat within the batch and an earlier one are redeliveries');
SELECT is((SELECT string_agg(delivery_id || ':' || redeliveries, ',' ORDER BY delivery_id) FROM ingest.webhook_inbox
           WHERE account_id = (SELECT shop FROM acc) AND delivery_id IN ('d1', 'g1')), 'd1:2,g1:1',
          '…and counts each redelivery once');
SELECT is((SELECT body || '|' || payload FROM ingest.webhook_inbox WHERE account_id = (SELECT page FROM acc) AND delivery_id = 'g1'),
          '{"object":"page","entry":[],"p":"\"quoted\" 卢门"}|{"object":"page","entry":[]}', '…keeping each body and payload as sent');
SELECT throws_ok(format($$SELECT hooks.accept_all(ARRAY[%s, %s], ARRAY['commerce', 'commerce'], ARRAY['g2', ''],
                                                   ARRAY['{}', '{}'], ARRAY[NULL, NULL]::text[])$$,
                        (SELECT shop FROM acc), (SELECT shop FROM acc)),
                 '23514', NULL, 'one bad delivery fails the whole batch (the worker then stores them one by one)');
SELECT is((SELECT count(*) FROM ingest.webhook_inbox WHERE delivery_id = 'g2'), 0::bigint, '…leaving nothing of it');
SELECT is(pg_temp.sqlstate_as('parley_web', $$SELECT hooks.accept_all('{1}', '{commerce}', '{x}', '{"{}"}', '{NULL}')$$),
          '42501', 'web role may not store deliveries in a batch either');

----------------------------------------------------------------- Rejections
SELECT lives_ok(format($$SELECT hooks.reject('facebook', '%s', 401, 'bad signature', '127.0.0.1')$$, (SELECT page FROM acc)),
                'a rejection is recorded');
SELECT hooks.reject('nowhere', '1''; DROP TABLE x; --', 404, 'no such webhook endpoint', 'not-an-address') IS NULL AS recorded \gset
SELECT is((SELECT account_id FROM ingest.webhook_rejection WHERE reason = 'bad signature'), (SELECT page FROM acc),
          'a rejection names the account when the URL did');
SELECT is((SELECT account_id IS NULL AND remote_addr IS NULL FROM ingest.webhook_rejection WHERE platform = 'nowhere'),
          true, 'hostile references are kept as text, never trusted');

----------------------------------------------------------------- Secrets and rotation
SELECT lives_ok(format($$SELECT ingest.rotate_webhook_secret(%s, 'one', 'vt', NULL, NULL, '0')$$, (SELECT page FROM acc)),
                'first secret');
SELECT is((SELECT jsonb_array_length(secrets) FROM hooks.account((SELECT page FROM acc))), 1, 'one secret verifies');
SELECT lives_ok(format($$SELECT ingest.rotate_webhook_secret(%s, 'two', 'vt', NULL, NULL, '1 hour')$$,
                       (SELECT page FROM acc)), 'rotate with an hour of overlap');
SELECT is((SELECT secrets->0->>'secret' || ',' || (secrets->1->>'secret') FROM hooks.account((SELECT page FROM acc))),
          'two,one', 'during the overlap both verify, newest first');
UPDATE ingest.webhook_secret SET expires_at = now() - interval '1 second'
WHERE account_id = (SELECT page FROM acc) AND secret = 'one';
SELECT is((SELECT secrets->>0 IS NOT NULL AND secrets->1 IS NULL FROM hooks.account((SELECT page FROM acc))), true,
          'after the overlap only the new one does');
SELECT throws_ok(format($$SELECT ingest.rotate_webhook_secret(%s, 'three', NULL, NULL, NULL, '31 days')$$,
                        (SELECT page FROM acc)), 'PR422', NULL, 'overlap longer than 30 days is refused');
SELECT is((SELECT count(*) FROM hooks.account(-1)), 0::bigint, 'an unknown account has no row');

----------------------------------------------------------------- Processing
SELECT is(hooks.accept((SELECT shop FROM acc), 'commerce', 'bad', '{"data":{}}', NULL), 'stored',
          'a delivery the normalizer will refuse is still stored (signature, not shape, decides)');
SELECT ok(ingest.process_webhooks(100) >= 3, 'pending deliveries are processed');
SELECT is((SELECT count(*) FROM ingest.webhook_inbox WHERE processed_at IS NULL), 0::bigint, 'nothing left waiting');
SELECT is((SELECT count(*) FROM crm.brand_event WHERE account_id = (SELECT shop FROM acc) AND event_id = 'd1'), 1::bigint,
          'the shop event was recorded');
SELECT is((SELECT q.sqlstate FROM ingest.quarantine q JOIN ingest.webhook_inbox w ON w.id = q.webhook_id
           WHERE w.delivery_id = 'bad' AND q.resolved_at IS NULL), 'PR422', 'a shape error is quarantined');
UPDATE ingest.webhook_inbox SET body = '{"type":"order.paid","data":{"order":"A-1"}}' WHERE delivery_id = 'bad';
SELECT is((ingest.retry_quarantined_webhook((SELECT id FROM ingest.webhook_inbox WHERE delivery_id = 'bad')))->>'quarantined',
          'false', 'retried after the cause is fixed, it succeeds');
SELECT is((SELECT count(*) FROM ingest.quarantine q JOIN ingest.webhook_inbox w ON w.id = q.webhook_id
           WHERE w.delivery_id = 'bad' AND q.resolved_at IS NULL), 0::bigint, '…and the entry is resolved');
SELECT is(ingest.replay_webhooks(NULL, NULL, (SELECT shop FROM acc), true), 0, 'nothing of the shop failed now');
SELECT is(ingest.replay_webhooks(NULL, NULL, (SELECT shop FROM acc), false), 3, 'replay marks the account''s deliveries (d1, g1, bad)');

----------------------------------------------------------------- Raw page retention
INSERT INTO ingest.raw_page (platform, endpoint, body, fetched_at, normalized_at)
VALUES ('mastodon', 'statuses', '[]', now() - interval '40 days', now() - interval '40 days'),
       ('mastodon', 'statuses', '{', now() - interval '40 days', NULL),
       ('mastodon', 'statuses', '[]', now() - interval '1 day', now());
INSERT INTO ingest.quarantine (raw_page_id, platform, endpoint, error)
SELECT id, 'mastodon', 'statuses', 'broken' FROM ingest.raw_page WHERE body = '{' AND fetched_at < now() - interval '39 days';
SELECT is(ingest.prune_raw_pages('30 days'), 1,
          'old raw pages are pruned, except a quarantined one');
SELECT is((SELECT count(*) FROM ingest.raw_page WHERE body = '{' AND fetched_at < now() - interval '39 days'), 1::bigint,
          '…which stays until its entry is resolved');

----------------------------------------------------------------- Nonces of signatures that cover no body
SELECT is(pg_temp.sqlstate_as('parley_hooks', format($$SELECT hooks.claim_nonce(%s, '1:a', md5('x') || md5('x'))$$,
          (SELECT page FROM acc))), 'ok', 'hooks role may claim a nonce');
SELECT ok(hooks.claim_nonce((SELECT page FROM acc), '2:b', repeat('ab', 32)), 'a new nonce is claimed');
SELECT ok(hooks.claim_nonce((SELECT page FROM acc), '2:b', repeat('ab', 32)), '…and claimed again with the same body');
SELECT ok(NOT hooks.claim_nonce((SELECT page FROM acc), '2:b', repeat('cd', 32)), '…but not with another body');
DELETE FROM ingest.webhook_nonce WHERE nonce NOT IN ('1:a', '2:b');   -- (a cluster's earlier deliveries: not this test's)
UPDATE ingest.webhook_nonce SET seen_at = now() - interval '16 minutes' WHERE nonce = '2:b';
SELECT is(ingest.prune_webhook_nonces(), 1, 'nonces older than their timestamps'' window are pruned');
SELECT is(pg_temp.sqlstate_as('parley_harvest', 'SELECT ingest.prune_webhook_nonces()'), 'ok',
          'the harvester prunes them');

DELETE FROM social.account WHERE id = (SELECT shop FROM acc);
SELECT is((SELECT count(*) FROM ingest.webhook_inbox WHERE account_id = (SELECT shop FROM acc)), 0::bigint,
          'deleting an account deletes its deliveries');

SELECT * FROM finish();
ROLLBACK;
