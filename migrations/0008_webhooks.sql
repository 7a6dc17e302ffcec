-- Webhook intake (DESIGN.md "Data flow" 2): per-account signing secrets, the
-- raw inbox keyed by delivery id, and the log of rejected deliveries.

-- The brand's own systems (shop, POS, e-commerce) push Standard Webhooks; they
-- are an "account" like any other so secrets, routes and the intake page are
-- the same. WeChat and these systems push only: nothing to harvest.
INSERT INTO social.platform VALUES ('commerce', 'Brand systems (Standard Webhooks)');
ALTER TABLE social.platform ADD COLUMN harvested boolean NOT NULL DEFAULT true;
UPDATE social.platform SET harvested = false WHERE code IN ('commerce', 'wechat');

-- Secrets are rotated by adding a new row: the ones it replaces stay valid
-- until expires_at (the overlap window), so senders can switch at leisure.
-- Readable by the hooks role only (grants in sql/).
CREATE TABLE ingest.webhook_secret (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id   bigint NOT NULL REFERENCES social.account ON DELETE CASCADE,
  secret       text NOT NULL CHECK (length(secret) BETWEEN 1 AND 512),  -- HMAC key, or WeChat Token
  verify_token text CHECK (length(verify_token) BETWEEN 1 AND 512),     -- Meta hub.verify_token
  aes_key      text CHECK (aes_key ~ '^[A-Za-z0-9+/]{43}$'),             -- WeChat EncodingAESKey
  app_id       text CHECK (length(app_id) BETWEEN 1 AND 200),           -- WeChat AppID / CorpID
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz
);
CREATE INDEX webhook_secret_account_idx ON ingest.webhook_secret (account_id);

-- Every accepted delivery, stored raw before any processing. The platform's
-- delivery id (or a hash of the body where it has none) makes a redelivery
-- a no-op apart from counting it. No foreign keys: every insert's check would
-- lock the same account row (FOR KEY SHARE) as all the others in flight, which
-- cost a fifth of the intake rate; the worker has just read the account, and
-- deleting an account deletes its deliveries by trigger (sql/450).
CREATE TABLE ingest.webhook_inbox (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id          bigint NOT NULL,
  platform            text NOT NULL,
  delivery_id         text NOT NULL CHECK (length(delivery_id) BETWEEN 1 AND 200),
  received_at         timestamptz NOT NULL DEFAULT now(),
  body                text NOT NULL,
  payload             text,       -- the decrypted message when the platform encrypts (WeChat safe mode)
  redeliveries        integer NOT NULL DEFAULT 0,
  last_redelivered_at timestamptz,
  processed_at        timestamptz,
  error               text,
  UNIQUE (account_id, delivery_id)
);
CREATE INDEX webhook_inbox_pending_idx ON ingest.webhook_inbox (id) WHERE processed_at IS NULL;
CREATE INDEX webhook_inbox_received_idx ON ingest.webhook_inbox USING brin (received_at);

-- Rejected deliveries, for the intake page: never the body, only why.
CREATE TABLE ingest.webhook_rejection (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  platform    text NOT NULL CHECK (length(platform) <= 50),   -- as named in the URL
  account_ref text NOT NULL CHECK (length(account_ref) <= 50),
  account_id  bigint,                                          -- when the URL named a known account
  status      integer NOT NULL CHECK (status BETWEEN 400 AND 599),
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
  remote_addr inet
);
CREATE INDEX webhook_rejection_at_idx ON ingest.webhook_rejection (at);

-- A quarantine entry is either a harvested page or a webhook delivery.
ALTER TABLE ingest.quarantine
  ALTER COLUMN raw_page_id DROP NOT NULL,
  ADD COLUMN webhook_id bigint REFERENCES ingest.webhook_inbox ON DELETE CASCADE,
  ADD CONSTRAINT quarantine_one_source CHECK (num_nonnulls(raw_page_id, webhook_id) = 1);
CREATE UNIQUE INDEX quarantine_open_webhook_idx ON ingest.quarantine (webhook_id) WHERE resolved_at IS NULL;

-- Orders, customers and other events from the brand's own systems, kept for
-- identity linking and attribution. One row per event id per source.
CREATE TABLE crm.brand_event (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id  bigint NOT NULL REFERENCES social.account ON DELETE CASCADE,
  event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
  type        text NOT NULL CHECK (length(type) BETWEEN 1 AND 200),
  occurred_at timestamptz,
  data        jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, event_id)
);
CREATE INDEX brand_event_type_idx ON crm.brand_event (type, occurred_at);
