# X (API v2) through the real harvester against the fake platform server:
# every stream of one account harvested to exact counts (with next_token
# pagination, a 429, 503s and a revoked token on another account), an
# incremental run that asks only for what is new (since_id), and replies sent
# as Tweets: recorded with X's id, looked up instead of posted twice after a
# harvester died mid-send, and refused when X would count them too long.
X_FAKE=http://127.0.0.1:${PARLEY_FAKE_PORT:-18998}
# An earlier part's fake platform may still be on its way out.
for _ in $(seq 50); do curl -fs -o /dev/null "$X_FAKE/_control/health" || break; sleep 0.1; done
node "$PARLEY_ROOT_DIR/tests/fake-platform/server.mjs" --port "${PARLEY_FAKE_PORT:-18998}" >"$PARLEY_VAR/log/fake-platform-32.log" 2>&1 &
x_fake_pid=$!
for _ in $(seq 50); do curl -fs -o /dev/null "$X_FAKE/_control/health" && break; sleep 0.1; done
xctl() { curl -s -X "$1" "$X_FAKE/_control/$2" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
# xhv NAME: a harvester whose pid is kept in $PARLEY_VAR/run/xhv-NAME.pid; xstop SIGNAL NAME.
xhv() {
  as_app bash -c 'echo $$ >"$1"; shift; exec "$@"' xhv "$PARLEY_VAR/run/xhv-$1.pid" \
    env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
    "$PARLEY_BIN" harvest --lease 4 --parallel 4 --name "$1" >>"$PARLEY_VAR/log/harvest-e2e-x.log" 2>&1 &
  for _ in $(seq 50); do [ -s "$PARLEY_VAR/run/xhv-$1.pid" ] && break; sleep 0.05; done
}
xstop() {
  local pid; pid=$(cat "$PARLEY_VAR/run/xhv-$2.pid" 2>/dev/null) || return 0
  kill "-$1" "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$PARLEY_VAR/run/xhv-$2.pid"
}
x_agent() { as_app env PGOPTIONS="-c parley.session=e2e-agent-32-token" psql -X -qtA -v VERBOSITY=verbose \
  -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley -c "$1" 2>&1; }
x_wait_state() { for _ in $(seq 150); do [ "$(sql "SELECT state FROM ingest.outbox WHERE id = $1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }
x_wait_received() { for _ in $(seq 150); do [ "$(xctl GET 'replies?platform=x&account=xbrand1' | jq .received)" = "$1" ] && return 0; sleep 0.1; done; return 1; }
x_posts() { sql "SELECT count(*) FROM social.post WHERE platform = 'x'"; }
x_idle() { [ "$(sql "SELECT count(*) FROM ingest.stream s JOIN social.account a ON a.id = s.account_id WHERE a.platform = 'x' AND a.status = 'active' AND (s.lease_owner IS NOT NULL OR s.next_run_at < now())")" = 0 ]; }

echo "# X: harvesting every stream of an account through API v2"
# More than 100 mentions and 1000 followers: both walks need next_token pages.
# page_cap: search pages of at most 2 Tweets, so conversations of 3 replies take two pages.
xctl POST reset '{"accounts": {"xbrand1": {"notifications": 700, "posts": 14, "max_replies": 3, "followers": 1050, "search": 40, "page_cap": 2},
  "xbrand2": {"notifications": 5, "posts": 2, "followers": 3, "search": 2}}, "keywords": ["lumen"]}' >/dev/null
x_id=$(curl -s -H 'Authorization: Bearer token-xbrand1' "$X_FAKE/x/xbrand1/2/users/me" | jq -r .data.id)
x_id2=$(curl -s -H 'Authorization: Bearer token-xbrand2' "$X_FAKE/x/xbrand2/2/users/me" | jq -r .data.id)
as_app kill -TERM "$(cat "$PARLEY_VAR/run/harvest.pid" 2>/dev/null)" 2>/dev/null; rm -f "$PARLEY_VAR/run/harvest.pid"
sql "INSERT INTO social.account (platform, handle, api_base_url, external_id) VALUES
       ('x', 'xbrand1', '$X_FAKE/x/xbrand1', '$x_id'), ('x', 'xbrand2', '$X_FAKE/x/xbrand2', '$x_id2');
     INSERT INTO social.account_credential (account_id, access_token)
       SELECT id, 'token-' || handle FROM social.account WHERE platform = 'x' AND handle IN ('xbrand1', 'xbrand2');
     INSERT INTO ingest.stream (account_id, kind, query, next_run_at)
       SELECT a.id, k.kind, k.query, now() + interval '1 hour' FROM social.account a,
         (VALUES ('mentions', ''), ('own_posts', ''), ('replies', ''), ('followers', ''), ('search', 'lumen')) k(kind, query)
       WHERE a.platform = 'x' AND a.handle = 'xbrand1'
       UNION ALL SELECT id, 'mentions', '', now() + interval '1 hour' FROM social.account WHERE platform = 'x' AND handle = 'xbrand2'" >/dev/null
