-- Bluesky (AT Protocol app.bsky.* XRPC) → social model. Only mapping lives
-- here; writing is ingest.apply(). A post's external id is its at:// uri, a
-- profile's its did.

-- An ISO 8601 time ("…Z", "…+00:00"), or NULL for anything else: a record's
-- createdAt is written by the author's client, so an odd one falls back to the
-- AppView's indexedAt instead of failing the page.
CREATE OR REPLACE FUNCTION ingest.iso_ts(p text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p ~ '^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-][0-2]\d(:?[0-5]\d)?)$'
              THEN p::timestamptz END
$$;

-- profileView / profileViewBasic / profileViewDetailed → profile row.
CREATE OR REPLACE FUNCTION ingest.bluesky_profile(a jsonb) RETURNS ingest.profile_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    ingest.need(a->>'did', 'bluesky profile.did'),
    a->>'handle', a->>'displayName', a->>'description',
    (a->>'followersCount')::bigint, (a->>'followsCount')::bigint, (a->>'postsCount')::bigint,
    CASE WHEN jsonb_typeof(a->'verification') = 'object'
         THEN a->'verification'->>'verifiedStatus' = 'valid' END,
    NULL::text, NULL::text,           -- no profile language or location in the lexicon
    a->>'avatar',
    'https://bsky.app/profile/' || coalesce(a->>'handle', a->>'did'),
    a)::ingest.profile_in
$$;

