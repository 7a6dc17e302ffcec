#!/usr/bin/env node
// Fake social platform server for Parley's harvester tests and the demo.
//
//   node tests/fake-platform/server.mjs --port 18999 [--fixtures DIR] [--live] [--tick-ms 2000]
//
// Serves deterministic, generated, bilingual (English / Simplified Chinese) data for any
// number of brand accounts in the shapes of the real platforms' APIs (Mastodon and Bluesky
// here, the others in platforms/*.mjs), with real pagination, rate-limit headers and auth
// errors; replays recorded fixture exchanges; and
// lets tests inject faults (429, 5xx, truncated bodies, slow answers, shape changes) through
// a JSON control API under /_control/.  Node.js built-ins only.  See README.md beside this file.

import { createServer } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Constants

// The initial data of every account ends at this fixed instant, so two runs (or two resets)
// produce byte-identical ids and texts.  Items added later (append, --live) use the wall clock.
const ANCHOR_MS = Date.UTC(2025, 4, 1);
const MINUTE = 60e3, HOUR = 3600e3, DAY = 86400e3;

// page_cap (0: none) makes Weibo's comment pages, X's search pages and Instagram's replies
// (embedded under a comment, and /replies) shorter than asked for, so threads of a few replies
// already take several pages.
const DEFAULT_COUNTS = { notifications: 120, posts: 60, max_replies: 5, followers: 150, search: 90, page_cap: 0 };
const COUNT_LIMITS = { notifications: 100000, posts: 100000, max_replies: 50, followers: 100000, search: 100000, page_cap: 1000 };
const DEFAULT_KEYWORDS = ['lumen', 'coffee', '拿铁'];
const DEFAULT_RATE = { mastodon: { limit: 300, window_s: 300 }, bluesky: { limit: 3000, window_s: 300 } };
const LIVE_CAP = 2000;            // --live stops growing an account once it holds this many items
const APPEND_CAP = 200000;        // hard ceiling for /_control/append, to keep memory bounded

// ---------------------------------------------------------------------------------------------
// Deterministic randomness and id encodings

// FNV-1a over the UTF-8 bytes: a stable 32-bit seed from an account name.
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text)) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0; }
  return h;
}

// mulberry32: tiny, fast, good enough for test data, and identical on every platform.
class Rng {
  constructor(seedText) { this.state = fnv1a(seedText); }
  next() {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo, hi) { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick(list) { return list[Math.floor(this.next() * list.length)]; }
  chance(p) { return this.next() < p; }
  weighted(table) {               // table: [[value, weight], ...]
    let r = this.next() * table.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, w] of table) if ((r -= w) < 0) return value;
    return table[table.length - 1][0];
  }
}

function sortedTimes(rng, n, lo, hi) {
  const times = [];
  for (let i = 0; i < n; i++) times.push(rng.int(lo, hi - 1));
  return times.sort((a, b) => a - b);
}

// Mastodon ids are "snowflakes": milliseconds shifted left 16 bits plus 16 low bits, so they
// are 18-digit numeric strings that increase with time.  Times are unique per account.
function snowflake(ms, rng) {
  return ((BigInt(ms) << 16n) | BigInt(rng.int(0, 0xffff))).toString();
}

// AT Protocol record keys are TIDs: 53 bits of microseconds and 10 bits of clock id, written
// in a sortable base32, so later records sort after earlier ones as plain strings.
const SORTABLE_B32 = '234567abcdefghijklmnopqrstuvwxyz';
function tid(ms, clockId) {
  let v = ((BigInt(ms) * 1000n) << 10n) | BigInt(clockId & 1023);
  let out = '';
  for (let i = 0; i < 13; i++) { out = SORTABLE_B32[Number(v & 31n)] + out; v >>= 5n; }
  return out;
}

function base32Hash(text) {       // RFC 4648 lower-case base32 of SHA-256, for DIDs and CIDs
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0, value = 0, out = '';
  for (const byte of createHash('sha256').update(text).digest()) {
    value = (value << 8) | byte; bits += 8;
    while (bits >= 5) { out += alphabet[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  return out;
}
const didFor = (seed) => `did:plc:${base32Hash(seed).slice(0, 24)}`;
const cidFor = (seed) => `bafyrei${base32Hash(seed).slice(0, 52)}`;

const iso = (ms) => new Date(ms).toISOString();
const isoDay = (ms) => iso(ms).slice(0, 10);
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
// What people see as one character (extended grapheme clusters): Bluesky and Mastodon count these.
const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });
const graphemes = (text) => [...GRAPHEMES.segment(text)].map((g) => g.segment);

// ---------------------------------------------------------------------------------------------
// Bilingual text: people, templates.  The demo brand is "Lumen Coffee / 流明咖啡"; texts are
// built so that the default listening keywords (lumen, coffee, 拿铁) find plenty of hits.

const NAMES = {
  en: {
    first: ['Mia', 'Noah', 'Olivia', 'Liam', 'Ava', 'Ethan', 'Sofia', 'Lucas', 'Chloe', 'Daniel',
      'Grace', 'Leo', 'Hannah', 'Sam', 'Priya', 'Omar', 'Elena', 'Jonas', 'Maya', 'Felix'],
    last: [['Smith', 'smith'], ['Garcia', 'garcia'], ['Müller', 'mueller'], ['Okafor', 'okafor'],
      ['Tanaka', 'tanaka'], ['Rossi', 'rossi'], ['Kim', 'kim'], ['Novak', 'novak'], ['Patel', 'patel'],
      ['Brown', 'brown'], ['Silva', 'silva'], ['Chen', 'chen'], ['Lefèvre', 'lefevre'], ['Nguyen', 'nguyen']],
  },
  zh: {
    surname: [['王', 'wang'], ['李', 'li'], ['张', 'zhang'], ['刘', 'liu'], ['陈', 'chen'], ['杨', 'yang'],
      ['赵', 'zhao'], ['黄', 'huang'], ['周', 'zhou'], ['吴', 'wu'], ['林', 'lin'], ['何', 'he']],
    given: [['晓明', 'xiaoming'], ['子涵', 'zihan'], ['雨桐', 'yutong'], ['浩然', 'haoran'], ['思琪', 'siqi'],
      ['一鸣', 'yiming'], ['佳怡', 'jiayi'], ['俊杰', 'junjie'], ['欣怡', 'xinyi'], ['宇航', 'yuhang'],
      ['梓萱', 'zixuan'], ['文博', 'wenbo']],
  },
};

const VOCAB = {
  en: {
    product: ['oat latte', 'cold brew', 'flat white', 'Lumen house blend', 'iced latte', 'pour-over', 'mocha', 'osmanthus latte'],
    city: ['Shanghai', 'Berlin', 'Austin', 'Singapore', 'Melbourne', 'Toronto', 'Hangzhou'],
    bio: ['Coffee nerd. Runner. Bad puns.', 'Product designer, tea-curious, coffee-dependent.',
      'Dad of two. Weekend baker.', 'Travelling barista, opinions my own.', 'Student. Caffeine-powered.'],
  },
  zh: {
    product: ['燕麦拿铁', '冷萃', '澳白', '生椰拿铁', '手冲', '摩卡', '桂花拿铁', 'Lumen 拼配豆'],
    city: ['上海', '杭州', '深圳', '成都', '北京', '广州', '南京'],
    bio: ['咖啡爱好者｜打工人', '设计师，每天一杯拿铁', '周末探店，工作日续命', '在读研究生，靠咖啡活着', '两个孩子的妈妈，喜欢烘焙'],
  },
};

// Placeholders: {brand} and {parent} become mentions, {#tag} a hashtag, {product}/{city} a word.
const TEMPLATES = {
  mention: {
    en: ['{brand} just tried the {product} at your {city} store. Honestly the best in town ☕ {#coffee}',
      '{brand} waited 25 minutes for a {product} this morning. Is the {city} shop short-staffed?',
      'Does anyone know if {brand} ships Lumen beans abroad? Asking for a friend who lives on {product}.',
      '{brand} the new {product} is way too sweet for me. Any chance of a less-sugar option?',
      'Shoutout to the barista at Lumen Coffee {city} who remembered my order. {brand} you hired well!',
      '{brand} my mobile order vanished from the app again. Third time this week 😤',
      'Rainy afternoon, a {product} and a good book. Thanks {brand} {#coffeetime}',
      '{brand} are you open on public holidays? Planning a meetup at the {city} store.'],
    zh: ['{brand} 今天在{city}店喝了{product}，味道太好了！☕ {#咖啡}',
      '{brand} 排队等了二十分钟才拿到拿铁，{city}店是不是人手不够？',
      '{brand} 新出的{product}有点太甜了，可以出少糖版吗？',
      '请问 {brand} 的 Lumen 咖啡豆可以寄到{city}吗？',
      '{brand} 小程序下单又失败了，这周第三次了 😤',
      '下雨天来一杯{product}，刚刚好。谢谢 {brand} {#拿铁}',
      '{brand} {city}店的咖啡师记得我的口味，太贴心了！',
      '周末和朋友去了 Lumen Coffee，{product}拉花很好看 {brand} {#咖啡}'],
  },
  reply: {
    en: ['{parent} Can\'t wait to try it!', '{parent} Will the {product} be available at the {city} store too?',
      '{parent} Please bring back the old recipe 🙏', '{parent} Went yesterday, the line was huge but worth it.',
      '{parent} The coffee was cold when I got it, not great.', '{parent} Lumen never misses. {#coffee}'],
    zh: ['{parent} 已经迫不及待了！', '{parent} {city}店也有{product}吗？', '{parent} 求回归老配方 🙏',
      '{parent} 昨天去了，人超多但是值得。', '{parent} 拿铁送到的时候已经凉了，有点失望。', '{parent} 支持 Lumen！{#拿铁}'],
  },
  post: {
    en: ['New season, new cup: our {product} is back at every Lumen Coffee store. {#coffee}',
      'Lumen Coffee {city} opens its doors this Saturday. First 100 guests get a free {product}!',
      'Tell us: what\'s your go-to order at Lumen? Ours is a {product}.',
      'Behind the bar: how we roast the Lumen house blend, step by step. {#coffee}'],
    zh: ['新品上市：{product}今天起全国门店供应！{#拿铁}', 'Lumen Coffee {city}新店本周六开业，前100位顾客免费获赠{product}。',
      '你最爱的 Lumen 饮品是哪一杯？留言告诉我们～', '烘焙师日记：Lumen 拼配豆是怎样炼成的。{#咖啡}'],
  },
  public: {
    en: ['Morning {product} from Lumen Coffee hits different {#coffee}', 'Hot take: coffee in {city} is overrated except for Lumen.',
      'Working from a café today, coffee number three ☕', 'Anyone tried the lumen blend? Worth the price?',
      'Best latte in {city}? Go. I\'ll start: LUMEN.'],
    zh: ['今天的第一杯拿铁，来自 Lumen {#咖啡}', '{city}哪家拿铁最好喝？求推荐', '冷萃还是拿铁，这是个问题。',
      'Lumen 的{product}真的可以，打工人续命 ☕', '流明咖啡的拿铁比隔壁好喝多了'],
  },
  quote: {
    en: ['Exactly this 👇 Lumen never disappoints', 'Finally! Been waiting for this coffee all year.'],
    zh: ['说得对，Lumen 的拿铁就是稳', '终于等到了，冲！'],
  },
};

// Turns a template into segments: {type:'text'|'mention'|'tag', ...}.  Platforms render the
// segments differently (Mastodon HTML, Bluesky text + byte-offset facets).
function compose(rng, kind, lang, who) {
  const template = rng.pick(TEMPLATES[kind][lang]);
  const segments = [];
  let last = 0;
  for (const m of template.matchAll(/\{([^}]+)\}/g)) {
    if (m.index > last) segments.push({ type: 'text', text: template.slice(last, m.index) });
    const slot = m[1];
    if (slot === 'brand') segments.push({ type: 'mention', person: who.brand });
    else if (slot === 'parent') segments.push(...who.parents.flatMap((p, i) => (i ? [{ type: 'text', text: ' ' }] : []).concat({ type: 'mention', person: p })));
    else if (slot.startsWith('#')) segments.push({ type: 'tag', tag: slot.slice(1) });
    else segments.push({ type: 'text', text: rng.pick(VOCAB[lang][slot]) });
    last = m.index + m[0].length;
  }
  if (last < template.length) segments.push({ type: 'text', text: template.slice(last) });
  return segments;
}

