/* The Meta Graph adapters (fcgi/adapter_meta.c): what each stream asks for,
 * how a run walks down to its mark, Graph's error codes, its usage headers,
 * and how a reply and its lookup are addressed and read. Error bodies are in
 * the shape Graph documents ("Handling Errors", developers.facebook.com) and
 * the fake platform serves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>
#include <time.h>

#include "adapters.h"

extern const adapter facebook_adapter, instagram_adapter;

static stream fb(const char *kind, const char *state)
{
    return (stream){.id = 1, .platform = "facebook", .kind = kind, .query = "", .handle = "lumen",
                    .account_external_id = "1001", .base_url = "https://graph.facebook.com/v19.0", .token = "t",
                    .state = json_loads(state, 0, NULL)};
}

static stream ig(const char *kind, const char *state, const char *query)
{
    stream s = fb(kind, state);
    s.platform = "instagram";
    s.account_external_id = "17841400000000001";
    s.query = query;
    return s;
}

static void plans(void **st)
{
    (void)st;
    arena *a = arena_new();
    page_plan p;
    stream s = fb("own_posts", "{}");
    assert_null(facebook_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "feed");
    assert_true(!strncmp(p.url, "https://graph.facebook.com/v19.0/1001/feed?fields=id%2Cmessage%2Ccreated_time", 76));
    assert_non_null(strstr(p.url, "comments.summary%28true%29%7Bid"));
    assert_null(strstr(p.url, "since="));
    assert_null(strstr(p.url, "token"));
    json_decref(s.state);

    s = fb("mentions", "{\"mark\": 1746000000, \"cursor\": \"QVFI\", \"run_top\": 1746100000}");
    assert_null(facebook_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "tagged");
    assert_non_null(strstr(p.url, "/1001/tagged?"));
    assert_null(strstr(p.url, "comments"));
    assert_non_null(strstr(p.url, "&since=1746000000&after=QVFI"));
    json_decref(s.state);

    s = fb("replies", "{\"after\": 6, \"cursor\": \"Q1\", \"cursor_for\": 7}");
    s.target = "1001_55";
    s.target_id = 7;
    assert_null(facebook_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "comments");
    assert_true(!strncmp(p.url, "https://graph.facebook.com/v19.0/1001_55/comments?filter=stream&", 64));
    assert_non_null(strstr(p.url, "&after=Q1"));
    s.target_id = 8; /* the cursor was another thread's */
    assert_null(facebook_adapter.plan(a, &s, &p));
    assert_null(strstr(p.url, "after="));
    json_decref(s.state);

    s = fb("followers", "{}");
    assert_null(facebook_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "page");
    assert_non_null(strstr(p.url, "/1001?fields=id%2Cname"));
    s.kind = "search";
    assert_non_null(strstr(facebook_adapter.plan(a, &s, &p), "no public post search"));
    s.kind = "own_posts";
    s.account_external_id = NULL;
    assert_non_null(strstr(facebook_adapter.plan(a, &s, &p), "Page id is not known"));
    json_decref(s.state);

    s = ig("search", "{}", "#lumen");
    assert_null(instagram_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "hashtag");
    assert_string_equal(p.url, "https://graph.facebook.com/v19.0/ig_hashtag_search?user_id=17841400000000001&q=lumen");
    json_decref(s.state);
    s = ig("search", "{\"hashtag_id\": \"17843\"}", "lumen");
    assert_null(instagram_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "media");
    assert_non_null(strstr(p.url, "/17843/recent_media?fields="));
    assert_non_null(strstr(p.url, "&user_id=17841400000000001"));
    s.query = "two words";
    assert_non_null(strstr(instagram_adapter.plan(a, &s, &p), "hashtags only"));
    json_decref(s.state);
    s = ig("mentions", "{}", "");
    assert_null(instagram_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "tags");
    s.kind = "own_posts";
    assert_null(instagram_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "media");
    assert_null(strstr(p.url, "since=")); /* the media edge is walked down to the mark */
    s.kind = "followers";
    assert_null(instagram_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "user");
    json_decref(s.state);
    arena_free(a);
}

