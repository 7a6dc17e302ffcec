-- Search helpers for the knowledge base and canned replies (called by the api
-- functions, which run as the owner). Text is matched per term:
--  * Latin words by English stem (the tsvector), so "refunds" finds "refund";
--  * CJK runs by substring of overlapping two-character pieces, since Chinese
--    has no spaces: "申请退款" is 申请, 请退, 退款, and "退款" finds "如何申请退款".

-- Characters of the CJK scripts (kana, ideographs, hangul): one class for all uses.
CREATE OR REPLACE FUNCTION crm.cjk_class() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]'
$$;

-- The terms of a search text, in order of appearance, at most 20.
-- raw: the lowercase word or CJK piece; lex: the English stem (NULL for CJK).
-- English stop words give no term.
CREATE OR REPLACE FUNCTION crm.search_terms(q text) RETURNS TABLE (raw text, lex text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  -- invisible characters (zero-width, direction marks) would split or hide terms
  WITH s AS (SELECT regexp_replace(lower(left(coalesce(q, ''), 4000)),
                                   '[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]', '', 'g') AS s),
  latin AS (
    SELECT w.word AS raw,
           (SELECT min(v.lexeme) FROM unnest(to_tsvector('english'::regconfig, w.word)) v) AS lex,
           w.n * 2 AS ord
    FROM s, regexp_split_to_table(regexp_replace(s.s, crm.cjk_class(), ' ', 'g'), '[^[:alnum:]]+')
            WITH ORDINALITY AS w(word, n)
    WHERE w.word <> ''
  ),
  runs AS (
    SELECT r.m[1] AS run, r.n FROM s, regexp_matches(s.s, crm.cjk_class() || '+', 'g') WITH ORDINALITY AS r(m, n)
  ),
  cjk AS (
    SELECT CASE WHEN char_length(run) <= 2 THEN run ELSE substr(run, i, 2) END AS raw,
           NULL::text AS lex, (runs.n * 10000 + i) * 2 + 1 AS ord
    FROM runs, generate_series(1, greatest(char_length(run) - 1, 1)) i
  ),
  terms AS (   -- one term per stem: "refund refunds" is one term
    SELECT DISTINCT ON (coalesce(lex, raw)) raw, lex, ord FROM (
      SELECT * FROM latin WHERE lex IS NOT NULL UNION ALL SELECT * FROM cjk) t
    ORDER BY coalesce(lex, raw), ord
  )
  SELECT raw, lex FROM terms ORDER BY ord LIMIT 20
$$;

-- A tsquery for one stem in the given weights ('' = any); stems of four letters
-- or more also match as a prefix, so a half-typed "refun" finds "refund".
CREATE OR REPLACE FUNCTION crm.stem_query(lex text, weights text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (quote_literal(lex) || ':' || CASE WHEN char_length(lex) >= 4 THEN '*' ELSE '' END || weights)::tsquery
$$;

-- Any of the stems (NULL for none): what the tsvector index can find.
CREATE OR REPLACE FUNCTION crm.stem_query_any(lexes text[]) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT string_agg(crm.stem_query(l, '')::text, ' | ')::tsquery FROM unnest(lexes) l
$$;

-- Markdown reduced to plain text for snippets (cmark renders the article itself).
CREATE OR REPLACE FUNCTION crm.md_plain(md text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT btrim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(md,
           '^\s*\[[^\]]+\]:.*$', '', 'gn'),                 -- link reference definitions
           '!?\[([^\]]*)\]\([^)]*\)', '\1', 'g'),            -- links and images: their text
           '<[^>]*>', ' ', 'g'),                             -- raw HTML
           '^\s*(#{1,6}|>|[-+*]|\d+[.)])\s', ' ', 'gn'),     -- headings, quotes, list marks
           '[*_`~|\\]+', '', 'g'),                          -- emphasis, code, tables
           '\s+', ' ', 'g'))
$$;

