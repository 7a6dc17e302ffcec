# Brand accounts, `parley import` and the quarantine (sourced by run.sh).
FIX=$(cd "$PARLEY_ROOT_DIR/../shared/fixtures/social" && pwd)
printf '%s\n' "$PW" | parley user add e2e_marketer --role marketer --password-stdin >/dev/null
printf '%s\n' "$PW" | parley user add e2e_agent --role agent --password-stdin >/dev/null

sleep 3   # let nginx's sign-in rate limit recover from the burst tests
echo "# accounts page"
login m e2e_marketer "$PW"
req m GET /accounts
eq "a marketer opens the accounts page" "$STATUS" 200
token=$(csrf_of)
post m /accounts/add "csrf=$token" platform=mastodon handle=e2e_brand "display_name=Brand <b>" \
  api_base_url=http://127.0.0.1:9/mastodon/e2e token=secret-token-e2e "keywords=lumen, 拿铁 ,lumen"
eq "adding an account redirects back" "$(header Location)" /accounts
acc=$(sql "SELECT id FROM social.account WHERE handle = 'e2e_brand'")
eq "default streams plus one search per distinct keyword" \
  "$(sql "SELECT string_agg(kind || ':' || query, ',' ORDER BY kind, query) FROM ingest.stream WHERE account_id = $acc")" \
  "followers:,mentions:,own_posts:,replies:,search:lumen,search:拿铁"
req m GET /accounts
has "the page lists the account" "$BODY" "e2e_brand"
has "… and says the account was saved, once" "$BODY" '<p class="notice" role="status" data-testid="notice">Saved.</p>'
req m GET /accounts
hasnt "… and not on the next load" "$BODY" 'data-testid="notice"'
# a notice cookie set by hand, beside the session (in a jar of its own: curl sends one Cookie header)
with_notice() { rm -f "$E2E_TMP/forge.jar"; req forge GET /accounts -H "Cookie: parley_session=$(cookie m parley_session); parley_notice=$1" "${@:2}"; }
with_notice '%3Cb%3EHacked%3C%2Fb%3E'
hasnt "a forged notice shows no text of its own" "$BODY" 'data-testid="notice"'
hasnt "… not even escaped" "$BODY" 'Hacked'
with_notice 'posts_updated.<b>'
hasnt "… nor a forged count" "$BODY" 'data-testid="notice"'
with_notice 'saved.12'
hasnt "… nor a count where the text has none" "$BODY" 'data-testid="notice"'
with_notice 'posts_updated.12'
has "a count where the text has one is filled in" "$BODY" 'data-testid="notice">Posts updated: 12.</p>'
with_notice deleted -H "Accept-Language: zh-CN"
has "a notice named by the cookie is the catalog's, in the page's language" "$BODY" '<p class="notice" role="status" data-testid="notice">已删除。</p>'
has "… and clears the cookie as it shows it" "$HEADERS" "Set-Cookie: parley_notice=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
has "… escaping its name" "$BODY" "Brand &lt;b&gt;"
hasnt "the token is never shown" "$BODY" "secret-token-e2e"
req m GET /accounts -H "Accept-Language: zh-CN"
has "in Chinese, the account's status is in words" "$BODY" '<span class="badge active">运行中</span>'
has "… and so are its streams" "$BODY" "<td>自有帖子</td>"
has "… and the platforms to add" "$BODY" '<option value="weibo">新浪微博</option>'
hasnt "… no stream code left in English" "$BODY" "<td>own_posts</td>"
req m GET /accounts.json
hasnt "… not even in the JSON twin" "$BODY" "secret-token-e2e"
eq "… which says a token is set" "$(jq -r ".accounts[] | select(.id == $acc) | .has_token" <<<"$BODY")" true
post m /accounts/add "csrf=$token" platform=mastodon handle=e2e_brand api_base_url=http://x
eq "the same account twice is 409" "$STATUS" 409
has "… with a message" "$BODY" "already connected"
post m /accounts/add "csrf=$token" platform=myspace handle=x api_base_url=http://x
eq "an unknown platform is 422" "$STATUS" 422
post m /accounts/add "csrf=$token" platform=mastodon handle=e2e_ftp api_base_url=ftp://x
eq "a non-HTTP base URL is 422" "$STATUS" 422
eq "… and nothing was written" "$(sql "SELECT count(*) FROM social.account WHERE handle IN ('x', 'e2e_ftp')")" 0
# Editing: the instance moved (another host); its streams start over from the top at once.
sql "UPDATE ingest.stream SET state = '{\"max_id\": \"99\"}', next_run_at = now() + interval '1 hour', quota_remaining = 7
     WHERE account_id = $acc" >/dev/null
