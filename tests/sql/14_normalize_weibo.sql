-- Weibo normalizer: hand-written pages in the shapes of open API 2
-- (statuses/mentions, comments/show, friendships/followers) through
-- ingest.store_page. Expected rows were worked out from the pages by hand.
BEGIN;
SELECT plan(44);

SET LOCAL lock_timeout = '10s';
SET LOCAL client_min_messages = warning;
TRUNCATE social.post, social.profile, social.interaction, social.follower_edge, social.engagement_snapshot,
         social.post_edit, ingest.raw_page, ingest.quarantine CASCADE;

CREATE FUNCTION pg_temp.rows() RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object(
    'posts', (SELECT count(*) FROM social.post), 'profiles', (SELECT count(*) FROM social.profile),
    'interactions', (SELECT count(*) FROM social.interaction), 'edges', (SELECT count(*) FROM social.follower_edge))
$$;
CREATE FUNCTION pg_temp.post(p_id text) RETURNS social.post LANGUAGE sql AS $$
  SELECT * FROM social.post WHERE platform = 'weibo' AND external_id = p_id
$$;
CREATE FUNCTION pg_temp.profile(p_id text) RETURNS social.profile LANGUAGE sql AS $$
  SELECT * FROM social.profile WHERE platform = 'weibo' AND external_id = p_id
$$;
CREATE FUNCTION pg_temp.store(p_endpoint text, p_body jsonb, p_account bigint) RETURNS jsonb LANGUAGE sql AS $$
  SELECT ingest.store_page('weibo', p_endpoint, p_account, 'https://api.weibo.com/2/test.json', 200, '{}', p_body::text)
$$;

INSERT INTO social.account (platform, handle, external_id) VALUES ('weibo', 'tap_lumen', '7000000001');
CREATE TEMP TABLE acc AS SELECT id FROM social.account WHERE platform = 'weibo' AND handle = 'tap_lumen';

-- People (user objects as Weibo gives them, trimmed of flags Parley ignores).
CREATE TEMP TABLE u (k text PRIMARY KEY, v jsonb);
INSERT INTO u VALUES
 ('brand', '{"id": 7000000001, "idstr": "7000000001", "screen_name": "流明咖啡Lumen", "name": "流明咖啡Lumen",
             "description": "精品咖啡，每日烘焙。", "location": "上海 徐汇区", "profile_url": "lumencoffee",
             "profile_image_url": "https://tvax1.sinaimg.cn/crop.0.0.180.180.50/a.jpg",
             "avatar_large": "https://tvax1.sinaimg.cn/crop.0.0.180.180.180/a.jpg",
             "followers_count": 2310, "friends_count": 88, "statuses_count": 412, "verified": true, "lang": "zh-cn"}'),
 ('zaku', '{"id": 1404376560, "idstr": "1404376560", "screen_name": "zaku", "name": "zaku",
            "description": "人生五十年，乃如梦如幻", "location": "北京 朝阳区", "profile_url": "u/1404376560",
            "followers_count": 1204, "friends_count": 447, "statuses_count": 2908, "verified": false, "lang": "zh-cn"}'),
 ('alice', '{"id": 5500000002, "idstr": "5500000002", "screen_name": "Alice_Wong", "name": "Alice_Wong",
             "description": "", "location": "其他", "followers_count": 31, "friends_count": 120,
             "statuses_count": 77, "verified": false, "lang": "en",
             "status": {"id": 1, "text": "the latest status some lists embed"}}');

-- The brand's own post, and two mentions: one plain, one reposting the own post with words of its own.
CREATE TEMP TABLE s (k text PRIMARY KEY, v jsonb);
INSERT INTO s SELECT 'own', jsonb_build_object(
  'created_at', 'Mon May 30 09:00:00 +0800 2011', 'id', 4799999999999999, 'idstr', '4799999999999999',
  'mid', '4799999999999999', 'bid', 'KpZ1a2b3c', 'text', '新品拿铁上市 New latte is here', 'source', '<a href="http://weibo.com">微博 weibo.com</a>',
  'reposts_count', 1, 'comments_count', 2, 'attitudes_count', 40, 'visible', '{"type": 0, "list_id": 0}'::jsonb,
  'user', (SELECT v FROM u WHERE k = 'brand'));