x_acc=$(sql "SELECT id FROM social.account WHERE platform = 'x' AND handle = 'xbrand1'")
xctl POST revoke '{"token": "token-xbrand2"}' >/dev/null
xctl POST faults '{"rules": [
  {"match": "/x/xbrand1/2/users/'"$x_id"'/mentions", "status": 429, "retry_after": 2},
  {"match": "/x/xbrand1/2/tweets/search/recent?query=lumen", "status": 503, "times": 2}]}' >/dev/null
x_expect=$(xctl GET 'expected?platform=x&account=xbrand1')
x_want_posts=$(jq '.statuses_reachable | length' <<<"$x_expect")
x_want_profiles=$(jq '.accounts_reachable | length' <<<"$x_expect")
x_want_followers=$(jq '.streams.followers | length' <<<"$x_expect")
x_want_interactions=$(jq '.interactions | length' <<<"$x_expect")
x_base_profiles=$(sql "SELECT count(*) FROM social.profile WHERE platform = 'x'")
x_base_posts=$(x_posts)
x_followers() { sql "SELECT count(*) FROM social.follower_edge WHERE account_id = $x_acc"; }
check "the fake X account has more than 100 mentions and 1000 followers ($x_want_posts posts)" \
  test "$(jq '.streams.mentions | length' <<<"$x_expect")" -gt 100 -a "$x_want_followers" -gt 1000
sql "UPDATE ingest.stream SET next_run_at = now() WHERE account_id IN (SELECT id FROM social.account WHERE platform = 'x')" >/dev/null
xhv xa
for _ in $(seq 240); do
  [ "$(( $(x_posts) - x_base_posts ))" = "$x_want_posts" ] && [ "$(x_followers)" = "$x_want_followers" ] && x_idle && break
  sleep 0.5
done
eq "every Tweet the server holds for the streams is stored once" "$(( $(x_posts) - x_base_posts ))" "$x_want_posts"
eq "… every author, follower and the brand as a profile" \
  "$(( $(sql "SELECT count(*) FROM social.profile WHERE platform = 'x'") - x_base_profiles ))" "$x_want_profiles"
eq "… every follower edge, over two pages" "$(x_followers)" "$x_want_followers"
eq "… and every mention, reply and quote of the brand as an interaction" \
  "$(sql "SELECT count(*) FROM social.interaction WHERE platform = 'x' AND account_id = $x_acc")" "$x_want_interactions"
eq "no Tweet is stored twice" "$(sql "SELECT count(*) - count(DISTINCT external_id) FROM social.post WHERE platform = 'x'")" 0
eq "no page was quarantined" "$(sql "SELECT count(*) FROM ingest.quarantine WHERE platform = 'x'")" 0
eq "the mentions stream remembers the newest mention as since_id" \
  "$(sql "SELECT state->>'since_id' FROM ingest.stream WHERE account_id = $x_acc AND kind = 'mentions'")" \
  "$(jq -r '.streams.mentions[0]' <<<"$x_expect")"
x_m_pages=$(( ($(jq '.streams.mentions | length' <<<"$x_expect") + 99) / 100 ))
eq "the mentions walk followed next_token ($x_m_pages pages)" \
  "$(xctl GET stats | jq '[.urls | keys[] | select(startswith("/x/xbrand1/2/users/'"$x_id"'/mentions") and contains("pagination_token="))] | length')" $((x_m_pages - 1))
x_thread=$(jq -r '[.streams.conversations | to_entries[] | select(.value | length > 1)][0].value[0]' <<<"$x_expect")
check "conversations longer than a page followed next_token" \
  test "$(xctl GET stats | jq '[.urls | keys[] | select(contains("conversation_id") and contains("next_token="))] | length')" -gt 0
