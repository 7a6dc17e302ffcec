-- Knowledge base and canned replies. Everyone signed in reads; agents and
-- marketers (and admins) write articles; agents, marketers and sales write
-- canned replies. Drafts (unpublished articles) are seen by writers only;
-- a reply that is not shared is seen by its creator only.

-- Articles: a search (q) ranked best first, or without q the most recently
-- updated first; keyset pages through "after" (the "next" of the last page).
-- Score per term of q: 3 if in the title, +1 if in the text; summed and
-- divided by the number of terms (0..4). With no term found, a title close to
-- q by trigrams (q <% title: word similarity ≥ pg_trgm.word_similarity_threshold,
-- 0.6 by default) still counts, at half its similarity.
CREATE FUNCTION api.kb(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  st auth.staff := auth.require();
  drafts boolean := crm.kb_editor(st);
  q text := btrim(coalesce(p->>'q', ''));
  lim integer := crm.kb_limit(p, 20, 50);
  cat bigint := crm.param_id(p, 'category');
  lng text := crm.kb_lang(p);
  after_key numeric; after_id bigint;
  rows jsonb;
BEGIN
  IF char_length(q) > 200 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Search for at most 200 characters.', HINT = 'err.kb_query';
  END IF;
  IF coalesce(p->>'after', '') <> '' THEN
    IF p->>'after' !~ '^\d{1,17}(\.\d{1,3})?,\d{1,18}$' THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'The page link is not valid; start again from the first page.',
                                   HINT = 'err.kb_cursor';
    END IF;
    after_key := split_part(p->>'after', ',', 1)::numeric;
    after_id := split_part(p->>'after', ',', 2)::bigint;
  END IF;

  IF q = '' THEN
    SELECT coalesce(jsonb_agg(r.j ORDER BY r.updated_at DESC, r.id DESC), '[]') INTO rows FROM (
      SELECT a.id, a.updated_at,
             crm.kb_article_json(a, c, crm.snippet(a.body, '{}'), NULL)
               || jsonb_build_object('cursor', (extract(epoch FROM a.updated_at) * 1000000)::bigint || ',' || a.id) AS j
      FROM crm.kb_article a LEFT JOIN crm.kb_category c ON c.id = a.category_id
      WHERE (drafts OR a.published) AND (cat IS NULL OR a.category_id = cat) AND (lng IS NULL OR a.lang = lng)
        AND (after_id IS NULL OR (a.updated_at, a.id) < (timestamptz 'epoch' + after_key::float8 * interval '1 microsecond', after_id))
      ORDER BY a.updated_at DESC, a.id DESC LIMIT lim + 1) r;
  ELSE
    -- tsqueries made once per term; CJK has no case, so no lower() of long texts
    WITH t AS (SELECT raw, lex, crm.stem_query(lex, 'A') AS in_title, crm.stem_query(lex, 'B') AS in_body
               FROM crm.search_terms(q)),
    n AS (SELECT count(*) AS n, array_agg(raw) || array_agg(lex) FILTER (WHERE lex IS NOT NULL) AS words FROM t),
    -- candidates: by the stem index, by CJK substring (a scan, only for CJK terms), by the title trigram index
    cand AS (
      SELECT a.id FROM crm.kb_article a
      WHERE a.tsv @@ (SELECT crm.stem_query_any(array_agg(t.lex)) FROM t WHERE t.lex IS NOT NULL)
      UNION
      SELECT a.id FROM crm.kb_article a, t
      WHERE t.lex IS NULL AND (strpos(a.title, t.raw) > 0 OR strpos(a.body, t.raw) > 0)
      UNION
      SELECT a.id FROM crm.kb_article a WHERE q OPERATOR(public.<%) a.title
    ),
    scored AS (
      SELECT a, (SELECT sum(CASE WHEN CASE WHEN t.lex IS NULL THEN strpos(a.title, t.raw) > 0
                                           ELSE a.tsv @@ t.in_title END THEN 3 ELSE 0 END
                          + CASE WHEN CASE WHEN t.lex IS NULL THEN strpos(a.body, t.raw) > 0
                                           ELSE a.tsv @@ t.in_body END THEN 1 ELSE 0 END)
                 FROM t) AS points
      FROM crm.kb_article a JOIN cand USING (id)
      WHERE (drafts OR a.published) AND (cat IS NULL OR a.category_id = cat) AND (lng IS NULL OR a.lang = lng)
    ),
    ranked AS (
      SELECT s.a, CASE WHEN s.points > 0 THEN round(s.points::numeric / n.n, 3)
                       WHEN q OPERATOR(public.<%) (s.a).title
                       THEN round(0.5 * public.word_similarity(q, (s.a).title)::numeric, 3) END AS score,
             n.words
      FROM scored s, n
    )
    SELECT coalesce(jsonb_agg(r.j ORDER BY r.score DESC, r.id DESC), '[]') INTO rows FROM (
      SELECT (x.a).id, x.score,
             crm.kb_article_json(x.a, c, crm.snippet((x.a).body, coalesce(x.words, '{}')), x.score)
               || jsonb_build_object('cursor', x.score || ',' || (x.a).id) AS j
      FROM ranked x LEFT JOIN crm.kb_category c ON c.id = (x.a).category_id
      WHERE x.score IS NOT NULL AND (after_id IS NULL OR (x.score, (x.a).id) < (after_key, after_id))
      ORDER BY x.score DESC, (x.a).id DESC LIMIT lim + 1) r;
  END IF;

  -- one row more than the page tells whether there is a next page
  RETURN jsonb_build_object(
    'q', q, 'lang', lng, 'category', cat, 'limit', lim,
    'articles', rows - lim,
    'next', CASE WHEN jsonb_array_length(rows) > lim THEN rows->(lim - 1)->'cursor' END,
    -- the search as a query string, so the next page keeps it
    'query', crm.query_string(jsonb_build_object('q', nullif(q, ''), 'category', cat, 'lang', lng)),
    'categories', (SELECT coalesce(jsonb_agg(c || jsonb_build_object('selected', (c->>'id')::bigint = cat) ORDER BY i), '[]')
                   FROM jsonb_array_elements(crm.kb_categories(drafts)) WITH ORDINALITY x(c, i)),
    'can_edit', drafts);
END $$;

-- One article with its raw Markdown (body_md; the worker renders it).
CREATE FUNCTION api.kb_article(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  st auth.staff := auth.require();
  drafts boolean := crm.kb_editor(st);
  doc jsonb;
BEGIN
  SELECT crm.kb_article_json(a, c, NULL, NULL)
         || jsonb_build_object('body_md', a.body, 'created_at', a.created_at,
                               'updated_by', (SELECT u.display_name FROM auth.staff u WHERE u.id = a.updated_by),
                               'can_delete', crm.kb_deleter(a, st))
  INTO doc
  FROM crm.kb_article a LEFT JOIN crm.kb_category c ON c.id = a.category_id
  WHERE a.id = crm.param_id(p, 'id') AND (drafts OR a.published);
  IF doc IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such article.', HINT = 'err.no_kb_article';
  END IF;
  RETURN jsonb_build_object('article', doc - 'snippet' - 'score', 'categories', crm.kb_categories(drafts),
                            'can_edit', drafts);
END $$;

-- Create (no id) or update an article.
CREATE FUNCTION api.kb_save(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  st auth.staff := auth.require('agent', 'marketer');
  aid bigint := crm.param_id(p, 'id');
  v_title text := btrim(coalesce(p->>'title', ''), E' \t\r\n');
  v_body text := replace(coalesce(p->>'body_md', ''), E'\r\n', E'\n');
  lng text := crm.kb_lang(p);
  cat bigint := crm.param_id(p, 'category_id');
  pub boolean := crm.param_flag(p, 'published');
BEGIN
  IF char_length(v_title) NOT BETWEEN 1 AND 200 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Give the article a title of 1 to 200 characters.', HINT = 'err.kb_title';
  END IF;
  PERFORM social.check_shown_name(v_title);
  IF v_body !~ '\S' OR octet_length(v_body) > 262144 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Write the article text (at most 256 KiB: about 260,000 letters or 87,000 Chinese characters).', HINT = 'err.kb_body';
  END IF;
  IF lng IS NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Choose English or Simplified Chinese.', HINT = 'err.kb_lang';
  END IF;
  IF cat IS NOT NULL AND NOT EXISTS (SELECT FROM crm.kb_category WHERE id = cat) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Choose one of the categories.', HINT = 'err.kb_category';
  END IF;

  IF aid IS NULL THEN
    INSERT INTO crm.kb_article (category_id, lang, title, body, published, author_id, updated_by)
    VALUES (cat, lng, v_title, v_body, pub, st.id, st.id) RETURNING id INTO aid;
    PERFORM auth.audit('kb_article_created', st.id, jsonb_build_object('article', aid, 'published', pub));
  ELSE
    UPDATE crm.kb_article a
    SET category_id = cat, lang = lng, title = v_title, body = v_body, published = pub,
        updated_by = st.id, updated_at = now()
    WHERE a.id = aid RETURNING a.id INTO aid;
    IF aid IS NULL THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such article.', HINT = 'err.no_kb_article';
    END IF;
    PERFORM auth.audit('kb_article_updated', st.id, jsonb_build_object('article', aid, 'published', pub));
  END IF;
  RETURN jsonb_build_object('id', aid, 'redirect', '/kb/article?id=' || aid);
END $$;

CREATE FUNCTION api.kb_delete(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent', 'marketer'); gone crm.kb_article;
BEGIN
  SELECT * INTO gone FROM crm.kb_article WHERE id = crm.param_id(p, 'id') FOR UPDATE;
  IF gone.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such article.', HINT = 'err.no_kb_article';
  ELSIF NOT crm.kb_deleter(gone, st) THEN
    RAISE SQLSTATE 'PR403' USING MESSAGE = 'Only its author or an admin may delete an article; unpublish it to take it out of use.',
                                 HINT = 'err.kb_delete';
  END IF;
  DELETE FROM crm.kb_article WHERE id = gone.id;
  PERFORM auth.audit('kb_article_deleted', st.id, jsonb_build_object('article', gone.id, 'title', gone.title));
  RETURN jsonb_build_object('id', gone.id);
END $$;

-- Create (no id) or rename a category.
CREATE FUNCTION api.kb_category_save(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  st auth.staff := auth.require('agent', 'marketer');
  cid bigint := crm.param_id(p, 'id');
  v_slug text := lower(btrim(coalesce(p->>'slug', '')));
  v_name text := btrim(coalesce(p->>'name', ''), E' \t\r\n');
  v_name_zh text := btrim(coalesce(p->>'name_zh', ''), E' \t\r\n');
  pos integer;
BEGIN
  IF v_slug !~ '^[a-z0-9][a-z0-9-]{0,62}$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The short name is 1 to 63 lowercase letters, digits or hyphens.',
                                 HINT = 'err.kb_slug';
  END IF;
  IF char_length(v_name) NOT BETWEEN 1 AND 100 OR char_length(v_name_zh) NOT BETWEEN 1 AND 100 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Give the category an English and a Chinese name of 1 to 100 characters.',
                                 HINT = 'err.kb_category_name';
  END IF;
  IF coalesce(p->>'position', '') !~ '^-?\d{0,6}$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The position is a whole number.', HINT = 'err.kb_position';
  END IF;
  pos := coalesce(nullif(p->>'position', '')::integer, 0);
  IF cid IS NULL THEN
    INSERT INTO crm.kb_category (slug, name, name_zh, position) VALUES (v_slug, v_name, v_name_zh, pos) RETURNING id INTO cid;
  ELSE
    UPDATE crm.kb_category c SET slug = v_slug, name = v_name, name_zh = v_name_zh, position = pos
    WHERE c.id = cid RETURNING c.id INTO cid;
    IF cid IS NULL THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such category.', HINT = 'err.no_kb_category';
    END IF;
  END IF;
  PERFORM auth.audit('kb_category_saved', st.id, jsonb_build_object('category', cid, 'slug', v_slug));
  RETURN jsonb_build_object('id', cid);
EXCEPTION WHEN unique_violation THEN
  RAISE SQLSTATE 'PR409' USING MESSAGE = 'Another category has that short name.', HINT = 'err.kb_slug_taken';
END $$;

-- Deleting a category keeps its articles, uncategorized.
CREATE FUNCTION api.kb_category_delete(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent', 'marketer'); gone bigint;
BEGIN
  DELETE FROM crm.kb_category WHERE id = crm.param_id(p, 'id') RETURNING id INTO gone;
  IF gone IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such category.', HINT = 'err.no_kb_category';
  END IF;
  PERFORM auth.audit('kb_category_deleted', st.id, jsonb_build_object('category', gone));
  RETURN jsonb_build_object('id', gone);
END $$;

----------------------------------------------------------------- Canned replies

-- The replies the viewer may use (shared ones and their own), by category and
-- title; q keeps those whose title or text contains it; at most 500.
CREATE FUNCTION api.canned(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  st auth.staff := auth.require();
  q text := lower(btrim(coalesce(p->>'q', '')));
  lng text := crm.kb_lang(p);
  cat text := nullif(btrim(coalesce(p->>'category', '')), '');
  edit_id bigint := crm.param_id(p, 'edit');
  editing crm.canned_reply;
  -- the categories of the replies the viewer sees
  cats text[] := ARRAY(SELECT DISTINCT r.category FROM crm.canned_reply r
                       WHERE (r.shared OR r.created_by = st.id) AND r.category <> '' ORDER BY 1);
BEGIN
  IF edit_id IS NOT NULL THEN
    IF NOT crm.canned_editor(st) THEN
      RAISE SQLSTATE 'PR403' USING MESSAGE = 'Your role may not do this.', HINT = 'err.forbidden_role';
    END IF;
    SELECT * INTO editing FROM crm.canned_reply r WHERE r.id = edit_id AND (r.shared OR r.created_by = st.id);
    IF editing.id IS NULL THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such canned reply.', HINT = 'err.no_canned';
    END IF;
  END IF;
  IF char_length(q) > 200 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Search for at most 200 characters.', HINT = 'err.kb_query';
  END IF;
  RETURN jsonb_build_object(
    'q', q, 'lang', lng, 'category', cat,
    'replies', coalesce((
      SELECT jsonb_agg(crm.canned_json(r, st) ORDER BY r.category, lower(r.title), r.id)
      FROM (SELECT * FROM crm.canned_reply r
            WHERE (r.shared OR r.created_by = st.id) AND (lng IS NULL OR r.lang = lng)
              AND (cat IS NULL OR r.category = cat) AND strpos(lower(r.title || ' ' || r.body), q) > 0
            ORDER BY r.category, lower(r.title), r.id LIMIT 500) r), '[]'),
    'categories', to_jsonb(cats),
    -- the same for the page's filter, the one chosen marked
    'category_choices', coalesce((SELECT jsonb_agg(jsonb_build_object('name', c, 'selected', c = cat) ORDER BY c)
                                  FROM unnest(cats) c), '[]'),
    'lang_en', lng = 'en', 'lang_zh', lng = 'zh-CN',
    'placeholders', to_jsonb(crm.canned_placeholders()),
    'can_edit', crm.canned_editor(st),
    -- the reply the form edits (?edit=id), with its language as the form's choice
    'editing', CASE WHEN editing.id IS NOT NULL
                    THEN crm.canned_json(editing, st) || jsonb_build_object('lang_zh', editing.lang = 'zh-CN') END);
END $$;

-- Create (no id) or update a reply. Only its creator may make a shared reply personal.
CREATE FUNCTION api.canned_save(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  st auth.staff := auth.require('agent', 'marketer', 'sales');
  rid bigint := crm.param_id(p, 'id');
  v_title text := btrim(coalesce(p->>'title', ''), E' \t\r\n');
  v_body text := btrim(replace(coalesce(p->>'body', ''), E'\r\n', E'\n'), E' \t\r\n');
  lng text := crm.kb_lang(p);
  cat text := btrim(coalesce(p->>'category', ''));
  v_shared boolean := crm.param_flag(p, 'shared');
  bad text;
  old crm.canned_reply;
BEGIN
  IF char_length(v_title) NOT BETWEEN 1 AND 120 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Give the reply a title of 1 to 120 characters.', HINT = 'err.canned_title';
  END IF;
  PERFORM social.check_shown_name(v_title);
  IF char_length(v_body) NOT BETWEEN 1 AND 4000 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Write the reply text (1 to 4,000 characters).', HINT = 'err.canned_body';
  END IF;
  -- (api.reply would refuse the reply it starts)
  IF v_body ~ social.text_control_class() THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A canned reply''s text cannot contain control characters.', HINT = 'err.canned_chars';
  END IF;
  IF v_body ~ social.direction_override_class() THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A canned reply''s text cannot contain text-direction overrides (U+202A to U+202E, U+2066 to U+2069).',
                                 HINT = 'err.canned_direction';
  END IF;
  IF lng IS NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Choose English or Simplified Chinese.', HINT = 'err.kb_lang';
  END IF;
  IF char_length(cat) > 60 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'The category is at most 60 characters.', HINT = 'err.canned_category';
  END IF;
  SELECT m[1] INTO bad FROM regexp_matches(v_body, '\{\{\s*([^{}]*?)\s*\}\}', 'g') m
  WHERE NOT m[1] = ANY (crm.canned_placeholders()) LIMIT 1;
  IF FOUND THEN
    RAISE SQLSTATE 'PR422' USING HINT = 'err.canned_placeholder_named',
      MESSAGE = format('Unknown placeholder {{%s}}; use %s.', left(bad, 60),
                       (SELECT string_agg('{{' || x || '}}', ', ') FROM unnest(crm.canned_placeholders()) x)),
      DETAIL = jsonb_build_object('name', '{{' || left(bad, 60) || '}}',
                                  'list', (SELECT string_agg('{{' || x || '}}', ', ') FROM unnest(crm.canned_placeholders()) x));
  END IF;
  IF regexp_replace(v_body, '\{\{\s*[^{}]*?\s*\}\}', '', 'g') ~ '\{\{|\}\}' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A placeholder is written with two braces on each side, like {{contact.name}}.',
                                 HINT = 'err.canned_braces';
  END IF;

  IF rid IS NULL THEN
    INSERT INTO crm.canned_reply (title, body, lang, category, shared, created_by, updated_by)
    VALUES (v_title, v_body, lng, cat, v_shared, st.id, st.id) RETURNING id INTO rid;
    PERFORM auth.audit('canned_reply_created', st.id, jsonb_build_object('reply', rid, 'shared', v_shared));
  ELSE
    SELECT * INTO old FROM crm.canned_reply r WHERE r.id = rid AND (r.shared OR r.created_by = st.id) FOR UPDATE;
    IF NOT FOUND THEN
      RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such canned reply.', HINT = 'err.no_canned';
    END IF;
    IF old.shared AND NOT v_shared AND NOT crm.canned_owner(old, st) THEN
      RAISE SQLSTATE 'PR403' USING MESSAGE = 'Only its author or an admin may stop sharing a reply.', HINT = 'err.canned_unshare';
    END IF;
    UPDATE crm.canned_reply r
    SET title = v_title, body = v_body, lang = lng, category = cat, shared = v_shared, updated_by = st.id, updated_at = now()
    WHERE r.id = rid;
    PERFORM auth.audit('canned_reply_updated', st.id, jsonb_build_object('reply', rid, 'shared', v_shared));
  END IF;
  RETURN jsonb_build_object('id', rid);
END $$;

CREATE FUNCTION api.canned_delete(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent', 'marketer', 'sales'); r crm.canned_reply; gone crm.canned_reply;
BEGIN
  SELECT * INTO r FROM crm.canned_reply c WHERE c.id = crm.param_id(p, 'id') AND (c.shared OR c.created_by = st.id) FOR UPDATE;
  IF r.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such canned reply.', HINT = 'err.no_canned';
  ELSIF NOT crm.canned_owner(r, st) THEN
    RAISE SQLSTATE 'PR403' USING MESSAGE = 'Only its author or an admin may delete a shared reply.', HINT = 'err.canned_delete';
  END IF;
  DELETE FROM crm.canned_reply c WHERE c.id = r.id RETURNING * INTO gone;
  PERFORM auth.audit('canned_reply_deleted', st.id, jsonb_build_object('reply', gone.id, 'title', gone.title));
  RETURN jsonb_build_object('id', gone.id);
END $$;

-- Replies that fit an incoming message, best first (see crm.canned_rank);
-- lang defaults to the message's own (Chinese when it has CJK characters).
CREATE FUNCTION api.canned_suggest(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  st auth.staff := auth.require();
  msg text := btrim(coalesce(p->>'text', ''));
  lng text := crm.kb_lang(p);
  lim integer := crm.kb_limit(p, 5, 10);
BEGIN
  IF char_length(msg) NOT BETWEEN 1 AND 4000 THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Give the message to answer (1 to 4,000 characters).',
                                 HINT = 'err.canned_text';
  END IF;
  lng := coalesce(lng, crm.guess_lang(msg));
  RETURN jsonb_build_object('lang', lng, 'suggestions', coalesce((
    SELECT jsonb_agg(crm.canned_json(r, st) || jsonb_build_object('score', k.score)
                     ORDER BY k.same_lang DESC, k.score DESC, r.id)
    FROM (SELECT k.reply_id, k.score, k.same_lang FROM crm.canned_rank(msg, lng) k
          JOIN crm.canned_reply r ON r.id = k.reply_id AND (r.shared OR r.created_by = st.id)
          ORDER BY k.same_lang DESC, k.score DESC, r.id LIMIT lim) k
    JOIN crm.canned_reply r ON r.id = k.reply_id), '[]'));
END $$;

-- The article editor: the article when an id is given (else an empty form)
-- and the categories to choose from, the article's marked.
CREATE FUNCTION api.kb_edit(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE st auth.staff := auth.require('agent', 'marketer'); art jsonb := '{"lang": "en", "published": true}';
BEGIN
  IF coalesce(p->>'id', '') <> '' THEN
    art := api.kb_article(p)->'article';
  END IF;
  RETURN jsonb_build_object(
    'article', art || jsonb_build_object('lang_is_zh', art->>'lang' = 'zh-CN'),
    'categories', (SELECT jsonb_agg(c || jsonb_build_object('selected', c->>'id' = art->>'category_id'))
                   FROM jsonb_array_elements(crm.kb_categories(true)) c));
END $$;
