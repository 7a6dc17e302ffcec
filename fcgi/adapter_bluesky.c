/* Bluesky (AT Protocol XRPC on the account's PDS/AppView base URL).
 * Its cursors only page backwards, so a run walks from the newest item down
 * to the newest one the previous run saw (the high-water mark) and only then
 * moves the mark: a run cut short is resumed from its cursor, and nothing
 * older than the mark is fetched again. Followers are walked fully each run,
 * and replies are the thread of each recent own post. */
#include "adapters.h"

#include <stdlib.h>
#include <string.h>

/* THREAD_DEPTH: how far down a thread getPostThread answers (its default,
 * 6, leaves out the end of a longer back-and-forth under a post). Not its
 * maximum, 1000: that answer would nest JSON about 2,000 levels deep, at the
 * parsers' limits. */
enum { PAGE = 50, FOLLOWER_PAGE = 100, THREAD_DEPTH = 100 };

static const char *plan(arena *a, const stream *s, page_plan *out)
{
    const char *cursor = json_string_value(json_object_get(s->state, "cursor"));
    const char *more = cursor ? arena_printf(a, "&cursor=%s", url_escape(a, cursor)) : "";
    /* the account's DID once known: a handle can be given to someone else */
    const char *did = s->account_external_id;
    const char *actor = url_escape(a, did && !strncmp(did, "did:", 4) ? did : s->handle);
    if (!strcmp(s->kind, "mentions")) {
        out->endpoint = "notifications";
        out->url = arena_printf(a, "%s/xrpc/app.bsky.notification.listNotifications?limit=%d%s", s->base_url,
                                PAGE, more);
    } else if (!strcmp(s->kind, "own_posts")) {
        out->endpoint = "author_feed";
        out->url = arena_printf(a, "%s/xrpc/app.bsky.feed.getAuthorFeed?actor=%s&limit=%d%s", s->base_url, actor,
                                PAGE, more);
    } else if (!strcmp(s->kind, "replies")) {
        out->endpoint = "post_thread";
        out->url = arena_printf(a, "%s/xrpc/app.bsky.feed.getPostThread?uri=%s&depth=%d", s->base_url,
                                url_escape(a, s->target), THREAD_DEPTH);
    } else if (!strcmp(s->kind, "search")) {
        out->endpoint = "search";
        out->url = arena_printf(a, "%s/xrpc/app.bsky.feed.searchPosts?q=%s&limit=%d%s", s->base_url,
                                url_escape(a, s->query), PAGE, more);
    } else if (!strcmp(s->kind, "followers")) {
        out->endpoint = "followers";
        out->url = arena_printf(a, "%s/xrpc/app.bsky.graph.getFollowers?actor=%s&limit=%d%s", s->base_url, actor,
                                FOLLOWER_PAGE, more);
    } else {
        return "unknown stream kind";
    }
    return NULL;
}

/* The items of a page and where each keeps its time stamp. */
static json_t *items_of(const stream *s, json_t *body, const char **time_path)
{
    *time_path = NULL;
    if (!strcmp(s->kind, "mentions"))
        return json_object_get(body, "notifications");
    if (!strcmp(s->kind, "own_posts")) {
        *time_path = "post";
        return json_object_get(body, "feed");
    }
    if (!strcmp(s->kind, "search"))
        return json_object_get(body, "posts");
    return json_object_get(body, "followers");
}

static json_t *advance(const stream *s, json_t *body, json_t *headers, bool *done)
{
    (void)headers;
    if (!strcmp(s->kind, "replies")) { /* one thread per page; the database picks the next */
        *done = false;
        return json_pack("{s:I}", "after", (json_int_t)s->target_id);
    }
    const char *cursor = json_string_value(json_object_get(body, "cursor"));
    if (!strcmp(s->kind, "followers")) {
        *done = !cursor;
        return cursor ? json_pack("{s:s}", "cursor", cursor) : json_object();
    }
    const char *mark = json_string_value(json_object_get(s->state, "high_water"));
    const char *top = json_string_value(json_object_get(s->state, "run_top"));
    const char *path;
    json_t *items = items_of(s, body, &path), *item;
    const char *newest = NULL, *oldest = NULL;
    size_t i;
    json_array_foreach(items, i, item) {
        json_t *holder = path ? json_object_get(item, path) : item;
        const char *at = json_string_value(json_object_get(holder, "indexedAt"));
        if (!at)
            continue;
        if (!newest || strcmp(at, newest) > 0)
            newest = at;
        if (!oldest || strcmp(at, oldest) < 0)
            oldest = at;
    }
    if (!top)
        top = newest;
    bool reached_mark = mark && oldest && strcmp(oldest, mark) <= 0;
    *done = !cursor || !oldest || reached_mark;
    const char *new_mark = mark;
    if (*done && top && (!mark || strcmp(top, mark) > 0))
        new_mark = top;
    if (*done)
        return new_mark ? json_pack("{s:s}", "high_water", new_mark) : json_object();
    json_t *st = json_pack("{s:s}", "cursor", cursor);
    if (mark)
        json_object_set_new(st, "high_water", json_string(mark));
    if (top)
        json_object_set_new(st, "run_top", json_string(top));
    return st;
}

