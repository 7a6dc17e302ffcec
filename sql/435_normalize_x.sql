-- X (Account Activity API webhooks with v1.1 objects, and API v2 pages) → social model. Only
-- mapping lives here; writing is ingest.apply(). A delivery is about one
-- subscribed user (for_user_id, the brand) and holds arrays of events by
-- kind. Ids are the *_str forms (the numbers overflow JSON doubles); a
-- profile's external id is the user id, a post's the Tweet or DM event id
-- (both snowflake ids, from the one generator X uses for all its objects).

-- A v1.1 time, "Wed Oct 10 20:19:24 +0000 2018"; NULL stays NULL, anything
-- else is a shape error.
CREATE OR REPLACE FUNCTION ingest.x_time(p text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p IS NULL THEN NULL
              WHEN p ~ '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [+-][0-9]{4} [0-9]{4}$'
              THEN to_timestamp(p, 'Dy Mon DD HH24:MI:SS TZHTZM YYYY')
              ELSE ingest.fail('x created_at', NULL::timestamptz) END
$$;

-- The events of one kind in a delivery: [] when the kind is absent.
CREATE OR REPLACE FUNCTION ingest.x_events(p_body jsonb, p_key text) RETURNS SETOF jsonb
LANGUAGE sql STABLE AS $$
  SELECT ingest.need_object(e, 'x ' || p_key || ' item')
  FROM jsonb_array_elements(CASE WHEN p_body ? p_key THEN ingest.need_array(p_body->p_key, 'x ' || p_key)
                                 ELSE '[]' END) e
$$;

-- User object (Tweet author, follow source/target, DM `users` entry, which
-- has a string `id` and no id_str) → profile row.
CREATE OR REPLACE FUNCTION ingest.x_profile(p_user jsonb) RETURNS ingest.profile_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(coalesce(x.u->>'id_str', x.u->>'id'), 'x user.id_str'),
    x.u->>'screen_name', x.u->>'name', x.u->>'description',
    (x.u->>'followers_count')::bigint, (x.u->>'friends_count')::bigint, (x.u->>'statuses_count')::bigint,
    (x.u->>'verified')::boolean, x.u->>'lang', x.u->>'location',
    coalesce(x.u->>'profile_image_url_https', x.u->>'profile_image_url'),
    'https://x.com/' || (x.u->>'screen_name'),
    x.u)::ingest.profile_in
  FROM (SELECT ingest.need_object(p_user, 'x user') AS u) x
$$;

-- Tweet → post row. A retweet is a 'repost' pointing at the retweeted Tweet
-- (ref), a reply points at its parent, a quote at the quoted Tweet (ref);
-- v1.1 does not name the thread's root. Long Tweets keep their text in
-- extended_tweet. raw leaves out the user and the embedded Tweets, stored as
-- their own rows.
CREATE OR REPLACE FUNCTION ingest.x_post(t jsonb) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(t->>'id_str', 'x tweet.id_str'),
    ingest.need(coalesce(u->>'id_str', u->>'id'), 'x tweet.user.id_str'),
    CASE WHEN jsonb_typeof(t->'retweeted_status') = 'object' THEN 'repost'
         WHEN t->>'in_reply_to_status_id_str' IS NOT NULL THEN 'reply'
         WHEN t->>'quoted_status_id_str' IS NOT NULL OR jsonb_typeof(t->'quoted_status') = 'object' THEN 'quote'
         ELSE 'post' END,
    coalesce(t->'extended_tweet'->>'full_text', t->>'full_text', t->>'text'),
    nullif(t->>'lang', 'und'),
    ingest.need(ingest.x_time(t->>'created_at'), 'x tweet.created_at'),
    'https://x.com/' || coalesce(u->>'screen_name', 'i/web') || '/status/' || (t->>'id_str'),
    NULL::text, NULL::timestamptz, NULL::timestamptz,
    t->>'in_reply_to_status_id_str',
    NULL::text,
    coalesce(t->'retweeted_status'->>'id_str', t->>'quoted_status_id_str', t->'quoted_status'->>'id_str'),
    (t->>'reply_count')::bigint, (t->>'retweet_count')::bigint,
    (t->>'favorite_count')::bigint, (t->>'quote_count')::bigint,
    t - 'user' - 'retweeted_status' - 'quoted_status')::ingest.post_in
  FROM (SELECT ingest.need_object(t->'user', 'x tweet.user') AS u) x
