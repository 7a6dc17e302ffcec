-- Meta Graph API → social model: Facebook Page feed and comments, Instagram
-- media, comments, replies, mentions and tags, harvested or pushed by
-- webhook (the changes are read as the Graph objects they describe, so the
-- same helpers map both). Only mapping lives here;
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

-- The object a Graph edge URL is about: /v11.0/{object}/comments → {object}
-- (the last path segments, so a base URL with a path of its own works too).
CREATE OR REPLACE FUNCTION ingest.graph_object(p_url text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT substring(p_url FROM '^https?://[^?#]*/([0-9_]+)/[a-z_]+(?:[?#]|$)')
$$;

-- A Page's or IG user's own profile ({id, name, username, followers_count,
-- ...}, what /{page-id} and /{ig-user-id} answer) → profile row with counts.
-- Facebook counts followers, or at least fans (likes of the Page).
CREATE OR REPLACE FUNCTION ingest.meta_account(o jsonb, p_what text) RETURNS ingest.profile_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(ingest.need_object(o, p_what)->>'id', p_what || '.id'),
    o->>'username', o->>'name', coalesce(o->>'biography', o->>'about'),
    coalesce((o->>'followers_count')::bigint, (o->>'fan_count')::bigint),
    (o->>'follows_count')::bigint, (o->>'media_count')::bigint,
    CASE WHEN o ? 'verification_status' THEN o->>'verification_status' IN ('blue_verified', 'gray_verified') END,
    NULL::text, NULL::text, o->>'profile_picture_url', coalesce(o->>'website', o->>'link'), o)::ingest.profile_in
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

-- The comments of a page with the replies embedded under each
-- (comment{replies{data}}, Instagram), as (object, post row): a reply's
-- parent is its comment, its root the thread's.
CREATE OR REPLACE FUNCTION ingest.meta_comments(p_objects jsonb[], p_object text, p_root text)
RETURNS TABLE (o jsonb, post ingest.post_in)
LANGUAGE sql STABLE AS $$
  SELECT c, ingest.meta_comment(c, p_object, p_root) FROM unnest(p_objects) c
  UNION ALL
  SELECT r, ingest.meta_comment(r, c->>'id', p_root)
  FROM unnest(p_objects) c, ingest.graph_embedded(c->'replies') r
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

