/* Unit tests for fcgi/httpin.c: form data, cookies, Accept-Language, Accept,
 * Content-Type. Hostile inputs are as important as the normal ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "httpin.h"

static int setup(void **state)
{
    *state = arena_new();
    return 0;
}

static int teardown(void **state)
{
    arena_free(*state);
    return 0;
}

/* Parse a NUL-terminated literal with roomy limits. */
static hin_status form(arena *a, const char *s, kvlist *out)
{
    return hin_parse_form(a, s, strlen(s), 100, 1000, out);
}

static hin_status form_status(arena *a, const char *s)
{
    kvlist l;
    hin_status st = form(a, s, &l);
    if (st != HIN_OK) {
        assert_null(l.items);
        assert_int_equal(l.n, 0);
    }
    return st;
}

/* ---- hin_parse_form / hin_get ------------------------------------------- */

static void form_basic(void **state)
{
    kvlist l;
    assert_int_equal(form(*state, "a=1&b=two", &l), HIN_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].name, "a");
    assert_string_equal(l.items[0].value, "1");
    assert_int_equal(l.items[0].value_len, 1);
    assert_string_equal(l.items[1].name, "b");
    assert_string_equal(l.items[1].value, "two");
    assert_string_equal(hin_get(&l, "b"), "two");
    assert_null(hin_get(&l, "c"));
    assert_null(hin_get(&l, "A")); /* names are case-sensitive */
    assert_null(hin_get(NULL, "a"));
    assert_null(hin_get(&l, NULL));
}

static void form_plus_and_escapes(void **state)
{
    kvlist l;
    assert_int_equal(form(*state, "q=hello+world&p=a%2Bb&r=%41%62%3d%26&s=%7e", &l), HIN_OK);
    assert_string_equal(hin_get(&l, "q"), "hello world");
    assert_string_equal(hin_get(&l, "p"), "a+b"); /* %2B is a literal plus */
    assert_string_equal(hin_get(&l, "r"), "Ab=&");
    assert_string_equal(hin_get(&l, "s"), "~"); /* lower-case hex */
    assert_int_equal(form(*state, "first+name=Ann+Lee", &l), HIN_OK);
    assert_string_equal(hin_get(&l, "first name"), "Ann Lee");
}

static void form_chinese(void **state)
{
    kvlist l;
    assert_int_equal(form(*state, "name=%E4%B8%AD%E6%96%87&%E5%90%8D=x", &l), HIN_OK);
    assert_string_equal(hin_get(&l, "name"), "\xE4\xB8\xAD\xE6\x96\x87");
    assert_int_equal(l.items[0].value_len, 6);
    assert_string_equal(hin_get(&l, "\xE5\x90\x8D"), "x");
    /* Raw (unescaped) UTF-8 is accepted too. */
    assert_int_equal(form(*state, "t=\xE4\xB8\xAD", &l), HIN_OK);
    assert_string_equal(hin_get(&l, "t"), "\xE4\xB8\xAD");
}

