# Cases through nginx: from an inbox post to a case, its state machine, notes,
# assignment and SLA clock on the page, reopen when the customer writes again,
# a contact and a lead from the same post; roles.
echo "# cases, contacts and leads"
printf '%s\n' "$PW" | parley user add e2e_agent --role agent --name "Agent 王" --password-stdin >/dev/null
printf '%s\n' "$PW" | parley user add e2e_sales --role sales --name "Sales 李" --password-stdin >/dev/null
agent_id=$(sql "SELECT id FROM auth.staff WHERE username = 'e2e_agent'")
login ag e2e_agent "$PW"
# A customer's post on a harvested account, not yet a case.
post=$(sql "SELECT q.id FROM social.post q WHERE NOT crm.own_profile(q.author_id) AND q.author_id IS NOT NULL
            AND q.deleted_at IS NULL AND q.account_id IS NOT NULL AND q.platform = 'mastodon'
            AND NOT EXISTS (SELECT FROM crm.\"case\" c WHERE c.post_id = q.id OR c.root_post_id = coalesce(q.root_id, q.id))
            ORDER BY q.id LIMIT 1")
req ag GET "/post?id=$post"
has "the thread offers to open a case" "$BODY" 'data-testid="open-case"'
tok=$(csrf_of)
post ag /case/open "csrf=$tok" "post_id=$post"
loc=$(header Location)
eq "opening a case redirects to it" "$STATUS ${loc%%=*}" "303 /case?id"
case_id=${loc##*=}
post ag /case/open "csrf=$tok" "post_id=$post"
eq "opening it again leads to the same case" "$(header Location)" "/case?id=$case_id"
eq "one case for the post" "$(sql "SELECT count(*) FROM crm.\"case\" WHERE post_id = $post")" 1
req ag GET "/case?id=$case_id"
eq "the case page" "$STATUS" 200
has "… shows the customer's message in the timeline" "$BODY" "$(sql "SELECT left(body, 20) FROM social.post WHERE id = $post" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')"
has "… and the SLA clock" "$BODY" 'data-testid="sla"'
req ag GET "/case.json?id=$case_id"
eq "a new case has a first-response due time" "$(jq -r '.sla.first_response.due_at != null' <<<"$BODY")" true
fr_due=$(jq -r .sla.first_response.due_at <<<"$BODY")

prio=$(sql "SELECT priority FROM crm.\"case\" WHERE id = $case_id")
req ag GET "/case?id=$case_id" -H "Accept-Language: zh-CN"
has "the case page marks the case's own priority in its choice" "$BODY" "<option value=\"$prio\" selected>"
check "… and, in Chinese, names the states to move to in words" grep -qE 'data-testid="to-[a-z]+">→ (新建|处理中|待回复|已解决|已关闭)<' <<<"$BODY"
check "… and says the time left in Chinese word order (剩余 N 分钟)" grep -qE '>剩余 [0-9]+ 分钟</span>' <<<"$BODY"
sql "UPDATE crm.\"case\" SET category = 'complaint' WHERE id = $case_id" >/dev/null
req ag GET "/case?id=$case_id" -H "Accept-Language: zh-CN"
has "… and names its category in words" "$BODY" "$(jq -r .cat_complaint "$PARLEY_ROOT_DIR/templates/i18n/zh-CN.json") ·"
sql "UPDATE crm.\"case\" SET category = NULL WHERE id = $case_id" >/dev/null
# A case closed before its targets were due shows its clocks stopped, not blank minutes.
shut=$(sql "INSERT INTO crm.\"case\" (subject, state, closed_at) VALUES ('e2e closed at once', 'closed', now()) RETURNING id")
req ag GET "/case?id=$shut"
has "a case closed before it was answered says its clock stopped" "$BODY" ">$(jq -r .sla_stopped "$PARLEY_ROOT_DIR/templates/i18n/en.json")</span>"
hasnt "… with no minutes left to count" "$BODY" "> $(jq -r .unit_min "$PARLEY_ROOT_DIR/templates/i18n/en.json")"
# A post the platform gave no author for (an Instagram hashtag post): nobody to make a contact or lead of.
anon=$(sql "INSERT INTO social.post (platform, external_id, account_id, body, created_at)
            SELECT platform, 'e2e-anon-' || id, account_id, 'Who wrote this?', now() FROM social.post WHERE id = $post RETURNING id")
req ag GET "/post?id=$anon"
has "a post without a known author says so" "$BODY" "$(jq -r .author_unknown "$PARLEY_ROOT_DIR/templates/i18n/en.json")"
hasnt "… links to no profile" "$BODY" 'href="/profile?id="'
hasnt "… and offers no contact to make" "$BODY" 'action="/contact/from-post"'
# A profile the platform gave no name, handle or counts for (a Facebook commenter).
bare=$(sql "INSERT INTO social.profile (platform, external_id) VALUES ('facebook', 'e2e-fb-9001') RETURNING id")
req ag GET "/profile?id=$bare"
has "a profile with no name is called by its platform id" "$BODY" "<h1>e2e-fb-9001</h1>"
hasnt "… with no counts it was not given" "$BODY" "· $(jq -r .followers "$PARLEY_ROOT_DIR/templates/i18n/en.json")"
hasnt "… nor an empty @" "$BODY" '<span class="muted">@</span>'
sql "DELETE FROM social.post WHERE id = $anon; DELETE FROM social.profile WHERE id = $bare;
     DELETE FROM crm.\"case\" WHERE id = $shut" >/dev/null   # (left out of the later parts' counts)
req ag GET "/case?id=$case_id"
nobody=$(grep -oE '<option value="[a-z]*"( selected)?>'"$(jq -r '.nobody' "$PARLEY_ROOT_DIR/templates/i18n/en.json")"'</option>' <<<"$BODY" | sed 's/.*value="\([a-z]*\)".*/\1/')
post ag /case/assign "csrf=$tok" "id=$case_id" staff_id=me
post ag /case/assign "csrf=$tok" "id=$case_id" "staff_id=$nobody"
eq "the page's 'nobody' choice unassigns" "$STATUS $(sql "SELECT coalesce(assignee_id::text, 'none') FROM crm.\"case\" WHERE id = $case_id")" "303 none"
post ag /case/assign "csrf=$tok" "id=$case_id" staff_id=me
eq "take the case" "$(sql "SELECT assignee_id FROM crm.\"case\" WHERE id = $case_id")" "$agent_id"
req ag GET "/case?id=$case_id"
has "the assignee choice starts on the case's own assignee (a stray submit keeps it)" "$BODY" "<option value=\"$agent_id\" selected>"
has "… and the timeline says whom each assignment gave the case to" "$BODY" \
  "data-testid=\"assigned-to\">→ $(sql "SELECT display_name FROM auth.staff WHERE id = $agent_id")</span>"
post ag /case/note "csrf=$tok" "id=$case_id" "body=Customer called too <b>twice</b>"
eq "an internal note" "$STATUS" 303
post ag /case/note "csrf=$tok" "id=$case_id" "body=Customer called too <b>twice</b>"
eq "the same note again (Back after adding it, send) is refused (409)" "$STATUS" 409
has "… saying it was just added" "$BODY" "$(jq -r '.["err.note_duplicate"]' "$PARLEY_ROOT_DIR/templates/i18n/en.json")"
eq "… and not added twice" "$(sql "SELECT count(*) FROM crm.case_event WHERE case_id = $case_id AND kind = 'note' AND body = 'Customer called too <b>twice</b>'")" 1
post ag /case/priority "csrf=$tok" "id=$case_id" priority=urgent
req ag GET "/case?id=$case_id" -H "Accept-Language: zh-CN"
has "a priority change reads in the page's language in the timeline" "$BODY" "→ 紧急"
req ag GET "/case?id=$case_id"
has "… shown escaped" "$BODY" "Customer called too &lt;b&gt;twice&lt;/b&gt;"
state() { sql "SELECT state FROM crm.\"case\" WHERE id = $case_id"; }
[ "$(state)" = new ] && post ag /case/state "csrf=$tok" "id=$case_id" state=open
eq "open" "$(state)" open
post ag /case/state "csrf=$tok" "id=$case_id" state=closed
eq "open → closed is refused (409)" "$STATUS" 409
en="$PARLEY_ROOT_DIR/templates/i18n/en.json"
has "… saying from which state to which, in words" "$BODY" "A case cannot go from $(jq -r .state_open "$en") to $(jq -r .state_closed "$en")."
hasnt "… once (no English detail under it)" "$BODY" 'data-testid="error-detail"'
post ag /case/state "csrf=$tok" "id=$case_id" state=pending
post ag /case/state "csrf=$tok" "id=$case_id" state=resolved
eq "pending → resolved" "$(state)" resolved
req ag GET "/case.json?id=$case_id"
eq "resolved before any reply, its first-response clock stopped: not breached, no minutes counting down" \
  "$(jq -c '.sla.first_response | [.stopped, .breached, .remaining_minutes, .met_at]' <<<"$BODY")" '[true,false,null,null]'
req ag GET "/case?id=$case_id"
sla_line=$(grep 'data-testid="sla"' <<<"$BODY")
has "… and the page says it stopped" "$sla_line" ">$(jq -r .sla_stopped "$en")</span>"
hasnt "… with no minutes left to count" "$sla_line" "> $(jq -r .unit_min "$en")"
post ag /case/state "csrf=$tok" "id=$case_id" state=bogus
eq "an unknown state is 422" "$STATUS" 422

# The customer writes again in the same thread: the case reopens.
sql "INSERT INTO social.post (platform, external_id, author_id, account_id, kind, body, created_at, parent_id, root_id)
     SELECT platform, 'e2e-followup-' || id, author_id, account_id, 'reply', 'Still not fixed!', now(), id, coalesce(root_id, id)
     FROM social.post WHERE id = $post" >/dev/null
eq "a new message from the customer reopens the resolved case" "$(state)" open
eq "… counted" "$(sql "SELECT reopen_count FROM crm.\"case\" WHERE id = $case_id")" 1
eq "… and it is on the timeline" "$(sql "SELECT count(*) FROM crm.case_event WHERE case_id = $case_id AND kind = 'inbound'")" 2
req ag GET "/case.json?id=$case_id"
eq "… and its first-response clock runs again, toward the same due time" \
  "$(jq -c '.sla.first_response | [.stopped, (.remaining_minutes | type), .due_at == $due]' --arg due "$fr_due" <<<"$BODY")" '[false,"number",true]'

