-- The least a normalization of Mastodon status pages can do in PostgreSQL
-- (bench/import.sh): keep the page, parse it, upsert its authors and its
-- posts by their keys. No other index, trigger, link, snapshot or analysis:
-- a floor under ingest.store_page's cost, not a normalizer. Two ways to read
-- a page (as jsonb, as ingest does; by json_to_recordset, which parses the
-- text as it goes); the page is kept as the text it came as.
DROP SCHEMA IF EXISTS bench_floor CASCADE;
CREATE SCHEMA bench_floor;
CREATE TABLE bench_floor.raw_page (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL);
ALTER TABLE bench_floor.raw_page ALTER body SET COMPRESSION lz4;
CREATE TABLE bench_floor.profile (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, external_id text NOT NULL UNIQUE,
  handle text, display_name text);
CREATE TABLE bench_floor.post (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, external_id text NOT NULL UNIQUE,
  author_id bigint, body text, lang text, created_at timestamptz, parent_external_id text);

CREATE FUNCTION bench_floor.load_jsonb(p_text text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE p jsonb := p_text::jsonb;
BEGIN
  INSERT INTO bench_floor.raw_page (body) VALUES (p_text);
  INSERT INTO bench_floor.profile (external_id, handle, display_name)
  SELECT DISTINCT ON (s->'account'->>'id') s->'account'->>'id', s->'account'->>'acct', s->'account'->>'display_name'
  FROM jsonb_array_elements(p) s
  ON CONFLICT (external_id) DO NOTHING;
  INSERT INTO bench_floor.post (external_id, author_id, body, lang, created_at, parent_external_id)
  SELECT s->>'id', (SELECT pr.id FROM bench_floor.profile pr WHERE pr.external_id = s->'account'->>'id'),
         s->>'content', s->>'language', (s->>'created_at')::timestamptz, s->>'in_reply_to_id'
  FROM jsonb_array_elements(p) s
  ON CONFLICT (external_id) DO NOTHING;
END $$;

CREATE FUNCTION bench_floor.load_json(p text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO bench_floor.raw_page (body) VALUES (p);
  INSERT INTO bench_floor.profile (external_id, handle, display_name)
  SELECT DISTINCT ON (a.id) a.id, a.acct, a.display_name
  FROM json_to_recordset(p::json) AS s(account json), json_to_record(s.account) AS a(id text, acct text, display_name text)
  ON CONFLICT (external_id) DO NOTHING;
  INSERT INTO bench_floor.post (external_id, author_id, body, lang, created_at, parent_external_id)
  SELECT s.id, (SELECT pr.id FROM bench_floor.profile pr WHERE pr.external_id = s.account->>'id'),
         s.content, s.language, s.created_at, s.in_reply_to_id
  FROM json_to_recordset(p::json) AS s(id text, content text, language text, created_at timestamptz,
                                       in_reply_to_id text, account json)
  ON CONFLICT (external_id) DO NOTHING;
$$;
