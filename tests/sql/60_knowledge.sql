-- Knowledge base and canned replies through the api: Chinese and English
-- search with a hand-computed ranking, keyset pages, drafts, suggestions of
-- canned replies for a message in either language, validation, roles.
BEGIN;
SELECT plan(114);
SET LOCAL client_min_messages = warning;
\ir lib/sqlstate_as.sql

-- Only this file's rows (demo data may be loaded in a dev cluster).
DELETE FROM crm.kb_article;
DELETE FROM crm.canned_reply;

INSERT INTO auth.staff (username, display_name, role, password_hash) VALUES
  ('tap_kb_agent', 'KB Agent', 'agent', '$argon2id$x'),
  ('tap_kb_agent2', 'KB Agent Two', 'agent', '$argon2id$x'),
  ('tap_kb_sales', 'KB Sales', 'sales', '$argon2id$x'),
  ('tap_kb_analyst', 'KB Analyst', 'analyst', '$argon2id$x'),
  ('tap_kb_admin', 'KB Admin', 'admin', '$argon2id$x');
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-' || username, 'UTF8')), id, 'c' FROM auth.staff WHERE username LIKE 'tap_kb_%';
CREATE FUNCTION pg_temp.as_staff(who text) RETURNS void LANGUAGE sql AS $$
  SELECT set_config('parley.session', CASE WHEN who = '' THEN '' ELSE 'tok-tap_kb_' || who END, true)
$$;
-- ids of the test's articles and replies, by a short name
CREATE TEMP TABLE k (name text PRIMARY KEY, id bigint);
CREATE FUNCTION pg_temp.id(n text) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM k WHERE name = n $$;
CREATE FUNCTION pg_temp.ids(doc jsonb, arr text) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(coalesce(k.name, '?'), ',' ORDER BY e.n), '')
  FROM jsonb_array_elements(doc->arr) WITH ORDINALITY e(v, n)
  LEFT JOIN k ON k.id = (e.v->>'id')::bigint AND left(k.name, 1) = CASE arr WHEN 'articles' THEN 'A' ELSE 'C' END
$$;

----------------------------------------------------------------- Writing articles
SELECT pg_temp.as_staff('agent');
INSERT INTO k SELECT n, (api.kb_save(d)->>'id')::bigint FROM (VALUES
  ('A1', '{"title":"How to request a refund","lang":"en","published":true,
           "body_md":"Refunds go back to the card you paid with within 5 working days."}'::jsonb),
  ('A2', '{"title":"售后服务","lang":"zh-CN","published":"on","body_md":"如何申请退款：打开订单页面，点击申请。"}'),
  ('A3', '{"title":"Gift card balance","lang":"en","published":true,"body_md":"Check your **gift card** balance in the app."}'),
  ('A4', '{"title":"Opening hours","lang":"en","published":true,"body_md":"Our stores open at 7am."}'),
  ('A5', '{"title":"Refund policy draft","lang":"en","body_md":"Draft: refunds within 30 days."}'),
  ('A6', '{"title":"Payment methods","lang":"en","published":true,"body_md":"We take cards and refund to the same card."}'),
  ('A7', '{"title":"退款到账时间","lang":"zh-CN","published":true,"body_md":"退款将在五个工作日内退回原支付账户。"}')
) v(n, d) ORDER BY n;
SELECT is((SELECT count(*) FROM crm.kb_article), 7::bigint, 'an agent writes articles');
SELECT is((SELECT count(*) FROM auth.audit_log a JOIN auth.staff s ON s.id = a.staff_id
           WHERE a.event = 'kb_article_created' AND s.username = 'tap_kb_agent'), 7::bigint, 'each creation is audited');
SELECT is((SELECT published FROM crm.kb_article WHERE id = pg_temp.id('A5')), false, 'no "published" makes a draft');
SELECT is((SELECT published FROM crm.kb_article WHERE id = pg_temp.id('A2')), true, 'a checked checkbox ("on") publishes');

----------------------------------------------------------------- Search: Chinese without spaces
SELECT pg_temp.as_staff('analyst');
-- 退款: A7 has it in title (3) and text (1) = 4; A2 only in its text = 1.
SELECT is(pg_temp.ids(api.kb('{"q":"退款"}'), 'articles'), 'A7,A2', '退款 finds the article saying 如何申请退款, title hits first');
SELECT is((SELECT string_agg(a->>'score', ',') FROM jsonb_array_elements(api.kb('{"q":"退款"}')->'articles') a),
          '4.000,1.000', '…scored 4 and 1');
