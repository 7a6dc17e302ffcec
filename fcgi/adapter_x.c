/* X (API v2 on the account's api_base_url, e.g. https://api.x.com).
 * Mentions, own posts and searches are crawled forward: a run pages from the
 * newest Tweet down to since_id (the newest one the previous run saw) with
 * next_token, and only then moves since_id, so a run cut short resumes from
 * its token. Followers are walked fully each run; replies are the
 * conversation (conversation_id search, every page) of each recent own post. Replies are
 * sent as Tweets; X has no idempotency key, but refuses a Tweet repeating
 * the text of a recent one, so after an error answer the brand's recent
 * Tweets are looked through for the reply before it counts as not sent. */
#include "adapters.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PAGE = 100, FOLLOWER_PAGE = 1000 };

#define X_FIELDS                                                                                                  \
    "expansions=author_id,referenced_tweets.id,referenced_tweets.id.author_id,in_reply_to_user_id"               \
    "&tweet.fields=created_at,lang,conversation_id,referenced_tweets,in_reply_to_user_id,public_metrics,"        \
    "edit_history_tweet_ids,author_id,entities,note_tweet"                                                        \
    "&user.fields=created_at,description,location,public_metrics,verified,username,name,profile_image_url"
#define X_USER_FIELDS "user.fields=created_at,description,location,public_metrics,verified,username,name,profile_image_url"

/* "&name=value" when the state has the key, else "". */
static const char *param(arena *a, const stream *s, const char *key, const char *name)
{
    const char *v = state_text(s, key);
    return v ? arena_printf(a, "&%s=%s", name, url_escape(a, v)) : "";
}

static bool decimal(const char *s)
{
    if (!s || !*s || strlen(s) > 30)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Recent search only reaches back seven days, and X refuses a since_id from
 * before that (400): an older mark asks for the whole window instead (the
 * Tweets already stored are recognised). X ids carry their time: Unix ms =
 * (id >> 22) + 1288834974657. */
static bool searchable(const char *id)
{
    if (!decimal(id) || strlen(id) > 19)
        return false;
    long long ms = (long long)(strtoull(id, NULL, 10) >> 22) + 1288834974657LL;
    return ms > ((long long)time(NULL) - 7 * 86400 + 3600) * 1000;
}

static const char *plan(arena *a, const stream *s, page_plan *out)
{
    const char *me = s->account_external_id;
    const char *since = param(a, s, "since_id", "since_id");
    if (!strcmp(s->kind, "search")) {
        out->endpoint = "tweets";
        out->url = arena_printf(a, "%s/2/tweets/search/recent?query=%s&max_results=%d&%s%s%s", s->base_url,
                                url_escape(a, s->query), PAGE, X_FIELDS,
                                searchable(state_text(s, "since_id")) ? since : "",
                                param(a, s, "next_token", "next_token"));
    } else if (!strcmp(s->kind, "replies")) {
        bool same = state_is_thread(s, "thread");
        out->endpoint = "tweets";
        out->url = arena_printf(a, "%s/2/tweets/search/recent?query=%s&max_results=%d&%s%s", s->base_url,
                                url_escape(a, arena_printf(a, "conversation_id:%s", s->target)), PAGE, X_FIELDS,
                                same ? param(a, s, "next_token", "next_token") : "");
    } else if (!me || !*me) {
        return "the account's platform id is not known: set it on the account";
    } else if (!strcmp(s->kind, "mentions") || !strcmp(s->kind, "own_posts")) {
        bool mentions = !strcmp(s->kind, "mentions");
        out->endpoint = mentions ? "mentions" : "tweets";
        out->url = arena_printf(a, "%s/2/users/%s/%s?max_results=%d&%s%s%s", s->base_url, url_escape(a, me),
                                mentions ? "mentions" : "tweets", PAGE, X_FIELDS, since,
                                param(a, s, "next_token", "pagination_token"));
    } else if (!strcmp(s->kind, "followers")) {
        out->endpoint = "followers";
        out->url = arena_printf(a, "%s/2/users/%s/followers?max_results=%d&%s%s", s->base_url, url_escape(a, me),
                                FOLLOWER_PAGE, X_USER_FIELDS, param(a, s, "next_token", "pagination_token"));
    } else {
        return "unknown stream kind";
    }
    return NULL;
}

static json_t *advance(const stream *s, json_t *body, json_t *headers, bool *done)
{
    (void)headers;
    const char *next = json_string_value(json_object_get(json_object_get(body, "meta"), "next_token"));
    if (next && !*next)
        next = NULL;
    if (!strcmp(s->kind, "replies")) {
        /* One thread per page; the database picks the next. A conversation
         * with more replies stays the target ("after" just before it). */
        *done = false;
        const char *was = state_is_thread(s, "thread") ? state_text(s, "next_token") : NULL;
        if (next && !(was && !strcmp(was, next))) /* a token given twice would never end */
            return json_pack("{s:I, s:I, s:s}", "after", (json_int_t)s->target_id - 1, "thread",
                             (json_int_t)s->target_id, "next_token", next);
        return json_pack("{s:I}", "after", (json_int_t)s->target_id);
    }
    if (!strcmp(s->kind, "followers")) {
        *done = !next;
        return next ? json_pack("{s:s}", "next_token", next) : json_object();
    }
    const char *since = state_text(s, "since_id");
    const char *top = state_text(s, "run_top");
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(body, "data"), i, item) {
        const char *id = json_string_value(json_object_get(item, "id"));
        if (decimal(id) && (!top || decimal_id_cmp(id, top) > 0))
            top = id;
    }
    *done = !next;
    if (*done) { /* caught up: the newest Tweet of this run is where the next one stops */
        const char *mark = top && (!since || decimal_id_cmp(top, since) > 0) ? top : since;
        return mark ? json_pack("{s:s}", "since_id", mark) : json_object();
    }
    json_t *st = json_pack("{s:s}", "next_token", next);
    if (since)
        json_object_set_new(st, "since_id", json_string(since));
    if (top)
        json_object_set_new(st, "run_top", json_string(top));
    return st;
}

