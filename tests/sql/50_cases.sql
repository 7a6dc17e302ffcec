-- Cases: the state machine, reopening on inbound messages, closed cases and
-- their follow-ups, round-robin assignment, replies from the outbox, the case
-- api with its roles and checks, and what the web role may touch.
BEGIN;
SELECT plan(137);
SET LOCAL client_min_messages = warning;
\ir lib/sqlstate_as.sql

----------------------------------------------------------------- Fixtures
SELECT count(auth.user_add(u, initcap(replace(u, '_', ' ')), r::auth.staff_role, '$argon2id$v=19$m=19456,t=2,p=1$x$y'))
FROM (VALUES ('tap_ag1', 'agent'), ('tap_ag2', 'agent'), ('tap_ag3', 'agent'), ('tap_mk', 'marketer'),
             ('tap_an', 'analyst'), ('tap_sales', 'sales')) v(u, r);
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-' || username, 'UTF8')), id, 'csrf' FROM auth.staff WHERE username LIKE 'tap\_%';
CREATE FUNCTION pg_temp.as_user(u text) RETURNS void LANGUAGE sql AS $$
  SELECT set_config('parley.session', 'tok-' || u, true)
$$;
SELECT id AS ag1 FROM auth.staff WHERE username = 'tap_ag1' \gset
SELECT id AS ag2 FROM auth.staff WHERE username = 'tap_ag2' \gset
SELECT id AS ag3 FROM auth.staff WHERE username = 'tap_ag3' \gset
SELECT id AS an FROM auth.staff WHERE username = 'tap_an' \gset

-- The seeded default team starts without members (as on a fresh install; demo data adds some).
DELETE FROM crm.team_member WHERE team_id = (SELECT id FROM crm.team WHERE name = 'Customer care');
INSERT INTO social.account (platform, handle) VALUES ('mastodon', 'tap-brand');
INSERT INTO social.profile (platform, external_id, handle, display_name) VALUES
  ('mastodon', 'tap-brand', 'brand@tap', 'Brand'), ('mastodon', 'tap-ada', 'ada@tap', 'Ada'),
  ('mastodon', 'tap-ada2', 'ada2@tap', 'Ada (alt)'), ('mastodon', 'tap-bo', 'bo@tap', 'Bo');
SELECT id AS p_brand FROM social.profile WHERE external_id = 'tap-brand' \gset
SELECT id AS p_ada FROM social.profile WHERE external_id = 'tap-ada' \gset
SELECT id AS p_ada2 FROM social.profile WHERE external_id = 'tap-ada2' \gset
SELECT id AS p_bo FROM social.profile WHERE external_id = 'tap-bo' \gset

-- A post by an author, optionally replying (parent) within a thread (root).
CREATE FUNCTION pg_temp.post(ext text, author bigint, parent bigint DEFAULT NULL, root bigint DEFAULT NULL,
                             lang text DEFAULT 'en') RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, lang, created_at, parent_id, root_id)
  VALUES ('mastodon', 'tap-' || ext, (SELECT id FROM social.account WHERE handle = 'tap-brand'), author,
          CASE WHEN parent IS NULL THEN 'post' ELSE 'reply' END, 'text of ' || ext, lang, now(), parent, root)
  RETURNING id
$$;

