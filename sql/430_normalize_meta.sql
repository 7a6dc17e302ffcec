-- Meta Graph API → social model: Facebook Page feed and comments, Instagram
-- media, comments, replies, mentions and tags. Only mapping lives here;
-- writing is ingest.apply(). Graph objects share field names across the two
-- platforms, so one set of helpers serves both. Fields are often missing
-- (`from` needs a permission, hashtag media have no timestamp): what is
-- absent is left unknown rather than refused; an object without any id, or
-- a field of the wrong type, is a shape error.

-- The author's external id: the user id when `from`/`owner` give one, else
-- "@username" (Instagram often shows only the username; "@" never occurs in
-- a Graph id, so the two cannot collide).
CREATE OR REPLACE FUNCTION ingest.meta_author(o jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(o->'from'->>'id', o->'owner'->>'id',
                  '@' || coalesce(o->'from'->>'username', o->'owner'->>'username', o->>'username'))
$$;

-- The author as a profile row (all NULL when the object names nobody).
CREATE OR REPLACE FUNCTION ingest.meta_profile(o jsonb) RETURNS ingest.profile_in
LANGUAGE sql IMMUTABLE AS $$
  SELECT ROW(
    ingest.meta_author(o),
    coalesce(w->>'username', o->>'username'),
    w->>'name',
    NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::boolean, NULL::text, NULL::text,
    NULL::text, NULL::text,
    CASE WHEN jsonb_typeof(w) = 'object' THEN w END)::ingest.profile_in
  FROM (SELECT coalesce(o->'from', o->'owner') AS w) a
$$;

-- A Graph object (Page post, comment, IG media or comment) → post row.
-- Counters come from whichever edge summary or count field was requested.
CREATE OR REPLACE FUNCTION ingest.meta_post(o jsonb, p_external_id text, p_kind text,
                                            p_parent text, p_root text) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(p_external_id, 'graph object id'),
    ingest.meta_author(o),
    p_kind,
    coalesce(o->>'message', o->>'caption', o->>'text'),
    NULL::text,
    coalesce(o->>'created_time', o->>'timestamp')::timestamptz,
    coalesce(o->>'permalink_url', o->>'permalink'),
    NULL::text, NULL::timestamptz, NULL::timestamptz,
    p_parent, p_root, NULL::text,
    coalesce((o->'comments'->'summary'->>'total_count')::bigint, (o->>'comments_count')::bigint,
             (o->>'comment_count')::bigint),
    (o->'shares'->>'count')::bigint,
    coalesce((o->'reactions'->'summary'->>'total_count')::bigint, (o->'likes'->'summary'->>'total_count')::bigint,
             (o->'like'->'summary'->>'total_count')::bigint, (o->>'like_count')::bigint),
    NULL::bigint,
    o)::ingest.post_in
$$;