post m /accounts/edit "csrf=$token" id=$acc "display_name=Brand 品牌" api_base_url=http://localhost:9/mastodon/moved/ external_id=4242
eq "editing an account redirects back" "$STATUS $(header Location)" "303 /accounts"
eq "… and stores the new name, URL (no trailing slash) and platform id" \
  "$(sql "SELECT display_name || '|' || api_base_url || '|' || external_id FROM social.account WHERE id = $acc")" \
  "Brand 品牌|http://localhost:9/mastodon/moved|4242"
# (the stack's harvester may already have tried them: the URL leads nowhere, so they back off a little)
eq "… its streams start over at once, their old positions and quota dropped" \
  "$(sql "SELECT count(*) FROM ingest.stream WHERE account_id = $acc
          AND (state <> '{}' OR next_run_at > now() + interval '30 minutes' OR quota_remaining IS NOT NULL)")" 0
eq "… and its token, issued by the old server, is dropped until the new server's is set" \
  "$(sql "SELECT status || '/' || (SELECT count(*) FROM social.account_credential WHERE account_id = $acc) FROM social.account WHERE id = $acc")" \
  "needs_reauth/0"
req m GET /accounts
has "the page shows the new values in the edit form" "$BODY" 'value="http://localhost:9/mastodon/moved"'
post m /accounts/edit "csrf=$token" id=$acc api_base_url=javascript:alert
eq "a base URL that is not http(s) is 422" "$STATUS" 422
eq "… and nothing changed" "$(sql "SELECT api_base_url FROM social.account WHERE id = $acc")" "http://localhost:9/mastodon/moved"
post m /accounts/edit "csrf=$token" id=999999999 api_base_url=http://x
eq "an unknown account is 404" "$STATUS" 404
post m /accounts/edit "csrf=bad" id=$acc api_base_url=http://x
eq "without the CSRF token it is 403" "$STATUS" 403
post m /accounts/status "csrf=$token" id=$acc status=paused
eq "pause" "$(sql "SELECT status FROM social.account WHERE id = $acc")" paused
post m /accounts/status "csrf=$token" id=$acc status=active
eq "resuming it while it still needs a token (the old server's was dropped) is 409" "$STATUS" 409
eq "… and it stays paused" "$(sql "SELECT status FROM social.account WHERE id = $acc")" paused
post m /accounts/token "csrf=$token" id=$acc token=moved-token
post m /accounts/status "csrf=$token" id=$acc status=active
eq "with a token from the new server, it resumes" "$(sql "SELECT status FROM social.account WHERE id = $acc")" active
# As after a 429: the token's quota is spent (Mastodon counts per token) until a reset ahead.
sql "UPDATE ingest.stream SET quota_remaining = 0, quota_reset_at = now() + interval '20 minutes' WHERE account_id = $acc AND kind = 'mentions'" >/dev/null
req m GET /accounts
has "an account whose token's quota is spent says every stream waits" "$BODY" "data-testid=\"account-quota\""
eq "… until the reset (JSON twin)" \
  "$(req m GET /accounts.json; jq -r ".accounts[] | select(.id == $acc) | .quota_back_at != null" <<<"$BODY")" true
sql "UPDATE ingest.stream SET quota_remaining = NULL, quota_reset_at = NULL WHERE account_id = $acc" >/dev/null
# As after a reply was throttled: the account's replies wait.
sql "UPDATE social.account SET sends_held_until = now() + interval '20 minutes' WHERE id = $acc" >/dev/null
req m GET /accounts
has "an account whose replies the platform throttled says they wait" "$BODY" "data-testid=\"account-replies-held\""
sql "UPDATE social.account SET sends_held_until = NULL WHERE id = $acc" >/dev/null
sql "UPDATE social.account SET status = 'needs_reauth', status_message = 'HTTP 401: The access token is invalid' WHERE id = $acc" >/dev/null
req m GET /accounts
has "an account that needs re-authorization shows the platform's message" "$BODY" "The access token is invalid"
post m /accounts/token "csrf=$token" id=$acc token=fresh-token
eq "a new token re-activates it" "$(sql "SELECT status || '/' || (SELECT access_token FROM social.account_credential WHERE account_id = $acc) FROM social.account WHERE id = $acc")" active/fresh-token
post m /accounts/delete "csrf=$token" id=$acc
eq "a marketer may not delete an account" "$STATUS" 403
req m GET /accounts
hasnt "a marketer's accounts page offers no Delete (admins only)" "$BODY" 'action="/accounts/delete"'
login g e2e_agent "$PW"
req g GET /accounts
eq "an agent may not manage accounts" "$STATUS" 403
login ad e2e_admin "$PW"
req ad GET /accounts
has "… an admin's does" "$BODY" 'action="/accounts/delete"'
has "… behind a first step (a details' summary; the admin reads Chinese)" "$BODY" '<summary data-testid="delete-open">删除…</summary>'
has "… that says what is deleted" "$BODY" \
  '<p data-testid="delete-question"><strong>Mastodon · e2e_brand</strong> — 删除此账号并停止采集？已采集的帖子会保留'