----------------------------------------------------------------- State machine
-- A case put straight into state f, then moved to t: 'ok' or the SQLSTATE.
CREATE FUNCTION pg_temp.try_move(f text, t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE cid bigint;
BEGIN
  INSERT INTO crm."case" (subject, state) VALUES ('machine ' || f || t, f) RETURNING id INTO cid;
  BEGIN
    PERFORM crm.set_state(cid, t, NULL);
  EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
  END;
  RETURN CASE WHEN (SELECT state FROM crm."case" WHERE id = cid) = t THEN 'ok' ELSE 'not moved' END;
END $$;

SELECT is(pg_temp.try_move(f, t), expected, f || ' → ' || t)
FROM (VALUES
  ('new', 'new', 'PR409'), ('new', 'open', 'ok'), ('new', 'pending', 'ok'), ('new', 'resolved', 'ok'), ('new', 'closed', 'ok'),
  ('open', 'new', 'PR409'), ('open', 'open', 'PR409'), ('open', 'pending', 'ok'), ('open', 'resolved', 'ok'), ('open', 'closed', 'PR409'),
  ('pending', 'new', 'PR409'), ('pending', 'open', 'ok'), ('pending', 'pending', 'PR409'), ('pending', 'resolved', 'ok'), ('pending', 'closed', 'PR409'),
  ('resolved', 'new', 'PR409'), ('resolved', 'open', 'ok'), ('resolved', 'pending', 'PR409'), ('resolved', 'resolved', 'PR409'), ('resolved', 'closed', 'ok'),
  ('closed', 'new', 'PR409'), ('closed', 'open', 'PR409'), ('closed', 'pending', 'PR409'), ('closed', 'resolved', 'PR409'), ('closed', 'closed', 'PR409')
) AS m(f, t, expected);

INSERT INTO crm."case" (subject, state) VALUES ('direct', 'open') RETURNING id AS direct \gset
SELECT throws_ok(format($$UPDATE crm."case" SET state = 'new' WHERE id = %s$$, :direct), 'PR409',
                 'A case cannot go from open to new.', 'the table itself refuses an illegal move');
SELECT throws_ok(format($$SELECT crm.set_state(%s, 'done', NULL)$$, :direct), 'PR422', NULL, 'an unknown state is PR422');
SELECT throws_ok($$SELECT crm.set_state(-1, 'open', NULL)$$, 'PR404', NULL, 'an unknown case is PR404');
SELECT crm.set_state(:direct, 'resolved', NULL) IS NULL AS x \gset
SELECT ok((SELECT resolved_at IS NOT NULL FROM crm."case" WHERE id = :direct), 'resolving stamps resolved_at');
SELECT crm.set_state(:direct, 'open', NULL) IS NULL AS x \gset
SELECT is((SELECT (reopen_count, resolved_at IS NULL)::text FROM crm."case" WHERE id = :direct), '(1,t)',
          'reopening counts and clears the resolution');
SELECT is((SELECT string_agg(data->>'from' || '>' || (data->>'to'), ',' ORDER BY id) FROM crm.case_event
           WHERE case_id = :direct AND kind = 'state' AND data ? 'from'), 'open>resolved,resolved>open',
          'each move is a state event');

----------------------------------------------------------------- Round-robin assignment
INSERT INTO crm.team (name) VALUES ('Tap care'), ('Tap 中文') ;
SELECT id AS team_t FROM crm.team WHERE name = 'Tap care' \gset
SELECT id AS team_z FROM crm.team WHERE name = 'Tap 中文' \gset
INSERT INTO crm.team_member (team_id, staff_id) VALUES (:team_t, :ag1), (:team_t, :ag2), (:team_t, :ag3), (:team_z, :ag3);
INSERT INTO crm.assignment_rule (team_id, category, lang, position) VALUES
  (:team_t, 'complaint', NULL, 1), (:team_z, NULL, 'zh', 2);

INSERT INTO crm."case" (subject, category) VALUES ('rr1', 'complaint');
INSERT INTO crm."case" (subject, category) VALUES ('rr2', 'complaint');
INSERT INTO crm."case" (subject, category) VALUES ('rr3', 'complaint');
INSERT INTO crm."case" (subject, category) VALUES ('rr4', 'complaint');
SELECT is((SELECT array_agg(assignee_id ORDER BY id) FROM crm."case" WHERE subject LIKE 'rr_'),
          ARRAY[:ag1, :ag2, :ag3, :ag1]::bigint[], 'one case at a time: members in turn, wrapping around');
INSERT INTO crm."case" (subject, category) SELECT 'rb' || i, 'complaint' FROM generate_series(1, 3) i;
SELECT is((SELECT array_agg(assignee_id ORDER BY id) FROM crm."case" WHERE subject LIKE 'rb_'),
          ARRAY[:ag2, :ag3, :ag1]::bigint[], 'a batch in one statement continues the turn');
SELECT is((SELECT array_agg(n ORDER BY staff_id) FROM (
             SELECT assignee_id AS staff_id, count(*) AS n FROM crm."case"
             WHERE subject LIKE 'r__' AND category = 'complaint' GROUP BY 1) x),
          ARRAY[3, 2, 2]::bigint[], 'seven cases over three agents: 3, 2, 2');
UPDATE auth.staff SET disabled_at = now() WHERE id = :ag2;
SELECT is((SELECT array_agg(assignee_id ORDER BY id) FROM crm."case" WHERE subject IN ('rr2', 'rb1')),
          ARRAY[:ag3, :ag1]::bigint[], 'a disabled member''s open cases go to the team''s next members in turn');
INSERT INTO crm."case" (subject, category) SELECT 'rd' || i, 'complaint' FROM generate_series(1, 2) i;
SELECT is((SELECT array_agg(assignee_id ORDER BY id) FROM crm."case" WHERE subject LIKE 'rd_'),
          ARRAY[:ag3, :ag1]::bigint[], 'a disabled member is skipped');
UPDATE auth.staff SET disabled_at = NULL WHERE id = :ag2;
-- An agent given a role that does not work cases leaves them, as when disabled.
SELECT auth.user_set_role((SELECT username FROM auth.staff WHERE id = :ag1), 'marketer') IS NULL AS silenced \gset
SELECT is((SELECT count(*) FROM crm."case" WHERE assignee_id = :ag1 AND state IN ('new', 'open', 'pending')), 0::bigint,
          'an agent made a marketer has no open case left: the team''s next members have them');
UPDATE auth.staff SET role = 'agent' WHERE id = :ag1;
INSERT INTO crm."case" (subject, lang) VALUES ('rz', 'zh-CN');
SELECT is((SELECT (team_id, assignee_id)::text FROM crm."case" WHERE subject = 'rz'), format('(%s,%s)', :team_z, :ag3),
          'a language rule (zh fits zh-CN) picks its team');
INSERT INTO crm."case" (subject, category, lang) VALUES ('rn', 'brand', 'en');
SELECT is((SELECT t.name || '/' || coalesce(c.assignee_id::text, 'nobody') FROM crm."case" c JOIN crm.team t ON t.id = c.team_id
           WHERE c.subject = 'rn'), 'Customer care/nobody', 'otherwise the default rule: Customer care, unassigned while it has no members');
SELECT is((SELECT count(*) FROM crm.case_event e JOIN crm."case" c ON c.id = e.case_id
           WHERE c.subject LIKE 'rr_' AND e.kind = 'assign' AND e.data->>'strategy' = 'round_robin'), 7::bigint,
          'rule assignments are on the timeline (rr2''s twice: its agent was disabled; rr1''s and rr4''s twice: theirs became a marketer)');

----------------------------------------------------------------- Opening from a post, via the api
SELECT pg_temp.post('b0', :p_brand) AS b0 \gset
SELECT pg_temp.post('p1', :p_ada, :b0, :b0) AS p1 \gset
SELECT pg_temp.as_user('tap_an');
SELECT throws_ok(format($$SELECT api.case_open('{"post_id": %s}')$$, :p1), 'PR403', NULL, 'an analyst may not open cases');
SELECT pg_temp.as_user('tap_ag1');
SELECT api.case_open(jsonb_build_object('post_id', :p1, 'priority', 'high')) AS opened \gset
SELECT (:'opened'::jsonb->>'id')::bigint AS c1 \gset
SELECT is(:'opened'::jsonb->>'created', 'true', 'case_open creates a case');
SELECT ok(:'opened'::jsonb->>'ref' ~ '^C-\d{4,}$', 'it has a human number like C-1001');
SELECT is(api.case_open(jsonb_build_object('post_id', :p1))->>'id', :c1::text, 'opening again returns the same case');
SELECT is((SELECT count(*) FROM crm."case" WHERE post_id = :p1), 1::bigint, '…and no second one');
SELECT pg_temp.post('pc', :p_ada) AS pc \gset
INSERT INTO listen.post_signal (post_id, sentiment, label, complaint) VALUES (:pc, -0.9, 'negative', true)
ON CONFLICT (post_id) DO UPDATE SET complaint = true;
SELECT (api.case_open(jsonb_build_object('post_id', :pc))->>'id')::bigint AS cc \gset
SELECT is((SELECT category FROM crm."case" WHERE id = :cc), 'complaint',
          'a case opened by hand from a post the inbox shows as a complaint is a complaint (the assignment rules route it so)');
SELECT throws_ok(format($$SELECT api.case_open(%L)$$, jsonb_build_object('post_id', :p1, 'subject', E'Refund \u202Egnp.exe')), 'PR422',
                 'Names, titles, handles, subjects and tags cannot contain control or text-direction characters.', 'a subject with a right-to-left override is 422');
SELECT is((SELECT (priority, lang, account_id = (SELECT id FROM social.account WHERE handle = 'tap-brand'),
                   root_post_id = :b0, subject)::text FROM crm."case" WHERE id = :c1),
          '(high,en,t,t,"text of p1")', 'priority given; language, account, thread root and subject from the post');
SELECT throws_ok($$SELECT api.case_open('{"post_id": -5}')$$, 'PR422', NULL, 'a malformed post id is PR422');
SELECT throws_ok($$SELECT api.case_open('{"post_id": 999999999}')$$, 'PR404', NULL, 'an unknown post is PR404');
SELECT throws_ok(format($$SELECT api.case_open('{"post_id": %s, "priority": "asap"}')$$, :b0), 'PR422', NULL,
                 'an unknown priority is PR422');
SELECT is((SELECT count(*) FROM crm."case" WHERE post_id = :b0), 0::bigint, '…and nothing was written');
-- The brand's own post (an account that knows its platform id): no case, contact or lead from it.
INSERT INTO social.account (platform, handle, external_id) VALUES ('mastodon', 'tap-own', 'tap-own-id');
INSERT INTO social.profile (platform, external_id, handle) VALUES ('mastodon', 'tap-own-id', 'own@tap') RETURNING id AS p_own \gset
INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, created_at)
SELECT 'mastodon', 'tap-own-post', id, :p_own, 'post', 'our news', now() FROM social.account WHERE handle = 'tap-own' RETURNING id AS own_post \gset
SELECT throws_ok(format($$SELECT api.case_open('{"post_id": %s}')$$, :own_post), 'PR422',
                 'This is the brand''s own post: cases, contacts and leads are for the people who write to the brand.',
                 'no case from the brand''s own post');
