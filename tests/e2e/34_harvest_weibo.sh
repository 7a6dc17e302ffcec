# Weibo through the real harvester against the fake platform: every stream
# harvested exactly once (mentions paged down with max_id and resumed with
# since_id), Weibo's rate-limit error waited out until the next hour, an
# expired token asking for re-authorization in Weibo's words; replies as
# comments under a comment (looked up, not repeated, after a kill -9), and
# WeChat customer-service messages whose access token (in WeChat's URL) is
# never logged or stored.
W_FAKE=http://127.0.0.1:${PARLEY_FAKE_PORT:-18998}
# An earlier part's fake platform may still be on its way out.
for _ in $(seq 50); do curl -fs -o /dev/null "$W_FAKE/_control/health" || break; sleep 0.1; done
node "$PARLEY_ROOT_DIR/tests/fake-platform/server.mjs" --port "${PARLEY_FAKE_PORT:-18998}" >"$PARLEY_VAR/log/fake-platform-34.log" 2>&1 &
w_fake_pid=$!
for _ in $(seq 50); do curl -fs -o /dev/null "$W_FAKE/_control/health" && break; sleep 0.1; done
wctl() { curl -s -X "$1" "$W_FAKE/_control/$2" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
# whv NAME: a harvester whose pid is kept in $PARLEY_VAR/run/whv-NAME.pid; wstop SIGNAL NAME.
whv() {
  as_app bash -c 'echo $$ >"$1"; shift; exec "$@"' whv "$PARLEY_VAR/run/whv-$1.pid" \
    env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
    "$PARLEY_BIN" harvest --lease 4 --parallel 2 --name "$1" >>"$PARLEY_VAR/log/harvest-e2e.log" 2>&1 &
  for _ in $(seq 50); do [ -s "$PARLEY_VAR/run/whv-$1.pid" ] && break; sleep 0.05; done
}
wstop() {
  local pid; pid=$(cat "$PARLEY_VAR/run/whv-$2.pid" 2>/dev/null) || return 0
  kill "-$1" "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$PARLEY_VAR/run/whv-$2.pid"
}
w_agent() { as_app env PGOPTIONS="-c parley.session=e2e-agent-34-token" psql -X -qtA -v VERBOSITY=verbose \
  -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley -c "$1" 2>&1; }
w_state() { for _ in $(seq 150); do [ "$(sql "SELECT state FROM ingest.outbox WHERE id = $1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }
w_received() { # PLATFORM ACCOUNT N: until the fake platform has received N reply requests
  for _ in $(seq 150); do [ "$(wctl GET "replies?platform=$1&account=$2" | jq .received)" = "$3" ] && return 0; sleep 0.1; done; return 1; }
w_idle() { [ "$(sql "SELECT count(*) FROM ingest.stream WHERE account_id = $w_acc AND kind <> 'search' AND (lease_owner IS NOT NULL OR next_run_at < now())")" = 0 ]; }
w_posts() { sql "SELECT count(*) FROM social.post WHERE platform = 'weibo' AND account_id = $w_acc"; }

echo "# Weibo: harvesting an account from the fake platform"
# page_cap: comment pages of at most 2, so threads of 3 or 4 comments take several pages.
wctl POST reset '{"accounts": {"wb1": {"notifications": 60, "posts": 8, "max_replies": 4, "followers": 230, "search": 1, "page_cap": 2}}}' >/dev/null
w_uid=$(curl -s -H 'Authorization: OAuth2 token-wb1' "$W_FAKE/weibo/wb1/2/account/get_uid.json" | jq -r .uid)
# Keep the stack's own harvester out: only ours lease these streams.
as_app kill -TERM "$(cat "$PARLEY_VAR/run/harvest.pid" 2>/dev/null)" 2>/dev/null; rm -f "$PARLEY_VAR/run/harvest.pid"
sql "INSERT INTO social.account (platform, handle, api_base_url, external_id) VALUES
       ('weibo', 'wb1', '$W_FAKE/weibo/wb1/2', '$w_uid'), ('weibo', 'wb2', '$W_FAKE/weibo/wb2/2', '1000000001');
     INSERT INTO social.account_credential (account_id, access_token)
       SELECT id, 'token-' || handle FROM social.account WHERE platform = 'weibo' AND handle IN ('wb1', 'wb2');
     INSERT INTO ingest.stream (account_id, kind, query, next_run_at)
       SELECT a.id, k.kind, k.query, now() + interval '1 hour' FROM social.account a,
         (VALUES ('mentions', ''), ('own_posts', ''), ('replies', ''), ('followers', ''), ('search', 'lumen')) k(kind, query)
       WHERE a.platform = 'weibo' AND a.handle = 'wb1'
       UNION ALL SELECT id, 'mentions', '', now() + interval '1 hour' FROM social.account WHERE platform = 'weibo' AND handle = 'wb2'" >/dev/null
w_acc=$(sql "SELECT id FROM social.account WHERE platform = 'weibo' AND handle = 'wb1'")
wctl POST revoke '{"token": "token-wb2"}' >/dev/null
# Weibo's own throttling answer: HTTP 403, error_code 10023, no Retry-After.
wctl POST faults '{"rules": [{"match": "/weibo/wb1/2/statuses/mentions.json", "status": 403}]}' >/dev/null
sql "UPDATE ingest.stream SET next_run_at = now() WHERE account_id IN (SELECT id FROM social.account WHERE platform = 'weibo')" >/dev/null
w_exp=$(wctl GET 'expected?platform=weibo&account=wb1')
whv w1
for _ in $(seq 100); do
  [ -n "$(sql "SELECT 1 FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions' AND last_error LIKE '%10023%'")" ] && break
  sleep 0.1
done
eq "Weibo's rate-limit answer is read from its error code" \
  "$(sql "SELECT last_error FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions'")" \
  "Weibo error 10023: User requests out of rate limit!"
eq "… and waited out until the next hour (Weibo's limits are hourly; it sends no Retry-After)" \
  "$(sql "SELECT next_run_at = date_trunc('hour', now()) + interval '1 hour' OR next_run_at = date_trunc('hour', now())
          FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions'")" t
sleep 1
eq "… without asking again meanwhile" \
  "$(wctl GET stats | jq '[.urls | to_entries[] | select(.key | startswith("/weibo/wb1/2/statuses/mentions.json")) | .value] | add')" 1
eq "… nor with the account's other streams (the limit is the token's)" \
  "$(sql "SELECT ingest.token_quota_spent($w_acc, 'weibo')")" t
# The hour is not sat out here: the limit is let go at once.
sql "UPDATE ingest.stream SET next_run_at = now(), quota_reset_at = now() WHERE account_id = $w_acc AND kind = 'mentions'" >/dev/null

want_posts=$(jq '.statuses_reachable | length' <<<"$w_exp")
want_followers=$(jq '.streams.followers | length' <<<"$w_exp")
want_comments=$(jq '[.streams.comments[] | length] | add' <<<"$w_exp")
for _ in $(seq 240); do
  [ "$(w_posts)" = "$want_posts" ] && w_idle && break
  sleep 0.25
done
eq "every status and comment the server holds is stored" "$(w_posts)" "$want_posts"
eq "… exactly once" "$(sql "SELECT count(*) - count(DISTINCT external_id) FROM social.post WHERE platform = 'weibo'")" 0
eq "every follower (two cursor pages)" "$(sql "SELECT count(*) FROM social.follower_edge WHERE account_id = $w_acc")" "$want_followers"
eq "each mention, in a status or a comment, is an interaction" \
  "$(sql "SELECT count(*) FROM social.interaction WHERE account_id = $w_acc AND kind = 'mention'")" \
  "$(jq '(.streams.mentions | length) + (.streams.comment_mentions | length)' <<<"$w_exp")"
eq "… the comments naming the brand among them" \
  "$(sql "SELECT count(*) FROM social.interaction i JOIN social.post p ON p.id = i.post_id WHERE i.account_id = $w_acc AND i.kind = 'mention' AND p.kind = 'comment'")" \
  "$(jq '.streams.comment_mentions | length' <<<"$w_exp")"
eq "the comments under the brand's posts are stored, linked to their status" \
  "$(sql "SELECT count(*) FROM social.post WHERE platform = 'weibo' AND kind = 'comment' AND root_id IS NOT NULL AND parent_id IS NOT NULL")" \
  "$want_comments"
check "there were comments to store ($want_comments)" test "$want_comments" -gt 0
check "… threads longer than a page among them, paged down with max_id" \
  test "$(wctl GET stats | jq '[.urls | keys[] | select(startswith("/weibo/wb1/2/comments/show.json") and contains("max_id="))] | length')" -gt 0
eq "the expired token asks for re-authorization" "$(sql "SELECT status FROM social.account WHERE platform = 'weibo' AND handle = 'wb2'")" needs_reauth
eq "… in Weibo's words" "$(sql "SELECT status_message FROM social.account WHERE platform = 'weibo' AND handle = 'wb2'")" \
  "Weibo error 21327: expired_token"
has "a search stream is refused with the reason" "$(sql "SELECT last_error FROM ingest.stream WHERE account_id = $w_acc AND kind = 'search'")" \
  "Weibo's open API has no status search"
eq "no token was put in a URL" "$(wctl GET stats | jq '[.urls | keys[] | select(test("access_token"))] | length')" 0

echo "# Weibo: new mentions, paged down with max_id above the since_id mark"
wctl POST append '{"platform": "weibo", "account": "wb1", "stream": "mentions", "count": 75}' >/dev/null
w_exp=$(wctl GET 'expected?platform=weibo&account=wb1')
want_posts=$(jq '.statuses_reachable | length' <<<"$w_exp")
mark=$(sql "SELECT state->>'since_id' FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions'")
eq "the mark is the newest mention harvested" "$mark" "$(wctl GET 'expected?platform=weibo&account=wb1' | jq -r '.streams.mentions[75]')"
sql "UPDATE ingest.stream SET next_run_at = now() WHERE account_id = $w_acc AND kind = 'mentions'" >/dev/null
for _ in $(seq 120); do
  [ "$(w_posts)" = "$want_posts" ] && w_idle && break
  sleep 0.25
done
eq "the 75 new mentions arrived" "$(w_posts)" "$want_posts"
eq "… each asked for once: two pages down with max_id, all above since_id" \
  "$(wctl GET stats | jq -r --arg m "$mark" '[.urls | to_entries[] | select(.key | startswith("/weibo/wb1/2/statuses/mentions.json") and contains("since_id=" + $m)) | .value] | "\(length) \(add)"')" "3 3"
eq "the mark moved to the newest" "$(sql "SELECT state->>'since_id' FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions'")" \
  "$(jq -r '.streams.mentions[0]' <<<"$w_exp")"

echo "# Weibo: new comments under the brand's posts come with the mentions stream (comments/to_me)"
# Most name no one (a Weibo comment does not @ the status's author): only to_me lists them.
sql "UPDATE ingest.stream SET next_run_at = now() + interval '1 hour' WHERE account_id = $w_acc AND kind = 'replies'" >/dev/null
t_mark=$(sql "SELECT state->>'t_since_id' FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions'")
before=$(wctl GET 'expected?platform=weibo&account=wb1')
wctl POST append '{"platform": "weibo", "account": "wb1", "stream": "replies", "count": 8}' >/dev/null
w_exp=$(wctl GET 'expected?platform=weibo&account=wb1')
want_posts=$(jq '.statuses_reachable | length' <<<"$w_exp")
unnamed=$(jq -n --argjson a "$before" --argjson b "$w_exp" \
  '[$b.streams.comments_to_me[] | select(. as $id | ($a.streams.comments_to_me | index($id)) == null and ($b.streams.comment_mentions | index($id)) == null)] | length')
check "some of the new comments name no one ($unnamed)" test "$unnamed" -gt 0
to_me_asked() { wctl GET stats | jq --arg m "$t_mark" \
  '[.urls | to_entries[] | select((.key | startswith("/weibo/wb1/2/comments/to_me.json") and contains("since_id=" + $m)) and (.key | contains("max_id") | not)) | .value] | add // 0'; }
asked0=$(to_me_asked)
sql "UPDATE ingest.stream SET next_run_at = now() WHERE account_id = $w_acc AND kind = 'mentions'" >/dev/null
for _ in $(seq 120); do
  [ "$(w_posts)" = "$want_posts" ] && [ "$(sql "SELECT count(*) FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions' AND (lease_owner IS NOT NULL OR next_run_at < now())")" = 0 ] && break
  sleep 0.25
done
eq "they all arrived, the replies stream not run" "$(w_posts)" "$want_posts"
eq "… asked for once above the mark of comments received" "$(( $(to_me_asked) - asked0 ))" 1
eq "… under their statuses" \
  "$(sql "SELECT count(*) FROM social.post WHERE platform = 'weibo' AND account_id = $w_acc AND kind = 'comment' AND root_id IS NULL")" 0

echo "# Weibo: a mention list Weibo refuses does not hold up the others"
# As for an app without access to comments/to_me: Weibo answers 10014 every time.
wctl POST faults '{"rules": [{"match": "/weibo/wb1/2/comments/to_me.json", "status": 404, "times": -1}]}' >/dev/null
t_mark=$(sql "SELECT state->>'t_since_id' FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions'")
for round in 1 2; do
  wctl POST append '{"platform": "weibo", "account": "wb1", "stream": "mentions", "count": 3}' >/dev/null
  want_posts=$(wctl GET 'expected?platform=weibo&account=wb1' | jq '.statuses_reachable | length')
  sql "UPDATE ingest.stream SET next_run_at = now(), last_error = NULL WHERE account_id = $w_acc AND kind = 'mentions'" >/dev/null
  for _ in $(seq 120); do
    [ "$(w_posts)" = "$want_posts" ] && [ "$(sql "SELECT count(*) FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions'
                                                   AND last_error IS NOT NULL AND lease_owner IS NULL")" = 1 ] && break
    sleep 0.25
  done
  eq "round $round: the new mentions arrived though comments/to_me is refused" "$(w_posts)" "$want_posts"
done
has "… the refusal is shown on the stream" \
  "$(sql "SELECT last_error FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions'")" "Weibo error 10014"
eq "… which goes on at its next run, from the statuses, with the refused list's mark kept" \
  "$(sql "SELECT (next_run_at > now() + interval '4 minutes') || ' ' || (state ? 'phase') || ' ' || (state->>'t_since_id')
          FROM ingest.stream WHERE account_id = $w_acc AND kind = 'mentions'")" "true false $t_mark"
wctl DELETE faults >/dev/null

echo "# Weibo: a reply to a comment, killed after Weibo took it"
sql "SELECT auth.user_add('e2e_replier34', 'E2E Replier 34', 'agent', '\$argon2id\$v=19\$m=19456,t=2,p=1\$x\$y')
       WHERE NOT EXISTS (SELECT FROM auth.staff WHERE username = 'e2e_replier34');
     INSERT INTO auth.session (token_hash, staff_id, csrf_token)
       SELECT sha256(convert_to('e2e-agent-34-token', 'UTF8')), id, 'e2e' FROM auth.staff WHERE username = 'e2e_replier34'
       ON CONFLICT (token_hash) DO UPDATE SET last_seen_at = now(), created_at = now()" >/dev/null
w_c=$(sql "SELECT p.id FROM social.post p JOIN social.profile a ON a.id = p.author_id
           WHERE p.platform = 'weibo' AND p.kind = 'comment' AND a.external_id <> '$w_uid' ORDER BY p.id LIMIT 1")
w_c_ext=$(sql "SELECT external_id FROM social.post WHERE id = $w_c")
w_c_by=$(sql "SELECT a.handle FROM social.post p JOIN social.profile a ON a.id = p.author_id WHERE p.id = $w_c")
wctl POST faults '{"rules": [{"match": "/weibo/wb1/2/comments/reply.json", "method": "POST", "hold_ms": 5000}]}' >/dev/null
out=$(w_agent "SELECT api.reply('{\"post_id\": $w_c, \"body\": \"谢谢反馈！We will look into it.\"}')")
w_o1=$(jq -r .outbox_id <<<"$out" 2>/dev/null)
eq "api.reply queues the reply to the comment" "$(jq -r .state <<<"$out" 2>/dev/null)" queued
check "Weibo has the comment (its answer is held back)" w_received weibo wb1 1
wstop KILL w1
whv w1
check "after a restart it is looked up first and recorded" w_state "$w_o1" sent
fake=$(wctl GET 'replies?platform=weibo&account=wb1')
eq "Weibo received one request (no blind repeat) and holds one reply" "$(jq -r '[.count, .received] | join(",")' <<<"$fake")" "1,1"
eq "… under the comment, as Weibo writes replies" "$(jq -r '.replies[0] | [.in_reply_to, .text] | join("|")' <<<"$fake")" \
  "$w_c_ext|回复@$w_c_by:谢谢反馈！We will look into it."
eq "the outbox holds Weibo's comment id" "$(sql "SELECT external_id FROM ingest.outbox WHERE id = $w_o1")" "$(jq -r '.replies[0].id' <<<"$fake")"
eq "one stored post for it, under the comment" \
  "$(sql "SELECT count(*) || ' ' || min(p.parent_id) FROM social.post p JOIN ingest.outbox o ON o.external_id = p.external_id WHERE o.id = $w_o1 AND p.platform = 'weibo'")" \
  "1 $w_c"

echo "# WeChat: a customer-service message to the customer who wrote"
wx_token=token-wx1
sql "INSERT INTO social.account (platform, handle, api_base_url, external_id) VALUES ('wechat', 'wx1', '$W_FAKE/wechat/wx1', 'gh_e2e34');
     INSERT INTO social.account_credential (account_id, access_token) SELECT id, '$wx_token' FROM social.account WHERE platform = 'wechat' AND handle = 'wx1'" >/dev/null
wx_acc=$(sql "SELECT id FROM social.account WHERE platform = 'wechat' AND handle = 'wx1'")
# Two inbound messages as the webhook normalizer stores them (sql/436).
for who in oE2E34abcdefghijklmnopqrstuv oSTALEabcdefghijklmnopqrstuv; do
  sql "SELECT ingest.normalize_wechat($wx_acc, 'webhook', ingest.wechat_xml_json(
         '<xml><ToUserName><![CDATA[gh_e2e34]]></ToUserName><FromUserName><![CDATA[$who]]></FromUserName>'
         || '<CreateTime>' || extract(epoch FROM now())::bigint || '</CreateTime><MsgType><![CDATA[text]]></MsgType>'
         || '<Content><![CDATA[你好，订单还没到]]></Content><MsgId>' || (3400000000000000 + length('$who') * 1000 + ascii(substr('$who', 2, 1))) || '</MsgId></xml>'))" >/dev/null
done
wx_m=$(sql "SELECT p.id FROM social.post p JOIN social.profile a ON a.id = p.author_id WHERE p.platform = 'wechat' AND a.external_id = 'oE2E34abcdefghijklmnopqrstuv'")
wx_s=$(sql "SELECT p.id FROM social.post p JOIN social.profile a ON a.id = p.author_id WHERE p.platform = 'wechat' AND a.external_id = 'oSTALEabcdefghijklmnopqrstuv'")
check "the customers' messages are stored ($wx_m, $wx_s)" test -n "$wx_m" -a -n "$wx_s"
wx_o1=$(w_agent "SELECT api.reply('{\"post_id\": $wx_m, \"body\": \"您好，已为您查询，明天送达。\"}')" | jq -r .outbox_id)
check "the reply is sent" w_state "$wx_o1" sent
fake=$(wctl GET 'replies?platform=wechat&account=wx1')
eq "WeChat received exactly one message" "$(jq -r '[.count, .received] | join(",")' <<<"$fake")" "1,1"
eq "… to the customer, with the text" "$(jq -r '.replies[0] | [.in_reply_to, .text] | join("|")' <<<"$fake")" \
  "oE2E34abcdefghijklmnopqrstuv|您好，已为您查询，明天送达。"
eq "it is recorded once, under a synthetic id" \
  "$(sql "SELECT count(*) || ' ' || bool_and(p.external_id = 'wechat-cs-' || o.idempotency_key) FROM ingest.outbox o JOIN social.post p ON p.id = o.post_id WHERE o.id = $wx_o1")" "1 true"
wx_o2=$(w_agent "SELECT api.reply('{\"post_id\": $wx_s, \"body\": \"您好\"}')" | jq -r .outbox_id)
check "a customer silent for 48 hours cannot be answered" w_state "$wx_o2" failed
eq "… at once, saying why" "$(sql "SELECT attempts || ' ' || (last_error LIKE 'WeChat error 45015: the customer has not written%') FROM ingest.outbox WHERE id = $wx_o2")" "1 true"
echo "# WeChat: a send answered with an error is tried again by itself"
# wx_sent TEXT: how many messages with this text WeChat holds; wx_has TEXT: until it holds one.
wx_sent() { wctl GET 'replies?platform=wechat&account=wx1' | jq -r --arg t "$1" '[.replies[] | select(.text == $t)] | length'; }
wx_has() { for _ in $(seq 150); do [ "$(wx_sent "$1")" = 1 ] && return 0; sleep 0.1; done; return 1; }
wctl POST faults '{"rules": [{"match": "/wechat/wx1/cgi-bin/message/custom/send", "method": "POST", "status": 503}]}' >/dev/null
wx_o4=$(w_agent "SELECT api.reply('{\"post_id\": $wx_m, \"body\": \"请稍等\"}')" | jq -r .outbox_id)
check "after WeChat's 503 the entry is queued again, not failed" w_state "$wx_o4" queued
sql "UPDATE ingest.outbox SET next_attempt_at = now() WHERE id = $wx_o4; SELECT pg_notify('parley_jobs', 'outbox')" >/dev/null
check "… and sent on its next attempt (brought forward)" w_state "$wx_o4" sent
eq "… once" "$(wx_sent "请稍等")" 1
eq "… on the second attempt" "$(sql "SELECT attempts FROM ingest.outbox WHERE id = $wx_o4")" 2

echo "# WeChat: killed mid-send, a message is not sent again until staff say so"
# WeChat takes no idempotency key and cannot be asked what was sent.
wctl POST faults '{"rules": [{"match": "/wechat/wx1/cgi-bin/message/custom/send", "method": "POST", "hold_ms": 5000}]}' >/dev/null
wx_o3=$(w_agent "SELECT api.reply('{\"post_id\": $wx_m, \"body\": \"还有别的问题吗？\"}')" | jq -r .outbox_id)
check "WeChat has the message (its answer is held back)" wx_has "还有别的问题吗？"
wstop KILL w1
whv w1
check "after a restart the entry fails instead of being sent again" w_state "$wx_o3" failed
eq "… WeChat still holds it once" "$(wx_sent "还有别的问题吗？")" 1
eq "… and staff are told why and what to do" \
  "$(sql "SELECT attempts || ' ' || (last_error LIKE 'An attempt to send this got no answer, so the reply may have reached the customer already%retry only if the reply is not there.') FROM ingest.outbox WHERE id = $wx_o3")" "2 true"
w_agent "SELECT api.outbox_retry('{\"id\": $wx_o3}')" >/dev/null
check "a retry by staff sends it" w_state "$wx_o3" sent
eq "… once more, as they chose" "$(wx_sent "还有别的问题吗？")" 2
echo "# WeChat: a send whose answer is lost (cut short, as a timeout would) goes to staff too"
wctl POST faults '{"rules": [{"match": "/wechat/wx1/cgi-bin/message/custom/send", "method": "POST", "truncate": true}]}' >/dev/null
wx_o5=$(w_agent "SELECT api.reply('{\"post_id\": $wx_m, \"body\": \"周末也营业\"}')" | jq -r .outbox_id)
check "the entry fails at once, not queued for another try" w_state "$wx_o5" failed
eq "… WeChat holds the message once" "$(wx_sent "周末也营业")" 1
eq "… and staff are told to look before retrying" \
  "$(sql "SELECT attempts || ' ' || (last_error LIKE 'An attempt to send this got no answer, so the reply may have reached the customer already%') FROM ingest.outbox WHERE id = $wx_o5")" "1 true"
check "the token went to WeChat in the URL (so the checks below mean something)" grep -q "access_token=$wx_token" "$PARLEY_VAR/log/fake-platform-34.log"
leaks=$(grep -rlF --exclude='fake-platform*' -- "$wx_token" "$PARLEY_VAR/log" 2>/dev/null)
eq "the token is in no log of Parley's" "$leaks" ""
eq "… nor in the outbox, raw pages, quarantine or stored posts" \
  "$(sql "SELECT (SELECT count(*) FROM ingest.outbox o WHERE to_jsonb(o)::text LIKE '%$wx_token%')
             + (SELECT count(*) FROM ingest.raw_page r WHERE to_jsonb(r)::text LIKE '%$wx_token%')
             + (SELECT count(*) FROM ingest.quarantine q WHERE to_jsonb(q)::text LIKE '%$wx_token%')
             + (SELECT count(*) FROM social.post p WHERE p.platform = 'wechat' AND to_jsonb(p)::text LIKE '%$wx_token%')")" 0
# 40_hooks counts every WeChat direct post: leave none of these behind (no
# case was opened for them; their outbox entries go with them).
sql "DELETE FROM social.post WHERE platform = 'wechat' AND account_id = $wx_acc" >/dev/null
wstop TERM w1
kill "$w_fake_pid" 2>/dev/null; wait "$w_fake_pid" 2>/dev/null
