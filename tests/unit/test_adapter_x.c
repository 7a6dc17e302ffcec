/* The X (API v2) adapter (fcgi/adapter_x.c): the URLs it plans, how a run
 * moves since_id and next_token, quota headers, what failed answers mean, and
 * replies (the send, the lookup through recent Tweets; the length X counts
 * is checked when a reply is queued: ingest.reply_length). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "adapters.h"

static const adapter *X;

static bool starts(const char *s, const char *prefix) { return !strncmp(s, prefix, strlen(prefix)); }

static stream make(const char *kind, const char *state)
{
    stream s = {.id = 1, .platform = "x", .kind = kind, .query = "lumen 拿铁", .handle = "lumen",
                .account_external_id = "2244994945", .base_url = "https://api.x.com"};
    s.state = json_loads(state, 0, NULL);
    return s;
}

static void plans(void **unused)
{
    (void)unused;
    arena *a = arena_new();
    page_plan p;
    stream s = make("mentions", "{\"since_id\": \"1790000000000000101\", \"next_token\": \"abc+/\"}");
    assert_null(X->plan(a, &s, &p));
    assert_string_equal(p.endpoint, "mentions");
    assert_true(starts(p.url, "https://api.x.com/2/users/2244994945/mentions?max_results=100&expansions=author_id,"));
    assert_non_null(strstr(p.url, "&since_id=1790000000000000101&pagination_token=abc%2B%2F"));
    assert_non_null(strstr(p.url, "tweet.fields=created_at,lang,conversation_id,referenced_tweets,in_reply_to_user_id,"));
    json_decref(s.state);

    s = make("search", "{\"next_token\": \"t1\"}");
    assert_null(X->plan(a, &s, &p));
    assert_string_equal(p.endpoint, "tweets");
    assert_true(starts(p.url, "https://api.x.com/2/tweets/search/recent?query=lumen%20%E6%8B%BF%E9%93%81&max_results=100&"));
    assert_non_null(strstr(p.url, "&next_token=t1"));
    assert_null(strstr(p.url, "since_id"));
    json_decref(s.state);

    /* A since_id from the last seven days is asked for; an older one is not (X would refuse it). */
    char state[128];
    unsigned long long recent = ((unsigned long long)(time(NULL) - 86400) * 1000 - 1288834974657ULL) << 22;
    snprintf(state, sizeof state, "{\"since_id\": \"%llu\"}", recent);
    s = make("search", state);
    assert_null(X->plan(a, &s, &p));
    assert_non_null(strstr(p.url, arena_printf(a, "&since_id=%llu", recent)));
    json_decref(s.state);
    s = make("search", "{\"since_id\": \"1790000000000000101\"}");
    assert_null(X->plan(a, &s, &p));
    assert_null(strstr(p.url, "since_id"));
    json_decref(s.state);

    s = make("replies", "{}");
    s.target = "1790000000000000001";
    assert_null(X->plan(a, &s, &p));
    assert_non_null(strstr(p.url, "/2/tweets/search/recent?query=conversation_id%3A1790000000000000001&"));
    json_decref(s.state);

    s = make("followers", "{\"next_token\": \"F2\"}");
    assert_null(X->plan(a, &s, &p));
    assert_string_equal(p.endpoint, "followers");
    assert_true(starts(p.url, "https://api.x.com/2/users/2244994945/followers?max_results=1000&user.fields="));
    assert_non_null(strstr(p.url, "&pagination_token=F2"));
    json_decref(s.state);

    s = make("own_posts", "{}");
    s.account_external_id = NULL;
    assert_string_equal(X->plan(a, &s, &p), "the account's platform id is not known: set it on the account");
    json_decref(s.state);
    arena_free(a);
}

static json_t *advance(const char *kind, const char *state, const char *body, bool *done)
{
    stream s = make(kind, state);
    json_t *b = json_loads(body, 0, NULL);
    json_t *st = X->advance(&s, b, NULL, done);
    json_decref(b);
    json_decref(s.state);
    return st;
}

static void assert_json(json_t *got, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT), *ws = json_dumps(w, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(g, ws);
    free(g);
    free(ws);
    json_decref(w);
    json_decref(got);
}

