-- When a follow ends: a complete walk of a followers list (on platforms
-- whose API lists every follower) ends the follows of those not on it; a
-- walk with a page quarantined or passed over ends none; seen again, a
-- follow is open again; the KPI rollup counts the followers lost per day.
BEGIN;
SELECT plan(31);
SET LOCAL client_min_messages = warning;

INSERT INTO social.account (platform, handle, api_base_url, external_id) VALUES ('mastodon', 'tap-fol', 'http://127.0.0.1:9/m', '77');
SELECT id AS acc FROM social.account WHERE handle = 'tap-fol' \gset
INSERT INTO ingest.stream (account_id, kind, next_run_at) VALUES (:acc, 'followers', now() + interval '1 hour');
SELECT id AS st FROM ingest.stream WHERE account_id = :acc \gset

-- pg_temp.page(followers, done): one followers page of the walk, recorded as
-- the harvester does (the lease taken first); returns what record_page says.
-- Each page also lists 20 followers who stay (z01…z20): a walk must read
-- about as many follows as are open to end any.
CREATE FUNCTION pg_temp.page(p_who text[], p_done boolean, p_body text DEFAULT NULL) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute'
  WHERE account_id = (SELECT id FROM social.account WHERE handle = 'tap-fol');
  RETURN ingest.record_page((SELECT s.id FROM ingest.stream s JOIN social.account a ON a.id = s.account_id WHERE a.handle = 'tap-fol'),
    'tap', 'accounts', 'http://127.0.0.1:9/m/api/v1/accounts/77/followers', 200, '{}',
    coalesce(p_body, (SELECT coalesce(json_agg(json_build_object('id', 'tapf-' || w, 'username', w, 'acct', w,
                                                              'display_name', upper(w)))::text, '[]')
                      FROM unnest(p_who || ARRAY(SELECT 'z' || lpad(i::text, 2, '0') FROM generate_series(1, 20) i)) w)),
    CASE WHEN p_done THEN '{}' ELSE jsonb_build_object('max_id', 'after-' || array_to_string(p_who, '-')) END, p_done, NULL, NULL);
END $$;
-- pg_temp.ended(): who no longer follows; pg_temp.earlier(): the walks so far
-- happened an hour ago (one transaction has one now()).
CREATE FUNCTION pg_temp.ended() RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(p.handle, ' ' ORDER BY p.handle), '') FROM social.follower_edge f JOIN social.profile p ON p.id = f.profile_id
  WHERE f.account_id = (SELECT id FROM social.account WHERE handle = 'tap-fol') AND f.unfollowed_at IS NOT NULL
$$;
CREATE FUNCTION pg_temp.earlier() RETURNS void LANGUAGE sql AS $$
  UPDATE social.follower_edge SET first_seen_at = first_seen_at - interval '1 hour', last_seen_at = last_seen_at - interval '1 hour',
                                  unfollowed_at = unfollowed_at - interval '1 hour'
  WHERE account_id = (SELECT id FROM social.account WHERE handle = 'tap-fol')
$$;

-- The first walk: two pages, three followers.
SELECT pg_temp.page(ARRAY['ann', 'bob'], false) IS NULL AS silenced \gset
SELECT is((pg_temp.page(ARRAY['cy'], true)->'counts'->>'unfollows')::integer, 0, 'a first walk ends no follow');
SELECT is((SELECT count(*) FROM social.follower_edge WHERE account_id = :acc AND unfollowed_at IS NULL), 23::bigint, '… 23 follow');
SELECT is((SELECT (run_started_at IS NULL) || ' ' || run_complete FROM ingest.stream WHERE id = :st), 'true true', '… and the run is over');

-- The next walk has no bob.
SELECT pg_temp.earlier() IS NULL AS silenced \gset
SELECT pg_temp.page(ARRAY['ann'], false) IS NULL AS silenced \gset
SELECT is((SELECT (run_started_at = now()) || ' ' || run_complete FROM ingest.stream WHERE id = :st), 'true true',
          'a walk under way knows when it began');
