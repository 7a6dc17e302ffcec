-- The X API v2 normalizer (ingest.normalize_x_v2 through ingest.store_page):
-- hand-written pages in the shapes of the v2 reference (a mentions timeline
-- with expansions, a recent search with partial errors, an empty page, a
-- followers page), exact rows, idempotent re-apply, and malformed pages that
-- are quarantined without writing anything.
BEGIN;
SELECT plan(45);

SET LOCAL lock_timeout = '10s';
SET LOCAL client_min_messages = warning;
TRUNCATE social.post, social.profile, social.interaction, social.follower_edge, social.engagement_snapshot,
         social.post_edit, ingest.raw_page, ingest.quarantine CASCADE;

CREATE FUNCTION pg_temp.social_rows() RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object(
    'posts', (SELECT count(*) FROM social.post), 'profiles', (SELECT count(*) FROM social.profile),
    'interactions', (SELECT count(*) FROM social.interaction), 'edges', (SELECT count(*) FROM social.follower_edge),
    'snapshots', (SELECT count(*) FROM social.engagement_snapshot), 'edits', (SELECT count(*) FROM social.post_edit))
$$;
CREATE TEMP TABLE res (name text PRIMARY KEY, r jsonb, before jsonb, after jsonb);
CREATE FUNCTION pg_temp.page(p_name text, p_endpoint text, p_body text, p_account bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  b jsonb := pg_temp.social_rows();
  v jsonb := ingest.store_page('x', p_endpoint, p_account, 'https://api.x.com/2/' || p_name, 200,
                               '{"x-rate-limit-remaining": "449"}', p_body);
BEGIN
  INSERT INTO res VALUES (p_name, v, b, pg_temp.social_rows());
END $$;
CREATE FUNCTION pg_temp.added(p_name text, p_what text) RETURNS integer LANGUAGE sql AS $$
  SELECT (after->>p_what)::integer - (before->>p_what)::integer FROM res WHERE name = p_name
$$;
CREATE FUNCTION pg_temp.post(p_external_id text) RETURNS social.post LANGUAGE sql AS $$
  SELECT * FROM social.post WHERE platform = 'x' AND external_id = p_external_id
$$;

INSERT INTO social.account (platform, handle, external_id) VALUES ('x', 'tap_ParleyTea', '2244994945');
CREATE FUNCTION pg_temp.brand() RETURNS bigint LANGUAGE sql AS $$
  SELECT id FROM social.account WHERE platform = 'x' AND handle = 'tap_ParleyTea'
$$;

-------------------------------------------------------------- a mentions page
-- GET /2/users/2244994945/mentions?expansions=author_id,referenced_tweets.id,in_reply_to_user_id&...
-- A mention, a reply to the brand's Tweet (included), a quote of it.
CREATE TEMP TABLE mentions_page AS SELECT $json${
  "data": [
    {"id": "1790000000000000103", "text": "This 👇 @tap_ParleyTea finally!", "edit_history_tweet_ids": ["1790000000000000103"],
     "author_id": "1000000000000000001", "created_at": "2024-05-13T09:15:00.000Z", "conversation_id": "1790000000000000103",
     "lang": "en", "referenced_tweets": [{"type": "quoted", "id": "1790000000000000001"}],
     "entities": {"mentions": [{"start": 7, "end": 21, "username": "tap_ParleyTea", "id": "2244994945"}]},
     "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 2, "quote_count": 0, "bookmark_count": 0, "impression_count": 40}},
    {"id": "1790000000000000102", "text": "@tap_ParleyTea Love the oolong &amp; the cups", "edit_history_tweet_ids": ["1790000000000000102"],
     "author_id": "1000000000000000002", "created_at": "2024-05-13T08:00:00.000Z", "conversation_id": "1790000000000000001",
     "lang": "en", "in_reply_to_user_id": "2244994945", "referenced_tweets": [{"type": "replied_to", "id": "1790000000000000001"}],
     "entities": {"mentions": [{"start": 0, "end": 14, "username": "tap_ParleyTea", "id": "2244994945"}]},
     "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 5, "quote_count": 0, "bookmark_count": 0, "impression_count": 90}},
    {"id": "1790000000000000101", "text": "@tap_ParleyTea 你们的新茶什么时候上市？", "edit_history_tweet_ids": ["1790000000000000101"],
     "author_id": "1000000000000000001", "created_at": "2024-05-12T23:59:59.000Z", "conversation_id": "1790000000000000101",
     "lang": "zh", "entities": {"mentions": [{"start": 0, "end": 14, "username": "tap_ParleyTea", "id": "2244994945"}]},
     "public_metrics": {"retweet_count": 0, "reply_count": 1, "like_count": 0, "quote_count": 0, "bookmark_count": 0, "impression_count": 7}}
  ],
  "includes": {
    "users": [
      {"id": "1000000000000000001", "name": "林梅", "username": "mei_lin", "created_at": "2019-03-01T00:00:00.000Z",
       "description": "茶与咖啡", "location": "上海", "verified": false,
       "public_metrics": {"followers_count": 120, "following_count": 80, "tweet_count": 900, "listed_count": 1, "like_count": 3}},
      {"id": "1000000000000000002", "name": "Sam K", "username": "sam_k", "created_at": "2020-01-01T00:00:00.000Z",
       "description": "", "location": "Berlin", "verified": true,
       "public_metrics": {"followers_count": 5, "following_count": 10, "tweet_count": 50, "listed_count": 0, "like_count": 1}},
      {"id": "2244994945", "name": "Parley Tea", "username": "tap_ParleyTea", "created_at": "2013-12-14T04:35:55.000Z",
       "description": "Tea, daily.", "location": "", "verified": true,
       "public_metrics": {"followers_count": 5000, "following_count": 12, "tweet_count": 300, "listed_count": 9, "like_count": 0}}
    ],
    "tweets": [
      {"id": "1790000000000000001", "text": "New oolong in stores today 🍵", "edit_history_tweet_ids": ["1790000000000000001"],
       "author_id": "2244994945", "created_at": "2024-05-12T10:00:00.000Z", "conversation_id": "1790000000000000001",
       "lang": "en", "public_metrics": {"retweet_count": 4, "reply_count": 1, "like_count": 30, "quote_count": 1, "bookmark_count": 2, "impression_count": 900}}
    ]
  },
  "meta": {"newest_id": "1790000000000000103", "oldest_id": "1790000000000000101", "result_count": 3,
           "next_token": "7140dibdnow9c7btw3z2vwioavpvutgzrzm9icis4ndix"}
}$json$::text AS body;

SELECT pg_temp.page('mentions', 'mentions', body, pg_temp.brand()) FROM mentions_page;
SELECT is(r->>'quarantined', 'false', 'v2 mentions page normalized') FROM res WHERE name = 'mentions';
SELECT is(pg_temp.added('mentions', 'posts'), 4, 'three Tweets and the included one they reference');
SELECT is(pg_temp.added('mentions', 'profiles'), 3, 'three users from includes');
SELECT is(pg_temp.added('mentions', 'snapshots'), 4, 'a counter snapshot per Tweet');
SELECT results_eq(
  $$SELECT external_id, kind, parent_external_id, root_external_id, ref_external_id, lang, created_at::text
    FROM social.post WHERE platform = 'x' ORDER BY external_id$$,
  $$VALUES ('1790000000000000001', 'post', NULL, NULL, NULL, 'en', '2024-05-12 10:00:00+00'),
           ('1790000000000000101', 'post', NULL, NULL, NULL, 'zh', '2024-05-12 23:59:59+00'),
           ('1790000000000000102', 'reply', '1790000000000000001', '1790000000000000001', NULL, 'en', '2024-05-13 08:00:00+00'),
           ('1790000000000000103', 'quote', NULL, NULL, '1790000000000000001', 'en', '2024-05-13 09:15:00+00')$$,
  'posts: kind from referenced_tweets, parent from replied_to, root from conversation_id, ref from quoted');
SELECT is((pg_temp.post('1790000000000000102')).parent_id, (pg_temp.post('1790000000000000001')).id, 'the reply links to its parent');
SELECT is((pg_temp.post('1790000000000000102')).root_id, (pg_temp.post('1790000000000000001')).id, '… and to its root');
SELECT is((pg_temp.post('1790000000000000103')).ref_id, (pg_temp.post('1790000000000000001')).id, 'the quote links to the quoted Tweet');
SELECT is((pg_temp.post('1790000000000000101')).body, '@tap_ParleyTea 你们的新茶什么时候上市？', 'Chinese text kept');
SELECT is((pg_temp.post('1790000000000000101')).url, 'https://x.com/mei_lin/status/1790000000000000101', 'URL from the author''s username');
SELECT is((pg_temp.post('1790000000000000001')).metrics, '{"likes": 30, "quotes": 1, "reposts": 4, "replies": 1}'::jsonb,
          'public_metrics as metrics');
SELECT is((SELECT handle FROM social.profile WHERE id = (pg_temp.post('1790000000000000102')).author_id), 'sam_k',
          'the author comes from includes.users');
SELECT results_eq(
  $$SELECT external_id, handle, display_name, bio, follower_count, following_count, post_count, verified, location, url
    FROM social.profile WHERE platform = 'x' ORDER BY external_id$$,
  $$VALUES ('1000000000000000001', 'mei_lin', '林梅', '茶与咖啡', 120::bigint, 80::bigint, 900::bigint, false, '上海', 'https://x.com/mei_lin'),
           ('1000000000000000002', 'sam_k', 'Sam K', '', 5, 10, 50, true, 'Berlin', 'https://x.com/sam_k'),
           ('2244994945', 'tap_ParleyTea', 'Parley Tea', 'Tea, daily.', 5000, 12, 300, true, '', 'https://x.com/tap_ParleyTea')$$,
  'profiles: username, name, description, public_metrics, verified, location');
SELECT results_eq(
  $$SELECT i.kind, a.external_id, p.external_id, i.external_id, i.occurred_at::text
    FROM social.interaction i JOIN social.profile a ON a.id = i.actor_id JOIN social.post p ON p.id = i.post_id
    WHERE i.platform = 'x' AND i.account_id = pg_temp.brand() ORDER BY i.external_id$$,
  $$VALUES ('mention', '1000000000000000001', '1790000000000000101', '1790000000000000101', '2024-05-12 23:59:59+00'),
           ('reply', '1000000000000000002', '1790000000000000102', '1790000000000000102', '2024-05-13 08:00:00+00'),
           ('quote', '1000000000000000001', '1790000000000000103', '1790000000000000103', '2024-05-13 09:15:00+00')$$,
  'interactions: a mention, a reply to the brand, a quote of its Tweet; the brand''s own Tweet is none');

-- The same page again: nothing new, nothing rewritten.
SELECT pg_temp.page('mentions_again', 'mentions', body, pg_temp.brand()) FROM mentions_page;
SELECT is(after, before, 're-applying the page adds no row') FROM res WHERE name = 'mentions_again';
SELECT is((r->'counts'->>'posts')::integer, 0, '… and rewrites no post') FROM res WHERE name = 'mentions_again';
SELECT is((r->'counts'->>'profiles')::integer, 0, '… nor any profile') FROM res WHERE name = 'mentions_again';

------------------------------------------- a search page with partial errors
-- A retweet of the brand's Tweet, a long post (note_tweet) answering someone
-- else that names the brand, and an error for a referenced Tweet that is gone.
SELECT pg_temp.page('search', 'tweets', $json${
  "data": [
    {"id": "1790000000000000201", "text": "RT @tap_ParleyTea: New oolong in stores today 🍵", "edit_history_tweet_ids": ["1790000000000000201"],
     "author_id": "1000000000000000003", "created_at": "2024-05-14T07:00:00.000Z", "conversation_id": "1790000000000000201",
     "lang": "en", "referenced_tweets": [{"type": "retweeted", "id": "1790000000000000001"}],
     "entities": {"mentions": [{"start": 3, "end": 17, "username": "tap_ParleyTea", "id": "2244994945"}]},
     "public_metrics": {"retweet_count": 4, "reply_count": 0, "like_count": 0, "quote_count": 0}},
    {"id": "1790000000000000202", "text": "@sam_k agreed, and the oolong at @tap_parleytea is…", "edit_history_tweet_ids": ["1790000000000000202"],
     "note_tweet": {"text": "@sam_k agreed, and the oolong at @tap_parleytea is the best I had this year. Long story follows."},
     "author_id": "1000000000000000003", "created_at": "2024-05-14T07:30:00.000Z", "conversation_id": "1790000000000000001",
     "lang": "und", "in_reply_to_user_id": "1000000000000000002",
     "entities": {"mentions": [{"start": 0, "end": 6, "username": "sam_k"}, {"start": 33, "end": 47, "username": "tap_parleytea"}]},
     "referenced_tweets": [{"type": "replied_to", "id": "1790000000000000102"}, {"type": "quoted", "id": "1790000000000000999"}]}
  ],
  "includes": {
    "users": [{"id": "1000000000000000003", "name": "Ana", "username": "ana_tea"}],
    "tweets": [{"id": "1790000000000000001", "text": "New oolong in stores today 🍵", "edit_history_tweet_ids": ["1790000000000000001"],
                "author_id": "2244994945", "created_at": "2024-05-12T10:00:00.000Z", "conversation_id": "1790000000000000001"}]
  },
  "errors": [{"value": "1790000000000000999", "detail": "Could not find tweet with id: [1790000000000000999].",
              "title": "Not Found Error", "resource_type": "tweet", "parameter": "referenced_tweets.id",
              "resource_id": "1790000000000000999", "type": "https://api.twitter.com/2/problems/resource-not-found"}],
  "meta": {"newest_id": "1790000000000000202", "oldest_id": "1790000000000000201", "result_count": 2}
}$json$, pg_temp.brand());
SELECT is(r->>'quarantined', 'false', 'a page with partial errors keeps its data') FROM res WHERE name = 'search';
SELECT is(pg_temp.added('search', 'posts'), 2, 'two new Tweets (the included one was stored)');
SELECT is((pg_temp.post('1790000000000000201')).kind || ' ' || (pg_temp.post('1790000000000000201')).ref_external_id,
          'repost 1790000000000000001', 'a retweet is a repost of the retweeted Tweet');
SELECT is((pg_temp.post('1790000000000000202')).body,
          '@sam_k agreed, and the oolong at @tap_parleytea is the best I had this year. Long story follows.',
          'a long post keeps note_tweet''s full text');
SELECT is((pg_temp.post('1790000000000000202')).lang, NULL, '"und" is no language');
SELECT is((pg_temp.post('1790000000000000202')).parent_id, (pg_temp.post('1790000000000000102')).id,
          'replied_to wins over quoted for the kind and parent');
SELECT is((pg_temp.post('1790000000000000202')).ref_external_id, '1790000000000000999', '… the missing quoted Tweet is still named');
SELECT results_eq(
  $$SELECT i.kind, p.external_id, i.external_id FROM social.interaction i JOIN social.post p ON p.id = i.post_id
    WHERE i.platform = 'x' AND i.external_id IN ('1790000000000000201', '1790000000000000202') ORDER BY i.external_id$$,
  $$VALUES ('repost', '1790000000000000001', '1790000000000000201'),
           ('mention', '1790000000000000202', '1790000000000000202')$$,
  'a retweet of the brand is a repost of its Tweet; naming it (any case) a mention');
SELECT is((SELECT handle || ' ' || coalesce(follower_count::text, '-') FROM social.profile
           WHERE platform = 'x' AND external_id = '1000000000000000003'), 'ana_tea -', 'a user with default fields only');

-------------------------------------------------------------- an empty page
SELECT pg_temp.page('empty', 'mentions', '{"meta": {"result_count": 0}}', pg_temp.brand());
SELECT is(r->>'quarantined', 'false', 'an empty page (meta only) is fine') FROM res WHERE name = 'empty';
SELECT is(after, before, '… and writes nothing') FROM res WHERE name = 'empty';

----------------------------------------------------------- a followers page
CREATE TEMP TABLE followers_page AS SELECT $json${
  "data": [
    {"id": "1000000000000000004", "name": "王小明", "username": "xiaoming_w", "created_at": "2021-06-01T12:00:00.000Z",
     "description": "每天一杯茶", "location": "杭州", "verified": false, "profile_image_url": "https://pbs.twimg.com/profile_images/4/a_normal.jpg",
     "public_metrics": {"followers_count": 33, "following_count": 44, "tweet_count": 55, "listed_count": 0, "like_count": 6}},
    {"id": "1000000000000000002", "name": "Sam K", "username": "sam_k", "created_at": "2020-01-01T00:00:00.000Z",
     "public_metrics": {"followers_count": 6, "following_count": 10, "tweet_count": 51, "listed_count": 0, "like_count": 1}}
  ],
  "meta": {"result_count": 2, "next_token": "DFEDBNRFT3MHCZZZ"}
}$json$::text AS body;
SELECT pg_temp.page('followers', 'followers', body, pg_temp.brand()) FROM followers_page;
SELECT is(pg_temp.added('followers', 'profiles'), 1, 'followers: one new profile');
SELECT is(pg_temp.added('followers', 'edges'), 2, '… and an edge for each follower');
SELECT is((SELECT follower_count || ' ' || avatar_url FROM social.profile WHERE platform = 'x' AND external_id = '1000000000000000004'),
          '33 https://pbs.twimg.com/profile_images/4/a_normal.jpg', '… with its counts and picture');
SELECT is((SELECT follower_count || ' ' || bio FROM social.profile WHERE platform = 'x' AND external_id = '1000000000000000002'),
          '6 ', 'a known profile is updated and keeps what the page does not say');
SELECT pg_temp.page('followers_again', 'followers', body, pg_temp.brand()) FROM followers_page;
SELECT is(after, before, 'the followers page again adds nothing') FROM res WHERE name = 'followers_again';
SELECT pg_temp.page('users', 'users', replace(body, '1000000000000000004', '1000000000000000005'), pg_temp.brand()) FROM followers_page;
SELECT is(pg_temp.added('users', 'profiles') || ' ' || pg_temp.added('users', 'edges'), '1 0', 'a users page: profiles, no edges');

------------------------------------------------------------- malformed pages
-- Each is quarantined with a clear message and writes nothing.
CREATE FUNCTION pg_temp.bad(p_name text, p_endpoint text, p_body text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_temp.page(p_name, p_endpoint, p_body, pg_temp.brand());
  RETURN (SELECT CASE WHEN r->>'quarantined' = 'true' AND after = before THEN r->>'error'
                      ELSE 'applied: ' || r::text END FROM res WHERE name = p_name);
END $$;
SELECT is(pg_temp.bad('no_author', 'tweets', $j${"data": [
  {"id": "1790000000000000301", "text": "ok", "author_id": "1000000000000000001", "created_at": "2024-05-15T00:00:00Z"},
  {"id": "1790000000000000302", "text": "no author", "created_at": "2024-05-15T00:00:00Z"}], "meta": {"result_count": 2}}$j$),
  'missing or invalid field: x tweet.author_id', 'a Tweet without author_id: the whole page is refused');
SELECT is(pg_temp.bad('bad_time', 'mentions', $j${"data": [
  {"id": "1790000000000000303", "text": "x", "author_id": "1000000000000000001", "created_at": "yesterday"}], "meta": {}}$j$),
  'missing or invalid field: x tweet.created_at', 'an unreadable created_at');
SELECT is(pg_temp.bad('no_id', 'tweets', $j${"data": [{"text": "x", "author_id": "1", "created_at": "2024-05-15T00:00:00Z"}], "meta": {}}$j$),
  'missing or invalid field: x tweet.id', 'a Tweet without id');
SELECT is(pg_temp.bad('data_string', 'tweets', '{"data": "1790000000000000303", "meta": {}}'),
  'missing or invalid field: x data (array expected)', 'data that is not a list');
SELECT is(pg_temp.bad('refs_object', 'tweets', $j${"data": [{"id": "1790000000000000304", "text": "x", "author_id": "1",
  "created_at": "2024-05-15T00:00:00Z", "referenced_tweets": {"type": "quoted"}}], "meta": {}}$j$),
  'missing or invalid field: x tweet.referenced_tweets (array expected)', 'referenced_tweets that is not a list');
SELECT is(pg_temp.bad('users_object', 'tweets', '{"data": [], "includes": {"users": {"id": "1"}}, "meta": {}}'),
  'missing or invalid field: x includes.users (array expected)', 'includes.users that is not a list');
SELECT is(pg_temp.bad('follower_no_id', 'followers', '{"data": [{"username": "ghost"}], "meta": {"result_count": 1}}'),
  'missing or invalid field: x user.id', 'a follower without id');
SELECT is(pg_temp.bad('errors_only', 'tweets', $j${"errors": [{"value": "123", "detail": "Could not find user with id: [123].",
  "title": "Not Found Error", "type": "https://api.twitter.com/2/problems/resource-not-found"}]}$j$),
  'x page has errors only: Could not find user with id: [123].', 'a 200 that carries only errors');
SELECT is(pg_temp.bad('nothing', 'mentions', '{"hello": "world"}'),
  'missing or invalid field: x meta (object expected)', 'a page with neither data nor meta');
SELECT is(pg_temp.bad('array', 'tweets', '[]'), 'missing or invalid field: x page (object expected)', 'a list instead of a page');
SELECT is(pg_temp.bad('endpoint', 'timeline', '{"meta": {}}'), 'unknown x endpoint ''timeline'' (there are: tweets, mentions, followers, users, webhook)', 'an unknown endpoint');

SELECT * FROM finish();
ROLLBACK;
