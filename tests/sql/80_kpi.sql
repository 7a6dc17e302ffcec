-- KPIs against a hand-built dataset. Days are Asia/Shanghai days (kpi.freshness.tz);
-- the default SLA calendar is Shanghai, Monday to Friday 09:00-18:00. 2026-03-02 is a Monday.
-- Every expected figure is worked out in the comment next to it.
BEGIN;
SELECT plan(95);
SET LOCAL client_min_messages = warning;
-- pg_temp.sqlstate_of(sql): the SQLSTATE the statement raises, or 'ok'.
CREATE FUNCTION pg_temp.sqlstate_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE p_sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
\ir lib/sqlstate_as.sql

UPDATE kpi.freshness SET tz = 'Asia/Shanghai';
INSERT INTO auth.staff (username, display_name, role, password_hash) VALUES
  ('tap_k1', 'Tap Agent One', 'agent', '$argon2id$x'), ('tap_k2', 'Tap Agent Two', 'agent', '$argon2id$x');
SELECT id AS ag1 FROM auth.staff WHERE username = 'tap_k1' \gset
SELECT id AS ag2 FROM auth.staff WHERE username = 'tap_k2' \gset
INSERT INTO crm.team (name) VALUES ('Tap KPI team') RETURNING id AS team \gset

INSERT INTO social.account (platform, handle, external_id) VALUES ('mastodon', 'tapbrand', 'tap-b1') RETURNING id AS a1 \gset
INSERT INTO social.account (platform, handle, external_id) VALUES ('bluesky', 'tapbrand2', 'tap-b2') RETURNING id AS a2 \gset
INSERT INTO social.profile (platform, external_id, handle, follower_count) VALUES ('mastodon', 'tap-b1', 'tapbrand', 100)
  RETURNING id AS pb1 \gset
INSERT INTO social.profile (platform, external_id, handle) VALUES ('bluesky', 'tap-b2', 'tapbrand2') RETURNING id AS pb2 \gset
INSERT INTO social.profile (platform, external_id, handle) VALUES ('mastodon', 'tap-u1', 'u1') RETURNING id AS u1 \gset
INSERT INTO social.profile (platform, external_id, handle) VALUES ('mastodon', 'tap-u2', 'u2') RETURNING id AS u2 \gset
INSERT INTO social.profile (platform, external_id, handle) VALUES ('bluesky', 'tap-u3', 'u3') RETURNING id AS u3 \gset
INSERT INTO social.profile (platform, external_id, handle) VALUES ('mastodon', 'tap-f1', 'f1'), ('mastodon', 'tap-f2', 'f2'),
  ('mastodon', 'tap-f3', 'f3');

INSERT INTO listen.rule (name, category, expression) VALUES ('Tap brand', 'brand', 'tapbrand') RETURNING id AS rb \gset
INSERT INTO listen.rule (name, category, expression) VALUES ('Tap rival A', 'competitor', 'rivala') RETURNING id AS rc1 \gset
INSERT INTO listen.rule (name, category, expression) VALUES ('Tap rival B', 'competitor', 'rivalb') RETURNING id AS rc2 \gset

-- Posts. m* are customers' mentions, o1 and r* the brand's own posts.
INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, created_at, deleted_at, metrics) VALUES
  ('mastodon', 'tap-o1', :a1, :pb1, 'post',   'our news',         '2026-03-02 09:00+08', NULL, NULL),
  ('mastodon', 'tap-m1', :a1, :u1,  'post',   'tapbrand hello',   '2026-03-02 10:00+08', NULL, NULL),
  ('mastodon', 'tap-m2', :a1, :u2,  'post',   'tapbrand broken',  '2026-03-02 17:30+08', NULL, NULL),
  ('mastodon', 'tap-m3', :a1, :u1,  'post',   'rivala is nice',   '2026-03-01 16:30Z',   NULL, NULL),  -- 03-02 00:30 in Shanghai
  ('mastodon', 'tap-m4', :a1, :u2,  'direct', 'hi, a question',   '2026-03-02 12:00+08', NULL, NULL),
  ('mastodon', 'tap-m5', :a1, :u1,  'post',   'tapbrand deleted', '2026-03-02 11:00+08', '2026-03-02 11:05+08', NULL),
  ('mastodon', 'tap-m7', :a1, :u1,  'post',   'tapbrand rivalb',  '2026-03-03 08:00+08', NULL, NULL),
  ('mastodon', 'tap-rp', :a1, :u2,  'repost', '',                 '2026-03-02 10:00+08', NULL, NULL),   -- a repost: no mention
  ('bluesky',  'tap-m8', :a2, :u3,  'post',   'rivala rivalb',    '2026-03-02 15:00+08', NULL, NULL);
SELECT id AS o1 FROM social.post WHERE external_id = 'tap-o1' \gset
SELECT id AS m1 FROM social.post WHERE external_id = 'tap-m1' \gset
SELECT id AS m2 FROM social.post WHERE external_id = 'tap-m2' \gset
SELECT id AS m3 FROM social.post WHERE external_id = 'tap-m3' \gset
SELECT id AS m4 FROM social.post WHERE external_id = 'tap-m4' \gset
SELECT id AS m5 FROM social.post WHERE external_id = 'tap-m5' \gset
SELECT id AS m7 FROM social.post WHERE external_id = 'tap-m7' \gset
SELECT id AS m8 FROM social.post WHERE external_id = 'tap-m8' \gset
-- m6 replies to the brand's o1; r1, r6, r7 are the brand's replies (harvested).
INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, created_at, parent_id, metrics) VALUES
  ('mastodon', 'tap-m6', :a1, :u2,  'reply', 'when?',      '2026-03-02 13:00+08', :o1, NULL),
  ('mastodon', 'tap-r1', :a1, :pb1, 'reply', 'thanks!',    '2026-03-02 10:30+08', :m1, '{"likes": 2}'),
  ('mastodon', 'tap-r7', :a1, :pb1, 'reply', 'on it',      '2026-03-03 08:30+08', :m7, NULL);
