/* Facebook Pages and Instagram business accounts (Meta Graph API; the
 * account's api_base_url is e.g. https://graph.facebook.com/v19.0 and its
 * external id the Page id or the IG user id).
 * Edges page newest first through paging.cursors.after and have no since_id:
 * a run walks down to the newest item the previous run saw (the mark, Unix
 * seconds) and only then moves the mark, and where the edge filters by time
 * (a Page's feed and tagged posts) `since` asks only for what is new. The
 * replies stream reads the comments of each recent own post, one post per
 * page; Instagram embeds only a comment's first replies, and a comment with
 * more is read on through /{comment}/replies before the next post. Graph
 * lists neither a Page's nor an IG account's followers: the followers
 * stream reads the account's own profile with its counts. Replies
 * are comments (Instagram: replies to a comment); Graph has no idempotency
 * key, so after an error answer the thread is looked through for the
 * brand's comment with exactly this text, made for this reply, before
 * anything is sent again. */
#include "adapters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PAGE = 50, COMMENT_PAGE = 100 };

#define FB_COMMENT "id,message,created_time,from,parent{id},permalink_url,like_count,comment_count"
#define FB_TAGGED "id,message,created_time,updated_time,from,permalink_url,shares,reactions.summary(true).limit(0)"
#define FB_POST FB_TAGGED ",comments.summary(true){" FB_COMMENT "}"
#define IG_MEDIA "id,caption,timestamp,username,owner,permalink,media_type,comments_count,like_count"
#define IG_COMMENT_BASE "id,text,timestamp,username,from,like_count"
#define IG_REPLY IG_COMMENT_BASE ",parent_id"
#define IG_COMMENT IG_COMMENT_BASE ",replies{" IG_REPLY "}"
#define IG_HASHTAG_MEDIA "id,caption,timestamp,permalink,media_type,comments_count,like_count"

static bool is_fb(const stream *s) { return !strcmp(s->platform, "facebook"); }

/* A replies stream's position within its current thread, or NULL when the
 * state is another thread's (or none): the comments cursor, and the comments
 * whose embedded replies had more pages ("more": [{comment, after}]). */
static json_t *thread_state(const stream *s) { return state_is_thread(s, "cursor_for") ? s->state : NULL; }

/* The comments to read on from, as a new list: the entries that name one. */
static json_t *pending_of(json_t *st)
{
    json_t *out = json_array(), *e;
    size_t i;
    json_array_foreach(json_object_get(st, "more"), i, e) {
        if (json_string_value(json_object_get(e, "comment")))
            json_array_append_new(out, json_deep_copy(e));
    }
    return out;
}

/* Where a thread's walk goes after this page: more comments, then each
 * comment's further replies in turn, then the next thread. */
static json_t *advance_thread(const stream *s, json_t *body, const char *cursor, bool more_comments)
{
    json_t *st = thread_state(s);
    json_t *pending = pending_of(st);
    bool replies_page = !json_object_get(st, "cursor") && json_array_size(pending);
    if (replies_page) {
        json_t *head = json_array_get(pending, 0);
        const char *was = json_string_value(json_object_get(head, "after"));
        /* a page that goes no further (empty, or the same cursor again) ends it */
        if (more_comments && json_array_size(json_object_get(body, "data")) && !(was && !strcmp(was, cursor)))
            json_object_set_new(head, "after", json_string(cursor));
        else
            json_array_remove(pending, 0);
        more_comments = false;
    } else {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(body, "data"), i, c) {
            json_t *paging = json_object_get(json_object_get(c, "replies"), "paging");
            const char *id = json_string_value(json_object_get(c, "id"));
            const char *rc = json_string_value(json_object_get(json_object_get(paging, "cursors"), "after"));
            if (id && rc && json_string_value(json_object_get(paging, "next")))
                json_array_append_new(pending, json_pack("{s:s, s:s}", "comment", id, "after", rc));
        }
    }
    if (!more_comments && !json_array_size(pending)) {
        json_decref(pending);
        return json_pack("{s:I}", "after", (json_int_t)s->target_id);
    }
    json_t *out = json_pack("{s:I, s:I, s:o}", "after", (json_int_t)s->target_id - 1, "cursor_for",
                            (json_int_t)s->target_id, "more", pending);
    if (more_comments)
        json_object_set_new(out, "cursor", json_string(cursor));
    if (!json_array_size(pending))
        json_object_del(out, "more");
    return out;
}

