#!/usr/bin/env bash
# Browser journeys in headless Chromium (Debian's) via playwright-core from npm.
set -uo pipefail
result=${1:-/dev/null}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$HERE"
as_app() { if [ "$(id -u)" = 0 ]; then runuser -u parley -- "$@"; else "$@"; fi; }
psql_() { as_app psql -X -qtA -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley -c "$1"; }
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund >/dev/null 2>&1 || npm install --no-audit --no-fund >/dev/null
fi
export BROWSER_PASSWORD='Quartz-Meadow-7719'
# ensure_user NAME ROLE DISPLAY: a staff member the journeys sign in as
ensure_user() {
  psql_ "SELECT 1 FROM auth.staff WHERE username = '$1'" | grep -q 1 && return 0
  printf '%s\n' "$BROWSER_PASSWORD" | as_app env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
    "$PARLEY_BIN" user add "$1" --role "$2" --name "$3" --password-stdin >/dev/null
}
export BROWSER_USER=browser_admin AGENT_USER=browser_agent ADMIN_USER=browser_admin_real
ensure_user "$BROWSER_USER" marketer "Browser Tester"
ensure_user "$AGENT_USER" agent "Browser Agent"
ensure_user "$ADMIN_USER" admin "Browser Admin"
export EXPECTED_POSTS=$(psql_ "SELECT count(*) FROM social.post")
# The newest inbound post on an account that has no case yet: the top of the inbox.
# (one that can be answered: see ingest.reply_blocked)
export CASE_POST_ID=$(psql_ "SELECT q.id FROM social.post q WHERE ingest.reply_blocked(q) IS NULL AND q.account_id IS NOT NULL
  AND NOT crm.own_profile(q.author_id)
  AND NOT EXISTS (SELECT FROM crm.\"case\" c WHERE c.post_id = q.id OR c.root_post_id = coalesce(q.root_id, q.id))
  AND NOT EXISTS (SELECT FROM ingest.outbox o WHERE o.in_reply_to = q.id)
  ORDER BY q.created_at DESC, q.id DESC LIMIT 1")
out=$(node --test --test-reporter=spec --test-concurrency=1 journey.test.mjs agent.test.mjs admin.test.mjs 2>&1); rc=$?
printf '%s\n' "$out"
p=$(printf '%s\n' "$out" | sed -n 's/^ℹ pass \([0-9]*\)/\1/p' | tail -n1)
f=$(printf '%s\n' "$out" | sed -n 's/^ℹ fail \([0-9]*\)/\1/p' | tail -n1)
p=${p:-0} f=${f:-0}
[ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
echo "browser: $p passed, $f failed (screenshots in tests/browser/artifacts/)"
echo "$p $f" >"$result"
