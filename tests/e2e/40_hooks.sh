# Webhook intake through nginx → parley hooks → PostgreSQL: every platform's
# handshake and signature (published vectors where there are some), forged,
# truncated, stale, oversized and malformed deliveries, redeliveries and 50
# concurrent copies of one delivery, secret rotation with its overlap, then
# processing through the normalizers with `parley hooks replay`.
WX=$PARLEY_ROOT_DIR/../shared/fixtures/social/wechat
H=$E2E_TMP/hooks
mkdir -p "$H"

# hook METHOD PATH BODYFILE [curl args...]: sets STATUS, BODY (no cookies).
hook() {
  local method=$1 path=$2 file=$3; shift 3
  STATUS=$(curl -s -o "$H/out" -w '%{http_code}' -X "$method" ${file:+--data-binary "@$file"} "$@" "$BASE$path")
  BODY=$(cat "$H/out")
}
hmac_hex() { openssl dgst -sha256 -hmac "$1" -r <"$2" | cut -d' ' -f1; }
hmac_b64() { openssl dgst -sha256 -hmac "$1" -binary <"$2" | base64 -w0; }
inbox() { sql "SELECT count(*) FROM ingest.webhook_inbox"; }
rejected() { sql "SELECT count(*) FROM ingest.webhook_rejection"; }

echo "# webhook intake"
sql "INSERT INTO social.account (platform, handle) VALUES
       ('facebook', 'hooks-page'), ('instagram', 'hooks-ig'), ('x', 'hooks-x'), ('mastodon', 'hooks-m'),
       ('wechat', 'hooks-wx'), ('wechat', 'hooks-wecom'), ('commerce', 'hooks-shop')" >/dev/null
acc() { sql "SELECT id FROM social.account WHERE handle = '$1'"; }
FB=$(acc hooks-page) IG=$(acc hooks-ig) XA=$(acc hooks-x) MA=$(acc hooks-m) WXA=$(acc hooks-wx)
WCA=$(acc hooks-wecom) SHOP=$(acc hooks-shop)
rej0=$(rejected)

# A delivery to an account without any secret cannot be verified.
printf '{"object":"page","entry":[]}' >"$H/empty.json"
hook POST "/hooks/facebook/$FB" "$H/empty.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex x "$H/empty.json")"
eq "no secret set: 401" "$STATUS" 401