-- A Unix time as webhooks send it: seconds, or milliseconds (Messenger, X)
-- told apart by size (12+ digits of seconds would be after the year 5000).
-- NULL stays NULL; anything else is a shape error. Also used by the X and
-- WeChat normalizers (sql/435, 436).
CREATE OR REPLACE FUNCTION ingest.epoch_ts(p text, p_what text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p IS NULL THEN NULL
              WHEN p ~ '^[0-9]{1,11}$' THEN to_timestamp(p::bigint)
              WHEN p ~ '^[0-9]{12,14}$' THEN to_timestamp(p::bigint / 1000.0)
              ELSE ingest.fail(p_what, NULL::timestamptz) END
$$;

-- The changes of a Meta webhook delivery, {object, entry:[{id, time,
-- changes:[{field, value}]}]}: one row per change, with its entry's time.
-- Entries without changes (Messenger's `messaging`) and deliveries for
-- another object of the app (user, permissions, ...) have none: they are
-- valid, only not modelled. value is checked by whoever reads it.
CREATE OR REPLACE FUNCTION ingest.meta_changes(p_body jsonb, p_object text)
RETURNS TABLE (field text, val jsonb, at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT ingest.need(c.c->>'field', 'meta change.field'), c.c->'value',
         ingest.epoch_ts(e.e->>'time', 'meta entry.time')
  FROM jsonb_array_elements(
         CASE WHEN ingest.need(ingest.need_object(p_body, 'meta webhook')->>'object', 'meta webhook object') = p_object
              THEN ingest.need_array(p_body->'entry', 'meta webhook entry') END) AS x(v)
  CROSS JOIN LATERAL (SELECT ingest.need_object(x.v, 'meta webhook entry') AS e) e
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN e.e ? 'changes' THEN ingest.need_array(e.e->'changes', 'meta entry.changes')
                                               ELSE '[]' END) AS y(v)
  CROSS JOIN LATERAL (SELECT ingest.need_object(y.v, 'meta change') AS c) c
$$;

-- Page `feed` changes Parley models, as (what, value, time, change time):
-- what is 'post' or 'comment' (added or edited), 'like' (a reaction, of any
-- type, or an old-style like of a post, added or changed), 'gone' (a post
-- or comment removed), or NULL for the rest (hide, block, likes of the
-- Page itself, ratings, ...) and for other Page fields. The
-- time is the value's created_time, else the entry's, else when the
-- delivery arrived; the change time (what an edit is dated by) the entry's,
-- else when the delivery arrived.
CREATE OR REPLACE FUNCTION ingest.facebook_feed(p_body jsonb, p_seen_at timestamptz)
RETURNS TABLE (what text, val jsonb, at timestamptz, changed_at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN k.kind IN ('post', 'comment') AND k.verb IN ('remove', 'delete') THEN 'gone'
              WHEN k.kind IN ('post', 'comment') AND k.verb IN ('add', 'edit', 'edited') THEN k.kind
              WHEN k.kind = 'like' AND k.verb IN ('add', 'edit', 'edited') THEN 'like' END,
         v.v, coalesce(ingest.epoch_ts(CASE WHEN k.kind IS NOT NULL THEN v.v->>'created_time' END,
                                       'facebook feed created_time'), c.at, p_seen_at),
         coalesce(c.at, p_seen_at)
  FROM ingest.meta_changes(p_body, 'page') c
  CROSS JOIN LATERAL (SELECT ingest.need_object(c.val, 'facebook feed value') AS v) v
  CROSS JOIN LATERAL (
    SELECT CASE WHEN i = 'comment' THEN 'comment'
                WHEN i IN ('post', 'status', 'photo', 'video', 'share', 'link') THEN 'post'
                WHEN i = 'reaction' OR (i = 'like' AND v.v ? 'post_id') THEN 'like' END AS kind,
           ingest.need(v.v->>'verb', 'facebook feed verb') AS verb
    FROM (SELECT ingest.need(v.v->>'item', 'facebook feed item') AS i) i) k
  WHERE c.field = 'feed'
$$;

-- The id of the post or comment a feed change is about.
CREATE OR REPLACE FUNCTION ingest.facebook_feed_id(v jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN v->>'item' = 'comment' THEN ingest.need(v->>'comment_id', 'facebook feed comment_id')
              ELSE ingest.need(v->>'post_id', 'facebook feed post_id') END
$$;

-- A feed change → post row, through meta_post as if the Graph API had
-- returned it. A comment's parent is parent_id (the post, or the comment it
-- replies to) and its root the post. An edit is dated by the change
-- (p_changed_at), so an older copy arriving later does not undo it; raw is
-- the change value.
CREATE OR REPLACE FUNCTION ingest.facebook_feed_post(v jsonb, p_at timestamptz, p_changed_at timestamptz)
RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT jsonb_populate_record(
    CASE WHEN v->>'item' = 'comment'
         THEN ingest.meta_post(v - 'created_time', ingest.facebook_feed_id(v), 'comment',
                               coalesce(v->>'parent_id', v->>'post_id'),
                               ingest.need(v->>'post_id', 'facebook feed post_id'))
         ELSE ingest.meta_post(v - 'created_time', ingest.facebook_feed_id(v), 'post', NULL, NULL) END,
    jsonb_build_object('created_at', p_at, 'raw', v,
                       'edited_at', CASE WHEN v->>'verb' IN ('edit', 'edited') THEN p_changed_at END))
$$;

-- A reaction → 'like' by its author on the comment or post. The platform
-- gives no reaction id: the key is who and what, so a reaction changed to
-- another type, or removed and made again, stays one like.
CREATE OR REPLACE FUNCTION ingest.facebook_feed_like(v jsonb, p_at timestamptz) RETURNS ingest.interaction_in
LANGUAGE sql STABLE AS $$
  SELECT ROW('like', a.actor, a.target, 'reaction:' || a.actor || ':' || a.target, p_at)::ingest.interaction_in
  FROM (SELECT ingest.need(coalesce(v->'from'->>'id', v->>'sender_id', v->>'user_id'), 'facebook feed from.id') AS actor,
               coalesce(v->>'comment_id', ingest.need(v->>'post_id', 'facebook feed post_id')) AS target) a
$$;

-- Instagram webhook changes Parley models, as (what, value, time): what is
-- 'comment' (comments, live_comments) or 'mention' (mentions); NULL for the
-- other fields. The time is the entry's (these values carry none).
CREATE OR REPLACE FUNCTION ingest.instagram_changes(p_body jsonb, p_seen_at timestamptz)
RETURNS TABLE (what text, val jsonb, at timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT x.what, CASE WHEN x.what IS NOT NULL THEN ingest.need_object(c.val, 'instagram ' || c.field || ' value') END,
         coalesce(c.at, p_seen_at)
  FROM ingest.meta_changes(p_body, 'instagram') c
  CROSS JOIN LATERAL (SELECT CASE WHEN c.field IN ('comments', 'live_comments') THEN 'comment'
                                  WHEN c.field = 'mentions' THEN 'mention' END AS what) x
$$;

-- A comments / live_comments value → post row: parent_id when it replies to
-- a comment, else the media, which is also the root.
CREATE OR REPLACE FUNCTION ingest.instagram_comment(v jsonb, p_at timestamptz) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT jsonb_populate_record(
    ingest.meta_post(v, ingest.need(v->>'id', 'instagram comment id'), 'comment',
                     coalesce(v->>'parent_id', m.id), m.id),
    jsonb_build_object('created_at', p_at))
  FROM (SELECT ingest.need(ingest.need_object(v->'media', 'instagram comment media')->>'id',
                           'instagram comment media.id') AS id) m
$$;

-- A mentions value ({media_id, comment_id?}) → 'mention' of the brand on the
-- comment, else the media. The payload names no author, so the actor is
-- unknown (NULL, as interaction allows); the key is the one the harvester's
-- mentioned_media / mentioned_comment pages use, so the same mention is
-- never counted twice.
CREATE OR REPLACE FUNCTION ingest.instagram_mention(v jsonb, p_at timestamptz) RETURNS ingest.interaction_in
LANGUAGE sql STABLE AS $$
  SELECT ROW('mention', NULL::text, m.id, 'mention:' || m.id, p_at)::ingest.interaction_in
  FROM (SELECT CASE WHEN ingest.need(v->>'media_id', 'instagram mention media_id') IS NOT NULL
                    THEN coalesce(v->>'comment_id', v->>'media_id') END AS id) m
$$;

-- Facebook endpoints:
--   feed      Page feed / posts {data:[post], paging}; comments embedded under
--             a post (comments{data}) are stored as its comments
--   tagged    /{page}/tagged, posts tagging the Page {data:[post]}: stored
--             with a mention of the brand each (embedded comments ignored)
--   page      /{page}?fields=...: the Page's own profile with its counts
--   comments  /{object}/comments {data:[comment], paging}
--   webhook   a Page webhook delivery {object:"page", entry:[{changes}]}: feed
--             posts and comments added or edited, reactions as likes, removed
--             posts and comments as tombstones (see facebook_feed); other
--             fields and items are accepted and ignored
CREATE OR REPLACE FUNCTION ingest.normalize_facebook(p_account_id bigint, p_endpoint text, p_body jsonb,
                                                     p_request_url text DEFAULT NULL,
                                                     p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  objects jsonb[];
  posts ingest.post_in[];
  likes ingest.interaction_in[];
  gone text[];
BEGIN
  CASE p_endpoint
    WHEN 'webhook' THEN
      SELECT coalesce(array_agg(f.val) FILTER (WHERE f.what IN ('post', 'comment', 'like')), '{}'),
             coalesce(array_agg(ingest.facebook_feed_post(f.val, f.at, f.changed_at)) FILTER (WHERE f.what IN ('post', 'comment')), '{}'),
             coalesce(array_agg(ingest.facebook_feed_like(f.val, f.at)) FILTER (WHERE f.what = 'like'), '{}'),
             coalesce(array_agg(ingest.facebook_feed_id(f.val)) FILTER (WHERE f.what = 'gone'), '{}')
      INTO objects, posts, likes, gone
      FROM ingest.facebook_feed(p_body, p_seen_at) f;
      RETURN ingest.apply('facebook', p_account_id, p_seen_at,
                          ARRAY(SELECT ingest.meta_profile(o) FROM unnest(objects) o), posts, likes, '{}', gone);
    WHEN 'page' THEN
      RETURN ingest.apply('facebook', p_account_id, p_seen_at, ARRAY[ingest.meta_account(p_body, 'facebook page')]);
    WHEN 'tagged' THEN
      objects := ARRAY(SELECT ingest.graph_data(p_body, 'facebook tagged'));
      posts := ARRAY(SELECT ingest.meta_post(o, o->>'id', 'post', NULL, NULL) FROM unnest(objects) o);
      RETURN ingest.meta_apply('facebook', p_account_id, p_seen_at, objects, posts, true);
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
      RAISE SQLSTATE 'PR400' USING MESSAGE = format('unknown facebook endpoint %L (there are: webhook, page, tagged, feed, comments)', p_endpoint);
  END CASE;
  RETURN ingest.meta_apply('facebook', p_account_id, p_seen_at, objects, posts, false);
END $$;

-- Instagram endpoints:
--   media              own media (/{ig-user}/media) or hashtag media {data:[media]}
--   tags               media the brand is tagged in (/{ig-user}/tags): also mentions
--   user               /{ig-user}?fields=...: the account's own profile with its counts
--   hashtag            /ig_hashtag_search {data:[{id}]}: checked, nothing stored
--   comments           /{media}/comments {data:[comment]}, with the replies
--                      embedded under each (replies{data}) stored under it
--   replies            /{comment}/replies {data:[comment]}: the replies past
--                      those embedded under the comment
--   mentioned_media    {mentioned_media:{media}}: a media mentioning the brand
--   mentioned_comment  {mentioned_comment:{comment}}: a comment mentioning the brand
--   webhook            an Instagram webhook delivery {object:"instagram", entry:[{changes}]}:
--                      comments and live_comments as comments, mentions as
--                      mentions without an actor (see instagram_mention);
--                      other fields are accepted and ignored
-- Mentions also become 'mention' interactions for the brand account.
CREATE OR REPLACE FUNCTION ingest.normalize_instagram(p_account_id bigint, p_endpoint text, p_body jsonb,
                                                      p_request_url text DEFAULT NULL,
                                                      p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  objects jsonb[];
  posts ingest.post_in[];
  mentions ingest.interaction_in[];
BEGIN
  CASE p_endpoint
    WHEN 'webhook' THEN
      SELECT coalesce(array_agg(f.val) FILTER (WHERE f.what = 'comment'), '{}'),
             coalesce(array_agg(ingest.instagram_comment(f.val, f.at)) FILTER (WHERE f.what = 'comment'), '{}'),
             coalesce(array_agg(ingest.instagram_mention(f.val, f.at)) FILTER (WHERE f.what = 'mention'), '{}')
      INTO objects, posts, mentions
      FROM ingest.instagram_changes(p_body, p_seen_at) f;
      RETURN ingest.apply('instagram', p_account_id, p_seen_at,
                          ARRAY(SELECT ingest.meta_profile(o) FROM unnest(objects) o), posts, mentions);
    WHEN 'user' THEN
      RETURN ingest.apply('instagram', p_account_id, p_seen_at, ARRAY[ingest.meta_account(p_body, 'instagram user')]);
    WHEN 'hashtag' THEN
      -- /ig_hashtag_search: the hashtag's id, which the harvester keeps; nothing to store
      PERFORM ingest.need(ingest.need_object(o, 'instagram hashtag')->>'id', 'instagram hashtag id')
      FROM ingest.graph_data(p_body, 'instagram hashtag') o;
      RETURN ingest.apply('instagram', p_account_id, p_seen_at, '{}');
    WHEN 'media', 'tags' THEN
      objects := ARRAY(SELECT ingest.graph_data(p_body, 'instagram ' || p_endpoint));
      posts := ARRAY(SELECT ingest.meta_post(o, o->>'id', 'post', NULL, NULL) FROM unnest(objects) o);
    WHEN 'comments', 'replies' THEN
      objects := ARRAY(SELECT ingest.graph_data(p_body, 'instagram ' || p_endpoint));
      -- a media's comments have the media as root; a comment's replies its
      -- comment's root, when that comment is stored (the page does not say)
      SELECT coalesce(array_agg(c.o), '{}'), coalesce(array_agg(c.post), '{}') INTO objects, posts
      FROM ingest.meta_comments(objects, ingest.graph_object(p_request_url),
                                CASE WHEN p_endpoint = 'comments' THEN ingest.graph_object(p_request_url)
                                     ELSE (SELECT x.root_external_id FROM social.post x
                                           WHERE x.platform = 'instagram'
                                             AND x.external_id = ingest.graph_object(p_request_url)) END) c;
    WHEN 'mentioned_media' THEN
      objects := ARRAY[ingest.need_object(p_body->'mentioned_media', 'instagram mentioned_media')];
      posts := ARRAY[ingest.meta_post(objects[1], objects[1]->>'id', 'post', NULL, NULL)];
    WHEN 'mentioned_comment' THEN
      objects := ARRAY[ingest.need_object(p_body->'mentioned_comment', 'instagram mentioned_comment')];
      posts := ARRAY[ingest.meta_comment(objects[1], objects[1]->'media'->>'id', objects[1]->'media'->>'id')];
    ELSE
      RAISE SQLSTATE 'PR400' USING MESSAGE = format('unknown instagram endpoint %L (there are: webhook, user, hashtag, media, tags, comments, replies, mentioned_media, mentioned_comment)', p_endpoint);
  END CASE;
  RETURN ingest.meta_apply('instagram', p_account_id, p_seen_at, objects, posts,
                           p_endpoint IN ('tags', 'mentioned_media', 'mentioned_comment'));
END $$;
