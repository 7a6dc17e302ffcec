#!/usr/bin/env bash
# Inbox page speed (issue 5), against the stack and data bench/run.sh prepared
# (bench/listen.sh leaves 1,000,000 posts and 50 rules behind): wrk at 64
# connections on the first page and on a deep keyset page, each unfiltered
# and filtered. Needs SESSION (a signed-in session token). Prints Markdown.
set -euo pipefail
: "${PARLEY_VAR:?}" "${PARLEY_PGPORT:?}" "${PARLEY_HTTP_PORT:?}" "${SESSION:?}"
# One connection per web worker: the page's own latency, not a queue in front
# of the workers (at 64 connections p99 is mostly waiting; reported too).
DURATION=${BENCH_SECONDS:-20} CONNECTIONS=${PARLEY_WEB_WORKERS:-4}
BASE=http://127.0.0.1:$PARLEY_HTTP_PORT
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sql() { as_app psql -X -qtA -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley -c "$1"; }
# Timed on a settled database: the listening benchmark has just loaded these
# rows, and autovacuum catching up on them would otherwise share the cores.
for t in social.post listen.post_signal listen.match; do sql "VACUUM (ANALYZE) $t" >/dev/null; done
posts=$(sql "SELECT count(*) FROM social.post")
matches=$(sql "SELECT count(*) FROM listen.match")
# A page half-way down the stream: what "older" links lead to after many pages.
deep=$(sql "SELECT id FROM social.post ORDER BY created_at DESC, id DESC OFFSET $((posts / 2)) LIMIT 1")
deep_neg=$(sql "SELECT q.id FROM social.post q JOIN listen.post_signal s ON s.post_id = q.id AND s.label = 'negative'
                ORDER BY q.created_at DESC, q.id DESC OFFSET (SELECT count(*) / 2 FROM listen.post_signal WHERE label = 'negative') LIMIT 1")
rows=$(mktemp)
{
  bench_page_row "first page" "/inbox"
  bench_page_row "first page, negative and unanswered" "/inbox?sentiment=negative&answered=no"
  bench_page_row "deep keyset page (half-way down)" "/inbox?before=$deep"
  bench_page_row "deep keyset page, negative" "/inbox?sentiment=negative&before=$deep_neg"
} >"$rows"
cat <<MD
## Inbox (issue 5)

Method: the same stack; $posts posts and $matches rule matches (from the listening benchmark),
signed-in HTML pages of 50 posts through nginx and \`parley web\` ($CONNECTIONS workers), wrk with
2 threads for $DURATION s each, at $CONNECTIONS connections (one per worker) and again at 64 (where
most of the time is the queue in front of the workers). The deep pages start half-way down the
stream (keyset: \`before\` = a post id, never OFFSET).

| page | requests/s | p50 ms | p99 ms | errors | p99 ms at 64 conn. | errors at 64 |
|---|---:|---:|---:|---:|---:|---:|
$(cat "$rows")

Goal: p99 < 20 ms for the first page and a deep keyset page, filtered.
MD
rm -f "$rows"