static json_t *page(const char *time_key, const char *t1, const char *t2, bool next)
{
    json_t *b = json_pack("{s:[{s:s, s:s}, {s:s, s:s}]}", "data", "id", "a", time_key, t1, "id", "b", time_key, t2);
    if (next)
        json_object_set_new(b, "paging", json_pack("{s:{s:s}, s:s}", "cursors", "after", "CUR", "next", "https://x/next"));
    return b;
}

static void walks_to_the_mark(void **st)
{
    (void)st;
    bool done;
    /* 2025-04-30T10:00:00Z = 1746007200 */
    stream s = fb("own_posts", "{}");
    json_t *b = page("created_time", "2025-04-30T10:00:00+0000", "2025-04-30T09:00:00+0000", true);
    json_t *out = facebook_adapter.advance(&s, b, NULL, &done);
    assert_false(done);
    assert_string_equal(json_string_value(json_object_get(out, "cursor")), "CUR");
    assert_int_equal(json_integer_value(json_object_get(out, "run_top")), 1746007200);
    assert_null(json_object_get(out, "mark"));
    json_decref(s.state);
    json_decref(b);
    s.state = out;
    b = page("created_time", "2025-04-30T08:00:00+0000", "2025-04-30T07:00:00+0000", false);
    out = facebook_adapter.advance(&s, b, NULL, &done);
    assert_true(done);
    assert_int_equal(json_integer_value(json_object_get(out, "mark")), 1746007200);
    assert_int_equal(json_object_size(out), 1);
    json_decref(s.state);
    json_decref(b);

    /* Instagram, with a mark: a page reaching it ends the run, though more pages follow. */
    s = ig("own_posts", "{\"mark\": 1746007200}", "");
    b = page("timestamp", "2025-04-30T12:00:00+02:00", "2025-04-30T10:00:00Z", true);
    json_decref(out);
    out = instagram_adapter.advance(&s, b, NULL, &done);
    assert_true(done);
    assert_int_equal(json_integer_value(json_object_get(out, "mark")), 1746007200); /* 12:00+02:00 is 10:00Z */
    json_decref(b);
    json_decref(out);
    b = page("timestamp", "2025-04-30T12:00:00.000+0000", "2025-04-30T11:00:00+0000", true);
    out = instagram_adapter.advance(&s, b, NULL, &done);
    assert_false(done);
    assert_int_equal(json_integer_value(json_object_get(out, "mark")), 1746007200);
    assert_int_equal(json_integer_value(json_object_get(out, "run_top")), 1746014400);
    json_decref(b);
    json_decref(out);
    json_decref(s.state);

    /* Replies: a thread with more comments stays the target. */
    s = fb("replies", "{}");
    s.target_id = 9;
    b = page("created_time", "2025-04-30T10:00:00+0000", "2025-04-30T09:00:00+0000", true);
    out = facebook_adapter.advance(&s, b, NULL, &done);
    assert_false(done);
    assert_int_equal(json_integer_value(json_object_get(out, "after")), 8);
    assert_int_equal(json_integer_value(json_object_get(out, "cursor_for")), 9);
    json_decref(b);
    json_decref(out);
    b = json_pack("{s:[]}", "data");
    out = facebook_adapter.advance(&s, b, NULL, &done);
    assert_int_equal(json_integer_value(json_object_get(out, "after")), 9);
    assert_null(json_object_get(out, "cursor"));
    json_decref(b);
    json_decref(out);
    json_decref(s.state);

    /* Hashtag lookup, then its media. */
    s = ig("search", "{\"mark\": 5}", "lumen");
    b = json_pack("{s:[{s:s}]}", "data", "id", "17843");
    out = instagram_adapter.advance(&s, b, NULL, &done);
    assert_false(done);
    assert_string_equal(json_string_value(json_object_get(out, "hashtag_id")), "17843");
    assert_int_equal(json_integer_value(json_object_get(out, "mark")), 5);
    json_decref(b);
    json_decref(out);
    json_decref(s.state);
}

static const char *kind_of(long status, const char *body, const char **msg)
{
    arena *a = arena_new();
    json_t *b = json_loads(body, 0, NULL);
    static char out[64], text[512];
    const char *k = failure_kind(a, &facebook_adapter, status, b, msg);
    snprintf(out, sizeof out, "%s", k);
    snprintf(text, sizeof text, "%s", *msg);
    *msg = text;
    json_decref(b);
    arena_free(a);
    return out;
}

