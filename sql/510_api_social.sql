-- Raw views of the social model: a post with its whole thread, a profile with
-- its recent posts. Any signed-in staff member may look.

-- A post as the thread it belongs to: up the parent links to the root (at
-- most 50 steps), then the root's replies depth first (at most 500 posts).
CREATE FUNCTION api.post(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE focus social.post; root bigint;
BEGIN
  PERFORM auth.require();
  SELECT * INTO focus FROM social.post WHERE id = (p->>'id')::bigint;
  IF focus.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such post.', HINT = 'err.no_post';
  END IF;
  WITH RECURSIVE up AS (
    SELECT id, parent_id, 0 AS steps FROM social.post WHERE id = focus.id
    UNION ALL
    SELECT q.id, q.parent_id, up.steps + 1 FROM social.post q JOIN up ON q.id = up.parent_id WHERE up.steps < 50
  ) SELECT id INTO root FROM up ORDER BY steps DESC LIMIT 1;
  RETURN jsonb_build_object(
    -- what the CRM already knows about this post and its author
    'case', (SELECT jsonb_build_object('id', c.id, 'ref', 'C-' || c.number, 'state', c.state)
             FROM crm."case" c WHERE c.post_id = focus.id),
    'contact', (SELECT jsonb_build_object('id', k.id, 'name', k.name)
                FROM crm.identity i JOIN crm.contact k ON k.id = i.contact_id WHERE i.profile_id = focus.author_id),
    'lead', (SELECT jsonb_build_object('id', l.id, 'state', l.state) FROM crm.lead l WHERE l.post_id = focus.id),
    'post', (SELECT card FROM social.post_card WHERE id = focus.id) || jsonb_build_object(
      'raw', jsonb_pretty(focus.raw), 'parent_external_id', focus.parent_external_id,
      'edits', coalesce((SELECT jsonb_agg(jsonb_build_object('edited_at', edited_at, 'body', body)
                                          ORDER BY edited_at)
                         FROM social.post_edit WHERE post_id = focus.id), '[]')),
    'thread', coalesce((
      WITH RECURSIVE down AS (
        SELECT id, 0 AS depth, ARRAY[id] AS path FROM social.post WHERE id = root
        UNION ALL
        SELECT c.id, d.depth + 1, d.path || c.id FROM social.post c JOIN down d ON c.parent_id = d.id
        WHERE d.depth < 30
      )
      SELECT jsonb_agg(t.card || jsonb_build_object('depth', least(d.depth, 6),  -- CSS indents 6 levels
                                                              'focus', t.id = focus.id)
                       ORDER BY d.path)
      FROM (SELECT * FROM down ORDER BY path LIMIT 500) d JOIN social.post_card t ON t.id = d.id), '[]'));
END $$;

CREATE FUNCTION api.profile(p jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE pr social.profile;
BEGIN
  PERFORM auth.require();
  SELECT * INTO pr FROM social.profile WHERE id = (p->>'id')::bigint;
  IF pr.id IS NULL THEN
    RAISE SQLSTATE 'PR404' USING MESSAGE = 'No such profile.', HINT = 'err.no_profile';
  END IF;
  RETURN jsonb_build_object(
    'profile', jsonb_build_object(
      'id', pr.id, 'platform', pr.platform, 'external_id', pr.external_id, 'handle', pr.handle,
      'display_name', pr.display_name, 'bio', pr.bio, 'follower_count', pr.follower_count,
      'following_count', pr.following_count, 'post_count', pr.post_count, 'verified', pr.verified,
      'lang', pr.lang, 'location', pr.location, 'url', pr.url, 'first_seen_at', pr.first_seen_at,
      'raw', jsonb_pretty(pr.raw)),
    'follows', coalesce((SELECT jsonb_agg(jsonb_build_object('account', a.handle, 'platform', a.platform,
                                                             'first_seen_at', f.first_seen_at,
                                                             'last_seen_at', f.last_seen_at))
                         FROM social.follower_edge f JOIN social.account a ON a.id = f.account_id
                         WHERE f.profile_id = pr.id), '[]'),
    'posts', coalesce((SELECT jsonb_agg(card ORDER BY created_at DESC)
                       FROM (SELECT card, created_at FROM social.post_card WHERE author_id = pr.id
                             ORDER BY created_at DESC LIMIT 50) x), '[]'));
END $$;
