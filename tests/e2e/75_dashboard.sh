# The KPI dashboard through nginx: tiles, SVG charts and CSV exports, each
# figure checked against a count made here straight from the base tables.
echo "# KPI dashboard"
sql "SELECT kpi.refresh(true)" >/dev/null
tz=$(sql "SELECT tz FROM kpi.freshness")
login db e2e_admin "$PW"
req db GET "/dashboard.json?period=30"
eq "dashboard JSON" "$STATUS" 200
doc=$BODY
# mentions_in LAST_DAY DAYS: inbound mentions (not by the brand's own profiles, not reposts,
# not deleted) posted in the DAYS local days up to LAST_DAY, counted from the posts.
mentions_in() {
  sql "SELECT count(*) FROM social.post q WHERE q.deleted_at IS NULL AND q.kind <> 'repost'
    AND NOT EXISTS (SELECT FROM social.profile pr JOIN social.account a ON a.platform = pr.platform AND a.external_id = pr.external_id
                    WHERE pr.id = q.author_id)
    AND (q.created_at AT TIME ZONE '$tz')::date BETWEEN $1::date - ($2 - 1) AND $1::date"
}
mentions=$(mentions_in "(now() AT TIME ZONE '$tz')" 30)
eq "mentions tile = mentions counted from the posts" "$(jq -r '.kpi.mentions.value // 0' <<<"$doc")" "$mentions"
eq "the volume chart adds up to the tile" "$(jq '[.charts.volume.dots[].value] | add' <<<"$doc")" "$mentions"
eq "… one point per day" "$(jq '.charts.volume.dots | length' <<<"$doc")" 30
# Follows begun and ended in the 30 days, from the follower edges.
in_30="BETWEEN (now() AT TIME ZONE '$tz')::date - 29 AND (now() AT TIME ZONE '$tz')::date"
follows=$(sql "SELECT n || ' ' || n - l FROM (SELECT count(*) FILTER (WHERE (first_seen_at AT TIME ZONE '$tz')::date $in_30) n,
                                                     count(*) FILTER (WHERE (unfollowed_at AT TIME ZONE '$tz')::date $in_30) l
                                              FROM social.follower_edge) c")
