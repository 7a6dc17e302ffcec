# Replies go back to the platform (issue 5): a harvested mention is answered
# through api.reply, the harvester sends it through the fake platform and
# records it; kill -9 between the platform taking a reply and the answer being
# recorded still ends with one reply; the text limit and a platform's refusal
# end in clear errors.
R_FAKE=http://127.0.0.1:${PARLEY_FAKE_PORT:-18998}
# An earlier part's fake platform may still be on its way out.
for _ in $(seq 50); do curl -fs -o /dev/null "$R_FAKE/_control/health" || break; sleep 0.1; done
node "$PARLEY_ROOT_DIR/tests/fake-platform/server.mjs" --port "${PARLEY_FAKE_PORT:-18998}" >"$PARLEY_VAR/log/fake-platform-50.log" 2>&1 &
r_fake_pid=$!
for _ in $(seq 50); do curl -fs -o /dev/null "$R_FAKE/_control/health" && break; sleep 0.1; done
rctl() { curl -s -X "$1" "$R_FAKE/_control/$2" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
# rhv NAME: a harvester whose pid is kept in $PARLEY_VAR/run/rhv-NAME.pid; rstop SIGNAL NAME.
rhv() {
  as_app bash -c 'echo $$ >"$1"; shift; exec "$@"' rhv "$PARLEY_VAR/run/rhv-$1.pid" \
    env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
    "$PARLEY_BIN" harvest --lease 4 --parallel 2 --name "$1" >>"$PARLEY_VAR/log/harvest-e2e.log" 2>&1 &
  for _ in $(seq 50); do [ -s "$PARLEY_VAR/run/rhv-$1.pid" ] && break; sleep 0.05; done
}
rstop() {
  local pid; pid=$(cat "$PARLEY_VAR/run/rhv-$2.pid" 2>/dev/null) || return 0
  kill "-$1" "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$PARLEY_VAR/run/rhv-$2.pid"
}
# as_agent SQL: runs SQL signed in as the e2e agent; prints errors with their SQLSTATE.
as_agent() { as_app env PGOPTIONS="-c parley.session=e2e-agent-50-token" psql -X -qtA -v VERBOSITY=verbose \
  -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley -c "$1" 2>&1; }
# wait_state ID STATE: until the outbox entry is in that state (at most 15 s).
wait_state() { for _ in $(seq 150); do [ "$(sql "SELECT state FROM ingest.outbox WHERE id = $1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }
wait_received() { # ACCOUNT N: until the fake platform has received N reply requests
  for _ in $(seq 150); do [ "$(rctl GET "replies?account=$1" | jq .received)" = "$2" ] && return 0; sleep 0.1; done; return 1; }

echo "# replies: a harvested mention answered through the outbox"
rctl POST reset '{"accounts": {"reply1": {"notifications": 8, "posts": 3, "max_replies": 1, "followers": 1, "search": 1},
  "reply2.bsky.social": {"notifications": 12, "posts": 3, "max_replies": 2, "followers": 1, "search": 1}}}' >/dev/null
r_mid=$(curl -s -H 'Authorization: Bearer token-reply1' "$R_FAKE/mastodon/reply1/api/v1/accounts/verify_credentials" | jq -r .id)
# Keep the stack's own harvester out: only ours send.
as_app kill -TERM "$(cat "$PARLEY_VAR/run/harvest.pid" 2>/dev/null)" 2>/dev/null; rm -f "$PARLEY_VAR/run/harvest.pid"
sql "INSERT INTO social.account (platform, handle, api_base_url, external_id) VALUES
       ('mastodon', 'reply1', '$R_FAKE/mastodon/reply1', '$r_mid'),
       ('bluesky', 'reply2.bsky.social', '$R_FAKE/bluesky/reply2.bsky.social', NULL),
       ('x', 'reply3', NULL, NULL);
     INSERT INTO social.account_credential (account_id, access_token)
       SELECT id, 'token-' || handle FROM social.account WHERE handle IN ('reply1', 'reply2.bsky.social', 'reply3');
     INSERT INTO ingest.stream (account_id, kind, every)
       SELECT id, 'mentions', '1 day' FROM social.account WHERE handle IN ('reply1', 'reply2.bsky.social');
     SELECT auth.user_add('e2e_replier', 'E2E Replier', 'agent', '\$argon2id\$v=19\$m=19456,t=2,p=1\$x\$y')
       WHERE NOT EXISTS (SELECT FROM auth.staff WHERE username = 'e2e_replier');
     INSERT INTO auth.session (token_hash, staff_id, csrf_token)
       SELECT sha256(convert_to('e2e-agent-50-token', 'UTF8')), id, 'e2e' FROM auth.staff WHERE username = 'e2e_replier'
       ON CONFLICT (token_hash) DO UPDATE SET last_seen_at = now(), created_at = now()" >/dev/null
