-- The full social model (issue 3): richer profiles and posts, edit history,
-- interactions by month, follower edges, engagement snapshots, and the ingest
-- tables every harvested page passes through. Extends 0003; keyed by
-- (platform, external id) everywhere so re-harvesting is idempotent.

-- Profiles: what the platform says about a person, as last seen.
ALTER TABLE social.profile
  ADD COLUMN bio             text,
  ADD COLUMN follower_count  bigint,         -- counts as the platform gives them
  ADD COLUMN following_count bigint,
  ADD COLUMN post_count      bigint,
  ADD COLUMN verified        boolean,
  ADD COLUMN lang            text,
  ADD COLUMN location        text,
  ADD COLUMN avatar_url      text,
  ADD COLUMN url             text,
  ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN raw             jsonb;        -- latest raw object (merged over partial views)

-- Posts: threads are linked by external id first (a reply may arrive before
-- its parent) and by row id once both are known. ref_* is the post a repost
-- shares or a quote quotes, kept apart from parent_* so thread lookups stay exact.
ALTER TABLE social.post
  ADD COLUMN parent_id          bigint REFERENCES social.post ON DELETE SET NULL,
  ADD COLUMN root_id            bigint REFERENCES social.post ON DELETE SET NULL,
  ADD COLUMN ref_id             bigint REFERENCES social.post ON DELETE SET NULL,
  ADD COLUMN parent_external_id text,
  ADD COLUMN root_external_id   text,
  ADD COLUMN ref_external_id    text,
  ADD COLUMN url                text,
  ADD COLUMN visibility         text,
  ADD COLUMN edited_at          timestamptz,
  ADD COLUMN deleted_at         timestamptz,   -- tombstone: the platform says it is gone
  ADD COLUMN updated_at         timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN metrics            jsonb,         -- {"replies","reposts","likes","quotes"} as last seen
  ADD COLUMN raw                jsonb;
-- The kind CHECK from 0003 already allows post, reply, comment, repost, quote, direct.

