// WeChat Official Account generator: only the customer-service message API under
// /wechat/ACCOUNT/cgi-bin/... (the account's API base URL is http://HOST:PORT/wechat/ACCOUNT, as
// https://api.weixin.qq.com in production). WeChat pushes everything else to the brand
// (webhooks), so there is nothing to harvest here.
//
// As WeChat does, the token is the access_token query parameter (token-ACCOUNT) and every
// answer is HTTP 200 with {"errcode", "errmsg"}: a missing token 41001, a wrong or revoked one
// 40001, an OpenID that is not one 40003, empty text 44004, and 45015 for a customer who has not
// written in the last 48 hours (here: any OpenID starting "oSTALE"). Sent messages are recorded
// for GET /_control/replies (in_reply_to is the customer's OpenID).

const OPENID = /^o[A-Za-z0-9_-]{27}$/;

export default (kit) => {
  const { ok } = kit;
  const rid = () => `rid: ${Math.floor(Date.now() / 1000).toString(16)}-${Math.random().toString(16).slice(2, 10)}`;
  const refuse = (errcode, errmsg) => Object.assign(new Error(errmsg), { answer: { status: 200, body: { errcode, errmsg: `${errmsg} ${rid()}` } } });

  function customSend(c) {
    const w = c.w, b = c.body;
    w.replyPosts.push({ at: new Date().toISOString(), idempotency_key: null });
    const to = typeof b.touser === 'string' ? b.touser : '';
    if (!OPENID.test(to)) throw refuse(40003, 'invalid openid hint');
    if (b.msgtype !== 'text') throw refuse(40008, 'invalid message type hint');
    const content = typeof b.text?.content === 'string' ? b.text.content : '';
    if (!content.trim()) throw refuse(44004, 'empty content hint');
    if (Buffer.byteLength(content) > 2048) throw refuse(45002, 'content size out of limit hint');
    if (to.startsWith('oSTALE')) throw refuse(45015, 'response out of time limit or subscription is canceled hint');
    w.sent.push({ id: `cs-${w.sent.length + 1}`, text: content, parent: { id: to }, time: Date.now(), visibility: null });
    return ok({ errcode: 0, errmsg: 'ok' });
  }

  const wechat = {
    name: 'wechat',
    rate: { limit: 1000, window_s: 60 },
    extraWeights: [['mention', 1]],
    appendWeights: [['mention', 1]],
    init() {},
    onPerson(w, p) { p.id = `o${p.username.replace(/[^A-Za-z0-9]/g, '').padEnd(27, 'x').slice(0, 27)}`; },
    onStatus(w, st) { st.id = String(st.time); st.key = st.id; },
    onFollow(w, f) { f.key = f.person.id; },
    onNotification(w, n) { n.key = `${n.type}-${n.time}`; },
    mentionName: (p) => p.username,

    tokenFor: (account) => `token-${account}`,
    token: (req, url) => url.searchParams.get('access_token'),
    headers: () => ({ 'content-type': 'application/json; encoding=utf-8', connection: 'keep-alive' }),
    authError(missing) {
      return missing ? { status: 200, body: { errcode: 41001, errmsg: `access_token missing ${rid()}` } }
        : { status: 200, body: { errcode: 40001, errmsg: `invalid credential, access_token is invalid or not latest ${rid()}` } };
    },
    tooManyBody: () => ({ errcode: 45009, errmsg: 'reach max api daily quota limit' }),
    errorBody: () => ({ errcode: -1, errmsg: 'system error' }),

    routes: [
      ['POST', /^\/cgi-bin\/message\/custom\/send$/, customSend],
    ],

    expected: () => ({ streams: {}, statuses_reachable: [], accounts_reachable: [] }),
  };
  return { wechat };
};