# Secrets: set by an admin through the accounts page (write-only).
login h e2e_admin "$PW"
req h GET /accounts
tok=$(csrf_of)
hasnt "accounts page never shows secrets" "$BODY" "app-secret-1"
post h /accounts/webhook-secret "csrf=$tok" "id=$FB" "secret=app-secret-1" "verify_token=verify-me"
eq "admin sets the Facebook page's secret" "$STATUS" 303
req h GET /accounts
has "accounts page shows the endpoint" "$BODY" "/hooks/facebook/$FB"
hasnt "…but not the secret" "$BODY" "app-secret-1"
# (10_web disables e2e_analyst: later parts read with their own analyst)
printf '%s\n' "$PW" | parley user add e2e_reader --role analyst --name "Reader 读者" --password-stdin >/dev/null
login an e2e_reader "$PW"
req an GET /intake
eq "analysts may see the intake page" "$STATUS" 200
post an /accounts/webhook-secret "csrf=$(csrf_of)" "id=$FB" "secret=analyst-secret"
eq "analysts may not set secrets" "$STATUS" 403
sql "SELECT ingest.rotate_webhook_secret($IG, 'app-secret-1', 'verify-me', NULL, NULL, '0');
     SELECT ingest.rotate_webhook_secret($XA, 'x-consumer-secret', NULL, NULL, NULL, '0');
     SELECT ingest.rotate_webhook_secret($MA, 'mastodon-secret', NULL, NULL, NULL, '0');
     SELECT ingest.rotate_webhook_secret($WXA, 'test', NULL, NULL, NULL, '0');
     SELECT ingest.rotate_webhook_secret($WCA, '$(jq -r .message_crypto.token "$WX/vectors.json")', NULL,
            '$(jq -r .message_crypto.encoding_aes_key "$WX/vectors.json")', '$(jq -r .message_crypto.appid "$WX/vectors.json")', '0');
     SELECT ingest.rotate_webhook_secret($SHOP, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', NULL, NULL, NULL, '0')" >/dev/null

# ---- Meta
hook GET "/hooks/facebook/$FB?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444" ""
eq "Meta handshake: 200" "$STATUS" 200
eq "Meta handshake echoes hub.challenge" "$BODY" 1158201444
hdrs=$(curl -s -D - -o /dev/null "$BASE/hooks/facebook/$FB?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444" | tr -d '\r')
has "…with its length given (not chunked)" "$hdrs" "Content-Length: 10"
hook GET "/hooks/facebook/$FB?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1" ""
eq "Meta handshake with a wrong verify token: 403" "$STATUS" 403
cat >"$H/fb.json" <<'EOF'
{"object":"page","entry":[{"id":"1001","time":1732350000,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","post_id":"1001_2002","comment_id":"2002_3003","parent_id":"1001_2002","message":"咖啡很好喝 — great coffee!","from":{"id":"4004","name":"Li Wei"},"created_time":1732350000}}]}]}
EOF
n0=$(inbox)
hook POST "/hooks/facebook/$FB" "$H/fb.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/fb.json")"
eq "signed Meta delivery: 200" "$STATUS" 200
eq "…stored once" "$(inbox)" $((n0 + 1))
hook POST "/hooks/facebook/$FB" "$H/fb.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/fb.json" | tr a-f A-F)"
eq "redelivery (uppercase hex): 200" "$STATUS" 200
eq "…still one row" "$(inbox)" $((n0 + 1))
eq "…counted as a redelivery" "$(sql "SELECT redeliveries FROM ingest.webhook_inbox WHERE account_id = $FB")" 1
n1=$(inbox)
hook POST "/hooks/facebook/$FB" "$H/fb.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex wrong-secret "$H/fb.json")"
eq "forged signature: 401" "$STATUS" 401
has "…with a reason" "$BODY" "does not match any current secret"
hook POST "/hooks/facebook/$FB" "$H/fb.json"
eq "unsigned: 401" "$STATUS" 401
head -c 100 "$H/fb.json" >"$H/fb-cut.json"
hook POST "/hooks/facebook/$FB" "$H/fb-cut.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/fb.json")"
eq "truncated body (signature of the whole): 401" "$STATUS" 401
hook POST "/hooks/instagram/$FB" "$H/fb.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/fb.json")"
eq "an account of another platform: 404" "$STATUS" 404
hook POST "/hooks/facebook/999999999" "$H/fb.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/fb.json")"
eq "unknown account: 404" "$STATUS" 404
hook POST "/hooks/myspace/$FB" "$H/fb.json"
eq "unknown platform: 404" "$STATUS" 404
hook POST "/hooks/facebook/1%27%20OR%201=1" "$H/fb.json"
eq "SQL in the account id: 404" "$STATUS" 404
hook PUT "/hooks/facebook/$FB" "$H/fb.json"
eq "PUT: 405" "$STATUS" 405
hook DELETE "/hooks/facebook/$FB" ""
eq "DELETE: 405" "$STATUS" 405
hook GET "/hooks/mastodon/$MA" ""
eq "GET where the platform has no handshake: 405" "$STATUS" 405
printf '{"object": "page", "entry": [' >"$H/bad.json"
hook POST "/hooks/facebook/$FB" "$H/bad.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/bad.json")"
eq "signed but not JSON: 400" "$STATUS" 400
has "…says why" "$BODY" "not a JSON object"
has "…and where" "$BODY" "at byte 29"
printf '[{"object": "page"}]' >"$H/array.json"
hook POST "/hooks/facebook/$FB" "$H/array.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/array.json")"
eq "signed JSON that is not an object: 400" "$STATUS" 400
has "…says so" "$BODY" "body is not a JSON object (not an object"
# (recorded just after the answer: waited for, a bounded while)
json_refusals() { sql "SELECT count(*) FILTER (WHERE reason = 'body is not a JSON object') || '/' || count(*)
                       FROM ingest.webhook_rejection WHERE reason LIKE 'body is not a JSON object%'"; }
for _ in $(seq 50); do [ "$(json_refusals)" = 2/2 ] && break; sleep 0.1; done
eq "…both recorded as one kind of refusal (counted and translated together), where it went wrong told only to the sender" \
  "$(json_refusals)" 2/2
printf '{"object":"page","x":"\xff\xfe"}' >"$H/latin.json"
hook POST "/hooks/facebook/$FB" "$H/latin.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/latin.json")"
eq "signed but not UTF-8: 400" "$STATUS" 400
head -c $((1536 * 1024)) /dev/zero | tr '\0' 'a' >"$H/big.json"
hook POST "/hooks/facebook/$FB" "$H/big.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/big.json")"
eq "1.5 MiB body: 413 from nginx" "$STATUS" 413
# The worker's own limit and its truncation check, straight on its socket.
fcgi() { # CONTENT_LENGTH then body on stdin
  env REQUEST_METHOD=POST DOCUMENT_URI="/hooks/facebook/$FB" CONTENT_LENGTH="$1" QUERY_STRING= \
    HTTP_X_HUB_SIGNATURE_256="sha256=$(hmac_hex app-secret-1 "$H/fb.json")" \
    cgi-fcgi -bind -connect "$PARLEY_VAR/run/hooks.sock" 2>/dev/null | head -n1 | tr -d '\r'
}
eq "worker: Content-Length over 1 MiB: 413" "$(fcgi 2000000 </dev/null)" "Status: 413"
eq "worker: fewer bytes than announced: 400" "$(fcgi 9999 <"$H/fb.json")" "Status: 400"
eq "no rejection wrote to the inbox" "$(inbox)" "$n1"

