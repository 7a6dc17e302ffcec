/* The helpers all platform adapters share (fcgi/adapters.c): reading
 * rate-limit headers and retry times, which arrive from the network and must
 * never overflow, hold a stream for ever, or give a time the database refuses;
 * and ISO 8601 time stamps with their zones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>
#include <time.h>

#include "adapters.h"

static json_t *headers1(const char *name, const char *value)
{
    json_t *h = json_object();
    json_object_set_new(h, name, json_string(value));
    return h;
}

static void numbers(void **st)
{
    (void)st;
    json_t *h = headers1("x-rate-limit-remaining", "42");
    assert_int_equal(header_count(h, "x-rate-limit-remaining"), 42);
    assert_int_equal(header_count(h, "absent"), -1);
    json_decref(h);
    const char *bad[] = {"", "-1", "12a", " 5", "1e3", "0x10", "1234567890123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        h = headers1("n", bad[i]);
        long long n = 7;
        assert_false(header_number(h, "n", &n));
        assert_int_equal(header_count(h, "n"), -1);
        json_decref(h);
    }
    h = headers1("n", "99999999999"); /* more than an int holds: capped */
    assert_int_equal(header_count(h, "n"), 2147483647);
    json_decref(h);
}

static void waits(void **st)
{
    (void)st;
    arena *a = arena_new();
    long long now = (long long)time(NULL), t;
    /* A reset ten thousand years ahead waits a day, not for ever. */
    assert_true(iso_time(wait_until(a, 10000000000000LL), &t));
    assert_true(t >= now + MAX_WAIT - 1 && t <= now + MAX_WAIT + 5);
    assert_true(iso_time(wait_for(a, 9223372036854775807LL), &t));
    assert_true(t <= now + MAX_WAIT + 5);
    assert_true(iso_time(wait_for(a, 30), &t));
    assert_true(t >= now + 30 && t <= now + 35);
    assert_string_equal(wait_until(a, -5), "1970-01-01T00:00:00Z");
    /* Retry-After: seconds, an HTTP date, or neither (the fallback). */
    json_t *h = headers1("retry-after", "99999999999999999");
    assert_true(iso_time(retry_time(a, h, NULL), &t));
    assert_true(t <= now + MAX_WAIT + 5);
    json_decref(h);
    h = headers1("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT");
    assert_string_equal(retry_time(a, h, NULL), "2015-10-21T07:28:00Z");
    json_decref(h);
    h = headers1("retry-after", "soon");
    assert_string_equal(retry_time(a, h, "fallback"), "fallback");
    json_decref(h);
    arena_free(a);
}

static void iso_times(void **st)
{
    (void)st;
    long long t;
    assert_true(iso_time("2021-07-04T19:50:58+0000", &t));
    assert_int_equal(t, 1625428258);
    assert_true(iso_time("2021-07-04T19:50:58Z", &t));
    assert_int_equal(t, 1625428258);
    assert_true(iso_time("2021-07-04T21:50:58.123+02:00", &t));
    assert_int_equal(t, 1625428258);
    assert_true(iso_time("2021-07-04T14:50:58-05", &t));
    assert_int_equal(t, 1625428258);
    assert_true(iso_time("2021-07-04T19:50:58", &t)); /* no zone: UTC */
    assert_int_equal(t, 1625428258);
    const char *bad[] = {NULL, "", "soon", "2021-13-04T19:50:58Z", "2021-07-04T25:50:58Z", "2021-07-04T19:50:58+5",
                         "2021-07-04T19:50:58+05:", "2021-07-04T19:50:58+05:3", "2021-07-04T19:50:58+053",
                         "2021-07-04T19:50:58Zjunk", "2021-07-04T19:50:58+0000junk", "2021-07-04T19:50:58 UTC"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(iso_time(bad[i], &t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers),
        cmocka_unit_test(waits),
        cmocka_unit_test(iso_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