SELECT throws_ok(format($$SELECT api.contact_from_post('{"post_id": %s}')$$, :own_post), 'PR422', NULL, '… nor a contact');
SELECT is((api.post(jsonb_build_object('id', :own_post))->>'own')::boolean, true, '… and its page knows it is the brand''s own');
-- The brand answering a case's message on the platform itself (harvested, not
-- sent through the outbox) is the case's first response, as of when it was written.
INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, created_at)
SELECT 'mastodon', 'tap-own-ask', id, :p_ada, 'post', 'where is my order?', now() - interval '1 hour'
FROM social.account WHERE handle = 'tap-own' RETURNING id AS ask \gset
INSERT INTO crm."case" (post_id, subject, created_at) VALUES (:ask, 'native answer', now() - interval '50 minutes') RETURNING id AS nat \gset
INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, created_at, parent_id, root_id)
SELECT 'mastodon', 'tap-own-answer', id, :p_own, 'reply', 'on its way!', now() - interval '20 minutes', :ask, :ask
FROM social.account WHERE handle = 'tap-own';
SELECT is((SELECT state || ' ' || (first_response_at = now() - interval '20 minutes') FROM crm."case" WHERE id = :nat), 'open true',
          'a reply the brand made on the platform answers the case, as of when it was written');
