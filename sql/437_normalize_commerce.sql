-- The brand's own systems (shop, POS, e-commerce) → crm.brand_event. They push
-- Standard Webhooks: {"type": "order.created", "timestamp": "<ISO 8601>",
-- "data": {...}}, with the event's id in the webhook-id header, which the
-- webhook processor passes as p_request_url. Nothing here is social: one
-- event is one row, kept as sent, for identity linking and attribution.

-- Endpoints:
--   webhook  one event → one crm.brand_event row (account, webhook-id, type,
--            timestamp, data); a redelivery (same webhook-id) changes
--            nothing. Every type is kept. No account, no webhook-id, a
--            missing or overlong type, data that is not an object, or a
--            timestamp that is not ISO 8601 is a shape error.
-- Returns {"brand_events": rows inserted}.
CREATE OR REPLACE FUNCTION ingest.normalize_commerce(p_account_id bigint, p_endpoint text, p_body jsonb,
                                                     p_request_url text DEFAULT NULL,
                                                     p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE n integer;
BEGIN
  IF p_endpoint IS DISTINCT FROM 'webhook' THEN
    RAISE SQLSTATE 'PR400' USING MESSAGE = format('unknown commerce endpoint %L (there are: webhook)', p_endpoint);
  END IF;
  WITH e AS (
    SELECT ingest.need(p_account_id, 'commerce account'),
           ingest.need(CASE WHEN length(p_request_url) BETWEEN 1 AND 200 THEN p_request_url END,
                       'commerce webhook-id'),
           ingest.need(CASE WHEN jsonb_typeof(b->'type') = 'string' AND length(b->>'type') BETWEEN 1 AND 200
                            THEN b->>'type' END, 'commerce type'),
           CASE WHEN b->'timestamp' IS NULL OR b->'timestamp' = 'null' THEN NULL
                ELSE ingest.need(ingest.iso_ts(b->>'timestamp'), 'commerce timestamp') END,
           ingest.need_object(b->'data', 'commerce data')
    FROM (SELECT ingest.need_object(p_body, 'commerce event') AS b) x
  ), ins AS (
    INSERT INTO crm.brand_event (account_id, event_id, type, occurred_at, data)
    SELECT * FROM e
    ON CONFLICT (account_id, event_id) DO NOTHING
    RETURNING 1)
  SELECT count(*) INTO n FROM ins;
  RETURN jsonb_build_object('brand_events', n);
END $$;