static void graph_errors(void **st)
{
    (void)st;
    const char *m;
    assert_string_equal(kind_of(400, "{\"error\":{\"message\":\"Error validating access token: Session has expired\","
                                     "\"type\":\"OAuthException\",\"code\":190,\"error_subcode\":463,\"fbtrace_id\":\"A\"}}",
                                &m),
                        "auth");
    assert_string_equal(m, "Error validating access token: Session has expired (code 190, subcode 463)");
    assert_string_equal(kind_of(400, "{\"error\":{\"message\":\"(#102) Session key invalid\",\"code\":102}}", &m), "auth");
    assert_string_equal(kind_of(400, "{\"error\":{\"message\":\"(#4) Application request limit reached\",\"code\":4}}", &m),
                        "throttled");
    assert_string_equal(m, "(#4) Application request limit reached (code 4)");
    assert_string_equal(kind_of(403, "{\"error\":{\"message\":\"x\",\"code\":17}}", &m), "throttled");
    assert_string_equal(kind_of(400, "{\"error\":{\"message\":\"x\",\"code\":32}}", &m), "throttled");
    assert_string_equal(kind_of(400, "{\"error\":{\"message\":\"x\",\"code\":613}}", &m), "throttled");
    assert_string_equal(kind_of(400, "{\"error\":{\"message\":\"x\",\"code\":80004}}", &m), "throttled");
    assert_string_equal(kind_of(500, "{\"error\":{\"message\":\"An unexpected error\",\"code\":2}}", &m), "server");
    assert_string_equal(kind_of(500, "{\"error\":{\"message\":\"An unknown error\",\"code\":1}}", &m), "server");
    assert_string_equal(kind_of(400, "{\"error\":{\"message\":\"Unsupported get request\",\"code\":100}}", &m), "client");
    assert_string_equal(kind_of(400, "{\"error\":{\"code\":100}}", &m), "client");
    assert_string_equal(m, "Graph API error (code 100)");
    /* A code Graph's adapter does not know is a refusal, unless the status
     * says the platform is throttling or failing. */
    assert_string_equal(kind_of(429, "{\"error\":{\"message\":\"x\",\"code\":100}}", &m), "throttled");
    assert_string_equal(kind_of(502, "{\"error\":{\"message\":\"x\",\"code\":100}}", &m), "server");
    assert_string_equal(m, "x (code 100)");
    /* Not Graph's shape: the status code decides. */
    assert_string_equal(kind_of(503, "{\"oops\":1}", &m), "server");
    assert_string_equal(kind_of(401, "{\"error\":\"nope\"}", &m), "auth");
}

static void usage_headers(void **st)
{
    (void)st;
    arena *a = arena_new();
    int rem;
    const char *reset;
    json_t *h = json_pack("{s:s}", "x-app-usage", "{\"call_count\":28,\"total_cputime\":40,\"total_time\":12}");
    facebook_adapter.quota(a, h, &rem, &reset);
    assert_int_equal(rem, 60);
    assert_null(reset);
    json_object_set_new(h, "x-business-use-case-usage",
                        json_string("{\"1001\":[{\"type\":\"pages\",\"call_count\":100,\"total_cputime\":3,"
                                    "\"total_time\":4,\"estimated_time_to_regain_access\":5}]}"));
    long long before = (long long)time(NULL);
    facebook_adapter.quota(a, h, &rem, &reset);
    assert_int_equal(rem, 0);
    assert_non_null(reset);
    char want[32];
    time_t t = (time_t)(before + 300);
    strftime(want, sizeof want, "%Y-%m-%dT%H:%M", gmtime(&t));
    assert_true(!strncmp(reset, want, 16));
    json_decref(h);
    h = json_pack("{s:s}", "x-app-usage", "not json");
    facebook_adapter.quota(a, h, &rem, &reset);
    assert_int_equal(rem, -1);
    json_decref(h);
    arena_free(a);
}