// ---------------------------------------------------------------------------------------------
// The world of one brand account: people, the brand's posts, replies under them, notifications,
// followers and public posts that only keyword search finds.  Platform-neutral; the platform
// generator (below) gives every object its platform ids and renders the JSON.
//
// Abstract notification types are Bluesky's reasons (mention, reply, like, repost, quote,
// follow); the Mastodon generator maps them to mention/favourite/reblog/follow.

class World {
  constructor(gen, name, counts, keywords) {
    Object.assign(this, { gen, name, counts, keywords });
    this.rng = new Rng(`${gen.name}/${name}`);
    this.used = new Set();        // every claimed millisecond: times, hence ids, are unique
    this.lastMs = 0;
    this.people = [];
    this.posts = [];              // the brand's own posts, ascending
    this.statuses = new Map();    // key -> status, every status the world holds
    this.notifications = [];      // ascending
    this.followers = [];          // follow edges, ascending
    this.sortedCache = null;
    this.sent = [];               // replies the brand posted through the API, in order
    this.replyPosts = [];         // every reply POST received (duplicates included)
    this.idempotent = new Map();  // Mastodon Idempotency-Key -> the status it created
    gen.init(this);
    this.build();
  }

  get size() { return this.statuses.size + this.followers.length + this.notifications.length; }

  claim(ms) {
    ms = Math.floor(ms);
    while (this.used.has(ms)) ms++;
    this.used.add(ms);
    if (ms > this.lastMs) this.lastMs = ms;
    return ms;
  }

  // New items are stamped "now", but never before anything already held, so ids keep rising.
  nextTime(now) { return this.claim(Math.max(now, this.lastMs + 1)); }

  newPerson(created, extra = {}) {
    const r = this.rng, idx = this.people.length;
    const lang = r.chance(0.5) ? 'zh' : 'en';
    let display, username;
    if (lang === 'en') {
      const first = r.pick(NAMES.en.first), [last, lastAscii] = r.pick(NAMES.en.last);
      display = `${first} ${last}`;
      username = `${first.toLowerCase()}_${lastAscii}${idx}`;
    } else {
      const [sur, surPy] = r.pick(NAMES.zh.surname), [given, givenPy] = r.pick(NAMES.zh.given);
      display = r.chance(0.2) ? `${sur}${given} ☕` : `${sur}${given}`;
      username = `${givenPy}_${surPy}${idx}`;
    }
    const person = {
      idx, lang, display, username, created: this.claim(created),
      bio: r.pick(VOCAB[lang].bio), followersBase: r.int(3, 2400), followingBase: r.int(10, 900),
      statusesBase: r.int(5, 3000), authored: 0, lastStatusMs: null, follows: false, ...extra,
    };
    this.gen.onPerson(this, person);
    this.people.push(person);
    return person;
  }

  // A third of the activity comes from people already seen, so profiles have several posts.
  actor(t) {
    if (this.people.length > 10 && this.rng.chance(0.35)) {
      const p = this.people[this.rng.int(1, this.people.length - 1)];
      if (p.created < t) return p;
    }
    return this.newPerson(t - this.rng.int(30, 1500) * DAY);
  }

  followerCandidate(t) {
    if (this.people.length > 10 && this.rng.chance(0.15)) {
      const p = this.people[this.rng.int(1, this.people.length - 1)];
      if (!p.follows && p.created < t) return p;
    }
    return this.newPerson(t - this.rng.int(30, 1500) * DAY);
  }

  addStatus({ kind, time, author, parent = null, quoted = null }) {
    const r = this.rng;
    // The brand posts in both languages; people mostly in their own, sometimes in the other.
    const lang = author.isBrand ? (r.chance(0.5) ? 'en' : 'zh') : r.chance(0.85) ? author.lang : (author.lang === 'en' ? 'zh' : 'en');
    const parents = parent ? [...new Set([parent.author, this.brand])] : [];
    const st = {
      kind, time, author, parent, quoted, lang, root: parent ? (parent.root || parent) : null,
      segments: compose(r, kind, lang, { brand: this.brand, parents }),
      children: [], likes: r.int(0, kind === 'post' ? 60 : 6), reposts: r.int(0, kind === 'post' ? 20 : 2), quotes: 0,
      visibility: r.chance(0.9) ? 'public' : 'unlisted',
    };
    st.text = st.segments.map((s) => this.plain(s)).join('');
    this.gen.onStatus(this, st);
    this.statuses.set(st.key, st);
    if (parent) parent.children.push(st);
    if (quoted) quoted.quotes++;
    if (kind === 'post') this.posts.push(st);
    author.authored++;
    author.lastStatusMs = Math.max(author.lastStatusMs ?? 0, time);
    this.sortedCache = null;
    return st;
  }

  // A status the brand posts through the API (POST /api/v1/statuses, createRecord): plain text,
  // stamped now, linked under its parent so later harvests of the thread see it.
  addOwnStatus({ text, parent = null, visibility = 'public', lang = 'en', rkey = null, now = Date.now() }) {
    const time = this.nextTime(now);
    const st = {
      kind: parent ? 'reply' : 'post', time, author: this.brand, parent, quoted: null, lang,
      root: parent ? (parent.root || parent) : null, segments: [{ type: 'text', text }], text,
      children: [], likes: 0, reposts: 0, quotes: 0, visibility, fixedRkey: rkey,
    };
    this.gen.onStatus(this, st);
    this.statuses.set(st.key, st);
    if (parent) parent.children.push(st);
    this.brand.authored++;
    this.brand.lastStatusMs = Math.max(this.brand.lastStatusMs ?? 0, time);
    this.sortedCache = null;
    this.sent.push(st);
    return st;
  }

  plain(seg) {
    if (seg.type === 'text') return seg.text;
    if (seg.type === 'tag') return `#${seg.tag}`;
    return `@${this.gen.mentionName(seg.person)}`;
  }

  addFollow(time, person) {
    person.follows = true;
    const follow = { time, person };
    this.gen.onFollow(this, follow);
    this.followers.push(follow);
    return follow;
  }

  addNotification(n) {
    if (n.type === 'like' && n.subject) n.subject.likes++;
    if (n.type === 'repost' && n.subject) n.subject.reposts++;
    this.gen.onNotification(this, n);
    this.notifications.push(n);
    return n;
  }

