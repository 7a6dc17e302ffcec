# The unified inbox through nginx: one stream over every account (never the
# brand's own posts), each filter, keyset pages, bulk triage with its checks.
echo "# unified inbox"
login ib e2e_admin "$PW"
admin_id=$(sql "SELECT id FROM auth.staff WHERE username = 'e2e_admin'")
ids_of() { jq -r '[.posts[].id] | join(" ")' <<<"$BODY"; }

req ib GET /inbox
eq "inbox page" "$STATUS" 200
check "the inbox shows times as people read them (2026-12-07 05:53 UTC), the machine form in datetime" \
  grep -qE '<time datetime="[0-9]{4}-[0-9]{2}-[0-9]{2}T[^"]+">[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} (UTC|[+-][0-9:]+)</time>' <<<"$BODY"
req ib GET /inbox.json
eq "inbox JSON twin" "$STATUS" 200
first=$(ids_of)
inbound=$(sql "SELECT count(*) FROM social.post q WHERE q.deleted_at IS NULL AND NOT crm.own_profile(q.author_id)")
eq "a full first page (50 of $inbound inbound posts)" "$(jq '.posts | length' <<<"$BODY")" $((inbound < 50 ? inbound : 50))
eq "newest first" "$(jq '[.posts[].created_at] == ([.posts[].created_at] | sort | reverse)' <<<"$BODY")" true
own=$(sql "SELECT count(*) FROM social.post WHERE id IN ($(tr ' ' , <<<"$first")) AND crm.own_profile(author_id)")
eq "the brand's own posts are not in the inbox" "$own" 0
check "own posts exist to be left out" test "$(sql "SELECT count(*) FROM social.post WHERE crm.own_profile(author_id)")" -gt 0

next=$(jq -r .next_before <<<"$BODY")
req ib GET "/inbox.json?before=$next"
second=$(ids_of)
eq "the next keyset page shares no post with the first" \
  "$(comm -12 <(tr ' ' '\n' <<<"$first" | sort) <(tr ' ' '\n' <<<"$second" | sort) | wc -l)" 0
expected_second=$(sql "SELECT string_agg(id::text, ' ' ORDER BY created_at DESC, id DESC) FROM (
  SELECT id, created_at FROM social.post q WHERE q.deleted_at IS NULL AND NOT crm.own_profile(q.author_id)
  ORDER BY created_at DESC, id DESC OFFSET 50 LIMIT 50) x")
eq "… and continues exactly where it stopped" "$second" "$expected_second"

# Listening data for the filters (rules are managed elsewhere; here only their effect).
read -r p1 p2 p3 <<<"$(sql "SELECT string_agg(id::text, ' ') FROM (SELECT id FROM social.post q
  WHERE NOT crm.own_profile(q.author_id) AND q.deleted_at IS NULL ORDER BY id LIMIT 3) x")"