static void quota(arena *a, json_t *headers, int *remaining, const char **reset_at)
{
    *remaining = header_count(headers, "ratelimit-remaining");
    long long reset; /* epoch seconds */
    *reset_at = header_number(headers, "ratelimit-reset", &reset) ? wait_until(a, reset) : NULL;
}

/* A strong ref {uri, cid} from the lease's reply refs, or NULL. */
static json_t *strong_ref(json_t *ref)
{
    const char *uri = json_string_value(json_object_get(ref, "uri"));
    const char *cid = json_string_value(json_object_get(ref, "cid"));
    return uri && cid ? json_pack("{s:s, s:s}", "uri", uri, "cid", cid) : NULL;
}

/* A reply is an app.bsky.feed.post record in the brand's repo under the
 * entry's own record key, so a repeated send cannot make a second post: it
 * is refused, and the lookup (getRecord of that key) tells whether an
 * earlier attempt already made it. */
static const char *reply(arena *a, const reply_entry *e, bool lookup, reply_plan *out)
{
    if (!e->repo || !e->rkey)
        return "the account's handle is not known";
    out->headers[0] = NULL;
    if (lookup) {
        out->url = arena_printf(a, "%s/xrpc/com.atproto.repo.getRecord?repo=%s&collection=app.bsky.feed.post&rkey=%s",
                                e->base_url, url_escape(a, e->repo), url_escape(a, e->rkey));
        out->body = NULL;
        return NULL;
    }
    json_t *root = strong_ref(json_object_get(e->ref, "root"));
    json_t *parent = strong_ref(json_object_get(e->ref, "parent"));
    if (!root || !parent) {
        json_decref(root);
        json_decref(parent);
        return "the post's content id (cid) is not known, so Bluesky cannot link a reply to it";
    }
    json_t *b = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:{s:o, s:o}}}", "repo", e->repo, "collection",
                          "app.bsky.feed.post", "rkey", e->rkey, "record", "$type", "app.bsky.feed.post", "text",
                          e->body, "createdAt", e->created_at, "reply", "root", root, "parent", parent);
    if (!b)
        return "the reply is not valid text";
    out->url = arena_printf(a, "%s/xrpc/com.atproto.repo.createRecord", e->base_url);
    out->body = json_text(a, b);
    json_decref(b);
    return NULL;
}

/* createRecord and getRecord both answer with the record's uri (and cid). */
static const char *replied(arena *a, const reply_entry *e, json_t *body, const char **external_id,
                           const char **url)
{
    const char *uri = json_string_value(json_object_get(body, "uri"));
    size_t n = uri ? strlen(uri) : 0, k = strlen(e->rkey);
    if (!uri || strncmp(uri, "at://", 5) || n <= k || strcmp(uri + n - k, e->rkey))
        return "the answer has no uri of the record";
    const char *did = arena_strndup(a, uri + 5, strcspn(uri + 5, "/"));
    *external_id = arena_strdup(a, uri);
    *url = arena_printf(a, "https://bsky.app/profile/%s/post/%s", did, e->rkey);
    return NULL;
}

/* getRecord of a key not in the repo: 400 with the XRPC error RecordNotFound. */
static bool lookup_absent(long status, json_t *body)
{
    const char *error = json_string_value(json_object_get(body, "error"));
    return status == 400 && error && !strcmp(error, "RecordNotFound");
}

const adapter bluesky_adapter = {
    .platform = "bluesky", .plan = plan, .advance = advance, .quota = quota, .reply = reply, .replied = replied,
    .lookup_absent = lookup_absent, .resend_is_safe = true};