-- The post a record quotes (embed.record, or the record of recordWithMedia);
-- embeds of feeds or lists are not quotes.
CREATE OR REPLACE FUNCTION ingest.bluesky_quoted(p_record jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN u LIKE 'at://%/app.bsky.feed.post/%' THEN u END
  FROM (SELECT coalesce(p_record->'embed'->'record'->'record'->>'uri',
                        p_record->'embed'->'record'->>'uri') AS u) q
$$;

-- postView (or a notification shaped like one: uri, author, record,
-- indexedAt) → post row. The record's createdAt is the author's claim; when
-- it is not a proper time the AppView's indexedAt is used. raw leaves out the
-- author, kept in the profile (views of it differ between endpoints).
CREATE OR REPLACE FUNCTION ingest.bluesky_post(p jsonb) RETURNS ingest.post_in
LANGUAGE sql STABLE AS $$
  SELECT ROW(
    uri,
    ingest.need(ingest.need_object(p->'author', 'bluesky post.author')->>'did', 'bluesky post.author.did'),
    CASE WHEN jsonb_typeof(rec->'reply') = 'object' THEN 'reply'
         WHEN ingest.bluesky_quoted(rec) IS NOT NULL THEN 'quote'
         ELSE 'post' END,
    rec->>'text',
    rec->'langs'->>0,
    ingest.need(coalesce(ingest.iso_ts(rec->>'createdAt'), ingest.iso_ts(p->>'indexedAt')),
                'bluesky post.record.createdAt'),
    'https://bsky.app/profile/' || split_part(uri, '/', 3) || '/post/' || split_part(uri, '/', 5),
    NULL::text, NULL::timestamptz, NULL::timestamptz,
    rec->'reply'->'parent'->>'uri',
    rec->'reply'->'root'->>'uri',
    ingest.bluesky_quoted(rec),
    (p->>'replyCount')::bigint, (p->>'repostCount')::bigint,
    (p->>'likeCount')::bigint, (p->>'quoteCount')::bigint,
    p - 'author')::ingest.post_in
  FROM (SELECT ingest.need(p->>'uri', 'bluesky post.uri') AS uri,
               ingest.need_object(p->'record', 'bluesky post.record') AS rec) r
$$;

-- Thread and feed nodes that stand in for a post: notFoundPost (the post
-- is gone: a tombstone) and blockedPost (hidden from the viewer). Anything
-- else must be a full post view, or the page has changed shape.
CREATE OR REPLACE FUNCTION ingest.bluesky_placeholder(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT v->>'$type' IN ('app.bsky.feed.defs#notFoundPost', 'app.bsky.feed.defs#blockedPost')
         OR v->>'notFound' = 'true' OR v->>'blocked' = 'true'
$$;
CREATE OR REPLACE FUNCTION ingest.bluesky_gone(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT v->>'uri' WHERE v->>'$type' = 'app.bsky.feed.defs#notFoundPost' OR v->>'notFound' = 'true'
$$;

-- Every node of a getPostThread answer: the anchor, its parents up to the
-- root, and all replies below it.
CREATE OR REPLACE FUNCTION ingest.bluesky_thread_nodes(p_thread jsonb) RETURNS SETOF jsonb
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE t(node) AS (
    SELECT ingest.need_object(p_thread, 'bluesky thread')
    UNION ALL
    SELECT c.child
    FROM t CROSS JOIN LATERAL (
      SELECT t.node->'parent' WHERE jsonb_typeof(t.node->'parent') = 'object'
      UNION ALL
      SELECT r FROM jsonb_array_elements(CASE WHEN jsonb_typeof(t.node->'replies') = 'array'
                                              THEN t.node->'replies' ELSE '[]' END) r
    ) AS c(child)
  )
  SELECT node FROM t
$$;

-- Notification reason → interaction kind; NULL for reasons not counted
-- (starterpack-joined, verified, ...).
CREATE OR REPLACE FUNCTION ingest.bluesky_kind(p_reason text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_reason WHEN 'like' THEN 'like' WHEN 'like-via-repost' THEN 'like'
                       WHEN 'repost' THEN 'repost' WHEN 'repost-via-repost' THEN 'repost'
                       WHEN 'follow' THEN 'follow' WHEN 'mention' THEN 'mention'
                       WHEN 'reply' THEN 'reply' WHEN 'quote' THEN 'quote' END
$$;

-- Endpoints:
--   author_feed, timeline  app.bsky.feed.getAuthorFeed / getTimeline {feed:[{post, reply?, reason?}]}
--   search                 app.bsky.feed.searchPosts {posts}
--   post_thread            app.bsky.feed.getPostThread {thread}
--   notifications          app.bsky.notification.listNotifications {notifications}
--   followers, follows     app.bsky.graph.getFollowers / getFollows {subject, followers|follows};
--                          followers of p_account_id become follower edges
-- A feed repost (reason) is a 'repost' interaction by the reposter; parents
-- and roots shown with a reply are stored too.
CREATE OR REPLACE FUNCTION ingest.normalize_bluesky(p_account_id bigint, p_endpoint text, p_body jsonb,
                                                    p_request_url text DEFAULT NULL,
                                                    p_seen_at timestamptz DEFAULT now())
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  nodes jsonb := '[]';                   -- candidate post views (and gone markers)
  people jsonb := '[]';                  -- profile views besides post authors
  events ingest.interaction_in[] := '{}';
  followers text[] := '{}';
BEGIN
  CASE p_endpoint
    WHEN 'author_feed', 'timeline' THEN
      nodes := coalesce((
        SELECT jsonb_agg(v)
        FROM jsonb_array_elements(ingest.need_array(p_body->'feed', 'bluesky feed')) i
        CROSS JOIN LATERAL (VALUES (ingest.need_object(i->'post', 'bluesky feed.post')),
                                   (i->'reply'->'parent'), (i->'reply'->'root')) x(v)
        WHERE v IS NOT NULL), '[]');
      people := coalesce((SELECT jsonb_agg(i->'reason'->'by') FROM jsonb_array_elements(p_body->'feed') i
                          WHERE jsonb_typeof(i->'reason'->'by') = 'object'), '[]');
      events := ARRAY(
        SELECT ROW('repost', i->'reason'->'by'->>'did', i->'post'->>'uri',
                   coalesce(i->'reason'->>'uri', 'repost:' || (i->'reason'->'by'->>'did') || ':' || (i->'post'->>'uri')),
                   coalesce(ingest.iso_ts(i->'reason'->>'indexedAt'), p_seen_at))::ingest.interaction_in
        FROM jsonb_array_elements(p_body->'feed') i
        WHERE i->'reason'->>'$type' = 'app.bsky.feed.defs#reasonRepost');
    WHEN 'search' THEN
      nodes := ingest.need_array(p_body->'posts', 'bluesky posts');
    WHEN 'post_thread' THEN
      nodes := coalesce((SELECT jsonb_agg(CASE WHEN n ? 'post' THEN n->'post' ELSE n END)
                         FROM ingest.bluesky_thread_nodes(p_body->'thread') n), '[]');
    WHEN 'notifications' THEN
      nodes := coalesce((
        SELECT jsonb_agg(jsonb_build_object('uri', n->'uri', 'cid', n->'cid', 'author', n->'author',
                                            'record', n->'record', 'indexedAt', n->'indexedAt'))
        FROM jsonb_array_elements(ingest.need_array(p_body->'notifications', 'bluesky notifications')) n
        WHERE n->>'reason' IN ('mention', 'reply', 'quote')), '[]');
      people := coalesce((SELECT jsonb_agg(n->'author') FROM jsonb_array_elements(p_body->'notifications') n), '[]');
      events := ARRAY(
        SELECT ROW(ingest.bluesky_kind(n->>'reason'),
                   ingest.need(n->'author'->>'did', 'bluesky notification.author.did'),
                   CASE WHEN n->>'reason' IN ('mention', 'reply', 'quote') THEN n->>'uri' ELSE n->>'reasonSubject' END,
                   ingest.need(n->>'uri', 'bluesky notification.uri'),
                   coalesce(ingest.iso_ts(n->>'indexedAt'), p_seen_at))::ingest.interaction_in
        FROM jsonb_array_elements(p_body->'notifications') n
        WHERE ingest.bluesky_kind(n->>'reason') IS NOT NULL);
      IF p_account_id IS NOT NULL THEN
        followers := ARRAY(SELECT (e).actor_external_id FROM unnest(events) e WHERE (e).kind = 'follow');
      END IF;
    WHEN 'followers', 'follows' THEN
      people := jsonb_build_array(ingest.need_object(p_body->'subject', 'bluesky subject'))
                || ingest.need_array(p_body->p_endpoint, 'bluesky ' || p_endpoint);
      IF p_endpoint = 'followers' AND p_account_id IS NOT NULL THEN
        followers := ARRAY(SELECT f->>'did' FROM jsonb_array_elements(p_body->'followers') f);
      END IF;
    ELSE
      RAISE SQLSTATE 'PR400' USING MESSAGE = format('unknown bluesky endpoint %L (there are: author_feed, timeline, search, post_thread, notifications, followers, follows)', p_endpoint);
  END CASE;

  -- An account added by its handle alone: its own feed names its DID, which
  -- tells its own posts from mentions (social.own_profile) and keeps the
  -- followers walk on this account should the handle pass to someone else.
  IF p_endpoint = 'author_feed' AND p_account_id IS NOT NULL THEN
    UPDATE social.account a SET external_id = v->'author'->>'did'
    FROM jsonb_array_elements(nodes) v
    WHERE a.id = p_account_id AND a.external_id IS NULL
      AND lower(v->'author'->>'handle') = lower(ltrim(a.handle, '@')) AND v->'author'->>'did' LIKE 'did:%'
      -- (not when another account at this server has that DID: the same account added again)
      AND NOT EXISTS (SELECT FROM social.account o WHERE o.platform = 'bluesky' AND o.external_id = v->'author'->>'did'
                        AND lower(coalesce(o.api_base_url, '')) = lower(coalesce(a.api_base_url, '')));
  END IF;
  RETURN ingest.apply('bluesky', p_account_id, p_seen_at,
    ARRAY(SELECT ingest.bluesky_profile(a) FROM jsonb_array_elements(people) a
          UNION ALL
          SELECT ingest.bluesky_profile(ingest.need_object(v->'author', 'bluesky post.author'))
          FROM jsonb_array_elements(nodes) v WHERE ingest.bluesky_placeholder(v) IS NOT TRUE),
    ARRAY(SELECT ingest.bluesky_post(v) FROM jsonb_array_elements(nodes) v
          WHERE ingest.bluesky_placeholder(v) IS NOT TRUE),
    events, followers,
    ARRAY(SELECT ingest.bluesky_gone(v) FROM jsonb_array_elements(nodes) v WHERE ingest.bluesky_gone(v) IS NOT NULL));
END $$;