SELECT id AS m6 FROM social.post WHERE external_id = 'tap-m6' \gset
INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, created_at, parent_id) VALUES
  ('mastodon', 'tap-r6', :a1, :pb1, 'reply', 'tomorrow', '2026-03-02 17:00+08', :m6);
-- m2 is answered through the outbox, the next morning.
INSERT INTO ingest.outbox (account_id, in_reply_to, body, state, external_id, sent_at)
VALUES (:a1, :m2, 'sorry, fixing', 'sent', 'tap-out-1', '2026-03-03 09:30+08');

-- Listening scores and matches new posts by itself; replace that with exactly these.
DELETE FROM listen.match WHERE post_id IN (SELECT id FROM social.post WHERE external_id LIKE 'tap-%');
DELETE FROM listen.post_signal WHERE post_id IN (SELECT id FROM social.post WHERE external_id LIKE 'tap-%');
INSERT INTO listen.match (post_id, rule_id) VALUES
  (:m1, :rb), (:m2, :rb), (:m5, :rb), (:m3, :rc1), (:m7, :rb), (:m7, :rc2), (:m8, :rc1), (:m8, :rc2);
INSERT INTO listen.post_signal (post_id, sentiment, label, complaint) VALUES
  (:m1, 0.6, 'positive', false), (:m2, -0.8, 'negative', true), (:m3, 0, 'neutral', false),
  (:m4, -0.4, 'negative', false), (:m8, 0.2, 'positive', false), (:m5, 1, 'positive', false);

INSERT INTO social.interaction (platform, kind, actor_id, post_id, account_id, external_id, occurred_at) VALUES
  ('mastodon', 'like', :u1, :o1, :a1, 'tap-i1', '2026-03-02 10:00+08'),
  ('mastodon', 'like', :u2, :o1, :a1, 'tap-i2', '2026-03-02 10:05+08'),
  ('mastodon', 'follow', :u1, NULL, :a1, 'tap-i3', '2026-03-01 23:00+08');
INSERT INTO social.follower_edge (account_id, profile_id, first_seen_at, last_seen_at)
SELECT :a1, id, t, t FROM (VALUES ('tap-f1', timestamptz '2026-03-02 10:00+08'), ('tap-f2', '2026-03-02 11:00+08'),
                                  ('tap-f3', '2026-03-02 17:00Z')) v(x, t)   -- f3: 03-03 01:00 in Shanghai
JOIN social.profile ON platform = 'mastodon' AND external_id = x;
INSERT INTO social.engagement_snapshot (post_id, taken_at, replies, reposts, likes, quotes) VALUES
  (:o1, '2026-03-02 10:00+08', 1, 1, 5, 0), (:o1, '2026-03-02 20:00+08', 2, 2, 8, 0);

-- Cases: c2 on m2, c7 on m7 (resolved, reopened, resolved again), c9 and c10 open without posts.
INSERT INTO crm."case" (subject, post_id, created_at, team_id, assignee_id) VALUES
  ('m2', :m2, '2026-03-02 17:30+08', :team, :ag1), ('m7', :m7, '2026-03-03 08:00+08', :team, :ag2);
SELECT id AS c2 FROM crm."case" WHERE post_id = :m2 \gset
SELECT id AS c7 FROM crm."case" WHERE post_id = :m7 \gset
INSERT INTO crm."case" (subject, created_at, team_id, assignee_id, first_response_due_at, resolution_due_at)
VALUES ('c9', now() - interval '2 hours', :team, :ag1, now() + interval '1 hour', now() + interval '1 day');
INSERT INTO crm."case" (subject, created_at, team_id, assignee_id) VALUES ('c10', now() - interval '5 days', :team, :ag1);
UPDATE crm."case" SET state = 'pending' WHERE subject = 'c10' AND team_id = :team;
UPDATE crm."case" SET state = 'open', first_response_at = '2026-03-03 09:30+08' WHERE id = :c2;
UPDATE crm."case" SET state = 'resolved' WHERE id = :c2;
UPDATE crm."case" SET resolved_at = '2026-03-03 12:00+08' WHERE id = :c2;
UPDATE crm."case" SET state = 'open', first_response_at = '2026-03-03 08:30+08' WHERE id = :c7;
UPDATE crm."case" SET state = 'resolved' WHERE id = :c7;
UPDATE crm."case" SET state = 'open' WHERE id = :c7;       -- reopened
UPDATE crm."case" SET state = 'resolved' WHERE id = :c7;
UPDATE crm."case" SET resolved_at = '2026-03-04 10:00+08' WHERE id = :c7;

-- Leads: won on m1 (500), lost on m7, qualified on m8.
INSERT INTO crm.contact (name) VALUES ('Tap lead') RETURNING id AS k \gset
INSERT INTO crm.lead (contact_id, post_id, rule_id, account_id, state, value, qualified_at) VALUES
  (:k, :m1, :rb, :a1, 'won', 500, '2026-03-05'), (:k, :m7, :rb, :a1, 'lost', 900, NULL),
  (:k, :m8, :rc1, :a2, 'qualified', 50, '2026-03-05');

SELECT is((kpi.refresh(true))->>'full', 'true', 'a full refresh');