INSERT INTO s SELECT 'm1', jsonb_build_object(
  'created_at', 'Tue May 31 17:46:55 +0800 2011', 'id', 4800000000000001, 'idstr', '4800000000000001',
  'text', '@流明咖啡Lumen 拿铁很好喝', 'reposts_count', 0, 'comments_count', 0, 'attitudes_count', 5,
  'visible', '{"type": 0, "list_id": 0}'::jsonb, 'user', (SELECT v FROM u WHERE k = 'zaku'));
INSERT INTO s SELECT 'm2', jsonb_build_object(
  'created_at', 'Wed Jun 01 08:15:00 +0000 2011', 'id', 4800000000000002, 'idstr', '4800000000000002',
  'text', 'Great coffee @流明咖啡Lumen', 'reposts_count', 0, 'comments_count', 1, 'attitudes_count', 0,
  'visible', '{"type": 1, "list_id": 0}'::jsonb, 'user', (SELECT v FROM u WHERE k = 'alice'),
  'retweeted_status', (SELECT v FROM s WHERE k = 'own'));

-- 1. statuses/mentions
SELECT is(pg_temp.store('mentions', jsonb_build_object('statuses', jsonb_build_array(
            (SELECT v FROM s WHERE k = 'm2'), (SELECT v FROM s WHERE k = 'm1')),
            'hasvisible', false, 'previous_cursor', 0, 'next_cursor', 0, 'total_number', 2), (SELECT id FROM acc))->'counts',
          '{"edits": 0, "links": 0, "posts": 3, "follows": 0, "profiles": 3, "snapshots": 3, "tombstones": 0, "interactions": 2,
            "items": 5}'::jsonb,
          'mentions page: 3 posts (two mentions and the reposted own post, linked as they are written), 3 profiles, 2 mentions: 5 items');
SELECT is(pg_temp.rows(), '{"posts": 3, "profiles": 3, "interactions": 2, "edges": 0}', 'exactly those rows');
SELECT is((pg_temp.post('4800000000000001')).kind, 'post', 'a plain status is a post');
SELECT is((pg_temp.post('4800000000000001')).body, '@流明咖啡Lumen 拿铁很好喝', 'its text');
SELECT is((pg_temp.post('4800000000000001')).created_at, '2011-05-31 09:46:55+00'::timestamptz, '+0800 time read');
SELECT is((pg_temp.post('4800000000000001')).url, 'https://weibo.com/1404376560/4800000000000001', 'url from uid and id');
SELECT is((pg_temp.post('4800000000000001')).visibility, 'public', 'visible.type 0 is public');
SELECT is((pg_temp.post('4800000000000002')).kind, 'quote', 'a repost with words of its own is a quote');
SELECT is((pg_temp.post('4800000000000002')).ref_external_id, '4799999999999999', 'it points at the reposted status');
SELECT is((pg_temp.post('4800000000000002')).ref_id, (pg_temp.post('4799999999999999')).id, 'linked by row id');
SELECT is((pg_temp.post('4800000000000002')).visibility, 'private', 'visible.type 1 is private');
SELECT ok(NOT (pg_temp.post('4800000000000002')).raw ? 'retweeted_status' AND NOT (pg_temp.post('4800000000000002')).raw ? 'user',
          'raw leaves out the user and the reposted status');
