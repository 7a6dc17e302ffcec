-- The unified inbox: staff triage of inbound posts (who looks after it, tags,
-- handled), and the indexes its filters and keyset pages need.
CREATE TABLE crm.triage (
  post_id     bigint PRIMARY KEY REFERENCES social.post ON DELETE CASCADE,
  assignee_id bigint REFERENCES auth.staff ON DELETE SET NULL,
  tags        text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
  handled_at  timestamptz,
  handled_by  bigint REFERENCES auth.staff ON DELETE SET NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX triage_assignee_idx ON crm.triage (assignee_id) WHERE assignee_id IS NOT NULL;

-- Newest first, keyset by (created_at, id).
CREATE INDEX post_inbox_idx ON social.post (created_at DESC, id DESC);
-- "Is this author one of our own accounts?" for every row of a page.
CREATE INDEX account_external_idx ON social.account (platform, external_id);
