// Sina Weibo generator: open API 2 shapes and routes under /weibo/ACCOUNT/2/... (the account's
// API base URL is http://HOST:PORT/weibo/ACCOUNT/2, as https://api.weibo.com/2 in production).
//
// The shared world maps onto Weibo as: the brand's posts are statuses; replies under them are
// comments (comments/show, flat under the status, reply_comment naming the comment answered);
// "mention" notifications are statuses that @ the brand (statuses/mentions), and the comments
// that name the brand are also listed by comments/mentions, and every comment the brand received by
// comments/to_me; "quote" ones are
// reposts of a brand status with words of their own (retweeted_status), which Weibo's mention
// list does not show; likes and plain reposts only move the counters; follows are followers.
//
// Ids are 16-digit numbers below 2^53 (so the JSON numbers are exact, like real mids), also
// given as idstr. Authentication is "Authorization: OAuth2 token-ACCOUNT"; errors are Weibo's
// {"error", "error_code", "request"}: a missing token 21301, a wrong one 21332
// invalid_access_token (401), a revoked one 21327 expired_token (400), the rate limit 10023
// (the limiter answers 429; a fault rule with status 403 gives Weibo's own 403 answer).
// comments/create and comments/reply record sent replies (GET /_control/replies); Weibo refuses
// a comment repeating the brand's previous one under the same status (20019 repeat content).

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n) => String(n).padStart(2, '0');
const ID_BASE = 4_800_000_000_000_000;
const LOCATIONS = { zh: ['上海 徐汇区', '北京 朝阳区', '浙江 杭州', '广东 深圳', '四川 成都'], en: ['海外 美国', '海外 德国', '海外 新加坡', '其他'] };
const SOURCE = '<a href="https://app.weibo.com/t/feed/6vtZb0" rel="nofollow">微博 weibo.com</a>';