  // A recent own post for likes, reposts and quotes; null when the brand has not posted yet.
  subjectBefore(t) {
    let lo = 0, hi = this.posts.length;          // binary search: posts are in time order
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.posts[mid].time < t) lo = mid + 1; else hi = mid; }
    return lo ? this.posts[Math.max(0, lo - 1 - this.rng.int(0, 9))] : null;
  }

  // Initial state.  Every reply under a brand post notifies the brand, as do followers and
  // extra mentions/likes/reposts; the newest `notifications` of that pool are kept, the way a
  // real account's notification list only reaches back so far.
  build() {
    const r = this.rng, c = this.counts, start = ANCHOR_MS - 30 * DAY;
    this.brand = this.newPerson(ANCHOR_MS - 900 * DAY, { isBrand: true });
    for (const t of sortedTimes(r, c.posts, start, ANCHOR_MS - 2 * HOUR)) {
      this.addStatus({ kind: 'post', time: this.claim(t), author: this.brand });
    }
    const pool = [];
    for (const post of this.posts) pool.push(...this.buildReplies(post));
    for (const t of this.followTimes(c.followers, start)) {
      const follow = this.addFollow(this.claim(t), this.followerCandidate(t));
      pool.push({ type: 'follow', time: follow.time, actor: follow.person, follow });
    }
    for (let i = 0; i < c.notifications; i++) {
      pool.push({ type: r.weighted(this.gen.extraWeights), time: this.claim(r.int(start, ANCHOR_MS - 1)), pending: true });
    }
    pool.sort((a, b) => a.time - b.time);
    for (const ev of pool.slice(Math.max(0, pool.length - c.notifications))) {
      this.addNotification(ev.pending ? this.materialize(ev.type, ev.time) : ev);
    }
    for (const t of sortedTimes(r, c.search, start, ANCHOR_MS)) {
      const time = this.claim(t);
      this.addStatus({ kind: 'public', time, author: this.actor(time) });
    }
  }

  buildReplies(post) {
    const events = [], thread = [];
    let t = post.time;
    for (let i = this.rng.int(0, this.counts.max_replies); i > 0; i--) {
      t += this.rng.int(2 * MINUTE, 18 * HOUR);
      if (t >= ANCHOR_MS) break;
      const parent = thread.length && this.rng.chance(0.3) ? this.rng.pick(thread) : post;
      const time = this.claim(t);
      const st = this.addStatus({ kind: 'reply', time, author: this.actor(time), parent });
      thread.push(st);
      events.push({ type: 'reply', time, actor: st.author, status: st });
    }
    return events;
  }

  // 40% of followers arrived in the last 30 days, the rest over the two years before.
  followTimes(n, start) {
    const recent = Math.round(n * 0.4);
    return [...sortedTimes(this.rng, n - recent, ANCHOR_MS - 730 * DAY, start), ...sortedTimes(this.rng, recent, start, ANCHOR_MS)];
  }

  // Creates whatever a notification of `type` at `time` needs (a status, a follow) and returns it.
  materialize(type, time) {
    const subject = ['like', 'repost', 'quote'].includes(type) ? this.subjectBefore(time) : null;
    if (!subject && type !== 'follow' && type !== 'reply') type = 'mention';
    if (type === 'follow') {
      const follow = this.addFollow(time, this.followerCandidate(time));
      return { type, time, actor: follow.person, follow };
    }
    if (type === 'reply') {
      const post = this.subjectBefore(time);
      if (!post) return this.materialize('mention', time);
      const parent = post.children.length && this.rng.chance(0.3) ? this.rng.pick(post.children) : post;
      const st = this.addStatus({ kind: 'reply', time, author: this.actor(time), parent });
      return { type, time, actor: st.author, status: st };
    }
    if (type === 'mention' || type === 'quote') {
      const st = this.addStatus({ kind: type, time, author: this.actor(time), quoted: subject });
      return { type, time, actor: st.author, status: st, subject };
    }
    return { type, time, actor: this.actor(time), subject };    // like, repost
  }

  // Adds `count` new items to one stream, stamped now.  Returns the new items' platform keys.
  append(stream, count, now = Date.now()) {
    const kind = APPEND_STREAMS[stream];
    if (kind === undefined) throw new Error(`unknown stream "${stream}" (one of ${Object.keys(APPEND_STREAMS).join(', ')})`);
    const keys = [];
    for (let i = 0; i < count; i++) keys.push(this.appendOne(kind ?? this.rng.weighted(this.gen.appendWeights), now));
    return keys;
  }

  // The `count` longest-standing followers unfollow the brand.  Returns their person ids.
  unfollow(count) {
    const gone = this.followers.splice(0, count);
    for (const f of gone) f.person.follows = false;
    return gone.map((f) => f.person.did ?? f.person.id);
  }

  appendOne(kind, now) {
    const time = this.nextTime(now);
    if (kind === 'post') return this.addStatus({ kind, time, author: this.brand }).key;
    if (kind === 'public') return this.addStatus({ kind, time, author: this.actor(time) }).key;
    if (kind === 'reply' && !this.posts.length) kind = 'mention';
    const n = this.addNotification(this.materialize(kind, time));
    return n.key;
  }

  statusesAsc() {
    if (!this.sortedCache) this.sortedCache = [...this.statuses.values()].sort((a, b) => a.time - b.time);
    return this.sortedCache;
  }

  // Case-insensitive substring match on the plain text; works for Chinese as is.
  search(q) {
    const needle = q.trim().toLowerCase();
    if (!needle) return [];
    return this.statusesAsc().filter((st) => st.text.toLowerCase().includes(needle));
  }

  ancestors(st) {
    const chain = [];
    for (let p = st.parent; p; p = p.parent) chain.unshift(p);
    return chain;
  }

  descendants(st) {               // depth first, oldest first: Mastodon's context order
    return st.children.flatMap((c) => [c, ...this.descendants(c)]);
  }
}

// Streams accepted by /_control/append; null means "any notification type".
const APPEND_STREAMS = {
  notifications: null, mentions: 'mention', replies: 'reply', follows: 'follow', followers: 'follow',
  likes: 'like', favourites: 'like', reposts: 'repost', reblogs: 'repost', quotes: 'quote',
  posts: 'post', statuses: 'post', search: 'public',
};

// ---------------------------------------------------------------------------------------------
// Pagination helpers shared by the generators

const idParam = (v) => (v !== null && /^\d+$/.test(v) ? BigInt(v) : null);

// Mastodon semantics: newest first; max_id = strictly older; since_id = newer, newest page;
// min_id = newer, the page immediately above min_id (so paging up never skips items).
function mastodonSlice(items, params, limit, idOf) {
  const max = idParam(params.get('max_id')), min = idParam(params.get('min_id')), since = idParam(params.get('since_id'));
  const lower = min ?? since;
  const inRange = items.filter((it) => {
    const id = BigInt(idOf(it));
    return (max === null || id < max) && (lower === null || id > lower);
  });
  const page = min !== null ? inRange.slice(0, limit) : inRange.slice(Math.max(0, inRange.length - limit));
  return page.reverse();
}

// Rails builds Link URLs with Hash#to_query, which sorts the key=value pairs; only the
// endpoint's permitted params survive, plus the new max_id/min_id.
function railsQuery(params, permitted, extra) {
  const pairs = [];
  for (const [k, v] of params) if (permitted.includes(k)) pairs.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  for (const [k, v] of Object.entries(extra)) pairs.push(`${k}=${encodeURIComponent(v)}`);
  return pairs.sort().join('&');
}

// Like Mastodon: rel="next" only when the page is full, rel="prev" whenever it is not empty.
function mastodonLink(url, params, permitted, page, limit, idOf) {
  const links = [];
  if (page.length && page.length === limit) links.push(`<${url}?${railsQuery(params, permitted, { max_id: idOf(page[page.length - 1]) })}>; rel="next"`);
  if (page.length) links.push(`<${url}?${railsQuery(params, permitted, { min_id: idOf(page[0]) })}>; rel="prev"`);
  return links.length ? links.join(', ') : null;
}

// Bluesky semantics: newest first, keyset cursor (items strictly older than the cursor's key);
// the last page carries no cursor.
function cursorSlice(itemsAsc, cursor, limit, keyOf) {
  const desc = [...itemsAsc].reverse();
  let start = 0;
  if (cursor) { start = desc.findIndex((it) => keyOf(it) < cursor); if (start < 0) start = desc.length; }
  const page = desc.slice(start, start + limit);
  return { page, cursor: start + limit < desc.length ? keyOf(page[page.length - 1]) : undefined };
}

// ---------------------------------------------------------------------------------------------
// Mastodon generator: ids, JSON shapes and routes of /mastodon/INSTANCE/...

const M_INSTANCES = { en: ['mastodon.social', 'fosstodon.org', 'mastodon.online', 'hachyderm.io'], zh: ['m.cmx.im', 'alive.bar', 'mstdn.jp', 'mastodon.social'] };
const M_TYPE = { mention: 'mention', reply: 'mention', quote: 'mention', like: 'favourite', repost: 'reblog', follow: 'follow' };
const M_NOTIF_PARAMS = ['account_id', 'exclude_types[]', 'limit', 'types[]'];
const M_STATUS_PARAMS = ['exclude_reblogs', 'exclude_replies', 'limit', 'only_media', 'pinned', 'tagged'];
const M_FOLLOW_PARAMS = ['limit'];

const mastodon = {
  name: 'mastodon',
  extraWeights: [['mention', 45], ['like', 35], ['repost', 20]],
  appendWeights: [['mention', 30], ['reply', 30], ['like', 15], ['repost', 10], ['follow', 15]],

  init(w) {
    w.domain = `${w.name.toLowerCase()}.social.example`;   // where this instance's URLs point
    w.notifSeq = 1000 + w.rng.int(0, 8999);                 // notification ids are plain counters
    w.followSeq = 5000 + w.rng.int(0, 8999);                // so are follow (relationship) ids
  },
  onPerson(w, p) {
    p.id = snowflake(p.created, w.rng);
    if (p.isBrand) {
      p.username = w.name.replace(/[^A-Za-z0-9_]/g, '_');
      p.display = 'Lumen Coffee 流明咖啡';
      p.bio = 'Specialty coffee, roasted daily. 精品咖啡，每日烘焙。';
      p.domain = null;
    } else {
      p.domain = w.rng.chance(0.3) ? null : w.rng.pick(M_INSTANCES[p.lang]);
    }
  },
  onStatus(w, st) { st.id = snowflake(st.time, w.rng); st.key = st.id; },
  onFollow(w, f) { f.id = String(++w.followSeq); f.key = f.person.id; },
  onNotification(w, n) { n.id = String(++w.notifSeq); n.key = n.id; },
  mentionName: (p) => p.username,

  tokenFor: (account) => `token-${account}`,
  headers(rate) {
    return {
      'cache-control': 'private, no-store',
      'content-type': 'application/json; charset=utf-8',
      'vary': 'Authorization, Origin',
      'x-content-type-options': 'nosniff',
      'x-ratelimit-limit': String(rate.limit),
      'x-ratelimit-remaining': String(rate.remaining),
      'x-ratelimit-reset': iso(rate.resetMs),
      'x-request-id': randomUUID(),
    };
  },
  authError() {
    return {
      status: 401, body: { error: 'The access token is invalid' },
      headers: { 'www-authenticate': 'Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"' },
    };
  },
  tooManyBody: () => ({ error: 'Too many requests' }),
  errorBody: (status) => ({ error: status === 404 ? 'Record not found' : 'Error' }),

  routes: [
    ['GET', /^\/api\/v1\/accounts\/verify_credentials$/, (c) => ok(mCredentials(c.w))],
    ['GET', /^\/api\/v1\/notifications$/, mNotifications],
    ['GET', /^\/api\/v1\/notifications\/(\d+)$/, (c, id) => found(c.w.notifications.find((n) => n.id === id), (n) => mNotification(c.w, n))],
    ['GET', /^\/api\/v1\/accounts\/(\d+)\/statuses$/, mAccountStatuses],
    ['GET', /^\/api\/v1\/accounts\/(\d+)\/followers$/, mFollowers],
    ['GET', /^\/api\/v1\/accounts\/(\d+)$/, (c, id) => found(c.w.people.find((p) => p.id === id), (p) => mAccount(c.w, p))],
    ['GET', /^\/api\/v1\/statuses\/(\d+)$/, (c, id) => found(c.w.statuses.get(id), (st) => mStatus(c.w, st))],
    ['GET', /^\/api\/v1\/statuses\/(\d+)\/context$/, (c, id) => found(c.w.statuses.get(id), (st) => ({
      ancestors: c.w.ancestors(st).map((s) => mStatus(c.w, s)),
      descendants: c.w.descendants(st).map((s) => mStatus(c.w, s)),
    }))],
    ['GET', /^\/api\/v2\/search$/, mSearch],
    ['POST', /^\/api\/v1\/statuses$/, mPostStatus],
  ],

  expected(w, extraQueries) {
    const ids = (list) => list.map((x) => x.id).reverse();
    const search = searchMap(w, extraQueries, (st) => st.id);
    const context = Object.fromEntries(w.posts.map((p) => [p.id, w.descendants(p).map((s) => s.id)]));
    const statuses = new Set([...w.posts, ...w.notifications.map((n) => n.status).filter(Boolean)].map((s) => s.id));
    for (const list of [...Object.values(context), ...Object.values(search)]) list.forEach((id) => statuses.add(id));
    return {
      account_id: w.brand.id,
      streams: {
        notifications: ids(w.notifications),
        notification_types: countBy(w.notifications, (n) => M_TYPE[n.type]),
        statuses: ids(w.posts),
        context,
        followers: w.followers.map((f) => f.person.id).reverse(),
        search,
      },
      statuses_reachable: [...statuses],
      accounts_reachable: reachableAccounts(w, statuses, (st) => w.statuses.get(st), (p) => p.id),
    };
  },
};

