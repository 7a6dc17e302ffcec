/* Sina Weibo (open API 2; the account's api_base_url is e.g.
 * https://api.weibo.com/2). Mentions and own posts are crawled forward: a
 * run pages down from the newest status with max_id, all above the since_id
 * mark the previous run reached, and only then moves the mark, so a run cut
 * short resumes where it stopped. Followers are walked by cursor on every
 * run; replies are the comments under each recent own post (all of them:
 * a thread longer than a page pages down with max_id); mentions are
 * the statuses and the comments that @ the brand and the comments it
 * received (see mention_lists). Weibo's status
 * search is a commercial interface ordinary apps cannot call, so search
 * streams are refused rather than faked. */
#include "adapters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PAGE = 50, FOLLOWER_PAGE = 200, COMMENT_PAGE = 200 };

/* An id as Weibo gives it: idstr, else the number (or a string). */
static const char *id_of(arena *a, json_t *o)
{
    const char *s = json_string_value(json_object_get(o, "idstr"));
    if (s && *s)
        return s;
    json_t *id = json_object_get(o, "id");
    if (json_is_integer(id))
        return arena_printf(a, "%lld", (long long)json_integer_value(id));
    s = json_string_value(id);
    return s && *s ? s : NULL;
}

/* Weibo ids are decimal numbers below 2^63; 0 for anything else. */
static unsigned long long id_num(const char *s)
{
    if (!s || !*s || strspn(s, "0123456789") != strlen(s))
        return 0;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    return errno ? 0 : v;
}

/* The mentions stream walks what Weibo addresses to the brand, one list
 * after the other, each crawled forward with its own marks (keys with the
 * list's prefix): statuses that @ the brand, comments anywhere that @ it,
 * then the comments it received (on any of its statuses, however old, and
 * answers to its own comments; the replies stream reads only the threads of
 * its recent statuses). */
static const struct mention_list {
    const char *phase, *prefix, *path, *endpoint, *items;
    bool backfill; /* a first run reads the whole list back, not just what is new */
} mention_lists[] = {
    {NULL, "", "statuses/mentions.json", "mentions", "statuses", true},
    {"comments", "c_", "comments/mentions.json", "comment_mentions", "comments", true},
    /* every comment ever received would hold the other lists up for hours
     * of Weibo's quota; the recent threads' comments come with replies */
    {"to_me", "t_", "comments/to_me.json", "comments", "comments", false},
};
enum { MENTION_LISTS = sizeof mention_lists / sizeof mention_lists[0] };

static size_t mention_list_of(const stream *s)
{
    const char *phase = state_text(s, "phase");
    for (size_t i = 1; phase && i < MENTION_LISTS; i++)
        if (!strcmp(phase, mention_lists[i].phase))
            return i;
    return 0;
}

/* since_id / max_id of a forward crawl, as query parameters. */
static const char *window(arena *a, const stream *s, const char *prefix)
{
    const char *since = state_text(s, arena_printf(a, "%ssince_id", prefix));
    const char *max = state_text(s, arena_printf(a, "%smax_id", prefix));
    return arena_printf(a, "%s%s%s%s", since ? "&since_id=" : "", since ? url_escape(a, since) : "",
                        max ? "&max_id=" : "", max ? url_escape(a, max) : "");
}

/* A thread of more comments than one page holds stays the replies stream's
 * target while it pages down with max_id; the state says which thread it is
 * (thread) and how many comments were seen (against total_number, so the
 * last short page needs no empty one after it). */
static bool same_thread(const stream *s) { return state_is_thread(s, "thread"); }

static json_t *thread_advance(const stream *s, json_t *body)
{
    json_t *list = json_object_get(body, "comments");
    size_t n = json_array_size(list);
    json_int_t total = json_integer_value(json_object_get(body, "total_number"));
    bool same = same_thread(s);
    json_int_t seen = (same ? json_integer_value(json_object_get(s->state, "seen")) : 0) + (json_int_t)n;
    unsigned long long max = same ? id_num(state_text(s, "max_id")) : 0;
    unsigned long long oldest = 0;
    arena *a = arena_new();
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        unsigned long long id = id_num(id_of(a, item));
        if (id && (!oldest || id < oldest))
            oldest = id;
    }
    arena_free(a);
    /* The count is a hint (comments deleted meanwhile lower it): a full page
     * always asks for the next. An empty page, or one that does not go
     * further down than the last, ends the thread. */
    if (!n || (seen >= total && n < COMMENT_PAGE) || oldest <= 1 || (max && oldest > max))
        return json_pack("{s:I}", "after", (json_int_t)s->target_id);
    char below[24];
    snprintf(below, sizeof below, "%llu", oldest - 1); /* max_id is inclusive */
    return json_pack("{s:I, s:I, s:I, s:s}", "after", (json_int_t)s->target_id - 1, "thread", (json_int_t)s->target_id,
                     "seen", seen, "max_id", below);
}