static void replies(void **st)
{
    (void)st;
    arena *a = arena_new();
    reply_plan p;
    reply_entry e = {.id = 1, .platform = "instagram", .base_url = "https://graph.facebook.com/v19.0",
                     .repo = "17841400000000001", .body = "谢谢 \"☕\"", .target = "17900000000000101",
                     .target_kind = "comment"};
    memset(&p, 0, sizeof p);
    assert_null(instagram_adapter.reply(a, &e, false, &p));
    assert_string_equal(p.url, "https://graph.facebook.com/v19.0/17900000000000101/replies");
    assert_string_equal(p.body, "{\"message\":\"谢谢 \\\"☕\\\"\"}");
    assert_null(p.headers[0]);
    assert_null(instagram_adapter.reply(a, &e, true, &p));
    assert_true(!strncmp(p.url, "https://graph.facebook.com/v19.0/17900000000000101/replies?fields=id%2Ctext", 73));
    assert_null(p.body);
    e.target_kind = "post";
    assert_null(instagram_adapter.reply(a, &e, false, &p));
    assert_string_equal(p.url, "https://graph.facebook.com/v19.0/17900000000000101/comments");
    e.platform = "facebook";
    e.target_kind = "comment";
    e.target = "55_66";
    assert_null(facebook_adapter.reply(a, &e, false, &p));
    assert_string_equal(p.url, "https://graph.facebook.com/v19.0/55_66/comments");
    assert_null(facebook_adapter.reply(a, &e, true, &p));
    assert_non_null(strstr(p.url, "order=reverse_chronological"));
    e.target = NULL;
    assert_non_null(facebook_adapter.reply(a, &e, false, &p));

    const char *id, *url;
    json_t *b = json_pack("{s:s}", "id", "55_77");
    assert_null(facebook_adapter.replied(a, &e, b, &id, &url));
    assert_string_equal(id, "55_77");
    assert_null(url);
    json_decref(b);
    b = json_pack("{s:s}", "success", "true");
    assert_non_null(facebook_adapter.replied(a, &e, b, &id, &url));
    json_decref(b);
    /* The lookup: the brand's comment with exactly this text, not someone else's nor another text. */
    b = json_loads("{\"data\":[{\"id\":\"1\",\"message\":\"谢谢 \\\"☕\\\"\",\"from\":{\"id\":\"999\"}},"
                   "{\"id\":\"2\",\"message\":\"谢谢\",\"from\":{\"id\":\"17841400000000001\"}},"
                   "{\"id\":\"3\",\"text\":\"谢谢 \\\"☕\\\"\",\"from\":{\"id\":\"17841400000000001\"}}]}",
                   0, NULL);
    assert_non_null(b);
    assert_null(facebook_adapter.replied(a, &e, b, &id, &url));
    assert_string_equal(id, "3");
    json_decref(b);
    b = json_loads("{\"data\":[{\"id\":\"1\",\"message\":\"other\",\"from\":{\"id\":\"17841400000000001\"}}]}", 0, NULL);
    assert_non_null(facebook_adapter.replied(a, &e, b, &id, &url));
    json_decref(b);
    arena_free(a);
}

/* A reply to a reply: Graph files it under the top comment and lists it
 * only there, so the send and the lookup both go to that comment. */
