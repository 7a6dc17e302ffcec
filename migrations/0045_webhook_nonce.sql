-- WeChat's plain-mode signature covers the timestamp and nonce, not the body,
-- and travels in the URL: a captured URL could carry another body for as long
-- as its timestamp is fresh. Each signature (of one timestamp and nonce) is
-- claimed once, with the digest of the body it came with; only that body may
-- use it again (a redelivery).
CREATE TABLE ingest.webhook_nonce (
  account_id  bigint NOT NULL REFERENCES social.account ON DELETE CASCADE,
  nonce       text NOT NULL,       -- the signature of the timestamp and nonce, lower-case hex
  body_sha256 bytea NOT NULL,
  seen_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, nonce)
);