static const char *plan(arena *a, const stream *s, page_plan *out)
{
    const char *me = s->account_external_id;
    if (!strcmp(s->kind, "mentions")) {
        const struct mention_list *l = &mention_lists[mention_list_of(s)];
        out->endpoint = l->endpoint;
        out->url = arena_printf(a, "%s/%s?count=%d%s", s->base_url, l->path, PAGE, window(a, s, l->prefix));
    } else if (!strcmp(s->kind, "replies")) {
        const char *max = same_thread(s) ? state_text(s, "max_id") : NULL;
        out->endpoint = "comments";
        out->url = arena_printf(a, "%s/comments/show.json?id=%s&count=%d%s%s", s->base_url, url_escape(a, s->target),
                                COMMENT_PAGE, max ? "&max_id=" : "", max ? url_escape(a, max) : "");
    } else if (!strcmp(s->kind, "search")) {
        return "Weibo's open API has no status search for ordinary apps (search/topics is a commercial "
               "interface): keyword search cannot be harvested from Weibo";
    } else if (!me || !*me) {
        return "the account's platform id (Weibo uid) is not known: set it on the account";
    } else if (!strcmp(s->kind, "own_posts")) {
        out->endpoint = "statuses";
        out->url = arena_printf(a, "%s/statuses/user_timeline.json?uid=%s&count=%d%s", s->base_url,
                                url_escape(a, me), PAGE, window(a, s, ""));
    } else if (!strcmp(s->kind, "followers")) {
        const char *cursor = state_text(s, "cursor");
        out->endpoint = "followers";
        out->url = arena_printf(a, "%s/friendships/followers.json?uid=%s&count=%d&cursor=%s", s->base_url,
                                url_escape(a, me), FOLLOWER_PAGE, cursor ? url_escape(a, cursor) : "0");
    } else {
        return "unknown stream kind";
    }
    return NULL;
}

static void set_id(json_t *st, const char *prefix, const char *key, unsigned long long v)
{
    char name[32], buf[24];
    snprintf(name, sizeof name, "%s%s", prefix, key);
    snprintf(buf, sizeof buf, "%llu", v);
    json_object_set_new(st, name, json_string(buf));
}

/* One forward crawl over the ids of body[list]: {since_id} between runs,
 * {since_id, run_top, max_id} while a run pages down (keys prefixed), set
 * in st. A run ends at an empty page (Weibo may return short pages while
 * more remain, after filtering deleted statuses), at the mark, or at a page
 * that goes no further down (max_id ignored); returns whether it did. A
 * list that is not read back (!backfill) starts its mark at the newest item
 * of its first page. */
static bool crawl(const stream *s, json_t *body, const char *list, const char *prefix, bool backfill, json_t *st)
{
    arena *a = arena_new();
    unsigned long long mark = id_num(state_text(s, arena_printf(a, "%ssince_id", prefix)));
    unsigned long long top = id_num(state_text(s, arena_printf(a, "%srun_top", prefix)));
    unsigned long long max = id_num(state_text(s, arena_printf(a, "%smax_id", prefix)));
    unsigned long long newest = 0, oldest = 0;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(body, list), i, item) {
        unsigned long long id = id_num(id_of(a, item));
        if (!id)
            continue;
        if (id > newest)
            newest = id;
        if (!oldest || id < oldest)
            oldest = id;
    }
    arena_free(a);
    if (!top || newest > top)
        top = newest;
    if (!oldest || oldest <= mark + 1 || (max && oldest > max) || (!mark && !backfill)) {
        /* caught up: the mark moves to the run's newest */
        unsigned long long m = top > mark ? top : mark;
        if (m)
            set_id(st, prefix, "since_id", m);
        return true;
    }
    if (mark)
        set_id(st, prefix, "since_id", mark);
    set_id(st, prefix, "run_top", top);
    set_id(st, prefix, "max_id", oldest - 1); /* max_id is inclusive */
    return false;
}