static void reply_to_a_reply(void **st)
{
    (void)st;
    arena *a = arena_new();
    reply_plan p = {0};
    reply_entry e = {.id = 4, .platform = "facebook", .base_url = "https://graph.facebook.com/v19.0", .repo = "555",
                     .body = "Thanks!", .target = "555_9", .target_kind = "comment", .target_root = "555_1",
                     .target_top = "555_7", .created_at = "2026-05-01T12:00:00.000Z"};
    assert_null(facebook_adapter.reply(a, &e, false, &p));
    assert_string_equal(p.url, "https://graph.facebook.com/v19.0/555_7/comments");
    assert_null(facebook_adapter.reply(a, &e, true, &p));
    assert_true(!strncmp(p.url, "https://graph.facebook.com/v19.0/555_7/comments?fields=", 55));
    assert_non_null(strstr(p.url, "filter=stream&order=reverse_chronological"));
    /* the top comment's list: every reply of its thread has it as parent, ours too */
    const char *id, *url;
    json_t *b = json_loads("{\"data\":[{\"id\":\"555_11\",\"message\":\"Thanks!\",\"from\":{\"id\":\"555\"},"
                           "\"created_time\":\"2026-05-01T12:00:03+0000\",\"parent\":{\"id\":\"555_7\"}}]}",
                           0, NULL);
    assert_null(facebook_adapter.replied(a, &e, b, &id, &url));
    assert_string_equal(id, "555_11");
    json_decref(b);
    /* the brand's own reply as the target (kind reply): the same */
    e.target_kind = "reply";
    assert_null(facebook_adapter.reply(a, &e, false, &p));
    assert_string_equal(p.url, "https://graph.facebook.com/v19.0/555_7/comments");
    /* a top comment (no top above it): its own list */
    e.target_top = NULL;
    e.target = "555_7";
    assert_null(facebook_adapter.reply(a, &e, false, &p));
    assert_string_equal(p.url, "https://graph.facebook.com/v19.0/555_7/comments");
    /* Instagram the same, through /replies (its docs: a reply to a reply is added to the top comment);
     * its media still take /comments */
    reply_entry i = {.id = 5, .platform = "instagram", .base_url = "https://graph.facebook.com/v19.0", .repo = "178",
                     .body = "Thanks!", .target = "17900000000000109", .target_kind = "comment",
                     .target_root = "17900000000000100", .target_top = "17900000000000107"};
    assert_null(instagram_adapter.reply(a, &i, false, &p));
    assert_string_equal(p.url, "https://graph.facebook.com/v19.0/17900000000000107/replies");
    assert_null(instagram_adapter.reply(a, &i, true, &p));
    assert_true(!strncmp(p.url, "https://graph.facebook.com/v19.0/17900000000000107/replies?fields=", 66));
    i.target_kind = "reply"; /* the brand's own comment, e.g. one on the media */
    i.target_top = NULL;
    assert_null(instagram_adapter.reply(a, &i, false, &p));
    assert_string_equal(p.url, "https://graph.facebook.com/v19.0/17900000000000109/replies");
    i.target_kind = "post";
    assert_null(instagram_adapter.reply(a, &i, false, &p));
    assert_string_equal(p.url, "https://graph.facebook.com/v19.0/17900000000000109/comments");
    arena_free(a);
}

/* The lookup after an error answer takes only a comment made for this
 * reply: not an identical one made before it was queued (less two minutes
 * for the clocks), nor one another reply already recorded, nor (a reply to
 * a Facebook post) one under a comment of the post. */
static arena *la;
static const char *looked_up(const adapter *ad, const reply_entry *e, const char *data)
{
    arena *a = la;
    const char *id = NULL, *url;
    json_t *b = json_loads(data, 0, NULL);
    assert_non_null(b);
    const char *why = ad->replied(a, e, b, &id, &url);
    json_decref(b);
    return why ? NULL : id;
}