eq "a reply from the conversation search hangs under its parent and root" \
  "$(sql "SELECT (parent_id IS NOT NULL)::text || ' ' || (root_id IS NOT NULL)::text || ' ' || kind FROM social.post WHERE platform = 'x' AND external_id = '$x_thread'")" \
  "true true reply"
eq "the revoked account needs re-authorization" "$(sql "SELECT status FROM social.account WHERE platform = 'x' AND handle = 'xbrand2'")" needs_reauth
has "… with X's words" "$(sql "SELECT status_message FROM social.account WHERE platform = 'x' AND handle = 'xbrand2'")" "HTTP 401: Unauthorized"
eq "the 429 was answered once" "$(xctl GET stats | jq '[.faults[] | select(.url | startswith("/x/xbrand1/2/users/'"$x_id"'/mentions"))] | length')" 1
check "… and waited out" grep -q 'x xbrand1 mentions) throttled: HTTP 429' "$PARLEY_VAR/log/harvest-e2e-x.log"
check "the 503s were retried after a backoff" grep -q 'x xbrand1 search) server: HTTP 503' "$PARLEY_VAR/log/harvest-e2e-x.log"
eq "the quota X reports is recorded per stream" \
  "$(sql "SELECT count(*) FROM ingest.stream WHERE account_id = $x_acc AND quota_remaining > 0 AND quota_reset_at > now() - interval '1 hour'")" 5

