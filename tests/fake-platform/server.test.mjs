// Tests of the fake platform server itself:  node --test tests/fake-platform/
// One in-process server on an ephemeral port serves most tests (each resets it first); the
// CLI test starts the real command as a child process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFakePlatform, createApp } from './server.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const FIXTURES = process.env.PARLEY_FIXTURES ?? fileURLToPath(new URL('../../../shared/fixtures/social', import.meta.url));
const HAVE_FIXTURES = existsSync(FIXTURES);

const M = '/mastodon/brand1';
const B = '/bluesky/lumen.bsky.social';
const M_TOKEN = 'token-brand1';
const B_TOKEN = 'token-lumen.bsky.social';

let fake;
before(async () => { fake = await startFakePlatform({ port: 0, fixtures: HAVE_FIXTURES ? FIXTURES : null, log: () => {} }); });
after(async () => { await fake.close(); });

// ---- helpers

async function get(pathOrUrl, token) {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : fake.url + pathOrUrl;
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON: HTML error pages, broken bodies */ }
  return { status: res.status, headers: res.headers, text, json };
}

async function control(method, path, body, status = 200) {
  const res = await fetch(`${fake.url}/_control/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

const reset = (body = {}) => control('POST', 'reset', body);
const expected = (platform, account, q = []) => control('GET', `expected?platform=${platform}&account=${encodeURIComponent(account)}${q.map((x) => `&q=${encodeURIComponent(x)}`).join('')}`);

function links(header) {
  const out = {};
  for (const m of (header ?? '').matchAll(/<([^>]+)>;\s*rel="(\w+)"/g)) out[m[2]] = m[1];
  return out;
}

// Follows rel="next" (or rel="prev") until a page has none; returns every page.
async function followLinks(path, token, rel = 'next') {
  const pages = [];
  for (let url = path; url; url = links(pages[pages.length - 1].headers.get('link'))[rel]) {
    const r = await get(url, token);
    assert.equal(r.status, 200, r.text);
    pages.push(r);
    assert.ok(pages.length < 500, 'paging does not end');
  }
  return pages;
}

// Follows Bluesky cursors until a page comes without one.
async function followCursors(path, token, listKey) {
  const items = [];
  let cursor, pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await get(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path, token);
    assert.equal(r.status, 200, r.text);
    items.push(...r.json[listKey]);
    cursor = r.json.cursor;
    assert.ok(++pages < 500, 'paging does not end');
  } while (cursor);
  return { items, pages };
}

// Raw HTTP, to see exactly the bytes that arrived (fetch hides truncation details).
function rawGet(path, token) {
  return new Promise((resolve, reject) => {
    const req = request(fake.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const chunks = [];
      let finished = false;
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => { finished = true; });
      res.on('close', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), complete: finished && res.complete }));
      res.on('error', () => {});   // "aborted" on truncated bodies is what we are testing
    });
    req.on('error', reject);
    req.end();
  });
}

const assertUnique = (ids) => assert.equal(new Set(ids).size, ids.length, 'an item came twice');

// ---- Mastodon paging

test('Mastodon: paging notifications through Link rel=next collects every item exactly once', async () => {
  await reset();
  const pages = await followLinks(`${M}/api/v1/notifications?limit=50`, M_TOKEN);
  const ids = pages.flatMap((p) => p.json.map((n) => n.id));
  assertUnique(ids);
  const exp = await expected('mastodon', 'brand1');
  assert.equal(ids.length, 120);
  assert.deepEqual(ids, exp.streams.notifications);
  assert.deepEqual(pages.map((p) => p.json.length), [50, 50, 20], 'a short page ends the paging');
  assert.deepEqual(Object.keys(links(pages[2].headers.get('link'))), ['prev'], 'no rel=next on a short page, like Mastodon');
  // A full last page does get rel=next; the page after it is empty and has no Link header.
  const past = await get(`${M}/api/v1/notifications?max_id=${ids[ids.length - 1]}`, M_TOKEN);
  assert.deepEqual(past.json, []);
  assert.equal(past.headers.get('link'), null);
  for (let i = 1; i < ids.length; i++) assert.ok(BigInt(ids[i - 1]) > BigInt(ids[i]), 'newest first');
  // Each notification has the fields a harvester needs; mentions carry the status and its author.
  const all = pages.flatMap((p) => p.json);
  assert.deepEqual(new Set(all.map((n) => n.type)), new Set(['mention', 'favourite', 'reblog', 'follow']));
  for (const n of all.filter((x) => x.type === 'mention')) {
    assert.ok(n.status.account.id && n.status.content.includes('@<span>brand1</span>'), JSON.stringify(n).slice(0, 300));
  }
  // No page was fetched twice.
  const stats = await control('GET', 'stats');
  assert.ok(Object.values(stats.urls).every((n) => n === 1));
  assert.equal(stats.by_token[M_TOKEN], 4);   // three pages plus the empty one
});

test('Mastodon: Link header keeps permitted params sorted like Rails and drops the old cursor', async () => {
  await reset();
  const r = await get(`${M}/api/v1/notifications?types[]=mention&limit=5&since_id=1`, M_TOKEN);
  const l = links(r.headers.get('link'));
  const base = `${fake.url}${M}/api/v1/notifications`;
  assert.equal(l.next, `${base}?limit=5&max_id=${r.json[4].id}&types%5B%5D=mention`);
  assert.equal(l.prev, `${base}?limit=5&min_id=${r.json[0].id}&types%5B%5D=mention`);
  assert.ok(r.json.every((n) => n.type === 'mention'));
});

test('Mastodon: min_id returns only newer items, oldest of them first page, and paging up via rel=prev ends', async () => {
  await reset();
  const newest = (await get(`${M}/api/v1/notifications?limit=1`, M_TOKEN)).json[0].id;
  const { added } = await control('POST', 'append', { platform: 'mastodon', account: 'brand1', stream: 'notifications', count: 5 });
  assert.equal(added.length, 5);
  assert.ok(added.every((id) => BigInt(id) > BigInt(newest)));

  const all = await get(`${M}/api/v1/notifications?min_id=${newest}`, M_TOKEN);
  assert.deepEqual(all.json.map((n) => n.id), [...added].reverse());

  // limit=2 above min_id gives the two oldest new items; rel=prev walks up to the newest.
  const pages = await followLinks(`${M}/api/v1/notifications?limit=2&min_id=${newest}`, M_TOKEN, 'prev');
  assert.deepEqual(pages[0].json.map((n) => n.id), [added[1], added[0]]);
  const seen = pages.flatMap((p) => p.json.map((n) => n.id));
  assertUnique(seen);
  assert.deepEqual([...seen].sort(), [...added].sort());
  assert.deepEqual(pages[pages.length - 1].json, []);

  // since_id: the newest page above since_id (may leave a gap, as on Mastodon).
  const since = await get(`${M}/api/v1/notifications?limit=2&since_id=${newest}`, M_TOKEN);
  assert.deepEqual(since.json.map((n) => n.id), [added[4], added[3]]);
});

test('Mastodon: own statuses, context, search and followers match /_control/expected', async () => {
  await reset();
  const exp = await expected('mastodon', 'brand1', ['LUMEN', '咖啡']);
  const me = (await get(`${M}/api/v1/accounts/verify_credentials`, M_TOKEN)).json;
  assert.equal(me.id, exp.account_id);
  assert.equal(me.username, 'brand1');

  const statuses = (await followLinks(`${M}/api/v1/accounts/${me.id}/statuses?limit=40`, M_TOKEN)).flatMap((p) => p.json);
  assert.deepEqual(statuses.map((s) => s.id), exp.streams.statuses);
  assert.equal(statuses.length, 60);

  let replies = 0;
  for (const s of statuses) {
    const ctx = (await get(`${M}/api/v1/statuses/${s.id}/context`, M_TOKEN)).json;
    assert.deepEqual(ctx.ancestors, []);
    assert.deepEqual(ctx.descendants.map((d) => d.id), exp.streams.context[s.id]);
    for (const d of ctx.descendants) assert.ok(d.in_reply_to_id === s.id || ctx.descendants.some((x) => x.id === d.in_reply_to_id));
    replies += ctx.descendants.length;
    assert.equal(s.replies_count, ctx.descendants.filter((d) => d.in_reply_to_id === s.id).length);
  }
  assert.ok(replies > 60, 'posts have 0-5 replies each');

  // Search pages with max_id (no Link header on v2 search, as on Mastodon).
  for (const q of ['拿铁', 'LUMEN', 'coffee']) {
    const ids = [];
    for (let maxId = ''; ;) {
      const r = await get(`${M}/api/v2/search?type=statuses&limit=40&q=${encodeURIComponent(q)}${maxId && `&max_id=${maxId}`}`, M_TOKEN);
      assert.equal(r.headers.get('link'), null);
      if (!r.json.statuses.length) break;
      for (const s of r.json.statuses) {
        const text = s.content.replace(/<[^>]+>/g, '').toLowerCase();
        assert.ok(text.includes(q.toLowerCase()), `${q} not in ${text}`);
      }
      ids.push(...r.json.statuses.map((s) => s.id));
      maxId = ids[ids.length - 1];
    }
    assertUnique(ids);
    assert.deepEqual(ids, exp.streams.search[q] ?? exp.streams.search[q.toLowerCase()]);
    assert.ok(ids.length > 20, `${q}: ${ids.length} hits`);
  }
  assert.deepEqual(exp.streams.search.LUMEN, exp.streams.search.lumen, 'search is case-insensitive');

  // Followers page by follow id, which is not an account id: only the Link header is right.
  const fpages = await followLinks(`${M}/api/v1/accounts/${me.id}/followers?limit=80`, M_TOKEN);
  const followers = fpages.flatMap((p) => p.json.map((a) => a.id));
  assert.deepEqual(followers, exp.streams.followers);
  assert.equal(followers.length, 150);
  const nextMax = new URL(links(fpages[0].headers.get('link')).next).searchParams.get('max_id');
  assert.ok(!followers.includes(nextMax));
});

test('unfollow: the longest-standing followers leave the followers lists of Mastodon and Bluesky', async () => {
  await reset();
  const me = (await get(`${M}/api/v1/accounts/verify_credentials`, M_TOKEN)).json;
  const before = (await expected('mastodon', 'brand1')).streams.followers;
  const { gone, followers } = await control('POST', 'unfollow', { platform: 'mastodon', account: 'brand1', count: 3 });
  assert.equal(gone.length, 3);
  assert.equal(followers, before.length - 3);
  const after = (await followLinks(`${M}/api/v1/accounts/${me.id}/followers?limit=80`, M_TOKEN)).flatMap((p) => p.json.map((a) => a.id));
  assert.deepEqual(after, before.filter((id) => !gone.includes(id)));
  assert.deepEqual(after, (await expected('mastodon', 'brand1')).streams.followers);
  assert.deepEqual(before.slice(-3).sort(), [...gone].sort(), 'the oldest three (the list is newest first)');

  const b = await control('POST', 'unfollow', { platform: 'bluesky', account: 'lumen.bsky.social', count: 2 });
  assert.ok(b.gone.every((d) => d.startsWith('did:plc:')));
  const bl = (await followCursors(`${B}/xrpc/app.bsky.graph.getFollowers?actor=lumen.bsky.social&limit=50`, B_TOKEN, 'followers')).items.map((f) => f.did);
  assert.ok(!bl.some((d) => b.gone.includes(d)));
  assert.equal(bl.length, b.followers);

  const bad = await control('POST', 'unfollow', { platform: 'mastodon', account: 'brand1', count: 0 }, 400);
  assert.match(bad.error, /count/);
});

test('data is deterministic per account name, bilingual, and mentions the brand', () => {
  const a = createApp({ log: () => {} }), b = createApp({ log: () => {} });
  const wa = a.world('mastodon', 'brand1'), wb = b.world('mastodon', 'brand1');
  assert.deepEqual(wa.gen.expected(wa, []), wb.gen.expected(wb, []));
  const w2 = a.world('mastodon', 'brand2');
  assert.notDeepEqual(w2.gen.expected(w2, []).streams.notifications, wa.gen.expected(wa, []).streams.notifications);
  const texts = [...wa.statuses.values()].map((s) => s.text);
  const cjk = (t) => /[\u4e00-\u9fff]/.test(t);
  assert.ok(texts.filter(cjk).length > 50 && texts.filter((t) => !cjk(t)).length > 50, 'English and Chinese texts');
  assert.ok(texts.filter((t) => t.includes('@brand1')).length > 50);
  const bw = a.world('bluesky', 'lumen.bsky.social');
  assert.ok([...bw.statuses.values()].some((s) => s.lang === 'zh' && s.text.includes('@lumen.bsky.social')));
});

test('reset takes per-stream counts, for all accounts or one', async () => {
  await reset({ accounts: { notifications: 7, search: 0, brand2: { followers: 3, posts: 2 }, 'bluesky/lumen.bsky.social': { max_replies: 0 } } });
  const one = await expected('mastodon', 'brand1');
  assert.equal(one.streams.notifications.length, 7);
  assert.equal(one.streams.followers.length, 150);
  const two = await expected('mastodon', 'brand2');
  assert.deepEqual([two.streams.followers.length, two.streams.statuses.length], [3, 2]);
  const bs = await expected('bluesky', 'lumen.bsky.social');
  assert.ok(Object.values(bs.streams.threads).every((r) => r.length === 0));
  const bad = await fetch(`${fake.url}/_control/reset`, { method: 'POST', body: '{"accounts":{"notifications":-1}}' });
  assert.equal(bad.status, 400);
  await reset();
  assert.equal((await expected('mastodon', 'brand1')).streams.notifications.length, 120);
});

// ---- Bluesky paging

test('Bluesky: cursor paging of notifications ends with a page without cursor and matches expected', async () => {
  await reset();
  const exp = await expected('bluesky', 'lumen.bsky.social');
  const { items, pages } = await followCursors(`${B}/xrpc/app.bsky.notification.listNotifications?limit=50`, B_TOKEN, 'notifications');
  assert.equal(pages, 3);
  assertUnique(items.map((n) => n.uri));
  assert.deepEqual(items.map((n) => n.uri), exp.streams.notifications);
  assert.deepEqual(new Set(items.map((n) => n.reason)), new Set(['mention', 'reply', 'like', 'repost', 'follow', 'quote']));
  for (const n of items) {
    assert.match(n.uri, /^at:\/\/did:plc:[a-z2-7]{24}\/app\.bsky\.[a-z.]+\/[2-7a-z]{13}$/);
    if (n.reason === 'mention' || n.reason === 'reply') {
      assert.equal(n.record.$type, 'app.bsky.feed.post');
      const facet = n.record.facets.find((f) => f.features[0].$type.endsWith('#mention'));
      const bytes = Buffer.from(n.record.text).subarray(facet.index.byteStart, facet.index.byteEnd).toString();
      assert.match(bytes, /^@[a-z0-9.-]+$/, 'facet byte offsets point at the mention');
    }
  }
  // A reply names its parent as reasonSubject and its thread root is one of the brand's posts.
  const replies = items.filter((n) => n.reason === 'reply');
  assert.ok(replies.length > 10);
  for (const n of replies) {
    assert.equal(n.record.reply.parent.uri, n.reasonSubject);
    assert.ok(exp.streams.author_feed.includes(n.record.reply.root.uri));
  }
});

test('Bluesky: author feed, search, followers and threads page to the end and match expected', async () => {
  await reset();
  const exp = await expected('bluesky', 'lumen.bsky.social');
  const actor = 'lumen.bsky.social';
  const feed = await followCursors(`${B}/xrpc/app.bsky.feed.getAuthorFeed?actor=${actor}&limit=25`, B_TOKEN, 'feed');
  assert.deepEqual(feed.items.map((f) => f.post.uri), exp.streams.author_feed);

  for (const q of ['拿铁', 'Coffee']) {
    const found = await followCursors(`${B}/xrpc/app.bsky.feed.searchPosts?q=${encodeURIComponent(q)}&limit=30`, B_TOKEN, 'posts');
    assert.deepEqual(found.items.map((p) => p.uri), exp.streams.search[q.toLowerCase()] ?? exp.streams.search[q]);
  }

  const fol = await followCursors(`${B}/xrpc/app.bsky.graph.getFollowers?actor=${exp.account_id}&limit=100`, B_TOKEN, 'followers');
  assert.deepEqual(fol.items.map((p) => p.did), exp.streams.followers);

  const [root, replies] = Object.entries(exp.streams.threads).find(([, r]) => r.length >= 3);
  const t = await get(`${B}/xrpc/app.bsky.feed.getPostThread?uri=${encodeURIComponent(root)}`, B_TOKEN);
  const flat = (node) => node.replies.flatMap((r) => [r.post.uri, ...flat(r)]);
  assert.deepEqual(flat(t.json.thread), replies);
  const leaf = await get(`${B}/xrpc/app.bsky.feed.getPostThread?uri=${encodeURIComponent(replies[replies.length - 1])}`, B_TOKEN);
  let top = leaf.json.thread;
  while (top.parent) top = top.parent;
  assert.equal(top.post.uri, root, 'a reply thread walks up to the brand post');

  const tooBig = await get(`${B}/xrpc/app.bsky.feed.getAuthorFeed?actor=${actor}&limit=101`, B_TOKEN);
  assert.equal(tooBig.status, 400);
  assert.equal(tooBig.json.error, 'InvalidRequest');
});

// ---- auth and rate limits

test('401 on missing, wrong and revoked tokens, in each platform\'s wording', async () => {
  await reset();
  for (const token of [undefined, 'token-brand2', 'garbage']) {
    const r = await get(`${M}/api/v1/notifications`, token);
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { error: 'The access token is invalid' });
    assert.ok(r.headers.get('x-ratelimit-remaining'));
  }
  const bad = await get(`${B}/xrpc/app.bsky.notification.listNotifications`, 'token-brand1');
  assert.equal(bad.status, 401);
  assert.deepEqual(bad.json, { error: 'ExpiredToken', message: 'Token has expired' });

  assert.equal((await get(`${M}/api/v1/notifications`, M_TOKEN)).status, 200);
  await control('POST', 'revoke', { token: M_TOKEN });
  assert.equal((await get(`${M}/api/v1/notifications`, M_TOKEN)).status, 401);
  assert.equal((await get('/mastodon/brand2/api/v1/notifications', 'token-brand2')).status, 200, 'other accounts go on');
  await control('POST', 'revoke', { token: B_TOKEN });
  assert.equal((await get(`${B}/xrpc/app.bsky.notification.listNotifications`, B_TOKEN)).json.error, 'ExpiredToken');
  await control('POST', 'unrevoke', { token: M_TOKEN });
  assert.equal((await get(`${M}/api/v1/notifications`, M_TOKEN)).status, 200);
});

test('rate limit counts down per token and answers 429 once it is used up', async () => {
  await reset({ rate_limit: { mastodon: { limit: 5, window_s: 3600 }, bluesky: { limit: 3, window_s: 3600 } } });
  const remaining = [];
  for (let i = 0; i < 5; i++) {
    const r = await get(`${M}/api/v1/notifications?limit=1`, M_TOKEN);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-ratelimit-limit'), '5');
    assert.ok(Date.parse(r.headers.get('x-ratelimit-reset')) > Date.now());
    remaining.push(Number(r.headers.get('x-ratelimit-remaining')));
  }
  assert.deepEqual(remaining, [4, 3, 2, 1, 0]);
  const over = await get(`${M}/api/v1/notifications?limit=1`, M_TOKEN);
  assert.equal(over.status, 429);
  assert.deepEqual(over.json, { error: 'Too many requests' });
  assert.equal(over.headers.get('x-ratelimit-remaining'), '0');
  assert.equal((await get('/mastodon/brand2/api/v1/notifications?limit=1', 'token-brand2')).headers.get('x-ratelimit-remaining'), '4', 'per token');

  const bs = [];
  for (let i = 0; i < 4; i++) bs.push(await get(`${B}/xrpc/app.bsky.notification.listNotifications?limit=1`, B_TOKEN));
  assert.deepEqual(bs.map((r) => r.status), [200, 200, 200, 429]);
  assert.deepEqual(bs.map((r) => r.headers.get('ratelimit-remaining')), ['2', '1', '0', '0']);
  assert.equal(bs[0].headers.get('ratelimit-policy'), '3;w=3600');
  assert.match(bs[0].headers.get('ratelimit-reset'), /^\d{10}$/);
  assert.equal(bs[3].json.error, 'RateLimitExceeded');
});

test('the rate limit window resets at x-ratelimit-reset', async () => {
  await reset({ rate_limit: { mastodon: { limit: 1, window_s: 1 } } });
  let r;
  do r = await get(`${M}/api/v1/notifications?limit=1`, M_TOKEN); while (r.status === 200);
  assert.equal(r.status, 429);
  await new Promise((ok) => setTimeout(ok, Date.parse(r.headers.get('x-ratelimit-reset')) - Date.now() + 20));
  assert.equal((await get(`${M}/api/v1/notifications?limit=1`, M_TOKEN)).status, 200);
});

// ---- faults

test('fault 429: Retry-After and zero remaining, consumed after `times`', async () => {
  await reset();
  const path = `${M}/api/v1/notifications`;
  await control('POST', 'faults', { rules: [{ match: path, status: 429, retry_after: 2, times: 1 }] });
  const r = await get(`${path}?limit=5`, M_TOKEN);
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '2');
  assert.equal(r.headers.get('x-ratelimit-remaining'), '0');
  const wait = Date.parse(r.headers.get('x-ratelimit-reset')) - Date.now();
  assert.ok(wait > 1000 && wait <= 2000, `reset in ${wait} ms`);
  assert.deepEqual(r.json, { error: 'Too many requests' });
  assert.equal((await get(`${path}?limit=5`, M_TOKEN)).status, 200);
  assert.deepEqual((await control('GET', 'faults')).pending, []);

  await control('POST', 'faults', { rules: [{ match: `${B}/xrpc/app.bsky.notification.listNotifications`, status: 429, retry_after: 3 }] });
  const b = await get(`${B}/xrpc/app.bsky.notification.listNotifications`, B_TOKEN);
  assert.equal(b.status, 429);
  assert.equal(b.headers.get('ratelimit-remaining'), '0');
  assert.equal(b.headers.get('retry-after'), '3');
});

test('fault 5xx: HTML error page the given number of times, then normal answers', async () => {
  await reset();
  await control('POST', 'faults', { rules: [{ match: `${M}/api/v1/notifications`, status: 503, times: 2 }] });
  for (let i = 0; i < 2; i++) {
    const r = await get(`${M}/api/v1/notifications`, M_TOKEN);
    assert.equal(r.status, 503);
    assert.match(r.headers.get('content-type'), /text\/html/);
    assert.match(r.text, /<h1>503 Service Temporarily Unavailable<\/h1>/);
  }
  assert.equal((await get(`${M}/api/v1/notifications`, M_TOKEN)).status, 200);
  assert.equal((await control('GET', 'faults')).applied.length, 2);
});

test('fault truncate: full Content-Length, half the body, connection closed', async () => {
  await reset();
  await control('POST', 'faults', { rules: [{ match: `${M}/api/v1/notifications`, truncate: true }] });
  const r = await rawGet(`${M}/api/v1/notifications?limit=10`, M_TOKEN);
  const full = await rawGet(`${M}/api/v1/notifications?limit=10`, M_TOKEN);
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-ratelimit-limit'], '300');
  assert.equal(Number(r.headers['content-length']), full.body.length);
  assert.equal(r.body.length, Math.floor(full.body.length / 2));
  assert.equal(r.complete, false);
  assert.ok(full.complete);
  assert.deepEqual(r.body, full.body.subarray(0, r.body.length));
});

test('fault delay_ms: a slow answer once', async () => {
  await reset();
  await control('POST', 'faults', { rules: [{ match: `${B}/xrpc/app.bsky.feed.getAuthorFeed`, delay_ms: 400, times: 1 }] });
  const path = `${B}/xrpc/app.bsky.feed.getAuthorFeed?actor=lumen.bsky.social&limit=1`;
  let t = Date.now();
  assert.equal((await get(path, B_TOKEN)).status, 200);
  assert.ok(Date.now() - t >= 390, `took ${Date.now() - t} ms`);
  t = Date.now();
  await get(path, B_TOKEN);
  assert.ok(Date.now() - t < 300);
});

test('fault malformed: a 200 whose items lost their author; "json" breaks the JSON itself', async () => {
  await reset();
  await control('POST', 'faults', { rules: [
    { match: `${M}/api/v1/notifications`, malformed: true },
    { match: `${B}/xrpc/app.bsky.notification.listNotifications`, malformed: true },
    { match: `${M}/api/v1/accounts/verify_credentials`, malformed: 'json' },
  ] });
  const m = await get(`${M}/api/v1/notifications?limit=5`, M_TOKEN);
  assert.equal(m.status, 200);
  assert.equal(m.json.length, 5);
  assert.ok(m.json.every((n) => !('account' in n) && n.id));
  assert.ok((await get(`${M}/api/v1/notifications?limit=5`, M_TOKEN)).json.every((n) => n.account));
  const b = await get(`${B}/xrpc/app.bsky.notification.listNotifications?limit=5`, B_TOKEN);
  assert.ok(b.json.notifications.every((n) => !('author' in n)));
  const j = await get(`${M}/api/v1/accounts/verify_credentials`, M_TOKEN);
  assert.equal(j.status, 200);
  assert.equal(j.json, null, 'body is not valid JSON');
  assert.deepEqual((await control('GET', 'faults')).pending, []);
});

test('fault rules match a path prefix at a boundary, first rule first; bad rules are refused', async () => {
  await reset();
  await control('POST', 'faults', { rules: [{ match: '/mastodon/brand1', status: 500, times: -1 }] });
  assert.equal((await get('/mastodon/brand10/api/v1/notifications', 'token-brand10')).status, 200);
  assert.equal((await get(`${M}/api/v1/notifications`, M_TOKEN)).status, 500);
  assert.equal((await get(`${M}/api/v1/notifications`, M_TOKEN)).status, 500, 'times -1 never runs out');
  await control('DELETE', 'faults');
  assert.equal((await get(`${M}/api/v1/notifications`, M_TOKEN)).status, 200);
  const bad = await fetch(`${fake.url}/_control/faults`, { method: 'POST', body: '{"rules":[{"match":"/x"}]}' });
  assert.equal(bad.status, 400);
});

// ---- replay, stats, live, CLI

test('replay returns recorded fixtures byte-for-byte with their status and headers', { skip: !HAVE_FIXTURES && 'no fixtures' }, async () => {
  const one = await rawGet('/replay/mastodon/test_fetch_next_previous-12');
  const rec = JSON.parse(readFileSync(`${FIXTURES}/mastodon/test_fetch_next_previous-12.json`, 'utf8')).response;
  assert.equal(one.status, 200);
  assert.equal(one.headers.link, rec.headers.link);
  assert.ok(one.body.equals(Buffer.from(rec.body, 'utf8')));

  let checked = 0;
  for (const platform of ['mastodon', 'bluesky', 'facebook', 'instagram']) {
    for (const file of readdirSync(`${FIXTURES}/${platform}`).filter((f) => f.endsWith('.json'))) {
      const { response } = JSON.parse(readFileSync(`${FIXTURES}/${platform}/${file}`, 'utf8'));
      const r = await rawGet(`/replay/${platform}/${file.slice(0, -5)}`);
      assert.equal(r.status, response.status, file);
      assert.ok(r.body.equals(Buffer.from(response.body, 'utf8')), `${file}: body differs`);
      for (const [name, value] of Object.entries(response.headers)) {
        const got = Array.isArray(r.headers[name]) ? r.headers[name].join(', ') : r.headers[name];
        assert.equal(got, value, `${file}: header ${name}`);
      }
      // Nothing added but HTTP/1.1 framing.
      const extra = Object.keys(r.headers).filter((h) => !(h in response.headers) && !['connection', 'keep-alive', 'content-length'].includes(h));
      assert.deepEqual(extra, [], `${file}: headers not in the recording`);
      checked++;
    }
  }
  assert.ok(checked >= 180, `${checked} fixtures replayed`);
  assert.equal((await rawGet('/replay/mastodon/..%2Fbluesky%2Ff_search-01')).status, 404);
  assert.equal((await rawGet('/replay/mastodon/no_such_file')).status, 404);
});

test('stats count requests per path, per full URL and per token', async () => {
  await reset();
  await get(`${M}/api/v1/notifications?limit=3`, M_TOKEN);
  await get(`${M}/api/v1/notifications?limit=3`, M_TOKEN);
  await get(`${M}/api/v1/notifications?limit=4`, M_TOKEN);
  await get(`${B}/xrpc/app.bsky.notification.listNotifications`, 'wrong');
  const s = await control('GET', 'stats');
  assert.equal(s.requests[`${M}/api/v1/notifications`], 3);
  assert.equal(s.urls[`${M}/api/v1/notifications?limit=3`], 2);
  assert.equal(s.urls[`${M}/api/v1/notifications?limit=4`], 1);
  assert.deepEqual(s.by_token, { [M_TOKEN]: 3, wrong: 1 });
  assert.equal(s.total, 4);
});

test('live mode grows every known account and stops at 2,000 items', async () => {
  const live = await startFakePlatform({ port: 0, live: true, tickMs: 20, log: () => {} });
  try {
    const w = live.app.world('mastodon', 'brand1');
    const before = w.notifications.length;
    await new Promise((ok) => setTimeout(ok, 200));
    assert.ok(w.notifications.length > before, 'new notifications arrived');
    // Ticks keep running during the request: the newest served item is at least as new as the
    // newest one held just before it.
    const newestBefore = w.notifications[w.notifications.length - 1].id;
    const r = await fetch(`${live.url}${M}/api/v1/notifications?limit=80`, { headers: { authorization: `Bearer ${M_TOKEN}` } });
    const ids = (await r.json()).map((n) => n.id);
    assert.ok(BigInt(ids[0]) >= BigInt(newestBefore));
  } finally { await live.close(); }

  const app = createApp({ log: () => {} });
  const w = app.world('bluesky', 'grow');
  const first = w.followers[0].person.did;
  for (let i = 0; i < 200; i++) app.liveTick();
  assert.ok(!w.followers.some((f) => f.person.did === first), 'now and then a longest-standing follower leaves');
  for (let i = 0; i < 2000; i++) app.liveTick();
  const size = w.size;
  assert.ok(size >= 2000 && size < 2003, `size ${size}`);
  app.liveTick();
  assert.equal(w.size, size);
});

test('the CLI listens on 127.0.0.1 and logs one line per request', async () => {
  const child = spawn(process.execPath, [`${here}server.mjs`, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const started = Date.now();
    while (!/listening on (http:\/\/127\.0\.0\.1:\d+)/.test(out)) {
      assert.ok(Date.now() - started < 5000, `no listening line: ${out}`);
      await new Promise((ok) => setTimeout(ok, 20));
    }
    const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)[1];
    const r = await fetch(`${base}${M}/api/v1/accounts/verify_credentials`, { headers: { authorization: `Bearer ${M_TOKEN}` } });
    assert.equal(r.status, 200);
    await fetch(`${base}/_control/health`);
    while (out.trim().split('\n').length < 3 && Date.now() - started < 5000) await new Promise((ok) => setTimeout(ok, 20));
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[1], /GET \/mastodon\/brand1\/api\/v1\/accounts\/verify_credentials 200 \d+ms$/);
  } finally { child.kill('SIGTERM'); }
});

// ---- replies posted through the API (the harvester's outbox)

async function post(path, token, body, headers = {}) {
  const res = await fetch(fake.url + path, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

test('mastodon: POST /api/v1/statuses replies once per Idempotency-Key', async () => {
  await reset({ accounts: { notifications: 5, posts: 3, max_replies: 1, followers: 1, search: 1 } });
  const ex = await expected('mastodon', 'brand1');
  const parent = ex.streams.statuses[0];
  const key = { 'idempotency-key': '6f1c0c1e-3c4b-4c6e-9d7a-1a2b3c4d5e6f' };
  const first = await post(`${M}/api/v1/statuses`, M_TOKEN, { status: 'Thanks! 谢谢', in_reply_to_id: parent }, key);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.in_reply_to_id, parent);
  assert.equal(first.json.account.id, ex.account_id, 'posted by the brand');
  assert.equal(first.json.content, '<p>Thanks! 谢谢</p>');
  const again = await post(`${M}/api/v1/statuses`, M_TOKEN, { status: 'Thanks! 谢谢', in_reply_to_id: parent }, key);
  assert.equal(again.status, 200);
  assert.equal(again.json.id, first.json.id, 'the same key answers with the same status');
  const other = await post(`${M}/api/v1/statuses`, M_TOKEN, { status: 'Another', in_reply_to_id: parent }, { 'idempotency-key': 'k2' });
  assert.notEqual(other.json.id, first.json.id, 'a new key posts a new status');
  const r = await control('GET', 'replies?platform=mastodon&account=brand1');
  assert.equal(r.count, 2);
  assert.equal(r.received, 3, 'three POSTs arrived');
  assert.deepEqual(r.replies.map((x) => [x.id, x.in_reply_to, x.idempotency_key]),
    [[first.json.id, parent, key['idempotency-key']], [other.json.id, parent, 'k2']]);
  // a later harvest of the thread sees the reply
  const ctx = await get(`${M}/api/v1/statuses/${parent}/context`, M_TOKEN);
  assert.ok(ctx.json.descendants.some((s) => s.id === first.json.id));
  const one = await get(`${M}/api/v1/statuses/${first.json.id}`, M_TOKEN);
  assert.equal(one.status, 200);
});

test('mastodon: replies are validated like Mastodon does', async () => {
  await reset({ accounts: { notifications: 5, posts: 2, max_replies: 0, followers: 1, search: 1 } });
  const long = await post(`${M}/api/v1/statuses`, M_TOKEN, { status: 'x'.repeat(501) });
  assert.equal(long.status, 422);
  assert.equal(long.json.error, 'Validation failed: Text character limit of 500 exceeded');
  const okLong = await post(`${M}/api/v1/statuses`, M_TOKEN, { status: '咖'.repeat(500) });
  assert.equal(okLong.status, 200, '500 characters (not bytes) are fine');
  const family = await post(`${M}/api/v1/statuses`, M_TOKEN, { status: '👩‍👩‍👧‍👦'.repeat(500) });
  assert.equal(family.status, 200, '500 grapheme clusters (3,500 code points) are fine');
  const blank = await post(`${M}/api/v1/statuses`, M_TOKEN, { status: '  ' });
  assert.equal(blank.status, 422);
  const missing = await post(`${M}/api/v1/statuses`, M_TOKEN, { status: 'hi', in_reply_to_id: '1' });
  assert.equal(missing.status, 404);
  const noAuth = await post(`${M}/api/v1/statuses`, null, { status: 'hi' });
  assert.equal(noAuth.status, 401);
  const form = await fetch(`${fake.url}${M}/api/v1/statuses`, {
    method: 'POST', body: 'status=form+post', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${M_TOKEN}` },
  });
  assert.equal((await form.json()).content, '<p>form post</p>', 'form bodies work too');
  assert.equal((await control('GET', 'replies?account=brand1')).count, 3);
});