-- About 160 characters of plain text around the first place a term occurs
-- (looked for in the first 50,000 characters). Only a window of the Markdown
-- around the hit is made plain, so long articles cost no more than short ones.
CREATE OR REPLACE FUNCTION crm.snippet(md text, terms text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  head text := lower(left(md, 50000));
  hit integer := coalesce((SELECT min(strpos(head, t)) FROM unnest(terms) t WHERE strpos(head, t) > 0), 1);
  from_md integer := greatest(1, hit - 150);
  plain text := crm.md_plain(substr(md, from_md, 700));
  at integer := greatest(1, coalesce((SELECT min(strpos(lower(plain), t)) FROM unnest(terms) t
                                      WHERE strpos(lower(plain), t) > 0), 1) - 40);
BEGIN
  RETURN CASE WHEN from_md > 1 OR at > 1 THEN '…' ELSE '' END || substr(plain, at, 160)
         || CASE WHEN char_length(plain) >= at + 160 OR char_length(md) >= from_md + 700 THEN '…' ELSE '' END;
END $$;

-- Placeholders a canned reply may use (filled in when a reply is written).
CREATE OR REPLACE FUNCTION crm.canned_placeholders() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY['contact.name', 'contact.handle', 'case.number', 'agent.name', 'brand.name']
$$;

-- Canned replies ranked for an incoming message: score = 0.75 × the share of
-- the message's terms found in the reply (title or text, placeholders aside)
-- + 0.25 × trigram similarity of the two texts; replies in p_lang come first.
-- Only replies with a term in common, or a trigram similarity of 0.3 or more.
CREATE OR REPLACE FUNCTION crm.canned_rank(p_text text, p_lang text)
RETURNS TABLE (reply_id bigint, score numeric, same_lang boolean)
LANGUAGE sql STABLE AS $$
  WITH t AS (SELECT raw, lex, crm.stem_query(lex, '') AS tq FROM crm.search_terms(p_text)),
  n AS (SELECT count(*) AS n FROM t),
  scored AS (
    SELECT r.id, r.lang,
           coalesce((SELECT count(*) FILTER (WHERE CASE WHEN t.lex IS NOT NULL THEN r.tsv @@ t.tq
                                                       ELSE strpos(r.title || ' ' || r.body, t.raw) > 0 END)
                     FROM t)::numeric / nullif(n.n, 0), 0) AS overlap,
           public.similarity(lower(p_text),
                             lower(r.title || ' ' || regexp_replace(r.body, '\{\{[^}]*\}\}', ' ', 'g'))) AS trgm
    FROM crm.canned_reply r, n
  )
  SELECT id, round(0.75 * overlap + 0.25 * trgm::numeric, 3), lang = p_lang
  FROM scored WHERE overlap > 0 OR trgm >= 0.3
$$;

-- The language of a message when the caller does not say: any CJK ideograph
-- or kana makes it Chinese.
CREATE OR REPLACE FUNCTION crm.guess_lang(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_text ~ crm.cjk_class() THEN 'zh-CN' ELSE 'en' END
$$;

DROP FUNCTION IF EXISTS crm.kb_id(jsonb, text);   -- now crm.param_id
DROP FUNCTION IF EXISTS crm.kb_flag(jsonb, text); -- now crm.param_flag

-- A page size between 1 and hi (dflt when absent).
CREATE OR REPLACE FUNCTION crm.kb_limit(p jsonb, dflt integer, hi integer) RETURNS integer
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF coalesce(p->>'limit', '') = '' THEN RETURN dflt; END IF;
  IF p->>'limit' !~ '^\d{1,4}$' OR (p->>'limit')::integer NOT BETWEEN 1 AND hi THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = format('Ask for 1 to %s results.', hi), HINT = 'err.kb_limit_named',
                                 DETAIL = jsonb_build_object('max', hi);
  END IF;
  RETURN (p->>'limit')::integer;
END $$;

CREATE OR REPLACE FUNCTION crm.kb_lang(p jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF coalesce(p->>'lang', '') = '' THEN RETURN NULL; END IF;
  IF p->>'lang' NOT IN ('en', 'zh-CN') THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Choose English or Simplified Chinese.', HINT = 'err.kb_lang';
  END IF;
  RETURN p->>'lang';
END $$;

-- Who may write articles and shared replies.
CREATE OR REPLACE FUNCTION crm.kb_editor(st auth.staff) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT st.role IN ('admin', 'agent', 'marketer') $$;
CREATE OR REPLACE FUNCTION crm.canned_editor(st auth.staff) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT st.role IN ('admin', 'agent', 'marketer', 'sales') $$;
CREATE OR REPLACE FUNCTION crm.canned_owner(r crm.canned_reply, st auth.staff) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT crm.canned_editor(st) AND (r.created_by IS NOT DISTINCT FROM st.id OR st.role = 'admin') $$;
-- (a reply without an author, its author's account deleted, is an admin's to remove)

-- Who may delete an article: its author or an admin (any writer may edit it).
CREATE OR REPLACE FUNCTION crm.kb_deleter(a crm.kb_article, st auth.staff) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT crm.kb_editor(st) AND (a.author_id IS NOT DISTINCT FROM st.id OR st.role = 'admin') $$;

-- Categories with how many articles the viewer can see in each.
CREATE OR REPLACE FUNCTION crm.kb_categories(with_drafts boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', c.id, 'slug', c.slug, 'name', c.name, 'name_zh', c.name_zh, 'position', c.position,
           'articles', (SELECT count(*) FROM crm.kb_article a WHERE a.category_id = c.id AND (with_drafts OR a.published)))
         ORDER BY c.position, c.name, c.id), '[]')
  FROM crm.kb_category c
$$;

-- The fields of an article in lists and on its page (the page adds body_md).
CREATE OR REPLACE FUNCTION crm.kb_article_json(a crm.kb_article, c crm.kb_category, snippet text, score numeric)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', a.id, 'title', a.title, 'lang', a.lang, 'published', a.published,
    'category_id', a.category_id, 'category', c.name, 'category_zh', c.name_zh, 'category_slug', c.slug,
    'author', (SELECT u.display_name FROM auth.staff u WHERE u.id = a.author_id),
    'updated_at', a.updated_at, 'snippet', snippet, 'score', score)
$$;

CREATE OR REPLACE FUNCTION crm.canned_json(r crm.canned_reply, st auth.staff) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', r.id, 'title', r.title, 'body', r.body, 'lang', r.lang, 'category', r.category, 'shared', r.shared,
    'mine', coalesce(r.created_by = st.id, false),
    'can_edit', crm.canned_editor(st) AND (r.shared OR r.created_by = st.id),
    -- a shared reply is the team's: anyone may edit it, its author (or an
    -- admin) alone unshare or delete it
    'can_delete', crm.canned_owner(r, st),
    'author', (SELECT u.display_name FROM auth.staff u WHERE u.id = r.created_by),
    'updated_at', r.updated_at)
$$;
