-- Webhook intake (DESIGN.md "Data flow" 2). The hooks workers verify a
-- delivery's signature in C, then make one call: hooks.accept stores it raw
-- (a redelivery only counts) and commits before the 2xx. Processing happens
-- later, in the harvester's maintenance loop, through the same normalizers
-- as harvested pages; a delivery that cannot be normalized is quarantined.

-- hooks holds only the functions the hooks workers call (no tables).
DROP SCHEMA IF EXISTS hooks CASCADE;
DROP FUNCTION IF EXISTS ingest.webhook_document(ingest.webhook_inbox);
CREATE SCHEMA hooks;

-- The account a URL names, with the secrets that verify its deliveries now:
-- the current one and any still inside their rotation overlap. No row when
-- there is no such account. Newest secret first (it answers handshakes).
CREATE FUNCTION hooks.account(p_account bigint)
RETURNS TABLE (platform text, secrets jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT a.platform, coalesce((
    SELECT jsonb_agg(jsonb_build_object('secret', s.secret, 'verify_token', s.verify_token,
                                        'aes_key', s.aes_key, 'app_id', s.app_id,
                                        'expires_at', extract(epoch FROM s.expires_at))
                     ORDER BY s.created_at DESC, s.id DESC)
    FROM ingest.webhook_secret s
    WHERE s.account_id = a.id AND (s.expires_at IS NULL OR s.expires_at > now())), '[]')
  FROM social.account a WHERE a.id = p_account
$$;

-- Store a verified delivery. Returns 'stored', or 'redelivery' when this
-- account already has this delivery id (then only the count changes).
-- The intake's hot path, so no SET clause: switching search_path on every
-- call cost 30 % of its rate. That is safe here because every name below is
-- schema-qualified and parley_hooks cannot create objects in any schema, nor
-- temporary ones (proved in tests/sql/30_webhooks.sql).
CREATE FUNCTION hooks.accept(p_account bigint, p_platform text, p_delivery_id text, p_body text,
                             p_payload text)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  INSERT INTO ingest.webhook_inbox (account_id, platform, delivery_id, body, payload)
  VALUES (p_account, p_platform, p_delivery_id, p_body, p_payload)
  ON CONFLICT (account_id, delivery_id) DO NOTHING;
  IF FOUND THEN
    RETURN 'stored';
  END IF;
  UPDATE ingest.webhook_inbox SET redeliveries = redeliveries OPERATOR(pg_catalog.+) 1,
         last_redelivered_at = pg_catalog.now()
  WHERE account_id OPERATOR(pg_catalog.=) p_account AND delivery_id OPERATOR(pg_catalog.=) p_delivery_id;
  RETURN 'redelivery';
END $$;

-- Store the deliveries several workers verified at the same moment, in one
-- transaction (group commit: one commit on disk answers all of them). Returns
-- each one's outcome in order: 'stored', or 'redelivery' when the account
-- already had that delivery id, also from earlier in the same call (the same
-- delivery posted many times at once is stored once). Any row that breaks a
-- constraint fails the whole call; the worker then stores the rows one by
-- one with hooks.accept, so only that row is refused.
CREATE FUNCTION hooks.accept_all(p_account bigint[], p_platform text[], p_delivery_id text[], p_body text[],
                                 p_payload text[])
RETURNS text[] LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE outcome text[];
BEGIN
  WITH ins AS (
    INSERT INTO ingest.webhook_inbox (account_id, platform, delivery_id, body, payload)
    SELECT a, pf, d, b, pl FROM unnest(p_account, p_platform, p_delivery_id, p_body, p_payload)
                                WITH ORDINALITY u(a, pf, d, b, pl, n)
    ORDER BY a, d, n   -- every batch takes its keys in one order: two cannot wait on each other
    ON CONFLICT (account_id, delivery_id) DO NOTHING
    RETURNING account_id, delivery_id),
  u AS (
    SELECT a, d, n, min(n) OVER (PARTITION BY a, d) AS first
    FROM unnest(p_account, p_delivery_id) WITH ORDINALITY u(a, d, n))
  SELECT array_agg(CASE WHEN u.n = u.first AND EXISTS (SELECT FROM ins WHERE ins.account_id = u.a AND ins.delivery_id = u.d)
                        THEN 'stored' ELSE 'redelivery' END ORDER BY u.n)
  INTO outcome FROM u;
  IF 'redelivery' = ANY (outcome) THEN
    WITH r AS (
      SELECT a, d, count(*) AS n FROM unnest(p_account, p_delivery_id, outcome) x(a, d, o)
      WHERE o = 'redelivery' GROUP BY a, d
    ), locked AS (   -- row locks in key order too
      SELECT w.id, r.n FROM ingest.webhook_inbox w JOIN r ON w.account_id = r.a AND w.delivery_id = r.d
      ORDER BY w.account_id, w.delivery_id FOR UPDATE OF w)
    UPDATE ingest.webhook_inbox w SET redeliveries = w.redeliveries + l.n, last_redelivered_at = now()
    FROM locked l WHERE w.id = l.id;
  END IF;
  RETURN outcome;
END $$;

-- Claim a signed (timestamp, nonce) for a body (migration 0045): true the
-- first time, and again for the same body (a redelivery); false when another
-- body already used it (a captured URL replayed). Losing a claim on a crash
-- only reopens a replay window of minutes, so the commit does not wait for
-- the disk.
-- (The key is the signature, lower-cased: the signed values joined.)
CREATE FUNCTION hooks.claim_nonce(p_account bigint, p_nonce text, p_body_sha256 text)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE key text := lower(p_nonce);
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  INSERT INTO ingest.webhook_nonce (account_id, nonce, body_sha256)
  VALUES (p_account, key, decode(p_body_sha256, 'hex'))
  ON CONFLICT (account_id, nonce) DO NOTHING;
  RETURN FOUND OR EXISTS (SELECT FROM ingest.webhook_nonce
                          WHERE account_id = p_account AND nonce = key
                            AND body_sha256 = decode(p_body_sha256, 'hex'));
END $$;

-- Count a rejected delivery for the intake page. Losing the last few on a
-- crash is acceptable, so its commit does not wait for the disk.
CREATE FUNCTION hooks.reject(p_platform text, p_account_ref text, p_status integer, p_reason text,
                             p_remote_addr text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  INSERT INTO ingest.webhook_rejection (platform, account_ref, account_id, status, reason, remote_addr)
  VALUES (left(p_platform, 50), left(p_account_ref, 50),
          (SELECT id FROM social.account WHERE p_account_ref ~ '^[0-9]{1,18}$' AND id = p_account_ref::bigint),
          p_status, left(p_reason, 200),
          CASE WHEN p_remote_addr ~ '^[0-9a-fA-F:.]{2,45}$' THEN p_remote_addr::inet END);
END $$;

-- The inbox has no foreign keys (see migration 0008): an account's
-- deliveries go with it.
CREATE OR REPLACE FUNCTION ingest.drop_account_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM ingest.webhook_inbox w USING gone WHERE w.account_id = gone.id;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS account_deliveries_dropped ON social.account;
CREATE TRIGGER account_deliveries_dropped AFTER DELETE ON social.account
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION ingest.drop_account_deliveries();

-- Workers cache secrets; a change tells them to forget.
CREATE OR REPLACE FUNCTION ingest.notify_webhook_secrets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('parley_hook_secrets', '');
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS webhook_secret_changed ON ingest.webhook_secret;
CREATE TRIGGER webhook_secret_changed AFTER INSERT OR UPDATE OR DELETE ON ingest.webhook_secret
  FOR EACH STATEMENT EXECUTE FUNCTION ingest.notify_webhook_secrets();

-- A new secret for an account. The ones it replaces keep verifying for the
-- overlap (zero: stop now). Returns the id of the new secret.
CREATE OR REPLACE FUNCTION ingest.rotate_webhook_secret(p_account bigint, p_secret text, p_verify_token text,
                                                        p_aes_key text, p_app_id text, p_overlap interval)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE new_id bigint;
BEGIN
  IF p_overlap < interval '0' OR p_overlap > interval '30 days' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The overlap must be between 0 and 30 days.', HINT = 'err.overlap';
  END IF;
  UPDATE ingest.webhook_secret SET expires_at = now() + p_overlap
  WHERE account_id = p_account AND (expires_at IS NULL OR expires_at > now() + p_overlap);
  INSERT INTO ingest.webhook_secret (account_id, secret, verify_token, aes_key, app_id)
  VALUES (p_account, p_secret, nullif(p_verify_token, ''), nullif(p_aes_key, ''), nullif(p_app_id, ''))
  RETURNING id INTO new_id;
  RETURN new_id;
END $$;

-- Normalize one delivery the way harvested pages are (errors come back, not
-- raised); an encrypted delivery is normalized from its decrypted payload.
CREATE OR REPLACE FUNCTION ingest.try_normalize_webhook(w ingest.webhook_inbox,
                                                        OUT counts jsonb, OUT error_text text, OUT error_state text)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT * FROM ingest.try_normalize(w.platform, w.account_id, 'webhook', coalesce(w.payload, w.body), w.delivery_id,
                                     w.received_at)
$$;

-- Record the outcome of processing a delivery: success resolves any open
-- quarantine entry, failure opens (or updates) one.
CREATE OR REPLACE FUNCTION ingest.webhook_outcome(p_id bigint, p_platform text, p_error text, p_sqlstate text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  UPDATE ingest.webhook_inbox SET processed_at = now(), error = p_error WHERE id = p_id;
  IF p_sqlstate IS NULL THEN
    UPDATE ingest.quarantine SET resolved_at = now(), retried_at = now()
    WHERE webhook_id = p_id AND resolved_at IS NULL;
  ELSE
    INSERT INTO ingest.quarantine (webhook_id, platform, endpoint, error, sqlstate)
    VALUES (p_id, p_platform, 'webhook', p_error, p_sqlstate)
    ON CONFLICT (webhook_id) WHERE resolved_at IS NULL
      DO UPDATE SET error = EXCLUDED.error, sqlstate = EXCLUDED.sqlstate, retried_at = now();
  END IF;
END $$;

-- Process up to p_max stored deliveries, oldest first. Several processes may
-- run this at once (SKIP LOCKED). Returns how many were processed.
CREATE OR REPLACE FUNCTION ingest.process_webhooks(p_max integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  w ingest.webhook_inbox;
  t record;
  n integer := 0;
BEGIN
  FOR w IN SELECT * FROM ingest.webhook_inbox WHERE processed_at IS NULL
           ORDER BY id LIMIT p_max FOR UPDATE SKIP LOCKED LOOP
    t := ingest.try_normalize_webhook(w);
    PERFORM ingest.webhook_outcome(w.id, w.platform, t.error_text, t.error_state);
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;

-- Mark stored deliveries for processing again (`parley hooks replay`):
-- received in [p_since, p_until), of one account or all, only the failed
-- ones or all of them. Returns how many were marked.
CREATE OR REPLACE FUNCTION ingest.replay_webhooks(p_since timestamptz, p_until timestamptz, p_account bigint,
                                                  p_failed_only boolean)
RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH marked AS (
    UPDATE ingest.webhook_inbox SET processed_at = NULL
    WHERE received_at >= coalesce(p_since, '-infinity') AND received_at < coalesce(p_until, 'infinity')
      AND (p_account IS NULL OR account_id = p_account)
      AND (NOT p_failed_only OR error IS NOT NULL)
      AND processed_at IS NOT NULL
    RETURNING 1)
  SELECT count(*)::integer FROM marked
$$;

-- Retry one quarantined delivery now (the quarantine page's button).
CREATE OR REPLACE FUNCTION ingest.retry_quarantined_webhook(p_id bigint)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  w ingest.webhook_inbox;
  t record;
BEGIN
  SELECT * INTO w FROM ingest.webhook_inbox WHERE id = p_id FOR UPDATE;
  t := ingest.try_normalize_webhook(w);
  PERFORM ingest.webhook_outcome(w.id, w.platform, t.error_text, t.error_state);
  RETURN jsonb_build_object('webhook_id', w.id, 'quarantined', t.error_state IS NOT NULL,
                            'error', t.error_text, 'sqlstate', t.error_state, 'counts', coalesce(t.counts, '{}'));
END $$;

-- Housekeeping: rejections are evidence for a while, not forever.
CREATE OR REPLACE FUNCTION ingest.prune_webhook_rejections(p_keep interval)
RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH gone AS (DELETE FROM ingest.webhook_rejection WHERE at < now() - p_keep RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;

-- A claimed nonce matters while its timestamp is fresh (5 minutes either
-- side of the moment it was seen); after that the timestamp check refuses it.
CREATE OR REPLACE FUNCTION ingest.prune_webhook_nonces()
RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH gone AS (DELETE FROM ingest.webhook_nonce WHERE seen_at < now() - interval '15 minutes' RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;

-- Raw pages are kept for a while (evidence, re-normalization after a fix),
-- then dropped in batches: pages that normalized cleanly and are older than
-- p_keep. Quarantined pages stay until their entry is resolved.
CREATE OR REPLACE FUNCTION ingest.prune_raw_pages(p_keep interval, p_batch integer DEFAULT 5000)
RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  WITH old AS (
    SELECT r.id FROM ingest.raw_page r
    WHERE r.fetched_at < now() - p_keep
      AND NOT EXISTS (SELECT FROM ingest.quarantine q WHERE q.raw_page_id = r.id AND q.resolved_at IS NULL)
    ORDER BY r.fetched_at LIMIT p_batch),
  gone AS (DELETE FROM ingest.raw_page r USING old WHERE r.id = old.id RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;