/* "&after=CURSOR" when the state holds a cursor, else "". */
static const char *after(arena *a, json_t *state)
{
    const char *c = json_string_value(json_object_get(state, "cursor"));
    return c ? arena_printf(a, "&after=%s", url_escape(a, c)) : "";
}

static const char *edge(arena *a, const stream *s, const char *object, const char *name, const char *fields,
                        int limit, const char *extra)
{
    return arena_printf(a, "%s/%s/%s?fields=%s&limit=%d%s%s", s->base_url, url_escape(a, object), name,
                        url_escape(a, fields), limit, extra, after(a, s->state));
}

/* The hashtag of an Instagram search stream: one word, without its '#'. */
static const char *hashtag(const char *q)
{
    while (q && *q == '#')
        q++;
    return q && *q && !strpbrk(q, " \t\r\n#,") ? q : NULL;
}

/* A comment whose further replies Graph refuses (hidden or deleted since)
 * is passed over alone: the thread's other comments are still read. Other
 * refusals: the database passes over the thread. */
static json_t *refused(const stream *s, bool *run_done)
{
    *run_done = false;
    if (strcmp(s->kind, "replies"))
        return NULL;
    json_t *st = thread_state(s);
    json_t *pending = json_object_get(st, "cursor") ? NULL : pending_of(st);
    if (json_array_size(pending) < 2) {
        json_decref(pending);
        return NULL;
    }
    json_array_remove(pending, 0);
    json_t *out = json_deep_copy(st);
    json_object_set_new(out, "more", pending);
    return out;
}

