-- Contacts from posts (create or link identities), the contact page, leads
-- and their states, teams and SLA policies through the api, with roles.
BEGIN;
SELECT plan(81);
SET LOCAL client_min_messages = warning;

SELECT count(auth.user_add(u, initcap(replace(u, '_', ' ')), r::auth.staff_role, '$argon2id$v=19$m=19456,t=2,p=1$x$y'))
FROM (VALUES ('tap_ag', 'agent'), ('tap_mk', 'marketer'), ('tap_an', 'analyst'), ('tap_sales', 'sales'),
             ('tap_admin', 'admin')) v(u, r);
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-' || username, 'UTF8')), id, 'csrf' FROM auth.staff WHERE username LIKE 'tap\_%';
CREATE FUNCTION pg_temp.as_user(u text) RETURNS void LANGUAGE sql AS $$
  SELECT set_config('parley.session', 'tok-' || u, true)
$$;
SELECT id AS ag FROM auth.staff WHERE username = 'tap_ag' \gset

INSERT INTO social.profile (platform, external_id, handle, display_name) VALUES
  ('x', 'tap-1', 'mei', '  '), ('weibo', 'tap-2', 'mei_wb', '小美'), ('x', 'tap-3', 'other', 'Other');
INSERT INTO social.post (platform, external_id, author_id, body, lang, created_at)
SELECT 'x', 'tap-p' || i, (SELECT id FROM social.profile WHERE external_id = 'tap-' || i), 'hello', 'en', now()
FROM generate_series(1, 3) i;
INSERT INTO social.post (platform, external_id, author_id, body, created_at) VALUES ('x', 'tap-anon', NULL, 'who?', now());
SELECT id AS p1 FROM social.post WHERE external_id = 'tap-p1' \gset
SELECT id AS p2 FROM social.post WHERE external_id = 'tap-p2' \gset
SELECT id AS p3 FROM social.post WHERE external_id = 'tap-p3' \gset
SELECT id AS anon FROM social.post WHERE external_id = 'tap-anon' \gset

----------------------------------------------------------------- Contacts
SELECT pg_temp.as_user('tap_an');
SELECT throws_ok(format($$SELECT api.contact_from_post('{"post_id": %s}')$$, :p1), 'PR403', NULL, 'an analyst may not create contacts');
SELECT pg_temp.as_user('tap_mk');
SELECT api.contact_from_post(jsonb_build_object('post_id', :p1)) AS r \gset
SELECT (:'r'::jsonb->>'contact_id')::bigint AS k \gset
SELECT is((api.post(jsonb_build_object('id', :p1))->'contact'->>'id')::bigint, :k::bigint, 'the post''s page names its author''s contact');
SELECT pg_temp.as_user('tap_an');
SELECT is(api.post(jsonb_build_object('id', :p1))->'contact', 'null'::jsonb, '… but not to an analyst, who sees no contacts');
SELECT pg_temp.as_user('tap_mk');
SELECT is(:'r'::jsonb->>'created', 'true', 'a marketer creates a contact from a post');
SELECT is((SELECT name || '/' || source FROM crm.contact WHERE id = :k), 'mei/staff', 'named after the profile (blank name: handle)');
SELECT is(api.contact_from_post(jsonb_build_object('post_id', :p1))::text,
          jsonb_build_object('contact_id', :k, 'profile_id', (SELECT author_id FROM social.post WHERE id = :p1), 'created', false,
                             'redirect', '/contact?id=' || :k)::text,
          'again: the same contact, nothing created');
SELECT pg_temp.as_user('tap_ag');
SELECT is(api.contact_from_post(jsonb_build_object('post_id', :p2, 'contact_id', :k))->>'contact_id', :k::text,
          'an agent links another profile to the contact');
INSERT INTO crm."case" (subject, post_id) VALUES ('tap closed before the contact', :p3);
UPDATE crm."case" SET state = 'closed' WHERE subject = 'tap closed before the contact';
SELECT api.contact_from_post(jsonb_build_object('post_id', :p3)) AS r3 \gset
SELECT is((SELECT contact_id FROM crm."case" WHERE subject = 'tap closed before the contact'), (:'r3'::jsonb->>'contact_id')::bigint,
          'a contact made from a post takes in its author''s closed case too: its page lists their history');