post ad /accounts/delete "csrf=$(csrf_of)" id=$acc
eq "an admin may delete it" "$(sql "SELECT count(*) FROM social.account WHERE id = $acc")" 0
req ad GET /accounts
has "… and the page says it was deleted" "$BODY" 'data-testid="notice">已删除。</p>'
eq "… with its streams" "$(sql "SELECT count(*) FROM ingest.stream WHERE account_id = $acc")" 0

echo "# parley import and the quarantine"
out=$(as_app env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
  "$PARLEY_BIN" import mastodon statuses "$FIX/mastodon/test_fetch_next_previous-12.json" 2>&1); rc=$?
check "importing a recorded Mastodon page succeeds" test "$rc" -eq 0
has "… and reports what it stored" "$out" '"posts":5'
before=$(sql "SELECT count(*) FROM social.post")
as_app env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
  "$PARLEY_BIN" import mastodon statuses "$FIX/mastodon/test_fetch_next_previous-12.json" >/dev/null 2>&1
eq "re-importing adds nothing" "$(sql "SELECT count(*) FROM social.post")" "$before"
eq "a recorded exchange is stored with its request's URL and status" \
  "$(sql "SELECT request_url || ' ' || status FROM ingest.raw_page ORDER BY id DESC LIMIT 1")" \
  "http://localhost:3000/api/v1/accounts/117020565966271181/statuses?limit=5 200"
jq '.response.body |= fromjson | .request.url += "&json-body"' "$FIX/mastodon/test_fetch_next_previous-12.json" >"$E2E_TMP/json-body.json"
chmod 644 "$E2E_TMP/json-body.json"; chmod 755 "$E2E_TMP"
out=$(as_app env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
  "$PARLEY_BIN" import mastodon statuses "$E2E_TMP/json-body.json" 2>&1); rc=$?
eq "a recorded exchange whose body is kept as JSON is imported as its page (nothing new: the same posts)" \
  "$rc $(sql "SELECT count(*) FROM social.post") $(sql "SELECT status || ' ' || (body::jsonb = (SELECT body::jsonb FROM ingest.raw_page WHERE request_url NOT LIKE '%json-body' AND request_url LIKE '%statuses?limit=5' ORDER BY id DESC LIMIT 1)) FROM ingest.raw_page WHERE request_url LIKE '%&json-body'")" \
  "0 $before 200 true"
bad=$E2E_TMP/broken.json
printf '[{"id": "990001", "created_at": "2026-01-01T00:00:00Z", "content": "<p>no account</p>"}]' >"$bad"
chmod 644 "$bad"; chmod 755 "$E2E_TMP"
out=$(as_app env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
  "$PARLEY_BIN" import mastodon statuses "$bad" 2>&1); rc=$?
check "a page of the wrong shape makes import exit non-zero" test "$rc" -ne 0
has "… saying it was quarantined" "$out" "quarantined"
eq "a bare body is stored under its file name" \
  "$(sql "SELECT request_url FROM ingest.raw_page ORDER BY id DESC LIMIT 1")" "$bad"
