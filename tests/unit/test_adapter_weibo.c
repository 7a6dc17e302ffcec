/* The Weibo and WeChat adapters: page plans, the since_id/max_id crawl,
 * error classification, reply requests and what their answers mean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "adapters.h"

static stream mk(const char *kind, const char *state_json)
{
    stream s = {.id = 1, .platform = "weibo", .kind = kind, .query = "", .handle = "lumen",
                .account_external_id = "7000000001", .base_url = "https://api.weibo.com/2", .token = "tok"};
    s.state = json_loads(state_json, 0, NULL);
    return s;
}

/* The URL a stream of this kind in this state asks for next, its endpoint
 * in *endpoint (both live as long as a). */
static const char *plan_url(arena *a, const char *kind, const char *state, const char **endpoint)
{
    page_plan p = {0};
    stream s = mk(kind, state);
    assert_null(adapter_for("weibo")->plan(a, &s, &p));
    json_decref(s.state);
    *endpoint = p.endpoint;
    return p.url;
}

static void plans(void **st)
{
    (void)st;
    const adapter *ad = adapter_for("weibo");
    arena *a = arena_new();
    page_plan p = {0};
    stream s = mk("mentions", "{}");
    assert_null(ad->plan(a, &s, &p));
    assert_string_equal(p.url, "https://api.weibo.com/2/statuses/mentions.json?count=50");
    assert_string_equal(p.endpoint, "mentions");
    json_decref(s.state);
    s = mk("own_posts", "{\"since_id\": \"4800000000000001\", \"max_id\": \"4800000000009999\"}");
    assert_null(ad->plan(a, &s, &p));
    assert_string_equal(p.url, "https://api.weibo.com/2/statuses/user_timeline.json?uid=7000000001&count=50"
                               "&since_id=4800000000000001&max_id=4800000000009999");
    json_decref(s.state);
    s = mk("followers", "{\"cursor\": \"200\"}");
    assert_null(ad->plan(a, &s, &p));
    assert_string_equal(p.url, "https://api.weibo.com/2/friendships/followers.json?uid=7000000001&count=200&cursor=200");
    json_decref(s.state);
    s = mk("search", "{}");
    assert_non_null(strstr(ad->plan(a, &s, &p), "no status search"));
    json_decref(s.state);
    s = mk("own_posts", "{}");
    s.account_external_id = NULL;
    assert_non_null(strstr(ad->plan(a, &s, &p), "uid"));
    json_decref(s.state);
    assert_string_equal(ad->authorization(a, "tok"), "Authorization: OAuth2 tok");
    arena_free(a);
}

/* Advances a stream over a page (of statuses, or of comments) with these
 * ids; returns the new state as text. */