static void forward_runs(void **unused)
{
    (void)unused;
    bool done;
    /* First page of a run: ids compare by length, then text. */
    json_t *st = advance("mentions", "{\"since_id\": \"99\"}",
                         "{\"data\": [{\"id\": \"1000\"}, {\"id\": \"999\"}], \"meta\": {\"next_token\": \"n1\"}}", &done);
    assert_false(done);
    assert_json(st, "{\"since_id\": \"99\", \"next_token\": \"n1\", \"run_top\": \"1000\"}");
    /* The last page: since_id moves to the run's newest. */
    st = advance("mentions", "{\"since_id\": \"99\", \"next_token\": \"n1\", \"run_top\": \"1000\"}",
                 "{\"data\": [{\"id\": \"100\"}], \"meta\": {\"result_count\": 1}}", &done);
    assert_true(done);
    assert_json(st, "{\"since_id\": \"1000\"}");
    /* Nothing new: since_id stays. */
    st = advance("own_posts", "{\"since_id\": \"1000\"}", "{\"meta\": {\"result_count\": 0}}", &done);
    assert_true(done);
    assert_json(st, "{\"since_id\": \"1000\"}");
    st = advance("search", "{}", "{\"meta\": {\"result_count\": 0}}", &done);
    assert_true(done);
    assert_json(st, "{}");
    st = advance("followers", "{\"next_token\": \"a\"}", "{\"data\": [{\"id\": \"5\"}], \"meta\": {\"next_token\": \"b\"}}", &done);
    assert_false(done);
    assert_json(st, "{\"next_token\": \"b\"}");
    st = advance("followers", "{\"next_token\": \"b\"}", "{\"data\": [], \"meta\": {}}", &done);
    assert_true(done);
    assert_json(st, "{}");
}

/* A conversation longer than a page stays the target and follows next_token. */
static void thread_pages(void **unused)
{
    (void)unused;
    arena *a = arena_new();
    page_plan p = {0};
    bool done = true;
    stream s = make("replies", "{\"after\": 6}");
    s.target_id = 7;
    s.target = "1790000000000000100";
    json_t *b = json_loads("{\"data\": [{\"id\": \"1790000000000000150\"}], \"meta\": {\"next_token\": \"c2\"}}", 0, NULL);
    json_t *st = X->advance(&s, b, NULL, &done);
    json_decref(b);
    assert_false(done);
    json_decref(s.state);
    s.state = json_incref(st);
    assert_json(st, "{\"after\": 6, \"thread\": 7, \"next_token\": \"c2\"}");
    assert_null(X->plan(a, &s, &p));
    assert_non_null(strstr(p.url, "query=conversation_id%3A1790000000000000100&"));
    assert_non_null(strstr(p.url, "&next_token=c2"));
    b = json_loads("{\"data\": [{\"id\": \"1790000000000000130\"}], \"meta\": {\"next_token\": \"c2\"}}", 0, NULL);
    assert_json(X->advance(&s, b, NULL, &done), "{\"after\": 7}"); /* the same token again would never end */
    json_decref(b);
    b = json_loads("{\"data\": [{\"id\": \"1790000000000000120\"}], \"meta\": {\"result_count\": 1}}", 0, NULL);
    assert_json(X->advance(&s, b, NULL, &done), "{\"after\": 7}");
    json_decref(b);
    s.target_id = 8; /* the token belongs to another conversation */
    assert_null(X->plan(a, &s, &p));
    assert_null(strstr(p.url, "next_token"));
    json_decref(s.state);
    arena_free(a);
}

static void quota_and_failures(void **unused)
{
    (void)unused;
    arena *a = arena_new();
    json_t *h = json_pack("{s:s, s:s}", "x-rate-limit-remaining", "447", "x-rate-limit-reset", "1715600000");
    int remaining;
    const char *reset;
    X->quota(a, h, &remaining, &reset);
    assert_int_equal(remaining, 447);
    assert_string_equal(reset, "2024-05-13T11:33:20Z");
    json_decref(h);

    const char *msg;
    json_t *b = json_loads("{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,\"detail\":\"Unauthorized\"}", 0, NULL);
    assert_string_equal(failure_kind(a, X, 401, b, &msg), "auth");
    assert_string_equal(msg, "HTTP 401: Unauthorized");
    json_decref(b);
    b = json_loads("{\"title\":\"Client Forbidden\",\"detail\":\"This request must be made using an approved developer account.\","
                   "\"reason\":\"client-not-enrolled\",\"type\":\"https://api.twitter.com/2/problems/client-forbidden\"}", 0, NULL);
    assert_string_equal(failure_kind(a, X, 403, b, &msg), "auth");
    assert_string_equal(msg, "HTTP 403 Client Forbidden: This request must be made using an approved developer account.");
    json_decref(b);
    b = json_loads("{\"title\":\"Forbidden\",\"detail\":\"You are not allowed to create a Tweet with duplicate content.\","
                   "\"type\":\"about:blank\",\"status\":403}", 0, NULL);
    assert_string_equal(failure_kind(a, X, 403, b, &msg), "client");
    json_decref(b);
    assert_string_equal(failure_kind(a, X, 429, NULL, &msg), "throttled");
    assert_string_equal(failure_kind(a, X, 503, NULL, &msg), "server");
    assert_string_equal(msg, "HTTP 503");
    b = json_loads("{\"errors\":[{\"message\":\"The `query` query parameter can not be empty\"}],\"title\":\"Invalid Request\","
                   "\"type\":\"https://api.twitter.com/2/problems/invalid-request\"}", 0, NULL);
    assert_string_equal(failure_kind(a, X, 400, b, &msg), "client");
    assert_string_equal(msg, "HTTP 400 Invalid Request: The `query` query parameter can not be empty");
    json_decref(b);
    arena_free(a);
}

