#!/usr/bin/env bash
# Normalization throughput (issue 3), run by bench/run.sh against its stack:
# generated Mastodon pages through `parley import` (2 processes, one per core),
# then the same rows by plain COPY into an unindexed table (the physical
# bound), then a re-import that must add nothing. Prints a Markdown section.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PAGES=${BENCH_PAGES:-1000} PER_PAGE=${BENCH_PER_PAGE:-1000} AUTHORS=${BENCH_AUTHORS:-100000}
dir=$PARLEY_VAR/pages
as_app() { if [ "$(id -u)" = 0 ]; then runuser -u parley -- "$@"; else "$@"; fi; }
sql() { as_app psql -X -qtA -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley -c "$1"; }
import() {
  ls "$dir"/page-*.json | xargs -P 2 -n 25 \
    env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
    runuser -u parley -- "$PARLEY_BIN" import mastodon statuses >/dev/null
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }

echo "bench: generating $((PAGES * PER_PAGE)) posts in $PAGES pages…" >&2
rm -rf "$dir"
node "$ROOT/bench/gen-mastodon-pages.mjs" "$dir" "$PAGES" "$PER_PAGE" "$AUTHORS"
chmod -R a+rX "$dir"
size=$(du -sh "$dir" | cut -f1)

posts0=$(sql "SELECT count(*) FROM social.post")
echo "bench: importing…" >&2
t0=$(date +%s.%N); import; t1=$(date +%s.%N)
posts=$(( $(sql "SELECT count(*) FROM social.post") - posts0 ))
profiles=$(sql "SELECT count(*) FROM social.profile WHERE platform = 'mastodon'")
first=$(secs "$t0" "$t1")

echo "bench: re-importing…" >&2
rows_before=$(sql "SELECT (SELECT count(*) FROM social.post) + (SELECT count(*) FROM social.profile) + (SELECT count(*) FROM social.post_edit)")
t0=$(date +%s.%N); import; t1=$(date +%s.%N)
rows_after=$(sql "SELECT (SELECT count(*) FROM social.post) + (SELECT count(*) FROM social.profile) + (SELECT count(*) FROM social.post_edit)")
again=$(secs "$t0" "$t1")

echo "bench: COPY baseline…" >&2
csv=$PARLEY_VAR/posts.csv
sql "COPY (SELECT platform, external_id, author_id, kind, body, lang, created_at, parent_external_id, url, visibility, metrics
           FROM social.post WHERE platform = 'mastodon') TO '$csv' (FORMAT csv)"
sql "DROP TABLE IF EXISTS public.bench_copy; CREATE TABLE public.bench_copy (platform text, external_id text, author_id bigint,
     kind text, body text, lang text, created_at timestamptz, parent_external_id text, url text, visibility text, metrics jsonb)"
t0=$(date +%s.%N)
sql "COPY public.bench_copy FROM '$csv' (FORMAT csv)"
t1=$(date +%s.%N)
copy_rows=$(sql "SELECT count(*) FROM public.bench_copy")
copy=$(secs "$t0" "$t1")
sql "DROP TABLE public.bench_copy"
rm -f "$csv"

# The floor (bench/import-floor.sql): the least normalization, the same pages
# read by the server itself (no client), two sessions at once, each way.
floor() {
  as_app psql -X -q -v ON_ERROR_STOP=1 -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley \
    -f "$ROOT/bench/import-floor.sql" 2>/dev/null
  local k t0 t1
  for k in 0 1; do
    ls "$dir"/page-*.json | awk -v k="$k" -v f="$1" \
      'NR % 2 == k {printf "SELECT bench_floor.%s(pg_read_file(%c%s%c));\n", f, 39, $0, 39}' >"$dir/floor-$k.sql"
  done
  chmod a+r "$dir"/floor-*.sql
  t0=$(date +%s.%N)
  for k in 0 1; do
    as_app psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley \
      -f "$dir/floor-$k.sql" &
  done
  wait
  t1=$(date +%s.%N)
  echo "$(secs "$t0" "$t1") $(sql "SELECT count(*) FROM bench_floor.post")"   # seconds, rows
  sql "SET client_min_messages = warning; DROP SCHEMA bench_floor CASCADE" >/dev/null
}
echo "bench: the floor…" >&2
read -r floor_jsonb floor_jsonb_rows < <(floor load_jsonb)
read -r floor_json floor_json_rows < <(floor load_json)

rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}'; }
cat <<MD
## Normalization throughput (issue 3)

Method: $PAGES generated Mastodon status pages of $PER_PAGE posts each ($size of JSON,
$AUTHORS distinct authors, 30 % replies, English and Chinese text; shape copied from a
recorded response) loaded by \`parley import mastodon statuses\`, two processes at once
(one per core), every page in its own transaction through \`ingest.store_page\`
(raw page kept, set-based upserts of profiles and posts, reply linking, engagement
snapshots). The baseline is a plain \`COPY\` of the same post rows, exported from the
result, into an unindexed table, in the same run.

| run | rows | seconds | rows/s |
|---|---:|---:|---:|
| \`parley import\`, first time (posts) | $posts | $first | **$(rate "$posts" "$first")** |
| \`parley import\`, same pages again | +$((rows_after - rows_before)) rows | $again | $(rate "$posts" "$again") posts/s |
| \`COPY\` into an unindexed table | $copy_rows | $copy | $(rate "$copy_rows" "$copy") |
| floor: keep, parse as jsonb, upsert authors and posts by key | $floor_jsonb_rows | $floor_jsonb | $(rate "$floor_jsonb_rows" "$floor_jsonb") |
| floor: the same, parsed by \`json_to_recordset\` | $floor_json_rows | $floor_json | $(rate "$floor_json_rows" "$floor_json") |

$profiles Mastodon profiles after the import. Import reaches
$(awk -v a="$(rate "$posts" "$first")" -v b="$(rate "$copy_rows" "$copy")" 'BEGIN {printf "%.0f", 100 * a / b}') % of the COPY rate
(goal: ≥ 50,000 posts/s and ≥ 20 % of COPY; re-import must add zero rows and be at least as fast).

The two floor rows (\`bench/import-floor.sql\`) do the least any normalization in PostgreSQL
must: keep the page, parse it once, and upsert its authors and posts by their platform keys
into tables with no other index, trigger or constraint; the server reads the files itself,
so no client, two sessions at once. They bound what \`parley import\` could reach here
before it links threads, keeps history, snapshots counters or scores sentiment.
MD
