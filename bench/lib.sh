# Shared by the bench/*.sh parts (sourced): a signed-in session for wrk, and
# one wrk run reduced to "rps=… p50=… p99=… errors=… requests=…".
as_app() { if [ "$(id -u)" = 0 ]; then runuser -u parley -- "$@"; else "$@"; fi; }
BENCH_BASE=http://127.0.0.1:${PARLEY_HTTP_PORT:?}

# bench_session USER PASSWORD ROLE: adds the staff user, signs in once, prints the session token.
bench_session() {
  printf '%s\n' "$2" | as_app env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
    "$PARLEY_BIN" user add "$1" --role "$3" --password-stdin >/dev/null
  local jar csrf s; jar=$(mktemp)
  csrf=$(curl -s -c "$jar" -b "$jar" "$BENCH_BASE/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
  curl -s -o /dev/null -c "$jar" -b "$jar" -H "Origin: $BENCH_BASE" --data-urlencode "csrf=$csrf" \
    --data-urlencode "username=$1" --data-urlencode "password=$2" "$BENCH_BASE/login"
  s=$(awk '$6 == "parley_session" {print $7}' "$jar"); rm -f "$jar"
  [ ${#s} = 64 ] || { echo "bench: could not sign in" >&2; return 1; }
  printf '%s\n' "$s"
}

# bench_wrk CONNECTIONS PATH [HEADER]: wrk -t2 for BENCH_SECONDS (20) seconds.
bench_wrk() {
  wrk -t2 -c"$1" -d"${BENCH_SECONDS:-20}"s --latency -s "$(dirname "${BASH_SOURCE[0]}")/wrk.lua" ${3:+-H "$3"} \
    "$BENCH_BASE$2" 2>&1 | sed -n 's/^RESULT //p'
}
# bench_field RESULT NAME: one figure of a bench_wrk result.
bench_field() { sed -n "s/.* *$2=\([0-9.]*\).*/\1/p" <<<" $1"; }
# bench_page_row LABEL PATH: a Markdown table row for a signed-in page (SESSION):
# requests/s, p50, p99 and errors at one connection per web worker (the page's
# own latency), then p99 and errors at 64 (mostly the queue in front of them).
bench_page_row() {
  local cookie="Cookie: parley_session=${SESSION:?}" r q
  r=$(bench_wrk "${PARLEY_WEB_WORKERS:-4}" "$2" "$cookie"); q=$(bench_wrk 64 "$2" "$cookie")
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(bench_field "$r" rps)" "$(bench_field "$r" p50)" \
    "$(bench_field "$r" p99)" "$(bench_field "$r" errors)" "$(bench_field "$q" p99)" "$(bench_field "$q" errors)"
}
