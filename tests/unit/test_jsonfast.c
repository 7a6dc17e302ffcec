/* json_parse_fast against jansson's json_loads: the same value (types too)
 * or the same refusal, on hand-written cases and on every JSON file of the
 * shared Mustache specs and recorded platform fixtures. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfast.h"

/* 1 when both parse to equal values, 0 when both refuse, -1 when they differ. */
static int compare(const char *text, size_t len)
{
    json_t *fast = json_parse_fast(text, len);
    json_t *ref = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    int r = fast && ref ? (json_equal(fast, ref) ? 1 : -1) : (!fast && !ref ? 0 : -1);
    json_decref(fast);
    json_decref(ref);
    return r;
}

static void same(const char *text) { assert_int_equal(compare(text, strlen(text)), 1); }
static void refused(const char *text) { assert_int_equal(compare(text, strlen(text)), 0); }

static void values(void **s)
{
    (void)s;
    same("{\"a\" : 1, \"b\": [true, false, null], \"c\": {\"d\": \"e\"}, \"f\": [], \"g\": {}}");
    same(" [1, -0, 0.5, -2.25e3, 1E-2, 9223372036854775807, -9223372036854775808, 1e-400] ");
    same("\"卢门 ☕ 😀\"");
    same("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\\u4f60\\ud83d\\ude00\", \"a\\u0041b\"]");
    same("{\"dup\": 1, \"dup\": 2}");
    same("{\"k\\u00e9y\": {\"n\\nested\": [\"\\u0001\"]}}");
    same("42");
    same("[[[[[]]]]]");
}

/* Numbers take a short path around strtod where it is exact: it must give the
 * very same double (json_equal compares reals with ==) and the same integers. */
static void numbers(void **s)
{
    (void)s;
    static const char *const edge[] = {
        "9007199254740992.0", "9007199254740993.0", "9007199254740993", "1e22", "1e23", "-1e22",
        "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308", "0.1", "0.3", "-0.0",
        "123456789012345678", "1234567890123456789", "12345678901234567890e-2", "0.000000000000000000001",
        "100000000000000000000000e-23", "1.00000000000000000000000000001", "999999999999999999.5",
        "1e-22", "1e-23", "8.5e-23", "3.14159265358979323846", "0e400", "0.0e-99999999999",
    };
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        if (compare(edge[i], strlen(edge[i])) != 1)
            fail_msg("number parsed differently: %s", edge[i]);
    /* A fraction's leading zeros against an exponent too long to keep:
     * 0.(99,999 zeros)1e1000000 overflows; it must not come out as 1. */
    static char tiny[100020];
    memcpy(tiny, "0.", 2);
    memset(tiny + 2, '0', 99999);
    memcpy(tiny + 2 + 99999, "1e1000000", 10);
    assert_int_equal(compare(tiny, strlen(tiny)), 0);
    memcpy(tiny + 2 + 99999, "1e99999", 8); /* and one that fits: 1e-1 */
    assert_int_equal(compare(tiny, strlen(tiny)), 1);
    srand(20261206);
    char text[96];
    for (int i = 0; i < 200000; i++) {
        size_t n = 0;
        if (rand() % 2)
            text[n++] = '-';
        int whole = 1 + rand() % 20, frac = rand() % 3 ? rand() % 21 : 0;
        text[n++] = (char)(whole == 1 ? '0' + rand() % 10 : '1' + rand() % 9);
        for (int k = 1; k < whole; k++)
            text[n++] = (char)('0' + rand() % 10);
        if (frac) {
            text[n++] = '.';
            for (int k = 0; k < frac; k++)
                text[n++] = (char)('0' + (rand() % 4 ? rand() % 10 : 0));
        }
        if (rand() % 3 == 0)
            n += (size_t)snprintf(text + n, sizeof text - n, "e%s%d", rand() % 2 ? "-" : "+", rand() % 40);
        text[n] = '\0';
        if (compare(text, n) == -1) /* integers beyond 64 bits are refused by both */
            fail_msg("number parsed differently: %s", text);
    }
}

static void refusals(void **s)
{
    (void)s;
    static const char *const bad[] = {
        "", " ", "[", "]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{1: 2}",
        "tru", "nul", "falsey", "01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN", "Infinity",
        "\"unterminated", "\"tab\there\"", "\"\\x\"", "\"\\u12\"", "\"\\uZZZZ\"", "\"\\u0000\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\xff\"", "\"\xc3\"", "{\"\xff\": 1}",
        "9223372036854775808", "-9223372036854775809", "1e400", "[1] x", "{} {}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (compare(bad[i], strlen(bad[i])) != 0)
            fail_msg("not refused alike: %s", bad[i]);
    }
}

static void nesting_limit(void **s)
{
    (void)s;
    for (int depth = 2047; depth <= 2049; depth++) {
        char *t = malloc((size_t)depth * 2 + 1);
        memset(t, '[', (size_t)depth);
        memset(t + depth, ']', (size_t)depth);
        t[depth * 2] = '\0';
        assert_int_not_equal(compare(t, (size_t)depth * 2), -1);
        free(t);
    }
    char deep[4097];
    memset(deep, '[', 2049);
    memset(deep + 2049, ']', 2048);
    deep[4097 - 1] = '\0';
    refused(deep); /* unbalanced as well as too deep */
}

static int files_compared, files_differing;

static int one_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (flag != FTW_F || n < 5 || strcmp(path + n - 5, ".json"))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, got, mem);
    fclose(f);
    fclose(mem);
    if (compare(text, len) < 0) {
        files_differing++;
        fprintf(stderr, "differs: %s\n", path);
    }
    files_compared++;
    free(text);
    return 0;
}

static void shared_files(void **s)
{
    (void)s;
    const char *spec = getenv("MUSTACHE_SPEC_DIR");
    if (!spec)
        spec = "../shared/spec/mustache";
    char fixtures[4096];
    snprintf(fixtures, sizeof fixtures, "%s/../../fixtures", spec);
    nftw(spec, one_file, 16, FTW_PHYS);
    nftw(fixtures, one_file, 16, FTW_PHYS);
    assert_true(files_compared > 20);
    assert_int_equal(files_differing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values),
        cmocka_unit_test(numbers),
        cmocka_unit_test(refusals),
        cmocka_unit_test(nesting_limit),
        cmocka_unit_test(shared_files),
    };
    return cmocka_run_group_tests_name("jsonfast", tests, NULL, NULL);
}