-- 申请退款 = 申请, 请退, 退款: A2 has all three in its text (3/3 = 1); A7 has 退款 in title and text (4/3).
SELECT is(pg_temp.ids(api.kb('{"q":"申请退款"}'), 'articles'), 'A7,A2', 'longer Chinese query: two-character pieces');
SELECT is((SELECT string_agg(a->>'score', ',') FROM jsonb_array_elements(api.kb('{"q":"申请退款"}')->'articles') a),
          '1.333,1.000', '…scored 4/3 and 3/3');
SELECT ok(api.kb('{"q":"退款"}')->'articles'->1->>'snippet' LIKE '%如何申请退款%', 'the snippet shows the text');
SELECT is(pg_temp.ids(api.kb('{"q":"退款","lang":"en"}'), 'articles'), '', 'language filter');

----------------------------------------------------------------- Search: English, ranking
-- "refund card": two terms. A1: refund in title 3 + text 1, card in text 1 = 5/2 = 2.5;
-- A3: card in title 3 + text 1 = 4/2 = 2; A6: refund and cards in text = 2/2 = 1;
-- A5 (draft, refund in title and text = 4/2 = 2) is hidden from an analyst.
SELECT is(pg_temp.ids(api.kb('{"q":"refund card"}'), 'articles'), 'A1,A3,A6', 'English ranking for a reader');
SELECT is((SELECT string_agg(a->>'score', ',') FROM jsonb_array_elements(api.kb('{"q":"refund card"}')->'articles') a),
          '2.500,2.000,1.000', '…with the hand-computed scores');
