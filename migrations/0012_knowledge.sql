-- Knowledge base (Markdown articles in categories) and canned replies.
-- Search must work on Chinese without spaces, so beside an English tsvector
-- there are trigram indexes (pg_trgm; a trusted extension, kept in public,
-- which only the owner may write).
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE crm.kb_category (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug     text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name     text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),     -- English
  name_zh  text NOT NULL CHECK (length(btrim(name_zh)) BETWEEN 1 AND 100),  -- Simplified Chinese
  position integer NOT NULL DEFAULT 0
);

CREATE TABLE crm.kb_article (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  category_id  bigint REFERENCES crm.kb_category ON DELETE SET NULL,
  lang         auth.lang NOT NULL,
  title        text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
  body         text NOT NULL CHECK (length(btrim(body)) >= 1 AND octet_length(body) <= 262144),  -- Markdown
  published    boolean NOT NULL DEFAULT false,
  author_id    bigint REFERENCES auth.staff ON DELETE SET NULL,
  updated_by   bigint REFERENCES auth.staff ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  -- English stems, title weighted A and body B, so a search can tell them apart
  tsv          tsvector GENERATED ALWAYS AS (
                 setweight(to_tsvector('english'::regconfig, title), 'A') ||
                 setweight(to_tsvector('english'::regconfig, body), 'B')) STORED
);
CREATE INDEX kb_article_tsv_idx ON crm.kb_article USING gin (tsv);
CREATE INDEX kb_article_title_trgm_idx ON crm.kb_article USING gin (title public.gin_trgm_ops);
CREATE INDEX kb_article_body_trgm_idx ON crm.kb_article USING gin (body public.gin_trgm_ops);
CREATE INDEX kb_article_recent_idx ON crm.kb_article (updated_at DESC, id DESC);
CREATE INDEX kb_article_category_idx ON crm.kb_article (category_id);

-- Reply templates with Mustache placeholders ({{contact.name}}, {{case.number}}),
-- filled in when a reply is written. Not shared: only its creator sees it.
CREATE TABLE crm.canned_reply (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title       text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 120),
  body        text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 4000),
  lang        auth.lang NOT NULL,
  category    text NOT NULL DEFAULT '' CHECK (length(category) <= 60),
  shared      boolean NOT NULL DEFAULT true,
  created_by  bigint REFERENCES auth.staff ON DELETE SET NULL,
  updated_by  bigint REFERENCES auth.staff ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  -- placeholders are not words of the reply: matching ignores them
  tsv         tsvector GENERATED ALWAYS AS (
                to_tsvector('english'::regconfig,
                            title || ' ' || regexp_replace(body, '\{\{[^}]*\}\}', ' ', 'g'))) STORED
);
CREATE INDEX canned_reply_tsv_idx ON crm.canned_reply USING gin (tsv);
CREATE INDEX canned_reply_trgm_idx ON crm.canned_reply USING gin ((title || ' ' || body) public.gin_trgm_ops);
CREATE INDEX canned_reply_owner_idx ON crm.canned_reply (created_by) WHERE NOT shared;

-- Starting categories; staff add more through the api.
INSERT INTO crm.kb_category (slug, name, name_zh, position) VALUES
  ('orders', 'Orders and delivery', '订单与配送', 10),
  ('payments', 'Payments and refunds', '支付与退款', 20),
  ('membership', 'Membership and points', '会员与积分', 30),
  ('products', 'Products', '产品', 40),
  ('general', 'General', '常见问题', 50);