r_macc=$(sql "SELECT id FROM social.account WHERE handle = 'reply1'")
r_bacc=$(sql "SELECT id FROM social.account WHERE handle = 'reply2.bsky.social'")
rhv r1
for _ in $(seq 100); do
  [ "$(sql "SELECT count(*) FROM ingest.stream WHERE account_id IN ($r_macc, $r_bacc) AND last_success_at IS NOT NULL")" = 2 ] && break
  sleep 0.1
done
# Two mentions by other people on each platform (on Bluesky, replies in a thread, so the root ref matters).
r_m1=$(sql "SELECT id FROM social.post WHERE account_id = $r_macc AND author_id NOT IN (SELECT id FROM social.profile WHERE platform = 'mastodon' AND external_id = '$r_mid') ORDER BY id LIMIT 1")
r_m2=$(sql "SELECT id FROM social.post WHERE account_id = $r_macc AND author_id NOT IN (SELECT id FROM social.profile WHERE platform = 'mastodon' AND external_id = '$r_mid') ORDER BY id OFFSET 1 LIMIT 1")
r_b1=$(sql "SELECT id FROM social.post WHERE account_id = $r_bacc AND kind = 'reply' AND root_external_id <> parent_external_id ORDER BY id LIMIT 1")
[ -z "$r_b1" ] && r_b1=$(sql "SELECT id FROM social.post WHERE account_id = $r_bacc AND kind = 'reply' ORDER BY id LIMIT 1")
check "mentions were harvested on both platforms ($r_m1, $r_m2, $r_b1)" test -n "$r_m1" -a -n "$r_m2" -a -n "$r_b1"

# The composer starts with the author's @acct on Mastodon (only a mention notifies there), not on Bluesky.
eq "the Mastodon composer starts with the author's @acct" "$(as_agent "SELECT api.post('{\"id\": $r_m1}')->'reply'->>'body'")" \
  "@$(sql "SELECT pr.handle FROM social.post q JOIN social.profile pr ON pr.id = q.author_id WHERE q.id = $r_m1") "
eq "… the Bluesky one empty" "$(as_agent "SELECT api.post('{\"id\": $r_b1}')->'reply'->>'body'")" ""
out=$(as_agent "SELECT api.reply('{\"post_id\": $r_m1, \"body\": \"Thanks for telling us! 谢谢 ☕\"}')")
r_o1=$(jq -r .outbox_id <<<"$out" 2>/dev/null)
eq "api.reply queues the reply" "$(jq -r .state <<<"$out" 2>/dev/null)" queued
check "… and the harvester sends it" wait_state "$r_o1" sent
fake=$(rctl GET 'replies?platform=mastodon&account=reply1')
eq "the platform received exactly one reply" "$(jq '[.count, .received] | join(",")' -r <<<"$fake")" "1,1"
eq "… with the text, under the mention" "$(jq -r '.replies[0] | [.text, .in_reply_to] | join("|")' <<<"$fake")" \
  "Thanks for telling us! 谢谢 ☕|$(sql "SELECT external_id FROM social.post WHERE id = $r_m1")"
eq "… and the entry's idempotency key" "$(jq -r '.replies[0].idempotency_key' <<<"$fake")" \
  "$(sql "SELECT idempotency_key FROM ingest.outbox WHERE id = $r_o1")"