function mLimit(params, def, max) {
  const raw = params.get('limit');
  const n = raw === null ? def : Math.abs(parseInt(raw, 10));
  return Number.isFinite(n) && n > 0 ? Math.min(n, max) : def;
}

function mAccountUrl(w, p) { return p.domain ? `https://${p.domain}/@${p.username}` : `https://${w.domain}/@${p.username}`; }

function mAccount(w, p) {
  const statuses = p.isBrand ? w.posts.length : p.statusesBase + p.authored;
  return {
    id: p.id, username: p.username, acct: p.domain ? `${p.username}@${p.domain}` : p.username,
    display_name: p.display, locked: false, bot: false, discoverable: true, indexable: true, group: false,
    created_at: `${isoDay(p.created)}T00:00:00.000Z`,   // Mastodon truncates account creation to the day
    note: `<p>${escapeHtml(p.bio)}</p>`,
    url: mAccountUrl(w, p),
    uri: p.domain ? `https://${p.domain}/users/${p.username}` : `https://${w.domain}/ap/users/${p.id}`,
    avatar: `https://${p.domain ?? w.domain}/system/accounts/avatars/${p.id}/original/avatar.png`,
    avatar_static: `https://${p.domain ?? w.domain}/system/accounts/avatars/${p.id}/original/avatar.png`,
    avatar_description: '',
    header: `https://${w.domain}/headers/original/missing.png`,
    header_static: `https://${w.domain}/headers/original/missing.png`,
    header_description: '',
    followers_count: p.isBrand ? w.followers.length : p.followersBase,
    following_count: p.followingBase, statuses_count: statuses,
    last_status_at: p.lastStatusMs ? isoDay(p.lastStatusMs) : null,
    hide_collections: null, noindex: false, emojis: [], roles: [], fields: [],
  };
}

function mCredentials(w) {
  return {
    ...mAccount(w, w.brand),
    source: { privacy: 'public', sensitive: false, language: null, note: w.brand.bio, fields: [], follow_requests_count: 0, hide_collections: null, discoverable: true, indexable: true },
  };
}

function mContent(w, st) {
  const html = st.segments.map((s) => {
    if (s.type === 'text') return escapeHtml(s.text);
    if (s.type === 'tag') return `<a href="https://${w.domain}/tags/${encodeURIComponent(s.tag)}" class="mention hashtag" rel="tag">#<span>${escapeHtml(s.tag)}</span></a>`;
    return `<span class="h-card" translate="no"><a href="${mAccountUrl(w, s.person)}" class="u-url mention">@<span>${escapeHtml(s.person.username)}</span></a></span>`;
  }).join('');
  return `<p>${html}</p>`;
}

function mStatus(w, st) {
  const a = st.author, host = a.domain ?? w.domain;
  const mentions = [...new Set(st.segments.filter((s) => s.type === 'mention').map((s) => s.person))];
  const status = {
    id: st.id, created_at: iso(st.time),
    in_reply_to_id: st.parent ? st.parent.id : null, in_reply_to_account_id: st.parent ? st.parent.author.id : null,
    sensitive: false, spoiler_text: '', visibility: st.visibility, language: st.lang,
    uri: a.domain ? `https://${host}/users/${a.username}/statuses/${st.id}` : `https://${host}/ap/users/${a.id}/statuses/${st.id}`,
    url: `https://${host}/@${a.username}/${st.id}`,
    replies_count: st.children.length, reblogs_count: st.reposts, favourites_count: st.likes, quotes_count: st.quotes,
    edited_at: null, favourited: false, reblogged: false, muted: false, bookmarked: false,
    content: mContent(w, st), filtered: [], reblog: null,
  };
  if (a.isBrand) { status.pinned = false; status.application = { name: 'Web', website: null }; }
  Object.assign(status, {
    account: mAccount(w, a), media_attachments: [],
    mentions: mentions.map((p) => ({ id: p.id, username: p.username, url: mAccountUrl(w, p), acct: p.domain ? `${p.username}@${p.domain}` : p.username })),
    tags: st.segments.filter((s) => s.type === 'tag').map((s) => ({ name: s.tag.toLowerCase(), url: `https://${w.domain}/tags/${encodeURIComponent(s.tag)}` })),
    emojis: [], card: null, poll: null,
  });
  return status;
}

function mNotification(w, n) {
  const type = M_TYPE[n.type];
  const status = n.status ?? n.subject ?? null;   // favourite/reblog carry the brand's post
  const bucket = Math.floor(n.time / DAY);
  const groupKey = type === 'mention' ? `ungrouped-${n.id}` : type === 'follow' ? `follow-${bucket}` : `${type}-${status.id}-${bucket}`;
  const out = { id: n.id, type, created_at: iso(n.time), group_key: groupKey, account: mAccount(w, n.actor) };
  if (status) out.status = mStatus(w, status);
  return out;
}

function mNotifications(c) {
  const types = c.params.getAll('types[]'), exclude = c.params.getAll('exclude_types[]');
  const items = c.w.notifications.filter((n) => (!types.length || types.includes(M_TYPE[n.type])) && !exclude.includes(M_TYPE[n.type]));
  const limit = mLimit(c.params, 40, 80);
  const page = mastodonSlice(items, c.params, limit, (n) => n.id);
  const link = mastodonLink(`${c.base}/api/v1/notifications`, c.params, M_NOTIF_PARAMS, page, limit, (n) => n.id);
  return ok(page.map((n) => mNotification(c.w, n)), link);
}

function mAccountStatuses(c, accountId) {
  const person = c.w.people.find((p) => p.id === accountId);
  if (!person) return notFound();
  const items = person.isBrand ? c.w.posts : c.w.statusesAsc().filter((st) => st.author === person);
  const limit = mLimit(c.params, 20, 40);
  const page = mastodonSlice(items, c.params, limit, (st) => st.id);
  const link = mastodonLink(`${c.base}/api/v1/accounts/${accountId}/statuses`, c.params, M_STATUS_PARAMS, page, limit, (st) => st.id);
  return ok(page.map((st) => mStatus(c.w, st)), link);
}

// Pages by follow (relationship) id, not account id, exactly like Mastodon: a harvester that
// builds max_id from the last account's id instead of following the Link header gets it wrong.
function mFollowers(c, accountId) {
  const person = c.w.people.find((p) => p.id === accountId);
  if (!person) return notFound();
  const items = person.isBrand ? c.w.followers : [];
  const limit = mLimit(c.params, 40, 80);
  const page = mastodonSlice(items, c.params, limit, (f) => f.id);
  const link = mastodonLink(`${c.base}/api/v1/accounts/${accountId}/followers`, c.params, M_FOLLOW_PARAMS, page, limit, (f) => f.id);
  return ok(page.map((f) => mAccount(c.w, f.person)), link);
}

// Posting a status, with Mastodon's Idempotency-Key semantics: a key seen before (per
// account) returns the status it created, and nothing is posted again.
const M_VISIBILITY = ['public', 'unlisted', 'private', 'direct'];
function mPostStatus(c) {
  const w = c.w, b = c.body, key = c.headers['idempotency-key'] ?? null;
  w.replyPosts.push({ at: iso(Date.now()), idempotency_key: key });
  if (key && w.idempotent.has(key)) return ok(mStatus(w, w.idempotent.get(key)));
  const text = typeof b.status === 'string' ? b.status : '';
  if (!text.trim()) return { status: 422, body: { error: "Validation failed: Text can't be blank" } };
  if (graphemes(text).length > 500) return { status: 422, body: { error: 'Validation failed: Text character limit of 500 exceeded' } };
  let parent = null;
  if (b.in_reply_to_id !== undefined && b.in_reply_to_id !== null && b.in_reply_to_id !== '') {
    parent = w.statuses.get(String(b.in_reply_to_id));
    if (!parent) return notFound();
  }
  const visibility = M_VISIBILITY.includes(b.visibility) ? b.visibility : 'public';
  const st = w.addOwnStatus({ text, parent, visibility, lang: typeof b.language === 'string' ? b.language : 'en' });
  st.idempotencyKey = key;
  if (key) w.idempotent.set(key, st);
  return ok(mStatus(w, st));
}

// v2 search: no Link header (as on Mastodon); statuses page with max_id/min_id or offset.
function mSearch(c) {
  const q = c.params.get('q') ?? '', type = c.params.get('type');
  const limit = mLimit(c.params, 20, 40), offset = Math.max(0, parseInt(c.params.get('offset') ?? '0', 10) || 0);
  const result = { accounts: [], statuses: [], hashtags: [], collections: [] };
  if (!type || type === 'statuses') {
    const hits = mastodonSlice(c.w.search(q), c.params, offset + limit, (st) => st.id);
    result.statuses = hits.slice(offset, offset + limit).map((st) => mStatus(c.w, st));
  }
  if ((!type || type === 'accounts') && q.trim()) {
    const needle = q.trim().toLowerCase();
    result.accounts = c.w.people.filter((p) => `${p.username} ${p.display}`.toLowerCase().includes(needle))
      .slice(offset, offset + limit).map((p) => mAccount(c.w, p));
  }
  return ok(result);
}