static void quota(arena *a, json_t *headers, int *remaining, const char **reset_at)
{
    *remaining = header_count(headers, "x-rate-limit-remaining");
    long long reset; /* epoch seconds */
    *reset_at = header_number(headers, "x-rate-limit-reset", &reset) ? wait_until(a, reset) : NULL;
}

static bool contains(const char *s, const char *what) { return s && strstr(s, what); }

/* X answers errors as problem JSON {title, detail, type, status} (a few
 * older ones as {errors: [{message, code}]}). 401 is a token X does not
 * take; 403 is an app or token without the access the request needs
 * ("client-not-enrolled", "Forbidden"), except for a Tweet X refuses: a
 * duplicate of a recent one, or a reply the conversation does not allow. */
static const char *failure(arena *a, long status, json_t *body, const char **message)
{
    const char *title = json_string_value(json_object_get(body, "title"));
    const char *detail = json_string_value(json_object_get(body, "detail"));
    const char *reason = json_string_value(json_object_get(body, "reason"));
    const char *type = json_string_value(json_object_get(body, "type"));
    if (!detail)
        detail = json_string_value(json_object_get(json_array_get(json_object_get(body, "errors"), 0), "message"));
    if (title && detail && strcmp(title, detail))
        *message = arena_printf(a, "HTTP %ld %s: %s", status, title, detail);
    else if (title || detail)
        *message = arena_printf(a, "HTTP %ld: %s", status, detail ? detail : title);
    if (status == 401)
        return "auth";
    if (status == 403) {
        if (contains(reason, "client-not-enrolled") || contains(type, "client-forbidden"))
            return "auth";
        if (contains(detail, "duplicate content") || contains(detail, "not allowed") || contains(detail, "not permitted"))
            return "client";
        return "auth";
    }
    return NULL;
}

