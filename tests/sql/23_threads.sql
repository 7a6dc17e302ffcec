-- A post's page shows its thread depth first, each level in the order the
-- posts were written (not the order Parley learnt of them).
BEGIN;
SELECT plan(2);
SET LOCAL client_min_messages = warning;

SELECT auth.user_add('tap_thread', 'Tap Thread', 'agent', '$argon2id$v=19$m=19456,t=2,p=1$x$y') IS NULL AS silenced \gset
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-tap_thread', 'UTF8')), id, 'c' FROM auth.staff WHERE username = 'tap_thread';
SELECT set_config('parley.session', 'tok-tap_thread', true) IS NULL AS silenced \gset

INSERT INTO social.profile (platform, external_id, handle) VALUES ('mastodon', 'tap-th-u', 'tap_th') RETURNING id AS u \gset
INSERT INTO social.post (platform, external_id, author_id, kind, body, created_at, url)
VALUES ('mastodon', 'tap-th-root', :u, 'post', 'root', '2026-04-22 08:00Z', 'javascript:alert(1)') RETURNING id AS root \gset
-- the later reply is stored first, as a harvest of the newest page first does
INSERT INTO social.post (platform, external_id, author_id, kind, body, created_at, parent_id, root_id, url)
VALUES ('mastodon', 'tap-th-late', :u, 'reply', 'late', '2026-04-24 10:00Z', :root, :root, 'https://m.example/@tap_th/2') RETURNING id AS late \gset
INSERT INTO social.post (platform, external_id, author_id, kind, body, created_at, parent_id, root_id) VALUES
  ('mastodon', 'tap-th-early', :u, 'reply', 'early', '2026-04-22 18:02Z', :root, :root),
  ('mastodon', 'tap-th-under-late', :u, 'reply', 'under-late', '2026-04-24 11:00Z', :late, :root);

SELECT is((SELECT string_agg(t->>'body', ' ' ORDER BY o)
           FROM jsonb_array_elements(api.post(jsonb_build_object('id', :late))->'thread') WITH ORDINALITY x(t, o)),
          'root early late under-late', 'the thread: the root, then its replies by time, each followed by its own');
SELECT is((SELECT string_agg(coalesce(t->>'url', '-'), ' ' ORDER BY o)
           FROM jsonb_array_elements(api.post(jsonb_build_object('id', :late))->'thread') WITH ORDINALITY x(t, o)),
          '- - https://m.example/@tap_th/2 -', 'links to the platform are http(s) only: a javascript: URL from a platform''s JSON is not shown');

SELECT * FROM finish();
ROLLBACK;
