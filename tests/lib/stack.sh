#!/usr/bin/env bash
# Brings the whole Parley system up or down: private PostgreSQL cluster under
# $PARLEY_VAR, migrations, FastCGI worker pools, harvester, nginx.
# Used by `make run|stop|psql` and by the test suites (with their own var dir and ports).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VAR=${PARLEY_VAR:-$ROOT/var}
PGPORT=${PARLEY_PGPORT:-5433}
HTTP_PORT=${PARLEY_HTTP_PORT:-8080}
FAKE_PORT=${PARLEY_FAKE_PORT:-8090}    # the demo's fake social platform server
WORKERS=${PARLEY_WEB_WORKERS:-4}
HOOK_WORKERS=${PARLEY_HOOK_WORKERS:-2}
HOOK_THREADS=${PARLEY_HOOK_THREADS:-8}
BIN=${PARLEY_BIN:-$ROOT/build/parley}
APP_USER=parley          # PostgreSQL refuses root; everything runs as this user when we are root
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true; }
PGBIN=$(pgbin)   # empty until PostgreSQL is installed (ensure_packages sets it again)
DEMO_USER=demo
DEMO_PASSWORD=parley-demo-2026

# What `make run` needs to build and run (tests need more: see .ci/run).
PACKAGES="build-essential pkg-config postgresql libpq-dev libfcgi-dev libjansson-dev libsodium-dev libssl-dev
libcurl4-openssl-dev libcmark-dev nginx curl nodejs"

say() { printf '%s\n' "$*" >&2; }

as_app() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$APP_USER" -- "$@"; else "$@"; fi
}

ensure_packages() {
  local missing=()
  for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "Missing Debian packages. Install them with:"
    say "  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  say "Installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  PGBIN=$(pgbin)
}

# The app user must reach a directory (a fresh clone may sit in a 0700 temp dir).
reachable() {
  local d=$1
  while [ "$d" != / ]; do
    [ -n "$(find "$d" -maxdepth 0 -perm -o+x)" ] || chmod o+x "$d"
    d=$(dirname "$d")
  done
}

ensure_app_user() {
  [ "$(id -u)" = 0 ] || return 0
  id "$APP_USER" >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$APP_USER"
  reachable "$ROOT"
}

# Sockets, logs and secrets, with or without a private cluster.
var_dirs() {
  mkdir -p "$VAR"/{run,log,secrets}
  if [ "$(id -u)" = 0 ]; then chown -R "$APP_USER" "$VAR"; reachable "$(dirname "$VAR")"; fi
  chmod 700 "$VAR/secrets" "$VAR/run"
}

pg_url_base() { echo "host='$VAR/run' port=$PGPORT dbname=parley"; }
# An operator may point PARLEY_DB at an existing PostgreSQL (as its owner role);
# then no private cluster is made. Each program connects as its own role.
[ -n "${PARLEY_DB:-}" ] && EXTERNAL_DB=1 || EXTERNAL_DB=
export PARLEY_DB=${PARLEY_DB:-"$(pg_url_base) user=parley_owner"}
export PARLEY_ROOT=$ROOT
private_cluster() { [ -z "$EXTERNAL_DB" ]; }

superuser_psql() { as_app "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$VAR/run" -p "$PGPORT" -U postgres "$@"; }

pg_start() {
  if [ ! -s "$VAR/pg/PG_VERSION" ]; then
    say "Creating PostgreSQL cluster in $VAR/pg (port $PGPORT)"
    as_app "$PGBIN/initdb" -D "$VAR/pg" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$VAR/log/initdb.log"
    cat >>"$VAR/pg/postgresql.conf" <<CONF
port = $PGPORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$VAR/run'
unix_socket_permissions = 0700
shared_buffers = 512MB
max_connections = 200
log_min_messages = warning
${PARLEY_PG_EXTRA_CONF:-}
CONF
  fi
  if ! as_app "$PGBIN/pg_ctl" -D "$VAR/pg" status >/dev/null 2>&1; then
    as_app "$PGBIN/pg_ctl" -D "$VAR/pg" -l "$VAR/log/postgresql.log" -w -t 60 start >/dev/null
  fi
  if ! superuser_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'parley'" | grep -q 1; then
    local pw; pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
    echo "$pw" >"$VAR/secrets/owner.pw"
    # SQL on stdin, so the password never shows in the process list.
    printf "CREATE ROLE parley_owner LOGIN CREATEROLE PASSWORD '%s';\nCREATE DATABASE parley OWNER parley_owner;\n" \
      "$pw" | superuser_psql -d postgres
    if [ -n "${PARLEY_WITH_PGTAP:-}" ]; then superuser_psql -d parley -c "CREATE EXTENSION pgtap"; fi
  fi
}