SELECT throws_ok(format($$SELECT api.contact_from_post('{"post_id": %s, "contact_id": %s}')$$, :p3, :k), 'PR409',
                 'This profile already belongs to another contact.', 'a profile belongs to one contact only');
SELECT throws_ok(format($$SELECT api.contact_from_post('{"post_id": %s, "contact_id": 999999999}')$$, :p1), 'PR404', NULL,
                 'an unknown contact is PR404');
SELECT throws_ok(format($$SELECT api.contact_from_post('{"post_id": %s}')$$, :anon), 'PR422', NULL,
                 'a post without a known author is PR422');
SELECT throws_ok($$SELECT api.contact_from_post('{"post_id": "1; drop"}')$$, 'PR422', NULL, 'a malformed id is PR422');
SELECT is((SELECT count(*) FROM auth.audit_log WHERE event IN ('contact_created', 'contact_linked')
           AND (detail->>'contact')::bigint = :k), 3::bigint, 'creating and linking are audited');

SELECT api.contact(jsonb_build_object('id', :k)) AS page \gset
SELECT is((SELECT string_agg(i->>'handle', ',' ORDER BY i->>'handle') FROM jsonb_array_elements(:'page'::jsonb->'identities') i),
          'mei,mei_wb', 'the contact page lists both identities');
SELECT is(:'page'::jsonb->'leads', '[]'::jsonb, 'no leads yet');
SELECT is(api.contact_save(jsonb_build_object('id', :k, 'name', 'Mei Chen', 'emails', 'mei@example.com, mei@example.com',
                                              'phones', jsonb_build_array('+86 21 5555 0101')))->>'id', :k::text, 'contact saved');
SELECT is((SELECT name || '|' || array_to_string(emails, ';') || '|' || array_to_string(phones, ';') FROM crm.contact WHERE id = :k),
          'Mei Chen|mei@example.com|+86 21 5555 0101',
          '…name, de-duplicated emails, phones');
SELECT is(crm.typed_list('"zed@x.example, Amy@y.example,, amy@Y.example "'), ARRAY['zed@x.example', 'Amy@y.example'],
          'a typed list keeps the order typed, each address once whatever its case');
SELECT throws_ok(format($$SELECT api.contact_save('{"id": %s, "emails": "ok@example.com, not-an-address"}')$$, :k), 'PR422',
                 '"not-an-address" is not an email address.', 'a bad email is PR422, named among the others');
SELECT throws_ok($$SELECT api.contact('{"id": 999999999}')$$, 'PR404', NULL, 'an unknown contact is PR404');

----------------------------------------------------------------- Leads
SELECT throws_ok(format($$SELECT api.lead_from_post('{"post_id": %s}')$$, :p1), 'PR403', NULL, 'an agent may not create leads');
SELECT pg_temp.as_user('tap_sales');
SELECT throws_ok(format($$SELECT api.contact_save('{"id": %s, "name": "x"}')$$, :k), 'PR403', NULL,
                 'sales may not edit contacts (the page offers them no form)');
SELECT api.lead_from_post(jsonb_build_object('post_id', :p1, 'value', '1200.50')) AS lead \gset
SELECT (:'lead'::jsonb->>'id')::bigint AS l \gset
SELECT is(:'lead'::jsonb - 'id', jsonb_build_object('contact_id', :k, 'state', 'new', 'value', 1200.50, 'created', true,
                                                    'redirect', '/contact?id=' || :k),
          'a lead from a post: the author''s contact, state new, the value');
SELECT is(api.lead_from_post(jsonb_build_object('post_id', :p1))->>'id', :l::text, 'one lead per post');
SELECT is(api.lead_from_post(jsonb_build_object('post_id', :p1, 'value', '1200.5'))->>'id', :l::text, '… the same value again (a double submit) answers with it');
SELECT throws_ok(format($$SELECT api.lead_from_post('{"post_id": %s, "value": "10"}')$$, :p1), 'PR409',
                 'This post already has a lead, with another value: change the value on the lead.',
                 '… another value is not silently dropped');