export default (kit) => {
  const { ANCHOR_MS, DAY, ok, notFound } = kit;

  // "Tue May 31 17:46:55 +0800 2011": Beijing time, as Weibo writes it.
  function weiboTime(ms) {
    const d = new Date(Math.floor(ms / 1000) * 1000 + 8 * 3600e3);
    return `${WEEKDAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0800 ${d.getUTCFullYear()}`;
  }

  const error = (status, code, message, request = null) => Object.assign(new Error(message), {
    answer: { status, body: { error: message, error_code: code, request } },
  });

  function wUser(w, p) {
    return {
      id: Number(p.id), idstr: p.id, class: 1, screen_name: p.username, name: p.username,
      province: p.lang === 'zh' ? '31' : '400', city: p.lang === 'zh' ? '4' : '1',
      location: p.location, description: p.bio, url: '', profile_url: `u/${p.id}`, domain: '', weihao: '',
      profile_image_url: `https://tvax1.sinaimg.cn/crop.0.0.180.180.50/${p.id}.jpg`,
      avatar_large: `https://tvax1.sinaimg.cn/crop.0.0.180.180.180/${p.id}.jpg`,
      gender: p.idx % 2 ? 'f' : 'm',
      followers_count: p.isBrand ? w.followers.length : p.followersBase, friends_count: p.followingBase,
      statuses_count: p.isBrand ? w.posts.length : p.statusesBase + p.authored, favourites_count: 0,
      created_at: weiboTime(p.created), following: false, allow_all_act_msg: false, geo_enabled: true,
      verified: Boolean(p.isBrand), verified_type: p.isBrand ? 2 : -1, verified_reason: p.isBrand ? '流明咖啡官方微博' : '',
      remark: '', allow_all_comment: true, follow_me: false, online_status: 0, bi_followers_count: 0,
      lang: p.lang === 'zh' ? 'zh-cn' : 'en', star: 0, mbtype: 0, mbrank: 0, block_word: 0,
    };
  }

  const comments = (st) => st.children.flatMap((c) => [c, ...comments(c)]);

  function wStatus(w, st, nested = false) {
    const out = {
      created_at: weiboTime(st.time), id: Number(st.id), idstr: st.id, mid: st.id, text: st.text, source: SOURCE,
      favorited: false, truncated: false, in_reply_to_status_id: '', in_reply_to_user_id: '', in_reply_to_screen_name: '',
      pic_urls: [], geo: null, reposts_count: st.reposts, comments_count: comments(st).length, attitudes_count: st.likes,
      isLongText: false, mlevel: 0, visible: { type: 0, list_id: 0 }, user: wUser(w, st.author),
    };
    if (st.quoted && !nested) out.retweeted_status = wStatus(w, st.quoted, true);
    return out;
  }

  // A comment; its status is given in full, a reply_comment without its status (as Weibo does).
  function wComment(w, st, withStatus = true) {
    const out = {
      created_at: weiboTime(st.time), id: Number(st.id), idstr: st.id, rootid: st.id, floor_number: 0,
      text: st.text, source: SOURCE, mid: st.id, like_count: st.likes, user: wUser(w, st.author),
    };
    if (withStatus) out.status = wStatus(w, st.root);
    if (withStatus && st.parent && st.parent !== st.root) out.reply_comment = wComment(w, st.parent, false);
    return out;
  }

  function count(params, def, max) {
    const n = parseInt(params.get('count') ?? '', 10);
    return Number.isFinite(n) && n > 0 ? Math.min(n, max) : def;
  }
  const bigParam = (params, name) => (/^\d+$/.test(params.get(name) ?? '') ? BigInt(params.get(name)) : null);

  // since_id (exclusive) / max_id (inclusive) windows, newest first, page by page.
  function statusPage(c, itemsAsc, max) {
    const since = bigParam(c.params, 'since_id'), top = bigParam(c.params, 'max_id');
    const n = count(c.params, 20, max), page = Math.max(1, parseInt(c.params.get('page') ?? '1', 10) || 1);
    const hits = itemsAsc.filter((st) => (since === null || BigInt(st.id) > since) && (top === null || BigInt(st.id) <= top)).reverse();
    const slice = hits.slice((page - 1) * n, page * n);
    const more = page * n < hits.length;
    return ok({
      statuses: slice.map((st) => wStatus(c.w, st)), advertises: [], ad: [], hasvisible: false,
      previous_cursor: 0, next_cursor: more ? Number(slice[slice.length - 1].id) - 1 : 0, total_number: hits.length,
    });
  }

  const mentionStatuses = (w) => w.notifications.filter((n) => n.type === 'mention' && n.status).map((n) => n.status);
  // Comments that @ the brand (the replies under its posts name it), oldest first.
  const mentionComments = (w) => w.statusesAsc().filter((st) => st.kind === 'reply' && st.author !== w.brand
    && st.segments.some((g) => g.type === 'mention' && g.person === w.brand));

  // Comments the brand received (comments/to_me): every comment by someone else under its
  // statuses, and answers to its own comments elsewhere, oldest first.
  const toMeComments = (w) => w.statusesAsc().filter((st) => st.kind === 'reply' && st.author !== w.brand
    && (st.root?.author === w.brand || st.parent?.author === w.brand));

  // comments/mentions and comments/to_me: the same since_id / max_id windows as the status lists.
  function commentList(c, list) {
    const since = bigParam(c.params, 'since_id'), top = bigParam(c.params, 'max_id');
    const n = count(c.params, 50, 200), page = Math.max(1, parseInt(c.params.get('page') ?? '1', 10) || 1);
    const hits = list.filter((st) => (since === null || BigInt(st.id) > since) && (top === null || BigInt(st.id) <= top)).reverse();
    const slice = hits.slice((page - 1) * n, page * n);
    return ok({
      comments: slice.map((x) => wComment(c.w, x)), hasvisible: false, previous_cursor: 0,
      next_cursor: page * n < hits.length ? Number(slice[slice.length - 1].id) - 1 : 0, total_number: hits.length,
    });
  }

  function uidPerson(c) {
    const uid = c.params.get('uid'), name = c.params.get('screen_name');
    const p = c.w.people.find((x) => (uid !== null && x.id === uid) || (name !== null && x.username === name));
    if (!p) throw error(400, 20003, 'User does not exists!');
    return p;
  }

  // Newest first; since_id (exclusive) / max_id (inclusive) windows and pages, as the status lists.
  function commentsShow(c) {
    const st = c.w.statuses.get(c.params.get('id') ?? '');
    if (!st || st.kind === 'reply') throw error(400, 20101, 'target weibo does not exist!');
    const since = bigParam(c.params, 'since_id'), top = bigParam(c.params, 'max_id');
    const n = Math.min(count(c.params, 50, 200), c.w.counts.page_cap || 200);
    const page = Math.max(1, parseInt(c.params.get('page') ?? '1', 10) || 1);
    const all = comments(st).sort((a, b) => b.time - a.time);
    const hits = all.filter((x) => (since === null || BigInt(x.id) > since) && (top === null || BigInt(x.id) <= top));
    return ok({
      comments: hits.slice((page - 1) * n, page * n).map((x) => wComment(c.w, x)), marks: [], hasvisible: false,
      previous_cursor: 0, next_cursor: 0, total_number: all.length,
    });
  }

  function followers(c) {
    const p = uidPerson(c);
    const list = p.isBrand ? [...c.w.followers].reverse() : [];
    const n = count(c.params, 50, 200), cursor = Math.max(0, parseInt(c.params.get('cursor') ?? '0', 10) || 0);
    const slice = list.slice(cursor, cursor + n);
    return ok({
      users: slice.map((f) => wUser(c.w, f.person)), next_cursor: cursor + n < list.length ? cursor + n : 0,
      previous_cursor: cursor, total_number: list.length,
    });
  }

  // comments/create (id, comment) and comments/reply (cid, id, comment): a form POST.
  function postComment(c, isReply) {
    const w = c.w, b = c.body;
    w.replyPosts.push({ at: new Date().toISOString(), idempotency_key: null });
    const status = w.statuses.get(String(b.id ?? ''));
    if (!status || status.kind === 'reply') throw error(400, 20101, 'target weibo does not exist!');
    let parent = status;
    if (isReply) {
      parent = w.statuses.get(String(b.cid ?? ''));
      if (!parent || parent.kind !== 'reply' || parent.root !== status) throw error(400, 20206, 'target comment does not exist!');
    }
    const words = typeof b.comment === 'string' ? b.comment : '';
    if (!words.trim()) throw error(400, 10016, 'miss required parameter (comment) , see doc for more info.');
    if ([...words].length > 140) throw error(400, 20012, 'Text too long, please input text less than 140 characters!');
    const text = isReply && b.without_mention !== '1' ? `回复@${parent.author.username}:${words}` : words;
    const last = comments(status).filter((x) => x.author === w.brand).sort((x, y) => y.time - x.time)[0];
    if (last && last.text === text) throw error(400, 20019, 'repeat content!');
    const st = w.addOwnStatus({ text, parent, lang: /[\u4e00-\u9fff]/.test(words) ? 'zh' : 'en' });
    return ok(wComment(w, st));
  }

  const weibo = {
    name: 'weibo',
    rate: { limit: 1000, window_s: 3600 },      // per token and hour, as Weibo counts
    extraWeights: [['mention', 45], ['like', 35], ['repost', 20]],
    appendWeights: [['mention', 30], ['reply', 30], ['like', 15], ['repost', 10], ['follow', 15]],

    init(w) { w.idSeq = 0; },
    onPerson(w, p) {
      p.id = String(1_000_000_000 + p.idx * 10_000 + w.rng.int(0, 9_999));
      p.location = w.rng.pick(LOCATIONS[p.lang]);
      if (p.isBrand) {
        p.username = 'Lumen流明咖啡';
        p.display = p.username;
        p.bio = '精品咖啡，每日烘焙。Specialty coffee, roasted daily.';
        p.location = '上海 徐汇区';
      }
    },
    // Time-ordered ids: 16 per millisecond of the world's clock (times are unique).
    // A comment does not @ the author of the status it is under: a comment answering another
    // one names that comment's author ("回复@name:"), and about a third @ the brand besides.
    onStatus(w, st) {
      st.id = String(ID_BASE + (st.time - (ANCHOR_MS - 1000 * DAY)) * 16 + w.rng.int(0, 15));
      st.key = st.id;
      if (st.kind !== 'reply' || st.author === w.brand) return; // the brand's own comments are its words as sent
      const words = st.segments.slice(st.segments.findIndex((g) => g.type !== 'mention' && !(g.type === 'text' && g.text === ' ')));
      if (words[0]?.type === 'text') words[0] = { type: 'text', text: words[0].text.trimStart() };
      const answered = st.parent.kind === 'reply' ? st.parent.author : null;
      const brand = BigInt(st.id) % 3n === 0n && answered !== w.brand ? w.brand : null;
      st.segments = [
        ...(answered ? [{ type: 'text', text: '回复' }, { type: 'mention', person: answered }, { type: 'text', text: ':' }] : []),
        ...(brand ? [{ type: 'mention', person: brand }, { type: 'text', text: ' ' }] : []),
        ...words,
      ];
      st.text = st.segments.map((g) => w.plain(g)).join('');
    },
    onFollow(w, f) { f.key = f.person.id; },
    onNotification(w, n) { n.key = n.status ? n.status.id : `${n.type}-${n.time}`; },
    mentionName: (p) => p.username,

    tokenFor: (account) => `token-${account}`,
    token(req) {
      const m = /^OAuth2\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      return m ? m[1] : null;
    },
    headers() {
      return { 'content-type': 'application/json;charset=UTF-8', server: 'nginx/1.6.1', 'cache-control': 'no-cache' };
    },
    authError(missing, revoked) {
      if (missing) return { status: 403, body: { error: 'auth faild!', error_code: 21301, request: null } };
      if (revoked) return { status: 400, body: { error: 'expired_token', error_code: 21327, request: null } };
      return { status: 401, body: { error: 'invalid_access_token', error_code: 21332, request: null } };
    },
    tooManyBody: () => ({ error: 'User requests out of rate limit!', error_code: 10023, request: null }),
    errorBody(status) {
      if (status === 403) return { error: 'User requests out of rate limit!', error_code: 10023, request: null };
      if (status === 404) return { error: 'Request Api not found!', error_code: 10014, request: null };
      if (status >= 500) return { error: 'system error!', error_code: 10001, request: null };
      return { error: 'param error, see doc for more info.', error_code: 10008, request: null };
    },

    routes: [
      ['GET', /^\/2\/account\/get_uid\.json$/, (c) => ok({ uid: Number(c.w.brand.id) })],
      ['GET', /^\/2\/users\/show\.json$/, (c) => ok(wUser(c.w, uidPerson(c)))],
      ['GET', /^\/2\/statuses\/mentions\.json$/, (c) => statusPage(c, mentionStatuses(c.w), 200)],
      ['GET', /^\/2\/statuses\/user_timeline\.json$/, (c) => {
        const p = c.params.get('uid') === null && c.params.get('screen_name') === null ? c.w.brand : uidPerson(c);
        return statusPage(c, p.isBrand ? c.w.posts : c.w.statusesAsc().filter((st) => st.author === p && st.kind !== 'reply'), 100);
      }],
      ['GET', /^\/2\/statuses\/show\.json$/, (c) => {
        const st = c.w.statuses.get(c.params.get('id') ?? '');
        return st && st.kind !== 'reply' ? ok(wStatus(c.w, st)) : notFound();
      }],
      ['GET', /^\/2\/comments\/show\.json$/, commentsShow],
      ['GET', /^\/2\/comments\/mentions\.json$/, (c) => commentList(c, mentionComments(c.w))],
      ['GET', /^\/2\/comments\/to_me\.json$/, (c) => commentList(c, toMeComments(c.w))],
      ['GET', /^\/2\/friendships\/followers\.json$/, followers],
      ['POST', /^\/2\/comments\/create\.json$/, (c) => postComment(c, false)],
      ['POST', /^\/2\/comments\/reply\.json$/, (c) => postComment(c, true)],
    ],

    // What a complete harvest of mentions, own posts, their comments and followers finds.
    expected(w) {
      const ids = (list) => list.map((x) => x.id).reverse();
      const mentions = mentionStatuses(w);
      const context = Object.fromEntries(w.posts.map((p) => [p.id, comments(p).sort((a, b) => a.time - b.time).map((s) => s.id)]));
      const statuses = new Set([...w.posts, ...mentions].map((s) => s.id));
      for (const list of Object.values(context)) list.forEach((id) => statuses.add(id));
      for (const st of toMeComments(w)) statuses.add(st.id);
      const people = new Set([w.brand, ...w.followers.map((f) => f.person)]);
      for (const id of statuses) people.add(w.statuses.get(id).author);
      return {
        account_id: w.brand.id,
        streams: {
          mentions: ids(mentions), comment_mentions: ids(mentionComments(w)), comments_to_me: ids(toMeComments(w)),
          statuses: ids(w.posts), comments: context,
          followers: w.followers.map((f) => f.person.id).reverse(),
        },
        statuses_reachable: [...statuses],
        accounts_reachable: [...people].map((p) => p.id),
      };
    },
  };
  return { weibo };
};