$$;

-- Every Tweet a list carries: each one and the full Tweets it embeds (the
-- retweeted one, the quoted one, the one a retweeted quote quotes).
CREATE OR REPLACE FUNCTION ingest.x_tweets(p_list jsonb[]) RETURNS SETOF jsonb
LANGUAGE sql STABLE AS $$
  SELECT x.t
  FROM unnest(p_list) s(t)
  CROSS JOIN LATERAL (VALUES (s.t), (s.t->'retweeted_status'), (s.t->'quoted_status'),
                             (s.t->'retweeted_status'->'quoted_status')) x(t)
  WHERE jsonb_typeof(x.t) = 'object'
$$;

-- What a Tweet does to the brand (p_brand, the subscribed user id), if
-- anything: retweets it ('repost', of the brand's Tweet), replies to it,
-- quotes it, or mentions it. The brand's own Tweets do nothing.
CREATE OR REPLACE FUNCTION ingest.x_tweet_kind(t jsonb, p_brand text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN t->'user'->>'id_str' = p_brand THEN NULL
              WHEN t->'retweeted_status'->'user'->>'id_str' = p_brand THEN 'repost'
              WHEN t->>'in_reply_to_user_id_str' = p_brand THEN 'reply'
              WHEN t->'quoted_status'->'user'->>'id_str' = p_brand THEN 'quote'
              WHEN coalesce(t->'extended_tweet'->'entities', t->'entities')->'user_mentions'
                   @> jsonb_build_array(jsonb_build_object('id_str', p_brand)) THEN 'mention' END
$$;

-- Tweets, likes and follows by others aimed at the brand → interaction
-- rows (the brand's own likes are delivered too, and are not
-- interactions). A repost is on the brand's Tweet, a like on the liked
-- Tweet, a reply, quote or mention on the new Tweet. Likes keep the event
-- id; a follow is keyed by who, whom and when.
CREATE OR REPLACE FUNCTION ingest.x_interactions(p_brand text, p_tweets jsonb[], p_likes jsonb[], p_follows jsonb[])
RETURNS SETOF ingest.interaction_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(k.kind, t->'user'->>'id_str',
             CASE WHEN k.kind = 'repost' THEN t->'retweeted_status'->>'id_str' ELSE t->>'id_str' END,
             t->>'id_str', ingest.x_time(t->>'created_at'))::ingest.interaction_in
  FROM unnest(p_tweets) t CROSS JOIN LATERAL (SELECT ingest.x_tweet_kind(t, p_brand) AS kind) k
  WHERE k.kind IS NOT NULL
  UNION ALL
  SELECT ROW('like', f->'user'->>'id_str', f->'favorited_status'->>'id_str',
             ingest.need(f->>'id', 'x favorite_event.id'),
             coalesce(ingest.epoch_ts(f->>'timestamp_ms', 'x favorite_event.timestamp_ms'),
                      ingest.need(ingest.x_time(f->>'created_at'), 'x favorite_event.created_at')))::ingest.interaction_in
  FROM unnest(p_likes) f
  WHERE f->'user'->>'id_str' IS DISTINCT FROM p_brand
  UNION ALL
  SELECT ROW('follow', f->'source'->>'id_str', NULL::text,
             (f->'source'->>'id_str') || ':' || p_brand || ':' || (f->>'created_timestamp'),
             ingest.need(ingest.epoch_ts(f->>'created_timestamp', 'x follow_event.created_timestamp'),
                         'x follow_event.created_timestamp'))::ingest.interaction_in
  FROM unnest(p_follows) f
  WHERE f->>'type' = 'follow' AND f->'target'->>'id_str' = p_brand
$$;

-- Who follows or unfollows the brand in a delivery, and since when, as of
-- their latest event in it (a follow and an unfollow by one person in one
-- delivery).
DROP FUNCTION IF EXISTS ingest.x_follow_states(jsonb[], text);
CREATE OR REPLACE FUNCTION ingest.x_follow_states(p_follows jsonb[], p_brand text)
RETURNS TABLE (who text, follows_now boolean, since timestamptz) LANGUAGE sql STABLE AS $$
  SELECT DISTINCT ON (f->'source'->>'id_str') f->'source'->>'id_str', f->>'type' = 'follow',
         ingest.epoch_ts(f->>'created_timestamp', 'x follow_event.created_timestamp')
  FROM unnest(p_follows) WITH ORDINALITY e(f, n)
  WHERE f->>'type' IN ('follow', 'unfollow') AND f->'target'->>'id_str' = p_brand
  ORDER BY f->'source'->>'id_str', ingest.epoch_ts(f->>'created_timestamp', 'x follow_event.created_timestamp') DESC, n DESC
$$;

-- A message_create DM event → post row of kind 'direct' by its sender.
CREATE OR REPLACE FUNCTION ingest.x_dm(d jsonb) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(d->>'id', 'x direct_message_event.id'),
    ingest.need(m->>'sender_id', 'x message_create.sender_id'),
    'direct',
    ingest.need_object(m->'message_data', 'x message_create.message_data')->>'text',
    NULL::text,
    ingest.need(ingest.epoch_ts(d->>'created_timestamp', 'x direct_message_event.created_timestamp'),
                'x direct_message_event.created_timestamp'),
    NULL::text, 'direct', NULL::timestamptz, NULL::timestamptz, NULL::text, NULL::text, NULL::text,
    NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
    d)::ingest.post_in
  FROM (SELECT ingest.need_object(d->'message_create', 'x message_create') AS m) x
$$;

-- ---------------------------------------------------------------- API v2
-- The harvester's pages (fcgi/adapter_x.c): {data, includes: {users, tweets},
-- meta, errors?}. Ids are decimal strings, times ISO 8601. A page may carry
-- partial errors (a referenced Tweet that was deleted, a protected author)
-- beside its data: the data is kept, the errors are evidence in the raw page.

