// Meta Graph API generators: /facebook/PAGE/... (a Facebook Page) and /instagram/ACCOUNT/...
// (an Instagram business account). The account's base URL stands for
// https://graph.facebook.com/v19.0 (a /vNN.N prefix is accepted too), so the adapter asks for
// BASE/{page-id}/feed exactly as it would in production.
//
// The World maps onto Graph objects like this: the brand's posts are the Page's feed (IG: its
// media); replies under them are comments, flattened to Graph's two levels (a reply to a reply
// hangs under its top-level comment); mentions and quotes are posts tagging the Page (IG: media
// the account is tagged in); public posts are what IG hashtag search finds. Likes, reposts and
// follows are counters only: Graph lists no followers.
//
// Graph behaviour reproduced: cursor paging (paging.cursors.after, paging.next absent on the
// last page), `since` on feed and tagged, X-App-Usage (and X-Business-Use-Case-Usage when the
// quota is used up) as percentages, errors as {"error": {message, type, code, error_subcode,
// fbtrace_id}}: an invalid or revoked token is code 190 with HTTP 400, throttling code 4 (an
// injected 400 or 403 fault answers code 4 too, as Graph does), unknown objects code 100.
// Comments and IG replies POSTed are recorded (GET /_control/replies); Graph has no idempotency
// key, so a repeated POST makes a second comment.