SELECT is(pg_temp.ids(api.kb('{"q":"card"}'), 'articles'), 'A3,A6,A1', 'a title hit ranks above text hits (ties: newest id first)');
SELECT is(pg_temp.ids(api.kb('{"q":"refunding"}'), 'articles'), 'A1,A6', 'English stems: refunding finds refund');
SELECT is(pg_temp.ids(api.kb('{"q":"the"}'), 'articles'), '', 'a stop word alone finds nothing');
SELECT is(pg_temp.ids(api.kb(jsonb_build_object('q', $q$refund' OR 1=1 --\:*&|!()<>"$q$)), 'articles'), 'A1,A6',
          'query syntax characters are only separators');
SELECT is(pg_temp.ids(api.kb(jsonb_build_object('q', E'\u202e退\u200d款 🙂 %_')), 'articles'), 'A7,A2',
          'invisible and direction characters are dropped: 退\u200d款 is 退款; emoji and wildcards are separators');
SELECT is(pg_temp.ids(api.kb('{"q":"refun"}'), 'articles'), 'A1,A6', 'a half-typed word matches as a prefix');
SELECT ok((SELECT (a->>'score')::numeric BETWEEN 0.25 AND 0.5 FROM jsonb_array_elements(api.kb('{"q":"refunnd"}')->'articles') a
           WHERE (a->>'id')::bigint = pg_temp.id('A1')), 'a misspelt title is still found by trigrams, ranked low');
SELECT is(pg_temp.ids(api.kb(jsonb_build_object('q', 'refund card', 'category',
          (SELECT id FROM crm.kb_category WHERE slug = 'general'))), 'articles'), '', 'category filter');
SELECT is((SELECT d->>'query' || ' ' || (SELECT string_agg(c->>'slug', ',') FROM jsonb_array_elements(d->'categories') c
                                           WHERE (c->>'selected')::boolean)
           FROM api.kb(jsonb_build_object('q', '退款 #tips & more', 'category', (SELECT id FROM crm.kb_category WHERE slug = 'general'))) d),
          'category=' || (SELECT id FROM crm.kb_category WHERE slug = 'general') || '&q=%E9%80%80%E6%AC%BE%20%23tips%20%26%20more general',
          'the next page''s link keeps the search, encoded, and its category, which the form shows chosen');
SELECT is(api.kb('{"q":"refund card"}')->>'can_edit', 'false', 'an analyst may not edit');

-- As an agent the draft shows: A5 ties A3 at 2 and its newer id goes first.
SELECT pg_temp.as_staff('agent');
SELECT is(pg_temp.ids(api.kb('{"q":"refund card"}'), 'articles'), 'A1,A5,A3,A6', 'writers see drafts in search');
SELECT is(pg_temp.ids(api.kb('{"q":"refund card","limit":2}'), 'articles'), 'A1,A5', 'page 1 of 2');
SELECT is(api.kb('{"q":"refund card","limit":2}')->>'next', '2.000,' || pg_temp.id('A5'), '…and its keyset cursor');
SELECT is(pg_temp.ids(api.kb(jsonb_build_object('q', 'refund card', 'limit', 2,
          'after', api.kb('{"q":"refund card","limit":2}')->'next')), 'articles'), 'A3,A6', 'page 2 continues after it');
SELECT is(api.kb(jsonb_build_object('q', 'refund card', 'limit', 2,
          'after', api.kb('{"q":"refund card","limit":2}')->'next'))->'next', 'null'::jsonb, '…and is the last');

-- Without q: newest first (all written in this transaction: same time, so by id).
SELECT is(pg_temp.ids(api.kb('{"limit":3}'), 'articles'), 'A7,A6,A5', 'the list is newest first');
SELECT is(pg_temp.ids(api.kb(jsonb_build_object('limit', 3, 'after', api.kb('{"limit":3}')->'next')), 'articles'),
          'A4,A3,A2', 'list keyset page 2');
SELECT is((SELECT a->>'articles' FROM jsonb_array_elements(api.kb('{}')->'categories') a WHERE a->>'slug' = 'payments'),
          '0', 'category counts');
SELECT is(api.kb('{}')->'articles'->0->>'snippet', '退款将在五个工作日内退回原支付账户。', 'list snippet is the start of the text');

----------------------------------------------------------------- One article
SELECT is(api.kb_article(jsonb_build_object('id', pg_temp.id('A3')))->'article'->>'body_md',
          'Check your **gift card** balance in the app.', 'an article comes with its raw Markdown');
SELECT is(api.kb_article(jsonb_build_object('id', pg_temp.id('A3')))->'article'->>'author', 'KB Agent', '…and its author');
SELECT is(api.kb_article(jsonb_build_object('id', pg_temp.id('A5')))->'article'->>'published', 'false', 'a writer opens a draft');
SELECT pg_temp.as_staff('analyst');
SELECT throws_ok(format($$SELECT api.kb_article('{"id":%s}')$$, pg_temp.id('A5')), 'PR404', 'No such article.',
                 'a reader cannot open a draft');
SELECT throws_ok($$SELECT api.kb_article('{"id":"1 OR 1=1"}')$$, 'PR422', NULL, 'a malformed id is refused');

-- A long text: the snippet starts near the hit.
SELECT pg_temp.as_staff('agent');
INSERT INTO k SELECT 'AL', (api.kb_save(jsonb_build_object('title', 'Beans', 'lang', 'en', 'published', true,
  'body_md', repeat('Our beans are roasted weekly. ', 20) || 'Decaf is made with water.'))->>'id')::bigint;
SELECT ok(api.kb('{"q":"decaf"}')->'articles'->0->>'snippet' ~ '^….*Decaf is made', 'a snippet far into the text starts with …');

----------------------------------------------------------------- Updating and deleting articles
SELECT lives_ok(format($$SELECT api.kb_save('{"id":%s,"title":"Refund policy","lang":"en","published":true,
                         "body_md":"Refunds within 30 days."}')$$, pg_temp.id('A5')), 'update an article');
SELECT is((SELECT title || '/' || published FROM crm.kb_article WHERE id = pg_temp.id('A5')), 'Refund policy/true', '…stored');
SELECT is((SELECT u.username FROM crm.kb_article a JOIN auth.staff u ON u.id = a.updated_by WHERE a.id = pg_temp.id('A5')),
          'tap_kb_agent', '…with who changed it');
SELECT lives_ok(format($$SELECT api.kb_delete('{"id":%s}')$$, pg_temp.id('A4')), 'delete an article');
SELECT throws_ok(format($$SELECT api.kb_delete('{"id":%s}')$$, pg_temp.id('A4')), 'PR404', NULL, 'deleting again: no such article');
SELECT is((SELECT count(*) FROM auth.audit_log WHERE event = 'kb_article_deleted' AND detail->>'article' = pg_temp.id('A4')::text),
          1::bigint, 'the deletion is audited');
-- Deleting is the author's or an admin's: another writer may only edit it.
INSERT INTO k SELECT 'AD', (api.kb_save('{"title":"Holiday hours","lang":"en","body_md":"Closed on 1 May."}')->>'id')::bigint;
SELECT pg_temp.as_staff('agent2');
SELECT throws_ok(format($$SELECT api.kb_delete('{"id":%s}')$$, pg_temp.id('AD')), 'PR403',
                 'Only its author or an admin may delete an article; unpublish it to take it out of use.',
                 'another writer may not delete an article');
SELECT is((SELECT count(*) FROM crm.kb_article WHERE id = pg_temp.id('AD')), 1::bigint, '…which stays');
SELECT is(api.kb_article(jsonb_build_object('id', pg_temp.id('AD')))->'article'->>'can_delete', 'false',
          '…and its page offers no delete');
SELECT pg_temp.as_staff('admin');
SELECT is(api.kb_article(jsonb_build_object('id', pg_temp.id('AD')))->'article'->>'can_delete', 'true', 'an admin''s does');
SELECT lives_ok(format($$SELECT api.kb_delete('{"id":%s}')$$, pg_temp.id('AD')), 'an admin may delete anyone''s article');
SELECT is((SELECT count(*) FROM crm.kb_article WHERE id = pg_temp.id('AD')), 0::bigint, '…which is gone');
SELECT pg_temp.as_staff('agent');

----------------------------------------------------------------- Validation
CREATE TEMP TABLE before_counts AS SELECT (SELECT count(*) FROM crm.kb_article) AS n;
SELECT throws_ok($$SELECT api.kb_save('{"title":"  ","lang":"en","body_md":"x"}')$$, 'PR422',
                 'Give the article a title of 1 to 200 characters.', 'blank title');
SELECT throws_ok($$SELECT api.kb_save('{"title":"T\u202e5","lang":"en","body_md":"x"}')$$, 'PR422',
                 'Names, titles, handles, subjects and tags cannot contain control or text-direction characters.',
                 'a title with a right-to-left override');
SELECT throws_ok($$SELECT api.canned_save('{"title":"C\u202e3","lang":"en","body":"x"}')$$, 'PR422',
                 'Names, titles, handles, subjects and tags cannot contain control or text-direction characters.',
                 '… and a canned reply''s');
SELECT throws_ok(format($$SELECT api.kb_save('{"title":"%s","lang":"en","body_md":"x"}')$$, repeat('t', 201)), 'PR422',
                 NULL, 'title of 201 characters');
SELECT throws_ok($$SELECT api.kb_save('{"title":"T","lang":"en","body_md":" \n "}')$$, 'PR422',
                 'Write the article text (at most 256 KiB: about 260,000 letters or 87,000 Chinese characters).', 'blank text');
SELECT throws_ok(format($$SELECT api.kb_save('{"title":"T","lang":"en","body_md":"%s"}')$$, repeat('x', 262145)), 'PR422',
                 NULL, 'text over 256 KiB');
SELECT throws_ok($$SELECT api.kb_save('{"title":"T","lang":"fr","body_md":"x"}')$$, 'PR422',
                 'Choose English or Simplified Chinese.', 'unknown language');
SELECT throws_ok($$SELECT api.kb_save('{"title":"T","body_md":"x"}')$$, 'PR422', NULL, 'missing language');
SELECT throws_ok($$SELECT api.kb_save('{"title":"T","lang":"en","body_md":"x","category_id":999999999}')$$, 'PR422',
                 'Choose one of the categories.', 'unknown category');
SELECT throws_ok($$SELECT api.kb_save('{"title":"T","lang":"en","body_md":"x","published":"maybe"}')$$, 'PR422',
                 NULL, 'a malformed checkbox');
SELECT throws_ok($$SELECT api.kb_save('{"id":999999999,"title":"T","lang":"en","body_md":"x"}')$$, 'PR404', NULL,
                 'updating a missing article');
SELECT throws_ok($$SELECT api.kb('{"q":"x","after":"1,2;DROP"}')$$, 'PR422', NULL, 'a malformed cursor');
SELECT throws_ok($$SELECT api.kb('{"limit":51}')$$, 'PR422', 'Ask for 1 to 50 results.', 'page size over 50');
SELECT throws_ok(format($$SELECT api.kb('{"q":"%s"}')$$, repeat('q', 201)), 'PR422', NULL, 'search text over 200 characters');
SELECT is((SELECT count(*) FROM crm.kb_article), (SELECT n FROM before_counts), 'refused input wrote nothing');

----------------------------------------------------------------- Categories
SELECT lives_ok($$SELECT api.kb_category_save('{"slug":"tap-beans","name":"Beans","name_zh":"咖啡豆","position":"5"}')$$,
                'an agent adds a category');
SELECT throws_ok($$SELECT api.kb_category_save('{"slug":"tap-beans","name":"B","name_zh":"豆"}')$$, 'PR409', NULL,
                 'short names are unique');
SELECT throws_ok($$SELECT api.kb_category_save('{"slug":"Bad Slug","name":"B","name_zh":"豆"}')$$, 'PR422', NULL,
                 'short names are checked');
SELECT is((SELECT a->>'name_zh' FROM jsonb_array_elements(api.kb('{}')->'categories') a WHERE a->>'slug' = 'tap-beans'),
          '咖啡豆', 'new category is listed with its Chinese name');

----------------------------------------------------------------- Roles
SELECT pg_temp.as_staff('analyst');
SELECT throws_ok($$SELECT api.kb_save('{"title":"T","lang":"en","body_md":"x"}')$$, 'PR403', NULL, 'an analyst may not write');
SELECT pg_temp.as_staff('sales');
SELECT throws_ok(format($$SELECT api.kb_delete('{"id":%s}')$$, pg_temp.id('A1')), 'PR403', NULL, 'sales may not delete articles');
SELECT pg_temp.as_staff('');
SELECT throws_ok($$SELECT api.kb('{}')$$, 'PR401', NULL, 'reading needs a session');
SELECT is(pg_temp.sqlstate_as('parley_web', $$SELECT api.kb('{"q":"退款"}')$$), 'PR401', 'the web role calls api.kb');
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT count(*) FROM crm.kb_article'), '42501', 'the web role cannot read articles');
SELECT is(pg_temp.sqlstate_as('parley_web', 'SELECT count(*) FROM crm.canned_reply'), '42501',
          'the web role cannot read canned replies');
SELECT is(pg_temp.sqlstate_as('parley_web', $$SELECT * FROM crm.canned_rank('x', 'en')$$), '42501',
          'the web role cannot call the crm helpers');

----------------------------------------------------------------- Canned replies
SELECT pg_temp.as_staff('agent');
INSERT INTO k SELECT n, (api.canned_save(d)->>'id')::bigint FROM (VALUES
  ('C1', '{"title":"Late delivery apology","lang":"en","shared":true,"category":"orders",
           "body":"Hi {{contact.name}}, we are sorry your order is late. Your ticket {{case.number}} is open and we will update you soon."}'::jsonb),
  ('C2', '{"title":"Cold drink remake","lang":"en","shared":true,
           "body":"Sorry your drink arrived cold, {{ contact.name }}. Show this message in store for a free remake."}'),
  ('C3', '{"title":"Thanks for the kind words","lang":"en","shared":true,"body":"Thank you {{contact.name}}! We are glad you enjoyed your latte."}'),
  ('C4', '{"title":"订单延误致歉","lang":"zh-CN","shared":true,"category":"orders",
           "body":"{{contact.name}}您好，很抱歉您的订单延误了。工单号 {{case.number}}，我们会尽快处理。"}'),
  ('C5', '{"title":"饮品重做","lang":"zh-CN","shared":true,"body":"{{contact.name}}您好，很抱歉饮品送到时已经凉了。凭此消息到店可免费重做一杯。"}')
) v(n, d) ORDER BY n;
SELECT pg_temp.as_staff('sales');
INSERT INTO k SELECT 'C6', (api.canned_save('{"title":"My own late order note","lang":"en","body":"Your order is late, sorry."}')->>'id')::bigint;

SELECT is((SELECT body FROM crm.canned_reply WHERE id = pg_temp.id('C1')),
          'Hi {{contact.name}}, we are sorry your order is late. Your ticket {{case.number}} is open and we will update you soon.',
          'placeholders are stored as written');
-- "My order is late, where is it?": terms order, late (the rest are stop words); C1 has both.
-- C6 has both too, but is sales' own reply.
SELECT pg_temp.as_staff('agent');
SELECT is(pg_temp.ids(api.canned_suggest('{"text":"My order is late, where is it?"}'), 'suggestions'), 'C1',
          'an English complaint suggests the apology');
SELECT is(api.canned_suggest('{"text":"My order is late, where is it?"}')->'suggestions'->0->>'body',
          'Hi {{contact.name}}, we are sorry your order is late. Your ticket {{case.number}} is open and we will update you soon.',
          'the suggestion keeps its placeholders');
SELECT is(api.canned_suggest('{"text":"My order is late"}')->>'lang', 'en', 'the language of a Latin message is English');
-- "my latte arrived cold": latte, arrive, cold. C2 has arrived and cold (0.75 × 2/3 = 0.5 + at most 0.25
-- of trigrams), C3 has latte (0.25 + …): C2 first whatever the trigram part.
SELECT is(pg_temp.ids(api.canned_suggest('{"text":"my latte arrived cold"}'), 'suggestions'), 'C2,C3', 'ranked by shared words');
SELECT ok((SELECT bool_and((s->>'score')::numeric > 0) FROM jsonb_array_elements(
           api.canned_suggest('{"text":"my latte arrived cold"}')->'suggestions') s), '…each with a score');
-- 我的订单延误了三天还没到: 11 pieces; C4 holds 的订 订单 单延 延误 误了; C5 none of them.
SELECT is(pg_temp.ids(api.canned_suggest('{"text":"我的订单延误了三天还没到"}'), 'suggestions'), 'C4',
          'a Chinese complaint without spaces suggests the Chinese apology');
SELECT is(api.canned_suggest('{"text":"我的订单延误了三天还没到"}')->>'lang', 'zh-CN', '…its language is guessed');
-- "订单 order late": C1 shares order, late (2/3), C4 shares 订单 (1/3); the language decides the order.
SELECT is(pg_temp.ids(api.canned_suggest('{"text":"订单 order late","lang":"en"}'), 'suggestions'), 'C1,C4',
          'English replies first when English is asked for');
SELECT is(pg_temp.ids(api.canned_suggest('{"text":"订单 order late","lang":"zh-CN"}'), 'suggestions'), 'C4,C1',
          'Chinese replies first when Chinese is asked for, even with a lower score');
SELECT is(pg_temp.ids(api.canned_suggest('{"text":"contact name case number"}'), 'suggestions'), '',
          'placeholder names are not words of a reply');
SELECT is(jsonb_array_length(api.canned_suggest('{"text":"sorry","limit":1}')->'suggestions'), 1, 'limit');

-- Personal replies: only their creator sees or changes them.
SELECT is(pg_temp.ids(api.canned('{}'), 'replies'), 'C2,C3,C5,C1,C4', 'the list: shared replies by category and title');
SELECT pg_temp.as_staff('sales');
SELECT ok(pg_temp.ids(api.canned('{}'), 'replies') LIKE '%C6%', 'its creator sees a personal reply');
SELECT ok(pg_temp.ids(api.canned_suggest('{"text":"My order is late, where is it?"}'), 'suggestions') IN ('C1,C6', 'C6,C1'),
          '…and gets it suggested');
SELECT pg_temp.as_staff('agent');
SELECT throws_ok(format($$SELECT api.canned_save('{"id":%s,"title":"x","lang":"en","body":"x"}')$$, pg_temp.id('C6')),
                 'PR404', NULL, 'another agent cannot change a personal reply');
SELECT throws_ok(format($$SELECT api.canned_delete('{"id":%s}')$$, pg_temp.id('C6')), 'PR404', NULL, '…nor delete it');
SELECT pg_temp.as_staff('agent2');
SELECT throws_ok(format($$SELECT api.canned_save('{"id":%s,"title":"x","lang":"en","body":"x","shared":false}')$$,
                 pg_temp.id('C1')), 'PR403', NULL, 'only the author may stop sharing a reply');
SELECT lives_ok(format($$SELECT api.canned_save('{"id":%s,"title":"Late order","lang":"en","body":"Sorry, {{agent.name}} here.","shared":true}')$$,
                pg_temp.id('C1')), 'another agent may edit a shared reply');
SELECT throws_ok(format($$SELECT api.canned_delete('{"id":%s}')$$, pg_temp.id('C3')), 'PR403',
                 'Only its author or an admin may delete a shared reply.', '… but not delete it (the team''s reply)');
SELECT is((SELECT string_agg((r->>'can_edit') || '/' || (r->>'can_delete'), ' ') FROM jsonb_array_elements(api.canned('{}')->'replies') r
           WHERE (r->>'id')::bigint = pg_temp.id('C3')), 'true/false', '… as the list says: may edit, may not delete');
SELECT is(api.canned(format('{"edit":%s}', pg_temp.id('C3'))::jsonb)->'editing'->>'title', 'Thanks for the kind words',
          'the list gives the reply its form edits');
SELECT throws_ok(format($$SELECT api.canned('{"edit":%s}')$$, pg_temp.id('C6')), 'PR404', NULL,
                 '… never another''s personal one');
SELECT pg_temp.as_staff('agent');
SELECT lives_ok(format($$SELECT api.canned_delete('{"id":%s}')$$, pg_temp.id('C3')), 'its author deletes it');
UPDATE crm.canned_reply SET created_by = NULL WHERE id = pg_temp.id('C2');   -- (its author's account deleted)
SELECT throws_ok(format($$SELECT api.canned_delete('{"id":%s}')$$, pg_temp.id('C2')), 'PR403', NULL,
                 'a shared reply without an author is not anyone''s to delete');
SELECT is((SELECT count(*) FROM auth.audit_log WHERE event IN ('canned_reply_created', 'canned_reply_updated', 'canned_reply_deleted')
           AND detail->>'reply' IN (SELECT id::text FROM k)), 8::bigint, 'canned reply changes are audited');

-- Validation and roles.
CREATE TEMP TABLE canned_before AS SELECT (SELECT count(*) FROM crm.canned_reply) AS n;
SELECT throws_ok($$SELECT api.canned_save('{"title":"T","lang":"en","body":"Hi {{contact.nmae}}"}')$$, 'PR422',
                 'Unknown placeholder {{contact.nmae}}; use {{contact.name}}, {{contact.handle}}, {{case.number}}, {{agent.name}}, {{brand.name}}.',
                 'an unknown placeholder is refused, naming it');
SELECT throws_ok($$SELECT api.canned_save('{"title":"T","lang":"en","body":"Hi {{contact.name}"}')$$, 'PR422',
                 'A placeholder is written with two braces on each side, like {{contact.name}}.', 'an unclosed placeholder');
SELECT throws_ok($$SELECT api.canned_save('{"title":"T","lang":"en","body":"Your order \u202e1234\u202c is late"}')$$, 'PR422',
                 'A canned reply''s text cannot contain text-direction overrides (U+202A to U+202E, U+2066 to U+2069).',
                 'a text-direction override in the text (a reply it starts would be refused)');
SELECT throws_ok($$SELECT api.canned_save('{"title":"T","lang":"en","body":"Your order\u0007 is late"}')$$, 'PR422',
                 'A canned reply''s text cannot contain control characters.', '… and so is a control character');
SELECT is(api.canned_save(jsonb_build_object('title', 'Tap tabs', 'lang', 'en', 'body', E'Line one\n\tLine two'))->>'id' IS NOT NULL, true,
          '… but line breaks and tabs are text');
DELETE FROM crm.canned_reply WHERE title = 'Tap tabs';
SELECT throws_ok($$SELECT api.canned_save('{"title":"","lang":"en","body":"x"}')$$, 'PR422', NULL, 'blank title');
SELECT throws_ok(format($$SELECT api.canned_save('{"title":"T","lang":"en","body":"%s"}')$$, repeat('x', 4001)), 'PR422',
                 NULL, 'text over 4,000 characters');
SELECT throws_ok($$SELECT api.canned_save('{"title":"T","lang":"de","body":"x"}')$$, 'PR422', NULL, 'unknown language');
SELECT is((SELECT count(*) FROM crm.canned_reply), (SELECT n FROM canned_before), 'refused replies wrote nothing');
SELECT throws_ok($$SELECT api.canned_suggest('{"text":"hello","limit":11}')$$, 'PR422', 'Ask for 1 to 10 results.',
                 'at most 10 suggestions');
SELECT throws_ok($$SELECT api.canned_suggest('{"text":"   "}')$$, 'PR422', NULL, 'a message is needed');
SELECT pg_temp.as_staff('analyst');
SELECT lives_ok($$SELECT api.canned_suggest('{"text":"order late"}')$$, 'an analyst may read suggestions');
SELECT throws_ok($$SELECT api.canned_save('{"title":"T","lang":"en","body":"x"}')$$, 'PR403', NULL, 'an analyst may not write replies');

SELECT * FROM finish();
ROLLBACK;