echo "# X: an incremental run asks only for what is new"
xctl POST append '{"platform": "x", "account": "xbrand1", "stream": "mentions", "count": 7}' >/dev/null
x_want_posts=$(xctl GET 'expected?platform=x&account=xbrand1' | jq '.statuses_reachable | length')
x_since=$(sql "SELECT state->>'since_id' FROM ingest.stream WHERE account_id = $x_acc AND kind = 'mentions'")
sql "UPDATE ingest.stream SET next_run_at = now() WHERE account_id = $x_acc AND kind = 'mentions'" >/dev/null
for _ in $(seq 100); do [ "$(( $(x_posts) - x_base_posts ))" = "$x_want_posts" ] && x_idle && break; sleep 0.2; done
eq "the new mentions arrived" "$(( $(x_posts) - x_base_posts ))" "$x_want_posts"
eq "… asked for with since_id" \
  "$(xctl GET stats | jq "[.urls | keys[] | select(contains(\"/mentions?\") and contains(\"since_id=$x_since\"))] | length")" 1

echo "# X: replies sent as Tweets"
sql "SELECT auth.user_add('e2e_x_replier', 'E2E X Replier', 'agent', '\$argon2id\$v=19\$m=19456,t=2,p=1\$x\$y')
       WHERE NOT EXISTS (SELECT FROM auth.staff WHERE username = 'e2e_x_replier');
     INSERT INTO auth.session (token_hash, staff_id, csrf_token)
       SELECT sha256(convert_to('e2e-agent-32-token', 'UTF8')), id, 'e2e' FROM auth.staff WHERE username = 'e2e_x_replier'
       ON CONFLICT (token_hash) DO UPDATE SET last_seen_at = now(), created_at = now()" >/dev/null
x_m=($(sql "SELECT p.id FROM social.post p JOIN social.interaction i ON i.post_id = p.id AND i.kind = 'mention'
            WHERE p.platform = 'x' AND p.account_id = $x_acc ORDER BY p.id LIMIT 4"))
check "mentions to answer were harvested (${x_m[*]})" test "${#x_m[@]}" = 4
out=$(x_agent "SELECT api.reply('{\"post_id\": ${x_m[0]}, \"body\": \"Thanks for telling us! 谢谢 ☕ & <3\"}')")
x_o1=$(jq -r .outbox_id <<<"$out" 2>/dev/null)
eq "api.reply queues a reply to X" "$(jq -r .state <<<"$out" 2>/dev/null)" queued
check "… and the harvester sends it" x_wait_state "$x_o1" sent
fake=$(xctl GET 'replies?platform=x&account=xbrand1')
eq "X received exactly one Tweet" "$(jq -r '[.count, .received] | join(",")' <<<"$fake")" "1,1"
eq "… with the text, in reply to the mention" "$(jq -r '.replies[0] | [.text, .in_reply_to] | join("|")' <<<"$fake")" \
  "Thanks for telling us! 谢谢 ☕ & <3|$(sql "SELECT external_id FROM social.post WHERE id = ${x_m[0]}")"
x_r1=$(jq -r '.replies[0].id' <<<"$fake")
eq "the outbox holds X's id" "$(sql "SELECT external_id FROM ingest.outbox WHERE id = $x_o1")" "$x_r1"
eq "the reply is stored as the brand's post under the mention, with its x.com URL" \
  "$(sql "SELECT p.kind || ' ' || p.parent_id || ' ' || p.url || ' ' || (p.author_id = (SELECT id FROM social.profile WHERE platform = 'x' AND external_id = '$x_id'))::text FROM social.post p JOIN ingest.outbox o ON o.post_id = p.id AND o.external_id = p.external_id WHERE o.id = $x_o1")" \
  "reply ${x_m[0]} https://x.com/i/web/status/$x_r1 true"

echo "# X: killed after X took the Tweet: the next attempt looks first and finds it"
xctl POST faults '{"rules": [{"match": "/x/xbrand1/2/tweets", "method": "POST", "hold_ms": 5000}]}' >/dev/null
x_o2=$(x_agent "SELECT api.reply('{\"post_id\": ${x_m[1]}, \"body\": \"We are on it.\"}')" | jq -r .outbox_id)
check "X has the Tweet (its answer is held back)" x_wait_received 2
xstop KILL xa
eq "the entry is not recorded as sent" "$(sql "SELECT state || ' ' || attempts FROM ingest.outbox WHERE id = $x_o2")" "sending 1"
xhv xa
check "after a restart it is recorded" x_wait_state "$x_o2" sent
fake=$(xctl GET 'replies?platform=x&account=xbrand1')
eq "X got the Tweet once and holds it once (no blind repeat)" "$(jq -r '[.count, .received] | join(",")' <<<"$fake")" "2,2"
eq "… and the one X holds is recorded" "$(sql "SELECT external_id || ' ' || attempts FROM ingest.outbox WHERE id = $x_o2")" \
  "$(jq -r '.replies[1].id' <<<"$fake") 2"
check "… found through the brand's recent Tweets" \
  test "$(xctl GET stats | jq '[.urls | keys[] | select(startswith("/x/xbrand1/2/users/'"$x_id"'/tweets?max_results=100&tweet.fields="))] | length')" -ge 1
eq "one stored post for it" "$(sql "SELECT count(*) FROM social.post WHERE platform = 'x' AND external_id = (SELECT external_id FROM ingest.outbox WHERE id = $x_o2)")" 1

echo "# X: a 503 on the send: looked up, not found, sent again later"
xctl POST faults '{"rules": [{"match": "/x/xbrand1/2/tweets", "method": "POST", "status": 503}]}' >/dev/null
x_o3=$(x_agent "SELECT api.reply('{\"post_id\": ${x_m[2]}, \"body\": \"Sorry about the wait 🙏\"}')" | jq -r .outbox_id)
for _ in $(seq 100); do [ "$(sql "SELECT state || ' ' || coalesce(last_error, '') FROM ingest.outbox WHERE id = $x_o3")" = "queued HTTP 503" ] && break; sleep 0.1; done
eq "the 503 leaves the entry queued with its error" "$(sql "SELECT state || ' ' || last_error FROM ingest.outbox WHERE id = $x_o3")" "queued HTTP 503"
sql "UPDATE ingest.outbox SET next_attempt_at = now() WHERE id = $x_o3" >/dev/null
check "… and the next attempt sends it" x_wait_state "$x_o3" sent
eq "X holds exactly one Tweet for it" \
  "$(xctl GET 'replies?platform=x&account=xbrand1' | jq '[.replies[] | select(.text == "Sorry about the wait 🙏")] | length')" 1

echo "# X: a reply X counts too long is refused before sending"
x_long=$(printf '咖%.0s' $(seq 150))
out=$(x_agent "SELECT api.reply('{\"post_id\": ${x_m[3]}, \"body\": \"$x_long\"}')")
has "150 Chinese characters are refused when queued, saying how X counts them" "$out" \
  "PR422: The reply is 300 characters long as X counts them (Chinese characters and emoji count twice, a link 23); X allows at most 280."
eq "… and X received nothing for it" "$(xctl GET 'replies?platform=x&account=xbrand1' | jq .received)" 3
xstop TERM xa
kill "$x_fake_pid" 2>/dev/null; wait "$x_fake_pid" 2>/dev/null