// ---------------------------------------------------------------------------------------------
// Bluesky generator: ids, JSON shapes and XRPC methods of /bluesky/HANDLE/xrpc/...

const B_NOTIFICATION_RECORD = { like: 'app.bsky.feed.like', repost: 'app.bsky.feed.repost', follow: 'app.bsky.graph.follow' };

const bluesky = {
  name: 'bluesky',
  extraWeights: [['mention', 35], ['like', 35], ['repost', 15], ['quote', 15]],
  appendWeights: [['mention', 25], ['reply', 30], ['like', 15], ['repost', 10], ['quote', 5], ['follow', 15]],

  init(w) { w.seenAt = iso(ANCHOR_MS); },
  onPerson(w, p) {
    if (p.isBrand) {
      p.handle = w.name;
      p.display = 'Lumen Coffee 流明咖啡';
      p.bio = 'Specialty coffee, roasted daily. 精品咖啡，每日烘焙。';
    } else {
      p.handle = `${p.username.replace(/_/g, '-')}.bsky.social`;   // handles allow no underscores
    }
    p.did = didFor(`${w.name}/${p.idx}`);
    p.key = p.did;
  },
  onStatus(w, st) {
    st.rkey = st.fixedRkey ?? tid(st.time, w.rng.int(0, 1023));
    st.uri = `at://${st.author.did}/app.bsky.feed.post/${st.rkey}`;
    st.cid = cidFor(st.uri);
    st.key = st.uri;
  },
  onFollow(w, f) {
    f.rkey = tid(f.time, w.rng.int(0, 1023));
    f.uri = `at://${f.person.did}/app.bsky.graph.follow/${f.rkey}`;
    f.key = f.person.did;
  },
  onNotification(w, n) {
    if (n.status) n.uri = n.status.uri;
    else if (n.follow) n.uri = n.follow.uri;
    else n.uri = `at://${n.actor.did}/${B_NOTIFICATION_RECORD[n.type]}/${tid(n.time, w.rng.int(0, 1023))}`;
    n.cid = cidFor(n.uri);
    n.key = n.uri;
  },
  mentionName: (p) => p.handle,

  tokenFor: (account) => `token-${account}`,
  headers(rate) {
    return {
      'content-type': 'application/json; charset=utf-8',
      'x-powered-by': 'Express',
      'access-control-allow-origin': '*',
      'ratelimit-limit': String(rate.limit),
      'ratelimit-remaining': String(rate.remaining),
      'ratelimit-reset': String(Math.ceil(rate.resetMs / 1000)),
      'ratelimit-policy': `${rate.limit};w=${rate.windowS}`,
      'vary': 'Accept-Encoding',
    };
  },
  authError(missing) {
    return { status: 401, body: missing ? { error: 'AuthMissing', message: 'Authentication Required' } : { error: 'ExpiredToken', message: 'Token has expired' } };
  },
  tooManyBody: () => ({ error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }),
  errorBody: (status) => (status === 404 || status === 501 ? { error: 'MethodNotImplemented', message: 'Method Not Implemented' } : { error: 'InternalServerError', message: 'Internal Server Error' }),

  routes: [
    ['GET', /^\/xrpc\/app\.bsky\.notification\.listNotifications$/, bNotifications],
    ['GET', /^\/xrpc\/app\.bsky\.feed\.getAuthorFeed$/, bAuthorFeed],
    ['GET', /^\/xrpc\/app\.bsky\.feed\.searchPosts$/, bSearch],
    ['GET', /^\/xrpc\/app\.bsky\.feed\.getPostThread$/, bThread],
    ['GET', /^\/xrpc\/app\.bsky\.graph\.getFollowers$/, bFollowers],
    ['GET', /^\/xrpc\/app\.bsky\.actor\.getProfile$/, (c) => withActor(c, () => ok(bProfile(c.w, c.w.brand)))],
    ['GET', /^\/xrpc\/com\.atproto\.server\.getSession$/, (c) => ok({ handle: c.w.brand.handle, did: c.w.brand.did, active: true })],
    ['POST', /^\/xrpc\/com\.atproto\.repo\.createRecord$/, bCreateRecord],
    ['GET', /^\/xrpc\/com\.atproto\.repo\.getRecord$/, bGetRecord],
  ],

  expected(w, extraQueries) {
    const search = searchMap(w, extraQueries, (st) => st.uri);
    const threads = Object.fromEntries(w.posts.map((p) => [p.uri, w.descendants(p).map((s) => s.uri)]));
    const posts = new Set([...w.posts, ...w.notifications.map((n) => n.status).filter(Boolean)].map((s) => s.uri));
    for (const list of [...Object.values(threads), ...Object.values(search)]) list.forEach((uri) => posts.add(uri));
    return {
      account_id: w.brand.did,
      streams: {
        notifications: w.notifications.map((n) => n.uri).reverse(),
        notification_types: countBy(w.notifications, (n) => n.type),
        author_feed: w.posts.map((p) => p.uri).reverse(),
        threads,
        followers: w.followers.map((f) => f.person.did).reverse(),
        search,
      },
      statuses_reachable: [...posts],
      accounts_reachable: reachableAccounts(w, posts, (uri) => w.statuses.get(uri), (p) => p.did),
    };
  },
};

function bLimit(params, def) {
  const raw = params.get('limit');
  if (raw === null) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw xrpcError(400, 'InvalidRequest', n > 100 ? 'Error: limit must be <= 100' : 'Error: limit must be >= 1');
  return n;
}

function xrpcError(status, error, message) { return Object.assign(new Error(message), { answer: { status, body: { error, message } } }); }

function withActor(c, fn) {
  const actor = c.params.get('actor');
  if (!actor) throw xrpcError(400, 'InvalidRequest', 'Error: Params must have the property "actor"');
  if (actor !== c.w.brand.handle && actor !== c.w.brand.did) throw xrpcError(400, 'InvalidRequest', 'Profile not found');
  return fn();
}

function bProfileBasic(w, p) {
  return {
    did: p.did, handle: p.handle, displayName: p.display,
    avatar: `https://cdn.bsky.app/img/avatar/plain/${p.did}/${cidFor(p.did)}@jpeg`,
    viewer: { muted: false, blockedBy: false }, labels: [], createdAt: iso(p.created),
  };
}

function bProfile(w, p) {
  return { ...bProfileBasic(w, p), description: p.bio, indexedAt: iso(p.created + HOUR) };
}

// Facets index UTF-8 byte offsets, which matters for Chinese text.
function bTextAndFacets(st) {
  let text = '', bytes = 0;
  const facets = [];
  for (const s of st.segments) {
    const piece = s.type === 'text' ? s.text : s.type === 'tag' ? `#${s.tag}` : `@${s.person.handle}`;
    const len = Buffer.byteLength(piece);
    if (s.type === 'mention') facets.push({ $type: 'app.bsky.richtext.facet', features: [{ $type: 'app.bsky.richtext.facet#mention', did: s.person.did }], index: { byteEnd: bytes + len, byteStart: bytes } });
    if (s.type === 'tag') facets.push({ features: [{ $type: 'app.bsky.richtext.facet#tag', tag: s.tag }], index: { byteEnd: bytes + len, byteStart: bytes } });
    text += piece; bytes += len;
  }
  return { text, facets };
}

function bRecord(st) {           // keys in the order the PDS returns them: $type, then sorted
  const { text, facets } = bTextAndFacets(st);
  const record = { $type: 'app.bsky.feed.post', createdAt: iso(st.time) };
  if (st.quoted) record.embed = { $type: 'app.bsky.embed.record', record: { cid: st.quoted.cid, uri: st.quoted.uri } };
  if (facets.length) record.facets = facets;
  record.langs = [st.lang];
  if (st.parent) record.reply = { parent: { cid: st.parent.cid, uri: st.parent.uri }, root: { cid: st.root.cid, uri: st.root.uri } };
  record.text = text;
  return record;
}

function bPost(w, st) {
  const view = { uri: st.uri, cid: st.cid, author: bProfileBasic(w, st.author), record: bRecord(st) };
  if (st.quoted) {
    view.embed = {
      $type: 'app.bsky.embed.record#view',
      record: { $type: 'app.bsky.embed.record#viewRecord', uri: st.quoted.uri, cid: st.quoted.cid, author: bProfileBasic(w, st.quoted.author), value: bRecord(st.quoted), labels: [], indexedAt: iso(st.quoted.time) },
    };
  }
  return Object.assign(view, {
    replyCount: st.children.length, repostCount: st.reposts, likeCount: st.likes, quoteCount: st.quotes,
    indexedAt: iso(st.time), viewer: { threadMuted: false, embeddingDisabled: false }, labels: [],
  });
}

function bNotification(w, n) {
  const out = { uri: n.uri, cid: n.cid, author: bProfile(w, n.actor), reason: n.type };
  if (n.type === 'reply') out.reasonSubject = n.status.parent.uri;
  if (n.subject) out.reasonSubject = n.subject.uri;
  if (n.status) out.record = bRecord(n.status);
  else if (n.follow) out.record = { $type: 'app.bsky.graph.follow', createdAt: iso(n.time), subject: w.brand.did };
  else out.record = { $type: B_NOTIFICATION_RECORD[n.type], createdAt: iso(n.time), subject: { cid: n.subject.cid, uri: n.subject.uri } };
  return Object.assign(out, { isRead: iso(n.time) <= w.seenAt, indexedAt: iso(n.time), labels: [] });
}

// Cursors of notifications and the author feed are ISO timestamps (as on bsky.social); the
// follower cursor is the follow record's TID; search uses an opaque base64url key.
const timeKey = (x) => iso(x.time);

function bNotifications(c) {
  const reasons = c.params.getAll('reasons');
  const items = reasons.length ? c.w.notifications.filter((n) => reasons.includes(n.type)) : c.w.notifications;
  const { page, cursor } = cursorSlice(items, c.params.get('cursor'), bLimit(c.params, 50), timeKey);
  return ok(dropUndefined({ notifications: page.map((n) => bNotification(c.w, n)), cursor, priority: false, seenAt: c.w.seenAt }));
}

