// Tests of the Meta generators (platforms/meta.mjs):  node --test tests/fake-platform/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakePlatform } from './server.mjs';

const F = '/facebook/lumenpage/v19.0';
const I = '/instagram/lumen.ig/v19.0';
const F_TOKEN = 'token-lumenpage';
const I_TOKEN = 'token-lumen.ig';

let fake;
before(async () => { fake = await startFakePlatform({ port: 0, log: () => {} }); });
after(async () => { await fake.close(); });

async function call(method, pathOrUrl, token, body) {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : fake.url + pathOrUrl;
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json };
}
const get = (p, token) => call('GET', p, token);
const post = (p, token, body) => call('POST', p, token, body);

async function control(method, path, body) {
  const res = await fetch(`${fake.url}/_control/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

// Every item of an edge, following paging.next until it is absent.
async function walk(first, token) {
  const items = [];
  let url = first, pages = 0;
  while (url) {
    const r = await get(url, token);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    items.push(...r.json.data);
    url = r.json.paging?.next;
    if (url) assert.ok(r.json.paging.cursors.after, 'a next page comes with an after cursor');
    assert.ok(++pages < 1000);
  }
  return { items, pages };
}

const reset = (accounts = { notifications: 20, posts: 12, max_replies: 4, followers: 10, search: 30 }) =>
  control('POST', 'reset', { accounts, keywords: ['lumen'] });

test('the same reset gives the same Page and account', async () => {
  await reset();
  const a = await control('GET', 'expected?platform=facebook&account=lumenpage');
  const b = await control('GET', 'expected?platform=instagram&account=lumen.ig');
  await reset();
  assert.deepEqual(await control('GET', 'expected?platform=facebook&account=lumenpage'), a);
  assert.deepEqual(await control('GET', 'expected?platform=instagram&account=lumen.ig'), b);
  assert.equal(a.streams.feed.length, 12);
  assert.ok(a.streams.tagged.length > 0 && b.streams.tags.length > 0);
  assert.ok(a.accounts_reachable.includes(a.account_id));
});

test('a Page feed pages with cursors and since, newest first, with bilingual posts and embedded comments', async () => {
  await reset();
  const exp = await control('GET', 'expected?platform=facebook&account=lumenpage');
  const { items, pages } = await walk(`${F}/${exp.account_id}/feed?fields=id,message,comments&limit=5`, F_TOKEN);
  assert.equal(pages, 3);
  assert.deepEqual(items.map((p) => p.id), exp.streams.feed);
  assert.ok(items.every((p) => p.id.startsWith(`${exp.account_id}_`) && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/.test(p.created_time)));
  assert.ok(items.some((p) => /[\u4e00-\u9fff]/.test(p.message)) && items.some((p) => /^[\x20-\x7e]+$/.test(p.message)));
  assert.ok(items.every((p) => p.from.id === exp.account_id && p.comments.summary.total_count === exp.streams.comments[p.id].length));
  const since = Math.floor(Date.parse(items[3].created_time) / 1000);
  const recent = await get(`${F}/${exp.account_id}/feed?since=${since}`, F_TOKEN);
  assert.deepEqual(recent.json.data.map((p) => p.id), exp.streams.feed.slice(0, 4));
  const noComments = await get(`${F}/${exp.account_id}/tagged?fields=id,message`, F_TOKEN);
  assert.deepEqual(noComments.json.data.map((p) => p.id), exp.streams.tagged.slice(0, 25));
  assert.ok(noComments.json.data.every((p) => p.comments === undefined && p.from.id !== exp.account_id));
});

test('comments: filter=stream gives the whole thread in two levels, with parents', async () => {
  await reset();
  const exp = await control('GET', 'expected?platform=facebook&account=lumenpage');
  const [postId, ids] = Object.entries(exp.streams.comments).find(([, list]) => list.length >= 3);
  const { items } = await walk(`${F}/${postId}/comments?filter=stream&order=chronological&limit=2`, F_TOKEN);
  assert.deepEqual(items.map((c) => c.id), ids);
  const top = new Set(items.filter((c) => !c.parent).map((c) => c.id));
  assert.ok(top.size > 0 && items.every((c) => !c.parent || top.has(c.parent.id)), 'replies hang under top-level comments');
  assert.ok(items.every((c) => c.permalink_url.includes(`/posts/${postId.split('_')[1]}/?comment_id=`)));
});

test('Instagram: media, tags, comments with replies and hashtag search cover the expected items', async () => {
  await reset();
  const exp = await control('GET', 'expected?platform=instagram&account=lumen.ig');
  const media = await walk(`${I}/${exp.account_id}/media?limit=5`, I_TOKEN);
  assert.deepEqual(media.items.map((m) => m.id), exp.streams.media);
  assert.ok(media.items.every((m) => m.owner.id === exp.account_id && m.username === 'lumen.ig'));
  const tags = await walk(`${I}/${exp.account_id}/tags?limit=7`, I_TOKEN);
  assert.deepEqual(tags.items.map((m) => m.id), exp.streams.tags);
  const [mediaId, ids] = Object.entries(exp.streams.comments).find(([, list]) => list.length >= 3);
  const { items } = await walk(`${I}/${mediaId}/comments?fields=id,text,replies{id}&limit=50`, I_TOKEN);
  const seen = items.flatMap((c) => [c.id, ...(c.replies?.data ?? []).map((r) => r.id)]);
  assert.deepEqual(new Set(seen), new Set(ids));
  const search = await get(`${I}/ig_hashtag_search?user_id=${exp.account_id}&q=lumen`, I_TOKEN);
  const tagged = await walk(`${I}/${search.json.data[0].id}/recent_media?user_id=${exp.account_id}&limit=10`, I_TOKEN);
  assert.deepEqual(tagged.items.map((m) => m.id), exp.streams.search.lumen);
  assert.ok(tagged.items.every((m) => m.owner === undefined && m.username === undefined), 'hashtag media name no author');
  const brand = await get(`${I}/${exp.account_id}`, I_TOKEN);
  assert.equal(brand.json.followers_count, exp.streams.followers_count);
});

test('Instagram: replies embedded under a comment are a first page that /replies continues', async () => {
  await reset({ notifications: 20, posts: 12, max_replies: 8, followers: 10, search: 30, page_cap: 1 });
  const exp = await control('GET', 'expected?platform=instagram&account=lumen.ig');
  let continued = 0;
  for (const [mediaId, ids] of Object.entries(exp.streams.comments)) {
    const { items } = await walk(`${I}/${mediaId}/comments?fields=id,text,replies{id}&limit=50`, I_TOKEN);
    const seen = [];
    for (const c of items) {
      seen.push(c.id, ...(c.replies?.data ?? []).map((r) => r.id));
      assert.ok((c.replies?.data.length ?? 0) <= 1, 'page_cap bounds the embedded replies');
      if (c.replies?.paging?.next) {
        continued++;
        seen.push(...(await walk(c.replies.paging.next, I_TOKEN)).items.map((r) => r.id));
      }
    }
    assert.equal(seen.length, new Set(seen).size, 'no reply is listed twice');
    assert.deepEqual(new Set(seen), new Set(ids));
  }
  assert.ok(continued > 0, 'some comment has more replies than embedded');
});

test('Graph errors: code 190 for a bad token, 100 for unknown objects, code 4 when throttled', async () => {
  await reset();
  const exp = await control('GET', 'expected?platform=facebook&account=lumenpage');
  const feed = `${F}/${exp.account_id}/feed`;
  let r = await get(feed, 'token-other');
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 190);
  assert.equal(r.json.error.type, 'OAuthException');
  assert.ok(r.json.error.fbtrace_id);
  r = await get(feed);
  assert.equal(r.json.error.code, 2500);
  r = await get(`${F}/999/feed`, F_TOKEN);
  assert.deepEqual([r.status, r.json.error.code, r.json.error.error_subcode], [400, 100, 33]);
  await control('POST', 'revoke', { token: F_TOKEN });
  assert.equal((await get(feed, F_TOKEN)).json.error.code, 190);
  await control('POST', 'unrevoke', { token: F_TOKEN });
  await control('POST', 'faults', { rules: [{ match: feed, status: 400 }, { match: feed, status: 403 }] });
  for (const status of [400, 403]) {
    r = await get(feed, F_TOKEN);
    assert.deepEqual([r.status, r.json.error.code], [status, 4]);
    const buc = Object.values(JSON.parse(r.headers.get('x-business-use-case-usage')))[0][0];
    assert.ok(buc.estimated_time_to_regain_access >= 1 && buc.call_count === 100);
  }
  r = await get(feed, F_TOKEN);
  assert.equal(r.status, 200);
  assert.ok(JSON.parse(r.headers.get('x-app-usage')).call_count >= 0);
  await control('POST', 'reset', { rate_limit: { facebook: { limit: 2, window_s: 600 } } });
  await get(feed, F_TOKEN);
  await get(feed, F_TOKEN);
  r = await get(feed, F_TOKEN);
  assert.deepEqual([r.status, r.json.error.code], [429, 4]);
});

test('comments and IG replies POSTed are recorded; Graph has no idempotency key', async () => {
  await reset();
  const f = await control('GET', 'expected?platform=facebook&account=lumenpage');
  const target = Object.values(f.streams.comments).find((list) => list.length)[0];
  let r = await post(`${F}/${target}/comments`, F_TOKEN, { message: 'Thanks! 谢谢' });
  assert.equal(r.status, 200);
  assert.match(r.json.id, /^\d+_\d+$/);
  await post(`${F}/${target}/comments`, F_TOKEN, { message: 'Thanks! 谢谢' });
  r = await post(`${F}/${target}/comments`, F_TOKEN, { message: '  ' });
  assert.deepEqual([r.status, r.json.error.code], [400, 100]);
  let sent = await control('GET', 'replies?platform=facebook&account=lumenpage');
  assert.deepEqual([sent.count, sent.received], [2, 3]);
  assert.equal(sent.replies[0].in_reply_to, target);
  const thread = await get(`${F}/${target}/comments?filter=stream&order=reverse_chronological&fields=id,message,from`, F_TOKEN);
  assert.ok(thread.json.data.some((c) => c.id === sent.replies[1].id && c.from.id === f.account_id && c.message === 'Thanks! 谢谢'));

  const i = await control('GET', 'expected?platform=instagram&account=lumen.ig');
  const [mediaId, comments] = Object.entries(i.streams.comments).find(([, list]) => list.length);
  r = await post(`${I}/${comments[0]}/replies`, I_TOKEN, { message: '@you 谢谢 ☕' });
  assert.equal(r.status, 200);
  r = await post(`${I}/${mediaId}/replies`, I_TOKEN, { message: 'not on media' });
  assert.deepEqual([r.status, r.json.error.code], [400, 100]);
  r = await post(`${I}/${comments[0]}/comments`, I_TOKEN, { message: 'not on comments' });
  assert.deepEqual([r.status, r.json.error.code], [400, 100]);
  r = await post(`${I}/${mediaId}/comments`, I_TOKEN, { message: 'On the media' });
  assert.equal(r.status, 200);
  sent = await control('GET', 'replies?platform=instagram&account=lumen.ig');
  assert.deepEqual(sent.replies.map((x) => [x.text, x.in_reply_to]), [['@you 谢谢 ☕', comments[0]], ['On the media', mediaId]]);
});

test('a reply to a reply is filed under the top comment, and listed only there', async () => {
  await reset();
  const f = await control('GET', 'expected?platform=facebook&account=lumenpage');
  const fields = 'fields=id,message,from,parent{id}&filter=stream&order=reverse_chronological';
  let reply, top;
  for (const postId of Object.keys(f.streams.comments)) {
    const { items } = await walk(`${F}/${postId}/comments?filter=stream&fields=id,parent{id}`, F_TOKEN);
    reply = items.find((c) => c.parent);
    if (reply) { top = reply.parent.id; break; }
  }
  assert.ok(reply, 'some comment is a reply');
  assert.deepEqual((await get(`${F}/${reply.id}/comments?${fields}`, F_TOKEN)).json.data, [], 'a reply lists no replies');
  const r = await post(`${F}/${reply.id}/comments`, F_TOKEN, { message: 'To the reply 🙏' });
  assert.equal(r.status, 200);
  assert.deepEqual((await get(`${F}/${reply.id}/comments?${fields}`, F_TOKEN)).json.data, [], '… not even the new one');
  const under = (await get(`${F}/${top}/comments?${fields}`, F_TOKEN)).json.data;
  assert.deepEqual([under[0].id, under[0].message, under[0].from.id, under[0].parent],
                   [r.json.id, 'To the reply 🙏', f.account_id, { id: top }], 'the top comment lists it first, as its own reply');
  const sent = await control('GET', 'replies?platform=facebook&account=lumenpage');
  assert.equal(sent.replies.at(-1).in_reply_to, top);

  await reset({ notifications: 20, posts: 12, max_replies: 8, followers: 10, search: 30 });
  const i = await control('GET', 'expected?platform=instagram&account=lumen.ig');
  let igReply, igTop;
  for (const mediaId of Object.keys(i.streams.comments)) {
    const { items } = await walk(`${I}/${mediaId}/comments?fields=id,replies{id,parent_id}`, I_TOKEN);
    const c = items.find((x) => x.replies?.data.length);
    if (c) { igTop = c.id; igReply = c.replies.data[0].id; break; }
  }
  assert.ok(igReply, 'some IG comment has a reply');
  const m = await post(`${I}/${igReply}/replies`, I_TOKEN, { message: '@you 谢谢' });
  assert.equal(m.status, 200);
  assert.deepEqual((await get(`${I}/${igReply}/replies`, I_TOKEN)).json.data, []);
  const igUnder = await walk(`${I}/${igTop}/replies?fields=id,text,parent_id`, I_TOKEN);
  assert.deepEqual(igUnder.items.filter((x) => x.id === m.json.id).map((x) => x.parent_id), [igTop]);
});