SELECT is((SELECT count(*) FROM crm.case_event WHERE case_id = :nat AND kind = 'outbound'), 1::bigint, '… one outbound event');

----------------------------------------------------------------- Inbound messages and reopening
SELECT api.case_state(jsonb_build_object('id', :c1, 'state', 'open')) IS NULL AS x \gset
SELECT api.case_state(jsonb_build_object('id', :c1, 'state', 'resolved')) IS NULL AS x \gset
SELECT pg_temp.post('p2', :p_ada, :p1, :b0) AS p2 \gset
SELECT is((SELECT (state, reopen_count)::text FROM crm."case" WHERE id = :c1), '(open,1)',
          'the customer writing again reopens a resolved case');
SELECT is((SELECT count(*) FROM crm.case_event WHERE case_id = :c1 AND kind = 'inbound' AND post_id = :p2), 1::bigint,
          '…and the message is an inbound event');
SELECT is((SELECT data->>'reason' FROM crm.case_event WHERE case_id = :c1 AND kind = 'state' AND post_id = :p2),
          'inbound', '…with a state event saying why');
SELECT pg_temp.post('p3', :p_bo, :p1, :b0) AS p3 \gset
SELECT pg_temp.post('p4', :p_ada) AS p4 \gset
SELECT is((SELECT count(*) FROM crm.case_event WHERE post_id IN (:p3, :p4)), 0::bigint,
          'someone else in the thread, or the customer elsewhere, is not inbound');
SELECT api.case_state(jsonb_build_object('id', :c1, 'state', 'pending')) IS NULL AS x \gset
SELECT pg_temp.post('p5', :p_ada, :b0, NULL) AS p5 \gset
SELECT is((SELECT (state, reopen_count)::text FROM crm."case" WHERE id = :c1), '(open,1)',
          'an answer to a pending case opens it again (not a reopen); a reply to the root counts without root_id');

-- another profile of the same contact
SELECT api.contact_from_post(jsonb_build_object('post_id', :p1)) AS k \gset
SELECT (:'k'::jsonb->>'contact_id')::bigint AS contact \gset
SELECT pg_temp.post('q1', :p_ada2) AS q1 \gset
SELECT api.contact_from_post(jsonb_build_object('post_id', :q1, 'contact_id', :contact)) IS NULL AS x \gset
SELECT is((SELECT contact_id FROM crm."case" WHERE id = :c1), :contact::bigint, 'linking a contact fills the open case');
SELECT pg_temp.post('p6', :p_ada2, :p2, NULL) AS p6 \gset
SELECT is((SELECT count(*) FROM crm.case_event WHERE case_id = :c1 AND post_id = :p6 AND kind = 'inbound'), 1::bigint,
          'a message from another identity of the contact is inbound too');