SELECT throws_ok(format($$SELECT api.lead_from_post('{"post_id": %s, "value": "-3"}')$$, :p2), 'PR422', NULL, 'a negative value is PR422');
SELECT throws_ok(format($$SELECT api.lead_state('{"id": %s, "state": "won"}')$$, :l), 'PR409',
                 'A lead cannot go from new to won.', 'new → won is illegal');
SELECT throws_ok(format($$SELECT api.lead_state('{"id": %s, "state": "maybe"}')$$, :l), 'PR422', NULL, 'unknown state is PR422');
SELECT throws_ok($$SELECT api.lead_state('{"id": 999999999, "state": "won"}')$$, 'PR404', NULL, 'unknown lead is PR404');
SELECT is((SELECT l->'moves' FROM jsonb_array_elements(api.contact(jsonb_build_object('id', :k))->'leads') l
           WHERE (l->>'id')::bigint = :l), '[{"state": "qualified"}, {"state": "lost"}]',
          'the contact page offers a new lead only the moves it may make');
SELECT is(api.lead_state(jsonb_build_object('id', :l, 'state', 'qualified'))->>'value', '1200.50', 'new → qualified, no value: the value is kept');
SELECT is(api.lead_state(jsonb_build_object('id', :l, 'state', 'qualified', 'value', ''))->>'value', NULL,
          'an emptied value clears it (the form shows the value to edit)');
SELECT throws_ok(format($$SELECT api.lead_state('{"id": %s, "state": "qualified", "value": ""}')$$, :l), 'PR409',
                 'The lead is already qualified.', '… cleared again: nothing to change, 409');
SELECT is(api.lead_state(jsonb_build_object('id', :l, 'state', 'qualified', 'value', '1200.5'))->>'value', '1200.50', '… and set again');
SELECT throws_ok(format($$SELECT api.lead_state('{"id": %s, "state": "qualified", "value": "900", "value_was": "1000.00"}')$$, :l), 'PR409',
                 'The lead''s value was changed meanwhile: look at it again.',
                 'a form showing a value someone has changed since does not replace theirs');
SELECT is(api.lead_state(jsonb_build_object('id', :l, 'state', 'qualified', 'value', '900', 'value_was', '1200.50'))->>'value', '900.00',
          '… the value it showed: it does');
SELECT is(api.lead_state(jsonb_build_object('id', :l, 'state', 'qualified', 'value', '1200.5', 'value_was', '900.00'))->>'value', '1200.50',
          '… and back');
SELECT is(api.lead_state(jsonb_build_object('id', :l, 'state', 'won', 'value', '5000'))->>'value', '5000.00', 'qualified → won with its value');
SELECT is((SELECT (qualified_at IS NOT NULL, closed_at IS NOT NULL)::text FROM crm.lead WHERE id = :l), '(t,t)', 'stamped along the way');
SELECT throws_ok(format($$SELECT api.lead_state('{"id": %s, "state": "lost"}')$$, :l), 'PR409', NULL, 'won is final');
SELECT is((SELECT l->>'movable' FROM jsonb_array_elements(api.contact(jsonb_build_object('id', :k))->'leads') l
           WHERE (l->>'id')::bigint = :l), 'false', '… and a won lead none');
SELECT is(api.lead_state(jsonb_build_object('id', :l, 'state', 'won', 'value', '5200'))->>'value', '5200.00',
          'its own state with a value: the value changes alone, a won lead''s too');
SELECT throws_ok(format($$SELECT api.lead_state('{"id": %s, "state": "won"}')$$, :l), 'PR409', 'The lead is already won.',
                 '… its own state without a value is 409');

----------------------------------------------------------------- Teams and SLA policies
SELECT throws_ok($$SELECT api.team_save('{"name": "Tap night"}')$$, 'PR403', NULL, 'only admins save teams');
SELECT pg_temp.as_user('tap_admin');
SELECT (api.team_save(jsonb_build_object('name', 'Tap night', 'member_ids', jsonb_build_array(:ag)))->>'id')::bigint AS t \gset
SELECT is((SELECT t->'members'->0->>'id' FROM jsonb_array_elements(api.teams()->'teams') t WHERE (t->>'id')::bigint = :t),
          :ag::text, 'a team with its member');