-- (its first page read 10 minutes ago)
UPDATE ingest.stream SET run_started_at = now() - interval '10 minutes' WHERE id = :st;
SELECT is((pg_temp.page(ARRAY['cy'], true)->'counts'->>'unfollows')::integer, 1, 'a complete walk without bob ends one follow');
SELECT is(pg_temp.ended(), 'bob', '… bob''s');
SELECT is((SELECT unfollowed_at FROM social.follower_edge f JOIN social.profile p ON p.id = f.profile_id WHERE p.handle = 'bob'
             AND f.account_id = :acc), now() - interval '10 minutes',
          '… as of the walk''s start (a follow event after it opens the follow again)');

-- The KPI rollup counts the loss on its day.
SELECT kpi.refresh(true) IS NULL AS silenced \gset
SELECT is((SELECT sum(new_followers) || '/' || sum(lost_followers) || '/' || min(followers_net) FILTER (WHERE lost_followers > 0)
           FROM kpi.follower_growth WHERE account_id = :acc), '23/1/22',
          'kpi.follower_growth: 23 new, 1 lost, 22 net after the loss');

-- bob follows again: open again.
SELECT pg_temp.earlier() IS NULL AS silenced \gset
DELETE FROM kpi.stale_day;
SELECT pg_temp.page(ARRAY['ann', 'bob', 'cy'], true) IS NULL AS silenced \gset
SELECT is(pg_temp.ended(), '', 'seen on the list again, bob follows again');
SELECT ok(EXISTS (SELECT FROM kpi.stale_day WHERE at = now() - interval '70 minutes'), '… and the day of his loss is to be counted again');