# Contact and lead from the post.
post ag /contact/from-post "csrf=$tok" "post_id=$post"
contact=$(header Location); contact=${contact##*=}
eq "create a contact from the post's author" "$(sql "SELECT count(*) FROM crm.identity i JOIN social.post q ON q.author_id = i.profile_id WHERE q.id = $post AND i.contact_id = $contact")" 1
login sa e2e_sales "$PW"
req sa GET "/post?id=$post"
stok=$(csrf_of)
post sa /lead/from-post "csrf=$stok" "post_id=$post" value=1200
eq "sales creates a lead" "$STATUS $(header Location)" "303 /contact?id=$contact"
post sa /lead/from-post "csrf=$stok" "post_id=$post" value=12,00
eq "a malformed amount is 422" "$STATUS" 422
req sa GET "/contact?id=$contact"
has "the contact page lists the lead" "$BODY" 'data-testid="lead-'
has "… and links back to the contact list" "$BODY" '<a href="/contacts">← '
has "… with its value as an amount" "$BODY" '<td>1200.00</td>'
has "… offering the moves a new lead may make" "$BODY" '<option value="qualified">'
hasnt "… and not those it may not (new → won)" "$BODY" '<option value="won">'
lead=$(sql "SELECT id FROM crm.lead WHERE contact_id = $contact")
has "… its value in the field to edit" "$BODY" 'name="value" class="tiny" value="1200.00"'
post sa /lead/state "csrf=$stok" "id=$lead" state=qualified value=99 value_was=1100.00
eq "a value changed by someone else since the form showed it is not replaced (409)" "$STATUS $(sql "SELECT value FROM crm.lead WHERE id = $lead")" "409 1200.00"
post sa /lead/state "csrf=$stok" "id=$lead" state=qualified value= value_was=1200.00
eq "a move with the value field emptied clears the value" "$STATUS $(sql "SELECT coalesce(value::text, 'none') FROM crm.lead WHERE id = $lead")" "303 none"
post sa /lead/state "csrf=$stok" "id=$lead" state=qualified value=1200
post sa /lead/state "csrf=$stok" "id=$lead" state=won
req sa GET "/contact?id=$contact"
eq "a won lead is won, and its row offers no more moves (there are none)" \
  "$(sql "SELECT state FROM crm.lead WHERE id = $lead") $(grep -c 'action="/lead/state"' <<<"$BODY")" "won 0"
req ag GET "/contact?id=$contact"
hasnt "an agent's contact page offers no lead moves (sales only)" "$BODY" 'action="/lead/state"'
has "… but lets the agent edit the contact" "$BODY" 'action="/contact/save"'
post ag /contact/save "csrf=$tok" "id=$contact" "name=Mei 陈" "emails=mei@example.com, mei@example.com" "phones=+86 21 5555 0101"
eq "an agent saves the contact's name, emails and phones" "$STATUS $(header Location)" "303 /contact?id=$contact"
eq "… which are stored, emails once" "$(sql "SELECT name || '|' || array_to_string(emails, ';') || '|' || array_to_string(phones, ';') FROM crm.contact WHERE id = $contact")" \
  "Mei 陈|mei@example.com|+86 21 5555 0101"
req ag GET "/contact?id=$contact"
has "… and the form shows them for the next edit" "$BODY" 'name="emails" value="mei@example.com"'
post ag /contact/save "csrf=$tok" "id=$contact" "name=Mei"$'\u202e'"x" "emails=mei@example.com"
eq "a name with a text-direction character is 422" "$STATUS" 422
post ag /contact/save "csrf=$tok" "id=$contact" "name=Mei" "emails=mei@example.com, mei@"
eq "… and so is an email that is not one" "$STATUS" 422
check "… named among the others" grep -qE '(&quot;|“)mei@(&quot;|”)' <<<"$BODY"
eq "… and neither changed anything" "$(sql "SELECT name || '|' || array_to_string(emails, ';') FROM crm.contact WHERE id = $contact")" \
  "Mei 陈|mei@example.com"
post ag /contact/save "csrf=$tok" "id=$contact" "name=Mei 陈" emails= phones=
eq "emptying the emails and phones in the form clears them" \
  "$STATUS $(sql "SELECT cardinality(emails) || '/' || cardinality(phones) FROM crm.contact WHERE id = $contact")" "303 0/0"
post ag /lead/from-post "csrf=$tok" "post_id=$post"
eq "agents may not create leads" "$STATUS" 403

# The lists of contacts and of leads, and the nav links to them, by role.
handle=$(sql "SELECT pr.handle FROM crm.identity i JOIN social.profile pr ON pr.id = i.profile_id WHERE i.contact_id = $contact")
req sa GET /contacts
eq "sales opens the contact list" "$STATUS" 200
has "… which links the contact made from the post" "$BODY" "<a href=\"/contact?id=$contact\">Mei 陈</a>"
has "… with its identity's platform handle" "$BODY" "@$handle</a>"
has "sales's menu leads to contacts" "$BODY" '<a href="/contacts">'
has "… and to leads" "$BODY" '<a href="/leads">'
req sa GET /contacts -G --data-urlencode "q=陈"
has "a search by the Chinese name finds the contact" "$BODY" "data-testid=\"contact-$contact\""
req sa GET /contacts -G --data-urlencode "q=@$handle"
has "… and so does one by its handle" "$BODY" "data-testid=\"contact-$contact\""
req sa GET /contacts -G --data-urlencode "q=nobody-has-this-name"
eq "a search that finds nothing says so, and lists no one" \
  "$(grep -c 'data-testid="contact-[0-9]' <<<"$BODY") $(grep -c "$(jq -r .contacts_none_found "$PARLEY_ROOT_DIR/templates/i18n/en.json")" <<<"$BODY")" "0 1"
req sa GET "/contacts.json?q=%40$handle"
eq "the list's JSON twin: the contact, its identity and open leads (the lead is won: none)" \
  "$(jq -c --argjson k "$contact" '.contacts[] | select(.id == $k) | [.name, .identities[0].handle, .open_leads]' <<<"$BODY")" \
  "[\"Mei 陈\",\"$handle\",0]"
req sa GET /leads
eq "sales opens the pipeline" "$STATUS" 200
has "… which lists the lead, its value as stored" "$BODY" "<td>1200.00</td>"
has "… its contact" "$BODY" "<a href=\"/contact?id=$contact\">Mei 陈</a>"
has "… and the post it came from" "$BODY" "<a href=\"/post?id=$post\">"
req sa GET "/leads?state=new"
hasnt "filtered to new leads, the won one is not listed" "$BODY" "data-testid=\"lead-$lead\""
req sa GET "/leads.json?state=won"
eq "the JSON twin of the won ones: the lead, and the won total counts it" \
  "$(jq -c --argjson l "$lead" '[(.leads[] | select(.id == $l) | .contact.name), (.states[] | select(.state == "won") | (.count >= 1 and (.total_text | tonumber) >= 1200))]' <<<"$BODY")" \
  '["Mei 陈",true]'
req sa GET "/leads?state=maybe"
eq "an unknown state is 422" "$STATUS" 422
req ag GET /leads
eq "an agent may not see the pipeline (403)" "$STATUS" 403
req ag GET /contacts
eq "… but sees the contacts" "$STATUS" 200
has "… and the agent's menu leads there" "$BODY" '<a href="/contacts">'
hasnt "… and not to leads" "$BODY" '<a href="/leads">'
login rd e2e_reader "$PW"   # (40_hooks's analyst)
req rd GET /contacts
eq "an analyst may not list contacts (403)" "$STATUS" 403
req rd GET /dashboard
hasnt "… and the analyst's menu offers neither list" "$BODY" 'href="/contacts"'
hasnt "… (nor leads)" "$BODY" 'href="/leads"'
post sa /language "csrf=$stok" lang=zh-CN back=/leads
req sa GET /leads
has "in Chinese, the menu names the contacts" "$BODY" "<a href=\"/contacts\">$(jq -r .nav_contacts "$PARLEY_ROOT_DIR/templates/i18n/zh-CN.json")</a>"
has "… and the leads" "$BODY" "<a href=\"/leads\">$(jq -r .nav_leads "$PARLEY_ROOT_DIR/templates/i18n/zh-CN.json")</a>"
post sa /language "csrf=$stok" lang=en back=/leads
req sa GET "/case?id=$case_id"
eq "sales may not work cases" "$STATUS" 403
post ag /case/open "csrf=$tok" post_id=999999999
eq "a case for an unknown post is 404" "$STATUS" 404
req ag GET "/cases.json?mine=1"
has "my cases list it" "$(jq -r '[.cases[].id] | join(" ")' <<<"$BODY")" "$case_id"

echo "# teams and SLA policies on their pages"
members() { sql "SELECT coalesce(string_agg(staff_id::text, ',' ORDER BY staff_id), 'none') FROM crm.team_member WHERE team_id = $1"; }
login tm e2e_admin "$PW"
req tm GET /teams
eq "the teams page" "$STATUS" 200
ttok=$(csrf_of)
post tm /teams/save "csrf=$ttok" "name=E2E night 夜班" members=on "member_ids=$agent_id"
eq "an admin creates a team with a member" "$STATUS $(header Location)" "303 /teams"
team=$(sql "SELECT id FROM crm.team WHERE name = 'E2E night 夜班'")
eq "… who is its member" "$(members "$team")" "$agent_id"
req tm GET /teams
team_card=$(sed -n "/data-testid=\"team-$team\"/,/<\/section>/p" <<<"$BODY")
has "the team's form shows the member checked" "$team_card" "name=\"member_ids\" value=\"$agent_id\" checked"
has "… and links to the team's open cases" "$team_card" "/cases?team_id=$team&amp;state=active"
post tm /teams/save "csrf=$ttok" "id=$team" "name=E2E night 夜班" members=on
eq "unchecking every member empties the team" "$STATUS $(members "$team")" "303 none"
post tm /teams/save "csrf=$ttok" "id=$team" "name=E2E night 夜班" members=on "member_ids=$agent_id" member_ids=1x
eq "a member id that is not a number is 422" "$STATUS" 422
eq "… and changes nothing" "$(members "$team")" none
post tm /teams/save "csrf=$ttok" "id=$team" "name=E2E night 夜班" members=on member_ids=999999999
eq "an unknown member is 404" "$STATUS" 404
# A case no assignment rule routed can be given to a team: its next member in turn takes it.
post tm /teams/save "csrf=$ttok" "id=$team" "name=E2E night 夜班" members=on "member_ids=$agent_id"
req ag GET "/case?id=$case_id"
has "the case page offers to give the case to a team" "$BODY" 'data-testid="assign-team"'
post ag /case/assign "csrf=$tok" "id=$case_id" staff_id=none
post ag /case/assign "csrf=$tok" "id=$case_id" "team_id=$team"
eq "… and giving it sets the team, whose member takes it" \
  "$STATUS $(sql "SELECT team_id || '/' || coalesce(assignee_id::text, 'none') FROM crm.\"case\" WHERE id = $case_id")" "303 $team/$agent_id"