static void lookup_is_this_reply(void **st)
{
    (void)st;
    la = arena_new();
    json_t *taken = json_pack("[s]", "55_10");
    reply_entry e = {.id = 3, .platform = "facebook", .base_url = "https://graph.facebook.com/v19.0", .repo = "555",
                     .body = "Thanks!", .target = "555_1", .target_kind = "post",
                     .created_at = "2026-05-01T12:00:00.000Z", .taken = taken};
    reply_plan p = {0};
    assert_null(facebook_adapter.reply(la, &e, true, &p));
    assert_non_null(strstr(p.url, "created_time%2Cparent%7Bid%7D")); /* its time, and its parent if any */
#define FB(id, time, extra) \
    "{\"id\":\"" id "\",\"message\":\"Thanks!\",\"from\":{\"id\":\"555\"},\"created_time\":\"" time "\"" extra "}"
    /* an hour older: an earlier reply with the same words */
    assert_null(looked_up(&facebook_adapter, &e, "{\"data\":[" FB("55_1", "2026-05-01T11:00:00+0000", "") "]}"));
    /* newer, or within the two minutes the clocks may differ: this one's */
    assert_string_equal(looked_up(&facebook_adapter, &e, "{\"data\":[" FB("55_3", "2026-05-01T12:00:05+0000", "") ","
                                                             FB("55_1", "2026-05-01T11:00:00+0000", "") "]}"),
                        "55_3");
    assert_string_equal(looked_up(&facebook_adapter, &e, "{\"data\":[" FB("55_2", "2026-05-01T11:58:30+0000", "") "]}"),
                        "55_2");
    assert_null(looked_up(&facebook_adapter, &e, "{\"data\":[" FB("55_2", "2026-05-01T11:57:59+0000", "") "]}"));
    /* no time: it cannot be told from an older one */
    assert_null(looked_up(&facebook_adapter, &e, "{\"data\":[{\"id\":\"55_4\",\"message\":\"Thanks!\",\"from\":{\"id\":\"555\"}}]}"));
    /* already another reply's: passed over for the next */
    assert_string_equal(looked_up(&facebook_adapter, &e, "{\"data\":[" FB("55_10", "2026-05-01T12:00:09+0000", "") ","
                                                             FB("55_5", "2026-05-01T12:00:02+0000", "") "]}"),
                        "55_5");
    assert_null(looked_up(&facebook_adapter, &e, "{\"data\":[" FB("55_10", "2026-05-01T12:00:09+0000", "") "]}"));
    /* under a comment of the post: the same words answering someone else */
    assert_null(looked_up(&facebook_adapter, &e,
                          "{\"data\":[" FB("55_6", "2026-05-01T12:00:09+0000", ",\"parent\":{\"id\":\"555_7\"}") "]}"));
    e.target = "555_7";
    e.target_kind = "comment";
    assert_string_equal(looked_up(&facebook_adapter, &e,
                                  "{\"data\":[" FB("55_6", "2026-05-01T12:00:09+0000", ",\"parent\":{\"id\":\"555_7\"}") "]}"),
                        "55_6");
#undef FB
    /* Instagram's comments carry "timestamp" */
    e.platform = "instagram";
    e.target_kind = "post";
    assert_null(looked_up(&instagram_adapter, &e,
                          "{\"data\":[{\"id\":\"178\",\"text\":\"Thanks!\",\"from\":{\"id\":\"555\"},"
                          "\"timestamp\":\"2026-04-30T12:00:00+0000\"}]}"));
    assert_string_equal(looked_up(&instagram_adapter, &e,
                                  "{\"data\":[{\"id\":\"179\",\"text\":\"Thanks!\",\"from\":{\"id\":\"555\"},"
                                  "\"timestamp\":\"2026-05-01T12:00:01+0000\"}]}"),
                        "179");
    json_decref(taken);
    arena_free(la);
}

/* An Instagram thread: its comments pages, then the replies past those
 * embedded under each comment that had more, then the next thread. */
