// The pages nginx answers with when it refuses a request itself (errors.conf):
// for each status, an HTML page in both languages and a JSON document, with
// the words of the worker's own message catalogs.
// Usage: node nginx/error_pages.mjs CATALOG_DIR OUT_DIR
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';

const [catalogs, out] = process.argv.slice(2);
const en = JSON.parse(readFileSync(`${catalogs}/en.json`, 'utf8'));
const zh = JSON.parse(readFileSync(`${catalogs}/zh-CN.json`, 'utf8'));
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
mkdirSync(out, { recursive: true });
for (const status of [400, 403, 404, 405, 413, 414, 429, 494]) {
  const key = `err.${status}`;
  if (!en[key] || !zh[key]) throw new Error(`${key} is missing from a catalog`);
  writeFileSync(`${out}/${status}.json`, JSON.stringify({ error: { status, message: en[key] } }) + '\n');
  writeFileSync(`${out}/${status}.html`, `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${status}</title><link rel="stylesheet" href="/static/parley.css"></head>
<body><main><section class="card narrow">
<h1>${esc(en.error)} ${status} · ${esc(zh.error)}</h1>
<p class="error" role="alert">${esc(en[key])}</p>
<p class="error" role="alert" lang="zh-CN">${esc(zh[key])}</p>
<p><a href="/dashboard">Parley</a></p>
</section></main></body>
</html>
`);
}