----------------------------------------------------------------- The dashboard's tiles on this data
-- The week 03-01..03-07 (the page's "to" filter), against the figures worked out here:
-- mentions m1 m2 m3 m4 m6 m7 m8 = 7 (m5 deleted, rp a repost, o1 and r* the brand's);
-- needing an answer m1 (brand rule), m2 (case), m4 (DM), m6 (under o1), m7 (case) = 5,
-- answered m1 m2 m6 m7 = 4: 80.0 %; first responses 1800, 57600, 14400, 1800 s: median
-- (1800 + 14400) / 2 = 8100 s = 135.0 min; complaints m2 of scored m1 m2 m3 m4 m8: 20.0 %;
-- won leads: m1's = 1; new followers f1 f2 (03-02) f3 (03-03) = 3; the week before: nothing.
SELECT count(auth.user_add('tap_kpi', 'Tap Kpi', 'analyst', '$argon2id$v=19$m=19456,t=2,p=1$x$y'));
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-tap_kpi', 'UTF8')), id, 'csrf' FROM auth.staff WHERE username = 'tap_kpi';
SELECT set_config('parley.session', 'tok-tap_kpi', true);
SELECT is((SELECT string_agg(k || '=' || coalesce(d->'kpi'->k->>'value', '-'), ' ' ORDER BY o)
           FROM (SELECT api.dashboard('{"period": "7", "to": "2026-03-07"}')::jsonb) x(d),
                unnest(ARRAY['mentions', 'response_rate', 'response_minutes', 'complaint_share', 'leads_won',
                             'new_followers', 'net_new_followers']) WITH ORDINALITY y(k, o)),
          'mentions=7 response_rate=80.0 response_minutes=135.0 complaint_share=20.0 leads_won=1 new_followers=3 net_new_followers=3',
          'every dashboard tile of the week to 03-07');
SELECT is((SELECT string_agg(coalesce(d->'kpi'->k->>'previous', '-'), ' ')
           FROM (SELECT api.dashboard('{"period": "7", "to": "2026-03-07"}')::jsonb) x(d),
                unnest(ARRAY['mentions', 'response_rate', 'new_followers']) k),
          '0 - -', '… against an empty week before (no mentions counted there; no rate of nothing, no followers heard)');
SELECT is((SELECT string_agg(pf || ':' || coalesce(d->'kpi'->'complaint_share'->>'value', '-') || ' '
                             || (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(d->'charts') k) || ' ' || (d->'filters'->>'scoped'),
                             ' | ' ORDER BY o)
           FROM unnest(ARRAY['', 'mastodon']) WITH ORDINALITY y(pf, o),
                LATERAL (SELECT api.dashboard(jsonb_build_object('period', '7', 'to', '2026-03-07', 'platform', pf))::jsonb) x(d)),
          ':20.0 backlog,leads,response,sentiment,voice,volume false | mastodon:- backlog,leads,response,volume true',
          'the brand-wide figures (complaint share, sentiment, share of voice) are left out for one platform, and the page says so');
SELECT throws_ok($$SELECT api.dashboard_export('{"chart": "sentiment", "platform": "mastodon"}')$$, 'PR422', NULL,
                 'the brand-wide sentiment series is not exported as if it were one platform''s');
SELECT is((SELECT d->'kpi'->'mentions'->>'link' || ' ' || (d->'kpi'->'response_rate'->>'link')
           FROM (SELECT api.dashboard('{"period": "7", "to": "2026-03-07", "platform": "mastodon"}')::jsonb) x(d)),
          '/inbox?platform=mastodon /inbox?answered=no&platform=mastodon', 'a tile''s inbox link keeps the platform chosen');
-- f2 unfollows on 03-04: three new followers, two net; none on Bluesky.
UPDATE social.follower_edge SET unfollowed_at = '2026-03-04 12:00+08'
WHERE account_id = :a1 AND profile_id = (SELECT id FROM social.profile WHERE platform = 'mastodon' AND external_id = 'tap-f2');
SELECT kpi.refresh() IS NULL AS silenced \gset
SELECT is((SELECT string_agg(coalesce(d->'kpi'->'new_followers'->>'value', '-') || '/' || coalesce(d->'kpi'->'net_new_followers'->>'value', '-')
                             || ' won ' || coalesce(d->'kpi'->'leads_won'->>'value', '-') || '/'
                             || (SELECT b->>'value' FROM jsonb_array_elements(d->'charts'->'leads'->'bars') b WHERE b->>'label' = 'won'),
                             ', ' ORDER BY o)
           FROM unnest(ARRAY['', 'mastodon', 'bluesky']) WITH ORDINALITY y(pf, o),
                LATERAL (SELECT api.dashboard(jsonb_build_object('period', '7', 'to', '2026-03-07', 'platform', pf))::jsonb) x(d)),
          '3/2 won 1/1, 3/2 won 1/1, -/- won 0/0',
          'the follower tiles (new, and net of an unfollow) and leads won (tile and funnel) for all platforms, Mastodon and Bluesky');
SELECT is((SELECT (SELECT b->>'value' FROM jsonb_array_elements(d->'charts'->'leads'->'bars') b WHERE b->>'label' = 'mentions')
                  || ' ' || (d->'kpi'->'mentions'->>'value')
           FROM (SELECT api.dashboard('{"period": "7", "to": "2026-03-07"}')::jsonb) x(d)),
          '7 7', 'the funnel starts from the inbound mentions as the tile counts them (not once per rule a post matched)');
SELECT is((SELECT string_agg(api.dashboard(x)->'filters'->>'backlog_now', ' ') FROM unnest(ARRAY['{"to": "2026-03-07"}', '{}']::jsonb[]) x),
          'true false', 'a period ending before today says the backlog is of now');
SELECT is((SELECT (d->'kpi'->'mentions'->>'value') || '/' || (d->'kpi'->'leads_won'->>'value') || ' funnel '
                  || (SELECT string_agg(b->>'value', '/') FROM jsonb_array_elements(d->'charts'->'leads'->'bars') b)
                  || ' rate ' || coalesce(d->'kpi'->'response_rate'->>'value', '-')
           FROM (SELECT api.dashboard('{"period": "7", "to": "2025-03-07"}')::jsonb) x(d)),
          '0/0 funnel 0/0/0/0 rate -', 'a week with nothing counted: mentions and leads won are 0 on the tiles as in the funnel; a rate over nothing is unknown');
-- None of the week's mentions answered: the response chart is a line at 0 %, not "no data".
UPDATE kpi.response_daily SET answered = 0 WHERE day BETWEEN '2026-03-01' AND '2026-03-07';
SELECT is((SELECT (d->'charts'->'response'->>'empty') || ' ' || (d->'kpi'->'response_rate'->>'value')
           FROM (SELECT api.dashboard('{"period": "7", "to": "2026-03-07"}')::jsonb) x(d)),
          'false 0.0', 'a response rate of 0 % is drawn, not taken for an empty chart');
SELECT kpi.refresh(true) IS NULL AS silenced \gset
SELECT is((SELECT (d->'filters'->>'team_only') FROM (SELECT api.dashboard(jsonb_build_object('period', '7', 'team', (SELECT min(id) FROM crm.team)))::jsonb) x(d)),
          'true', 'a team chosen: the page says the team filter applies to the backlog alone');
UPDATE social.follower_edge SET unfollowed_at = NULL
WHERE account_id = :a1 AND profile_id = (SELECT id FROM social.profile WHERE platform = 'mastodon' AND external_id = 'tap-f2');
SELECT kpi.refresh() IS NULL AS silenced \gset
SELECT is((SELECT string_agg(e->>'label' || ':' || (e->>'value'), ' ' ORDER BY e->>'label')
           FROM jsonb_array_elements(api.dashboard('{"period": "7", "to": "2026-03-07"}')::jsonb->'charts'->'volume'->'dots') e
           WHERE (e->>'value')::numeric > 0),
          '2026-03-02:6 2026-03-03:1', 'the volume chart: six mentions on 03-02 (m3 is 03-02 in Shanghai), m7 on 03-03');
SELECT throws_ok($$SELECT api.dashboard('{"to": "2026-02-30"}')$$, 'PR422', 'The end date must be a day like 2026-03-31.',
                 'an impossible end date is refused');
SELECT throws_ok($$SELECT api.dashboard('{"to": "2999-01-01"}')$$, 'PR422', 'The end date cannot be after today.',
                 'so is one in the future');
SELECT is((SELECT string_agg(v || '=' || pg_temp.sqlstate_of(format('SELECT api.dashboard(%L)', jsonb_build_object('to', v))), ' ' ORDER BY o)
           FROM unnest(ARRAY['-infinity', 'infinity', 'today', 'epoch', '20261205', '1999-12-31', '2026-03-07 ', '2026-03-07']) WITH ORDINALITY x(v, o)),
          '-infinity=PR422 infinity=PR422 today=PR422 epoch=PR422 20261205=PR422 1999-12-31=PR422 2026-03-07 =PR422 2026-03-07=ok',
          'only a plain date from 2000 on is an end date (-infinity made a day series without end)');

----------------------------------------------------------------- Mentions and volume
SELECT is((SELECT count(*) FROM kpi.mention_fact WHERE post_id IN (:m5, :o1, :m1) OR platform = 'mastodon' AND kind = 'repost' AND account_id = :a1),
          1::bigint, 'deleted posts, own posts and reposts are no mentions (m1 only)');
-- 03-02 mastodon: m1, m2, m3 (00:30 local), m4, m6 = 5; own: o1, r1, r6 = 3; interactions: two likes = 2
SELECT is((SELECT (mentions, own_posts, interactions)::text FROM kpi.volume_daily
           WHERE day = '2026-03-02' AND account_id = :a1 AND category = 'all'), '(5,3,2)', 'volume 03-02, mastodon, all');
SELECT is((SELECT string_agg(category || '=' || mentions, ' ' ORDER BY category) FROM kpi.volume_daily
           WHERE day = '2026-03-02' AND account_id = :a1 AND category <> 'all'), 'brand=2 competitor=1 none=2',
          '03-02 by category: brand m1 m2, competitor m3, none m4 m6');
SELECT is((SELECT (mentions, own_posts, interactions)::text FROM kpi.volume_daily
           WHERE day = '2026-03-01' AND account_id = :a1 AND category = 'all'), '(0,0,1)',
          '03-01: only the follow at 23:00 local (m3 at 16:30Z is already 03-02 in Shanghai)');
SELECT is((SELECT string_agg(category || '=' || mentions, ' ' ORDER BY category) FROM kpi.volume_daily
           WHERE day = '2026-03-03' AND account_id = :a1), 'all=1 brand=1 competitor=1', '03-03: m7 under brand and competitor, once under all');
SELECT is((SELECT string_agg(category || '=' || mentions, ' ' ORDER BY category) FROM kpi.volume_daily
           WHERE day = '2026-03-02' AND account_id = :a2), 'all=1 competitor=1', 'bluesky 03-02: m8 once for two competitor rules');

----------------------------------------------------------------- Response rate and time
-- needing an answer on 03-02: m1 (brand rule), m2 (case), m4 (direct), m6 (reply to o1); not m3 (competitor only)
-- answered: m1 (r1), m2 (outbox), m6 (r6) -> 3 of 4
SELECT is((SELECT (mentions, needing_answer, answered, response_rate)::text FROM kpi.response_daily
           WHERE day = '2026-03-02' AND account_id = :a1), '(5,4,3,0.7500)', 'response rate 03-02: 3 of 4');
-- calendar: m1 1800 (10:00-10:30), m6 14400 (13:00-17:00), m2 57600 (17:30 to 09:30 next day)
-- median 14400; p90 = 14400 + 0.8 * (57600 - 14400) = 48960
SELECT is((SELECT (response_median_s, response_p90_s)::text FROM kpi.response_daily
           WHERE day = '2026-03-02' AND account_id = :a1), '(14400,48960)', 'response time median and p90, calendar');
-- business: m1 1800, m2 1800 (17:30-18:00) + 1800 (09:00-09:30) = 3600, m6 14400
-- median 3600; p90 = 3600 + 0.8 * (14400 - 3600) = 12240
SELECT is((SELECT (response_business_median_s, response_business_p90_s)::text FROM kpi.response_daily
           WHERE day = '2026-03-02' AND account_id = :a1), '(3600,12240)', 'response time median and p90, business hours');
-- m7 at 08:00, answered 08:30: 1800 s on the clock, 0 business seconds (before opening)
SELECT is((SELECT (needing_answer, answered, response_rate, response_median_s, response_business_median_s)::text
           FROM kpi.response_daily WHERE day = '2026-03-03' AND account_id = :a1), '(1,1,1.0000,1800,0)',
          'an answer before opening hours takes no business time');
SELECT is((SELECT (needing_answer, answered, response_rate)::text FROM kpi.response_daily
           WHERE day = '2026-03-02' AND account_id = :a2), '(0,0,)', 'competitor chatter needs no answer: no rate');
-- feedback cycle: m2 17:30 03-02 to max(resolved 12:00 03-03, answered 09:30 03-03) = 18.5 h = 66600
SELECT is((SELECT (cases_closed_loop, feedback_median_s, feedback_p90_s)::text FROM kpi.response_daily
           WHERE day = '2026-03-02' AND account_id = :a1), '(1,66600,66600)', 'feedback cycle 03-02');
-- m7 08:00 03-03 to its final resolution 10:00 03-04 (reopened in between) = 26 h = 93600
SELECT is((SELECT feedback_median_s FROM kpi.response_daily WHERE day = '2026-03-03' AND account_id = :a1),
          93600::double precision, 'feedback cycle of a reopened case runs to its last resolution');

----------------------------------------------------------------- Sentiment and share of voice
-- 03-02 mentions: m1 m2 m3 m4 m6 m8 = 6; scored 5 (m6 not): + m1 m8, = m3, - m2 m4 (deleted m5 ignored)
-- mean (0.6 - 0.8 + 0 - 0.4 + 0.2) / 5 = -0.08; complaints 1 of 6 mentions = 0.1667
SELECT is((SELECT (scored, positive, neutral, negative, round(mean_score::numeric, 4), complaints, complaint_share)::text
           FROM kpi.sentiment_daily WHERE day = '2026-03-02'), '(5,2,1,2,-0.0800,1,0.1667)', 'sentiment 03-02');
-- 03-02: brand m1 m2 = 2, rival A m3 m8 = 2, rival B m8 = 1; of 5: 0.4, 0.4, 0.2
SELECT is((SELECT string_agg(rule_name || ':' || matches || '/' || brand_matches || '=' || share, ' ' ORDER BY rule_name)
           FROM kpi.share_of_voice_daily WHERE day = '2026-03-02' AND rule_id IN (:rb, :rc1, :rc2)),
          'Tap brand:2/2=0.4000 Tap rival A:2/2=0.4000 Tap rival B:1/2=0.2000', 'share of voice 03-02');
SELECT is((SELECT string_agg(rule_name || '=' || share, ' ' ORDER BY rule_name) FROM kpi.share_of_voice_daily
           WHERE day = '2026-03-03'), 'Tap brand=0.5000 Tap rival B=0.5000', 'share of voice 03-03: m7 for both');

----------------------------------------------------------------- Audience
SELECT is((SELECT string_agg(day || ':' || new_followers || '/' || followers_seen, ' ' ORDER BY day) FROM kpi.follower_growth
           WHERE account_id = :a1), '2026-03-02:2/2 2026-03-03:1/3', 'follower growth: f3 at 17:00Z is 03-03 in Shanghai');
-- own posts 03-02: o1 (latest snapshot 2+2+8 = 12), r1 (metrics: 2 likes), r6 (0) = 14 over 3 posts and 100 followers
SELECT is((SELECT (posts, engagements, followers, engagement_rate)::text FROM kpi.engagement_daily
           WHERE day = '2026-03-02' AND account_id = :a1), '(3,14,100,0.046667)', 'engagement rate per account and day');
SELECT is((SELECT (engagements, engagement_rate)::text FROM kpi.post_engagement WHERE post_id = :o1), '(12,0.120000)',
          'engagement rate per post: the latest snapshot, per follower');

----------------------------------------------------------------- SLA and backlog
-- c2: first response 09:30 03-03 = due (60 business min from 17:30), resolved 12:00 before due 16:30: no breach
-- c7: first response 08:30 before due 10:00; resolution due 17:00 03-03, resolved 10:00 03-04: resolution breach
-- c9: due in the future; c10 opened 5 days ago and still pending: both targets missed
SELECT is((SELECT (sum(cases), sum(first_response_breaches), sum(resolution_breaches))::text FROM kpi.sla_breaches
           WHERE team_id = :team), '(4,1,2)', 'SLA breaches of the team');
SELECT is((SELECT string_agg(agent_id || ':' || c || '/' || f || '/' || r, ' ' ORDER BY agent_id) FROM (
             SELECT agent_id, sum(cases) c, sum(first_response_breaches) f, sum(resolution_breaches) r
             FROM kpi.sla_breaches WHERE team_id = :team GROUP BY agent_id) x),
          format('%s:3/1/1 %s:1/0/1', :ag1, :ag2), 'SLA breaches per agent');
SELECT is((SELECT (day, cases, resolution_breaches)::text FROM kpi.sla_breaches WHERE team_id = :team AND agent_id = :ag2),
          '(2026-03-03,1,1)', 'c7 counts on the day it opened');
SELECT is((SELECT string_agg(bucket || '=' || open_cases, ' ' ORDER BY bucket_order) FROM kpi.backlog WHERE team_id = :team),
          '1-4h=1 3-7d=1', 'backlog by age: c9 2 hours, c10 5 days; resolved cases are not backlog');

----------------------------------------------------------------- Leads
-- Tap brand on mastodon: mentions m1 m2 m7 = 3; leads on m1 (won 500) and m7 (lost); qualified 1 (the won one)
SELECT is((SELECT (mentions, leads, qualified, won, lost, won_value, lead_rate, win_rate)::text FROM kpi.lead_conversion
           WHERE rule_id = :rb AND account_id = :a1), '(3,2,1,1,1,500.00,0.6667,0.5000)', 'lead conversion of the brand rule');
SELECT is((SELECT (mentions, leads, qualified, won, lost)::text FROM kpi.lead_conversion
           WHERE rule_id = :rc1 AND account_id = :a2), '(1,1,1,0,0)', 'rival A on bluesky: m8 became a qualified lead');
SELECT is((SELECT (mentions, leads)::text FROM kpi.lead_conversion WHERE rule_id = :rc2 AND account_id = :a1), '(1,0)',
          'rival B on mastodon: m7, no lead of its own');

----------------------------------------------------------------- Incremental refresh
-- Pretend the last refresh ran 20 minutes from now: nothing above is "new".
UPDATE kpi.freshness SET refreshed_at = now() + interval '20 minutes';
SELECT is((kpi.refresh())->>'days', '0', 'nothing changed: no day recomputed');
UPDATE kpi.freshness SET refreshed_at = now() + interval '20 minutes';
-- The brand answers the DM m4 (12:00) at 13:00: only 03-02 is recomputed.
INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, created_at, parent_id, updated_at)
VALUES ('mastodon', 'tap-r4', :a1, :pb1, 'direct', 'hello!', '2026-03-02 13:00+08', :m4, now() + interval '15 minutes');
-- A change that carries no newer timestamp is not seen by an incremental refresh (03-03 stays as it was).
INSERT INTO listen.post_signal (post_id, sentiment, label, scored_at) VALUES (:m7, -0.5, 'negative', '2026-01-01');
SELECT is((kpi.refresh())->>'days', '1', 'one touched day recomputed');
-- answered 4 of 4; calendar 1800, 3600, 14400, 57600: median 9000, p90 = 14400 + 0.7 * 43200 = 44640
SELECT is((SELECT (answered, response_rate, response_median_s, response_p90_s)::text FROM kpi.response_daily
           WHERE day = '2026-03-02' AND account_id = :a1), '(4,1.0000,9000,44640)', 'the new answer counts');
SELECT is((SELECT (mentions, own_posts)::text FROM kpi.volume_daily WHERE day = '2026-03-02' AND account_id = :a1
           AND category = 'all'), '(5,4)', '…and the reply is an own post');
SELECT is((SELECT count(*) FROM kpi.response_daily WHERE day = '2026-03-03' AND account_id = :a1), 1::bigint,
          'other days keep their rows');
SELECT is((SELECT negative FROM kpi.sentiment_daily WHERE day = '2026-03-03'), 0::bigint, 'untouched day not recomputed');
SELECT is((kpi.refresh(true))->>'full', 'true', 'a full refresh…');
SELECT is((SELECT negative FROM kpi.sentiment_daily WHERE day = '2026-03-03'), 1::bigint, '…recomputes every day');
SELECT is((SELECT (response_rate, response_median_s)::text FROM kpi.response_daily WHERE day = '2026-03-02' AND account_id = :a1),
          '(1.0000,9000)', '…to the same figures');
-- Deletions and re-categorisations carry no newer timestamp: they note their days as stale
-- (the watermark moves past the reply inserted above, 15 minutes ahead).
UPDATE kpi.freshness SET refreshed_at = now() + interval '30 minutes';
DELETE FROM listen.match WHERE post_id = :m7 AND rule_id = :rc2;
SELECT is((kpi.refresh())->>'days', '1', 'a removed match marks its day stale…');
SELECT is((SELECT string_agg(category || '=' || mentions, ' ' ORDER BY category) FROM kpi.volume_daily
           WHERE day = '2026-03-03' AND account_id = :a1), 'all=1 brand=1', '…and 03-03 loses the competitor match');
UPDATE kpi.freshness SET refreshed_at = now() + interval '30 minutes';
UPDATE listen.rule SET category = 'product' WHERE id = :rb;
SELECT is((kpi.refresh())->>'days',
          (SELECT count(DISTINCT (q.created_at AT TIME ZONE 'Asia/Shanghai')::date)::text FROM listen.match m
           JOIN social.post q ON q.id = m.post_id WHERE m.rule_id = :rb),
          'a rule moved to another category marks the days of its matches');
SELECT is((SELECT string_agg(category || '=' || mentions, ' ' ORDER BY category) FROM kpi.volume_daily
           WHERE day = '2026-03-03' AND account_id = :a1), 'all=1 product=1', '…and counts them under the new one');
UPDATE kpi.freshness SET refreshed_at = now() + interval '30 minutes';
DELETE FROM social.post WHERE id = :m7;
SELECT is((kpi.refresh())->>'days', '1', 'a hard-deleted post marks its day stale…');
SELECT is((SELECT count(*) FROM kpi.volume_daily WHERE day = '2026-03-03' AND account_id = :a1 AND mentions > 0), 0::bigint,
          '…and its mention is no longer counted');
SELECT is((SELECT count(*) FROM kpi.stale_day), 0::bigint, 'a refresh consumes the stale days');
-- New interactions note their days as they are inserted (no watermark involved).
UPDATE kpi.freshness SET refreshed_at = now() + interval '30 minutes';
INSERT INTO social.interaction (platform, kind, actor_id, account_id, external_id, occurred_at)
VALUES ('mastodon', 'like', :u1, :a1, 'tap-i-late1', '2026-03-03 23:50+08'), ('mastodon', 'like', :u2, :a1, 'tap-i-late2', '2026-03-03 23:55+08');
SELECT is((SELECT string_agg(to_char(at AT TIME ZONE 'Asia/Shanghai', 'MM-DD HH24:MI'), ' ') FROM kpi.stale_day), '03-03 23:45',
          'an insert of interactions notes the quarter-hours it touched, once');
SELECT volume_interactions AS before_late FROM (SELECT coalesce(sum(interactions), 0) AS volume_interactions FROM kpi.volume_daily
  WHERE day = '2026-03-03' AND account_id = :a1) x \gset
SELECT is((kpi.refresh())->>'days', '1', 'the next refresh recomputes that day…');
SELECT is((SELECT sum(interactions) FROM kpi.volume_daily WHERE day = '2026-03-03' AND account_id = :a1), :before_late + 2::numeric,
          '…and counts the two interactions');
-- An incremental refresh that sees every change of this transaction (its
-- watermark, 10 minutes before refreshed_at, a second before now()) leaves
-- every rollup row as a full refresh computes it.
UPDATE kpi.freshness SET refreshed_at = now() + interval '10 minutes' - interval '1 second';
SELECT kpi.refresh() AS incremental \gset
SELECT ok((:'incremental'::jsonb->>'days')::integer BETWEEN 1 AND 7, 'it recomputes a few days (index lookups, no hashing)');
CREATE TEMP TABLE kpi_rows AS
SELECT 'mention_fact' AS t, f::text AS r FROM kpi.mention_fact f UNION ALL SELECT 'volume', v::text FROM kpi.volume_daily v
UNION ALL SELECT 'response', x::text FROM kpi.response_daily x UNION ALL SELECT 'sentiment', x::text FROM kpi.sentiment_daily x
UNION ALL SELECT 'voice', x::text FROM kpi.share_of_voice_daily x UNION ALL SELECT 'followers', x::text FROM kpi.follower_daily x
UNION ALL SELECT 'engagement', x::text FROM kpi.engagement_daily x UNION ALL SELECT 'leads', x::text FROM kpi.lead_daily x
UNION ALL SELECT 'hist', x::text FROM kpi.response_hist x;
SELECT kpi.refresh(true) AS full_again \gset
SELECT set_eq('SELECT * FROM kpi_rows',
  $$SELECT 'mention_fact', f::text FROM kpi.mention_fact f UNION ALL SELECT 'volume', v::text FROM kpi.volume_daily v
    UNION ALL SELECT 'response', x::text FROM kpi.response_daily x UNION ALL SELECT 'sentiment', x::text FROM kpi.sentiment_daily x
    UNION ALL SELECT 'voice', x::text FROM kpi.share_of_voice_daily x UNION ALL SELECT 'followers', x::text FROM kpi.follower_daily x
    UNION ALL SELECT 'engagement', x::text FROM kpi.engagement_daily x UNION ALL SELECT 'leads', x::text FROM kpi.lead_daily x
    UNION ALL SELECT 'hist', x::text FROM kpi.response_hist x$$,
  'an incremental refresh computes every rollup row as a full one does');

-- Window percentiles from the buckets are exactly percentile_cont over the
-- facts: generated response times (ties, zero, negative, long tail) over
-- nine days, two accounts and three platforms, bucketed as kpi.refresh does.
INSERT INTO kpi.mention_fact (post_id, day, created_at, account_id, platform, kind, needs_answer, response_seconds)
SELECT -i, DATE '2031-01-01' + i % 9, now(), CASE WHEN i % 7 = 0 THEN NULL ELSE 1 + i % 2 END,
       (ARRAY['mastodon', 'x', 'weibo'])[1 + i % 3], 'post', true,
       CASE WHEN i % 11 = 0 THEN -5 WHEN i % 13 = 0 THEN 0 WHEN i % 17 = 0 THEN 86400 * 40
            ELSE (hashint4(i) & 65535)::bigint * (1 + i % 4) END
FROM generate_series(1, 5000) i;
INSERT INTO kpi.response_hist
SELECT day, account_id, platform, kpi.response_bucket(response_seconds), count(*), min(response_seconds), max(response_seconds)
FROM kpi.mention_fact WHERE day >= '2031-01-01' GROUP BY 1, 2, 3, 4;
CREATE TEMP TABLE pct_case AS
SELECT a, b, acc, plat, q FROM (VALUES (DATE '2031-01-01', DATE '2031-01-09'), ('2031-01-03', '2031-01-03'),
                                       ('2031-01-02', '2031-01-06')) w(a, b),
  (VALUES (NULL::bigint), (2)) acc(acc), (VALUES (NULL::text), ('weibo')) plat(plat),
  unnest(ARRAY[0, 0.1, 0.25, 0.33, 0.5, 0.75, 0.9, 1]) q;
SELECT is((SELECT count(*) FROM pct_case
           WHERE kpi.response_percentile(a, b, acc, plat, q) IS DISTINCT FROM
                 (SELECT percentile_cont(q) WITHIN GROUP (ORDER BY m.response_seconds) FROM kpi.mention_fact m
                  WHERE m.day BETWEEN a AND b AND (acc IS NULL OR m.account_id = acc) AND (plat IS NULL OR m.platform = plat))),
          0::bigint, 'kpi.response_percentile equals percentile_cont for every window, filter and fraction tried');
SELECT cmp_ok((SELECT count(DISTINCT kpi.response_percentile(a, b, acc, plat, q)) FROM pct_case), '>', 15::bigint,
              '…which give many different answers');
SELECT cmp_ok((SELECT count(*) FROM pct_case, LATERAL (
                 SELECT array_agg(m.response_seconds ORDER BY m.response_seconds) v FROM kpi.mention_fact m
                 WHERE m.day BETWEEN a AND b AND (acc IS NULL OR m.account_id = acc) AND (plat IS NULL OR m.platform = plat)) s,
                 LATERAL (SELECT floor(q * (cardinality(v) - 1))::integer + 1 AS r) k
               WHERE q * (cardinality(v) - 1) > k.r - 1 AND kpi.response_bucket(v[k.r]) <> kpi.response_bucket(v[k.r + 1])),
              '>', 0::bigint, '…including ranks to interpolate between that lie in two buckets');
SELECT is(kpi.response_percentile('2032-01-01', '2032-01-31', NULL, NULL, 0.5), NULL, 'no facts in the window: no median');

----------------------------------------------------------------- Privileges
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'kpi' AND c.relkind IN ('r', 'v', 'm', 'p')
             AND NOT has_table_privilege('parley_bi', c.oid, 'SELECT')), 0::bigint, 'parley_bi may read every kpi relation');
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'kpi' AND c.relkind IN ('r', 'v', 'm', 'p')
             AND has_table_privilege('parley_bi', c.oid, 'INSERT,UPDATE,DELETE,TRUNCATE')), 0::bigint,
          '…and write none');
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'kpi' AND c.relkind IN ('r', 'v', 'm', 'p')
             AND pg_temp.sqlstate_as('parley_bi', format('SELECT * FROM %I.%I LIMIT 1', n.nspname, c.relname)) <> 'ok'),
          0::bigint, 'parley_bi runs SELECT on every kpi relation (views need no EXECUTE or USAGE elsewhere)');
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('social', 'crm', 'ingest', 'auth', 'listen') AND c.relkind IN ('r', 'v', 'm', 'p')
             AND has_table_privilege('parley_bi', c.oid, 'SELECT')), 0::bigint,
          'parley_bi reads nothing in social, crm, ingest, auth, listen');