post tm /teams/save "csrf=$ttok" "id=$team" "name=E2E night 夜班" members=on
post tm /teams/rule "csrf=$ttok" "team_id=$team" category=complaint lang=zh position=0
eq "an admin routes complaints in Chinese to the team" "$STATUS $(header Location)" "303 /teams"
rule=$(sql "SELECT id FROM crm.assignment_rule WHERE team_id = $team")
req tm GET /teams
rule_item=$(sed -n "/data-testid=\"assignment-rule-$rule\"/,/<\/li>/p" <<<"$BODY")
catalog="$PARLEY_ROOT_DIR/templates/i18n/$(sql "SELECT coalesce(lang, 'en') FROM auth.staff WHERE username = 'e2e_admin'").json"
check "the admin's catalog has the words looked for" test -n "$(jq -r '.cat_complaint // empty' "$catalog")"
has "the team's card lists the rule, first in order, with its category in the admin's language" "$rule_item" "#0 · $(jq -r .cat_complaint "$catalog")"
has "… and the rule's language in words" "$rule_item" "$(jq -r .language_zh "$catalog")"
post tm /teams/rule "csrf=$ttok" "team_id=$team" lang=chinese
eq "a language that is not a code is 422" "$STATUS" 422
has "… and a Delete that asks first, saying what deleting does" "$rule_item" \
  "<p data-testid=\"delete-question\"><strong>#0</strong> — $(jq -r .confirm_delete_routing "$catalog")</p>"
