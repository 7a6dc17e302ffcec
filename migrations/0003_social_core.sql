-- The core of the social model that the dashboard counts. The harvester issue
-- extends these tables; every row is keyed by (platform, external id).
CREATE TABLE social.platform (
  code text PRIMARY KEY,
  name text NOT NULL
);
INSERT INTO social.platform VALUES
  ('mastodon', 'Mastodon'), ('bluesky', 'Bluesky'), ('x', 'X'),
  ('facebook', 'Facebook'), ('instagram', 'Instagram'), ('weibo', 'Sina Weibo'),
  ('wechat', 'WeChat');

CREATE TABLE social.account (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  platform     text NOT NULL REFERENCES social.platform,
  handle       text NOT NULL CHECK (length(handle) BETWEEN 1 AND 200),
  display_name text NOT NULL DEFAULT '',
  api_base_url text,
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'needs_reauth')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (platform, handle)
);

CREATE TABLE social.profile (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  platform     text NOT NULL REFERENCES social.platform,
  external_id  text NOT NULL,
  handle       text,
  display_name text,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (platform, external_id)
);

CREATE TABLE social.post (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  platform    text NOT NULL REFERENCES social.platform,
  external_id text NOT NULL,
  account_id  bigint REFERENCES social.account ON DELETE SET NULL,
  author_id   bigint REFERENCES social.profile,
  kind        text NOT NULL DEFAULT 'post'
              CHECK (kind IN ('post', 'reply', 'comment', 'repost', 'quote', 'direct')),
  body        text NOT NULL DEFAULT '',
  lang        text,
  created_at  timestamptz NOT NULL,
  UNIQUE (platform, external_id)
);
CREATE INDEX ON social.post (created_at);

CREATE TABLE crm."case" (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subject    text NOT NULL CHECK (length(subject) BETWEEN 1 AND 500),
  state      text NOT NULL DEFAULT 'new'
             CHECK (state IN ('new', 'open', 'pending', 'resolved', 'closed')),
  post_id    bigint REFERENCES social.post ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON crm."case" (state) WHERE state NOT IN ('resolved', 'closed');