SELECT throws_ok($$SELECT api.team_save('{"name": "Tap night"}')$$, 'PR409', NULL, 'team names are unique');
SELECT throws_ok($$SELECT api.team_save('{"name": "TAP NIGHT"}')$$, 'PR409', 'A team with that name exists.', '… whatever their case');
SELECT lives_ok(format($$SELECT api.team_save('{"id": %s, "name": "Tap Night"}')$$, :t), 'a team may change the case of its own name');
SELECT throws_ok($$SELECT api.team_save('{"name": "Tap x", "member_ids": [999999999]}')$$, 'PR404', NULL, 'unknown members are PR404');
SELECT throws_ok(format($$SELECT api.team_save('{"name": "Tap x", "member_ids": [%s]}')$$,
                        (SELECT id FROM auth.staff WHERE username = 'tap_mk')), 'PR422',
                 'Team members are active agents and admins: they are the ones who work cases.',
                 'a marketer is no team member (cases routed to them would wait unseen)');
SELECT api.sla_policy_save('{"name": "Tap VIP", "first_response_minutes": 15, "resolution_minutes": 120,
                             "tz": "Europe/Berlin", "hours": [{"dow": 6, "start": "10:00", "end": "14:00"}],
                             "holidays": [{"day": "2026-12-26", "name": "Boxing day"}]}') AS pol \gset
SELECT is((SELECT (s->>'first_response_minutes', s->'calendar'->>'tz', s->'calendar'->'hours'->0->>'end',
                   s->'calendar'->'holidays'->0->>'day')::text
           FROM jsonb_array_elements(api.sla_policies()->'policies') s WHERE s->>'name' = 'Tap VIP'),
          '(15,Europe/Berlin,14:00,2026-12-26)', 'an SLA policy with its calendar');
SELECT throws_ok($$SELECT api.sla_policy_save('{"name": "Tap bad", "first_response_minutes": 15, "resolution_minutes": 120,
                   "tz": "Europe/Berlin", "hours": [{"dow": 8, "start": "10:00", "end": "09:00"}]}')$$, 'PR422', NULL,
                 'bad hours are PR422');
SELECT throws_ok($$SELECT api.sla_policy_save('{"name": "Tap bad", "first_response_minutes": 60, "resolution_minutes": 30,
                   "tz": "UTC", "hours": [{"dow": 1, "start": "09:00", "end": "18:00"}]}')$$, 'PR422',
                 'The resolution target cannot be shorter than the first-response target.',
                 'a resolution target shorter than the first response is refused');

SELECT api.team_save(jsonb_build_object('id', :t, 'name', 'Tap night', 'members', 'on')) IS NOT NULL AS x \gset
SELECT is((SELECT jsonb_array_length(t->'members') FROM jsonb_array_elements(api.teams()->'teams') t WHERE (t->>'id')::bigint = :t),
          0, 'the form with every member box unchecked empties the team');
SELECT api.team_save(jsonb_build_object('id', :t, 'name', 'Tap night', 'members', 'on', 'member_ids', :ag::text)) IS NOT NULL AS x \gset
SELECT api.team_save(jsonb_build_object('id', :t, 'name', 'Tap night')) IS NOT NULL AS x \gset
SELECT is((SELECT string_agg(c->>'id' || ':' || (c->>'member'), ',') FROM jsonb_array_elements(api.teams()->'teams') t,
                  jsonb_array_elements(t->'choices') c WHERE (t->>'id')::bigint = :t AND (c->>'member')::boolean),
          :ag || ':true', 'the form''s "1,2" list sets the members (a save without the list keeps them), checked in the admin''s choices');
SELECT api.sla_policy_save(jsonb_build_object('name', 'Tap form', 'first_response_minutes', '30', 'resolution_minutes', '240',
                             'tz', 'asia/shanghai', 'hours_text', E'1-5 09:00-18:00\r\n6 10:00-12:00',
                             'holidays_text', '2026-10-01 National Day')) AS pol \gset
SELECT is((SELECT (s->'calendar'->>'tz', s->'calendar'->>'hours_text', s->'calendar'->>'holidays_text')::text
           FROM jsonb_array_elements(api.sla_policies()->'policies') s WHERE s->>'name' = 'Tap form'),
          E'(Asia/Shanghai,"1-5 09:00-18:00\n6 10:00-12:00","2026-10-01 National Day")',
          'a policy saved from the form''s text, shown back as the same text');
