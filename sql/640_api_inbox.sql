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

-- Returns json, not jsonb: the document is only sent on or rendered (see
-- social.post_card). No parallel workers: starting them costs more than a
-- page of 50 rows.
CREATE FUNCTION api.inbox(p jsonb DEFAULT '{}') RETURNS json
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
  st auth.staff := auth.require();
  f_account  bigint := nullif(p->>'account', '')::bigint;
  f_platform text := nullif(p->>'platform', '');
  f_rule     bigint := nullif(p->>'rule', '')::bigint;
  f_category text := nullif(p->>'category', '');
  f_feeling  text := nullif(p->>'sentiment', '');
  -- language tags are case-insensitive (zh-CN = zh-cn), zh_CN as people also write it
  f_lang     text := lower(replace(nullif(btrim(p->>'lang'), ''), '_', '-'));
  f_answered boolean := CASE p->>'answered' WHEN 'yes' THEN true WHEN 'no' THEN false END;
  f_mine     boolean := coalesce(p->>'mine', '') = '1';
  after_at   timestamptz;
  after_id   bigint;
  -- the brand's own profiles: their posts are not inbound, their replies answer
  own        bigint[] := ARRAY(SELECT id FROM social.own_profile);
  ids        bigint[];
  answers    boolean[];
  more       boolean;
  rows       json;
  filters    jsonb;
  choices    record;
