-- Demo data for `make run`: a brand with accounts on several platforms and a
-- few bilingual conversations; the Mastodon, Bluesky, X, Facebook, Instagram
-- and Weibo accounts are harvested continuously from the local fake platform
-- server (psql variable :fake is its base URL; tests/lib/stack.sh fills in
-- their platform ids). Idempotent: loading it twice changes nothing.
INSERT INTO social.account (platform, handle, display_name, api_base_url) VALUES
  ('mastodon', 'lumen@mastodon.example', 'Lumen Coffee', :'fake' || '/mastodon/lumen'),
  ('bluesky', 'lumencoffee.bsky.social', 'Lumen Coffee', :'fake' || '/bluesky/lumencoffee.bsky.social'),
  ('x', 'lumencoffee', 'Lumen Coffee', :'fake' || '/x/lumen'),
  ('facebook', 'lumencoffee', 'Lumen Coffee', :'fake' || '/facebook/lumen/v19.0'),
  ('instagram', 'lumen.coffee', 'Lumen Coffee', :'fake' || '/instagram/lumen/v19.0'),
  ('weibo', 'lumen_coffee', '卢门咖啡', :'fake' || '/weibo/lumen/2')
ON CONFLICT DO NOTHING;

-- The fake server's token for an account is "token-" and its name there
-- (the path segment after the platform's).
INSERT INTO social.account_credential (account_id, access_token)
SELECT id, 'token-' || split_part(substr(api_base_url, length(:'fake') + 2), '/', 2)
FROM social.account WHERE api_base_url LIKE :'fake' || '/%'
ON CONFLICT (account_id) DO NOTHING;

INSERT INTO ingest.stream (account_id, kind, query, every)
SELECT a.id, k.kind, k.query, interval '20 seconds'
FROM social.account a,
     (VALUES ('mentions', ''), ('own_posts', ''), ('replies', ''), ('followers', ''), ('search', 'lumen'),
             ('search', '拿铁')) k(kind, query)
WHERE a.api_base_url LIKE :'fake' || '/%'
  AND (k.kind <> 'search' OR (SELECT searchable FROM social.platform WHERE code = a.platform))
ON CONFLICT (account_id, kind, query) DO NOTHING;

INSERT INTO social.profile (platform, external_id, handle, display_name) VALUES
  ('mastodon', '109001', 'ada@fosstodon.example', 'Ada'),
  ('mastodon', '109002', 'ken@mastodon.example', 'Ken'),
  ('bluesky', 'did:plc:demo1', 'mei.bsky.social', 'Mei'),
  ('weibo', '5501', 'xiaoli', '小李'),
  ('weibo', '5502', 'chen_wei', '陈伟'),
  ('facebook', '880001', 'sam.rivera', 'Sam Rivera')
ON CONFLICT (platform, external_id) DO NOTHING;

INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, lang, created_at)
SELECT v.platform, v.external_id, a.id, p.id, v.kind, v.body, v.lang, now() - v.age
FROM (VALUES
  ('mastodon', 'm-1', 'lumen@mastodon.example', '109001', 'post', '@lumen the new oat latte is fantastic!', 'en', interval '3 hours'),
  ('mastodon', 'm-2', 'lumen@mastodon.example', '109002', 'reply', '@lumen my order #4411 arrived cold, twice this week.', 'en', interval '2 hours'),
  ('bluesky', 'at://did:plc:demo1/app.bsky.feed.post/1', 'lumencoffee.bsky.social', 'did:plc:demo1', 'post', 'Anyone tried the Lumen winter blend yet?', 'en', interval '90 minutes'),
  ('weibo', 'wb-1', 'lumen_coffee', '5501', 'post', '@卢门咖啡 今天的拿铁太好喝了！', 'zh', interval '5 hours'),
  ('weibo', 'wb-2', 'lumen_coffee', '5502', 'comment', '外卖等了一个小时，客服也没回复。', 'zh', interval '40 minutes'),
  ('facebook', 'fb-1', 'lumencoffee', '880001', 'comment', 'Do you have gluten-free pastries?', 'en', interval '1 day')
) AS v(platform, external_id, account, author, kind, body, lang, age)
JOIN social.account a ON a.platform = v.platform AND a.handle = v.account
JOIN social.profile p ON p.platform = v.platform AND p.external_id = v.author
ON CONFLICT (platform, external_id) DO NOTHING;

INSERT INTO crm."case" (subject, state, post_id)
SELECT v.subject, v.state, p.id
FROM (VALUES ('Cold delivery, order #4411', 'open', 'm-2'),
             ('外卖延误一小时', 'new', 'wb-2')) AS v(subject, state, post)
JOIN social.post p ON p.external_id = v.post
WHERE NOT EXISTS (SELECT FROM crm."case" c WHERE c.post_id = p.id);

-- The demo admin answers cases: a member of the default team.
INSERT INTO crm.team_member (team_id, staff_id)
SELECT t.id, s.id FROM crm.team t, auth.staff s WHERE t.name = 'Customer care' AND s.username = 'demo'
ON CONFLICT DO NOTHING;
INSERT INTO crm.kb_article (category_id, lang, title, body, published)
SELECT (SELECT id FROM crm.kb_category WHERE slug = v.cat), v.lang, v.title, v.body, true
FROM (VALUES
  ('payments', 'en', 'How to get a refund', E'Refunds go back to the card or wallet you paid with within **5 working days**.\n\n1. Open the order in the Lumen Coffee app.\n2. Tap *Request a refund*.\n\nQuestions? Write to [help@lumen.example](mailto:help@lumen.example).'),
  ('payments', 'zh-CN', '如何申请退款', E'退款将在 **5 个工作日**内退回原支付账户。\n\n1. 在卢门咖啡小程序中打开订单。\n2. 点击“申请退款”。'),
  ('membership', 'en', 'Lumen Club points', E'Every ¥1 spent earns one point. 200 points buy a free latte.'),
  ('membership', 'zh-CN', '卢门会员积分', E'每消费 1 元积 1 分，200 分可兑换一杯拿铁。')
) v(cat, lang, title, body)
WHERE NOT EXISTS (SELECT FROM crm.kb_article a WHERE a.title = v.title);

INSERT INTO crm.canned_reply (title, body, lang, category, shared)
SELECT v.* FROM (VALUES
  ('Late order apology', 'Hi {{contact.name}}, sorry your order is late. Your case {{case.number}} is open and we will update you within the hour. — {{agent.name}}, {{brand.name}}', 'en', 'orders', true),
  ('Cold drink remake', 'Sorry your drink arrived cold, {{contact.name}}. Show this message in any Lumen Coffee store for a free remake.', 'en', 'quality', true),
  ('订单延误致歉', '{{contact.name}}您好，很抱歉您的订单延误了。工单号 {{case.number}}，我们会在一小时内回复您。——{{brand.name}} {{agent.name}}', 'zh-CN', 'orders', true),
  ('饮品重做', '{{contact.name}}您好，很抱歉饮品送到时已经凉了。凭此消息到任意卢门咖啡门店可免费重做一杯。', 'zh-CN', 'quality', true)
) v(title, body, lang, category, shared)
WHERE NOT EXISTS (SELECT FROM crm.canned_reply r WHERE r.title = v.title);