static char *step_kind(const char *kind, const char *list_key, const char *state, const char *ids, bool *done)
{
    const adapter *ad = adapter_for("weibo");
    stream s = mk(kind, state);
    json_t *body = json_pack("{s:[]}", list_key);
    json_t *list = json_loads(ids, 0, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) json_array_append_new(json_object_get(body, list_key),
                                                         json_pack("{s:O, s:i}", "idstr", v, "id", 0));
    json_t *next = ad->advance(&s, body, NULL, done);
    char *out = json_dumps(next, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(next);
    json_decref(list);
    json_decref(body);
    json_decref(s.state);
    return out;
}

static char *step(const char *state, const char *ids, bool *done)
{
    return step_kind("own_posts", "statuses", state, ids, done);
}

static void crawl(void **st)
{
    (void)st;
    bool done;
    char *t = step("{\"since_id\": \"100\"}", "[\"300\", \"250\", \"200\"]", &done);
    assert_false(done);
    assert_string_equal(t, "{\"max_id\":\"199\",\"run_top\":\"300\",\"since_id\":\"100\"}");
    free(t);
    t = step("{\"since_id\": \"100\", \"run_top\": \"300\", \"max_id\": \"199\"}", "[\"150\", \"120\"]", &done);
    assert_false(done);
    assert_string_equal(t, "{\"max_id\":\"119\",\"run_top\":\"300\",\"since_id\":\"100\"}");
    free(t);
    t = step("{\"since_id\": \"100\", \"run_top\": \"300\", \"max_id\": \"119\"}", "[]", &done);
    assert_true(done);
    assert_string_equal(t, "{\"since_id\":\"300\"}"); /* the mark moves only at the end of the run */
    free(t);
    t = step("{}", "[\"101\"]", &done);
    assert_false(done);
    free(t);
    t = step("{\"since_id\": \"100\", \"run_top\": \"300\", \"max_id\": \"119\"}", "[\"300\", \"250\"]", &done);
    assert_true(done); /* max_id ignored: the same newest page again goes no further down */
    assert_string_equal(t, "{\"since_id\":\"300\"}");
    free(t);
    t = step("{\"since_id\": \"100\"}", "[\"101\"]", &done); /* nothing can lie between 100 and 101 */
    assert_true(done);
    assert_string_equal(t, "{\"since_id\":\"101\"}");
    free(t);
}

/* Mentions: the statuses, then the comments that @ the brand, then those it received, each with its own mark. */
static void mention_phases(void **st)
{
    (void)st;
    bool done;
    arena *a = arena_new();
    const char *endpoint;
    char *t = step_kind("mentions", "statuses", "{\"since_id\": \"100\", \"c_since_id\": \"50\"}", "[]", &done);
    assert_false(done);
    assert_string_equal(t, "{\"c_since_id\":\"50\",\"phase\":\"comments\",\"since_id\":\"100\"}");
    assert_string_equal(plan_url(a, "mentions", t, &endpoint),
                        "https://api.weibo.com/2/comments/mentions.json?count=50&since_id=50");
    assert_string_equal(endpoint, "comment_mentions");
    free(t);
    t = step_kind("mentions", "comments", "{\"c_since_id\": \"50\", \"phase\": \"comments\", \"since_id\": \"100\"}",
                  "[\"90\", \"80\"]", &done);
    assert_false(done);
    assert_string_equal(t, "{\"c_max_id\":\"79\",\"c_run_top\":\"90\",\"c_since_id\":\"50\",\"phase\":\"comments\","
                           "\"since_id\":\"100\"}");
    free(t);
    t = step_kind("mentions", "comments",
                  "{\"c_max_id\": \"79\", \"c_run_top\": \"90\", \"c_since_id\": \"50\", \"phase\": \"comments\", \"since_id\": \"100\"}",
                  "[]", &done);
    assert_false(done); /* on to the comments the brand received */
    assert_string_equal(t, "{\"c_since_id\":\"90\",\"phase\":\"to_me\",\"since_id\":\"100\"}");
    assert_string_equal(plan_url(a, "mentions", t, &endpoint), "https://api.weibo.com/2/comments/to_me.json?count=50");
    assert_string_equal(endpoint, "comments");
    free(t);
    /* The comments received are not read back: the first look sets their mark. */
    t = step_kind("mentions", "comments", "{\"c_since_id\": \"90\", \"phase\": \"to_me\", \"since_id\": \"100\"}",
                  "[\"300\", \"200\"]", &done);
    assert_true(done);
    assert_string_equal(t, "{\"c_since_id\":\"90\",\"since_id\":\"100\",\"t_since_id\":\"300\"}");
    free(t);
    t = step_kind("mentions", "comments", "{\"c_since_id\": \"90\", \"phase\": \"to_me\", \"since_id\": \"100\", \"t_since_id\": \"70\"}",
                  "[\"71\"]", &done); /* nothing can lie between 70 and 71 */
    assert_true(done);
    assert_string_equal(t, "{\"c_since_id\":\"90\",\"since_id\":\"100\",\"t_since_id\":\"71\"}");
    assert_string_equal(plan_url(a, "mentions", t, &endpoint),
                        "https://api.weibo.com/2/statuses/mentions.json?count=50&since_id=100");
    free(t);
    arena_free(a);
}

/* A list Weibo refuses is passed over until the next run, its mark kept. */
static void refused_list(void **st)
{
    (void)st;
    const adapter *ad = adapter_for("weibo");
    stream s = mk("mentions", "{\"c_since_id\": \"50\", \"c_run_top\": \"90\", \"c_max_id\": \"79\", "
                              "\"phase\": \"comments\", \"since_id\": \"100\"}");
    bool run_done;
    json_t *next = ad->refused(&s, &run_done);
    char *t = json_dumps(next, JSON_COMPACT | JSON_SORT_KEYS);
    assert_false(run_done);
    assert_string_equal(t, "{\"c_since_id\":\"50\",\"phase\":\"to_me\",\"since_id\":\"100\"}");
    free(t);
    json_decref(next);
    json_decref(s.state);
    s = mk("mentions", "{\"phase\": \"to_me\", \"since_id\": \"100\", \"t_since_id\": \"70\", \"t_max_id\": \"90\"}");
    next = ad->refused(&s, &run_done); /* the last list: the next run begins with the statuses */
    t = json_dumps(next, JSON_COMPACT | JSON_SORT_KEYS);
    assert_true(run_done);
    assert_string_equal(t, "{\"since_id\":\"100\",\"t_since_id\":\"70\"}");
    free(t);
    json_decref(next);
    json_decref(s.state);
    s = mk("own_posts", "{}");
    assert_null(ad->refused(&s, &run_done)); /* other streams: the database decides */
    json_decref(s.state);
}

static void failures(void **st)
{
    (void)st;
    const adapter *wb = adapter_for("weibo"), *wx = adapter_for("wechat");
    arena *a = arena_new();
    const char *msg;
    json_t *b = json_loads("{\"error\":\"expired_token\",\"error_code\":21327,\"request\":\"/2/x.json\"}", 0, NULL);
    assert_string_equal(failure_kind(a, wb, 400, b, &msg), "auth");
    assert_string_equal(msg, "Weibo error 21327: expired_token");
    json_decref(b);
    b = json_loads("{\"error\":\"User requests out of rate limit!\",\"error_code\":10023}", 0, NULL);
    assert_string_equal(failure_kind(a, wb, 403, b, &msg), "throttled");
    json_decref(b);
    /* one API's own limit: only calls of that API wait */
    b = json_loads("{\"error\":\"User requests for (comments/reply) out of rate limit!\",\"error_code\":10024}", 0, NULL);
    assert_string_equal(failure_kind(a, wb, 403, b, &msg), "throttled_api");
    assert_true(throttled("throttled_api") && throttled("throttled") && !throttled("client"));
    json_decref(b);
    b = json_loads("{\"error\":\"repeat content!\",\"error_code\":20019}", 0, NULL);
    assert_string_equal(failure_kind(a, wb, 400, b, &msg), "client");
    json_decref(b);
    b = json_loads("{\"errcode\":42001,\"errmsg\":\"access_token expired\"}", 0, NULL);
    assert_string_equal(failure_kind(a, wx, 200, b, &msg), "auth");
    json_decref(b);
    b = json_loads("{\"errcode\":45047,\"errmsg\":\"out of response count limit\"}", 0, NULL);
    assert_string_equal(failure_kind(a, wx, 200, b, &msg), "throttled");
    json_decref(b);
    b = json_loads("{\"errcode\":45015,\"errmsg\":\"response out of time limit\"}", 0, NULL);
    assert_string_equal(failure_kind(a, wx, 200, b, &msg), "client");
    assert_non_null(strstr(msg, "48 hours"));
    json_decref(b);
    arena_free(a);
}

/* A thread longer than a page stays the target and pages down with max_id
 * until every comment Weibo counts was seen (or a page comes back empty). */
static void thread_pages(void **st)
{
    (void)st;
    const adapter *ad = adapter_for("weibo");
    arena *a = arena_new();
    page_plan p = {0};
    stream s = mk("replies", "{\"after\": 41}");
    s.target_id = 42;
    s.target = "4800000000000500";
    assert_null(ad->plan(a, &s, &p));
    assert_string_equal(p.url, "https://api.weibo.com/2/comments/show.json?id=4800000000000500&count=200");
    json_t *body = json_pack("{s:[{s:s}, {s:s}], s:i}", "comments", "idstr", "4800000000000720", "idstr",
                             "4800000000000700", "total_number", 5);
    bool done = true;
    json_t *next = ad->advance(&s, body, NULL, &done);
    char *txt = json_dumps(next, JSON_COMPACT | JSON_SORT_KEYS);
    assert_false(done);
    assert_string_equal(txt, "{\"after\":41,\"max_id\":\"4800000000000699\",\"seen\":2,\"thread\":42}");
    free(txt);
    json_decref(s.state);
    s.state = next;
    assert_null(ad->plan(a, &s, &p));
    assert_string_equal(p.url, "https://api.weibo.com/2/comments/show.json?id=4800000000000500&count=200"
                               "&max_id=4800000000000699");
    json_decref(body);
    body = json_pack("{s:[{s:s}, {s:s}, {s:s}], s:i}", "comments", "idstr", "4800000000000650", "idstr",
                     "4800000000000600", "idstr", "4800000000000550", "total_number", 5);
    next = ad->advance(&s, body, NULL, &done);
    txt = json_dumps(next, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(txt, "{\"after\":42}"); /* all five seen: the next thread */
    free(txt);
    json_decref(next);
    /* Another thread's position is not this one's. */
    json_decref(s.state);
    s.state = json_loads("{\"after\": 40, \"thread\": 41, \"seen\": 200, \"max_id\": \"4800000000000001\"}", 0, NULL);
    assert_null(ad->plan(a, &s, &p));
    assert_null(strstr(p.url, "max_id"));
    json_decref(body);
    body = json_pack("{s:[], s:i}", "comments", "total_number", 900);
    next = ad->advance(&s, body, NULL, &done);
    txt = json_dumps(next, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(txt, "{\"after\":42}"); /* an empty page ends the thread whatever the total says */
    free(txt);
    json_decref(next);
    json_decref(body);
    /* A page that goes no further down than max_id asked (max_id ignored) ends it too. */
    json_decref(s.state);
    s.state = json_loads("{\"after\": 41, \"thread\": 42, \"seen\": 2, \"max_id\": \"4800000000000699\"}", 0, NULL);
    body = json_pack("{s:[{s:s}], s:i}", "comments", "idstr", "4800000000000720", "total_number", 900);
    next = ad->advance(&s, body, NULL, &done);
    txt = json_dumps(next, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(txt, "{\"after\":42}");
    free(txt);
    json_decref(next);
    json_decref(body);
    /* The total is a hint: a full page asks for the next even when the count says all were seen. */
    json_t *full = json_array();
    for (int i = 0; i < 200; i++)
        json_array_append_new(full, json_pack("{s:s}", "idstr", arena_printf(a, "%llu", 4800000000000690ULL - i)));
    body = json_pack("{s:o, s:i}", "comments", full, "total_number", 150);
    next = ad->advance(&s, body, NULL, &done);
    txt = json_dumps(next, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(txt, "{\"after\":41,\"max_id\":\"4800000000000490\",\"seen\":202,\"thread\":42}");
    free(txt);
    json_decref(next);
    json_decref(body);
    json_decref(s.state);
    arena_free(a);
}

static void replies(void **st)
{
    (void)st;
    const adapter *wb = adapter_for("weibo"), *wx = adapter_for("wechat");
    arena *a = arena_new();
    reply_entry e = {.id = 1, .key = "k-1", .platform = "weibo", .base_url = "https://api.weibo.com/2", .token = "tok",
                     .repo = "7000000001", .body = "谢谢 & thanks", .target = "4800000000000101",
                     .target_kind = "comment", .target_root = "4799999999999999"};
    reply_plan p = {0};
    assert_null(wb->reply(a, &e, false, &p));
    assert_string_equal(p.url, "https://api.weibo.com/2/comments/reply.json");
    assert_string_equal(p.body, "cid=4800000000000101&id=4799999999999999&comment=%E8%B0%A2%E8%B0%A2%20%26%20thanks");
    assert_string_equal(p.content_type, "application/x-www-form-urlencoded");
    reply_plan q = {0};
    assert_null(wb->reply(a, &e, true, &q));
    assert_string_equal(q.url, "https://api.weibo.com/2/comments/show.json?id=4799999999999999&count=200");
    /* The lookup finds the brand's comment with this text (Weibo prefixes replies)
     * answering this comment: the same words to another comment are another reply. */
    json_t *b = json_loads("{\"comments\": [{\"idstr\": \"1\", \"text\": \"回复@zaku:谢谢 & thanks\", \"user\": {\"idstr\": \"5\"},"
                           " \"reply_comment\": {\"idstr\": \"4800000000000101\"}},"
                           " {\"idstr\": \"4\", \"text\": \"回复@mei:谢谢 & thanks\", \"user\": {\"idstr\": \"7000000001\"},"
                           " \"reply_comment\": {\"idstr\": \"4800000000000202\"}},"
                           " {\"idstr\": \"2\", \"text\": \"回复@zaku:谢谢 & thanks\", \"user\": {\"idstr\": \"7000000001\"},"
                           " \"reply_comment\": {\"idstr\": \"4800000000000101\"}}]}",
                           0, NULL);
    const char *id = NULL, *url = NULL;
    assert_null(wb->replied(a, &e, b, &id, &url));
    assert_string_equal(id, "2");
    json_decref(b);
    b = json_loads("{\"comments\": [{\"idstr\": \"4\", \"text\": \"回复@mei:谢谢 & thanks\", \"user\": {\"idstr\": \"7000000001\"},"
                   " \"reply_comment\": {\"idstr\": \"4800000000000202\"}},"
                   " {\"idstr\": \"6\", \"text\": \"谢谢 & thanks\", \"user\": {\"idstr\": \"7000000001\"}}]}", 0, NULL);
    assert_non_null(wb->replied(a, &e, b, &id, &url)); /* only to another comment, or to the status: not this reply */
    json_decref(b);
    /* … and made for this reply (Weibo's times, +0800): not one from before it was queued */
    e.created_at = "2026-05-01T12:00:00.000Z";
    b = json_loads("{\"comments\": [{\"idstr\": \"8\", \"text\": \"回复@zaku:谢谢 & thanks\", \"user\": {\"idstr\": \"7000000001\"},"
                   " \"created_at\": \"Fri May 01 19:30:00 +0800 2026\", \"reply_comment\": {\"idstr\": \"4800000000000101\"}},"
                   " {\"idstr\": \"9\", \"text\": \"回复@zaku:谢谢 & thanks\", \"user\": {\"idstr\": \"7000000001\"},"
                   " \"created_at\": \"Fri May 01 20:00:02 +0800 2026\", \"reply_comment\": {\"idstr\": \"4800000000000101\"}}]}",
                   0, NULL);
    assert_null(wb->replied(a, &e, b, &id, &url));
    assert_string_equal(id, "9");
    json_array_remove(json_object_get(b, "comments"), 1);
    assert_non_null(wb->replied(a, &e, b, &id, &url));
    json_decref(b);
    e.created_at = NULL;
    b = json_loads("{\"comments\": [{\"idstr\": \"3\", \"text\": \"谢谢\", \"user\": {\"idstr\": \"7000000001\"}}]}", 0, NULL);
    assert_non_null(wb->replied(a, &e, b, &id, &url));
    json_decref(b);
    e.target_kind = "reply"; /* the brand's own comment, as the outbox stored it */
    assert_null(wb->reply(a, &e, false, &p));
    assert_string_equal(p.url, "https://api.weibo.com/2/comments/reply.json");
    e.target_kind = "comment";
    e.target_root = NULL;
    assert_non_null(wb->reply(a, &e, false, &p)); /* a comment whose status is not known */
    e.target_kind = "post";
    e.target = "4799999999999999";
    assert_null(wb->reply(a, &e, false, &p));
    assert_string_equal(p.url, "https://api.weibo.com/2/comments/create.json");
    assert_string_equal(p.body, "id=4799999999999999&comment=%E8%B0%A2%E8%B0%A2%20%26%20thanks");
    b = json_loads("{\"id\": 4800000000000555, \"text\": \"x\"}", 0, NULL);
    assert_null(wb->replied(a, &e, b, &id, &url));
    assert_string_equal(id, "4800000000000555");
    json_decref(b);

    reply_entry w = {.id = 2, .key = "k-2", .platform = "wechat", .base_url = "https://api.weixin.qq.com",
                     .token = "t/+=", .body = "您好", .target = "1", .target_author = "oABC"};
    assert_null(wx->reply(a, &w, false, &p));
    assert_string_equal(p.url, "https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=t%2F%2B%3D");
    assert_string_equal(p.body, "{\"touser\":\"oABC\",\"msgtype\":\"text\",\"text\":{\"content\":\"您好\"}}");
    assert_null(wx->reply(a, &w, true, &q));
    assert_null(q.url);
    assert_string_equal(authorization_header(a, wx, "t"), "Authorization:");
    b = json_loads("{\"errcode\": 0, \"errmsg\": \"ok\"}", 0, NULL);
    assert_null(wx->replied(a, &w, b, &id, &url));
    assert_string_equal(id, "wechat-cs-k-2");
    json_decref(b);
    b = json_loads("{\"errcode\": 45015, \"errmsg\": \"response out of time limit\"}", 0, NULL);
    assert_non_null(wx->replied(a, &w, b, &id, &url));
    json_decref(b);
    w.target_author = NULL;
    assert_non_null(wx->reply(a, &w, false, &p));
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plans),
        cmocka_unit_test(crawl),
        cmocka_unit_test(mention_phases),
        cmocka_unit_test(refused_list),
        cmocka_unit_test(failures),
        cmocka_unit_test(thread_pages),
        cmocka_unit_test(replies),
    };
    return cmocka_run_group_tests_name("adapter_weibo", tests, NULL, NULL);
}
