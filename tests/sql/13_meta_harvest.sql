-- What the Meta harvester asks for beyond the recorded fixtures: posts
-- tagging a Page, the accounts' own profiles with their counts, hashtag
-- lookups, Instagram replies embedded under comments, and edge URLs under a
-- base URL with a path of its own (the fake platform's, a proxy's).
BEGIN;
SELECT plan(28);

SET LOCAL lock_timeout = '10s';
SET LOCAL client_min_messages = warning;
TRUNCATE social.post, social.profile, social.interaction, social.follower_edge, social.engagement_snapshot,
         social.post_edit, ingest.raw_page, ingest.quarantine CASCADE;

INSERT INTO social.account (platform, handle, external_id) VALUES
  ('facebook', 'tap_page', '1001'), ('instagram', 'tap_ig', '17841400000000001');
CREATE FUNCTION pg_temp.account(p_handle text) RETURNS bigint LANGUAGE sql AS $$
  SELECT id FROM social.account WHERE handle = p_handle
$$;
CREATE FUNCTION pg_temp.fixture(p_file text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT pg_read_file(current_setting('parley.fixtures') || '/' || p_file)::jsonb
$$;

-- Edge URLs
SELECT is(ingest.graph_object('http://127.0.0.1:18998/facebook/tap/v19.0/1001_77/comments?filter=stream&fields=id%2Cmessage'),
          '1001_77', 'the object of an edge under a base URL with a path');
SELECT is(ingest.graph_object('https://graph.facebook.com/v11.0/19292868552_10158407654328553/comments?access_token=REDACTED'),
          '19292868552_10158407654328553', '… and under graph.facebook.com, as before');
SELECT is(ingest.graph_object('https://graph.facebook.com/17846368219941692/comments'), '17846368219941692',
          '… also without a version and a query');
SELECT is(ingest.graph_object('https://graph.facebook.com/v19.0/ig_hashtag_search?user_id=1&q=x'), NULL,
          'a URL that names no object edge gives NULL');

-- Facebook: posts tagging the Page
SELECT is(ingest.normalize_facebook(pg_temp.account('tap_page'), 'tagged', $${"data": [
  {"id": "2001_1", "message": "Great latte at @Lumen ☕", "created_time": "2025-04-30T10:00:00+0000",
   "from": {"name": "Ana Lima", "id": "2001"}, "permalink_url": "https://www.facebook.com/2001/posts/1",
   "comments": {"data": [{"id": "1_9", "message": "agreed", "created_time": "2025-04-30T11:00:00+0000", "from": {"name": "Bo", "id": "2002"}}]}},
  {"id": "2003_2", "message": "流明咖啡 新店不错", "created_time": "2025-04-29T10:00:00+0000", "from": {"name": "王芳", "id": "2003"}}],
  "paging": {"cursors": {"before": "a", "after": "b"}}}$$::jsonb,
  'http://fake/facebook/tap/v19.0/1001/tagged?fields=id')->>'posts', '2',
  'tagged posts are stored (their embedded comments are not)');
SELECT is((SELECT count(*)::integer FROM social.interaction i JOIN social.post p ON p.id = i.post_id
           WHERE i.kind = 'mention' AND i.account_id = pg_temp.account('tap_page') AND p.external_id IN ('2001_1', '2003_2')),
          2, '… each a mention of the Page');
SELECT is((SELECT pr.display_name FROM social.post p JOIN social.profile pr ON pr.id = p.author_id WHERE p.external_id = '2003_2'),
          '王芳', '… by its author');
SELECT is((SELECT count(*)::integer FROM social.post WHERE external_id = '1_9'), 0, '… and the comment under it is left alone');

-- Facebook: the Page's own profile
SELECT is(ingest.normalize_facebook(pg_temp.account('tap_page'), 'page',
  $${"id": "1001", "name": "Lumen Coffee 流明咖啡", "username": "lumen", "about": "Roasted daily.",
     "link": "https://www.facebook.com/lumen", "followers_count": 150, "fan_count": 135, "verification_status": "blue_verified"}$$::jsonb)->>'profiles',
  '1', 'a Page profile is one profile row');
SELECT is((SELECT row(handle, display_name, bio, follower_count, verified, url)::text FROM social.profile
           WHERE platform = 'facebook' AND external_id = '1001'),
          '(lumen,"Lumen Coffee 流明咖啡","Roasted daily.",150,t,https://www.facebook.com/lumen)',
          '… with handle, name, about, followers, verification and link');
SELECT lives_ok($q$SELECT ingest.normalize_facebook(pg_temp.account('tap_page'), 'page', '{"id": "1001", "fan_count": 140}')$q$,
                'a Page with only some fields is read');
SELECT is((SELECT follower_count FROM social.profile WHERE platform = 'facebook' AND external_id = '1001'), 140::bigint,
          'without followers_count, the fans count');
SELECT throws_ok($$SELECT ingest.normalize_facebook(1, 'page', '{"name": "no id"}'::jsonb)$$, 'PR422', NULL,
                 'a Page without an id is a shape error');
SELECT throws_ok($$SELECT ingest.normalize_facebook(1, 'page', '[]'::jsonb)$$, 'PR422', NULL, '… and so is a list');

-- Instagram: the account's own profile, hashtag lookups
SELECT lives_ok($q$SELECT ingest.normalize_instagram(pg_temp.account('tap_ig'), 'user',
  '{"id": "17841400000000001", "username": "lumen.ig", "name": "Lumen", "biography": "精品咖啡",
    "followers_count": 40, "follows_count": 12, "media_count": 24, "website": "https://lumen.example"}')$q$,
  'an IG user profile is read');
SELECT is((SELECT row(handle, bio, follower_count, following_count, post_count, url)::text FROM social.profile
           WHERE platform = 'instagram' AND external_id = '17841400000000001'),
          '(lumen.ig,精品咖啡,40,12,24,https://lumen.example)', 'an IG user profile with its counts');
SELECT is(ingest.normalize_instagram(pg_temp.account('tap_ig'), 'hashtag', '{"data": [{"id": "17843000000000001"}]}'::jsonb)
            - 'profiles', '{"posts": 0, "edits": 0, "links": 0, "follows": 0, "snapshots": 0, "tombstones": 0, "interactions": 0,
                            "items": 0}',
          'a hashtag lookup stores nothing');