export default (kit) => {
  const { ANCHOR_MS, DAY, fnv1a, snowflake, ok, dropUndefined, countBy } = kit;

  // Graph's time stamps: seconds, "+0000".
  const gtime = (ms) => `${new Date(ms).toISOString().slice(0, 19)}+0000`;
  const trace = (seed) => `A${fnv1a(String(seed)).toString(36)}${fnv1a(`t${seed}`).toString(36)}`.slice(0, 11);

  function graphError(status, code, message, extra = {}) {
    return Object.assign(new Error(message), {
      answer: { status, body: { error: dropUndefined({ message, type: 'OAuthException', code, ...extra, fbtrace_id: trace(`${code}${message}`) }) } },
    });
  }
  const noObject = (id, verb = 'get') => graphError(400, 100,
    `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    { type: 'GraphMethodException', error_subcode: 33 });

  // limit: 25 by default, at most 100 (Graph's common edge limits).
  function gLimit(params) {
    const n = parseInt(params.get('limit') ?? '25', 10);
    return Number.isInteger(n) && n > 0 ? Math.min(n, 100) : 25;
  }

  // Newest first (or oldest first with asc), keyset cursors over the items' keys: `after` names
  // the last item of the page, base64 as Graph's opaque cursors look. paging.next only when
  // more follow, and it repeats the request's own parameters.
  function edgePage(c, path, items, { asc = false, cap = 0 } = {}) {
    const list = asc ? items : [...items].reverse();
    const limit = Math.min(gLimit(c.params), cap || 100);
    const after = c.params.get('after');
    let start = 0;
    if (after) {
      const key = Buffer.from(after, 'base64').toString();
      const at = list.findIndex((x) => x.id === key);
      if (at < 0) throw graphError(400, 100, 'Invalid cursor: the after cursor does not name an item of this edge');
      start = at + 1;
    }
    const page = list.slice(start, start + limit);
    const cursor = (x) => Buffer.from(x.id).toString('base64');
    const paging = page.length ? { cursors: { before: cursor(page[0]), after: cursor(page[page.length - 1]) } } : undefined;
    if (paging && start + limit < list.length) {
      const q = new URLSearchParams(c.params);
      q.set('limit', String(limit));
      q.set('after', paging.cursors.after);
      paging.next = `${c.base}${path}?${q}`;
    }
    return { page, paging };
  }

  // Graph keeps two levels of comments: a reply to a reply belongs to its top-level comment.
  function topComment(st) {
    let c = st;
    while (c.parent && c.parent.parent) c = c.parent;
    return c;
  }
  const graphParent = (st) => (st.parent && st.parent.parent ? topComment(st) : null);
  const isMedia = (st) => st.kind !== 'reply';
  function sinceFilter(c, items) {
    const since = c.params.get('since');
    if (since === null) return items;
    if (!/^\d+$/.test(since)) throw graphError(400, 100, `(#100) The parameter since must be a unix time stamp`);
    return items.filter((st) => st.time >= Number(since) * 1000);
  }
  const tagged = (w) => w.notifications.filter((n) => n.status && isMedia(n.status)).map((n) => n.status);
  function objectOf(w, id) { const st = w.statuses.get(id); if (!st) throw noObject(id); return st; }

  function onePost(w, st) { // a top-level comment's thread, flattened in time order
    return w.descendants(st).sort((a, b) => a.time - b.time);
  }

  // Records a comment the brand POSTs; Graph answers {"id"} only. A reply to a reply is filed
  // under the top comment (Instagram's docs say so; Facebook's recorded replies never nest).
  function postComment(c, id, { repliesOnly = false } = {}) {
    const w = c.w, text = c.body.message;
    w.replyPosts.push({ at: new Date().toISOString(), message: typeof text === 'string' ? text : null });
    const target = w.statuses.get(id);
    if (!target) throw noObject(id, 'post');
    if (repliesOnly && target.kind !== 'reply') throw graphError(400, 100, '(#100) Replies can only be made to comments');
    if (typeof text !== 'string' || !text.trim()) throw graphError(400, 100, '(#100) Missing message or attachment');
    if ([...text].length > 8000) throw graphError(400, 100, '(#100) The message is too long');
    const st = w.addOwnStatus({ text, parent: topComment(target), lang: /[\u4e00-\u9fff]/.test(text) ? 'zh' : 'en' });
    return ok({ id: st.id });
  }

  function headers(w, rate, name) {
    const pct = Math.min(100, Math.round(((rate.limit - rate.remaining) / rate.limit) * 100));
    const out = {
      'content-type': 'application/json; charset=UTF-8',
      'facebook-api-version': 'v19.0',
      'x-fb-rev': '1017000000',
      'x-fb-trace-id': trace(`${name}${rate.remaining}${rate.resetMs}`),
      'x-app-usage': JSON.stringify({ call_count: pct, total_cputime: Math.floor(pct / 2), total_time: Math.floor(pct / 2) }),
      'cache-control': 'private, no-cache, no-store, must-revalidate',
    };
    if (rate.remaining === 0) {
      const minutes = Math.max(1, Math.ceil((rate.resetMs - Date.now()) / 60000));
      out['x-business-use-case-usage'] = JSON.stringify({ [`${fnv1a(name)}`]: [{ type: 'pages', call_count: 100, total_cputime: 10, total_time: 10, estimated_time_to_regain_access: minutes }] });
    }
    return out;
  }

  const common = (name) => ({
    name,
    rate: { limit: 4000, window_s: 3600 },
    extraWeights: [['mention', 50], ['like', 35], ['repost', 15]],
    appendWeights: [['mention', 30], ['reply', 40], ['like', 15], ['follow', 15]],
    init(w) { w.notifSeq = 1000; w.followSeq = 5000; },
    onFollow(w, f) { f.id = String(++w.followSeq); f.key = f.person.id; },
    onNotification(w, n) { n.id = String(++w.notifSeq); n.key = n.status ? n.status.id : n.id; },
    tokenFor: (account) => `token-${account}`,
    headers(rate) { return headers(null, rate, name); },
    authError(missing) {
      return missing
        ? { status: 400, body: { error: { message: 'An active access token must be used to query information about the current user.', type: 'OAuthException', code: 2500, fbtrace_id: trace('missing') } } }
        : { status: 400, body: { error: { message: 'Error validating access token: Session has expired on Thursday, 01-May-25 10:00:00 PDT. The current time is Friday, 02-May-25 10:00:00 PDT.', type: 'OAuthException', code: 190, error_subcode: 463, fbtrace_id: trace('expired') } } };
    },
    tooManyBody: () => ({ error: { message: '(#4) Application request limit reached', type: 'OAuthException', is_transient: true, code: 4, fbtrace_id: trace('limit') } }),
    errorBody(status) {
      if (status === 400 || status === 403 || status === 429) return this.tooManyBody();
      if (status === 404) return { error: { message: 'Unknown path components', type: 'OAuthException', code: 2500, fbtrace_id: trace('path') } };
      return { error: { message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', is_transient: true, code: 2, fbtrace_id: trace('unexpected') } };
    },
  });

  const V = '(?:/v\\d+\\.\\d+)?';
  const route = (method, tail, fn) => [method, new RegExp(`^${V}${tail}$`), fn];

  // ---------------------------------------------------------------------------------------
  // Facebook: a Page, its feed, posts tagging it, comments

  const fbFrom = (p) => ({ name: p.display, id: p.id });
  const fbNum = (st) => st.id.split('_')[1];

  function fbComment(w, st) {
    const top = topComment(st), root = st.root;
    const parent = graphParent(st);
    const link = `https://www.facebook.com/${root.author.id}/posts/${fbNum(root)}/?comment_id=${top.id.split('_')[1]}`
      + (parent ? `&reply_comment_id=${st.id.split('_')[1]}` : '');
    return dropUndefined({
      id: st.id, message: st.text, created_time: gtime(st.time), from: fbFrom(st.author), permalink_url: link,
      like_count: st.likes, comment_count: parent ? 0 : onePost(w, st).length,
      parent: parent ? { id: parent.id } : undefined,
    });
  }

  function fbPost(c, st, withComments) {
    const w = c.w;
    const post = {
      id: st.id, message: st.text, created_time: gtime(st.time), updated_time: gtime(st.time),
      from: fbFrom(st.author), permalink_url: `https://www.facebook.com/${st.author.id}/posts/${fbNum(st)}`,
      shares: st.reposts ? { count: st.reposts } : undefined,
      reactions: { data: [], summary: { total_count: st.likes, viewer_reaction: 'NONE' } },
    };
    if (withComments) {
      const top = st.children.filter((k) => k.kind === 'reply').sort((a, b) => a.time - b.time);
      post.comments = {
        data: top.slice(0, 25).map((k) => fbComment(w, k)),
        summary: { order: 'chronological', total_count: w.descendants(st).length, can_comment: true },
      };
      if (top.length > 25) post.comments.paging = { cursors: { after: Buffer.from(top[24].id).toString('base64') } };
    }
    return dropUndefined(post);
  }

  function fbEdge(c, id, name, items, render) {
    if (id !== c.w.brand.id) throw noObject(id);
    const { page, paging } = edgePage(c, `/${id}/${name}`, sinceFilter(c, items));
    return ok(dropUndefined({ data: page.map(render), paging }));
  }

  // filter=stream: every comment of the thread in time order, replies with their parent;
  // otherwise the top-level comments (of a post) or the replies (of a comment). A reply has
  // none: replies to it are the top comment's (comment_count 0).
  function fbComments(c, id) {
    const st = objectOf(c.w, id);
    let items;
    if (graphParent(st)) items = [];
    else if (c.params.get('filter') === 'stream' || st.kind === 'reply') items = onePost(c.w, st);
    else items = st.children.filter((k) => k.kind === 'reply').sort((a, b) => a.time - b.time);
    const desc = c.params.get('order') === 'reverse_chronological';
    const { page, paging } = edgePage(c, `/${id}/comments`, items, { asc: !desc });
    return ok(dropUndefined({ data: page.map((k) => fbComment(c.w, k)), paging }));
  }

  const facebook = {
    ...common('facebook'),
    onPerson(w, p) {
      p.id = String(100000000000000n + BigInt(fnv1a(`${w.name}/${p.idx}`)) * 10000n + BigInt(p.idx % 10000));
      if (p.isBrand) { p.username = w.name.replace(/[^A-Za-z0-9.]/g, '.'); p.display = 'Lumen Coffee 流明咖啡'; p.bio = 'Specialty coffee, roasted daily. 精品咖啡，每日烘焙。'; }
    },
    onStatus(w, st) {
      const num = snowflake(st.time, w.rng);
      st.id = st.parent ? `${fbNum(st.root)}_${num}` : `${st.author.id}_${num}`;
      st.key = st.id;
    },
    mentionName: (p) => p.display,
    routes: [
      route('GET', '/(\\d+)/feed', (c, id) => fbEdge(c, id, 'feed', c.w.posts, (st) => fbPost(c, st, /comments/.test(c.params.get('fields') ?? '')))),
      route('GET', '/(\\d+)/tagged', (c, id) => fbEdge(c, id, 'tagged', tagged(c.w), (st) => fbPost(c, st, /comments/.test(c.params.get('fields') ?? '')))),
      route('GET', '/(\\d+_\\d+)/comments', fbComments),
      route('POST', '/(\\d+_\\d+)/comments', (c, id) => postComment(c, id)),
      route('GET', '/(\\d+_\\d+)', (c, id) => {
        const st = objectOf(c.w, id);
        return ok(st.kind === 'reply' || st.parent ? fbComment(c.w, st) : fbPost(c, st, false));
      }),
      route('GET', '/(\\d+)', (c, id) => {
        const b = c.w.brand;
        if (id !== b.id) throw noObject(id);
        return ok({
          id: b.id, name: b.display, username: b.username, about: b.bio, link: `https://www.facebook.com/${b.username}`,
          followers_count: c.w.followers.length, fan_count: Math.round(c.w.followers.length * 0.9), verification_status: 'not_verified',
        });
      }),
      route('GET', '/me', (c) => ok({ id: c.w.brand.id, name: c.w.brand.display })),
    ],
    expected(w) {
      const ids = (list) => list.map((x) => x.id).reverse();
      const comments = Object.fromEntries(w.posts.map((p) => [p.id, onePost(w, p).map((s) => s.id)]));
      const statuses = new Set([...w.posts, ...tagged(w)].map((s) => s.id));
      for (const list of Object.values(comments)) list.forEach((id) => statuses.add(id));
      const people = new Set([w.brand, ...[...statuses].map((id) => w.statuses.get(id).author)]);
      return {
        account_id: w.brand.id,
        streams: { feed: ids(w.posts), tagged: ids(tagged(w)), comments, followers_count: w.followers.length },
        notification_types: countBy(w.notifications, (n) => n.type),
        statuses_reachable: [...statuses],
        accounts_reachable: [...people].map((p) => p.id),
      };
    },
  };

  // ---------------------------------------------------------------------------------------
  // Instagram: a business account, its media, media it is tagged in, comments and replies,
  // hashtag search

  const igShortcode = (st) => BigInt(st.id).toString(36);
  const hashtagId = (q) => `17843${String(fnv1a(q.toLowerCase())).padStart(10, '0')}`;
  const hashtagMedia = (w, q) => w.search(q).filter((st) => st.kind === 'public');

  function igMedia(w, st, { anonymous = false } = {}) {
    return dropUndefined({
      id: st.id, caption: st.text, timestamp: gtime(st.time),
      username: anonymous ? undefined : st.author.username, owner: anonymous ? undefined : { id: st.author.id },
      permalink: `https://www.instagram.com/p/${igShortcode(st)}/`, media_type: 'IMAGE',
      comments_count: st.kind === 'post' ? w.descendants(st).length : 0, like_count: st.likes,
    });
  }

  // Replies embedded under a comment are their edge's first page (Graph's 25, or page_cap),
  // with the paging that leads on to /{comment}/replies.
  function igComment(c, st, withReplies) {
    const parent = graphParent(st);
    const out = dropUndefined({
      id: st.id, text: st.text, timestamp: gtime(st.time), username: st.author.username,
      from: { id: st.author.id, username: st.author.username }, like_count: st.likes,
      parent_id: parent ? parent.id : undefined,
    });
    if (withReplies && !parent) {
      const replies = onePost(c.w, st), n = Math.min(25, c.w.counts.page_cap || 25);
      if (replies.length) {
        const page = replies.slice(0, n), cursor = (x) => Buffer.from(x.id).toString('base64');
        const paging = { cursors: { before: cursor(page[0]), after: cursor(page[page.length - 1]) } };
        if (replies.length > n) paging.next = `${c.base}/${st.id}/replies?limit=${n}&after=${encodeURIComponent(paging.cursors.after)}`;
        out.replies = { data: page.map((k) => igComment(c, k, false)), paging };
      }
    }
    return out;
  }

  function igEdge(c, id, name, items, render) {
    if (id !== c.w.brand.id) throw noObject(id);
    const { page, paging } = edgePage(c, `/${id}/${name}`, items);
    return ok(dropUndefined({ data: page.map(render), paging }));
  }

  const instagram = {
    ...common('instagram'),
    onPerson(w, p) {
      p.id = String(17841400000000000n + BigInt(fnv1a(`${w.name}/${p.idx}`)) * 100n + BigInt(p.idx % 100));
      if (p.isBrand) {
        p.username = w.name.replace(/[^A-Za-z0-9_.]/g, '_');
        p.display = 'Lumen Coffee 流明咖啡';
        p.bio = 'Specialty coffee, roasted daily. 精品咖啡，每日烘焙。';
      }
    },
    onStatus(w, st) { st.id = String(17900000000000000n + (BigInt(st.time - (ANCHOR_MS - 1000 * DAY)) * 1000n) + BigInt(w.rng.int(0, 999))); st.key = st.id; },
    mentionName: (p) => p.username,
    routes: [
      route('GET', '/me', (c) => ok({ id: c.w.brand.id, username: c.w.brand.username })),
      route('GET', '/ig_hashtag_search', (c) => {
        const q = (c.params.get('q') ?? '').replace(/^#/, '');
        if (c.params.get('user_id') !== c.w.brand.id) throw graphError(400, 100, '(#100) The parameter user_id is required');
        if (!q || /\s/.test(q)) throw graphError(400, 24, 'Invalid hashtag', { error_subcode: 2207024 });
        (c.w.hashtags ??= new Map()).set(hashtagId(q), q);
        return ok({ data: [{ id: hashtagId(q) }] });
      }),
      route('GET', '/(\\d+)/recent_media', (c, id) => {
        const q = c.w.hashtags?.get(id);
        if (!q) throw noObject(id);
        const { page, paging } = edgePage(c, `/${id}/recent_media`, hashtagMedia(c.w, q));
        return ok(dropUndefined({ data: page.map((st) => igMedia(c.w, st, { anonymous: true })), paging }));
      }),
      route('GET', '/(\\d+)/media', (c, id) => igEdge(c, id, 'media', c.w.posts, (st) => igMedia(c.w, st))),
      route('GET', '/(\\d+)/tags', (c, id) => igEdge(c, id, 'tags', tagged(c.w), (st) => igMedia(c.w, st))),
      route('GET', '/(\\d+)/comments', (c, id) => {
        const st = objectOf(c.w, id);
        if (st.kind === 'reply') throw noObject(id);
        const items = st.children.filter((k) => k.kind === 'reply').sort((a, b) => a.time - b.time);
        const { page, paging } = edgePage(c, `/${id}/comments`, items);
        return ok(dropUndefined({ data: page.map((k) => igComment(c, k, /replies/.test(c.params.get('fields') ?? ''))), paging }));
      }),
      route('GET', '/(\\d+)/replies', (c, id) => {
        const st = objectOf(c.w, id);
        if (st.kind !== 'reply') throw noObject(id);
        const items = graphParent(st) ? [] : onePost(c.w, st); // a reply has none: they are the top comment's
        const { page, paging } = edgePage(c, `/${id}/replies`, items, { asc: true, cap: c.w.counts.page_cap });
        return ok(dropUndefined({ data: page.map((k) => igComment(c, k, false)), paging }));
      }),
      route('POST', '/(\\d+)/comments', (c, id) => {
        if (c.w.statuses.get(id)?.kind === 'reply') throw graphError(400, 100, '(#100) Comments are made on media: answer a comment through /replies');
        return postComment(c, id);
      }),
      route('POST', '/(\\d+)/replies', (c, id) => postComment(c, id, { repliesOnly: true })),
      route('GET', '/(\\d+)', (c, id) => {
        const b = c.w.brand;
        if (id === b.id) {
          return ok({
            id: b.id, username: b.username, name: b.display, biography: b.bio, website: 'https://lumen.example',
            profile_picture_url: `https://scontent.cdninstagram.example/${b.id}.jpg`,
            followers_count: c.w.followers.length, follows_count: b.followingBase, media_count: c.w.posts.length,
          });
        }
        const st = objectOf(c.w, id);
        return ok(st.kind === 'reply' ? igComment(c, st, false) : igMedia(c.w, st));
      }),
    ],
    expected(w, extraQueries) {
      const ids = (list) => list.map((x) => x.id).reverse();
      const comments = Object.fromEntries(w.posts.map((p) => [p.id, onePost(w, p).map((s) => s.id)]));
      const search = {};
      for (const q of [...w.keywords, ...extraQueries]) search[q] = ids(hashtagMedia(w, q));
      const named = new Set([...w.posts, ...tagged(w)].map((s) => s.id));
      for (const list of Object.values(comments)) list.forEach((id) => named.add(id));
      const statuses = new Set(named);
      for (const list of Object.values(search)) list.forEach((id) => statuses.add(id));
      // hashtag media name no author: their authors are not reachable
      const people = new Set([w.brand, ...[...named].map((id) => w.statuses.get(id).author)]);
      return {
        account_id: w.brand.id,
        streams: { media: ids(w.posts), tags: ids(tagged(w)), comments, search, followers_count: w.followers.length },
        notification_types: countBy(w.notifications, (n) => n.type),
        statuses_reachable: [...statuses],
        accounts_reachable: [...people].map((p) => p.id),
      };
    },
  };

  return { facebook, instagram };
};