# ---- Instagram, with a shape the normalizer will not accept (quarantined later)
printf '{"object":"instagram","entry":"not-a-list"}' >"$H/ig-bad.json"
hook POST "/hooks/instagram/$IG" "$H/ig-bad.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/ig-bad.json")"
eq "Instagram delivery of an unexpected shape is accepted (processing will quarantine it)" "$STATUS" 200

# ---- X Account Activity API
crc=$(printf '%s' 'crc-token-123' >"$H/crc"; hmac_b64 x-consumer-secret "$H/crc")
hook GET "/hooks/x/$XA?crc_token=crc-token-123" ""
eq "X CRC challenge answered" "$(jq -r .response_token <<<"$BODY")" "sha256=$crc"
cat >"$H/x.json" <<'EOF'
{"for_user_id":"5005","tweet_create_events":[{"id_str":"6006","created_at":"Mon Nov 23 10:00:00 +0000 2026","text":"@brand where is my order?","lang":"en","in_reply_to_status_id_str":null,"user":{"id_str":"7007","screen_name":"buyer","name":"A Buyer","followers_count":12,"friends_count":3,"statuses_count":40,"verified":false}}]}
EOF
hook POST "/hooks/x/$XA" "$H/x.json" -H "x-twitter-webhooks-signature: sha256=$(hmac_b64 x-consumer-secret "$H/x.json")"
eq "signed X delivery: 200" "$STATUS" 200
hook POST "/hooks/x/$XA" "$H/x.json" -H "x-twitter-webhooks-signature: sha256=$(hmac_b64 other "$H/x.json")"
eq "forged X delivery: 401" "$STATUS" 401
# The CRC answer is the HMAC a delivery's signature is: a token that is a JSON
# body would have the endpoint sign a forged delivery.
printf '{"for_user_id":"5005","tweet_create_events":[]}' >"$H/x-forged.json"
hook GET "/hooks/x/$XA?crc_token=$(jq -sRr @uri "$H/x-forged.json")" ""
eq "an X CRC token that is not X's kind (a JSON body) is refused: 400" "$STATUS" 400
hasnt "…and nothing is signed" "$BODY" "response_token"