SELECT throws_ok($$SELECT ingest.normalize_instagram(1, 'hashtag', '{"data": [{"name": "lumen"}]}'::jsonb)$$, 'PR422', NULL,
                 '… and one without the id is a shape error');
SELECT throws_ok($$SELECT ingest.normalize_instagram(1, 'hashtag', '{"error": {"code": 24}}'::jsonb)$$, 'PR422', NULL,
                 '… as is an answer without data');

-- Instagram: comments with their replies embedded
SELECT is(ingest.normalize_instagram(pg_temp.account('tap_ig'), 'comments', $${"data": [
  {"id": "17900000000000101", "text": "Love it 😍", "timestamp": "2025-04-30T10:00:00+0000", "username": "ana",
   "from": {"id": "17841400000000201", "username": "ana"},
   "replies": {"data": [{"id": "17900000000000102", "text": "@ana 谢谢!", "timestamp": "2025-04-30T11:00:00+0000",
                         "username": "lumen.ig", "from": {"id": "17841400000000001", "username": "lumen.ig"},
                         "parent_id": "17900000000000101"}]}},
  {"id": "17900000000000103", "text": "When do you open?", "timestamp": "2025-04-30T12:00:00+0000", "username": "bo",
   "from": {"id": "17841400000000202", "username": "bo"}}]}$$::jsonb,
  'http://fake/instagram/tap/v19.0/17900000000000100/comments?fields=id%2Ctext%2Creplies%7Bid%7D')->>'posts', '3',
  'a media''s comments and the replies embedded under them are stored');
SELECT is((SELECT parent_external_id || ' ' || root_external_id FROM social.post WHERE external_id = '17900000000000102'),
          '17900000000000101 17900000000000100', '… a reply under its comment, in the media''s thread');
SELECT is((SELECT parent_external_id || ' ' || root_external_id FROM social.post WHERE external_id = '17900000000000103'),
          '17900000000000100 17900000000000100', '… a comment under the media');
SELECT is((SELECT pr.external_id FROM social.post p JOIN social.profile pr ON pr.id = p.author_id
           WHERE p.external_id = '17900000000000102'), '17841400000000001', '… by the brand (from.id)');
SELECT is(ingest.normalize_instagram(pg_temp.account('tap_ig'), 'replies', $${"data": [
  {"id": "17900000000000104", "text": "Same question 同问", "timestamp": "2025-04-30T13:00:00+0000", "username": "cy",
   "from": {"id": "17841400000000203", "username": "cy"}, "parent_id": "17900000000000101"}],
  "paging": {"cursors": {"before": "QQ", "after": "QQ"}}}$$::jsonb,
  'http://fake/instagram/tap/v19.0/17900000000000101/replies?fields=id%2Ctext&limit=100&after=QVFI')->>'posts', '1',
  'a comment''s replies read past those embedded under it are stored');
SELECT is((SELECT parent_external_id || ' ' || root_external_id FROM social.post WHERE external_id = '17900000000000104'),
          '17900000000000101 17900000000000100', '… under the comment, in its media''s thread');

-- Instagram: media the account is tagged in (recorded answer)
SELECT is(ingest.normalize_instagram(pg_temp.account('tap_ig'), 'tags',
            (pg_temp.fixture('instagram/tagged_medias-01.json')->'response'->>'body')::jsonb)->>'posts', '5',
          'tagged media are stored');
SELECT is((SELECT count(*)::integer FROM social.interaction WHERE kind = 'mention' AND account_id = pg_temp.account('tap_ig')), 5,
          '… each a mention of the account');

-- A broken page is quarantined, not half-written
SELECT is((ingest.store_page('instagram', 'user', pg_temp.account('tap_ig'), 'http://fake/instagram/tap/v19.0/1', 200, '{}',
                             '{"username": "no id"}')->>'quarantined'), 'true', 'a profile without an id is quarantined');

SELECT * FROM finish();
ROLLBACK;