CREATE INDEX post_author_idx ON social.post (author_id);
CREATE INDEX post_account_idx ON social.post (account_id);
CREATE INDEX post_parent_idx ON social.post (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX post_root_idx ON social.post (root_id) WHERE root_id IS NOT NULL;
CREATE INDEX post_ref_idx ON social.post (ref_id) WHERE ref_id IS NOT NULL;
-- Late linking: "which stored posts point at this external id?"
CREATE INDEX post_parent_ext_idx ON social.post (platform, parent_external_id)
  WHERE parent_external_id IS NOT NULL;
CREATE INDEX post_root_ext_idx ON social.post (platform, root_external_id)
  WHERE root_external_id IS NOT NULL;
CREATE INDEX post_ref_ext_idx ON social.post (platform, ref_external_id)
  WHERE ref_external_id IS NOT NULL;

-- Edit history: the body a post had before a re-harvest showed a new one.
-- edited_at is when it was replaced (the platform's edit time, else when seen).
CREATE TABLE social.post_edit (
  post_id   bigint NOT NULL REFERENCES social.post ON DELETE CASCADE,
  edited_at timestamptz NOT NULL,
  body      text NOT NULL,
  UNIQUE (post_id, edited_at)
);

-- Interactions, by month. The partition key must be in every unique
-- constraint, so idempotency is on (platform, kind, external_id, occurred_at);
-- the normalizers also skip an event whose (platform, kind, external_id) is
-- already stored at another time (grouped notifications move their time).
CREATE TABLE social.interaction (
  id               bigint GENERATED ALWAYS AS IDENTITY,
  platform         text NOT NULL REFERENCES social.platform,
  kind             text NOT NULL CHECK (kind IN ('like', 'repost', 'mention', 'follow', 'reply', 'quote')),
  actor_id         bigint REFERENCES social.profile,            -- NULL when the platform hides who
  post_id          bigint REFERENCES social.post ON DELETE SET NULL,
  post_external_id text,                                        -- the post, even before it is stored
  account_id       bigint REFERENCES social.account ON DELETE SET NULL,
  external_id      text NOT NULL,   -- platform event id, or a synthetic key
  occurred_at      timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, occurred_at),
  UNIQUE (platform, kind, external_id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE INDEX interaction_actor_idx ON social.interaction (actor_id);
CREATE INDEX interaction_post_idx ON social.interaction (post_id);
CREATE INDEX interaction_account_idx ON social.interaction (account_id, occurred_at);

DO $$
DECLARE m date;
BEGIN
  FOR m IN SELECT generate_series(date '2020-01-01', date '2027-12-01', interval '1 month') LOOP
    EXECUTE format('CREATE TABLE social.%I PARTITION OF social.interaction FOR VALUES FROM (%L) TO (%L)',
                   'interaction_' || to_char(m, 'YYYY_MM'), m, m + interval '1 month');
  END LOOP;
END $$;
CREATE TABLE social.interaction_default PARTITION OF social.interaction DEFAULT;

-- Who follows a brand account, as seen by the harvester.
CREATE TABLE social.follower_edge (
  account_id    bigint NOT NULL REFERENCES social.account ON DELETE CASCADE,
  profile_id    bigint NOT NULL REFERENCES social.profile ON DELETE CASCADE,
  first_seen_at timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  PRIMARY KEY (account_id, profile_id)
);
CREATE INDEX follower_edge_profile_idx ON social.follower_edge (profile_id);

-- Engagement counters over time: a row when a post is first seen or its counts change.
CREATE TABLE social.engagement_snapshot (
  post_id  bigint NOT NULL REFERENCES social.post ON DELETE CASCADE,
  taken_at timestamptz NOT NULL,
  replies  bigint,
  reposts  bigint,
  likes    bigint,
  quotes   bigint,
  PRIMARY KEY (post_id, taken_at)
);

-- Every fetched page, verbatim. platform is free text on purpose: a page for a
-- platform without a normalizer is kept and quarantined, not refused.
CREATE TABLE ingest.raw_page (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  platform      text NOT NULL CHECK (length(platform) BETWEEN 1 AND 50),
  endpoint      text NOT NULL CHECK (length(endpoint) BETWEEN 1 AND 100),
  account_id    bigint REFERENCES social.account ON DELETE SET NULL,
  request_url   text,
  status        integer,
  headers       jsonb,
  body          text,
  fetched_at    timestamptz NOT NULL DEFAULT now(),
  normalized_at timestamptz,
  error         text
);
CREATE INDEX raw_page_fetched_idx ON ingest.raw_page (fetched_at);
CREATE INDEX raw_page_account_idx ON ingest.raw_page (account_id);

-- Pages that could not be normalized; at most one open entry per page.
CREATE TABLE ingest.quarantine (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  raw_page_id bigint NOT NULL REFERENCES ingest.raw_page ON DELETE CASCADE,
  platform    text NOT NULL,
  endpoint    text NOT NULL,
  error       text NOT NULL,
  sqlstate    text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  retried_at  timestamptz,
  resolved_at timestamptz
);
CREATE UNIQUE INDEX quarantine_open_idx ON ingest.quarantine (raw_page_id) WHERE resolved_at IS NULL;
CREATE INDEX quarantine_raw_page_idx ON ingest.quarantine (raw_page_id);
CREATE INDEX quarantine_created_idx ON ingest.quarantine (created_at) WHERE resolved_at IS NULL;

-- The platform-neutral rows every normalizer produces and ingest.apply()
-- stores; NULL means "this page does not say" (stored values are kept).
CREATE TYPE ingest.profile_in AS (
  external_id     text,
  handle          text,
  display_name    text,
  bio             text,
  follower_count  bigint,
  following_count bigint,
  post_count      bigint,
  verified        boolean,
  lang            text,
  location        text,
  avatar_url      text,
  url             text,
  raw             jsonb
);

CREATE TYPE ingest.post_in AS (
  external_id        text,
  author_external_id text,
  kind               text,
  body               text,
  lang               text,
  created_at         timestamptz,   -- NULL: not given (first-seen time is used)
  url                text,
  visibility         text,
  edited_at          timestamptz,
  deleted_at         timestamptz,
  parent_external_id text,
  root_external_id   text,
  ref_external_id    text,
  replies            bigint,
  reposts            bigint,
  likes              bigint,
  quotes             bigint,
  raw                jsonb
);

CREATE TYPE ingest.interaction_in AS (
  kind               text,
  actor_external_id  text,
  post_external_id   text,
  external_id        text,
  occurred_at        timestamptz
);