post tm /teams/rule/delete "csrf=$ttok" "id=$rule"
eq "the admin deletes the rule" "$STATUS $(sql "SELECT count(*) FROM crm.assignment_rule WHERE team_id = $team")" "303 0"
req tm GET /teams
has "… and the page says so" "$BODY" "data-testid=\"notice\">$(jq -r .notice_deleted "$catalog")</p>"
req ag GET /teams
eq "agents see the teams" "$STATUS" 200
hasnt "… without their forms" "$BODY" 'action="/teams/save"'
post ag /teams/save "csrf=$tok" "id=$team" "name=E2E renamed"
eq "… and may not change them (403)" "$STATUS" 403
post ag /teams/rule "csrf=$tok" "team_id=$team"
eq "… nor route cases (403)" "$STATUS" 403

vip_hours() { sql "SELECT string_agg(h.dow || ' ' || to_char(h.start_time, 'HH24:MI') || '-' || to_char(h.end_time, 'HH24:MI'), ',' ORDER BY h.dow)
                   FROM crm.calendar_hours h JOIN crm.sla_policy p ON p.calendar_id = h.calendar_id WHERE p.name = 'E2E VIP'"; }
req tm GET /sla
eq "the SLA page" "$STATUS" 200
stok2=$(csrf_of)
post tm /sla/save "csrf=$stok2" "name=E2E VIP" first_response_minutes=15 resolution_minutes=120 tz=europe/berlin \
  $'hours_text=1-5 8:00-20:00\r\n6 10:00-14:00' $'holidays_text=2026-12-25 Christmas\r\n2026-12-26'
eq "an admin saves a policy from the form's text" "$STATUS $(header Location)" "303 /sla"
eq "… with its hours" "$(vip_hours)" "1 08:00-20:00,2 08:00-20:00,3 08:00-20:00,4 08:00-20:00,5 08:00-20:00,6 10:00-14:00"
eq "… its holidays and the zone in its own spelling" \
   "$(sql "SELECT k.tz || ' ' || string_agg(d.day || '=' || d.name, ',' ORDER BY d.day) FROM crm.sla_policy p JOIN crm.calendar k ON k.id = p.calendar_id
           JOIN crm.holiday d ON d.calendar_id = k.id WHERE p.name = 'E2E VIP' GROUP BY k.tz")" "Europe/Berlin 2026-12-25=Christmas,2026-12-26="
pol=$(sql "SELECT id FROM crm.sla_policy WHERE name = 'E2E VIP'")
req tm GET /sla
vip_card=$(sed -n "/data-testid=\"sla-$pol\"/,/<\/section>/p" <<<"$BODY")
has "the page writes the hours back the way they are typed" "$vip_card" "<pre>1-5 08:00-20:00"
has "… and offers them for editing" "$vip_card" 'name="hours_text" rows="3" maxlength="2000" required placeholder="1-5 09:00-18:00">1-5 08:00-20:00'
post tm /sla/save "csrf=$stok2" "id=$pol" "name=E2E VIP" first_response_minutes=15 resolution_minutes=120 tz=Europe/Berlin \
  $'hours_text=1-5 08:00-20:00\nMon-Fri 9-5'
eq "an hours line it cannot read is 422" "$STATUS" 422
has "… naming the line" "$BODY" "Mon-Fri 9-5"
has "… in the admin's language, the line named inside the sentence" "$BODY" \
  "$(jq -r '."err.sla_hours_line_named"' "$catalog" | sed 's/{line}/Mon-Fri 9-5/')"
hasnt "… with no English beside it" "$BODY" 'data-testid="error-detail"'
req tm POST /sla/save -H "Origin: $ORIGIN" -H "Referer: $ORIGIN/sla" --data-urlencode "csrf=$stok2" --data-urlencode "id=$pol" \
  --data-urlencode "name=E2E VIP" -d first_response_minutes=15 -d resolution_minutes=120 -d tz=UTC --data-urlencode 'hours_text=Mon-Fri 9-5'
has "… and its page leads back to the form it came from" "$BODY" 'href="/sla" data-testid="error-back"'
req tm POST /sla/save -H "Origin: $ORIGIN" -H "Referer: https://evil.example/sla" --data-urlencode "csrf=$stok2" --data-urlencode "id=$pol" \
  --data-urlencode "name=E2E VIP" -d first_response_minutes=15 -d resolution_minutes=120 -d tz=UTC --data-urlencode 'hours_text=Mon-Fri 9-5'
hasnt "… never to another site's page" "$BODY" 'data-testid="error-back"'
eq "… and the policy keeps its hours" "$(vip_hours)" "1 08:00-20:00,2 08:00-20:00,3 08:00-20:00,4 08:00-20:00,5 08:00-20:00,6 10:00-14:00"
post tm /sla/save "csrf=$stok2" "id=$pol" "name=E2E VIP" first_response_minutes=15 resolution_minutes=120 tz=Europe/Berlin \
  'hours_text=1-5 08:00-20:00' 'holidays_text=Christmas'
eq "a holiday without a date is 422" "$STATUS" 422
post tm /sla/save "csrf=$stok2" "id=$pol" "name=E2E VIP" first_response_minutes=0 resolution_minutes=120 tz=UTC 'hours_text=1-5 08:00-20:00'
eq "a target of 0 minutes is 422" "$STATUS" 422
has "… naming the field as the form labels it, in the admin's language" "$BODY" "<li>$(jq -r .sla_first_response "$catalog"): "
post tm /sla/save "csrf=$stok2" "id=$pol" "name=E2E VIP" first_response_minutes=15 resolution_minutes=120 tz=Mars/Olympus 'hours_text=1-5 08:00-20:00'
eq "a zone the tz database does not know is 422" "$STATUS" 422
post tm /sla/save "csrf=$stok2" "id=$pol" "name=E2E VIP" first_response_minutes=15 resolution_minutes=120 tz=UTC 'hours_text= '
eq "no opening hours is 422" "$STATUS" 422
eq "… none of which changed the policy" "$(sql "SELECT k.tz FROM crm.sla_policy p JOIN crm.calendar k ON k.id = p.calendar_id WHERE p.id = $pol")/$(vip_hours)" \
   "Europe/Berlin/1 08:00-20:00,2 08:00-20:00,3 08:00-20:00,4 08:00-20:00,5 08:00-20:00,6 10:00-14:00"
# ten admins' saves at once, each making its new policy the default: they take turns
old_default=$(sql "SELECT id FROM crm.sla_policy WHERE is_default")
for i in $(seq 10); do
  curl -s -o /dev/null -w '%{http_code}\n' -b "$E2E_TMP/tm.jar" -H "Origin: $ORIGIN" --data-urlencode "csrf=$stok2" \
    --data-urlencode "name=E2E default $i" -d first_response_minutes=30 -d resolution_minutes=240 -d tz=UTC \
    --data-urlencode 'hours_text=1-5 09:00-18:00' -d is_default=on "$BASE/sla/save" &
done >"$E2E_TMP/codes"; wait
eq "ten concurrent saves that each make their policy the default all succeed" "$(sort -u "$E2E_TMP/codes" | tr '\n' ' ')" "303 "
eq "… and one policy, one of theirs, is the default" "$(sql "SELECT count(*) || ' ' || bool_and(name LIKE 'E2E default %') FROM crm.sla_policy WHERE is_default")" "1 true"
sql "UPDATE crm.sla_policy SET is_default = false WHERE is_default; UPDATE crm.sla_policy SET is_default = true WHERE id = $old_default" >/dev/null
req ag GET /sla
eq "agents see the SLA policies" "$STATUS" 200
hasnt "… without their forms" "$BODY" 'action="/sla/save"'
post ag /sla/save "csrf=$tok" "id=$pol" "name=E2E VIP" first_response_minutes=1 resolution_minutes=1 tz=UTC 'hours_text=1-7 00:00-24:00'
eq "… and may not change them (403)" "$STATUS" 403
