-- The contact list (search by name, email, phone, handle; keyset pages) and
-- the lead pipeline (filter by state, totals per state, keyset pages), with roles.
BEGIN;
SELECT plan(25);
SET LOCAL client_min_messages = warning;

SELECT count(auth.user_add(u, initcap(replace(u, '_', ' ')), r::auth.staff_role, '$argon2id$v=19$m=19456,t=2,p=1$x$y'))
FROM (VALUES ('tap_ag', 'agent'), ('tap_mk', 'marketer'), ('tap_an', 'analyst'), ('tap_sales', 'sales')) v(u, r);
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-' || username, 'UTF8')), id, 'csrf' FROM auth.staff WHERE username LIKE 'tap\_%';
CREATE FUNCTION pg_temp.as_user(u text) RETURNS void LANGUAGE sql AS $$
  SELECT set_config('parley.session', 'tok-' || u, true)
$$;
-- the names of a page's contacts, in its order
CREATE FUNCTION pg_temp.names(doc jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(c->>'name', ',' ORDER BY o) FROM jsonb_array_elements(doc->'contacts') WITH ORDINALITY u(c, o)
$$;
-- the pipeline starts empty here (rolled back at the end), whatever the cluster holds
DELETE FROM crm.lead;

INSERT INTO crm.contact (name, emails, phones) VALUES
  ('Tapfind Ann', '{ann@tapfind.example}', '{}'), ('陈小美', '{}', '{+86 21 5555 0101}'), ('Tapfind Bo', '{}', '{}');
SELECT id AS ann FROM crm.contact WHERE name = 'Tapfind Ann' \gset
SELECT id AS mei FROM crm.contact WHERE name = '陈小美' \gset
SELECT id AS bo FROM crm.contact WHERE name = 'Tapfind Bo' \gset
INSERT INTO social.profile (platform, external_id, handle, display_name) VALUES ('x', 'tapfind-1', 'TapHandleBo', 'B.');
INSERT INTO crm.identity (profile_id, contact_id) SELECT id, :bo FROM social.profile WHERE external_id = 'tapfind-1';
INSERT INTO social.post (platform, external_id, author_id, body, created_at)
SELECT 'x', 'tapfind-p' || i, (SELECT id FROM social.profile WHERE external_id = 'tapfind-1'), 'hi', now() FROM generate_series(1, 4) i;
INSERT INTO crm."case" (subject, contact_id) VALUES ('tapfind open', :bo), ('tapfind closed', :bo);
UPDATE crm."case" SET state = 'closed' WHERE subject = 'tapfind closed';

----------------------------------------------------------------- Contacts
SELECT pg_temp.as_user('tap_an');
SELECT throws_ok($$SELECT api.contacts('{}')$$, 'PR403', NULL, 'an analyst may not list contacts');
SELECT pg_temp.as_user('tap_sales');
SELECT is(pg_temp.names(api.contacts('{"q": "tapfind"}')), 'Tapfind Bo,Tapfind Ann', 'sales finds contacts by name, newest first');
SELECT pg_temp.as_user('tap_ag');
SELECT is(pg_temp.names(api.contacts('{"q": "ANN@TAPFIND"}')), 'Tapfind Ann', 'an agent finds one by email, whatever its case');
SELECT pg_temp.as_user('tap_mk');
SELECT is(pg_temp.names(api.contacts('{"q": "小美"}')), '陈小美', 'a marketer finds one by a Chinese name');
SELECT is(pg_temp.names(api.contacts('{"q": "+862155550101"}')), '陈小美', 'by phone, typed without the spaces');
SELECT is(pg_temp.names(api.contacts('{"q": "@taphandlebo"}')), 'Tapfind Bo', 'by the handle of an identity, with its @');
SELECT is(api.contacts('{"q": "tapfind-nobody"}')->'contacts', '[]'::jsonb, 'a search that matches nothing: no rows');
SELECT is((api.contacts(jsonb_build_object('q', 'tapfind bo'))->'contacts'->0) - 'created_at',
          jsonb_build_object('id', :bo, 'name', 'Tapfind Bo', 'email', NULL, 'open_cases', 1, 'open_leads', 0,
                             'identities', jsonb_build_array(jsonb_build_object(
                               'profile_id', (SELECT id FROM social.profile WHERE external_id = 'tapfind-1'),
                               'platform', 'x', 'handle', 'TapHandleBo', 'label', 'TapHandleBo'))),
          'a row: its identities and open cases (not the closed one)');
SELECT is(api.contacts('{"q": "tapfind"}')->>'query', 'q=tapfind', 'the next page keeps the search');

INSERT INTO crm.contact (name) SELECT 'Tappage ' || i FROM generate_series(1, 53) i;
SELECT api.contacts('{"q": "tappage"}') AS pg1 \gset
SELECT is(jsonb_array_length(:'pg1'::jsonb->'contacts') || ' ' || (:'pg1'::jsonb->'contacts'->0->>'name'), '50 Tappage 53',
          'a page holds the 50 newest');
SELECT is(pg_temp.names(api.contacts(jsonb_build_object('q', 'tappage', 'before', :'pg1'::jsonb->'next_before'))),
          'Tappage 3,Tappage 2,Tappage 1', 'the next page goes on from where it ended');
SELECT is(api.contacts(jsonb_build_object('q', 'tappage', 'before', :'pg1'::jsonb->'next_before'))->'next_before', 'null'::jsonb,
          '… and is the last');

----------------------------------------------------------------- Leads
INSERT INTO crm.lead (contact_id, post_id, state, value) VALUES
  (:ann, NULL, 'new', 100.50), (:ann, NULL, 'new', NULL), (:bo, NULL, 'qualified', 2000), (:mei, NULL, 'won', 99.99);
INSERT INTO crm.lead (contact_id, post_id, state, value)
SELECT :bo, id, 'new', 10 FROM social.post WHERE external_id = 'tapfind-p1';
SELECT pg_temp.as_user('tap_ag');
SELECT throws_ok($$SELECT api.leads('{}')$$, 'PR403', NULL, 'an agent may not see the pipeline');
SELECT pg_temp.as_user('tap_mk');
SELECT throws_ok($$SELECT api.leads('{}')$$, 'PR403', NULL, '… nor a marketer');
SELECT pg_temp.as_user('tap_sales');
SELECT is((SELECT string_agg(s->>'state' || ' ' || (s->>'count') || ' ' || (s->>'total_text'), ', ')
           FROM jsonb_array_elements(api.leads('{}')->'states') s),
          'new 3 110.50, qualified 1 2000.00, won 1 99.99, lost 0 0.00', 'each state''s count and total value');
SELECT is((SELECT jsonb_agg(s - 'selected') FROM jsonb_array_elements(api.leads('{"state": "new"}')->'states') s),
          (SELECT jsonb_agg(s - 'selected') FROM jsonb_array_elements(api.leads('{}')->'states') s),
          'a filter leaves the totals as they are');
SELECT is((SELECT string_agg(s->>'state', ',') FROM jsonb_array_elements(api.leads('{"state": "new"}')->'states') s
           WHERE (s->>'selected')::boolean), 'new', '… and marks its state as chosen');
SELECT is((SELECT string_agg(l->>'state' || ':' || coalesce(l->>'value_text', '-'), ',')
           FROM jsonb_array_elements(api.leads('{}')->'leads') l),
          'new:10.00,won:99.99,qualified:2000.00,new:-,new:100.50', 'all leads, newest first, their value as stored');
SELECT is((SELECT string_agg(l->'contact'->>'name', ',') FROM jsonb_array_elements(api.leads('{"state": "new"}')->'leads') l),
          'Tapfind Bo,Tapfind Ann,Tapfind Ann', 'the new ones, with their contact''s names');
SELECT is(api.leads('{"state": "new"}')->'leads'->0->>'post_id', (SELECT id::text FROM social.post WHERE external_id = 'tapfind-p1'),
          'a lead names the post it came from');
SELECT is(api.leads('{"state": "lost"}')->'leads', '[]'::jsonb, 'no lost leads: none listed');
SELECT throws_ok($$SELECT api.leads('{"state": "maybe"}')$$, 'PR422', 'Unknown lead state.', 'an unknown state is PR422');
SELECT pg_temp.as_user('tap_ag');
SELECT is(pg_temp.names(api.contacts('{"q": "tapfind"}')) || ' ' ||
          (SELECT string_agg(c->>'open_leads', ',') FROM jsonb_array_elements(api.contacts('{"q": "tapfind"}')->'contacts') c),
          'Tapfind Bo,Tapfind Ann 2,2', 'a contact row counts open leads (new, qualified), not won ones');

SELECT pg_temp.as_user('tap_sales');
INSERT INTO crm.lead (contact_id, state) SELECT :mei, 'lost' FROM generate_series(1, 52);
SELECT api.leads('{"state": "lost"}') AS lp \gset
SELECT is(jsonb_array_length(:'lp'::jsonb->'leads') || ' ' || (:'lp'::jsonb->>'query'), '50 state=lost', 'leads come 50 a page, the filter kept');
SELECT is(jsonb_array_length(api.leads(jsonb_build_object('state', 'lost', 'before', :'lp'::jsonb->'next_before'))->'leads'), 2,
          'the next page has the rest');

SELECT * FROM finish();
ROLLBACK;
