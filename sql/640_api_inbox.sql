-- The unified inbox: one stream of what people say to and about the brand
-- across every account and platform, newest first, with filters and keyset
-- pages; bulk triage (assign, tag, mark handled).

-- Is this profile one of the brand's own accounts? (Their posts are not inbound.)
-- PL/pgSQL: a LANGUAGE sql function whose body has a subquery is not
-- inlined, and is then parsed and planned on every call.
CREATE OR REPLACE FUNCTION crm.own_profile(p_profile bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN EXISTS (SELECT FROM social.own_profile o WHERE o.id = p_profile);
END $$;

DROP FUNCTION IF EXISTS crm.answered(bigint);

CREATE FUNCTION api.inbox(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  st auth.staff := auth.require();
  f_account  bigint := nullif(p->>'account', '')::bigint;
  f_platform text := nullif(p->>'platform', '');
  f_rule     bigint := nullif(p->>'rule', '')::bigint;
  f_category text := nullif(p->>'category', '');
  f_feeling  text := nullif(p->>'sentiment', '');
  f_lang     text := CASE WHEN p->>'lang' ~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})?$' THEN p->>'lang' END;
  f_answered boolean := CASE p->>'answered' WHEN 'yes' THEN true WHEN 'no' THEN false END;
  f_mine     boolean := coalesce(p->>'mine', '') = '1';
  after_at   timestamptz;
  after_id   bigint;
  rows       jsonb;
BEGIN
  IF p ? 'before' THEN
    SELECT created_at, id INTO after_at, after_id FROM social.post WHERE id = (p->>'before')::bigint;
  END IF;
  WITH page AS (
    SELECT q.id, q.created_at, a.answered FROM social.post q
    -- answered: the brand replied under it (a reply by one of its accounts)
    CROSS JOIN LATERAL (SELECT EXISTS (SELECT FROM social.post r JOIN social.own_profile o ON o.id = r.author_id
                                       WHERE r.parent_id = q.id) AS answered) a
    WHERE q.deleted_at IS NULL
      -- always a row comparison, so even a generic plan walks the index from the keyset
      AND (q.created_at, q.id) < (coalesce(after_at, 'infinity'), coalesce(after_id, 0))
      AND (f_account IS NULL OR q.account_id = f_account)
      AND (f_platform IS NULL OR q.platform = f_platform)
      AND (f_lang IS NULL OR q.lang = f_lang OR q.lang LIKE f_lang || '-%')
      AND (f_rule IS NULL OR EXISTS (SELECT FROM listen.match m WHERE m.post_id = q.id AND m.rule_id = f_rule))
      AND (f_category IS NULL OR EXISTS (SELECT FROM listen.match m JOIN listen.rule r ON r.id = m.rule_id
                                         WHERE m.post_id = q.id AND r.category = f_category))
      AND (f_feeling IS NULL OR EXISTS (SELECT FROM listen.post_signal s WHERE s.post_id = q.id AND s.label = f_feeling))
      AND (NOT f_mine OR EXISTS (SELECT FROM crm.triage t WHERE t.post_id = q.id AND t.assignee_id = st.id))
      AND (f_answered IS NULL OR a.answered = f_answered)
      AND NOT EXISTS (SELECT FROM social.own_profile o WHERE o.id = q.author_id)
    ORDER BY q.created_at DESC, q.id DESC
    LIMIT 50)
  SELECT jsonb_agg(c.card || jsonb_build_object(
           'rules', coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'name', r.name, 'category', r.category)
                                               ORDER BY r.name)
                              FROM listen.match m JOIN listen.rule r ON r.id = m.rule_id WHERE m.post_id = pg.id), '[]'),
           'signal', (SELECT jsonb_build_object('label', s.label, 'sentiment', round(s.sentiment::numeric, 2),
                                                'complaint', s.complaint, s.label, true)
                      FROM listen.post_signal s WHERE s.post_id = pg.id),
           'answered', pg.answered,
           'triage', (SELECT jsonb_build_object('assignee', sf.display_name, 'assignee_id', t.assignee_id,
                                                'tags', t.tags, 'handled', t.handled_at IS NOT NULL)
                      FROM crm.triage t LEFT JOIN auth.staff sf ON sf.id = t.assignee_id WHERE t.post_id = pg.id),
           'account', (SELECT jsonb_build_object('id', a.id, 'handle', a.handle)
                       FROM social.post x JOIN social.account a ON a.id = x.account_id WHERE x.id = pg.id))
         ORDER BY pg.created_at DESC, pg.id DESC)
  INTO rows
  FROM page pg JOIN social.post_card c ON c.id = pg.id;
  rows := coalesce(rows, '[]');
  RETURN jsonb_build_object(
    'posts', rows,
    'next_before', CASE WHEN jsonb_array_length(rows) = 50 THEN rows->49->'id' END,
    'filters', jsonb_strip_nulls(jsonb_build_object('account', f_account, 'platform', f_platform, 'rule', f_rule,
                                                    'category', f_category, 'sentiment', f_feeling, 'lang', f_lang,
                                                    'answered', p->>'answered', 'mine', f_mine)),
    -- which fixed choices are selected, for the filter form
    'sel', (SELECT jsonb_object_agg(k, true) FROM unnest(ARRAY['category_' || f_category, 'sentiment_' || f_feeling,
                                                                'answered_' || (p->>'answered'),
                                                                CASE WHEN f_mine THEN 'mine' END]) k
            WHERE k IS NOT NULL),
    -- the filters as a query string, so the next page and bulk actions keep them
    'query', (SELECT coalesce(string_agg(k || '=' || v, '&' ORDER BY k), '')
              FROM (VALUES ('account', f_account::text), ('platform', f_platform), ('rule', f_rule::text),
                           ('category', f_category), ('sentiment', f_feeling), ('lang', f_lang),
                           ('answered', CASE f_answered WHEN true THEN 'yes' WHEN false THEN 'no' END),
                           ('mine', CASE WHEN f_mine THEN '1' END)) f(k, v) WHERE v IS NOT NULL),
    'accounts', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'handle', handle, 'platform', platform,
                                                              'selected', id = f_account) ORDER BY platform, handle)
                          FROM social.account), '[]'),
    'platforms', (SELECT jsonb_agg(jsonb_build_object('code', code, 'name', name, 'selected', code = f_platform)
                                   ORDER BY name) FROM social.platform),
    'rules', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'name', name, 'selected', id = f_rule) ORDER BY name)
                       FROM listen.rule), '[]'),
    'staff', coalesce((SELECT jsonb_agg(jsonb_build_object('id', id, 'name', display_name) ORDER BY display_name)
                       FROM auth.staff WHERE disabled_at IS NULL), '[]'));