static json_t *advance(const stream *s, json_t *body, json_t *headers, bool *done)
{
    (void)headers;
    if (!strcmp(s->kind, "replies")) { /* one thread per page; the database picks the next */
        *done = false;
        return thread_advance(s, body);
    }
    if (!strcmp(s->kind, "followers")) {
        json_t *next = json_object_get(body, "next_cursor");
        long long cursor = json_is_integer(next) ? (long long)json_integer_value(next)
                                                 : atoll(json_string_value(next) ? json_string_value(next) : "0");
        size_t n = json_array_size(json_object_get(body, "users"));
        *done = cursor <= 0 || n == 0;
        if (*done)
            return json_object();
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", cursor);
        return json_pack("{s:s}", "cursor", buf);
    }
    json_t *st = json_object();
    if (strcmp(s->kind, "mentions")) { /* own posts */
        *done = crawl(s, body, "statuses", "", true, st);
        return st;
    }
    /* Mentions: the other lists' positions are kept as they are. */
    size_t at = mention_list_of(s);
    static const char *const position[] = {"since_id", "run_top", "max_id"};
    for (size_t i = 0; i < MENTION_LISTS; i++) {
        for (size_t k = 0; i != at && k < sizeof position / sizeof *position; k++) {
            char keep[32];
            snprintf(keep, sizeof keep, "%s%s", mention_lists[i].prefix, position[k]);
            if (state_text(s, keep))
                json_object_set_new(st, keep, json_string(state_text(s, keep)));
        }
    }
    if (crawl(s, body, mention_lists[at].items, mention_lists[at].prefix, mention_lists[at].backfill, st))
        at++; /* caught up with this list: on to the next */
    *done = at == MENTION_LISTS;
    if (!*done && mention_lists[at].phase)
        json_object_set_new(st, "phase", json_string(mention_lists[at].phase));
    return st;
}

/* A mention list Weibo refuses (e.g. an app without access to it) is passed
 * over until the next run, its mark kept, so the others still come. */
static json_t *refused(const stream *s, bool *run_done)
{
    if (strcmp(s->kind, "mentions"))
        return NULL;
    size_t at = mention_list_of(s);
    json_t *st = json_deep_copy(s->state);
    char key[32];
    snprintf(key, sizeof key, "%srun_top", mention_lists[at].prefix);
    json_object_del(st, key);
    snprintf(key, sizeof key, "%smax_id", mention_lists[at].prefix);
    json_object_del(st, key);
    json_object_del(st, "phase");
    *run_done = at + 1 == MENTION_LISTS;
    if (!*run_done)
        json_object_set_new(st, "phase", json_string(mention_lists[at + 1].phase));
    return st;
}

/* Weibo sends no rate headers (some gateways send X-RateLimit-Remaining);
 * its limits are per hour, so a throttled request waits for the next hour. */
static void quota(arena *a, json_t *headers, int *remaining, const char **reset_at)
{
    *remaining = header_count(headers, "x-ratelimit-remaining");
    long long now = (long long)time(NULL);
    *reset_at = epoch_to_iso(a, now - now % 3600 + 3600);
}

/* Weibo's error answer {"error", "error_code", "request"}. */
static const char *failure(arena *a, long status, json_t *body, const char **message)
{
    (void)status;
    json_t *code_v = json_object_get(body, "error_code");
    long code = json_is_integer(code_v) ? (long)json_integer_value(code_v)
                                        : (json_string_value(code_v) ? atol(json_string_value(code_v)) : 0);
    if (!code)
        return NULL;
    const char *err = json_string_value(json_object_get(body, "error"));
    *message = arena_printf(a, "Weibo error %ld: %s", code, err ? err : "(no message)");
    if ((code >= 21314 && code <= 21319) || code == 21327 || code == 21332 || code == 21301)
        return "auth";
    if (code == 10022 || code == 10023) /* the address's or the user's whole budget */
        return "throttled";
    if (code == 10024) /* one API's own limit (such as replying to comments) */
        return "throttled_api";
    if (code == 10001)
        return "server";
    return "client";
}

static const char *authorization(arena *a, const char *token)
{
    return arena_printf(a, "Authorization: OAuth2 %s", token);
}

/* The status a reply goes under: a comment's status, or the status itself.
 * On Weibo a stored 'reply' is the brand's own comment (ingest.outbox_sent). */
static const char *status_of(const reply_entry *e)
{
    bool comment = e->target_kind && (!strcmp(e->target_kind, "comment") || !strcmp(e->target_kind, "reply"));
    return comment ? e->target_root : e->target;
}