eq "… and nothing of it was applied" "$(sql "SELECT count(*) FROM social.post WHERE external_id = '990001'")" 0
latin=$E2E_TMP/latin1.json
printf '[{"id": "990002", "content": "caf\xe9"}]' >"$latin"; chmod 644 "$latin"
out=$(as_app env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" \
  "$PARLEY_BIN" import mastodon statuses "$latin" "$FIX/mastodon/test_fetch_next_previous-12.json" 2>&1); rc=$?
check "a file that is not UTF-8 makes import exit non-zero" test "$rc" -ne 0
has "… saying so" "$out" "is not UTF-8 text"
eq "… storing nothing of it" "$(sql "SELECT count(*) FROM ingest.raw_page WHERE request_url = '$latin'")" 0
has "… and going on with the next file" "$out" "test_fetch_next_previous-12.json: {"
imp() { as_app env PARLEY_DB="host=$PARLEY_VAR/run port=$PARLEY_PGPORT dbname=parley user=parley_owner" "$PARLEY_BIN" import "$@" 2>&1; }
pages=$(sql "SELECT count(*) FROM ingest.raw_page")
out=$(imp myspace statuses "$bad"); rc=$?
check "an unknown platform makes import exit non-zero" test "$rc" -ne 0
has "… naming the platforms there are" "$out" "there are: mastodon"
out=$(imp mastodon nonsense "$bad"); rc=$?
has "an unknown endpoint is refused by name, naming the endpoints there are" "$out" "unknown mastodon endpoint 'nonsense' (there are: statuses, status,"
out=$(imp mastodon statuses --account abc "$bad"); rc=$?
has "an account that is not a number is refused" "$out" "--account takes an account id"
out=$(imp mastodon statuses --account 999999999 "$bad"); rc=$?
has "an account that does not exist is refused, saying so" "$out" "there is no account 999999999"
eq "… and none of these stored a page or a quarantine entry" "$(sql "SELECT count(*) FROM ingest.raw_page")" "$pages"
jq -c '.response.status = 429' "$FIX/mastodon/test_fetch_next_previous-12.json" >"$E2E_TMP/throttled.json"
jq -c '.response.status = 99999999999' "$FIX/mastodon/test_fetch_next_previous-12.json" >"$E2E_TMP/odd-status.json"
: >"$E2E_TMP/empty.json"
chmod 644 "$E2E_TMP"/*.json
out=$(imp mastodon statuses "$E2E_TMP" "$E2E_TMP/throttled.json" "$E2E_TMP/odd-status.json" "$E2E_TMP/empty.json" \
  "$FIX/mastodon/test_fetch_next_previous-12.json"); rc=$?
check "files that cannot be imported make import exit non-zero" test "$rc" -ne 0
has "… a directory is named as one" "$out" "is not a regular file"
has "… a recorded error answer is not imported as data" "$out" "it recorded an HTTP 429 answer, not a page of data"
has "… a status out of range is named" "$out" "is not an HTTP status"
has "… an empty file is named" "$out" "empty.json is empty"
has "… and the files after them are still imported" "$out" "test_fetch_next_previous-12.json: {"
eq "… only that one stored" "$(sql "SELECT count(*) FROM ingest.raw_page")" "$((pages + 1))"
qid=$(sql "SELECT max(id) FROM ingest.quarantine WHERE resolved_at IS NULL")
req m GET /quarantine
has "the quarantine page lists it" "$BODY" "quarantine-$qid"
has "… saying why in words" "$BODY" "A field Parley needs is missing or of another type"
has "… with the field the normalizer missed" "$BODY" "<code>mastodon status.account (object expected)</code>"
post m /quarantine/retry "csrf=$(csrf_of)" id=$qid
eq "retrying before the cause is fixed redirects back" "$(header Location)" /quarantine
req m GET /quarantine
has "… where the page says it was retried and still fails" "$BODY" 'data-testid="quarantine-retried"'
sql "UPDATE ingest.raw_page SET body = replace(body, '\"content\"', '\"account\": {\"id\": \"990\", \"acct\": \"fixed\", \"username\": \"fixed\"}, \"content\"') WHERE id = (SELECT raw_page_id FROM ingest.quarantine WHERE id = $qid)" >/dev/null
post m /quarantine/retry "csrf=$(csrf_of)" id=$qid
eq "retrying after the cause is fixed redirects back" "$(header Location)" /quarantine
eq "… applies the page" "$(sql "SELECT count(*) FROM social.post WHERE external_id = '990001'")" 1
eq "… and resolves the entry" "$(sql "SELECT resolved_at IS NOT NULL FROM ingest.quarantine WHERE id = $qid")" t
req m GET /quarantine
post m /quarantine/retry "csrf=$(csrf_of)" id=$qid
eq "retrying a resolved entry (as from a second tab) is 409" "$STATUS" 409
has "… saying it was already done" "$BODY" "already normalized"
req m GET /quarantine
post m /quarantine/retry "csrf=$(csrf_of)" id=999999999
eq "retrying an entry that never was is 404" "$STATUS" 404