static void instagram_reply_pages(void **st)
{
    (void)st;
    arena *a = arena_new();
    page_plan p;
    bool done;
    stream s = ig("replies", "{}", "");
    s.target = "17900000000000100";
    s.target_id = 9;
    json_t *b = json_loads("{\"data\": [{\"id\": \"c1\", \"replies\": {\"data\": [{\"id\": \"r1\"}],"
                           " \"paging\": {\"cursors\": {\"after\": \"R1\"}, \"next\": \"https://x/c1/replies\"}}},"
                           " {\"id\": \"c2\", \"replies\": {\"data\": [{\"id\": \"r2\"}], \"paging\": {\"cursors\":"
                           " {\"after\": \"R2\"}}}}], \"paging\": {\"cursors\": {\"after\": \"C1\"}, \"next\": \"https://x/n\"}}",
                           0, NULL);
    json_t *out = instagram_adapter.advance(&s, b, NULL, &done);
    assert_false(done);
    assert_string_equal(json_string_value(json_object_get(out, "cursor")), "C1"); /* comments first */
    assert_int_equal(json_array_size(json_object_get(out, "more")), 1);          /* c2 had all its replies */
    json_decref(b);
    json_decref(s.state);
    s.state = out;

    b = json_loads("{\"data\": [{\"id\": \"c3\"}]}", 0, NULL); /* the last comments page */
    out = instagram_adapter.advance(&s, b, NULL, &done);
    assert_null(json_object_get(out, "cursor"));
    assert_int_equal(json_integer_value(json_object_get(out, "after")), 8); /* the thread is not done */
    json_decref(b);
    json_decref(s.state);
    s.state = out;
    assert_null(instagram_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "replies");
    assert_ptr_equal(strstr(p.url, "https://graph.facebook.com/v19.0/c1/replies?fields=id%2Ctext"), p.url);
    assert_non_null(strstr(p.url, "&after=R1"));

    b = json_loads("{\"data\": [{\"id\": \"r3\"}], \"paging\": {\"cursors\": {\"after\": \"R3\"}, \"next\": \"https://x/m\"}}",
                   0, NULL);
    out = instagram_adapter.advance(&s, b, NULL, &done);
    json_decref(b);
    json_decref(s.state);
    s.state = out;
    assert_null(instagram_adapter.plan(a, &s, &p));
    assert_non_null(strstr(p.url, "/c1/replies?"));
    assert_non_null(strstr(p.url, "&after=R3")); /* the same comment, further down */

    b = json_loads("{\"data\": [{\"id\": \"r4\"}]}", 0, NULL);
    out = instagram_adapter.advance(&s, b, NULL, &done);
    assert_false(done);
    assert_int_equal(json_integer_value(json_object_get(out, "after")), 9); /* on to the next thread */
    assert_null(json_object_get(out, "more"));
    json_decref(b);
    json_decref(s.state);

    /* A page that goes no further (the same cursor again) ends that comment. */
    s.state = json_loads("{\"after\": 8, \"cursor_for\": 9, \"more\": [{\"comment\": \"c1\", \"after\": \"R3\"}]}", 0, NULL);
    b = json_loads("{\"data\": [{\"id\": \"r3\"}], \"paging\": {\"cursors\": {\"after\": \"R3\"}, \"next\": \"https://x/m\"}}",
                   0, NULL);
    out = instagram_adapter.advance(&s, b, NULL, &done);
    assert_int_equal(json_integer_value(json_object_get(out, "after")), 9);
    json_decref(b);
    json_decref(out);
    json_decref(s.state);

    /* An entry naming no comment is dropped, not asked for. */
    s.state = json_loads("{\"after\": 8, \"cursor_for\": 9, \"more\": [{\"after\": \"R1\"}]}", 0, NULL);
    assert_null(instagram_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "comments");
    b = json_loads("{\"data\": []}", 0, NULL);
    out = instagram_adapter.advance(&s, b, NULL, &done);
    assert_int_equal(json_integer_value(json_object_get(out, "after")), 9);
    assert_null(json_object_get(out, "more"));
    json_decref(b);
    json_decref(out);
    json_decref(s.state);

    /* A comment whose replies Graph refuses is passed over alone. */
    bool run_done = true;
    s.state = json_loads("{\"after\": 8, \"cursor_for\": 9, \"more\": [{\"comment\": \"c1\"}, {\"comment\": \"c2\", \"after\": \"Q\"}]}",
                         0, NULL);
    out = instagram_adapter.refused(&s, &run_done);
    assert_false(run_done);
    assert_int_equal(json_integer_value(json_object_get(out, "cursor_for")), 9);
    assert_int_equal(json_array_size(json_object_get(out, "more")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(out, "more"), 0), "comment")), "c2");
    json_decref(out);
    json_decref(s.state);
    s.state = json_loads("{\"after\": 8, \"cursor_for\": 9, \"more\": [{\"comment\": \"c1\"}]}", 0, NULL);
    assert_null(instagram_adapter.refused(&s, &run_done)); /* the last one: the thread is passed over */
    json_decref(s.state);

    /* A pending list that was another thread's is not followed. */
    s.state = json_loads("{\"after\": 8, \"cursor_for\": 9, \"more\": [{\"comment\": \"c1\", \"after\": \"R1\"}]}", 0, NULL);
    s.target_id = 10;
    assert_null(instagram_adapter.plan(a, &s, &p));
    assert_string_equal(p.endpoint, "comments");
    json_decref(s.state);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plans),         cmocka_unit_test(walks_to_the_mark), cmocka_unit_test(graph_errors),
        cmocka_unit_test(usage_headers), cmocka_unit_test(replies),  cmocka_unit_test(reply_to_a_reply), cmocka_unit_test(lookup_is_this_reply), cmocka_unit_test(instagram_reply_pages),
    };
    return cmocka_run_group_tests_name("adapter_meta", tests, NULL, NULL) ? 1 : 0;
}