static const char *plan(arena *a, const stream *s, page_plan *out)
{
    const char *me = s->account_external_id;
    bool fb = is_fb(s);
    if (!strcmp(s->kind, "replies")) {
        json_t *st = thread_state(s);
        const char *c = json_string_value(json_object_get(st, "cursor"));
        json_t *pending = c ? NULL : pending_of(st);
        json_t *next = json_array_get(pending, 0);
        arena_defer(a, (void (*)(void *))json_decref, pending);
        if (next) { /* the rest of a comment's replies, past those embedded under it */
            const char *rc = json_string_value(json_object_get(next, "after"));
            out->endpoint = "replies";
            out->url = arena_printf(a, "%s/%s/replies?fields=%s&limit=%d%s%s", s->base_url,
                                    url_escape(a, json_string_value(json_object_get(next, "comment"))),
                                    url_escape(a, IG_REPLY), COMMENT_PAGE, rc ? "&after=" : "",
                                    rc ? url_escape(a, rc) : "");
            return NULL;
        }
        const char *more = c ? arena_printf(a, "&after=%s", url_escape(a, c)) : "";
        out->endpoint = "comments";
        out->url = arena_printf(a, "%s/%s/comments?%sfields=%s&limit=%d%s", s->base_url, url_escape(a, s->target),
                                fb ? "filter=stream&order=chronological&" : "",
                                url_escape(a, fb ? FB_COMMENT : IG_COMMENT), COMMENT_PAGE, more);
        return NULL;
    }
    if (!me || !*me)
        return fb ? "the Page id is not known: set it as the account's platform id"
                  : "the Instagram user id is not known: set it as the account's platform id";
    json_t *mark = json_object_get(s->state, "mark");
    const char *since = fb && json_is_integer(mark) /* kept through the run: every page filters */
                            ? arena_printf(a, "&since=%lld", (long long)json_integer_value(mark))
                            : "";
    if (!strcmp(s->kind, "own_posts")) {
        out->endpoint = fb ? "feed" : "media";
        out->url = edge(a, s, me, fb ? "feed" : "media", fb ? FB_POST : IG_MEDIA, PAGE, since);
    } else if (!strcmp(s->kind, "mentions")) {
        out->endpoint = fb ? "tagged" : "tags";
        out->url = edge(a, s, me, fb ? "tagged" : "tags", fb ? FB_TAGGED : IG_MEDIA, PAGE, since);
    } else if (!strcmp(s->kind, "followers")) {
        out->endpoint = fb ? "page" : "user";
        out->url = arena_printf(
            a, "%s/%s?fields=%s", s->base_url, url_escape(a, me),
            url_escape(a, fb ? "id,name,username,about,link,followers_count,fan_count,verification_status"
                             : "id,username,name,biography,website,profile_picture_url,followers_count,"
                               "follows_count,media_count"));
    } else if (!strcmp(s->kind, "search")) {
        if (fb)
            return "Facebook's Graph API has no public post search: follow Facebook through the Page's own "
                   "streams and webhooks";
        const char *tag = hashtag(s->query);
        if (!tag)
            return "Instagram searches hashtags only: use one word, e.g. lumen or #lumen";
        const char *hid = json_string_value(json_object_get(s->state, "hashtag_id"));
        const char *user = arena_printf(a, "&user_id=%s", url_escape(a, me));
        if (!hid) {
            out->endpoint = "hashtag";
            out->url = arena_printf(a, "%s/ig_hashtag_search?user_id=%s&q=%s", s->base_url, url_escape(a, me),
                                    url_escape(a, tag));
        } else {
            out->endpoint = "media";
            out->url = edge(a, s, hid, "recent_media", IG_HASHTAG_MEDIA, PAGE, user);
        }
    } else {
        return "unknown stream kind";
    }
    return NULL;
}

static json_t *advance(const stream *s, json_t *body, json_t *headers, bool *done)
{
    (void)headers;
    const char *cursor = json_string_value(json_object_get(json_object_get(json_object_get(body, "paging"), "cursors"),
                                                           "after"));
    bool more = json_string_value(json_object_get(json_object_get(body, "paging"), "next")) && cursor;
    if (!strcmp(s->kind, "replies")) {
        /* One thread per page; the database picks the next. A thread with
         * more to read stays the target ("after" just before it). */
        *done = false;
        return advance_thread(s, body, cursor, more);
    }
    if (!strcmp(s->kind, "followers")) {
        *done = true;
        return json_object();
    }
    json_t *st = json_object();
    const char *hid = json_string_value(json_object_get(s->state, "hashtag_id"));
    if (!strcmp(s->kind, "search") && !hid) { /* the hashtag's id, then its media */
        hid = json_string_value(json_object_get(json_array_get(json_object_get(body, "data"), 0), "id"));
        *done = !hid;
        json_t *mark = json_object_get(s->state, "mark");
        if (mark)
            json_object_set(st, "mark", mark);
        if (hid)
            json_object_set_new(st, "hashtag_id", json_string(hid));
        return st;
    }
    if (hid)
        json_object_set_new(st, "hashtag_id", json_string(hid));
    json_t *jm = json_object_get(s->state, "mark"), *jt = json_object_get(s->state, "run_top");
    bool has_mark = json_is_integer(jm), has_top = json_is_integer(jt);
    long long mark = json_integer_value(jm), top = json_integer_value(jt), newest = 0, oldest = 0;
    bool any = false;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(body, "data"), i, item) {
        long long t;
        if (!iso_time(json_string_value(json_object_get(item, is_fb(s) ? "created_time" : "timestamp")), &t))
            continue;
        if (!any || t > newest)
            newest = t;
        if (!any || t < oldest)
            oldest = t;
        any = true;
    }
    if (!has_top && any) {
        top = newest;
        has_top = true;
    }
    *done = !more || !any || (has_mark && oldest <= mark);
    if (*done) {
        if (has_top && (!has_mark || top > mark)) {
            mark = top;
            has_mark = true;
        }
        if (has_mark)
            json_object_set_new(st, "mark", json_integer(mark));
        return st;
    }
    json_object_set_new(st, "cursor", json_string(cursor));
    if (has_mark)
        json_object_set_new(st, "mark", json_integer(mark));
    if (has_top)
        json_object_set_new(st, "run_top", json_integer(top));
    return st;
}