eq "the outbox holds the platform's id" "$(sql "SELECT external_id FROM ingest.outbox WHERE id = $r_o1")" "$(jq -r '.replies[0].id' <<<"$fake")"
eq "the reply is stored as a post under the mention" \
  "$(sql "SELECT count(*) || ' ' || min(p.kind) || ' ' || min(p.parent_id) || ' ' || min(p.account_id) FROM social.post p JOIN ingest.outbox o ON o.post_id = p.id AND o.external_id = p.external_id WHERE o.id = $r_o1")" \
  "1 reply $r_m1 $r_macc"

echo "# replies: kill -9 after the platform took the reply, before the answer was recorded"
rctl POST faults '{"rules": [{"match": "/mastodon/reply1/api/v1/statuses", "method": "POST", "hold_ms": 5000}]}' >/dev/null
r_o2=$(as_agent "SELECT api.reply('{\"post_id\": $r_m2, \"body\": \"We are on it.\"}')" | jq -r .outbox_id)
check "the platform has the reply (its answer is held back)" wait_received reply1 2
rstop KILL r1
eq "the entry is not recorded as sent" "$(sql "SELECT state || ' ' || attempts FROM ingest.outbox WHERE id = $r_o2")" "sending 1"
rhv r1
check "after a restart it is sent again and recorded" wait_state "$r_o2" sent
fake=$(rctl GET 'replies?platform=mastodon&account=reply1')
eq "the platform got the same request twice but holds one reply" "$(jq '[.count, .received] | join(",")' -r <<<"$fake")" "2,3"
eq "… which is the one recorded" "$(sql "SELECT external_id || ' ' || attempts FROM ingest.outbox WHERE id = $r_o2")" "$(jq -r '.replies[1].id' <<<"$fake") 2"
eq "one stored post for it" "$(sql "SELECT count(*) FROM social.post WHERE platform = 'mastodon' AND external_id = (SELECT external_id FROM ingest.outbox WHERE id = $r_o2)")" 1

echo "# replies: Bluesky, killed mid-send: the restart looks the record key up first"
rctl POST faults '{"rules": [{"match": "/bluesky/reply2.bsky.social/xrpc/com.atproto.repo.createRecord", "method": "POST", "hold_ms": 5000}]}' >/dev/null
r_o3=$(as_agent "SELECT api.reply('{\"post_id\": $r_b1, \"body\": \"Sorry about that 🙏 我们来处理\"}')" | jq -r .outbox_id)
check "the platform has the record" wait_received reply2.bsky.social 1
rstop KILL r1
rhv r1
check "after a restart it is looked up and recorded" wait_state "$r_o3" sent
fake=$(rctl GET 'replies?platform=bluesky&account=reply2.bsky.social')
eq "Bluesky received one createRecord (no repeat) and holds one reply" "$(jq '[.count, .received] | join(",")' -r <<<"$fake")" "1,1"
eq "… under the mention, with the entry's record key" "$(jq -r '.replies[0] | [.in_reply_to, .rkey] | join(" ")' <<<"$fake")" \
  "$(sql "SELECT t.external_id || ' ' || ingest.outbox_rkey(o.created_at, o.id, o.idempotency_key) FROM ingest.outbox o JOIN social.post t ON t.id = o.in_reply_to WHERE o.id = $r_o3")"
eq "the stored reply has its uri and cid" \
  "$(sql "SELECT p.external_id || ' ' || (p.raw->>'cid') FROM social.post p JOIN ingest.outbox o ON o.post_id = p.id WHERE o.id = $r_o3")" \
  "$(jq -r '.replies[0] | [.id, .cid] | join(" ")' <<<"$fake")"
check "the harvester logged the lookup" grep -q "reply $r_o3 (bluesky) sent as at://" "$PARLEY_VAR/log/harvest-e2e.log"

echo "# replies: a lookup that learned nothing does not lead to a second send"
rctl POST faults '{"rules": [{"match": "/bluesky/reply2.bsky.social/xrpc/com.atproto.repo.createRecord", "method": "POST", "status": 503},
  {"match": "/bluesky/reply2.bsky.social/xrpc/com.atproto.repo.getRecord", "status": 400, "times": 2}]}' >/dev/null