-- A v2 User → profile row.
CREATE OR REPLACE FUNCTION ingest.x2_profile(p_user jsonb) RETURNS ingest.profile_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(x.u->>'id', 'x user.id'),
    x.u->>'username', x.u->>'name', x.u->>'description',
    (x.u->'public_metrics'->>'followers_count')::bigint, (x.u->'public_metrics'->>'following_count')::bigint,
    (x.u->'public_metrics'->>'tweet_count')::bigint,
    (x.u->>'verified')::boolean, NULL::text, x.u->>'location',
    x.u->>'profile_image_url',
    'https://x.com/' || (x.u->>'username'),
    x.u)::ingest.profile_in
  FROM (SELECT ingest.need_object(p_user, 'x user') AS u) x
$$;

-- The id of the Tweet t references as p_type (replied_to, quoted, retweeted).
CREATE OR REPLACE FUNCTION ingest.x2_ref(t jsonb, p_type text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT ingest.need(r->>'id', 'x tweet.referenced_tweets.id')
  FROM jsonb_array_elements(CASE WHEN t ? 'referenced_tweets'
                                 THEN ingest.need_array(t->'referenced_tweets', 'x tweet.referenced_tweets')
                                 ELSE '[]' END) r
  WHERE r->>'type' = p_type
  LIMIT 1
$$;

-- A v2 Tweet → post row. A retweet is a 'repost' pointing at the retweeted
-- Tweet (ref), a reply points at its parent (replied_to) and its thread's
-- root (conversation_id, which a thread's first Tweet has as its own id), a
-- quote at the quoted Tweet (ref). p_names: user id → username, for the URL.
-- Long posts keep their full text in note_tweet.
CREATE OR REPLACE FUNCTION ingest.x2_post(p_tweet jsonb, p_names jsonb) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    x.id,
    ingest.need(x.t->>'author_id', 'x tweet.author_id'),
    CASE WHEN x.retweeted IS NOT NULL THEN 'repost' WHEN x.parent IS NOT NULL THEN 'reply'
         WHEN x.quoted IS NOT NULL THEN 'quote' ELSE 'post' END,
    ingest.need(coalesce(x.t->'note_tweet'->>'text', x.t->>'text'), 'x tweet.text'),
    nullif(x.t->>'lang', 'und'),
    ingest.need(ingest.iso_ts(x.t->>'created_at'), 'x tweet.created_at'),
    'https://x.com/' || coalesce(p_names->>(x.t->>'author_id'), 'i/web') || '/status/' || x.id,
    NULL::text, NULL::timestamptz, NULL::timestamptz,
    x.parent,
    nullif(x.t->>'conversation_id', x.id),
    coalesce(x.retweeted, x.quoted),
    (x.t->'public_metrics'->>'reply_count')::bigint, (x.t->'public_metrics'->>'retweet_count')::bigint,
    (x.t->'public_metrics'->>'like_count')::bigint, (x.t->'public_metrics'->>'quote_count')::bigint,
    x.t)::ingest.post_in
  FROM (SELECT t, ingest.need(t->>'id', 'x tweet.id') AS id, ingest.x2_ref(t, 'replied_to') AS parent,
               ingest.x2_ref(t, 'quoted') AS quoted, ingest.x2_ref(t, 'retweeted') AS retweeted
        FROM (SELECT ingest.need_object(p_tweet, 'x tweet') AS t) o) x
$$;

-- What a Tweet by someone else does to the brand (user id p_brand, username
-- p_handle), as the Account Activity reading above: retweets its Tweet,
-- replies to it, quotes it, or mentions it (p_mentions: the page is the
-- brand's mentions timeline, where every Tweet does). p_authors: Tweet id →
-- author id of the page's Tweets.
CREATE OR REPLACE FUNCTION ingest.x2_tweet_kind(t jsonb, p_authors jsonb, p_brand text, p_handle text,
                                                p_mentions boolean) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN t->>'author_id' = p_brand THEN NULL
              WHEN p_authors->>ingest.x2_ref(t, 'retweeted') = p_brand THEN 'repost'
              WHEN t->>'in_reply_to_user_id' = p_brand THEN 'reply'
              WHEN p_authors->>ingest.x2_ref(t, 'quoted') = p_brand THEN 'quote'
              WHEN p_mentions OR EXISTS (
                     SELECT FROM jsonb_array_elements(CASE WHEN jsonb_typeof(t->'entities'->'mentions') = 'array'
                                                           THEN t->'entities'->'mentions' ELSE '[]' END) m
                     WHERE m->>'id' = p_brand OR lower(m->>'username') = lower(p_handle)) THEN 'mention' END
$$;

-- Endpoints of API v2 (ingest.normalize_x dispatches here):
--   tweets     a page of Tweets (a user's Tweets, recent search, a conversation
--              by conversation_id search, one Tweet lookup): every Tweet in
--              data and includes.tweets → posts, includes.users → profiles;
--              Tweets by others that retweet, answer, quote or mention the
--              brand → interactions (keyed by the Tweet id, as the webhook's)
--   mentions   the brand's mentions timeline: as tweets, and every Tweet by
--              someone else there is at least a mention
--   followers  a page of Users following the brand → profiles + follower edges
--   users      any other page of Users → profiles only
-- An empty page is {"meta": {"result_count": 0}} without data.
CREATE OR REPLACE FUNCTION ingest.normalize_x_v2(p_account_id bigint, p_endpoint text, p_body jsonb,
                                                 p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  page jsonb := ingest.need_object(p_body, 'x page');
  data jsonb;                                -- the page's primary objects, as an array
  inc jsonb;
  users jsonb;                               -- includes.users
  tweets jsonb := '[]';                      -- data, then includes.tweets
  names jsonb;                               -- user id → username
  authors jsonb;                             -- Tweet id → author id
  brand text;
  handle text;
  posts ingest.post_in[];
BEGIN
  IF NOT page ? 'data' THEN
    -- Nothing matched: meta only. A 200 with errors only failed as a whole.
    IF jsonb_typeof(page->'errors') = 'array' AND NOT page ? 'meta' THEN
      RAISE SQLSTATE 'PR422' USING MESSAGE = 'x page has errors only: '
        || coalesce(page->'errors'->0->>'detail', page->'errors'->0->>'title', page->'errors'->0->>'message', '?');
    END IF;
    PERFORM ingest.need_object(page->'meta', 'x meta');
  END IF;
  data := CASE WHEN NOT page ? 'data' THEN '[]'
               WHEN jsonb_typeof(page->'data') = 'object' THEN jsonb_build_array(page->'data')
               ELSE ingest.need_array(page->'data', 'x data') END;
  inc := CASE WHEN page ? 'includes' THEN ingest.need_object(page->'includes', 'x includes') ELSE '{}' END;
  users := CASE WHEN inc ? 'users' THEN ingest.need_array(inc->'users', 'x includes.users') ELSE '[]' END;
  IF p_endpoint IN ('followers', 'users') THEN
    users := data || users;
  ELSE
    tweets := data || CASE WHEN inc ? 'tweets' THEN ingest.need_array(inc->'tweets', 'x includes.tweets') ELSE '[]' END;
  END IF;
  names := coalesce((SELECT jsonb_object_agg(u->>'id', u->>'username') FROM jsonb_array_elements(users) u
                     WHERE jsonb_typeof(u) = 'object' AND u->>'id' IS NOT NULL AND u->>'username' IS NOT NULL), '{}');
  -- Posts first: a Tweet without its author is reported as such.
  posts := ARRAY(SELECT ingest.x2_post(t, names) FROM jsonb_array_elements(tweets) t);
  authors := coalesce((SELECT jsonb_object_agg(t->>'id', t->>'author_id') FROM jsonb_array_elements(tweets) t), '{}');
  SELECT a.external_id, a.handle INTO brand, handle FROM social.account a WHERE a.id = p_account_id;
  RETURN ingest.apply('x', p_account_id, p_seen_at,
    ARRAY(SELECT ingest.x2_profile(u) FROM jsonb_array_elements(users) u),
    posts,
    ARRAY(SELECT ROW(k.kind, t->>'author_id',
                     CASE WHEN k.kind = 'repost' THEN ingest.x2_ref(t, 'retweeted') ELSE t->>'id' END,
                     t->>'id', ingest.iso_ts(t->>'created_at'))::ingest.interaction_in
          FROM jsonb_array_elements(CASE WHEN p_endpoint IN ('tweets', 'mentions') AND brand IS NOT NULL
                                         THEN data ELSE '[]' END) t
          CROSS JOIN LATERAL (SELECT ingest.x2_tweet_kind(t, authors, brand, handle, p_endpoint = 'mentions') AS kind) k
          WHERE k.kind IS NOT NULL),
    ARRAY(SELECT u->>'id' FROM jsonb_array_elements(data) u
          WHERE p_endpoint = 'followers' AND p_account_id IS NOT NULL));
END $$;

-- Endpoints (the API v2 pages are read by ingest.normalize_x_v2 above):
--   tweets, mentions, followers, users  X API v2 pages
--   webhook  an Account Activity delivery {for_user_id, <kind>_events: [...], users?}:
--            tweet_create_events  Tweets by or to the brand → posts (with the
--                                 Tweets they embed); retweets, replies, quotes and
--                                 mentions of the brand also → interactions
--            favorite_events      → 'like' interactions (and the liked Tweet, the liker);
--                                 the brand's own likes: the Tweet and profiles only
--            follow_events        follow of the brand → follower edge + 'follow';
--                                 unfollow of the brand → the edge's end;
--                                 the brand's own follows: profiles only
--            tweet_delete_events  → tombstones
--            direct_message_events  message_create → posts of kind 'direct', their
--                                 sender and recipient from `users`
--            any other key (block_events, mute_events, *_indicate_typing_events,
--            user_event, ...) is accepted and changes nothing.
CREATE OR REPLACE FUNCTION ingest.normalize_x(p_account_id bigint, p_endpoint text, p_body jsonb,
                                              p_request_url text DEFAULT NULL,
                                              p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  brand text;
  created jsonb[];                           -- tweet_create_events
  likes jsonb[];
  follows jsonb[];
  dms jsonb[];                               -- message_create events
  tweets jsonb[];                            -- every Tweet object on the delivery
  people jsonb[];                            -- users besides Tweet authors
  posts ingest.post_in[];
BEGIN
  IF p_endpoint IN ('tweets', 'mentions', 'followers', 'users') THEN
    RETURN ingest.normalize_x_v2(p_account_id, p_endpoint, p_body, p_seen_at);
  ELSIF p_endpoint IS DISTINCT FROM 'webhook' THEN
    RAISE SQLSTATE 'PR400' USING MESSAGE = format('unknown x endpoint %L (there are: tweets, mentions, followers, users, webhook)', p_endpoint);
  END IF;
  brand := ingest.need(ingest.need_object(p_body, 'x webhook')->>'for_user_id', 'x for_user_id');
  created := ARRAY(SELECT ingest.x_events(p_body, 'tweet_create_events'));
  likes := ARRAY(SELECT ingest.x_events(p_body, 'favorite_events'));
  follows := ARRAY(SELECT ingest.x_events(p_body, 'follow_events'));
  dms := ARRAY(SELECT e FROM ingest.x_events(p_body, 'direct_message_events') e WHERE e->>'type' = 'message_create');
  tweets := ARRAY(SELECT ingest.x_tweets(created || ARRAY(
              SELECT ingest.need_object(f->'favorited_status', 'x favorite_event.favorited_status') FROM unnest(likes) f)));
  -- Posts first: a Tweet without its user is reported as such.
  posts := ARRAY(SELECT ingest.x_post(t) FROM unnest(tweets) t
                 UNION ALL
                 SELECT ingest.x_dm(d) FROM unnest(dms) d);
  people := ARRAY(SELECT ingest.need_object(f->'user', 'x favorite_event.user') FROM unnest(likes) f
                  UNION ALL
                  SELECT x.u FROM unnest(follows) f,
                         LATERAL (VALUES (ingest.need_object(f->'source', 'x follow_event.source')),
                                         (ingest.need_object(f->'target', 'x follow_event.target'))) x(u)
                  UNION ALL
                  SELECT jsonb_build_object('id', u.key) || u.value
                  FROM jsonb_each(CASE WHEN cardinality(dms) > 0 AND p_body ? 'users'
                                       THEN ingest.need_object(p_body->'users', 'x users') ELSE '{}' END) u
                  WHERE u.key IN (SELECT d->'message_create'->>'sender_id' FROM unnest(dms) d
                                  UNION ALL
                                  SELECT d->'message_create'->'target'->>'recipient_id' FROM unnest(dms) d));
  RETURN ingest.apply('x', p_account_id, p_seen_at,
    ARRAY(SELECT ingest.x_profile(t->'user') FROM unnest(tweets) t
          UNION ALL
          SELECT ingest.x_profile(u) FROM unnest(people) u),
    posts,
    ARRAY(SELECT ingest.x_interactions(brand, created, likes, follows)),
    ARRAY(SELECT who FROM ingest.x_follow_states(follows, brand) WHERE p_account_id IS NOT NULL AND follows_now),
    ARRAY(SELECT ingest.need(ingest.need_object(e->'status', 'x tweet_delete_event.status')->>'id',
                             'x tweet_delete_event.status.id')
          FROM ingest.x_events(p_body, 'tweet_delete_events') e),
    ARRAY(SELECT ROW('unfollow', who, NULL::text, NULL::text, since)::ingest.interaction_in
          FROM ingest.x_follow_states(follows, brand) WHERE p_account_id IS NOT NULL AND NOT follows_now));
END $$;