/* The highest percentage in a usage object ({call_count, total_cputime,
 * total_time}) and its estimated_time_to_regain_access (minutes). */
static void usage(json_t *u, int *pct, long long *regain)
{
    const char *keys[] = {"call_count", "total_cputime", "total_time", "acc_id_util_pct"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        json_t *v = json_object_get(u, keys[i]);
        int p = json_is_number(v) ? (int)json_number_value(v) : -1;
        if (p > *pct)
            *pct = p;
    }
    json_t *r = json_object_get(u, "estimated_time_to_regain_access");
    if (json_is_integer(r) && json_integer_value(r) > *regain)
        *regain = json_integer_value(r);
}

/* X-App-Usage and X-Business-Use-Case-Usage give percentages of the quota
 * used ({"call_count":28,...}; the latter per business id, a list per
 * type): what is left is 100 minus the highest. */
static void quota(arena *a, json_t *headers, int *remaining, const char **reset_at)
{
    int pct = -1;
    long long regain = 0;
    const char *app_h = header(headers, "x-app-usage"), *buc_h = header(headers, "x-business-use-case-usage");
    json_t *app = app_h ? json_loads(app_h, 0, NULL) : NULL;
    usage(app, &pct, &regain);
    json_decref(app);
    json_t *buc = buc_h ? json_loads(buc_h, 0, NULL) : NULL;
    const char *k;
    json_t *list;
    json_object_foreach(buc, k, list) {
        size_t i;
        json_t *u;
        json_array_foreach(list, i, u) usage(u, &pct, &regain);
    }
    json_decref(buc);
    *remaining = pct < 0 ? -1 : pct >= 100 ? 0 : 100 - pct;
    *reset_at = regain > 0 ? wait_for(a, regain > MAX_WAIT / 60 ? MAX_WAIT : regain * 60) : NULL;
}

/* Graph's {"error": {message, type, code, error_subcode, fbtrace_id}}. */
static const char *failure(arena *a, long status, json_t *body, const char **message)
{
    (void)status;
    json_t *e = json_object_get(body, "error");
    if (!json_is_object(e))
        return NULL;
    const char *msg = json_string_value(json_object_get(e, "message"));
    json_int_t code = json_integer_value(json_object_get(e, "code"));
    json_int_t sub = json_integer_value(json_object_get(e, "error_subcode"));
    *message = sub ? arena_printf(a, "%s (code %lld, subcode %lld)", msg ? msg : "Graph API error", (long long)code,
                                  (long long)sub)
                   : arena_printf(a, "%s (code %lld)", msg ? msg : "Graph API error", (long long)code);
    if (code == 190 || code == 102)
        return "auth";
    if (code == 4 || code == 17 || code == 32 || code == 613 || (code >= 80001 && code <= 80009))
        return "throttled";
    if (code == 1 || code == 2)
        return "server";
    return "client";
}

/* Whether e answers a comment (or the brand's own reply) rather than a post. */
static bool to_comment(const reply_entry *e)
{
    return e->target_kind && (!strcmp(e->target_kind, "comment") || !strcmp(e->target_kind, "reply"));
}