# ---- Mastodon: a status edit delivered before its creation
status_json() { jq -c --arg t "$1" --arg e "$2" '{event: $e, created_at: "2026-11-23T10:00:00.000Z",
  object: (.response.body | fromjson | .content = $t | .id = "880001" | .edited_at = (if $e == "status.updated" then "2026-11-23T10:05:00.000Z" else null end))}' \
  "$PARLEY_ROOT_DIR/../shared/fixtures/social/mastodon/test_status_post_None-public-01.json"; }
status_json "<p>edited text</p>" status.updated >"$H/m-upd.json"
status_json "<p>first text</p>" status.created >"$H/m-new.json"
for f in m-upd m-new; do
  hook POST "/hooks/mastodon/$MA" "$H/$f.json" -H "X-Hub-Signature: sha256=$(hmac_hex mastodon-secret "$H/$f.json")"
  eq "signed Mastodon delivery ($f): 200" "$STATUS" 200
done

# ---- WeChat, plain mode (published vector: token "test")
sig() { printf '%s\n' "$@" | LC_ALL=C sort | tr -d '\n' | sha1sum | cut -d' ' -f1; }
# The published vector is authentic but years old: a replay. The timestamp is
# signed, so only a fresh one (within 5 minutes) is accepted.
hook GET "/hooks/wechat/$WXA?signature=f21891de399b4e33a1a93c9a7b8a8fffb5a443ff&timestamp=1410685589&nonce=test&echostr=hello-wx" ""
eq "WeChat URL check with the published vector (2014): 401 as a replay" "$STATUS" 401
has "…saying the timestamp is stale" "$BODY" "more than 5 minutes"
ts=$(date +%s)
hook GET "/hooks/wechat/$WXA?signature=$(sig test "$ts" test)&timestamp=$ts&nonce=test&echostr=hello-wx" ""
eq "WeChat URL check signed now: echostr" "$BODY" "hello-wx"
hook GET "/hooks/wechat/$WXA?signature=$(sig test "$ts" test | tr 0-9a-f 1-9a-f0)&timestamp=$ts&nonce=test&echostr=hello-wx" ""
eq "…a wrong signature: 401" "$STATUS" 401
old_ts=$((ts - 301))
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$old_ts" n0)&timestamp=$old_ts&nonce=n0" "$WX/messages/text_message.xml"
eq "WeChat message signed 301 s ago: 401" "$STATUS" 401
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" n1)&timestamp=$ts&nonce=n1" "$WX/messages/text_message.xml"
eq "WeChat text message: 200" "$STATUS" 200
eq "…answered success" "$BODY" "success"
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" n2)&timestamp=$ts&nonce=n2" "$WX/messages/text_message.xml"
eq "…resent with a new nonce: 200" "$STATUS" 200
eq "…stored once, keyed by MsgId" "$(sql "SELECT string_agg(delivery_id, ',') FROM ingest.webhook_inbox WHERE account_id = $WXA")" "msg:1234567890123456"
# The plain signature covers no body: a captured URL carries its first body only.
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" n1)&timestamp=$ts&nonce=n1" "$WX/messages/subscribe_event.xml"
eq "a used signature URL with another body: 401 (a replay)" "$STATUS" 401
has "…saying the nonce was used" "$BODY" "already used with another message"
eq "…nothing stored" "$(sql "SELECT count(*) FROM ingest.webhook_inbox WHERE account_id = $WXA")" "1"
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" n1)&timestamp=$ts&nonce=n1" "$WX/messages/text_message.xml"
eq "…with its own body again (WeChat retrying): 200" "$STATUS" 200
eq "…counted as a redelivery" "$(sql "SELECT redeliveries FROM ingest.webhook_inbox WHERE account_id = $WXA")" "2"
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" 'n 1')&timestamp=$ts&nonce=n%201" "$WX/messages/text_message.xml"
eq "a nonce not of WeChat's form: 400" "$STATUS" 400
# The signed values are joined with no separator: nonce 00 with timestamp T
# signs as nonce 0 with timestamp 0T. The claim is the signature's, not the text's.
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" 00)&timestamp=$ts&nonce=00" "$WX/messages/subscribe_event.xml"
eq "a message with nonce 00: 200" "$STATUS" 200
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" 00)&timestamp=0$ts&nonce=0" "$WX/messages/text_message.xml"
eq "…its URL split another way with another body: 401" "$STATUS" 401
has "…as a replay of that signature" "$BODY" "already used with another message"
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" n3)&timestamp=$ts&nonce=n3" "$WX/messages/subscribe_event.xml"
eq "WeChat subscribe event (no MsgId): 200" "$STATUS" 200
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" n4)&timestamp=$ts&nonce=n4" "$H/bad.json"
eq "WeChat body that is not XML: 400" "$STATUS" 400
printf '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><MsgId>1</MsgId><Content>&x;</Content></xml>' >"$H/xxe.xml"
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" n5)&timestamp=$ts&nonce=n5" "$H/xxe.xml"
eq "WeChat XML with an entity declaration: 400" "$STATUS" 400