-- replies recorded by the outbox
SELECT pg_temp.post('r1', :p_brand, :p1, :b0) AS r1 \gset
SELECT crm.record_outbound(:c1, :r1, :ag1, 'Sorry about that!') AS ev1 \gset
SELECT is(crm.record_outbound(:c1, :r1, :ag1, 'Sorry about that!'), :ev1::bigint, 'recording the same reply twice is a no-op');
SELECT is((SELECT count(*) FROM crm.case_event WHERE case_id = :c1 AND kind = 'outbound'), 1::bigint, 'one outbound event');
SELECT ok((SELECT first_response_at IS NOT NULL FROM crm."case" WHERE id = :c1), 'the first reply sets first_response_at');
SELECT is((SELECT count(*) FROM crm.case_event WHERE post_id = :r1 AND kind = 'inbound'), 0::bigint,
          'the brand''s own reply is not inbound');
SELECT pg_temp.post('p7', :p_ada, :r1, NULL) AS p7 \gset
SELECT is((SELECT count(*) FROM crm.case_event WHERE case_id = :c1 AND post_id = :p7), 1::bigint,
          'an answer to our reply is inbound');
SELECT throws_ok($$SELECT crm.record_outbound(-1, NULL, NULL, 'x')$$, 'PR404', NULL, 'record_outbound checks the case');
INSERT INTO crm."case" (subject) VALUES ('new then replied') RETURNING id AS cn \gset
SELECT crm.record_outbound(:cn, NULL, :ag1, 'hello') IS NULL AS x \gset
SELECT is((SELECT state FROM crm."case" WHERE id = :cn), 'open', 'replying to a new case opens it');

-- closed cases are final: a follow-up case takes the conversation
SELECT api.case_state(jsonb_build_object('id', :c1, 'state', 'resolved')) IS NULL AS x \gset
SELECT api.case_state(jsonb_build_object('id', :c1, 'state', 'closed')) IS NULL AS x \gset
SELECT count(*) AS events_closed FROM crm.case_event WHERE case_id = :c1 \gset
SELECT pg_temp.post('p8', :p_ada, :p1, :b0) AS p8 \gset
SELECT pg_temp.post('p9', :p_ada, :p1, :b0) AS p9 \gset
SELECT is((SELECT (state, count(e.*))::text FROM crm."case" c LEFT JOIN crm.case_event e ON e.case_id = c.id
           WHERE c.id = :c1 GROUP BY c.state), format('(closed,%s)', :events_closed), 'a closed case stays closed and unchanged');
SELECT is((SELECT (post_id = :p8, contact_id = :contact, priority, state, subject = (SELECT subject FROM crm."case" WHERE id = :c1),
                   (crm.case_row(c)->>'follow_up')::boolean)::text
           FROM crm."case" c WHERE follow_up_of = :c1), '(t,t,high,new,t,t)',
          'a follow-up case opens for the new message, with the first case''s subject (the pages mark it a follow-up)');
SELECT is((SELECT count(*) FROM crm.case_event e JOIN crm."case" c ON c.id = e.case_id
           WHERE c.follow_up_of = :c1 AND e.post_id = :p9 AND e.kind = 'inbound'), 1::bigint,
          'later messages go to the follow-up, not to another one');
SELECT is((SELECT count(*) FROM crm."case" WHERE follow_up_of = :c1), 1::bigint, 'one follow-up');
SELECT throws_ok(format($$SELECT api.case_priority('{"id": %s, "priority": "low"}')$$, :c1), 'PR409', NULL,
                 'a closed case cannot change priority');
SELECT throws_ok(format($$SELECT api.case_state('{"id": %s, "state": "open"}')$$, :c1), 'PR409',
                 'A closed case cannot change; a new message opens a follow-up case.', 'nor state');

----------------------------------------------------------------- Rule actions
INSERT INTO social.profile (platform, external_id, handle, display_name) VALUES
  ('mastodon', 'tap-cy', 'cy@tap', 'Cy'), ('mastodon', 'tap-di', 'di@tap', 'Di'),
  ('mastodon', 'tap-ed', 'ed@tap', NULL), ('mastodon', 'tap-fay', 'fay@tap', 'Fay'), ('mastodon', 'tap-gu', 'gu@tap', 'Gu');
