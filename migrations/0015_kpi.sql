-- KPIs for BI tools (issue 6): per-mention facts and daily rollups in schema
-- kpi, rebuilt for the days touched since the last kpi.refresh() (sql/70x_*.sql).
-- They are plain tables: a refresh deletes and re-inserts a day's rows in one
-- transaction, so readers see the old rows until it commits and never wait.
-- parley_bi reads them through 0001's default privileges on kpi.

-- Indexes that let a refresh find what changed since its watermark.
CREATE INDEX post_updated_idx ON social.post (updated_at);
CREATE INDEX interaction_created_idx ON social.interaction (created_at);
CREATE INDEX engagement_snapshot_taken_idx ON social.engagement_snapshot (taken_at);
CREATE INDEX follower_edge_first_seen_idx ON social.follower_edge (first_seen_at);
CREATE INDEX match_matched_idx ON listen.match (matched_at);
CREATE INDEX post_signal_scored_idx ON listen.post_signal (scored_at);
CREATE INDEX case_updated_idx ON crm."case" (updated_at);
CREATE INDEX lead_updated_idx ON crm.lead (updated_at);
CREATE INDEX lead_rule_idx ON crm.lead (rule_id);
CREATE INDEX outbox_sent_idx ON ingest.outbox (sent_at) WHERE sent_at IS NOT NULL;

-- One row: the reporting time zone (what a "day" is) and the refresh watermark.
CREATE TABLE kpi.freshness (
  one          boolean PRIMARY KEY DEFAULT true CHECK (one),
  tz           text NOT NULL DEFAULT 'Asia/Shanghai',
  refreshed_at timestamptz,           -- start of the last refresh that finished
  full_refresh boolean,
  days         integer,               -- days recomputed by it
  millis       integer                -- how long it took
);
INSERT INTO kpi.freshness DEFAULT VALUES;

-- One row per inbound mention: a post not written by the brand's own
-- accounts, not a repost, not deleted. day is in kpi.freshness.tz.
CREATE TABLE kpi.mention_fact (
  post_id       bigint PRIMARY KEY,
  day           date NOT NULL,
  created_at    timestamptz NOT NULL,
  account_id    bigint,
  platform      text NOT NULL,
  kind          text NOT NULL,
  needs_answer  boolean NOT NULL,
  answered_at   timestamptz,          -- first brand reply under it (harvested or sent by the outbox)
  response_seconds          bigint,
  response_business_seconds bigint,
  case_id       bigint,
  resolved_at   timestamptz,          -- of its case
  feedback_seconds bigint,            -- mention to case resolved and answered
  sentiment     real,
  label         text,
  complaint     boolean,
  lead_id       bigint,
  lead_state    text
);
CREATE INDEX mention_fact_day_idx ON kpi.mention_fact (day, account_id);

CREATE TABLE kpi.volume_daily (
  day          date NOT NULL,
  account_id   bigint,
  platform     text NOT NULL,
  category     text NOT NULL,         -- a rule category, 'none' (no rule matched) or 'all'
  mentions     bigint NOT NULL,
  own_posts    bigint NOT NULL,
  interactions bigint NOT NULL
);
CREATE INDEX volume_daily_day_idx ON kpi.volume_daily (day);

CREATE TABLE kpi.response_daily (
  day                    date NOT NULL,
  account_id             bigint,
  platform               text NOT NULL,
  mentions               bigint NOT NULL,
  needing_answer         bigint NOT NULL,
  answered               bigint NOT NULL,
  response_rate          numeric,     -- answered / needing_answer, 0..1
  response_median_s      double precision,
  response_p90_s         double precision,
  response_business_median_s double precision,
  response_business_p90_s    double precision,
  cases_closed_loop      bigint NOT NULL,   -- mentions whose case is resolved and which were answered
  feedback_median_s      double precision,
  feedback_p90_s         double precision
);
CREATE INDEX response_daily_day_idx ON kpi.response_daily (day);

CREATE TABLE kpi.sentiment_daily (
  day        date PRIMARY KEY,
  scored     bigint NOT NULL,
  positive   bigint NOT NULL,
  neutral    bigint NOT NULL,
  negative   bigint NOT NULL,
  mean_score double precision,
  complaints bigint NOT NULL,
  complaint_share numeric             -- complaints / mentions of the day
);

CREATE TABLE kpi.share_of_voice_daily (
  day            date NOT NULL,
  rule_id        bigint NOT NULL,
  rule_name      text NOT NULL,
  category       text NOT NULL,       -- 'brand' or 'competitor'
  matches        bigint NOT NULL,
  brand_matches  bigint NOT NULL,     -- posts matched by any brand rule that day
  share          numeric,             -- matches / (brand_matches + all competitor matches)
  PRIMARY KEY (day, rule_id)
);

CREATE TABLE kpi.follower_daily (
  day           date NOT NULL,
  account_id    bigint NOT NULL,
  new_followers bigint NOT NULL,
  PRIMARY KEY (day, account_id)
);

CREATE TABLE kpi.engagement_daily (
  day          date NOT NULL,
  account_id   bigint NOT NULL,
  posts        bigint NOT NULL,
  engagements  bigint NOT NULL,
  followers    bigint,
  engagement_rate numeric,
  PRIMARY KEY (day, account_id)
);

CREATE TABLE kpi.lead_daily (
  day        date NOT NULL,
  rule_id    bigint,
  account_id bigint,
  mentions   bigint NOT NULL,
  leads      bigint NOT NULL,
  qualified  bigint NOT NULL,
  won        bigint NOT NULL,
  lost       bigint NOT NULL,
  won_value  numeric NOT NULL
);
CREATE INDEX lead_daily_day_idx ON kpi.lead_daily (day);