BEGIN
  -- (a filter it cannot read is said, not dropped: the list would look filtered)
  IF f_lang !~ '^[a-z]{2,3}(-[a-z0-9]{1,8})?$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A language is a code such as en, zh or zh-CN.', HINT = 'err.inbox_lang',
                                 COLUMN = 'lang';
  END IF;
  filters := jsonb_build_object('account', f_account, 'platform', f_platform, 'rule', f_rule,
                                'category', f_category, 'sentiment', f_feeling, 'lang', f_lang,
                                'answered', CASE f_answered WHEN true THEN 'yes' WHEN false THEN 'no' END,
                                'mine', CASE WHEN f_mine THEN '1' END);
  SELECT * INTO choices FROM crm.filter_lists(f_account, f_platform, NULL);
  IF p ? 'before' THEN
    SELECT created_at, id INTO after_at, after_id FROM social.post WHERE id = (p->>'before')::bigint;
  END IF;
  -- Which posts: only the filters given are part of the query (fixed text;
  -- values are parameters), so the planner can start from a small filtered
  -- set (a rare rule, my assignments, the answered posts) or walk the index.
  EXECUTE
    'SELECT array_agg(id ORDER BY created_at DESC, id DESC), array_agg(answered ORDER BY created_at DESC, id DESC)
     FROM (SELECT q.id, q.created_at,
                  EXISTS (SELECT FROM social.post r WHERE r.parent_id = q.id AND r.author_id = ANY ($1)) AS answered
           FROM social.post q
           WHERE q.deleted_at IS NULL AND (q.created_at, q.id) < ($2, $3)
             AND (q.author_id IS NULL OR NOT q.author_id = ANY ($1))'
    || CASE WHEN f_account IS NOT NULL THEN ' AND q.account_id = $4' ELSE '' END
    || CASE WHEN f_platform IS NOT NULL THEN ' AND q.platform = $5' ELSE '' END
    || CASE WHEN f_lang IS NOT NULL THEN ' AND (lower(q.lang) = $6 OR lower(q.lang) LIKE $6 || ''-%'')' ELSE '' END
    || CASE WHEN f_rule IS NOT NULL
            THEN ' AND q.id IN (SELECT m.post_id FROM listen.match m WHERE m.rule_id = $7)' ELSE '' END
    || CASE WHEN f_category IS NOT NULL
            THEN ' AND (q.id IN (SELECT m.post_id FROM listen.match m JOIN listen.rule u ON u.id = m.rule_id
                                 WHERE u.category = $8)'
                 -- a complaint is also what the sentiment signal flags as one
                 -- (the badge the inbox shows, and the dashboard's complaint share)
                 -- (a lookup per row: a hash of every flagged post grows with the history)
                 || CASE WHEN f_category = 'complaint'
                         THEN ' OR coalesce((SELECT s.complaint FROM listen.post_signal s WHERE s.post_id = q.id), false)'
                         ELSE '' END
                 || ')' ELSE '' END
    || CASE WHEN f_feeling IS NOT NULL
            THEN ' AND q.id IN (SELECT s.post_id FROM listen.post_signal s WHERE s.label = $9)' ELSE '' END
    || CASE WHEN f_mine THEN ' AND q.id IN (SELECT t.post_id FROM crm.triage t WHERE t.assignee_id = $10)' ELSE '' END
    || CASE f_answered
         WHEN true THEN ' AND q.id IN (SELECT r.parent_id FROM social.post r WHERE r.author_id = ANY ($1))'
         WHEN false THEN ' AND NOT EXISTS (SELECT FROM social.post r WHERE r.parent_id = q.id AND r.author_id = ANY ($1))'
         ELSE '' END
    || ' ORDER BY q.created_at DESC, q.id DESC LIMIT 51) pg'   -- (one more than a page: is there an older one?)
  INTO ids, answers
  USING own, coalesce(after_at, 'infinity'), coalesce(after_id, 0), f_account, f_platform, f_lang,
        f_rule, f_category, f_feeling, st.id;
  more := cardinality(ids) = 51;
  ids := ids[1:50];
  answers := answers[1:50];
  -- The cards: one query over the page's ids whatever the filters, so its
  -- plan is made once per session; a post's details are probes by its id.
  SELECT json_agg(social.card_with(c.card, json_build_object(
           'rules', coalesce(rl.rules, '[]'),
           'signal', (SELECT json_build_object('label', s.label, 'sentiment', round(s.sentiment::numeric, 2),
                                               'complaint', s.complaint, s.label, true)
                      FROM listen.post_signal s WHERE s.post_id = pg.id),
           'answered', pg.answered,
           'triage', (SELECT json_build_object('assignee', sf.display_name, 'assignee_id', t.assignee_id,
                                               'tags', t.tags, 'handled', t.handled_at IS NOT NULL)
                      FROM crm.triage t LEFT JOIN auth.staff sf ON sf.id = t.assignee_id WHERE t.post_id = pg.id),
           'account', (SELECT json_build_object('id', a.id, 'handle', a.handle)
                       FROM social.account a WHERE a.id = c.account_id)))
         ORDER BY pg.n)
  INTO rows
  FROM unnest(ids, answers) WITH ORDINALITY pg(id, answered, n)
  JOIN social.post_card c ON c.id = pg.id
  LEFT JOIN (SELECT m.post_id, json_agg(json_build_object('id', r.id, 'name', r.name, 'category', r.category)
                                        ORDER BY r.name) AS rules
             FROM listen.match m JOIN listen.rule r ON r.id = m.rule_id
             WHERE m.post_id = ANY (ids) GROUP BY m.post_id) rl ON rl.post_id = pg.id;
  rows := coalesce(rows, '[]');
  RETURN json_build_object(
    'posts', rows,
    'next_before', CASE WHEN more THEN ids[50] END,
    'paged', p->>'before' IS NOT NULL,   -- (a page after the first: a link back to it)
    'filters', jsonb_strip_nulls(jsonb_build_object('account', f_account, 'platform', f_platform, 'rule', f_rule,
                                                    'category', f_category, 'sentiment', f_feeling, 'lang', f_lang,
                                                    'answered', p->>'answered', 'mine', f_mine)),
    -- which fixed choices are selected, for the filter form
    'sel', (SELECT jsonb_object_agg(k, true) FROM unnest(ARRAY['category_' || f_category, 'sentiment_' || f_feeling,
                                                                'answered_' || (p->>'answered'),
                                                                CASE WHEN f_mine THEN 'mine' END]) k
            WHERE k IS NOT NULL),
    -- the filters as a query string, so the next page keeps them; with this
    -- page's place too, so a bulk action comes back to the page it was on
    'query', crm.query_string(filters),
    'here', crm.query_string(filters || jsonb_build_object('before', p->>'before')),
    'accounts', choices.accounts,
    'platforms', choices.platforms,
    'rules', coalesce((SELECT json_agg(json_build_object('id', id, 'name', name, 'selected', id = f_rule) ORDER BY name)
                       FROM listen.rule), '[]'),
    'staff', coalesce((SELECT json_agg(json_build_object('id', id, 'name', display_name) ORDER BY display_name)
                       FROM auth.staff WHERE disabled_at IS NULL AND (auth.role_can(role)->>'triage')::boolean), '[]'));
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
  IF coalesce(p->>'ids', '') ~ '^\s*$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Tick at least one post to apply this to.', HINT = 'err.bulk_none';
  END IF;
  IF coalesce(p->>'ids', '') !~ '^\s*[0-9]{1,19}(\s*,\s*[0-9]{1,19}){0,199}\s*$' THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Select between 1 and 200 posts.', HINT = 'err.select_posts';
  END IF;
  ids := ARRAY(SELECT DISTINCT unnest(string_to_array(regexp_replace(p->>'ids', '\s', '', 'g'), ',')::bigint[]));
  IF act = 'assign' AND who IS NOT NULL AND NOT EXISTS (SELECT FROM auth.staff WHERE id = who AND disabled_at IS NULL) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'No such staff member.', HINT = 'err.no_staff';
  END IF;
  -- posts go to the people who triage them (the same roles as may do this)
  IF act = 'assign' AND who IS NOT NULL
     AND NOT (SELECT (auth.role_can(role)->>'triage')::boolean FROM auth.staff WHERE id = who) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Posts are assigned to agents, marketers and admins: the people who triage them.',
                                 HINT = 'err.triage_role';
  END IF;
  IF act = 'tag' AND (tag = '' OR length(tag) > 40) THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'A tag is 1 to 40 characters.', HINT = 'err.tag';
  END IF;
  IF act = 'tag' THEN
    PERFORM social.check_shown_name(tag);
  END IF;
  IF act NOT IN ('assign', 'tag', 'handled', 'unhandled') OR act IS NULL THEN
    RAISE SQLSTATE 'PR422' USING MESSAGE = 'Unknown action.', HINT = 'err.unknown_action';
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
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'Some of the selected posts no longer exist.', HINT = 'err.posts_gone';
  END IF;
  PERFORM auth.audit('inbox_' || act, st.id, jsonb_build_object('posts', ids, 'staff', who, 'tag', nullif(tag, '')));
  RETURN jsonb_build_object('changed', n, 'redirect',
    '/inbox' || CASE WHEN p->>'back' ~ '^[A-Za-z0-9_=&.%-]+$' AND length(p->>'back') <= 300 THEN '?' || (p->>'back') ELSE '' END);
END $$;
