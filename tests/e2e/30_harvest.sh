# The harvester against the local fake platform server (tests/fake-platform):
# several accounts on two platforms, faults, a kill -9 mid-run, two harvesters
# at once, and exact row counts computed from what the server holds.
FAKE_PORT=${PARLEY_FAKE_PORT:-18998}
FAKE=http://127.0.0.1:$FAKE_PORT
node "$PARLEY_ROOT_DIR/tests/fake-platform/server.mjs" --port "$FAKE_PORT" >"$PARLEY_VAR/log/fake-platform.log" 2>&1 &
fake_pid=$!
for _ in $(seq 50); do curl -fs -o /dev/null "$FAKE/_control/health" && break; sleep 0.1; done
ctl() { curl -s -X "$1" "$FAKE/_control/$2" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
# hv NAME: a harvester in the background; stop_hv SIGNAL NAME signals that very process.
hv() { as_app env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
  "$PARLEY_BIN" harvest --lease 4 --parallel 4 --name "$1" >>"$PARLEY_VAR/log/harvest-e2e.log" 2>&1 & }
stop_hv() { pkill "-$1" -f -- "--name $2\$"; for _ in $(seq 100); do pgrep -f -- "--name $2\$" >/dev/null || return 0; sleep 0.1; done; }

echo "# harvesting Mastodon and Bluesky accounts from the fake platform"
ctl POST reset '{"accounts": {"notifications": 70, "posts": 12, "max_replies": 3, "followers": 90, "search": 25}, "keywords": ["lumen"]}' >/dev/null
m_id=$(curl -s -H 'Authorization: Bearer token-brand1' "$FAKE/mastodon/brand1/api/v1/accounts/verify_credentials" | jq -r .id)
sql "INSERT INTO social.account (platform, handle, api_base_url, external_id) VALUES
       ('mastodon', 'brand1', '$FAKE/mastodon/brand1', '$m_id'),
       ('bluesky', 'lumen.bsky.social', '$FAKE/bluesky/lumen.bsky.social', NULL),
       ('mastodon', 'brand2', '$FAKE/mastodon/brand2', '1');
     INSERT INTO social.account_credential (account_id, access_token)
       SELECT id, 'token-' || handle FROM social.account WHERE handle IN ('brand1', 'lumen.bsky.social', 'brand2');
     INSERT INTO ingest.stream (account_id, kind, query, next_run_at)
       SELECT a.id, k.kind, k.query, now() + interval '1 hour' FROM social.account a,
         (VALUES ('mentions', ''), ('own_posts', ''), ('replies', ''), ('followers', ''), ('search', 'lumen')) k(kind, query)
       WHERE a.handle IN ('brand1', 'lumen.bsky.social')
       UNION ALL SELECT id, 'mentions', '', now() + interval '1 hour' FROM social.account WHERE handle = 'brand2'" >/dev/null
# Keep the stack's own harvester out of this test: only ours lease these streams.
as_app kill -TERM "$(cat "$PARLEY_VAR/run/harvest.pid")" 2>/dev/null; rm -f "$PARLEY_VAR/run/harvest.pid"
ctl POST revoke '{"token": "token-brand2"}' >/dev/null
ctl POST faults '{"rules": [
  {"match": "/mastodon/brand1/api/v1/notifications", "status": 429, "retry_after": 2},
  {"match": "/bluesky/lumen.bsky.social/xrpc/app.bsky.notification.listNotifications", "status": 503, "times": 2},
  {"match": "/mastodon/brand1/api/v1/accounts/'"$m_id"'/statuses", "truncate": true},
  {"match": "/bluesky/lumen.bsky.social/xrpc/app.bsky.feed.searchPosts", "malformed": "json"}]}' >/dev/null
sql "UPDATE ingest.stream SET next_run_at = now()" >/dev/null