test('bluesky: createRecord with a fixed rkey conflicts the second time; getRecord finds it', async () => {
  await reset({ accounts: { notifications: 5, posts: 3, max_replies: 2, followers: 1, search: 1 } });
  const ex = await expected('bluesky', 'lumen.bsky.social');
  const feed = await get(`${B}/xrpc/app.bsky.feed.getAuthorFeed?actor=lumen.bsky.social`, B_TOKEN);
  const parent = feed.json.feed[0].post;
  const rkey = '3lo2yvk4s2322';
  const record = { $type: 'app.bsky.feed.post', text: '谢谢 🙏', createdAt: '2025-05-02T00:00:00.000Z',
    reply: { root: { uri: parent.uri, cid: parent.cid }, parent: { uri: parent.uri, cid: parent.cid } } };
  const first = await post(`${B}/xrpc/com.atproto.repo.createRecord`, B_TOKEN, { repo: 'lumen.bsky.social', collection: 'app.bsky.feed.post', rkey, record });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.uri, `at://${ex.account_id}/app.bsky.feed.post/${rkey}`);
  const again = await post(`${B}/xrpc/com.atproto.repo.createRecord`, B_TOKEN, { repo: ex.account_id, collection: 'app.bsky.feed.post', rkey, record });
  assert.equal(again.status, 400);
  assert.equal(again.json.error, 'InvalidRequest');
  assert.match(again.json.message, /already exists/);
  const got = await get(`${B}/xrpc/com.atproto.repo.getRecord?repo=lumen.bsky.social&collection=app.bsky.feed.post&rkey=${rkey}`, B_TOKEN);
  assert.equal(got.status, 200);
  assert.deepEqual([got.json.uri, got.json.cid, got.json.value.text, got.json.value.reply.parent.uri], [first.json.uri, first.json.cid, '谢谢 🙏', parent.uri]);
  const none = await get(`${B}/xrpc/com.atproto.repo.getRecord?repo=lumen.bsky.social&collection=app.bsky.feed.post&rkey=3lo2yvk4s2222`, B_TOKEN);
  assert.deepEqual([none.status, none.json.error], [400, 'RecordNotFound']);
  const r = await control('GET', 'replies?platform=bluesky&account=lumen.bsky.social');
  assert.deepEqual([r.count, r.received, r.replies[0].rkey, r.replies[0].in_reply_to], [1, 2, rkey, parent.uri]);
  const thread = await get(`${B}/xrpc/app.bsky.feed.getPostThread?uri=${encodeURIComponent(parent.uri)}`, B_TOKEN);
  assert.ok(thread.json.thread.replies.some((n) => n.post.uri === first.json.uri), 'the thread shows the reply');
});

