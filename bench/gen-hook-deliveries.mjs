// Distinct signed Meta-style deliveries for the webhook benchmark, one per
// line: "<hex X-Hub-Signature-256>\t<body>". Usage: node gen-hook-deliveries.mjs SECRET COUNT
import { createHmac } from 'node:crypto';
import { createWriteStream } from 'node:fs';

const [secret, count] = [process.argv[2], Number(process.argv[3])];
const out = createWriteStream('/dev/stdout');
const texts = ['Love the new cold brew!', '咖啡很好喝，服务也很好', 'Where is my order #%d?', '门店几点关门？'];
for (let i = 0; i < count; i++) {
  const t = 1764000000 + i;
  const body = JSON.stringify({ object: 'page', entry: [{ id: '1001', time: t, changes: [{ field: 'feed', value: {
    item: 'comment', verb: 'add', post_id: '1001_2002', comment_id: `2002_${i}`, parent_id: '1001_2002',
    message: texts[i % texts.length].replace('%d', String(i)), from: { id: String(4000 + (i % 997)), name: `Fan ${i % 997}` },
    created_time: t } }] }] });
  const sig = createHmac('sha256', secret).update(body).digest('hex');
  if (!out.write(`${sig}\t${body}\n`)) await new Promise((r) => out.once('drain', r));
}
out.end();