expect_m=$(ctl GET 'expected?platform=mastodon&account=brand1')
expect_b=$(ctl GET 'expected?platform=bluesky&account=lumen.bsky.social')
want_posts=$(( $(jq '.statuses_reachable | length' <<<"$expect_m") + $(jq '.statuses_reachable | length' <<<"$expect_b") ))
want_followers=$(( $(jq '.streams.followers | length' <<<"$expect_m") + $(jq '.streams.followers | length' <<<"$expect_b") ))
base_posts=$(sql "SELECT count(*) FROM social.post WHERE platform IN ('mastodon', 'bluesky')")
have_posts() { echo $(( $(sql "SELECT count(*) FROM social.post WHERE platform IN ('mastodon', 'bluesky')") - base_posts )); }
have_followers() { sql "SELECT count(*) FROM social.follower_edge"; }

hv hA
sleep 1.2
stop_hv KILL hA
mid=$(have_posts)
check "the first harvester was killed mid-run ($mid of $want_posts posts)" test "$mid" -lt "$want_posts"
# Killed after fetching the broken search page but before recording it, the
# first harvester used up that fault: arm it again for the ones that follow.
if [ "$(sql "SELECT count(*) FROM ingest.quarantine WHERE platform = 'bluesky' AND endpoint = 'search'")" = 0 ] &&
   [ "$(ctl GET faults | jq '[.pending[] | select(.match | endswith("searchPosts"))] | length')" = 0 ]; then
  ctl POST faults '{"rules": [{"match": "/bluesky/lumen.bsky.social/xrpc/app.bsky.feed.searchPosts", "malformed": "json"}]}' >/dev/null
fi
hv hA
hv hB
for _ in $(seq 240); do
  [ "$(have_posts)" = "$want_posts" ] && [ "$(have_followers)" = "$want_followers" ] &&
    [ "$(sql "SELECT count(*) FROM ingest.stream WHERE lease_owner IS NOT NULL OR next_run_at < now()")" = 0 ] && break
  sleep 0.5
done
eq "after restart every post the server holds is stored exactly once" "$(have_posts)" "$want_posts"
eq "… and every follower edge" "$(have_followers)" "$want_followers"
eq "no post is stored twice" "$(sql "SELECT count(*) - count(DISTINCT (platform, external_id)) FROM social.post")" 0
eq "the revoked account needs re-authorization" "$(sql "SELECT status FROM social.account WHERE handle = 'brand2'")" needs_reauth
has "… with the platform's message" "$(sql "SELECT status_message FROM social.account WHERE handle = 'brand2'")" "The access token is invalid"
eq "the 429 was answered once" "$(ctl GET stats | jq '[.faults[] | select(.url | startswith("/mastodon/brand1/api/v1/notifications"))] | length')" 1
check "… and waited out" grep -q 'throttled: HTTP 429' "$PARLEY_VAR/log/harvest-e2e.log"
check "the 503s were retried after a backoff" grep -q 'server: HTTP 503' "$PARLEY_VAR/log/harvest-e2e.log"
check "… and so was the truncated body" grep -q 'network: Transferred a partial file' "$PARLEY_VAR/log/harvest-e2e.log"
eq "the broken JSON page was quarantined" "$(sql "SELECT count(*) FROM ingest.quarantine WHERE platform = 'bluesky' AND endpoint = 'search'")" 1
eq "quota left is recorded per stream" "$(sql "SELECT count(*) FROM ingest.stream s JOIN social.account a ON a.id = s.account_id WHERE a.handle = 'brand1' AND quota_remaining > 0")" 5
eq "so are the items each stream harvested" \
  "$(sql "SELECT string_agg(kind || ':' || (items_harvested > 0), ' ' ORDER BY kind) FROM ingest.stream s JOIN social.account a ON a.id = s.account_id
          WHERE a.handle = 'brand1' AND kind IN ('followers', 'mentions', 'own_posts')")" "followers:true mentions:true own_posts:true"
ctx=$(jq '[.streams.context[] | length] | add' <<<"$expect_m")
linked=$(sql "SELECT count(*) FROM social.post WHERE platform = 'mastodon' AND parent_id IS NOT NULL")
check "the replies stream stored the threads under the brand's posts, linked ($linked ≥ $ctx)" test "$linked" -ge "$ctx" -a "$ctx" -gt 0