function bAuthorFeed(c) {
  return withActor(c, () => {
    const { page, cursor } = cursorSlice(c.w.posts, c.params.get('cursor'), bLimit(c.params, 50), timeKey);
    return ok(dropUndefined({ feed: page.map((st) => ({ post: bPost(c.w, st) })), cursor }));
  });
}

function bSearch(c) {
  const q = c.params.get('q');
  if (q === null) throw xrpcError(400, 'InvalidRequest', 'Error: Params must have the property "q"');
  let after = c.params.get('cursor');
  if (after) after = Buffer.from(after, 'base64url').toString();
  const { page, cursor } = cursorSlice(c.w.search(q), after, bLimit(c.params, 25), (st) => st.rkey);
  return ok(dropUndefined({ posts: page.map((st) => bPost(c.w, st)), cursor: cursor && Buffer.from(cursor).toString('base64url') }));
}

function bThread(c) {
  const uri = c.params.get('uri');
  if (!uri) throw xrpcError(400, 'InvalidRequest', 'Error: Params must have the property "uri"');
  const st = c.w.statuses.get(uri);
  if (!st) throw xrpcError(400, 'NotFound', `Post not found: ${uri}`);
  const asked = parseInt(c.params.get('depth') ?? '6', 10);
  const depth = Number.isInteger(asked) && asked >= 0 ? Math.min(asked, 1000) : 6;
  const down = (s, d) => ({ $type: 'app.bsky.feed.defs#threadViewPost', post: bPost(c.w, s), replies: d > 0 ? s.children.map((k) => down(k, d - 1)) : [] });
  const up = (s) => dropUndefined({ $type: 'app.bsky.feed.defs#threadViewPost', post: bPost(c.w, s), parent: s.parent ? up(s.parent) : undefined });
  const thread = down(st, depth);
  if (st.parent) thread.parent = up(st.parent);
  thread.threadContext = {};
  return ok({ thread });
}

// createRecord of an app.bsky.feed.post in the brand's own repo. A record key that is taken
// is refused (400 InvalidRequest "Record already exists"), so a client that derives its rkey
// from an idempotency key cannot post twice. Stricter than a real PDS on purpose: reply refs
// must name posts this world holds, with their cids.
const TID_RE = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/;
function bCreateRecord(c) {
  const w = c.w, b = c.body;
  w.replyPosts.push({ at: iso(Date.now()), rkey: b.rkey ?? null });
  if (b.repo !== w.brand.handle && b.repo !== w.brand.did) throw xrpcError(400, 'InvalidRequest', `Could not find repo: ${b.repo}`);
  if (b.collection !== 'app.bsky.feed.post') throw xrpcError(400, 'InvalidRequest', `Invalid collection: ${b.collection}`);
  const rkey = b.rkey ?? tid(w.nextTime(Date.now()), w.rng.int(0, 1023));
  if (typeof rkey !== 'string' || !TID_RE.test(rkey)) throw xrpcError(400, 'InvalidRequest', 'Invalid record key: app.bsky.feed.post records need a TID');
  const uri = `at://${w.brand.did}/app.bsky.feed.post/${rkey}`;
  if (w.statuses.has(uri)) throw xrpcError(400, 'InvalidRequest', `Record already exists: ${uri}`);
  const rec = b.record;
  if (!rec || typeof rec !== 'object' || rec.$type !== 'app.bsky.feed.post') throw xrpcError(400, 'InvalidRequest', 'Invalid app.bsky.feed.post record: Record/$type must be app.bsky.feed.post');
  if (typeof rec.text !== 'string') throw xrpcError(400, 'InvalidRequest', 'Invalid app.bsky.feed.post record: Record must have the property "text"');
  if (graphemes(rec.text).length > 300) throw xrpcError(400, 'InvalidRequest', 'Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes');
  // (the lexicon's maxLength counts bytes of UTF-8, though its message says characters)
  if (Buffer.byteLength(rec.text) > 3000) throw xrpcError(400, 'InvalidRequest', 'Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 characters');
  if (typeof rec.createdAt !== 'string' || Number.isNaN(Date.parse(rec.createdAt))) throw xrpcError(400, 'InvalidRequest', 'Invalid app.bsky.feed.post record: Record/createdAt must be a valid datetime');
  let parent = null;
  if (rec.reply !== undefined) {
    const ref = (r, what) => {
      const st = r && typeof r === 'object' ? w.statuses.get(r.uri) : null;
      if (!st) throw xrpcError(400, 'InvalidRequest', `Invalid app.bsky.feed.post record: reply ${what} ${r?.uri} not found`);
      if (st.cid !== r.cid) throw xrpcError(400, 'InvalidRequest', `Invalid app.bsky.feed.post record: reply ${what} cid does not match`);
      return st;
    };
    parent = ref(rec.reply.parent, 'parent');
    if (ref(rec.reply.root, 'root') !== (parent.root || parent)) throw xrpcError(400, 'InvalidRequest', 'Invalid app.bsky.feed.post record: reply root is not the root of the parent');
  }
  const lang = Array.isArray(rec.langs) && typeof rec.langs[0] === 'string' ? rec.langs[0] : 'en';
  const st = w.addOwnStatus({ text: rec.text, parent, lang, rkey, now: Date.parse(rec.createdAt) });
  return ok({ uri: st.uri, cid: st.cid, commit: { cid: cidFor(`commit/${st.uri}`), rev: tid(Date.now(), 0) }, validationStatus: 'valid' });
}

// getRecord in the brand's repo (posts only).
function bGetRecord(c) {
  const repo = c.params.get('repo'), collection = c.params.get('collection'), rkey = c.params.get('rkey');
  if (!repo || !collection || !rkey) throw xrpcError(400, 'InvalidRequest', 'Error: Params must have the properties "repo", "collection" and "rkey"');
  const did = repo === c.w.brand.handle ? c.w.brand.did : repo;
  const uri = `at://${did}/${collection}/${rkey}`;
  const st = c.w.statuses.get(uri);
  if (!st) throw xrpcError(400, 'RecordNotFound', `Could not locate record: ${uri}`);
  return ok({ uri: st.uri, cid: st.cid, value: bRecord(st) });
}

function bFollowers(c) {
  return withActor(c, () => {
    const { page, cursor } = cursorSlice(c.w.followers, c.params.get('cursor'), bLimit(c.params, 50), (f) => f.rkey);
    return ok(dropUndefined({ followers: page.map((f) => bProfile(c.w, f.person)), subject: bProfile(c.w, c.w.brand), cursor }));
  });
}

// ---------------------------------------------------------------------------------------------
// Shared answer and expectation helpers

const GENERATORS = { mastodon, bluesky };

function ok(body, link = null) { return { status: 200, body, headers: link ? { link } : {} }; }
function notFound() { return { status: 404, body: null }; }
function found(item, render) { return item ? ok(render(item)) : notFound(); }
function dropUndefined(obj) { for (const k of Object.keys(obj)) if (obj[k] === undefined) delete obj[k]; return obj; }
function countBy(list, keyOf) { const out = {}; for (const x of list) out[keyOf(x)] = (out[keyOf(x)] ?? 0) + 1; return out; }

function searchMap(w, extraQueries, keyOf) {
  const out = {};
  for (const q of [...w.keywords, ...extraQueries]) out[q] = w.search(q).map(keyOf).reverse();
  return out;
}

// Every profile a complete harvest of all streams meets: brand, followers, notification
// actors and the authors of every reachable status.
function reachableAccounts(w, statusKeys, lookup, idOf) {
  const people = new Set([w.brand, ...w.followers.map((f) => f.person), ...w.notifications.map((n) => n.actor)]);
  for (const key of statusKeys) people.add(lookup(key).author);
  return [...people].map(idOf);
}

// ---------------------------------------------------------------------------------------------
// Rate limits (fixed windows aligned to the epoch, like Mastodon's 5-minute windows), faults

class RateLimiter {
  constructor(config) { this.config = config; this.buckets = new Map(); }
  hit(platform, key, now) {
    const { limit, window_s: windowS } = this.config[platform];
    const span = windowS * 1000, start = Math.floor(now / span) * span;
    const id = `${platform} ${key}`;
    let bucket = this.buckets.get(id);
    if (!bucket || bucket.start !== start) this.buckets.set(id, (bucket = { start, count: 0 }));
    bucket.count++;
    return { limit, windowS, remaining: Math.max(0, limit - bucket.count), resetMs: start + span, exceeded: bucket.count > limit };
  }
}

const FAULT_KINDS = ['status', 'truncate', 'delay_ms', 'hold_ms', 'malformed'];

function validateRule(rule) {
  if (!rule || typeof rule.match !== 'string' || !rule.match) throw new Error('each rule needs a "match" string');
  if (!FAULT_KINDS.some((k) => rule[k] !== undefined && rule[k] !== false)) throw new Error(`rule for ${rule.match} needs one of ${FAULT_KINDS.join(', ')}`);
  if (rule.status !== undefined && !(Number.isInteger(rule.status) && rule.status >= 400 && rule.status <= 599)) throw new Error('"status" must be 400..599');
  if (rule.delay_ms !== undefined && !(Number.isInteger(rule.delay_ms) && rule.delay_ms >= 0 && rule.delay_ms <= 600000)) throw new Error('"delay_ms" must be 0..600000');
  if (rule.hold_ms !== undefined && !(Number.isInteger(rule.hold_ms) && rule.hold_ms >= 0 && rule.hold_ms <= 600000)) throw new Error('"hold_ms" must be 0..600000');
  if (rule.method !== undefined && !['GET', 'POST'].includes(rule.method)) throw new Error('"method" must be GET or POST');
  if (rule.malformed !== undefined && ![true, false, 'shape', 'json'].includes(rule.malformed)) throw new Error('"malformed" must be true, "shape" or "json"');
  const times = rule.times ?? 1;
  if (!Number.isInteger(times) || times === 0 || times < -1) throw new Error('"times" must be a positive integer, or -1 for every request');
  return { ...rule, times, remaining: times };
}

// "match" is a prefix of the request path with its query that ends at a path or query
// boundary (so /mastodon/brand1 does not match /mastodon/brand10), or "*" for every request.
function ruleMatches(pattern, url) {
  if (pattern === '*') return true;
  if (!url.startsWith(pattern)) return false;
  return url.length === pattern.length || '/?&'.includes(url[pattern.length]) || '/?&='.includes(pattern[pattern.length - 1]);
}

