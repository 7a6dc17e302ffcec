// Writes PAGES files of PER_PAGE Mastodon statuses each (the shape of
// GET /api/v1/accounts/:id/statuses, modelled on a recorded response), with
// AUTHORS distinct accounts, 30 % replies, English and Chinese text.
// Usage: node gen-mastodon-pages.mjs OUTDIR PAGES PER_PAGE AUTHORS
import { mkdirSync, writeFileSync } from 'node:fs';

const [outdir, pages, perPage, authors] = [process.argv[2], +process.argv[3], +process.argv[4], +process.argv[5]];
mkdirSync(outdir, { recursive: true });
const words = ['latte', 'delivery', 'order', 'great', 'cold', 'refund', 'winter blend', 'barista', 'store', 'app'];
const zh = ['拿铁', '外卖', '订单', '太好喝了', '凉了', '退款', '冬季特调', '咖啡师', '门店', '小程序'];
let next = 200000000000000000n;

function account(n) {
  return {
    id: String(100000 + n), username: `user${n}`, acct: `user${n}@example.social`,
    display_name: n % 3 ? `User ${n}` : `用户${n}`, locked: false, bot: false, group: false,
    created_at: '2024-01-01T00:00:00.000Z', note: `<p>Bio of ${n}</p>`,
    url: `https://example.social/@user${n}`, avatar: `https://example.social/a/${n}.png`,
    followers_count: n % 5000, following_count: n % 700, statuses_count: n % 9000,
    emojis: [], fields: [],
  };
}

for (let p = 0; p < pages; p++) {
  const items = [];
  for (let i = 0; i < perPage; i++) {
    const id = String(next++);
    const n = (p * perPage + i) * 7919 % authors;
    const chinese = n % 4 === 0;
    const w = chinese ? zh : words;
    const text = chinese ? `@卢门咖啡 ${w[n % 10]}${w[(n + 3) % 10]}！` : `@lumen the ${w[n % 10]} was ${w[(n + 3) % 10]} &amp; more`;
    const reply = i > 0 && (i % 10) < 3;
    items.push({
      id, created_at: new Date(Date.UTC(2026, 0, 1) + (p * perPage + i) * 1000).toISOString(),
      in_reply_to_id: reply ? String(next - 2n) : null, in_reply_to_account_id: null,
      sensitive: false, spoiler_text: '', visibility: 'public', language: chinese ? 'zh' : 'en',
      uri: `https://example.social/statuses/${id}`, url: `https://example.social/@u/${id}`,
      replies_count: i % 4, reblogs_count: i % 3, favourites_count: i % 11, quotes_count: 0,
      edited_at: null, content: `<p>${text}</p>`, reblog: null, account: account(n),
      media_attachments: [], mentions: [], tags: [], emojis: [], card: null, poll: null,
    });
  }
  writeFileSync(`${outdir}/page-${String(p).padStart(5, '0')}.json`, JSON.stringify(items));
}