r_b_held=$(rctl GET 'replies?platform=bluesky&account=reply2.bsky.social' | jq .count)
r_o10=$(as_agent "SELECT api.reply('{\"post_id\": $r_b1, \"body\": \"Checking with the team.\"}')" | jq -r .outbox_id)
wait_error() { for _ in $(seq 150); do sql "SELECT last_error FROM ingest.outbox WHERE id = $r_o10 AND state = 'queued'" | grep -q "$1" && return 0; sleep 0.1; done; return 1; }
check "a send answered 503 is queued again" wait_error 503
sql "UPDATE ingest.outbox SET next_attempt_at = now() WHERE id = $r_o10" >/dev/null
check "… its next attempt's lookup is refused without saying 'no such record': it waits instead of sending" \
  wait_error "could not check whether an earlier attempt posted the reply"
eq "… so Bluesky holds no reply for it yet" "$(rctl GET 'replies?platform=bluesky&account=reply2.bsky.social' | jq .count)" "$r_b_held"
sql "UPDATE ingest.outbox SET next_attempt_at = now() WHERE id = $r_o10" >/dev/null
check "… then the lookup says RecordNotFound, and it is sent" wait_state "$r_o10" sent
eq "… once" "$(rctl GET 'replies?platform=bluesky&account=reply2.bsky.social' | jq .count)" "$((r_b_held + 1))"

echo "# replies: Bluesky counts graphemes (what people see as one character), as the platform does"
# 300 of them in 950 code points and 2,810 bytes: family emoji, flags, é as e + U+0301, CR LF.
r_o11=$(as_agent "SELECT api.reply(jsonb_build_object('post_id', $r_b1, 'body',
  repeat('👩‍👩‍👧‍👦', 80) || repeat('🇨🇳', 60) || repeat(E'e\\u0301', 60) || repeat(E'\\r\\n', 50) || repeat('a', 50)))" | jq -r .outbox_id)
check "a reply of 300 graphemes (950 code points) is queued" test -n "$r_o11" -a "$r_o11" != null
check "… and Bluesky takes it" wait_state "$r_o11" sent
eq "… all 950 code points of it" "$(rctl GET 'replies?platform=bluesky&account=reply2.bsky.social' | jq -r '.replies[-1].text | length')" 950

echo "# replies: refusals"
n_before=$(sql "SELECT count(*) FROM ingest.outbox")
long=$(printf 'a%.0s' $(seq 501))
out=$(as_agent "SELECT api.reply('{\"post_id\": $r_m1, \"body\": \"$long\"}')")
has "a reply over Mastodon's 500 characters is refused (PR422)" "$out" "PR422: The reply is 501 characters long; Mastodon allows at most 500."
blong=$(printf '咖%.0s' $(seq 301))
out=$(as_agent "SELECT api.reply('{\"post_id\": $r_b1, \"body\": \"$blong\"}')")
has "… and one over Bluesky's 300" "$out" "PR422: The reply is 301 characters long; Bluesky allows at most 300."
eq "nothing was queued" "$(sql "SELECT count(*) FROM ingest.outbox")" "$n_before"
# Through the web form (a browser session of the same agent): a text-direction override
# (U+202E, which would show the customer "order 4321" reversed) is refused, naming the reply.
r_web=$(printf '50%.0s' $(seq 32))
sql "INSERT INTO auth.session (token_hash, staff_id, csrf_token)
       SELECT sha256(convert_to('$r_web', 'UTF8')), id, 'e2e' FROM auth.staff WHERE username = 'e2e_replier'
       ON CONFLICT (token_hash) DO UPDATE SET last_seen_at = now(), created_at = now()" >/dev/null
