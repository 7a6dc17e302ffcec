-- Publishing (DESIGN.md "Data flow" 5): staff replies wait in an outbox until
-- the harvester sends them. The idempotency key goes to the platform with
-- every attempt, so a send repeated after a crash never posts twice.

-- The longest reply each platform takes, in characters as PostgreSQL's
-- length() counts them (code points). NULL: replies cannot be sent there.
--   Mastodon   500 characters (the default instance limit; a link counts as
--              23 on the server, so counting it in full is the safe side)
--   Bluesky    300 graphemes (a grapheme is one or more code points, so
--              counting code points never lets a too-long reply through)
--   X          280, Facebook 8000, Instagram 2200 (comments),
--   Sina Weibo 2000 (comments), WeChat 600 (customer service text)
ALTER TABLE social.platform ADD COLUMN reply_limit integer CHECK (reply_limit > 0);
UPDATE social.platform p SET reply_limit = l.n
FROM (VALUES ('mastodon', 500), ('bluesky', 300), ('x', 280), ('facebook', 8000),
             ('instagram', 2200), ('weibo', 2000), ('wechat', 600)) AS l(code, n)
WHERE p.code = l.code;

CREATE TABLE ingest.outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  idempotency_key uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  account_id      bigint NOT NULL REFERENCES social.account ON DELETE CASCADE,
  in_reply_to     bigint NOT NULL REFERENCES social.post ON DELETE CASCADE,
  case_id         bigint REFERENCES crm."case" ON DELETE SET NULL,
  body            text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 10000),
  state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_owner     text,
  lease_until     timestamptz,
  external_id     text,                                   -- the platform's id of the sent reply
  post_id         bigint REFERENCES social.post ON DELETE SET NULL,  -- the reply as stored
  last_error      text,
  last_error_at   timestamptz,
  created_by      bigint REFERENCES auth.staff ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  CHECK ((state = 'sent') = (sent_at IS NOT NULL AND external_id IS NOT NULL))
);
-- What the harvester leases: only unfinished entries are indexed.
CREATE INDEX outbox_due_idx ON ingest.outbox (next_attempt_at) WHERE state IN ('queued', 'sending');
CREATE INDEX outbox_in_reply_to_idx ON ingest.outbox (in_reply_to);
CREATE INDEX outbox_case_idx ON ingest.outbox (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX outbox_created_idx ON ingest.outbox (created_at);