migrate() {
  as_app env PARLEY_DB="$PARLEY_DB" "$BIN" migrate --dir "$ROOT"
  if private_cluster && [ ! -s "$VAR/secrets/bi.pw" ]; then
    local pw; pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
    printf "ALTER ROLE parley_bi PASSWORD '%s';\n" "$pw" | superuser_psql -d parley
    echo "$pw" >"$VAR/secrets/bi.pw"
  fi
}

load_demo() {
  if ! as_app env PARLEY_DB="$PARLEY_DB" "$BIN" user exists "$DEMO_USER"; then
    printf '%s\n' "$DEMO_PASSWORD" | as_app env PARLEY_DB="$PARLEY_DB" "$BIN" user add "$DEMO_USER" \
      --role admin --name "Demo Admin" --password-stdin
  fi
  local fake="http://127.0.0.1:$FAKE_PORT"
  as_app "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -v fake="$fake" "$PARLEY_DB" -f "$ROOT/sql/demo/demo.sql"
  # The accounts' platform ids, as the fake server knows them: platform,
  # handle, Authorization scheme, the path that names the account, its field.
  local platform handle scheme path field id
  while IFS='|' read -r platform handle scheme path field; do
    id=$(curl -fs -H "Authorization: $scheme token-lumen" "$fake$path" |
      node -e 'let d = ""; process.stdin.on("data", (c) => d += c).on("end", () => {
                 let v; try { v = JSON.parse(d); } catch { return; }
                 for (const k of process.argv[1].split(".")) v = v?.[k];
                 process.stdout.write(String(v ?? "")); })' "$field") || id=
    [ -n "$id" ] || { say "the fake platform did not name the demo's $platform account"; continue; }
    printf '%s\n' "UPDATE social.account SET external_id = :'id' WHERE platform = :'platform' AND handle = :'handle';" |
      as_app "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -v id="$id" -v platform="$platform" -v handle="$handle" "$PARLEY_DB"
  done <<'ACCOUNTS'
mastodon|lumen@mastodon.example|Bearer|/mastodon/lumen/api/v1/accounts/verify_credentials|id
x|lumencoffee|Bearer|/x/lumen/2/users/me|data.id
facebook|lumencoffee|Bearer|/facebook/lumen/v19.0/me|id
instagram|lumen.coffee|Bearer|/instagram/lumen/v19.0/me|id
weibo|lumen_coffee|OAuth2|/weibo/lumen/2/account/get_uid.json|uid
ACCOUNTS
  printf '%s\n' "UPDATE ingest.stream SET next_run_at = now() WHERE last_error LIKE '%platform id%';" |
    as_app "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$PARLEY_DB"
}

# The demo's stand-in for the social platforms: a stream of bilingual mentions,
# replies and follows that grows every few seconds (tests/fake-platform).
start_fake_platform() {
  start_daemon fake-platform node "$ROOT/tests/fake-platform/server.mjs" --port "$FAKE_PORT" --live
  for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$FAKE_PORT/_control/health" && return 0; sleep 0.1; done
  say "the fake platform server did not start; see $VAR/log/fake-platform.log"; exit 1
}

start_daemon() { # name, then command
  local name=$1; shift
  local pidfile="$VAR/run/$name.pid"
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return 0; fi
  # setsid: the daemon outlives this script and ignores its terminal's signals
  as_app bash -c 'log=$1 pid=$2; shift 2; setsid "$@" >>"$log" 2>&1 </dev/null & echo $! >"$pid"' \
    start "$VAR/log/$name.log" "$pidfile" "$@"
}

start_web() {
  start_daemon web env PARLEY_DB="$PARLEY_DB" PARLEY_ROOT="$ROOT" \
    "$BIN" web --socket "$VAR/run/web.sock" --workers "$WORKERS"
  for _ in $(seq 100); do [ -S "$VAR/run/web.sock" ] && return 0; sleep 0.1; done
  say "parley web did not start; see $VAR/log/web.log"; tail -n 20 "$VAR/log/web.log" >&2; exit 1
}

start_hooks() {
  start_daemon hooks env PARLEY_DB="$PARLEY_DB" "$BIN" hooks --socket "$VAR/run/hooks.sock" --workers "$HOOK_WORKERS" \
    --threads "$HOOK_THREADS"
  for _ in $(seq 100); do [ -S "$VAR/run/hooks.sock" ] && return 0; sleep 0.1; done
  say "parley hooks did not start; see $VAR/log/hooks.log"; tail -n 20 "$VAR/log/hooks.log" >&2; exit 1
}

