-- An account's latest deliveries, found without reading its whole history:
-- whether its webhooks bring comments (ingest.run_every) is asked at the
-- end of each replies walk.
CREATE INDEX webhook_inbox_account_time_idx ON ingest.webhook_inbox (account_id, received_at);
