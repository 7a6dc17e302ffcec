/* The request arena and jansson's allocations in it: values made during a
 * request die with the arena, values made before it (the message catalogs)
 * survive being referenced and released by a request, and json_dumps'
 * strings are freed by whoever made them. Run under ASan by make check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "jsonfast.h"
#include "jsonmem.h"

static void arena_reuses_chunks(void **s)
{
    (void)s;
    arena *a = arena_new();
    for (int round = 0; round < 3; round++) {
        char *blocks[400];
        for (int i = 0; i < 400; i++) { /* ~400 KiB: several chunks */
            blocks[i] = arena_alloc(a, 1000);
            for (int k = 0; k < 1000; k++)
                assert_int_equal(blocks[i][k], 0); /* zeroed, even in a reused chunk */
            memset(blocks[i], 'a' + i % 26, 1000);
        }
        char *big = arena_alloc_uninit(a, 200000); /* its own chunk */
        memset(big, 'z', 200000);
        for (int i = 0; i < 400; i++)
            assert_int_equal(blocks[i][999], 'a' + i % 26); /* no overlap */
        assert_int_equal((uintptr_t)big % 16, 0);
        arena_reset(a);
    }
    arena_free(a);
}

/* A big block made while the arena has one chunk ends up last in its list:
 * reset must not keep it as the arena's chunk for good. */
static void big_block_first(void **s)
{
    (void)s;
    arena *a = arena_new();
    for (int round = 0; round < 3; round++) {
        char *big = arena_alloc(a, 300000);
        memset(big, 'b', 300000);
        for (int i = 0; i < 200; i++) {
            char *p = arena_alloc(a, 512);
            memset(p, 'p', 512);
        }
        arena_reset(a);
        char *after = arena_alloc(a, 1000); /* from a standard chunk again */
        memset(after, 'a', 1000);
        arena_reset(a);
    }
    arena_free(a);
}

static void request_values_live_in_the_arena(void **s)
{
    (void)s;
    jsonmem_install();
    json_t *catalog = json_pack("{s:s}", "hello", "Hello"); /* made outside a request: malloc */
    assert_false(jsonmem_in_arena());
    arena *a = arena_new();
    for (int request = 0; request < 3; request++) {
        jsonmem_use(a);
        assert_true(jsonmem_in_arena());
        const char *text = "{\"rows\": [1, 2.5, \"three\", {\"four\": [true, null]}], \"n\": 12345678901}";
        json_t *doc = json_parse_fast(text, strlen(text));
        assert_non_null(doc);
        json_t *ctx = json_pack("{s:O,s:O}", "t", catalog, "doc", doc); /* a request's context */
        for (int i = 0; i < 2000; i++) /* grows hashtables: their old buckets stay in the arena */
            json_object_set_new(doc, json_string_value(json_sprintf("k%d", i)), json_integer(i));
        char *dumped = json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS);
        assert_non_null(dumped);
        assert_non_null(strstr(dumped, "\"t\":{\"hello\":\"Hello\"}"));
        assert_non_null(strstr(dumped, "\"n\":12345678901"));
        jsonmem_free(dumped);
        json_decref(ctx);
        assert_int_equal(catalog->refcount, 1); /* the request's reference is given back */
        jsonmem_use(NULL);
        arena_reset(a);
    }
    /* Outside a request everything is malloc again. */
    char *dumped = json_dumps(catalog, JSON_COMPACT);
    assert_string_equal(dumped, "{\"hello\":\"Hello\"}");
    jsonmem_free(dumped);
    arena_free(a);
    json_decref(catalog);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_reuses_chunks),
        cmocka_unit_test(big_block_first),
        cmocka_unit_test(request_values_live_in_the_arena),
    };
    return cmocka_run_group_tests_name("jsonmem", tests, NULL, NULL);
}