# ---- WeChat/WeCom safe mode (published AES vectors)
v() { jq -r ".message_crypto.$1" "$WX/vectors.json"; }
uv=url_verification[0]
# The vectors' envelopes, signed again now (msg_signature = SHA-1 of the sorted token, timestamp, nonce, Encrypt).
token=$(v token)
hook GET "/hooks/wechat/$WCA?msg_signature=$(v "$uv.msg_signature")&timestamp=$(v "$uv.timestamp")&nonce=$(v "$uv.nonce")&echostr=$(v "$uv.echostr" | tr -d '\n' | jq -sRr @uri)" ""
eq "encrypted URL check with the published (old) signature: 401 as a replay" "$STATUS" 401
hook GET "/hooks/wechat/$WCA?msg_signature=$(sig "$token" "$ts" "$(v "$uv.nonce")" "$(v "$uv.echostr" | tr -d '\n')")&timestamp=$ts&nonce=$(v "$uv.nonce")&echostr=$(v "$uv.echostr" | tr -d '\n' | jq -sRr @uri)" ""
eq "encrypted URL check signed now: the decrypted echostr" "$BODY" "$(v "$uv.decrypted_echostr")"
dv=decrypt[0]
hook POST "/hooks/wechat/$WCA?msg_signature=$(sig "$token" "$ts" "$(v "$dv.nonce")" "$(v "$dv.encrypt")")&timestamp=$ts&nonce=$(v "$dv.nonce")&encrypt_type=aes" "$WX/messages/encrypted_push_wecom.xml"
eq "encrypted message: 200" "$STATUS" 200
eq "…its decrypted payload stored beside the raw body" \
  "$(sql "SELECT delivery_id || ' ' || (payload LIKE '%<Content><![CDATA[test]]></Content>%') FROM ingest.webhook_inbox WHERE account_id = $WCA")" \
  "msg:4363689963896700987 true"
hook POST "/hooks/wechat/$WCA?msg_signature=0000000000000000000000000000000000000000&timestamp=$ts&nonce=$(v "$dv.nonce")&encrypt_type=aes" "$WX/messages/encrypted_push_wecom.xml"
eq "…with a forged msg_signature: 401" "$STATUS" 401
# The plain signature signs no body and travels in every URL: an account with
# an EncodingAESKey takes envelopes only.
hook POST "/hooks/wechat/$WCA?signature=$(sig "$token" "$ts" p1)&timestamp=$ts&nonce=p1" "$WX/messages/text_message.xml"
eq "a plaintext message to an account with an EncodingAESKey: 401" "$STATUS" 401
has "…saying that it takes encrypted messages only" "$BODY" "only encrypted messages"
sed 's|<MsgId>[0-9]*</MsgId>|<MsgId>1234567890中文</MsgId>|' "$WX/messages/text_message.xml" >"$H/wx-odd-id.xml"
hook POST "/hooks/wechat/$WXA?signature=$(sig test "$ts" n6)&timestamp=$ts&nonce=n6" "$H/wx-odd-id.xml"
eq "a WeChat MsgId that is not WeChat's form: 400 (not a 503 the platform would retry for ever)" "$STATUS" 400
hook GET "/hooks/x/$XA%0Arid=fake%20hook=x/1%20status=200?crc_token=abc" ""
eq "a newline in a webhook path cannot start a forged line in the hooks log" "$(cat "$PARLEY_VAR"/log/hooks*.log | grep -c '^rid=fake')" 0
sleep 1.2   # nginx writes its access log every second
hasnt "webhook query strings (tokens, WeChat signatures) stay out of nginx's access log" \
  "$(cat "$PARLEY_VAR/log/nginx-access.log")" "nonce=p1"

