-- Webhook deliveries through ingest.normalize(platform, account, 'webhook',
-- body, delivery id, received at), the call the inbox processor makes.
-- Payloads follow each platform's documented webhook shape; the Mastodon
-- ones wrap recorded statuses and accounts, the WeChat ones are the recorded
-- push messages (../shared/fixtures/social, the setting parley.fixtures).
-- Expected numbers were counted by hand from the payloads (and, for the
-- WeChat XML, with Python's ElementTree), not taken from the functions.
BEGIN;
SELECT plan(187);

SET LOCAL lock_timeout = '10s';
SET LOCAL client_min_messages = warning;
TRUNCATE social.post, social.profile, social.interaction, social.follower_edge, social.engagement_snapshot,
         social.post_edit, ingest.raw_page, ingest.quarantine, crm.brand_event CASCADE;

CREATE FUNCTION pg_temp.fixture(p_file text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT pg_read_file(current_setting('parley.fixtures') || '/' || p_file)::jsonb
$$;
-- The body of a recorded Mastodon exchange.
CREATE FUNCTION pg_temp.mastodon(p_file text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT (pg_temp.fixture('mastodon/' || p_file)->'response'->>'body')::jsonb
$$;
CREATE FUNCTION pg_temp.wechat_file(p_file text) RETURNS text LANGUAGE sql AS $$
  SELECT pg_read_file(current_setting('parley.fixtures') || '/wechat/messages/' || p_file)
$$;
CREATE FUNCTION pg_temp.wechat(p_file text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT ingest.wechat_xml_json(pg_temp.wechat_file(p_file))
$$;

CREATE FUNCTION pg_temp.social_rows() RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object(
    'posts', (SELECT count(*) FROM social.post), 'profiles', (SELECT count(*) FROM social.profile),
    'interactions', (SELECT count(*) FROM social.interaction), 'edges', (SELECT count(*) FROM social.follower_edge),
    'snapshots', (SELECT count(*) FROM social.engagement_snapshot), 'edits', (SELECT count(*) FROM social.post_edit),
    'deleted', (SELECT count(*) FROM social.post WHERE deleted_at IS NOT NULL),
    'brand_events', (SELECT count(*) FROM crm.brand_event))
$$;
CREATE FUNCTION pg_temp.post(p_platform text, p_external_id text) RETURNS social.post LANGUAGE sql AS $$
  SELECT * FROM social.post WHERE platform = p_platform AND external_id = p_external_id
$$;
CREATE FUNCTION pg_temp.profile(p_platform text, p_external_id text) RETURNS social.profile LANGUAGE sql AS $$
  SELECT * FROM social.profile WHERE platform = p_platform AND external_id = p_external_id
$$;

INSERT INTO social.account (platform, handle) VALUES
  ('facebook', 'tap_fb_page'), ('instagram', 'tap_ig'), ('mastodon', 'tap_m@localhost'), ('x', 'tap_ParleyTea'),
  ('wechat', 'tap_gh_parley'), ('commerce', 'tap_shop');
CREATE FUNCTION pg_temp.account(p_platform text) RETURNS bigint LANGUAGE sql AS $$
  SELECT id FROM social.account WHERE platform = p_platform AND handle LIKE 'tap\_%'
$$;

-- Normalize one delivery and remember the counts and the row counts around it.
CREATE TEMP TABLE res (name text PRIMARY KEY, r jsonb, before jsonb, after jsonb);
CREATE FUNCTION pg_temp.hook(p_name text, p_platform text, p_body jsonb, p_delivery text, p_at timestamptz,
                             p_account bigint DEFAULT -1)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  b jsonb := pg_temp.social_rows();
  v jsonb := ingest.normalize(p_platform, CASE WHEN p_account = -1 THEN pg_temp.account(p_platform) ELSE p_account END,
                              'webhook', p_body, p_delivery, p_at);
BEGIN
  INSERT INTO res VALUES (p_name, v, b, pg_temp.social_rows());
END $$;
CREATE FUNCTION pg_temp.added(p_name text, p_what text) RETURNS integer LANGUAGE sql AS $$
  SELECT (after->>p_what)::integer - (before->>p_what)::integer FROM res WHERE name = p_name
$$;
CREATE FUNCTION pg_temp.counts(p_name text, p_what text) RETURNS integer LANGUAGE sql AS $$
  SELECT (r->>p_what)::integer FROM res WHERE name = p_name
$$;
CREATE FUNCTION pg_temp.unchanged(p_name text) RETURNS boolean LANGUAGE sql AS $$
  SELECT before = after FROM res WHERE name = p_name
$$;
-- What a delivery that is refused raises: "SQLSTATE message" ('ok' if none).
CREATE FUNCTION pg_temp.err(p_platform text, p_body jsonb, p_delivery text DEFAULT 'bad-1',
                            p_account bigint DEFAULT -1)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM ingest.normalize(p_platform, CASE WHEN p_account = -1 THEN pg_temp.account(p_platform) ELSE p_account END,
                           'webhook', p_body, p_delivery, '2023-11-15 12:00Z');
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
CREATE FUNCTION pg_temp.xml_err(p_xml text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM ingest.wechat_xml_json(p_xml);
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ' ' || SQLERRM;
END $$;

CREATE TEMP TABLE zero AS SELECT '{"edits": 0, "links": 0, "posts": 0, "follows": 0, "profiles": 0, "snapshots": 0,
  "tombstones": 0, "interactions": 0, "items": 0}'::jsonb AS counts;

----------------------------------------------------------------- Facebook (Page webhooks, field feed)
-- Page 1000000000000001 posts; a fan comments in Chinese, another replies to
-- that comment; two reactions (one on the post, one on the comment); a
-- moderator hides the reply (not modelled) and a rating arrives (other field).
-- 3 posts (1 status, 2 comments), 4 people (the page itself, 2 commenters,
-- 1 more reactor), 2 likes.
SELECT pg_temp.hook('f1', 'facebook', $${"object": "page", "entry": [{"id": "1000000000000001", "time": 1700000010, "changes": [
  {"field": "feed", "value": {"item": "status", "verb": "add", "post_id": "1000000000000001_2000000000000001",
     "message": "新品上市，欢迎选购！", "from": {"id": "1000000000000001", "name": "Parley Tea"},
     "published": 1, "created_time": 1699999990}},
  {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": "1000000000000001_2000000000000001",
     "comment_id": "2000000000000001_3000000000000001", "parent_id": "1000000000000001_2000000000000001",
     "message": "看起来很好喝", "from": {"id": "4000000000000001", "name": "王小明"}, "created_time": 1700000000}},
  {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": "1000000000000001_2000000000000001",
     "comment_id": "2000000000000001_3000000000000002", "parent_id": "2000000000000001_3000000000000001",
     "message": "Agreed!", "from": {"id": "4000000000000002", "name": "Amy Lee"}, "created_time": 1700000005}},
  {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "1000000000000001_2000000000000001",
     "parent_id": "1000000000000001_2000000000000001", "reaction_type": "love",
     "from": {"id": "4000000000000003", "name": "Sam Park"}, "created_time": 1700000007}},
  {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "1000000000000001_2000000000000001",
     "comment_id": "2000000000000001_3000000000000001", "parent_id": "2000000000000001_3000000000000001",
     "reaction_type": "like", "from": {"id": "4000000000000002", "name": "Amy Lee"}, "created_time": 1700000008}},
  {"field": "feed", "value": {"item": "comment", "verb": "hide", "post_id": "1000000000000001_2000000000000001",
     "comment_id": "2000000000000001_3000000000000002", "created_time": 1700000009}},
  {"field": "ratings", "value": {"item": "rating", "verb": "add", "reviewer_id": "4000000000000009", "rating": 5,
     "review_text": "Great tea", "created_time": 1700000009}}]}]}$$, 'fb-d1', '2023-11-15 00:00Z');
SELECT is(pg_temp.counts('f1', 'posts'), 3, 'facebook feed: 3 posts');
SELECT is(pg_temp.added('f1', 'posts'), 3, 'facebook feed: 3 post rows');
SELECT is(pg_temp.added('f1', 'profiles'), 4, 'facebook feed: the page, 2 commenters, 1 more reactor');
SELECT is(pg_temp.added('f1', 'interactions'), 2, 'facebook feed: 2 reactions as likes');
SELECT is(pg_temp.added('f1', 'snapshots'), 0, 'facebook feed: no counters, no snapshot');
SELECT results_eq(
  $$SELECT external_id, kind, body FROM social.post WHERE platform = 'facebook' ORDER BY external_id$$,
  $$VALUES ('1000000000000001_2000000000000001', 'post', '新品上市，欢迎选购！'),
           ('2000000000000001_3000000000000001', 'comment', '看起来很好喝'),
           ('2000000000000001_3000000000000002', 'comment', 'Agreed!')$$,
  'facebook feed: status and comments, Chinese text kept');
SELECT is((pg_temp.post('facebook', '2000000000000001_3000000000000001')).created_at, '2023-11-14 22:13:20Z'::timestamptz,
          'comment time from created_time (Unix seconds)');
SELECT is((pg_temp.post('facebook', '2000000000000001_3000000000000002')).parent_id,
          (pg_temp.post('facebook', '2000000000000001_3000000000000001')).id, 'reply linked to the comment it answers');
SELECT is((pg_temp.post('facebook', '2000000000000001_3000000000000002')).root_id,
          (pg_temp.post('facebook', '1000000000000001_2000000000000001')).id, 'reply rooted at the post');
SELECT is((SELECT display_name FROM social.profile p JOIN social.post c ON c.author_id = p.id
           WHERE c.external_id = '2000000000000001_3000000000000001'), '王小明', 'commenter named from `from`');
SELECT results_eq(
  $$SELECT i.kind, a.external_id, p.external_id, i.occurred_at FROM social.interaction i
    JOIN social.profile a ON a.id = i.actor_id JOIN social.post p ON p.id = i.post_id
    WHERE i.platform = 'facebook' AND i.account_id = pg_temp.account('facebook') ORDER BY i.occurred_at$$,
  $$VALUES ('like', '4000000000000003', '1000000000000001_2000000000000001', '2023-11-14 22:13:27Z'::timestamptz),
           ('like', '4000000000000002', '2000000000000001_3000000000000001', '2023-11-14 22:13:28Z'::timestamptz)$$,
  'reactions: likes by their authors on the post and on the comment');