/* Instagram answers a comment under /{comment}/replies, everything else
 * (a Page post or comment, an IG media) under /{object}/comments. Graph
 * keeps two levels: a reply to a reply is made under the top comment, and
 * only that comment's list holds it, so both requests go there. */
static const char *reply(arena *a, const reply_entry *e, bool lookup, reply_plan *out)
{
    if (!e->target || !*e->target)
        return "the post's platform id is not known";
    bool fb = !strcmp(e->platform, "facebook");
    out->headers[0] = NULL;
    const char *object = e->target_top && *e->target_top ? e->target_top : e->target;
    bool ig_comment = !fb && to_comment(e);
    out->url = arena_printf(a, "%s/%s/%s", e->base_url, url_escape(a, object), ig_comment ? "replies" : "comments");
    if (lookup) { /* the newest comments first, with their author, text, time and (Facebook) parent */
        out->url = arena_printf(a, "%s?fields=%s&limit=%d%s", out->url,
                                url_escape(a, fb ? "id,message,from,created_time,parent{id}"
                                                 : "id,text,from,username,timestamp"),
                                COMMENT_PAGE, fb ? "&filter=stream&order=reverse_chronological" : "");
        out->body = NULL;
        return NULL;
    }
    json_t *b = json_pack("{s:s}", "message", e->body);
    if (!b)
        return "the reply is not valid text";
    out->body = json_text(a, b);
    json_decref(b);
    return NULL;
}

/* Whether a comment a lookup lists answers what e answers. Facebook lists a
 * post's whole thread (filter=stream): the same words under one of its
 * comments are another reply. A comment's own list holds only its thread's
 * replies, all with it as parent: whether one answers the comment itself or
 * a reply under it cannot be told, so any may be e's (lookup_may_take). */
static bool answers_target(const reply_entry *e, json_t *comment)
{
    return to_comment(e) || !json_object_get(comment, "parent");
}

/* A send answers {"id"}; a lookup {"data": [comments]}, among which the
 * brand's (from.id is the account's id) with exactly this text, answering
 * the target, made for this entry (lookup_may_take). */
static const char *replied(arena *a, const reply_entry *e, json_t *body, const char **external_id,
                           const char **url)
{
    *url = NULL;
    json_t *data = json_object_get(body, "data");
    if (!json_is_array(data)) {
        const char *id = json_string_value(json_object_get(body, "id"));
        if (!id || !*id)
            return "the answer has no comment id";
        *external_id = arena_strdup(a, id);
        return NULL;
    }
    size_t i;
    json_t *c;
    json_array_foreach(data, i, c) {
        const char *id = json_string_value(json_object_get(c, "id"));
        const char *from = json_string_value(json_object_get(json_object_get(c, "from"), "id"));
        const char *text = json_string_value(json_object_get(c, "message"));
        const char *made = json_string_value(json_object_get(c, "created_time"));
        if (!text)
            text = json_string_value(json_object_get(c, "text"));
        if (!made)
            made = json_string_value(json_object_get(c, "timestamp"));
        if (id && *id && from && e->repo && !strcmp(from, e->repo) && text && !strcmp(text, e->body) &&
            answers_target(e, c) && lookup_may_take(e, id, made)) {
            *external_id = arena_strdup(a, id);
            const char *u = json_string_value(json_object_get(c, "permalink_url"));
            *url = u ? arena_strdup(a, u) : NULL;
            return NULL;
        }
    }
    return "the brand's comment is not there";
}

const adapter facebook_adapter = {.platform = "facebook",
                                  .plan = plan,
                                  .advance = advance,
                                  .quota = quota,
                                  .reply = reply,
                                  .replied = replied,
                                  .failure = failure,
                                  .refused = refused};
const adapter instagram_adapter = {.platform = "instagram",
                                   .plan = plan,
                                   .advance = advance,
                                   .quota = quota,
                                   .reply = reply,
                                   .replied = replied,
                                   .failure = failure,
                                   .refused = refused};
