-- What the harvester pulls: per account, one row per stream (mentions, own
-- posts, keyword searches, followers, replies under own posts), leased with
-- FOR UPDATE SKIP LOCKED.
ALTER TABLE social.account
  ADD COLUMN external_id text,            -- the platform's id of the brand account itself
  ADD COLUMN status_message text,         -- the platform's words when it refused us (e.g. token revoked)
  ADD COLUMN status_changed_at timestamptz;

-- Tokens: written from the UI, readable only by the harvester (grants in sql/).
CREATE TABLE social.account_credential (
  account_id   bigint PRIMARY KEY REFERENCES social.account ON DELETE CASCADE,
  access_token text NOT NULL CHECK (length(access_token) BETWEEN 1 AND 4096),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ingest.stream (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id      bigint NOT NULL REFERENCES social.account ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('mentions', 'own_posts', 'search', 'followers', 'replies')),
  query           text NOT NULL DEFAULT '' CHECK (length(query) <= 200),
  every           interval NOT NULL DEFAULT '5 minutes' CHECK (every >= interval '1 second'),
  enabled         boolean NOT NULL DEFAULT true,
  next_run_at     timestamptz NOT NULL DEFAULT now(),
  -- Adapter-defined position, e.g. {"min_id": "…"} or {"page": "…", "high_water": "…"}.
  state           jsonb NOT NULL DEFAULT '{}',
  lease_owner     text,
  lease_until     timestamptz,
  last_success_at timestamptz,
  last_error      text,
  last_error_at   timestamptz,
  errors_in_row   integer NOT NULL DEFAULT 0,
  pages_harvested bigint NOT NULL DEFAULT 0,
  quota_remaining integer,
  quota_reset_at  timestamptz,
  UNIQUE (account_id, kind, query)
);
CREATE INDEX stream_due_idx ON ingest.stream (next_run_at) WHERE enabled;
