# Staff web UI end to end: accounts, sign-in, CSRF, sessions, roles, language,
# error pages, throttling, worker crash and reconnect (sourced by run.sh).
PW='Tide-Lantern-4821'

echo "# message catalogs"
catalog_keys() { jq -r 'keys[]' "$PARLEY_ROOT_DIR/templates/i18n/$1.json" | sort; }
eq "both catalogs have the same keys" "$(comm -3 <(catalog_keys en) <(catalog_keys zh-CN) | tr -d '\t' | tr '\n' ' ')" ""
# every key the database raises as a HINT, the worker names, or a template prints
used=$( (grep -ohE "(HINT = |bad_expression\()'err\.[a-z0-9_]+'" "$PARLEY_ROOT_DIR"/sql/*.sql | sed -E "s/^(HINT = |bad_expression\()'//; s/'//"
         grep -ohE '"err\.[a-z0-9_]+"' "$PARLEY_ROOT_DIR"/fcgi/*.c | tr -d '"'
         grep -ohE '\{\{[#^/]?t\.[a-z0-9_.]+\}\}' "$PARLEY_ROOT_DIR"/templates/*.mustache | sed -E 's/\{\{[#^/]?t\.//; s/\}\}//') | sort -u)
eq "every message key in use is in the catalogs" "$(comm -23 <(printf '%s\n' "$used") <(catalog_keys en) | tr '\n' ' ')" ""
# a sentence the database raises with a key is that key's English: else a
# Chinese page shows the translation and the English sentence under it
# (and a rule expression's refusal is its key's English with the {values} to fill)
raised=$(perl -0777 -ne 'while (/MESSAGE\s*=\s*\x27((?:[^\x27]|\x27\x27)*)\x27\s*,\s*HINT\s*=\s*\x27(err\.[a-z0-9_]+)\x27/g) {
                           my ($m, $k) = ($1, $2); $m =~ s/\x27\x27/\x27/g; print "$k\t$m\n" }
                         while (/bad_expression\(\x27(err\.[a-z0-9_]+)\x27,\s*\x27((?:[^\x27]|\x27\x27)*)\x27/g) {
                           my ($k, $m) = ($1, $2); $m =~ s/\x27\x27/\x27/g; print "$k\t$m\n" }' "$PARLEY_ROOT_DIR"/sql/*.sql | sort -u)
eq "each fixed sentence the database raises is its key's English in the catalog" \
   "$(comm -23 <(printf '%s\n' "$raised") <(jq -r 'to_entries[] | "\(.key)\t\(.value)"' "$PARLEY_ROOT_DIR/templates/i18n/en.json" | sort) | tr '\n' ' ')" ""

# every field a route reads has a label for the list of fields to correct
# (field_label in web.c: its own name as a catalog key, or the key it maps to)
label_map=$(grep -oE '\{"[a-z_]+", +"[a-z_.]+"\}' "$PARLEY_ROOT_DIR/fcgi/web.c" | sed -E 's/\{"([a-z_]+)", +"([a-z_.]+)"\}/\1 \2/')
unlabelled=$(for f in $(grep -ohE '\{"[a-z_]+", P_[A-Z]+' "$PARLEY_ROOT_DIR/fcgi/routes.c" | sed -E 's/\{"([a-z_]+)".*/\1/' | sort -u); do
               k=$(awk -v f="$f" '$1 == f { print $2 }' <<<"$label_map"); k=${k:-$f}
               jq -e --arg k "$k" 'has($k)' "$PARLEY_ROOT_DIR/templates/i18n/en.json" >/dev/null || printf '%s ' "$f"
             done)
eq "every field a page or form sends has a label in the catalogs" "$unlabelled" ""

echo "# staff accounts through the CLI"
printf 'short\n' | parley user add e2e_admin --role admin --password-stdin >/dev/null 2>"$E2E_TMP/err"
has "CLI refuses a short password" "$(cat "$E2E_TMP/err")" "too short"
printf 'Password123\n' | parley user add e2e_admin --role admin --password-stdin >/dev/null 2>"$E2E_TMP/err"
has "CLI refuses a common password" "$(cat "$E2E_TMP/err")" "common passwords"
printf '        \n' | parley user add e2e_admin --role admin --password-stdin >/dev/null 2>"$E2E_TMP/err"
has "CLI refuses eight spaces as a password" "$(cat "$E2E_TMP/err")" "too repetitive"
printf '%s\n' "$PW" | parley user add "E2E Upper" --role admin --password-stdin >/dev/null 2>"$E2E_TMP/err"
has "a user name with a space is refused, saying what a name may be" "$(cat "$E2E_TMP/err")" "A user name is 2 to 63 lowercase letters"
hasnt "… without the password's hash in the message" "$(cat "$E2E_TMP/err")" '$argon2id$'
hasnt "… nor in the database's log" "$(tail -n 20 "$PARLEY_VAR/log/postgresql.log")" '$argon2id$'
printf '%s\n' "$PW" | parley user add e2e_admin --role admin --name "E2E Admin" --password-stdin >/dev/null
printf '%s\n' "$PW" | parley user add e2e_analyst --role analyst --name "分析师 Ann" --password-stdin >/dev/null
printf '%s\n' "$PW" | parley user add e2e_victim --role agent --password-stdin >/dev/null
eq "three users exist" "$(sql "SELECT count(*) FROM auth.staff WHERE username LIKE 'e2e_%'")" 3
eq "stored hashes are argon2id with OWASP parameters" \
   "$(sql "SELECT count(*) FROM auth.staff WHERE username LIKE 'e2e_%' AND password_hash LIKE '\$argon2id\$v=19\$m=19456,t=2,p=1\$%'")" 3

printf 'Cli_Temp2026cli_temp\n' | parley user add cli_temp --role agent --password-stdin >/dev/null 2>"$E2E_TMP/err"
has "CLI refuses a password that is mostly the user name" "$(cat "$E2E_TMP/err")" "mostly the user name"
printf '%s\n' "$PW" | parley user add cli_temp --role agent --role admin --password-stdin >/dev/null 2>"$E2E_TMP/err"
has "… a role given twice (the last used to win)" "$(cat "$E2E_TMP/err")" "--role is given twice"
printf '%s\n' "$PW" | parley user add cli_temp --role root --password-stdin >/dev/null 2>"$E2E_TMP/err"
has "… and an unknown role, naming the roles" "$(cat "$E2E_TMP/err")" "the roles are admin, marketer"
printf '%s\n' "$PW" | parley user add CLI_Temp --role agent --password-stdin >/dev/null
eq "a user name typed in capitals is stored as sign-in reads it" "$(sql "SELECT role FROM auth.staff WHERE username = 'cli_temp'")" agent
parley user role CLI_TEMP --role analyst >/dev/null
eq "the role can be changed" "$(sql "SELECT role FROM auth.staff WHERE username = 'cli_temp'")" analyst
out=$(parley user disable cli_temp --role admin 2>&1)
has "an option the command does not take is refused, not ignored" "$out" "does not take that option"
eq "… and nothing changed" "$(sql "SELECT role || ' ' || (disabled_at IS NULL) FROM auth.staff WHERE username = 'cli_temp'")" "analyst true"
parley user disable cli_temp >/dev/null; parley user disable cli_temp >/dev/null
out=$(printf 'Other-Lantern-5512\n' | parley user passwd cli_temp --password-stdin 2>&1)
has "a new password for a disabled user says that it is disabled" "$out" "cli_temp is disabled"
parley user enable cli_temp >/dev/null
eq "… which enable undoes" "$(sql "SELECT disabled_at IS NULL FROM auth.staff WHERE username = 'cli_temp'")" t
eq "each change is audited once" "$(sql "SELECT string_agg(event, ',' ORDER BY id) FROM auth.audit_log
  WHERE staff_id = (SELECT id FROM auth.staff WHERE username = 'cli_temp')")" "user_added,user_role_changed,user_disabled,password_changed,user_enabled"

req tb GET /login
oldtok=$(csrf_of)
post tb /login "csrf=$oldtok" username=cli_temp password=Other-Lantern-5512
post tb /login "csrf=$oldtok" username=cli_temp password=Other-Lantern-5512
eq "a second tab's sign-in form sent after the first signed in leads to the dashboard (not 'form expired')" \
  "$STATUS $(header Location)" "303 /dashboard"
req jc GET /login.json
jtok=$(jq -r .csrf <<<"$BODY")
check "/login.json gives a JSON client the form's token" test -n "$jtok" -a "$jtok" != null
post jc /login.json "csrf=$jtok" username=cli_temp password=Other-Lantern-5512
eq "… with which it signs in" "$(jq -r .ok <<<"$BODY")" true
stok=$(jq -r .csrf <<<"$BODY")
check "… getting the token its session's forms need" test -n "$stok" -a "$stok" != null -a "$stok" != "$jtok"
req jc GET /login.json
eq "… and /login.json then says it is signed in, with that token" "$(jq -r '"\(.signed_in) \(.csrf)"' <<<"$BODY")" "true $stok"
post jc /time-zone.json "csrf=$stok" time_zone=Asia/Shanghai
eq "… with which it sends a form" "$STATUS $(jq -r .time_zone <<<"$BODY")" "200 Asia/Shanghai"

echo "# anonymous"
req anon GET /health
eq "health answers 200" "$STATUS" 200
req anon GET /dashboard
eq "dashboard without a session redirects" "$STATUS" 303
eq "… to the sign-in page, which then leads back to it" "$(header Location)" "/login?next=%2Fdashboard"
printf '%s\n' "$PW" | parley user add e2e_next --role marketer --password-stdin >/dev/null
req nx GET "/accounts?tab=x&y=1"
req nx GET "$(header Location)"
has "the sign-in form carries the page asked for" "$BODY" 'name="next" value="/accounts?tab=x&amp;y=1"'
post nx /login "csrf=$(csrf_of)" username=e2e_next "password=$PW" "next=/accounts?tab=x&y=1"
eq "… and signing in goes there" "$(header Location)" "/accounts?tab=x&y=1"
req nx2 GET /login
post nx2 /login "csrf=$(csrf_of)" username=e2e_next "password=$PW" "next=//evil.example/"
eq "… but never off the site" "$(header Location)" /dashboard
req nx3 GET "/accounts?q=$(head -c 2500 /dev/zero | tr '\0' a)"
eq "an address too long to carry is left out: plain sign-in, not an error page" "$(header Location)" /login
req anon GET /dashboard.json
eq "JSON twin without a session is 401" "$STATUS" 401
eq "… with a JSON error" "$(jq -r .error.status <<<"$BODY")" 401
req fresh GET /login
eq "sign-in page 200" "$STATUS" 200
has "CSP without inline script" "$(header Content-Security-Policy)" "script-src 'self'"
has "frame-ancestors none" "$(header Content-Security-Policy)" "frame-ancestors 'none'"
eq "nosniff" "$(header X-Content-Type-Options)" nosniff
eq "referrer policy" "$(header Referrer-Policy)" same-origin
has "CSRF cookie is HttpOnly and SameSite=Lax" "$(header Set-Cookie)" "HttpOnly; SameSite=Lax"
hasnt "no Secure flag over plain HTTP" "$(header Set-Cookie)" "Secure"
req anon GET /static/parley.css
eq "static file served by nginx" "$STATUS" 200
eq "static file has nosniff too" "$(header X-Content-Type-Options)" nosniff
req anon GET /static/
eq "the static folder is not listed (403)" "$STATUS" 403
eq "… with Parley's own page and headers, not nginx's" "$(header X-Frame-Options)" DENY
has "… in both languages" "$BODY" "您无权执行此操作"
req anon GET /favicon.ico
eq "/favicon.ico, which browsers ask for anyway, is no 404" "$STATUS" 204
req anon GET /static/favicon.svg
eq "… the icon pages link is served" "$STATUS $(header Content-Type)" "200 image/svg+xml"
req anon GET /login
has "… and linked from the layout" "$BODY" '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'

echo "# error pages"
req anon GET /no/such/page
eq "unknown route 404" "$STATUS" 404
has "404 page says so" "$BODY" "There is no such page"
req anon GET /no/such/page -H 'Accept: application/json'
eq "404 JSON twin" "$(jq -r .error.status <<<"$BODY")" 404
req anon GET /no/such/page -H 'Accept-Language: zh-CN,zh;q=0.9'
has "404 page in Chinese" "$BODY" "页面不存在"
req anon GET /static/no-such.css -H 'Accept-Language: zh-CN'
eq "a missing static file is 404" "$STATUS" 404
has "… on Parley's page in both languages" "$BODY" "页面不存在"
eq "… with its security headers" "$(header X-Frame-Options)" DENY
req anon DELETE /dashboard
eq "wrong method 405" "$STATUS" 405
eq "405 names the allowed method" "$(header Allow)" GET
req anon GET '/dashboard?x=%FF'
eq "invalid UTF-8 in the query is 400" "$STATUS" 400
req anon GET '/dashboard?x=%G1'
eq "malformed escape is 400" "$STATUS" 400
req anon GET "/dashboard?q=$(head -c 5000 /dev/zero | tr '\0' a)"
eq "over-long query string is 414" "$STATUS" 414

echo "# sign-in and CSRF"
attempts_before=$(sql "SELECT count(*) FROM auth.login_attempt")
audit_mark=$(sql "SELECT coalesce(max(id), 0) FROM auth.audit_log")
req a GET /login
token=$(csrf_of)
post a /login "username=e2e_admin" "password=$PW"
eq "sign-in without a CSRF token is 403" "$STATUS" 403
post a /login "csrf=$(printf 'f%.0s' {1..64})" "username=e2e_admin" "password=$PW"
eq "sign-in with a stale CSRF token is 403" "$STATUS" 403
req a POST /login -H "Origin: http://evil.example" --data-urlencode "csrf=$token" --data-urlencode "username=e2e_admin" --data-urlencode "password=$PW"
eq "cross-origin POST is 403" "$STATUS" 403
req a POST /login --data-urlencode "csrf=$token" --data-urlencode "username=e2e_admin" --data-urlencode "password=$PW"
eq "POST without Origin or Referer is 403" "$STATUS" 403
eq "rejected requests wrote nothing" "$(sql "SELECT count(*) FROM auth.login_attempt")" "$attempts_before"
eq "… but they are in the audit log, once a minute per address, page and reason (CSRF, Origin)" \
  "$(sql "SELECT count(*) || ' ' || count(DISTINCT detail->>'reason') FROM auth.audit_log
          WHERE id > $audit_mark AND event = 'access_denied' AND detail->>'route' = '/login'")" "2 2"
req a POST /login -H "Origin: $ORIGIN" -H 'Content-Type: application/json' -d '{}'
eq "a non-form body is 415" "$STATUS" 415
req a POST /login -H "Origin: $ORIGIN" --data-binary @<(head -c 850000 /dev/zero | tr '\0' a)
eq "an oversized form (over the worker's 800 KiB) is 413" "$STATUS" 413
req a GET "/dashboard.json?$(printf 'a=1&%.0s' $(seq 300))"
eq "an address with 300 fields is 413…" "$STATUS" 413
has "… saying there are too many fields, not that a form is too large" "$(jq -r .error.message <<<"$BODY")" "too many fields"
# The worker refuses before reading the body: nginx, still sending it, must get the 413, not a reset.
head -c 900000 /dev/zero | tr '\0' a >"$E2E_TMP/form900k"
codes=$(for _ in $(seq 20); do
  curl -s -o /dev/null -w '%{http_code} ' -X POST -H "Origin: $ORIGIN" --data-binary @"$E2E_TMP/form900k" "$BASE/logout"
done)
eq "20 refused 900 KB forms: every one answered 413" "$codes" "$(printf '413 %.0s' $(seq 20))"
# What nginx refuses itself has the same security headers, and says why in both languages or as JSON.
req a POST /language.json -H "Origin: $ORIGIN" --data-binary @<(head -c 1100000 /dev/zero | tr '\0' a)
eq "a body over nginx's 1 MiB: 413 from nginx, as JSON when asked" "$STATUS $(jq -r .error.status <<<"$BODY")" "413 413"
# nginx reads Accept as the worker does: the type named in any case, and q=0 refuses it.
req a POST /language -H "Origin: $ORIGIN" -H "Accept: APPLICATION/JSON" --data-binary @<(head -c 1100000 /dev/zero | tr '\0' a)
has "… asked in capitals, as JSON" "$HEADERS" "Content-Type: application/json"
req a POST /language -H "Origin: $ORIGIN" -H "Accept: text/plain, application/json; q=0" --data-binary @<(head -c 1100000 /dev/zero | tr '\0' a)
has "… refused with q=0, as a page" "$HEADERS" "Content-Type: text/html"
has "… with the CSP" "$HEADERS" "Content-Security-Policy: default-src 'none'"
req a GET "/dashboard?x=$(head -c 20000 /dev/zero | tr '\0' a)"
eq "an address over nginx's limit: 414" "$STATUS" 414
has "… with nosniff" "$HEADERS" "X-Content-Type-Options: nosniff"
has "… and a page in both languages" "$BODY" "网址过长"
post a /login "csrf=$token" "username=e2e_admin" "password=wrong-password"
eq "wrong password is 401" "$STATUS" 401
has "… with the message beside the form" "$BODY" "Wrong user name or password"
has "… keeping the user name" "$BODY" 'value="e2e_admin"'
post a /login "csrf=$token" "username=$(printf 'u%.0s' $(seq 65))" "password=wrong-password"
eq "a user name longer than any is simply a wrong one (401, not 'enter your user name')" "$STATUS" 401
has "… said so" "$BODY" "Wrong user name or password"
post a /login "csrf=$token" "username=<script>alert(1)</script>' OR 1=1 --" "password=x"
eq "SQL and HTML in the user name: plain 401" "$STATUS" 401
hasnt "… and the input is escaped" "$BODY" "<script>alert(1)"
has "… shown as text" "$BODY" "&lt;script&gt;"
post a /login "csrf=$token" "username=e2e_admin" "password=$PW"
eq "correct password signs in" "$STATUS" 303
eq "… and redirects to the dashboard" "$(header Location)" /dashboard
has "session cookie is HttpOnly, SameSite=Lax" "$(grep -i '^Set-Cookie: parley_session' <<<"$HEADERS")" "HttpOnly; SameSite=Lax"
session1=$(cookie a parley_session)
eq "session token is 256 bits of hex" "${#session1}" 64

echo "# the dashboard and its JSON twin"
req a GET /dashboard
eq "dashboard 200" "$STATUS" 200
has "dashboard greets the user" "$BODY" "E2E Admin"
has "… and names the role from the catalog" "$BODY" "E2E Admin · Administrator"
req a GET /dashboard.json
eq "dashboard.json 200" "$STATUS" 200
eq "JSON twin is JSON" "$(header Content-Type)" "application/json; charset=utf-8"
posts=$(sql "SELECT count(*) FROM social.post")
eq "JSON counts match the database" "$(jq -r .counts.posts <<<"$BODY")" "$posts"
req a GET /dashboard -H 'Accept: application/json'
eq "Accept: application/json gives the same document" "$(jq -r .counts.posts <<<"$BODY")" "$posts"
sql "INSERT INTO social.profile (platform, external_id, handle) VALUES ('x', 'e2e-1', 'e2e')" >/dev/null
req a GET /dashboard.json
eq "a new profile shows up in the counts" "$(jq -r .counts.profiles <<<"$BODY")" "$(sql "SELECT count(*) FROM social.profile")"

echo "# sessions: list, revoke, rotation, logout, expiry"
login b e2e_admin "$PW"
eq "second browser signs in" "$STATUS" 303
req a GET /sessions.json
eq "two sessions listed" "$(jq '.sessions | length' <<<"$BODY")" 2
other=$(sql "SELECT s.id FROM auth.session s WHERE s.token_hash = sha256(convert_to('$(cookie b parley_session)', 'UTF8'))")
req a GET /sessions
token=$(csrf_of)
post a /sessions/revoke "csrf=$token" "id=abc"
eq "revoke with a non-numeric id is 422" "$STATUS" 422
has "… naming the field" "$BODY" "id"
req b GET /sessions
b_token=$(csrf_of)   # a form the other browser has open
post a /sessions/revoke "csrf=$token" "id=$other"
eq "revoking the other session redirects back" "$STATUS" 303
req b GET /dashboard
eq "the revoked browser is signed out" "$STATUS" 303
has "… to a sign-in page that says why" "$HEADERS" "Location: /login?why=session_ended"
post b /sessions/revoke "csrf=$b_token" "id=$other"
has "a form sent after the session ended leads to sign-in too, not to 'form expired'" "$HEADERS" "Location: /login?why=session_ended"
req b POST /sessions/revoke -H "Origin: $ORIGIN" -H "Referer: $ORIGIN/sessions?from=form" --data-urlencode "csrf=$b_token" -d "id=$other"
eq "… and sign-in then leads back to the form's page (which fills in what was typed)" "$(header Location)" \
  "/login?why=session_ended&next=%2Fsessions%3Ffrom%3Dform&unsent=1"
req b POST /sessions/revoke -H "Origin: $ORIGIN" -H "Referer: $ORIGIN/sessions/revoke" --data-urlencode "csrf=$b_token" -d "id=$other"
eq "… but not back to an address that is no page (a form's error page has its POST's)" "$(header Location)" "/login?why=session_ended"
req b GET "/login?why=session_ended"
has "… where the page says that the session ended" "$BODY" "Your session has ended. Sign in again."
has "… with the note a kept form shows (hidden until the browser kept one)" "$BODY" 'data-testid="draft-kept" hidden>'
req why GET "/login?why=bogus"
eq "an unknown reason in the sign-in address is no reason: the plain form" "$STATUS" 200
hasnt "… saying nothing of a session" "$BODY" "Your session has ended"
req b POST /sessions/revoke.json -H "Origin: $ORIGIN" --data-urlencode "csrf=$b_token" -d "id=$other"
eq "… and a JSON client gets 401" "$STATUS" 401
has "… saying so" "$BODY" "Your session has ended"
echo "# time zone: pages show times in the staff member's zone"
req a GET /sessions.json
started=$(jq -r '.sessions[0].created_at' <<<"$BODY")
req a GET /sessions
has "times show in UTC at first" "$BODY" "$(date -u -d "$started" '+%Y-%m-%d %H:%M') UTC"
post a /time-zone "csrf=$(csrf_of)" "form_key=$(form_key_of)" "time_zone=Asia/Shanghai"
eq "choosing a zone goes back to the page" "$STATUS" 303
req a GET /sessions
has "the same instant shows in Shanghai time" "$BODY" "$(TZ=Asia/Shanghai date -d "$started" '+%Y-%m-%d %H:%M') CST"
has "… and the form shows the zone chosen" "$BODY" 'name="time_zone" value="Asia/Shanghai"'
req a GET /sessions.json
eq "the JSON twin keeps the instant as it was" "$(jq -r '.sessions[0].created_at' <<<"$BODY")" "$started"
req a GET /sessions
post a /time-zone "csrf=$(csrf_of)" "form_key=$(form_key_of)" "time_zone=../../etc/passwd"
eq "an unknown zone is 422" "$STATUS" 422
has "… saying what to choose" "$BODY" "Unknown time zone"
eq "… and nothing changed" "$(sql "SELECT time_zone FROM auth.staff WHERE username = 'e2e_admin'")" "Asia/Shanghai"
sql "UPDATE auth.staff SET time_zone = 'UTC' WHERE username = 'e2e_admin'" >/dev/null
req a GET /dashboard   # signed in: its forms carry the session's CSRF token
token_before=$(cookie a parley_session)
post a /login "csrf=$(csrf_of)" "username=e2e_admin" "password=$PW"
eq "signing in again from a signed-in browser" "$STATUS" 303
if [ "$(cookie a parley_session)" != "$token_before" ]; then ok "session token rotated on sign-in"; else nok "session token rotated on sign-in"; fi
eq "the old token no longer exists" "$(sql "SELECT count(*) FROM auth.session WHERE token_hash = sha256(convert_to('$token_before', 'UTF8'))")" 0
login c e2e_analyst "$PW"
sql "UPDATE auth.session SET last_seen_at = now() - interval '3 hours' WHERE token_hash = sha256(convert_to('$(cookie c parley_session)', 'UTF8'))" >/dev/null
req c GET /dashboard
eq "an idle-expired session is sent to sign-in" "$STATUS" 303
login c e2e_analyst "$PW"
sql "UPDATE auth.session SET created_at = now() - interval '13 hours' WHERE token_hash = sha256(convert_to('$(cookie c parley_session)', 'UTF8'))" >/dev/null
req c GET /dashboard.json
eq "an absolutely-expired session is 401" "$STATUS" 401

echo "# roles"
login c e2e_analyst "$PW"
req c GET /admin/audit
eq "an analyst may not open the audit log" "$STATUS" 403
has "… and is told why" "$BODY" "Your role may not do this"
eq "… and the refusal is audited with who asked" "$(sql "SELECT s.username FROM auth.audit_log l JOIN auth.staff s ON s.id = l.staff_id
  WHERE l.event = 'access_denied' AND l.detail->>'route' = '/admin/audit' ORDER BY l.id DESC LIMIT 1")" e2e_analyst
req a GET /admin/audit
eq "an admin may" "$STATUS" 200
has "the audit log lists sign-ins, in words" "$BODY" "<td>Signed in</td>"
has "… and the analyst's refusal with its reason in words, not its key" "$BODY" \
  "reason: $(jq -r '."err.forbidden_role"' "$PARLEY_ROOT_DIR/templates/i18n/en.json" | sed "s/'/\&#39;/g")<br>"
req a GET /admin/audit -H 'Accept-Language: zh-CN'
has "… a detail's name in the reader's language" "$BODY" "$(jq -r .audit_detail_reason "$PARLEY_ROOT_DIR/templates/i18n/zh-CN.json"): "
req a GET /admin/audit.json
eq "… and its JSON twin gives each event's detail as an object" "$(jq -r '.events[0].detail | type' <<<"$BODY")" object
req c GET /dashboard
hasnt "an analyst's navigation has no link that would end in a 403 (accounts)" "$BODY" 'href="/accounts"'
has "… but has the pages an analyst may open (rules)" "$BODY" 'href="/rules"'
req a GET /dashboard
has "an admin's has every page" "$BODY" 'href="/accounts"'
req a GET '/admin/audit.json?before=0'
eq "audit log keyset parameter is range-checked" "$STATUS" 422

echo "# language"
req z GET /login -H 'Accept-Language: zh-CN,zh;q=0.9,en;q=0.5'
has "Accept-Language picks Chinese" "$BODY" "登录"
has "html lang attribute" "$BODY" 'lang="zh-CN"'
token=$(csrf_of)
post z /language "csrf=$token" "lang=en" "back=/login"
eq "language switch redirects back" "$(header Location)" /login
req z GET /login -H 'Accept-Language: zh-CN'
has "the chosen language beats Accept-Language" "$BODY" "Sign in"
post z /language "csrf=$token" "lang=fr"
eq "an unsupported language is 422" "$STATUS" 422
post z /language "csrf=$token" "lang=en" "back=//evil.example/"
eq "no open redirect through back=" "$(header Location)" /
# A language chosen on the sign-in page is the person's from then on; a stored one gave way to it only until sign-in.
printf '%s\n' "$PW" | parley user add e2e_lang --role agent --password-stdin >/dev/null
sql "UPDATE auth.staff SET lang = 'en' WHERE username = 'e2e_lang'" >/dev/null
req zl GET /login
post zl /language "csrf=$(csrf_of)" "lang=zh-CN" "back=/login"
login zl e2e_lang "$PW"
has "chosen while signed out, it is kept at sign-in" "$HEADERS" "parley_lang=zh-CN"
req zl GET /dashboard
has "… the dashboard is in it" "$BODY" 'lang="zh-CN"'
eq "… and it is stored as the person's" "$(sql "SELECT lang FROM auth.staff WHERE username = 'e2e_lang'")" zh-CN
login zl2 e2e_lang "$PW"
has "… so another browser gets it at sign-in" "$HEADERS" "parley_lang=zh-CN"
hasnt "… where nothing was chosen, nothing is stored" "$HEADERS" "parley_lang_chosen="
req a GET "/dashboard?period=30&platform=mastodon"
has "the language switch comes back to the page's whole address, its query too" "$BODY" \
  'name="back" value="/dashboard?period=30&amp;platform=mastodon"'
post a /language "csrf=$(csrf_of)" "lang=zh-CN" "back=/dashboard?period=30&platform=mastodon"
eq "… which it does" "$(header Location)" "/dashboard?period=30&platform=mastodon"
req a GET /sessions
req a POST /sessions/revoke -H "Origin: $ORIGIN" -H "Referer: $ORIGIN/sessions" --data-urlencode "csrf=$(csrf_of)" -d id=abc
has "on a form's error page the language switch goes back to the form's page, not to the POST address (a 405)" "$BODY" \
  'name="back" value="/sessions"'
eq "a signed-in language choice is stored" "$(sql "SELECT lang FROM auth.staff WHERE username = 'e2e_admin'")" zh-CN
req a GET /dashboard -H 'Accept-Language: en'
has "… and used for that user" "$BODY" "仪表盘"
req a GET /no-such-page -H 'Accept-Language: en'
eq "an unknown page is 404" "$STATUS" 404
has "… in that user's language" "$BODY" "页面不存在。"
has "… showing who is signed in" "$BODY" 'data-testid="who"'

echo "# throttling"
req t GET /login
token=$(csrf_of)
for i in 1 2 3 4 5; do post t /login "csrf=$token" "username=e2e_victim" "password=nope-$i"; done
post t /login "csrf=$token" "username=e2e_victim" "password=$PW"
eq "after 5 failures the pair is throttled (429)" "$STATUS" 429
has "… with Retry-After" "$HEADERS" "Retry-After:"
has "… and a message" "$BODY" "Too many sign-in attempts"
eq "… and audited" "$(sql "SELECT count(*) > 0 FROM auth.audit_log WHERE event = 'login_throttled' AND detail->>'username' = 'e2e_victim'")" t
eq "… with a reason that has no wait to fill in (the audit page showed {n})" \
  "$(sql "SELECT detail->>'reason' FROM auth.audit_log WHERE event = 'login_throttled' ORDER BY id DESC LIMIT 1")" err.login_held

echo "# logout"
req a GET /dashboard
out_token=$(csrf_of); out_cookie=$(cookie a parley_session)
post a /logout "csrf=$out_token"
eq "logout redirects to sign-in, saying why" "$(header Location)" "/login?why=signed_out"
req a GET "$(header Location)"
check "… where the sign-in page says so" grep -qE "You signed out|您已退出登录" <<<"$BODY"
# a double click: the second request still carries the ended session
req a2 POST /logout -H "Origin: $ORIGIN" -H "Cookie: parley_session=$out_cookie" --data-urlencode "csrf=$out_token"
eq "… and so does the same sign-out sent again (not a 403)" "$STATUS $(header Location)" "303 /login?why=signed_out"
req a GET /dashboard
eq "after logout the dashboard needs a session again" "$STATUS" 303
eq "… the cookie left behind says signed out (it is no session's token)" "$(cookie a parley_session)" "$(printf '0%.0s' $(seq 64))"
post a /time-zone "csrf=$out_token" time_zone=UTC
eq "a form sent from another tab after signing out leads to sign-in…" "$(header Location)" "/login?why=signed_out"
req a GET "/login?why=signed_out"
check "… which says the person signed out (not that the form expired)" grep -qE "You signed out|您已退出登录" <<<"$BODY"

echo "# CLI disable and passwd end sessions"
login d e2e_analyst "$PW"
parley user disable e2e_analyst >/dev/null
req d GET /dashboard
eq "a disabled user's session ends" "$STATUS" 303
login d e2e_analyst "$PW"
eq "a disabled user cannot sign in" "$STATUS" 401

echo "# access log and worker crash"
log=$PARLEY_VAR/log/web.log
has "access log line per request" "$(tail -n 50 "$log")" "route=/dashboard"
if grep -qE 'rid=[0-9a-f]{32} method=GET route=/dashboard status=200 dur_ms=[0-9.]+ user=[0-9]+' "$log"; then
  ok "access log has request id, route, status, duration and user"; else nok "access log format"; fi
master=$(cat "$PARLEY_VAR/run/web.pid")
victim=$(pgrep -P "$master" | head -n1)
kill -KILL "$victim"   # ASan would intercept SEGV; KILL is a crash it cannot
sleep 0.7
codes=""
for i in 1 2 3 4 5 6; do req anon GET /login; codes="$codes$STATUS "; done
eq "requests still succeed after a worker crash" "$codes" "200 200 200 200 200 200 "
has "the crashed worker was replaced" "$(cat "$log")" "killed by signal 9; replacing it"

echo "# hostile requests found in review"
req anon GET '/%FF'
eq "a path that is not UTF-8 is 400" "$STATUS" 400
req anon GET /health -I
eq "HEAD is answered like GET" "$STATUS" 200
req anon GET /login -H 'Host: evil.example'
eq "an unknown Host is refused by nginx (421)" "$STATUS" 421
# (zh-CN, the language e2e_admin already has: chosen while signed out, it is stored at the sign-in below)
req u GET /login
post u /language "csrf=$(csrf_of)" "lang=zh-CN" "back=/	/evil.example"
eq "a tab in back= does not open a redirect" "$(header Location)" /
req u GET /login
post u /language "csrf=$(csrf_of)" "lang=zh-CN" "back=/inbox?tag=退款"
eq "a redirect to an address with Chinese in it goes percent-encoded (a header is ASCII)" "$(header Location)" "/inbox?tag=%E9%80%80%E6%AC%BE"
req u GET /login -A $'Mozilla\xff\xfe'
req u POST /login -A $'Mozilla\xff\xfe' -H "Origin: $ORIGIN" --data-urlencode "csrf=$(csrf_of)" \
  --data-urlencode "username=e2e_admin" --data-urlencode "password=$PW"
eq "a User-Agent that is not UTF-8 does not break sign-in" "$STATUS" 303
codes=$(for i in $(seq 40); do curl -s -o /dev/null -w '%{http_code}\n' "$BASE/login.json" & done; wait)
check "the sign-in rate limit also covers /login.json" grep -q '^429$' <<<"$codes"
sleep 2   # let the rate limit recover
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'parley_web'" >/dev/null
codes=""
for i in $(seq 12); do req a GET /health.json; req anon GET /login; codes="$codes$STATUS "; done
req anon GET /login
eq "after the database drops the workers' connections, pages work again" "$STATUS" 200
n503=$(grep -o 503 <<<"$codes" | wc -l)
eq "… without a 503: a worker finding its connection dropped reconnects and runs the request" "$n503" 0
# (a worker none of those reached holds a dropped connection still: its next request reconnects too)
# (a signed-in page: /login is rate-limited, and the loop above has spent part of its burst)
codes=$(for i in $(seq 12); do curl -s -o /dev/null -w '%{http_code}\n' -b "$E2E_TMP/u.jar" "$BASE/dashboard.json" & done; wait)
eq "… so do concurrent requests that reach every worker" "$(sort -u <<<"$codes" | tr '\n' ' ')" "200 "
if grep -q 'exited with' "$PARLEY_VAR/log/web.log"; then nok "no worker ever exited on input"; else ok "no worker ever exited on input"; fi

echo "# migrate refuses a changed migration"
tmp=$(mktemp -d); chmod 755 "$tmp"
cp -r "$PARLEY_ROOT_DIR/migrations" "$PARLEY_ROOT_DIR/sql" "$tmp/"
echo "-- edited" >>"$tmp/migrations/0002_auth.sql"
out=$(parley migrate --dir "$tmp" 2>&1); rc=$?
rm -rf "$tmp"
check "migrate exits non-zero" test "$rc" -ne 0
has "… saying which migration changed" "$out" "0002_auth.sql has changed"
out=$(parley migrate --dir "$PARLEY_ROOT_DIR" 2>&1)
has "re-running migrate on the real tree is a no-op" "$out" "migrations: 0 applied"
tmp=$(mktemp -d); chmod 755 "$tmp"
cp -r "$PARLEY_ROOT_DIR/migrations" "$PARLEY_ROOT_DIR/sql" "$tmp/"
printf 'CREATE TABLE public.e2e_half (x int);\nCOMMIT;\nSELECT 1/0;\n' >"$tmp/migrations/9999_bad.sql"
out=$(parley migrate --dir "$tmp" 2>&1); rc=$?
rm -rf "$tmp"
check "a migration with COMMIT in it fails" test "$rc" -ne 0
has "… and says the transaction was ended" "$out" "ended the transaction"

echo "# cookies behind TLS: Secure, with the __Host- prefix"
# Straight to the pool over FastCGI, as nginx would pass a request that came over TLS (HTTPS=on).
tls() { as_app env -i REQUEST_METHOD="$1" DOCUMENT_URI="$2" REQUEST_URI="$2" HTTPS=on HTTP_HOST=parley.test \
          REMOTE_ADDR=192.0.2.44 HTTP_ORIGIN=https://parley.test CONTENT_TYPE=application/x-www-form-urlencoded \
          CONTENT_LENGTH=${#3} HTTP_COOKIE="$4" cgi-fcgi -bind -connect "$PARLEY_VAR/run/web.sock" <<<"$3"; }
out=$(tls GET /login "" "")
has "a sign-in form over TLS sets its token's cookie with the __Host- prefix…" "$out" "Set-Cookie: __Host-parley_csrf="
has "… Secure" "$(grep '^Set-Cookie: __Host-parley_csrf=' <<<"$out")" "; Secure"
anon=$(sed -n 's/^Set-Cookie: __Host-parley_csrf=\([0-9a-f]*\);.*Secure.*/\1/p' <<<"$out" | tr -d '\r')
BODY=$out; form=$(csrf_of)
out=$(tls POST /login "csrf=$form&username=e2e_admin&password=$PW" "__Host-parley_csrf=$anon")
has "… signing in with it works" "$out" "Status: 303"
has "… and the session's cookie is __Host- too" "$out" "Set-Cookie: __Host-parley_session="
out=$(tls POST /login "csrf=$form&username=e2e_admin&password=$PW" "parley_csrf=$anon")
has "… a token's cookie without the prefix (one a sibling subdomain could set) is not read there" "$out" "Status: 403"

echo "# the BI role over TCP with the printed URI"
bi_pw=$(cat "$PARLEY_VAR/secrets/bi.pw")
bi_url="postgresql://parley_bi:$bi_pw@127.0.0.1:$PARLEY_PGPORT/parley"
eq "parley_bi connects with its URI" "$(psql -X -qtA "$bi_url" -c 'SELECT current_user' 2>&1)" parley_bi
has "… and cannot read social data" "$(psql -X -qtA "$bi_url" -c 'SELECT count(*) FROM social.post' 2>&1)" "permission denied"
has "… nor the wrong password" "$(psql -X -qtA "postgresql://parley_bi:wrong@127.0.0.1:$PARLEY_PGPORT/parley" -c 'SELECT 1' 2>&1)" "password authentication failed"

echo "# an existing PostgreSQL, given as a libpq URI"
sql "CREATE ROLE e2e_ext_owner LOGIN CREATEROLE" >/dev/null
sql "CREATE DATABASE e2e_ext OWNER e2e_ext_owner" >/dev/null
ext_url="postgresql://e2e_ext_owner@/e2e_ext?host=$PARLEY_VAR/run&port=$PARLEY_PGPORT"
out=$(as_app env PARLEY_DB="$ext_url" "$PARLEY_BIN" migrate --dir "$PARLEY_ROOT_DIR" 2>&1)
has "migrate works against a database named by URI" "$out" "migrations: $(ls "$PARLEY_ROOT_DIR"/migrations/*.sql | wc -l) applied"
printf '%s\n' "$PW" | as_app env PARLEY_DB="$ext_url" "$PARLEY_BIN" user add ext_admin --role admin --password-stdin >/dev/null
eq "… and the CLI too" "$(as_app psql -X -qtA -h "$PARLEY_VAR/run" -p "$PARLEY_PGPORT" -U postgres -d e2e_ext -c "SELECT role FROM auth.staff")" admin
echo "# the whole system on that existing database (no private cluster)"
ext_var=$E2E_TMP/extvar ext_port=$((PARLEY_HTTP_PORT + 7))
while (exec 3<>"/dev/tcp/127.0.0.1/$ext_port") 2>/dev/null; do ext_port=$((ext_port + 1)); done   # a free port
ext_stack() { env PARLEY_DB="$ext_url" PARLEY_VAR="$ext_var" PARLEY_HTTP_PORT="$ext_port" PARLEY_WEB_WORKERS=1 \
                PARLEY_HOOK_WORKERS=1 PARLEY_HOOK_THREADS=1 bash "$PARLEY_ROOT_DIR/tests/lib/stack.sh" "$@"; }
out=$(ext_stack up 2>&1); rc=$?
check "stack.sh up on an existing database starts every program" test "$rc" -eq 0 || printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
eq "… nginx answers through its web pool" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ext_port/login")" 200
has "… and the BI URI it prints names that database" "$(ext_stack uris 2>&1)" "postgresql://parley_bi@/e2e_ext?host=$PARLEY_VAR/run&port=$PARLEY_PGPORT"
ext_stack stop >/dev/null 2>&1
check "… and it stops" bash -c '! curl -s -o /dev/null "http://127.0.0.1:$1/login"' _ "$ext_port"
check "… every program of it" bash -c '! ls "$1"/run/*.pid >/dev/null 2>&1' _ "$ext_var"

echo "# nginx rate-limits sign-in"
codes=$(for i in $(seq 40); do curl -s -o /dev/null -w '%{http_code}\n' "$BASE/login" & done; wait)
check "a burst of 40 sign-in requests meets nginx's limit_req (429)" grep -q '^429$' <<<"$codes"
check "… while the first ones get through" grep -q '^200$' <<<"$codes"
hdrs=$(for i in $(seq 40); do curl -s -o /dev/null -D - "$BASE/login" & done; wait)
check "… and nginx's 429 says when to try again (Retry-After)" grep -qi '^retry-after: 1' <<<"$hdrs"