SET LOCAL DateStyle = 'SQL, DMY';
SELECT is((SELECT s->'calendar'->>'holidays_text' FROM jsonb_array_elements(api.sla_policies()->'policies') s WHERE s->>'name' = 'Tap form'),
          '2026-10-01 National Day', '… its holidays written as the form reads them, whatever the session''s DateStyle');
RESET DateStyle;
SELECT ok(jsonb_array_length(api.sla_policies()->'time_zones') > 300, 'admins get the zone names to choose from');
SELECT throws_ok($$INSERT INTO crm.team (name) VALUES ('TAP NIGHT')$$, '23505', NULL,
                 'the database itself refuses a team name that differs only in case (two saves at once)');
INSERT INTO crm.team_member (team_id, staff_id) SELECT :t, id FROM auth.staff WHERE username = 'tap_mk';
SELECT is((SELECT (c->>'member')::boolean FROM jsonb_array_elements(api.teams()->'teams') t, jsonb_array_elements(t->'choices') c
           WHERE (t->>'id')::bigint = :t AND c->>'username' = 'tap_mk'), true,
          'a member whose role changed keeps a checked box (saving the form does not drop them unseen)');
DELETE FROM crm.team_member WHERE team_id = :t AND staff_id = (SELECT id FROM auth.staff WHERE username = 'tap_mk');
SELECT throws_ok(format($$SELECT api.sla_policy_save(%L)$$, jsonb_build_object('name', 'Tap many', 'first_response_minutes', 15,
                   'resolution_minutes', 120, 'tz', 'UTC', 'hours_text', '1-5 09:00-17:00',
                   'holidays', (SELECT jsonb_agg(jsonb_build_object('day', d::date, 'name', '')) FROM generate_series('2030-01-01'::date, '2031-06-01', '1 day') d))),
                 'PR422', 'A policy has at most 70 opening hours and 500 holidays.',
                 'more holidays than the page can show and send back are 422');
SELECT lives_ok($$SELECT api.sla_policy_save('{"name": "Tap same stretch", "first_response_minutes": 15, "resolution_minutes": 120,
                   "tz": "UTC", "hours": [{"dow": 1, "start": "09:00", "end": "17:00"}, {"dow": "1", "start": "09:00", "end": "17:00"}]}')$$,
                'one stretch given twice in two JSON spellings is no overlap');
SELECT throws_ok(format($$SELECT api.team_save(%L)$$, jsonb_build_object('name', E'Tap \u202Enight')), 'PR422',
                 'Names, titles, handles, subjects and tags cannot contain control or text-direction characters.', 'a team name with a right-to-left override is 422');
SELECT throws_ok(format($$SELECT api.sla_policy_save(%L)$$, jsonb_build_object('name', 'Tap rtl', 'first_response_minutes', 15,
                   'resolution_minutes', 120, 'tz', 'UTC', 'hours_text', '1-5 09:00-17:00', 'holidays_text', E'2026-10-01 Day\u202E off')), 'PR422',
                 'Names, titles, handles, subjects and tags cannot contain control or text-direction characters.', '… and so is a holiday''s name');
SELECT throws_ok($$SELECT api.sla_policy_save('{"name": "Tap overlap", "first_response_minutes": 15, "resolution_minutes": 120,
                   "tz": "UTC", "hours_text": "1-5 09:00-18:00\n3 17:00-20:00"}')$$, 'PR422',
                 'Opening hours overlap on a day: give each stretch once (such as 1-5 09:00-12:00 and 1-5 13:00-18:00).',
                 'overlapping opening hours are 422 (their minutes would count twice)');
SELECT lives_ok($$SELECT api.sla_policy_save('{"name": "Tap split day", "first_response_minutes": 15, "resolution_minutes": 120,
                   "tz": "UTC", "hours_text": "1-5 09:00-12:00\n1-5 12:00-18:00\n1 09:00-12:00"}')$$,
                'stretches that only touch, and one given twice, are fine');
SELECT api.sla_policy_save(jsonb_build_object('id', (SELECT id FROM crm.sla_policy WHERE name = 'Tap VIP'), 'name', 'Tap VIP renamed', 'first_response_minutes', 15,
                             'resolution_minutes', 120, 'tz', 'UTC', 'hours_text', '1-5 09:00-17:00')) IS NOT NULL AS x \gset