test('bluesky: createRecord refuses bad records', async () => {
  await reset({ accounts: { notifications: 5, posts: 2, max_replies: 0, followers: 1, search: 1 } });
  const base = { repo: 'lumen.bsky.social', collection: 'app.bsky.feed.post' };
  const rec = (extra) => ({ $type: 'app.bsky.feed.post', text: 'hi', createdAt: '2025-05-02T00:00:00Z', ...extra });
  const cases = [
    [{ ...base, record: rec({ text: 'é'.repeat(301) }) }, /300 graphemes/],
    [{ ...base, record: rec({ text: '👩‍👩‍👧‍👦'.repeat(121) }) }, /3000 characters/],   // 121 graphemes, 3,025 bytes
    [{ ...base, record: rec({ reply: { root: { uri: 'at://x/app.bsky.feed.post/y', cid: 'c' }, parent: { uri: 'at://x/app.bsky.feed.post/y', cid: 'c' } } }) }, /not found/],
    [{ ...base, rkey: 'not-a-tid', record: rec() }, /TID/],
    [{ ...base, repo: 'someone.else', record: rec() }, /Could not find repo/],
  ];
  for (const [body, message] of cases) {
    const r = await post(`${B}/xrpc/com.atproto.repo.createRecord`, B_TOKEN, body);
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
    assert.match(r.json.message, message);
  }
  // 300 graphemes of a multi-code-point emoji are fine
  const ok300 = await post(`${B}/xrpc/com.atproto.repo.createRecord`, B_TOKEN, { ...base, record: rec({ text: '👍🏽'.repeat(300) }) });
  assert.equal(ok300.status, 200, ok300.text);
  assert.equal((await control('GET', 'replies?account=lumen.bsky.social')).count, 1);
});