SELECT pg_temp.hook('f1_again', 'facebook', $${"object": "page", "entry": [{"id": "1000000000000001", "time": 1700000010, "changes": [
  {"field": "feed", "value": {"item": "status", "verb": "add", "post_id": "1000000000000001_2000000000000001",
     "message": "新品上市，欢迎选购！", "from": {"id": "1000000000000001", "name": "Parley Tea"},
     "published": 1, "created_time": 1699999990}},
  {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": "1000000000000001_2000000000000001",
     "comment_id": "2000000000000001_3000000000000001", "parent_id": "1000000000000001_2000000000000001",
     "message": "看起来很好喝", "from": {"id": "4000000000000001", "name": "王小明"}, "created_time": 1700000000}},
  {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "1000000000000001_2000000000000001",
     "parent_id": "1000000000000001_2000000000000001", "reaction_type": "love",
     "from": {"id": "4000000000000003", "name": "Sam Park"}, "created_time": 1700000007}}]}]}$$, 'fb-d1', '2023-11-15 00:00Z');
SELECT ok(pg_temp.unchanged('f1_again'), 'facebook: the same changes again add nothing');
SELECT is((SELECT r - 'profiles' - 'items' FROM res WHERE name = 'f1_again'), (SELECT counts - 'profiles' - 'items' FROM zero),
          'facebook: and rewrite nothing');

-- The fan edits the comment: new body, the old one in the edit history,
-- dated by the change (the entry time), creation time kept.
SELECT pg_temp.hook('f_edit', 'facebook', $${"object": "page", "entry": [{"id": "1000000000000001", "time": 1700000300, "changes": [
  {"field": "feed", "value": {"item": "comment", "verb": "edited", "post_id": "1000000000000001_2000000000000001",
     "comment_id": "2000000000000001_3000000000000001", "parent_id": "1000000000000001_2000000000000001",
     "message": "看起来很好喝！想试试", "from": {"id": "4000000000000001", "name": "王小明"}, "created_time": 1700000000}}]}]}$$,
  'fb-d2', '2023-11-15 00:05Z');
SELECT is(pg_temp.counts('f_edit', 'edits'), 1, 'facebook edit: one edit');
SELECT is(pg_temp.added('f_edit', 'posts'), 0, 'facebook edit: no new post');
SELECT results_eq(
  $$SELECT p.body, p.edited_at, p.created_at, e.body, e.edited_at FROM social.post p JOIN social.post_edit e ON e.post_id = p.id
    WHERE p.external_id = '2000000000000001_3000000000000001'$$,
  $$VALUES ('看起来很好喝！想试试', '2023-11-14 22:18:20Z'::timestamptz, '2023-11-14 22:13:20Z'::timestamptz,
            '看起来很好喝', '2023-11-14 22:18:20Z'::timestamptz)$$,
  'facebook edit: new body, old body in the history');
-- Replaying the first delivery after the edit does not undo it.
SELECT pg_temp.hook('f1_replay', 'facebook', $${"object": "page", "entry": [{"id": "1000000000000001", "time": 1700000010, "changes": [
  {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": "1000000000000001_2000000000000001",
     "comment_id": "2000000000000001_3000000000000001", "parent_id": "1000000000000001_2000000000000001",
     "message": "看起来很好喝", "from": {"id": "4000000000000001", "name": "王小明"}, "created_time": 1700000000}}]}]}$$,
  'fb-d1', '2023-11-15 00:00Z');
SELECT is((pg_temp.post('facebook', '2000000000000001_3000000000000001')).body, '看起来很好喝！想试试',
          'facebook: an older delivery replayed does not undo the edit');

-- The reply is removed: a tombstone, once.
SELECT pg_temp.hook('f_remove', 'facebook', $${"object": "page", "entry": [{"id": "1000000000000001", "time": 1700000400, "changes": [
  {"field": "feed", "value": {"item": "comment", "verb": "remove", "post_id": "1000000000000001_2000000000000001",
     "comment_id": "2000000000000001_3000000000000002", "parent_id": "2000000000000001_3000000000000001",
     "from": {"id": "4000000000000002", "name": "Amy Lee"}, "created_time": 1700000400}}]}]}$$,
  'fb-d3', '2023-11-15 00:07Z');
SELECT is(pg_temp.counts('f_remove', 'tombstones'), 1, 'facebook remove: one tombstone');
SELECT is((pg_temp.post('facebook', '2000000000000001_3000000000000002')).deleted_at, '2023-11-15 00:07Z'::timestamptz,
          'the removed comment is marked deleted when the delivery arrived');
SELECT is((pg_temp.post('facebook', '2000000000000001_3000000000000002')).body, 'Agreed!', 'and keeps its last body');
SELECT pg_temp.hook('f_remove_again', 'facebook', $${"object": "page", "entry": [{"id": "1000000000000001", "time": 1700000400, "changes": [
  {"field": "feed", "value": {"item": "comment", "verb": "remove", "post_id": "1000000000000001_2000000000000001",
     "comment_id": "2000000000000001_3000000000000002", "created_time": 1700000400}}]}]}$$, 'fb-d3', '2023-11-15 00:08Z');
SELECT is(pg_temp.counts('f_remove_again', 'tombstones'), 0, 'facebook remove again: no second tombstone');

-- Valid deliveries Parley does not model: zero counts, no rows.
SELECT pg_temp.hook('f_unknown', 'facebook', $${"object": "page", "entry": [
  {"id": "1000000000000001", "time": 1700000500, "changes": [
    {"field": "feed", "value": {"item": "rating", "verb": "add", "post_id": "1000000000000001_9", "created_time": 1700000500}},
    {"field": "feed", "value": {"item": "status", "verb": "hide", "post_id": "1000000000000001_2000000000000001"}},
    {"field": "leadgen", "value": {"ad_id": "1", "form_id": "2", "leadgen_id": "3", "page_id": "1000000000000001"}},
    {"field": "feed", "value": {"item": "like", "verb": "add", "user_id": "4000000000000008", "created_time": 1700000500}},
    {"field": "name", "value": "Parley Tea 茶"}]},
  {"id": "1000000000000001", "time": 1700000500123, "messaging": [
    {"sender": {"id": "55"}, "recipient": {"id": "1000000000000001"}, "timestamp": 1700000500123,
     "message": {"mid": "m_1", "text": "hi"}}]}]}$$, 'fb-d4', '2023-11-15 00:09Z');
SELECT is((SELECT r FROM res WHERE name = 'f_unknown'), (SELECT counts FROM zero), 'facebook: unmodelled items (a rating, a hide, a like of the Page), fields and Messenger entries: zero counts');
SELECT ok(pg_temp.unchanged('f_unknown'), 'facebook: and no rows');
SELECT pg_temp.hook('f_user', 'facebook', $${"object": "user", "entry": [{"id": "55", "time": 1700000500, "changed_fields": ["email"]}]}$$,
                    'fb-d5', '2023-11-15 00:09Z');
SELECT is((SELECT r FROM res WHERE name = 'f_user'), (SELECT counts FROM zero), 'facebook: another object of the app: zero counts');

-- Malformed deliveries: the shape error, nothing applied.
SELECT is(pg_temp.err('facebook', '{"entry": []}'), 'PR422 missing or invalid field: meta webhook object',
          'facebook: no object');
SELECT is(pg_temp.err('facebook', '{"object": "page", "entry": {"id": "1"}}'),
          'PR422 missing or invalid field: meta webhook entry (array expected)', 'facebook: entry not an array');
SELECT is(pg_temp.err('facebook', '{"object": "page", "entry": [{"id": "1", "changes": {"field": "feed"}}]}'),
          'PR422 missing or invalid field: meta entry.changes (array expected)', 'facebook: changes not an array');
SELECT is(pg_temp.err('facebook', '{"object": "page", "entry": [{"id": "1", "changes": [{"value": {}}]}]}'),
          'PR422 missing or invalid field: meta change.field', 'facebook: change without field');
SELECT is(pg_temp.err('facebook', '{"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": "x"}]}]}'),
          'PR422 missing or invalid field: facebook feed value (object expected)', 'facebook: feed value not an object');
SELECT is(pg_temp.err('facebook', '{"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": {"verb": "add"}}]}]}'),
          'PR422 missing or invalid field: facebook feed item', 'facebook: feed change without item');
SELECT is(pg_temp.err('facebook', '{"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed",
            "value": {"item": "comment", "verb": "add", "post_id": "1_2", "message": "hi"}}]}]}'),
          'PR422 missing or invalid field: facebook feed comment_id', 'facebook: comment without comment_id');
SELECT is(pg_temp.err('facebook', '{"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed",
            "value": {"item": "reaction", "verb": "add", "post_id": "1_2", "reaction_type": "like"}}]}]}'),
          'PR422 missing or invalid field: facebook feed from.id', 'facebook: reaction by nobody');
SELECT is(pg_temp.err('facebook', '{"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed",
            "value": {"item": "status", "verb": "add", "post_id": "1_2", "created_time": "yesterday"}}]}]}'),
          'PR422 missing or invalid field: facebook feed created_time', 'facebook: created_time not a Unix time');
-- One bad change spoils the whole delivery (the good one is not applied).
SELECT results_eq(
  $$SELECT error_state, error_text FROM ingest.try_normalize('facebook', pg_temp.account('facebook'), 'webhook',
      '{"object": "page", "entry": [{"id": "1", "time": 1700000600, "changes": [
        {"field": "feed", "value": {"item": "status", "verb": "add", "post_id": "1_777", "message": "good"}},
        {"field": "feed", "value": {"item": "status", "verb": "add", "message": "no id"}}]}]}', 'fb-bad', now())$$,
  $$VALUES ('PR422', 'missing or invalid field: facebook feed post_id')$$, 'facebook: a delivery with a bad change is refused');