echo "# a post with its thread, a profile, and their JSON twins"
reply=$(sql "SELECT id FROM social.post WHERE platform = 'mastodon' AND parent_id IS NOT NULL ORDER BY id LIMIT 1")
parent=$(sql "SELECT parent_id FROM social.post WHERE id = $reply")
req m GET "/post?id=$reply"
eq "a reply's page opens" "$STATUS" 200
has "… showing the post it answers" "$BODY" "data-testid=\"post-$parent\""
has "… indented below it" "$BODY" "depth-1"
req m GET "/post.json?id=$reply"
eq "the JSON twin has the thread from its root" \
  "$(jq '[.thread[] | select(.focus)] | length' <<<"$BODY")/$(jq '.thread[0].depth' <<<"$BODY")" "1/0"
eq "… and the platform's record as an object, not text" "$(jq -r '.post.raw | type' <<<"$BODY")" object
req m GET "/post?id=$reply"
has "… which the page shows indented" "$BODY" '<pre class="raw">{'
author=$(sql "SELECT author_id FROM social.post WHERE id = $reply")
req m GET "/profile.json?id=$author"
eq "a profile lists its posts" "$(jq "[.posts[] | select(.id == $reply)] | length" <<<"$BODY")" 1
eq "… and its record as an object" "$(jq -r '.profile.raw | type' <<<"$BODY")" object
req m GET "/post?id=999999999"
eq "an unknown post is 404" "$STATUS" 404
req m GET "/profile?id=x"
eq "a malformed id is 422" "$STATUS" 422

echo "# new mentions, two harvesters at once: no page fetched twice"
ctl POST append '{"platform": "mastodon", "account": "brand1", "stream": "mentions", "count": 45}' >/dev/null
ctl POST append '{"platform": "bluesky", "account": "lumen.bsky.social", "stream": "mentions", "count": 60}' >/dev/null
# … while three of brand1's followers and two of lumen's leave.
gone=$( (ctl POST unfollow '{"platform": "mastodon", "account": "brand1", "count": 3}'
         ctl POST unfollow '{"platform": "bluesky", "account": "lumen.bsky.social", "count": 2}') | jq -r '.gone[]' | LC_ALL=C sort | paste -sd,)
before=$(ctl GET stats | jq '.urls')
want_posts=$(( $(ctl GET 'expected?platform=mastodon&account=brand1' | jq '.statuses_reachable | length')
  + $(ctl GET 'expected?platform=bluesky&account=lumen.bsky.social' | jq '.statuses_reachable | length') ))
sql "UPDATE ingest.stream SET next_run_at = now() WHERE account_id IN (SELECT id FROM social.account WHERE handle IN ('brand1', 'lumen.bsky.social'))" >/dev/null
for _ in $(seq 120); do
  [ "$(have_posts)" = "$want_posts" ] &&
    [ "$(sql "SELECT count(*) FROM ingest.stream WHERE lease_owner IS NOT NULL OR next_run_at < now()")" = 0 ] && break
  sleep 0.5