test('faults: hold_ms answers late but the POST has already taken effect; method narrows a rule', async () => {
  await reset({ accounts: { notifications: 5, posts: 2, max_replies: 0, followers: 1, search: 1 } });
  await control('POST', 'faults', { rules: [{ match: `${M}/api/v1/statuses`, method: 'POST', hold_ms: 2000 }] });
  const ctl = new AbortController();
  const pending = fetch(`${fake.url}${M}/api/v1/statuses`, {
    method: 'POST', signal: ctl.signal, body: JSON.stringify({ status: 'held' }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${M_TOKEN}`, 'idempotency-key': 'held-1' },
  }).catch((err) => err);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await control('GET', 'replies?account=brand1')).count, 1, 'stored before the answer');
  ctl.abort();                     // the client dies without an answer
  assert.equal((await pending).name, 'AbortError');
  const retry = await post(`${M}/api/v1/statuses`, M_TOKEN, { status: 'held' }, { 'idempotency-key': 'held-1' });
  assert.equal(retry.status, 200);
  const r = await control('GET', 'replies?account=brand1');
  assert.deepEqual([r.count, r.received, r.replies[0].id], [1, 2, retry.json.id]);
  // a GET rule does not catch a POST
  await control('POST', 'faults', { rules: [{ match: `${M}/api/v1/statuses`, method: 'GET', status: 500 }] });
  assert.equal((await post(`${M}/api/v1/statuses`, M_TOKEN, { status: 'x' })).status, 200);
  await control('DELETE', 'faults');
});