SELECT is(pg_temp.post('facebook', '1_777'), NULL, 'and its good change is not applied');

----------------------------------------------------------------- Instagram
-- Two comments on a feed media (one a reply by the brand), one live
-- comment, two mentions (in a comment, in a caption), story insights (not
-- modelled). 3 comments by 3 people, 2 mentions without an actor.
SELECT pg_temp.hook('i1', 'instagram', $${"object": "instagram", "entry": [{"id": "17841400000000001", "time": 1700001000, "changes": [
  {"field": "comments", "value": {"id": "17900000000000001", "text": "这个颜色太美了😍",
     "from": {"id": "17800000000000001", "username": "mei.lin"},
     "media": {"id": "17950000000000001", "media_product_type": "FEED"}}},
  {"field": "comments", "value": {"id": "17900000000000002", "text": "@mei.lin thank you!", "parent_id": "17900000000000001",
     "from": {"id": "17841400000000001", "username": "parley.tea"},
     "media": {"id": "17950000000000001", "media_product_type": "FEED"}}},
  {"field": "live_comments", "value": {"id": "17900000000000003", "text": "hello from the live",
     "from": {"id": "17800000000000002", "username": "tom_k"},
     "media": {"id": "17950000000000002", "media_product_type": "LIVE"}}},
  {"field": "mentions", "value": {"media_id": "17950000000000009", "comment_id": "17900000000000009"}},
  {"field": "mentions", "value": {"media_id": "17950000000000008"}},
  {"field": "story_insights", "value": {"media_id": "17950000000000007", "impressions": 44, "reach": 40}}]}]}$$,
  'ig-d1', '2023-11-15 01:00Z');
SELECT is(pg_temp.added('i1', 'posts'), 3, 'instagram: 3 comments');
SELECT is(pg_temp.added('i1', 'profiles'), 3, 'instagram: 3 commenters');
SELECT is(pg_temp.added('i1', 'interactions'), 2, 'instagram: 2 mentions');
SELECT results_eq(
  $$SELECT external_id, kind, body, parent_external_id, root_external_id, created_at FROM social.post
    WHERE platform = 'instagram' ORDER BY external_id$$,
  $$VALUES ('17900000000000001', 'comment', '这个颜色太美了😍', '17950000000000001', '17950000000000001', '2023-11-14 22:30:00Z'::timestamptz),
           ('17900000000000002', 'comment', '@mei.lin thank you!', '17900000000000001', '17950000000000001', '2023-11-14 22:30:00Z'),
           ('17900000000000003', 'comment', 'hello from the live', '17950000000000002', '17950000000000002', '2023-11-14 22:30:00Z')$$,
  'instagram: comments under their media (or comment), dated by the entry, emoji and Chinese kept');
SELECT is((pg_temp.post('instagram', '17900000000000002')).parent_id, (pg_temp.post('instagram', '17900000000000001')).id,
          'instagram: reply linked to its comment');
SELECT is((SELECT handle FROM social.profile p JOIN social.post c ON c.author_id = p.id WHERE c.external_id = '17900000000000001'),
          'mei.lin', 'instagram: commenter handle from `from`');
SELECT results_eq(
  $$SELECT kind, external_id, post_external_id, actor_id IS NULL, occurred_at FROM social.interaction
    WHERE platform = 'instagram' AND account_id = pg_temp.account('instagram') ORDER BY external_id$$,
  $$VALUES ('mention', 'mention:17900000000000009', '17900000000000009', true, '2023-11-14 22:30:00Z'::timestamptz),
           ('mention', 'mention:17950000000000008', '17950000000000008', true, '2023-11-14 22:30:00Z')$$,
  'instagram: mentions on the comment or the media, actor unknown');
SELECT pg_temp.hook('i1_again', 'instagram', (SELECT jsonb_build_object('object', 'instagram', 'entry', jsonb_build_array(
  jsonb_build_object('id', '17841400000000001', 'time', 1700001000, 'changes', jsonb_build_array(
    jsonb_build_object('field', 'comments', 'value', jsonb_build_object('id', '17900000000000001', 'text', '这个颜色太美了😍',
      'from', jsonb_build_object('id', '17800000000000001', 'username', 'mei.lin'),
      'media', jsonb_build_object('id', '17950000000000001', 'media_product_type', 'FEED'))),
    jsonb_build_object('field', 'mentions', 'value', jsonb_build_object('media_id', '17950000000000008'))))))),
  'ig-d1', '2023-11-15 01:00Z');
SELECT ok(pg_temp.unchanged('i1_again'), 'instagram: the same delivery again adds nothing');
SELECT is((SELECT r - 'items' FROM res WHERE name = 'i1_again'), (SELECT counts - 'items' FROM zero), 'instagram: and rewrites nothing');
-- The harvester later fetches the mentioned comment: stored as a post, the
-- mention is not counted a second time.
INSERT INTO res (name, before) VALUES ('i_harvest', pg_temp.social_rows());
UPDATE res SET r = ingest.normalize('instagram', pg_temp.account('instagram'), 'mentioned_comment',
  '{"mentioned_comment": {"id": "17900000000000009", "text": "@parley.tea 好喝", "username": "ikroskun",
    "timestamp": "2023-11-14T22:29:00+0000", "media": {"id": "17950000000000009"}}}', NULL, '2023-11-15 02:00Z')
WHERE name = 'i_harvest';
UPDATE res SET after = pg_temp.social_rows() WHERE name = 'i_harvest';
SELECT is(pg_temp.added('i_harvest', 'posts'), 1, 'instagram: the harvested mentioned comment is stored');
SELECT is(pg_temp.added('i_harvest', 'interactions'), 0, 'and its mention, known from the webhook, is not counted again');
SELECT pg_temp.hook('i_unknown', 'instagram', $${"object": "instagram", "entry": [{"id": "17841400000000001", "time": 1700001100,
  "changes": [{"field": "story_insights", "value": {"media_id": "1", "impressions": 3}},
              {"field": "message_reactions", "value": {"sender": {"id": "1"}}}]}]}$$, 'ig-d2', '2023-11-15 01:05Z');
SELECT is((SELECT r FROM res WHERE name = 'i_unknown'), (SELECT counts FROM zero), 'instagram: unmodelled fields: zero counts');
SELECT ok(pg_temp.unchanged('i_unknown'), 'instagram: and no rows');
SELECT is(pg_temp.err('instagram', '{"object": "instagram", "entry": [{"id": "1", "time": 1, "changes": [
            {"field": "comments", "value": {"id": "5", "text": "hi", "from": {"id": "7", "username": "u"}}}]}]}'),
          'PR422 missing or invalid field: instagram comment media (object expected)', 'instagram: comment without media');
SELECT is(pg_temp.err('instagram', '{"object": "instagram", "entry": [{"id": "1", "time": 1, "changes": [
            {"field": "comments", "value": {"text": "hi", "media": {"id": "9"}}}]}]}'),
          'PR422 missing or invalid field: instagram comment id', 'instagram: comment without id');
SELECT is(pg_temp.err('instagram', '{"object": "instagram", "entry": [{"id": "1", "time": 1, "changes": [
            {"field": "mentions", "value": {"comment_id": "5"}}]}]}'),
          'PR422 missing or invalid field: instagram mention media_id', 'instagram: mention without media_id');
SELECT is(pg_temp.err('instagram', '{"object": "instagram", "entry": [{"id": "1", "time": 1, "changes": [
            {"field": "mentions", "value": ["17950000000000008"]}]}]}'),
          'PR422 missing or invalid field: instagram mentions value (object expected)', 'instagram: mention value not an object');
SELECT is(pg_temp.err('instagram', '[]'), 'PR422 missing or invalid field: meta webhook (object expected)',
          'instagram: body not an object');

----------------------------------------------------------------- Mastodon (admin webhooks)
-- status.created carrying a recorded status; status.updated its recorded edit.
SELECT pg_temp.hook('m_created', 'mastodon', jsonb_build_object('event', 'status.created',
  'created_at', '2026-08-02T05:22:17.512Z', 'object', pg_temp.mastodon('test_stream_user_direct-05.json')),
  'm-d1', '2026-08-02 05:22:18Z');
SELECT is(pg_temp.added('m_created', 'posts'), 1, 'mastodon status.created: 1 post');
SELECT is(pg_temp.added('m_created', 'profiles'), 1, 'mastodon status.created: its author');
SELECT is(pg_temp.added('m_created', 'snapshots'), 1, 'mastodon status.created: a counter snapshot');
SELECT is((pg_temp.post('mastodon', '117024236332527350')).body, 'only real cars respond.', 'status HTML as text');
SELECT pg_temp.hook('m_updated', 'mastodon', jsonb_build_object('event', 'status.updated',
  'created_at', '2026-08-02T05:22:24.300Z', 'object', pg_temp.mastodon('test_stream_user_direct-10.json')),
  'm-d2', '2026-08-02 05:22:25Z');
SELECT is(pg_temp.counts('m_updated', 'edits'), 1, 'mastodon status.updated: one edit');
SELECT is(pg_temp.added('m_updated', 'posts'), 0, 'mastodon status.updated: no new post');
SELECT is((pg_temp.post('mastodon', '117024236332527350')).body, 'only real animals respond.', 'status.updated: new body');
SELECT pg_temp.hook('m_created_replay', 'mastodon', jsonb_build_object('event', 'status.created',
  'created_at', '2026-08-02T05:22:17.512Z', 'object', pg_temp.mastodon('test_stream_user_direct-05.json')),
  'm-d1', '2026-08-02 05:22:18Z');
SELECT ok(pg_temp.unchanged('m_created_replay'), 'mastodon: status.created replayed after the edit adds nothing');
SELECT is((pg_temp.post('mastodon', '117024236332527350')).body, 'only real animals respond.', 'and does not undo the edit');
-- A reblog: the reblog and the reblogged status, one (self-reblogging) author.
SELECT pg_temp.hook('m_reblog', 'mastodon', jsonb_build_object('event', 'status.created',
  'created_at', '2026-08-01T13:53:50.400Z', 'object', pg_temp.mastodon('test_status_reblogged_by-02.json')),
  'm-d3', '2026-08-01 13:53:51Z');