static void replies(void **unused)
{
    (void)unused;
    arena *a = arena_new();
    reply_entry e = {.id = 7, .platform = "x", .base_url = "https://api.x.com", .token = "t", .repo = "2244994945",
                     .body = "Thanks & <3 谢谢", .target = "1790000000000000101", .target_root = "1790000000000000100"};
    reply_plan p = {0};
    assert_null(X->reply(a, &e, false, &p));
    assert_string_equal(p.url, "https://api.x.com/2/tweets");
    assert_string_equal(p.body, "{\"text\":\"Thanks & <3 谢谢\",\"reply\":{\"in_reply_to_tweet_id\":\"1790000000000000101\"}}");
    assert_null(p.headers[0]);
    assert_null(X->reply(a, &e, true, &p));
    assert_null(p.body);
    assert_true(starts(p.url, "https://api.x.com/2/users/2244994945/tweets?max_results=100&tweet.fields="));
    e.repo = "lumen";
    assert_null(X->reply(a, &e, true, &p));
    assert_non_null(strstr(p.url, "/2/tweets/search/recent?query=from%3Alumen%20conversation_id%3A1790000000000000100&"));

    e.body = "Thanks & <3 谢谢";
    const char *id, *url;
    json_t *b = json_loads("{\"data\":{\"id\":\"1790000000000000555\",\"text\":\"Thanks &amp; &lt;3 谢谢\"}}", 0, NULL);
    assert_null(X->replied(a, &e, b, &id, &url));
    assert_string_equal(id, "1790000000000000555");
    assert_string_equal(url, "https://x.com/i/web/status/1790000000000000555");
    json_decref(b);
    /* The lookup: the Tweet with the text (X escapes &, <, >) answering the target. */
    b = json_loads("{\"data\":["
                   "{\"id\":\"1790000000000000601\",\"text\":\"Thanks &amp; &lt;3 谢谢\",\"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"1\"}]},"
                   "{\"id\":\"1790000000000000600\",\"text\":\"Thanks &amp; &lt;3 谢谢\",\"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"1790000000000000101\"}]},"
                   "{\"id\":\"1790000000000000599\",\"text\":\"Thanks\",\"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"1790000000000000101\"}]}],"
                   "\"meta\":{\"result_count\":3}}", 0, NULL);
    assert_null(X->replied(a, &e, b, &id, &url));
    assert_string_equal(id, "1790000000000000600");
    /* … made for this reply: not one from before it was queued, nor another reply's */
    e.created_at = "2026-05-01T12:00:00.000Z";
    assert_non_null(X->replied(a, &e, b, &id, &url)); /* (no time) */
    json_decref(b);
    b = json_loads("{\"data\":["
                   "{\"id\":\"1790000000000000700\",\"text\":\"Thanks &amp; &lt;3 谢谢\",\"created_at\":\"2026-05-01T12:00:03.000Z\","
                   "\"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"1790000000000000101\"}]},"
                   "{\"id\":\"1790000000000000600\",\"text\":\"Thanks &amp; &lt;3 谢谢\",\"created_at\":\"2026-04-30T09:00:00.000Z\","
                   "\"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"1790000000000000101\"}]}]}", 0, NULL);
    assert_null(X->replied(a, &e, b, &id, &url));
    assert_string_equal(id, "1790000000000000700");
    json_t *taken = json_pack("[s]", "1790000000000000700");
    e.taken = taken;
    assert_string_equal(X->replied(a, &e, b, &id, &url), "the brand's recent Tweets hold no such reply");
    e.taken = NULL;
    json_decref(taken);
    json_decref(b);
    b = json_loads("{\"meta\":{\"result_count\":0}}", 0, NULL);
    assert_string_equal(X->replied(a, &e, b, &id, &url), "the brand's recent Tweets hold no such reply");
    json_decref(b);
    b = json_loads("{\"data\":{\"text\":\"no id\"}}", 0, NULL);
    assert_string_equal(X->replied(a, &e, b, &id, &url), "the answer has no Tweet id");
    json_decref(b);
    arena_free(a);
}

int main(void)
{
    X = adapter_for("x");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plans),
        cmocka_unit_test(forward_runs),
        cmocka_unit_test(quota_and_failures),
        cmocka_unit_test(thread_pages),
        cmocka_unit_test(replies),
    };
    return cmocka_run_group_tests_name("adapter_x", tests, NULL, NULL);
}
