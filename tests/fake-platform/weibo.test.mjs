// Tests of the fake server's Weibo and WeChat generators:  node --test tests/fake-platform/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFakePlatform } from './server.mjs';

const W = '/weibo/lumen_wb/2';
const TOKEN = 'token-lumen_wb';
const WX = '/wechat/lumen_wx';

let fake;
before(async () => { fake = await startFakePlatform({ port: 0, log: () => {} }); });
after(async () => { await fake.close(); });

async function call(method, path, { auth = `OAuth2 ${TOKEN}`, form, json } = {}) {
  const headers = auth ? { authorization: auth } : {};
  let body;
  if (form) { headers['content-type'] = 'application/x-www-form-urlencoded'; body = new URLSearchParams(form).toString(); }
  if (json) { headers['content-type'] = 'application/json'; body = JSON.stringify(json); }
  const res = await fetch(fake.url + path, { method, headers, body });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}
const get = (path, opts) => call('GET', path, opts);

async function control(method, path, body) {
  const res = await fetch(`${fake.url}/_control/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
const expected = (account) => control('GET', `expected?platform=weibo&account=${account}`);

// Pages down with max_id from the newest status, as the harvester does, stopping at an empty page.
async function crawl(path, sinceId = null, list = 'statuses') {
  const ids = [];
  let maxId = null;
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 200, 'paging does not end');
    const q = `${path}${path.includes('?') ? '&' : '?'}count=7${sinceId ? `&since_id=${sinceId}` : ''}${maxId ? `&max_id=${maxId}` : ''}`;
    const r = await get(q);
    assert.equal(r.status, 200, r.text);
    if (!r.json[list].length) return ids;
    for (const s of r.json[list]) ids.push(s.idstr);
    maxId = (BigInt(ids[ids.length - 1]) - 1n).toString();
  }
}

test('weibo: mentions and own posts page down with max_id and resume with since_id', async () => {
  await control('POST', 'reset', { accounts: { notifications: 80, posts: 10, followers: 10 } });
  const exp = await expected('lumen_wb');
  assert.ok(exp.streams.mentions.length > 5, 'the world has mentions');
  assert.deepEqual(await crawl(`${W}/statuses/mentions.json`), exp.streams.mentions);
  assert.deepEqual(await crawl(`${W}/statuses/user_timeline.json?uid=${exp.account_id}`), exp.streams.statuses);
  const [newest] = exp.streams.mentions;
  assert.deepEqual(await crawl(`${W}/statuses/mentions.json`, newest), [], 'nothing newer than the newest');
  const { added } = await control('POST', 'append', { platform: 'weibo', account: 'lumen_wb', stream: 'mentions', count: 3 });
  assert.deepEqual(await crawl(`${W}/statuses/mentions.json`, newest), [...added].reverse(), 'since_id gives exactly the new ones');
});

test('weibo: comments/mentions lists the comments that @ the brand, paged the same way', async () => {
  await control('POST', 'reset', { accounts: { notifications: 20, posts: 15, max_replies: 5, followers: 5 } });
  const exp = await expected('lumen_wb');
  assert.ok(exp.streams.comment_mentions.length > 7, 'the world has comments naming the brand');
  const got = await crawl(`${W}/comments/mentions.json`, null, 'comments');
  assert.deepEqual(got, exp.streams.comment_mentions);
  const all = Object.values(exp.streams.comments).flat();
  assert.ok(got.every((id) => all.includes(id)), 'they are comments under the brand\'s posts');
  assert.deepEqual(await crawl(`${W}/comments/mentions.json`, got[3], 'comments'), got.slice(0, 3), 'since_id');
});

test('weibo: comments/to_me lists every comment the brand received, also those that do not @ it', async () => {
  await control('POST', 'reset', { accounts: { notifications: 20, posts: 15, max_replies: 5, followers: 5 } });
  const exp = await expected('lumen_wb');
  const got = await crawl(`${W}/comments/to_me.json`, null, 'comments');
  assert.deepEqual(got, exp.streams.comments_to_me);
  const all = new Set(Object.values(exp.streams.comments).flat());
  assert.deepEqual(new Set(got), all, 'the comments under the brand\'s posts, none of its own among them');
  assert.ok(got.some((id) => !exp.streams.comment_mentions.includes(id)), 'some do not name the brand');
  assert.deepEqual(await crawl(`${W}/comments/to_me.json`, got[3], 'comments'), got.slice(0, 3), 'since_id');
});

test('weibo: status and user shapes', async () => {
  await control('POST', 'reset', { accounts: { notifications: 40, posts: 5, followers: 5 } });
  const r = await get(`${W}/statuses/mentions.json?count=200`);
  const s = r.json.statuses[0];
  assert.equal(String(s.id), s.idstr, 'the number and idstr agree (below 2^53)');
  assert.match(s.created_at, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \+0800 \d{4}$/);
  assert.match(s.text, /@Lumen流明咖啡/, 'a mention @s the brand');
  for (const k of ['id', 'idstr', 'screen_name', 'name', 'description', 'location', 'followers_count', 'friends_count', 'verified', 'lang']) {
    assert.ok(k in s.user, `user.${k}`);
  }
  assert.equal(r.json.total_number, r.json.statuses.length);
});

test('weibo: followers by cursor; comments under each own post', async () => {
  await control('POST', 'reset', { accounts: { posts: 12, followers: 45, max_replies: 6 } });
  const exp = await expected('lumen_wb');
  const got = [];
  let cursor = 0, pages = 0;
  do {
    const r = await get(`${W}/friendships/followers.json?uid=${exp.account_id}&count=20&cursor=${cursor}`);
    assert.equal(r.status, 200, r.text);
    got.push(...r.json.users.map((u) => u.idstr));
    cursor = r.json.next_cursor;
    assert.ok(++pages < 50);
  } while (cursor !== 0);
  assert.deepEqual(got, exp.streams.followers);
  let withReplies = 0;
  for (const [post, ids] of Object.entries(exp.streams.comments)) {
    const r = await get(`${W}/comments/show.json?id=${post}&count=200`);
    assert.deepEqual(r.json.comments.map((c) => c.idstr).reverse(), ids, `comments of ${post}`);
    for (const c of r.json.comments) {
      assert.equal(c.status.idstr, post, 'each comment carries its status');
      if (c.reply_comment) { assert.ok(ids.includes(c.reply_comment.idstr)); assert.ok(!('status' in c.reply_comment)); }
    }
    if (ids.length) withReplies++;
  }
  assert.ok(withReplies > 0, 'some posts have comments');
});

test('weibo: OAuth2 header only; Weibo error JSON for missing, wrong, revoked tokens and the rate limit', async () => {
  await control('POST', 'reset', {});
  assert.deepEqual((await get(`${W}/statuses/mentions.json`, { auth: null })).json.error_code, 21301);
  const bearer = await get(`${W}/statuses/mentions.json`, { auth: `Bearer ${TOKEN}` });
  assert.equal(bearer.status, 403, 'a Bearer token is not how Weibo is asked');
  const wrong = await get(`${W}/statuses/mentions.json`, { auth: 'OAuth2 token-other' });
  assert.deepEqual([wrong.status, wrong.json.error_code, wrong.json.error], [401, 21332, 'invalid_access_token']);
  await control('POST', 'revoke', { token: TOKEN });
  const expired = await get(`${W}/statuses/mentions.json`);
  assert.deepEqual([expired.status, expired.json.error_code, expired.json.error], [400, 21327, 'expired_token']);
  await control('POST', 'unrevoke', { token: TOKEN });
  await control('POST', 'faults', { rules: [{ match: '/weibo/lumen_wb/2/statuses/mentions.json', status: 403 }] });
  const limited = await get(`${W}/statuses/mentions.json`);
  assert.deepEqual([limited.status, limited.json.error_code], [403, 10023]);
  assert.equal((await get(`${W}/statuses/mentions.json`)).status, 200, 'the fault was used once');
  await control('POST', 'reset', { rate_limit: { weibo: { limit: 2, window_s: 3600 } } });
  await get(`${W}/statuses/mentions.json`);
  await get(`${W}/statuses/mentions.json`);
  assert.equal((await get(`${W}/statuses/mentions.json`)).json.error_code, 10023);
});

test('weibo: comments/create and comments/reply are recorded; a repeat is refused with 20019', async () => {
  await control('POST', 'reset', { accounts: { posts: 10, max_replies: 4 } });
  const exp = await expected('lumen_wb');
  const [post, ids] = Object.entries(exp.streams.comments).find(([, list]) => list.length);
  const made = await call('POST', `${W}/comments/create.json`, { form: { id: post, comment: '谢谢支持！Thanks' } });
  assert.equal(made.status, 200, made.text);
  assert.deepEqual([made.json.text, made.json.status.idstr, made.json.user.idstr], ['谢谢支持！Thanks', post, exp.account_id]);
  const again = await call('POST', `${W}/comments/create.json`, { form: { id: post, comment: '谢谢支持！Thanks' } });
  assert.deepEqual([again.status, again.json.error_code], [400, 20019]);
  const answered = await get(`${W}/comments/show.json?id=${post}`);
  const target = answered.json.comments.find((c) => c.idstr === ids[0]);
  const reply = await call('POST', `${W}/comments/reply.json`, { form: { cid: ids[0], id: post, comment: 'We will fix it.' } });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.json.text, `回复@${target.user.screen_name}:We will fix it.`);
  assert.equal(reply.json.reply_comment.idstr, ids[0]);
  const bad = await call('POST', `${W}/comments/reply.json`, { form: { cid: '1', id: post, comment: 'x' } });
  assert.equal(bad.json.error_code, 20206);
  const sent = await control('GET', 'replies?platform=weibo&account=lumen_wb');
  assert.equal(sent.count, 2);
  assert.equal(sent.received, 4, 'every POST is counted, refused ones too');
  assert.deepEqual(sent.replies.map((r) => r.in_reply_to), [post, ids[0]]);
  const after = await get(`${W}/comments/show.json?id=${post}`);
  assert.equal(after.json.total_number, ids.length + 2, 'the new comments are under the post');
});

test('wechat: customer-service messages need the access_token query parameter; errors come as HTTP 200', async () => {
  await control('POST', 'reset', {});
  const openid = 'oABCDEFGHIJKLMNOPQRSTUVWXYZa';
  const msg = { touser: openid, msgtype: 'text', text: { content: '您好，我们已收到 ☕' } };
  const sent = await call('POST', `${WX}/cgi-bin/message/custom/send?access_token=token-lumen_wx`, { auth: null, json: msg });
  assert.deepEqual([sent.status, sent.json], [200, { errcode: 0, errmsg: 'ok' }]);
  const header = await call('POST', `${WX}/cgi-bin/message/custom/send`, { auth: 'Bearer token-lumen_wx', json: msg });
  assert.deepEqual([header.status, header.json.errcode], [200, 41001]);
  const wrong = await call('POST', `${WX}/cgi-bin/message/custom/send?access_token=nope`, { auth: null, json: msg });
  assert.deepEqual([wrong.status, wrong.json.errcode], [200, 40001]);
  const stale = await call('POST', `${WX}/cgi-bin/message/custom/send?access_token=token-lumen_wx`,
    { auth: null, json: { ...msg, touser: 'oSTALEFGHIJKLMNOPQRSTUVWXYZa' } });
  assert.equal(stale.json.errcode, 45015);
  const bad = await call('POST', `${WX}/cgi-bin/message/custom/send?access_token=token-lumen_wx`, { auth: null, json: { ...msg, touser: 'x' } });
  assert.equal(bad.json.errcode, 40003);
  const replies = await control('GET', 'replies?platform=wechat&account=lumen_wx');
  assert.equal(replies.count, 1);
  assert.deepEqual([replies.replies[0].in_reply_to, replies.replies[0].text], [openid, '您好，我们已收到 ☕']);
});
