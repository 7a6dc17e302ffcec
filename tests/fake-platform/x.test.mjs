// Tests of the fake X (API v2) generator, tests/fake-platform/platforms/x.mjs:  node --test tests/fake-platform/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakePlatform } from './server.mjs';

const X = '/x/xbrand';
const TOKEN = 'token-xbrand';
const FIELDS = 'expansions=author_id,referenced_tweets.id,referenced_tweets.id.author_id,in_reply_to_user_id'
  + '&tweet.fields=created_at,lang,conversation_id,referenced_tweets,in_reply_to_user_id,public_metrics,author_id,entities'
  + '&user.fields=created_at,description,location,public_metrics,verified';

let fake;
before(async () => { fake = await startFakePlatform({ port: 0, log: () => {} }); });
after(async () => { await fake.close(); });

async function call(method, path, { token = TOKEN, body } = {}) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(fake.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* HTML error pages */ }
  return { status: res.status, headers: res.headers, json, text };
}
const get = (path, opts) => call('GET', path, opts);

async function control(method, path, body) {
  const res = await fetch(`${fake.url}/_control/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
const reset = () => control('POST', 'reset', {
  accounts: { xbrand: { notifications: 300, posts: 8, max_replies: 4, followers: 230, search: 30 } }, keywords: ['lumen'],
});
const expected = () => control('GET', 'expected?platform=x&account=xbrand');

// Every page of a walk: follows meta.next_token in the named parameter until there is none.
async function walk(path, param = 'pagination_token') {
  const pages = [];
  for (let token = null; ;) {
    const r = await get(token ? `${path}&${param}=${token}` : path);
    assert.equal(r.status, 200, r.text);
    pages.push(r.json);
    token = r.json.meta.next_token;
    if (!token) return pages;
    assert.ok(pages.length < 100, 'paging does not end');
  }
}
const ids = (pages) => pages.flatMap((p) => (p.data ?? []).map((t) => t.id));

test('x: deterministic bilingual data, the brand from /2/users/me', async () => {
  await reset();
  const a = await expected();
  await reset();
  const b = await expected();
  assert.deepEqual(a, b);
  const me = await get(`${X}/2/users/me?user.fields=public_metrics`);
  assert.equal(me.status, 200);
  assert.equal(me.json.data.id, a.account_id);
  assert.equal(me.json.data.username, 'xbrand');
  assert.equal(me.json.data.public_metrics.followers_count, 230);
  const page = await get(`${X}/2/users/${a.account_id}/mentions?max_results=100&${FIELDS}`);
  const texts = page.json.data.map((t) => t.text).join('\n');
  assert.match(texts, /[\u4e00-\u9fff]/);
  assert.match(texts, /[a-z]{4}/);
  assert.ok(page.json.data.every((t) => /^\d{19}$/.test(t.id) && t.text.includes('@xbrand')));
});

test('x: tokens, problem JSON errors and rate-limit headers', async () => {
  await reset();
  const { account_id: id } = await expected();
  const none = await get(`${X}/2/users/me`, { token: null });
  assert.equal(none.status, 401);
  assert.deepEqual(none.json, { title: 'Unauthorized', detail: 'Unauthorized', type: 'about:blank', status: 401 });
  assert.equal((await get(`${X}/2/users/me`, { token: 'token-other' })).status, 401);
  await control('POST', 'revoke', { token: TOKEN });
  assert.equal((await get(`${X}/2/users/me`)).status, 401);
  await control('POST', 'unrevoke', { token: TOKEN });
  const okr = await get(`${X}/2/users/${id}/tweets?max_results=5`);
  assert.equal(okr.status, 200);
  assert.equal(okr.headers.get('x-rate-limit-limit'), '900');
  assert.match(okr.headers.get('x-rate-limit-reset'), /^\d{10}$/);
  assert.ok(Number(okr.headers.get('x-rate-limit-remaining')) < 900);
  const bad = await get(`${X}/2/users/${id}/tweets?max_results=500`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.title, 'Invalid Request');
  assert.match(bad.json.detail, /max_results/);
  assert.equal((await get(`${X}/2/users/123/mentions`)).status, 404);
  await control('POST', 'faults', { rules: [{ match: `${X}/2/users/${id}/tweets`, status: 429, retry_after: 3 }] });
  const limited = await get(`${X}/2/users/${id}/tweets?max_results=5`);
  assert.equal(limited.status, 429);
  assert.equal(limited.json.title, 'Too Many Requests');
  assert.equal(limited.headers.get('x-rate-limit-remaining'), '0');
  assert.equal(limited.headers.get('retry-after'), '3');
});

test('x: mentions and own Tweets page newest first with next_token, and since_id', async () => {
  await reset();
  const e = await expected();
  assert.ok(e.streams.mentions.length > 100, `only ${e.streams.mentions.length} mentions`);
  const pages = await walk(`${X}/2/users/${e.account_id}/mentions?max_results=100&${FIELDS}`);
  assert.equal(pages.length, Math.ceil(e.streams.mentions.length / 100));
  assert.deepEqual(ids(pages), e.streams.mentions);
  for (const p of pages) {
    assert.equal(p.meta.result_count, p.data.length);
    assert.equal(p.meta.newest_id, p.data[0].id);
    assert.equal(p.meta.oldest_id, p.data[p.data.length - 1].id);
  }
  assert.deepEqual(ids(await walk(`${X}/2/users/${e.account_id}/tweets?max_results=5`)), e.streams.tweets);
  // since_id: only what is newer, still newest first and paged.
  const since = e.streams.mentions[12];
  assert.deepEqual(ids(await walk(`${X}/2/users/${e.account_id}/mentions?max_results=5&since_id=${since}`)), e.streams.mentions.slice(0, 12));
  const empty = await get(`${X}/2/users/${e.account_id}/mentions?since_id=${e.streams.mentions[0]}`);
  assert.deepEqual(empty.json, { meta: { result_count: 0 } });
  const broken = await get(`${X}/2/users/${e.account_id}/mentions?pagination_token=nonsense`);
  assert.equal(broken.status, 400);
});

test('x: fields and expansions only as asked', async () => {
  await reset();
  const e = await expected();
  const plain = await get(`${X}/2/users/${e.account_id}/mentions?max_results=5`);
  assert.deepEqual(Object.keys(plain.json.data[0]).sort(), ['edit_history_tweet_ids', 'id', 'text']);
  assert.equal(plain.json.includes, undefined);
  const full = await walk(`${X}/2/users/${e.account_id}/mentions?max_results=100&${FIELDS}`);
  const tweets = full.flatMap((p) => p.data);
  const reply = tweets.find((t) => t.referenced_tweets?.some((r) => r.type === 'replied_to'));
  assert.ok(reply, 'a reply among the mentions');
  const page = full.find((p) => p.data.includes(reply));
  const parentId = reply.referenced_tweets.find((r) => r.type === 'replied_to').id;
  const parent = page.includes.tweets.find((t) => t.id === parentId);
  assert.ok(parent, 'the replied-to Tweet is included');
  assert.equal(reply.in_reply_to_user_id, parent.author_id);
  assert.equal(reply.conversation_id, parent.conversation_id);
  const users = new Set(page.includes.users.map((u) => u.id));
  for (const t of [...page.data, ...page.includes.tweets]) assert.ok(users.has(t.author_id), `author of ${t.id} included`);
  const u = page.includes.users[0];
  assert.ok('public_metrics' in u && 'description' in u && 'verified' in u && 'created_at' in u);
  assert.ok(tweets.every((t) => t.entities.mentions.some((m) => m.id === e.account_id)));
});

test('x: recent search with terms, operators and next_token; conversations', async () => {
  await reset();
  const e = await expected();
  const hits = await walk(`${X}/2/tweets/search/recent?query=lumen&max_results=10&${FIELDS}`, 'next_token');
  assert.deepEqual(ids(hits), e.streams.search.lumen);
  const [post, convo] = Object.entries(e.streams.conversations).find(([, v]) => v.length > 2);
  const thread = await walk(`${X}/2/tweets/search/recent?query=${encodeURIComponent(`conversation_id:${post}`)}&max_results=100&${FIELDS}`);
  assert.deepEqual(ids(thread), convo);
  assert.ok(thread[0].data.every((t) => t.conversation_id === post));
  const mine = await get(`${X}/2/tweets/search/recent?query=${encodeURIComponent(`from:xbrand conversation_id:${post}`)}&tweet.fields=author_id`);
  assert.deepEqual(mine.json.data.map((t) => t.author_id), [e.account_id]);
  const not = await get(`${X}/2/tweets/search/recent?query=${encodeURIComponent('lumen -lumen')}`);
  assert.deepEqual(not.json, { meta: { result_count: 0 } });
  assert.equal((await get(`${X}/2/tweets/search/recent?query=${encodeURIComponent('bogus:1')}`)).status, 400);
  assert.equal((await get(`${X}/2/tweets/search/recent?query=lumen&max_results=5`)).status, 400);
});

test('x: followers page by next_token up to 1000 at a time', async () => {
  await reset();
  const e = await expected();
  const pages = await walk(`${X}/2/users/${e.account_id}/followers?max_results=100&user.fields=public_metrics`);
  assert.equal(pages.length, 3);
  assert.deepEqual(ids(pages), e.streams.followers);
  assert.equal((await get(`${X}/2/users/${e.account_id}/followers?max_results=1000`)).json.data.length, 230);
  assert.equal((await get(`${X}/2/users/${e.account_id}/followers?max_results=1001`)).status, 400);
});

test('x: POST /2/tweets answers, records, refuses duplicates and over-long text', async () => {
  await reset();
  const e = await expected();
  const target = e.streams.mentions[3];
  const sent = await call('POST', `${X}/2/tweets`, { body: { text: 'Thanks! 谢谢 ☕', reply: { in_reply_to_tweet_id: target } } });
  assert.equal(sent.status, 201);
  assert.match(sent.json.data.id, /^\d{19}$/);
  assert.equal(sent.json.data.text, 'Thanks! 谢谢 ☕');
  const replies = await control('GET', 'replies?platform=x&account=xbrand');
  assert.equal(replies.count, 1);
  assert.equal(replies.received, 1);
  assert.deepEqual([replies.replies[0].id, replies.replies[0].in_reply_to], [sent.json.data.id, target]);
  const dup = await call('POST', `${X}/2/tweets`, { body: { text: 'Thanks! 谢谢 ☕', reply: { in_reply_to_tweet_id: target } } });
  assert.equal(dup.status, 403);
  assert.equal(dup.json.detail, 'You are not allowed to create a Tweet with duplicate content.');
  const long = await call('POST', `${X}/2/tweets`, { body: { text: '咖'.repeat(141) } });
  assert.equal(long.status, 403);
  const gone = await call('POST', `${X}/2/tweets`, { body: { text: 'hi', reply: { in_reply_to_tweet_id: '1' } } });
  assert.equal(gone.status, 400);
  assert.equal((await control('GET', 'replies?platform=x&account=xbrand')).received, 4);
  // The reply is the brand's newest Tweet, in reply to the target.
  const timeline = await get(`${X}/2/users/${e.account_id}/tweets?max_results=5&tweet.fields=referenced_tweets`);
  assert.equal(timeline.json.data[0].id, sent.json.data.id);
  assert.deepEqual(timeline.json.data[0].referenced_tweets, [{ type: 'replied_to', id: target }]);
  const lookup = await get(`${X}/2/tweets/${sent.json.data.id}?tweet.fields=author_id&expansions=author_id`);
  assert.equal(lookup.json.data.author_id, e.account_id);
  assert.equal(lookup.json.includes.users[0].username, 'xbrand');
  assert.equal((await get(`${X}/2/tweets/1`)).json.errors[0].title, 'Not Found Error');
  // an emoji sequence weighs two, however many code points it has
  const family = await call('POST', `${X}/2/tweets`, { body: { text: '👩‍👩‍👧‍👦'.repeat(140) } });
  assert.equal(family.status, 201, 'a family emoji weighs 2');
  const flags = await call('POST', `${X}/2/tweets`, { body: { text: '🇨🇳'.repeat(141) } });
  assert.equal(flags.status, 403, '… and 141 flags weigh 282');
});

test('x: the rate limit counts each endpoint apart, as X does', async () => {
  await control('POST', 'reset', { accounts: { xbrand: { notifications: 5, posts: 2 } }, rate_limit: { x: { limit: 2, window_s: 3600 } } });
  const me = (await get(`${X}/2/users/me`)).json.data.id;
  assert.equal((await get(`${X}/2/users/${me}/mentions`)).status, 200);
  const second = await get(`${X}/2/users/${me}/mentions`);
  assert.equal(second.headers.get('x-rate-limit-remaining'), '0', 'two of two used on mentions');
  assert.equal((await get(`${X}/2/users/${me}/mentions`)).status, 429, 'the third on mentions is refused');
  const tweets = await get(`${X}/2/users/${me}/tweets`);
  assert.equal(tweets.status, 200, 'the user timeline has its own budget');
  assert.equal(tweets.headers.get('x-rate-limit-remaining'), '1');
  await reset();
});
