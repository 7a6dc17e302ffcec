/* Mastodon (any instance; the account's api_base_url names it).
 * Mentions, own posts and searches are crawled forward with min_id, so each
 * run asks only for what is newer than the newest item already stored; the
 * followers list is walked backwards through Link rel="next" on every run;
 * replies are the context (descendants) of each recent own post. */
#include "adapters.h"

#include <stdlib.h>
#include <string.h>

enum { PAGE = 40, FOLLOWER_PAGE = 80 };

static const char *plan(arena *a, const stream *s, page_plan *out)
{
    const char *newest = state_text(s, "min_id");
    const char *min_id = url_escape(a, newest ? newest : "0");
    const char *me = s->account_external_id;
    if (!strcmp(s->kind, "mentions")) {
        out->endpoint = "notifications";
        out->url = arena_printf(a, "%s/api/v1/notifications?limit=%d&min_id=%s", s->base_url, PAGE, min_id);
    } else if (!strcmp(s->kind, "replies")) {
        out->endpoint = "context";
        out->url = arena_printf(a, "%s/api/v1/statuses/%s/context", s->base_url, url_escape(a, s->target));
    } else if (!strcmp(s->kind, "search")) {
        out->endpoint = "search";
        out->url = arena_printf(a, "%s/api/v2/search?type=statuses&limit=%d&q=%s&min_id=%s", s->base_url, PAGE,
                                url_escape(a, s->query), min_id);
    } else if (!me || !*me) {
        return "the account's platform id is not known: set it on the account";
    } else if (!strcmp(s->kind, "own_posts")) {
        out->endpoint = "statuses";
        out->url = arena_printf(a, "%s/api/v1/accounts/%s/statuses?limit=%d&min_id=%s", s->base_url,
                                url_escape(a, me), PAGE, min_id);
    } else if (!strcmp(s->kind, "followers")) {
        const char *page = json_string_value(json_object_get(s->state, "max_id"));
        out->endpoint = "accounts";
        out->url = arena_printf(a, "%s/api/v1/accounts/%s/followers?limit=%d%s%s", s->base_url, url_escape(a, me),
                                FOLLOWER_PAGE, page ? "&max_id=" : "", page ? url_escape(a, page) : "");
    } else {
        return "unknown stream kind";
    }
    return NULL;
}

static json_t *advance(const stream *s, json_t *body, json_t *headers, bool *done)
{
    if (!strcmp(s->kind, "replies")) { /* one thread per page; the database picks the next */
        *done = false;
        return json_pack("{s:I}", "after", (json_int_t)s->target_id);
    }
    if (!strcmp(s->kind, "followers")) {
        arena *a = arena_new();
        const char *next = link_param(a, header(headers, "link"), "next", "max_id");
        json_t *st = next ? json_pack("{s:s}", "max_id", next) : json_object();
        *done = !next;
        arena_free(a);
        return st;
    }
    json_t *items = !strcmp(s->kind, "search") ? json_object_get(body, "statuses") : body;
    const char *newest = json_string_value(json_object_get(s->state, "min_id"));
    size_t i, n = json_is_array(items) ? json_array_size(items) : 0;
    json_t *item;
    json_array_foreach(items, i, item) {
        const char *id = json_string_value(json_object_get(item, "id"));
        if (id && (!newest || decimal_id_cmp(id, newest) > 0))
            newest = id;
    }
    /* A short page means there is nothing newer yet. */
    *done = n < PAGE;
    return newest ? json_pack("{s:s}", "min_id", newest) : json_object();
}

static void quota(arena *a, json_t *headers, int *remaining, const char **reset_at)
{
    *remaining = header_count(headers, "x-ratelimit-remaining");
    long long reset; /* ISO 8601 */
    *reset_at = iso_time(header(headers, "x-ratelimit-reset"), &reset) ? wait_until(a, reset) : NULL;
}

/* A reply is a status with in_reply_to_id, in the visibility of the post it
 * answers. Mastodon keeps the Idempotency-Key for an hour and answers a
 * repeat with the status it made, so no lookup is needed after an error. */
static const char *reply(arena *a, const reply_entry *e, bool lookup, reply_plan *out)
{
    if (lookup) {
        out->url = NULL;
        return NULL;
    }
    static const char *const visibilities[] = {"public", "unlisted", "private", "direct"};
    json_t *b = json_pack("{s:s, s:s}", "status", e->body, "in_reply_to_id", e->target);
    if (!b)
        return "the reply is not valid text";
    for (size_t i = 0; e->visibility && i < sizeof visibilities / sizeof *visibilities; i++)
        if (!strcmp(e->visibility, visibilities[i]))
            json_object_set_new(b, "visibility", json_string(e->visibility));
    out->url = arena_printf(a, "%s/api/v1/statuses", e->base_url);
    out->body = json_text(a, b);
    json_decref(b);
    out->headers[0] = arena_printf(a, "Idempotency-Key: %s", e->key);
    out->headers[1] = NULL;
    return NULL;
}

static const char *replied(arena *a, const reply_entry *e, json_t *body, const char **external_id,
                           const char **url)
{
    (void)e;
    const char *id = json_string_value(json_object_get(body, "id"));
    const char *u = json_string_value(json_object_get(body, "url"));
    if (!id || !*id)
        return "the answer has no status id";
    *external_id = arena_strdup(a, id);
    *url = u ? arena_strdup(a, u) : NULL;
    return NULL;
}

const adapter mastodon_adapter = {
    .platform = "mastodon", .plan = plan, .advance = advance, .quota = quota, .reply = reply, .replied = replied,
    .resend_is_safe = true};
