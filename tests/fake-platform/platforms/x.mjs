// X (API v2) generator for the fake platform server: /x/ACCOUNT/2/...
//
// Tweets and users in the v2 shapes (data / includes / meta), only the fields and expansions a
// request asks for (plus the defaults X always sends), newest first with opaque next_token
// pagination, since_id, x-rate-limit-* headers (reset in epoch seconds), problem JSON errors
// ({title, detail, type, status}), and POST /2/tweets, which like X refuses a Tweet repeating
// the text of one the brand already posted (403 duplicate content).
//
// Streams: GET /2/users/:id/mentions, /2/users/:id/tweets, /2/users/:id/followers,
// /2/tweets/search/recent (terms, "phrases", from:, to:, conversation_id:, is:reply,
// is:retweet, lang:, and -negation; terms match as case-insensitive substrings), /2/tweets/:id,
// /2/users/me.

export default function x(kit) {
  const { ANCHOR_MS, iso, isoDay, ok, countBy, graphemes } = kit;
  const TWEPOCH = 1288834974657n;

  // X snowflakes: milliseconds since the Twitter epoch, shifted left 22 bits, plus 22 low bits.
  const xSnowflake = (ms, rng) => ((BigInt(ms) - TWEPOCH) << 22n | BigInt(rng.int(0, 0x3fffff))).toString();
  const cmpId = (a, b) => (a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0);
  const DEFAULT_TWEET = ['id', 'text', 'edit_history_tweet_ids'];
  const DEFAULT_USER = ['id', 'name', 'username'];

  function problem(status, title, detail, type = 'about:blank', extra = {}) {
    return { status, body: { ...extra, title, detail, type, status } };
  }
  function fail(status, title, detail, type) { return Object.assign(new Error(detail), { answer: problem(status, title, detail, type) }); }
  const invalid = (detail) => fail(400, 'Invalid Request', detail, 'https://api.twitter.com/2/problems/invalid-request');

  function list(params, name) { return (params.get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean); }

  function maxResults(params, lo, hi, def) {
    const raw = params.get('max_results');
    if (raw === null) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < lo || n > hi) throw invalid(`The \`max_results\` query parameter value [${raw}] is not between ${lo} and ${hi}`);
    return n;
  }

  // Opaque tokens: where the next page starts (an exclusive id bound, or an offset).
  const token = (v) => Buffer.from(`xt1:${v}`).toString('base64url');
  function untoken(params, name) {
    const raw = params.get(name);
    if (raw === null) return null;
    const text = Buffer.from(raw, 'base64url').toString();
    if (!text.startsWith('xt1:')) throw invalid(`The \`${name}\` query parameter value [${raw}] is not valid`);
    return text.slice(4);
  }

  function sinceId(params) {
    const v = params.get('since_id');
    if (v === null) return null;
    if (!/^\d{1,19}$/.test(v)) throw invalid(`The \`since_id\` query parameter value [${v}] is not valid`);
    return v;
  }

  // Newest first; since_id is exclusive, the token an exclusive upper bound. A page is full
  // before it says there is a next one, as on X.
  function tweetSlice(itemsAsc, params, limit, tokenName) {
    const since = sinceId(params), until = untoken(params, tokenName);
    const inRange = itemsAsc.filter((st) => (since === null || cmpId(st.id, since) > 0) && (until === null || cmpId(st.id, until) < 0));
    const page = inRange.slice(Math.max(0, inRange.length - limit)).reverse();
    const more = inRange.length > limit;
    return { page, next: more ? token(page[page.length - 1].id) : undefined };
  }

  const convId = (st) => (st.root ?? st).id;
  const mentionsBrand = (w, st) => st.segments.some((s) => s.type === 'mention' && s.person === w.brand);

  function xUser(w, p, fields) {
    const full = {
      id: p.id, name: p.display, username: p.username,
      created_at: `${isoDay(p.created)}T08:00:00.000Z`,
      description: p.bio, location: p.city ?? '', verified: false,
      profile_image_url: `https://pbs.twimg.com/profile_images/${p.id}/avatar_normal.jpg`,
      public_metrics: {
        followers_count: p.isBrand ? w.followers.length : p.followersBase, following_count: p.followingBase,
        tweet_count: p.isBrand ? w.statusesAsc().filter((s) => s.author === w.brand).length : p.statusesBase + p.authored,
        listed_count: p.idx % 7, like_count: p.followingBase * 3,
      },
    };
    return pick(full, [...DEFAULT_USER, ...fields]);
  }

  function pick(obj, keys) {
    const out = {};
    for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
    return out;
  }

  function xTweet(w, st, fields) {
    const cps = (s) => [...s].length;
    let pos = 0;
    const mentions = [], hashtags = [];
    for (const s of st.segments) {
      const piece = w.plain(s);
      if (s.type === 'mention') mentions.push({ start: pos, end: pos + cps(piece), username: s.person.username, id: s.person.id });
      if (s.type === 'tag') hashtags.push({ start: pos, end: pos + cps(piece), tag: s.tag });
      pos += cps(piece);
    }
    const refs = [];
    if (st.parent) refs.push({ type: 'replied_to', id: st.parent.id });
    if (st.quoted) refs.push({ type: 'quoted', id: st.quoted.id });
    const entities = {};
    if (mentions.length) entities.mentions = mentions;
    if (hashtags.length) entities.hashtags = hashtags;
    const full = {
      id: st.id, text: st.text, edit_history_tweet_ids: [st.id], author_id: st.author.id,
      created_at: iso(st.time), conversation_id: convId(st), lang: st.lang,
      public_metrics: { retweet_count: st.reposts, reply_count: st.children.length, like_count: st.likes, quote_count: st.quotes, bookmark_count: 0, impression_count: st.likes * 37 + 12 },
      referenced_tweets: refs.length ? refs : undefined,
      in_reply_to_user_id: st.parent ? st.parent.author.id : undefined,
      entities: Object.keys(entities).length ? entities : undefined,
    };
    return pick(full, [...DEFAULT_TWEET, ...fields]);
  }

  // {data, includes, meta} for a page of Tweets, with the expansions the request asked for.
  function tweetPage(c, page, next) {
    const w = c.w, tf = list(c.params, 'tweet.fields'), uf = list(c.params, 'user.fields'), ex = list(c.params, 'expansions');
    if (!page.length) return ok({ meta: { result_count: 0 } });
    const users = new Map(), tweets = new Map();
    const addUser = (p) => { if (p && !users.has(p.id)) users.set(p.id, p); };
    for (const st of page) {
      if (ex.includes('author_id')) addUser(st.author);
      if (ex.includes('in_reply_to_user_id') && st.parent) addUser(st.parent.author);
      if (ex.includes('referenced_tweets.id')) {
        for (const ref of [st.parent, st.quoted].filter(Boolean)) {
          tweets.set(ref.id, ref);
          if (ex.includes('referenced_tweets.id.author_id')) addUser(ref.author);
        }
      }
    }
    const body = { data: page.map((st) => xTweet(w, st, tf)) };
    const includes = {};
    if (users.size) includes.users = [...users.values()].map((p) => xUser(w, p, uf));
    if (tweets.size) includes.tweets = [...tweets.values()].map((st) => xTweet(w, st, tf));
    if (Object.keys(includes).length) body.includes = includes;
    body.meta = { newest_id: page[0].id, oldest_id: page[page.length - 1].id, result_count: page.length };
    if (next) body.meta.next_token = next;
    return ok(body);
  }

  function brandOnly(c, id) {
    if (id !== c.w.brand.id) throw fail(404, 'Not Found Error', `Could not find user with id: [${id}].`, 'https://api.twitter.com/2/problems/resource-not-found');
  }

  function xMentions(c, id) {
    brandOnly(c, id);
    const items = c.w.statusesAsc().filter((st) => st.author !== c.w.brand && mentionsBrand(c.w, st));
    const { page, next } = tweetSlice(items, c.params, maxResults(c.params, 5, 100, 10), 'pagination_token');
    return tweetPage(c, page, next);
  }

  function xUserTweets(c, id) {
    brandOnly(c, id);
    const items = c.w.statusesAsc().filter((st) => st.author === c.w.brand);
    const { page, next } = tweetSlice(items, c.params, maxResults(c.params, 5, 100, 10), 'pagination_token');
    return tweetPage(c, page, next);
  }

  // The query language, small: tokens are AND-ed; "-" negates one.
  function matcher(w, query) {
    const tokens = query.match(/-?"[^"]*"|\S+/g) ?? [];
    if (!tokens.length) throw invalid('The `query` query parameter can not be empty');
    const tests = tokens.map((tok) => {
      const neg = tok.startsWith('-') && tok.length > 1;
      const t = neg ? tok.slice(1) : tok;
      const m = /^([a-z_]+):(.+)$/.exec(t);
      let test;
      const who = (v) => (p) => p.id === v || p.username.toLowerCase() === v.toLowerCase();
      if (m && m[1] === 'from') test = (st) => who(m[2])(st.author);
      else if (m && m[1] === 'to') test = (st) => !!st.parent && who(m[2])(st.parent.author);
      else if (m && m[1] === 'conversation_id') test = (st) => convId(st) === m[2];
      else if (m && m[1] === 'lang') test = (st) => st.lang === m[2];
      else if (t === 'is:reply') test = (st) => !!st.parent;
      else if (t === 'is:retweet') test = () => false;
      else if (m && !t.startsWith('"') && !/^https?$/.test(m[1])) throw invalid(`There were errors processing your request: Reference to invalid operator '${m[1]}'`);
      else {
        const needle = t.replace(/^"|"$/g, '').toLowerCase();
        test = (st) => st.text.toLowerCase().includes(needle);
      }
      return neg ? (st) => !test(st) : test;
    });
    return (st) => tests.every((f) => f(st));
  }

  function xSearch(c) {
    const q = c.params.get('query');
    if (q === null) throw invalid('The `query` query parameter can not be empty');
    const match = matcher(c.w, q);
    const items = c.w.statusesAsc().filter(match);
    const name = c.params.has('next_token') ? 'next_token' : 'pagination_token';
    const asked = maxResults(c.params, 10, 100, 10);
    const { page, next } = tweetSlice(items, c.params, Math.min(asked, c.w.counts.page_cap || asked), name);
    return tweetPage(c, page, next);
  }

  function xFollowers(c, id) {
    brandOnly(c, id);
    const limit = maxResults(c.params, 1, 1000, 100);
    const start = Number(untoken(c.params, 'pagination_token') ?? 0);
    if (!Number.isInteger(start) || start < 0) throw invalid('The `pagination_token` query parameter value is not valid');
    const desc = [...c.w.followers].reverse();
    const page = desc.slice(start, start + limit);
    if (!page.length) return ok({ meta: { result_count: 0 } });
    const meta = { result_count: page.length };
    if (start + limit < desc.length) meta.next_token = token(start + limit);
    if (start > 0) meta.previous_token = token(Math.max(0, start - limit));
    return ok({ data: page.map((f) => xUser(c.w, f.person, list(c.params, 'user.fields'))), meta });
  }

  function xTweetLookup(c, id) {
    const st = c.w.statuses.get(id);
    if (!st) {
      return ok({ errors: [{ value: id, detail: `Could not find tweet with id: [${id}].`, title: 'Not Found Error', resource_type: 'tweet', parameter: 'id', resource_id: id, type: 'https://api.twitter.com/2/problems/resource-not-found' }] });
    }
    const answer = tweetPage(c, [st]);
    answer.body.data = answer.body.data[0];
    delete answer.body.meta;
    return answer;
  }

  // twitter-text v3 weights, after NFC: Latin and common punctuation count one, anything else
  // two, and an emoji sequence (👍🏽, 🇨🇳, 1️⃣, ZWJ-joined) two in all.
  const EMOJI_SEQUENCE = /^(?:[0-9#*]|[^\x00-\x7f])(?:[\ufe0f\u20e3\u{1f1e6}-\u{1f1ff}\u{1f3fb}-\u{1f3ff}\u{e0020}-\u{e007f}]|\u200d.)/u;
  function weighted(text) {
    let n = 0;
    for (const g of graphemes(text.normalize('NFC'))) {
      if (EMOJI_SEQUENCE.test(g)) { n += 2; continue; }
      for (const ch of g) {
        const cp = ch.codePointAt(0);
        n += cp <= 4351 || (cp >= 8192 && cp <= 8205) || (cp >= 8208 && cp <= 8223) || (cp >= 8242 && cp <= 8247) ? 1 : 2;
      }
    }
    return n;
  }

  function xPostTweet(c) {
    const w = c.w, b = c.body;
    w.replyPosts.push({ at: iso(Date.now()), text: typeof b.text === 'string' ? b.text : null });
    if (typeof b.text !== 'string' || !b.text.trim()) throw invalid('One or more parameters to your request was invalid.');
    if (weighted(b.text) > 280) {
      return problem(403, 'Forbidden', 'You are not permitted to perform this action. Your Tweet text is too long.');
    }
    if (w.statusesAsc().some((st) => st.author === w.brand && st.text === b.text)) {
      return problem(403, 'Forbidden', 'You are not allowed to create a Tweet with duplicate content.');
    }
    let parent = null;
    const target = b.reply?.in_reply_to_tweet_id;
    if (target !== undefined) {
      parent = typeof target === 'string' ? w.statuses.get(target) : null;
      if (!parent) return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', 'https://api.twitter.com/2/problems/invalid-request', { errors: [{ message: 'The Tweet you are replying to has been deleted or is not visible to you.' }] });
    }
    const st = w.addOwnStatus({ text: b.text, parent, lang: /[\u4e00-\u9fff]/.test(b.text) ? 'zh' : 'en' });
    return { status: 201, body: { data: { id: st.id, text: st.text, edit_history_tweet_ids: [st.id] } } };
  }

  const gen = {
    name: 'x',
    rate: { limit: 900, window_s: 900 },
    ratePerEndpoint: true,   // as X API v2 does (the harvester's platform.quota_scope = 'endpoint')
    extraWeights: [['mention', 55], ['quote', 15], ['like', 20], ['repost', 10]],
    appendWeights: [['mention', 35], ['reply', 35], ['like', 10], ['follow', 20]],

    init(w) { w.idAt = ANCHOR_MS; },
    onPerson(w, p) {
      p.id = xSnowflake(p.created, w.rng);
      if (p.isBrand) {
        p.username = w.name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 15);
        p.display = 'Lumen Coffee 流明咖啡';
        p.bio = 'Specialty coffee, roasted daily. 精品咖啡，每日烘焙。';
      } else {
        p.username = p.username.slice(0, 15);
      }
    },
    onStatus(w, st) { st.id = xSnowflake(st.time, w.rng); st.key = st.id; },
    onFollow(w, f) { f.key = f.person.id; },
    onNotification(w, n) { n.key = n.status ? n.status.id : `${n.type}:${n.actor.id}:${n.time}`; },
    mentionName: (p) => p.username,

    tokenFor: (account) => `token-${account}`,
    headers(rate) {
      return {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-cache, no-store, max-age=0',
        'x-rate-limit-limit': String(rate.limit),
        'x-rate-limit-remaining': String(rate.remaining),
        'x-rate-limit-reset': String(Math.ceil(rate.resetMs / 1000)),
        'x-response-time': '42',
        'x-transaction-id': Math.abs(Math.floor(rate.resetMs / 7) ^ rate.remaining).toString(16),
      };
    },
    authError() { return problem(401, 'Unauthorized', 'Unauthorized'); },
    tooManyBody: () => problem(429, 'Too Many Requests', 'Too Many Requests').body,
    errorBody: (status) => (status === 404
      ? { errors: [{ message: 'The requested resource could not be found.' }], title: 'Not Found Error', detail: 'The requested resource could not be found.', type: 'https://api.twitter.com/2/problems/resource-not-found' }
      : problem(status, status === 403 ? 'Forbidden' : 'Service Unavailable', status === 403 ? 'Forbidden' : 'Service Unavailable').body),

    routes: [
      ['GET', /^\/2\/users\/me$/, (c) => ok({ data: xUser(c.w, c.w.brand, list(c.params, 'user.fields')) })],
      ['GET', /^\/2\/users\/(\d+)\/mentions$/, xMentions],
      ['GET', /^\/2\/users\/(\d+)\/tweets$/, xUserTweets],
      ['GET', /^\/2\/users\/(\d+)\/followers$/, xFollowers],
      ['GET', /^\/2\/tweets\/search\/recent$/, xSearch],
      ['GET', /^\/2\/tweets\/(\d+)$/, xTweetLookup],
      ['POST', /^\/2\/tweets$/, xPostTweet],
    ],

    // What a complete harvest of every stream stores: the Tweets of the mentions timeline,
    // the brand's own Tweets, the search hits and the conversations of the brand's Tweets
    // (all: an e2e keeps them under the replies stream's 50), with the Tweets they reference;
    // their authors, the followers and the brand. Likes and retweets are not harvested on X.
    expected(w, extraQueries) {
      const desc = (list) => list.map((st) => st.id).reverse();
      const all = w.statusesAsc();
      const mentions = all.filter((st) => st.author !== w.brand && mentionsBrand(w, st));
      const own = all.filter((st) => st.author === w.brand);
      const search = {};
      for (const q of [...w.keywords, ...extraQueries]) search[q] = desc(all.filter(matcher(w, q)));
      const conversations = Object.fromEntries(own.map((p) => [p.id, desc(all.filter((st) => convId(st) === p.id))]));
      const data = new Map();
      for (const st of [...mentions, ...own]) data.set(st.id, st);
      for (const ids of [...Object.values(search), ...Object.values(conversations)]) for (const id of ids) data.set(id, w.statuses.get(id));
      const reachable = new Map(data);
      for (const st of data.values()) for (const ref of [st.parent, st.quoted]) if (ref) reachable.set(ref.id, ref);
      const people = new Set([w.brand, ...w.followers.map((f) => f.person)]);
      for (const st of reachable.values()) people.add(st.author);
      const interactions = [...data.values()].filter((st) => st.author !== w.brand &&
        (mentionsBrand(w, st) || st.parent?.author === w.brand || st.quoted?.author === w.brand)).map((st) => st.id);
      return {
        account_id: w.brand.id,
        username: w.brand.username,
        streams: {
          mentions: desc(mentions),
          tweets: desc(own),
          conversations,
          followers: w.followers.map((f) => f.person.id).reverse(),
          search,
        },
        notification_types: countBy(w.notifications, (n) => n.type),
        interactions,
        statuses_reachable: [...reachable.keys()],
        accounts_reachable: [...people].map((p) => p.id),
      };
    },
  };
  return { x: gen };
}
