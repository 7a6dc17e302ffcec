#!/usr/bin/env bash
# Webhook intake benchmark (issue 4), against the stack bench/run.sh started:
# distinct signed Meta-style deliveries with wrk at 64 connections, then
# zero-loss accounting (every 200 is a stored row), and in the same run
# pgbench's single-row INSERT transactions against the same cluster, the
# physical bound. Prints a Markdown section.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${PARLEY_VAR:?}" "${PARLEY_PGPORT:?}" "${PARLEY_HTTP_PORT:?}"
DURATION=${BENCH_SECONDS:-20} CONNECTIONS=64
BASE=http://127.0.0.1:$PARLEY_HTTP_PORT
as_app() { if [ "$(id -u)" = 0 ]; then runuser -u parley -- "$@"; else "$@"; fi; }
psql_su() { as_app psql -X -qtA -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley "$@"; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)

account=$(psql_su -c "INSERT INTO social.account (platform, handle) VALUES ('facebook', 'bench-hooks-page')
  ON CONFLICT (platform, handle) DO UPDATE SET handle = EXCLUDED.handle RETURNING id")
psql_su -c "SELECT ingest.rotate_webhook_secret($account, 'bench-app-secret', NULL, NULL, NULL, '0')" >/dev/null
psql_su -c "DELETE FROM ingest.webhook_inbox WHERE account_id = $account" >/dev/null

work=$(mktemp -d)
chmod 755 "$work"
count=$((DURATION * 15000))   # more distinct deliveries than wrk can send, so none repeats
node "$ROOT/bench/gen-hook-deliveries.mjs" bench-app-secret "$count" >"$work/deliveries.tsv"
bytes=$(head -n 1000 "$work/deliveries.tsv" | cut -f2 | wc -c | awk '{printf "%d", $1 / 1000}')
cat >"$work/hooks.lua" <<'LUA'
-- Each wrk thread keeps only its own share of the deliveries: a client holding them all
-- (hundreds of MB per thread) measured its own stalls as a p99 several times the server's.
local lines, n, nthreads = {}, 0, 2
local next_id = 0
setup = function(thread) thread:set("tid", next_id); next_id = next_id + 1 end
init = function(args)
  local i = 0
  for line in io.lines(os.getenv("HOOK_FILE")) do
    if i % nthreads == tid then lines[#lines + 1] = line end
    i = i + 1
  end
end
request = function()
  local line = lines[(n % #lines) + 1]
  n = n + 1
  local tab = line:find("\t", 1, true)
  return wrk.format("POST", nil, {["X-Hub-Signature-256"] = "sha256=" .. line:sub(1, tab - 1),
                                  ["Content-Type"] = "application/json"}, line:sub(tab + 1))
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50=%.2f p99=%.2f errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status,
    summary.requests))
end
LUA
log=$PARLEY_VAR/log/hooks.log
before_ok=$(grep -c 'hook=facebook/'"$account"' method=POST status=200' "$log" || true)
before_bad=$(grep -c 'hook=facebook/'"$account"' method=POST status=[^2]' "$log" || true)
# CPU time per program (utime + stime in clock ticks), to say where a delivery's cost goes.
cpu_ticks() {
  for p in /proc/[0-9]*; do
    local st; st=$(cat "$p/stat" 2>/dev/null) || continue
    set -- ${st##*) }
    echo "$(cat "$p/comm" 2>/dev/null) $(( ${12} + ${13} ))"
  done | awk '{a[$1] += $2} END {for (k in a) print k, a[k]}' | sort
}
( sleep 2; cpu_ticks >"$work/cpu1"; sleep $((DURATION - 4)); cpu_ticks >"$work/cpu2" ) &
sampler=$!
out=$(HOOK_FILE=$work/deliveries.tsv wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency -s "$work/hooks.lua" \
  "$BASE/hooks/facebook/$account" 2>&1)
wait $sampler
res=$(sed -n 's/^RESULT //p' <<<"$out")
sleep 1   # the access log line follows the answer
answered_ok=$(( $(grep -c 'hook=facebook/'"$account"' method=POST status=200' "$log" || true) - before_ok ))
batch_stats=$(grep 'hook=facebook/'"$account"' method=POST status=200' "$log" | sed -n 's/.* batch=\([0-9]*\) .*/\1/p' |
  awk '{n++; inv += 1 / $1} END {if (inv > 0) printf "%.0f %.1f", inv, n / inv; else print "0 0"}')
batches=${batch_stats% *} mean_batch=${batch_stats#* }
answered_bad=$(( $(grep -c 'hook=facebook/'"$account"' method=POST status=[^2]' "$log" || true) - before_bad ))
stored=$(psql_su -c "SELECT count(*) + coalesce(sum(redeliveries), 0) FROM ingest.webhook_inbox WHERE account_id = $account")
redelivered=$(psql_su -c "SELECT coalesce(sum(redeliveries), 0) FROM ingest.webhook_inbox WHERE account_id = $account")

# The bound: single-row INSERT transactions of a body the same size, 64 clients, same cluster.
psql_su -c "DROP TABLE IF EXISTS public.bench_insert; CREATE TABLE public.bench_insert (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL);
            GRANT INSERT ON public.bench_insert TO parley_owner" >/dev/null
printf "INSERT INTO public.bench_insert (body) VALUES (repeat('x', %d));\n" "$bytes" >"$work/insert.sql"
chmod 644 "$work/insert.sql"
pg_tps=$(as_app "$PGBIN/pgbench" -n -M prepared -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres \
  -c $CONNECTIONS -j 2 -T "$DURATION" -f "$work/insert.sql" parley 2>/dev/null | sed -n 's/^tps = \([0-9]*\).*/\1/p')
psql_su -c "DROP TABLE public.bench_insert" >/dev/null
tick=$(getconf CLK_TCK)
window=$((DURATION - 4))
breakdown=$(join "$work/cpu1" "$work/cpu2" | awk -v hz="$tick" -v w="$window" -v rps="$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$res")" '
  $1 == "postgres" || $1 == "parley" || $1 == "nginx" || $1 == "wrk" {
    s = ($3 - $2) / hz; printf "%s %.0f%% of one core, %.0f µs per delivery; ", ($1 == "parley" ? "parley hooks" : $1), 100 * s / w, 1e6 * s / (w * rps) }')
rm -rf "$work"

field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1" | head -n1; }
share=$(awk -v a="$(field "$res" rps)" -v b="$pg_tps" 'BEGIN {printf "%.0f", 100 * a / b}')
cat <<MD
## Webhook intake (issue 4)

Method: the same stack and run; \`parley hooks\` with ${PARLEY_HOOK_WORKERS:-2} process(es) of ${PARLEY_HOOK_THREADS:-8} threads
behind nginx (the per-address rate limit raised for the run). wrk, 2 threads, $CONNECTIONS connections,
$DURATION s, each request a distinct Meta-style comment delivery (about $bytes bytes) signed with
X-Hub-Signature-256, so every one is verified (HMAC-SHA256 over the raw body), checked as JSON and
stored as a new row with its commit on disk (synchronous_commit on) before the 200. Processing
(normalizing) is asynchronous and not part of this figure. In the same run: pgbench with $CONNECTIONS
clients doing single-row INSERT transactions of a text of the same size into a plain table, the most
this cluster can commit.

| | per second | p50 ms | p99 ms | errors |
|---|---:|---:|---:|---:|
| signed deliveries accepted through nginx | $(field "$res" rps) | $(field "$res" p50) | $(field "$res" p99) | $(field "$res" errors) |
| pgbench single-row INSERT transactions | $pg_tps | | | |

Zero-loss check: $answered_ok deliveries were answered 200 and $answered_bad otherwise; the inbox holds
$stored (rows plus counted redeliveries, of which $redelivered redeliveries). Every 200 is a stored row when
the two numbers are equal.

Accepted deliveries reach **$share %** of the pgbench INSERT rate (goal ≥ 50 %, ≥ 5,000/s, p99 < 20 ms).

Where the CPU went during the wrk run (the two cores are shared by all of them): ${breakdown%; }.
Deliveries that a process's threads have verified at the same moment are stored by one
transaction (group commit, \`fcgi/hook_commit.c\`); each is answered after that commit is on disk.
Commits in this run: $batches (mean $mean_batch deliveries each).
MD