INSERT INTO listen.rule (name, category, expression, action, enabled) VALUES
  ('tap none', 'brand', 'tapnever1', 'none', false), ('tap contact', 'brand', 'tapnever2', 'contact', false),
  ('tap product', 'product', 'tapnever3', 'case', false), ('tap complaint', 'complaint', 'tapnever4', 'case', false);
CREATE TEMP TABLE r AS SELECT name, id FROM listen.rule WHERE name LIKE 'tap %';
CREATE FUNCTION pg_temp.prof(x text) RETURNS bigint LANGUAGE sql AS $$
  SELECT id FROM social.profile WHERE external_id = 'tap-' || x $$;
SELECT pg_temp.post('x1', pg_temp.prof('cy')) AS x1, pg_temp.post('x2', pg_temp.prof('di')) AS x2,
       pg_temp.post('x3', pg_temp.prof('ed'), NULL, NULL, 'zh-CN') AS x3, pg_temp.post('x5', pg_temp.prof('fay')) AS x5,
       pg_temp.post('x6', pg_temp.prof('gu')) AS x6, pg_temp.post('x7', pg_temp.prof('gu')) AS x7 \gset
SELECT count(*) AS contacts_before FROM crm.contact \gset
INSERT INTO listen.match (post_id, rule_id)
SELECT m.post_id, r.id FROM (VALUES (:x1, 'tap none'), (:x2, 'tap contact'), (:x3, 'tap product'), (:x3, 'tap complaint'),
                                    (:x5, 'tap contact'), (:x5, 'tap product'), (:x6, 'tap contact'), (:x7, 'tap contact'),
                                    (:p9, 'tap complaint')) m(post_id, rule)
JOIN r ON r.name = m.rule;
SELECT is((SELECT count(*) FROM crm.identity WHERE profile_id = pg_temp.prof('cy')), 0::bigint,
          'a rule without an action creates no contact');
SELECT is((SELECT k.name || '/' || k.source FROM crm.identity i JOIN crm.contact k ON k.id = i.contact_id
           WHERE i.profile_id = pg_temp.prof('di')), 'Di/rule', 'a contact rule gives the author a contact');
SELECT is((SELECT count(*) FROM crm.case_event e WHERE e.post_id = :x2), 0::bigint, '…and no case');
SELECT is((SELECT count(*) FROM crm.identity WHERE profile_id = pg_temp.prof('gu')), 1::bigint,
          'two posts of one new author: one identity');
SELECT is((SELECT count(*) FROM crm.contact) - :contacts_before, 3::bigint, 'three contacts in all (Di, Fay, Gu)');
SELECT is((SELECT count(*) || '/' || max(category) || '/' || max(lang) || '/' || max(r.name)
           FROM crm."case" c JOIN r ON r.id = c.rule_id WHERE c.post_id = :x3), '1/complaint/zh-CN/tap complaint',
          'two case rules on one post: one case, the complaint rule''s category, the post''s language');
SELECT is((SELECT count(*) FROM crm.identity WHERE profile_id = pg_temp.prof('ed')), 0::bigint,
          'a case rule creates no contact');
SELECT is((SELECT (assignee_id IS NOT NULL AND team_id = :team_t AND sla_policy_id = crm.default_sla_policy()
                   AND first_response_due_at > created_at)::text FROM crm."case" WHERE post_id = :x3),
          'true', 'the rule''s case is assigned by the rules and has the default SLA');
SELECT is((SELECT c.contact_id FROM crm."case" c WHERE c.post_id = :x5),
          (SELECT contact_id FROM crm.identity WHERE profile_id = pg_temp.prof('fay')),
          'contact and case rules together: the case has the new contact');
SELECT is((SELECT count(*) FROM crm."case" WHERE post_id = :p9), 0::bigint,
          'a matched message that continues a case opens no case of its own');
INSERT INTO listen.rule (name, category, expression, action, enabled) VALUES ('tap late', 'brand', 'tapnever5', 'case', false);
INSERT INTO listen.match (post_id, rule_id) SELECT :x3, id FROM listen.rule WHERE name = 'tap late';
SELECT is((SELECT count(*) FROM crm."case" WHERE post_id = :x3), 1::bigint, 'a later match opens no second case');

----------------------------------------------------------------- The case api
SELECT pg_temp.as_user('tap_ag1');
SELECT api."case"(jsonb_build_object('id', :c1)) AS page \gset
SELECT is(:'page'::jsonb->'case'->>'state', 'closed', 'api.case gives the case');
SELECT is((SELECT count(*) FROM jsonb_array_elements(:'page'::jsonb->'timeline') e WHERE e->>'kind' = 'inbound'),
          5::bigint, 'its timeline has every inbound message (p1, p2, p5, p6, p7)');