SELECT lives_ok($$SELECT api.sla_policy_save('{"name": "Tap VIP", "first_response_minutes": 15, "resolution_minutes": 120,
                   "tz": "UTC", "hours_text": "1-5 09:00-17:00"}')$$, 'a renamed policy''s old name is free again (its calendar took the new one)');
SELECT throws_ok($$SELECT api.sla_policy_save('{"name": "TAP VIP RENAMED", "first_response_minutes": 15, "resolution_minutes": 120,
                   "tz": "UTC", "hours_text": "1-5 09:00-17:00"}')$$, 'PR409', 'A policy with that name exists.',
                 'a policy''s name taken (in any case) is 409 saying so');
SELECT lives_ok(format($$SELECT api.sla_policy_save(%L)$$, jsonb_build_object('name', repeat('长', 200), 'first_response_minutes', 15,
                   'resolution_minutes', 120, 'tz', 'UTC', 'hours_text', '1-5 09:00-17:00')), 'a name of 200 characters, as the form allows, saves');
SELECT throws_ok($$SELECT api.sla_policy_save('{"name": "Tap twice", "first_response_minutes": 15, "resolution_minutes": 120,
                   "tz": "UTC", "hours_text": "1-5 09:00-17:00", "holidays_text": "2026-10-01 A\n2026-10-01 B"}')$$, 'PR422',
                 '2026-10-01 is given twice among the holidays: one line a day.', 'a holiday given twice is 422, not one name kept at random');
SELECT throws_ok($$SELECT api.sla_policy_save('{"name": "Tap none", "first_response_minutes": 15, "resolution_minutes": 120,
                   "tz": "UTC", "hours_text": " "}')$$, 'PR422', NULL, 'a policy without opening hours is 422');
SELECT (api.assignment_rule_save(jsonb_build_object('team_id', :t, 'category', 'complaint', 'lang', ' ZH ', 'position', '0'))->>'id')::bigint AS ar \gset
SELECT is((SELECT (r->>'category', r->>'lang', r->>'position', r->>'enabled')::text FROM jsonb_array_elements(api.teams()->'teams') t,
                  jsonb_array_elements(t->'rules') r WHERE (r->>'id')::bigint = :ar), '(complaint,zh,0,true)',
          'an admin routes a team''s cases: category, language in lower case, first in order, enabled');
SELECT api.team_save(jsonb_build_object('id', :t, 'name', 'Tap night', 'member_ids', jsonb_build_array(:ag))) IS NOT NULL AS x \gset
INSERT INTO crm."case" (subject, category, lang) VALUES ('tap routed', 'complaint', 'zh-CN');
SELECT is((SELECT (team_id, assignee_id)::text FROM crm."case" WHERE subject = 'tap routed'), format('(%s,%s)', :t, :ag),
          '… and a new complaint in Chinese goes to that team''s member');
SELECT throws_ok(format($$SELECT api.assignment_rule_save('{"team_id": %s, "lang": "chinese"}')$$, :t), 'PR422', NULL,
                 'a language that is not a code is 422');
SELECT throws_ok(format($$SELECT api.assignment_rule_save('{"team_id": %s, "category": "gossip"}')$$, :t), 'PR422', NULL,
                 'an unknown category is 422');
SELECT throws_ok($$SELECT api.assignment_rule_save('{"team_id": 999999999}')$$, 'PR404', NULL, 'routing to an unknown team is 404');
SELECT is(api.assignment_rule_delete(jsonb_build_object('id', :ar))->>'id', :ar::text, 'an admin deletes the rule');
SELECT throws_ok(format($$SELECT api.assignment_rule_delete('{"id": %s}')$$, :ar), 'PR404', NULL, '… once');
SELECT pg_temp.as_user('tap_ag');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.teams()->'teams') t WHERE t ? 'choices' AND t->'choices' <> 'null'),
          0::bigint, 'agents see no member choices');
SELECT throws_ok(format($$SELECT api.assignment_rule_save('{"team_id": %s}')$$, :t), 'PR403', NULL, '… and may not route cases');

SELECT * FROM finish();
ROLLBACK;