SELECT is(pg_temp.added('m_reblog', 'posts'), 2, 'mastodon reblog: the reblog and the original');
SELECT is(pg_temp.added('m_reblog', 'profiles'), 1, 'mastodon reblog: one author');
SELECT is((pg_temp.post('mastodon', '117020585512776006')).ref_id, (pg_temp.post('mastodon', '117020585505579935')).id,
          'mastodon reblog points at the original');
-- account.created carries an Admin::Account; the public Account inside is stored.
SELECT pg_temp.hook('m_account', 'mastodon', jsonb_build_object('event', 'account.created',
  'created_at', '2026-08-01T13:50:00.000Z', 'object', jsonb_build_object(
    'id', '117020565966271181', 'username', 'mastodonpy_test', 'domain', NULL, 'created_at', '2026-08-01T00:00:00.000Z',
    'email', 'mastodonpy_test@example.com', 'ip', '127.0.0.1', 'confirmed', true, 'suspended', false, 'silenced', false,
    'sensitized', false, 'disabled', false, 'approved', true, 'locale', 'en', 'invite_request', NULL, 'ips', '[]'::jsonb,
    'account', pg_temp.mastodon('test_account_lookup-03.json'))),
  'm-d4', '2026-08-01 13:50:01Z');
SELECT is(pg_temp.added('m_account', 'profiles'), 1, 'mastodon account.created: 1 profile');
SELECT is((SELECT handle || ' / ' || display_name || ' / ' || bio FROM social.profile
           WHERE platform = 'mastodon' AND external_id = '117020565966271181'),
          'mastodonpy_test / John Lennon / I walk funny', 'the public account inside the admin account');
SELECT ok(NOT (pg_temp.profile('mastodon', '117020565966271181')).raw ? 'email', 'the admin fields (e-mail, IPs) are not kept');
-- A status in Chinese by that account: no new profile, text decoded.
SELECT pg_temp.hook('m_zh', 'mastodon', jsonb_build_object('event', 'status.created',
  'created_at', '2026-08-01T13:52:33.200Z', 'object', pg_temp.mastodon('test_fetch_next_previous-02.json')
    || '{"content": "<p>新茶上市！&lt;限时&gt; 折扣 &amp; 免运费</p>", "language": "zh"}'),
  'm-d5', '2026-08-01 13:52:34Z');
SELECT is(pg_temp.added('m_zh', 'posts'), 1, 'mastodon: a Chinese status');
SELECT is(pg_temp.added('m_zh', 'profiles'), 0, 'by a known account');
SELECT is((pg_temp.post('mastodon', '117020580452511285')).body, '新茶上市！<限时> 折扣 & 免运费', 'Chinese text kept, entities decoded');
-- Events Parley does not model.
SELECT pg_temp.hook('m_report', 'mastodon', $${"event": "report.created", "created_at": "2023-10-26T13:34:00.351Z",
  "object": {"id": "8437", "action_taken": false, "category": "violation", "comment": "", "forwarded": true,
             "created_at": "2023-10-26T13:34:00.348Z", "account": {"id": "123456789", "username": "bobisaburger"},
             "target_account": {"id": "987654321", "username": "someone"}, "statuses": [], "rules": []}}$$,
  'm-d6', '2023-10-26 13:34:01Z');
SELECT is((SELECT r FROM res WHERE name = 'm_report'), (SELECT counts FROM zero), 'mastodon report.created: zero counts');
SELECT ok(pg_temp.unchanged('m_report'), 'mastodon report.created: no rows');
SELECT is(pg_temp.err('mastodon', '{"created_at": "2026-08-01T00:00:00Z", "object": {}}'),
          'PR422 missing or invalid field: mastodon webhook event', 'mastodon: no event');
SELECT is(pg_temp.err('mastodon', '{"event": "status.created", "created_at": "2026-08-01T00:00:00Z"}'),
          'PR422 missing or invalid field: mastodon webhook object (object expected)', 'mastodon: status event without object');
SELECT is(pg_temp.err('mastodon', jsonb_build_object('event', 'status.created',
            'object', pg_temp.mastodon('test_fetch_next_previous-03.json') - 'account')),
          'PR422 missing or invalid field: mastodon status.account (object expected)', 'mastodon: status without account');
SELECT is(pg_temp.err('mastodon', '{"event": "account.updated", "object": {"account": {"acct": "x"}}}'),
          'PR422 missing or invalid field: mastodon account.id', 'mastodon: account without id');

----------------------------------------------------------------- X (Account Activity API)
-- The brand @ParleyTea is user 2244994945. Users and Tweets of the deliveries:
CREATE TEMP TABLE xu (name text PRIMARY KEY, u jsonb);
INSERT INTO xu VALUES
  ('brand', '{"id": 2244994945, "id_str": "2244994945", "name": "Parley Tea", "screen_name": "ParleyTea",
              "location": "Shanghai", "description": "Tea, properly.", "verified": true, "followers_count": 5120,
              "friends_count": 12, "statuses_count": 830, "lang": null,
              "profile_image_url_https": "https://pbs.twimg.com/profile_images/1/parley_normal.jpg"}'),
  ('mei', '{"id": 1000000001, "id_str": "1000000001", "name": "美玲", "screen_name": "mei_lin", "location": "杭州",
            "description": "喝茶的人", "verified": false, "followers_count": 210, "friends_count": 180, "statuses_count": 1543}'),
  ('tom', '{"id": 1000000002, "id_str": "1000000002", "name": "Tom K", "screen_name": "tomk", "location": null,
            "description": "", "verified": false, "followers_count": 35, "friends_count": 80, "statuses_count": 99}'),
  ('ann', '{"id": 1000000003, "id_str": "1000000003", "name": "Ann", "screen_name": "ann_b", "verified": false,
            "followers_count": 1, "friends_count": 2, "statuses_count": 3}'),
  ('joe', '{"id": 1000000004, "id_str": "1000000004", "name": "Joe", "screen_name": "joe_q", "verified": false,
            "followers_count": 4, "friends_count": 5, "statuses_count": 6}'),
  ('lucy', '{"id": 1000000005, "id_str": "1000000005", "name": "露西", "screen_name": "lucy_w", "verified": false,
             "followers_count": 7, "friends_count": 8, "statuses_count": 9}'),
  ('neo', '{"id": 1000000006, "id_str": "1000000006", "name": "Neo", "screen_name": "neo_t", "verified": false,
            "followers_count": 10, "friends_count": 11, "statuses_count": 12}');
CREATE FUNCTION pg_temp.xu(p text) RETURNS jsonb LANGUAGE sql AS $$ SELECT u FROM xu WHERE name = p $$;
CREATE TEMP TABLE xt (name text PRIMARY KEY, t jsonb);
INSERT INTO xt VALUES
  ('t1', '{"created_at": "Wed Nov 15 08:00:00 +0000 2023", "id": 1700000000000000001, "id_str": "1700000000000000001",
           "text": "@ParleyTea 你们的新茶什么时候上市？", "truncated": false, "in_reply_to_status_id_str": null,
           "in_reply_to_user_id_str": null, "is_quote_status": false, "quote_count": 0, "reply_count": 0,
           "retweet_count": 0, "favorite_count": 0, "lang": "zh",
           "entities": {"hashtags": [], "urls": [], "user_mentions": [{"screen_name": "ParleyTea", "name": "Parley Tea",
                        "id": 2244994945, "id_str": "2244994945", "indices": [0, 10]}]}}'),
  ('t2', '{"created_at": "Wed Nov 15 08:05:00 +0000 2023", "id": 1700000000000000002, "id_str": "1700000000000000002",
           "text": "Our spring Longjing is here, picked in the first week of April and shipped within… https://t.co/abc",
           "truncated": true, "extended_tweet": {"full_text": "Our spring Longjing is here, picked in the first week of April and shipped within a day of roasting. Limited batch: order now at https://t.co/abc",
           "entities": {"hashtags": [], "urls": [], "user_mentions": []}},
           "in_reply_to_status_id_str": null, "is_quote_status": false, "quote_count": 0, "reply_count": 0,
           "retweet_count": 0, "favorite_count": 0, "lang": "en", "entities": {"hashtags": [], "urls": [], "user_mentions": []}}'),
  ('t3', '{"created_at": "Wed Nov 15 08:10:00 +0000 2023", "id": 1700000000000000003, "id_str": "1700000000000000003",
           "text": "@ParleyTea Looks great", "truncated": false, "in_reply_to_status_id": 1700000000000000002,
           "in_reply_to_status_id_str": "1700000000000000002", "in_reply_to_user_id_str": "2244994945",
           "in_reply_to_screen_name": "ParleyTea", "is_quote_status": false, "quote_count": 0, "reply_count": 0,
           "retweet_count": 0, "favorite_count": 0, "lang": "en",
           "entities": {"user_mentions": [{"screen_name": "ParleyTea", "id_str": "2244994945", "indices": [0, 10]}]}}'),
  ('t4', '{"created_at": "Wed Nov 15 08:15:00 +0000 2023", "id": 1700000000000000004, "id_str": "1700000000000000004",
           "text": "RT @ParleyTea: Our spring Longjing is here, picked in the first week of April and shipped within…",
           "truncated": false, "in_reply_to_status_id_str": null, "is_quote_status": false, "quote_count": 0,
           "reply_count": 0, "retweet_count": 0, "favorite_count": 0, "lang": "en",
           "entities": {"user_mentions": [{"screen_name": "ParleyTea", "id_str": "2244994945", "indices": [3, 13]}]}}'),
  ('t5', '{"created_at": "Wed Nov 15 08:20:00 +0000 2023", "id": 1700000000000000005, "id_str": "1700000000000000005",
           "text": "Must try this one https://t.co/q", "truncated": false, "in_reply_to_status_id_str": null,
           "is_quote_status": true, "quoted_status_id": 1700000000000000002, "quoted_status_id_str": "1700000000000000002",
           "quote_count": 0, "reply_count": 0, "retweet_count": 0, "favorite_count": 0, "lang": "en",
           "entities": {"user_mentions": []}}');