done
eq "the new mentions arrived" "$(have_posts)" "$want_posts"
eq "the walks of the followers lists end the follows of those who left, and no other" \
  "$(sql "SELECT string_agg(p.external_id, ',' ORDER BY p.external_id COLLATE \"C\") FROM social.follower_edge f
          JOIN social.profile p ON p.id = f.profile_id JOIN social.account a ON a.id = f.account_id
          WHERE f.unfollowed_at IS NOT NULL AND a.handle IN ('brand1', 'lumen.bsky.social')")" "$gone"
req m GET "/profile?id=$(sql "SELECT id FROM social.profile WHERE external_id = '${gone%%,*}'")"
has "… and their profile page says so" "$BODY" 'data-testid="unfollowed"'
twice=$(ctl GET stats | jq --argjson b "$before" '[.urls | to_entries[] | select(.value - ($b[.key] // 0) > 1)] | length')
eq "no URL was fetched twice by the two harvesters" "$twice" 0

echo "# a thread the platform refuses is passed over, asked for less and less often, then skipped"
b1=$(sql "SELECT id FROM social.account WHERE handle = 'brand1'")
rs="FROM ingest.stream WHERE account_id = $b1 AND kind = 'replies'"
bad=$(sql "SELECT external_id FROM ingest.reply_threads($b1) ORDER BY id OFFSET 1 LIMIT 1")
good=$(sql "SELECT external_id FROM ingest.reply_threads($b1) ORDER BY id OFFSET 2 LIMIT 1")
ctl POST faults '{"rules": [{"match": "/mastodon/brand1/api/v1/statuses/'"$bad"'/context", "status": 404, "times": -1}]}' >/dev/null
asked() { ctl GET stats | jq --arg u "/mastodon/brand1/api/v1/statuses/$1/context" '.requests[$u] // 0'; }
walks() { # N: that many whole walks of brand1's threads, one after the other
  for _ in $(seq "$1"); do
    sql "UPDATE ingest.stream SET next_run_at = now() WHERE account_id = $b1 AND kind = 'replies'" >/dev/null
    for _ in $(seq 150); do
      [ "$(sql "SELECT lease_owner IS NULL AND next_run_at > now() + interval '1 minute' $rs")" = t ] && break; sleep 0.2
    done
  done
}
bad0=$(asked "$bad") good0=$(asked "$good")
walks 4
eq "in four walks the refused thread was asked for in the 1st, 2nd and 4th" "$(( $(asked "$bad") - bad0 ))" 3
eq "… the threads after it in every one" "$(( $(asked "$good") - good0 ))" 4
req m GET /accounts
hasnt "… its error no longer shown once later threads were read" "$BODY" "Record not found"
# As eight walks later: its next refusal is its fifth.
bad_id=$(sql "SELECT id FROM social.post WHERE platform = 'mastodon' AND external_id = '$bad'")
sql "UPDATE ingest.stream SET state = jsonb_set(state, '{refused,$bad_id}', state->'refused'->'$bad_id' || '{\"n\": 4, \"wait\": 0}')
     WHERE account_id = $b1 AND kind = 'replies'" >/dev/null
walks 2
eq "the fifth refusal skips it: not asked for in the walk after" "$(( $(asked "$bad") - bad0 ))" 4
eq "… while the others go on" "$(( $(asked "$good") - good0 ))" 6
req m GET /accounts
has "… and the accounts page shows its error on the replies stream" "$BODY" "HTTP 404: Record not found"
ctl DELETE faults >/dev/null
sql "UPDATE ingest.stream SET state = '{}' WHERE account_id = $b1 AND kind = 'replies'" >/dev/null

echo "# a base URL that leads inside (a cloud's metadata service) is refused"
inside="FROM ingest.stream s JOIN social.account a ON a.id = s.account_id WHERE a.handle = 'e2e_inside'"
sql "INSERT INTO social.account (platform, handle, api_base_url, external_id) VALUES ('mastodon', 'e2e_inside', 'http://169.254.169.254/latest', '1');
     INSERT INTO social.account_credential (account_id, access_token) SELECT id, 'token-inside' FROM social.account WHERE handle = 'e2e_inside';
     INSERT INTO ingest.stream (account_id, kind, query, next_run_at) SELECT id, 'mentions', '', now() FROM social.account WHERE handle = 'e2e_inside'" >/dev/null
for _ in $(seq 60); do [ -n "$(sql "SELECT last_error $inside")" ] && break; sleep 0.25; done
check "the harvester does not connect to a link-local address, and says why" \
  grep -q 'refused to connect to 169.254.169.254:80: not a public address' "$PARLEY_VAR/log/harvest-e2e.log"
has "… and the stream records why, for the accounts page" "$(sql "SELECT last_error $inside")" "leads to an address that is not public"
req m GET /accounts -H 'Accept-Language: zh-CN'
has "… which the accounts page shows in the reader's language (a stored message the catalog knows)" "$BODY" "API 地址指向非公网地址"
sql "DELETE FROM social.account WHERE handle = 'e2e_inside'" >/dev/null
stop_hv TERM hA; stop_hv TERM hB
check "SIGTERM ends both harvesters cleanly" grep -q 'hB stopped' "$PARLEY_VAR/log/harvest-e2e.log"
kill "$fake_pid" 2>/dev/null