END $$;

-- Bulk triage of inbox posts: assign (to a staff member, or nobody), add a
-- tag, mark handled or not. Agents and up. Returns how many posts changed.
CREATE FUNCTION api.inbox_bulk(p jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  st auth.staff := auth.require('agent', 'marketer');
  ids bigint[];
  act text := p->>'action';
  who bigint := nullif(p->>'staff_id', '')::bigint;
  tag text := btrim(coalesce(p->>'tag', ''));
  n integer;
BEGIN
  IF coalesce(p->>'ids', '') !~ '^\s*[0-9]{1,18}(\s*,\s*[0-9]{1,18}){0,199}\s*$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Select between 1 and 200 posts.', HINT = 'err.select_posts';
  END IF;
  ids := string_to_array(regexp_replace(p->>'ids', '\s', '', 'g'), ',')::bigint[];
  IF act = 'assign' AND who IS NOT NULL AND NOT EXISTS (SELECT FROM auth.staff WHERE id = who AND disabled_at IS NULL) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'No such staff member.', HINT = 'err.no_staff';
  END IF;
  IF act = 'tag' AND (tag = '' OR length(tag) > 40) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A tag is 1 to 40 characters.', HINT = 'err.tag';
  END IF;
  IF act NOT IN ('assign', 'tag', 'handled', 'unhandled') OR act IS NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown action.', HINT = 'err.field_choice';
  END IF;
  INSERT INTO crm.triage AS t (post_id, assignee_id, tags, handled_at, handled_by)
  SELECT q.id,
         CASE WHEN act = 'assign' THEN who END,
         CASE WHEN act = 'tag' THEN ARRAY[tag] ELSE '{}' END,
         CASE WHEN act = 'handled' THEN now() END,
         CASE WHEN act = 'handled' THEN st.id END
  FROM social.post q WHERE q.id = ANY (ids)
  ON CONFLICT (post_id) DO UPDATE SET
    assignee_id = CASE WHEN act = 'assign' THEN who ELSE t.assignee_id END,
    tags        = CASE WHEN act = 'tag' AND NOT tag = ANY (t.tags) THEN t.tags || tag ELSE t.tags END,
    handled_at  = CASE act WHEN 'handled' THEN coalesce(t.handled_at, now()) WHEN 'unhandled' THEN NULL
                           ELSE t.handled_at END,
    handled_by  = CASE act WHEN 'handled' THEN coalesce(t.handled_by, st.id) WHEN 'unhandled' THEN NULL
                           ELSE t.handled_by END,
    updated_at  = now();
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n < cardinality(ids) THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'Some of the selected posts no longer exist.', HINT = 'err.no_post';
  END IF;
  PERFORM auth.audit('inbox_' || act, st.id, jsonb_build_object('posts', ids, 'staff', who, 'tag', nullif(tag, '')));
  RETURN jsonb_build_object('changed', n, 'redirect',
    '/inbox' || CASE WHEN p->>'back' ~ '^[A-Za-z0-9_=&.-]+$' AND length(p->>'back') <= 300 THEN '?' || (p->>'back') ELSE '' END);
END $$;