# ---- Standard Webhooks (the brand's shop); published vector first
printf '%s' '{"test": 2432232314}' >"$H/sw-vector.json"
hook POST "/hooks/commerce/$SHOP" "$H/sw-vector.json" -H "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek" \
  -H "webhook-timestamp: 1614265330" -H "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
eq "published vector, years old: refused as stale (401)" "$STATUS" 401
has "…saying so" "$BODY" "5 minutes"
swkey=$(printf '%s' MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | od -An -tx1 | tr -d ' \n')
sw_sign() { # id timestamp file
  { printf '%s.%s.' "$1" "$2"; cat "$3"; } | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$swkey" -binary | base64 -w0; }
printf '{"type":"order.created","timestamp":"2026-11-23T10:00:00Z","data":{"order":"A-1001","email":"li@example.com","total":"42.00"}}' >"$H/order.json"
now=$(date +%s)
hook POST "/hooks/commerce/$SHOP" "$H/order.json" -H "webhook-id: msg_order_1" -H "webhook-timestamp: $now" \
  -H "webhook-signature: v0,abc v1,$(sw_sign msg_order_1 "$now" "$H/order.json")"
eq "Standard Webhooks delivery: 200" "$STATUS" 200
hook POST "/hooks/commerce/$SHOP" "$H/order.json" -H "webhook-id: msg_order_1" -H "webhook-timestamp: $now" \
  -H "webhook-signature: v1,$(sw_sign msg_order_1 "$now" "$H/order.json")"
eq "…replayed with the same id: 200" "$STATUS" 200
eq "…stored once" "$(sql "SELECT count(*) FROM ingest.webhook_inbox WHERE account_id = $SHOP")" 1
old=$((now - 400))
hook POST "/hooks/commerce/$SHOP" "$H/order.json" -H "webhook-id: msg_order_2" -H "webhook-timestamp: $old" \
  -H "webhook-signature: v1,$(sw_sign msg_order_2 "$old" "$H/order.json")"
eq "…signed but 400 s old: 401" "$STATUS" 401
hook POST "/hooks/commerce/$SHOP" "$H/order.json" -H "webhook-id: msg_order_3" -H "webhook-timestamp: $now" \
  -H "webhook-signature: v1,$(sw_sign msg_order_2 "$now" "$H/order.json")"
eq "…signature made for another id: 401" "$STATUS" 401

# ---- the same delivery 50 times at once: stored once
printf '{"object":"page","entry":[{"id":"1001","time":1732350500,"changes":[{"field":"feed","value":{"item":"reaction","verb":"add","post_id":"1001_2002","reaction_type":"like","from":{"id":"4005","name":"Wang Fang"},"created_time":1732350500}}]}]}' >"$H/fb-like.json"
s=$(hmac_hex app-secret-1 "$H/fb-like.json")
seq 50 | xargs -P 50 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST --data-binary "@$H/fb-like.json" \
  -H "X-Hub-Signature-256: sha256=$s" "$BASE/hooks/facebook/$FB" >"$H/par"
eq "50 concurrent copies: all answered 200" "$(sort "$H/par" | uniq -c | awk '{print $1 " " $2}')" "50 200"
eq "…one row, 49 redeliveries" "$(sql "SELECT count(*) || ' ' || sum(redeliveries) FROM ingest.webhook_inbox
  WHERE account_id = $FB AND body LIKE '%reaction%'")" "1 49"

# ---- 120 distinct deliveries, 40 at a time: each stored once, byte for byte
# (deliveries that arrive together are committed together: group commit)
mkdir -p "$H/many"
for i in $(seq 120); do
  printf '{"object":"page","entry":[{"id":"1001","time":%d,"changes":[{"field":"feed","value":{"item":"comment","verb":"add","post_id":"1001_2002","comment_id":"many_%d","parent_id":"1001_2002","message":"say \\"%d\\" \\\\ {a,b} NULL 卢门 😀","from":{"id":"4005","name":"Wang Fang"},"created_time":%d}}]}]}' \
    "$((1732350600 + i))" "$i" "$i" "$((1732350600 + i))" >"$H/many/$i.json"
done
ls "$H/many" | xargs -P 40 -I{} sh -c 'curl -s -o /dev/null -w "%{http_code}\n" -X POST --data-binary "@$1/$2" \
  -H "X-Hub-Signature-256: sha256=$(openssl dgst -sha256 -hmac app-secret-1 -r <"$1/$2" | cut -d" " -f1)" "$3"' \
  _ "$H/many" {} "$BASE/hooks/facebook/$FB" >"$H/many.codes"
eq "120 distinct concurrent deliveries: all answered 200" "$(sort "$H/many.codes" | uniq -c | awk '{print $1 " " $2}')" "120 200"
eq "…each stored once, none counted as a redelivery" "$(sql "SELECT count(*) || ' ' || sum(redeliveries) FROM ingest.webhook_inbox
  WHERE account_id = $FB AND body LIKE '%many\_%'")" "120 0"
eq "…every body stored byte for byte" "$(sql "SELECT md5(string_agg(md5(body), ',' ORDER BY md5(body))) FROM ingest.webhook_inbox
  WHERE account_id = $FB AND body LIKE '%many\_%'")" "$(for f in "$H"/many/*.json; do md5sum <"$f" | cut -d' ' -f1; done | sort | paste -sd, | tr -d '\n' | md5sum | cut -d' ' -f1)"

# ---- rotation: both secrets verify during the overlap; with no overlap only the new one
post h /accounts/webhook-secret "csrf=$tok" "id=$FB" "secret=app-secret-2" "verify_token=verify-me" "overlap_hours=1"
eq "rotate with a 1 hour overlap" "$STATUS" 303
printf '{"object":"page","entry":[]}' >"$H/rot1.json"
hook POST "/hooks/facebook/$FB" "$H/rot1.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-1 "$H/rot1.json")"
eq "old secret inside the overlap: 200" "$STATUS" 200
printf '{"object":"page","entry":[],"n":2}' >"$H/rot2.json"
hook POST "/hooks/facebook/$FB" "$H/rot2.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-2 "$H/rot2.json")"
eq "new secret: 200" "$STATUS" 200
post h /accounts/webhook-secret "csrf=$tok" "id=$FB" "secret=app-secret-3" "overlap_hours=0"
printf '{"object":"page","entry":[],"n":3}' >"$H/rot3.json"
hook POST "/hooks/facebook/$FB" "$H/rot3.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-2 "$H/rot3.json")"
eq "replaced without overlap: the previous secret is refused at once (401)" "$STATUS" 401
hook POST "/hooks/facebook/$FB" "$H/rot3.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-3 "$H/rot3.json")"
eq "…and the new one verifies" "$STATUS" 200
eq "audit log records each change" "$(sql "SELECT count(*) FROM auth.audit_log WHERE event = 'webhook_secret_set'")" 3

# ---- every rejection was counted, none stored
rej=$(( $(rejected) - rej0 ))
eq "rejections counted (one per refused request above)" "$rej" 37
req h GET /intake.json
eq "intake JSON lists Facebook's deliveries in the last 24 h" \
  "$(jq -c '.platforms[] | select(.platform == "facebook") | [.accepted, .redeliveries]' <<<"$BODY")" "[125,50]"
req h GET /intake
has "intake page lists the reasons" "$BODY" "X-Hub-Signature-256 does not match any current secret of this account"
hasnt "intake page never shows a secret" "$BODY" "app-secret"
aes_only="this account has an EncodingAESKey: only encrypted messages (msg_signature) are taken"
aes_key=$(jq -r --arg e "$aes_only" 'to_entries[] | select(.value == $e) | .key' "$PARLEY_ROOT_DIR/templates/i18n/en.json")
has "… each in the reader's language where the catalog knows it" "$BODY" \
  "$(jq -r --arg k "$aes_key" '.[$k]' "$PARLEY_ROOT_DIR/templates/i18n/$(sql "SELECT coalesce(lang, 'en') FROM auth.staff WHERE username = 'e2e_admin'").json")"

# ---- nginx keeps its connections to the hooks workers: a body refused unread (4 KB, sent whole;
# 900 KB, still being sent) must not be taken for the next request, nor reset the connection.
head -c 4000 /dev/zero | tr '\0' a >"$H/4k.json"
head -c 900000 /dev/zero | tr '\0' a >"$H/900k.json"
codes=$(for size in 4k 900k 4k 900k 4k 900k 4k 900k 4k 900k; do
  hook POST "/hooks/facebook/999999999" "$H/$size.json"; printf '%s ' "$STATUS"
  hook POST "/hooks/facebook/$FB" "$H/fb.json" -H "X-Hub-Signature-256: sha256=$(hmac_hex app-secret-3 "$H/fb.json")"
  printf '%s ' "$STATUS"
done)
eq "10 × (a body to an unknown account, then a signed delivery): 404 then 200 each time" "$codes" "$(printf '404 200 %.0s' $(seq 10))"

# ---- processing: the same normalizers as the harvester, replayable
out=$(parley hooks replay 2>&1)
has "replay processes the stored deliveries" "$out" "deliveries processed"
eq "nothing left waiting" "$(sql "SELECT count(*) FROM ingest.webhook_inbox WHERE processed_at IS NULL")" 0
eq "Facebook comment became a post" "$(sql "SELECT kind || ' ' || body FROM social.post WHERE platform = 'facebook' AND external_id = '2002_3003'")" \
  "comment 咖啡很好喝 — great coffee!"
eq "X tweet became a post" "$(sql "SELECT body FROM social.post WHERE platform = 'x' AND external_id = '6006'")" "@brand where is my order?"
eq "Mastodon edit delivered first still ends with the edited text" \
  "$(sql "SELECT body FROM social.post WHERE platform = 'mastodon' AND external_id = '880001'")" "edited text"
eq "WeChat messages became direct posts" "$(sql "SELECT string_agg(body, '|' ORDER BY body) FROM social.post WHERE platform = 'wechat' AND kind = 'direct'")" \
  "test|this is a test"
eq "the shop's order was kept for attribution" "$(sql "SELECT type || ' ' || (data->>'order') FROM crm.brand_event WHERE account_id = $SHOP")" \
  "order.created A-1001"
eq "the malformed Instagram delivery is quarantined" \
  "$(sql "SELECT count(*) FROM ingest.quarantine q JOIN ingest.webhook_inbox w ON w.id = q.webhook_id WHERE w.account_id = $IG AND q.resolved_at IS NULL")" 1
req h GET /quarantine
has "quarantine page lists the delivery" "$BODY" "not-a-list"
posts=$(sql "SELECT count(*) FROM social.post")
out=$(parley hooks replay --since '2000-01-01' 2>&1)
eq "replaying everything again changes nothing" "$(sql "SELECT count(*) FROM social.post")" "$posts"
has "…and reports what it did" "$out" "queued again"

# ---- nginx's rate limit on webhooks answers like every other refusal
for i in $(seq 1500); do printf 'url = "%s"\noutput = "/dev/null"\n' "$BASE/hooks/facebook/0?hub.verify_token=burst-secret"; done >"$H/burst.cfg"
curl -s --parallel --parallel-max 100 -K "$H/burst.cfg" -w '%{http_code} %header{x-content-type-options}\n' >"$H/burst" 2>/dev/null
check "a burst of 1500 webhook requests meets nginx's limit_req (429)" grep -q '^429' "$H/burst"
eq "… with the security headers of Parley's own refusals" "$(grep '^429' "$H/burst" | sort -u)" "429 nosniff"
sleep 1.2   # nginx writes its access log every second
hasnt "… and neither those nginx refused itself nor the others put their query in a log" \
  "$(cat "$PARLEY_VAR/log/nginx-access.log" "$PARLEY_VAR/log/nginx-error.log")" "burst-secret"
sleep 3   # the limit's burst refills (200/s) before anything else posts a webhook