SELECT is((SELECT e->'post'->'author'->>'handle' FROM jsonb_array_elements(:'page'::jsonb->'timeline') e
           WHERE e->>'kind' = 'inbound' AND (e->'post'->>'id')::bigint = :p2), 'ada@tap', 'posts carry their author');
SELECT is((SELECT e->'staff'->>'name' FROM jsonb_array_elements(:'page'::jsonb->'timeline') e WHERE e->>'kind' = 'outbound'),
          'Tap Ag1', 'events carry the staff name');
SELECT is(:'page'::jsonb->'contact'->>'id', :contact::text, 'and the contact');
SELECT is(jsonb_array_length(:'page'::jsonb->'contact'->'identities'), 2, 'with both identities');
SELECT ok((:'page'::jsonb->'sla'->'first_response') ? 'due_at', 'and the SLA clock');
SELECT is(:'page'::jsonb->'transitions', '[]'::jsonb, 'a closed case offers no transitions');
SELECT throws_ok($$SELECT api."case"('{"id": 999999999}')$$, 'PR404', NULL, 'an unknown case is PR404');
SELECT throws_ok($$SELECT api."case"('{"id": 9223372036854775807}')$$, 'PR404', NULL, '… so is the largest id there could be (19 digits)');
SELECT throws_ok($$SELECT api."case"('{"id": "9223372036854775808"}')$$, 'PR422', NULL, '… and one past it is not a number of ours (422)');

SELECT (api.case_open(jsonb_build_object('post_id', :p4))->>'id')::bigint AS c2 \gset
SELECT is(api.case_assign(jsonb_build_object('id', :c2, 'staff_id', 'me'))->'assignee'->>'id', :ag1::text, 'assign to me');
SELECT is(api.case_assign(jsonb_build_object('id', :c2, 'team_id', :team_z))->'assignee'->>'id', :ag3::text,
          'assign to a team: its next member');
SELECT throws_ok(format($$SELECT api.case_assign('{"id": %s, "staff_id": %s}')$$, :c2, :an), 'PR422', NULL,
                 'an analyst cannot take cases');
SELECT throws_ok(format($$SELECT api.case_assign('{"id": %s, "staff_id": 999999999}')$$, :c2), 'PR404', NULL,
                 'an unknown staff member is PR404');
SELECT throws_ok(format($$SELECT api.case_assign('{"id": %s, "team_id": 999999999}')$$, :c2), 'PR404', NULL,
                 'an unknown team is PR404');
SELECT throws_ok(format($$SELECT api.case_assign('{"id": %s}')$$, :c2), 'PR422', NULL, 'assigning to nobody in particular is PR422');
SELECT is(api.case_priority(jsonb_build_object('id', :c2, 'priority', 'urgent'))->>'priority', 'urgent', 'priority set');
SELECT is((SELECT e->'data' FROM jsonb_array_elements(api.case(jsonb_build_object('id', :c2))->'timeline') e
           WHERE e->>'kind' = 'priority' ORDER BY (e->>'id')::bigint DESC LIMIT 1) - 'from', '{"priority": "urgent"}',
          'the timeline names a new priority "priority" (not "to", a state)');
SELECT throws_ok(format($$SELECT api.case_priority('{"id": %s, "priority": "meh"}')$$, :c2), 'PR422', NULL, 'bad priority is PR422');
SELECT is(api.case_note(jsonb_build_object('id', :c2, 'body', '  called the shop  '))->>'id', :c2::text, 'a note');
SELECT is((SELECT body FROM crm.case_event WHERE case_id = :c2 AND kind = 'note'), 'called the shop', '…stored trimmed');
SELECT throws_ok(format($$SELECT api.case_note('{"id": %s, "body": "   "}')$$, :c2), 'PR422', NULL, 'an empty note is PR422');
SELECT throws_ok(format($$SELECT api.case_note('{"id": %s, "body": "call \u001b[2J back"}')$$, :c2), 'PR422',
                 'A note cannot contain control characters.', 'a note with a control character (ESC) is refused; line breaks are text');
SELECT throws_ok(format($$SELECT api.case_note('{"id": %s, "body": "called the shop"}')$$, :c2), 'PR409',
                 'You added this note to the case a moment ago. To add another, change its words.',
                 'the same note again from a fresh form (Back after adding it) is refused');
