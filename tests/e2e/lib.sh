# Assertions and HTTP helpers for the end-to-end suite (sourced).
BASE=http://127.0.0.1:${PARLEY_HTTP_PORT:?}
ORIGIN=$BASE
E2E_TMP=$(mktemp -d)
PASSED=0 FAILED=0

ok()   { PASSED=$((PASSED + 1)); printf 'ok %d - %s\n' $((PASSED + FAILED)) "$1"; }
nok()  { FAILED=$((FAILED + 1)); printf 'not ok %d - %s\n' $((PASSED + FAILED)) "$1"; [ -n "${2:-}" ] && printf '#   %s\n' "$2"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name" "command: $*"; fi; }
eq()   { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected [$3], got [$2]"; fi; }
has()  { if grep -qF -- "$3" <<<"$2"; then ok "$1"; else nok "$1" "[$3] not found in: $(head -c 300 <<<"$2")"; fi; }
hasnt() { if grep -qF -- "$3" <<<"$2"; then nok "$1" "[$3] unexpectedly found"; else ok "$1"; fi; }

# req JAR METHOD PATH [curl args...]: sets STATUS, BODY, HEADERS. A jar keeps one browser's cookies.
req() {
  local jar=$E2E_TMP/$1.jar method=$2 path=$3; shift 3
  STATUS=$(curl -s -o "$E2E_TMP/body" -D "$E2E_TMP/headers" -w '%{http_code}' -b "$jar" -c "$jar" \
    -X "$method" "$@" "$BASE$path")
  BODY=$(cat "$E2E_TMP/body")
  HEADERS=$(tr -d '\r' <"$E2E_TMP/headers")
}
header() { grep -i "^$1:" <<<"$HEADERS" | head -n1 | cut -d' ' -f2- ; }
cookie() { awk -v n="$2" '$6 == n {print $7}' "$E2E_TMP/$1.jar" 2>/dev/null | tail -n1; }
# The CSRF token a page would put in its forms.
csrf_of() { sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' <<<"$BODY" | head -n1; }
# The key a page gives its forms against double submits.
form_key_of() { sed -n 's/.*name="form_key" value="\([0-9a-f]*\)".*/\1/p' <<<"$BODY" | head -n1; }

# post JAR PATH FORMDATA...: a same-origin form POST with the page's CSRF token already included by the caller.
post() {
  local jar=$1 path=$2; shift 2
  local args=()
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  req "$jar" POST "$path" -H "Origin: $ORIGIN" "${args[@]}"
}

# login JAR USER PASSWORD: fetch the form, then sign in.
login() {
  req "$1" GET /login
  local token; token=$(csrf_of)
  post "$1" /login "csrf=$token" "username=$2" "password=$3"
}

sql() { as_app psql -X -qtA -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley -c "$1"; }
as_app() { if [ "$(id -u)" = 0 ]; then runuser -u parley -- "$@"; else "$@"; fi; }
parley() { as_app env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" "$PARLEY_BIN" "$@"; }

finish() {
  rm -rf "$E2E_TMP"
  echo "e2e: $PASSED passed, $FAILED failed"
  echo "$PASSED $FAILED" >"$RESULT"
}
