-- How pages show a post: the fields every list and thread needs, with its author.
CREATE OR REPLACE FUNCTION social.post_json(p social.post) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', p.id, 'platform', p.platform, 'external_id', p.external_id, 'kind', p.kind, 'body', p.body,
    'lang', p.lang, 'created_at', p.created_at, 'url', p.url, 'deleted', p.deleted_at IS NOT NULL,
    'edited', p.edited_at IS NOT NULL, 'metrics', p.metrics,
    'author', (SELECT jsonb_build_object('id', a.id, 'handle', a.handle, 'name', a.display_name)
               FROM social.profile a WHERE a.id = p.author_id))
$$;