SELECT is((SELECT count(*) FROM crm.case_event WHERE case_id = :c2 AND kind = 'note'), 1::bigint, '… and not added twice');
SELECT is(api.case_state(jsonb_build_object('id', :c2, 'state', 'open'))->>'state', 'open', 'state through the api');
SELECT throws_ok(format($$SELECT api.case_state('{"id": %s, "state": "closed"}')$$, :c2), 'PR409',
                 'A case cannot go from open to closed.', 'an illegal move through the api is PR409 with a clear message');
SELECT throws_ok(format($$SELECT api.case_state('{"id": %s, "state": "open"}')$$, :c2), 'PR409',
                 'The case is already open.', 'so is a move to the same state');
SELECT is((SELECT string_agg(kind, ',' ORDER BY id) FROM crm.case_event WHERE case_id = :c2 AND kind <> 'inbound'),
          'state,assign,assign,assign,priority,note,state', 'the timeline records opening, assignments, priority, the note, the move');
SELECT is((SELECT count(*) FROM auth.audit_log WHERE detail->>'case' = :c2::text
           AND event IN ('case_opened', 'case_assigned', 'case_priority', 'case_note', 'case_state')), 6::bigint,
          'every change is audited (open, two assignments, priority, note, state)');

SELECT pg_temp.as_user('tap_ag3');
SELECT ok((SELECT bool_and((c->'assignee'->>'id')::bigint = :ag3) AND count(*) > 0
           FROM jsonb_array_elements(api.cases('{"mine": true}')->'cases') c), 'mine: only my cases');
SELECT ok((SELECT bool_and(c->>'priority' = 'urgent') AND bool_or((c->>'id')::bigint = :c2)
           FROM jsonb_array_elements(api.cases('{"priority": "urgent"}')->'cases') c), 'priority filter');
SELECT ok((SELECT bool_and(c->>'state' IN ('new', 'open', 'pending'))
           FROM jsonb_array_elements(api.cases('{"state": "active"}')->'cases') c), 'active: new, open or pending');
SELECT is(api.cases('{"state": "active", "priority": "urgent", "mine": "1"}')->>'query', 'mine=1&priority=urgent&state=active',
          'the filters as a query string, which the next page''s link keeps');
SELECT is((SELECT max((c->>'id')::bigint) FROM jsonb_array_elements(
             api.cases(jsonb_build_object('before', :c2))->'cases') c) < :c2, true, 'keyset: before an id');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.cases(jsonb_build_object('team_id', :team_z))->'cases') c
           WHERE (c->'team'->>'id')::bigint <> :team_z), 0::bigint, 'team filter');
-- A page of exactly 50 links to no older page, which would be empty; a 51st case makes one.
INSERT INTO crm.team (name) VALUES ('tap fifty') RETURNING id AS fifty \gset
INSERT INTO crm."case" (subject, team_id) SELECT 'tap fifty ' || n, :fifty FROM generate_series(1, 50) n;
SELECT is((SELECT jsonb_array_length(d->'cases') || ' ' || coalesce(d->>'next_before', 'none')
           FROM api.cases(jsonb_build_object('team_id', :fifty)) d), '50 none', 'a last page of exactly 50 has no older page');
INSERT INTO crm."case" (subject, team_id, created_at) VALUES ('tap fifty-one', :fifty, now() - interval '1 day');
SELECT is((SELECT jsonb_array_length(d->'cases') || ' ' || (d->>'next_before' IS NOT NULL)
           FROM api.cases(jsonb_build_object('team_id', :fifty)) d), '50 true', '… one more case makes one');
SELECT throws_ok($$SELECT api.cases('{"state": "lost"}')$$, 'PR422', NULL, 'an unknown state filter is PR422');
SELECT throws_ok($$SELECT api.cases('{"before": "x"}')$$, 'PR422', NULL, 'a malformed cursor is PR422');

----------------------------------------------------------------- Privileges
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT * FROM crm."case"'), '42501', 'web role cannot read cases');
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT * FROM crm.contact'), '42501', 'web role cannot read contacts');
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT crm.record_outbound(1, NULL, NULL, NULL)'), '42501',
          'web role cannot record replies directly');
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT crm.mark_sla_breaches()'), '42501', 'nor mark breaches');
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT api.cases(''{}'')'), 'ok', 'web role calls the case api');
SELECT is(pg_temp.sqlstate_as('parley_bi', 'SELECT * FROM crm.case_fact'), '42501', 'parley_bi cannot read crm');
SELECT is(pg_temp.sqlstate_as('parley_harvest', 'SELECT crm.mark_sla_breaches()'), 'ok', 'the harvester marks breaches');
SELECT is(pg_temp.sqlstate_as('parley_harvest', 'SELECT * FROM crm."case"'), '42501', '…but reads no case');

SELECT * FROM finish();
ROLLBACK;
