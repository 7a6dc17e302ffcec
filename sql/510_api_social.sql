-- Raw views of the social model: a post with its whole thread, a profile with
-- its recent posts. Any signed-in staff member may look.

-- Templates cannot ask "is this list empty?": has_canned says it.
CREATE OR REPLACE FUNCTION crm.with_flags(p_reply jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT p_reply || jsonb_build_object('has_canned', jsonb_array_length(coalesce(p_reply->'canned', '[]')) > 0)
$$;

-- The cases a post is part of, newest first: the case opened on it, one its
-- post was filed under (an inbound event), or one opened on an earlier post
-- of the same author in the same thread. Never another customer's case in
-- the thread: a reply counted there would answer the wrong person.
CREATE OR REPLACE FUNCTION crm.cases_of_post(p_post bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
  -- three lookups by index, not one join over every case
  SELECT x.id FROM (
    SELECT c.id, true AS own FROM crm."case" c WHERE c.post_id = p_post
    UNION ALL
    SELECT e.case_id, false FROM crm.case_event e WHERE e.post_id = p_post AND e.kind = 'inbound'
    UNION ALL
    SELECT c.id, false FROM social.post q
    JOIN crm."case" c ON c.root_post_id = coalesce(q.root_id, q.id)
    JOIN social.post cp ON cp.id = c.post_id AND cp.author_id = q.author_id
    WHERE q.id = p_post
  ) x
  GROUP BY x.id
  ORDER BY bool_or(x.own) DESC, x.id DESC
$$;

-- The case a reply to the post counts for: the newest of them still being
-- worked (not resolved or closed), the one opened on the post itself first.
CREATE OR REPLACE FUNCTION crm.open_case_of_post(p_post bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT c.id FROM crm."case" c
  WHERE c.id IN (SELECT crm.cases_of_post(p_post)) AND c.state NOT IN ('resolved', 'closed')
  ORDER BY (c.post_id = p_post) IS TRUE DESC, c.id DESC LIMIT 1
$$;

-- A canned reply's placeholders filled in for a post, in one pass (a value
-- that itself looks like a placeholder, such as a display name, stays as
-- written); spaces inside the braces are allowed. A value not known (no
-- case yet) leaves its placeholder for staff to fill in: api.reply refuses
-- to send one. A value's text-direction overrides (a display name's, from
-- the platform) are left out: api.reply refuses them.
CREATE OR REPLACE FUNCTION crm.fill_canned(p_body text, p_post bigint) RETURNS text
LANGUAGE sql STABLE AS $$
  WITH v AS (
    SELECT jsonb_build_object(
             'contact.name', coalesce(nullif(k.name, ''), nullif(au.display_name, ''), au.handle),
             'contact.handle', au.handle,
             'case.number', CASE WHEN p_body ~ '\{\{\s*case\.number\s*\}\}' THEN
                              -- (the case being worked, else the post's latest: "C-12 is resolved")
                              (SELECT 'C-' || c.number FROM crm."case" c
                               WHERE c.id = coalesce(crm.open_case_of_post(q.id), (SELECT crm.cases_of_post(q.id) LIMIT 1))) END,
             'agent.name', (SELECT (cur.staff).display_name FROM auth.current cur),
             'brand.name', coalesce(nullif(a.display_name, ''), a.handle)) AS vals
    FROM social.post q
    LEFT JOIN social.profile au ON au.id = q.author_id
    LEFT JOIN crm.identity i ON i.profile_id = q.author_id
    LEFT JOIN crm.contact k ON k.id = i.contact_id
    LEFT JOIN social.account a ON a.id = q.account_id
    WHERE q.id = p_post
    LIMIT 1
  ), parts AS (
    SELECT regexp_split_to_array(p_body, '\{\{\s*[a-z]+\.[a-z_]+\s*\}\}') AS texts,
           ARRAY(SELECT m[1] FROM regexp_matches(p_body, '\{\{\s*([a-z]+\.[a-z_]+)\s*\}\}', 'g') m) AS names
  )
  SELECT string_agg(parts.texts[n] || CASE WHEN n <= cardinality(parts.names)
                                           THEN coalesce(regexp_replace(v.vals->>parts.names[n], social.direction_override_class(), '', 'g'),
                                                         '{{' || parts.names[n] || '}}') ELSE '' END,
                    '' ORDER BY n)
  FROM v, parts, generate_subscripts(parts.texts, 1) n
$$;

-- The placeholders a filled-in text still holds ("{{case.number}}" where the
-- post has no case), listed for the person writing; NULL when none.
CREATE OR REPLACE FUNCTION crm.unfilled(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT string_agg(DISTINCT '{{' || m[1] || '}}', ', ')
  FROM regexp_matches(p_text, '\{\{\s*([a-z]+\.[a-z_]+)\s*\}\}', 'g') m
$$;

-- A post's place among its siblings in a thread: when it was written, then
-- its id (a path of these sorts a thread depth-first in time order).
CREATE OR REPLACE FUNCTION social.thread_key(p_created_at timestamptz, p_id bigint) RETURNS bigint[]
LANGUAGE sql STABLE AS $$
  SELECT ARRAY[coalesce((extract(epoch FROM p_created_at) * 1000000)::bigint, 0), p_id]
$$;

-- A post as the thread it belongs to: up the parent links to the root (at
-- most 50 steps), then the root's replies depth first (at most 500 posts).
CREATE FUNCTION api.post(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE focus social.post; root bigint;
        used text;  -- the canned reply asked for (use), filled in for this post
        -- the contact and lead only for roles that see contacts (not analysts)
        sees_contacts boolean := (auth.role_can((auth.require()).role)->>'contact_view')::boolean;
BEGIN
  SELECT * INTO focus FROM social.post WHERE id = (p->>'id')::bigint;
  IF focus.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such post.', HINT = 'err.no_post';
  END IF;
  WITH RECURSIVE up AS (
    SELECT id, parent_id, 0 AS steps FROM social.post WHERE id = focus.id
    UNION ALL
    SELECT q.id, q.parent_id, up.steps + 1 FROM social.post q JOIN up ON q.id = up.parent_id WHERE up.steps < 50
  ) SELECT id INTO root FROM up ORDER BY steps DESC LIMIT 1;
  SELECT crm.fill_canned(r.body, focus.id) INTO used FROM crm.canned_reply r
  WHERE r.id = nullif(p->>'use', '')::bigint AND (r.shared OR r.created_by = (SELECT (cur.staff).id FROM auth.current cur));
  RETURN jsonb_build_object(
    -- what the CRM already knows about this post and its author
    'case', (SELECT jsonb_build_object('id', c.id, 'ref', 'C-' || c.number, 'state', c.state)
             FROM crm."case" c WHERE c.post_id = focus.id),
    'contact', (SELECT jsonb_build_object('id', k.id, 'name', k.name)
                FROM crm.identity i JOIN crm.contact k ON k.id = i.contact_id
                WHERE i.profile_id = focus.author_id AND sees_contacts),
    'lead', (SELECT jsonb_build_object('id', l.id, 'state', l.state) FROM crm.lead l WHERE l.post_id = focus.id AND sees_contacts),
    -- the reply composer: a fresh idempotency key (a double submit queues one
    -- reply), canned replies ranked for this message with placeholders filled,
    -- and the replies already queued or sent
    'reply_blocked', (SELECT jsonb_build_object('said', b) FROM ingest.reply_blocked(focus) b WHERE b IS NOT NULL),
    'reply', CASE WHEN ingest.reply_blocked(focus) IS NULL THEN crm.with_flags(jsonb_build_object(
      'idempotency_key', gen_random_uuid(),
      -- the composer starts with the author's @acct on Mastodon (where only a
      -- mention notifies), then a canned reply's text, filled in, if one is "used"
      'body', nullif(concat(
        (SELECT '@' || pr.handle || ' ' FROM social.profile pr
         WHERE pr.id = focus.author_id AND focus.platform = 'mastodon' AND NOT crm.own_profile(pr.id)),
        used), ''),
      -- what nothing here can fill in: said above the composer
      'unfilled', crm.unfilled(used),
      'case_id', crm.open_case_of_post(focus.id),
      -- those that leave a placeholder to fill in after the others, saying which
      'canned', (SELECT coalesce(jsonb_agg(sg || jsonb_build_object('filled', f.text, 'unfilled', crm.unfilled(f.text))
                                           ORDER BY crm.unfilled(f.text) IS NOT NULL, (sg->>'score')::numeric DESC), '[]')
                 FROM jsonb_array_elements(api.canned_suggest(jsonb_build_object('text', left(focus.body, 4000),
                                                                                  'limit', 3))->'suggestions') sg,
                      LATERAL (SELECT crm.fill_canned(sg->>'body', focus.id) AS text) f
                 WHERE focus.body <> '' AND NOT crm.own_profile(focus.author_id)))) END,
    'outbox', api.outbox(jsonb_build_object('post_id', focus.id))->'entries',
    'has_outbox', EXISTS (SELECT FROM ingest.outbox o WHERE o.in_reply_to = focus.id),
    'own', crm.own_profile(focus.author_id),
    -- (a post whose author the platform did not name makes no contact or lead)
    'has_author', focus.author_id IS NOT NULL,
    'post', (SELECT card::jsonb FROM social.post_card WHERE id = focus.id) || jsonb_build_object(
      -- the platform's own record: an object for API clients, indented text for the page
      'raw', focus.raw, 'raw_pretty', jsonb_pretty(focus.raw), 'parent_external_id', focus.parent_external_id,
      'has_edits', EXISTS (SELECT FROM social.post_edit WHERE post_id = focus.id),
      'edits', coalesce((SELECT jsonb_agg(jsonb_build_object('edited_at', edited_at, 'body', body)
                                          ORDER BY edited_at)
                         FROM social.post_edit WHERE post_id = focus.id), '[]')),
    'thread', coalesce((
      -- each level in time order (ids are the order Parley learnt of posts)
      WITH RECURSIVE down AS (
        SELECT id, 0 AS depth, social.thread_key(created_at, id) AS path FROM social.post WHERE id = root
        UNION ALL
        SELECT c.id, d.depth + 1, d.path || social.thread_key(c.created_at, c.id)
        FROM social.post c JOIN down d ON c.parent_id = d.id
        WHERE d.depth < 30
      )
      SELECT jsonb_agg(social.card_with(t.card, json_build_object('depth', least(d.depth, 6),  -- CSS indents 6 levels
                                                                   'focus', t.id = focus.id))
                       ORDER BY d.path)
      FROM (SELECT * FROM down ORDER BY path LIMIT 500) d JOIN social.post_card t ON t.id = d.id), '[]'));
END $$;

CREATE FUNCTION api.profile(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE pr social.profile; before bigint := crm.param_id(p, 'before'); posts jsonb;
BEGIN
  PERFORM auth.require();
  SELECT * INTO pr FROM social.profile WHERE id = (p->>'id')::bigint;
  IF pr.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such profile.', HINT = 'err.no_profile';
  END IF;
  -- the person's posts, newest first, 50 a page (keyset: before = the last
  -- post of the page before)
  SELECT coalesce(jsonb_agg(card ORDER BY created_at DESC, id DESC), '[]') INTO posts
  FROM (SELECT c.card, c.created_at, c.id FROM social.post_card c
        WHERE c.author_id = pr.id
          AND (before IS NULL OR (c.created_at, c.id) < (SELECT q.created_at, q.id FROM social.post q WHERE q.id = before))
        ORDER BY c.created_at DESC, c.id DESC LIMIT 51) x;   -- (one more: is there an older page?)
  RETURN jsonb_build_object(
    'profile', jsonb_build_object(
      'id', pr.id, 'platform', pr.platform, 'external_id', pr.external_id, 'handle', pr.handle,
      'display_name', pr.display_name, 'bio', pr.bio, 'follower_count', pr.follower_count,
      'following_count', pr.following_count, 'post_count', pr.post_count, 'verified', pr.verified,
      'lang', pr.lang, 'location', pr.location, 'url', social.web_url(pr.url), 'first_seen_at', pr.first_seen_at,
      'raw', pr.raw, 'raw_pretty', jsonb_pretty(pr.raw),
      -- what to call the person where a platform gives no name or handle
      -- (a Facebook commenter has no handle), and which counts it gave at all
      'name', coalesce(nullif(pr.display_name, ''), nullif(pr.handle, ''), pr.external_id),
      'followers_known', pr.follower_count IS NOT NULL, 'following_known', pr.following_count IS NOT NULL,
      'posts_known', pr.post_count IS NOT NULL),
    'follows', coalesce((SELECT jsonb_agg(jsonb_build_object('account', a.handle, 'platform', a.platform,
                                                             'first_seen_at', f.first_seen_at,
                                                             'last_seen_at', f.last_seen_at,
                                                             'unfollowed_at', f.unfollowed_at))
                         FROM social.follower_edge f JOIN social.account a ON a.id = f.account_id
                         WHERE f.profile_id = pr.id), '[]'),
    'has_follows', EXISTS (SELECT FROM social.follower_edge f WHERE f.profile_id = pr.id),
    'posts', posts - 50,
    'next_before', CASE WHEN jsonb_array_length(posts) = 51 THEN posts->49->'id' END);
END $$;
