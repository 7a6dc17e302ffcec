# Knowledge base and canned replies through nginx: Markdown rendered safely,
# search in Chinese and English, drafts, canned replies with placeholders.
echo "# knowledge base and canned replies"
login kb e2e_agent "$PW"
req kb GET /kb/edit
has "a new article's editor says so" "$BODY" "<h1>$(jq -r .kb_new "$PARLEY_ROOT_DIR/templates/i18n/en.json")</h1>"
ktok=$(csrf_of)
post kb /kb/save "csrf=$ktok" "title=如何申请退款" lang=zh-CN published=on \
  "body_md=退款将在 **5 个工作日**内退回。<script>alert(1)</script> [点我](javascript:alert(1)) <img src=x onerror=alert(1)>"
art=$(header Location); art=${art##*=}
eq "saving an article redirects to it" "$STATUS" 303
req kb GET "/kb/article?id=$art"
has "Markdown is rendered" "$BODY" "<strong>5 个工作日</strong>"
hasnt "… raw HTML is dropped" "$BODY" "<script>alert(1)"
hasnt "… and so are javascript: links" "$BODY" 'href="javascript:'
hasnt "… and event handlers" "$BODY" "onerror=alert"
post kb /kb/save "csrf=$ktok" "title=Getting a refund" lang=en published=on "body_md=Refunds take *five* working days."
long=$(printf '咖啡%.0s' $(seq 10000))
post kb /kb/save "csrf=$ktok" "title=长文章" lang=zh-CN "body_md=$long"
eq "an article of 20,000 Chinese characters (180 KB as a form) is saved" "$STATUS" 303
post kb /kb/save "csrf=$ktok" "title=Unreleased refund policy" lang=en "body_md=Draft: refunds within one day."
req kb GET "/kb.json?q=退款"
has "Chinese search without spaces finds the article" "$(jq -r '[.articles[].title] | join("|")' <<<"$BODY")" "如何申请退款"
req kb GET "/kb.json?q=refund"
has "English search (stemmed) finds the English one" "$(jq -r '[.articles[].title] | join("|")' <<<"$BODY")" "Getting a refund"
cat=$(sql "INSERT INTO crm.kb_category (slug, name, name_zh) VALUES ('e2e-returns', 'Returns', '退货') RETURNING id")
post kb /kb/save "csrf=$ktok" "title=Return window" lang=en published=on "category_id=$cat" "body_md=Thirty days."
req kb GET "/kb?q=window" -H "Accept-Language: zh-CN"
has "a Chinese page names an article's category in Chinese" "$BODY" "· 退货"
has "… and its language in words" "$BODY" "英语 · 退货"
req kb GET "$(sql "SELECT '/kb/article?id=' || id FROM crm.kb_article WHERE title = 'Return window'")" -H "Accept-Language: zh-CN"
has "… on the article's page too" "$BODY" "退货 ·"
login kr e2e_reader "$PW"
req kr GET "/kb.json?q=refund"
hasnt "readers do not see drafts" "$(jq -r '[.articles[].title] | join("|")' <<<"$BODY")" "Unreleased"
post kr /kb/save "csrf=$(csrf_of)" "title=x" lang=en "body_md=x"
eq "readers may not write articles" "$STATUS" 403
post kb /kb/save "csrf=$ktok" "title=" lang=en "body_md=x"
eq "an article without a title is 422" "$STATUS" 422
post kb /kb/save "csrf=$ktok" "title=E2E to delete" lang=en "body_md=Soon gone."
gone=$(header Location); gone=${gone##*=}
req kb GET "/kb/article?id=$gone"
has "an article's Delete is a first step…" "$BODY" '<summary data-testid="delete-open">Delete…</summary>'
has "… naming the article and what deleting does" "$BODY" \
  '<p data-testid="delete-question"><strong>E2E to delete</strong> — Delete this article? It cannot be brought back.</p>'
post kb /kb/delete "csrf=$ktok" "id=$gone"
eq "… whose button deletes it" "$STATUS $(header Location) $(sql "SELECT count(*) FROM crm.kb_article WHERE id = $gone")" "303 /kb 0"
req kb GET /kb
has "… and the page after says so" "$BODY" '<p class="notice" role="status" data-testid="notice">Deleted.</p>'

req kb GET /canned
ctok=$(csrf_of)
post kb /canned/save "csrf=$ctok" "title=Late order" lang=en shared=on \
  "body=Hi {{contact.name}}, sorry your order is late. Case {{case.number}}."
eq "a canned reply with placeholders" "$STATUS" 303
post kb /canned/save "csrf=$ctok" "title=Bad" lang=en "body=Hi {{contact.password}}"
eq "an unknown placeholder is 422" "$STATUS" 422
req kb GET /canned
has "the list shows it" "$BODY" "sorry your order is late"
reply=$(sql "SELECT id FROM crm.canned_reply WHERE title = 'Late order'")
has "… with a link to edit it" "$BODY" "href=\"/canned?edit=$reply\""
req kb GET "/canned?edit=$reply"
has "the edit link fills the form with that reply" "$BODY" "name=\"id\" value=\"$reply\""
has "… its text too" "$BODY" ">Hi {{contact.name}}, sorry your order is late. Case {{case.number}}.</textarea>"
post kb /canned/save "csrf=$ctok" "id=$reply" "title=Late order, edited" lang=zh-CN shared=on category=orders \
  "body=Line one
Line two"
eq "saving the form changes that reply" "$STATUS $(sql "SELECT title || '|' || lang || '|' || category FROM crm.canned_reply WHERE id = $reply")" \
  "303 Late order, edited|zh-CN|orders"
req kb GET "/canned?lang=en"
hasnt "the list filtered by language leaves out the others" "$BODY" "Late order, edited"
req kb GET "/canned?q=LINE+TWO&category=orders"
has "… and a search (any case) in a category finds it" "$BODY" "Late order, edited"
has "… keeping the category chosen" "$BODY" '<option value="orders" selected>'
req kb GET "/canned?edit=999999999"
eq "editing a reply that does not exist is 404" "$STATUS" 404
post kb /canned/save "csrf=$ctok" "title=E2E throwaway" lang=en "body=Not for long."
req kb GET /canned
has "saving a canned reply says so" "$BODY" 'data-testid="notice">Saved.</p>'
has "a canned reply's Delete asks first, naming it" "$BODY" \
  '<p data-testid="delete-question"><strong>E2E throwaway</strong> — Delete this canned reply? It cannot be brought back.</p>'
post kb /canned/delete "csrf=$ctok" "id=$(sql "SELECT id FROM crm.canned_reply WHERE title = 'E2E throwaway'")"
eq "… and its button deletes it" "$STATUS $(sql "SELECT count(*) FROM crm.canned_reply WHERE title = 'E2E throwaway'")" "303 0"
req kb GET /canned
has "… saying so" "$BODY" 'data-testid="notice">Deleted.</p>'

# A canned reply whose placeholder nothing can fill for a post (no case yet)
# is listed after the others, saying which; used, the composer says so too.
like=$(sql "SELECT id FROM social.post q WHERE ingest.reply_blocked(q) IS NULL AND NOT crm.own_profile(q.author_id)
            AND author_id IS NOT NULL ORDER BY id LIMIT 1")
bare=$(sql "INSERT INTO social.post (platform, external_id, author_id, account_id, kind, body, created_at)
            SELECT platform, 'e2e-no-case', author_id, account_id, 'post', 'Zorblax quindle wibble', now()
            FROM social.post WHERE id = $like RETURNING id" | head -n1)
post kb /canned/save "csrf=$ctok" "title=E2E needs a case" lang=en shared=on "body=Zorblax quindle wibble: case {{case.number}}"
needs=$(sql "SELECT id FROM crm.canned_reply WHERE title = 'E2E needs a case'")
post kb /canned/save "csrf=$ctok" "title=E2E fits any post" lang=en shared=on \
  "body=Zorblax quindle: sorry {{contact.name}}, we are looking into this right now and will write back soon."
fits=$(sql "SELECT id FROM crm.canned_reply WHERE title = 'E2E fits any post'")
eq "(the post has no case)" "$(sql "SELECT count(*) FROM crm.cases_of_post($bare)")" 0
req kb GET "/post.json?id=$bare"
eq "the reply that can be filled in whole is suggested first, though the other fits the message better" \
  "$(jq -r --argjson n "$needs" --argjson f "$fits" \
     '[.reply.canned[] | select(.id == $n or .id == $f) | [.id, .score]] | "\(.[0][0] == $f) \(.[0][1] < .[1][1])"' <<<"$BODY")" "true true"
req kb GET "/post?id=$bare"
has "the post page marks the other as leaving {{case.number}} to fill in" "$BODY" \
  "Zorblax quindle wibble: case {{case.number}}</span> <strong data-testid=\"canned-unfilled\">($(jq -r .canned_unfilled "$PARLEY_ROOT_DIR/templates/i18n/en.json") {{case.number}})</strong>"
eq "… only that one" "$(grep -o 'data-testid="canned-unfilled"' <<<"$BODY" | wc -l)" 1
hasnt "… with nothing said above the composer" "$BODY" 'data-testid="composer-unfilled"'
req kb GET "/post?id=$bare&use=$needs"
# (after the author's @name when the post, like the one it copies, is a Mastodon one)
check "used, the composer starts with it" grep -qE \
  '>(@[^ <]+ )?Zorblax quindle wibble: case \{\{case\.number\}\}</textarea>' <<<"$BODY"
has "… saying above it which placeholder is left to fill in" "$BODY" \
  "<p class=\"error\" data-testid=\"composer-unfilled\">$(jq -r .canned_left_to_fill "$PARLEY_ROOT_DIR/templates/i18n/en.json") {{case.number}}</p>"
eq "… the list still marking only the reply that leaves it" "$(grep -o 'data-testid="canned-unfilled"' <<<"$BODY" | wc -l)" 1
req kb GET "/post?id=$bare&use=$fits"
hasnt "a reply filled in whole says nothing of the kind" "$BODY" 'data-testid="composer-unfilled"'
sql "DELETE FROM crm.canned_reply WHERE id IN ($needs, $fits); DELETE FROM social.post WHERE id = $bare" >/dev/null

# Double submits: the key a page gives its forms makes a repeat act once.
req kb GET /kb/edit
ktok=$(csrf_of); fkey=$(form_key_of)
eq "the editor's form carries a key" "${#fkey}" 64
post kb /kb/save "csrf=$ktok" "form_key=$fkey" "title=Double click" lang=en "body_md=Once."
first=$(header Location)
post kb /kb/save "csrf=$ktok" "form_key=$fkey" "title=Double click" lang=en "body_md=Once."
eq "a form submitted again is answered as the first time" "$STATUS $(header Location)" "303 $first"
eq "… and saves one article" "$(sql "SELECT count(*) FROM crm.kb_article WHERE title = 'Double click'")" 1
post kb /kb/save "csrf=$ktok" "form_key=$fkey" "title=Double click, corrected" lang=en "body_md=Once."
eq "the same form sent back with other fields is a new article" \
  "$(sql "SELECT count(*) FROM crm.kb_article WHERE title LIKE 'Double click%'")" 2
post kb /kb/save "csrf=$ktok" "form_key=../../etc" "title=x" lang=en "body_md=x"
eq "a damaged form key is 400" "$STATUS" 400
req kb GET /kb/edit
ktok=$(csrf_of); fkey=$(form_key_of)
for i in 1 2 3 4; do
  curl -s -o /dev/null -w '%{http_code} %{redirect_url}\n' -b "$E2E_TMP/kb.jar" -H "Origin: $ORIGIN" --data-urlencode "csrf=$ktok" \
    --data-urlencode "form_key=$fkey" --data-urlencode "title=Four clicks" --data-urlencode lang=en \
    --data-urlencode "body_md=Thanks for waiting." "$BASE/kb/save" &
done >"$E2E_TMP/codes"
wait
eq "four simultaneous submits of one form get one answer: 303 to the one article" \
  "$(sort -u "$E2E_TMP/codes")" "303 $BASE/kb/article?id=$(sql "SELECT min(id) FROM crm.kb_article WHERE title = 'Four clicks'")"
eq "… which is saved once" "$(sql "SELECT count(*) FROM crm.kb_article WHERE title = 'Four clicks'")" 1

# Deleting an article is its author's or an admin's; another writer gets 403 and it stays.
four=$(sql "SELECT id FROM crm.kb_article WHERE title = 'Four clicks'")
login km e2e_marketer "$PW"
req km GET "/kb/article?id=$four"
has "another writer may edit an article" "$BODY" "href=\"/kb/edit?id=$four\""
hasnt "… but its page offers them no delete" "$BODY" 'action="/kb/delete"'
post km /kb/delete "csrf=$(csrf_of)" "id=$four"
eq "another writer may not delete an article: 403" "$STATUS" 403
has "… saying whose it is to delete" "$BODY" "$(jq -r '.["err.kb_delete"]' "$PARLEY_ROOT_DIR/templates/i18n/en.json")"
eq "… and it stays" "$(sql "SELECT count(*) FROM crm.kb_article WHERE id = $four")" 1
req kb GET /kb
post kb /kb/delete "csrf=$(csrf_of)" "id=$four"
eq "its author deletes it" "$STATUS" 303
eq "… and it is gone" "$(sql "SELECT count(*) FROM crm.kb_article WHERE id = $four")" 0