SELECT is((pg_temp.post('4799999999999999')).url, 'https://weibo.com/7000000001/KpZ1a2b3c', 'url uses the bid when given');
SELECT is((pg_temp.post('4799999999999999')).metrics, '{"likes": 40, "replies": 2, "reposts": 1}', 'counters');
SELECT is((pg_temp.post('4799999999999999')).author_id, (pg_temp.profile('7000000001')).id, 'own post authored by the brand');
SELECT is((SELECT array_agg(i.kind || ':' || pr.external_id || ':' || p.external_id ORDER BY p.external_id)
           FROM social.interaction i JOIN social.profile pr ON pr.id = i.actor_id JOIN social.post p ON p.id = i.post_id),
          ARRAY['mention:1404376560:4800000000000001', 'mention:5500000002:4800000000000002'], 'the mentions, by whom, in what');
SELECT is((pg_temp.profile('1404376560')).handle, 'zaku', 'handle is the screen_name');
SELECT is((pg_temp.profile('1404376560')).url, 'https://weibo.com/u/1404376560', 'profile url');
SELECT is((pg_temp.profile('7000000001')).follower_count, 2310::bigint, 'followers_count');
SELECT is((pg_temp.profile('7000000001')).verified, true, 'verified');
SELECT is((pg_temp.profile('7000000001')).lang, 'zh-cn', 'profile lang');
SELECT is((pg_temp.profile('7000000001')).location, '上海 徐汇区', 'location');
SELECT is((pg_temp.profile('5500000002')).bio, NULL, 'an empty description is no bio');

-- 2. The same page again changes nothing.
SELECT is((pg_temp.store('mentions', jsonb_build_object('statuses', jsonb_build_array(
            (SELECT v FROM s WHERE k = 'm2'), (SELECT v FROM s WHERE k = 'm1'))), (SELECT id FROM acc))->'counts')
          - 'snapshots',
          '{"edits": 0, "links": 0, "posts": 0, "follows": 0, "profiles": 0, "tombstones": 0, "interactions": 0, "items": 5}'::jsonb,
          'the same page again writes nothing new (its 5 items are harvested again)');
SELECT is(pg_temp.rows(), '{"posts": 3, "profiles": 3, "interactions": 2, "edges": 0}', 'still exactly those rows');

-- 3. comments/show of the own post: a comment, and the brand's reply to it.
CREATE TEMP TABLE c (k text PRIMARY KEY, v jsonb);
INSERT INTO c SELECT 'c1', jsonb_build_object(
  'created_at', 'Mon May 30 10:00:00 +0800 2011', 'id', 4800000000000101, 'idstr', '4800000000000101',
  'rootid', '4800000000000101', 'text', '好喝！Love it', 'like_count', 3,
  'user', (SELECT v FROM u WHERE k = 'zaku'), 'status', (SELECT v FROM s WHERE k = 'own'));
INSERT INTO c SELECT 'c2', jsonb_build_object(
  'created_at', 'Mon May 30 10:05:00 +0800 2011', 'id', 4800000000000102, 'idstr', '4800000000000102',
  'text', '回复@zaku:谢谢！', 'user', (SELECT v FROM u WHERE k = 'brand'), 'status', (SELECT v FROM s WHERE k = 'own'),
  'reply_comment', (SELECT v - 'status' FROM c WHERE k = 'c1'));
SELECT is(pg_temp.store('comments', jsonb_build_object('comments', jsonb_build_array(
            (SELECT v FROM c WHERE k = 'c2'), (SELECT v FROM c WHERE k = 'c1')),
            'hasvisible', false, 'previous_cursor', 0, 'next_cursor', 0, 'total_number', 2), (SELECT id FROM acc))->'counts'->'posts',
          '2', 'comments page: two new comments (the status is unchanged)');