start_nginx() {
  mkdir -p "$VAR/nginx"
  local conf
  for conf in parley errors; do
    sed -e "s|@VAR@|$VAR|g" -e "s|@ROOT@|$ROOT|g" -e "s|@PORT@|$HTTP_PORT|g" \
      -e "s|@HOOKS_RATE@|${PARLEY_HOOKS_RATE:-200}|g" "$ROOT/nginx/$conf.conf" >"$VAR/nginx/$conf.conf"
  done
  mv "$VAR/nginx/parley.conf" "$VAR/nginx/nginx.conf"
  node "$ROOT/nginx/error_pages.mjs" "$ROOT/templates/i18n" "$VAR/nginx/errors"
  if [ "$(id -u)" = 0 ]; then chown -R "$APP_USER" "$VAR/nginx"; fi
  if [ -s "$VAR/run/nginx.pid" ] && kill -0 "$(cat "$VAR/run/nginx.pid")" 2>/dev/null; then
    as_app nginx -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" -e "$VAR/log/nginx-error.log" -s reload
  else
    as_app nginx -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" -e "$VAR/log/nginx-error.log"
  fi
  for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$HTTP_PORT/health" && return 0; sleep 0.1; done
  say "nginx did not answer on port $HTTP_PORT; see $VAR/log/nginx-error.log"; exit 1
}

stop_pid() {
  local pidfile="$VAR/run/$1.pid"
  [ -s "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done  # the pool drains for up to 10 s
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop_all() {
  stop_pid nginx
  stop_pid web
  stop_pid hooks
  stop_pid harvest
  stop_pid fake-platform
  if [ -s "$VAR/pg/PG_VERSION" ]; then
    as_app "$PGBIN/pg_ctl" -D "$VAR/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

up() { # everything but demo data
  ensure_app_user
  var_dirs
  if private_cluster; then pg_start; fi
  migrate
  start_web
  start_hooks
  # the one local API the harvester may reach: the demo's fake platform (fcgi/netguard.h)
  start_daemon harvest env PARLEY_DB="$PARLEY_DB" PARLEY_LOCAL_APIS="${PARLEY_LOCAL_APIS-127.0.0.1:$FAKE_PORT}" "$BIN" harvest
  start_nginx
}

# The owner's and the BI role's libpq URIs: the private cluster's, with
# their passwords; for an existing database, as PARLEY_DB reaches it (the
# BI role's password is the operator's to give).
connection_uris() {
  if private_cluster; then
    echo "postgresql://parley_owner:$(cat "$VAR/secrets/owner.pw" 2>/dev/null || echo '…')@127.0.0.1:$PGPORT/parley"
    echo "postgresql://parley_bi:$(cat "$VAR/secrets/bi.pw" 2>/dev/null || echo '…')@127.0.0.1:$PGPORT/parley"
    return
  fi
  local owner host port db
  read -r owner host port db < <(as_app "$PGBIN/psql" -X -q "$PARLEY_DB" -c '\echo :USER :HOST :PORT :DBNAME') || true
  if [ -z "${db:-}" ]; then say "cannot reach the database named by PARLEY_DB"; return 1; fi
  local at
  case $host in
    /*) at="/$db?host=$host&port=$port" ;;          # a socket directory
    *:*) at="[$host]:$port/$db" ;;
    *) at="$host:$port/$db" ;;
  esac
  echo "postgresql://$owner@$at   (its password as you set it)"
  echo "postgresql://parley_bi@$at   (set its password: ALTER ROLE parley_bi PASSWORD '…')"
}

print_urls() {
  local uris; uris=$(connection_uris) || exit 1
  cat <<MSG

Parley is running:   http://127.0.0.1:$HTTP_PORT/
Demo login:          $DEMO_USER / $DEMO_PASSWORD
Owner connection:    $(sed -n 1p <<<"$uris")
BI (read-only kpi):  $(sed -n 2p <<<"$uris")
Logs:                $VAR/log/     Stop with: make stop     SQL shell: make psql
MSG
}

case "${1:-}" in
  deps)  ensure_packages ;;
  run)   ensure_packages; up; start_fake_platform; load_demo; print_urls ;;
  up)    up ;;
  stop)  stop_all ;;
  psql)  exec "$PGBIN/psql" "$PARLEY_DB" ;;
  demo)  start_fake_platform; load_demo ;;
  env)   printf 'export PARLEY_DB=%q\n' "$PARLEY_DB" ;;
  uris)  connection_uris ;;
  *)     say "usage: stack.sh deps|run|up|stop|psql|demo|uris"; exit 2 ;;
esac
