-- Normalizers: recorded platform responses (../shared/fixtures/social, passed
-- in as the setting parley.fixtures) through ingest.store_page. Expected
-- numbers were counted from the fixture JSON itself (jq/python), not taken
-- from the functions' output.
BEGIN;
SELECT plan(97);

-- Exact counts need empty social tables; all of it is rolled back at the end.
SET LOCAL lock_timeout = '10s';
SET LOCAL client_min_messages = warning;
TRUNCATE social.post, social.profile, social.interaction, social.follower_edge, social.engagement_snapshot,
         social.post_edit, ingest.raw_page, ingest.quarantine CASCADE;

CREATE FUNCTION pg_temp.fixture(p_file text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT pg_read_file(current_setting('parley.fixtures') || '/' || p_file)::jsonb
$$;

-- Row counts of everything a normalizer writes.
CREATE FUNCTION pg_temp.social_rows() RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object(
    'posts', (SELECT count(*) FROM social.post), 'profiles', (SELECT count(*) FROM social.profile),
    'interactions', (SELECT count(*) FROM social.interaction), 'edges', (SELECT count(*) FROM social.follower_edge),
    'snapshots', (SELECT count(*) FROM social.engagement_snapshot), 'edits', (SELECT count(*) FROM social.post_edit))
$$;

CREATE FUNCTION pg_temp.post(p_platform text, p_external_id text) RETURNS social.post LANGUAGE sql AS $$
  SELECT * FROM social.post WHERE platform = p_platform AND external_id = p_external_id
$$;

CREATE TEMP TABLE res (name text PRIMARY KEY, r jsonb, before jsonb, after jsonb);
-- Store a page and remember the result and the row counts around it.
CREATE FUNCTION pg_temp.track(p_name text, p_platform text, p_endpoint text, p_url text, p_status integer,
                              p_body text, p_account bigint DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  b jsonb := pg_temp.social_rows();
  v jsonb := ingest.store_page(p_platform, p_endpoint, p_account, p_url, p_status, '{}', p_body);
BEGIN
  INSERT INTO res VALUES (p_name, v, b, pg_temp.social_rows());
END $$;
-- The same for a recorded exchange.
CREATE FUNCTION pg_temp.run(p_name text, p_platform text, p_endpoint text, p_file text, p_account bigint DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
  SELECT pg_temp.track(p_name, p_platform, p_endpoint, f->'request'->>'url', (f->'response'->>'status')::integer,
                       f->'response'->>'body', p_account)
  FROM (SELECT pg_temp.fixture(p_file) AS f) x
$$;
CREATE FUNCTION pg_temp.added(p_name text, p_what text) RETURNS integer LANGUAGE sql AS $$
  SELECT (after->>p_what)::integer - (before->>p_what)::integer FROM res WHERE name = p_name
$$;
CREATE FUNCTION pg_temp.counts(p_name text, p_what text) RETURNS integer LANGUAGE sql AS $$
  SELECT (r->'counts'->>p_what)::integer FROM res WHERE name = p_name
$$;

INSERT INTO social.account (platform, handle) VALUES
  ('mastodon', 'tap_brand@localhost'), ('bluesky', 'tap-chriskenny.bsky.social'),
  ('bluesky', 'tap-bskyr.bsky.social'), ('instagram', 'tap_ikroskun');
CREATE FUNCTION pg_temp.account(p_handle text) RETURNS bigint LANGUAGE sql AS $$
  SELECT id FROM social.account WHERE handle = p_handle
$$;

----------------------------------------------------------------- Mastodon
-- An account's statuses: 5 statuses by one account.
SELECT pg_temp.run('m_statuses', 'mastodon', 'statuses', 'mastodon/test_fetch_next_previous-12.json');
SELECT is(res.r->>'quarantined', 'false', 'mastodon statuses page normalized') FROM res WHERE name = 'm_statuses';
SELECT is(pg_temp.counts('m_statuses', 'posts'), 5, 'statuses page: 5 posts');
SELECT is(pg_temp.counts('m_statuses', 'profiles'), 1, 'statuses page: 1 profile');
SELECT is(pg_temp.added('m_statuses', 'posts'), 5, 'statuses page: 5 post rows');
SELECT is(pg_temp.added('m_statuses', 'profiles'), 1, 'statuses page: 1 profile row');
SELECT is(pg_temp.added('m_statuses', 'snapshots'), 5, 'statuses page: a counter snapshot per post');
SELECT is((pg_temp.post('mastodon', '117020580518794573')).body, 'Toot number 9!', 'status HTML stored as plain text');
SELECT is((SELECT handle || ' ' || display_name || ' ' || bio || ' ' || post_count FROM social.profile
           WHERE platform = 'mastodon' AND external_id = '117020565966271181'),
          'mastodonpy_test John Lennon I walk funny 11', 'profile handle = acct, bio as text, counts');
SELECT is((pg_temp.post('mastodon', '117020580518794573')).visibility, 'unlisted', 'visibility kept');
SELECT is((pg_temp.post('mastodon', '117020580518794573')).metrics, '{"likes": 0, "quotes": 0, "reposts": 0, "replies": 0}'::jsonb,
          'counters kept as metrics');

-- Re-import: nothing new, nothing rewritten.
SELECT pg_temp.run('m_statuses_again', 'mastodon', 'statuses', 'mastodon/test_fetch_next_previous-12.json');
SELECT is(res.after, res.before, 're-importing the statuses page adds zero rows') FROM res WHERE name = 'm_statuses_again';
SELECT is(pg_temp.counts('m_statuses_again', 'posts'), 0, 're-import rewrites no post');
SELECT is((SELECT count(*) FROM ingest.raw_page)::integer, 2, 'both fetches are kept as raw pages');

-- v2 grouped notifications: 5 mentions of the brand by admin, with the statuses.
SELECT pg_temp.run('m_grouped', 'mastodon', 'grouped_notifications', 'mastodon/test_grouped_notification_pagination-12.json',
                   pg_temp.account('tap_brand@localhost'));
SELECT is(pg_temp.added('m_grouped', 'posts'), 5, 'grouped notifications: 5 statuses');
SELECT is(pg_temp.added('m_grouped', 'profiles'), 1, 'grouped notifications: 1 account');
SELECT is(pg_temp.added('m_grouped', 'interactions'), 5, 'grouped notifications: 5 mention interactions');
SELECT is((SELECT array_agg(external_id ORDER BY external_id) FROM social.interaction
           WHERE platform = 'mastodon' AND kind = 'mention'),
          '{38,39,40,41,42}'::text[], 'a group of one keeps the notification id');
SELECT is((SELECT count(*) FROM social.interaction i JOIN social.profile a ON a.id = i.actor_id
           JOIN social.post p ON p.id = i.post_id
           WHERE i.kind = 'mention' AND a.handle = 'admin' AND p.author_id = a.id
             AND i.account_id = pg_temp.account('tap_brand@localhost'))::integer,
          5, 'mentions link actor, status and brand account');
SELECT is((pg_temp.post('mastodon', '117020579970985201')).body, '@mastodonpy_test hey how you doing - 9!',
          'mention markup reduced to text');

-- A group of two favourites: one like per sampled account; fetching the group
-- again (without its time) adds nothing.
SELECT pg_temp.run('m_group_fav', 'mastodon', 'grouped_notifications', 'mastodon/test_grouped_notifications-04.json',
                   pg_temp.account('tap_brand@localhost'));
SELECT is(pg_temp.added('m_group_fav', 'interactions'), 2, 'favourite group of 2: 2 likes');
SELECT is(pg_temp.added('m_group_fav', 'profiles'), 1, 'the one new liker stored (admin was known)');
SELECT pg_temp.run('m_group_fav_again', 'mastodon', 'grouped_notifications', 'mastodon/test_grouped_notifications-05.json',
                   pg_temp.account('tap_brand@localhost'));
SELECT is(pg_temp.added('m_group_fav_again', 'interactions'), 0, 'the same group fetched again adds no like');

-- A reply stored before its parent is linked when the parent arrives.
SELECT pg_temp.run('m_reply', 'mastodon', 'status', 'mastodon/test_status_reply-03.json');
SELECT is((pg_temp.post('mastodon', '117020583258292382')).kind, 'reply', 'in_reply_to_id makes a reply');
SELECT is((pg_temp.post('mastodon', '117020583258292382')).parent_external_id, '117020583245459824', 'parent known by id');
SELECT is((pg_temp.post('mastodon', '117020583258292382')).parent_id, NULL, 'parent not stored yet');
SELECT pg_temp.run('m_parent', 'mastodon', 'status', 'mastodon/test_status_reply-01.json');
SELECT is((pg_temp.post('mastodon', '117020583258292382')).parent_id, (pg_temp.post('mastodon', '117020583245459824')).id,
          'reply linked to its parent once both are stored');

-- A reblog: the reblog is a repost pointing at the reblogged status, also stored.
SELECT pg_temp.run('m_reblog', 'mastodon', 'status', 'mastodon/test_status_reblogged_by-02.json');
SELECT is((pg_temp.post('mastodon', '117020585512776006')).kind, 'repost', 'reblog stored as a repost');
SELECT is((pg_temp.post('mastodon', '117020585512776006')).ref_id, (pg_temp.post('mastodon', '117020585505579935')).id,
          'repost points at the reblogged status');

-- Edit history and tombstone of one status: created, edited (PUT), deleted.
SELECT pg_temp.run('m_created', 'mastodon', 'status', 'mastodon/test_stream_user_direct-05.json');
SELECT pg_temp.run('m_edited', 'mastodon', 'status', 'mastodon/test_stream_user_direct-10.json');
SELECT is((pg_temp.post('mastodon', '117024236332527350')).body, 'only real animals respond.', 'edit updates the body');
SELECT is((pg_temp.post('mastodon', '117024236332527350')).edited_at, '2026-08-02T05:22:24.192Z'::timestamptz, 'edited_at kept');
SELECT results_eq(
  $$SELECT e.edited_at, e.body FROM social.post_edit e JOIN social.post p ON p.id = e.post_id
    WHERE p.external_id = '117024236332527350'$$,
  $$VALUES ('2026-08-02T05:22:24.192Z'::timestamptz, 'only real cars respond.')$$,
  'the replaced body is in the edit history');
SELECT is(pg_temp.added('m_edited', 'posts'), 0, 'an edit adds no post row');
SELECT pg_temp.run('m_stale', 'mastodon', 'status', 'mastodon/test_stream_user_direct-05.json');
SELECT is((pg_temp.post('mastodon', '117024236332527350')).body, 'only real animals respond.',
          'an older copy does not undo the edit');
SELECT is(res.after, res.before, 'an older copy adds nothing') FROM res WHERE name = 'm_stale';
SELECT pg_temp.run('m_deleted', 'mastodon', 'deleted', 'mastodon/test_stream_user_direct-11.json');
SELECT isnt((pg_temp.post('mastodon', '117024236332527350')).deleted_at, NULL, 'DELETE response makes a tombstone');
SELECT is((pg_temp.post('mastodon', '117024236332527350')).body, 'only real animals respond.', 'tombstone keeps the last body');

-- An HTTP error page is kept but not normalized nor quarantined.
SELECT pg_temp.run('m_404', 'mastodon', 'account', 'mastodon/test_account_lookup-02.json');
SELECT is(res.r->>'quarantined', 'false', '404 page is not quarantined') FROM res WHERE name = 'm_404';
SELECT is(res.after, res.before, '404 page adds no social rows') FROM res WHERE name = 'm_404';

----------------------------------------------------------------- Bluesky
-- Followers of an account: subject + 48 followers, 48 follower edges.
SELECT pg_temp.run('b_followers', 'bluesky', 'followers', 'bluesky/g_followers-01.json',
                   pg_temp.account('tap-chriskenny.bsky.social'));
SELECT is(pg_temp.added('b_followers', 'profiles'), 49, 'followers page: subject and 48 followers');
SELECT is(pg_temp.added('b_followers', 'edges'), 48, 'followers page: 48 follower edges');
SELECT is(pg_temp.counts('b_followers', 'follows'), 48, 'followers page reports 48 follows');

-- Author feed: 50 items, 73 distinct posts with the reply parents and roots
-- shown, 19 new authors and reposters, 7 reposts.
SELECT pg_temp.run('b_feed', 'bluesky', 'author_feed', 'bluesky/f_autfeed-01.json');
SELECT is(pg_temp.counts('b_feed', 'posts'), 73, 'author feed: 73 posts');
SELECT is(pg_temp.added('b_feed', 'posts'), 73, 'author feed: 73 post rows');
SELECT is(pg_temp.added('b_feed', 'profiles'), 19, 'author feed: 19 new profiles');
SELECT is(pg_temp.added('b_feed', 'interactions'), 7, 'author feed: 7 reposts');
SELECT is(pg_temp.added('b_feed', 'snapshots'), 73, 'author feed: a snapshot per post');
SELECT results_eq(
  $$SELECT kind, count(*)::integer FROM social.post WHERE platform = 'bluesky' GROUP BY kind ORDER BY kind$$,
  $$VALUES ('post', 27), ('quote', 8), ('reply', 38)$$, 'author feed: kinds of posts');
SELECT is((SELECT count(*)::integer FROM social.post WHERE platform = 'bluesky' AND parent_id IS NOT NULL), 33,
          'replies linked to the 33 parents on the page');
SELECT is((SELECT count(*)::integer FROM social.post WHERE platform = 'bluesky' AND root_id IS NOT NULL), 35,
          'replies linked to the 35 roots on the page');
SELECT pg_temp.run('b_feed_again', 'bluesky', 'author_feed', 'bluesky/f_autfeed-01.json');
SELECT is(res.after, res.before, 're-importing the author feed adds zero rows') FROM res WHERE name = 'b_feed_again';
-- An account added by its handle alone learns its DID from its own feed
-- (else its own posts would count as mentions); another account's feed
-- teaches it nothing.
INSERT INTO social.account (platform, handle, api_base_url) VALUES ('bluesky', 'ChrisKenny.bsky.social', 'http://127.0.0.1:9/b');
SELECT pg_temp.run('b_feed_own', 'bluesky', 'author_feed', 'bluesky/f_autfeed-01.json', pg_temp.account('ChrisKenny.bsky.social'));
SELECT pg_temp.run('b_feed_other', 'bluesky', 'author_feed', 'bluesky/f_autfeed-01.json', pg_temp.account('tap-chriskenny.bsky.social'));
SELECT is((SELECT string_agg(handle || '=' || coalesce(external_id, '-'), ' ' ORDER BY handle) FROM social.account
           WHERE platform = 'bluesky' AND handle ILIKE '%chriskenny.bsky.social'),
          'ChrisKenny.bsky.social=did:plc:wpe35pganb6d4pg4ekmfy6u5 tap-chriskenny.bsky.social=-',
          'an account without its DID learns it from its own feed, by its handle');

-- Search: 25 posts, none seen before, by 18 new authors.
SELECT pg_temp.run('b_search', 'bluesky', 'search', 'bluesky/f_search-01.json');
SELECT is(pg_temp.added('b_search', 'posts'), 25, 'search: 25 posts');
SELECT is(pg_temp.added('b_search', 'profiles'), 18, 'search: 18 new profiles');

-- Thread: one post, no replies.
SELECT pg_temp.run('b_thread', 'bluesky', 'post_thread', 'bluesky/f_postthread-01.json');
SELECT is(pg_temp.added('b_thread', 'posts'), 1, 'thread: 1 post');
SELECT is((pg_temp.post('bluesky', 'at://did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/app.bsky.feed.post/3k7qmjev5lr2s')).url,
          'https://bsky.app/profile/did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/post/3k7qmjev5lr2s', 'post URL from the at:// uri');

-- Notifications: 50 events; the 18 mention/quote posts (one already stored), 26 new people, 17 follows.
SELECT pg_temp.run('b_notif', 'bluesky', 'notifications', 'bluesky/n_notifications-01.json',
                   pg_temp.account('tap-bskyr.bsky.social'));
SELECT is(pg_temp.added('b_notif', 'interactions'), 50, 'notifications: 50 interactions');
SELECT is(pg_temp.added('b_notif', 'posts'), 17, 'notifications: 17 new posts');
SELECT is(pg_temp.added('b_notif', 'profiles'), 26, 'notifications: 26 new profiles');
SELECT is(pg_temp.added('b_notif', 'edges'), 17, 'notifications: 17 follower edges');
SELECT results_eq(
  $$SELECT kind, count(*)::integer FROM social.interaction
    WHERE platform = 'bluesky' AND account_id = pg_temp.account('tap-bskyr.bsky.social') GROUP BY kind ORDER BY kind$$,
  $$VALUES ('follow', 17), ('like', 13), ('mention', 11), ('quote', 7), ('repost', 2)$$,
  'notifications: interactions by kind');

-- A thread node that says the post is gone makes a tombstone.
SELECT is((ingest.store_page('bluesky', 'post_thread', NULL, NULL, 200, '{}',
  '{"thread":{"$type":"app.bsky.feed.defs#notFoundPost","uri":"at://did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/app.bsky.feed.post/3k7qmjev5lr2s","notFound":true}}')
  ->'counts'->>'tombstones')::integer, 1, 'notFoundPost marks the stored post deleted');

----------------------------------------------------------------- Facebook, Instagram
SELECT pg_temp.run('f_feed', 'facebook', 'feed', 'facebook/feed_p1-01.json');
SELECT is(pg_temp.added('f_feed', 'posts'), 5, 'facebook feed: 5 posts');
SELECT is(pg_temp.added('f_feed', 'profiles'), 0, 'facebook feed without from: no profiles');
SELECT is((pg_temp.post('facebook', '2260975870792283_2757016177854914')).created_at, '2021-07-08T22:00:37Z'::timestamptz,
          'Graph time with +0000 offset');

-- Comments without ids: ids, parents and root rebuilt from the permalinks.
SELECT pg_temp.run('f_comments', 'facebook', 'comments', 'facebook/comments_p1-01.json');
SELECT is(pg_temp.added('f_comments', 'posts'), 10, 'facebook comments: 10 comments');
SELECT is((SELECT count(*)::integer FROM social.post WHERE platform = 'facebook' AND kind = 'comment'
           AND root_external_id = '19292868552_10158407654328553'), 10, 'all under the page post');
SELECT is((SELECT count(*)::integer FROM social.post WHERE platform = 'facebook' AND kind = 'comment' AND parent_id IS NOT NULL),
          4, 'the 4 replies are linked to their comments');
SELECT is((pg_temp.post('facebook', '10158407654328553_10158409983033553')).parent_external_id,
          '10158407654328553_10158407903973553', 'reply parent from reply_comment_id');
SELECT pg_temp.run('f_comments_again', 'facebook', 'comments', 'facebook/comments_p1-01.json');
SELECT is(res.after, res.before, 're-importing facebook comments adds zero rows') FROM res WHERE name = 'f_comments_again';

SELECT pg_temp.run('i_tagged', 'instagram', 'media', 'instagram/tagged_medias-01.json');
SELECT is(pg_temp.added('i_tagged', 'posts'), 5, 'instagram tagged media: 5 posts');
SELECT pg_temp.run('i_comments', 'instagram', 'comments', 'instagram/comments_p1-01.json');
SELECT is(pg_temp.added('i_comments', 'posts'), 2, 'instagram comments: 2 comments');
SELECT is((SELECT count(*)::integer FROM social.post c JOIN social.post m ON m.id = c.parent_id AND m.id = c.root_id
           WHERE c.platform = 'instagram' AND c.kind = 'comment' AND m.external_id = '17846368219941692'),
          2, 'comments linked to the media of the request URL');
SELECT pg_temp.run('i_replies', 'instagram', 'replies', 'instagram/replies-01.json');
SELECT is((pg_temp.post('instagram', '17847314687296283')).parent_id, (pg_temp.post('instagram', '17874875428706419')).id,
          'instagram reply linked to its comment');
SELECT pg_temp.run('i_mention', 'instagram', 'mentioned_comment', 'instagram/mentioned_comment-01.json',
                   pg_temp.account('tap_ikroskun'));
SELECT results_eq(
  $$SELECT i.kind, a.handle, p.body FROM social.interaction i JOIN social.profile a ON a.id = i.actor_id
    JOIN social.post p ON p.id = i.post_id WHERE i.platform = 'instagram'$$,
  $$VALUES ('mention', 'ikroskun', '@ikroskun good')$$, 'mentioned comment: a mention by its author');

----------------------------------------------------------------- Quarantine
-- Malformed JSON: quarantined with the error, raw page kept, nothing applied.
SELECT pg_temp.track('q_malformed', 'mastodon', 'statuses', 'http://localhost:3000/api/v1/timelines/home', 200,
                     '{"truncated');
SELECT is(res.r->>'quarantined', 'true', 'malformed body is quarantined') FROM res WHERE name = 'q_malformed';
SELECT is(res.r->>'sqlstate', '22P02', 'with the JSON error state') FROM res WHERE name = 'q_malformed';
SELECT is(res.after, res.before, 'malformed body adds no social rows') FROM res WHERE name = 'q_malformed';
SELECT results_eq(
  $$SELECT p.body, q.sqlstate, q.error = p.error, q.resolved_at IS NULL FROM ingest.quarantine q
    JOIN ingest.raw_page p ON p.id = q.raw_page_id WHERE p.id = (SELECT (r->>'raw_page_id')::bigint FROM res WHERE name = 'q_malformed')$$,
  $$VALUES ('{"truncated', '22P02', true, true)$$, 'raw page kept with its quarantine entry');

-- Shape change: one status of five lacks "account"; none of the page is applied.
SELECT pg_temp.track('q_shape', 'mastodon', 'statuses', f->'request'->>'url', 200,
  (SELECT jsonb_agg(CASE WHEN s->>'id' = '117020580452511285' THEN s - 'account' ELSE s END)::text
   FROM jsonb_array_elements((f->'response'->>'body')::jsonb) s))
FROM (SELECT pg_temp.fixture('mastodon/test_fetch_next_previous-13.json') AS f) x;
SELECT is(res.r->>'quarantined', 'true', 'status without account is quarantined') FROM res WHERE name = 'q_shape';
SELECT is(res.r->>'error', 'missing or invalid field: mastodon status.account (object expected)', 'error names the field')
FROM res WHERE name = 'q_shape';
SELECT is(res.after, res.before, 'the 4 good statuses of that page are not applied either') FROM res WHERE name = 'q_shape';

-- Unknown platform: kept and quarantined.
SELECT pg_temp.track('q_platform', 'myspace', 'feed', NULL, 200, '[]');
SELECT is(res.r->>'error', 'no normalizer for platform ''myspace'' (there are: mastodon, bluesky, facebook, instagram, x, weibo, wechat, commerce)', 'unknown platform quarantined') FROM res WHERE name = 'q_platform';
SELECT is((SELECT count(*)::integer FROM ingest.quarantine WHERE platform = 'myspace'), 1, 'with a quarantine entry');
-- The quarantine page names the kind of fault in the reader's language.
SELECT is((SELECT string_agg(ingest.quarantine_reason(r->>'sqlstate', r->>'error'), ' ' ORDER BY name) FROM res
           WHERE name IN ('q_malformed', 'q_platform', 'q_shape')),
          'err.quarantine_unreadable err.quarantine_target err.quarantine_shape',
          'quarantine reasons: not JSON, no such target, a field missing');
SELECT is((SELECT string_agg(ingest.quarantine_reason(t.error_state, t.error_text), ' ' ORDER BY o)
           FROM (VALUES (1, 'wechat', 'webhook', '<xml><ToUserName>'),
                        (2, 'mastodon', 'statuses', '[{"id": "1", "created_at": "2026-01-01T00:00:00Z", "replies_count": "many",
                                                        "account": {"id": "2", "acct": "a", "username": "a"}}]'),
                        (3, 'mastodon', 'statuses', '[{"id": "1", "created_at": "not a date",
                                                        "account": {"id": "2", "acct": "a", "username": "a"}}]')) v(o, pl, ep, body),
                LATERAL ingest.try_normalize(pl, NULL, ep, body, NULL, now()) t),
          'err.quarantine_unreadable err.quarantine_shape err.quarantine_shape',
          '… XML that is not well-formed is unreadable too; a field that does not read as its type (a count, a date) is a shape fault');

-- Retry after repairing the raw body: applied, entry resolved; a second retry is refused.
UPDATE ingest.raw_page SET body = (SELECT pg_temp.fixture('mastodon/test_fetch_next_previous-13.json')->'response'->>'body')
WHERE id = (SELECT (r->>'raw_page_id')::bigint FROM res WHERE name = 'q_shape');
INSERT INTO res (name, before) VALUES ('q_retry', pg_temp.social_rows());
UPDATE res SET r = (SELECT ingest.retry_quarantined(q.id) FROM ingest.quarantine q
                    WHERE q.raw_page_id = (SELECT (r->>'raw_page_id')::bigint FROM res WHERE name = 'q_shape'))
WHERE name = 'q_retry';
UPDATE res SET after = pg_temp.social_rows() WHERE name = 'q_retry';
SELECT is(res.r->>'quarantined', 'false', 'retry of the repaired page succeeds') FROM res WHERE name = 'q_retry';
SELECT is(pg_temp.added('q_retry', 'posts'), 5, 'retry applies the 5 statuses');
SELECT ok((SELECT resolved_at IS NOT NULL AND retried_at IS NOT NULL FROM ingest.quarantine
           WHERE raw_page_id = (SELECT (r->>'raw_page_id')::bigint FROM res WHERE name = 'q_shape')),
          'quarantine entry resolved');
SELECT throws_ok(
  format('SELECT ingest.retry_quarantined(%s)', (SELECT id FROM ingest.quarantine
         WHERE raw_page_id = (SELECT (r->>'raw_page_id')::bigint FROM res WHERE name = 'q_shape'))),
  'PR409', NULL, 'a resolved page is not retried again');

----------------------------------------------------------------- Privileges
\ir lib/sqlstate_as.sql
SELECT is(pg_temp.sqlstate_as('parley_harvest',
  $$SELECT ingest.store_page('mastodon', 'statuses', NULL, NULL, 200, '{}', '[]')$$), 'ok',
  'harvester may store pages');
SELECT is(pg_temp.sqlstate_as('parley_hooks',
  $$SELECT ingest.store_page('mastodon', 'statuses', NULL, NULL, 200, '{}', '[]')$$), '42501',
  'webhook worker may not store pages (it only stores deliveries, through hooks.accept)');
SELECT is(pg_temp.sqlstate_as('parley_harvest', $$SELECT ingest.normalize_mastodon(NULL, 'statuses', '[]')$$), '42501',
  'harvester may not call a normalizer directly');
SELECT is(pg_temp.sqlstate_as('parley_harvest', $$SELECT count(*) FROM ingest.raw_page$$), '42501',
  'harvester may not read raw pages directly');
SELECT is(pg_temp.sqlstate_as('parley_web', $$SELECT ingest.store_page('mastodon', 'statuses', NULL, NULL, 200, '{}', '[]')$$),
  '42501', 'web role may not store pages');

-- Post cards (json) extended with more members as text: the same document as
-- a jsonb merge, for every stored post, nested objects and quotes included.
SELECT is((SELECT count(*) FROM social.post_card c
           WHERE social.card_with(c.card, json_build_object('rules', '[]'::json, 'note', 'a "quoted" }{ brace'))::jsonb
                 IS DISTINCT FROM c.card::jsonb || jsonb_build_object('rules', '[]'::jsonb, 'note', 'a "quoted" }{ brace')),
          0::bigint, 'card_with adds members exactly as a jsonb merge would');
SELECT cmp_ok((SELECT count(*) FROM social.post_card WHERE card->'author' IS NOT NULL AND json_typeof(card->'author') = 'object'),
              '>', 0::bigint, '… over cards that end in a nested author object');
SELECT throws_ok($$SELECT social.card_with('{}'::json, json_build_object('a', 1))$$, '22P02', NULL,
                 'an empty card is refused, never joined into broken JSON');

SELECT * FROM finish();
ROLLBACK;