rule=$(sql "INSERT INTO listen.rule (name, category, expression, enabled) VALUES ('e2e late orders', 'complaint', 'late', false)
            RETURNING id")
sql "INSERT INTO listen.match (post_id, rule_id) VALUES ($p1, $rule), ($p2, $rule) ON CONFLICT DO NOTHING;
     INSERT INTO listen.post_signal (post_id, sentiment, label, complaint) VALUES ($p2, -0.8, 'negative', true)
       ON CONFLICT (post_id) DO UPDATE SET sentiment = -0.8, label = 'negative', complaint = true" >/dev/null
req ib GET /rules -H "Accept-Language: zh-CN"
has "a Chinese rules page names a rule's category in Chinese" "$BODY" '<span class="badge">投诉</span>'
has "… and the form's choices" "$BODY" '>不做其他操作</option>'
# An edit form's list fields emptied mean "all" again (an empty field is sent, not left out).
acct=$(sql "SELECT min(id) FROM social.account")
rtok=$(csrf_of)
post ib /rules/save "csrf=$rtok" "id=$rule" "name=e2e late orders" category=complaint expression=late \
  platforms=mastodon "account_ids=$acct" langs=en enabled=off
eq "a rule is limited to a platform, an account and a language" \
  "$STATUS $(sql "SELECT concat_ws('|', platforms, account_ids, langs) FROM listen.rule WHERE id = $rule")" "303 {mastodon}|{$acct}|{en}"
post ib /rules/save "csrf=$rtok" "id=$rule" "name=e2e late orders" category=complaint expression=late \
  platforms= account_ids= langs= enabled=off
eq "… and emptying those fields in the form lifts the limits" \
  "$STATUS $(sql "SELECT concat_ws('|', coalesce(platforms::text, 'all'), coalesce(account_ids::text, 'all'), coalesce(langs::text, 'all')) FROM listen.rule WHERE id = $rule")" \
  "303 all|all|all"
req ib GET "/inbox.json?rule=$rule"
eq "filter by rule" "$(jq -r '[.posts[].id] | sort | join(" ")' <<<"$BODY")" "$(printf '%s\n' "$p1" "$p2" | sort -n | tr '\n' ' ' | sed 's/ $//')"
req ib GET "/inbox.json?category=complaint&rule=$rule"
eq "filter by category" "$(jq '.posts | length' <<<"$BODY")" 2
# A post the sentiment signal flags as a complaint, matched by no complaint rule,
# is a complaint too (the inbox badge, and the dashboard tile's link).
flagged=$(sql "SELECT id FROM social.post q WHERE NOT crm.own_profile(q.author_id) AND q.deleted_at IS NULL
  AND NOT EXISTS (SELECT FROM listen.match m JOIN listen.rule u ON u.id = m.rule_id WHERE m.post_id = q.id AND u.category = 'complaint')
  ORDER BY created_at DESC, id DESC LIMIT 1")
sql "INSERT INTO listen.post_signal (post_id, sentiment, label, complaint) VALUES ($flagged, -0.9, 'negative', true)
       ON CONFLICT (post_id) DO UPDATE SET complaint = true" >/dev/null
req ib GET "/inbox.json?category=complaint"
eq "category=complaint also lists posts flagged as complaints by sentiment" "$(jq '[.posts[].id] | index('"$flagged"') != null' <<<"$BODY")" true
req ib GET "/inbox.json?sentiment=negative&rule=$rule"
eq "filter by sentiment" "$(ids_of)" "$p2"
eq "… with its signal" "$(jq -r '.posts[0].signal.complaint' <<<"$BODY")" true
platform=$(sql "SELECT platform FROM social.post WHERE id = $p1")
req ib GET "/inbox.json?platform=$platform"
eq "filter by platform" "$(jq --arg p "$platform" '[.posts[] | select(.platform != $p)] | length' <<<"$BODY")" 0
account=$(sql "SELECT account_id FROM social.post WHERE account_id IS NOT NULL AND NOT crm.own_profile(author_id) LIMIT 1")
req ib GET "/inbox.json?account=$account&answered=no"
eq "filter by account (with another filter)" "$(ids_of)" "$(sql "SELECT string_agg(id::text, ' ' ORDER BY created_at DESC, id DESC)
  FROM (SELECT id, created_at FROM social.post q WHERE account_id = $account AND deleted_at IS NULL
        AND NOT crm.own_profile(author_id)
        AND NOT EXISTS (SELECT FROM social.post r WHERE r.parent_id = q.id AND crm.own_profile(r.author_id))
        ORDER BY created_at DESC, id DESC LIMIT 50) x")"
check "… which has unanswered posts" test -n "$(ids_of)"
req ib GET "/inbox.json?lang=zh"
zh=$(jq '.posts | length' <<<"$BODY")
check "filter by language finds the Chinese posts" test "$zh" -gt 0
eq "… and only them (zh or zh-*)" "$(jq '[.posts[] | select(.lang != "zh" and (.lang | startswith("zh-") | not))] | length' <<<"$BODY")" 0
zh_ids=$(jq -c '[.posts[].id]' <<<"$BODY")
req ib GET "/inbox.json?lang=ZH"
eq "… a language tag in capitals finds the same (tags are case-insensitive)" "$(jq -c '[.posts[].id]' <<<"$BODY")" "$zh_ids"
req ib GET "/inbox.json?lang=english"
eq "a language that is not a code is 422, not a list silently unfiltered" "$STATUS" 422
has "… saying what a language code looks like (in the reader's language)" "$(jq -r .error.message <<<"$BODY")" "zh-CN"
req ib GET /inbox -H "Accept-Language: zh-CN"
check "in Chinese, sentiment badges are in words" grep -qE '">(正面|中性|负面)</span>' <<<"$BODY"
check "… none left in English" bash -c '! grep -qE "\">(positive|neutral|negative)</span>" <<<"$1"' _ "$BODY"
req ib GET "/inbox.json?category=nonsense"
eq "an unknown category is 422" "$STATUS" 422
req ib GET "/inbox.json?before=abc"
eq "a malformed keyset is 422" "$STATUS" 422

# Answered: a reply by the brand's own account under a post.
brand_profile=$(sql "SELECT pr.id FROM social.profile pr JOIN social.account a ON a.platform = pr.platform
                     AND a.external_id = pr.external_id LIMIT 1")
brand_platform=$(sql "SELECT platform FROM social.profile WHERE id = $brand_profile")
asked=$(sql "SELECT id FROM social.post q WHERE platform = '$brand_platform' AND NOT crm.own_profile(author_id)
             AND deleted_at IS NULL AND NOT EXISTS (SELECT FROM social.post r WHERE r.parent_id = q.id AND crm.own_profile(r.author_id)) ORDER BY created_at DESC LIMIT 1")
sql "INSERT INTO social.post (platform, external_id, author_id, kind, body, created_at, parent_id)
     VALUES ('$brand_platform', 'e2e-brand-answer', $brand_profile, 'reply', 'Thanks, we are on it!', now(), $asked)" >/dev/null
req ib GET "/inbox.json?answered=yes&platform=$brand_platform"
has "answered=yes lists the post the brand replied to" " $(ids_of) " " $asked "
req ib GET "/inbox.json?answered=no&platform=$brand_platform"
hasnt "answered=no does not" " $(ids_of) " " $asked "

echo "# the inbox's page links"
req ib GET /inbox
has "the first page links to the older posts (no stray '&')" "$BODY" "href=\"/inbox?before=$next\" data-testid=\"inbox-older\""
hasnt "… and to no newer ones" "$BODY" 'data-testid="inbox-newest"'
req ib GET "/inbox?before=$next"
has "an older page links back to the newest" "$BODY" 'href="/inbox" data-testid="inbox-newest"'
req ib GET "/inbox?lang=zh-CN&before=$next"
has "… keeping the filters" "$BODY" 'href="/inbox?lang=zh-cn" data-testid="inbox-newest"'

# Bulk triage.
req ib GET "/inbox?lang=zh-CN&before=$next"
has "an older page's bulk form comes back to that page, its filters kept" "$BODY" \
  "name=\"back\" value=\"before=$next&amp;lang=zh-cn\""
tok=$(csrf_of)
post ib /inbox/bulk "csrf=$tok" "ids=$p1" action=unhandled back="before=$next&lang=zh%2DCN"
eq "… and so does the action (an encoded filter kept)" "$STATUS $(header Location)" "303 /inbox?before=$next&lang=zh%2DCN"
post ib /inbox/bulk "csrf=$tok" "ids=$p1" action=assign "staff_id=$(sql "SELECT id FROM auth.staff WHERE username = 'e2e_analyst'")"
eq "posts are not assigned to an analyst, who does not triage them (422)" "$STATUS" 422
post ib /inbox/bulk "csrf=$tok" "ids=$p1" "ids=$p2" action=assign "staff_id=$admin_id" back="rule=$rule"
eq "bulk assign redirects back to the filtered inbox" "$STATUS $(header Location)" "303 /inbox?rule=$rule"
admin_text() { jq -r --arg k "$1" '.[$k]' "$PARLEY_ROOT_DIR/templates/i18n/$(sql "SELECT coalesce(lang, 'en') FROM auth.staff WHERE username = 'e2e_admin'").json"; }
req ib GET "$(header Location)"
has "… which says how many posts it changed, in the admin's language" "$BODY" \
  "<p class=\"notice\" role=\"status\" data-testid=\"notice\">$(admin_text notice_posts_updated | sed 's/{n}/2/')</p>"
req ib GET "/inbox?rule=$rule"
hasnt "… once" "$BODY" 'data-testid="notice"'
req ib GET "/inbox.json?mine=1"
eq "assigned to me: exactly those two" "$(jq -r '[.posts[].id] | sort | join(" ")' <<<"$BODY")" \
  "$(printf '%s\n' "$p1" "$p2" | sort -n | tr '\n' ' ' | sed 's/ $//')"
post ib /inbox/bulk "csrf=$tok" "ids=$p1" action=tag tag="退款"
post ib /inbox/bulk "csrf=$tok" "ids=$p1" action=tag tag="退款"
eq "a tag is added once" "$(sql "SELECT array_to_string(tags, ',') FROM crm.triage WHERE post_id = $p1")" "退款"
post ib /inbox/bulk "csrf=$tok" "ids=$p1" "ids=$p3" "ids=$p3" action=handled
eq "mark handled (a post named twice counts once)" "$STATUS $(sql "SELECT count(*) FROM crm.triage WHERE post_id IN ($p1, $p3) AND handled_at IS NOT NULL")" "303 2"
many=$(sql "SELECT string_agg('ids=' || id, '&') FROM (SELECT id FROM social.post ORDER BY id LIMIT 150) x")
req ib POST /inbox/bulk -H "Origin: $ORIGIN" --data "csrf=$tok&action=tag&tag=bulk150&$many"
eq "a selection of 150 posts (one field each) is taken" "$STATUS $(sql "SELECT count(*) FROM crm.triage WHERE 'bulk150' = ANY (tags)")" "303 150"
many=$(seq 1 201 | sed 's/^/ids=/' | paste -sd '&')
req ib POST /inbox/bulk -H "Origin: $ORIGIN" --data "csrf=$tok&action=handled&$many"
eq "201 posts at once: 422" "$STATUS" 422
has "… saying how many may be selected" "$BODY" \
  "$(jq -r '."err.too_many_ids"' "$PARLEY_ROOT_DIR/templates/i18n/$(sql "SELECT coalesce(lang, 'en') FROM auth.staff WHERE username = 'e2e_admin'").json")"
before=$(sql "SELECT count(*) || '/' || count(handled_at) FROM crm.triage")
post ib /inbox/bulk "csrf=$tok" "ids=$p3" "ids=999999999" action=unhandled
eq "a vanished post in the selection: 404" "$STATUS" 404
eq "… and nothing changed" "$(sql "SELECT count(*) || '/' || count(handled_at) FROM crm.triage")" "$before"
post ib /inbox/bulk "csrf=$tok" "ids=1 OR 1=1" action=handled
eq "a malformed id: 422" "$STATUS" 422
req ib POST /inbox/bulk -H "Origin: $ORIGIN" -H "Referer: $BASE/inbox?before=$next&lang=zh-CN" \
  --data-urlencode "csrf=$tok" --data-urlencode action=handled --data-urlencode "back=before=$next&lang=zh-CN"
eq "nothing ticked: 422" "$STATUS" 422
has "… saying to tick a post, in the admin's language" "$BODY" "data-testid=\"error-message\">$(admin_text err.bulk_none)</p>"
hasnt "… not as a form's field error" "$BODY" 'class="field-errors"'
has "… with a way back to the inbox page it came from, its filters kept" "$BODY" \
  "href=\"/inbox?before=$next&amp;lang=zh-CN\" data-testid=\"error-back\""
post ib /inbox/bulk "csrf=$tok" "ids=$p1" action=tag "tag=$(printf 'x%.0s' {1..41})"
eq "a tag over 40 characters: 422" "$STATUS" 422
post ib /inbox/bulk "ids=$p1" action=handled
eq "without the CSRF token: 403" "$STATUS" 403
login ia e2e_reader "$PW"
req ia GET /inbox
eq "analysts may read the inbox" "$STATUS" 200
hasnt "… without bulk actions on the page" "$BODY" 'action="/inbox/bulk"'
post ia /inbox/bulk "csrf=$(csrf_of)" "ids=$p3" action=handled
eq "… but not triage it" "$STATUS" 403
req ib GET /rules
has "a rule's Delete asks first, naming it and saying what deleting does" "$BODY" \
  "<p data-testid=\"delete-question\"><strong>e2e late orders</strong> — $(admin_text confirm_delete_rule)</p>"
post ib /rules/delete "csrf=$(csrf_of)" "id=$rule"
eq "… and its button deletes it" "$STATUS $(sql "SELECT count(*) FROM listen.rule WHERE id = $rule")" "303 0"

echo "# a profile's posts, 50 a page"
prof=$(sql "INSERT INTO social.profile (platform, external_id, handle) VALUES ('mastodon', 'e2e-many', 'e2e_many') RETURNING id" | head -n1)
sql "INSERT INTO social.post (platform, external_id, author_id, kind, body, created_at)
     SELECT 'mastodon', 'e2e-many-' || i, $prof, 'post', 'many ' || i, now() - make_interval(mins => i)
     FROM generate_series(1, 60) i" >/dev/null
req ib GET "/profile.json?id=$prof"
first=$(jq -c '[.posts[].id]' <<<"$BODY"); next=$(jq -r '.next_before' <<<"$BODY")
eq "a profile with 60 posts shows the newest 50" "$(jq length <<<"$first")" 50
req ib GET "/profile?id=$prof"
has "… and links to the older ones" "$BODY" "before=$next"
req ib GET "/profile.json?id=$prof&before=$next"
eq "… which are the other 10, none twice" "$(jq -c --argjson a "$first" '[.posts[].id] as $b | [($b | length), (($a + $b) | unique | length), .next_before]' <<<"$BODY")" "[10,60,null]"
req ib GET "/profile?id=%2B$prof"
eq "an id is digits only: a '+' is 422" "$STATUS" 422
req ib GET "/profile?id=%20$prof"
eq "… and so is a leading space" "$STATUS" 422