static void form_repeated_and_empty(void **state)
{
    kvlist l;
    assert_int_equal(form(*state, "tag=a&tag=b&&tag=c", &l), HIN_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].value, "a");
    assert_string_equal(l.items[1].value, "b");
    assert_string_equal(l.items[2].value, "c");
    assert_string_equal(hin_get(&l, "tag"), "a");

    assert_int_equal(form(*state, "&&a=1&&&b=2&&", &l), HIN_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(form(*state, "", &l), HIN_OK);
    assert_int_equal(l.n, 0);
    assert_null(l.items);
    assert_int_equal(form(*state, "&&&", &l), HIN_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(hin_parse_form(*state, NULL, 0, 10, 10, &l), HIN_OK);
    assert_int_equal(hin_parse_form(*state, NULL, 5, 10, 10, &l), HIN_MALFORMED);
}

static void form_missing_equals_and_empty_parts(void **state)
{
    kvlist l;
    assert_int_equal(form(*state, "flag&x=&=v&y==z", &l), HIN_OK);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.items[0].name, "flag");
    assert_string_equal(l.items[0].value, "");
    assert_int_equal(l.items[0].value_len, 0);
    assert_string_equal(hin_get(&l, "x"), "");
    assert_string_equal(hin_get(&l, ""), "v");
    assert_string_equal(hin_get(&l, "y"), "=z"); /* split at the first '=' */
    /* ';' is not a separator */
    assert_int_equal(form(*state, "a=1;b=2", &l), HIN_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(hin_get(&l, "a"), "1;b=2");
}

static void form_not_nul_terminated(void **state)
{
    /* Only the first n bytes may be looked at; the rest is poison. */
    const char buf[] = "a=1&b=%4Fzzzz";
    kvlist l;
    assert_int_equal(hin_parse_form(*state, buf, 9, 10, 10, &l), HIN_OK);
    assert_string_equal(hin_get(&l, "b"), "O");
    /* Cut in the middle of an escape: "a=1&b=%4" */
    assert_int_equal(hin_parse_form(*state, buf, 8, 10, 10, &l), HIN_MALFORMED);
    /* Exact-size heap copy so ASan catches any overread. */
    char *heap = malloc(7);
    memcpy(heap, "k=v%41%", 7);
    assert_int_equal(hin_parse_form(*state, heap, 7, 10, 10, &l), HIN_MALFORMED);
    assert_int_equal(hin_parse_form(*state, heap, 6, 10, 10, &l), HIN_OK);
    assert_string_equal(hin_get(&l, "k"), "vA");
    free(heap);
}

static void form_malformed_escapes(void **state)
{
    arena *a = *state;
    assert_int_equal(form_status(a, "a=%"), HIN_MALFORMED);
    assert_int_equal(form_status(a, "a=%4"), HIN_MALFORMED);
    assert_int_equal(form_status(a, "a=%GG"), HIN_MALFORMED);
    assert_int_equal(form_status(a, "a=%4G"), HIN_MALFORMED);
    assert_int_equal(form_status(a, "a=% 1"), HIN_MALFORMED);
    assert_int_equal(form_status(a, "%=1"), HIN_MALFORMED);
    assert_int_equal(form_status(a, "a=%%41"), HIN_MALFORMED);
    assert_int_equal(form_status(a, "ok=1&a=%+1"), HIN_MALFORMED);
    assert_int_equal(form_status(a, "a=%-1"), HIN_MALFORMED);
}

static void form_bad_utf8(void **state)
{
    arena *a = *state;
    assert_int_equal(form_status(a, "a=%00"), HIN_BAD_UTF8);
    assert_int_equal(form_status(a, "a%00b=1"), HIN_BAD_UTF8);
    assert_int_equal(form_status(a, "a=%ED%A0%80"), HIN_BAD_UTF8);    /* surrogate */
    assert_int_equal(form_status(a, "a=%C0%AF"), HIN_BAD_UTF8);       /* overlong '/' */
    assert_int_equal(form_status(a, "a=%E0%80%AF"), HIN_BAD_UTF8);    /* overlong */
    assert_int_equal(form_status(a, "a=%F4%90%80%80"), HIN_BAD_UTF8); /* > U+10FFFF */
    assert_int_equal(form_status(a, "a=%E4%B8"), HIN_BAD_UTF8);       /* truncated */
    assert_int_equal(form_status(a, "a=%FF"), HIN_BAD_UTF8);
    assert_int_equal(form_status(a, "a=%80"), HIN_BAD_UTF8); /* lone continuation */
    assert_int_equal(form_status(a, "a=\xC3"), HIN_BAD_UTF8);   /* raw bytes too */
    /* A raw NUL inside the length counts as well. */
    kvlist l;
    assert_int_equal(hin_parse_form(a, "a=x\0y", 5, 10, 10, &l), HIN_BAD_UTF8);
    /* Largest valid code points are fine. */
    assert_int_equal(form_status(a, "a=%F4%8F%BF%BF&b=%EF%BF%BD"), HIN_OK);
}

static void form_param_limit(void **state)
{
    arena *a = *state;
    kvlist l;
    const char *three = "a=1&b=2&c=3";
    assert_int_equal(hin_parse_form(a, three, strlen(three), 3, 10, &l), HIN_OK);
    assert_int_equal(l.n, 3);
    assert_int_equal(hin_parse_form(a, three, strlen(three), 2, 10, &l), HIN_TOO_MANY);
    assert_null(l.items);
    assert_int_equal(l.n, 0);
    /* Empty segments do not count towards the limit. */
    const char *sparse = "&&a=1&&&&b=2&&";
    assert_int_equal(hin_parse_form(a, sparse, strlen(sparse), 2, 10, &l), HIN_OK);
    assert_int_equal(hin_parse_form(a, "", 0, 0, 10, &l), HIN_OK);
    assert_int_equal(hin_parse_form(a, "x", 1, 0, 10, &l), HIN_TOO_MANY);
    /* Too many is reported even when a later pair is also malformed. */
    assert_int_equal(hin_parse_form(a, "a&b&%", 5, 2, 10, &l), HIN_TOO_MANY);
}

static void form_many_ampersands(void **state)
{
    arena *a = *state;
    size_t n = 1 << 20;
    char *s = malloc(n);
    memset(s, '&', n);
    kvlist l;
    assert_int_equal(hin_parse_form(a, s, n, 10, 10, &l), HIN_OK);
    assert_int_equal(l.n, 0);
    /* 'x&' repeated: 512Ki pairs against a limit of 1000 */
    for (size_t i = 0; i < n; i += 2)
        s[i] = 'x';
    assert_int_equal(hin_parse_form(a, s, n, 1000, 10, &l), HIN_TOO_MANY);
    assert_int_equal(hin_parse_form(a, s, n, n, 10, &l), HIN_OK);
    assert_int_equal(l.n, n / 2);
    free(s);
}

static void form_field_limit(void **state)
{
    arena *a = *state;
    kvlist l;
    /* Limit is on decoded bytes: "%E4%B8%AD" is 3 bytes, "+" is 1. */
    assert_int_equal(hin_parse_form(a, "abc=%E4%B8%AD", 13, 10, 3, &l), HIN_OK);
    assert_int_equal(hin_parse_form(a, "abc=%E4%B8%AD+", 14, 10, 3, &l), HIN_TOO_LONG);
    assert_int_equal(hin_parse_form(a, "abcd=1", 6, 10, 3, &l), HIN_TOO_LONG); /* name */
    assert_int_equal(hin_parse_form(a, "abc=1234", 8, 10, 4, &l), HIN_OK);
    assert_int_equal(hin_parse_form(a, "abc=12345", 9, 10, 4, &l), HIN_TOO_LONG);
    assert_null(l.items);
    assert_int_equal(hin_parse_form(a, "a", 1, 10, 0, &l), HIN_TOO_LONG);
    assert_int_equal(hin_parse_form(a, "=", 1, 10, 0, &l), HIN_OK);
    /* Escape errors are found before length errors within a field. */
    assert_int_equal(hin_parse_form(a, "a=12345%", 8, 10, 2, &l), HIN_MALFORMED);
}

/* ---- url_escape -------------------------------------------------------- */

/* Percent-encoding, and back through the form parser: the same text. */
static void url_escaping(void **state)
{
    arena *a = *state;
    assert_string_equal(url_escape(a, "Az09-._~"), "Az09-._~");
    assert_string_equal(url_escape(a, "/inbox?tag=退款&x=1 2+3%"),
                        "%2Finbox%3Ftag%3D%E9%80%80%E6%AC%BE%26x%3D1%202%2B3%25");
    assert_string_equal(url_escape(a, ""), "");
    const char *q = arena_printf(a, "next=%s", url_escape(a, "/cases?state=open&page=2#top"));
    kvlist l;
    assert_int_equal(hin_parse_form(a, q, strlen(q), 10, 1000, &l), HIN_OK);
    assert_string_equal(hin_get(&l, "next"), "/cases?state=open&page=2#top");
}

/* ---- hin_cookie --------------------------------------------------------- */

static void cookie_basic(void **state)
{
    arena *a = *state;
    const char *h = "sid=abc123; theme=dark; lang=zh-CN";
    assert_string_equal(hin_cookie(a, h, "sid"), "abc123");
    assert_string_equal(hin_cookie(a, h, "theme"), "dark");
    assert_string_equal(hin_cookie(a, h, "lang"), "zh-CN");
    assert_null(hin_cookie(a, h, "missing"));
    assert_null(hin_cookie(a, h, "SID")); /* case-sensitive */
    assert_null(hin_cookie(a, h, "si"));  /* no prefix matches */
    assert_null(hin_cookie(a, h, "sid=abc123"));
}

static void cookie_spacing_and_quotes(void **state)
{
    arena *a = *state;
    assert_string_equal(hin_cookie(a, "a=1;b=2;c=3", "b"), "2");
    assert_string_equal(hin_cookie(a, "  a = 1 ;\tb=2  ", "a"), "1");
    assert_string_equal(hin_cookie(a, "a=1;\tb=2  ", "b"), "2");
    assert_string_equal(hin_cookie(a, "a=\"quoted\"; b=2", "a"), "quoted");
    assert_string_equal(hin_cookie(a, "a=\"\"", "a"), "");
    assert_string_equal(hin_cookie(a, "a=", "a"), "");
    assert_string_equal(hin_cookie(a, "a=x=y", "a"), "x=y");
    assert_string_equal(hin_cookie(a, "a=%41", "a"), "%41"); /* no decoding */
}

static void cookie_malformed(void **state)
{
    arena *a = *state;
    assert_null(hin_cookie(a, "", "a"));
    assert_null(hin_cookie(a, NULL, "a"));
    assert_null(hin_cookie(a, "a=1", NULL));
    assert_null(hin_cookie(a, "=1", ""));
    assert_null(hin_cookie(a, ";;;", "a"));
    assert_null(hin_cookie(a, "a", "a")); /* no '=' */
    /* Malformed pieces are skipped and the scan goes on. */
    assert_string_equal(hin_cookie(a, "junk; ;=x; b=2", "b"), "2");
    assert_string_equal(hin_cookie(a, "a=\"open; a=good", "a"), "good");
    assert_string_equal(hin_cookie(a, "a=has space; a=ok", "a"), "ok");
    assert_string_equal(hin_cookie(a, "a=x\\y; a=ok", "a"), "ok");
    assert_string_equal(hin_cookie(a, "a=\xE4\xB8\xAD; a=ok", "a"), "ok");
    assert_string_equal(hin_cookie(a, "a=\x01; a=ok", "a"), "ok");
    assert_null(hin_cookie(a, "a=\"", "a"));
    assert_null(hin_cookie(a, "a=\"x\"y\"", "a"));
    /* First well-formed duplicate wins. */
    assert_string_equal(hin_cookie(a, "a=1; a=2", "a"), "1");
}

/* ---- hin_pick_language -------------------------------------------------- */

static const char *const langs[] = {"en", "zh-CN", NULL};

static void lang_basic(void **state)
{
    (void)state;
    assert_string_equal(hin_pick_language("en", langs), "en");
    assert_string_equal(hin_pick_language("zh-CN", langs), "zh-CN");
    assert_string_equal(hin_pick_language("fr, zh-CN;q=0.5, en;q=0.4", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en;q=0.9, zh-CN", langs), "zh-CN");
    assert_string_equal(hin_pick_language("zh-CN;q=0.5,en;q=0.8", langs), "en");
    assert_null(hin_pick_language("fr, de", langs));
    assert_null(hin_pick_language("", langs));
    assert_null(hin_pick_language(NULL, langs));
    assert_null(hin_pick_language("en", NULL));
}

static void lang_prefix_matching(void **state)
{
    (void)state;
    assert_string_equal(hin_pick_language("zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("zh-Hans", langs), "zh-CN");
    assert_string_equal(hin_pick_language("zh-Hans-CN", langs), "zh-CN");
    assert_string_equal(hin_pick_language("zh-cn", langs), "zh-CN");
    assert_string_equal(hin_pick_language("ZH-CN", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en-GB", langs), "en");
    assert_string_equal(hin_pick_language("EN-us", langs), "en");
    assert_null(hin_pick_language("z", langs));
    assert_null(hin_pick_language("zhx", langs)); /* not a subtag prefix */
    assert_null(hin_pick_language("eng", langs));
}

static void lang_q_values(void **state)
{
    (void)state;
    /* Same q: the range listed first wins. */
    assert_string_equal(hin_pick_language("zh, en", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en, zh", langs), "en");
    /* q=0 excludes, even if a vaguer range would allow it. */
    assert_string_equal(hin_pick_language("en;q=0, zh;q=0.1", langs), "zh-CN");
    assert_null(hin_pick_language("en;q=0, zh-CN;q=0.000", langs));
    assert_string_equal(hin_pick_language("zh-TW;q=0.9, zh-CN;q=0, en;q=0.1", langs), "en");
    /* The exact range decides the tag's q over a prefix range. */
    assert_string_equal(hin_pick_language("zh;q=1, zh-CN;q=0.2, en;q=0.5", langs), "en");
    assert_string_equal(hin_pick_language("en;q=0.001", langs), "en");
    assert_string_equal(hin_pick_language("en;Q=1.000", langs), "en");
    assert_string_equal(hin_pick_language("en ; q = 0.5 , zh ; q=0.6", langs), "zh-CN");
}

static void lang_wildcard(void **state)
{
    (void)state;
    assert_string_equal(hin_pick_language("*", langs), "en"); /* list order */
    assert_string_equal(hin_pick_language("fr, *;q=0.1", langs), "en");
    assert_string_equal(hin_pick_language("*;q=0.5, zh;q=0.6", langs), "zh-CN");
    assert_string_equal(hin_pick_language("*, en;q=0", langs), "zh-CN");
    assert_null(hin_pick_language("*;q=0", langs));
    assert_null(hin_pick_language("*;q=0, fr", langs));
}

static void lang_garbage(void **state)
{
    (void)state;
    /* Invalid entries are skipped, never fatal. */
    assert_string_equal(hin_pick_language(",,, ;;, zh-CN", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en;q=2, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en;q=abc, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en;q=0.12345, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en;q=-1, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en;q=, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en;q=1.001, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("e n, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en-, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("-en, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en_US, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("en-verylongsub, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("1en, zh", langs), "zh-CN");
    assert_string_equal(hin_pick_language("\xE4\xB8\xAD, zh", langs), "zh-CN");
    /* A quoted parameter cannot smuggle in a q value or an element. */
    assert_string_equal(hin_pick_language("en;x=\";q=0,\";q=0.9, zh;q=0.5", langs), "en");
    assert_string_equal(hin_pick_language("en;x=\"unterminated, zh", langs), "en");
    assert_string_equal(hin_pick_language("en;foo=bar", langs), "en");
    assert_string_equal(hin_pick_language("en-GB-oxendict-1", langs), "en");
}

/* ---- hin_wants_json ----------------------------------------------------- */

static void json_accept(void **state)
{
    (void)state;
    assert_true(hin_wants_json("application/json"));
    assert_true(hin_wants_json("application/json, text/plain, */*"));
    assert_true(hin_wants_json("Application/JSON;charset=utf-8"));
    assert_true(hin_wants_json("text/html;q=0.5, application/json"));
    assert_true(hin_wants_json("application/json, text/html"));   /* tie: first */
    assert_true(hin_wants_json("application/json, text/*"));      /* explicit beats wildcard */
    assert_true(hin_wants_json("application/json;q=0.1, text/html;q=0"));
    assert_true(hin_wants_json("text/html;q=x, application/json")); /* bad html entry ignored */
}

static void json_reject(void **state)
{
    (void)state;
    /* A browser navigation. */
    assert_false(hin_wants_json(
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
    assert_false(hin_wants_json("*/*"));
    assert_false(hin_wants_json("application/*"));
    assert_false(hin_wants_json(""));
    assert_false(hin_wants_json(NULL));
    assert_false(hin_wants_json("text/html, application/json"));  /* tie: first */
    assert_false(hin_wants_json("application/json;q=0"));
    assert_false(hin_wants_json("application/json;q=0.5, text/html"));
    assert_false(hin_wants_json("application/json;q=0.5, */*"));
    assert_false(hin_wants_json("application/json;q=bad"));
    assert_false(hin_wants_json("application/jsonx"));
    assert_false(hin_wants_json("application/json/x"));
    assert_false(hin_wants_json("*/json"));
    assert_false(hin_wants_json("application /json"));
    assert_false(hin_wants_json("application/json;q=0, application/*"));
    assert_false(hin_wants_json("application/vnd.api+json"));
    assert_false(hin_wants_json(",,;;,=\",\""));
}

/* ---- hin_is_form -------------------------------------------------------- */

static void content_type(void **state)
{
    (void)state;
    assert_true(hin_is_form("application/x-www-form-urlencoded"));
    assert_true(hin_is_form("application/x-www-form-urlencoded; charset=UTF-8"));
    assert_true(hin_is_form("Application/X-WWW-Form-URLEncoded;charset=utf-8"));
    assert_true(hin_is_form("  application/x-www-form-urlencoded  "));
    assert_true(hin_is_form("application/x-www-form-urlencoded ;x=y"));
    assert_false(hin_is_form("application/x-www-form-urlencodedx"));
    assert_false(hin_is_form("application/x-www-form-urlencode"));
    assert_false(hin_is_form("multipart/form-data; boundary=x"));
    assert_false(hin_is_form("application/json"));
    assert_false(hin_is_form("text/plain; application/x-www-form-urlencoded"));
    assert_false(hin_is_form(""));
    assert_false(hin_is_form(NULL));
    assert_false(hin_is_form("application"));
}

/* Redirect targets: a path on this site only. */
static void local_paths(void **state)
{
    (void)state;
    assert_true(hin_local_path("/"));
    assert_true(hin_local_path("/case?id=12&back=%2Finbox"));
    assert_false(hin_local_path(NULL));
    assert_false(hin_local_path(""));
    assert_false(hin_local_path("inbox"));
    assert_false(hin_local_path("https://evil.example/"));
    assert_false(hin_local_path("//evil.example/"));
    assert_false(hin_local_path("/\\evil.example/"));
    assert_false(hin_local_path("/\t/evil.example/")); /* browsers drop the tab: //evil.example */
    assert_false(hin_local_path("/inbox\r\nSet-Cookie: x=1"));
    assert_false(hin_local_path("/a b"));
    assert_false(hin_local_path("/\x7f/evil.example"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(form_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(form_plus_and_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(form_chinese, setup, teardown),
        cmocka_unit_test_setup_teardown(form_repeated_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(form_missing_equals_and_empty_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(form_not_nul_terminated, setup, teardown),
        cmocka_unit_test_setup_teardown(form_malformed_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(form_bad_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(form_param_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(form_many_ampersands, setup, teardown),
        cmocka_unit_test_setup_teardown(form_field_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(url_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(cookie_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(cookie_spacing_and_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(cookie_malformed, setup, teardown),
        cmocka_unit_test(lang_basic),
        cmocka_unit_test(lang_prefix_matching),
        cmocka_unit_test(lang_q_values),
        cmocka_unit_test(lang_wildcard),
        cmocka_unit_test(lang_garbage),
        cmocka_unit_test(json_accept),
        cmocka_unit_test(json_reject),
        cmocka_unit_test(content_type),
        cmocka_unit_test(local_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