-- A walk with a page quarantined ends nothing (the page's followers are unknown).
SELECT pg_temp.earlier() IS NULL AS silenced \gset
SELECT pg_temp.page(NULL, false, '{"not": "a list"}') IS NULL AS silenced \gset
SELECT is((pg_temp.page(ARRAY['ann'], true)->'counts'->'unfollows'), NULL, 'a walk with a quarantined page ends no follow');
SELECT is(pg_temp.ended(), '', '… bob and cy still follow');

-- Nor one with a page the platform refused and the walk passed over.
SELECT pg_temp.earlier() IS NULL AS silenced \gset
SELECT pg_temp.page(ARRAY['ann'], false) IS NULL AS silenced \gset
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = :st;
SELECT ingest.record_failure(:st, 'tap', 'client', 'HTTP 404', NULL, '{"max_id": "past-the-refused-page"}', false) IS NULL AS silenced \gset
SELECT is((pg_temp.page(ARRAY['ann'], true)->'counts'->'unfollows'), NULL, 'a walk that passed a page over ends no follow');

-- Nor on a platform whose API lists only some followers (Weibo: the newest 5,000).
UPDATE social.platform SET lists_all_followers = false WHERE code = 'mastodon';
SELECT pg_temp.earlier() IS NULL AS silenced \gset
SELECT is((pg_temp.page(ARRAY['ann'], true)->'counts'->'unfollows'), NULL, 'where the API lists only some followers, a walk ends no follow');
UPDATE social.platform SET lists_all_followers = true WHERE code = 'mastodon';
SELECT is((pg_temp.page(ARRAY['ann'], true)->'counts'->>'unfollows')::integer, 2, 'where it lists every follower again, a complete walk without bob and cy ends theirs');

-- A run found mid-list (a position from before run tracking, or a page
-- whose body was not JSON ending the run where it stood) is not whole.
SELECT pg_temp.earlier() IS NULL AS silenced \gset
UPDATE ingest.stream SET state = '{"max_id": "mid-list"}', run_started_at = NULL, run_complete = true WHERE id = :st;
SELECT is((pg_temp.page(ARRAY['ann'], true)->'counts'->'unfollows'), NULL, 'a run that began mid-list ends no follow');
SELECT pg_temp.earlier() IS NULL AS silenced \gset
SELECT pg_temp.page(ARRAY['ann', 'bob', 'cy'], false) IS NULL AS silenced \gset
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = :st;
SELECT ingest.record_page(:st, 'tap', 'accounts', 'http://127.0.0.1:9/m/api/v1/accounts/77/followers', 200, '{}', '<html>busy</html>',
                          state, true, NULL, NULL) IS NULL AS silenced FROM ingest.stream WHERE id = :st \gset
SELECT is((SELECT (run_started_at IS NOT NULL) || ' ' || run_complete FROM ingest.stream WHERE id = :st), 'true false',
          'a broken page the walk cannot read past keeps the run going, marked incomplete');

-- A client error the walk retries (nothing passed over) leaves the run whole.
UPDATE ingest.stream SET state = '{}', run_started_at = NULL, run_complete = true WHERE id = :st;
SELECT pg_temp.earlier() IS NULL AS silenced \gset
SELECT pg_temp.page(ARRAY['ann'], false) IS NULL AS silenced \gset
UPDATE ingest.stream SET lease_owner = 'tap', lease_until = now() + interval '1 minute' WHERE id = :st;
SELECT ingest.record_failure(:st, 'tap', 'client', 'HTTP 400', NULL, NULL, false) IS NULL AS silenced \gset
SELECT is((SELECT run_complete FROM ingest.stream WHERE id = :st), true, 'a refused page asked again keeps the run whole');

-- A walk far shorter than the platform's own follower count ends nothing.
INSERT INTO social.profile (platform, external_id, handle, follower_count) VALUES ('mastodon', '77', 'tap-fol', 400);
SELECT is((pg_temp.page(ARRAY['cy'], true)->'counts'->'unfollows'), NULL,
          'a walk of 21 followers where the platform counts 400 ends no follow');
-- Where the platform's count is unknown, the follows open before are the measure.
DELETE FROM social.profile WHERE platform = 'mastodon' AND external_id = '77';
UPDATE ingest.stream SET state = '{}', run_started_at = NULL, run_complete = true WHERE id = :st;
SELECT pg_temp.earlier() IS NULL AS silenced \gset
SELECT is((pg_temp.page(ARRAY[]::text[], true)->'counts'->'unfollows'), NULL,
          'a walk of 20 where 23 follow, the count unknown, ends none');
SELECT pg_temp.earlier() IS NULL AS silenced \gset
SELECT is((pg_temp.page(ARRAY['ann', 'bob'], true)->'counts'->>'unfollows')::integer, 1,
          '… one of 22, cy''s, it does');

-- A purge (half the followers gone at once), the count unknown: the first
-- walk is not believed, a second that agrees is.
CREATE TEMP TABLE purge AS SELECT json_agg(json_build_object('id', 'tapf-z' || lpad(i::text, 2, '0'), 'username', 'z' || lpad(i::text, 2, '0'),
                                                             'acct', 'z' || lpad(i::text, 2, '0')))::text AS body
FROM generate_series(1, 10) i;
SELECT pg_temp.earlier() IS NULL AS silenced \gset
SELECT is((pg_temp.page(NULL, true, (SELECT body FROM purge))->'counts'->'unfollows'), NULL,
          'a walk finding 10 of 22 follows, the count unknown, ends none');
SELECT pg_temp.earlier() IS NULL AS silenced \gset
SELECT is((pg_temp.page(NULL, true, (SELECT body FROM purge))->'counts'->>'unfollows')::integer, 12,
          '… the next walk that finds the same 10 ends the other 12');

-- A follow notification harvested late says when the follow happened: one
-- from before the walk that ended it does not reopen it, one from after does,
-- and a new follower counts from the follow's own time.
CREATE FUNCTION pg_temp.notified(p_who text, p_at timestamptz) RETURNS jsonb LANGUAGE sql AS $$
  SELECT ingest.normalize_mastodon((SELECT id FROM social.account WHERE handle = 'tap-fol'), 'notifications',
    jsonb_build_array(jsonb_build_object('id', 'n-' || p_who || extract(epoch FROM p_at), 'type', 'follow', 'created_at', p_at,
                                         'account', jsonb_build_object('id', 'tapf-' || p_who, 'username', p_who, 'acct', p_who))),
    NULL, now() + interval '2 hours')
$$;
SELECT pg_temp.notified('z15', now() - interval '1 hour') IS NULL AS silenced \gset
SELECT ok(pg_temp.ended() LIKE '%z15%', 'a follow notification from before the walk that ended the follow, harvested after it, does not reopen it');
SELECT pg_temp.notified('z16', now() + interval '1 hour') IS NULL AS silenced \gset
SELECT ok(pg_temp.ended() NOT LIKE '%z16%', '… one from after the walk does');
SELECT pg_temp.notified('dee', now() + interval '90 minutes') IS NULL AS silenced \gset
SELECT is((SELECT f.first_seen_at || ' ' || f.last_seen_at FROM social.follower_edge f JOIN social.profile p ON p.id = f.profile_id
           WHERE p.handle = 'dee' AND f.account_id = :acc),
          (now() + interval '90 minutes') || ' ' || (now() + interval '90 minutes'),
          '… and a new follower counts from the notification''s time, not the harvest''s');

-- A late follow event moves a follower's first day back: both days are to
-- be counted again, also when the edge is new and the event already known.
SELECT f.first_seen_at AS ann_first FROM social.follower_edge f JOIN social.profile p ON p.id = f.profile_id
WHERE p.handle = 'ann' AND f.account_id = :acc \gset
DELETE FROM kpi.stale_day;
SELECT pg_temp.notified('ann', now() - interval '5 days') IS NULL AS silenced \gset
SELECT is((SELECT count(*) FROM kpi.stale_day WHERE at IN (:'ann_first', now() - interval '5 days')), 2::bigint,
          'a follow event older than the follower''s first sighting marks the old and the new first day');
SELECT pg_temp.notified('eve', now() - interval '3 days') IS NULL AS silenced \gset
DELETE FROM social.follower_edge WHERE profile_id = (SELECT id FROM social.profile WHERE handle = 'eve');
DELETE FROM kpi.stale_day;
SELECT pg_temp.notified('eve', now() - interval '3 days') IS NULL AS silenced \gset
SELECT ok(EXISTS (SELECT FROM kpi.stale_day WHERE at = date_bin('15 minutes', now() - interval '3 days', TIMESTAMPTZ '2000-01-01 00:00+00')),
          '… and a new edge from an event already stored marks its day');

-- A group of follows (grouped notifications) carries only the most recent
-- follow's time: that follower (z17) follows again, an older one (z18) stays
-- as the walk found it.
SELECT ingest.normalize_mastodon(:acc, 'grouped_notifications', jsonb_build_object(
  'notification_groups', jsonb_build_array(jsonb_build_object(
    'group_key', 'follow-tap', 'notifications_count', 2, 'type', 'follow', 'most_recent_notification_id', 'n-g2',
    'sample_account_ids', jsonb_build_array('tapf-z17', 'tapf-z18'), 'latest_page_notification_at', now() + interval '1 hour')),
  'accounts', (SELECT jsonb_agg(jsonb_build_object('id', 'tapf-' || w, 'username', w, 'acct', w)) FROM unnest(ARRAY['z17', 'z18']) w),
  'statuses', '[]'::jsonb), NULL, now() + interval '2 hours') IS NULL AS silenced \gset
SELECT is((SELECT string_agg(p.handle || ':' || (f.unfollowed_at IS NULL), ' ' ORDER BY p.handle) FROM social.follower_edge f
           JOIN social.profile p ON p.id = f.profile_id WHERE f.account_id = :acc AND p.handle IN ('z17', 'z18')),
          'z17:true z18:false', 'a group of follows reopens only its most recent follower''s follow');

-- A walk whose next page position does not move (the platform handed back the
-- cursor it was given) ends there, and ends no follow: it was not read whole.
UPDATE ingest.stream SET state = '{}', run_started_at = NULL, run_complete = true WHERE id = :st;
SELECT pg_temp.ended() AS ended_before \gset
SELECT pg_temp.page(ARRAY['ann'], false) IS NULL AS silenced \gset
UPDATE ingest.stream SET run_started_at = now() - interval '10 minutes' WHERE id = :st;
SELECT is(pg_temp.page(ARRAY['ann'], false)->>'released', 'true', 'a followers page that leaves the position where it was ends the walk');
SELECT is(pg_temp.ended(), :'ended_before', '… and ends no follow of those it did not read');

SELECT * FROM finish();
ROLLBACK;
