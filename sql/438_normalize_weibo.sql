-- Sina Weibo (open API 2, api.weibo.com/2) → social model. Only mapping
-- lives here; writing is ingest.apply(). Ids are numbers that JSON doubles
-- cannot always hold, so the idstr forms are used (the number's text when a
-- page has no idstr). A profile's external id is the user id, a post's the
-- status or comment id (Weibo draws both from one sequence).

-- A Weibo time, "Tue May 31 17:46:55 +0800 2011"; NULL stays NULL, anything
-- else is a shape error naming p_what.
CREATE OR REPLACE FUNCTION ingest.weibo_time(p text, p_what text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p IS NULL THEN NULL
              WHEN p ~ '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [+-][0-9]{4} [0-9]{4}$'
              THEN to_timestamp(p, 'Dy Mon DD HH24:MI:SS TZHTZM YYYY')
              ELSE ingest.fail(p_what, NULL::timestamptz) END
$$;

-- An object's id as text: idstr, else the number (JSON null counts as absent).
CREATE OR REPLACE FUNCTION ingest.weibo_id(o jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(nullif(o->>'idstr', ''), CASE WHEN jsonb_typeof(o->'id') IN ('number', 'string') THEN o->>'id' END)
$$;

-- User → profile row. screen_name is the name shown and @-mentioned; the
-- latest status some lists embed is left out of raw.
CREATE OR REPLACE FUNCTION ingest.weibo_profile(u jsonb) RETURNS ingest.profile_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(ingest.weibo_id(ingest.need_object(u, 'weibo user')), 'weibo user.id'),
    u->>'screen_name', coalesce(u->>'name', u->>'screen_name'), nullif(u->>'description', ''),
    (u->>'followers_count')::bigint, (u->>'friends_count')::bigint, (u->>'statuses_count')::bigint,
    (u->>'verified')::boolean, u->>'lang', nullif(u->>'location', ''),
    coalesce(u->>'avatar_large', u->>'profile_image_url'),
    'https://weibo.com/' || coalesce(nullif(u->>'profile_url', ''), 'u/' || ingest.weibo_id(u)),
    u - 'status')::ingest.profile_in
$$;

-- Who may see a status (visible.type: 0 everyone, 1 only the author,
-- 2 a group, 3 close friends).
CREATE OR REPLACE FUNCTION ingest.weibo_visibility(s jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE s->'visible'->>'type' WHEN '0' THEN 'public' WHEN '1' THEN 'private'
                                    WHEN '2' THEN 'group' WHEN '3' THEN 'friends' END
$$;

-- Status → post row. A status with retweeted_status is a repost of it (ref);
-- one that adds words of its own (not just Weibo's default "转发微博") a quote.
CREATE OR REPLACE FUNCTION ingest.weibo_post(s jsonb) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    id,
    ingest.need(ingest.weibo_id(ingest.need_object(s->'user', 'weibo status.user')), 'weibo status.user.id'),
    CASE WHEN jsonb_typeof(s->'retweeted_status') = 'object'
         THEN CASE WHEN coalesce(btrim(s->>'text'), '') IN ('', '转发微博', 'Repost', '轉發微博') THEN 'repost' ELSE 'quote' END
         ELSE 'post' END,
    s->>'text',
    NULL::text,                       -- Weibo does not say a status's language
    ingest.need(ingest.weibo_time(s->>'created_at', 'weibo status.created_at'), 'weibo status.created_at'),
    'https://weibo.com/' || ingest.weibo_id(s->'user') || '/' || coalesce(nullif(s->>'bid', ''), id),
    ingest.weibo_visibility(s),
    NULL::timestamptz, NULL::timestamptz,
    NULL::text, NULL::text,
    ingest.weibo_id(s->'retweeted_status'),
    (s->>'comments_count')::bigint, (s->>'reposts_count')::bigint, (s->>'attitudes_count')::bigint, NULL::bigint,
    s - 'user' - 'retweeted_status')::ingest.post_in
  FROM (SELECT ingest.need(ingest.weibo_id(ingest.need_object(s, 'weibo status')), 'weibo status.id') AS id) x
$$;

-- Comment → post row of kind 'comment': its parent is the comment it answers
-- (reply_comment), else the status; the root is the status. p_status names
-- the status for a comment seen without one (a reply_comment). The answered
-- comment and the status are stored as their own rows, so raw leaves them out.
CREATE OR REPLACE FUNCTION ingest.weibo_comment(c jsonb, p_status text) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(ingest.weibo_id(ingest.need_object(c, 'weibo comment')), 'weibo comment.id'),
    ingest.need(ingest.weibo_id(ingest.need_object(c->'user', 'weibo comment.user')), 'weibo comment.user.id'),
    'comment', c->>'text', NULL::text,
    ingest.need(ingest.weibo_time(c->>'created_at', 'weibo comment.created_at'), 'weibo comment.created_at'),
    NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz,
    -- a comment seen without its status (a reply_comment) does not say what it answers
    CASE WHEN jsonb_typeof(c->'status') = 'object' THEN coalesce(ingest.weibo_id(c->'reply_comment'), status) END,
    status, NULL::text,
    NULL::bigint, NULL::bigint, (c->>'like_count')::bigint, NULL::bigint,
    c - 'user' - 'status' - 'reply_comment')::ingest.post_in
  FROM (SELECT coalesce(ingest.weibo_id(c->'status'), p_status) AS status) x
$$;

-- Every status a list carries: each one and the status it reposts when that
-- is still there (a deleted one has no user). top marks the listed status.
CREATE OR REPLACE FUNCTION ingest.weibo_statuses(p_list jsonb)
RETURNS TABLE (status jsonb, top boolean)
LANGUAGE sql STABLE AS $$
  SELECT x.status, x.top
  FROM jsonb_array_elements(ingest.need_array(p_list, 'weibo statuses')) AS s(v)
  CROSS JOIN LATERAL (VALUES (s.v, true), (s.v->'retweeted_status', false)) AS x(status, top)
  WHERE x.top OR (jsonb_typeof(x.status) = 'object' AND jsonb_typeof(x.status->'user') = 'object')
$$;

-- Endpoints:
--   statuses          {statuses: [Status]} (user_timeline, home timeline, ...)
--   mentions          {statuses: [Status]} of statuses/mentions: each also a
--                     'mention' of the brand by its author
--   status            one Status
--   comments          {comments: [Comment]} (comments/show, by_me, to_me)
--   comment_mentions  {comments: [Comment]} of comments/mentions: each also a 'mention'
--   comment           one Comment (what comments/create and comments/reply answer)
--   followers         {users: [User]} (friendships/followers): the followers of
--                     p_account_id when it is given
--   users             any other {users: [User]}: profiles only
--   user              one User
CREATE OR REPLACE FUNCTION ingest.normalize_weibo(p_account_id bigint, p_endpoint text, p_body jsonb,
                                                  p_request_url text DEFAULT NULL,
                                                  p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  statuses jsonb := '[]';                    -- Status objects on the page
  comments jsonb := '[]';                    -- Comment objects on the page
  users jsonb := '[]';                       -- User objects besides authors
  posts ingest.post_in[];
  events ingest.interaction_in[] := '{}';
  followers text[] := '{}';
BEGIN
  CASE p_endpoint
    WHEN 'statuses', 'mentions' THEN
      statuses := ingest.need_array(ingest.need_object(p_body, 'weibo page')->'statuses', 'weibo statuses');
    WHEN 'status' THEN
      statuses := jsonb_build_array(ingest.need_object(p_body, 'weibo status'));
    WHEN 'comments', 'comment_mentions' THEN
      comments := ingest.need_array(ingest.need_object(p_body, 'weibo page')->'comments', 'weibo comments');
    WHEN 'comment' THEN
      comments := jsonb_build_array(ingest.need_object(p_body, 'weibo comment'));
    WHEN 'followers', 'users' THEN
      users := ingest.need_array(ingest.need_object(p_body, 'weibo page')->'users', 'weibo users');
      IF p_endpoint = 'followers' AND p_account_id IS NOT NULL THEN
        followers := ARRAY(SELECT (ingest.weibo_profile(u)).external_id FROM jsonb_array_elements(users) u);
      END IF;
    WHEN 'user' THEN
      users := jsonb_build_array(ingest.need_object(p_body, 'weibo user'));
    ELSE
      RAISE SQLSTATE 'PR400' USING MESSAGE = format('unknown weibo endpoint %L (there are: statuses, mentions, status, comments, comment_mentions, comment, followers, users, user)', p_endpoint);
  END CASE;

  -- The statuses the comments are under (with their authors) are on the page too.
  statuses := statuses || coalesce((SELECT jsonb_agg(c->'status') FROM jsonb_array_elements(comments) c
                                    WHERE jsonb_typeof(c->'status'->'user') = 'object'), '[]');

  -- Posts first: a status or comment without its user is reported as such.
  posts := ARRAY(SELECT ingest.weibo_post(s.status) FROM ingest.weibo_statuses(statuses) s
                 UNION ALL
                 SELECT ingest.weibo_comment(c, NULL) FROM jsonb_array_elements(comments) c
                 UNION ALL
                 SELECT ingest.weibo_comment(c->'reply_comment', ingest.weibo_id(c->'status'))
                 FROM jsonb_array_elements(comments) c
                 WHERE jsonb_typeof(c->'reply_comment'->'user') = 'object');

  IF p_endpoint IN ('mentions', 'comment_mentions') THEN
    events := ARRAY(SELECT ROW('mention', p.author_external_id, p.external_id, 'mention/' || p.external_id,
                               p.created_at)::ingest.interaction_in
                    FROM unnest(posts) p
                    WHERE p.external_id IN (SELECT ingest.weibo_id(x) FROM jsonb_array_elements(
                                              CASE WHEN p_endpoint = 'mentions' THEN statuses ELSE comments END) x));
  END IF;

  RETURN ingest.apply('weibo', p_account_id, p_seen_at,
    ARRAY(SELECT ingest.weibo_profile(u) FROM jsonb_array_elements(users) u
          UNION ALL
          SELECT ingest.weibo_profile(s.status->'user') FROM ingest.weibo_statuses(statuses) s
          UNION ALL
          SELECT ingest.weibo_profile(c->'user') FROM jsonb_array_elements(comments) c
          UNION ALL
          SELECT ingest.weibo_profile(c->'reply_comment'->'user') FROM jsonb_array_elements(comments) c
          WHERE jsonb_typeof(c->'reply_comment'->'user') = 'object'),
    posts, events, followers);
END $$;