-- A Tweet with its author (and, for the retweet and the quote, the Tweet they embed).
CREATE FUNCTION pg_temp.xt(p text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT t || jsonb_build_object('user', pg_temp.xu(CASE p WHEN 't1' THEN 'mei' WHEN 't2' THEN 'brand' WHEN 't3' THEN 'tom'
                                                            WHEN 't4' THEN 'ann' WHEN 't5' THEN 'joe' END))
           || CASE p WHEN 't4' THEN jsonb_build_object('retweeted_status', pg_temp.xt('t2'))
                     WHEN 't5' THEN jsonb_build_object('quoted_status', pg_temp.xt('t2')) ELSE '{}' END
  FROM xt WHERE name = p
$$;

-- Tweets: a mention, the brand's own Tweet, a reply to it, a retweet and a
-- quote of it. 5 posts (the brand's Tweet is also embedded twice), 5
-- authors, a snapshot each; 4 interactions (mention, reply, repost, quote).
SELECT pg_temp.hook('x_tweets', 'x', jsonb_build_object('for_user_id', '2244994945', 'tweet_create_events',
  jsonb_build_array(pg_temp.xt('t1'), pg_temp.xt('t2'), pg_temp.xt('t3'), pg_temp.xt('t4'), pg_temp.xt('t5'))),
  'x-d1', '2023-11-15 08:21Z');
SELECT is(pg_temp.counts('x_tweets', 'posts'), 5, 'x tweets: 5 posts');
SELECT is(pg_temp.added('x_tweets', 'posts'), 5, 'x tweets: 5 post rows');
SELECT is(pg_temp.added('x_tweets', 'profiles'), 5, 'x tweets: 5 authors');
SELECT is(pg_temp.added('x_tweets', 'snapshots'), 5, 'x tweets: a counter snapshot each');
SELECT is(pg_temp.added('x_tweets', 'interactions'), 4, 'x tweets: 4 interactions with the brand');
SELECT results_eq(
  $$SELECT external_id, kind, parent_external_id, ref_external_id, created_at FROM social.post WHERE platform = 'x' ORDER BY external_id$$,
  $$VALUES ('1700000000000000001', 'post', NULL, NULL, '2023-11-15 08:00:00Z'::timestamptz),
           ('1700000000000000002', 'post', NULL, NULL, '2023-11-15 08:05:00Z'),
           ('1700000000000000003', 'reply', '1700000000000000002', NULL, '2023-11-15 08:10:00Z'),
           ('1700000000000000004', 'repost', NULL, '1700000000000000002', '2023-11-15 08:15:00Z'),
           ('1700000000000000005', 'quote', NULL, '1700000000000000002', '2023-11-15 08:20:00Z')$$,
  'x tweets: kinds, links by id, v1.1 times');
SELECT is((pg_temp.post('x', '1700000000000000001')).body, '@ParleyTea 你们的新茶什么时候上市？', 'x: Chinese text kept');
SELECT is((pg_temp.post('x', '1700000000000000002')).body,
          'Our spring Longjing is here, picked in the first week of April and shipped within a day of roasting. Limited batch: order now at https://t.co/abc',
          'x: a long Tweet keeps its full text');
SELECT is((pg_temp.post('x', '1700000000000000002')).url, 'https://x.com/ParleyTea/status/1700000000000000002', 'x: post URL');
SELECT is((pg_temp.post('x', '1700000000000000003')).parent_id, (pg_temp.post('x', '1700000000000000002')).id,
          'x: reply linked to the Tweet it answers');
SELECT is((pg_temp.post('x', '1700000000000000004')).ref_id, (pg_temp.post('x', '1700000000000000002')).id,
          'x: retweet linked to the original');
SELECT results_eq(
  $$SELECT i.kind, a.handle, i.post_external_id, i.external_id FROM social.interaction i JOIN social.profile a ON a.id = i.actor_id
    WHERE i.platform = 'x' AND i.account_id = pg_temp.account('x') ORDER BY i.external_id$$,
  $$VALUES ('mention', 'mei_lin', '1700000000000000001', '1700000000000000001'),
           ('reply', 'tomk', '1700000000000000003', '1700000000000000003'),
           ('repost', 'ann_b', '1700000000000000002', '1700000000000000004'),
           ('quote', 'joe_q', '1700000000000000005', '1700000000000000005')$$,
  'x: mention, reply, repost (of the brand''s Tweet) and quote');
SELECT is((SELECT row(handle, display_name, bio, follower_count, following_count, post_count, verified, location)::text
           FROM social.profile WHERE platform = 'x' AND external_id = '1000000001'),
          row('mei_lin', '美玲', '喝茶的人', 210, 180, 1543, false, '杭州')::text, 'x: user object as profile');
SELECT pg_temp.hook('x_tweets_again', 'x', jsonb_build_object('for_user_id', '2244994945', 'tweet_create_events',
  jsonb_build_array(pg_temp.xt('t1'), pg_temp.xt('t2'), pg_temp.xt('t3'), pg_temp.xt('t4'), pg_temp.xt('t5'))),
  'x-d1', '2023-11-15 08:21Z');
SELECT ok(pg_temp.unchanged('x_tweets_again'), 'x tweets again: nothing added');
SELECT is((SELECT r - 'items' FROM res WHERE name = 'x_tweets_again'), (SELECT counts - 'items' FROM zero), 'x tweets again: nothing rewritten');

-- Lucy likes the brand's Tweet (which now shows one like): a like, Lucy,
-- and a new snapshot of the Tweet's counters.
SELECT pg_temp.hook('x_fav', 'x', jsonb_build_object('for_user_id', '2244994945', 'favorite_events', jsonb_build_array(
  jsonb_build_object('id', 'a7ba59eab0bfcba386f7acedac279542', 'created_at', 'Wed Nov 15 09:00:00 +0000 2023',
                     'timestamp_ms', 1700038800000, 'favorited_status', pg_temp.xt('t2') || '{"favorite_count": 1}',
                     'user', pg_temp.xu('lucy')))), 'x-d2', '2023-11-15 09:00:01Z');
SELECT is(pg_temp.added('x_fav', 'interactions'), 1, 'x favorite: 1 like');
SELECT is(pg_temp.added('x_fav', 'profiles'), 1, 'x favorite: the liker');
SELECT is(pg_temp.added('x_fav', 'posts'), 0, 'x favorite: the liked Tweet was known');
SELECT is(pg_temp.added('x_fav', 'snapshots'), 1, 'x favorite: its new counters');
SELECT results_eq(
  $$SELECT i.kind, a.display_name, p.external_id, i.occurred_at FROM social.interaction i
    JOIN social.profile a ON a.id = i.actor_id JOIN social.post p ON p.id = i.post_id
    WHERE i.platform = 'x' AND i.external_id = 'a7ba59eab0bfcba386f7acedac279542'$$,
  $$VALUES ('like', '露西', '1700000000000000002', '2023-11-15 09:00:00Z'::timestamptz)$$, 'x favorite: like by Lucy on the Tweet');

-- The brand likes Mei's Tweet: delivered too, but not an interaction.
SELECT pg_temp.hook('x_fav_own', 'x', jsonb_build_object('for_user_id', '2244994945', 'favorite_events', jsonb_build_array(
  jsonb_build_object('id', 'b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6', 'created_at', 'Wed Nov 15 09:10:00 +0000 2023',
                     'timestamp_ms', 1700039400000, 'favorited_status', pg_temp.xt('t1'), 'user', pg_temp.xu('brand')))),
  'x-d2b', '2023-11-15 09:10:01Z');
SELECT ok(pg_temp.unchanged('x_fav_own'), 'x: the brand''s own like adds nothing');

-- Follows: Neo follows the brand (edge + follow); the brand follows Tom and
-- Ann unfollows the brand (profiles only, all known).
SELECT pg_temp.hook('x_follow', 'x', jsonb_build_object('for_user_id', '2244994945', 'follow_events', jsonb_build_array(
  jsonb_build_object('type', 'follow', 'created_timestamp', '1700040000000', 'target', pg_temp.xu('brand'), 'source', pg_temp.xu('neo')),
  jsonb_build_object('type', 'follow', 'created_timestamp', '1700040001000', 'target', pg_temp.xu('tom'), 'source', pg_temp.xu('brand')),
  jsonb_build_object('type', 'unfollow', 'created_timestamp', '1700040002000', 'target', pg_temp.xu('brand'), 'source', pg_temp.xu('ann')))),
  'x-d3', '2023-11-15 09:20:03Z');
SELECT is(pg_temp.added('x_follow', 'edges'), 1, 'x follows: 1 follower edge');
SELECT is(pg_temp.added('x_follow', 'interactions'), 1, 'x follows: 1 follow');
SELECT is(pg_temp.added('x_follow', 'profiles'), 1, 'x follows: 1 new person');
SELECT results_eq(
  $$SELECT p.handle, f.first_seen_at FROM social.follower_edge f JOIN social.profile p ON p.id = f.profile_id
    WHERE f.account_id = pg_temp.account('x')$$,
  $$VALUES ('neo_t', '2023-11-15 09:20:00Z'::timestamptz)$$, 'x follows: Neo follows the brand, as of the event''s time');
SELECT is((SELECT external_id || ' ' || occurred_at::text FROM social.interaction WHERE platform = 'x' AND kind = 'follow'),
          '1000000006:2244994945:1700040000000 2023-11-15 09:20:00+00', 'x follow: keyed by who, whom and when');
SELECT pg_temp.hook('x_follow_again', 'x', jsonb_build_object('for_user_id', '2244994945', 'follow_events', jsonb_build_array(
  jsonb_build_object('type', 'follow', 'created_timestamp', '1700040000000', 'target', pg_temp.xu('brand'), 'source', pg_temp.xu('neo')))),
  'x-d3', '2023-11-15 09:20:03Z');
SELECT ok(pg_temp.unchanged('x_follow_again'), 'x follow again: nothing added');
-- Neo unfollows the brand, then follows it again.
SELECT pg_temp.hook('x_unfollow', 'x', jsonb_build_object('for_user_id', '2244994945', 'follow_events', jsonb_build_array(
  jsonb_build_object('type', 'unfollow', 'created_timestamp', '1700043600000', 'target', pg_temp.xu('brand'), 'source', pg_temp.xu('neo')))),
  'x-d3u', '2023-11-15 10:20:03Z');
SELECT is(pg_temp.counts('x_unfollow', 'unfollows'), 1, 'x unfollow: one follow ended');
SELECT is((SELECT unfollowed_at FROM social.follower_edge WHERE account_id = pg_temp.account('x')), '2023-11-15 10:20:00Z'::timestamptz,
          'x unfollow: the edge ends at the event''s time (not the delivery''s)');
-- The first follow delivered again an hour late (a retry) is older than the
-- unfollow: the follow stays ended.
SELECT pg_temp.hook('x_follow_late', 'x', jsonb_build_object('for_user_id', '2244994945', 'follow_events', jsonb_build_array(
  jsonb_build_object('type', 'follow', 'created_timestamp', '1700040000000', 'target', pg_temp.xu('brand'), 'source', pg_temp.xu('neo')))),
  'x-d3', '2023-11-15 10:50:00Z');
SELECT is((SELECT unfollowed_at FROM social.follower_edge WHERE account_id = pg_temp.account('x')), '2023-11-15 10:20:00Z'::timestamptz,
          'x follow delivered again after the unfollow: still ended');
SELECT pg_temp.hook('x_refollow', 'x', jsonb_build_object('for_user_id', '2244994945', 'follow_events', jsonb_build_array(
  jsonb_build_object('type', 'follow', 'created_timestamp', '1700047200000', 'target', pg_temp.xu('brand'), 'source', pg_temp.xu('neo')))),
  'x-d3f', '2023-11-15 11:20:03Z');
SELECT is((SELECT coalesce(unfollowed_at::text, 'open') || ' ' || first_seen_at FROM social.follower_edge WHERE account_id = pg_temp.account('x')),
          'open 2023-11-15 09:20:00+00', 'x follow after the unfollow: the edge is open again, first seen as before');
-- One delivery, both events: the later one decides, in whatever order they are listed.
SELECT pg_temp.hook('x_unfollow_then_follow', 'x', jsonb_build_object('for_user_id', '2244994945', 'follow_events', jsonb_build_array(
  jsonb_build_object('type', 'follow', 'created_timestamp', '1700050800000', 'target', pg_temp.xu('brand'), 'source', pg_temp.xu('neo')),
  jsonb_build_object('type', 'unfollow', 'created_timestamp', '1700050700000', 'target', pg_temp.xu('brand'), 'source', pg_temp.xu('neo')))),
  'x-d3g', '2023-11-15 12:20:03Z');
SELECT is((SELECT unfollowed_at FROM social.follower_edge WHERE account_id = pg_temp.account('x')), NULL,
          'x: an unfollow then a follow in one delivery leave the follow open');
SELECT pg_temp.hook('x_follow_then_unfollow', 'x', jsonb_build_object('for_user_id', '2244994945', 'follow_events', jsonb_build_array(
  jsonb_build_object('type', 'unfollow', 'created_timestamp', '1700054500000', 'target', pg_temp.xu('brand'), 'source', pg_temp.xu('neo')),
  jsonb_build_object('type', 'follow', 'created_timestamp', '1700054400000', 'target', pg_temp.xu('brand'), 'source', pg_temp.xu('neo')))),
  'x-d3h', '2023-11-15 13:20:03Z');
SELECT is((SELECT unfollowed_at FROM social.follower_edge WHERE account_id = pg_temp.account('x')), '2023-11-15 13:20:03Z'::timestamptz,
          'x: a follow then an unfollow in one delivery end it');

-- Mei deletes her Tweet: a tombstone.
SELECT pg_temp.hook('x_delete', 'x', $${"for_user_id": "2244994945", "tweet_delete_events": [
  {"status": {"id": "1700000000000000001", "user_id": "1000000001"}, "timestamp_ms": "1700041000000"}]}$$,
  'x-d4', '2023-11-15 09:36:41Z');
SELECT is(pg_temp.counts('x_delete', 'tombstones'), 1, 'x delete: one tombstone');
SELECT is((pg_temp.post('x', '1700000000000000001')).deleted_at, '2023-11-15 09:36:41Z'::timestamptz, 'x delete: marked deleted');

-- A direct message to the brand, its people in `users`.
SELECT pg_temp.hook('x_dm', 'x', $${"for_user_id": "2244994945", "direct_message_events": [
  {"type": "message_create", "id": "1700000000000000100", "created_timestamp": "1700050000000",
   "message_create": {"target": {"recipient_id": "2244994945"}, "sender_id": "1000000007",
                      "message_data": {"text": "你好，我的订单还没到。", "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}}}}],
  "users": {"1000000007": {"id": "1000000007", "created_timestamp": "1422556069340", "name": "陈先生", "screen_name": "mr_chen",
                           "location": "北京", "description": "", "protected": false, "verified": false,
                           "followers_count": 22, "friends_count": 45, "statuses_count": 494},
            "2244994945": {"id": "2244994945", "created_timestamp": "1393000000000", "name": "Parley Tea",
                           "screen_name": "ParleyTea", "protected": false, "verified": true, "followers_count": 5121,
                           "friends_count": 12, "statuses_count": 830}}}$$,
  'x-d5', '2023-11-15 12:06:41Z');
SELECT is(pg_temp.added('x_dm', 'posts'), 1, 'x DM: 1 post');
SELECT is(pg_temp.added('x_dm', 'profiles'), 1, 'x DM: its sender is new');
SELECT results_eq(
  $$SELECT p.kind, p.body, a.handle, a.display_name, p.created_at FROM social.post p JOIN social.profile a ON a.id = p.author_id
    WHERE p.platform = 'x' AND p.external_id = '1700000000000000100'$$,
  $$VALUES ('direct', '你好，我的订单还没到。', 'mr_chen', '陈先生', '2023-11-15 12:06:40Z'::timestamptz)$$,
  'x DM: a direct post by its sender');
SELECT is((pg_temp.profile('x', '2244994945')).follower_count, 5121::bigint, 'x DM: the users map updates the brand''s profile');

-- Events Parley does not model; the typing event's users are not stored.
SELECT pg_temp.hook('x_unknown', 'x', $${"for_user_id": "2244994945",
  "direct_message_indicate_typing_events": [{"created_timestamp": "1700050100000", "sender_id": "1000000008",
                                             "target": {"recipient_id": "2244994945"}}],
  "block_events": [{"type": "block", "created_timestamp": "1700050100000",
                    "source": {"id_str": "2244994945"}, "target": {"id_str": "1000000009"}}],
  "users": {"1000000008": {"id": "1000000008", "name": "Typist", "screen_name": "typist"}}}$$,
  'x-d6', '2023-11-15 12:08:20Z');
SELECT is((SELECT r FROM res WHERE name = 'x_unknown'), (SELECT counts FROM zero), 'x: typing and block events: zero counts');
SELECT ok(pg_temp.unchanged('x_unknown'), 'x: and no rows');

SELECT is(pg_temp.err('x', '{"tweet_create_events": []}'), 'PR422 missing or invalid field: x for_user_id', 'x: no for_user_id');
SELECT is(pg_temp.err('x', '{"for_user_id": "2244994945", "tweet_create_events": {"id_str": "1"}}'),
          'PR422 missing or invalid field: x tweet_create_events (array expected)', 'x: events not an array');
SELECT is(pg_temp.err('x', jsonb_build_object('for_user_id', '2244994945', 'tweet_create_events',
            jsonb_build_array(pg_temp.xt('t1') - 'user'))),
          'PR422 missing or invalid field: x tweet.user (object expected)', 'x: Tweet without user');
SELECT is(pg_temp.err('x', jsonb_build_object('for_user_id', '2244994945', 'tweet_create_events',
            jsonb_build_array(pg_temp.xt('t1') - 'id_str'))),
          'PR422 missing or invalid field: x tweet.id_str', 'x: Tweet without id_str');
SELECT is(pg_temp.err('x', jsonb_build_object('for_user_id', '2244994945', 'tweet_create_events',
            jsonb_build_array(pg_temp.xt('t1') || '{"created_at": "2023-11-15T08:00:00Z"}'))),
          'PR422 missing or invalid field: x created_at', 'x: Tweet time not in the v1.1 form');
SELECT is(pg_temp.err('x', '{"for_user_id": "2244994945", "favorite_events": [{"id": "f1", "timestamp_ms": 1700038800000,
            "user": {"id_str": "5"}}]}'),
          'PR422 missing or invalid field: x favorite_event.favorited_status (object expected)', 'x: like of nothing');
SELECT is(pg_temp.err('x', '{"for_user_id": "2244994945", "tweet_delete_events": [{"timestamp_ms": "1700041000000"}]}'),
          'PR422 missing or invalid field: x tweet_delete_event.status (object expected)', 'x: delete of nothing');
SELECT is(pg_temp.err('x', '{"for_user_id": "2244994945", "direct_message_events": [{"type": "message_create", "id": "9",
            "created_timestamp": "1700050000000"}]}'),
          'PR422 missing or invalid field: x message_create (object expected)', 'x: DM without message_create');
SELECT is(pg_temp.err('x', '{"for_user_id": "2244994945", "follow_events": [{"type": "follow",
            "created_timestamp": "1700040000000", "target": {"id_str": "2244994945"}}]}'),
          'PR422 missing or invalid field: x follow_event.source (object expected)', 'x: follow by nobody');

