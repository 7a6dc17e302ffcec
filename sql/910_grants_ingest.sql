-- Ingest entry points for the harvester and the webhook worker: they may store
-- a page and retry a quarantined one, nothing else (no table, no helper).
-- The web role gets nothing here.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ingest FROM PUBLIC;
GRANT USAGE ON SCHEMA ingest TO parley_harvest, parley_hooks;
GRANT EXECUTE ON FUNCTION ingest.store_page(text, text, bigint, text, integer, jsonb, text),
                          ingest.retry_quarantined(bigint)
  TO parley_harvest, parley_hooks;