SELECT is(pg_temp.sqlstate_as('parley_bi', 'SELECT * FROM crm."case"'), '42501', 'parley_bi cannot read crm cases');
SELECT is(pg_temp.sqlstate_as('parley_bi', 'SELECT * FROM social.post'), '42501', 'parley_bi cannot read posts');
SELECT is(pg_temp.sqlstate_as('parley_bi', 'SELECT kpi.refresh()'), '42501', 'parley_bi cannot refresh');
SELECT is(pg_temp.sqlstate_as('parley_bi', 'SELECT api.viewer()'), '42501', 'parley_bi cannot call api functions');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname IN ('api', 'crm', 'kpi') AND has_function_privilege('parley_bi', p.oid, 'EXECUTE')), 0::bigint,
          'parley_bi may execute no api, crm or kpi function');
SELECT is(pg_temp.sqlstate_as('parley_harvest', 'SELECT kpi.refresh()'), 'ok', 'the harvester may refresh');
SELECT is((SELECT string_agg(c.relname, ', ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'kpi' AND c.relkind IN ('r', 'v', 'm', 'p') AND obj_description(c.oid, 'pg_class') IS NULL),
          NULL, 'every kpi relation says what it measures (COMMENT)');

----------------------------------------------------------------- The dashboard's cached default view
SELECT is((kpi.refresh(true))->>'full', 'true', 'a refresh…');
SELECT is((SELECT string_agg(c.period::text, ',' ORDER BY c.period) FROM kpi.dashboard_cache c
           JOIN kpi.freshness f ON f.refreshed_at = c.refreshed_at), '7,30,90',
          '… caches the unfiltered dashboard for 7, 30 and 90 days');
SELECT is((SELECT jsonb_build_object('kpi', kpi, 'charts', charts) FROM kpi.dashboard_cache WHERE period = 30),
          chart.kpi_doc('{"period": "30"}'), 'the cached figures are the live ones');
UPDATE kpi.dashboard_cache SET kpi = jsonb_set(kpi::jsonb, '{mentions,value}', '-1')::json;
SELECT is(api.dashboard('{}')->'kpi'->'mentions'->>'value', '-1', 'the unfiltered dashboard is served from the cache');
SELECT is((api.dashboard('{"platform": "mastodon"}')->'kpi')::jsonb, chart.kpi_doc('{"platform": "mastodon"}')->'kpi',
          'a filtered one is computed on its first view…');
UPDATE kpi.dashboard_cache SET kpi = jsonb_set(kpi::jsonb, '{mentions,value}', '-2')::json WHERE platform = 'mastodon';
SELECT is(api.dashboard('{"platform": "mastodon"}')->'kpi'->'mentions'->>'value', '-2', '… and served from the cache after');
SELECT throws_ok($$SELECT api.dashboard('{"platform": "mastodon", "team": "0"}')$$, 'PR404', 'No such team.',
                 'a team that does not exist is 404…');
SELECT throws_ok($$SELECT api.dashboard('{"account": "999999999"}')$$, 'PR404', 'No such account.', '… and so is an account');
SELECT throws_ok($$SELECT api.dashboard('{"to": "1999-12-31"}')$$, 'PR422', 'The end date must be in 2000 or later.',
                 'an end date before 2000 is refused, saying so');
SELECT is((SELECT string_agg(period || ':' || coalesce(platform, '-') || ':' || coalesce(team::text, '-'), ' '
                             ORDER BY period, platform NULLS FIRST) FROM kpi.dashboard_cache),
          '7:-:- 30:-:- 30:mastodon:- 90:-:-', '… and not cached');
SELECT is(api.dashboard(jsonb_build_object('period', '7', 'platform', 'x',
                                           'to', (SELECT last_day - 1 FROM kpi.dashboard_cache WHERE period = 7)))->'filters'->>'platform',
          'x', 'a period ending on an earlier day is computed…');
SELECT is((SELECT count(*) FROM kpi.dashboard_cache WHERE platform = 'x'), 0::bigint, '… and not cached');
-- the open cases under 1 hour old in the team's backlog chart
CREATE FUNCTION pg_temp.backlog_1h(p_team bigint) RETURNS integer LANGUAGE sql AS $$
  SELECT (b->>'value')::integer FROM jsonb_array_elements((api.dashboard(jsonb_build_object('team', p_team::text))->'charts'->'backlog'->'bars')::jsonb) b
  WHERE b->>'label' = '<1h' $$;
INSERT INTO crm."case" (subject, team_id, created_at) VALUES ('k-backlog', :team, now() - interval '30 minutes');
SELECT is(pg_temp.backlog_1h(:team), NULL, 'the backlog chart shows the open cases as the last refresh counted them…');
SELECT kpi.refresh() AS again \gset
SELECT is((SELECT count(*) FROM kpi.dashboard_cache WHERE platform IS NOT NULL OR team IS NOT NULL), 0::bigint,
          'a refresh drops the cached filtered views');
SELECT is(pg_temp.backlog_1h(:team), 1, 'the next refresh counts the new open case');
UPDATE kpi.freshness SET refreshed_at = refreshed_at + interval '1 second';
SELECT is((api.dashboard('{}')->'kpi')::jsonb, chart.kpi_doc('{}')->'kpi', 'a cache older than the last refresh is not used');

SELECT is((SELECT string_agg(t->>'known' || '/' || (t->>'known_previous') || '/' || (t->>'compared'), ' ' ORDER BY o)
           FROM unnest(ARRAY[chart.tile('k', 0, 0), chart.tile('k', 3, 0), chart.tile('k', 3, 2), chart.tile('k', NULL, NULL)])
                WITH ORDINALITY x(t, o)),
          'true/true/false true/true/false true/true/true false/false/false',
          'a tile says which figures exist, 0 included (a template cannot tell 0 from nothing)');
SELECT * FROM finish();
ROLLBACK;
