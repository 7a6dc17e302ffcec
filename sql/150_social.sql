-- How pages show a post: the fields every list and thread needs, with its
-- author. A plain expression (the caller joins the author), so PostgreSQL
-- inlines it instead of planning a function call per row.
DROP FUNCTION IF EXISTS social.post_json(social.post);
DROP FUNCTION IF EXISTS social.post_json(social.post, social.profile);
CREATE FUNCTION social.post_json(p social.post, a social.profile) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', p.id, 'platform', p.platform, 'external_id', p.external_id, 'kind', p.kind, 'body', p.body,
    'lang', p.lang, 'created_at', p.created_at, 'url', p.url, 'deleted', p.deleted_at IS NOT NULL,
    'edited', p.edited_at IS NOT NULL, 'metrics', p.metrics,
    'author', CASE WHEN a.id IS NOT NULL
                   THEN jsonb_build_object('id', a.id, 'handle', a.handle, 'name', a.display_name) END)
$$;
