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
    'latest', coalesce((SELECT jsonb_agg(card ORDER BY created_at DESC)
                        FROM (SELECT card, created_at FROM social.post_card ORDER BY created_at DESC LIMIT 10) x),
                       '[]'));
END $$;