/* A reply is a Tweet with reply.in_reply_to_tweet_id. The lookup lists the
 * brand's recent Tweets (its timeline, or a search from its handle in the
 * thread when its user id is not known). */
static const char *reply(arena *a, const reply_entry *e, bool lookup, reply_plan *out)
{
    out->headers[0] = NULL;
    if (!e->target || !*e->target)
        return "the post has no X id";
    if (lookup) {
        const char *fields = "tweet.fields=created_at,conversation_id,referenced_tweets,in_reply_to_user_id,author_id";
        out->body = NULL;
        if (decimal(e->repo))
            out->url = arena_printf(a, "%s/2/users/%s/tweets?max_results=%d&%s", e->base_url, e->repo, PAGE, fields);
        else if (e->repo && *e->repo)
            out->url = arena_printf(a, "%s/2/tweets/search/recent?query=%s&max_results=%d&%s", e->base_url,
                                    url_escape(a, arena_printf(a, "from:%s conversation_id:%s", e->repo,
                                                               e->target_root ? e->target_root : e->target)),
                                    PAGE, fields);
        else
            out->url = NULL;
        return NULL;
    }
    json_t *b = json_pack("{s:s, s:{s:s}}", "text", e->body, "reply", "in_reply_to_tweet_id", e->target);
    if (!b)
        return "the reply is not valid text";
    out->url = arena_printf(a, "%s/2/tweets", e->base_url);
    out->body = json_text(a, b);
    json_decref(b);
    return NULL;
}

/* X escapes &, < and > in Tweet text; the reply's own text has them plain. */
static bool same_text(const char *tweet, const char *body)
{
    static const struct { const char *entity, c; } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};
    while (*tweet && *body) {
        size_t i, n = sizeof ents / sizeof *ents;
        for (i = 0; i < n; i++)
            if (!strncmp(tweet, ents[i].entity, strlen(ents[i].entity)) && *body == ents[i].c)
                break;
        if (i < n) {
            tweet += strlen(ents[i].entity);
            body++;
        } else if (*tweet++ != *body++) {
            return false;
        }
    }
    return !*tweet && !*body;
}

static bool answers(json_t *tweet, const char *target)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(tweet, "referenced_tweets"), i, r) {
        const char *type = json_string_value(json_object_get(r, "type"));
        const char *id = json_string_value(json_object_get(r, "id"));
        if (type && id && !strcmp(type, "replied_to") && !strcmp(id, target))
            return true;
    }
    return false;
}

/* The send answers {"data": {"id", "text"}}; the lookup a page of Tweets,
 * among which the reply is the one answering the target with its text,
 * made for this entry (lookup_may_take). */
static const char *replied(arena *a, const reply_entry *e, json_t *body, const char **external_id,
                           const char **url)
{
    json_t *data = json_object_get(body, "data");
    const char *id = NULL;
    if (json_is_object(data)) {
        id = json_string_value(json_object_get(data, "id"));
    } else {
        size_t i;
        json_t *t;
        json_array_foreach(data, i, t) {
            const char *text = json_string_value(json_object_get(t, "text"));
            const char *tid = json_string_value(json_object_get(t, "id"));
            if (tid && text && same_text(text, e->body) && answers(t, e->target) &&
                lookup_may_take(e, tid, json_string_value(json_object_get(t, "created_at")))) {
                id = tid;
                break;
            }
        }
        if (!json_is_array(data) || !id)
            return "the brand's recent Tweets hold no such reply";
    }
    if (!decimal(id))
        return "the answer has no Tweet id";
    *external_id = arena_strdup(a, id);
    *url = arena_printf(a, "https://x.com/i/web/status/%s", id);
    return NULL;
}

const adapter x_adapter = {.platform = "x",
                           .plan = plan,
                           .advance = advance,
                           .quota = quota,
                           .reply = reply,
                           .replied = replied,
                           .failure = failure};