printf '127.0.0.1\tFALSE\t/\tFALSE\t0\tparley_session\t%s\n' "$r_web" >"$E2E_TMP/r50.jar"
req r50 GET "/post?id=$r_b1"
post r50 /reply "csrf=$(csrf_of)" "post_id=$r_b1" "body=Your order "$'\xe2\x80\xae'"4321 is on its way"
eq "a reply with a text-direction override is refused through the web (422)" "$STATUS" 422
has "… saying why" "$BODY" "A reply cannot contain text-direction overrides (U+202A to U+202E, U+2066 to U+2069)."
eq "… and nothing was queued" "$(sql "SELECT count(*) FROM ingest.outbox")" "$n_before"
# Back after sending brings the words back into a new form: sent again, they are refused (409), not sent twice.
r_dup=$(sql "INSERT INTO ingest.outbox (account_id, in_reply_to, body, state, sent_at, external_id)
             VALUES ($r_bacc, $r_b1, 'Sent once, thanks!', 'sent', now(), 'e2e-50-sent-once') RETURNING id")
req r50 GET "/post?id=$r_b1"
post r50 /reply "csrf=$(csrf_of)" "post_id=$r_b1" "body=Sent once, thanks!" \
  "idempotency_key=$(sed -n 's/.*name="idempotency_key" value="\([0-9a-f-]*\)".*/\1/p' <<<"$BODY" | head -n1)"
eq "the same reply to the same post from a new form is refused (409)" "$STATUS" 409
has "… saying it is there already" "$BODY" "$(jq -r '.["err.reply_duplicate"]' "$PARLEY_ROOT_DIR/templates/i18n/en.json")"
eq "… and not queued again" "$(sql "SELECT count(*) FROM ingest.outbox WHERE body = 'Sent once, thanks!'")" 1
sql "DELETE FROM ingest.outbox WHERE id = $r_dup" >/dev/null
# The platform's own refusal (the database check bypassed): failed at once, with its words.
r_o4=$(sql "INSERT INTO ingest.outbox (account_id, in_reply_to, body) VALUES ($r_macc, $r_m1, repeat('b', 501)) RETURNING id")
check "a reply the platform refuses fails" wait_state "$r_o4" failed
eq "… at once, with the platform's message" "$(sql "SELECT attempts || ' ' || last_error FROM ingest.outbox WHERE id = $r_o4")" \
  "1 HTTP 422: Validation failed: Text character limit of 500 exceeded"
r_x=$(sql "INSERT INTO social.post (platform, external_id, account_id, body, created_at) VALUES ('x', 'e2e-50-x', (SELECT id FROM social.account WHERE handle = 'reply3'), 'hi', now()) RETURNING id")
out=$(as_agent "SELECT api.reply('{\"post_id\": $r_x, \"body\": \"hello\"}')")
r_o5=$(jq -r .outbox_id <<<"$out" 2>/dev/null)
check "a reply for an account without an API base URL is queued" test -n "$r_o5"
check "… and fails" wait_state "$r_o5" failed
eq "… saying why" "$(sql "SELECT last_error FROM ingest.outbox WHERE id = $r_o5")" "the account has no API base URL"
eq "the platform holds no more replies than before" "$(rctl GET 'replies?account=reply1' | jq .count)" 2
out=$(as_agent "SELECT api.outbox('{\"post_id\": $r_m1}')")
eq "api.outbox lists a post's replies, newest first, with state, error and staff" \
  "$(jq -r '[.entries[] | [.id, .state, (.staff.name // "-"), (.error != null)] | map(tostring) | join(":")] | join(" ")' <<<"$out")" \
  "$r_o4:failed:-:true $r_o1:sent:E2E Replier:false"
echo "# replies: a throttled reply holds the account's other replies until the platform's time"
rctl POST faults '{"rules": [{"match": "/mastodon/reply1/api/v1/statuses", "method": "POST", "status": 429, "retry_after": 4}]}' >/dev/null
r_sent_before=$(rctl GET 'replies?account=reply1' | jq .received)
r_o6=$(as_agent "SELECT api.reply('{\"post_id\": $r_m1, \"body\": \"First, throttled.\"}')" | jq -r .outbox_id)
wait_throttled() { for _ in $(seq 150); do [ "$(sql "SELECT attempts FROM ingest.outbox WHERE id = $r_o6 AND state = 'queued' AND last_error IS NOT NULL")" = 0 ] && return 0; sleep 0.1; done; return 1; }
check "the platform answers the first reply with a 429 (which uses up no attempt)" wait_throttled
r_o7=$(as_agent "SELECT api.reply('{\"post_id\": $r_m2, \"body\": \"Second, held.\"}')" | jq -r .outbox_id)
sleep 1.5
eq "a reply queued meanwhile is not sent while the platform's 4 s run" \
  "$(sql "SELECT state || ' ' || attempts FROM ingest.outbox WHERE id = $r_o7")/$(rctl GET 'replies?account=reply1' | jq .received)" \
  "queued 0/$r_sent_before"
out=$(as_agent "SELECT api.outbox('{\"post_id\": $r_m2}')")
eq "… and says until when it waits" "$(jq -r --argjson id "$r_o7" '.entries[] | select(.id == $id) | (.held_until != null and .held_until == .next_attempt_at)' <<<"$out")" true
check "after that, both are sent" wait_state "$r_o7" sent
check "… the first too" wait_state "$r_o6" sent
eq "… once each" "$(rctl GET 'replies?account=reply1' | jq .count)" 4
echo "# replies: why a queued reply waits, and an account without a token"
sql "UPDATE social.account SET status = 'paused' WHERE id = $r_macc" >/dev/null
r_o8=$(as_agent "SELECT api.reply('{\"post_id\": $r_m2, \"body\": \"Third, paused.\"}')" | jq -r .outbox_id)
sleep 1
out=$(as_agent "SELECT api.outbox('{\"post_id\": $r_m2}')")
eq "a paused account's reply waits, and says why" \
  "$(jq -r --argjson id "$r_o8" '.entries[] | select(.id == $id) | [.state, .waits_paused, .waits_reauth] | map(tostring) | join(" ")' <<<"$out")" \
  "queued true false"
sql "UPDATE social.account SET status = 'active' WHERE id = $r_macc" >/dev/null
check "… and is sent once the account is resumed" wait_state "$r_o8" sent
echo "# replies: a refused token: the account needs a new one, and the reply waits for it"
sql "UPDATE social.account_credential SET access_token = 'revoked' WHERE account_id = $r_macc" >/dev/null
r_o9=$(as_agent "SELECT api.reply('{\"post_id\": $r_m2, \"body\": \"Fourth, refused token.\"}')" | jq -r .outbox_id)
wait_needs_token() { for _ in $(seq 150); do [ "$(sql "SELECT status FROM social.account WHERE id = $r_macc")" = needs_reauth ] && return 0; sleep 0.1; done; return 1; }
check "a reply refused for its token marks the account as needing a new one" wait_needs_token
has "… with the platform's words" "$(sql "SELECT status_message FROM social.account WHERE id = $r_macc")" "The access token is invalid"
out=$(as_agent "SELECT api.outbox('{\"post_id\": $r_m2}')")
eq "… and the reply waits for it, queued, saying why (it did not fail)" \
  "$(jq -r --argjson id "$r_o9" '.entries[] | select(.id == $id) | [.state, .waits_reauth] | map(tostring) | join(" ")' <<<"$out")" "queued true"
sql "UPDATE social.account_credential SET access_token = 'token-reply1' WHERE account_id = $r_macc;
     UPDATE social.account SET status = 'active', status_message = NULL WHERE id = $r_macc" >/dev/null
check "… and is sent once the account has a good token again" wait_state "$r_o9" sent
r_acc4=$(sql "INSERT INTO social.account (platform, handle, api_base_url) VALUES ('mastodon', 'reply4', '$R_FAKE/mastodon/reply4') RETURNING id")
r_p4=$(sql "INSERT INTO social.post (platform, external_id, account_id, body, created_at)
            VALUES ('mastodon', 'e2e-50-m4', $r_acc4, 'hi', now()) RETURNING id")
out=$(as_agent "SELECT api.reply('{\"post_id\": $r_p4, \"body\": \"hello\"}')")
has "an account without an access token cannot queue a reply, and the agent is told who can fix it" "$out" \
  "PR422: The brand account has no access token, so it cannot send replies. An admin or marketer adds one on the Accounts page."
eq "… and nothing was queued" "$(sql "SELECT count(*) FROM ingest.outbox WHERE in_reply_to = $r_p4")" 0
rstop TERM r1
kill "$r_fake_pid" 2>/dev/null; wait "$r_fake_pid" 2>/dev/null
