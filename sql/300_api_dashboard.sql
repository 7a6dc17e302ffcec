-- The page after sign-in: headline counts straight from the social model and
-- the newest conversations.
CREATE FUNCTION api.dashboard(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM auth.require();
  RETURN jsonb_build_object('counts', jsonb_build_object(
    'accounts',   (SELECT count(*) FROM social.account),
    'profiles',   (SELECT count(*) FROM social.profile),
    'posts',      (SELECT count(*) FROM social.post),
    'open_cases', (SELECT count(*) FROM crm."case" WHERE state NOT IN ('resolved', 'closed'))),
    'latest', coalesce((SELECT jsonb_agg(social.post_json(x, a) ORDER BY x.created_at DESC)
                        FROM (SELECT * FROM social.post ORDER BY created_at DESC LIMIT 10) x
                        LEFT JOIN social.profile a ON a.id = x.author_id), '[]'));
END $$;
