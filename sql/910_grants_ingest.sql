-- Ingest entry points for the harvester: it may store a page, retry a
-- quarantined one and process or replay webhook deliveries, nothing else (no
-- table, no helper). The web role gets nothing here.
-- (the harvester's own grants for leasing and recording are in sql/440_harvest.sql)
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ingest FROM PUBLIC, parley_web, parley_hooks, parley_bi;
REVOKE ALL ON SCHEMA ingest FROM parley_web, parley_hooks, parley_bi;
GRANT USAGE ON SCHEMA ingest TO parley_harvest;
GRANT EXECUTE ON FUNCTION ingest.store_page(text, text, bigint, text, integer, jsonb, text),
                          ingest.retry_quarantined(bigint),
                          ingest.process_webhooks(integer),
                          ingest.replay_webhooks(timestamptz, timestamptz, bigint, boolean),
                          ingest.prune_webhook_rejections(interval),
                          ingest.prune_webhook_nonces(),
                          ingest.import_target_error(text, text, bigint),
                          ingest.prune_raw_pages(interval, integer)
  TO parley_harvest;

-- The hooks workers may read the secrets of the account a URL names, store
-- a verified delivery and count a rejected one: the functions in hooks.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA hooks FROM PUBLIC;
GRANT USAGE ON SCHEMA hooks TO parley_hooks;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA hooks TO parley_hooks;

-- The outbox (sql/460): the harvester leases replies and records answers.
GRANT EXECUTE ON FUNCTION ingest.lease_outbox(text, integer, integer),
                          ingest.outbox_sent(bigint, text, text, text, jsonb),
                          ingest.outbox_failed(bigint, text, text, boolean, timestamptz, boolean),
                          ingest.outbox_needs_token(bigint, text, text),
                          ingest.outbox_still_sending(bigint, text),
                          ingest.release_outbox_owner(text),
                          ingest.hold_replies(bigint, timestamptz, boolean)
  TO parley_harvest;
