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

prio=$(sql "SELECT priority FROM crm.\"case\" WHERE id = $case_id")
req ag GET "/case?id=$case_id" -H "Accept-Language: zh-CN"
has "the case page marks the case's own priority in its choice" "$BODY" "<option value=\"$prio\" selected>"
check "… and, in Chinese, names the states to move to in words" grep -qE 'data-testid="to-[a-z]+">→ (新建|处理中|待回复|已解决|已关闭)<' <<<"$BODY"
req ag GET "/case?id=$case_id"
nobody=$(grep -o '<option value="[a-z]*">'"$(jq -r '.nobody' "$PARLEY_ROOT_DIR/templates/i18n/en.json")"'</option>' <<<"$BODY" | sed 's/.*value="\([a-z]*\)".*/\1/')
post ag /case/assign "csrf=$tok" "id=$case_id" staff_id=me
post ag /case/assign "csrf=$tok" "id=$case_id" "staff_id=$nobody"
eq "the page's 'nobody' choice unassigns" "$STATUS $(sql "SELECT coalesce(assignee_id::text, 'none') FROM crm.\"case\" WHERE id = $case_id")" "303 none"
post ag /case/assign "csrf=$tok" "id=$case_id" staff_id=me
eq "take the case" "$(sql "SELECT assignee_id FROM crm.\"case\" WHERE id = $case_id")" "$agent_id"
post ag /case/note "csrf=$tok" "id=$case_id" "body=Customer called too <b>twice</b>"
eq "an internal note" "$STATUS" 303
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
has "… with a reason" "$BODY" "cannot move to that state"
post ag /case/state "csrf=$tok" "id=$case_id" state=pending
post ag /case/state "csrf=$tok" "id=$case_id" state=resolved
eq "pending → resolved" "$(state)" resolved
post ag /case/state "csrf=$tok" "id=$case_id" state=bogus
eq "an unknown state is 422" "$STATUS" 422

# The customer writes again in the same thread: the case reopens.
sql "INSERT INTO social.post (platform, external_id, author_id, account_id, kind, body, created_at, parent_id, root_id)
     SELECT platform, 'e2e-followup-' || id, author_id, account_id, 'reply', 'Still not fixed!', now(), id, coalesce(root_id, id)
     FROM social.post WHERE id = $post" >/dev/null
eq "a new message from the customer reopens the resolved case" "$(state)" open
eq "… counted" "$(sql "SELECT reopen_count FROM crm.\"case\" WHERE id = $case_id")" 1
eq "… and it is on the timeline" "$(sql "SELECT count(*) FROM crm.case_event WHERE case_id = $case_id AND kind = 'inbound'")" 2

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
has "… offering the moves a new lead may make" "$BODY" '<option value="qualified">'
hasnt "… and not those it may not (new → won)" "$BODY" '<option value="won">'
req ag GET "/contact?id=$contact"
hasnt "an agent's contact page offers no lead moves (sales only)" "$BODY" 'action="/lead/state"'
post ag /lead/from-post "csrf=$tok" "post_id=$post"
eq "agents may not create leads" "$STATUS" 403
req sa GET "/case?id=$case_id"
eq "sales may not work cases" "$STATUS" 403
post ag /case/open "csrf=$tok" post_id=999999999
eq "a case for an unknown post is 404" "$STATUS" 404
req ag GET "/cases.json?mine=1"
has "my cases list it" "$(jq -r '[.cases[].id] | join(" ")' <<<"$BODY")" "$case_id"