-- The object a Graph edge URL is about: /v11.0/{object}/comments → {object}.
CREATE OR REPLACE FUNCTION ingest.graph_object(p_url text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT substring(p_url FROM '^https?://[^/]+/(?:v[0-9.]+/)?([0-9_]+)/[a-z_]+')
$$;

-- A comment → post row. Without an `id` (a fields list without it), the ids
-- are rebuilt from a Page comment's permalink, .../{page}/posts/{post}/?
-- comment_id={c}[&reply_comment_id={r}], the way the Graph API writes them:
-- comment "{post}_{c}", reply "{post}_{r}" under "{post}_{c}", post "{page}_{post}".
-- Otherwise the parent is `parent`, else the object of the edge URL.
CREATE OR REPLACE FUNCTION ingest.meta_comment(o jsonb, p_object text, p_root text) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT ingest.meta_post(o,
    coalesce(o->>'id', m[2] || '_' || coalesce(m[4], m[3])),
    'comment',
    coalesce(o->'parent'->>'id', CASE WHEN m[4] IS NOT NULL THEN m[2] || '_' || m[3] END,
             m[1] || '_' || m[2], p_object),
    coalesce(m[1] || '_' || m[2], p_root))
  FROM (SELECT regexp_match(o->>'permalink_url',
                 '/([0-9]+)/posts/([0-9]+)/?\?comment_id=([0-9]+)(?:&reply_comment_id=([0-9]+))?') AS m) x
$$;

-- The {data:[...]} list of a Graph edge.
CREATE OR REPLACE FUNCTION ingest.graph_data(p_body jsonb, p_what text) RETURNS SETOF jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_array_elements(ingest.need_array(p_body->'data', p_what || '.data'))
$$;

-- The items of an edge embedded in an object (post{comments{data}}), if any.
CREATE OR REPLACE FUNCTION ingest.graph_embedded(p_edge jsonb) RETURNS SETOF jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_array_elements(CASE WHEN jsonb_typeof(p_edge->'data') = 'array' THEN p_edge->'data' END)
$$;

-- Store Graph post rows with their authors; mentions of the brand account as
-- interactions on those posts.
CREATE OR REPLACE FUNCTION ingest.meta_apply(p_platform text, p_account_id bigint, p_seen_at timestamptz,
                                             p_objects jsonb[], p_posts ingest.post_in[], p_mention boolean)
RETURNS jsonb LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT ingest.apply(p_platform, p_account_id, p_seen_at,
    ARRAY(SELECT ingest.meta_profile(o) FROM unnest(p_objects) o),
    p_posts,
    ARRAY(SELECT ROW('mention', p.author_external_id, p.external_id, 'mention:' || p.external_id,
                     coalesce(p.created_at, p_seen_at))::ingest.interaction_in
          FROM unnest(p_posts) p WHERE p_mention))
$$;

-- Facebook endpoints:
--   feed      Page feed / posts {data:[post], paging}; comments embedded under
--             a post (comments{data}) are stored as its comments
--   comments  /{object}/comments {data:[comment], paging}
CREATE OR REPLACE FUNCTION ingest.normalize_facebook(p_account_id bigint, p_endpoint text, p_body jsonb,
                                                     p_request_url text DEFAULT NULL,
                                                     p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  objects jsonb[];
  posts ingest.post_in[];
BEGIN
  CASE p_endpoint
    WHEN 'feed' THEN
      objects := ARRAY(SELECT ingest.graph_data(p_body, 'facebook feed'));
      posts := ARRAY(SELECT ingest.meta_post(o, o->>'id', 'post', NULL, NULL) FROM unnest(objects) o
                     UNION ALL
                     SELECT ingest.meta_comment(c, o->>'id', o->>'id')
                     FROM unnest(objects) o, ingest.graph_embedded(o->'comments') c);
      objects := objects || ARRAY(SELECT c FROM unnest(objects) o, ingest.graph_embedded(o->'comments') c);
    WHEN 'comments' THEN
      objects := ARRAY(SELECT ingest.graph_data(p_body, 'facebook comments'));
      posts := ARRAY(SELECT ingest.meta_comment(o, ingest.graph_object(p_request_url), NULL) FROM unnest(objects) o);
    ELSE
      RAISE SQLSTATE 'PR422' USING MESSAGE = format('unknown facebook endpoint %L', p_endpoint);
  END CASE;
  RETURN ingest.meta_apply('facebook', p_account_id, p_seen_at, objects, posts, false);
END $$;

-- Instagram endpoints:
--   media              tagged media (/{ig-user}/tags) or hashtag media {data:[media]}
--   comments           /{media}/comments {data:[comment]}
--   replies            /{comment}/replies {data:[comment]}
--   mentioned_media    {mentioned_media:{media}}: a media mentioning the brand
--   mentioned_comment  {mentioned_comment:{comment}}: a comment mentioning the brand
-- Mentions also become 'mention' interactions for the brand account.
CREATE OR REPLACE FUNCTION ingest.normalize_instagram(p_account_id bigint, p_endpoint text, p_body jsonb,
                                                      p_request_url text DEFAULT NULL,
                                                      p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  objects jsonb[];
  posts ingest.post_in[];
BEGIN
  CASE p_endpoint
    WHEN 'media' THEN
      objects := ARRAY(SELECT ingest.graph_data(p_body, 'instagram media'));
      posts := ARRAY(SELECT ingest.meta_post(o, o->>'id', 'post', NULL, NULL) FROM unnest(objects) o);
    WHEN 'comments', 'replies' THEN
      objects := ARRAY(SELECT ingest.graph_data(p_body, 'instagram ' || p_endpoint));
      -- a media's comments have the media as root; a reply's root is not in the page
      posts := ARRAY(SELECT ingest.meta_comment(o, ingest.graph_object(p_request_url),
                                                CASE WHEN p_endpoint = 'comments'
                                                     THEN ingest.graph_object(p_request_url) END)
                     FROM unnest(objects) o);
    WHEN 'mentioned_media' THEN
      objects := ARRAY[ingest.need_object(p_body->'mentioned_media', 'instagram mentioned_media')];
      posts := ARRAY[ingest.meta_post(objects[1], objects[1]->>'id', 'post', NULL, NULL)];
    WHEN 'mentioned_comment' THEN
      objects := ARRAY[ingest.need_object(p_body->'mentioned_comment', 'instagram mentioned_comment')];
      posts := ARRAY[ingest.meta_comment(objects[1], objects[1]->'media'->>'id', objects[1]->'media'->>'id')];
    ELSE
      RAISE SQLSTATE 'PR422' USING MESSAGE = format('unknown instagram endpoint %L', p_endpoint);
  END CASE;
  RETURN ingest.meta_apply('instagram', p_account_id, p_seen_at, objects, posts,
                           p_endpoint IN ('mentioned_media', 'mentioned_comment'));
END $$;