SELECT is((pg_temp.post('4800000000000101')).kind, 'comment', 'a comment is kind comment');
SELECT is((pg_temp.post('4800000000000101')).parent_external_id, '4799999999999999', 'a comment on the status: parent is the status');
SELECT is((pg_temp.post('4800000000000101')).root_external_id, '4799999999999999', 'root is the status');
SELECT is((pg_temp.post('4800000000000102')).parent_external_id, '4800000000000101', 'a reply: parent is the comment answered');
SELECT is((pg_temp.post('4800000000000102')).parent_id, (pg_temp.post('4800000000000101')).id, 'linked by row id');
SELECT is((pg_temp.post('4800000000000102')).root_id, (pg_temp.post('4799999999999999')).id, 'root linked');
SELECT is((pg_temp.post('4800000000000102')).author_id, (pg_temp.profile('7000000001')).id, 'by the brand');
SELECT is(pg_temp.rows(), '{"posts": 5, "profiles": 3, "interactions": 2, "edges": 0}', 'comments under own posts are no interaction by themselves');

-- comments/mentions: the same comment, now as a mention of the brand.
SELECT is(pg_temp.store('comment_mentions', jsonb_build_object('comments', jsonb_build_array(
            (SELECT v FROM c WHERE k = 'c1'))), (SELECT id FROM acc))->'counts'->'interactions',
          '1', 'comment mentions page: one mention');
SELECT is((SELECT pr.external_id || ' ' || p.external_id || ' ' || p.kind FROM social.interaction i
           JOIN social.profile pr ON pr.id = i.actor_id JOIN social.post p ON p.id = i.post_id
           WHERE p.external_id = '4800000000000101'),
          '1404376560 4800000000000101 comment', '… by the commenter, in the comment');

-- 4. friendships/followers
SELECT is(pg_temp.store('followers', jsonb_build_object('users', jsonb_build_array(
            (SELECT v FROM u WHERE k = 'alice'), jsonb_build_object('id', 6600000003, 'screen_name', '新朋友', 'name', '新朋友')),
            'next_cursor', 0, 'previous_cursor', 0, 'total_number', 2), (SELECT id FROM acc))->'counts'->'follows',
          '2', 'followers page: two follower edges');
SELECT is((pg_temp.profile('6600000003')).handle, '新朋友', 'a user without idstr keeps its numeric id');
SELECT ok(NOT (pg_temp.profile('5500000002')).raw ? 'status', 'the embedded latest status is not kept in raw');

-- 5. Malformed pages are quarantined and write nothing.
CREATE TEMP TABLE before AS SELECT pg_temp.rows() AS r;
SELECT is(pg_temp.store('mentions', '{"statuses": {"id": 1}}', (SELECT id FROM acc))->>'error',
          'missing or invalid field: weibo statuses (array expected)', 'statuses not a list: quarantined');
SELECT is(pg_temp.store('comments', jsonb_build_object('comments', jsonb_build_array(
            (SELECT v FROM c WHERE k = 'c1') || '{"idstr": "4800000000000199", "id": 4800000000000199}', 
            (SELECT v - 'user' FROM c WHERE k = 'c2'))), (SELECT id FROM acc))->>'error',
          'missing or invalid field: weibo comment.user (object expected)', 'a comment without its user: the whole page is refused');
SELECT is(pg_temp.store('mentions', jsonb_build_object('statuses', jsonb_build_array(
            (SELECT v FROM s WHERE k = 'm1') || '{"created_at": "2011-05-31 17:46"}')), (SELECT id FROM acc))->>'error',
          'missing or invalid field: weibo status.created_at', 'an unreadable time is refused');
SELECT throws_ok($$SELECT ingest.normalize_weibo(NULL, 'timeline_batch', '{}')$$, 'PR400',
                 'unknown weibo endpoint ''timeline_batch'' (there are: statuses, mentions, status, comments, comment_mentions, comment, followers, users, user)', 'unknown endpoint: PR400 (a mistake of the caller, not the page)');
SELECT is(pg_temp.rows(), (SELECT r FROM before), 'nothing of the refused pages was written');

SELECT * FROM finish();
ROLLBACK;