class Faults {
  constructor() { this.rules = []; }
  add(rules) { const valid = rules.map(validateRule); this.rules.push(...valid); return valid.length; }
  take(url, method = 'GET') {
    const rule = this.rules.find((r) => ruleMatches(r.match, url) && (r.method === undefined || r.method === method));
    if (!rule) return null;
    if (rule.remaining > 0 && --rule.remaining === 0) this.rules.splice(this.rules.indexOf(rule), 1);
    return rule;
  }
  list() { return this.rules.map(({ remaining, ...r }) => ({ ...r, remaining })); }
}

// A shape change: list items lose their author ("account" / "author"), or their id when they
// are accounts themselves; single objects lose their id.
function malformBody(body) {
  const strip = (item) => {
    if (!item || typeof item !== 'object') return;
    if ('account' in item) delete item.account;
    else if ('author' in item) delete item.author;
    else if ('post' in item && item.post?.author) delete item.post.author;
    else if ('id' in item) delete item.id;
    else if ('did' in item) delete item.did;
  };
  if (Array.isArray(body)) body.forEach(strip);
  else if (body && typeof body === 'object') {
    const list = ['notifications', 'feed', 'posts', 'followers', 'statuses', 'descendants'].find((k) => Array.isArray(body[k]) && body[k].length);
    if (list) body[list].forEach(strip);
    else if (body.thread) strip(body.thread.post);
    else strip(body);
  }
  return body;
}