eq "new and net follower tiles = follows begun, less those ended, counted from the edges" \
  "$(jq -r '"\(.kpi.new_followers.value // 0) \(.kpi.net_new_followers.value // 0)"' <<<"$doc")" "$follows"
check "… some of which ended (e2e 30): net below new" test "${follows#* }" -lt "${follows% *}"
open=$(sql "SELECT count(*) FROM crm.\"case\" WHERE state IN ('new', 'open', 'pending')")
eq "the backlog chart adds up to the open cases" "$(jq '[.charts.backlog.bars[].value] | add // 0' <<<"$doc")" "$open"
eq "… as the open-cases count says" "$(jq '.counts.open_cases' <<<"$doc")" "$open"
acc=$(sql "SELECT account_id FROM social.post WHERE account_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
acc_mentions=$(sql "SELECT count(*) FROM social.post q WHERE q.account_id = $acc AND q.deleted_at IS NULL AND q.kind <> 'repost'
  AND NOT EXISTS (SELECT FROM social.profile pr JOIN social.account a ON a.platform = pr.platform AND a.external_id = pr.external_id
                  WHERE pr.id = q.author_id)
  AND (q.created_at AT TIME ZONE '$tz')::date BETWEEN (now() AT TIME ZONE '$tz')::date - 6 AND (now() AT TIME ZONE '$tz')::date")
req db GET "/dashboard.json?period=7&account=$acc"
eq "filtered by account and a 7-day period" "$(jq -r '.kpi.mentions.value // 0' <<<"$BODY")" "$acc_mentions"
req db GET "/dashboard.json?period=8"
eq "an unknown period is 422" "$STATUS" 422
# A past window: the 90 days up to the fake platform's anchor day, where the harvested history is.
past=$(mentions_in "'2025-05-01'" 90)
req db GET "/dashboard.json?period=90&to=2025-05-01"
eq "the 90 days to 2025-05-01" "$(jq -r '[.filters.from, .filters.to] | join(" ")' <<<"$BODY")" "2025-02-01 2025-05-01"
check "… hold harvested mentions ($past)" test "$past" -gt 0
eq "… as many as the mentions tile says" "$(jq -r '.kpi.mentions.value // 0' <<<"$BODY")" "$past"
eq "… and the volume chart adds up" "$(jq '[.charts.volume.dots[].value] | add' <<<"$BODY")" "$past"
req db GET "/dashboard.json?to=2025-02-30"
eq "an impossible end date is 422" "$STATUS" 422
has "… saying what is expected" "$BODY" "2026-03-31"
req db GET "/dashboard.json?to=2999-01-01"
eq "a future one too" "$STATUS" 422
t0=$(date +%s)
req db GET "/dashboard.json?to=-infinity"
eq "an end date of -infinity is 422 (it made a day series without end)" "$STATUS" 422
check "… at once" test $(($(date +%s) - t0)) -lt 5
req db GET "/dashboard/export?chart=volume&to=-infinity"
eq "… in the CSV export too" "$STATUS" 422
req db GET "/dashboard?to=2999-01-01" -H "Accept-Language: zh-CN"
has "… and the page says so in Chinese" "$BODY" "结束日期不能晚于今天。"
other=$(sql "SELECT code FROM social.platform WHERE code <> (SELECT platform FROM social.account WHERE id = $acc) ORDER BY code LIMIT 1")
req db GET "/dashboard.json?account=$acc&platform=$other"
eq "an account with a platform it is not on is 422 (every tile would be empty)" "$STATUS" 422
has "… saying why" "$BODY" \
  "$(jq -r '."err.filter_account_platform"' "$PARLEY_ROOT_DIR/templates/i18n/$(sql "SELECT coalesce(lang, 'en') FROM auth.staff WHERE username = 'e2e_admin'").json")"
req db GET "/dashboard.json?account=$acc&platform=$(sql "SELECT platform FROM social.account WHERE id = $acc")"
eq "… an account with its own platform is fine" "$STATUS" 200
req db GET "/dashboard.json?to=2025-05-01x"
eq "an end date longer than a date is 422 (the route's limit)" "$STATUS" 422

req db GET "/dashboard?period=30"
eq "dashboard page" "$STATUS" 200
has "charts are inline SVG" "$BODY" '<polyline points="'
has "… with a CSV link per chart" "$BODY" 'href="/dashboard/export?chart=backlog&amp;period=30"'
has "… and an end-date field" "$BODY" '<input type="date" name="to"'
has "… and the net follower tile" "$BODY" 'data-testid="kpi-net-new-followers"'
hasnt "… and no script" "$BODY" "<script"

req db GET "/dashboard/export?chart=volume&period=30"
eq "CSV export" "$STATUS $(header Content-Type)" "200 text/csv; charset=utf-8"
has "… as a download" "$(header Content-Disposition)" 'attachment; filename="parley-volume-'
eq "… one row per day plus the header" "$(tr -d '\r' <<<"$BODY" | grep -c .)" 31
eq "… each detail in a column of its own (it was one JSON text)" "$(tr -d '\r' <<<"$BODY" | head -n1 | sed 's/^\xef\xbb\xbf//')" \
  "label,value,interactions,own_posts"
hasnt "… with no JSON in any cell" "$BODY" "{"
eq "… adding up to the tile" "$(tr -d '\r' <<<"$BODY" | tail -n +2 | awk -F, '{s += $2} END {print s + 0}')" "$mentions"
req db GET "/dashboard/export.json?chart=volume&period=30"
eq "its JSON twin is JSON (it answered CSV), with the same rows" \
  "$(header Content-Type | cut -d';' -f1) $(jq '.rows | length' <<<"$BODY") $(jq '[.rows[][1]] | add' <<<"$BODY")" "application/json 30 $mentions"
rule=$(sql "INSERT INTO listen.rule (name, category, expression) VALUES ('=HYPERLINK(\"http://evil\")', 'competitor', 'lumen') RETURNING id")
sql "INSERT INTO listen.match (post_id, rule_id) SELECT id, $rule FROM social.post ORDER BY created_at DESC LIMIT 1 ON CONFLICT DO NOTHING;
     SELECT kpi.refresh(false)" >/dev/null
req db GET "/dashboard/export?chart=voice&period=30"
has "a rule name that looks like a formula is exported as text" "$BODY" "\"'=HYPERLINK("
req db GET "/dashboard/export?chart=nonsense"
eq "an unknown chart is 422" "$STATUS" 422
sql "DELETE FROM listen.rule WHERE id = $rule" >/dev/null

echo "# the response tile links to the cases only for those who may open them"
req db GET /dashboard
has "an admin's tile links to the active cases" "$BODY" 'href="/cases?state=active"'
login dr e2e_reader "$PW"
req dr GET /dashboard
eq "an analyst's dashboard" "$STATUS" 200
hasnt "… has no link to the cases (403 for analysts)" "$BODY" 'href="/cases?state=active"'
has "… and says in which time zone its days are counted" "$BODY" "(days in $(sql "SELECT tz FROM kpi.freshness"))"

echo "# error pages in Chinese: the database's English only where it adds something"
req db GET "/dashboard?to=1999-12-31" -H "Accept-Language: zh-CN"
eq "an end date before 2000 is 422" "$STATUS" 422
has "… said in Chinese" "$BODY" "结束日期须在 2000 年或之后"
hasnt "… without the same sentence again in English" "$BODY" 'data-testid="error-detail"'
req db GET "/rules/test?expression=%28late" -H "Accept-Language: zh-CN"
eq "a rule expression that does not parse is 422" "$STATUS" 422
has "… saying where, in Chinese" "$BODY" "$(jq -r '."err.expr_unclosed"' "$PARLEY_ROOT_DIR/templates/i18n/zh-CN.json" | sed 's/{at}/1/')"
hasnt "… with no English sentence under it" "$BODY" 'data-testid="error-detail"'