/* A reply is a comment: under the answered comment (comments/reply) or
 * directly under the status (comments/create). Weibo takes no idempotency
 * key, so after an error answer the lookup reads the status's comments for
 * one by the brand with this text before anything is sent again. */
static const char *reply(arena *a, const reply_entry *e, bool lookup, reply_plan *out)
{
    const char *status = status_of(e);
    out->headers[0] = NULL;
    if (!status || !*status)
        return "the Weibo status the comment is under is not known";
    if (lookup) {
        out->url = arena_printf(a, "%s/comments/show.json?id=%s&count=%d", e->base_url, url_escape(a, status),
                                COMMENT_PAGE);
        out->body = NULL;
        return NULL;
    }
    out->content_type = "application/x-www-form-urlencoded";
    if (status != e->target) {
        out->url = arena_printf(a, "%s/comments/reply.json", e->base_url);
        out->body = arena_printf(a, "cid=%s&id=%s&comment=%s", url_escape(a, e->target), url_escape(a, status),
                                 url_escape(a, e->body));
    } else {
        out->url = arena_printf(a, "%s/comments/create.json", e->base_url);
        out->body = arena_printf(a, "id=%s&comment=%s", url_escape(a, status), url_escape(a, e->body));
    }
    return NULL;
}

/* Weibo stores a reply to a comment as "回复@name:text". */
static bool same_text(const char *have, const char *want)
{
    if (!strcmp(have, want))
        return true;
    size_t h = strlen(have), w = strlen(want);
    const char *prefix = "回复@";
    return !strncmp(have, prefix, strlen(prefix)) && h > w + 1 && !strcmp(have + h - w, want) &&
           (have[h - w - 1] == ':' || (h > w + 3 && !strncmp(have + h - w - 3, "：", 3)));
}

/* Whether a comment of the brand's answers what e answers: the comment it
 * replied to (reply_comment), or the status itself when there is none. The
 * same words under another comment of the thread are another reply. */
static bool answers_target(arena *a, const reply_entry *e, json_t *comment)
{
    const char *to = id_of(a, json_object_get(comment, "reply_comment"));
    return to ? !strcmp(to, e->target) : !strcmp(status_of(e), e->target);
}

/* Weibo's time ("Tue May 31 17:46:55 +0800 2011") as ISO 8601, or NULL. */
static const char *iso_of(arena *a, const char *t)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon[4], zone[6];
    int d, h, mi, se, y;
    if (!t || sscanf(t, "%*3s %3s %d %d:%d:%d %5s %d", mon, &d, &h, &mi, &se, zone, &y) != 7)
        return NULL;
    const char *m = strlen(mon) == 3 ? strstr(months, mon) : NULL;
    if (!m || (m - months) % 3)
        return NULL;
    return arena_printf(a, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, (int)(m - months) / 3 + 1, d, h, mi, se, zone);
}

/* create/reply answer with the comment; the lookup with {comments: [...]},
 * among which the brand's with this text, answering the same, made for this
 * entry (lookup_may_take). */
static const char *replied(arena *a, const reply_entry *e, json_t *body, const char **external_id,
                           const char **url)
{
    const char *bad = NULL;
    if (failure(a, 200, body, &bad))
        return bad;
    json_t *comments = json_object_get(body, "comments"), *c = NULL;
    if (json_is_array(comments)) {
        size_t i;
        json_t *item;
        c = NULL;
        json_array_foreach(comments, i, item) {
            const char *by = id_of(a, json_object_get(item, "user"));
            const char *text = json_string_value(json_object_get(item, "text"));
            const char *id = id_of(a, item);
            if (id && by && e->repo && !strcmp(by, e->repo) && text && same_text(text, e->body) &&
                answers_target(a, e, item) &&
                lookup_may_take(e, id, iso_of(a, json_string_value(json_object_get(item, "created_at"))))) {
                c = item;
                break;
            }
        }
        if (!c)
            return "the brand's comment is not there";
    } else {
        c = body;
    }
    const char *id = id_of(a, c);
    if (!id)
        return "the answer has no comment id";
    *external_id = arena_strdup(a, id);
    *url = NULL;
    return NULL;
}

const adapter weibo_adapter = {.platform = "weibo",
                               .plan = plan,
                               .advance = advance,
                               .quota = quota,
                               .reply = reply,
                               .replied = replied,
                               .failure = failure,
                               .authorization = authorization,
                               .refused = refused};