function htmlErrorPage(status) {
  const reason = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' }[status] ?? 'Error';
  return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

// ---------------------------------------------------------------------------------------------
// Server state

function parseCounts(spec, where) {
  const out = {};
  for (const [k, v] of Object.entries(spec ?? {})) {
    if (!(k in DEFAULT_COUNTS)) throw new Error(`${where}: unknown count "${k}" (one of ${Object.keys(DEFAULT_COUNTS).join(', ')})`);
    if (!Number.isInteger(v) || v < 0 || v > COUNT_LIMITS[k]) throw new Error(`${where}: "${k}" must be an integer 0..${COUNT_LIMITS[k]}`);
    out[k] = v;
  }
  return out;
}

class App {
  constructor({ fixtures = null, live = false, tickMs = 2000, log = (line) => process.stdout.write(`${line}\n`) } = {}) {
    Object.assign(this, { fixtures, live, tickMs, log });
    this.reset({});
  }

  // Reset body: {"accounts": {"notifications": 20, "brand1": {"followers": 5}, "bluesky/x": {...}},
  //              "rate_limit": {"mastodon": {"limit": 5, "window_s": 300}}, "keywords": [...]}
  // Numbers apply to every account; objects to one account ("name" or "platform/name").
  reset(body) {
    const defaults = { ...DEFAULT_COUNTS }, overrides = {};
    for (const [k, v] of Object.entries(body.accounts ?? {})) {
      if (v && typeof v === 'object') overrides[k] = parseCounts(v, `accounts.${k}`);
      else Object.assign(defaults, parseCounts({ [k]: v }, 'accounts'));
    }
    const rate = structuredClone(DEFAULT_RATE);
    for (const [name, gen] of Object.entries(GENERATORS)) if (!rate[name] && gen.rate) rate[name] = { ...gen.rate };
    for (const [platform, cfg] of Object.entries(body.rate_limit ?? {})) {
      if (!rate[platform]) throw new Error(`rate_limit: unknown platform "${platform}"`);
      for (const [k, v] of Object.entries(cfg)) {
        if (!['limit', 'window_s'].includes(k) || !Number.isInteger(v) || v < 1) throw new Error(`rate_limit.${platform}.${k} must be a positive integer`);
        rate[platform][k] = v;
      }
    }
    const keywords = body.keywords ?? DEFAULT_KEYWORDS;
    if (!Array.isArray(keywords) || !keywords.every((k) => typeof k === 'string' && k.trim())) throw new Error('keywords must be a list of non-empty strings');
    Object.assign(this, { defaults, overrides, keywords });
    this.worlds = new Map();
    this.limiter = new RateLimiter(rate);
    this.faults = new Faults();
    this.revoked = new Set();
    this.stats = { total: 0, requests: {}, urls: {}, by_token: {}, faults: [] };
  }

  // Worlds are created on first use, so any account name works; "known" accounts are these.
  world(platform, account) {
    const id = `${platform}/${account}`;
    if (!this.worlds.has(id)) {
      const counts = { ...this.defaults, ...this.overrides[account], ...this.overrides[id] };
      this.worlds.set(id, new World(GENERATORS[platform], account, counts, this.keywords));
    }
    return this.worlds.get(id);
  }

  count(path, url, token) {
    const s = this.stats;
    s.total++;
    s.requests[path] = (s.requests[path] ?? 0) + 1;
    s.urls[url] = (s.urls[url] ?? 0) + 1;
    const t = token ?? '(none)';
    s.by_token[t] = (s.by_token[t] ?? 0) + 1;
  }

  // --live: every tick, each known account below the cap gets a mention, reply or follow,
  // and now and then a longest-standing follower leaves.
  liveTick(now = Date.now()) {
    for (const w of this.worlds.values()) {
      for (let i = w.rng.int(1, 2); i > 0 && w.size < LIVE_CAP; i--) {
        w.appendOne(w.rng.weighted([['mention', 35], ['reply', 35], ['follow', 30]]), now);
      }
      if (w.size < LIVE_CAP && w.followers.length > 10 && w.rng.int(1, 20) === 1) w.unfollow(1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

function bearer(req) {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m ? m[1] : null;
}

// The request's token: a generator may read it its own way (Weibo's "OAuth2" scheme, WeChat's
// access_token query parameter); Bearer otherwise.
const tokenOf = (gen, req, url) => (gen.token ? gen.token(req, url) : bearer(req));

function send(res, status, headers, text) {
  const body = Buffer.from(text ?? '');
  res.writeHead(status, { ...headers, 'content-length': body.length });
  res.end(body);
}

const sendJson = (res, status, obj) => send(res, status, { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(obj));

// Valid headers announcing the whole body, half of it, then the connection closes.
function sendTruncated(res, status, headers, text) {
  const body = Buffer.from(text);
  res.writeHead(status, { ...headers, 'content-length': body.length });
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
  res.truncated = true;
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 1 << 20) throw new Error('request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString();
  if (!text.trim()) return {};
  const body = JSON.parse(text);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('body must be a JSON object');
  return body;
}

// A POST body as Mastodon and XRPC accept it: JSON, or a form (Mastodon).
async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 1 << 20) throw new Error('request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString();
  if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  if (!text.trim()) return {};
  const body = JSON.parse(text);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('body must be a JSON object');
  return body;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The platform's own answer for an authenticated, not rate-limited request.
function platformAnswer(app, gen, account, req, url, sub, body = {}) {
  const token = tokenOf(gen, req, url);
  // X counts each endpoint apart (ids in the path are one endpoint); the others count per token
  const endpoint = gen.ratePerEndpoint ? ` ${req.method} ${sub.replace(/\/\d+(?=\/|$)/g, '/:id')}` : '';
  const rate = app.limiter.hit(gen.name, (token ?? `ip:${req.socket.remoteAddress}`) + endpoint, Date.now());
  const headers = gen.headers(rate);
  const answer = (a) => ({ ...a, headers: { ...headers, ...a.headers }, body: a.body ?? gen.errorBody(a.status) });
  if (!token || token !== gen.tokenFor(account) || app.revoked.has(token)) return answer(gen.authError(!token, Boolean(token) && app.revoked.has(token)));
  if (rate.exceeded) return answer({ status: 429, body: gen.tooManyBody() });
  const route = gen.routes.find(([method, re]) => method === req.method && re.test(sub));
  if (!route) return answer({ status: gen.name === 'bluesky' && sub.startsWith('/xrpc/') ? 501 : 404 });
  const ctx = { w: app.world(gen.name, account), params: url.searchParams, body, headers: req.headers, base: `http://${req.headers.host ?? '127.0.0.1'}/${gen.name}/${encodeURIComponent(account)}` };
  try {
    return answer(route[2](ctx, ...route[1].exec(sub).slice(1)));
  } catch (err) {
    if (err.answer) return answer(err.answer);
    throw err;
  }
}

// A 429 or 5xx injected by a fault rule: 429 looks like the platform's own throttling with
// remaining 0 plus Retry-After; 5xx is the reverse proxy's HTML page without platform headers.
function faultAnswer(app, gen, rule) {
  if (rule.status >= 500) return { status: rule.status, headers: { 'content-type': 'text/html', server: 'nginx' }, text: htmlErrorPage(rule.status) };
  const retry = rule.retry_after ?? 1;
  const cfg = app.limiter.config[gen.name];
  const headers = gen.headers({ limit: cfg.limit, windowS: cfg.window_s, remaining: 0, resetMs: Date.now() + retry * 1000 });
  if (rule.status === 429) return { status: 429, headers: { ...headers, 'retry-after': String(retry) }, text: JSON.stringify(gen.tooManyBody()) };
  if (rule.status === 401) { const a = gen.authError(false); return { status: 401, headers: { ...headers, ...a.headers }, text: JSON.stringify(a.body) }; }
  return { status: rule.status, headers, text: JSON.stringify(gen.errorBody(rule.status)) };
}

async function servePlatform(app, req, res, url, [, platform, rawAccount, sub = '/']) {
  const gen = GENERATORS[platform];
  const account = decodeURIComponent(rawAccount);
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(account)) return sendJson(res, 404, { error: 'unknown account' });
  app.count(url.pathname, url.pathname + url.search, tokenOf(gen, req, url));
  const rule = app.faults.take(url.pathname + url.search, req.method);
  if (rule) app.stats.faults.push({ url: url.pathname + url.search, rule: rule.match, kinds: FAULT_KINDS.filter((k) => rule[k] !== undefined && rule[k] !== false) });
  if (rule?.delay_ms) await sleep(rule.delay_ms);
  if (rule?.status) {
    const f = faultAnswer(app, gen, rule);
    return send(res, f.status, f.headers, f.text);
  }
  let body = {};
  if (req.method === 'POST') {
    try { body = await readForm(req); } catch (err) { return sendJson(res, 400, { error: 'InvalidRequest', message: `Bad request body: ${err.message}` }); }
  }
  const a = platformAnswer(app, gen, account, req, url, sub, body);
  // hold_ms: the request has had its effect; only the answer waits (a client killed now
  // has posted without learning it).
  if (rule?.hold_ms) { await sleep(rule.hold_ms); if (res.destroyed || req.socket.destroyed) return; }
  let text = JSON.stringify(rule?.malformed && rule.malformed !== 'json' && a.status === 200 ? malformBody(a.body) : a.body);
  if (rule?.malformed === 'json') text = text.slice(0, Math.ceil(text.length / 2));   // complete response, broken JSON
  if (rule?.truncate) return sendTruncated(res, a.status, a.headers, text);
  send(res, a.status, a.headers, text);
}

// ---------------------------------------------------------------------------------------------
// Replay of recorded fixture exchanges: status, headers and body exactly as recorded.

function fixturePlatforms(dir) {
  return readdirSync(dir).filter((d) => statSync(join(dir, d)).isDirectory() && d !== 'LICENSES');
}

function serveReplay(app, req, res, url) {
  app.count(url.pathname, url.pathname + url.search, bearer(req));
  if (!app.fixtures) return sendJson(res, 404, { error: 'start the server with --fixtures DIR to replay recordings' });
  const [, , platform, stem, extra] = url.pathname.split('/').map((p) => decodeURIComponent(p));
  const safe = (s) => typeof s === 'string' && /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s);
  if (!safe(platform) || extra !== undefined || !fixturePlatforms(app.fixtures).includes(platform)) return sendJson(res, 404, { error: 'unknown platform' });
  if (!stem) {
    const stems = readdirSync(join(app.fixtures, platform)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    return sendJson(res, 200, { platform, stems });
  }
  const file = join(app.fixtures, platform, `${stem}.json`);
  if (!safe(stem) || !existsSync(file)) return sendJson(res, 404, { error: `no fixture ${platform}/${stem}` });
  const { response } = JSON.parse(readFileSync(file, 'utf8'));
  if (!response || typeof response.body !== 'string') return sendJson(res, 404, { error: `${platform}/${stem} is not an HTTP exchange` });
  // setHeader + end(body) lets Node add Content-Length itself when none was recorded (instead
  // of chunked framing); no Date header is added, so a recorded one is the only one.
  res.sendDate = false;
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  res.end(Buffer.from(response.body, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Control API

async function serveControl(app, req, res, url) {
  const route = `${req.method} ${url.pathname}`;
  try {
    switch (route) {
      case 'GET /_control/health':
        return sendJson(res, 200, { ok: true, live: app.live, accounts: [...app.worlds.keys()] });
      case 'POST /_control/reset': {
        app.reset(await readBody(req));
        return sendJson(res, 200, { ok: true, counts: app.defaults, overrides: app.overrides, keywords: app.keywords, rate_limit: app.limiter.config });
      }
      case 'POST /_control/faults': {
        const { rules } = await readBody(req);
        if (!Array.isArray(rules)) throw new Error('body needs "rules": [...]');
        return sendJson(res, 200, { ok: true, added: app.faults.add(rules), pending: app.faults.list() });
      }
      case 'GET /_control/faults':
        return sendJson(res, 200, { pending: app.faults.list(), applied: app.stats.faults });
      case 'DELETE /_control/faults':
        app.faults.rules = [];
        return sendJson(res, 200, { ok: true });
      case 'POST /_control/revoke':
      case 'POST /_control/unrevoke': {
        const { token } = await readBody(req);
        if (typeof token !== 'string' || !token) throw new Error('body needs "token"');
        if (route.endsWith('/revoke')) app.revoked.add(token); else app.revoked.delete(token);
        return sendJson(res, 200, { ok: true, revoked: [...app.revoked] });
      }
      case 'POST /_control/append': {
        const { account, platform, stream = 'notifications', count = 1 } = await readBody(req);
        const w = controlWorld(app, platform, account);
        if (!Number.isInteger(count) || count < 1 || w.size + count > APPEND_CAP) throw new Error(`"count" must be a positive integer and keep the account under ${APPEND_CAP} items`);
        const added = w.append(stream, count);
        return sendJson(res, 200, { ok: true, added, size: w.size });
      }
      case 'POST /_control/unfollow': {
        const { account, platform, count = 1 } = await readBody(req);
        const w = controlWorld(app, platform, account);
        if (!Number.isInteger(count) || count < 1 || count > w.followers.length) throw new Error(`"count" must be 1..${w.followers.length}, the account's followers`);
        return sendJson(res, 200, { ok: true, gone: w.unfollow(count), followers: w.followers.length });
      }
      case 'GET /_control/replies': {
        const account = url.searchParams.get('account'), only = url.searchParams.get('platform');
        if (only) controlWorld(app, only, account);
        else if (typeof account !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(account)) throw new Error('"account" must be an account name');
        const worlds = Object.keys(GENERATORS).filter((p) => (!only || p === only) && app.worlds.has(`${p}/${account}`)).map((p) => app.worlds.get(`${p}/${account}`));
        const replies = worlds.flatMap((w) => w.sent.map((st) => ({
          platform: w.gen.name, id: st.id ?? st.uri, cid: st.cid ?? null, text: st.text,
          in_reply_to: st.parent ? (st.parent.id ?? st.parent.uri) : null, created_at: iso(st.time),
          idempotency_key: st.idempotencyKey ?? null, rkey: st.rkey ?? null, visibility: st.visibility,
        })));
        return sendJson(res, 200, { account, count: replies.length, received: worlds.reduce((n, w) => n + w.replyPosts.length, 0), replies });
      }
      case 'GET /_control/stats':
        return sendJson(res, 200, app.stats);
      case 'GET /_control/expected': {
        const platform = url.searchParams.get('platform'), account = url.searchParams.get('account');
        const w = controlWorld(app, platform, account);
        return sendJson(res, 200, { platform, account, counts: w.counts, keywords: w.keywords, ...w.gen.expected(w, url.searchParams.getAll('q')) });
      }
      default:
        return sendJson(res, 404, { error: `no control endpoint ${route}` });
    }
  } catch (err) {
    return sendJson(res, 400, { error: err.message });
  }
}

function controlWorld(app, platform, account) {
  if (!GENERATORS[platform]) throw new Error(`"platform" must be one of ${Object.keys(GENERATORS).join(', ')}`);
  if (typeof account !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(account)) throw new Error('"account" must be an account name');
  return app.world(platform, account);
}

// ---------------------------------------------------------------------------------------------
// Further platforms: each platforms/*.mjs default-exports a function that is given this kit of
// shared helpers and returns { name: generator } in the shape of `mastodon` above (a generator
// may carry `rate: { limit, window_s }` for its default rate limit).

const KIT = {
  ANCHOR_MS, MINUTE, HOUR, DAY, fnv1a, sortedTimes, snowflake, iso, isoDay, escapeHtml, graphemes,
  ok, notFound, found, dropUndefined, countBy, searchMap, reachableAccounts, idParam, cursorSlice,
};
const PLATFORM_DIR = new URL('./platforms/', import.meta.url);
for (const file of (existsSync(PLATFORM_DIR) ? readdirSync(PLATFORM_DIR) : []).filter((f) => f.endsWith('.mjs')).sort()) {
  Object.assign(GENERATORS, (await import(new URL(`./platforms/${file}`, import.meta.url))).default(KIT));
}

// ---------------------------------------------------------------------------------------------
// Server

function logLine(app, req, res, started) {
  const note = res.truncated ? ' truncated' : res.writableFinished ? '' : ' aborted';
  app.log(`${iso(Date.now())} ${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms${note}`);
}

export function createApp(options) { return new App(options); }

export function createFakePlatformServer(app) {
  return createServer(async (req, res) => {
    const started = Date.now();
    res.on('close', () => logLine(app, req, res, started));
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      const platformPath = /^\/([a-z]+)\/([^/]+)(\/.*)?$/.exec(url.pathname);
      if (url.pathname.startsWith('/_control/')) await serveControl(app, req, res, url);
      else if (url.pathname.startsWith('/replay/')) serveReplay(app, req, res, url);
      else if (platformPath && GENERATORS[platformPath[1]]) await servePlatform(app, req, res, url, platformPath);
      else sendJson(res, 404, { error: `not found: use /PLATFORM/ACCOUNT/... (${Object.keys(GENERATORS).join(', ')}), /replay/... or /_control/...` });
    } catch (err) {
      if (!res.headersSent) sendJson(res, 500, { error: String(err?.message ?? err) });
      else res.destroy();
    }
  });
}

// Starts the server on 127.0.0.1 (port 0 = ephemeral).  Resolves to {app, server, port, url, close}.
export async function startFakePlatform({ port = 18999, ...options } = {}) {
  const app = createApp(options);
  const server = createFakePlatformServer(app);
  await new Promise((resolveListen, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolveListen); });
  const timer = app.live ? setInterval(() => app.liveTick(), app.tickMs) : null;
  const actual = server.address().port;
  return {
    app, server, port: actual, url: `http://127.0.0.1:${actual}`,
    close: () => new Promise((done) => { clearInterval(timer); server.closeAllConnections(); server.close(() => done()); }),
  };
}

function parseArgs(argv) {
  const opts = { port: 18999, fixtures: null, live: false, tickMs: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i], value = () => { if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`); return argv[++i]; };
    if (arg === '--port') opts.port = Number(value());
    else if (arg === '--fixtures') opts.fixtures = resolve(value());
    else if (arg === '--live') opts.live = true;
    else if (arg === '--tick-ms') opts.tickMs = Number(value());
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('--port must be 0..65535');
  if (!Number.isInteger(opts.tickMs) || opts.tickMs < 10) throw new Error('--tick-ms must be an integer >= 10');
  if (opts.fixtures && !existsSync(opts.fixtures)) throw new Error(`--fixtures ${opts.fixtures}: no such directory`);
  return opts;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  let opts;
  try { opts = parseArgs(process.argv.slice(2)); } catch (err) {
    process.stderr.write(`fake-platform: ${err.message}\nusage: server.mjs --port N [--fixtures DIR] [--live] [--tick-ms MS]\n`);
    process.exit(2);
  }
  const { url, close } = await startFakePlatform(opts);
  process.stdout.write(`fake-platform listening on ${url}${opts.live ? ' (live)' : ''}${opts.fixtures ? ` fixtures=${opts.fixtures}` : ''}\n`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => close().then(() => process.exit(0)));
}
