-- Listening: keyword rules applied to every stored post, their matches, and
-- the sentiment signal per post (DESIGN.md "React in the database").

CREATE TABLE listen.rule (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  category    text NOT NULL CHECK (category IN ('brand', 'product', 'competitor', 'complaint', 'campaign', 'custom')),
  -- keywords and "phrases" with AND, OR, NOT and parentheses, e.g.
  -- (lumen OR "卢门咖啡") AND NOT (job OR hiring)
  expression  text NOT NULL CHECK (length(expression) BETWEEN 1 AND 2000),
  platforms   text[],            -- NULL: every platform
  account_ids bigint[],          -- NULL: every account
  langs       text[],            -- NULL: any language
  action      text NOT NULL DEFAULT 'none' CHECK (action IN ('none', 'contact', 'case')),  -- beyond being listed
  search      boolean NOT NULL DEFAULT false,   -- also run as platform search streams by the harvester
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE listen.match (
  post_id    bigint NOT NULL REFERENCES social.post ON DELETE CASCADE,
  rule_id    bigint NOT NULL REFERENCES listen.rule ON DELETE CASCADE,
  matched_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (post_id, rule_id)
);
CREATE INDEX match_rule_idx ON listen.match (rule_id, post_id);

-- Sentiment lexicons are data (loaded by migrations), per language.
CREATE TABLE listen.lexicon (
  lang  text NOT NULL CHECK (lang IN ('en', 'zh')),
  term  text NOT NULL CHECK (length(term) BETWEEN 1 AND 100),
  kind  text NOT NULL CHECK (kind IN ('word', 'negation', 'intensifier')),
  score real NOT NULL,            -- word: polarity; intensifier: multiplier; negation: ignored
  PRIMARY KEY (lang, term)
);

CREATE TABLE listen.post_signal (
  post_id   bigint PRIMARY KEY REFERENCES social.post ON DELETE CASCADE,
  sentiment real NOT NULL,        -- about -1 .. 1
  label     text NOT NULL CHECK (label IN ('positive', 'neutral', 'negative')),
  complaint boolean NOT NULL DEFAULT false,   -- a complaint rule matched, or strongly negative
  scored_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX post_signal_label_idx ON listen.post_signal (label) WHERE label <> 'neutral';