----------------------------------------------------------------- WeChat: XML → JSON
-- Every recorded message: one key per child of <xml> (counted with Python's
-- ElementTree), MsgType and Event as written.
SELECT results_eq(
  $$SELECT f, (SELECT count(*)::integer FROM jsonb_object_keys(j)), j->>'MsgType', j->>'Event'
    FROM (SELECT f, pg_temp.wechat(f) AS j FROM unnest(ARRAY[
      'click_event.xml', 'decrypted_push_wecom.xml', 'device_bind_event.xml', 'device_text_event.xml',
      'encrypted_push_wecom.xml', 'encrypted_reply_wecom.xml', 'image_message.xml', 'link_message.xml',
      'location_event.xml', 'location_message.xml', 'plain_reply_wecom.xml', 'scan_event.xml',
      'submit_invoice_title_event.xml', 'subscribe_event.xml', 'subscribe_event_with_last_trade_no.xml',
      'subscribe_scan_event.xml', 'subscribe_scan_product_event.xml', 'subscribe_scan_product_event_2.xml',
      'text_message.xml', 'unknown_message.xml', 'update_invoice_status_event.xml', 'user_authorize_invoice_event.xml',
      'video_message.xml', 'view_event.xml', 'voice_message.xml']) f) x ORDER BY f$$,
  $$VALUES ('click_event.xml', 6, 'event', 'CLICK'), ('decrypted_push_wecom.xml', 7, 'text', NULL),
           ('device_bind_event.xml', 11, 'device_event', 'bind'), ('device_text_event.xml', 10, 'device_text', NULL),
           ('encrypted_push_wecom.xml', 3, NULL, NULL), ('encrypted_reply_wecom.xml', 4, NULL, NULL),
           ('image_message.xml', 7, 'image', NULL), ('link_message.xml', 8, 'link', NULL),
           ('location_event.xml', 8, 'event', 'LOCATION'), ('location_message.xml', 9, 'location', NULL),
           ('plain_reply_wecom.xml', 6, 'text', NULL), ('scan_event.xml', 7, 'event', 'SCAN'),
           ('submit_invoice_title_event.xml', 13, 'event', 'submit_invoice_title'),
           ('subscribe_event.xml', 5, 'event', 'subscribe'), ('subscribe_event_with_last_trade_no.xml', 6, 'event', 'subscribe'),
           ('subscribe_scan_event.xml', 7, 'event', 'subscribe'), ('subscribe_scan_product_event.xml', 6, 'event', 'subscribe'),
           ('subscribe_scan_product_event_2.xml', 6, 'event', 'subscribe'), ('text_message.xml', 6, 'text', NULL),
           ('unknown_message.xml', 5, 'notsure', NULL), ('update_invoice_status_event.xml', 8, 'event', 'update_invoice_status'),
           ('user_authorize_invoice_event.xml', 9, 'event', 'user_authorize_invoice'), ('video_message.xml', 7, 'video', NULL),
           ('view_event.xml', 6, 'event', 'VIEW'), ('voice_message.xml', 7, 'voice', NULL)$$,
  'wechat_xml_json: every recorded message, one key per element');
SELECT is(pg_temp.wechat('text_message.xml'),
          '{"ToUserName": "toUser", "FromUserName": "fromUser", "CreateTime": "1348831860", "MsgType": "text",
            "Content": "this is a test", "MsgId": "1234567890123456"}'::jsonb, 'wechat_xml_json: text message, CDATA unwrapped');
SELECT is(pg_temp.wechat('submit_invoice_title_event.xml')->>'title', '样例公司抬头', 'wechat_xml_json: Chinese kept');
SELECT is(pg_temp.wechat('user_authorize_invoice_event.xml')->>'FailOrderId', '', 'wechat_xml_json: empty CDATA is ''''');
SELECT is(pg_temp.wechat('location_event.xml')->>'Precision', '119.385040', 'wechat_xml_json: numbers as written');
SELECT ok(length(pg_temp.wechat('encrypted_push_wecom.xml')->>'Encrypt') > 100, 'wechat_xml_json: the Encrypt of a safe-mode push');
SELECT is(ingest.wechat_xml_json($$<?xml version="1.0" encoding="UTF-8"?>
<xml><ToUserName><![CDATA[gh_1]]></ToUserName><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_push]]></Event>
<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1 & 2]]></ScanResult></ScanCodeInfo>
<Content>a &lt;b&gt; &amp; c</Content><Content>last</Content></xml>$$),
  '{"ToUserName": "gh_1", "MsgType": "event", "Event": "scancode_push",
    "ScanCodeInfo": "<ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1 & 2]]></ScanResult>", "Content": "last"}'::jsonb,
  'wechat_xml_json: declaration allowed, nested children kept as markup, a repeated name keeps the last value');
SELECT is(ingest.wechat_xml_json('<xml><Content><![CDATA[<!DOCTYPE html><p>hi</p>]]></Content></xml>')->>'Content',
          '<!DOCTYPE html><p>hi</p>', 'wechat_xml_json: a DOCTYPE inside the text is only text');
SELECT is(ingest.wechat_xml_json('<xml/>'), '{}'::jsonb, 'wechat_xml_json: an empty <xml/> is {}');
SELECT is(ingest.wechat_xml_json(NULL), NULL, 'wechat_xml_json: NULL in, NULL out');
-- (libxml's wording varies between versions: only its "line N:" prefix is checked.)
SELECT matches(pg_temp.xml_err('<xml><MsgType>text</MsgType>'),
               '^PR422 missing or invalid field: wechat xml \(not well-formed: line 1: .+\)$', 'wechat_xml_json: truncated XML');
SELECT matches(pg_temp.xml_err('<xml><a>1</b></xml>'), '^PR422 missing or invalid field: wechat xml \(not well-formed: .+\)$',
          'wechat_xml_json: mismatched tags');
SELECT matches(pg_temp.xml_err(''), '^PR422 missing or invalid field: wechat xml \(not well-formed: .*\)$',
          'wechat_xml_json: empty text');
SELECT matches(pg_temp.xml_err('{"MsgType": "text"}'), '^PR422 missing or invalid field: wechat xml \(not well-formed: .+\)$',
          'wechat_xml_json: JSON is not XML');
SELECT matches(pg_temp.xml_err('<xml><a/></xml><xml/>'), '^PR422 missing or invalid field: wechat xml \(not well-formed: .+\)$',
          'wechat_xml_json: two roots');
SELECT is(pg_temp.xml_err('<message><MsgType>text</MsgType></message>'),
          'PR422 missing or invalid field: wechat xml (root element <xml> expected)', 'wechat_xml_json: another root');
SELECT is(pg_temp.xml_err($$<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Content>&xxe;</Content></xml>$$),
  'PR422 missing or invalid field: wechat xml (DOCTYPE not allowed)', 'wechat_xml_json: external entity DOCTYPE refused');
SELECT is(pg_temp.xml_err($$<!-- a comment --><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><Content>&c;</Content></xml>$$),
  'PR422 missing or invalid field: wechat xml (DOCTYPE not allowed)', 'wechat_xml_json: entity expansion DOCTYPE refused');
SELECT is(pg_temp.xml_err('<!DOCTYPE xml><xml/>'), 'PR422 missing or invalid field: wechat xml (DOCTYPE not allowed)',
          'wechat_xml_json: any DOCTYPE refused');

----------------------------------------------------------------- WeChat: messages
SELECT pg_temp.hook('w_text', 'wechat', pg_temp.wechat('text_message.xml'), 'wc-1234567890123456', '2023-11-15 13:00Z');
SELECT is(pg_temp.added('w_text', 'posts'), 1, 'wechat text: 1 post');
SELECT is(pg_temp.added('w_text', 'profiles'), 1, 'wechat text: its sender');
SELECT results_eq(
  $$SELECT p.external_id, p.kind, p.body, a.external_id, p.created_at FROM social.post p JOIN social.profile a ON a.id = p.author_id
    WHERE p.platform = 'wechat'$$,
  $$VALUES ('1234567890123456', 'direct', 'this is a test', 'fromUser', '2012-09-28 11:31:00Z'::timestamptz)$$,
  'wechat text: a direct post by the OpenID, at CreateTime');
SELECT pg_temp.hook('w_text_again', 'wechat', pg_temp.wechat('text_message.xml'), 'wc-1234567890123456', '2023-11-15 13:00Z');
SELECT ok(pg_temp.unchanged('w_text_again'), 'wechat text again: nothing added');
SELECT is((SELECT r - 'items' FROM res WHERE name = 'w_text_again'), (SELECT counts - 'items' FROM zero), 'wechat text again: nothing rewritten');
-- The other message types. The recorded samples all reuse one MsgId, so
-- each gets its own here (a real account never repeats one).
SELECT pg_temp.hook('w_' || f, 'wechat', pg_temp.wechat(f || '_message.xml') || jsonb_build_object('MsgId', '99000000000000' || n),
                    'wc-' || f, '2023-11-15 13:01Z')
FROM (VALUES ('image', 1), ('voice', 2), ('video', 3), ('location', 4), ('link', 5)) v(f, n);
SELECT is((SELECT sum((r->>'posts')::integer)::integer FROM res WHERE name IN ('w_image', 'w_voice', 'w_video', 'w_location', 'w_link')),
          5, 'wechat: image, voice, video, location, link: a post each');
SELECT results_eq(
  $$SELECT external_id, kind, body FROM social.post WHERE platform = 'wechat' AND external_id LIKE '99%' ORDER BY external_id$$,
  $$VALUES ('990000000000001', 'direct', '[image] this is a url'), ('990000000000002', 'direct', '[voice]'),
           ('990000000000003', 'direct', '[video]'),
           ('990000000000004', 'direct', '[location] 位置信息 (23.134521, 113.358803)'),
           ('990000000000005', 'direct', '[link] 公众平台官网链接 url')$$,
  'wechat: readable bodies for what is not text');
SELECT pg_temp.hook('w_wecom', 'wechat', pg_temp.wechat('decrypted_push_wecom.xml'), 'wc-wecom', '2023-11-15 13:02Z');
SELECT is((SELECT body || ' by ' || (SELECT external_id FROM social.profile WHERE id = author_id) FROM social.post
           WHERE platform = 'wechat' AND external_id = '4363689963896700987'), 'test by messense', 'wechat: a decrypted WeCom push');
SELECT pg_temp.hook('w_zh', 'wechat', ingest.wechat_xml_json($$<xml><ToUserName><![CDATA[gh_fc0a06a20993]]></ToUserName>
<FromUserName><![CDATA[oZI8Fj040-be6rlDohc6gkoPOQTQ]]></FromUserName><CreateTime>1700053200</CreateTime>
<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好，请问门店几点关门？]]></Content><MsgId>24312345678901234</MsgId></xml>$$),
  'wc-zh', '2023-11-15 13:03Z');
SELECT is((pg_temp.post('wechat', '24312345678901234')).body, '你好，请问门店几点关门？', 'wechat: Chinese text kept');

-- Subscribes: three recorded by FromUser at one CreateTime, two by another
-- OpenID at another: 2 follows, 2 edges, 2 people.
SELECT pg_temp.hook('w_sub_' || f, 'wechat', pg_temp.wechat(f || '.xml'), 'wc-sub-' || f, '2023-11-15 13:10Z')
FROM unnest(ARRAY['subscribe_event', 'subscribe_event_with_last_trade_no', 'subscribe_scan_event',
                  'subscribe_scan_product_event', 'subscribe_scan_product_event_2']) f;
SELECT is((SELECT sum(pg_temp.added(name, 'interactions'))::integer FROM res WHERE name LIKE 'w\_sub\_%'), 2, 'wechat subscribes: 2 follows');
SELECT is((SELECT sum(pg_temp.added(name, 'edges'))::integer FROM res WHERE name LIKE 'w\_sub\_%'), 2, 'wechat subscribes: 2 follower edges');
SELECT is((SELECT sum(pg_temp.added(name, 'profiles'))::integer FROM res WHERE name LIKE 'w\_sub\_%'), 2, 'wechat subscribes: 2 people');
SELECT results_eq(
  $$SELECT i.kind, i.external_id, a.external_id, i.occurred_at, i.account_id = pg_temp.account('wechat') FROM social.interaction i
    JOIN social.profile a ON a.id = i.actor_id WHERE i.platform = 'wechat' ORDER BY i.occurred_at$$,
  $$VALUES ('follow', 'FromUser:123456789', 'FromUser', '1973-11-29 21:33:09Z'::timestamptz, true),
           ('follow', 'otAzGjrS4AYCmeJM1GhEOcHXXTAo:1433259128', 'otAzGjrS4AYCmeJM1GhEOcHXXTAo', '2015-06-02 15:32:08Z', true)$$,
  'wechat subscribes: follows keyed by OpenID and CreateTime');
-- The other events and message types change nothing.
SELECT pg_temp.hook('w_noop_' || f, 'wechat', pg_temp.wechat(f || '.xml'), 'wc-noop-' || f, '2023-11-15 13:20Z')
FROM unnest(ARRAY['click_event', 'scan_event', 'location_event', 'view_event', 'submit_invoice_title_event',
                  'update_invoice_status_event', 'user_authorize_invoice_event', 'device_text_event', 'device_bind_event',
                  'unknown_message']) f;
SELECT is((SELECT count(*)::integer FROM res WHERE name LIKE 'w\_noop\_%' AND r = (SELECT counts FROM zero)), 10,
          'wechat: 10 recorded events and other types: zero counts');
SELECT ok((SELECT bool_and(before = after) FROM res WHERE name LIKE 'w\_noop\_%'), 'wechat: and no rows');
-- FromUser unsubscribes: its follow ends.
SELECT pg_temp.hook('w_unsubscribe', 'wechat', ingest.wechat_xml_json($$<xml><ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[FromUser]]></FromUserName><CreateTime>123456999</CreateTime><MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[unsubscribe]]></Event><EventKey><![CDATA[]]></EventKey></xml>$$), 'wc-unsub', '2023-11-15 13:21Z');
SELECT is((SELECT r - 'unfollows' = (SELECT counts FROM zero) AND (r->>'unfollows')::integer = 1 FROM res WHERE name = 'w_unsubscribe'), true,
          'wechat: an unsubscribe ends one follow and adds nothing');
SELECT is((SELECT string_agg(p.external_id || ' ' || coalesce(f.unfollowed_at::text, 'open'), ', ' ORDER BY p.external_id)
           FROM social.follower_edge f JOIN social.profile p ON p.id = f.profile_id WHERE f.account_id = pg_temp.account('wechat')),
          'FromUser 1973-11-29 21:36:39+00, otAzGjrS4AYCmeJM1GhEOcHXXTAo open',
          'wechat: the unsubscriber''s edge ended at its CreateTime, the other is open');
SELECT is(pg_temp.err('wechat', pg_temp.wechat('encrypted_push_wecom.xml')), 'PR422 missing or invalid field: wechat MsgType',
          'wechat: an encrypted push not decrypted');
SELECT is(pg_temp.err('wechat', pg_temp.wechat('plain_reply_wecom.xml')), 'PR422 missing or invalid field: wechat MsgId',
          'wechat: a text without MsgId (the brand''s passive reply)');
SELECT is(pg_temp.err('wechat', pg_temp.wechat('subscribe_event.xml') - 'Event'), 'PR422 missing or invalid field: wechat Event',
          'wechat: an event without Event');
SELECT is(pg_temp.err('wechat', pg_temp.wechat('text_message.xml') || '{"CreateTime": "2012-09-28"}'),
          'PR422 missing or invalid field: wechat CreateTime', 'wechat: CreateTime not a Unix time');
SELECT is(pg_temp.err('wechat', pg_temp.wechat('text_message.xml') - 'FromUserName'),
          'PR422 missing or invalid field: wechat FromUserName', 'wechat: a message from nobody');
SELECT is(pg_temp.err('wechat', '["text"]'), 'PR422 missing or invalid field: wechat message (object expected)',
          'wechat: body not an object');

----------------------------------------------------------------- Commerce (Standard Webhooks)
SELECT pg_temp.hook('c_order', 'commerce', $${"type": "order.created", "timestamp": "2022-11-03T20:26:10.344522Z",
  "data": {"order_id": "SO-10023", "customer": {"name": "李雷", "email": "lilei@example.com"}, "total": "128.00", "currency": "CNY"}}$$,
  'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', '2022-11-03 20:26:11Z');
SELECT is(pg_temp.counts('c_order', 'brand_events'), 1, 'commerce: one brand event');
SELECT results_eq(
  $$SELECT account_id, event_id, type, occurred_at, data->'customer'->>'name', data->>'total' FROM crm.brand_event$$,
  $$VALUES (pg_temp.account('commerce'), 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 'order.created',
            '2022-11-03 20:26:10.344522Z'::timestamptz, '李雷', '128.00')$$,
  'commerce: keyed by webhook-id, with type, time and data as sent');
SELECT ok((SELECT before - 'brand_events' = after - 'brand_events' FROM res WHERE name = 'c_order'), 'commerce: no social rows');
SELECT pg_temp.hook('c_order_again', 'commerce', $${"type": "order.created", "timestamp": "2022-11-03T20:26:10.344522Z",
  "data": {"order_id": "SO-10023", "total": "128.00"}}$$, 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', '2022-11-03 20:26:40Z');
SELECT is(pg_temp.counts('c_order_again', 'brand_events'), 0, 'commerce: a redelivery adds nothing');
SELECT ok(pg_temp.unchanged('c_order_again'), 'commerce: and changes nothing');
SELECT pg_temp.hook('c_other', 'commerce', $${"type": "customer.deleted", "timestamp": "2022-11-04T08:00:00Z",
  "data": {"customer_id": "C-77"}}$$, 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4X', '2022-11-04 08:00:01Z');
SELECT is(pg_temp.added('c_other', 'brand_events'), 1, 'commerce: every event type is kept');
SELECT is(pg_temp.err('commerce', '{"timestamp": "2022-11-03T20:26:10Z", "data": {}}'),
          'PR422 missing or invalid field: commerce type', 'commerce: no type');
SELECT is(pg_temp.err('commerce', '{"type": {"name": "order.created"}, "data": {}}'),
          'PR422 missing or invalid field: commerce type', 'commerce: type not a string');
SELECT is(pg_temp.err('commerce', '{"type": "order.created", "timestamp": "2022-11-03T20:26:10Z"}'),
          'PR422 missing or invalid field: commerce data (object expected)', 'commerce: no data');
SELECT is(pg_temp.err('commerce', '{"type": "order.created", "data": [1, 2]}'),
          'PR422 missing or invalid field: commerce data (object expected)', 'commerce: data not an object');
SELECT is(pg_temp.err('commerce', '{"type": "order.created", "timestamp": "yesterday", "data": {}}'),
          'PR422 missing or invalid field: commerce timestamp', 'commerce: timestamp not ISO 8601');
SELECT is(pg_temp.err('commerce', '{"type": "order.created", "data": {}}', NULL),
          'PR422 missing or invalid field: commerce webhook-id', 'commerce: no webhook-id');
SELECT is(pg_temp.err('commerce', '{"type": "order.created", "data": {}}', 'msg_1', NULL),
          'PR422 missing or invalid field: commerce account', 'commerce: no account');

----------------------------------------------------------------- Dispatch and privileges
SELECT is(pg_temp.err('x', '{"for_user_id": "1"}', 'd', pg_temp.account('mastodon')),
          format('PR400 account %s is not a x account', pg_temp.account('mastodon')), 'a delivery for another platform''s account');
SELECT results_eq(
  $$SELECT error_state, error_text FROM ingest.try_normalize('wechat', NULL, 'messages', '{}', NULL, now())$$,
  $$VALUES ('PR400', 'unknown wechat endpoint ''messages'' (there are: webhook)')$$, 'push-only platforms know only the webhook endpoint');
\ir lib/sqlstate_as.sql
SELECT is(pg_temp.sqlstate_as('parley_hooks', $$SELECT ingest.normalize_x(NULL, 'webhook', '{"for_user_id": "1"}')$$),
          '42501', 'hooks role may not call a normalizer directly');
SELECT is(pg_temp.sqlstate_as('parley_harvest', $$SELECT ingest.wechat_xml_json('<xml/>')$$), '42501',
          'harvester may not call the WeChat XML reader directly');
SELECT is(pg_temp.sqlstate_as('parley_web', $$SELECT ingest.normalize_commerce(1, 'webhook', '{}', 'm')$$), '42501',
          'web role may not write brand events');

SELECT * FROM finish();
ROLLBACK;
